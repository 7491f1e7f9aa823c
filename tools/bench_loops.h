/* bench_loops.h - the loops baton-bench times, one function per kind of row.
 *
 * Each creates its own context (the start-up time it reports), runs
 * warmup + frames frames, records the measured ones into s (latency: the
 * source frame filled -> the host saw the frame's Vulkan fence signalled),
 * fills r's window figures (wall time, fps, CPU time), tears everything down
 * and returns BATON_OK, or the error that stopped it. BATON_ERR_NO_CUDA_DEVICE
 * and BATON_ERR_UNSUPPORTED mean "cannot run on this machine". Every host
 * wait is bounded by timeout_ms; after an error, waits still pending on the
 * GPU are released (host signals) before anything is destroyed, and objects
 * the GPU may still use are leaked rather than destroyed. */
#ifndef BATON_BENCH_LOOPS_H
#define BATON_BENCH_LOOPS_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/error.h"
#include "bench_common.h"

typedef struct bench_params {
    const bench_workload *wl;
    uint64_t frames;     /* measured frames */
    uint64_t warmup;     /* frames run first and not measured */
    uint32_t timeout_ms; /* every host wait */
} bench_params;

/* baton's pipeline through the public API: a context with this sync mode
 * (compute auto), S = slots, pattern source, headless sink, no readback. */
baton_status bench_run_baton(const bench_params *p, baton_sync_mode sync, uint32_t slots,
                             bench_samples *s, bench_result *r, baton_error *err);

/* The naive design: per frame fill, upload, convert, cudaStreamSynchronize,
 * submit the copy with a fence, wait for it. CPU stage: convert on the
 * host, submit, wait. (bench_loops.c) */
baton_status bench_run_host_sync(const bench_params *p, bench_samples *s, bench_result *r,
                                 baton_error *err);

/* The calls baton's timeline S = 2 pipeline makes per frame, with nothing
 * around them: no trace, NVTX, stats, GPU timestamps or error plumbing.
 * (bench_loops.c) */
baton_status bench_run_raw(const bench_params *p, bench_samples *s, bench_result *r,
                           baton_error *err);

/* One cross-API hand-off, iterations times after warmup untimed ones
 * (CUDA only; bench_handoff.c):
 *   cuda_to_vk: a Vulkan submission waits on a timeline and signals a fence;
 *     timed from the cudaSignalExternalSemaphoresAsync call to the host
 *     seeing the fence signalled (vkGetFenceStatus polling);
 *   !cuda_to_vk: a CUDA stream waits on a timeline; timed from the
 *     vkQueueSubmit that signals it to cudaStreamQuery reporting the stream
 *     idle (polling). */
baton_status bench_run_handoff(bool cuda_to_vk, uint32_t iterations, uint32_t warmup,
                               uint32_t timeout_ms, bench_samples *s, bench_result *r,
                               baton_error *err);

#endif
