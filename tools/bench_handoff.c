/* bench_handoff.c - one cross-API hand-off at a time, over exported timeline
 * semaphores from baton_sem_pool (CUDA only). */
#include <string.h>

#include "baton/interop.h"
#include "bench_gpu.h"
#include "bench_loops.h"

typedef struct handoff {
    baton_context *ctx;
    bench_gpu g;
    baton_sem_pool *pool;
    VkSemaphore vk_sem;
    cudaExternalSemaphore_t cu_sem;
    cudaStream_t stream;
    VkFence fence;
    uint32_t timeout_ms;
    bool fence_pending;
    uint64_t signalled; /* highest value signalled (or enqueued) by the signalling side */
    uint64_t waited;    /* highest value the waiting side was given to wait for */
} handoff;

static baton_status handoff_create(handoff *h, baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = BATON_COMPUTE_CUDA;
    cc.sync = BATON_SYNC_TIMELINE;
    baton_status st = baton_context_create(&cc, &h->ctx, err);
    if (st == BATON_OK)
        st = bench_gpu_init(&h->g, h->ctx, err);
    baton_sem_pool_config pc = {.binary_count = 0, .timeline_count = 1};
    uint32_t idx = 0;
    if (st == BATON_OK)
        st = baton_sem_pool_create(h->ctx, &pc, &h->pool, err);
    if (st == BATON_OK)
        st = baton_sem_pool_acquire(h->pool, BATON_SEM_TIMELINE, &idx, err);
    if (st == BATON_OK) {
        h->vk_sem = baton_sem_pool_vk(h->pool, idx);
        h->cu_sem = baton_sem_pool_cuda(h->pool, idx);
        if (!h->cu_sem)
            st = baton_error_set(err, BATON_ERR_STATE, "semaphore pool is not shared with CUDA");
    }
    if (st == BATON_OK)
        st = bench_fence_create(&h->g, &h->fence, err);
    if (st == BATON_OK) {
        cudaError_t e = cudaStreamCreateWithFlags(&h->stream, cudaStreamNonBlocking);
        if (e != cudaSuccess) {
            h->stream = NULL;
            st = bench_cuda_fail(err, "cudaStreamCreateWithFlags", e);
        }
    }
    return st;
}

static void handoff_destroy(handoff *h)
{
    if (!h->ctx)
        return;
    bool idle = true;
    /* a wait (either side) given a value nothing signalled: signal it from the host */
    if (h->vk_sem && h->signalled < h->waited &&
        bench_host_signal(&h->g, h->vk_sem, h->waited) != VK_SUCCESS)
        idle = false;
    if (h->fence_pending &&
        bench_fence_wait(&h->g, h->fence, h->timeout_ms, "teardown", NULL) != BATON_OK)
        idle = false;
    if (h->stream && bench_stream_idle(h->stream, h->timeout_ms, "teardown", NULL) != BATON_OK)
        idle = false;
    if (idle && vkQueueWaitIdle(h->g.queue) != VK_SUCCESS) /* semaphore signals finish too */
        idle = false;
    if (!idle)
        return; /* the GPU may still use these objects: leaking beats a crash */
    if (h->stream)
        cudaStreamDestroy(h->stream);
    if (h->fence)
        vkDestroyFence(h->g.dev, h->fence, NULL);
    baton_sem_pool_destroy(h->pool);
    baton_context_destroy(h->ctx);
}

/* CUDA signals value v; a Vulkan submission already waiting on it signals
 * the fence. Returns the time from the signal call to the fence seen. */
static baton_status cuda_to_vk(handoff *h, uint64_t v, uint64_t *ns, baton_error *err)
{
    VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    VkTimelineSemaphoreSubmitInfo tl = {.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
                                        .waitSemaphoreValueCount = 1, .pWaitSemaphoreValues = &v};
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = &tl,
                       .waitSemaphoreCount = 1, .pWaitSemaphores = &h->vk_sem,
                       .pWaitDstStageMask = &stage};
    VkResult r = vkQueueSubmit(h->g.queue, 1, &si, h->fence);
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkQueueSubmit(wait)", r);
    h->fence_pending = true;
    h->waited = v;

    struct cudaExternalSemaphoreSignalParams sp;
    memset(&sp, 0, sizeof sp);
    sp.params.fence.value = v;
    uint64_t t0 = bench_now_ns();
    cudaError_t e = cudaSignalExternalSemaphoresAsync(&h->cu_sem, &sp, 1, h->stream);
    if (e != cudaSuccess)
        return bench_cuda_fail(err, "cudaSignalExternalSemaphoresAsync", e);
    h->signalled = v;
    uint64_t end = t0 + (uint64_t)h->timeout_ms * 1000000u;
    while ((r = vkGetFenceStatus(h->g.dev, h->fence)) == VK_NOT_READY) {
        if (bench_now_ns() > end)
            return baton_error_set(err, BATON_ERR_TIMEOUT,
                                   "hand-off CUDA -> Vulkan, value %llu: fence not signalled "
                                   "within %u ms", (unsigned long long)v, h->timeout_ms);
    }
    *ns = bench_now_ns() - t0;
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkGetFenceStatus", r);
    h->fence_pending = false;
    if ((r = vkResetFences(h->g.dev, 1, &h->fence)) != VK_SUCCESS)
        return bench_vk_fail(err, "vkResetFences", r);
    return BATON_OK;
}

