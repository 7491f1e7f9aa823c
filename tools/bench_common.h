/* bench_common.h - what baton-bench measures and how one row's numbers are
 * kept: the workloads (saturated or paced at a camera's rate), the rows
 * (configurations), the per-frame samples a loop records and the summary a
 * row ends with. */
#ifndef BATON_BENCH_COMMON_H
#define BATON_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/context.h"
#include "baton/error.h"
#include "baton/format.h"
#include "baton/types.h"

/* Every bounded host wait of the benchmark (fences, semaphores, polls). */
#define BENCH_TIMEOUT_MS 5000u
#define BENCH_FRAMES_DEFAULT 1000u       /* saturated rows */
#define BENCH_FRAMES_QUICK 200u
#define BENCH_PACED_FRAMES_DEFAULT 300u  /* paced rows */
#define BENCH_PACED_FRAMES_QUICK 60u
#define BENCH_FRAMES_MAX 1000000u
#define BENCH_FPS_MAX 1000.0
#define BENCH_HANDOFF_ITERATIONS 1000u
#define BENCH_HANDOFF_WARMUP 50u
#define BENCH_RAW_SLOTS 2u /* the raw loop's depth: baton's timeline S = 2 row */
#define BENCH_MAX_WORKLOADS 16u

/* The frame sizes a workload names. */
typedef enum bench_base_id {
    BENCH_BASE_EMPTY = 0,
    BENCH_BASE_1080P,
    BENCH_BASE_4K,
    BENCH_BASE_COUNT
} bench_base_id;

/* A workload: a frame size and format, saturated (frames as fast as they
 * go, the source filled per frame) or paced at fps (frame i is due at
 * start + i / fps, and the frames are a replay of ones prepared at
 * start-up: the source costs the CPU nothing, like a camera's DMA). */
typedef struct bench_workload {
    char name[32];      /* as --workloads spells it: "1080p", "1080p@60" */
    bench_base_id base;
    uint32_t width, height;
    baton_format format;
    double fps;         /* 0: saturated */
} bench_workload;

/* Parse "BASE" or "BASE@FPS" (BASE: empty, 1080p, 4k; FPS a number in
 * (0, BENCH_FPS_MAX]) into *w. Returns 0, or -1 when it is not one. */
int bench_workload_parse(const char *name, bench_workload *w);
/* The base's name ("1080p"). */
const char *bench_base_name(bench_base_id id);
/* The default workloads, comma-separated: saturated, and paced. */
#define BENCH_SATURATED_DEFAULT "empty,1080p,4k"
#define BENCH_PACED_DEFAULT "1080p@60,1080p@120,4k@30"

/* Paced rows: the unmeasured warm-up, half a second of frames (at least
 * 10), which also absorbs the frames that fell due while the row was being
 * set up. Saturated rows: frames / 10, 10..100. */
uint64_t bench_warmup(const bench_workload *w, uint64_t frames);
/* When paced frame i is due (ns after the start); the same arithmetic as
 * the pattern source's, so the loops and baton keep the same clock. */
uint64_t bench_due_offset_ns(double fps, uint64_t i);
/* Sleep until CLOCK_MONOTONIC t_ns (clock_nanosleep, TIMER_ABSTIME). */
void bench_sleep_until(uint64_t t_ns);

typedef enum bench_row_id {
    BENCH_ROW_HOST_SYNC = 0,
    BENCH_ROW_RAW,
    BENCH_ROW_TIMELINE_S2,
    BENCH_ROW_TIMELINE_S3,
    BENCH_ROW_BINARY_S2,
    BENCH_ROW_BINARY_S3,
    BENCH_ROW_TIMELINE_S2_RELAY,
    BENCH_ROW_BINARY_S2_RELAY,
    BENCH_ROW_TIMELINE_S2_RELAY_GPU, /* mixed: relay to Vulkan, GPU wait back */
    BENCH_ROW_TIMELINE_S2_GPU_RELAY, /* mixed: GPU wait to Vulkan, relay back */
    BENCH_ROW_AUTO,
    BENCH_ROW_CUDA_TO_VK, /* hand-off rows: CUDA only, not per workload */
    BENCH_ROW_VK_TO_CUDA,
    BENCH_ROW_COUNT
} bench_row_id;

