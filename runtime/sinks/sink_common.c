/* sink_common.c - what every sink needs the same way: an RGBA8 image of
 * its own, per-slot readback buffers, PNG dumps of chosen frames. */
#include <stdio.h>

#include "sinks/dump_writer.h"
#include "sinks/sink_common.h"
#include "core/vk_util.h"
#include "util/fault.h"

baton_status sink_image_create(baton_context *ctx, uint32_t width, uint32_t height,
                               VkFormat format, const char *what, VkImage *image,
                               VkDeviceMemory *memory, baton_error *err)
{
    VkImageCreateInfo ii = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = format,
        .extent = {width, height, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
    };
    VkResult r = BATON_FAULT_VK(vkCreateImage(ctx->device, &ii, NULL, image));
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vkCreateImage(%s) failed: %s", what,
                               baton_vk_result_name(r));
    baton_count_vk(ctx);
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(ctx->device, *image, &req);
    int type = find_memory_type(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type < 0)
        type = find_memory_type(ctx, req.memoryTypeBits, 0);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size, .memoryTypeIndex = (uint32_t)type};
    if ((r = BATON_FAULT_VK(vkAllocateMemory(ctx->device, &ai, NULL, memory))) != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vkAllocateMemory(%s) failed: %s", what,
                               baton_vk_result_name(r));
    baton_count_vk(ctx);
    if ((r = BATON_FAULT_VK(vkBindImageMemory(ctx->device, *image, *memory, 0))) != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vkBindImageMemory(%s) failed: %s", what,
                               baton_vk_result_name(r));
    return BATON_OK;
}

void sink_image_destroy(baton_context *ctx, VkImage *image, VkDeviceMemory *memory)
{
    if (*image)
        BATON_DESTROYED_VK(vkDestroyImage(ctx->device, *image, NULL));
    if (*memory)
        BATON_DESTROYED_VK(vkFreeMemory(ctx->device, *memory, NULL));
    *image = VK_NULL_HANDLE;
    *memory = VK_NULL_HANDLE;
}

baton_status sink_readback_create(sink *sk, baton_error *err)
{
    baton_status st = BATON_OK;
    for (uint32_t s = 0; s < sk->view->slots && sk->readback && st == BATON_OK; s++) {
        frame_slot *sl = &sk->view->slot[s];
        st = host_buffer_create(sk->view->ctx, (VkDeviceSize)sk->view->pitch * sk->view->height,
                                VK_BUFFER_USAGE_TRANSFER_DST_BIT, &sl->readback,
                                &sl->readback_memory, &sl->readback_host, err);
    }
    return st;
}

void sink_readback_destroy(sink *sk)
{
    VkDevice dev = sk->view->ctx->device;
    for (uint32_t s = 0; s < sk->view->slots; s++) {
        frame_slot *sl = &sk->view->slot[s];
        if (sl->readback)
            BATON_DESTROYED_VK(vkDestroyBuffer(dev, sl->readback, NULL));
        if (sl->readback_memory)
            BATON_DESTROYED_VK(vkFreeMemory(dev, sl->readback_memory, NULL));
        sl->readback = VK_NULL_HANDLE;
        sl->readback_memory = VK_NULL_HANDLE;
        sl->readback_host = NULL;
    }
}

VkImageMemoryBarrier sink_image_barrier(VkImage img, VkImageLayout from, VkImageLayout to,
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
    return b;
}

void sink_cmd_image_barrier(VkCommandBuffer cmd, VkImage img, VkImageLayout from, VkImageLayout to,
                            VkAccessFlags src_access, VkAccessFlags dst_access,
                            VkPipelineStageFlags dst_stage)
{
    VkImageMemoryBarrier b = sink_image_barrier(img, from, to, src_access, dst_access);
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, dst_stage, 0, 0, NULL, 0, NULL, 1,
                         &b);
}

baton_status sink_semaphore_create(baton_context *ctx, const char *what, VkSemaphore *out,
                                   baton_error *err)
{
    VkSemaphoreCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkResult r = BATON_FAULT_VK(vkCreateSemaphore(ctx->device, &si, NULL, out));
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN, "vkCreateSemaphore(%s) failed: %s", what,
                               baton_vk_result_name(r));
    baton_count_vk(ctx);
    return BATON_OK;
}

void sink_record_frame_to_image(sink *sk, uint32_t s, VkImage image, bool leave_src,
                                VkCommandBuffer cmd)
{
    frame_slot *sl = &sk->view->slot[s];
    /* earlier copies into and out of the image (any slot's, earlier in
     * submission order) finish before this frame writes it */
    sink_cmd_image_barrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED,
                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                           VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
    VkBufferImageCopy region = {
        .bufferOffset = 0,
        .bufferRowLength = (uint32_t)(sk->view->pitch / 4),
        .bufferImageHeight = sk->view->height,
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .imageExtent = {sk->view->width, sk->view->height, 1},
    };
    vkCmdCopyBufferToImage(cmd, sl->shared.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                           &region);
    if (!leave_src && !sk->readback)
        return;
    sink_cmd_image_barrier(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_ACCESS_TRANSFER_WRITE_BIT,
                           VK_ACCESS_TRANSFER_READ_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
    if (!sk->readback)
        return;
    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, sl->readback, 1,
                           &region);
    sink_readback_to_host(cmd, sl);
}

void sink_readback_to_host(VkCommandBuffer cmd, const frame_slot *sl)
{
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

static bool wants_dump(const sink *sk, uint64_t frame)
{
    for (size_t i = 0; i < sk->dump_count; i++)
        if (sk->dump_frames[i] == frame)
            return true;
    return false;
}

baton_status sink_dump_frame(sink *sk, frame_slot *sl, baton_error *err)
{
    if (!sk->dumper || !sl->readback_host || !wants_dump(sk, sl->frame))
        return BATON_OK;
    return dump_writer_submit(sk->dumper, sl->frame, sl->readback_host, err);
}
