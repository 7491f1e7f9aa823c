/* sink_drm.c - a display with no compositor: "drm[:CONNECTOR][@WxH[@HZ]]"
 * (drm_modes.h has the grammar and the selection rules).
 *
 * Creation, once:
 *   1. parse the spec; check that the context's instance has VK_KHR_surface
 *      + VK_KHR_display and its device VK_KHR_swapchain (vkGet*ProcAddr
 *      returning NULL means the extension is not enabled: BATON_ERR_UNSUPPORTED
 *      naming it). VK_EXT_direct_mode_display + VK_EXT_acquire_drm_display and
 *      VK_GOOGLE_display_timing are used when enabled.
 *   2. open the DRM device (drm_device.c): $BATON_DRM_DEVICE, else the primary node of the
 *      Vulkan device (VK_EXT_physical_device_drm: major/minor; else
 *      VK_EXT_pci_bus_info matched with drmGetDevices2), else /dev/dri/card0.
 *   3. describe the card from libdrm and choose connector, mode and CRTC
 *      (drm_modes_choose; the soft size is the frame size).
 *   4. the VkDisplayKHR: vkGetDrmDisplayEXT(fd, connector id), exact, and
 *      vkAcquireDrmDisplayEXT(fd) when VK_EXT_acquire_drm_display is enabled
 *      (needs DRM master on fd, which the first opener of a card gets). If
 *      the acquisition is refused (Mesa refuses when its own fd is master
 *      already) the display is used unacquired and a later failure quotes
 *      the refusal. Without the extension: the display of
 *      vkGetPhysicalDeviceDisplayPropertiesKHR that drm_modes_match_display
 *      picks (name / resolution). Unless acquired, DRM master is dropped so
 *      the driver can modeset through its own fd.
 *   5. the display mode of that size and refresh (vkGetDisplayModeProperties,
 *      else vkCreateDisplayModeKHR), a plane that can show the display, a
 *      display-plane surface, a FIFO swapchain of TRANSFER_DST images.
 *   The command buffer of (slot s, image t) copies slot s's buffer into
 *   image t (R8G8B8A8 swapchains) or into one RGBA8 staging image then blits
 *   that into image t (B8G8R8A8 and others: the blit swaps the channels). A
 *   frame of another size than the mode is centred (cropped or black-bordered),
 *   not scaled.
 *
 * Per frame: acquire() = vkAcquireNextImageKHR (bounded by timeout_ms)
 * signalling acquired[slot]; the Vulkan stage waits for it and signals
 * rendered[image]; submitted() = vkQueuePresentKHR waiting for rendered[image]
 * (FIFO: paced to vblank), then asks for a DRM vblank event on the CRTC;
 * done() reads that event (poll, bounded by three refresh periods) into a
 * ring of the last DRM_VBLANK_KEEP records (sink_drm_vblanks). With
 * VK_GOOGLE_display_timing the records are its actual present times instead.
 * No allocation, no libdrm call that allocates.
 *
 * Display loss: VK_ERROR_OUT_OF_DATE_KHR or VK_ERROR_SURFACE_LOST_KHR from
 * acquire or present, or the connector reported disconnected / gone (checked
 * in done() at most every 250 ms with one GETCONNECTOR ioctl that neither
 * probes nor allocates) are BATON_ERR_DISCONNECTED "drm sink: display
 * HDMI-A-1 lost (...)": the pipeline stops, or with on_display_lost =
 * HEADLESS destroys this sink and goes on with the headless one. The swapchain is not recreated: its images
 * are baked into the command buffers the Vulkan stage recorded once. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "util/png.h"
#include "sinks/drm_events.h"
#include "sinks/drm_device.h"
#include "sinks/drm_modes.h"
#include "sinks/sink_common.h"
#include "core/vk_util.h"
#include "util/fault.h"

#define MAX_DISPLAYS 16u
#define MAX_VK_MODES 128u
#define MAX_PLANES 32u

/* Entry points, all looked up at creation (NULL: extension not enabled). */
typedef struct drm_vk {
    /* instance, VK_KHR_surface */
    PFN_vkDestroySurfaceKHR destroy_surface;
    PFN_vkGetPhysicalDeviceSurfaceSupportKHR surface_support;
    PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR surface_caps;
    PFN_vkGetPhysicalDeviceSurfaceFormatsKHR surface_formats;
    /* instance, VK_KHR_display */
    PFN_vkGetPhysicalDeviceDisplayPropertiesKHR display_props;
    PFN_vkGetPhysicalDeviceDisplayPlanePropertiesKHR plane_props;
    PFN_vkGetDisplayPlaneSupportedDisplaysKHR plane_displays;
    PFN_vkGetDisplayModePropertiesKHR mode_props;
    PFN_vkCreateDisplayModeKHR create_mode;
    PFN_vkGetDisplayPlaneCapabilitiesKHR plane_caps;
    PFN_vkCreateDisplayPlaneSurfaceKHR create_surface;
    /* instance, VK_EXT_direct_mode_display + VK_EXT_acquire_drm_display */
    PFN_vkReleaseDisplayEXT release_display;
    PFN_vkAcquireDrmDisplayEXT acquire_drm;
    PFN_vkGetDrmDisplayEXT get_drm_display;
    /* device, VK_KHR_swapchain */
    PFN_vkCreateSwapchainKHR create_swapchain;
    PFN_vkDestroySwapchainKHR destroy_swapchain;
    PFN_vkGetSwapchainImagesKHR swapchain_images;
    PFN_vkAcquireNextImageKHR acquire_image;
    PFN_vkQueuePresentKHR queue_present;
    /* device, VK_GOOGLE_display_timing */
    PFN_vkGetPastPresentationTimingGOOGLE past_timing;
} drm_vk;

typedef enum vblank_api {
    VBLANK_NONE = 0,
    VBLANK_SEQUENCE,   /* drmCrtcQueueSequence (Linux 4.16+) */
    VBLANK_WAIT_EVENT, /* drmWaitVBlank(DRM_VBLANK_EVENT) */
} vblank_api;

