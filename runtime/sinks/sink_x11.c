/* sink_x11.c - a window on an X server: "x11" (window of the frame's size) or
 * "x11:WxH". An xcb window (DISPLAY from the environment), a VkSurfaceKHR on
 * it (VK_KHR_xcb_surface) and a FIFO swapchain of TRANSFER_DST images.
 *
 * The Vulkan stage records its command buffers once, so the swapchain's
 * images must not be in them: this sink reports ONE target, and record()
 * only copies slot s's buffer into the sink's per-slot RGBA8 image (plus the
 * readback copy), leaving it in TRANSFER_SRC_OPTIMAL. The swapchain side is
 * the sink's own: per (slot s, swapchain image t) a small command buffer,
 * recorded by the sink, that blits frame[s] into image t (converting RGBA to
 * the swapchain's BGRA or RGBA, scaling when the window is not the frame's
 * size) and moves t to PRESENT_SRC. Per frame, in submitted(), after the
 * stage's submission: wait (bounded) for this slot's previous blit
 * (blit_done[s]), vkAcquireNextImageKHR (bounded by timeout_ms) signalling
 * acquired[s], submit blit[s][t] waiting for acquired[s] at the transfer
 * stage and signalling rendered[t], vkQueuePresentKHR waiting for
 * rendered[t], then poll the window's events. The blit starts with a
 * barrier whose first scope (all earlier commands in submission order)
 * covers the stage's copy into frame[s]; the stage's next copy into frame[s]
 * starts with a barrier covering the blit's read the same way. Nothing of
 * this allocates in steady state (xcb allocates an event only when one came).
 *
 * Window resize: the window listens for ConfigureNotify; a new size, or
 * VK_SUBOPTIMAL_KHR / VK_ERROR_OUT_OF_DATE_KHR from the acquire or the
 * present, marks the swapchain for recreation. At the start of the next
 * submitted() (a frame boundary: no recording is open, nothing of the
 * sink's is submitted for the frame yet) the sink waits (bounded) for every
 * submission in flight and for the queue, recreates the swapchain at the
 * surface's current extent (oldSwapchain = the old one, then destroyed) and
 * frees and re-records its blit command buffers only; the stage's command
 * buffers never change. An OUT_OF_DATE acquire recreates at once and
 * acquires again (once), so the frame is still shown. The number of
 * recreations: sink_x11_recreations() in sinks/sink.h (for tests).
 * VK_ERROR_SURFACE_LOST_KHR stops the pipeline with BATON_ERR_VULKAN naming
 * the call and the result; a closed window (WM_DELETE_WINDOW) or a broken X
 * connection stop it with BATON_ERR_IO. Destroy the pipeline after either.
 *
 * Readback (cfg.readback) copies the frame from the slot's RGBA8 image,
 * i.e. before scaling; dumps work as with the headless sink. */
#define VK_USE_PLATFORM_XCB_KHR
#include <vulkan/vulkan.h>
#include <xcb/xcb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/png.h"
#include "sinks/sink_common.h"
#include "core/vk_util.h"
#include "util/fault.h"

#define X11_MAX_SIDE 16384u

typedef struct x11 {
    xcb_connection_t *conn;
    xcb_window_t window;
    xcb_atom_t wm_protocols, wm_delete;
    bool closed;                /* the window manager asked us to close */
    char display[128];
    uint32_t win_w, win_h;
    VkSurfaceKHR surface;
    VkSwapchainKHR swapchain;
    VkFormat format;
    VkExtent2D extent;
    VkFilter filter;            /* for the blit: nearest when 1:1 */
    VkFilter scale_filter;      /* linear when the device can */
    uint32_t image_count;
    VkImage images[SINK_MAX_TARGETS];     /* the swapchain's */
    VkSemaphore rendered[SINK_MAX_TARGETS];
    VkImage frame[BATON_SLOTS_MAX];       /* per slot, RGBA8 */
    VkDeviceMemory frame_memory[BATON_SLOTS_MAX];
    VkSemaphore acquired[BATON_SLOTS_MAX];
    VkCommandPool pool;                   /* the sink's own */
    VkCommandBuffer blit[BATON_SLOTS_MAX][SINK_MAX_TARGETS]; /* frame[s] -> images[t] */
    uint32_t blit_count;                  /* blit buffers allocated per slot */
    VkFence blit_done[BATON_SLOTS_MAX];   /* slot s's last blit submission */
    bool recreate;              /* the swapchain no longer matches the window */
    uint64_t recreations;
} x11;

