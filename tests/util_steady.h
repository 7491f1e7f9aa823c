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

#endif