typedef struct drm_sink {
    int fd;
    char path[256];
    drm_spec spec;
    drm_target t;             /* connector (t.name, for messages), mode, CRTC */
    drm_vk vk;
    VkDisplayKHR display;
    bool acquired;            /* vkAcquireDrmDisplayEXT succeeded: release it */
    char acquire_note[200];   /* why it did not, for later errors */
    VkDisplayModeKHR display_mode;
    VkSurfaceKHR surface;
    VkSwapchainKHR swapchain;
    VkFormat format;
    VkExtent2D extent;
    uint32_t image_count;
    VkImage images[SINK_MAX_TARGETS];
    VkSemaphore rendered[SINK_MAX_TARGETS];  /* per image: copy done, present may go */
    VkSemaphore acquired_sem[BATON_SLOTS_MAX]; /* per slot: the image is ours */
    bool blit;                /* swapchain not RGBA8 in memory: via staging + blit */
    VkImage staging;
    VkDeviceMemory staging_memory;
    drm_fit fit;
    /* vblank records */
    bool display_timing;      /* VK_GOOGLE_display_timing in use */
    vblank_api vblank;
    bool sequence_worked;
    bool pending[BATON_SLOTS_MAX];
    uint64_t pending_frame[BATON_SLOTS_MAX];
    drm_vblank_ring ring;
    uint64_t vblank_missed;
    uint64_t next_check_ns;
    /* pending, pending_frame, ring and vblank_missed: submitted() writes
     * them on the submitting thread, done() on the completion thread */
    pthread_mutex_t lock;
    bool lock_ready;
} drm_sink;

/* ---- Vulkan entry points ------------------------------------------------------ */

static const char *const needed_instance_ext =
    "VK_KHR_surface, VK_KHR_display (+ VK_EXT_direct_mode_display, VK_EXT_acquire_drm_display "
    "where offered)";

typedef struct lookup {
    VkInstance instance;
    VkDevice device;
    char missing[160]; /* "VK_KHR_display (instance), ..." */
    char first[96];    /* the first call that returned NULL */
} lookup;

/* One entry point; a NULL result notes its extension as missing when
 * required (ext != NULL). */
static PFN_vkVoidFunction proc(lookup *l, bool device, const char *name, const char *ext)
{
    PFN_vkVoidFunction f = device ? vkGetDeviceProcAddr(l->device, name)
                                  : vkGetInstanceProcAddr(l->instance, name);
    if (f || !ext)
        return f;
    if (!strstr(l->missing, ext)) {
        size_t used = strlen(l->missing);
        snprintf(l->missing + used, sizeof l->missing - used, "%s%s", used ? ", " : "", ext);
    }
    if (!l->first[0])
        snprintf(l->first, sizeof l->first, "%s(%s)",
                 device ? "vkGetDeviceProcAddr" : "vkGetInstanceProcAddr", name);
    return NULL;
}

#define SURFACE "VK_KHR_surface (instance)"
#define DISPLAY "VK_KHR_display (instance)"
#define SWAPCHAIN "VK_KHR_swapchain (device)"
#define INST(field, name, ext) (vk->field = (PFN_##name)proc(&l, false, #name, ext))
#define DEV(field, name, ext) (vk->field = (PFN_##name)proc(&l, true, #name, ext))

static baton_status resolve(const baton_context *ctx, drm_vk *vk, baton_error *err)
{
    memset(vk, 0, sizeof *vk);
    lookup l = {.instance = ctx->instance, .device = ctx->device};
    INST(destroy_surface, vkDestroySurfaceKHR, SURFACE);
    INST(surface_support, vkGetPhysicalDeviceSurfaceSupportKHR, SURFACE);
    INST(surface_caps, vkGetPhysicalDeviceSurfaceCapabilitiesKHR, SURFACE);
    INST(surface_formats, vkGetPhysicalDeviceSurfaceFormatsKHR, SURFACE);
    INST(display_props, vkGetPhysicalDeviceDisplayPropertiesKHR, DISPLAY);
    INST(plane_props, vkGetPhysicalDeviceDisplayPlanePropertiesKHR, DISPLAY);
    INST(plane_displays, vkGetDisplayPlaneSupportedDisplaysKHR, DISPLAY);
    INST(mode_props, vkGetDisplayModePropertiesKHR, DISPLAY);
    INST(create_mode, vkCreateDisplayModeKHR, DISPLAY);
    INST(plane_caps, vkGetDisplayPlaneCapabilitiesKHR, DISPLAY);
    INST(create_surface, vkCreateDisplayPlaneSurfaceKHR, DISPLAY);
    if (ctx->device) {
        DEV(create_swapchain, vkCreateSwapchainKHR, SWAPCHAIN);
        DEV(destroy_swapchain, vkDestroySwapchainKHR, SWAPCHAIN);
        DEV(swapchain_images, vkGetSwapchainImagesKHR, SWAPCHAIN);
        DEV(acquire_image, vkAcquireNextImageKHR, SWAPCHAIN);
        DEV(queue_present, vkQueuePresentKHR, SWAPCHAIN);
    } else {
        snprintf(l.missing, sizeof l.missing, "a device");
    }
    if (l.missing[0])
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: the Vulkan context on %s lacks %s: %s returned NULL; "
                               "the context must enable the instance extensions %s and the "
                               "device extension VK_KHR_swapchain",
                               baton_context_device_name(ctx), l.missing,
                               l.first[0] ? l.first : "-", needed_instance_ext);
    /* optional: the exact display of a connector, with DRM master hand-over */
    INST(release_display, vkReleaseDisplayEXT, NULL);
    INST(acquire_drm, vkAcquireDrmDisplayEXT, NULL);
    INST(get_drm_display, vkGetDrmDisplayEXT, NULL);
    if (!vk->release_display || !vk->acquire_drm || !vk->get_drm_display) {
        vk->acquire_drm = NULL;
        vk->get_drm_display = NULL;
    }
    DEV(past_timing, vkGetPastPresentationTimingGOOGLE, NULL);
    return BATON_OK;
}

#undef INST
#undef DEV

baton_status sink_drm_check_vulkan(const struct baton_context *ctx, baton_error *err)
{
    if (!ctx)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "sink_drm_check_vulkan: NULL");
    drm_vk vk;
    return resolve(ctx, &vk, err);
}

