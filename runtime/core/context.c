/* context.c - create the Vulkan device matching the CUDA device. */
#include "core/context_internal.h"
#include "core/handoff_probe.h"
#include "core/vk_arena.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "core/vk_util.h"
#include "util/fault.h"

/* Reserved, not committed: the kernel backs what the driver touches. */
#define DRIVER_ARENA_DEFAULT ((size_t)64 << 20)

void baton_context_config_default(baton_context_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->cuda_device = 0;
    cfg->compute = BATON_COMPUTE_AUTO;
    cfg->sync = BATON_SYNC_AUTO;
}

static baton_status pick_physical(baton_context *ctx, baton_error *err)
{
    VkPhysicalDevice pds[BATON_MAX_VK_DEVICES];
    uint32_t n = BATON_MAX_VK_DEVICES;
    VkResult r = BATON_FAULT_VK(vkEnumeratePhysicalDevices(ctx->instance, &n, pds));
    if (r < 0)
        return baton_vk_fail(err, "vkEnumeratePhysicalDevices", r);
    const uint8_t *want = ctx->caps.vk_devices[ctx->vk_index].uuid;
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceIDProperties id = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
        VkPhysicalDeviceProperties2 p = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &id};
        vkGetPhysicalDeviceProperties2(pds[i], &p);
        if (memcmp(id.deviceUUID, want, BATON_UUID_SIZE) == 0) {
            ctx->physical = pds[i];
            ctx->timestamp_period_ns = p.properties.limits.timestampPeriod;
            ctx->cpu_device = p.properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
            return BATON_OK;
        }
    }
    return baton_error_set(err, BATON_ERR_NO_MATCHING_DEVICE,
                           "the probed Vulkan device %s is gone from the new instance",
                           ctx->caps.vk_devices[ctx->vk_index].name);
}

static baton_status pick_queue_family(baton_context *ctx, baton_error *err)
{
    VkQueueFamilyProperties fam[16];
    uint32_t n = BATON_ARRAY_LEN(fam);
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical, &n, fam);
    const VkQueueFlags want = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    for (uint32_t i = 0; i < n; i++) {
        if ((fam[i].queueFlags & want) == want) {
            ctx->queue_family = i;
            ctx->timestamp_bits = fam[i].timestampValidBits;
            return BATON_OK;
        }
    }
    return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                           "%s has no queue family with graphics and compute",
                           ctx->caps.vk_devices[ctx->vk_index].name);
}

/* The instance, with the window-system extensions the sinks use when the
 * loader offers them (x11: surface + xcb_surface; drm: surface + display,
 * direct_mode_display, acquire_drm_display). If such an instance cannot be
 * made, a plain one is, so the errors are those of the plain case. */
static baton_status create_instance(baton_context *ctx, bool validation, baton_error *err)
{
    const char *ext[5];
    uint32_t n = 0;
    bool surface = baton_vk_instance_offers(VK_KHR_SURFACE_EXTENSION_NAME);
    bool xcb = surface && baton_vk_instance_offers("VK_KHR_xcb_surface");
    bool display = surface && baton_vk_instance_offers(VK_KHR_DISPLAY_EXTENSION_NAME);
    bool direct = display && baton_vk_instance_offers(VK_EXT_DIRECT_MODE_DISPLAY_EXTENSION_NAME);
    bool acquire = direct && baton_vk_instance_offers(VK_EXT_ACQUIRE_DRM_DISPLAY_EXTENSION_NAME);
    if (xcb || display)
        ext[n++] = VK_KHR_SURFACE_EXTENSION_NAME;
    if (xcb)
        ext[n++] = "VK_KHR_xcb_surface";
    if (display)
        ext[n++] = VK_KHR_DISPLAY_EXTENSION_NAME;
    if (direct)
        ext[n++] = VK_EXT_DIRECT_MODE_DISPLAY_EXTENSION_NAME;
    if (acquire)
        ext[n++] = VK_EXT_ACQUIRE_DRM_DISPLAY_EXTENSION_NAME;
    const VkAllocationCallbacks *alloc = vk_arena_callbacks(ctx->arena);
    if (n > 0 && baton_vk_instance_create(validation, ext, n, alloc, &ctx->instance, NULL) == BATON_OK) {
        ctx->wsi_xcb = xcb;
        ctx->wsi_display = display;
        return BATON_OK;
    }
    ctx->instance = VK_NULL_HANDLE;
    return baton_vk_instance_create(validation, NULL, 0, alloc, &ctx->instance, err);
}

