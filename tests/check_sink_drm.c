/* check_sink_drm.c - the "drm" sink where there is no display: this
 * machine's Vulkan (lavapipe in CI) and, usually, no /dev/dri. Every test
 * says which path it took; none is skipped:
 *   - through the pipeline with baton's own context: creation fails with a
 *     clear error (the context lacks VK_KHR_display today; once context.c
 *     enables it, no DRM device) and leaves no fd open;
 *   - the sink on a context that enables exactly the extensions the sink
 *     asks context.c for (built here): the Vulkan check passes where the
 *     loader offers them, and creation stops at the DRM device
 *     (default /dev/dri/card0, $BATON_DRM_DEVICE missing, or not KMS);
 *   - bad specs are refused before anything is opened;
 *   - the vblank accessor on a pipeline whose sink is not drm. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/caps.h"
#include "baton/pipeline.h"
#include "sinks/drm_modes.h"
#include "sinks/drm_device.h"
#include "sinks/sink.h"
#include "util_test.h"
#include "core/vk_util.h"

static bool have_dri(void) { return access("/dev/dri/card0", F_OK) == 0; }

static baton_pipeline_config small_config(const char *spec)
{
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 64;
    pc.height = 32;
    pc.timeout_ms = 200;
    pc.sink = spec;
    return pc;
}

/* ---- through the pipeline, baton's own context ---------------------------------- */

static const char *const specs[] = {"drm", "drm:", "drm:auto", "drm:HDMI-A-1",
                                    "drm:DP-1@1920x1080@60", "drm:@1280x720"};