/* ---- the display ----------------------------------------------------------------- */

static baton_status display_lost(const drm_sink *d, const char *what, uint64_t frame,
                                 baton_error *err)
{
    return baton_error_set(err, BATON_ERR_DISCONNECTED, "drm sink: display %s lost (%s at frame %llu)",
                           d->t.name, what, (unsigned long long)frame);
}

static baton_status find_display(sink *sk, drm_sink *d, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    if (d->vk.get_drm_display) {
        VkResult r = BATON_FAULT_VK_AS("vkGetDrmDisplayEXT", d->vk.get_drm_display(ctx->physical, d->fd, d->t.connector_id, &d->display));
        if (r != VK_SUCCESS)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "drm sink: vkGetDrmDisplayEXT(%s, connector %u) failed: %s "
                                   "(is %s the card of %s? set BATON_DRM_DEVICE)",
                                   d->t.name, d->t.connector_id, baton_vk_result_name(r), d->path,
                                   baton_context_device_name(ctx));
        r = BATON_FAULT_VK_AS("vkAcquireDrmDisplayEXT", d->vk.acquire_drm(ctx->physical, d->fd, d->display));
        if (r == VK_SUCCESS) {
            d->acquired = true;
            return BATON_OK;
        }
        /* Mesa refuses when the driver's own DRM fd is master already: the
         * display is then usable without acquiring it. If it is not, the
         * step that fails later says why, with this note. */
        snprintf(d->acquire_note, sizeof d->acquire_note,
                 "vkAcquireDrmDisplayEXT(%s) had failed: %s%s", d->t.name, baton_vk_result_name(r),
                 drmIsMaster(d->fd) ? ""
                                    : "; another process (an X server or compositor) may be DRM "
                                      "master on the card: stop it, or use the x11 sink");
        return BATON_OK;
    }
    VkDisplayPropertiesKHR props[MAX_DISPLAYS];
    uint32_t n = MAX_DISPLAYS;
    VkResult r = BATON_FAULT_VK_AS("vkGetPhysicalDeviceDisplayPropertiesKHR", d->vk.display_props(ctx->physical, &n, props));
    if (r < 0)
        return baton_vk_fail(err, "vkGetPhysicalDeviceDisplayPropertiesKHR", r);
    drm_vk_display list[MAX_DISPLAYS];
    char names[256] = "";
    for (uint32_t i = 0; i < n; i++) {
        list[i] = (drm_vk_display){props[i].displayName, props[i].physicalResolution.width,
                                   props[i].physicalResolution.height};
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s'%s' %ux%u", i ? ", " : "",
                 props[i].displayName ? props[i].displayName : "?", list[i].width,
                 list[i].height);
    }
    int k = drm_modes_match_display(list, n, &d->t.card, d->t.choice.connector);
    if (k < 0)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: no Vulkan display is connector %s (%s%s); without "
                               "VK_EXT_acquire_drm_display the match is by name or resolution",
                               d->t.name, n ? "Vulkan displays: " : "the driver lists no display: "
                               "an X server or compositor may own them", names);
    d->display = props[k].display;
    return BATON_OK;
}

static baton_status find_mode(sink *sk, drm_sink *d, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    VkDisplayModePropertiesKHR mp[MAX_VK_MODES];
    uint32_t n = MAX_VK_MODES;
    VkResult r = BATON_FAULT_VK_AS("vkGetDisplayModePropertiesKHR", d->vk.mode_props(ctx->physical, d->display, &n, mp));
    if (r < 0)
        return baton_vk_fail(err, "vkGetDisplayModePropertiesKHR", r);
    drm_vk_mode list[MAX_VK_MODES];
    for (uint32_t i = 0; i < n; i++)
        list[i] = (drm_vk_mode){mp[i].parameters.visibleRegion.width,
                                mp[i].parameters.visibleRegion.height,
                                mp[i].parameters.refreshRate};
    int k = drm_modes_match_vk_mode(list, n, d->t.mode.width, d->t.mode.height, d->t.mode.refresh_mhz,
                                    10);
    if (k >= 0) {
        d->display_mode = mp[k].displayMode;
        return BATON_OK;
    }
    VkDisplayModeCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_DISPLAY_MODE_CREATE_INFO_KHR,
        .parameters = {{d->t.mode.width, d->t.mode.height}, d->t.mode.refresh_mhz},
    };
    r = BATON_FAULT_VK_AS("vkCreateDisplayModeKHR", d->vk.create_mode(ctx->physical, d->display, &ci, NULL, &d->display_mode));
    if (r == VK_SUCCESS) {
        baton_count_vk_owned(ctx);
        return BATON_OK;
    }
    /* no refresh asked for: the driver's own timing of that size will do
     * (its refresh may be computed a little differently from the kernel's) */
    if (!d->spec.refresh_mhz &&
        (k = drm_modes_match_vk_mode(list, n, d->t.mode.width, d->t.mode.height, d->t.mode.refresh_mhz,
                                     500)) >= 0) {
        d->display_mode = mp[k].displayMode;
        return BATON_OK;
    }
    char modes[320] = "", hz[24];
    for (uint32_t i = 0; i < n; i++) {
        size_t used = strlen(modes);
        snprintf(modes + used, sizeof modes - used, "%s%ux%u@%s", i ? ", " : "", list[i].width,
                 list[i].height, drm_modes_format_refresh(list[i].refresh_mhz, hz, sizeof hz));
    }
    return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                           "drm sink: %s: the Vulkan display has no mode %ux%u@%s and "
                           "vkCreateDisplayModeKHR failed: %s (Vulkan modes: %s)",
                           d->t.name, d->t.mode.width, d->t.mode.height,
                           drm_modes_format_refresh(d->t.mode.refresh_mhz, hz, sizeof hz),
                           baton_vk_result_name(r), modes[0] ? modes : "none");
}

