/* bench_gpu.h - the raw Vulkan / CUDA objects the baseline loops and the
 * hand-off rows build for themselves on a baton_context (public and interop
 * API only), mirroring what baton's pipeline creates: slot memory allocated
 * by Vulkan and (with CUDA) exported as OPAQUE_FD and imported into CUDA,
 * source staging (pinned with CUDA), a display image, and a command buffer
 * recorded once that copies the slot memory into the image. */
#ifndef BATON_BENCH_GPU_H
#define BATON_BENCH_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/interop.h"

typedef struct bench_gpu {
    baton_context *ctx;
    VkDevice dev;
    VkQueue queue;
    uint32_t queue_family;
    VkPhysicalDeviceMemoryProperties memory;
    bool cuda;      /* compute stage is CUDA: memory shared, ownership barriers */
    bool zero_copy; /* integrated GPU: staging is mapped pinned memory, no upload */
    PFN_vkGetMemoryFdKHR get_memory_fd;
} bench_gpu;

/* Fill g from a created context (no objects are made). */
baton_status bench_gpu_init(bench_gpu *g, baton_context *ctx, baton_error *err);

/* One frame's RGBA8 memory both APIs see. */
typedef struct bench_frame_mem {
    VkBuffer buffer;
    VkDeviceMemory memory;
    void *host;                /* CPU stage: mapped */
    cudaExternalMemory_t ext;  /* CUDA: the imported allocation */
    void *device;              /* CUDA: mapped device pointer */
} bench_frame_mem;

baton_status bench_frame_mem_create(const bench_gpu *g, VkDeviceSize bytes, bench_frame_mem *m,
                                    baton_error *err);
void bench_frame_mem_destroy(const bench_gpu *g, bench_frame_mem *m);

/* The source frame's host memory and (CUDA) its device view. */
typedef struct bench_staging {
    uint8_t *host;
    void *device;  /* CUDA: upload buffer, or the mapped view with zero copy */
    bool pinned;
    bool device_owned; /* device was cudaMalloc'd */
} bench_staging;

baton_status bench_staging_create(const bench_gpu *g, size_t bytes, bench_staging *s,
                                  baton_error *err);
void bench_staging_destroy(bench_staging *s);

/* The display image (RGBA8, optimal tiling, device local). */
typedef struct bench_target {
    VkImage image;
    VkDeviceMemory memory;
} bench_target;

baton_status bench_target_create(const bench_gpu *g, uint32_t width, uint32_t height,
                                 bench_target *t, baton_error *err);
void bench_target_destroy(const bench_gpu *g, bench_target *t);

/* A command pool with count primary command buffers. */
baton_status bench_commands_create(const bench_gpu *g, uint32_t count, VkCommandPool *pool,
                                   VkCommandBuffer *cmds, baton_error *err);
/* Record (once) the copy of src (width x height RGBA8, tight rows) into the
 * target, with the external queue family acquire/release around it when the
 * memory is CUDA's, as baton's Vulkan stage records it. */
baton_status bench_record_copy(const bench_gpu *g, VkCommandBuffer cmd, VkBuffer src,
                               const bench_target *t, uint32_t width, uint32_t height,
                               baton_error *err);

baton_status bench_fence_create(const bench_gpu *g, VkFence *f, baton_error *err);

/* Bounded wait for a fence; BATON_ERR_TIMEOUT naming what after timeout_ms. */
baton_status bench_fence_wait(const bench_gpu *g, VkFence f, uint32_t timeout_ms,
                              const char *what, baton_error *err);

/* Poll cudaStreamQuery until the stream is idle (bounded). */
baton_status bench_stream_idle(cudaStream_t stream, uint32_t timeout_ms, const char *what,
                               baton_error *err);

/* Host signal of a timeline semaphore (used to unblock waits after an error). */
VkResult bench_host_signal(const bench_gpu *g, VkSemaphore sem, uint64_t value);

const char *bench_vk_result_name(VkResult r);
baton_status bench_vk_fail(baton_error *err, const char *call, VkResult r);
baton_status bench_cuda_fail(baton_error *err, const char *call, cudaError_t e);

#endif
