/* check_caps.c - the decisions baton makes from a capability set. */
#include <stdio.h>
#include <string.h>

#include "baton/caps.h"
#include "core/sem_backend.h"
#include "util_test.h"

/* An H100-like machine: CUDA device whose UUID matches Vulkan device 1. */
static baton_caps gpu_caps(void)
{
    baton_caps c;
    memset(&c, 0, sizeof c);
    c.cuda_present = true;
    snprintf(c.cuda_name, sizeof c.cuda_name, "NVIDIA H100");
    for (int i = 0; i < BATON_UUID_SIZE; i++)
        c.cuda_uuid[i] = (uint8_t)(0xa0 + i);
    c.cuda_timeline_interop = true;
    c.vk_present = true;
    c.vk_device_count = 2;
    snprintf(c.vk_devices[0].name, BATON_NAME_MAX, "llvmpipe");
    snprintf(c.vk_devices[1].name, BATON_NAME_MAX, "NVIDIA H100 80GB HBM3");
    memcpy(c.vk_devices[1].uuid, c.cuda_uuid, BATON_UUID_SIZE);
    baton_vk_device_info *d = &c.vk_devices[1];
    d->ext_semaphore_fd = d->ext_memory_fd = d->timeline = true;
    d->binary_fd_exportable = d->binary_fd_importable = true;
    d->timeline_fd_exportable = d->timeline_fd_importable = true;
    c.vk_devices[0].timeline = true;
    c.vk_selected = 1;
    return c;
}

