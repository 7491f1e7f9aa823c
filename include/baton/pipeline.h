/* baton/pipeline.h - the double-buffered camera -> compute -> Vulkan pipeline.
 *
 * Frame n uses slot n mod S. Per slot, Vulkan allocates the frame memory
 * (RGBA8, exportable as OPAQUE_FD) and CUDA imports it once at creation.
 * Each frame: the source fills the slot's staging memory; the compute stage
 * (CUDA stream, or the CPU stage when there is no CUDA device) waits until
 * Vulkan released the slot, uploads, converts the source format to RGBA8,
 * runs the application's kernel, signals; the Vulkan stage waits for that
 * signal, runs the slot's command buffer (recorded once at creation: copy
 * into the sink's target image), signals the release. The operations follow
 * baton/schedule.h exactly and are recorded in a baton_trace.
 *
 * Hand-offs. Each direction (compute -> Vulkan, Vulkan -> compute) is
 * carried either on the GPU (the consumer's queue waits on the producer's
 * exported semaphore) or relayed by the host (a host thread sees the
 * producer finish, through a CUDA event or the Vulkan fence, and only then
 * starts the consumer, with no semaphore wait on the GPU). The plan's ops
 * and the trace are the same either way: in relay mode the host performs
 * the wait and records it when it has seen the signal. AUTO takes whichever
 * was faster when measured on this machine (baton_context_handoff).
 *
 * Threads. The thread that calls baton_pipeline_run (the driving thread)
 * reads the source, starts the compute stage and (GPU hand-off to Vulkan,
 * or the CPU stage) submits the Vulkan stage. A completion thread, started
 * by baton_pipeline_create, waits for each frame's Vulkan fence in order
 * and retires the frame the moment it is done: it records the frame's
 * times, runs the sink's done hook (a KMS page flip; a frame to dump is
 * copied and handed to a PNG writer thread, so encoding never delays a
 * frame) and calls on_done. With the CUDA stage and a relayed compute -> Vulkan hand-off, a
 * relay thread waits for each frame's CUDA work and submits its Vulkan
 * stage. So the application hears of frame n as soon as the GPU has
 * finished it, while the driving thread waits for the next camera frame.
 * The driving thread reuses slot s only after the frame that used it last
 * has been retired. Nothing is allocated per frame on any of these threads.
 *
 * Nothing is allocated, created or opened per frame (PNG dumps of chosen
 * frames excepted: libpng allocates, on the writer thread). Every host wait for the GPU or the
 * source is bounded by timeout_ms; an expired wait returns
 * BATON_ERR_TIMEOUT naming stage and frame, after which the pipeline can
 * only be destroyed (cleanly).
 *
 * Thread-safety: baton_pipeline_run, _drain and _destroy are called from
 * one thread at a time (the driving thread); none may run concurrently with
 * another on the same pipeline. on_done and the sink's hooks run on the
 * completion thread: on_done must not call baton_pipeline_run, _drain or
 * _destroy, and should return quickly (the next frame retires after it).
 * The readers _get_stats, _latencies and _frame_times may be called from
 * the driving thread at any time: they take the pipeline's lock and see
 * every frame retired so far; _display after drain (or from on_done). Different pipelines, on one context
 * or on several, are independent.
 */
#ifndef BATON_PIPELINE_H
#define BATON_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/context.h"
#include "baton/error.h"
#include "baton/format.h"
#include "baton/schedule.h"
#include "baton/trace.h"
#include "baton/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_pipeline baton_pipeline;

/* What a finished frame looked like; valid only during the callback. */
typedef struct baton_frame_info {
    uint64_t frame;           /* pipeline frame number n */
    uint64_t source_frame;    /* the source's own sequence number */
    uint32_t slot;
    uint64_t capture_ns;      /* CLOCK_MONOTONIC: the source's own capture time (a V4L2
                                 driver timestamp, a paced pattern's due time); 0 if none */
    uint64_t source_ready_ns; /* CLOCK_MONOTONIC: source handed the frame over */
    uint64_t compute_start_ns;/* CLOCK_MONOTONIC: the compute stage started on it (host) */
    uint64_t gpu_done_ns;     /* CLOCK_MONOTONIC: the GPU finished its Vulkan stage
                                 (timestamp query, calibrated); 0 when not measurable */
    uint64_t done_ns;         /* CLOCK_MONOTONIC: host saw the Vulkan stage finish */
    const uint8_t *rgba;      /* the displayed pixels when readback is on, else NULL */
    size_t pitch;
    uint32_t width, height;
} baton_frame_info;