/* Whether the device can read its timestamp counter and CLOCK_MONOTONIC
 * together (VK_EXT_calibrated_timestamps with both time domains). Not on a
 * CPU implementation: its timestamps are not used (stage_vulkan.c). */
static bool calibratable(const baton_context *ctx)
{
    if (ctx->cpu_device || ctx->timestamp_bits == 0 ||
        !baton_vk_device_offers(ctx->physical, VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME))
        return false;
    PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsEXT domains =
        (PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsEXT)vkGetInstanceProcAddr(
            ctx->instance, "vkGetPhysicalDeviceCalibrateableTimeDomainsEXT");
    VkTimeDomainEXT d[8];
    uint32_t n = 8;
    if (!domains || domains(ctx->physical, &n, d) < 0)
        return false;
    bool device = false, monotonic = false;
    for (uint32_t i = 0; i < n; i++) {
        device = device || d[i] == VK_TIME_DOMAIN_DEVICE_EXT;
        monotonic = monotonic || d[i] == VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT;
    }
    return device && monotonic;
}

VkResult baton_queue_submit(baton_context *ctx, uint32_t count, const VkSubmitInfo *submits,
                            VkFence fence)
{
    pthread_mutex_lock(&ctx->queue_lock);
    VkResult r = BATON_FAULT_VK(vkQueueSubmit(ctx->queue, count, submits, fence));
    pthread_mutex_unlock(&ctx->queue_lock);
    return r;
}

VkResult baton_queue_present(baton_context *ctx, PFN_vkQueuePresentKHR present,
                             const VkPresentInfoKHR *info)
{
    pthread_mutex_lock(&ctx->queue_lock);
    VkResult r = present(ctx->queue, info);
    pthread_mutex_unlock(&ctx->queue_lock);
    return r;
}

VkResult baton_queue_wait_idle(baton_context *ctx)
{
    /* out of memory is tried again (3 attempts in all): the driver may
     * still be finishing the work this waits for; a lost device ends it,
     * as nothing runs any more */
    VkResult r = VK_ERROR_UNKNOWN;
    pthread_mutex_lock(&ctx->queue_lock);
    for (int attempt = 0; attempt < 3 && r != VK_SUCCESS && r != VK_ERROR_DEVICE_LOST; attempt++)
        r = BATON_FAULT_VK_WAIT(vkQueueWaitIdle(ctx->queue));
    pthread_mutex_unlock(&ctx->queue_lock);
    return r;
}

bool baton_context_calibrate(const baton_context *ctx, uint64_t *gpu_ticks, uint64_t *host_ns)
{
    if (!ctx->get_calibrated)
        return false;
    VkCalibratedTimestampInfoEXT info[2] = {
        {.sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_EXT,
         .timeDomain = VK_TIME_DOMAIN_DEVICE_EXT},
        {.sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_EXT,
         .timeDomain = VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT},
    };
    uint64_t t[2], deviation = 0;
    if (BATON_FAULT_VK_AS("vkGetCalibratedTimestampsEXT", ctx->get_calibrated(ctx->device, 2, info, t, &deviation)) != VK_SUCCESS)
        return false;
    *gpu_ticks = t[0];
    *host_ns = t[1];
    return true;
}

