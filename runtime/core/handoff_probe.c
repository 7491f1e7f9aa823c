/* handoff_probe.c - time the GPU and the relayed hand-off, each direction
 * (see handoff_probe.h and baton/pipeline.h for what the modes are).
 *
 * Each round trip starts when the producer's signal is issued and ends when
 * the host has seen the consumer's work finish, with the waits the pipeline
 * uses (vkWaitForFences for Vulkan, baton_cuda_event_wait for CUDA):
 *   to Vulkan, GPU:   CUDA signals the exported semaphore; a submission
 *                     waits on it; the fence is waited for.
 *   to Vulkan, relay: CUDA records an event; the host waits for it, then
 *                     submits (no semaphore) and waits for the fence.
 *   to compute, GPU:  a submission signals the exported semaphore; CUDA
 *                     waits on it, then records an event, which is waited for.
 *   to compute, relay: a submission (no semaphore); its fence is waited
 *                     for; CUDA records an event, which is waited for. */
#include "core/handoff_probe.h"

#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "baton/interop.h"
#include "baton/sem_pool.h"
#include "core/context_internal.h"
#include "core/cuda_wait.h"
#include "core/vk_util.h"
#include "util/fault.h"

#define ROUND_TRIPS 100u
#define WARMUP 10u
#define WAIT_NS 1000000000u

typedef struct probe {
    baton_context *ctx;
    bool timeline;
    baton_sem_pool *pool;
    VkSemaphore vk;                 /* one exported semaphore, both directions */
    cudaExternalSemaphore_t cuda;
    uint64_t value;                 /* the timeline's last value */
    cudaStream_t stream;
    cudaEvent_t event;
    VkFence fence;
} probe;

static baton_status cuda_fail(baton_error *err, const char *call, cudaError_t e)
{
    return baton_error_set(err, BATON_ERR_CUDA, "hand-off probe: %s failed: %s", call,
                           cudaGetErrorName(e));
}

static baton_status probe_create(probe *p, baton_error *err)
{
    baton_sem_pool_config pc = {p->timeline ? 0 : 1, p->timeline ? 1 : 0};
    uint32_t index = 0;
    baton_status st = baton_sem_pool_create(p->ctx, &pc, &p->pool, err);
    if (st == BATON_OK)
        st = baton_sem_pool_acquire(p->pool, p->timeline ? BATON_SEM_TIMELINE : BATON_SEM_BINARY,
                                    &index, err);
    if (st != BATON_OK)
        return st;
    p->vk = baton_sem_pool_vk(p->pool, index);
    p->cuda = baton_sem_pool_cuda(p->pool, index);
    cudaError_t e = BATON_FAULT_CUDA(cudaStreamCreateWithFlags(&p->stream, cudaStreamNonBlocking));
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaStreamCreateWithFlags", e);
    if ((e = BATON_FAULT_CUDA(cudaEventCreateWithFlags(&p->event, cudaEventDisableTiming))) != cudaSuccess)
        return cuda_fail(err, "cudaEventCreateWithFlags", e);
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkResult r = BATON_FAULT_VK(vkCreateFence(p->ctx->device, &fi, NULL, &p->fence));
    return r == VK_SUCCESS ? BATON_OK : baton_vk_fail(err, "hand-off probe: vkCreateFence", r);
}

/* Leaves nothing waiting: called after every round trip finished or after
 * a failure, when the device is given up on anyway. */
static void probe_destroy(probe *p)
{
    if (p->fence) {
        vkWaitForFences(p->ctx->device, 1, &p->fence, VK_TRUE, WAIT_NS);
        vkDestroyFence(p->ctx->device, p->fence, NULL);
    }
    if (p->stream) {
        uint64_t end = baton_now_ns() + WAIT_NS;
        while (BATON_FAULT_CUDA(cudaStreamQuery(p->stream)) == cudaErrorNotReady && baton_now_ns() < end)
            ;
        cudaStreamDestroy(p->stream);
    }
    if (p->event)
        cudaEventDestroy(p->event);
    baton_sem_pool_destroy(p->pool);
}

/* One submission: waiting on and/or signalling the exported semaphore at
 * p->value, with the fence. */
static baton_status submit(probe *p, bool wait, bool signal, baton_error *err)
{
    VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    VkTimelineSemaphoreSubmitInfo tl = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = wait ? 1 : 0, .pWaitSemaphoreValues = &p->value,
        .signalSemaphoreValueCount = signal ? 1 : 0, .pSignalSemaphoreValues = &p->value};
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .pNext = p->timeline ? &tl : NULL,
                       .waitSemaphoreCount = wait ? 1 : 0, .pWaitSemaphores = &p->vk,
                       .pWaitDstStageMask = &stage,
                       .signalSemaphoreCount = signal ? 1 : 0, .pSignalSemaphores = &p->vk};
    VkResult r = BATON_FAULT_VK(vkResetFences(p->ctx->device, 1, &p->fence));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "hand-off probe: vkResetFences", r);
    r = baton_queue_submit(p->ctx, 1, &si, p->fence);
    return r == VK_SUCCESS ? BATON_OK : baton_vk_fail(err, "hand-off probe: vkQueueSubmit", r);
}

static baton_status fence_wait(probe *p, baton_error *err)
{
    VkResult r = BATON_FAULT_VK_WAIT(vkWaitForFences(p->ctx->device, 1, &p->fence, VK_TRUE, WAIT_NS));
    if (r == VK_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT, "hand-off probe: fence not signalled within 1 s");
    return r == VK_SUCCESS ? BATON_OK : baton_vk_fail(err, "hand-off probe: vkWaitForFences", r);
}

