/* check_sink_x11.c - the "x11" sink on this machine's Vulkan (lavapipe in CI)
 * and an X server: the one in DISPLAY, else an Xvfb this suite starts (on a
 * free display number, which Xvfb picks and reports through -displayfd) and
 * stops. The window's contents, read back with xcb_get_image, must be the
 * last frame: its frame number decoded from the screenshot and every pixel
 * within 1 of the reference conversion of that frame. Also: a clear error
 * with no X display, bad arguments, a scaled window, a window resized while
 * frames run (the sink recreates its swapchain), no fds left behind.
 * No Xvfb: SKIP, or FAIL when BATON_REQUIRE_TOOLS=1. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xcb/xcb.h>

#include "sources/pattern.h"
#include "baton/pipeline.h"
#include "engine/pipeline_internal.h"
#include "util_reference.h"
#include "util_test.h"

#define FRAME_W 256u
#define FRAME_H 128u
#define FRAMES 30u

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static baton_pipeline_config x11_config(const char *spec)
{
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = FRAME_W;
    pc.height = FRAME_H;
    pc.format = BATON_FORMAT_YUYV;
    pc.timeout_ms = 2000;
    pc.sink = spec;
    return pc;
}

/* The window whose _NET_WM_PID is ours, anywhere under root (a window
 * manager may have reparented it); 0 if none. */
static xcb_window_t find_window(xcb_connection_t *c, xcb_window_t w, xcb_atom_t pid_atom)
{
    xcb_get_property_reply_t *pr = xcb_get_property_reply(
        c, xcb_get_property(c, 0, w, pid_atom, XCB_ATOM_CARDINAL, 0, 1), NULL);
    bool mine = pr && pr->format == 32 && xcb_get_property_value_length(pr) == 4 &&
                *(const uint32_t *)xcb_get_property_value(pr) == (uint32_t)getpid();
    free(pr);
    if (mine)
        return w;
    xcb_query_tree_reply_t *tr = xcb_query_tree_reply(c, xcb_query_tree(c, w), NULL);
    if (!tr)
        return 0;
    xcb_window_t found = 0;
    const xcb_window_t *kids = xcb_query_tree_children(tr);
    for (int i = xcb_query_tree_children_length(tr) - 1; i >= 0 && !found; i--)
        found = find_window(c, kids[i], pid_atom);
    free(tr);
    return found;
}

/* Read the window (w x h at its origin) as RGBA8; false if it cannot. */
static bool screenshot(xcb_connection_t *c, xcb_window_t win, uint32_t w, uint32_t h,
                       uint8_t *rgba)
{
    xcb_get_image_reply_t *r = xcb_get_image_reply(
        c, xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, win, 0, 0, (uint16_t)w, (uint16_t)h, ~0u),
        NULL);
    if (!r)
        return false;
    bool ok = r->depth >= 24 && (size_t)xcb_get_image_data_length(r) == (size_t)w * h * 4;
    if (ok) {
        const uint8_t *px = xcb_get_image_data(r); /* BGRX, little endian 32 bpp */
        for (size_t i = 0; i < (size_t)w * h; i++) {
            rgba[4 * i + 0] = px[4 * i + 2];
            rgba[4 * i + 1] = px[4 * i + 1];
            rgba[4 * i + 2] = px[4 * i + 0];
            rgba[4 * i + 3] = 255;
        }
    }
    free(r);
    return ok;
}

/* Poll the window until it shows frame `want` (the last one presented may
 * reach the X server a little after drain); returns the frame it showed
 * last, UINT64_MAX if none could be decoded. */
static uint64_t wait_for_frame(uint32_t w, uint32_t h, uint64_t want, uint8_t *rgba)
{
    xcb_connection_t *c = xcb_connect(NULL, NULL);
    ck_assert_msg(!xcb_connection_has_error(c), "test cannot connect to '%s'", getenv("DISPLAY"));
    const char *name = "_NET_WM_PID";
    xcb_intern_atom_reply_t *ar =
        xcb_intern_atom_reply(c, xcb_intern_atom(c, 1, (uint16_t)strlen(name), name), NULL);
    ck_assert_ptr_nonnull(ar);
    xcb_atom_t pid_atom = ar->atom;
    free(ar);
    xcb_window_t root = xcb_setup_roots_iterator(xcb_get_setup(c)).data->root;
    xcb_window_t win = 0;
    uint64_t seen = UINT64_MAX;
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(20)) {
        if (!win && pid_atom != XCB_ATOM_NONE)
            win = find_window(c, root, pid_atom);
        if (!win)
            continue;
        uint64_t f;
        if (screenshot(c, win, w, h, rgba) &&
            baton_pattern_decode_frame(rgba, w, h, (size_t)w * 4, &f, NULL) == BATON_OK) {
            seen = f;
            if (f == want)
                break;
        }
    }
    ck_assert_msg(win != 0, "no window with _NET_WM_PID %d on '%s'", (int)getpid(),
                  getenv("DISPLAY"));
    if (win) {
        xcb_get_geometry_reply_t *g =
            xcb_get_geometry_reply(c, xcb_get_geometry(c, win), NULL);
        ck_assert_ptr_nonnull(g);
        ck_assert_uint_eq(g->width, w);
        ck_assert_uint_eq(g->height, h);
        free(g);
    }
    xcb_disconnect(c);
    return seen;
}

