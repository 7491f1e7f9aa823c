/* bench_loops.h - the loops baton-bench times, one function per kind of row.
 *
 * Each creates its own context (the start-up time it reports), runs
 * warmup + frames frames, records the measured ones into s (capture: the
 * source frame filled, or with a paced workload the frame's due time; done:
 * the host saw the frame's Vulkan fence signalled), fills r's window
 * figures (wall time, fps, CPU time), tears everything down
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
    const bench_workload *wl; /* wl->fps > 0: paced, replayed frames */
    uint64_t frames;     /* measured frames */
    uint64_t warmup;     /* frames run first and not measured */
    uint32_t timeout_ms; /* every host wait */
} bench_params;

/* baton's pipeline through the public API: a context with the row's sync
 * mode (compute auto), its S and hand-off modes, the pattern source
 * ("pattern", or "pattern@FPS:replay" when paced), the sink named by `sink`
 * (headless unless --sink says otherwise), no readback. The samples come
 * from baton_pipeline_frame_times after the drain. */
baton_status bench_run_baton(const bench_params *p, const bench_row_info *row, const char *sink,
                             bench_samples *s, bench_result *r, baton_error *err);

/* The naive design, host-ordered: per frame fill (saturated only), upload,
 * convert, cudaStreamSynchronize, submit the copy with a fence, wait for
 * it. CPU stage: convert on the host, submit, wait. (bench_loops.c) */
baton_status bench_run_host_sync(const bench_params *p, bench_samples *s, bench_result *r,
                                 baton_error *err);

/* The calls baton's timeline S = 2 pipeline makes per frame with GPU
 * hand-offs both ways, with nothing around them: no trace, NVTX, stats, GPU
 * timestamps or error plumbing. Saturated, it notices finished frames
 * between frames, as the pipeline did before it had a completion thread;
 * paced, it waits for the frames in flight (vkWaitForFences, bounded by
 * the next frame's due time) while the next frame is not yet due, so it
 * sees each frame done as soon as the GPU finishes it. (bench_loops.c) */
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