START_TEST(test_pipeline_fails_cleanly)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    int before = test_open_fd_count();
    ck_assert_int_ge(before, 0);
    baton_pipeline_config pc = small_config(specs[_i]);
    baton_pipeline *p = (baton_pipeline *)0x1;
    baton_error err;
    baton_status st = baton_pipeline_create(ctx, &pc, &p, &err);
    printf("  sink '%s' -> %s: %s\n", specs[_i], baton_strerror(st), err.message);
    ck_assert_int_ne(st, BATON_OK);
    ck_assert_ptr_eq(p, (baton_pipeline *)0x1); /* *out untouched on failure */
    ck_assert_int_eq(err.status, st);
    ck_assert_msg(strncmp(err.message, "drm sink", 8) == 0, "%s", err.message);
    /* which failure is the truth on this machine */
    bool has_display = vkGetInstanceProcAddr(ctx->instance,
                                             "vkGetPhysicalDeviceDisplayPropertiesKHR") != NULL;
    bool has_swapchain = vkGetDeviceProcAddr(ctx->device, "vkCreateSwapchainKHR") != NULL;
    if (!has_display || !has_swapchain) {
        printf("  -> path: context lacks %s%s\n", has_display ? "" : "VK_KHR_display ",
               has_swapchain ? "" : "VK_KHR_swapchain");
        ck_assert_int_eq(st, BATON_ERR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(err.message, has_display ? "VK_KHR_swapchain (device)"
                                                              : "VK_KHR_display (instance)"));
        ck_assert_ptr_nonnull(strstr(err.message, "returned NULL"));
        ck_assert_ptr_nonnull(strstr(err.message, "VK_EXT_acquire_drm_display"));
    } else if (!have_dri() && !getenv("BATON_DRM_DEVICE")) {
        /* no /dev/dri: either the Vulkan device says it drives no display
         * (a datacentre GPU such as the H100: no primary DRM node), or the
         * default card cannot be opened */
        printf("  -> path: extensions present, no DRM device\n");
        ck_assert_msg((st == BATON_ERR_OS && strstr(err.message, "no DRM device")) ||
                          (st == BATON_ERR_UNSUPPORTED && strstr(err.message, "has no display engine")),
                      "%s: %s", baton_strerror(st), err.message);
    } else {
        printf("  -> path: a DRM device exists here; any clear drm sink error is accepted\n");
    }
    ck_assert_int_eq(test_open_fd_count(), before);
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_bad_specs_refused_first)
{
    static const char *const bad[] = {"drm:HDMI-A-1@1920x", "drm:DP-1@1920x1080@0",
                                      "drm:DP 1", "drm:DP-1@1920x1080@60Hz"};
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    int before = test_open_fd_count();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        baton_pipeline_config pc = small_config(bad[i]);
        baton_pipeline *p = NULL;
        baton_error err;
        ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
        printf("  sink '%s' -> %s\n", bad[i], err.message);
        ck_assert_ptr_nonnull(strstr(err.message, "bad display spec"));
        ck_assert_ptr_nonnull(strstr(err.message, bad[i]));
        ck_assert_ptr_null(p);
    }
    /* the unknown-sink message lists the drm form */
    baton_pipeline_config pc = small_config("dri:HDMI-A-1");
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "drm[:CONNECTOR|auto][@WxH[@HZ]]"));
    ck_assert_int_eq(test_open_fd_count(), before);
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_vulkan_check_agrees_with_loader)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_error err;
    baton_status st = sink_drm_check_vulkan(ctx, &err);
    bool complete =
        vkGetInstanceProcAddr(ctx->instance, "vkCreateDisplayPlaneSurfaceKHR") &&
        vkGetInstanceProcAddr(ctx->instance, "vkGetPhysicalDeviceSurfaceFormatsKHR") &&
        vkGetDeviceProcAddr(ctx->device, "vkQueuePresentKHR");
    printf("  baton's context: %s\n", st == BATON_OK ? "has what the drm sink needs" : err.message);
    ck_assert_int_eq(st == BATON_OK, complete);
    if (st != BATON_OK)
        ck_assert_int_eq(st, BATON_ERR_UNSUPPORTED);
    ck_assert_int_eq(sink_drm_check_vulkan(NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_vblanks_accessor_other_sink)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_pipeline_config pc = small_config("headless");
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    baton_display_report d;
    memset(&d, 0x5a, sizeof d);
    ck_assert_int_eq(baton_pipeline_display(p, &d, &err), BATON_OK);
    ck_assert_str_eq(d.description, "headless");
    ck_assert_uint_eq(d.vblank_count, 0);
    ck_assert_uint_eq(d.vblanks_total, 0);
    ck_assert_uint_eq(d.vblanks_missed, 0);
    ck_assert_int_eq(baton_pipeline_display(NULL, &d, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_pipeline_display(p, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
}
END_TEST

/* ---- a context with the display extensions (what context.c should enable) ------------ */

typedef struct display_ctx {
    baton_context *ctx;
    bool display_ext;   /* VK_KHR_surface + VK_KHR_display enabled */
    bool swapchain_ext;
    char enabled[256];
} display_ctx;

static bool instance_offers(const char *name)
{
    VkExtensionProperties ext[256];
    uint32_t n = 256;
    if (vkEnumerateInstanceExtensionProperties(NULL, &n, ext) < 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(ext[i].extensionName, name) == 0)
            return true;
    return false;
}

static bool device_offers(VkPhysicalDevice pd, const char *name)
{
    VkExtensionProperties ext[512];
    uint32_t n = 512;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, ext) < 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(ext[i].extensionName, name) == 0)
            return true;
    return false;
}

static display_ctx display_context(void)
{
    display_ctx d;
    memset(&d, 0, sizeof d);
    /* instance: each offered one, as proposed for context.c (the display
     * chain is surface -> display -> direct_mode -> acquire_drm) */
    const char *ext[4];
    uint32_t n = 0;
    static const char *const chain[] = {"VK_KHR_surface", "VK_KHR_display",
                                        "VK_EXT_direct_mode_display", "VK_EXT_acquire_drm_display"};
    for (size_t i = 0; i < 4 && instance_offers(chain[i]); i++) {
        ext[n++] = chain[i];
        size_t used = strlen(d.enabled);
        snprintf(d.enabled + used, sizeof d.enabled - used, "%s%s", used ? " " : "", chain[i]);
    }
    d.display_ext = n >= 2;
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "check_sink_drm",
                             .apiVersion = VK_API_VERSION_1_2};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pApplicationInfo = &app, .enabledExtensionCount = n,
                               .ppEnabledExtensionNames = ext};
    baton_context *ctx = calloc(1, sizeof *ctx);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(vkCreateInstance(&ci, NULL, &ctx->instance), VK_SUCCESS);
    VkPhysicalDevice pds[8];
    uint32_t np = 8;
    ck_assert_int_ge(vkEnumeratePhysicalDevices(ctx->instance, &np, pds), 0);
    ck_assert_uint_gt(np, 0);
    ctx->physical = pds[0];
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(ctx->physical, &props);
    snprintf(ctx->caps.vk_devices[0].name, sizeof ctx->caps.vk_devices[0].name, "%s",
             props.deviceName);
    ctx->vk_index = 0;
    ctx->compute = BATON_COMPUTE_CPU;
    VkQueueFamilyProperties fam[16];
    uint32_t nf = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical, &nf, fam);
    ctx->queue_family = UINT32_MAX;
    for (uint32_t i = 0; i < nf && ctx->queue_family == UINT32_MAX; i++)
        if (fam[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)
            ctx->queue_family = i;
    ck_assert_uint_ne(ctx->queue_family, UINT32_MAX);
    const char *dext[1] = {VK_KHR_SWAPCHAIN_EXTENSION_NAME};
    d.swapchain_ext = device_offers(ctx->physical, dext[0]);
    float prio = 1.0f;
    VkDeviceQueueCreateInfo q = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                 .queueFamilyIndex = ctx->queue_family, .queueCount = 1,
                                 .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1, .pQueueCreateInfos = &q,
                              .enabledExtensionCount = d.swapchain_ext ? 1u : 0u,
                              .ppEnabledExtensionNames = dext};
    ck_assert_int_eq(vkCreateDevice(ctx->physical, &dci, NULL, &ctx->device), VK_SUCCESS);
    vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->memory);
    d.ctx = ctx;
    return d;
}