START_TEST(test_window_shows_last_frame)
{
    int before = test_open_fd_count();
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_pipeline_config pc = x11_config("x11");
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_run(p, FRAMES, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    ck_assert_uint_eq(baton_pipeline_get_stats(p).frames_done, FRAMES);

    static uint8_t rgba[FRAME_W * FRAME_H * 4];
    static uint8_t src[FRAME_W * FRAME_H * 2];
    uint64_t shown = wait_for_frame(FRAME_W, FRAME_H, FRAMES - 1, rgba);
    ck_assert_msg(shown != UINT64_MAX, "the window shows no decodable frame");
    ck_assert_msg(shown == FRAMES - 1, "the window shows frame %llu, not the last (%u)",
                  (unsigned long long)shown, FRAMES - 1);
    baton_pattern_fill(BATON_FORMAT_YUYV, FRAME_W, FRAME_H, shown, src);
    int max_diff = 0;
    size_t bad = ref_compare_frame(BATON_FORMAT_YUYV, src, FRAME_W, FRAME_H, rgba,
                                   (size_t)FRAME_W * 4, &max_diff);
    uint8_t want[4];
    ref_pixel(BATON_FORMAT_YUYV, src, FRAME_W, FRAME_H, 100, 60, want);
    printf("x11 %ux%u YUYV: window shows frame %llu, %zu channel values off by > 1, max diff %d; "
           "pixel (100,60) %u,%u,%u want %u,%u,%u\n",
           FRAME_W, FRAME_H, (unsigned long long)shown, bad, max_diff,
           rgba[(60 * FRAME_W + 100) * 4], rgba[(60 * FRAME_W + 100) * 4 + 1],
           rgba[(60 * FRAME_W + 100) * 4 + 2], want[0], want[1], want[2]);
    ck_assert_msg(bad == 0, "%zu channel values differ by more than 1 (max %d)", bad, max_diff);

    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* Readback with the x11 sink: the frame as copied, before scaling. */
static void count_readback(void *user, const baton_frame_info *info)
{
    uint64_t *bad = user, f = UINT64_MAX;
    if (!info->rgba ||
        baton_pattern_decode_frame(info->rgba, info->width, info->height, info->pitch, &f, NULL) !=
            BATON_OK ||
        f != info->source_frame)
        (*bad)++;
}

/* x11:512x256: the frame blitted at twice its size (linear filter); the
 * frame code's blocks double too, so the 512-wide decoder reads it. */
START_TEST(test_scaled_window)
{
    uint64_t readback_bad = 0;
    int before = test_open_fd_count();
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_pipeline_config pc = x11_config("x11:512x256");
    pc.slots = 3;
    pc.readback = true;
    pc.on_done = count_readback;
    pc.done_user = &readback_bad;
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_run(p, 10, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    static uint8_t rgba[512 * 256 * 4];
    uint64_t shown = wait_for_frame(512, 256, 9, rgba);
    ck_assert_msg(shown == 9, "the scaled window shows frame %llu, not 9",
                  (unsigned long long)shown);
    ck_assert_uint_eq(readback_bad, 0);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* The sink's count of swapchain recreations (runtime/sink_x11.c). */

/* Poll the window (w x h) until a screenshot of it is not all black; true
 * once one is. Its geometry must be w x h. */
static bool wait_for_content(xcb_connection_t *c, xcb_window_t win, uint32_t w, uint32_t h,
                             uint8_t *rgba, size_t *lit)
{
    bool shown = false;
    *lit = 0;
    for (uint64_t end = now_ms() + 5000; now_ms() < end && !shown; sleep_ms(20)) {
        if (!screenshot(c, win, w, h, rgba))
            continue;
        for (size_t i = 0; i < (size_t)w * h; i++)
            if (rgba[4 * i] | rgba[4 * i + 1] | rgba[4 * i + 2])
                (*lit)++;
        shown = *lit > 0;
    }
    xcb_get_geometry_reply_t *g = xcb_get_geometry_reply(c, xcb_get_geometry(c, win), NULL);
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(g->width, w);
    ck_assert_uint_eq(g->height, h);
    free(g);
    return shown;
}

/* The window changed behind the sink's back: _i = 0 resized (as a user or
 * a window manager might): the sink recreates its swapchain at the new size
 * (on the resize's ConfigureNotify, VK_SUBOPTIMAL_KHR or
 * VK_ERROR_OUT_OF_DATE_KHR) and frames go on, shown scaled to the new size;
 * 1 destroyed by another client (the display is gone): the pipeline stops
 * with a Vulkan error that names the result. Destroy is clean either way. */
START_TEST(test_window_changed)
{
    int before = test_open_fd_count();
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_pipeline_config pc = x11_config("x11");
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_run(p, 5, &err) == BATON_OK, "%s", err.message);
    ck_assert_uint_eq(sink_x11_recreations(&p->sink), 0);
    xcb_connection_t *c = xcb_connect(NULL, NULL);
    ck_assert(!xcb_connection_has_error(c));
    const char *name = "_NET_WM_PID";
    xcb_intern_atom_reply_t *ar =
        xcb_intern_atom_reply(c, xcb_intern_atom(c, 1, (uint16_t)strlen(name), name), NULL);
    ck_assert_ptr_nonnull(ar);
    xcb_window_t root = xcb_setup_roots_iterator(xcb_get_setup(c)).data->root;
    xcb_window_t win = find_window(c, root, ar->atom);
    free(ar);
    ck_assert_uint_ne(win, 0);
    uint32_t size[2] = {300, 200};
    if (_i == 0)
        xcb_configure_window(c, win, XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, size);
    else
        xcb_destroy_window(c, win);
    free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL)); /* round trip */
    baton_status st = baton_pipeline_run(p, 20, &err);
    printf("window %s: %s%s%s\n", _i ? "destroyed" : "resized", baton_strerror(st),
           st ? ": " : "", st ? err.message : "");
    if (_i == 0) {
        ck_assert_msg(st == BATON_OK, "%s", err.message);
        /* more frames after the recreation, then all of them done */
        ck_assert_msg(baton_pipeline_run(p, 10, &err) == BATON_OK, "%s", err.message);
        ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
        ck_assert_uint_eq(baton_pipeline_get_stats(p).frames_done, 35);
        uint64_t recreations = sink_x11_recreations(&p->sink);
        static uint8_t rgba[300 * 200 * 4];
        size_t lit = 0;
        bool shown = wait_for_content(c, win, size[0], size[1], rgba, &lit);
        printf("window resized to %ux%u: %llu swapchain recreation(s), %zu of %u pixels not "
               "black\n", size[0], size[1], (unsigned long long)recreations, lit,
               size[0] * size[1]);
        ck_assert_msg(recreations >= 1, "the swapchain was not recreated after the resize");
        ck_assert_msg(shown, "the resized window (%ux%u) is all black", size[0], size[1]);
    } else {
        ck_assert_msg(st != BATON_OK, "frames went on into a destroyed window");
        ck_assert_int_eq(st, BATON_ERR_VULKAN);
        ck_assert_msg(strstr(err.message, "x11 sink") && strstr(err.message, "VK_ERROR_"), "%s",
                      err.message);
    }
    xcb_disconnect(c);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

static void expect_no_display(baton_context *ctx, const char *display)
{
    if (display)
        setenv("DISPLAY", display, 1);
    else
        unsetenv("DISPLAY");
    baton_pipeline_config pc = x11_config("x11");
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_null(p);
    char want[128];
    snprintf(want, sizeof want, "x11 sink: cannot connect to X display '%s'",
             display ? display : "");
    ck_assert_msg(strncmp(err.message, want, strlen(want)) == 0, "%s", err.message);
    printf("no display (%s): %s\n", display ? display : "unset", err.message);
}

START_TEST(test_no_display_is_a_clear_error)
{
    char saved[256] = "";
    const char *d = getenv("DISPLAY");
    snprintf(saved, sizeof saved, "%s", d ? d : "");
    int before = test_open_fd_count();
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    expect_no_display(ctx, NULL);
    expect_no_display(ctx, ":9973"); /* nothing listens there */
    expect_no_display(ctx, "no-such-host-baton.invalid:0");
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
    if (saved[0])
        setenv("DISPLAY", saved, 1);
}
END_TEST

START_TEST(test_bad_arguments)
{
    static const char *const bad[] = {"x11:", "x11:0x10", "x11:640", "x11:640x", "x11:64x48x",
                                      "x11:99999x10", "x11:-5x10", "x11:axb"};
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        baton_pipeline_config pc = x11_config(bad[i]);
        baton_pipeline *p = NULL;
        baton_error err;
        ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
        ck_assert_msg(strstr(err.message, "x11:WxH"), "%s: %s", bad[i], err.message);
        ck_assert_ptr_null(p);
    }
    baton_context_destroy(ctx);
}
END_TEST

/* Xvfb on a display number it chooses itself (-displayfd); ready once it
 * has written the number. 0 on failure (why in msg). */
static pid_t start_xvfb(char *display, size_t len, char *msg, size_t msg_len)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(msg, msg_len, "pipe2: %s", strerror(errno));
        return 0;
    }
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* no stray server if the suite dies */
        fcntl(fds[1], F_SETFD, 0);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        char fd_arg[16];
        snprintf(fd_arg, sizeof fd_arg, "%d", fds[1]);
        execlp("Xvfb", "Xvfb", "-displayfd", fd_arg, "-screen", "0", "1024x768x24", "-nolisten",
               "tcp", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(msg, msg_len, "fork: %s", strerror(errno));
        return 0;
    }
    char buf[32] = "";
    size_t got = 0;
    for (uint64_t end = now_ms() + 15000; got < sizeof buf - 1 && !strchr(buf, '\n');) {
        struct pollfd pf = {fds[0], POLLIN, 0};
        uint64_t now = now_ms();
        if (now >= end || poll(&pf, 1, (int)(end - now)) <= 0)
            break;
        ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
    }
    close(fds[0]);
    int num = -1;
    if (sscanf(buf, "%d", &num) != 1 || num < 0) {
        kill(pid, SIGTERM);
        int status = 0;
        waitpid(pid, &status, 0);
        snprintf(msg, msg_len, "Xvfb did not report a display (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 0;
    }
    snprintf(display, len, ":%d", num);
    /* it reported the number once listening; make sure it accepts us */
    for (uint64_t end = now_ms() + 5000;; sleep_ms(20)) {
        xcb_connection_t *c = xcb_connect(display, NULL);
        int e = xcb_connection_has_error(c);
        xcb_disconnect(c);
        if (!e)
            return pid;
        if (now_ms() >= end)
            break;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(msg, msg_len, "Xvfb on %s does not accept connections", display);
    return 0;
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char dir[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(dir, sizeof dir, "%.*s/%s", (int)n, p, prog);
        if (n && access(dir, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

int main(void)
{
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (!caps.vk_present || caps.vk_device_count == 0) {
        fprintf(stderr, "Vulkan unavailable: %s\n", caps.vk_error);
        return test_vulkan_required() ? 1 : test_skip("sink_x11", "no Vulkan device");
    }
    pid_t xvfb = 0;
    const char *display = getenv("DISPLAY");
    if (!display || !*display) {
        if (!in_path("Xvfb")) {
            fprintf(stderr, "sink_x11: DISPLAY is not set and Xvfb is not installed "
                            "(Debian: xvfb)\n");
            return test_tools_required() ? 1 : test_skip("sink_x11", "no DISPLAY and no Xvfb");
        }
        char name[32], why[256];
        xvfb = start_xvfb(name, sizeof name, why, sizeof why);
        if (!xvfb) {
            fprintf(stderr, "sink_x11: cannot start Xvfb: %s\n", why);
            return 1;
        }
        setenv("DISPLAY", name, 1);
        printf("sink_x11: started Xvfb on %s (pid %d)\n", name, (int)xvfb);
    } else {
        printf("sink_x11: using DISPLAY=%s\n", display);
    }
    fflush(stdout);
    Suite *s = suite_create("sink_x11");
    TCase *tc = tcase_create("x11");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_window_shows_last_frame);
    tcase_add_test(tc, test_scaled_window);
    tcase_add_loop_test(tc, test_window_changed, 0, 2);
    tcase_add_test(tc, test_no_display_is_a_clear_error);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    int rc = test_run_suite(s);
    if (xvfb) {
        kill(xvfb, SIGTERM);
        waitpid(xvfb, NULL, 0);
    }
    return rc;
}