static baton_status create_surface(sink *sk, drm_sink *d, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    VkDisplayPlanePropertiesKHR pp[MAX_PLANES];
    uint32_t n = MAX_PLANES;
    VkResult r = BATON_FAULT_VK_AS("vkGetPhysicalDeviceDisplayPlanePropertiesKHR", d->vk.plane_props(ctx->physical, &n, pp));
    if (r < 0)
        return baton_vk_fail(err, "vkGetPhysicalDeviceDisplayPlanePropertiesKHR", r);
    int plane = -1;
    for (uint32_t i = 0; i < n && plane < 0; i++) {
        if (pp[i].currentDisplay != VK_NULL_HANDLE && pp[i].currentDisplay != d->display)
            continue;
        VkDisplayKHR ds[MAX_DISPLAYS];
        uint32_t m = MAX_DISPLAYS;
        if (BATON_FAULT_VK_AS("vkGetDisplayPlaneSupportedDisplaysKHR", d->vk.plane_displays(ctx->physical, i, &m, ds)) < 0)
            continue;
        for (uint32_t k = 0; k < m && plane < 0; k++)
            if (ds[k] == d->display)
                plane = (int)i;
    }
    if (plane < 0)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: none of the %u display planes can show %s", n, d->t.name);
    VkDisplayPlaneCapabilitiesKHR caps;
    r = BATON_FAULT_VK_AS("vkGetDisplayPlaneCapabilitiesKHR", d->vk.plane_caps(ctx->physical, d->display_mode, (uint32_t)plane, &caps));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetDisplayPlaneCapabilitiesKHR", r);
    static const VkDisplayPlaneAlphaFlagBitsKHR alphas[] = {
        VK_DISPLAY_PLANE_ALPHA_OPAQUE_BIT_KHR, VK_DISPLAY_PLANE_ALPHA_GLOBAL_BIT_KHR,
        VK_DISPLAY_PLANE_ALPHA_PER_PIXEL_BIT_KHR,
        VK_DISPLAY_PLANE_ALPHA_PER_PIXEL_PREMULTIPLIED_BIT_KHR};
    VkDisplayPlaneAlphaFlagBitsKHR alpha = alphas[0];
    for (size_t i = BATON_ARRAY_LEN(alphas); i-- > 0;)
        if (caps.supportedAlpha & alphas[i])
            alpha = alphas[i]; /* the first supported, opaque preferred */
    VkDisplaySurfaceCreateInfoKHR si = {
        .sType = VK_STRUCTURE_TYPE_DISPLAY_SURFACE_CREATE_INFO_KHR,
        .displayMode = d->display_mode,
        .planeIndex = (uint32_t)plane,
        .planeStackIndex = pp[plane].currentStackIndex,
        .transform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR,
        .globalAlpha = 1.0f,
        .alphaMode = alpha,
        .imageExtent = {d->t.mode.width, d->t.mode.height},
    };
    r = BATON_FAULT_VK_AS("vkCreateDisplayPlaneSurfaceKHR", d->vk.create_surface(ctx->instance, &si, NULL, &d->surface));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateDisplayPlaneSurfaceKHR", r);
    baton_count_vk(ctx);
    VkBool32 ok = VK_FALSE;
    r = BATON_FAULT_VK_AS("vkGetPhysicalDeviceSurfaceSupportKHR", d->vk.surface_support(ctx->physical, ctx->queue_family, d->surface, &ok));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetPhysicalDeviceSurfaceSupportKHR", r);
    if (!ok)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: queue family %u of %s cannot present to %s",
                               ctx->queue_family, baton_context_device_name(ctx), d->t.name);
    return BATON_OK;
}

/* Formats whose bytes are R, G, B, A in memory: a plain copy suffices. */
static bool copy_compatible(VkFormat f)
{
    return f == VK_FORMAT_R8G8B8A8_UNORM || f == VK_FORMAT_R8G8B8A8_SRGB ||
           f == VK_FORMAT_A8B8G8R8_UNORM_PACK32 || f == VK_FORMAT_A8B8G8R8_SRGB_PACK32;
}

static bool is_srgb(VkFormat f)
{
    return f == VK_FORMAT_R8G8B8A8_SRGB || f == VK_FORMAT_B8G8R8A8_SRGB ||
           f == VK_FORMAT_A8B8G8R8_SRGB_PACK32;
}

static baton_status choose_format(baton_context *ctx, drm_sink *d, VkColorSpaceKHR *space,
                                  baton_error *err)
{
    VkSurfaceFormatKHR f[64];
    uint32_t n = BATON_ARRAY_LEN(f);
    VkResult r = BATON_FAULT_VK_AS("vkGetPhysicalDeviceSurfaceFormatsKHR", d->vk.surface_formats(ctx->physical, d->surface, &n, f));
    if (r < 0)
        return baton_vk_fail(err, "vkGetPhysicalDeviceSurfaceFormatsKHR", r);
    if (n == 0)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED, "drm sink: %s offers no formats",
                               d->t.name);
    if (n == 1 && f[0].format == VK_FORMAT_UNDEFINED) {
        d->format = VK_FORMAT_R8G8B8A8_UNORM;
        *space = f[0].colorSpace;
    } else {
        static const VkFormat order[] = {
            VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_A8B8G8R8_UNORM_PACK32,
            VK_FORMAT_R8G8B8A8_SRGB,  VK_FORMAT_B8G8R8A8_SRGB,  VK_FORMAT_A8B8G8R8_SRGB_PACK32};
        int pick = -1;
        for (size_t o = 0; o < BATON_ARRAY_LEN(order) && pick < 0; o++)
            for (uint32_t i = 0; i < n && pick < 0; i++)
                if (f[i].format == order[o] && f[i].colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR)
                    pick = (int)i;
        if (pick < 0)
            pick = 0; /* anything else (10-bit, ...): the blit converts */
        d->format = f[pick].format;
        *space = f[pick].colorSpace;
    }
    d->blit = !copy_compatible(d->format);
    if (!d->blit)
        return BATON_OK;
    VkFormat src = is_srgb(d->format) ? VK_FORMAT_R8G8B8A8_SRGB : VK_FORMAT_R8G8B8A8_UNORM;
    VkFormatProperties dp, sp;
    vkGetPhysicalDeviceFormatProperties(ctx->physical, d->format, &dp);
    vkGetPhysicalDeviceFormatProperties(ctx->physical, src, &sp);
    if (!(dp.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_DST_BIT) ||
        !(sp.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_SRC_BIT))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: %s's swapchain format (VkFormat %d) is not RGBA8 and "
                               "the device cannot blit RGBA8 into it",
                               d->t.name, (int)d->format);
    return BATON_OK;
}