static baton_status event_wait(probe *p, baton_error *err)
{
    cudaError_t e = BATON_FAULT_CUDA(cudaEventRecord(p->event, p->stream));
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaEventRecord", e);
    e = baton_cuda_event_wait(p->event, baton_now_ns() + WAIT_NS, 0);
    if (e == cudaErrorNotReady)
        return baton_error_set(err, BATON_ERR_TIMEOUT, "hand-off probe: CUDA event not done within 1 s");
    return e == cudaSuccess ? BATON_OK : cuda_fail(err, "cudaEventQuery", e);
}

static baton_status cuda_semaphore(probe *p, bool wait, baton_error *err)
{
    cudaError_t e;
    if (wait) {
        struct cudaExternalSemaphoreWaitParams w;
        memset(&w, 0, sizeof w);
        w.params.fence.value = p->value;
        e = BATON_FAULT_CUDA(cudaWaitExternalSemaphoresAsync(&p->cuda, &w, 1, p->stream));
    } else {
        struct cudaExternalSemaphoreSignalParams s;
        memset(&s, 0, sizeof s);
        s.params.fence.value = p->value;
        e = BATON_FAULT_CUDA(cudaSignalExternalSemaphoresAsync(&p->cuda, &s, 1, p->stream));
    }
    if (e != cudaSuccess)
        return cuda_fail(err, wait ? "cudaWaitExternalSemaphoresAsync"
                                   : "cudaSignalExternalSemaphoresAsync", e);
    return BATON_OK;
}

typedef enum trip { TO_VULKAN_GPU, TO_VULKAN_RELAY, TO_COMPUTE_GPU, TO_COMPUTE_RELAY } trip;

/* One round trip of kind t; *ns from the producer's signal to done seen. */
static baton_status round_trip(probe *p, trip t, uint64_t *ns, baton_error *err)
{
    p->value += p->timeline ? 1 : 0;
    baton_status st = BATON_OK;
    uint64_t t0 = 0;
    switch (t) {
    case TO_VULKAN_GPU: /* signal first, as the pipeline orders them */
        t0 = baton_now_ns();
        st = cuda_semaphore(p, false, err);
        if (st == BATON_OK)
            st = submit(p, true, false, err);
        if (st == BATON_OK)
            st = fence_wait(p, err);
        break;
    case TO_VULKAN_RELAY:
        t0 = baton_now_ns();
        st = event_wait(p, err);
        if (st == BATON_OK)
            st = submit(p, false, false, err);
        if (st == BATON_OK)
            st = fence_wait(p, err);
        break;
    case TO_COMPUTE_GPU:
        t0 = baton_now_ns();
        st = submit(p, false, true, err);
        if (st == BATON_OK)
            st = cuda_semaphore(p, true, err);
        if (st == BATON_OK)
            st = event_wait(p, err);
        if (st == BATON_OK) {
            *ns = baton_now_ns() - t0;
            return fence_wait(p, err);
        }
        break;
    case TO_COMPUTE_RELAY:
        t0 = baton_now_ns();
        st = submit(p, false, false, err);
        if (st == BATON_OK)
            st = fence_wait(p, err);
        if (st == BATON_OK)
            st = event_wait(p, err);
        break;
    }
    *ns = baton_now_ns() - t0;
    return st;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static baton_status median(probe *p, trip t, uint64_t *out, baton_error *err)
{
    uint64_t ns[ROUND_TRIPS];
    baton_status st = BATON_OK;
    for (uint32_t i = 0; i < WARMUP + ROUND_TRIPS && st == BATON_OK; i++) {
        uint64_t one = 0;
        st = round_trip(p, t, &one, err);
        if (i >= WARMUP)
            ns[i - WARMUP] = one;
    }
    if (st != BATON_OK)
        return st;
    qsort(ns, ROUND_TRIPS, sizeof ns[0], cmp_u64);
    *out = ns[ROUND_TRIPS / 2];
    return BATON_OK;
}

baton_status baton_handoff_measure(baton_context *ctx, baton_handoff_report *out, baton_error *err)
{
    memset(out, 0, sizeof *out);
    out->to_vulkan = out->to_compute = BATON_HANDOFF_RELAY;
    if (ctx->compute != BATON_COMPUTE_CUDA)
        return BATON_OK;
    probe p = {.ctx = ctx, .timeline = ctx->sync == BATON_SYNC_TIMELINE};
    baton_thread_timer_slack();
    baton_status st = probe_create(&p, err);
    if (st == BATON_OK)
        st = median(&p, TO_VULKAN_GPU, &out->to_vulkan_gpu_ns, err);
    if (st == BATON_OK)
        st = median(&p, TO_VULKAN_RELAY, &out->to_vulkan_relay_ns, err);
    if (st == BATON_OK)
        st = median(&p, TO_COMPUTE_GPU, &out->to_compute_gpu_ns, err);
    if (st == BATON_OK)
        st = median(&p, TO_COMPUTE_RELAY, &out->to_compute_relay_ns, err);
    probe_destroy(&p);
    if (st != BATON_OK)
        return st;
    out->measured = true;
    out->round_trips = ROUND_TRIPS;
    out->to_vulkan = out->to_vulkan_relay_ns < out->to_vulkan_gpu_ns ? BATON_HANDOFF_RELAY
                                                                      : BATON_HANDOFF_GPU;
    out->to_compute = out->to_compute_relay_ns < out->to_compute_gpu_ns ? BATON_HANDOFF_RELAY
                                                                         : BATON_HANDOFF_GPU;
    return BATON_OK;
}
