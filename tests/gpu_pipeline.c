/* gpu_pipeline.c - the pipeline with the CUDA stage on a real GPU:
 * 10,000 frames at 1920x1080 YUYV and 3840x2160 NV12, S = 2 and 3, timeline
 * and binary: frames in order, the frame number read back from every
 * displayed frame, every 1000th frame against the independent reference,
 * the trace against the plan; zero steady-state allocations; a stalled
 * stage times out and the pipeline is destroyed cleanly.
 * BATON_GPU_QUICK=1 runs short versions (for compute-sanitizer and the
 * validation layer, which are slow). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util_pipeline.h"
#include "util_steady.h"
#include "util_test.h"

static bool quick;

typedef struct gpu_case {
    baton_format format;
    uint32_t width, height, slots;
    baton_sync_mode sync;
} gpu_case;

static const gpu_case cases[] = {
    {BATON_FORMAT_YUYV, 1920, 1080, 2, BATON_SYNC_TIMELINE},
    {BATON_FORMAT_YUYV, 1920, 1080, 2, BATON_SYNC_BINARY},
    {BATON_FORMAT_YUYV, 1920, 1080, 3, BATON_SYNC_TIMELINE},
    {BATON_FORMAT_YUYV, 1920, 1080, 3, BATON_SYNC_BINARY},
    {BATON_FORMAT_NV12, 3840, 2160, 2, BATON_SYNC_TIMELINE},
    {BATON_FORMAT_NV12, 3840, 2160, 2, BATON_SYNC_BINARY},
    {BATON_FORMAT_NV12, 3840, 2160, 3, BATON_SYNC_TIMELINE},
    {BATON_FORMAT_NV12, 3840, 2160, 3, BATON_SYNC_BINARY},
};

START_TEST(test_ten_thousand_frames)
{
    const gpu_case *g = &cases[_i];
    int before = test_open_fd_count();
    pipe_case c = {
        .compute = BATON_COMPUTE_CUDA, .sync = g->sync, .format = g->format,
        .width = g->width, .height = g->height, .slots = g->slots,
        .frames = quick ? 30 : 10000, .reference_every = quick ? 10 : 1000, .readback = true,
    };
    baton_error err;
    ck_assert_msg(pipe_case_run(&c, &err) == BATON_OK, "%s", err.message);
    pipe_case_print(&c);
    fflush(stdout);
    ck_assert_int_eq(c.compute_used, BATON_COMPUTE_CUDA);
    ck_assert_int_eq(c.sync_used, g->sync);
    ck_assert_msg(pipe_case_ok(&c), "checks failed (see line above)");
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* Both hand-off modes each way, and the integrated GPU's zero-copy upload
 * forced on this discrete GPU (Jetson's code path on real hardware). */
static const baton_handoff_mode handoffs[4][2] = {
    {BATON_HANDOFF_GPU, BATON_HANDOFF_GPU},
    {BATON_HANDOFF_RELAY, BATON_HANDOFF_RELAY},
    {BATON_HANDOFF_GPU, BATON_HANDOFF_RELAY},
    {BATON_HANDOFF_RELAY, BATON_HANDOFF_GPU},
};