static baton_status parse_size(const char *arg, uint32_t *w, uint32_t *h, baton_error *err)
{
    if (!*arg)
        return BATON_OK; /* the frame's size */
    char *end = NULL;
    unsigned long pw = 0, ph = 0;
    if (arg[0] == ':' && arg[1] >= '0' && arg[1] <= '9') {
        pw = strtoul(arg + 1, &end, 10);
        if (*end == 'x' && end[1] >= '0' && end[1] <= '9')
            ph = strtoul(end + 1, &end, 10);
        else
            end = NULL;
    }
    if (!end || *end || pw == 0 || ph == 0 || pw > X11_MAX_SIDE || ph > X11_MAX_SIDE)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "sink 'x11%s': expected x11 or x11:WxH with W and H in 1..%u", arg,
                               X11_MAX_SIDE);
    *w = (uint32_t)pw;
    *h = (uint32_t)ph;
    return BATON_OK;
}

static const char *xcb_reason(int e)
{
    switch (e) {
    case XCB_CONN_ERROR: return "socket, pipe or stream error";
    case XCB_CONN_CLOSED_EXT_NOTSUPPORTED: return "extension not supported";
    case XCB_CONN_CLOSED_MEM_INSUFFICIENT: return "out of memory";
    case XCB_CONN_CLOSED_REQ_LEN_EXCEED: return "request too long";
    case XCB_CONN_CLOSED_PARSE_ERR: return "cannot parse the display name";
    case XCB_CONN_CLOSED_INVALID_SCREEN: return "no such screen";
    default: return "connection refused or failed";
    }
}

static xcb_atom_t intern(xcb_connection_t *c, const char *name)
{
    xcb_intern_atom_reply_t *r =
        xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, (uint16_t)strlen(name), name), NULL);
    xcb_atom_t a = r ? r->atom : XCB_ATOM_NONE;
    free(r);
    return a;
}

/* Connect, create and map the window (size, title, close button). */
static baton_status open_window(x11 *x, baton_error *err)
{
    const char *env = getenv("DISPLAY");
    snprintf(x->display, sizeof x->display, "%s", env ? env : "");
    int screen_num = 0;
    x->conn = xcb_connect(NULL, &screen_num);
    int e = xcb_connection_has_error(x->conn);
    if (e)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: cannot connect to X display '%s' (%s)", x->display,
                               env && *env ? xcb_reason(e) : "DISPLAY is not set");
    xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(x->conn));
    for (int i = 0; i < screen_num && it.rem; i++)
        xcb_screen_next(&it);
    if (!it.rem)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: X display '%s' has no screen %d", x->display, screen_num);
    xcb_screen_t *screen = it.data;
    x->window = xcb_generate_id(x->conn);
    uint32_t values[2] = {screen->black_pixel, XCB_EVENT_MASK_STRUCTURE_NOTIFY};
    xcb_generic_error_t *xe = xcb_request_check(
        x->conn, xcb_create_window_checked(x->conn, XCB_COPY_FROM_PARENT, x->window, screen->root,
                                           0, 0, (uint16_t)x->win_w, (uint16_t)x->win_h, 0,
                                           XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual,
                                           XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK, values));
    if (xe) {
        int code = xe->error_code;
        free(xe);
        x->window = 0;
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: xcb_create_window(%ux%u) on '%s' failed: X error %d",
                               x->win_w, x->win_h, x->display, code);
    }
    static const char title[] = "baton";
    xcb_change_property(x->conn, XCB_PROP_MODE_REPLACE, x->window, XCB_ATOM_WM_NAME,
                        XCB_ATOM_STRING, 8, sizeof title - 1, title);
    /* WM_NORMAL_HINTS: PSize, the window's size (resizable: the swapchain
     * follows) */
    uint32_t hints[18] = {0};
    hints[0] = 1u << 3;
    hints[3] = x->win_w;
    hints[4] = x->win_h;
    xcb_change_property(x->conn, XCB_PROP_MODE_REPLACE, x->window, XCB_ATOM_WM_NORMAL_HINTS,
                        XCB_ATOM_WM_SIZE_HINTS, 32, 18, hints);
    uint32_t pid = (uint32_t)getpid();
    xcb_atom_t net_wm_pid = intern(x->conn, "_NET_WM_PID");
    if (net_wm_pid != XCB_ATOM_NONE)
        xcb_change_property(x->conn, XCB_PROP_MODE_REPLACE, x->window, net_wm_pid,
                            XCB_ATOM_CARDINAL, 32, 1, &pid);
    x->wm_protocols = intern(x->conn, "WM_PROTOCOLS");
    x->wm_delete = intern(x->conn, "WM_DELETE_WINDOW");
    if (x->wm_protocols != XCB_ATOM_NONE && x->wm_delete != XCB_ATOM_NONE)
        xcb_change_property(x->conn, XCB_PROP_MODE_REPLACE, x->window, x->wm_protocols,
                            XCB_ATOM_ATOM, 32, 1, &x->wm_delete);
    xcb_map_window(x->conn, x->window);
    if (xcb_flush(x->conn) <= 0)
        return baton_error_set(err, BATON_ERR_IO, "x11 sink: lost the connection to X display '%s'",
                               x->display);
    return BATON_OK;
}