typedef enum bench_row_kind {
    BENCH_KIND_HOST_SYNC = 0,
    BENCH_KIND_RAW,
    BENCH_KIND_BATON,
    BENCH_KIND_HANDOFF,
} bench_row_kind;

/* Which selections a row belongs to when --rows is not given. */
#define BENCH_IN_SATURATED 1u
#define BENCH_IN_PACED 2u

typedef struct bench_row_info {
    const char *name;  /* as --rows spells it */
    const char *label; /* the table's words, before the modes that ran */
    bench_row_kind kind;
    baton_sync_mode sync; /* baton rows (AUTO: the context's choice) */
    uint32_t slots;       /* baton and raw rows */
    baton_handoff_mode to_vulkan, to_compute; /* baton rows (AUTO: the context's choice) */
    unsigned defaults;    /* BENCH_IN_* */
} bench_row_info;

const bench_row_info *bench_row_get(bench_row_id id);
/* Index of the row with this name, or -1. */
int bench_row_find(const char *name);

typedef enum bench_status {
    BENCH_NOT_RUN = 0, /* not selected */
    BENCH_OK,
    BENCH_SKIPPED,     /* cannot run on this machine (reason says why) */
    BENCH_FAILED,      /* a runtime error (reason holds the message) */
} bench_status;

/* One measured frame (CLOCK_MONOTONIC ns; 0: not known). Hand-off rows
 * keep their duration in done_ns with capture_ns 0. */
typedef struct bench_sample {
    uint64_t frame;
    uint64_t capture_ns;  /* paced: the due time; saturated: the source frame ready */
    uint64_t gpu_done_ns; /* calibrated GPU timestamp of the Vulkan stage's end (baton) */
    uint64_t done_ns;     /* the host saw the frame's Vulkan fence signalled */
    uint64_t screen_ns;   /* it went on screen (display sinks) */
} bench_sample;

/* What a loop records: every measured frame (frame numbers >= warmup), in
 * an array allocated once before the loop. */
typedef struct bench_samples {
    uint64_t warmup; /* frames before this number are not recorded */
    size_t capacity;
    size_t count;
    bench_sample *v;
} bench_samples;

baton_status bench_samples_init(bench_samples *s, size_t capacity, uint64_t warmup,
                                baton_error *err);
void bench_samples_free(bench_samples *s);
/* Record a frame (ignored before warmup or past capacity). */
static inline void bench_samples_put(bench_samples *s, const bench_sample *x)
{
    if (x->frame < s->warmup || s->count >= s->capacity)
        return;
    s->v[s->count++] = *x;
}
static inline void bench_samples_add(bench_samples *s, uint64_t frame, uint64_t capture_ns,
                                     uint64_t done_ns)
{
    bench_sample x = {.frame = frame, .capture_ns = capture_ns, .done_ns = done_ns};
    bench_samples_put(s, &x);
}

/* Percentiles of a sorted sample, microseconds. */
typedef struct bench_dist {
    size_t n;
    double min, p50, p90, p99, p999, max, mean, stddev;
} bench_dist;

/* Steady-state allocation and fd calls of a baton row's measured window
 * (driving thread + the runtime's threads), when the counting interposer
 * is loaded (bench_alloc.c). */
typedef struct bench_allocs {
    bool counted;
    uint64_t calls;        /* baton's own (and the bench's driving thread's) */
    uint64_t driver_calls; /* made inside the GPU driver, reported apart */
    uint64_t gst_calls;    /* made inside GStreamer (a gst sink), reported apart */
    char first[96];        /* the first counted call, when calls > 0 */
} bench_allocs;

