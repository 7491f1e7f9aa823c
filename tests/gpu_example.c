/* gpu_example.c - the example application's CUDA kernel
 * (tools/examples/edge_overlay.cu, through baton's cuda_work callback):
 * the frames it shows equal the same independent reference check_example
 * holds the CPU stage to, so kernel and CPU fallback are bit-identical.
 * Needs a CUDA device and the NVIDIA Vulkan driver: SKIP without, fail
 * with BATON_REQUIRE_GPU=1. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "baton/caps.h"
#include "util_example.h"
#include "util_test.h"

START_TEST(test_cuda_stage_matches_reference)
{
    example_check("cuda", "CUDA", 320, 240, 30, 160);
}
END_TEST

START_TEST(test_cuda_odd_size_and_threshold)
{
    example_check("cuda", "CUDA", 1278, 717, 8, 400);
}
END_TEST

int main(void)
{
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CUDA, &caps, NULL);
    if (!caps.cuda_present || caps.vk_selected < 0) {
        const char *why = caps.cuda_present ? caps.vk_error : caps.cuda_error;
        fprintf(stderr, "gpu_example: %s\n", why);
        return getenv("BATON_REQUIRE_GPU") ? 1 : test_skip("gpu_example", why);
    }
    Suite *s = suite_create("gpu_example");
    TCase *tc = tcase_create("cuda stage");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cuda_stage_matches_reference);
    tcase_add_test(tc, test_cuda_odd_size_and_threshold);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
