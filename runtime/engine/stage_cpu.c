/* stage_cpu.c - the compute stage without CUDA: the same plan, the
 * conversion done by CPU code, the waits and signals done from the host
 * (vkWaitSemaphores / vkSignalSemaphore on timelines; in binary mode an
 * empty queue submission carries the wait or the signal). */
#include <stdlib.h>
#include <string.h>

#include "frame/convert.h"
#include "engine/pipeline_internal.h"
#include "core/vk_util.h"

baton_status stage_cpu_create(baton_pipeline *p, baton_error *err)
{
    for (uint32_t s = 0; s < p->cfg.slots; s++) {
        slot *sl = &p->slots[s];
        sl->staging = malloc(p->src_bytes);
        if (!sl->staging)
            return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "malloc(%zu) for staging failed",
                                   p->src_bytes);
        if (p->plan.mode == BATON_SYNC_BINARY) {
            VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
            VkResult r = vkCreateFence(p->ctx->device, &fi, NULL, &sl->host_fence);
            if (r != VK_SUCCESS)
                return baton_vk_fail(err, "vkCreateFence", r);
            baton_count_vk(p->ctx);
        }
    }
    return BATON_OK;
}

void stage_cpu_destroy(baton_pipeline *p)
{
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++) {
        slot *sl = &p->slots[s];
        free(sl->staging);
        sl->staging = NULL;
        if (sl->host_fence)
            vkDestroyFence(p->ctx->device, sl->host_fence, NULL);
        sl->host_fence = VK_NULL_HANDLE;
    }
}

static baton_status host_wait(baton_pipeline *p, const baton_op *op, slot *sl, baton_error *err)
{
    VkDevice dev = p->ctx->device;
    VkSemaphore sem = baton_sem_pool_vk(p->pool, p->sem[op->sem]);
    uint64_t timeout = (uint64_t)p->cfg.timeout_ms * 1000000u;
    VkResult r;
    const char *call;
    if (p->plan.mode == BATON_SYNC_TIMELINE) {
        VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                  .semaphoreCount = 1, .pSemaphores = &sem,
                                  .pValues = &op->value};
        call = "vkWaitSemaphores";
        r = vkWaitSemaphores(dev, &wi, timeout);
    } else {
        VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .waitSemaphoreCount = 1,
                           .pWaitSemaphores = &sem, .pWaitDstStageMask = &stage};
        call = "vkQueueSubmit(wait)";
        r = vkResetFences(dev, 1, &sl->host_fence);
        if (r == VK_SUCCESS)
            r = vkQueueSubmit(p->ctx->queue, 1, &si, sl->host_fence);
        if (r == VK_SUCCESS) {
            call = "vkWaitForFences";
            r = vkWaitForFences(dev, 1, &sl->host_fence, VK_TRUE, timeout);
        }
    }
    if (r == VK_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "compute stage (CPU): frame %llu: vk_done not signalled within %u ms",
                               (unsigned long long)op->frame, p->cfg.timeout_ms);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "compute stage (CPU), frame %llu: %s failed: %s",
                               (unsigned long long)op->frame, call, baton_vk_result_name(r));
    return BATON_OK;
}

static baton_status host_signal(baton_pipeline *p, const baton_op *op, baton_error *err)
{
    VkSemaphore sem = baton_sem_pool_vk(p->pool, p->sem[op->sem]);
    VkResult r;
    const char *call;
    if (p->plan.mode == BATON_SYNC_TIMELINE) {
        VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = sem, .value = op->value};
        call = "vkSignalSemaphore";
        r = vkSignalSemaphore(p->ctx->device, &si);
    } else {
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .signalSemaphoreCount = 1,
                           .pSignalSemaphores = &sem};
        call = "vkQueueSubmit(signal)";
        r = vkQueueSubmit(p->ctx->queue, 1, &si, VK_NULL_HANDLE);
    }
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "compute stage (CPU), frame %llu: %s failed: %s",
                               (unsigned long long)op->frame, call, baton_vk_result_name(r));
    return BATON_OK;
}

baton_status stage_cpu_run(baton_pipeline *p, uint64_t n, baton_error *err)
{
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    size_t k = baton_schedule_stage_ops(&p->plan, n, BATON_STAGE_COMPUTE, ops);
    slot *sl = &p->slots[n % p->cfg.slots];
    uint64_t start = baton_now_ns();
    baton_status st = BATON_OK;
    for (size_t i = 0; i < k && st == BATON_OK; i++) {
        if (ops[i].kind == BATON_OP_WAIT) {
            st = host_wait(p, &ops[i], sl, err);
            if (st == BATON_OK)
                pipeline_trace(p, &ops[i]);
            continue;
        }
        /* the slot is ours: convert, run the application's work, signal */
        st = baton_convert_cpu(p->cfg.format, sl->staging, p->cfg.width, p->cfg.height,
                               sl->shared.host, p->pitch, err);
        if (st == BATON_OK && p->cfg.cpu_work)
            st = p->cfg.cpu_work(p->cfg.work_user, sl->shared.host, p->pitch, p->cfg.width,
                                 p->cfg.height, n, err);
        if (st != BATON_OK || n >= p->stall_from)
            break;
        st = host_signal(p, &ops[i], err);
        if (st == BATON_OK) {
            pipeline_trace(p, &ops[i]);
            p->compute_signalled = ops[i].value;
        }
    }
    sl->compute_end_ns = baton_now_ns();
    baton_trace_record_span(p->trace, n, BATON_STAGE_COMPUTE, start, sl->compute_end_ns);
    return st;
}