/* The application's CUDA work on a slot, enqueued on `stream` (a
 * cudaStream_t) after conversion. rgba is the slot's device pointer.
 * Must only enqueue work (no synchronisation, no allocation). */
typedef baton_status (*baton_cuda_work_fn)(void *user, void *stream, void *rgba, size_t pitch,
                                           uint32_t width, uint32_t height, uint64_t frame,
                                           baton_error *err);
/* CPU stage equivalent: runs on the host on the slot's mapped memory. */
typedef baton_status (*baton_cpu_work_fn)(void *user, uint8_t *rgba, size_t pitch,
                                          uint32_t width, uint32_t height, uint64_t frame,
                                          baton_error *err);
typedef void (*baton_frame_done_fn)(void *user, const baton_frame_info *info);

/* Recovery. What the pipeline does when its camera or its display goes away.
 * The default for both is to stop with a clear error, as any other error.
 *
 * on_source_lost = BATON_SOURCE_LOST_RESYNC: when the source stalls (no
 * frame within timeout_ms: BATON_ERR_TIMEOUT from the source) or its device
 * goes away (BATON_ERR_DISCONNECTED: a V4L2 camera unplugged, ENODEV), the
 * driving thread, inside baton_pipeline_run, first waits (bounded) until
 * every frame in flight has retired (the completion thread goes on
 * retiring them), closes the source and reopens the same spec, every
 * BATON_SOURCE_RESYNC_RETRY_MS (100 ms), for up to source_resync_ms from
 * the moment the source was lost (0: default 10000). Reopened, the source
 * must deliver the same format and size as before (else
 * BATON_ERR_MISMATCH naming both: no silent corruption), and is bound to
 * the slots' staging again (V4L2 USERPTR). The frame that could not be
 * read is then read from the reopened source: the pipeline's frame numbers
 * go on without a gap (frame n+1 after the gap is the next number), the
 * plan is the same deterministic one (timeline values only increase, a
 * slot is reused only after the frame that used it retired) and the trace
 * still matches it. The source's own numbers (baton_frame_info.source_frame)
 * are the device's: a reopened V4L2 device starts again from its own 0.
 * Not back within source_resync_ms: the run stops with BATON_ERR_TIMEOUT
 * "source 'v4l2:/dev/video0' lost (<why>) and not back within N ms (last
 * reopen: <error>)". A stall is only seen after timeout_ms without a frame.
 * Counted in baton_pipeline_stats (source_resyncs, source_absent_ns).
 *
 * on_display_lost = BATON_DISPLAY_LOST_HEADLESS: when the sink reports its
 * display gone (BATON_ERR_DISCONNECTED from the drm sink: connector
 * unplugged, KMS device removed, swapchain out of date/surface lost), the
 * frames already on the GPU finish and retire as usual without the lost
 * display (they count as shown: their Vulkan work finished), then the
 * driving thread destroys that sink (its fds and Vulkan objects) with the
 * Vulkan stage's command buffers, and goes on with a "headless" sink and a
 * Vulkan stage recorded for it. Reported once on stderr ("baton: display
 * ... lost at frame N: going on headless") and in the stats
 * (display_lost, display_lost_frame, display_lost_reason); the display
 * report then describes the headless sink. Where the relay thread submits
 * (CUDA stage, relayed hand-off to Vulkan), a display lost in the sink's
 * acquire() still stops the pipeline. The x11 sink has no such path.
 *
 * Thread-safety: both happen on the driving thread within
 * baton_pipeline_run / _drain; the readers see the counters under the lock. */
typedef enum baton_source_lost_policy {
    BATON_SOURCE_LOST_STOP = 0, /* stop with the source's error (default) */
    BATON_SOURCE_LOST_RESYNC,   /* close, reopen, go on (see above) */
} baton_source_lost_policy;

typedef enum baton_display_lost_policy {
    BATON_DISPLAY_LOST_STOP = 0, /* stop with the sink's error (default) */
    BATON_DISPLAY_LOST_HEADLESS, /* go on with the headless sink (see above) */
} baton_display_lost_policy;

#define BATON_SOURCE_RESYNC_MS_DEFAULT 10000u
#define BATON_SOURCE_RESYNC_RETRY_MS 100u

