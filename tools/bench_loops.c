/* bench_loops.c - the two baselines baton is measured against, written
 * straight against the public and interop API:
 *
 * host-synchronised loop: the common naive design, every step ordered by
 *   the host. One frame buffer; per frame the host fills the source
 *   (saturated), uploads and converts it (CUDA), waits for the stream,
 *   submits the recorded copy with a fence and waits for the fence. Nothing
 *   overlaps, and no semaphore is shared between the APIs.
 *
 * raw loop: the per-frame sequence of runtime/pipeline.c in timeline mode at
 *   S = 2 with GPU hand-offs both ways (the same source fill, upload,
 *   conversion, semaphore operations, recorded copy, fence per slot and
 *   completion wait), with none of the runtime around it: no trace, NVTX,
 *   statistics, GPU timestamps, callbacks, threads or error plumbing. What
 *   baton's timeline S = 2 gpu/gpu row costs more than this loop is the
 *   runtime's overhead.
 *
 * Paced workloads: see bench_loops.h (sleep until the due time, which is
 * the capture time; replayed frames). */
#include <string.h>

#define BATON_WANT_CUDA 1
#include "frame/convert.h"
#include "baton/interop.h"
#include "sources/pattern.h"
#include "bench_gpu.h"
#include "bench_loops.h"

/* ---- shared set-up ---- */

static baton_status open_context(baton_sync_mode sync, baton_context **ctx, bench_gpu *g,
                                 baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.sync = sync;
    baton_status st = baton_context_create(&cc, ctx, err);
    if (st == BATON_OK)
        st = bench_gpu_init(g, *ctx, err);
    return st;
}

/* Upload (unless zero copy) and convert on the stream: what baton's CUDA
 * stage enqueues between its wait and its signal. */
static baton_status cuda_convert(const bench_gpu *g, const bench_workload *wl, size_t src_bytes,
                                 bench_staging *stg, bench_frame_mem *mem, cudaStream_t stream,
                                 baton_error *err)
{
    cudaError_t e;
    if (!g->zero_copy &&
        (e = cudaMemcpyAsync(stg->device, stg->host, src_bytes, cudaMemcpyHostToDevice, stream)) !=
            cudaSuccess)
        return bench_cuda_fail(err, "cudaMemcpyAsync(upload)", e);
    e = baton_convert_cuda(wl->format, stg->device, wl->width, wl->height, mem->device,
                           (size_t)wl->width * 4, stream);
    if (e != cudaSuccess)
        return bench_cuda_fail(err, "baton_convert_cuda", e);
    return BATON_OK;
}

/* ---- host-synchronised loop ---- */

typedef struct host_sync {
    baton_context *ctx;
    bench_gpu g;
    bench_frame_mem mem;
    bench_staging staging;
    bench_target target;
    VkCommandPool cmd_pool;
    VkCommandBuffer cmd;
    VkFence fence;
    cudaStream_t stream;
    bool pending; /* a submission may still run */
    uint64_t start_ns; /* paced: frame i is due at start_ns + i / fps */
} host_sync;

static baton_status host_sync_create(host_sync *h, const bench_workload *wl, baton_error *err)
{
    size_t src_bytes = baton_format_frame_size(wl->format, wl->width, wl->height);
    VkDeviceSize bytes = (VkDeviceSize)wl->width * 4 * wl->height;
    baton_status st = open_context(BATON_SYNC_AUTO, &h->ctx, &h->g, err);
    if (st == BATON_OK)
        st = bench_frame_mem_create(&h->g, bytes, &h->mem, err);
    if (st == BATON_OK)
        st = bench_staging_create(&h->g, src_bytes, &h->staging, err);
    if (st == BATON_OK)
        st = bench_target_create(&h->g, wl->width, wl->height, &h->target, err);
    if (st == BATON_OK)
        st = bench_commands_create(&h->g, 1, &h->cmd_pool, &h->cmd, err);
    if (st == BATON_OK)
        st = bench_record_copy(&h->g, h->cmd, h->mem.buffer, &h->target, wl->width, wl->height,
                               err);
    if (st == BATON_OK)
        st = bench_fence_create(&h->g, &h->fence, err);
    if (st == BATON_OK && h->g.cuda) {
        cudaError_t e = cudaStreamCreateWithFlags(&h->stream, cudaStreamNonBlocking);
        if (e != cudaSuccess) {
            h->stream = NULL;
            st = bench_cuda_fail(err, "cudaStreamCreateWithFlags", e);
        }
    }
    return st;
}

