/* sink_x11.c - a window on an X server: "x11" (window of the frame's size) or
 * "x11:WxH". An xcb window (DISPLAY from the environment), a VkSurfaceKHR on
 * it (VK_KHR_xcb_surface) and a FIFO swapchain of TRANSFER_DST images.
 *
 * Everything is made once at creation: per slot an RGBA8 image the frame is
 * copied into and a binary 'acquired' semaphore; per swapchain image a
 * binary 'rendered' semaphore. The command buffer of (slot s, image t)
 * copies slot s's buffer into its RGBA8 image, then blits that into
 * swapchain image t: the blit converts RGBA to the swapchain's BGRA (or
 * RGBA) and scales when the window is not the frame's size. Per frame:
 * acquire() = vkAcquireNextImageKHR (bounded by timeout_ms) signalling
 * acquired[s], which the Vulkan stage's submit waits for (transfer stage)
 * while it signals rendered[t]; submitted() = vkQueuePresentKHR waiting for
 * rendered[t], then the window's events are polled (no allocation unless an
 * event came).
 *
 * Window resize and display loss: the window asks the window manager for a
 * fixed size. VK_SUBOPTIMAL_KHR is accepted (the image was acquired or
 * presented; it is shown scaled or clipped). VK_ERROR_OUT_OF_DATE_KHR and
 * VK_ERROR_SURFACE_LOST_KHR stop the pipeline with BATON_ERR_VULKAN naming
 * the call and the result: the swapchain is NOT recreated, because its
 * images are baked into the Vulkan stage's command buffers (recorded once,
 * with the stage's timestamps and queue-family transfers) and this sink
 * cannot re-record those. A closed window (WM_DELETE_WINDOW) or a broken X
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

#include "baton/png.h"
#include "pipeline_internal.h"
#include "vk_util.h"

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
    VkFilter filter;
    uint32_t image_count;
    VkImage images[SINK_MAX_TARGETS];     /* the swapchain's */
    VkSemaphore rendered[SINK_MAX_TARGETS];
    VkImage frame[BATON_SLOTS_MAX];       /* per slot, RGBA8 */
    VkDeviceMemory frame_memory[BATON_SLOTS_MAX];
    VkSemaphore acquired[BATON_SLOTS_MAX];
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

/* Connect, create and map the window (fixed size, title, close button). */
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
    uint32_t values[2] = {screen->black_pixel, 0};
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
    /* WM_NORMAL_HINTS: PMinSize | PMaxSize, both the window's size */
    uint32_t hints[18] = {0};
    hints[0] = (1u << 4) | (1u << 5);
    hints[5] = hints[7] = x->win_w;
    hints[6] = hints[8] = x->win_h;
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

static baton_status create_semaphore(baton_context *ctx, VkSemaphore *out, baton_error *err)
{
    VkSemaphoreCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkResult r = vkCreateSemaphore(ctx->device, &si, NULL, out);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateSemaphore(x11 sink)", r);
    baton_count_vk(ctx);
    return BATON_OK;
}

static baton_status create_frame_image(baton_pipeline *p, x11 *x, uint32_t s, baton_error *err)
{
    return sink_image_create(p->ctx, p->cfg.width, p->cfg.height, VK_FORMAT_R8G8B8A8_UNORM,
                             "x11 sink frame", &x->frame[s], &x->frame_memory[s], err);
}

/* B8G8R8A8_UNORM or R8G8B8A8_UNORM (sRGB non-linear colour space), the
 * first the surface lists; the blit into it must be supported. */
static baton_status choose_format(baton_context *ctx, x11 *x, baton_error *err)
{
    VkSurfaceFormatKHR fmts[64];
    uint32_t n = BATON_ARRAY_LEN(fmts);
    VkResult r = vkGetPhysicalDeviceSurfaceFormatsKHR(ctx->physical, x->surface, &n, fmts);
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
    x->filter = (src.optimalTilingFeatures & VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT)
                    ? VK_FILTER_LINEAR : VK_FILTER_NEAREST;
    return BATON_OK;
}