static void display_context_destroy(display_ctx *d)
{
    vkDestroyDevice(d->ctx->device, NULL);
    vkDestroyInstance(d->ctx->instance, NULL);
    free(d->ctx);
}

/* The sink's create and destroy on a bare view of this context. */
static baton_status sink_create(baton_context *ctx, const char *spec, baton_error *err)
{
    frame_slot slots[2];
    memset(slots, 0, sizeof slots);
    frame_view view = {.ctx = ctx, .format = BATON_FORMAT_YUYV, .width = 64, .height = 32,
                       .pitch = 64 * 4, .slots = 2, .slot = slots, .timeout_ms = 1000};
    sink sk = {.view = &view};
    const char *arg = NULL;
    ck_assert_int_eq(sink_find(spec, &sk.ops, &arg, err), BATON_OK);
    ck_assert_ptr_eq(sk.ops, &sink_drm_ops);
    baton_status st = sk.ops->create(&sk, arg, err);
    sk.ops->destroy(&sk);
    ck_assert_ptr_null(sk.state);
    return st;
}

START_TEST(test_display_context_stops_at_drm_device)
{
    display_ctx d = display_context();
    printf("  instance extensions enabled here: %s; device VK_KHR_swapchain: %s\n",
           d.enabled[0] ? d.enabled : "none", d.swapchain_ext ? "yes" : "no");
    int before = test_open_fd_count();
    baton_error err;
    baton_status st = sink_drm_check_vulkan(d.ctx, &err);
    if (!d.display_ext || !d.swapchain_ext) {
        /* this loader/driver cannot give the sink what it needs: the check
         * must say so (not a skip: that is the behaviour being tested) */
        printf("  -> path: loader lacks the display extensions: %s\n", err.message);
        ck_assert_int_eq(st, BATON_ERR_UNSUPPORTED);
    } else {
        ck_assert_msg(st == BATON_OK, "%s", err.message);
        unsetenv("BATON_DRM_DEVICE");
        st = sink_create(d.ctx, "drm", &err);
        printf("  default device -> %s: %s\n", baton_strerror(st), err.message);
        ck_assert_int_ne(st, BATON_OK);
        ck_assert_msg(strncmp(err.message, "drm sink", 8) == 0, "%s", err.message);
        if (!have_dri()) {
            printf("  -> path: no /dev/dri here\n");
            if (st == BATON_ERR_UNSUPPORTED) { /* the device has no display engine */
                ck_assert_ptr_nonnull(strstr(err.message, "has no display engine"));
            } else {
                ck_assert_int_eq(st, BATON_ERR_OS);
                ck_assert_ptr_nonnull(strstr(err.message, "no DRM device: open(/dev/dri/card0)"));
                ck_assert_ptr_nonnull(strstr(err.message, "this machine has no /dev/dri"));
            }
            ck_assert_ptr_nonnull(strstr(err.message, "BATON_DRM_DEVICE"));
        }
        setenv("BATON_DRM_DEVICE", "/nonexistent/dri/card7", 1);
        st = sink_create(d.ctx, "drm:HDMI-A-1@1920x1080", &err);
        printf("  $BATON_DRM_DEVICE missing -> %s\n", err.message);
        ck_assert_int_eq(st, BATON_ERR_OS);
        ck_assert_ptr_nonnull(strstr(err.message, "open(/nonexistent/dri/card7) failed"));
        ck_assert_ptr_nonnull(strstr(err.message, "chosen by $BATON_DRM_DEVICE"));
        setenv("BATON_DRM_DEVICE", "/dev/null", 1);
        st = sink_create(d.ctx, "drm", &err);
        printf("  $BATON_DRM_DEVICE=/dev/null -> %s\n", err.message);
        ck_assert_int_eq(st, BATON_ERR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(err.message, "/dev/null is not a KMS display device"));
        /* the seam the sink uses, directly: nothing left open on failure */
        int fd = 123;
        char path[256];
        ck_assert_int_eq(sink_drm_open_device(d.ctx, false, &fd, path, sizeof path, &err),
                         BATON_ERR_UNSUPPORTED);
        ck_assert_int_eq(fd, -1);
        ck_assert_str_eq(path, "/dev/null");
        unsetenv("BATON_DRM_DEVICE");
        if (!have_dri()) { /* the KMS path looks for any KMS card: there is none */
            fd = 123;
            st = sink_drm_open_device(d.ctx, true, &fd, path, sizeof path, &err);
            printf("  any KMS card, none here -> %s\n", err.message);
            ck_assert_int_ne(st, BATON_OK);
            ck_assert_int_eq(fd, -1);
            ck_assert_ptr_nonnull(strstr(err.message, "no /dev/dri"));
        }
    }
    ck_assert_int_eq(test_open_fd_count(), before);
    display_context_destroy(&d);
}
END_TEST

int main(void)
{
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (!caps.vk_present || caps.vk_device_count == 0) {
        fprintf(stderr, "Vulkan unavailable: %s\n", caps.vk_error);
        return test_vulkan_required() ? 1 : test_skip("sink_drm", "no Vulkan device");
    }
    printf("/dev/dri/card0 %s on this machine\n", have_dri() ? "exists" : "does not exist");
    Suite *s = suite_create("sink_drm");
    TCase *tc = tcase_create("no display");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_pipeline_fails_cleanly, 0, (int)(sizeof specs / sizeof specs[0]));
    tcase_add_test(tc, test_bad_specs_refused_first);
    tcase_add_test(tc, test_vulkan_check_agrees_with_loader);
    tcase_add_test(tc, test_vblanks_accessor_other_sink);
    tcase_add_test(tc, test_display_context_stops_at_drm_device);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