static void host_sync_destroy(host_sync *h, uint32_t timeout_ms)
{
    if (!h->ctx)
        return;
    bool idle = true;
    if (h->pending && bench_fence_wait(&h->g, h->fence, timeout_ms, "teardown", NULL) != BATON_OK)
        idle = false;
    if (h->stream && bench_stream_idle(h->stream, timeout_ms, "teardown", NULL) != BATON_OK)
        idle = false;
    if (!idle)
        return; /* the GPU may still use these objects: leaking beats a crash */
    if (h->stream)
        cudaStreamDestroy(h->stream);
    if (h->fence)
        vkDestroyFence(h->g.dev, h->fence, NULL);
    if (h->cmd_pool)
        vkDestroyCommandPool(h->g.dev, h->cmd_pool, NULL);
    bench_target_destroy(&h->g, &h->target);
    bench_staging_destroy(&h->staging);
    bench_frame_mem_destroy(&h->g, &h->mem);
    baton_context_destroy(h->ctx);
}

static baton_status host_sync_frame(host_sync *h, const bench_params *p, uint64_t n,
                                    bench_samples *s, baton_error *err)
{
    const bench_workload *wl = p->wl;
    size_t src_bytes = baton_format_frame_size(wl->format, wl->width, wl->height);
    uint64_t capture;
    if (wl->fps > 0) { /* a replayed frame, due now */
        capture = h->start_ns + bench_due_offset_ns(wl->fps, n);
        bench_sleep_until(capture);
    } else {
        baton_pattern_fill(wl->format, wl->width, wl->height, n, h->staging.host);
        capture = bench_now_ns();
    }
    baton_status st;
    if (h->g.cuda) {
        st = cuda_convert(&h->g, wl, src_bytes, &h->staging, &h->mem, h->stream, err);
        if (st != BATON_OK)
            return st;
        /* The stream holds only the copy and the kernel (no semaphore wait),
         * so this returns unless the GPU itself hangs. */
        cudaError_t e = cudaStreamSynchronize(h->stream);
        if (e != cudaSuccess)
            return bench_cuda_fail(err, "cudaStreamSynchronize", e);
    } else {
        st = baton_convert_cpu(wl->format, h->staging.host, wl->width, wl->height, h->mem.host,
                               (size_t)wl->width * 4, err);
        if (st != BATON_OK)
            return st;
    }
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1, .pCommandBuffers = &h->cmd};
    VkResult r = vkResetFences(h->g.dev, 1, &h->fence);
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkResetFences", r);
    if ((r = vkQueueSubmit(h->g.queue, 1, &si, h->fence)) != VK_SUCCESS)
        return bench_vk_fail(err, "vkQueueSubmit", r);
    h->pending = true;
    st = bench_fence_wait(&h->g, h->fence, p->timeout_ms, "host-synchronised loop", err);
    if (st != BATON_OK)
        return st;
    h->pending = false;
    bench_samples_add(s, n, capture, bench_now_ns());
    return BATON_OK;
}