static baton_status create_swapchain(baton_pipeline *p, x11 *x, baton_error *err)
{
    baton_context *ctx = p->ctx;
    VkSurfaceCapabilitiesKHR caps;
    VkResult r = vkGetPhysicalDeviceSurfaceCapabilitiesKHR(ctx->physical, x->surface, &caps);
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
    if (x->extent.width == p->cfg.width && x->extent.height == p->cfg.height)
        x->filter = VK_FILTER_NEAREST; /* 1:1, only the channel order changes */
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
    };
    if ((r = vkCreateSwapchainKHR(ctx->device, &ci, NULL, &x->swapchain)) != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateSwapchainKHR", r);
    baton_count_vk(ctx);
    uint32_t n = 0;
    if ((r = vkGetSwapchainImagesKHR(ctx->device, x->swapchain, &n, NULL)) != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetSwapchainImagesKHR", r);
    if (n == 0 || n > SINK_MAX_TARGETS)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: the swapchain has %u images (1..%u supported)", n,
                               SINK_MAX_TARGETS);
    if ((r = vkGetSwapchainImagesKHR(ctx->device, x->swapchain, &n, x->images)) != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetSwapchainImagesKHR", r);
    x->image_count = n;
    return BATON_OK;
}

static baton_status x11_create(baton_pipeline *p, const char *arg, baton_error *err)
{
    baton_context *ctx = p->ctx;
    uint32_t w = p->cfg.width, h = p->cfg.height;
    baton_status st = parse_size(arg, &w, &h, err);
    if (st != BATON_OK)
        return st;
    x11 *x = calloc(1, sizeof *x);
    if (!x)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(x11 sink) failed");
    p->sink_state = x;
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
    VkResult r = vkCreateXcbSurfaceKHR(ctx->instance, &si, NULL, &x->surface);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateXcbSurfaceKHR", r);
    baton_count_vk(ctx);
    VkBool32 ok = VK_FALSE;
    r = vkGetPhysicalDeviceSurfaceSupportKHR(ctx->physical, ctx->queue_family, x->surface, &ok);
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetPhysicalDeviceSurfaceSupportKHR", r);
    if (!ok)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "x11 sink: %s cannot present to X display '%s' from queue family %u",
                               baton_context_device_name(ctx), x->display, ctx->queue_family);
    if ((st = choose_format(ctx, x, err)) != BATON_OK)
        return st;
    if ((st = create_swapchain(p, x, err)) != BATON_OK)
        return st;
    for (uint32_t t = 0; t < x->image_count && st == BATON_OK; t++)
        st = create_semaphore(ctx, &x->rendered[t], err);
    for (uint32_t s = 0; s < p->cfg.slots && st == BATON_OK; s++) {
        st = create_semaphore(ctx, &x->acquired[s], err);
        if (st == BATON_OK)
            st = create_frame_image(p, x, s, err);
    }
    return st == BATON_OK ? sink_readback_create(p, err) : st;
}

static void x11_destroy(baton_pipeline *p)
{
    baton_context *ctx = p->ctx;
    VkDevice dev = ctx->device;
    x11 *x = p->sink_state;
    /* the pipeline waited for its fences and the queue; presents too */
    if (dev)
        vkQueueWaitIdle(ctx->queue);
    sink_readback_destroy(p);
    if (x) {
        if (x->swapchain)
            vkDestroySwapchainKHR(dev, x->swapchain, NULL);
        for (uint32_t t = 0; t < SINK_MAX_TARGETS; t++)
            if (x->rendered[t])
                vkDestroySemaphore(dev, x->rendered[t], NULL);
        for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++) {
            if (x->acquired[s])
                vkDestroySemaphore(dev, x->acquired[s], NULL);
            sink_image_destroy(ctx, &x->frame[s], &x->frame_memory[s]);
        }
        if (x->surface)
            vkDestroySurfaceKHR(ctx->instance, x->surface, NULL);
        if (x->conn) {
            if (x->window && !xcb_connection_has_error(x->conn)) {
                xcb_destroy_window(x->conn, x->window);
                xcb_flush(x->conn);
            }
            xcb_disconnect(x->conn); /* also frees a failed connection */
        }
    }
    free(x);
    p->sink_state = NULL;
}

static uint32_t x11_targets(const baton_pipeline *p)
{
    const x11 *x = p->sink_state;
    return x->image_count;
}

