/* stage_vulkan.c - the Vulkan stage: one command buffer per (slot, target)
 * recorded at creation, submitted each frame with the plan's wait and signal. */
#include <stdlib.h>
#include <string.h>

#include "core/vk_util.h"
#include "engine/stage_vulkan.h"
#include "util/fault.h"

struct vulkan_stage {
    const frame_view *view;
    sink *sink;
    VkCommandPool cmd_pool;
    VkQueryPool queries;      /* 2 timestamps per slot; VK_NULL_HANDLE if unsupported */
    VkCommandBuffer cmds[BATON_SLOTS_MAX][SINK_MAX_TARGETS]; /* recorded once */
    baton_handoff_mode to_vulkan, to_compute;
    bool pending[BATON_SLOTS_MAX]; /* the slot's fence waits for a submission (a reset
                                      fence whose submission failed never signals) */
    uint64_t max_wait_compute;/* highest compute_done value a submitted wait needs */
    uint64_t went_out;        /* the last frame whose submission went out, plus one */
    bool calibrated;          /* GPU timestamps map to CLOCK_MONOTONIC */
    uint64_t cal_ticks, cal_host_ns; /* one simultaneous reading of both clocks */
    uint64_t ticks_mask;      /* the timestamps' valid bits */
};

#define RECALIBRATE_NS 1000000000u /* the clocks drift apart by a few ppm */

static void shared_ownership(const vulkan_stage *vs, uint32_t s, VkCommandBuffer cmd, bool acquire)
{
    /* Memory written by CUDA comes from the external queue family and goes
     * back to it after the copy. The CPU stage's memory is ours throughout. */
    const baton_context *ctx = vs->view->ctx;
    if (!baton_caps_needs_export(ctx->compute))
        return;
    VkBufferMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
        .srcAccessMask = acquire ? 0 : VK_ACCESS_TRANSFER_READ_BIT,
        .dstAccessMask = acquire ? VK_ACCESS_TRANSFER_READ_BIT : 0,
        .srcQueueFamilyIndex = acquire ? VK_QUEUE_FAMILY_EXTERNAL : ctx->queue_family,
        .dstQueueFamilyIndex = acquire ? ctx->queue_family : VK_QUEUE_FAMILY_EXTERNAL,
        .buffer = vs->view->slot[s].shared.buffer,
        .offset = 0,
        .size = VK_WHOLE_SIZE,
    };
    vkCmdPipelineBarrier(cmd,
                         acquire ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT : VK_PIPELINE_STAGE_TRANSFER_BIT,
                         acquire ? VK_PIPELINE_STAGE_TRANSFER_BIT : VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                         0, 0, NULL, 1, &b, 0, NULL);
}

static baton_status record_slot(vulkan_stage *vs, uint32_t s, uint32_t t, baton_error *err)
{
    VkCommandBuffer cmd = vs->cmds[s][t];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult r = BATON_FAULT_VK(vkBeginCommandBuffer(cmd, &bi));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkBeginCommandBuffer", r);
    if (vs->queries) {
        vkCmdResetQueryPool(cmd, vs->queries, 2 * s, 2);
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, vs->queries, 2 * s);
    }
    shared_ownership(vs, s, cmd, true);
    vs->sink->ops->record(vs->sink, s, t, cmd);
    shared_ownership(vs, s, cmd, false);
    if (vs->queries)
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, vs->queries, 2 * s + 1);
    if ((r = BATON_FAULT_VK(vkEndCommandBuffer(cmd))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkEndCommandBuffer", r);
    return BATON_OK;
}

/* Created signalled: a slot that never ran counts as finished. */
static baton_status create_fence(baton_context *ctx, VkFence *f, baton_error *err)
{
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
                            .flags = VK_FENCE_CREATE_SIGNALED_BIT};
    VkResult r = BATON_FAULT_VK(vkCreateFence(ctx->device, &fi, NULL, f));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateFence", r);
    baton_count_vk(ctx);
    return BATON_OK;
}

static baton_status create_pools(vulkan_stage *vs, baton_error *err)
{
    baton_context *ctx = vs->view->ctx;
    VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .queueFamilyIndex = ctx->queue_family};
    VkResult r = BATON_FAULT_VK(vkCreateCommandPool(ctx->device, &pi, NULL, &vs->cmd_pool));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateCommandPool", r);
    baton_count_vk(ctx);
    /* GPU timestamps per slot. Not on CPU implementations: they measure
     * nothing there, and lavapipe's vkGetQueryPoolResults (Mesa 22.3) waits
     * for every submission using the pool even without WAIT_BIT, which
     * would serialise the pipeline and hang retirement behind a stall. */
    if (ctx->timestamp_bits == 0 || ctx->cpu_device)
        return BATON_OK;
    VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                .queryCount = 2 * vs->view->slots};
    if ((r = BATON_FAULT_VK(vkCreateQueryPool(ctx->device, &qi, NULL, &vs->queries))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateQueryPool", r);
    baton_count_vk(ctx);
    return BATON_OK;
}

static baton_status create_slot(vulkan_stage *vs, uint32_t s, uint32_t targets, baton_error *err)
{
    baton_context *ctx = vs->view->ctx;
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = vs->cmd_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = targets};
    VkResult r = BATON_FAULT_VK(vkAllocateCommandBuffers(ctx->device, &ai, vs->cmds[s]));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkAllocateCommandBuffers", r);
    baton_count_vk_owned(ctx);
    baton_status st = create_fence(ctx, &vs->view->slot[s].fence, err);
    for (uint32_t t = 0; t < targets && st == BATON_OK; t++)
        st = record_slot(vs, s, t, err);
    return st;
}

