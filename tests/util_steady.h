/* util_steady.h - run a pipeline past warm-up, then count every allocation,
 * fd operation and Vulkan/CUDA object creation over the steady-state frames. */
#ifndef BATON_UTIL_STEADY_H
#define BATON_UTIL_STEADY_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc_count.h"
#include "baton/pipeline.h"

typedef struct steady_result {
    baton_count_totals calls;       /* this thread's malloc/open/... during the window */
    baton_count_totals runtime;     /* the pipeline's own threads' (completion, relay) */
    uint64_t vk_created, cuda_created;
    uint64_t driver_arena, driver_escaped; /* the driver's allocations through baton's arena */
    uint64_t frames;
} steady_result;

/* Warm up for `warmup` frames, then count over `frames` frames and the
 * drain that retires the last of them, on the driving thread and on the
 * pipeline's own threads. */
baton_status steady_run(baton_context *ctx, const baton_pipeline_config *pc, uint64_t warmup,
                        uint64_t frames, steady_result *out, baton_error *err);

bool steady_all_zero(const steady_result *r);
void steady_print(const char *label, const steady_result *r);

/* GStreamer: baton's own calls must be zero, on the driving thread and on
 * baton's threads (the completion thread retires frames and runs the
 * sink's done); GStreamer's own calls there (pulling and unreffing a
 * sample, mapping a buffer, pushing one: callers in libgst*, GLib,
 * GObject) are counted apart and must stay bounded per frame: frames'
 * memory is recycled by buffer pools (upstream's for the source, the
 * sink's wrapped readback buffers), so nothing grows with the frame
 * count. GStreamer's streaming threads are its own and not counted. */
#define STEADY_GST_CALLS_PER_FRAME_MAX 16u

/* A context on `compute` and a 320x180 pipeline from `source` to `sink`
 * (NULL: the default source; headless with readback): after 50 frames of
 * warm-up, `frames` frames meet the rule above. Fails the running Check
 * test otherwise; prints the counts under `label`. */
void steady_gst_case(baton_compute_mode compute, const char *label, const char *source,
                     const char *sink, uint64_t frames);

#endif