typedef struct baton_pipeline_config {
    uint32_t width, height;     /* frame size */
    baton_format format;        /* the source's format */
    uint32_t slots;             /* S, 2..4 (default 2) */
    uint32_t timeout_ms;        /* every host wait (default 1000) */
    baton_drop_policy policy;
    const char *source;         /* "pattern", "pattern@FPS" (paced) */
    const char *sink;           /* "headless" */
    uint32_t sink_delay_us;     /* headless: pretend presenting takes this long */
    bool readback;              /* copy displayed frames to host memory for on_done/dumps */
    const char *dump_dir;       /* write frames listed in dump_frames as PNG here
                                 * (by a thread of its own; drain waits for
                                 * the files and returns a write error) */
    const uint64_t *dump_frames;
    size_t dump_count;
    uint32_t trace_events;      /* trace ring capacity (default 65536) */
    uint32_t stats_frames;      /* latency samples kept (default 65536) */
    baton_cuda_work_fn cuda_work;
    baton_cpu_work_fn cpu_work;
    void *work_user;
    baton_frame_done_fn on_done; /* runs on the completion thread, see above */
    void *done_user;
    baton_handoff_mode handoff_to_vulkan;  /* compute -> Vulkan (default AUTO) */
    baton_handoff_mode handoff_to_compute; /* Vulkan -> compute: the slot's release (default AUTO) */
    baton_source_lost_policy on_source_lost;   /* default STOP, see Recovery above */
    uint32_t source_resync_ms;                 /* RESYNC: how long to try (0: 10000) */
    baton_display_lost_policy on_display_lost; /* default STOP, see Recovery above */
} baton_pipeline_config;

void baton_pipeline_config_default(baton_pipeline_config *cfg);

/* Allocate everything: slots' shared memory (exported and imported into
 * CUDA with the CUDA stage), staging, semaphores from a pool, command
 * buffers recorded once per slot, the trace. The sync mode and compute
 * stage are the context's. On error nothing is left allocated or open. */
baton_status baton_pipeline_create(baton_context *ctx, const baton_pipeline_config *cfg,
                                   baton_pipeline **out, baton_error *err);

/* Run `frames` more frames. Returns when they are all started (up to S may
 * still be in flight; the completion thread retires them as they finish).
 * BATON_ERR_END_OF_STREAM when the source ends (frames done so far stay
 * valid), BATON_ERR_TIMEOUT naming stage and frame, BATON_ERR_DISCONNECTED
 * when the camera or the display went away (with the STOP policies),
 * BATON_ERR_STATE after an earlier error. With on_source_lost = RESYNC a
 * stalled or unplugged source is reopened inside this call (it may then
 * take up to source_resync_ms longer); one that does not come back in time
 * is BATON_ERR_TIMEOUT, one that comes back with another format or size
 * BATON_ERR_MISMATCH. With on_display_lost = HEADLESS the sink is replaced
 * inside this call or _drain (see Recovery). */
baton_status baton_pipeline_run(baton_pipeline *p, uint64_t frames, baton_error *err);

/* Wait (bounded) until every frame started has been retired (its on_done
 * called), then let the sink collect what is still due (the last flip). */
baton_status baton_pipeline_drain(baton_pipeline *p, baton_error *err);

/* Unblock anything still waiting, wait (bounded) for the GPU, free all.
 * Safe after any error. NULL is a no-op. */
void baton_pipeline_destroy(baton_pipeline *p);

/* Every frame the source delivered ends in exactly one of three ways:
 * shown (frames_done: retired, the sink's done hook and on_done ran),
 * dropped by policy (dropped: the NEWEST policy skipped it for a newer one;
 * it never started), or lost to an error (frames_lost: it started, and the
 * pipeline stopped on an error, named in error, before it retired). So
 * frames_delivered == frames_done + frames_lost + frames_in_flight, and
 * frames_in_flight is 0 after drain and after a failure. */
typedef struct baton_pipeline_stats {
    uint64_t frames_delivered; /* frames the source handed over (each started) */
    uint64_t frames_submitted; /* frames that reached the Vulkan stage */
    uint64_t frames_done;      /* shown: finished by the Vulkan stage and retired */
    uint64_t frames_in_flight; /* started, not yet retired (the pipeline still runs) */
    uint64_t frames_lost;      /* started and never retired: the pipeline failed first */
    uint64_t dropped;          /* source frames skipped by the NEWEST policy */
    uint64_t dumps_written;
    baton_sync_mode sync;
    baton_compute_mode compute;
    uint32_t slots;
    baton_handoff_mode handoff_to_vulkan;  /* as chosen: GPU or RELAY */
    baton_handoff_mode handoff_to_compute;
    bool gpu_times;            /* gpu_done_ns is measured (calibrated GPU timestamps) */
    uint32_t width, height;    /* what the source delivers (a file's header, a camera's */
    baton_format format;       /* negotiation may differ from what was asked) */
    baton_status failed;       /* BATON_OK, or the error that stopped the pipeline */
    char error[BATON_ERROR_MESSAGE_MAX]; /* its message (what lost the frames_lost) */
    char source_io[160];       /* how frames reach the staging memory, e.g. "V4L2 USERPTR:
                                  the camera writes into staging (no CPU copy)" or
                                  "V4L2 MMAP + one CPU copy a frame (USERPTR refused: ...)" */
    /* Recovery (see above) */
    uint64_t source_resyncs;   /* times the source was reopened and frames went on */
    uint64_t source_absent_ns; /* time without a source: from the error that lost it
                                  (after its timeout) until the reopened one gave a frame */
    uint64_t source_lost_frame;/* the pipeline frame the last loss held up */
    char source_lost_reason[BATON_ERROR_MESSAGE_MAX]; /* the last loss's error */
    bool display_lost;         /* the display went away; frames went on headless */
    uint64_t display_lost_frame; /* the frame whose sink hook reported it */
    uint64_t display_headless_from; /* the first frame the headless sink took (frames
                                  between the two finished without a display) */
    char display_lost_reason[BATON_ERROR_MESSAGE_MAX];
} baton_pipeline_stats;