baton_status vulkan_stage_create(const frame_view *view, sink *sk, baton_handoff_mode to_vulkan,
                                 baton_handoff_mode to_compute, vulkan_stage **out,
                                 baton_error *err)
{
    vulkan_stage *vs = BATON_FAULT_PTR(calloc(1, sizeof *vs));
    if (!vs)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(Vulkan stage) failed");
    vs->view = view;
    vs->sink = sk;
    vs->to_vulkan = to_vulkan;
    vs->to_compute = to_compute;
    uint32_t bits = view->ctx->timestamp_bits;
    vs->ticks_mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    baton_status st = create_pools(vs, err);
    uint32_t targets = st == BATON_OK ? sk->ops->target_count(sk) : 0;
    if (st == BATON_OK && (targets == 0 || targets > SINK_MAX_TARGETS))
        st = baton_error_set(err, BATON_ERR_UNSUPPORTED, "sink %s has %u images (1..%u supported)",
                             sk->ops->scheme, targets, SINK_MAX_TARGETS);
    for (uint32_t s = 0; s < view->slots && st == BATON_OK; s++)
        st = create_slot(vs, s, targets, err);
    if (st == BATON_OK && vs->queries)
        vs->calibrated = baton_context_calibrate(view->ctx, &vs->cal_ticks, &vs->cal_host_ns);
    if (st != BATON_OK) {
        vulkan_stage_destroy(vs);
        return st;
    }
    *out = vs;
    return BATON_OK;
}

void vulkan_stage_destroy(vulkan_stage *vs)
{
    if (!vs)
        return;
    VkDevice dev = vs->view->ctx->device;
    for (uint32_t s = 0; s < vs->view->slots; s++) {
        if (vs->view->slot[s].fence)
            BATON_DESTROYED_VK(vkDestroyFence(dev, vs->view->slot[s].fence, NULL));
        vs->view->slot[s].fence = VK_NULL_HANDLE;
    }
    if (vs->queries)
        BATON_DESTROYED_VK(vkDestroyQueryPool(dev, vs->queries, NULL));
    if (vs->cmd_pool)
        BATON_DESTROYED_VK(vkDestroyCommandPool(dev, vs->cmd_pool, NULL)); /* frees the command buffers */
    free(vs);
}

baton_status vulkan_stage_submit(vulkan_stage *vs, uint64_t n, baton_error *err)
{
    const frame_view *v = vs->view;
    sink *sk = vs->sink;
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    size_t k = baton_schedule_stage_ops(v->plan, n, BATON_STAGE_VULKAN, ops);
    const baton_op *wait = NULL, *signal = NULL;
    for (size_t i = 0; i < k; i++)
        *(ops[i].kind == BATON_OP_WAIT ? &wait : &signal) = &ops[i];
    uint32_t s = (uint32_t)(n % v->slots);
    frame_slot *sl = &v->slot[s];
    /* the plan's wait and signal where they are the GPU's (relayed ones are
     * the host's); a swapchain sink may add its own */
    uint32_t target = 0, nw = 0, ns = 0;
    VkSemaphore wsem[2], ssem[2];
    uint64_t wval[2] = {0, 0}, sval[2] = {0, 0};
    if (vs->to_vulkan == BATON_HANDOFF_GPU) {
        wval[nw] = wait->value;
        wsem[nw++] = v->sem[wait->sem].vk;
    }
    if (vs->to_compute == BATON_HANDOFF_GPU) {
        sval[ns] = signal->value;
        ssem[ns++] = v->sem[signal->sem].vk;
    }
    if (sk->ops->acquire) {
        VkSemaphore sw = VK_NULL_HANDLE, ss = VK_NULL_HANDLE;
        baton_status st = sk->ops->acquire(sk, sl, &target, &sw, &ss, err);
        if (st != BATON_OK)
            return st;
        if (sw)
            wsem[nw++] = sw;
        if (ss)
            ssem[ns++] = ss;
    }
    VkPipelineStageFlags stage[2] = {VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                                     VK_PIPELINE_STAGE_TRANSFER_BIT};
    VkTimelineSemaphoreSubmitInfo tl = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = nw, .pWaitSemaphoreValues = wval,
        .signalSemaphoreValueCount = ns, .pSignalSemaphoreValues = sval,
    };
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .pNext = v->plan->mode == BATON_SYNC_TIMELINE ? &tl : NULL,
        .waitSemaphoreCount = nw, .pWaitSemaphores = wsem, .pWaitDstStageMask = stage,
        .commandBufferCount = 1, .pCommandBuffers = &vs->cmds[s][target],
        .signalSemaphoreCount = ns, .pSignalSemaphores = ssem,
    };
    const char *call = "vkResetFences";
    vs->pending[s] = false; /* a reset fence signals only if the submission goes out */
    VkResult r = BATON_FAULT_VK(vkResetFences(v->ctx->device, 1, &sl->fence));
    if (r == VK_SUCCESS) {
        call = "vkQueueSubmit";
        r = baton_queue_submit(v->ctx, 1, &si, sl->fence);
    }
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vulkan stage, frame %llu: %s failed: %s",
                               (unsigned long long)n, call, baton_vk_result_name(r));
    vs->pending[s] = true;
    vs->went_out = n + 1;
    sl->submit_ns = baton_now_ns();
    frame_view_trace(v, wait);
    frame_view_trace(v, signal);
    if (vs->to_vulkan == BATON_HANDOFF_GPU && wait->value > vs->max_wait_compute)
        vs->max_wait_compute = wait->value;
    return sk->ops->submitted ? sk->ops->submitted(sk, sl, target, err) : BATON_OK;
}