baton_status bench_run_host_sync(const bench_params *p, bench_samples *s, bench_result *r,
                                 baton_error *err)
{
    host_sync h;
    memset(&h, 0, sizeof h);
    uint64_t t0 = bench_now_ns();
    baton_status st = host_sync_create(&h, p->wl, err);
    if (st == BATON_OK) {
        r->startup_ms = (double)(bench_now_ns() - t0) / 1e6;
        r->compute = baton_context_compute(h.ctx);
        r->sync = BATON_SYNC_AUTO; /* no semaphores: host waits only */
        r->slots = 1;
        r->to_vulkan = r->to_compute = BATON_HANDOFF_AUTO; /* none: the host orders */
        r->warmup = p->warmup;
        if (p->wl->fps > 0) /* the replay: prepared once */
            baton_pattern_fill(p->wl->format, p->wl->width, p->wl->height, 0, h.staging.host);
        h.start_ns = bench_now_ns();
    }
    bench_window w;
    uint64_t total = p->warmup + p->frames;
    for (uint64_t n = 0; n < total && st == BATON_OK; n++) {
        if (n == p->warmup)
            bench_window_start(&w);
        st = host_sync_frame(&h, p, n, s, err);
    }
    if (st == BATON_OK)
        bench_window_stop(&w, p->frames, r);
    host_sync_destroy(&h, p->timeout_ms);
    return st;
}

/* ---- raw loop ---- */

typedef struct raw_slot {
    bench_frame_mem mem;
    bench_staging staging;
    VkCommandBuffer cmd;
    VkFence fence;
    bool in_flight;
    uint64_t frame, capture_ns, done_ns;
} raw_slot;

typedef struct raw_loop {
    baton_context *ctx;
    bench_gpu g;
    const bench_workload *wl;
    size_t src_bytes;
    uint32_t timeout_ms;
    baton_sem_pool *pool;
    VkSemaphore compute_done, vk_done; /* timelines, both start at 0 */
    cudaExternalSemaphore_t cu_compute_done, cu_vk_done;
    bench_target target;
    VkCommandPool cmd_pool;
    cudaStream_t stream;
    raw_slot slots[BENCH_RAW_SLOTS];
    uint64_t compute_signalled; /* highest compute_done value signalled (or enqueued) */
    uint64_t max_wait_compute;  /* highest compute_done value a Vulkan submission waits for */
    uint64_t start_ns;          /* paced: frame i is due at start_ns + i / fps */
} raw_loop;

static baton_status raw_semaphores(raw_loop *L, baton_error *err)
{
    baton_sem_pool_config pc = {.binary_count = 0, .timeline_count = 2};
    uint32_t idx[2];
    baton_status st = baton_sem_pool_create(L->ctx, &pc, &L->pool, err);
    for (int i = 0; i < 2 && st == BATON_OK; i++)
        st = baton_sem_pool_acquire(L->pool, BATON_SEM_TIMELINE, &idx[i], err);
    if (st != BATON_OK)
        return st;
    L->compute_done = baton_sem_pool_vk(L->pool, idx[0]);
    L->vk_done = baton_sem_pool_vk(L->pool, idx[1]);
    if (!L->g.cuda)
        return BATON_OK;
    L->cu_compute_done = baton_sem_pool_cuda(L->pool, idx[0]);
    L->cu_vk_done = baton_sem_pool_cuda(L->pool, idx[1]);
    if (!L->cu_compute_done || !L->cu_vk_done)
        return baton_error_set(err, BATON_ERR_STATE, "semaphore pool is not shared with CUDA");
    return BATON_OK;
}

static baton_status raw_create(raw_loop *L, baton_error *err)
{
    const bench_workload *wl = L->wl;
    VkDeviceSize bytes = (VkDeviceSize)wl->width * 4 * wl->height;
    baton_status st = open_context(BATON_SYNC_TIMELINE, &L->ctx, &L->g, err);
    if (st == BATON_OK)
        st = raw_semaphores(L, err);
    for (uint32_t i = 0; i < BENCH_RAW_SLOTS && st == BATON_OK; i++) {
        st = bench_frame_mem_create(&L->g, bytes, &L->slots[i].mem, err);
        if (st == BATON_OK)
            st = bench_staging_create(&L->g, L->src_bytes, &L->slots[i].staging, err);
    }
    if (st == BATON_OK)
        st = bench_target_create(&L->g, wl->width, wl->height, &L->target, err);
    VkCommandBuffer cmds[BENCH_RAW_SLOTS];
    if (st == BATON_OK)
        st = bench_commands_create(&L->g, BENCH_RAW_SLOTS, &L->cmd_pool, cmds, err);
    for (uint32_t i = 0; i < BENCH_RAW_SLOTS && st == BATON_OK; i++) {
        L->slots[i].cmd = cmds[i];
        st = bench_record_copy(&L->g, cmds[i], L->slots[i].mem.buffer, &L->target, wl->width,
                               wl->height, err);
        if (st == BATON_OK)
            st = bench_fence_create(&L->g, &L->slots[i].fence, err);
    }
    if (st == BATON_OK && L->g.cuda) {
        cudaError_t e = cudaStreamCreateWithFlags(&L->stream, cudaStreamNonBlocking);
        if (e != cudaSuccess) {
            L->stream = NULL;
            st = bench_cuda_fail(err, "cudaStreamCreateWithFlags", e);
        }
    }
    return st;
}