baton_pipeline_stats baton_pipeline_get_stats(const baton_pipeline *p);

/* Copy the latencies (source ready -> host saw the Vulkan stage done, ns)
 * of the newest finished frames, oldest first, into out (room for
 * capacity); returns how many were copied (at most stats_frames kept). */
size_t baton_pipeline_latencies(const baton_pipeline *p, uint64_t *out, size_t capacity);

/* One finished frame's times, CLOCK_MONOTONIC ns (0: not known). */
typedef struct baton_frame_times {
    uint64_t frame;
    uint64_t capture_ns;       /* the camera's timestamp, or a paced source's due time */
    uint64_t ready_ns;         /* the source handed it over */
    uint64_t compute_start_ns; /* the compute stage started on it */
    uint64_t gpu_done_ns;      /* the GPU finished its Vulkan stage (calibrated timestamps) */
    uint64_t done_ns;          /* the host saw it finished (on_done followed) */
    uint64_t on_screen_ns;     /* it went on screen: the vblank of its page flip or
                                  present, where the sink can tell */
} baton_frame_times;

/* Copy the times of the newest finished frames (at most stats_frames kept),
 * oldest first, into out (room for capacity); returns how many. A frame's
 * on_screen_ns may be filled in after its on_done (a flip completes at the
 * next vblank): read it after drain for the whole run. Allocates nothing. */
size_t baton_pipeline_frame_times(const baton_pipeline *p, baton_frame_times *out,
                                  size_t capacity);

/* The trace of every semaphore op issued, and the plan it must match. */
const baton_trace *baton_pipeline_trace(const baton_pipeline *p);
baton_schedule baton_pipeline_schedule(const baton_pipeline *p);

/* What the sink shows on, and when frames reached the screen. */
#define BATON_DISPLAY_VBLANKS_KEEP 64u

typedef struct baton_vblank {
    uint64_t frame;    /* pipeline frame number */
    uint64_t sequence; /* the CRTC's vblank counter (0 when the source has none) */
    uint64_t ns;       /* CLOCK_MONOTONIC ns: the vblank at which the frame went
                          on screen (a page-flip event), or the first vblank
                          after it was presented (a vblank event), or the
                          driver's actual present time (VK_GOOGLE_display_timing) */
} baton_vblank;

typedef struct baton_display_report {
    char description[256];   /* e.g. "drm Virtual-1 640x480@60.00Hz on /dev/dri/card0
                                (bochs-drm), KMS atomic page flips of dumb buffers" */
    char vblank_source[64];  /* "page-flip events", "vblank events", ... or "" */
    uint64_t vblanks_total;  /* records ever taken */
    uint64_t vblanks_missed; /* frames whose record did not come within the bound */
    uint64_t period_ns;      /* the mode's refresh period, 0 when not a display */
    size_t vblank_count;     /* valid entries of vblanks: the newest, oldest first */
    baton_vblank vblanks[BATON_DISPLAY_VBLANKS_KEEP];
} baton_display_report;

/* Fill *out with the sink's description and its newest vblank records
 * (headless and x11 sinks: a description, no records). The records are the
 * completion thread's while frames flow: call it after drain, or from
 * on_done.
 * Allocates nothing. BATON_ERR_INVALID_ARGUMENT on NULL. */
baton_status baton_pipeline_display(const baton_pipeline *p, baton_display_report *out,
                                    baton_error *err);

/* Test seam: the compute stage "stalls" at frame n: it skips its signal,
 * so the Vulkan stage's wait can only expire. Destroy must still be clean. */
void baton_pipeline_inject_stall(baton_pipeline *p, uint64_t frame);

#ifdef __cplusplus
}
#endif

#endif
