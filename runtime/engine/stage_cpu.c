/* stage_cpu.c - the compute stage without CUDA: the same plan, the
 * conversion done by CPU code, the waits and signals done from the host
 * (vkWaitSemaphores / vkSignalSemaphore on timelines; in binary mode an
 * empty queue submission carries the wait or the signal). */
#include <stdlib.h>
#include <string.h>

#include "core/vk_util.h"
#include "engine/compute_stage.h"
#include "frame/convert.h"
#include "util/fault.h"

typedef struct cpu_stage {
    compute_stage base;
    VkFence host_fence[BATON_SLOTS_MAX]; /* binary mode: the host's wait on vk_done */
} cpu_stage;

static void cpu_destroy(compute_stage *cs)
{
    if (!cs)
        return;
    cpu_stage *c = (cpu_stage *)cs;
    const frame_view *v = cs->view;
    for (uint32_t s = 0; s < v->slots; s++) {
        free(v->slot[s].staging);
        v->slot[s].staging = NULL;
        if (c->host_fence[s])
            BATON_DESTROYED_VK(vkDestroyFence(v->ctx->device, c->host_fence[s], NULL));
    }
    free(c);
}

static baton_status cpu_create_slot(cpu_stage *c, uint32_t s, baton_error *err)
{
    const frame_view *v = c->base.view;
    /* page-aligned: a camera may capture straight into it (V4L2 USERPTR) */
    size_t page = 4096, bytes = (v->src_bytes + page - 1) / page * page;
    v->slot[s].staging = BATON_FAULT_PTR(aligned_alloc(page, bytes));
    if (!v->slot[s].staging)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "aligned_alloc(%zu) for staging failed",
                               bytes);
    if (v->plan->mode != BATON_SYNC_BINARY)
        return BATON_OK;
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkResult r = BATON_FAULT_VK(vkCreateFence(v->ctx->device, &fi, NULL, &c->host_fence[s]));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateFence", r);
    baton_count_vk(v->ctx);
    return BATON_OK;
}

static baton_status cpu_create(const frame_view *view, const compute_config *cfg,
                               compute_stage **out, baton_error *err)
{
    cpu_stage *c = BATON_FAULT_PTR(calloc(1, sizeof *c));
    if (!c)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(CPU stage) failed");
    c->base = (compute_stage){.ops = &compute_stage_cpu, .view = view, .cfg = *cfg};
    baton_status st = BATON_OK;
    for (uint32_t s = 0; s < view->slots && st == BATON_OK; s++)
        st = cpu_create_slot(c, s, err);
    if (st != BATON_OK) {
        cpu_destroy(&c->base);
        return st;
    }
    *out = &c->base;
    return BATON_OK;
}

static baton_status host_wait(cpu_stage *c, const baton_op *op, uint32_t s, baton_error *err)
{
    const frame_view *v = c->base.view;
    VkDevice dev = v->ctx->device;
    VkSemaphore sem = v->sem[op->sem].vk;
    uint64_t timeout = (uint64_t)v->timeout_ms * 1000000u;
    VkResult r;
    const char *call;
    if (v->plan->mode == BATON_SYNC_TIMELINE) {
        VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                  .semaphoreCount = 1, .pSemaphores = &sem,
                                  .pValues = &op->value};
        call = "vkWaitSemaphores";
        r = BATON_FAULT_VK_WAIT(vkWaitSemaphores(dev, &wi, timeout));
    } else {
        VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .waitSemaphoreCount = 1,
                           .pWaitSemaphores = &sem, .pWaitDstStageMask = &stage};
        call = "vkResetFences";
        r = BATON_FAULT_VK(vkResetFences(dev, 1, &c->host_fence[s]));
        if (r == VK_SUCCESS) {
            call = "vkQueueSubmit(wait)";
            r = baton_queue_submit(v->ctx, 1, &si, c->host_fence[s]);
        }
        if (r == VK_SUCCESS) {
            call = "vkWaitForFences";
            r = BATON_FAULT_VK_WAIT(vkWaitForFences(dev, 1, &c->host_fence[s], VK_TRUE, timeout));
        }
    }
    if (r == VK_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "compute stage (CPU): frame %llu: vk_done not signalled within %u ms",
                               (unsigned long long)op->frame, v->timeout_ms);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "compute stage (CPU), frame %llu: %s failed: %s",
                               (unsigned long long)op->frame, call, baton_vk_result_name(r));
    return BATON_OK;
}

