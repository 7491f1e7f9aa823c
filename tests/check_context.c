/* check_context.c - probing and context creation on whatever Vulkan this
 * machine has (lavapipe in CI), and the clear errors when CUDA is absent. */
#include <stdio.h>
#include <string.h>

#include "baton/context.h"
#include "baton/sem_pool.h"
#include "core/sem_backend.h"
#include "util_test.h"

static baton_caps caps;

START_TEST(test_probe_reports_both_apis)
{
    ck_assert(caps.vk_present);
    ck_assert_uint_ge(caps.vk_device_count, 1);
    ck_assert_int_ge(caps.vk_selected, 0);
    if (!caps.cuda_present)
        ck_assert_msg(caps.cuda_error[0] != '\0', "CUDA absent but no reason given");
}
END_TEST

START_TEST(test_cpu_context_create_destroy)
{
    int before = test_open_fd_count();
    baton_context_config cfg;
    baton_context_config_default(&cfg);
    cfg.compute = BATON_COMPUTE_CPU;
    baton_context *ctx = NULL;
    baton_error err;
    ck_assert_msg(baton_context_create(&cfg, &ctx, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(baton_context_compute(ctx), BATON_COMPUTE_CPU);
    ck_assert_uint_ge(baton_context_counters(ctx).vk_objects_created, 1);
    ck_assert_uint_eq(baton_context_counters(ctx).cuda_objects_created, 0);
    baton_sem_pool *pool = NULL;
    baton_sem_pool_config pc = {.binary_count = 32, .timeline_count = 0};
    if (baton_context_caps(ctx)->vk_devices[0].timeline)
        pc.timeline_count = 32;
    ck_assert_msg(baton_sem_pool_create(ctx, &pc, &pool, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(baton_sem_pool_is_shared(pool), 0);
    ck_assert_uint_eq(baton_sem_pool_size(pool), pc.binary_count + pc.timeline_count);
    baton_sem_pool_destroy(pool);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

START_TEST(test_cuda_requested_without_device)
{
    if (caps.cuda_present)
        return; /* this machine has CUDA: covered by the GPU suites */
    int before = test_open_fd_count();
    baton_context_config cfg;
    baton_context_config_default(&cfg);
    cfg.compute = BATON_COMPUTE_CUDA;
    baton_context *ctx = (baton_context *)&cfg;
    baton_error err;
    ck_assert_int_eq(baton_context_create(&cfg, &ctx, &err), BATON_ERR_NO_CUDA_DEVICE);
    ck_assert_ptr_eq(ctx, (baton_context *)&cfg);
    ck_assert_msg(strncmp(err.message, "no CUDA device: cuda", 20) == 0, "%s", err.message);
    ck_assert_int_eq(test_open_fd_count(), before);
    printf("(expected) %s: %s\n", baton_strerror(err.status), err.message);
}
END_TEST

START_TEST(test_auto_without_cuda_picks_cpu)
{
    if (caps.cuda_present)
        return;
    baton_context *ctx = NULL;
    baton_error err;
    ck_assert_msg(baton_context_create(NULL, &ctx, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(baton_context_compute(ctx), BATON_COMPUTE_CPU);
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_export_unsupported_is_clear)
{
    /* lavapipe has no VK_KHR_external_semaphore_fd: exporting must be refused
     * with a message naming the extension, before anything is created. */
    const baton_vk_device_info *d = &caps.vk_devices[caps.vk_selected];
    if (d->ext_semaphore_fd)
        return; /* a driver that can export: the GPU suites cover it */
    baton_sem_pool_config pc = {.binary_count = 4, .timeline_count = 0};
    baton_error err;
    ck_assert_int_eq(baton_sem_pool_check_support(&caps, caps.vk_selected, true, &pc, &err),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "VK_KHR_external_semaphore_fd"), "%s", err.message);
    baton_caps c = caps;
    c.cuda_present = true;
    c.cuda_timeline_interop = true;
    baton_sync_mode m;
    ck_assert_int_eq(baton_caps_choose_sync(&c, caps.vk_selected, BATON_COMPUTE_CUDA,
                                            BATON_SYNC_AUTO, &m, &err), BATON_ERR_UNSUPPORTED);
    printf("(expected) %s\n", err.message);
}
END_TEST

START_TEST(test_bad_arguments)
{
    baton_error err;
    ck_assert_int_eq(baton_context_create(NULL, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_probe(0, BATON_COMPUTE_AUTO, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_context_destroy(NULL);
}
END_TEST

int main(void)
{
    baton_error err;
    baton_probe(0, BATON_COMPUTE_AUTO, &caps, &err);
    if (!caps.vk_present || caps.vk_device_count == 0) {
        fprintf(stderr, "Vulkan unavailable: %s\n", caps.vk_error);
        if (test_vulkan_required())
            return 1;
        return test_skip("context", "no Vulkan instance or device (install mesa-vulkan-drivers)");
    }
    Suite *s = suite_create("context");
    TCase *tc = tcase_create("vulkan");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_probe_reports_both_apis);
    tcase_add_test(tc, test_cpu_context_create_destroy);
    tcase_add_test(tc, test_cuda_requested_without_device);
    tcase_add_test(tc, test_auto_without_cuda_picks_cpu);
    tcase_add_test(tc, test_export_unsupported_is_clear);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