static baton_status create_frame_image(sink *sk, x11 *x, uint32_t s, baton_error *err)
{
    return sink_image_create(sk->view->ctx, sk->view->width, sk->view->height, VK_FORMAT_R8G8B8A8_UNORM,
                             "x11 sink frame", &x->frame[s], &x->frame_memory[s], err);
}

/* B8G8R8A8_UNORM or R8G8B8A8_UNORM (sRGB non-linear colour space), the
 * first the surface lists; the blit into it must be supported. */
static baton_status choose_format(baton_context *ctx, x11 *x, baton_error *err)
{
    VkSurfaceFormatKHR fmts[64];
    uint32_t n = BATON_ARRAY_LEN(fmts);
    VkResult r = BATON_FAULT_VK(vkGetPhysicalDeviceSurfaceFormatsKHR(ctx->physical, x->surface, &n, fmts));
    if (r < 0)
        return baton_vk_fail(err, "vkGetPhysicalDeviceSurfaceFormatsKHR", r);
    x->format = VK_FORMAT_UNDEFINED;
    for (uint32_t i = 0; i < n && x->format == VK_FORMAT_UNDEFINED; i++)
        if ((fmts[i].format == VK_FORMAT_B8G8R8A8_UNORM ||
             fmts[i].format == VK_FORMAT_R8G8B8A8_UNORM) &&
            fmts[i].colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR)
            x->format = fmts[i].format;
    if (x->format == VK_FORMAT_UNDEFINED)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: the surface on '%s' offers neither B8G8R8A8_UNORM nor "
                               "R8G8B8A8_UNORM (%u formats)", x->display, n);
    VkFormatProperties dst, src;
    vkGetPhysicalDeviceFormatProperties(ctx->physical, x->format, &dst);
    vkGetPhysicalDeviceFormatProperties(ctx->physical, VK_FORMAT_R8G8B8A8_UNORM, &src);
    if (!(dst.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_DST_BIT) ||
        !(src.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_SRC_BIT))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: the device cannot blit R8G8B8A8_UNORM into %s images",
                               x->format == VK_FORMAT_B8G8R8A8_UNORM ? "B8G8R8A8_UNORM"
                                                                     : "R8G8B8A8_UNORM");
    x->scale_filter = (src.optimalTilingFeatures & VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT)
                    ? VK_FILTER_LINEAR : VK_FILTER_NEAREST;
    return BATON_OK;
}

/* A swapchain at the surface's current extent; old (or VK_NULL_HANDLE) is
 * passed as oldSwapchain and is retired either way (the caller destroys it).
 * x->swapchain is VK_NULL_HANDLE or the new one on return. */
