/* sink_common.h - what every sink needs the same way: an RGBA8 image of its
 * own, per-slot readback buffers, barriers, PNG dumps of chosen frames. */
#ifndef BATON_SINK_COMMON_H
#define BATON_SINK_COMMON_H

#include <stdbool.h>

#include <vulkan/vulkan.h>

#include "sinks/sink.h"

/* A device-local RGBA-sized image (TRANSFER_SRC | TRANSFER_DST, optimal
 * tiling) with its memory; `what` names it in errors. */
baton_status sink_image_create(baton_context *ctx, uint32_t width, uint32_t height,
                               VkFormat format, const char *what, VkImage *image,
                               VkDeviceMemory *memory, baton_error *err);
void sink_image_destroy(baton_context *ctx, VkImage *image, VkDeviceMemory *memory);
/* Per-slot host-visible readback buffers when sk->readback is on. */
baton_status sink_readback_create(sink *sk, baton_error *err);
void sink_readback_destroy(sink *sk);
/* A colour image's layout transition (whole image, no queue transfer). */
VkImageMemoryBarrier sink_image_barrier(VkImage img, VkImageLayout from, VkImageLayout to,
                                        VkAccessFlags src_access, VkAccessFlags dst_access);
/* Record that transition alone, after the transfer stage of everything
 * earlier in submission order, before dst_stage. */
void sink_cmd_image_barrier(VkCommandBuffer cmd, VkImage img, VkImageLayout from, VkImageLayout to,
                            VkAccessFlags src_access, VkAccessFlags dst_access,
                            VkPipelineStageFlags dst_stage);
/* A binary semaphore for a sink (counted as a Vulkan object); `what` names
 * the sink in errors. */
baton_status sink_semaphore_create(baton_context *ctx, const char *what, VkSemaphore *out,
                                   baton_error *err);
/* Record slot s's frame (its shared buffer) copied into image (RGBA8, the
 * frame's size): the image's earlier reads and writes finish first; then,
 * when leave_src or sk->readback, the image goes to TRANSFER_SRC_OPTIMAL,
 * and with readback it is copied into the slot's readback buffer, made
 * visible to the host. */
void sink_record_frame_to_image(sink *sk, uint32_t s, VkImage image, bool leave_src,
                                VkCommandBuffer cmd);
/* Record the barrier that makes the slot's readback copy visible to the host. */
void sink_readback_to_host(VkCommandBuffer cmd, const frame_slot *sl);
/* Hand the slot's displayed frame to the dump writer if sk->dump_frames
 * lists it (a copy; the PNG is written on the writer's thread). */
baton_status sink_dump_frame(sink *sk, frame_slot *sl, baton_error *err);

#endif