baton_status vulkan_stage_wait(vulkan_stage *vs, uint32_t s, baton_error *err)
{
    const frame_view *v = vs->view;
    frame_slot *sl = &v->slot[s];
    VkResult r = BATON_FAULT_VK_WAIT(vkWaitForFences(v->ctx->device, 1, &sl->fence, VK_TRUE,
                                 (uint64_t)v->timeout_ms * 1000000u));
    if (r == VK_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "vulkan stage: frame %llu (slot %u) not done within %u ms "
                               "(is the compute stage signalling?)",
                               (unsigned long long)sl->frame, s, v->timeout_ms);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vulkan stage, frame %llu: vkWaitForFences failed: %s",
                               (unsigned long long)sl->frame, baton_vk_result_name(r));
    return BATON_OK;
}

bool vulkan_stage_quiesce(vulkan_stage *vs, uint64_t timeout_ns)
{
    const frame_view *v = vs->view;
    bool idle = true;
    for (uint32_t s = 0; s < v->slots; s++)
        if (vs->pending[s] && !baton_fence_settled(v->ctx, v->slot[s].fence, timeout_ns))
            idle = false;
    return idle;
}

bool vulkan_stage_finished(const vulkan_stage *vs, uint32_t s)
{
    return BATON_FAULT_VK(vkGetFenceStatus(vs->view->ctx->device, vs->view->slot[s].fence)) == VK_SUCCESS;
}

/* Ticks since the calibration point, as a signed count within the valid bits. */
static int64_t ticks_since(const vulkan_stage *vs, uint64_t ticks)
{
    uint64_t d = (ticks - vs->cal_ticks) & vs->ticks_mask;
    return d > vs->ticks_mask / 2 ? -(int64_t)((vs->ticks_mask - d) + 1) : (int64_t)d;
}

void vulkan_stage_gpu_times(vulkan_stage *vs, uint32_t s, uint64_t *duration_ns, uint64_t *end_ns)
{
    *duration_ns = *end_ns = 0;
    uint64_t t[2];
    const baton_context *ctx = vs->view->ctx;
    if (!vs->queries ||
        BATON_FAULT_VK(vkGetQueryPoolResults(ctx->device, vs->queries, 2 * s, 2, sizeof t, t,
                                             sizeof t[0], VK_QUERY_RESULT_64_BIT)) != VK_SUCCESS)
        return;
    double period = ctx->timestamp_period_ns;
    uint64_t span = (t[1] - t[0]) & vs->ticks_mask;
    if (span <= vs->ticks_mask / 2)
        *duration_ns = (uint64_t)((double)span * period);
    if (!vs->calibrated)
        return;
    uint64_t now = baton_now_ns();
    if (now - vs->cal_host_ns > RECALIBRATE_NS)
        baton_context_calibrate(ctx, &vs->cal_ticks, &vs->cal_host_ns);
    double host = (double)vs->cal_host_ns + (double)ticks_since(vs, t[1]) * period;
    *end_ns = host > 0 ? (uint64_t)host : 0;
}

bool vulkan_stage_calibrated(const vulkan_stage *vs) { return vs->calibrated; }

uint64_t vulkan_stage_max_wait(const vulkan_stage *vs) { return vs->max_wait_compute; }

bool vulkan_stage_went_out(const vulkan_stage *vs, uint64_t n) { return vs->went_out == n + 1; }