static baton_status create_device(baton_context *ctx, baton_error *err)
{
    const baton_vk_device_info *d = &ctx->caps.vk_devices[ctx->vk_index];
    const char *ext[6];
    uint32_t next = 0;
    bool calibrated = calibratable(ctx);
    if (calibrated)
        ext[next++] = VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME;
    if (baton_caps_needs_export(ctx->compute)) {
        ext[next++] = VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME;
        if (d->ext_memory_fd)
            ext[next++] = VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME;
    }
    if ((ctx->wsi_xcb || ctx->wsi_display) &&
        baton_vk_device_offers(ctx->physical, VK_KHR_SWAPCHAIN_EXTENSION_NAME)) {
        ext[next++] = VK_KHR_SWAPCHAIN_EXTENSION_NAME;
        ctx->swapchain = true;
        if (ctx->wsi_display && baton_vk_device_offers(ctx->physical, VK_GOOGLE_DISPLAY_TIMING_EXTENSION_NAME))
            ext[next++] = VK_GOOGLE_DISPLAY_TIMING_EXTENSION_NAME; /* exact present times */
    }
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .timelineSemaphore = d->timeline ? VK_TRUE : VK_FALSE,
        .hostQueryReset = VK_FALSE,
    };
    float prio = 1.0f;
    VkDeviceQueueCreateInfo q = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = ctx->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &prio,
    };
    VkDeviceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = &f12,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &q,
        .enabledExtensionCount = next,
        .ppEnabledExtensionNames = ext,
    };
    VkResult r = BATON_FAULT_VK(vkCreateDevice(ctx->physical, &ci, vk_arena_callbacks(ctx->arena), &ctx->device));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateDevice", r);
    baton_count_vk(ctx);
    vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = BATON_FAULT_VK(vkCreateFence(ctx->device, &fi, NULL, &ctx->drain_fence))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateFence(drain)", r);
    vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->memory);
    if (baton_caps_needs_export(ctx->compute)) {
        ctx->get_semaphore_fd =
            (PFN_vkGetSemaphoreFdKHR)vkGetDeviceProcAddr(ctx->device, "vkGetSemaphoreFdKHR");
        ctx->get_memory_fd =
            (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(ctx->device, "vkGetMemoryFdKHR");
        if (!ctx->get_semaphore_fd)
            return baton_error_set(err, BATON_ERR_VULKAN,
                                   "vkGetDeviceProcAddr(vkGetSemaphoreFdKHR) returned NULL");
    }
    if (calibrated)
        ctx->get_calibrated = (PFN_vkGetCalibratedTimestampsEXT)vkGetDeviceProcAddr(
            ctx->device, "vkGetCalibratedTimestampsEXT");
    return BATON_OK;
}

static baton_status init_cuda(baton_context *ctx, int ordinal, baton_error *err)
{
    cudaError_t e = BATON_FAULT_CUDA(cudaSetDevice(ordinal));
    if (e == cudaSuccess)
        e = BATON_FAULT_CUDA(cudaFree(NULL)); /* create the primary context now, not on frame 0 */
    if (e != cudaSuccess)
        return baton_error_set(err, BATON_ERR_CUDA, "cudaSetDevice(%d) failed: %s", ordinal,
                               cudaGetErrorName(e));
    ctx->cuda_set = true;
    return BATON_OK;
}

static baton_status choose(baton_context *ctx, const baton_context_config *cfg,
                           baton_error *err)
{
    baton_status st = baton_probe(cfg->cuda_device, cfg->compute, &ctx->caps, err);
    if (st == BATON_OK)
        st = baton_caps_choose_compute(&ctx->caps, cfg->compute, &ctx->compute, err);
    if (st == BATON_OK)
        st = baton_caps_choose_device(&ctx->caps, ctx->compute, &ctx->vk_index, err);
    if (st == BATON_OK)
        st = baton_caps_choose_sync(&ctx->caps, ctx->vk_index, ctx->compute, cfg->sync,
                                    &ctx->sync, err);
    return st;
}

baton_status baton_context_create(const baton_context_config *cfg, baton_context **out,
                                  baton_error *err)
{
    if (!out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_context_create: out is NULL");
    baton_context_config defaults;
    if (!cfg) {
        baton_context_config_default(&defaults);
        cfg = &defaults;
    }
    baton_context *ctx = BATON_FAULT_PTR(calloc(1, sizeof *ctx));
    if (!ctx)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(baton_context) failed");
    int e = BATON_FAULT_PTHREAD(pthread_mutex_init(&ctx->queue_lock, NULL));
    if (e != 0) {
        free(ctx);
        return baton_error_set(err, BATON_ERR_OS, "pthread_mutex_init(queue lock) failed: %s",
                               strerror(e));
    }
    ctx->queue_lock_ready = true;
    baton_status st = choose(ctx, cfg, err);
    size_t arena = cfg->driver_arena_bytes ? cfg->driver_arena_bytes : DRIVER_ARENA_DEFAULT;
    const char *failed = "";
    if (st == BATON_OK && !(ctx->arena = vk_arena_create(arena, &failed)))
        st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY,
                             "%s failed making the driver's allocation arena (%zu bytes): %s",
                             failed, arena, strerror(errno));
    if (st == BATON_OK && ctx->compute == BATON_COMPUTE_CUDA)
        st = init_cuda(ctx, cfg->cuda_device, err);
    if (st == BATON_OK)
        st = create_instance(ctx, cfg->validation, err);
    if (st == BATON_OK)
        st = pick_physical(ctx, err);
    if (st == BATON_OK)
        st = pick_queue_family(ctx, err);
    if (st == BATON_OK)
        st = create_device(ctx, err);
    ctx->upload = cfg->zero_copy_upload ? BATON_UPLOAD_ZERO_COPY : baton_caps_upload_path(&ctx->caps);
    if (st == BATON_OK)
        st = baton_handoff_measure(ctx, &ctx->handoff, err);
    if (st != BATON_OK) {
        baton_context_destroy(ctx);
        return st;
    }
    *out = ctx;
    baton_error_clear(err);
    return BATON_OK;
}