static baton_status create_swapchain(sink *sk, drm_sink *d, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    VkColorSpaceKHR space = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR;
    baton_status st = choose_format(ctx, d, &space, err);
    if (st != BATON_OK)
        return st;
    VkSurfaceCapabilitiesKHR caps;
    VkResult r = BATON_FAULT_VK_AS("vkGetPhysicalDeviceSurfaceCapabilitiesKHR", d->vk.surface_caps(ctx->physical, d->surface, &caps));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetPhysicalDeviceSurfaceCapabilitiesKHR", r);
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: swapchain images on %s cannot be transfer destinations",
                               d->t.name);
    d->extent = caps.currentExtent;
    if (d->extent.width == UINT32_MAX)
        d->extent = (VkExtent2D){d->t.mode.width, d->t.mode.height};
    if (caps.minImageCount > SINK_MAX_TARGETS)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: %s needs at least %u swapchain images (%u supported)",
                               d->t.name, caps.minImageCount, SINK_MAX_TARGETS);
    uint32_t count = caps.minImageCount + 1;
    if (count < 2)
        count = 2;
    if (caps.maxImageCount && count > caps.maxImageCount)
        count = caps.maxImageCount;
    if (count > SINK_MAX_TARGETS)
        count = SINK_MAX_TARGETS;
    static const VkCompositeAlphaFlagBitsKHR alphas[] = {
        VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR, VK_COMPOSITE_ALPHA_INHERIT_BIT_KHR,
        VK_COMPOSITE_ALPHA_PRE_MULTIPLIED_BIT_KHR, VK_COMPOSITE_ALPHA_POST_MULTIPLIED_BIT_KHR};
    VkCompositeAlphaFlagBitsKHR alpha = alphas[0];
    for (size_t i = BATON_ARRAY_LEN(alphas); i-- > 0;)
        if (caps.supportedCompositeAlpha & alphas[i])
            alpha = alphas[i];
    VkSwapchainCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
        .surface = d->surface,
        .minImageCount = count,
        .imageFormat = d->format,
        .imageColorSpace = space,
        .imageExtent = d->extent,
        .imageArrayLayers = 1,
        .imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT,
        .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .preTransform = (caps.supportedTransforms & VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR)
                            ? VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR
                            : caps.currentTransform,
        .compositeAlpha = alpha,
        .presentMode = VK_PRESENT_MODE_FIFO_KHR, /* always supported; paces to vblank */
        .clipped = VK_TRUE,
    };
    if ((r = BATON_FAULT_VK_AS("vkCreateSwapchainKHR", d->vk.create_swapchain(ctx->device, &ci, NULL, &d->swapchain))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateSwapchainKHR(drm sink)", r);
    baton_count_vk(ctx);
    uint32_t n = 0;
    if ((r = BATON_FAULT_VK_AS("vkGetSwapchainImagesKHR", d->vk.swapchain_images(ctx->device, d->swapchain, &n, NULL))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetSwapchainImagesKHR", r);
    if (n == 0 || n > SINK_MAX_TARGETS)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: the swapchain has %u images (1..%u supported)", n,
                               SINK_MAX_TARGETS);
    if ((r = BATON_FAULT_VK_AS("vkGetSwapchainImagesKHR", d->vk.swapchain_images(ctx->device, d->swapchain, &n, d->images))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetSwapchainImagesKHR", r);
    d->image_count = n;
    d->fit = drm_modes_fit(sk->view->width, sk->view->height, d->extent.width, d->extent.height);
    return BATON_OK;
}

static baton_status create_staging(sink *sk, drm_sink *d, baton_error *err)
{
    return sink_image_create(sk->view->ctx, sk->view->width, sk->view->height,
                             is_srgb(d->format) ? VK_FORMAT_R8G8B8A8_SRGB : VK_FORMAT_R8G8B8A8_UNORM,
                             "drm sink staging", &d->staging, &d->staging_memory, err);
}

/* ---- create / destroy ------------------------------------------------------------ */

/* via=auto: VK_KHR_display when the context can present with it and the
 * Vulkan device reports at least one display; KMS commits otherwise (a CPU
 * Vulkan device, a GPU without a display engine, a separate display
 * controller). */
static bool vulkan_drives_a_display(const baton_context *ctx)
{
    drm_vk vk;
    baton_error ignored;
    if (resolve(ctx, &vk, &ignored) != BATON_OK)
        return false;
    uint32_t n = 0;
    VkResult r = BATON_FAULT_VK_AS("vkGetPhysicalDeviceDisplayPropertiesKHR", vk.display_props(ctx->physical, &n, NULL));
    return r >= 0 && n > 0;
}

static baton_status drm_create(sink *sk, const char *arg, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    drm_spec spec;
    baton_status st = drm_spec_parse(arg, &spec, err);
    if (st != BATON_OK)
        return st;
    if (spec.via == DRM_VIA_KMS || (spec.via == DRM_VIA_AUTO && !vulkan_drives_a_display(ctx))) {
        sk->ops = &sink_kms_ops;
        return sink_kms_ops.create(sk, arg, err);
    }
    drm_sink *d = BATON_FAULT_PTR(calloc(1, sizeof *d));
    if (!d)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(drm sink) failed");
    d->fd = -1;
    d->spec = spec;
    snprintf(d->t.name, sizeof d->t.name, "%s", spec.connector[0] ? spec.connector : "auto");
    sk->state = d;
    int e = BATON_FAULT_PTHREAD(pthread_mutex_init(&d->lock, NULL));
    if (e != 0)
        return baton_error_set(err, BATON_ERR_OS, "drm sink: pthread_mutex_init failed: %s",
                               strerror(e));
    d->lock_ready = true;
    if ((st = resolve(ctx, &d->vk, err)) != BATON_OK)
        return st;
    if ((st = sink_drm_open_device(ctx, false, &d->fd, d->path, sizeof d->path, err)) != BATON_OK)
        return st;
    if ((st = drm_modes_pick(d->fd, d->path, &spec, sk->view->width, sk->view->height, &d->t, err)) !=
        BATON_OK)
        return st;
    if ((st = find_display(sk, d, err)) != BATON_OK)
        return st;
    if (!d->acquired)
        drmDropMaster(d->fd); /* let the driver modeset through its own fd */
    if ((st = find_mode(sk, d, err)) != BATON_OK || (st = create_surface(sk, d, err)) != BATON_OK ||
        (st = create_swapchain(sk, d, err)) != BATON_OK) {
        if (err && d->acquire_note[0]) {
            char first[BATON_ERROR_MESSAGE_MAX];
            snprintf(first, sizeof first, "%s", err->message);
            baton_error_set(err, st, "%s (%s)", first, d->acquire_note);
        }
        return st;
    }
    if (d->blit && (st = create_staging(sk, d, err)) != BATON_OK)
        return st;
    for (uint32_t t = 0; t < d->image_count && st == BATON_OK; t++)
        st = sink_semaphore_create(ctx, "drm sink", &d->rendered[t], err);
    for (uint32_t s = 0; s < sk->view->slots && st == BATON_OK; s++) {
        st = sink_semaphore_create(ctx, "drm sink", &d->acquired_sem[s], err);
    }
    if (st == BATON_OK)
        st = sink_readback_create(sk, err);
    d->display_timing = d->vk.past_timing != NULL;
    d->vblank = d->display_timing ? VBLANK_NONE : VBLANK_SEQUENCE;
    d->next_check_ns = baton_now_ns() + DRM_CONNECTOR_CHECK_NS;
    return st;
}

static void drm_destroy(sink *sk)
{
    baton_context *ctx = sk->view->ctx;
    VkDevice dev = ctx->device;
    drm_sink *d = sk->state;
    sink_readback_destroy(sk);
    if (!d)
        return;
    if (d->swapchain) {
        baton_queue_wait_idle(ctx); /* presents wait on our semaphores */
        BATON_DESTROYED_VK(d->vk.destroy_swapchain(dev, d->swapchain, NULL));
    }
    for (uint32_t t = 0; t < SINK_MAX_TARGETS; t++)
        if (d->rendered[t])
            BATON_DESTROYED_VK(vkDestroySemaphore(dev, d->rendered[t], NULL));
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++)
        if (d->acquired_sem[s])
            BATON_DESTROYED_VK(vkDestroySemaphore(dev, d->acquired_sem[s], NULL));
    sink_image_destroy(ctx, &d->staging, &d->staging_memory);
    if (d->surface)
        BATON_DESTROYED_VK(d->vk.destroy_surface(ctx->instance, d->surface, NULL));
    if (d->acquired && d->vk.release_display)
        d->vk.release_display(ctx->physical, d->display);
    if (d->fd >= 0)
        close(d->fd);
    if (d->lock_ready)
        pthread_mutex_destroy(&d->lock);
    free(d);
    sk->state = NULL;
}

static uint32_t drm_targets(const sink *sk)
{
    const drm_sink *d = sk->state;
    return d->image_count;
}

/* ---- recording -------------------------------------------------------------------- */

static void drm_record(sink *sk, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    frame_slot *sl = &sk->view->slot[s];
    drm_sink *d = sk->state;
    const drm_fit *f = &d->fit;
    VkImage img = d->images[t];
    const VkPipelineStageFlags xfer = VK_PIPELINE_STAGE_TRANSFER_BIT;
    /* The swapchain image: its transition waits for the acquire semaphore,
     * which the Vulkan stage's submit waits for at the transfer stage. */
    sink_cmd_image_barrier(cmd, img, VK_IMAGE_LAYOUT_UNDEFINED,
                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0, VK_ACCESS_TRANSFER_WRITE_BIT,
                           xfer);
    if (!f->covers) {
        VkClearColorValue black = {.float32 = {0, 0, 0, 1}};
        VkImageSubresourceRange all = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdClearColorImage(cmd, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &black, 1, &all);
        sink_cmd_image_barrier(cmd, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                               VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_ACCESS_TRANSFER_WRITE_BIT,
                               VK_ACCESS_TRANSFER_WRITE_BIT, xfer);
    }
    if (!d->blit) {
        VkBufferImageCopy region = {
            .bufferOffset = (VkDeviceSize)f->src_y * sk->view->pitch + (VkDeviceSize)f->src_x * 4u,
            .bufferRowLength = (uint32_t)(sk->view->pitch / 4),
            .bufferImageHeight = sk->view->height,
            .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
            .imageOffset = {(int32_t)f->dst_x, (int32_t)f->dst_y, 0},
            .imageExtent = {f->width, f->height, 1},
        };
        vkCmdCopyBufferToImage(cmd, sl->shared.buffer, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                               1, &region);
    } else {
        /* earlier blits from the staging image (any slot) finish first: the
         * barrier's first scope is everything earlier on the queue */
        sink_cmd_image_barrier(cmd, d->staging, VK_IMAGE_LAYOUT_UNDEFINED,
                               VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_ACCESS_TRANSFER_READ_BIT,
                               VK_ACCESS_TRANSFER_WRITE_BIT, xfer);
        VkBufferImageCopy region = {
            .bufferRowLength = (uint32_t)(sk->view->pitch / 4),
            .bufferImageHeight = sk->view->height,
            .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
            .imageExtent = {sk->view->width, sk->view->height, 1},
        };
        vkCmdCopyBufferToImage(cmd, sl->shared.buffer, d->staging,
                               VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
        sink_cmd_image_barrier(cmd, d->staging, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                               VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_ACCESS_TRANSFER_WRITE_BIT,
                               VK_ACCESS_TRANSFER_READ_BIT, xfer);
        VkImageBlit blit = {
            .srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
            .srcOffsets = {{(int32_t)f->src_x, (int32_t)f->src_y, 0},
                           {(int32_t)(f->src_x + f->width), (int32_t)(f->src_y + f->height), 1}},
            .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
            .dstOffsets = {{(int32_t)f->dst_x, (int32_t)f->dst_y, 0},
                           {(int32_t)(f->dst_x + f->width), (int32_t)(f->dst_y + f->height), 1}},
        };
        vkCmdBlitImage(cmd, d->staging, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, img,
                       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &blit, VK_FILTER_NEAREST);
    }
    sink_cmd_image_barrier(cmd, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, VK_ACCESS_TRANSFER_WRITE_BIT, 0,
                           VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT);
    if (!sk->readback)
        return;
    VkBufferCopy bc = {0, 0, (VkDeviceSize)sk->view->pitch * sk->view->height};
    vkCmdCopyBuffer(cmd, sl->shared.buffer, sl->readback, 1, &bc);
    sink_readback_to_host(cmd, sl);
}

/* ---- per frame ---------------------------------------------------------------------- */

static baton_status drm_acquire(sink *sk, frame_slot *sl, uint32_t *target, VkSemaphore *wait,
                                VkSemaphore *signal, baton_error *err)
{
    drm_sink *d = sk->state;
    uint32_t s = (uint32_t)(sl - sk->view->slot), t = 0;
    VkResult r = BATON_FAULT_VK_AS("vkAcquireNextImageKHR", d->vk.acquire_image(sk->view->ctx->device, d->swapchain,
                                     (uint64_t)sk->view->timeout_ms * 1000000u, d->acquired_sem[s],
                                     VK_NULL_HANDLE, &t));
    if ((r == VK_SUCCESS || r == VK_SUBOPTIMAL_KHR) && t < d->image_count) {
        *target = t;
        *wait = d->acquired_sem[s];
        *signal = d->rendered[t];
        return BATON_OK;
    }
    if (r == VK_TIMEOUT || r == VK_NOT_READY)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "drm sink, frame %llu: no image of display %s free within %u ms "
                               "(vkAcquireNextImageKHR: %s)",
                               (unsigned long long)sl->frame, d->t.name, sk->view->timeout_ms,
                               baton_vk_result_name(r));
    if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_ERROR_SURFACE_LOST_KHR)
        return display_lost(d, r == VK_ERROR_OUT_OF_DATE_KHR
                                   ? "vkAcquireNextImageKHR: VK_ERROR_OUT_OF_DATE_KHR"
                                   : "vkAcquireNextImageKHR: VK_ERROR_SURFACE_LOST_KHR",
                            sl->frame, err);
    if (r >= 0)
        return baton_error_set(err, BATON_ERR_VULKAN,
                               "drm sink, frame %llu: vkAcquireNextImageKHR gave image %u of %u",
                               (unsigned long long)sl->frame, t, d->image_count);
    return baton_error_set(err, BATON_ERR_VULKAN,
                           "drm sink, frame %llu: vkAcquireNextImageKHR failed: %s",
                           (unsigned long long)sl->frame, baton_vk_result_name(r));
}

static void set_pending(drm_sink *d, uint32_t s, bool pending, uint64_t frame)
{
    pthread_mutex_lock(&d->lock);
    d->pending[s] = pending;
    d->pending_frame[s] = frame;
    pthread_mutex_unlock(&d->lock);
}

/* Ask for an event at the next vblank of the CRTC, tagged with the frame. */
static void queue_vblank_event(drm_sink *d, uint32_t s, uint64_t frame)
{
    set_pending(d, s, false, 0);
    if (d->vblank == VBLANK_SEQUENCE) {
        uint64_t queued = 0;
        if (BATON_FAULT_SYS(drmCrtcQueueSequence(d->fd, d->t.crtc_id,
                                 DRM_CRTC_SEQUENCE_RELATIVE | DRM_CRTC_SEQUENCE_NEXT_ON_MISS, 1,
                                 &queued, frame), -1) == 0) {
            d->sequence_worked = true;
            set_pending(d, s, true, frame);
            return;
        }
        if (d->sequence_worked)
            return; /* it works on this kernel: a transient failure (CRTC off) */
    }
    drmVBlank v;
    memset(&v, 0, sizeof v);
    v.request.type = (drmVBlankSeqType)(DRM_VBLANK_RELATIVE | DRM_VBLANK_EVENT |
                                        drm_vblank_pipe(d->t.crtc_index));
    v.request.sequence = 1;
    v.request.signal = (unsigned long)frame;
    if (BATON_FAULT_SYS(drmWaitVBlank(d->fd, &v), -1) == 0) {
        d->vblank = VBLANK_WAIT_EVENT;
        set_pending(d, s, true, frame);
    }
}

static baton_status drm_submitted(sink *sk, frame_slot *sl, uint32_t target, baton_error *err)
{
    drm_sink *d = sk->state;
    VkPresentTimeGOOGLE when = {.presentID = (uint32_t)(sl->frame + 1), .desiredPresentTime = 0};
    VkPresentTimesInfoGOOGLE times = {.sType = VK_STRUCTURE_TYPE_PRESENT_TIMES_INFO_GOOGLE,
                                      .swapchainCount = 1, .pTimes = &when};
    VkPresentInfoKHR pi = {
        .sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
        .pNext = d->display_timing ? &times : NULL,
        .waitSemaphoreCount = 1,
        .pWaitSemaphores = &d->rendered[target],
        .swapchainCount = 1,
        .pSwapchains = &d->swapchain,
        .pImageIndices = &target,
    };
    VkResult r = baton_queue_present(sk->view->ctx, d->vk.queue_present, &pi);
    if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_ERROR_SURFACE_LOST_KHR)
        return display_lost(d, r == VK_ERROR_OUT_OF_DATE_KHR
                                   ? "vkQueuePresentKHR: VK_ERROR_OUT_OF_DATE_KHR"
                                   : "vkQueuePresentKHR: VK_ERROR_SURFACE_LOST_KHR",
                            sl->frame, err);
    if (r != VK_SUCCESS && r != VK_SUBOPTIMAL_KHR)
        return baton_error_set(err, BATON_ERR_VULKAN,
                               "drm sink, frame %llu: vkQueuePresentKHR failed: %s",
                               (unsigned long long)sl->frame, baton_vk_result_name(r));
    if (d->vblank != VBLANK_NONE)
        queue_vblank_event(d, (uint32_t)(sl - sk->view->slot), sl->frame);
    return BATON_OK;
}

typedef struct vblank_wait {
    drm_sink *d;
    sink *sk;
    uint32_t slot;
} vblank_wait;

/* A vblank (or CRTC sequence) event: record it, its frame is no longer pending. */
static void on_event(void *ctx, const drm_event_rec *e)
{
    vblank_wait *w = ctx;
    if (e->type != DRM_EVENT_VBLANK && e->type != DRM_EVENT_CRTC_SEQUENCE)
        return;
    drm_vblank v = {e->user_data, e->sequence, e->ns, DRM_VBLANK_FROM_DRM_EVENT};
    pthread_mutex_lock(&w->d->lock);
    drm_vblank_push(&w->d->ring, &v);
    for (uint32_t s = 0; s < w->sk->view->slots; s++)
        if (w->d->pending[s] && w->d->pending_frame[s] == e->user_data)
            w->d->pending[s] = false;
    pthread_mutex_unlock(&w->d->lock);
    if (w->sk->on_screen)
        w->sk->on_screen(w->sk, e->user_data, e->ns);
}

static bool slot_not_pending(void *ctx)
{
    const vblank_wait *w = ctx;
    pthread_mutex_lock(&w->d->lock);
    bool done = !w->d->pending[w->slot];
    pthread_mutex_unlock(&w->d->lock);
    return done;
}

static void wait_vblank_event(drm_sink *d, sink *sk, uint32_t s)
{
    uint64_t bound = 3 * d->t.period_ns + 2000000u;
    uint64_t cap = (uint64_t)sk->view->timeout_ms * 1000000u;
    vblank_wait w = {d, sk, s};
    if (!drm_events_wait(d->fd, baton_now_ns() + (bound < cap ? bound : cap), slot_not_pending,
                         on_event, &w)) {
        pthread_mutex_lock(&d->lock);
        d->pending[s] = false;
        d->vblank_missed++;
        pthread_mutex_unlock(&d->lock);
    }
}

static baton_status collect_display_timing(drm_sink *d, sink *sk, uint64_t frame,
                                           baton_error *err)
{
    for (int round = 0; round < 4; round++) {
        VkPastPresentationTimingGOOGLE t[16];
        uint32_t n = BATON_ARRAY_LEN(t);
        VkResult r = BATON_FAULT_VK_AS("vkGetPastPresentationTimingGOOGLE", d->vk.past_timing(sk->view->ctx->device, d->swapchain, &n, t));
        if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_ERROR_SURFACE_LOST_KHR)
            return display_lost(d, "vkGetPastPresentationTimingGOOGLE", frame, err);
        if (r < 0)
            return BATON_OK; /* timing is a report, not worth stopping for */
        for (uint32_t i = 0; i < n; i++) {
            drm_vblank v = {(uint64_t)t[i].presentID - 1u, 0, t[i].actualPresentTime,
                            DRM_VBLANK_FROM_DISPLAY_TIMING};
            pthread_mutex_lock(&d->lock);
            drm_vblank_push(&d->ring, &v);
            pthread_mutex_unlock(&d->lock);
            if (sk->on_screen)
                sk->on_screen(sk, v.frame, v.ns);
        }
        if (r != VK_INCOMPLETE)
            break;
    }
    return BATON_OK;
}

