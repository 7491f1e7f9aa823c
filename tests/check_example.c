/* check_example.c - the example application (tools/examples/edge_overlay),
 * built by `make examples` against the installed-style tree with pkg-config,
 * on the CPU stage: it runs, prints one latency line per frame and its
 * summary, and the frames it shows equal an independent reference of its
 * edge filter (odd sizes too, so row pitch is exercised), at two
 * thresholds. Without a CUDA device, --compute cuda must fail with a clear
 * message. The CUDA kernel is checked the same way by gpu_example. Needs a
 * Vulkan device (lavapipe will do): SKIP without one, fail with
 * BATON_REQUIRE_VULKAN=1. Runs from the repository root. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "baton/caps.h"
#include "util_example.h"
#include "util_test.h"

static baton_caps g_caps;

START_TEST(test_cpu_stage_matches_reference)
{
    example_check("cpu", "CPU", 320, 240, 12, 160);
}
END_TEST

START_TEST(test_odd_size_and_threshold)
{
    example_check("cpu", "CPU", 250, 131, 5, 400);
}
END_TEST

START_TEST(test_cuda_without_device_fails_clearly)
{
    char cmd[1024], out[4096] = "";
    const char *build = getenv("BUILD");
    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s' '%s' --compute cuda --sink headless --frames 2 2>&1",
             build && build[0] ? build : "build", example_path());
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s: status %d\n%s", cmd, status, out);
    ck_assert_msg(strstr(out, "edge_overlay: ") && strstr(out, "CUDA"), "no clear error:\n%s", out);
}
END_TEST

int main(void)
{
    baton_probe(0, BATON_COMPUTE_AUTO, &g_caps, NULL);
    if (!g_caps.vk_present || g_caps.vk_device_count == 0) {
        if (test_vulkan_required())
            return fprintf(stderr, "check_example: no Vulkan device but BATON_REQUIRE_VULKAN=1\n"), 1;
        return test_skip("check_example", "no Vulkan device (install mesa-vulkan-drivers)");
    }
    Suite *s = suite_create("example");
    TCase *tc = tcase_create("cpu stage");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cpu_stage_matches_reference);
    tcase_add_test(tc, test_odd_size_and_threshold);
    if (!g_caps.cuda_present)
        tcase_add_test(tc, test_cuda_without_device_fails_clearly);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