bool baton_fence_settled(const baton_context *ctx, VkFence fence, uint64_t timeout_ns)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        VkResult r = BATON_FAULT_VK_WAIT(vkWaitForFences(ctx->device, 1, &fence, VK_TRUE, timeout_ns));
        if (r == VK_SUCCESS || r == VK_ERROR_DEVICE_LOST)
            return true;
        if (r == VK_TIMEOUT)
            return false;
    }
    return false;
}

/* Bounded: vkDeviceWaitIdle cannot be given a timeout, so an empty
 * submission's fence (made at creation) tells first whether the queue
 * drains (the queue runs its submissions in order). */
static bool queue_drains(baton_context *ctx, uint64_t timeout_ns)
{
    if (!ctx->drain_fence)
        return true; /* creation stopped before the device could run anything */
    VkResult r = VK_ERROR_UNKNOWN;
    for (int attempt = 0; attempt < 3 && r != VK_SUCCESS && r != VK_ERROR_DEVICE_LOST; attempt++)
        r = baton_queue_submit(ctx, 0, NULL, ctx->drain_fence); /* out of memory: again */
    if (r == VK_ERROR_DEVICE_LOST)
        return true;
    return r == VK_SUCCESS && baton_fence_settled(ctx, ctx->drain_fence, timeout_ns);
}

void baton_context_destroy(baton_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->device) {
        uint32_t left = atomic_load(&ctx->pipelines_left);
        if (left) {
            /* their GPU work (a hung kernel) may still run on this device
             * and in its memory: destroying it under them could crash */
            fprintf(stderr, "baton: %u pipeline(s) of this context were left undestroyed (their GPU "
                            "work did not finish); the context is left undestroyed too\n", left);
            return;
        }
        if (!queue_drains(ctx, 2000000000u)) {
            /* work that never ends (a hung kernel the queue waits for):
             * destroying the device under it could crash the driver */
            fprintf(stderr, "baton: the Vulkan queue did not drain within 2 s; the device of "
                            "this context is left undestroyed\n");
            return; /* the context too: a thread may still hold its queue lock */
        }
        vkDestroyFence(ctx->device, ctx->drain_fence, NULL);
        vkDeviceWaitIdle(ctx->device); /* returns at once: the queue is empty */
        BATON_DESTROYED_VK(vkDestroyDevice(ctx->device, vk_arena_callbacks(ctx->arena)));
    }
    if (ctx->instance)
        vkDestroyInstance(ctx->instance, vk_arena_callbacks(ctx->arena));
    vk_arena_destroy(ctx->arena); /* last: the driver freed into it until now */
    if (ctx->queue_lock_ready)
        pthread_mutex_destroy(&ctx->queue_lock);
    free(ctx);
}

const baton_caps *baton_context_caps(const baton_context *ctx) { return &ctx->caps; }
baton_compute_mode baton_context_compute(const baton_context *ctx) { return ctx->compute; }
baton_sync_mode baton_context_sync(const baton_context *ctx) { return ctx->sync; }
baton_object_counters baton_context_counters(const baton_context *ctx)
{
    baton_object_counters c = {
        .vk_objects_created = atomic_load_explicit(&ctx->vk_created, memory_order_relaxed),
        .cuda_objects_created = atomic_load_explicit(&ctx->cuda_created, memory_order_relaxed),
    };
    vk_arena_stats a = vk_arena_get_stats(ctx->arena);
    c.vk_objects_live = baton_live_vk_objects();
    c.cuda_objects_live = baton_live_cuda_objects();
    c.driver_allocations = a.allocations;
    c.driver_escaped = a.escaped;
    return c;
}
baton_upload_path baton_context_upload(const baton_context *ctx) { return ctx->upload; }
baton_handoff_report baton_context_handoff(const baton_context *ctx) { return ctx->handoff; }

const char *baton_context_device_name(const baton_context *ctx)
{
    return ctx->caps.vk_devices[ctx->vk_index].name;
}