static baton_status host_signal(cpu_stage *c, const baton_op *op, baton_error *err)
{
    const frame_view *v = c->base.view;
    VkSemaphore sem = v->sem[op->sem].vk;
    VkResult r;
    const char *call;
    if (v->plan->mode == BATON_SYNC_TIMELINE) {
        VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = sem, .value = op->value};
        call = "vkSignalSemaphore";
        r = BATON_FAULT_VK(vkSignalSemaphore(v->ctx->device, &si));
    } else {
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .signalSemaphoreCount = 1,
                           .pSignalSemaphores = &sem};
        call = "vkQueueSubmit(signal)";
        r = baton_queue_submit(v->ctx, 1, &si, VK_NULL_HANDLE);
    }
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "compute stage (CPU), frame %llu: %s failed: %s",
                               (unsigned long long)op->frame, call, baton_vk_result_name(r));
    return BATON_OK;
}

/* The slot is ours: convert, then the application's work. */
static baton_status cpu_convert(cpu_stage *c, frame_slot *sl, uint64_t n, baton_error *err)
{
    const frame_view *v = c->base.view;
    baton_status st = baton_convert_cpu(v->format, sl->staging, v->width, v->height,
                                        sl->shared.host, v->pitch, err);
    if (st == BATON_OK && c->base.cfg.cpu)
        st = c->base.cfg.cpu(c->base.cfg.user, sl->shared.host, v->pitch, v->width, v->height,
                             n, err);
    return st;
}

static baton_status cpu_run(compute_stage *cs, uint64_t n, bool stall, baton_error *err)
{
    cpu_stage *c = (cpu_stage *)cs;
    const frame_view *v = cs->view;
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    size_t k = baton_schedule_stage_ops(v->plan, n, BATON_STAGE_COMPUTE, ops);
    uint32_t s = (uint32_t)(n % v->slots);
    frame_slot *sl = &v->slot[s];
    uint64_t start = baton_now_ns();
    baton_status st = BATON_OK;
    for (size_t i = 0; i < k && st == BATON_OK; i++) {
        if (ops[i].kind == BATON_OP_WAIT) {
            /* relayed: the pipeline saw the slot's fence before calling us */
            if (cs->cfg.to_compute == BATON_HANDOFF_GPU)
                st = host_wait(c, &ops[i], s, err);
            if (st == BATON_OK)
                frame_view_trace(v, &ops[i]);
            continue;
        }
        st = cpu_convert(c, sl, n, err);
        if (st != BATON_OK || stall)
            break;
        /* relayed: the frame is finished now, and the Vulkan stage is
         * submitted after this returns, waiting on nothing */
        if (cs->cfg.to_vulkan == BATON_HANDOFF_GPU)
            st = host_signal(c, &ops[i], err);
        if (st == BATON_OK) {
            frame_view_trace(v, &ops[i]);
            cs->signalled = ops[i].value;
        }
    }
    sl->compute_end_ns = baton_now_ns();
    baton_trace_record_span(v->trace, n, BATON_STAGE_COMPUTE, start, sl->compute_end_ns);
    return st;
}

/* The CPU stage's work is finished when run() returns. */
static baton_status cpu_wait_done(compute_stage *cs, uint64_t n, uint64_t deadline_ns,
                                  baton_error *err)
{
    (void)cs;
    (void)n;
    (void)deadline_ns;
    (void)err;
    return BATON_OK;
}

/* The CPU stage's spans are recorded as it runs: nothing on a GPU to ask. */
static uint64_t cpu_gpu_ns(compute_stage *cs, uint32_t s)
{
    (void)cs;
    (void)s;
    return 0;
}

/* Everything the CPU stage does is finished when run() returns. */
static bool cpu_quiesce(compute_stage *cs, uint64_t timeout_ns)
{
    (void)cs;
    (void)timeout_ns;
    return true;
}

const compute_stage_ops compute_stage_cpu = {
    .name = "CPU",
    .create = cpu_create,
    .run = cpu_run,
    .wait_done = cpu_wait_done,
    .gpu_ns = cpu_gpu_ns,
    .quiesce = cpu_quiesce,
    .destroy = cpu_destroy,
};
