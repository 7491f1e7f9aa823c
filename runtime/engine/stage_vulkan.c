/* stage_vulkan.c - the Vulkan stage: one command buffer per slot recorded at
 * creation, submitted each frame with the plan's wait and signal. */
#include <string.h>

#include "engine/pipeline_internal.h"
#include "core/vk_util.h"

static void shared_ownership(baton_pipeline *p, uint32_t s, VkCommandBuffer cmd, bool acquire)
{
    /* Memory written by CUDA comes from the external queue family and goes
     * back to it after the copy. The CPU stage's memory is ours throughout. */
    if (!baton_caps_needs_export(p->ctx->compute))
        return;
    VkBufferMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
        .srcAccessMask = acquire ? 0 : VK_ACCESS_TRANSFER_READ_BIT,
        .dstAccessMask = acquire ? VK_ACCESS_TRANSFER_READ_BIT : 0,
        .srcQueueFamilyIndex = acquire ? VK_QUEUE_FAMILY_EXTERNAL : p->ctx->queue_family,
        .dstQueueFamilyIndex = acquire ? p->ctx->queue_family : VK_QUEUE_FAMILY_EXTERNAL,
        .buffer = p->slots[s].shared.buffer,
        .offset = 0,
        .size = VK_WHOLE_SIZE,
    };
    vkCmdPipelineBarrier(cmd,
                         acquire ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT : VK_PIPELINE_STAGE_TRANSFER_BIT,
                         acquire ? VK_PIPELINE_STAGE_TRANSFER_BIT : VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                         0, 0, NULL, 1, &b, 0, NULL);
}

static baton_status record_slot(baton_pipeline *p, uint32_t s, uint32_t t, baton_error *err)
{
    VkCommandBuffer cmd = p->slots[s].cmds[t];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult r = vkBeginCommandBuffer(cmd, &bi);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkBeginCommandBuffer", r);
    if (p->queries) {
        vkCmdResetQueryPool(cmd, p->queries, 2 * s, 2);
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, p->queries, 2 * s);
    }
    shared_ownership(p, s, cmd, true);
    p->sink->record(p, s, t, cmd);
    shared_ownership(p, s, cmd, false);
    if (p->queries)
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, p->queries, 2 * s + 1);
    if ((r = vkEndCommandBuffer(cmd)) != VK_SUCCESS)
        return baton_vk_fail(err, "vkEndCommandBuffer", r);
    return BATON_OK;
}

static baton_status create_fence(baton_context *ctx, VkFence *f, baton_error *err)
{
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkResult r = vkCreateFence(ctx->device, &fi, NULL, f);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateFence", r);
    baton_count_vk(ctx);
    return BATON_OK;
}

baton_status stage_vulkan_create(baton_pipeline *p, baton_error *err)
{
    baton_context *ctx = p->ctx;
    VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .queueFamilyIndex = ctx->queue_family};
    VkResult r = vkCreateCommandPool(ctx->device, &pi, NULL, &p->cmd_pool);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateCommandPool", r);
    baton_count_vk(ctx);
    /* GPU timestamps per slot. Not on CPU implementations: they measure
     * nothing there, and lavapipe's vkGetQueryPoolResults (Mesa 22.3) waits
     * for every submission using the pool even without WAIT_BIT, which
     * would serialise the pipeline and hang retirement behind a stall. */
    if (ctx->timestamp_bits > 0 && !ctx->cpu_device) {
        VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                    .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                    .queryCount = 2 * p->cfg.slots};
        if ((r = vkCreateQueryPool(ctx->device, &qi, NULL, &p->queries)) != VK_SUCCESS)
            return baton_vk_fail(err, "vkCreateQueryPool", r);
        baton_count_vk(ctx);
    }
    uint32_t targets = p->sink->target_count(p);
    if (targets == 0 || targets > SINK_MAX_TARGETS)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED, "sink %s has %u images (1..%u supported)",
                               p->sink->scheme, targets, SINK_MAX_TARGETS);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = p->cmd_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = targets};
    for (uint32_t s = 0; s < p->cfg.slots; s++) {
        if ((r = vkAllocateCommandBuffers(ctx->device, &ai, p->slots[s].cmds)) != VK_SUCCESS)
            return baton_vk_fail(err, "vkAllocateCommandBuffers", r);
        baton_count_vk(ctx);
        baton_status st = create_fence(ctx, &p->slots[s].fence, err);
        for (uint32_t t = 0; t < targets && st == BATON_OK; t++)
            st = record_slot(p, s, t, err);
        if (st != BATON_OK)
            return st;
    }
    return BATON_OK;
}