typedef struct bench_result {
    bench_row_id row;
    int workload;           /* index into bench_run.workloads, -1 for hand-off rows */
    bench_status status;
    char reason[BATON_ERROR_MESSAGE_MAX];
    baton_compute_mode compute;
    baton_sync_mode sync;
    uint32_t slots;
    baton_handoff_mode to_vulkan, to_compute; /* as run (host-sync: AUTO, meaning none) */
    double pace_fps;        /* the workload's; 0 saturated */
    uint64_t frames;        /* measured frames (iterations for hand-offs) */
    uint64_t warmup;
    double wall_s;          /* the measured window */
    double fps;
    double cpu_us_per_frame;        /* getrusage(RUSAGE_SELF) user+sys / frames */
    double cpu_thread_us_per_frame; /* the same for the measuring thread only */
    double cpu_percent;             /* process CPU time / wall time x 100 (% of one core) */
    double startup_ms;      /* context + pipeline (or loop objects) creation */
    bench_dist latency;     /* capture -> done, us */
    bench_dist gpu_done;    /* capture -> GPU done, us (n = 0: not measured) */
    bench_dist screen;      /* capture -> on screen, us (n = 0: not known) */
    bench_dist interval;    /* between consecutive done times, us */
    bench_dist screen_interval; /* between consecutive on-screen times, us */
    double jitter_us;       /* interval p99 - p50 */
    double jitter_max_dev_us; /* paced: max |interval - 1/fps| */
    uint64_t capture_ivl_min_ns, capture_ivl_max_ns; /* paced: consecutive frames' capture
                                                        times apart (the pace itself) */
    size_t capture_ivl_n;
    size_t done_before_capture; /* frames seen done before they were due: 0 unless a loop
                                   does not keep its pace */
    bool gpu_times;         /* baton: calibrated GPU timestamps were available */
    char screen_note[96];   /* why capture -> on screen is not known */
    bench_allocs allocs;
    uint64_t *sorted_latency_ns; /* for the plot; owned, freed by bench_result_free */
    size_t sorted_count;
} bench_result;

void bench_result_free(bench_result *r);

/* The configuration a row ran, for the table: "baton timeline S=2 gpu/relay",
 * "baton auto (binary S=2 relay/relay)", "raw loop (timeline S=2 gpu/gpu)". */
void bench_row_title(const bench_result *r, char *buf, size_t len);

/* CLOCK_MONOTONIC, ns. */
uint64_t bench_now_ns(void);

/* The measured window of a row: wall clock and CPU time. */
typedef struct bench_window {
    uint64_t t0_ns;
    uint64_t cpu0_ns, thread0_ns;
} bench_window;

void bench_window_start(bench_window *w);
/* Fill r->frames, wall_s, fps, cpu_us_per_frame, cpu_thread_us_per_frame,
 * cpu_percent. */
void bench_window_stop(const bench_window *w, uint64_t frames, bench_result *r);

/* Everything one run measured, in run order. */
#define BENCH_MAX_RESULTS (BENCH_MAX_WORKLOADS * BENCH_ROW_COUNT + BENCH_ROW_COUNT)
typedef struct bench_run {
    char device[256];          /* the Vulkan device */
    bool cpu_device;           /* a CPU Vulkan implementation (lavapipe) */
    baton_compute_mode compute;/* what compute "auto" chose */
    char no_cuda[BATON_ERROR_MESSAGE_MAX]; /* why not CUDA, when compute is CPU */
    baton_handoff_report handoff; /* the context's start-up measurement (what AUTO takes) */
    const char *sink;          /* baton rows' sink */
    bench_workload workloads[BENCH_MAX_WORKLOADS];
    size_t nworkloads;
    uint64_t frames, warmup;   /* per saturated row */
    uint64_t paced_frames;     /* per paced row (warm-up: bench_warmup) */
    uint32_t handoff_iterations, handoff_warmup;
    double first_context_ms;   /* the untimed warm-up context (CUDA initialisation) */
    double fill_cpu_us[BENCH_MAX_WORKLOADS]; /* CPU time of one source fill; -1 if not run */
    bool allocs_counted;       /* the counting interposer is loaded */
    double elapsed_s;          /* the whole run */
    bench_result results[BENCH_MAX_RESULTS];
    size_t count;
} bench_run;

/* CPU time of one pattern fill of the workload's frame, us (the mean of
 * reps fills; -1 if the buffer cannot be had). Every saturated row does
 * one such fill per frame on the host; paced rows replay theirs. */
double bench_fill_cost_us(const bench_workload *wl, unsigned reps);

/* The result of row in workload (-1 for hand-off rows), or NULL. */
const bench_result *bench_run_find(const bench_run *run, int workload, bench_row_id row);
/* The workload of a result, or NULL for hand-off rows. */
const bench_workload *bench_result_workload(const bench_run *run, const bench_result *r);

/* Whether a failed row's status means "cannot run here" rather than an error. */
bool bench_status_is_skip(baton_status st);

#endif