static VkImageMemoryBarrier barrier(VkImage img, VkImageLayout from, VkImageLayout to,
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

static void x11_record(baton_pipeline *p, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    slot *sl = &p->slots[s];
    x11 *x = p->sink_state;
    /* The slot's image: earlier reads of it (the previous frame of this
     * slot, an earlier submission) finish before this frame writes it. */
    VkImageMemoryBarrier b = barrier(x->frame[s], VK_IMAGE_LAYOUT_UNDEFINED,
                                     VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                     VK_ACCESS_TRANSFER_READ_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                         NULL, 0, NULL, 1, &b);
    VkBufferImageCopy region = {
        .bufferOffset = 0,
        .bufferRowLength = (uint32_t)(p->pitch / 4),
        .bufferImageHeight = p->cfg.height,
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .imageExtent = {p->cfg.width, p->cfg.height, 1},
    };
    vkCmdCopyBufferToImage(cmd, sl->shared.buffer, x->frame[s],
                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
    /* The swapchain image: its transition waits for the acquire semaphore,
     * which the submit waits for at the transfer stage. */
    VkImageMemoryBarrier two[2] = {
        barrier(x->frame[s], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_ACCESS_TRANSFER_WRITE_BIT,
                VK_ACCESS_TRANSFER_READ_BIT),
        barrier(x->images[t], VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0,
                VK_ACCESS_TRANSFER_WRITE_BIT),
    };
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                         NULL, 0, NULL, 2, two);
    VkImageBlit blit = {
        .srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .srcOffsets = {{0, 0, 0}, {(int32_t)p->cfg.width, (int32_t)p->cfg.height, 1}},
        .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .dstOffsets = {{0, 0, 0}, {(int32_t)x->extent.width, (int32_t)x->extent.height, 1}},
    };
    vkCmdBlitImage(cmd, x->frame[s], VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, x->images[t],
                   VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &blit, x->filter);
    VkImageMemoryBarrier present = barrier(x->images[t], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                           VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
                                           VK_ACCESS_TRANSFER_WRITE_BIT, 0);
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                         0, 0, NULL, 0, NULL, 1, &present);
    if (!p->cfg.readback)
        return;
    vkCmdCopyImageToBuffer(cmd, x->frame[s], VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, sl->readback, 1,
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

/* OUT_OF_DATE / SURFACE_LOST: no recreation (see the top of the file). */
static baton_status lost(const baton_pipeline *p, const slot *sl, const char *call, VkResult r,
                         baton_error *err)
{
    const x11 *x = p->sink_state;
    return baton_error_set(err, BATON_ERR_VULKAN,
                           "x11 sink, frame %llu: %s returned %s (window on '%s' resized or "
                           "display lost); the x11 sink does not recreate its swapchain: "
                           "destroy the pipeline and create a new one",
                           (unsigned long long)sl->frame, call, baton_vk_result_name(r),
                           x->display);
}

static baton_status x11_acquire(baton_pipeline *p, slot *sl, uint32_t *target, VkSemaphore *wait,
                                VkSemaphore *signal, baton_error *err)
{
    x11 *x = p->sink_state;
    uint32_t s = (uint32_t)(sl - p->slots), t = 0;
    VkResult r = vkAcquireNextImageKHR(p->ctx->device, x->swapchain,
                                       (uint64_t)p->cfg.timeout_ms * 1000000u, x->acquired[s],
                                       VK_NULL_HANDLE, &t);
    if (r == VK_SUCCESS || r == VK_SUBOPTIMAL_KHR) {
        *target = t;
        *wait = x->acquired[s];
        *signal = x->rendered[t];
        return BATON_OK;
    }
    if (r == VK_TIMEOUT || r == VK_NOT_READY)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "x11 sink, frame %llu: no swapchain image within %u ms "
                               "(vkAcquireNextImageKHR: %s)",
                               (unsigned long long)sl->frame, p->cfg.timeout_ms,
                               baton_vk_result_name(r));
    if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_ERROR_SURFACE_LOST_KHR)
        return lost(p, sl, "vkAcquireNextImageKHR", r, err);
    return baton_error_set(err, BATON_ERR_VULKAN,
                           "x11 sink, frame %llu: vkAcquireNextImageKHR failed: %s",
                           (unsigned long long)sl->frame, baton_vk_result_name(r));
}

/* Events the window gets: WM_DELETE_WINDOW only (no event mask). */
static void poll_events(x11 *x)
{
    xcb_generic_event_t *ev;
    while ((ev = xcb_poll_for_event(x->conn)) != NULL) {
        if ((ev->response_type & 0x7f) == XCB_CLIENT_MESSAGE) {
            const xcb_client_message_event_t *cm = (const xcb_client_message_event_t *)ev;
            if (cm->type == x->wm_protocols && cm->data.data32[0] == x->wm_delete)
                x->closed = true;
        }
        free(ev);
    }
}

static baton_status x11_submitted(baton_pipeline *p, slot *sl, uint32_t target, baton_error *err)
{
    x11 *x = p->sink_state;
    VkPresentInfoKHR pi = {
        .sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
        .waitSemaphoreCount = 1,
        .pWaitSemaphores = &x->rendered[target],
        .swapchainCount = 1,
        .pSwapchains = &x->swapchain,
        .pImageIndices = &target,
    };
    VkResult r = vkQueuePresentKHR(p->ctx->queue, &pi);
    if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_ERROR_SURFACE_LOST_KHR)
        return lost(p, sl, "vkQueuePresentKHR", r, err);
    if (r != VK_SUCCESS && r != VK_SUBOPTIMAL_KHR)
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

static baton_status x11_done(baton_pipeline *p, slot *sl, baton_error *err)
{
    return sink_dump_frame(p, sl, err);
}

const sink_ops sink_x11_ops = {
    .scheme = "x11",
    .usage = "x11[:WxH] (a window on $DISPLAY)",
    .create = x11_create,
    .destroy = x11_destroy,
    .target_count = x11_targets,
    .record = x11_record,
    .acquire = x11_acquire,
    .submitted = x11_submitted,
    .done = x11_done,
};