static baton_status create_swapchain(sink *sk, x11 *x, VkSwapchainKHR old,
                                     baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    VkSurfaceCapabilitiesKHR caps;
    VkResult r = BATON_FAULT_VK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(ctx->physical, x->surface, &caps));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetPhysicalDeviceSurfaceCapabilitiesKHR", r);
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: swapchain images on '%s' cannot be transfer destinations",
                               x->display);
    x->extent = caps.currentExtent;
    if (x->extent.width == UINT32_MAX) { /* the surface takes the swapchain's size */
        x->extent.width = x->win_w < caps.minImageExtent.width ? caps.minImageExtent.width
                          : x->win_w > caps.maxImageExtent.width ? caps.maxImageExtent.width
                                                                 : x->win_w;
        x->extent.height = x->win_h < caps.minImageExtent.height ? caps.minImageExtent.height
                           : x->win_h > caps.maxImageExtent.height ? caps.maxImageExtent.height
                                                                   : x->win_h;
    }
    if (x->extent.width == 0 || x->extent.height == 0)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: the window on '%s' has size 0", x->display);
    /* 1:1: only the channel order changes */
    x->filter = x->extent.width == sk->view->width && x->extent.height == sk->view->height
                    ? VK_FILTER_NEAREST : x->scale_filter;
    uint32_t count = caps.minImageCount + 1;
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
            alpha = alphas[i]; /* the first supported one, opaque preferred */
    VkSwapchainCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
        .surface = x->surface,
        .minImageCount = count,
        .imageFormat = x->format,
        .imageColorSpace = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR,
        .imageExtent = x->extent,
        .imageArrayLayers = 1,
        .imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT,
        .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .preTransform = caps.currentTransform,
        .compositeAlpha = alpha,
        .presentMode = VK_PRESENT_MODE_FIFO_KHR, /* always supported */
        .clipped = VK_TRUE,
        .oldSwapchain = old,
    };
    VkSwapchainKHR sc = VK_NULL_HANDLE;
    x->swapchain = VK_NULL_HANDLE;
    x->image_count = 0;
    if ((r = BATON_FAULT_VK(vkCreateSwapchainKHR(ctx->device, &ci, NULL, &sc))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateSwapchainKHR", r);
    x->swapchain = sc;
    baton_count_vk(ctx);
    uint32_t n = 0;
    if ((r = BATON_FAULT_VK(vkGetSwapchainImagesKHR(ctx->device, x->swapchain, &n, NULL))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetSwapchainImagesKHR", r);
    if (n == 0 || n > SINK_MAX_TARGETS)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: the swapchain has %u images (1..%u supported)", n,
                               SINK_MAX_TARGETS);
    if ((r = BATON_FAULT_VK(vkGetSwapchainImagesKHR(ctx->device, x->swapchain, &n, x->images))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetSwapchainImagesKHR", r);
    x->image_count = n;
    return BATON_OK;
}

/* The sink's command buffer (slot s, swapchain image t): frame[s] (left in
 * TRANSFER_SRC_OPTIMAL by the stage's submission) blitted into images[t]. */
static baton_status record_blit(sink *sk, x11 *x, uint32_t s, uint32_t t,
                                baton_error *err)
{
    VkCommandBuffer cmd = x->blit[s][t];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult r = BATON_FAULT_VK(vkBeginCommandBuffer(cmd, &bi));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkBeginCommandBuffer(x11 sink blit)", r);
    /* First scope: every earlier command in submission order, i.e. the
     * stage's copy into frame[s] (its writes made visible to our read).
     * images[t]: its transition waits for the acquire semaphore, which the
     * submit waits for at the transfer stage. */
    VkMemoryBarrier copied = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT};
    VkImageMemoryBarrier dst =
        sink_image_barrier(x->images[t], VK_IMAGE_LAYOUT_UNDEFINED,
                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0, VK_ACCESS_TRANSFER_WRITE_BIT);
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                         &copied, 0, NULL, 1, &dst);
    VkImageBlit blit = {
        .srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .srcOffsets = {{0, 0, 0}, {(int32_t)sk->view->width, (int32_t)sk->view->height, 1}},
        .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .dstOffsets = {{0, 0, 0}, {(int32_t)x->extent.width, (int32_t)x->extent.height, 1}},
    };
    vkCmdBlitImage(cmd, x->frame[s], VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, x->images[t],
                   VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &blit, x->filter);
    sink_cmd_image_barrier(cmd, x->images[t], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, VK_ACCESS_TRANSFER_WRITE_BIT, 0,
                           VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT);
    if ((r = BATON_FAULT_VK(vkEndCommandBuffer(cmd))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkEndCommandBuffer(x11 sink blit)", r);
    return BATON_OK;
}

static void free_blits(sink *sk, x11 *x)
{
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++) {
        if (x->blit_count && x->blit[s][0])
            vkFreeCommandBuffers(sk->view->ctx->device, x->pool, x->blit_count, x->blit[s]);
        memset(x->blit[s], 0, sizeof x->blit[s]);
    }
    x->blit_count = 0;
}

/* Per slot, one blit command buffer per swapchain image, recorded. */
static baton_status create_blits(sink *sk, x11 *x, baton_error *err)
{
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = x->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = x->image_count};
    x->blit_count = x->image_count;
    for (uint32_t s = 0; s < sk->view->slots; s++) {
        VkResult r = BATON_FAULT_VK(vkAllocateCommandBuffers(sk->view->ctx->device, &ai, x->blit[s]));
        if (r != VK_SUCCESS) {
            memset(x->blit[s], 0, sizeof x->blit[s]);
            return baton_vk_fail(err, "vkAllocateCommandBuffers(x11 sink blit)", r);
        }
        baton_count_vk_owned(sk->view->ctx);
        for (uint32_t t = 0; t < x->image_count; t++) {
            baton_status st = record_blit(sk, x, s, t, err);
            if (st != BATON_OK)
                return st;
        }
    }
    return BATON_OK;
}

/* A binary semaphore per swapchain image (kept across recreations). */
static baton_status create_rendered(baton_context *ctx, x11 *x, baton_error *err)
{
    baton_status st = BATON_OK;
    for (uint32_t t = 0; t < x->image_count && st == BATON_OK; t++)
        if (!x->rendered[t])
            st = sink_semaphore_create(ctx, "x11 sink", &x->rendered[t], err);
    return st;
}

static baton_status x11_create(sink *sk, const char *arg, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    uint32_t w = sk->view->width, h = sk->view->height;
    baton_status st = parse_size(arg, &w, &h, err);
    if (st != BATON_OK)
        return st;
    x11 *x = BATON_FAULT_PTR(calloc(1, sizeof *x));
    if (!x)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(x11 sink) failed");
    sk->state = x;
    x->win_w = w;
    x->win_h = h;
    if ((st = open_window(x, err)) != BATON_OK)
        return st;
    if (!ctx->wsi_xcb || !ctx->swapchain)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: %s lacks %s", baton_context_device_name(ctx),
                               !ctx->wsi_xcb ? "the instance extensions VK_KHR_surface + "
                                               "VK_KHR_xcb_surface"
                                             : "the device extension VK_KHR_swapchain");
    VkXcbSurfaceCreateInfoKHR si = {.sType = VK_STRUCTURE_TYPE_XCB_SURFACE_CREATE_INFO_KHR,
                                    .connection = x->conn, .window = x->window};
    VkResult r = BATON_FAULT_VK(vkCreateXcbSurfaceKHR(ctx->instance, &si, NULL, &x->surface));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateXcbSurfaceKHR", r);
    baton_count_vk(ctx);
    VkBool32 ok = VK_FALSE;
    r = BATON_FAULT_VK(vkGetPhysicalDeviceSurfaceSupportKHR(ctx->physical, ctx->queue_family, x->surface, &ok));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetPhysicalDeviceSurfaceSupportKHR", r);
    if (!ok)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: %s cannot present to X display '%s' from queue family %u",
                               baton_context_device_name(ctx), x->display, ctx->queue_family);
    if ((st = choose_format(ctx, x, err)) != BATON_OK)
        return st;
    if ((st = create_swapchain(sk, x, VK_NULL_HANDLE, err)) != BATON_OK)
        return st;
    if ((st = create_rendered(ctx, x, err)) != BATON_OK)
        return st;
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
                            .flags = VK_FENCE_CREATE_SIGNALED_BIT}; /* no blit yet */
    for (uint32_t s = 0; s < sk->view->slots && st == BATON_OK; s++) {
        st = sink_semaphore_create(ctx, "x11 sink", &x->acquired[s], err);
        if (st == BATON_OK)
            st = create_frame_image(sk, x, s, err);
        if (st == BATON_OK) {
            if ((r = BATON_FAULT_VK(vkCreateFence(ctx->device, &fi, NULL, &x->blit_done[s]))) != VK_SUCCESS)
                return baton_vk_fail(err, "vkCreateFence(x11 sink)", r);
            baton_count_vk(ctx);
        }
    }
    if (st != BATON_OK)
        return st;
    VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .queueFamilyIndex = ctx->queue_family};
    if ((r = BATON_FAULT_VK(vkCreateCommandPool(ctx->device, &pi, NULL, &x->pool))) != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateCommandPool(x11 sink)", r);
    baton_count_vk(ctx);
    if ((st = create_blits(sk, x, err)) != BATON_OK)
        return st;
    return sink_readback_create(sk, err);
}

