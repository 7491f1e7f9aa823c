/* bench_common.h - what baton-bench measures and how one row's numbers are
 * kept: the workloads, the rows (configurations), the per-frame samples a
 * loop records and the summary a row ends with. */
#ifndef BATON_BENCH_COMMON_H
#define BATON_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/format.h"
#include "baton/types.h"

/* Every bounded host wait of the benchmark (fences, semaphores, polls). */
#define BENCH_TIMEOUT_MS 5000u
#define BENCH_FRAMES_DEFAULT 2000u
#define BENCH_FRAMES_QUICK 200u
#define BENCH_FRAMES_MAX 1000000u
#define BENCH_HANDOFF_ITERATIONS 1000u
#define BENCH_HANDOFF_WARMUP 50u
#define BENCH_RAW_SLOTS 2u /* the raw loop's depth: baton's timeline S = 2 row */

typedef enum bench_workload_id {
    BENCH_WL_EMPTY = 0,
    BENCH_WL_1080P,
    BENCH_WL_4K,
    BENCH_WL_COUNT
} bench_workload_id;

typedef struct bench_workload {
    const char *name; /* as --workloads spells it */
    uint32_t width, height;
    baton_format format;
} bench_workload;

typedef enum bench_row_id {
    BENCH_ROW_HOST_SYNC = 0,
    BENCH_ROW_RAW,
    BENCH_ROW_TIMELINE_S2,
    BENCH_ROW_TIMELINE_S3,
    BENCH_ROW_BINARY_S2,
    BENCH_ROW_BINARY_S3,
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

typedef struct bench_row_info {
    const char *name;  /* as --rows spells it */
    const char *label; /* the table's words */
    bench_row_kind kind;
    baton_sync_mode sync; /* baton rows */
    uint32_t slots;       /* baton and raw rows */
} bench_row_info;

const bench_workload *bench_workload_get(bench_workload_id id);
const bench_row_info *bench_row_get(bench_row_id id);
/* Index of the workload / row with this name, or -1. */
int bench_workload_find(const char *name);
int bench_row_find(const char *name);

typedef enum bench_status {
    BENCH_NOT_RUN = 0, /* not selected */
    BENCH_OK,
    BENCH_SKIPPED,     /* cannot run on this machine (reason says why) */
    BENCH_FAILED,      /* a runtime error (reason holds the message) */
} bench_status;

/* What a loop records: latency and completion time of every measured frame
 * (frame numbers >= warmup), in arrays allocated once before the loop. */
typedef struct bench_samples {
    uint64_t warmup;   /* frames before this number are not recorded */
    size_t capacity;
    size_t count;
    uint64_t *latency_ns; /* source ready -> host saw the frame done */
    uint64_t *done_ns;    /* CLOCK_MONOTONIC when the host saw it done */
} bench_samples;

baton_status bench_samples_init(bench_samples *s, size_t capacity, uint64_t warmup,
                                baton_error *err);
void bench_samples_free(bench_samples *s);
/* Record frame `frame` (ignored before warmup or past capacity). */
static inline void bench_samples_add(bench_samples *s, uint64_t frame, uint64_t ready_ns,
                                     uint64_t done_ns)
{
    if (frame < s->warmup || s->count >= s->capacity)
        return;
    s->latency_ns[s->count] = done_ns >= ready_ns ? done_ns - ready_ns : 0;
    s->done_ns[s->count] = done_ns;
    s->count++;
}

/* Percentiles of a sorted sample, microseconds. */
typedef struct bench_dist {
    size_t n;
    double min, p50, p90, p99, p999, max, mean, stddev;
} bench_dist;

typedef struct bench_result {
    bench_row_id row;
    int workload;           /* bench_workload_id, -1 for hand-off rows */
    bench_status status;
    char reason[BATON_ERROR_MESSAGE_MAX];
    baton_compute_mode compute;
    baton_sync_mode sync;
    uint32_t slots;
    uint64_t frames;        /* measured frames (iterations for hand-offs) */
    uint64_t warmup;
    double wall_s;          /* the measured window */
    double fps;
    double cpu_us_per_frame;        /* getrusage(RUSAGE_SELF) user+sys / frames */
    double cpu_thread_us_per_frame; /* the same for the measuring thread only */
    double startup_ms;      /* context + pipeline (or loop objects) creation */
    bench_dist latency;     /* us */
    bench_dist interval;    /* between consecutive completions, us */
    double jitter_us;       /* interval p99 - p50 */
    uint64_t *sorted_latency_ns; /* for the plot; owned, freed by bench_result_free */
    size_t sorted_count;
} bench_result;

void bench_result_free(bench_result *r);

/* CLOCK_MONOTONIC, ns. */
uint64_t bench_now_ns(void);

/* The measured window of a row: wall clock and CPU time. */
typedef struct bench_window {
    uint64_t t0_ns;
    uint64_t cpu0_ns, thread0_ns;
} bench_window;

void bench_window_start(bench_window *w);
/* Fill r->frames, wall_s, fps, cpu_us_per_frame, cpu_thread_us_per_frame. */
void bench_window_stop(const bench_window *w, uint64_t frames, bench_result *r);

/* Everything one run measured, in run order. */
#define BENCH_MAX_RESULTS (BENCH_WL_COUNT * BENCH_ROW_COUNT)
typedef struct bench_run {
    char device[256];          /* the Vulkan device */
    bool cpu_device;           /* a CPU Vulkan implementation (lavapipe) */
    baton_compute_mode compute;/* what compute "auto" chose */
    char no_cuda[BATON_ERROR_MESSAGE_MAX]; /* why not CUDA, when compute is CPU */
    uint64_t frames, warmup;   /* per frame row */
    uint32_t handoff_iterations, handoff_warmup;
    double first_context_ms;   /* the untimed warm-up context (CUDA initialisation) */
    double fill_cpu_us[BENCH_WL_COUNT]; /* CPU time of one source fill alone; -1 if not run */
    bench_result results[BENCH_MAX_RESULTS];
    size_t count;
} bench_run;

/* Thread CPU time of one pattern fill of the workload's frame, us (the
 * mean of reps fills; -1 if the buffer cannot be had). Every row does one
 * such fill per frame on the host. */
double bench_fill_cost_us(const bench_workload *wl, unsigned reps);

/* The result of row in workload (-1 for hand-off rows), or NULL. */
const bench_result *bench_run_find(const bench_run *run, int workload, bench_row_id row);

/* Whether a failed row's status means "cannot run here" rather than an error. */
bool bench_status_is_skip(baton_status st);

#endif