void stage_vulkan_destroy(baton_pipeline *p)
{
    VkDevice dev = p->ctx->device;
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++) {
        if (p->slots[s].fence)
            vkDestroyFence(dev, p->slots[s].fence, NULL);
        p->slots[s].fence = VK_NULL_HANDLE;
        memset(p->slots[s].cmds, 0, sizeof p->slots[s].cmds);
    }
    if (p->queries)
        vkDestroyQueryPool(dev, p->queries, NULL);
    if (p->cmd_pool)
        vkDestroyCommandPool(dev, p->cmd_pool, NULL); /* frees the command buffers */
    p->queries = VK_NULL_HANDLE;
    p->cmd_pool = VK_NULL_HANDLE;
}

baton_status stage_vulkan_submit(baton_pipeline *p, uint64_t n, baton_error *err)
{
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    size_t k = baton_schedule_stage_ops(&p->plan, n, BATON_STAGE_VULKAN, ops);
    const baton_op *wait = NULL, *signal = NULL;
    for (size_t i = 0; i < k; i++)
        *(ops[i].kind == BATON_OP_WAIT ? &wait : &signal) = &ops[i];
    slot *sl = &p->slots[n % p->cfg.slots];
    /* the plan's wait and signal first; a swapchain sink may add its own */
    uint32_t target = 0;
    VkSemaphore wsem[2] = {baton_sem_pool_vk(p->pool, p->sem[wait->sem]), VK_NULL_HANDLE};
    VkSemaphore ssem[2] = {baton_sem_pool_vk(p->pool, p->sem[signal->sem]), VK_NULL_HANDLE};
    if (p->sink->acquire) {
        baton_status st = p->sink->acquire(p, sl, &target, &wsem[1], &ssem[1], err);
        if (st != BATON_OK)
            return st;
    }
    uint32_t nw = wsem[1] ? 2 : 1, ns = ssem[1] ? 2 : 1;
    VkPipelineStageFlags stage[2] = {VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                                     VK_PIPELINE_STAGE_TRANSFER_BIT};
    uint64_t wval[2] = {wait->value, 0}, sval[2] = {signal->value, 0};
    VkTimelineSemaphoreSubmitInfo tl = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = nw, .pWaitSemaphoreValues = wval,
        .signalSemaphoreValueCount = ns, .pSignalSemaphoreValues = sval,
    };
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .pNext = p->plan.mode == BATON_SYNC_TIMELINE ? &tl : NULL,
        .waitSemaphoreCount = nw, .pWaitSemaphores = wsem, .pWaitDstStageMask = stage,
        .commandBufferCount = 1, .pCommandBuffers = &sl->cmds[target],
        .signalSemaphoreCount = ns, .pSignalSemaphores = ssem,
    };
    VkResult r = vkResetFences(p->ctx->device, 1, &sl->fence);
    if (r == VK_SUCCESS)
        r = vkQueueSubmit(p->ctx->queue, 1, &si, sl->fence);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vulkan stage, frame %llu: vkQueueSubmit failed: %s",
                               (unsigned long long)n, baton_vk_result_name(r));
    sl->submit_ns = baton_now_ns();
    pipeline_trace(p, wait);
    pipeline_trace(p, signal);
    if (wait->value > p->max_wait_compute)
        p->max_wait_compute = wait->value;
    return p->sink->submitted ? p->sink->submitted(p, sl, target, err) : BATON_OK;
}

baton_status stage_vulkan_wait(baton_pipeline *p, slot *sl, baton_error *err)
{
    VkResult r = vkWaitForFences(p->ctx->device, 1, &sl->fence, VK_TRUE,
                                 (uint64_t)p->cfg.timeout_ms * 1000000u);
    if (r == VK_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "vulkan stage: frame %llu (slot %u) not done within %u ms "
                               "(is the compute stage signalling?)",
                               (unsigned long long)sl->frame, (unsigned)(sl - p->slots),
                               p->cfg.timeout_ms);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vulkan stage, frame %llu: vkWaitForFences failed: %s",
                               (unsigned long long)sl->frame, baton_vk_result_name(r));
    if (!sl->done_ns)
        sl->done_ns = baton_now_ns();
    return BATON_OK;
}

uint64_t stage_vulkan_gpu_ns(baton_pipeline *p, uint32_t s)
{
    uint64_t t[2];
    if (!p->queries ||
        vkGetQueryPoolResults(p->ctx->device, p->queries, 2 * s, 2, sizeof t, t, sizeof t[0],
                              VK_QUERY_RESULT_64_BIT) != VK_SUCCESS ||
        t[1] < t[0])
        return 0;
    return (uint64_t)((double)(t[1] - t[0]) * p->ctx->timestamp_period_ns);
}