static void x11_destroy(sink *sk)
{
    baton_context *ctx = sk->view->ctx;
    VkDevice dev = ctx->device;
    x11 *x = sk->state;
    /* the pipeline waited for its fences and the queue; presents and the
     * sink's blits too */
    if (dev)
        baton_queue_wait_idle(ctx);
    sink_readback_destroy(sk);
    if (x) {
        if (x->pool)
            BATON_DESTROYED_VK(vkDestroyCommandPool(dev, x->pool, NULL)); /* frees the blit command buffers */
        if (x->swapchain)
            BATON_DESTROYED_VK(vkDestroySwapchainKHR(dev, x->swapchain, NULL));
        for (uint32_t t = 0; t < SINK_MAX_TARGETS; t++)
            if (x->rendered[t])
                BATON_DESTROYED_VK(vkDestroySemaphore(dev, x->rendered[t], NULL));
        for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++) {
            if (x->acquired[s])
                BATON_DESTROYED_VK(vkDestroySemaphore(dev, x->acquired[s], NULL));
            if (x->blit_done[s])
                BATON_DESTROYED_VK(vkDestroyFence(dev, x->blit_done[s], NULL));
            sink_image_destroy(ctx, &x->frame[s], &x->frame_memory[s]);
        }
        if (x->surface)
            BATON_DESTROYED_VK(vkDestroySurfaceKHR(ctx->instance, x->surface, NULL));
        if (x->conn) {
            if (x->window && !xcb_connection_has_error(x->conn)) {
                xcb_destroy_window(x->conn, x->window);
                xcb_flush(x->conn);
            }
            xcb_disconnect(x->conn); /* also frees a failed connection */
        }
    }
    free(x);
    sk->state = NULL;
}