static void raw_destroy(raw_loop *L)
{
    if (!L->ctx)
        return;
    bool idle = true;
    if (L->pool && L->compute_signalled < L->max_wait_compute &&
        bench_host_signal(&L->g, L->compute_done, L->max_wait_compute) != VK_SUCCESS)
        idle = false; /* a submitted Vulkan wait nothing will satisfy */
    for (uint32_t i = 0; i < BENCH_RAW_SLOTS; i++)
        if (L->slots[i].in_flight &&
            bench_fence_wait(&L->g, L->slots[i].fence, L->timeout_ms, "teardown", NULL) != BATON_OK)
            idle = false;
    if (L->stream && bench_stream_idle(L->stream, L->timeout_ms, "teardown", NULL) != BATON_OK)
        idle = false;
    /* the queue may still be finishing the last submission's semaphore
     * signal after its fence (lavapipe's queue thread does) */
    if (idle && vkQueueWaitIdle(L->g.queue) != VK_SUCCESS)
        idle = false;
    if (!idle)
        return; /* the GPU may still use these objects: leaking beats a crash */
    if (L->stream)
        cudaStreamDestroy(L->stream);
    for (uint32_t i = 0; i < BENCH_RAW_SLOTS; i++) {
        raw_slot *sl = &L->slots[i];
        if (sl->fence)
            vkDestroyFence(L->g.dev, sl->fence, NULL);
        bench_staging_destroy(&sl->staging);
        bench_frame_mem_destroy(&L->g, &sl->mem);
    }
    if (L->cmd_pool)
        vkDestroyCommandPool(L->g.dev, L->cmd_pool, NULL);
    bench_target_destroy(&L->g, &L->target);
    baton_sem_pool_destroy(L->pool);
    baton_context_destroy(L->ctx);
}

/* The slot's frame is done on the Vulkan queue: wait (bounded), record. */
static baton_status raw_retire(raw_loop *L, raw_slot *sl, bench_samples *s, baton_error *err)
{
    baton_status st = bench_fence_wait(&L->g, sl->fence, L->timeout_ms, "raw loop", err);
    if (st != BATON_OK)
        return st;
    if (!sl->done_ns)
        sl->done_ns = bench_now_ns();
    bench_samples_add(s, sl->frame, sl->capture_ns, sl->done_ns);
    sl->in_flight = false;
    return BATON_OK;
}

/* Compute stage of frame n, CUDA: wait for Vulkan to release the slot
 * (n >= S), upload, convert, signal compute_done = n + 1. */
static baton_status raw_compute_cuda(raw_loop *L, raw_slot *sl, uint64_t n, baton_error *err)
{
    cudaError_t e;
    if (n >= BENCH_RAW_SLOTS) {
        struct cudaExternalSemaphoreWaitParams wp;
        memset(&wp, 0, sizeof wp);
        wp.params.fence.value = n - BENCH_RAW_SLOTS + 1;
        if ((e = cudaWaitExternalSemaphoresAsync(&L->cu_vk_done, &wp, 1, L->stream)) != cudaSuccess)
            return bench_cuda_fail(err, "cudaWaitExternalSemaphoresAsync", e);
    }
    baton_status st = cuda_convert(&L->g, L->wl, L->src_bytes, &sl->staging, &sl->mem, L->stream,
                                   err);
    if (st != BATON_OK)
        return st;
    struct cudaExternalSemaphoreSignalParams sp;
    memset(&sp, 0, sizeof sp);
    sp.params.fence.value = n + 1;
    if ((e = cudaSignalExternalSemaphoresAsync(&L->cu_compute_done, &sp, 1, L->stream)) !=
        cudaSuccess)
        return bench_cuda_fail(err, "cudaSignalExternalSemaphoresAsync", e);
    L->compute_signalled = n + 1;
    return BATON_OK;
}

