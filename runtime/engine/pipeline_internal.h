/* pipeline_internal.h - the pipeline's pieces and the slots they share. */
#ifndef BATON_PIPELINE_INTERNAL_H
#define BATON_PIPELINE_INTERNAL_H

#include <cuda_runtime_api.h>
#include <vulkan/vulkan.h>

#include "baton/interop.h"
#include "baton/pipeline.h"
#include "baton/sem_pool.h"
#include "core/context_internal.h"
#include "sinks/sink.h"
#include "sources/source.h"

/* One slot's memory that both APIs see: a Vulkan buffer of RGBA8 rows. */
typedef struct frame_memory {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;       /* allocation size (what CUDA imports) */
    VkDeviceSize bytes;      /* pitch * height */
    bool dedicated;
    void *host;              /* mapped pointer (CPU stage), else NULL */
    cudaExternalMemory_t ext;/* CUDA stage: the imported allocation */
    void *device;            /* CUDA stage: mapped device pointer */
} frame_memory;

/* Create one slot's memory: exported and imported into CUDA (shared) or
 * host-visible and mapped (CPU stage). Unwinds fully on error. */
baton_status frame_memory_create(baton_context *ctx, VkDeviceSize bytes, bool shared,
                                 frame_memory *m, baton_error *err);
void frame_memory_destroy(baton_context *ctx, frame_memory *m);

/* A host-visible buffer for reading displayed frames back. */
baton_status host_buffer_create(baton_context *ctx, VkDeviceSize bytes, VkBufferUsageFlags usage,
                                VkBuffer *buffer, VkDeviceMemory *memory, void **mapped,
                                baton_error *err);
int find_memory_type(const baton_context *ctx, uint32_t type_bits, VkMemoryPropertyFlags want);

/* Per-slot state. */
typedef struct slot {  /* also "struct slot" in sink.h */
    frame_memory shared;      /* RGBA8 frame both stages see */
    uint8_t *staging;         /* source frame (pinned host memory with CUDA) */
    void *staging_device;     /* CUDA: device view of staging (zero copy) or upload buffer */
    bool staging_pinned;
    VkCommandBuffer cmds[SINK_MAX_TARGETS]; /* recorded once, one per sink target */
    VkFence fence;            /* Vulkan stage of this slot's last frame done */
    VkFence host_fence;       /* CPU stage, binary mode: host-side wait on vk_done */
    VkBuffer readback;
    VkDeviceMemory readback_memory;
    void *readback_host;
    cudaEvent_t ev_start, ev_end;
    bool in_flight;           /* a frame was submitted and not yet retired */
    uint64_t frame;           /* the frame in flight */
    uint64_t source_frame;
    uint64_t capture_ns, ready_ns, done_ns, submit_ns, compute_end_ns;
} slot;

struct baton_pipeline {
    baton_context *ctx;
    baton_pipeline_config cfg;
    baton_schedule plan;
    baton_sem_pool *pool;
    uint32_t sem[2 * BATON_SLOTS_MAX]; /* plan semaphore i -> pool index */
    slot slots[BATON_SLOTS_MAX];
    source src;
    size_t src_bytes;
    size_t pitch;
    const sink_ops *sink;
    void *sink_state;         /* the sink's, owned by it */
    VkCommandPool cmd_pool;
    VkQueryPool queries;      /* 2 timestamps per slot; VK_NULL_HANDLE if unsupported */
    cudaStream_t stream;
    baton_trace *trace;
    uint64_t *latency;        /* ring of stats_frames latencies */
    size_t latency_head, latency_count;
    uint64_t next_frame;
    baton_pipeline_stats stats;
    uint64_t stall_from;      /* inject: compute skips signals from this frame on */
    uint64_t max_wait_compute;/* highest compute_done value a submitted Vulkan wait needs */
    uint64_t compute_signalled;
    baton_status failed;      /* sticky error */
};

/* Shared by the sinks (sink_common.c). */
/* A device-local RGBA-sized image (TRANSFER_SRC | TRANSFER_DST, optimal
 * tiling) with its memory; `what` names it in errors. */
baton_status sink_image_create(baton_context *ctx, uint32_t width, uint32_t height,
                               VkFormat format, const char *what, VkImage *image,
                               VkDeviceMemory *memory, baton_error *err);
void sink_image_destroy(baton_context *ctx, VkImage *image, VkDeviceMemory *memory);
/* Per-slot host-visible readback buffers when cfg.readback is on. */
baton_status sink_readback_create(baton_pipeline *p, baton_error *err);
void sink_readback_destroy(baton_pipeline *p);
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
 * when leave_src or cfg.readback, the image goes to TRANSFER_SRC_OPTIMAL,
 * and with cfg.readback it is copied into the slot's readback buffer, made
 * visible to the host. */
void sink_record_frame_to_image(baton_pipeline *p, uint32_t s, VkImage image, bool leave_src,
                                VkCommandBuffer cmd);
/* Record the barrier that makes the slot's readback copy visible to the host. */
void sink_readback_to_host(VkCommandBuffer cmd, const slot *sl);
/* Write the slot's displayed frame as PNG if cfg.dump_frames lists it. */
baton_status sink_dump_frame(baton_pipeline *p, slot *sl, baton_error *err);

/* Record an op in the trace (and nothing else). */
void pipeline_trace(baton_pipeline *p, const baton_op *op);

/* Stages. Each returns a baton_status naming stage and frame on error. */
baton_status stage_vulkan_create(baton_pipeline *p, baton_error *err);
void stage_vulkan_destroy(baton_pipeline *p);
baton_status stage_vulkan_submit(baton_pipeline *p, uint64_t n, baton_error *err);
/* Host wait (bounded) for the slot's last Vulkan frame; fills done_ns. */
baton_status stage_vulkan_wait(baton_pipeline *p, slot *sl, baton_error *err);
/* GPU time of the slot's last Vulkan frame, ns (0 when no timestamps). */
uint64_t stage_vulkan_gpu_ns(baton_pipeline *p, uint32_t s);

baton_status stage_cpu_create(baton_pipeline *p, baton_error *err);
void stage_cpu_destroy(baton_pipeline *p);
baton_status stage_cpu_run(baton_pipeline *p, uint64_t n, baton_error *err);

baton_status stage_cuda_create(baton_pipeline *p, baton_error *err);
void stage_cuda_destroy(baton_pipeline *p);
baton_status stage_cuda_run(baton_pipeline *p, uint64_t n, baton_error *err);
uint64_t stage_cuda_gpu_ns(baton_pipeline *p, uint32_t s);

#endif