/* One target: the stage's command buffers never name a swapchain image. */
static uint32_t x11_targets(const sink *sk)
{
    (void)sk;
    return 1;
}

/* The stage's part: slot s's buffer into frame[s], left in
 * TRANSFER_SRC_OPTIMAL for the sink's blit (and the readback copy). */
static void x11_record(sink *sk, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    (void)t; /* always 0 */
    x11 *x = sk->state;
    sink_record_frame_to_image(sk, s, x->frame[s], true, cmd);
}

/* SURFACE_LOST (or OUT_OF_DATE right after a recreation): stop. */
static baton_status lost(const sink *sk, const frame_slot *sl, const char *call, VkResult r,
                         baton_error *err)
{
    const x11 *x = sk->state;
    return baton_error_set(err, BATON_ERR_VULKAN,
                           "x11 sink, frame %llu: %s returned %s (the window on '%s' is gone or "
                           "the display was lost): destroy the pipeline",
                           (unsigned long long)sl->frame, call, baton_vk_result_name(r),
                           x->display);
}

static baton_status wait_fence(sink *sk, const frame_slot *sl, VkFence f, const char *what,
                               baton_error *err)
{
    VkResult r = BATON_FAULT_VK_WAIT(vkWaitForFences(sk->view->ctx->device, 1, &f, VK_TRUE,
                                 (uint64_t)sk->view->timeout_ms * 1000000u));
    if (r == VK_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "x11 sink, frame %llu: %s not done within %u ms",
                               (unsigned long long)sl->frame, what, sk->view->timeout_ms);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN,
                               "x11 sink, frame %llu: vkWaitForFences(%s) failed: %s",
                               (unsigned long long)sl->frame, what, baton_vk_result_name(r));
    return BATON_OK;
}