START_TEST(test_handoffs_and_zero_copy)
{
    int before = test_open_fd_count();
    pipe_case c = {
        .compute = BATON_COMPUTE_CUDA, .sync = (_i / 4) % 2 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE,
        .format = BATON_FORMAT_YUYV, .width = 1920, .height = 1080, .slots = 2,
        .frames = quick ? 30 : 2000, .reference_every = quick ? 10 : 200, .readback = true,
        .to_vulkan = handoffs[_i % 4][0], .to_compute = handoffs[_i % 4][1], .zero_copy = _i >= 8,
    };
    baton_error err;
    ck_assert_msg(pipe_case_run(&c, &err) == BATON_OK, "%s", err.message);
    pipe_case_print(&c);
    fflush(stdout);
    ck_assert_int_eq(c.to_vulkan_used, c.to_vulkan);
    ck_assert_int_eq(c.to_compute_used, c.to_compute);
    ck_assert_msg(pipe_case_ok(&c), "checks failed (see line above)");
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

START_TEST(test_other_formats)
{
    static const baton_format f[] = {BATON_FORMAT_UYVY, BATON_FORMAT_GREY8, BATON_FORMAT_RGB24,
                                     BATON_FORMAT_NV12, BATON_FORMAT_YUYV};
    pipe_case c = {
        .compute = BATON_COMPUTE_CUDA, .sync = BATON_SYNC_TIMELINE, .format = f[_i],
        .width = 640, .height = 360, .slots = 4, .frames = quick ? 30 : 200, .reference_every = 1,
    };
    baton_error err;
    ck_assert_msg(pipe_case_run(&c, &err) == BATON_OK, "%s", err.message);
    pipe_case_print(&c);
    fflush(stdout);
    ck_assert_msg(pipe_case_ok(&c), "checks failed (see line above)");
}
END_TEST

START_TEST(test_steady_state_allocates_nothing)
{
    const baton_sync_mode sync = _i % 2 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE;
    baton_context *ctx = test_context(BATON_COMPUTE_CUDA, sync);
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 1920;
    pc.height = 1080;
    pc.slots = 2 + (uint32_t)((_i / 2) % 2);
    pc.handoff_to_vulkan = pc.handoff_to_compute = _i >= 4 ? BATON_HANDOFF_GPU : BATON_HANDOFF_RELAY;
    steady_result r;
    baton_error err;
    ck_assert_msg(steady_run(ctx, &pc, 50, quick ? 100 : 1000, &r, &err) == BATON_OK, "%s", err.message);
    char label[64];
    snprintf(label, sizeof label, "CUDA stage, %s, S=%u, hand-offs %s",
             baton_sync_mode_name(baton_context_sync(ctx)), pc.slots,
             baton_handoff_mode_name(pc.handoff_to_vulkan));
    steady_print(label, &r);
    baton_context_destroy(ctx);
    ck_assert_msg(steady_all_zero(&r), "the per-frame path allocated (see above)");
}
END_TEST

START_TEST(test_stall_times_out_and_destroys_cleanly)
{
    int before = test_open_fd_count();
    baton_context *ctx = test_context(BATON_COMPUTE_CUDA, BATON_SYNC_TIMELINE);
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 640;
    pc.height = 360;
    pc.timeout_ms = 300;
    pc.handoff_to_vulkan = handoffs[_i][0];
    pc.handoff_to_compute = handoffs[_i][1];
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    baton_pipeline_inject_stall(p, 7);
    ck_assert_int_eq(baton_pipeline_run(p, 50, &err), BATON_ERR_TIMEOUT);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "vulkan stage: frame 7 "), "%s", err.message);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

int main(int argc, char **argv)
{
    quick = getenv("BATON_GPU_QUICK") != NULL;
    /* quick runs go under compute-sanitizer / the validation layer, which
     * inject themselves; the allocation count runs in the full run only */
    int r = quick ? ALLOC_COUNT_SKIP : alloc_count_reexec(argc, argv);
    if (r == ALLOC_COUNT_ERROR)
        return 1;
    alarm(quick ? 900 : 1800);
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CUDA, &caps, NULL);
    if (!caps.cuda_present || caps.vk_selected < 0) {
        const char *why = caps.cuda_present ? caps.vk_error : caps.cuda_error;
        fprintf(stderr, "gpu_pipeline: %s\n", why);
        return getenv("BATON_REQUIRE_GPU") ? 1 : test_skip("gpu_pipeline", why);
    }
    /* The NVIDIA driver opens its device files on first use and keeps them
     * for the life of the process; one warm-up pipeline takes them out of
     * the per-case fd counts, which then catch any fd a pipeline leaks. */
    pipe_case warm = {.compute = BATON_COMPUTE_CUDA, .sync = BATON_SYNC_TIMELINE,
                      .format = BATON_FORMAT_YUYV, .width = 640, .height = 360, .slots = 2,
                      .frames = 10};
    baton_error werr;
    if (pipe_case_run(&warm, &werr) != BATON_OK) {
        fprintf(stderr, "gpu_pipeline: warm-up failed: %s\n", werr.message);
        return 1;
    }
    Suite *s = suite_create("gpu_pipeline");
    TCase *tc = tcase_create("cuda stage");
    tcase_set_timeout(tc, 1800);
    tcase_add_loop_test(tc, test_ten_thousand_frames, 0, 8);
    tcase_add_loop_test(tc, test_handoffs_and_zero_copy, 0, 12);
    tcase_add_loop_test(tc, test_other_formats, 0, 5);
    if (r == ALLOC_COUNT_READY)
        tcase_add_loop_test(tc, test_steady_state_allocates_nothing, 0, 8);
    else
        printf("SKIP steady-state allocation count: quick run under a tool, or a sanitizer "
               "replaces malloc; the full run counts\n");
    tcase_add_loop_test(tc, test_stall_times_out_and_destroys_cleanly, 0, 4);
    suite_add_tcase(s, tc);
    return test_run_suite_nofork(s); /* CUDA does not survive a fork after init */
}
