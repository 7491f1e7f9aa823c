/* sink_headless.c - the offscreen display: a target image the Vulkan stage
 * copies each frame into, optional readback to host memory, PNG dumps. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <stdlib.h>

#include "baton/png.h"
#include "pipeline_internal.h"
#include "vk_util.h"

typedef struct headless {
    VkImage target;
    VkDeviceMemory memory;
} headless;

static baton_status headless_create(baton_pipeline *p, const char *arg, baton_error *err)
{
    baton_context *ctx = p->ctx;
    if (*arg)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "sink 'headless' takes no argument, got '%s'", arg);
    headless *h = calloc(1, sizeof *h);
    if (!h)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(headless sink) failed");
    p->sink_state = h;
    VkImageCreateInfo ii = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = VK_FORMAT_R8G8B8A8_UNORM,
        .extent = {p->cfg.width, p->cfg.height, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
    };
    VkResult r = vkCreateImage(ctx->device, &ii, NULL, &h->target);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateImage(headless target)", r);
    baton_count_vk(ctx);
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(ctx->device, h->target, &req);
    int type = find_memory_type(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type < 0)
        type = find_memory_type(ctx, req.memoryTypeBits, 0);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size, .memoryTypeIndex = (uint32_t)type};
    if ((r = vkAllocateMemory(ctx->device, &ai, NULL, &h->memory)) != VK_SUCCESS)
        return baton_vk_fail(err, "vkAllocateMemory(headless target)", r);
    baton_count_vk(ctx);
    if ((r = vkBindImageMemory(ctx->device, h->target, h->memory, 0)) != VK_SUCCESS)
        return baton_vk_fail(err, "vkBindImageMemory", r);
    for (uint32_t s = 0; s < p->cfg.slots && p->cfg.readback; s++) {
        slot *sl = &p->slots[s];
        baton_status st = host_buffer_create(ctx, (VkDeviceSize)p->pitch * p->cfg.height,
                                             VK_BUFFER_USAGE_TRANSFER_DST_BIT, &sl->readback,
                                             &sl->readback_memory, &sl->readback_host, err);
        if (st != BATON_OK)
            return st;
    }
    return BATON_OK;
}

static void headless_destroy(baton_pipeline *p)
{
    VkDevice dev = p->ctx->device;
    headless *h = p->sink_state;
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++) {
        slot *sl = &p->slots[s];
        if (sl->readback)
            vkDestroyBuffer(dev, sl->readback, NULL);
        if (sl->readback_memory)
            vkFreeMemory(dev, sl->readback_memory, NULL);
        sl->readback = VK_NULL_HANDLE;
        sl->readback_memory = VK_NULL_HANDLE;
        sl->readback_host = NULL;
    }
    if (h && h->target)
        vkDestroyImage(dev, h->target, NULL);
    if (h && h->memory)
        vkFreeMemory(dev, h->memory, NULL);
    free(h);
    p->sink_state = NULL;
}

static uint32_t headless_targets(const baton_pipeline *p)
{
    (void)p;
    return 1;
}

static void image_barrier(VkCommandBuffer cmd, VkImage img, VkImageLayout from, VkImageLayout to,
                          VkAccessFlags src_access, VkAccessFlags dst_access)
{
    VkImageMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
        .srcAccessMask = src_access,
        .dstAccessMask = dst_access,
        .oldLayout = from,
        .newLayout = to,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .image = img,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1},
    };
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                         NULL, 0, NULL, 1, &b);
}

static void headless_record(baton_pipeline *p, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    (void)t;
    slot *sl = &p->slots[s];
    headless *h = p->sink_state;
    /* The previous frame's copies (any slot) finish before this one writes:
     * the barrier's first scope is everything earlier on the queue. */
    image_barrier(cmd, h->target, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT);
    VkBufferImageCopy region = {
        .bufferOffset = 0,
        .bufferRowLength = (uint32_t)(p->pitch / 4),
        .bufferImageHeight = p->cfg.height,
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .imageExtent = {p->cfg.width, p->cfg.height, 1},
    };
    vkCmdCopyBufferToImage(cmd, sl->shared.buffer, h->target, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           1, &region);
    if (!p->cfg.readback)
        return;
    image_barrier(cmd, h->target, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT);
    vkCmdCopyImageToBuffer(cmd, h->target, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, sl->readback, 1,
                           &region);
    VkBufferMemoryBarrier hb = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .buffer = sl->readback,
        .offset = 0,
        .size = VK_WHOLE_SIZE,
    };
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL,
                         1, &hb, 0, NULL);
}

static bool wants_dump(const baton_pipeline *p, uint64_t frame)
{
    for (size_t i = 0; i < p->cfg.dump_count; i++)
        if (p->cfg.dump_frames[i] == frame)
            return true;
    return false;
}

static baton_status headless_done(baton_pipeline *p, slot *sl, baton_error *err)
{
    if (p->cfg.sink_delay_us) {
        struct timespec ts = {.tv_sec = p->cfg.sink_delay_us / 1000000u,
                              .tv_nsec = (long)(p->cfg.sink_delay_us % 1000000u) * 1000};
        nanosleep(&ts, NULL);
    }
    if (p->cfg.dump_dir && sl->readback_host && wants_dump(p, sl->frame)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/frame-%06llu.png", p->cfg.dump_dir,
                 (unsigned long long)sl->frame);
        baton_status st = baton_png_write_rgba(path, sl->readback_host, p->cfg.width,
                                               p->cfg.height, p->pitch, err);
        if (st != BATON_OK)
            return st;
        p->stats.dumps_written++;
    }
    return BATON_OK;
}

const sink_ops sink_headless_ops = {
    .scheme = "headless",
    .usage = "headless",
    .create = headless_create,
    .destroy = headless_destroy,
    .target_count = headless_targets,
    .record = headless_record,
    .done = headless_done,
};