/* The window's size changed: a new swapchain at the surface's current extent
 * and new blit command buffers; the stage's command buffers (frame[s] only)
 * stay. Runs at a frame boundary (see submitted()). This waits for the GPU
 * and allocates (swapchain, command buffers, maybe semaphores): acceptable,
 * as a resize is an exceptional event, not the per-frame path. */
static baton_status recreate(sink *sk, frame_slot *cur, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    x11 *x = sk->state;
    /* Bounded waits for every submission that may use the swapchain or the
     * frame images (the stage's in flight, this frame's included; the
     * sink's blits), then for the queue: what is left there are presents
     * and submissions with no waits, which finish on their own. */
    baton_status st = BATON_OK;
    for (uint32_t s = 0; s < sk->view->slots && st == BATON_OK; s++) {
        st = wait_fence(sk, cur, sk->view->slot[s].fence, "the Vulkan stage (before recreating "
                                                          "the swapchain)", err);
        if (st == BATON_OK)
            st = wait_fence(sk, cur, x->blit_done[s], "the x11 sink's blit (before recreating "
                                                     "the swapchain)", err);
    }
    if (st != BATON_OK)
        return st;
    VkResult r = baton_queue_wait_idle(ctx);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN,
                               "x11 sink, frame %llu: vkQueueWaitIdle (before recreating the "
                               "swapchain) failed: %s",
                               (unsigned long long)cur->frame, baton_vk_result_name(r));
    free_blits(sk, x);
    VkSwapchainKHR old = x->swapchain;
    st = create_swapchain(sk, x, old, err); /* retires old, even on failure */
    if (old)
        BATON_DESTROYED_VK(vkDestroySwapchainKHR(ctx->device, old, NULL));
    if (st == BATON_OK)
        st = create_rendered(ctx, x, err);
    if (st == BATON_OK)
        st = create_blits(sk, x, err);
    if (st != BATON_OK)
        return st;
    x->recreate = false;
    x->recreations++;
    return BATON_OK;
}

/* Events the window gets: WM_DELETE_WINDOW and its structure changes (a new
 * size marks the swapchain for recreation). */
static void poll_events(x11 *x)
{
    xcb_generic_event_t *ev;
    while ((ev = xcb_poll_for_event(x->conn)) != NULL) {
        uint8_t type = ev->response_type & 0x7f;
        if (type == XCB_CLIENT_MESSAGE) {
            const xcb_client_message_event_t *cm = (const xcb_client_message_event_t *)ev;
            if (cm->type == x->wm_protocols && cm->data.data32[0] == x->wm_delete)
                x->closed = true;
        } else if (type == XCB_CONFIGURE_NOTIFY) {
            const xcb_configure_notify_event_t *ce = (const xcb_configure_notify_event_t *)ev;
            if (ce->window == x->window) {
                x->win_w = ce->width;
                x->win_h = ce->height;
                if (x->win_w != x->extent.width || x->win_h != x->extent.height)
                    x->recreate = true;
            }
        }
        free(ev);
    }
}