/* The same on the host (baton's CPU stage in timeline mode). */
static baton_status raw_compute_cpu(raw_loop *L, raw_slot *sl, uint64_t n, baton_error *err)
{
    VkResult r;
    if (n >= BENCH_RAW_SLOTS) {
        uint64_t v = n - BENCH_RAW_SLOTS + 1;
        VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                  .semaphoreCount = 1, .pSemaphores = &L->vk_done, .pValues = &v};
        if ((r = vkWaitSemaphores(L->g.dev, &wi, (uint64_t)L->timeout_ms * 1000000u)) != VK_SUCCESS)
            return bench_vk_fail(err, "vkWaitSemaphores(vk_done)", r);
    }
    baton_status st = baton_convert_cpu(L->wl->format, sl->staging.host, L->wl->width,
                                        L->wl->height, sl->mem.host, (size_t)L->wl->width * 4, err);
    if (st != BATON_OK)
        return st;
    if ((r = bench_host_signal(&L->g, L->compute_done, n + 1)) != VK_SUCCESS)
        return bench_vk_fail(err, "vkSignalSemaphore(compute_done)", r);
    L->compute_signalled = n + 1;
    return BATON_OK;
}

/* Vulkan stage of frame n: wait compute_done >= n + 1, copy, signal
 * vk_done = n + 1 and the slot's fence. */
static baton_status raw_submit(raw_loop *L, raw_slot *sl, uint64_t n, baton_error *err)
{
    uint64_t wait_value = n + 1, signal_value = n + 1;
    VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT;
    VkTimelineSemaphoreSubmitInfo tl = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1, .pWaitSemaphoreValues = &wait_value,
        .signalSemaphoreValueCount = 1, .pSignalSemaphoreValues = &signal_value,
    };
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = &tl,
        .waitSemaphoreCount = 1, .pWaitSemaphores = &L->compute_done, .pWaitDstStageMask = &stage,
        .commandBufferCount = 1, .pCommandBuffers = &sl->cmd,
        .signalSemaphoreCount = 1, .pSignalSemaphores = &L->vk_done,
    };
    VkResult r = vkResetFences(L->g.dev, 1, &sl->fence);
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkResetFences", r);
    if ((r = vkQueueSubmit(L->g.queue, 1, &si, sl->fence)) != VK_SUCCESS)
        return bench_vk_fail(err, "vkQueueSubmit", r);
    sl->in_flight = true;
    if (wait_value > L->max_wait_compute)
        L->max_wait_compute = wait_value;
    return BATON_OK;
}

/* Paced: until frame n is due, wait for the frames in flight, oldest
 * first, and note each as done the moment its fence signals. */
static baton_status raw_collect(raw_loop *L, uint64_t n, uint64_t due_ns, baton_error *err)
{
    for (uint64_t k = n > BENCH_RAW_SLOTS ? n - BENCH_RAW_SLOTS : 0; k < n; k++) {
        raw_slot *o = &L->slots[k % BENCH_RAW_SLOTS];
        if (!o->in_flight || o->frame != k || o->done_ns)
            continue;
        uint64_t now = bench_now_ns();
        if (now >= due_ns)
            return BATON_OK;
        VkResult r = vkWaitForFences(L->g.dev, 1, &o->fence, VK_TRUE, due_ns - now);
        if (r == VK_TIMEOUT)
            return BATON_OK; /* still running when the next frame is due */
        if (r != VK_SUCCESS)
            return bench_vk_fail(err, "vkWaitForFences", r);
        o->done_ns = bench_now_ns();
    }
    return BATON_OK;
}

