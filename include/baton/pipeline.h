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
 * Nothing is allocated, created or opened per frame (PNG dumps of chosen
 * frames excepted: libpng allocates). Every host wait is bounded by
 * timeout_ms; an expired wait returns BATON_ERR_TIMEOUT naming stage and
 * frame, after which the pipeline can only be destroyed (cleanly).
 *
 * Thread-safety: a pipeline is driven from one thread; none of these calls
 * may run concurrently on the same pipeline. Callbacks run on that thread.
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
    const char *dump_dir;       /* write frames listed in dump_frames as PNG here */
    const uint64_t *dump_frames;
    size_t dump_count;
    uint32_t trace_events;      /* trace ring capacity (default 65536) */
    uint32_t stats_frames;      /* latency samples kept (default 65536) */
    baton_cuda_work_fn cuda_work;
    baton_cpu_work_fn cpu_work;
    void *work_user;
    baton_frame_done_fn on_done;
    void *done_user;
} baton_pipeline_config;

void baton_pipeline_config_default(baton_pipeline_config *cfg);

/* Allocate everything: slots' shared memory (exported and imported into
 * CUDA with the CUDA stage), staging, semaphores from a pool, command
 * buffers recorded once per slot, the trace. The sync mode and compute
 * stage are the context's. On error nothing is left allocated or open. */
baton_status baton_pipeline_create(baton_context *ctx, const baton_pipeline_config *cfg,
                                   baton_pipeline **out, baton_error *err);

/* Run `frames` more frames. Returns when they are all submitted (up to S
 * may still be in flight; their on_done fires later or in drain).
 * BATON_ERR_END_OF_STREAM when the source ends (frames done so far stay
 * valid), BATON_ERR_TIMEOUT naming stage and frame, BATON_ERR_STATE after
 * an earlier error. */
baton_status baton_pipeline_run(baton_pipeline *p, uint64_t frames, baton_error *err);

/* Wait (bounded) for every frame in flight and fire their on_done. */
baton_status baton_pipeline_drain(baton_pipeline *p, baton_error *err);

/* Unblock anything still waiting, wait (bounded) for the GPU, free all.
 * Safe after any error. NULL is a no-op. */
void baton_pipeline_destroy(baton_pipeline *p);

typedef struct baton_pipeline_stats {
    uint64_t frames_submitted; /* pipeline frames started */
    uint64_t frames_done;      /* finished by the Vulkan stage and seen by the host */
    uint64_t dropped;          /* source frames skipped by the NEWEST policy */
    uint64_t dumps_written;
    baton_sync_mode sync;
    baton_compute_mode compute;
    uint32_t slots;
} baton_pipeline_stats;

baton_pipeline_stats baton_pipeline_get_stats(const baton_pipeline *p);

/* Copy the latencies (source ready -> host saw the Vulkan stage done, ns)
 * of the newest finished frames, oldest first, into out (room for
 * capacity); returns how many were copied (at most stats_frames kept). */
size_t baton_pipeline_latencies(const baton_pipeline *p, uint64_t *out, size_t capacity);

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
 * (headless and x11 sinks: a description, no records). Reads state the
 * pipeline's thread writes: call it from that thread, or after drain.
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
