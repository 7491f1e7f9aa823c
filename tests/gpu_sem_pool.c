/* gpu_sem_pool.c - the semaphore pool on a real CUDA device with the NVIDIA
 * Vulkan driver: create, export, import 64 binary + 64 timeline semaphores,
 * a CUDA -> Vulkan -> CUDA round trip through every one, fd count unchanged,
 * and a failed k-th import unwound with nothing leaked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/interop.h"
#include "util/baton_internal.h"
#include "core/sem_backend.h"
#include "util_test.h"

#define POOL_N 64
#define WAIT_NS 5000000000ull

static baton_context *ctx;

static cudaError_t stream_wait(cudaStream_t s, uint64_t timeout_ns)
{
    uint64_t end = baton_now_ns() + timeout_ns;
    cudaError_t e;
    while ((e = cudaStreamQuery(s)) == cudaErrorNotReady && baton_now_ns() < end)
        ;
    return e;
}

/* CUDA signals semaphore i, the Vulkan queue waits on it and signals j, CUDA
 * waits on j. Timeline: i == j, values 1 then 2. Binary: j is another
 * binary semaphore (a binary semaphore carries one signal to one wait), so
 * over the pool every binary semaphore is crossed in both directions. */
static void round_trip(baton_sem_pool *pool, uint32_t i, uint32_t j, cudaStream_t stream,
                       VkFence fence)
{
    VkDevice dev = baton_context_vk_device(ctx);
    bool timeline = baton_sem_pool_kind(pool, i) == BATON_SEM_TIMELINE;
    cudaExternalSemaphore_t ext = baton_sem_pool_cuda(pool, i);
    cudaExternalSemaphore_t ext_back = baton_sem_pool_cuda(pool, j);
    VkSemaphore sem = baton_sem_pool_vk(pool, i);
    VkSemaphore sem_back = baton_sem_pool_vk(pool, j);
    ck_assert_ptr_nonnull(ext);
    ck_assert_ptr_nonnull(ext_back);
    struct cudaExternalSemaphoreSignalParams sp;
    memset(&sp, 0, sizeof sp);
    sp.params.fence.value = 1;
    ck_assert_int_eq(cudaSignalExternalSemaphoresAsync(&ext, &sp, 1, stream), cudaSuccess);

    uint64_t wait_value = 1, signal_value = 2;
    VkTimelineSemaphoreSubmitInfo tl = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1, .pWaitSemaphoreValues = &wait_value,
        .signalSemaphoreValueCount = 1, .pSignalSemaphoreValues = &signal_value,
    };
    VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = timeline ? &tl : NULL,
        .waitSemaphoreCount = 1, .pWaitSemaphores = &sem, .pWaitDstStageMask = &stage,
        .signalSemaphoreCount = 1, .pSignalSemaphores = &sem_back,
    };
    ck_assert_int_eq(vkQueueSubmit(baton_context_vk_queue(ctx), 1, &si, fence), VK_SUCCESS);

    struct cudaExternalSemaphoreWaitParams wp;
    memset(&wp, 0, sizeof wp);
    wp.params.fence.value = 2;
    ck_assert_int_eq(cudaWaitExternalSemaphoresAsync(&ext_back, &wp, 1, stream), cudaSuccess);

    ck_assert_msg(vkWaitForFences(dev, 1, &fence, VK_TRUE, WAIT_NS) == VK_SUCCESS,
                  "semaphore %u: Vulkan never saw CUDA's signal", i);
    ck_assert_msg(stream_wait(stream, WAIT_NS) == cudaSuccess,
                  "semaphore %u: CUDA never saw Vulkan's signal", i);
    if (timeline) {
        uint64_t v = 0;
        ck_assert_int_eq(vkGetSemaphoreCounterValue(dev, sem, &v), VK_SUCCESS);
        ck_assert_msg(v == 2, "semaphore %u: timeline value %llu, expected 2", i,
                      (unsigned long long)v);
    }
    ck_assert_int_eq(vkResetFences(dev, 1, &fence), VK_SUCCESS);
}