/* Saturated: note frames already done, as the pipeline used to between
 * frames, so that the latency is measured alike. */
static void raw_poll_done(raw_loop *L)
{
    for (uint32_t i = 0; i < BENCH_RAW_SLOTS; i++) {
        raw_slot *o = &L->slots[i];
        if (o->in_flight && !o->done_ns && vkGetFenceStatus(L->g.dev, o->fence) == VK_SUCCESS)
            o->done_ns = bench_now_ns();
    }
}

static baton_status raw_frame(raw_loop *L, uint64_t n, bench_samples *s, baton_error *err)
{
    raw_slot *sl = &L->slots[n % BENCH_RAW_SLOTS];
    double fps = L->wl->fps;
    baton_status st = BATON_OK;
    uint64_t capture = 0;
    if (fps > 0) {
        capture = L->start_ns + bench_due_offset_ns(fps, n);
        if ((st = raw_collect(L, n, capture, err)) != BATON_OK)
            return st;
        bench_sleep_until(capture);
    }
    if (sl->in_flight && (st = raw_retire(L, sl, s, err)) != BATON_OK)
        return st;
    if (fps <= 0) {
        baton_pattern_fill(L->wl->format, L->wl->width, L->wl->height, n, sl->staging.host);
        capture = bench_now_ns();
    }
    sl->frame = n;
    sl->capture_ns = capture;
    sl->done_ns = 0;
    st = L->g.cuda ? raw_compute_cuda(L, sl, n, err) : raw_compute_cpu(L, sl, n, err);
    if (st == BATON_OK)
        st = raw_submit(L, sl, n, err);
    if (st == BATON_OK && fps <= 0)
        raw_poll_done(L);
    return st;
}

baton_status bench_run_raw(const bench_params *p, bench_samples *s, bench_result *r,
                           baton_error *err)
{
    raw_loop L;
    memset(&L, 0, sizeof L);
    L.wl = p->wl;
    L.src_bytes = baton_format_frame_size(p->wl->format, p->wl->width, p->wl->height);
    L.timeout_ms = p->timeout_ms;
    uint64_t t0 = bench_now_ns();
    baton_status st = raw_create(&L, err);
    if (st == BATON_OK) {
        r->startup_ms = (double)(bench_now_ns() - t0) / 1e6;
        r->compute = baton_context_compute(L.ctx);
        r->sync = BATON_SYNC_TIMELINE;
        r->slots = BENCH_RAW_SLOTS;
        r->to_vulkan = r->to_compute = BATON_HANDOFF_GPU;
        r->warmup = p->warmup;
        for (uint32_t i = 0; p->wl->fps > 0 && i < BENCH_RAW_SLOTS; i++) /* the replay */
            baton_pattern_fill(p->wl->format, p->wl->width, p->wl->height, i,
                               L.slots[i].staging.host);
        L.start_ns = bench_now_ns();
    }
    bench_window w;
    uint64_t total = p->warmup + p->frames, n = 0;
    for (; n < total && st == BATON_OK; n++) {
        if (n == p->warmup)
            bench_window_start(&w);
        st = raw_frame(&L, n, s, err);
    }
    /* drain: the last S frames, oldest first */
    for (uint64_t k = total > BENCH_RAW_SLOTS ? total - BENCH_RAW_SLOTS : 0; k < total && st == BATON_OK;
         k++) {
        raw_slot *sl = &L.slots[k % BENCH_RAW_SLOTS];
        if (sl->in_flight)
            st = raw_retire(&L, sl, s, err);
    }
    if (st == BATON_OK) {
        bench_window_stop(&w, p->frames, r);
        if (s->count != p->frames)
            st = baton_error_set(err, BATON_ERR_MISMATCH, "raw loop measured %zu of %llu frames",
                                 s->count, (unsigned long long)p->frames);
    }
    raw_destroy(&L);
    return st;
}