/* A CUDA stream waits for value v; a Vulkan submission signals it. Returns
 * the time from the submit call to the stream seen idle. */
static baton_status vk_to_cuda(handoff *h, uint64_t v, uint64_t *ns, baton_error *err)
{
    struct cudaExternalSemaphoreWaitParams wp;
    memset(&wp, 0, sizeof wp);
    wp.params.fence.value = v;
    cudaError_t e = cudaWaitExternalSemaphoresAsync(&h->cu_sem, &wp, 1, h->stream);
    if (e != cudaSuccess)
        return bench_cuda_fail(err, "cudaWaitExternalSemaphoresAsync", e);
    h->waited = v;

    VkTimelineSemaphoreSubmitInfo tl = {.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
                                        .signalSemaphoreValueCount = 1,
                                        .pSignalSemaphoreValues = &v};
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = &tl,
                       .signalSemaphoreCount = 1, .pSignalSemaphores = &h->vk_sem};
    uint64_t t0 = bench_now_ns();
    VkResult r = vkQueueSubmit(h->g.queue, 1, &si, h->fence);
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkQueueSubmit(signal)", r);
    h->fence_pending = true;
    h->signalled = v;
    uint64_t end = t0 + (uint64_t)h->timeout_ms * 1000000u;
    while ((e = cudaStreamQuery(h->stream)) == cudaErrorNotReady) {
        if (bench_now_ns() > end)
            return baton_error_set(err, BATON_ERR_TIMEOUT,
                                   "hand-off Vulkan -> CUDA, value %llu: stream wait not done "
                                   "within %u ms", (unsigned long long)v, h->timeout_ms);
    }
    *ns = bench_now_ns() - t0;
    if (e != cudaSuccess)
        return bench_cuda_fail(err, "cudaStreamQuery", e);
    baton_status st = bench_fence_wait(&h->g, h->fence, h->timeout_ms, "hand-off Vulkan -> CUDA",
                                       err);
    if (st != BATON_OK)
        return st;
    h->fence_pending = false;
    if ((r = vkResetFences(h->g.dev, 1, &h->fence)) != VK_SUCCESS)
        return bench_vk_fail(err, "vkResetFences", r);
    return BATON_OK;
}

baton_status bench_run_handoff(bool cuda_to_vulkan, uint32_t iterations, uint32_t warmup,
                               uint32_t timeout_ms, bench_samples *s, bench_result *r,
                               baton_error *err)
{
    handoff h;
    memset(&h, 0, sizeof h);
    h.timeout_ms = timeout_ms;
    uint64_t t0 = bench_now_ns();
    baton_status st = handoff_create(&h, err);
    if (st == BATON_OK) {
        r->startup_ms = (double)(bench_now_ns() - t0) / 1e6;
        r->compute = BATON_COMPUTE_CUDA;
        r->sync = BATON_SYNC_TIMELINE;
        r->slots = 0;
        r->warmup = warmup;
    }
    bench_window w;
    uint64_t total = (uint64_t)warmup + iterations;
    for (uint64_t i = 0; i < total && st == BATON_OK; i++) {
        if (i == warmup)
            bench_window_start(&w);
        uint64_t ns = 0;
        st = cuda_to_vulkan ? cuda_to_vk(&h, i + 1, &ns, err) : vk_to_cuda(&h, i + 1, &ns, err);
        if (st == BATON_OK)
            bench_samples_add(s, i, 0, ns);
    }
    if (st == BATON_OK)
        bench_window_stop(&w, iterations, r);
    handoff_destroy(&h);
    return st;
}