START_TEST(test_pool_round_trips)
{
    int before = test_open_fd_count();
    baton_sem_pool *pool = NULL;
    baton_sem_pool_config cfg = {.binary_count = POOL_N, .timeline_count = POOL_N};
    baton_error err;
    uint64_t t0 = baton_now_ns();
    ck_assert_msg(baton_sem_pool_create(ctx, &cfg, &pool, &err) == BATON_OK, "%s", err.message);
    uint64_t t1 = baton_now_ns();
    printf("pool of %d binary + %d timeline created, exported, imported in %.2f ms\n", POOL_N,
           POOL_N, (double)(t1 - t0) / 1e6);
    ck_assert_int_eq(baton_sem_pool_is_shared(pool), 1);

    cudaStream_t stream;
    ck_assert_int_eq(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
    VkFence fence;
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    ck_assert_int_eq(vkCreateFence(baton_context_vk_device(ctx), &fci, NULL, &fence), VK_SUCCESS);
    for (uint32_t i = 0; i < POOL_N; i++) /* binary: 0..63, each to the next */
        round_trip(pool, i, (i + 1) % POOL_N, stream, fence);
    for (uint32_t i = POOL_N; i < 2 * POOL_N; i++) /* timeline: 64..127 */
        round_trip(pool, i, i, stream, fence);
    printf("%u round trips CUDA -> Vulkan -> CUDA: all values arrived\n", baton_sem_pool_size(pool));
    vkDestroyFence(baton_context_vk_device(ctx), fence, NULL);
    cudaStreamDestroy(stream);
    baton_sem_pool_destroy(pool);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* The real backend, except that the k-th import fails without calling CUDA. */
typedef struct failing { baton_sem_backend real; uint32_t calls, fail_at, closes; } failing;
static failing fb;

static baton_status fail_import(void *u, baton_sem_kind kind, int fd, cudaExternalSemaphore_t *out,
                                baton_error *err)
{
    (void)u;
    if (++fb.calls == fb.fail_at)
        return baton_error_set(err, BATON_ERR_CUDA,
                               "cudaImportExternalSemaphore failed: cudaErrorInvalidValue (injected)");
    return fb.real.import(fb.real.user, kind, fd, out, err);
}

static baton_status pass_create(void *u, baton_sem_kind k, bool x, VkSemaphore *o, baton_error *e) { (void)u; return fb.real.create(fb.real.user, k, x, o, e); }
static baton_status pass_export(void *u, VkSemaphore s, int *fd, baton_error *e) { (void)u; return fb.real.export_fd(fb.real.user, s, fd, e); }
static void pass_destroy_imported(void *u, cudaExternalSemaphore_t x) { (void)u; fb.real.destroy_imported(fb.real.user, x); }
static void pass_destroy(void *u, VkSemaphore s) { (void)u; fb.real.destroy(fb.real.user, s); }
static int count_close(void *u, int fd) { (void)u; fb.closes++; return fb.real.close_fd(fb.real.user, fd); }

START_TEST(test_import_fails_at_k_real)
{
    static const uint32_t ks[] = {1, 10, 64, 100};
    memset(&fb, 0, sizeof fb);
    fb.real = baton_sem_backend_real(ctx);
    fb.fail_at = ks[_i];
    baton_sem_backend be = {&fb, pass_create, pass_export, fail_import, pass_destroy_imported,
                            pass_destroy, count_close};
    int before = test_open_fd_count();
    baton_sem_pool *pool = NULL;
    baton_sem_pool_config cfg = {.binary_count = POOL_N, .timeline_count = POOL_N};
    baton_error err;
    ck_assert_int_eq(baton_sem_pool_create_with(&be, true, &cfg, &pool, &err), BATON_ERR_CUDA);
    ck_assert_msg(strstr(err.message, "injected"), "%s", err.message);
    ck_assert_uint_eq(fb.closes, 1);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

int main(void)
{
    baton_context_config cfg;
    baton_context_config_default(&cfg);
    cfg.compute = BATON_COMPUTE_CUDA;
    baton_error err;
    alarm(240); /* a GPU wait that never completes must fail the run, not hang it */
    if (baton_context_create(&cfg, &ctx, &err) != BATON_OK) {
        fprintf(stderr, "gpu_sem_pool: %s: %s\n", baton_strerror(err.status), err.message);
        return getenv("BATON_REQUIRE_GPU") ? 1 : test_skip("gpu_sem_pool", err.message);
    }
    printf("device: %s, sync auto -> %s\n", baton_context_device_name(ctx),
           baton_sync_mode_name(baton_context_sync(ctx)));
    Suite *s = suite_create("gpu_sem_pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pool_round_trips);
    tcase_add_loop_test(tc, test_import_fails_at_k_real, 0, 4);
    suite_add_tcase(s, tc);
    int failed = test_run_suite_nofork(s); /* one CUDA context, no fork after init */
    baton_context_destroy(ctx);
    return failed;
}