START_TEST(test_device_by_uuid)
{
    baton_caps c = gpu_caps();
    int idx = -1;
    ck_assert_int_eq(baton_caps_choose_device(&c, BATON_COMPUTE_CUDA, &idx, NULL), BATON_OK);
    ck_assert_int_eq(idx, 1); /* not "device 0 of each" */
    c.vk_devices[1].uuid[15] ^= 1;
    baton_error err;
    ck_assert_int_eq(baton_caps_choose_device(&c, BATON_COMPUTE_CUDA, &idx, &err),
                     BATON_ERR_NO_MATCHING_DEVICE);
    /* the message names both sides */
    ck_assert_msg(strstr(err.message, "NVIDIA H100 a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "[0] llvmpipe"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "[1] NVIDIA H100 80GB HBM3 a0a1"), "%s", err.message);
    ck_assert_int_eq(baton_caps_choose_device(&c, BATON_COMPUTE_CPU, &idx, NULL), BATON_OK);
    ck_assert_int_eq(idx, 0);
}
END_TEST

START_TEST(test_no_vulkan)
{
    baton_caps c = gpu_caps();
    c.vk_present = false;
    snprintf(c.vk_error, sizeof c.vk_error, "vkCreateInstance failed: VK_ERROR_INCOMPATIBLE_DRIVER");
    int idx;
    baton_error err;
    ck_assert_int_eq(baton_caps_choose_device(&c, BATON_COMPUTE_CUDA, &idx, &err), BATON_ERR_NO_VULKAN);
    ck_assert_str_eq(err.message, "vkCreateInstance failed: VK_ERROR_INCOMPATIBLE_DRIVER");
    c.vk_present = true;
    c.vk_device_count = 0;
    c.vk_error[0] = 0;
    ck_assert_int_eq(baton_caps_choose_device(&c, BATON_COMPUTE_CPU, &idx, &err), BATON_ERR_NO_VULKAN);
}
END_TEST

START_TEST(test_compute_choice)
{
    baton_caps c = gpu_caps();
    baton_compute_mode m;
    baton_error err;
    ck_assert_int_eq(baton_caps_choose_compute(&c, BATON_COMPUTE_AUTO, &m, NULL), BATON_OK);
    ck_assert_int_eq(m, BATON_COMPUTE_CUDA);
    c.cuda_present = false;
    snprintf(c.cuda_error, sizeof c.cuda_error, "cudaGetDeviceCount failed: cudaErrorNoDevice");
    ck_assert_int_eq(baton_caps_choose_compute(&c, BATON_COMPUTE_AUTO, &m, NULL), BATON_OK);
    ck_assert_int_eq(m, BATON_COMPUTE_CPU);
    ck_assert_int_eq(baton_caps_choose_compute(&c, BATON_COMPUTE_CUDA, &m, &err), BATON_ERR_NO_CUDA_DEVICE);
    ck_assert_msg(strstr(err.message, "no CUDA device: cudaGetDeviceCount failed"), "%s", err.message);
}
END_TEST

START_TEST(test_sync_choice)
{
    baton_caps c = gpu_caps();
    baton_sync_mode m;
    baton_error err;
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CUDA, BATON_SYNC_AUTO, &m, NULL), BATON_OK);
    ck_assert_int_eq(m, BATON_SYNC_TIMELINE);
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CUDA, BATON_SYNC_BINARY, &m, NULL), BATON_OK);
    ck_assert_int_eq(m, BATON_SYNC_BINARY);
    /* CUDA without timeline interop: auto falls back, explicit timeline errors */
    c.cuda_timeline_interop = false;
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CUDA, BATON_SYNC_AUTO, &m, NULL), BATON_OK);
    ck_assert_int_eq(m, BATON_SYNC_BINARY);
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CUDA, BATON_SYNC_TIMELINE, &m, &err),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "cudaDevAttrTimelineSemaphoreInteropSupported = 0"), "%s", err.message);
    /* no timeline export on the Vulkan side */
    c = gpu_caps();
    c.vk_devices[1].timeline_fd_exportable = false;
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CUDA, BATON_SYNC_TIMELINE, &m, &err),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "cannot export timeline semaphores as OPAQUE_FD"), "%s", err.message);
    /* no external semaphore fd at all (lavapipe): nothing with CUDA */
    c = gpu_caps();
    c.vk_devices[1].ext_semaphore_fd = false;
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CUDA, BATON_SYNC_AUTO, &m, &err),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "lacks VK_KHR_external_semaphore_fd"), "%s", err.message);
    /* the CPU stage exports nothing: timeline by feature, binary always */
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CPU, BATON_SYNC_AUTO, &m, NULL), BATON_OK);
    ck_assert_int_eq(m, BATON_SYNC_TIMELINE);
    c.vk_devices[1].timeline = false;
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CPU, BATON_SYNC_AUTO, &m, NULL), BATON_OK);
    ck_assert_int_eq(m, BATON_SYNC_BINARY);
    ck_assert_int_eq(baton_caps_choose_sync(&c, 1, BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE, &m, &err),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_int_eq(baton_caps_choose_sync(&c, 5, BATON_COMPUTE_CPU, BATON_SYNC_AUTO, &m, &err),
                     BATON_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_pool_support)
{
    baton_caps c = gpu_caps();
    baton_sem_pool_config cfg = {32, 32};
    baton_error err;
    ck_assert_int_eq(baton_sem_pool_check_support(&c, 1, true, &cfg, NULL), BATON_OK);
    c.cuda_timeline_interop = false;
    ck_assert_int_eq(baton_sem_pool_check_support(&c, 1, true, &cfg, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "CUDA timeline interop no"), "%s", err.message);
    cfg.timeline_count = 0;
    ck_assert_int_eq(baton_sem_pool_check_support(&c, 1, true, &cfg, NULL), BATON_OK);
    c.vk_devices[1].binary_fd_exportable = false;
    ck_assert_int_eq(baton_sem_pool_check_support(&c, 1, true, &cfg, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_int_eq(baton_sem_pool_check_support(&c, 1, false, &cfg, NULL), BATON_OK);
}
END_TEST

START_TEST(test_upload_path_and_names)
{
    baton_caps c = gpu_caps();
    ck_assert_int_eq(baton_caps_upload_path(&c), BATON_UPLOAD_PINNED_COPY);
    c.cuda_integrated = true;
    ck_assert_int_eq(baton_caps_upload_path(&c), BATON_UPLOAD_ZERO_COPY);
    ck_assert_str_eq(baton_sync_mode_name(BATON_SYNC_TIMELINE), "timeline");
    ck_assert_str_eq(baton_strerror(BATON_ERR_TIMEOUT), "timeout");
    ck_assert_str_eq(baton_strerror((baton_status)999), "unknown baton status");
    for (int s = 0; s < BATON_STATUS_COUNT; s++)
        ck_assert_str_ne(baton_strerror((baton_status)s), "unknown baton status");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("caps");
    TCase *tc = tcase_create("decisions");
    tcase_add_test(tc, test_device_by_uuid);
    tcase_add_test(tc, test_no_vulkan);
    tcase_add_test(tc, test_compute_choice);
    tcase_add_test(tc, test_sync_choice);
    tcase_add_test(tc, test_pool_support);
    tcase_add_test(tc, test_upload_path_and_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(suite()); }