/* After the stage's submission of sl's frame: acquire, blit, present. */
static baton_status x11_submitted(sink *sk, frame_slot *sl, uint32_t target, baton_error *err)
{
    (void)target; /* always 0: the swapchain image is picked here */
    x11 *x = sk->state;
    VkDevice dev = sk->view->ctx->device;
    uint32_t s = (uint32_t)(sl - sk->view->slot), t = 0;
    baton_status st = BATON_OK;
    if (x->recreate && (st = recreate(sk, sl, err)) != BATON_OK)
        return st;
    /* this slot's previous blit (blit[s][*], acquired[s]) is done */
    if ((st = wait_fence(sk, sl, x->blit_done[s], "the x11 sink's previous blit", err)) != BATON_OK)
        return st;
    VkResult r = VK_SUCCESS;
    for (int attempt = 0;; attempt++) {
        r = BATON_FAULT_VK(vkAcquireNextImageKHR(dev, x->swapchain, (uint64_t)sk->view->timeout_ms * 1000000u,
                                  x->acquired[s], VK_NULL_HANDLE, &t));
        if (r != VK_ERROR_OUT_OF_DATE_KHR || attempt > 0)
            break;
        /* nothing was acquired or signalled: recreate now, try once more */
        if ((st = recreate(sk, sl, err)) != BATON_OK)
            return st;
    }
    if (r == VK_SUBOPTIMAL_KHR)
        x->recreate = true; /* acquired (and shown scaled or clipped); recreate next frame */
    else if (r == VK_TIMEOUT || r == VK_NOT_READY)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "x11 sink, frame %llu: no swapchain image within %u ms "
                               "(vkAcquireNextImageKHR: %s)",
                               (unsigned long long)sl->frame, sk->view->timeout_ms,
                               baton_vk_result_name(r));
    else if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_ERROR_SURFACE_LOST_KHR)
        return lost(sk, sl, "vkAcquireNextImageKHR", r, err);
    else if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN,
                               "x11 sink, frame %llu: vkAcquireNextImageKHR failed: %s",
                               (unsigned long long)sl->frame, baton_vk_result_name(r));
    VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .waitSemaphoreCount = 1, .pWaitSemaphores = &x->acquired[s], .pWaitDstStageMask = &stage,
        .commandBufferCount = 1, .pCommandBuffers = &x->blit[s][t],
        .signalSemaphoreCount = 1, .pSignalSemaphores = &x->rendered[t],
    };
    r = BATON_FAULT_VK(vkResetFences(dev, 1, &x->blit_done[s]));
    if (r == VK_SUCCESS)
        r = baton_queue_submit(sk->view->ctx, 1, &si, x->blit_done[s]);
    if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN,
                               "x11 sink, frame %llu: vkQueueSubmit(blit) failed: %s",
                               (unsigned long long)sl->frame, baton_vk_result_name(r));
    VkPresentInfoKHR pi = {
        .sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
        .waitSemaphoreCount = 1,
        .pWaitSemaphores = &x->rendered[t],
        .swapchainCount = 1,
        .pSwapchains = &x->swapchain,
        .pImageIndices = &t,
    };
    r = baton_queue_present(sk->view->ctx, vkQueuePresentKHR, &pi);
    if (r == VK_SUBOPTIMAL_KHR || r == VK_ERROR_OUT_OF_DATE_KHR)
        x->recreate = true; /* at the next frame's start */
    else if (r == VK_ERROR_SURFACE_LOST_KHR)
        return lost(sk, sl, "vkQueuePresentKHR", r, err);
    else if (r != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_VULKAN,
                               "x11 sink, frame %llu: vkQueuePresentKHR failed: %s",
                               (unsigned long long)sl->frame, baton_vk_result_name(r));
    poll_events(x);
    if (xcb_connection_has_error(x->conn))
        return baton_error_set(err, BATON_ERR_IO,
                               "x11 sink, frame %llu: lost the connection to X display '%s'",
                               (unsigned long long)sl->frame, x->display);
    if (x->closed)
        return baton_error_set(err, BATON_ERR_IO,
                               "x11 sink, frame %llu: the window on '%s' was closed",
                               (unsigned long long)sl->frame, x->display);
    return BATON_OK;
}

static baton_status x11_done(sink *sk, frame_slot *sl, baton_error *err)
{
    return sink_dump_frame(sk, sl, err);
}

uint64_t sink_x11_recreations(const sink *sk)
{
    const x11 *x = sk && sk->ops == &sink_x11_ops ? sk->state : NULL;
    return x ? x->recreations : 0;
}

const sink_ops sink_x11_ops = {
    .scheme = "x11",
    .usage = "x11[:WxH] (a window on $DISPLAY)",
    .create = x11_create,
    .destroy = x11_destroy,
    .target_count = x11_targets,
    .record = x11_record,
    .acquire = NULL, /* target 0, no semaphores: the acquire is in submitted() */
    .submitted = x11_submitted,
    .done = x11_done,
};
