/* context_internal.h - the context's fields, shared by the runtime's rooms. */
#ifndef BATON_CONTEXT_INTERNAL_H
#define BATON_CONTEXT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "baton/context.h"
#include "util/baton_internal.h"
#include "util/fault.h"

struct baton_context {
    baton_caps caps;
    int vk_index;
    baton_compute_mode compute;
    baton_sync_mode sync;
    bool cuda_set;
    VkInstance instance;
    VkPhysicalDevice physical;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    VkPhysicalDeviceMemoryProperties memory;
    float timestamp_period_ns;
    uint32_t timestamp_bits;
    bool cpu_device;          /* a CPU implementation (lavapipe) */
    bool wsi_xcb;             /* instance: VK_KHR_surface + VK_KHR_xcb_surface enabled */
    bool wsi_display;         /* instance: VK_KHR_surface + VK_KHR_display enabled */
    bool swapchain;           /* device: VK_KHR_swapchain enabled */
    PFN_vkGetSemaphoreFdKHR get_semaphore_fd;
    PFN_vkGetMemoryFdKHR get_memory_fd;
    /* VK_EXT_calibrated_timestamps with the device and CLOCK_MONOTONIC
     * domains: GPU timestamps map to the host clock (NULL: not offered) */
    PFN_vkGetCalibratedTimestampsEXT get_calibrated;
    baton_upload_path upload;
    struct vk_arena *arena;   /* the driver's host allocations (instance, device) */
    baton_handoff_report handoff;
    /* objects created: pipelines on several threads count into these */
    _Atomic uint64_t vk_created, cuda_created;
    /* pipelines whose destroy left them to the GPU (work that did not
     * finish in time): the device under them must not be destroyed */
    _Atomic uint32_t pipelines_left;
    /* The one queue is shared by everything made from the context (several
     * pipelines, on several threads): Vulkan wants its use serialised. */
    pthread_mutex_t queue_lock;
    bool queue_lock_ready;
    VkFence drain_fence;      /* made at creation: destroy's bounded drain needs no allocation */
};

/* An object made: counted as created and as live (its destroy goes
 * through BATON_DESTROYED_VK / BATON_DESTROYED_CUDA, util/fault.h). */
static inline void baton_count_vk(baton_context *ctx)
{
    atomic_fetch_add_explicit(&ctx->vk_created, 1, memory_order_relaxed);
    baton_live_vk(1);
}

static inline void baton_count_cuda(baton_context *ctx)
{
    atomic_fetch_add_explicit(&ctx->cuda_created, 1, memory_order_relaxed);
    baton_live_cuda(1);
}

/* Made, but freed with its parent (command buffers with their pool, a
 * display mode with its display): created, never live on its own. */
static inline void baton_count_vk_owned(baton_context *ctx)
{
    atomic_fetch_add_explicit(&ctx->vk_created, 1, memory_order_relaxed);
}

/* Whether fence has settled within timeout_ns: signalled, or the device is
 * lost (nothing will run any more). A timeout is false; another error (out
 * of memory) is retried a few times, then false. For teardown: false means
 * the GPU may still use what the fence guards. */
bool baton_fence_settled(const baton_context *ctx, VkFence fence, uint64_t timeout_ns);

/* vkQueueSubmit, vkQueuePresentKHR (through the sink's present) and
 * vkQueueWaitIdle on the context's queue, each under the queue's lock.
 * vkQueueWaitIdle (for teardown and swapchain recreation) is tried again
 * on out of memory, up to 3 attempts, and not after VK_ERROR_DEVICE_LOST. */
VkResult baton_queue_submit(baton_context *ctx, uint32_t count, const VkSubmitInfo *submits,
                            VkFence fence);
VkResult baton_queue_present(baton_context *ctx, PFN_vkQueuePresentKHR present,
                             const VkPresentInfoKHR *info);
VkResult baton_queue_wait_idle(baton_context *ctx);

/* One simultaneous reading of the GPU's timestamp counter (ticks) and
 * CLOCK_MONOTONIC (ns). false when not calibratable. */
bool baton_context_calibrate(const baton_context *ctx, uint64_t *gpu_ticks, uint64_t *host_ns);

#endif