static baton_status check_connector(drm_sink *d, uint64_t frame, baton_error *err)
{
    const char *why = drm_modes_connector_lost(d->fd, d->t.connector_id, &d->next_check_ns);
    return why ? display_lost(d, why, frame, err) : BATON_OK;
}

static baton_status drm_done(sink *sk, frame_slot *sl, baton_error *err)
{
    drm_sink *d = sk->state;
    baton_status st = BATON_OK;
    uint32_t s = (uint32_t)(sl - sk->view->slot);
    pthread_mutex_lock(&d->lock);
    bool pending = d->pending[s] && d->pending_frame[s] == sl->frame;
    pthread_mutex_unlock(&d->lock);
    if (d->display_timing)
        st = collect_display_timing(d, sk, sl->frame, err);
    else if (pending)
        wait_vblank_event(d, sk, s);
    if (st == BATON_OK)
        st = check_connector(d, sl->frame, err);
    if (st == BATON_OK)
        st = sink_dump_frame(sk, sl, err);
    return st;
}

void sink_drm_report_vblanks(const drm_vblank_ring *ring, uint64_t missed, uint64_t period_ns,
                             baton_display_report *out)
{
    drm_vblank v[BATON_DISPLAY_VBLANKS_KEEP];
    size_t n = drm_vblank_copy(ring, v, BATON_DISPLAY_VBLANKS_KEEP);
    for (size_t i = 0; i < n; i++)
        out->vblanks[i] = (baton_vblank){v[i].frame, v[i].sequence, v[i].ns};
    out->vblank_count = n;
    out->vblanks_total = ring->total;
    out->vblanks_missed = missed;
    out->period_ns = period_ns;
    if (n)
        snprintf(out->vblank_source, sizeof out->vblank_source, "%s",
                 v[n - 1].source == DRM_VBLANK_FROM_DISPLAY_TIMING ? "VK_GOOGLE_display_timing"
                 : v[n - 1].source == DRM_VBLANK_FROM_FLIP_EVENT  ? "page-flip events"
                                                                  : "vblank events");
}

static void drm_report(const sink *sk, baton_display_report *out)
{
    const drm_sink *d = sk->state;
    snprintf(out->description, sizeof out->description,
             "drm %s %ux%u@%u.%02uHz on %s, VK_KHR_display swapchain%s", d->t.name, d->t.mode.width,
             d->t.mode.height, d->t.mode.refresh_mhz / 1000u, d->t.mode.refresh_mhz % 1000u / 10u,
             d->path, d->acquired ? " (display acquired)" : "");
    sink_drm_report_vblanks(&d->ring, d->vblank_missed, d->t.period_ns, out);
}

const sink_ops sink_drm_ops = {
    .scheme = "drm",
    .usage = "drm[:CONNECTOR|auto][@WxH[@HZ]][,via=auto|vulkan|kms] (a display, no compositor)",
    .create = drm_create,
    .destroy = drm_destroy,
    .target_count = drm_targets,
    .record = drm_record,
    .acquire = drm_acquire,
    .submitted = drm_submitted,
    .done = drm_done,
    .report = drm_report,
};
