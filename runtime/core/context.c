/* context.c - create the Vulkan device matching the CUDA device. */
#include "core/context_internal.h"

#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "core/vk_util.h"

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
    VkResult r = vkEnumeratePhysicalDevices(ctx->instance, &n, pds);
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
    if (n > 0 && baton_vk_instance_create(validation, ext, n, &ctx->instance, NULL) == BATON_OK) {
        ctx->wsi_xcb = xcb;
        ctx->wsi_display = display;
        return BATON_OK;
    }
    ctx->instance = VK_NULL_HANDLE;
    return baton_vk_instance_create(validation, NULL, 0, &ctx->instance, err);
}

static baton_status create_device(baton_context *ctx, baton_error *err)
{
    const baton_vk_device_info *d = &ctx->caps.vk_devices[ctx->vk_index];
    const char *ext[4];
    uint32_t next = 0;
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
    VkResult r = vkCreateDevice(ctx->physical, &ci, NULL, &ctx->device);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateDevice", r);
    baton_count_vk(ctx);
    vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
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
    return BATON_OK;
}

static baton_status init_cuda(baton_context *ctx, int ordinal, baton_error *err)
{
    cudaError_t e = cudaSetDevice(ordinal);
    if (e == cudaSuccess)
        e = cudaFree(NULL); /* create the primary context now, not on frame 0 */
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
    baton_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(baton_context) failed");
    baton_status st = choose(ctx, cfg, err);
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
    if (st != BATON_OK) {
        baton_context_destroy(ctx);
        return st;
    }
    *out = ctx;
    baton_error_clear(err);
    return BATON_OK;
}

void baton_context_destroy(baton_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->device) {
        vkDeviceWaitIdle(ctx->device);
        vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->instance)
        vkDestroyInstance(ctx->instance, NULL);
    free(ctx);
}

const baton_caps *baton_context_caps(const baton_context *ctx) { return &ctx->caps; }
baton_compute_mode baton_context_compute(const baton_context *ctx) { return ctx->compute; }
baton_sync_mode baton_context_sync(const baton_context *ctx) { return ctx->sync; }
baton_object_counters baton_context_counters(const baton_context *ctx) { return ctx->counters; }

const char *baton_context_device_name(const baton_context *ctx)
{
    return ctx->caps.vk_devices[ctx->vk_index].name;
}
