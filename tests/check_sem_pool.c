/* check_sem_pool.c - pool bookkeeping and fd ownership, through a fake
 * backend whose "export" opens real fds and whose "import" takes ownership
 * exactly as CUDA does (or fails at the k-th call, leaving the fd ours). */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/sem_backend.h"
#include "util_test.h"

#define MAX_FDS 256

typedef struct fake {
    uint32_t created, destroyed, imported, destroyed_imported;
    uint32_t fail_import_at;   /* 1-based import call that fails; 0 never */
    uint32_t fail_export_at;
    uint32_t fail_create_at;
    uint32_t import_calls, export_calls, create_calls;
    int owned[MAX_FDS];        /* fds "CUDA" owns, closed when destroyed */
    int closes[1024];          /* close count per fd value, by the pool */
    uint32_t order_violations; /* Vulkan semaphore destroyed before its import */
    uint8_t live_import[MAX_FDS];
} fake;

static baton_status f_create(void *u, baton_sem_kind kind, bool exportable, VkSemaphore *out,
                             baton_error *err)
{
    fake *f = u;
    (void)kind;
    (void)exportable;
    if (++f->create_calls == f->fail_create_at)
        return baton_error_set(err, BATON_ERR_VULKAN, "vkCreateSemaphore failed: VK_ERROR_OUT_OF_HOST_MEMORY");
    *out = (VkSemaphore)(uintptr_t)(++f->created);
    return BATON_OK;
}

static baton_status f_export(void *u, VkSemaphore sem, int *fd, baton_error *err)
{
    fake *f = u;
    (void)sem;
    if (++f->export_calls == f->fail_export_at)
        return baton_error_set(err, BATON_ERR_VULKAN, "vkGetSemaphoreFdKHR failed: VK_ERROR_TOO_MANY_OBJECTS");
    *fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return *fd >= 0 ? BATON_OK : baton_error_set(err, BATON_ERR_OS, "open failed");
}

static baton_status f_import(void *u, baton_sem_kind kind, int fd, cudaExternalSemaphore_t *out,
                             baton_error *err)
{
    fake *f = u;
    (void)kind;
    if (++f->import_calls == f->fail_import_at)
        return baton_error_set(err, BATON_ERR_CUDA, "cudaImportExternalSemaphore failed: cudaErrorInvalidValue");
    uint32_t slot = ++f->imported;
    f->owned[slot] = fd;
    f->live_import[slot] = 1;
    *out = (cudaExternalSemaphore_t)(uintptr_t)slot;
    return BATON_OK;
}

static void f_destroy_imported(void *u, cudaExternalSemaphore_t ext)
{
    fake *f = u;
    uint32_t slot = (uint32_t)(uintptr_t)ext;
    close(f->owned[slot]); /* the owner ("CUDA") releases its fd */
    f->live_import[slot] = 0;
    f->destroyed_imported++;
}

static void f_destroy(void *u, VkSemaphore sem)
{
    fake *f = u;
    uint32_t id = (uint32_t)(uintptr_t)sem;
    /* In the fake, import slot k belongs to semaphore k when nothing failed
     * before it; a live import for this semaphore means wrong order. */
    if (id < MAX_FDS && f->live_import[id] && f->fail_import_at == 0 && f->fail_export_at == 0)
        f->order_violations++;
    f->destroyed++;
}

static int f_close(void *u, int fd)
{
    fake *f = u;
    if (fd >= 0 && fd < 1024)
        f->closes[fd]++;
    return close(fd);
}

static baton_sem_backend fake_backend(fake *f)
{
    memset(f, 0, sizeof *f);
    return (baton_sem_backend){f, f_create, f_export, f_import, f_destroy_imported, f_destroy, f_close};
}

START_TEST(test_create_destroy_no_fd_leak)
{
    fake f;
    baton_sem_backend be = fake_backend(&f);
    int before = test_open_fd_count();
    baton_sem_pool *p = NULL;
    baton_sem_pool_config cfg = {.binary_count = 32, .timeline_count = 32};
    baton_error err;
    ck_assert_int_eq(baton_sem_pool_create_with(&be, true, &cfg, &p, &err), BATON_OK);
    ck_assert_uint_eq(baton_sem_pool_size(p), 64);
    ck_assert_uint_eq(f.imported, 64);
    /* CUDA owns the 64 fds now: they are open until it destroys them */
    ck_assert_int_eq(test_open_fd_count(), before + 64);
    baton_sem_pool_destroy(p);
    ck_assert_int_eq(test_open_fd_count(), before);
    ck_assert_uint_eq(f.destroyed, 64);
    ck_assert_uint_eq(f.destroyed_imported, 64);
    ck_assert_uint_eq(f.order_violations, 0);
    for (int i = 0; i < 1024; i++)
        ck_assert_int_eq(f.closes[i], 0); /* the pool closed none itself */
}
END_TEST

START_TEST(test_import_fails_at_k)
{
    /* _i is the loop index: fail at import 1, 2, 17, 64 */
    static const uint32_t ks[] = {1, 2, 17, 33, 64};
    fake f;
    baton_sem_backend be = fake_backend(&f);
    f.fail_import_at = ks[_i];
    int before = test_open_fd_count();
    baton_sem_pool *p = (baton_sem_pool *)(uintptr_t)0x1;
    baton_sem_pool_config cfg = {.binary_count = 32, .timeline_count = 32};
    baton_error err;
    ck_assert_int_eq(baton_sem_pool_create_with(&be, true, &cfg, &p, &err), BATON_ERR_CUDA);
    ck_assert_ptr_eq(p, (baton_sem_pool *)(uintptr_t)0x1); /* untouched on failure */
    ck_assert_msg(strstr(err.message, "cudaImportExternalSemaphore") != NULL, "%s", err.message);
    ck_assert_int_eq(test_open_fd_count(), before);
    ck_assert_uint_eq(f.created, ks[_i]);
    ck_assert_uint_eq(f.destroyed, ks[_i]);          /* every created one destroyed */
    ck_assert_uint_eq(f.destroyed_imported, ks[_i] - 1);
    int closed_by_pool = 0;
    for (int i = 0; i < 1024; i++) {
        ck_assert_int_le(f.closes[i], 1);            /* never twice */
        closed_by_pool += f.closes[i];
    }
    ck_assert_int_eq(closed_by_pool, 1);             /* exactly the failed one */
}
END_TEST

START_TEST(test_export_and_create_fail)
{
    fake f;
    baton_sem_backend be = fake_backend(&f);
    f.fail_export_at = 5;
    int before = test_open_fd_count();
    baton_sem_pool *p = NULL;
    baton_sem_pool_config cfg = {.binary_count = 8, .timeline_count = 0};
    baton_error err;
    ck_assert_int_eq(baton_sem_pool_create_with(&be, true, &cfg, &p, &err), BATON_ERR_VULKAN);
    ck_assert_msg(strstr(err.message, "semaphore 4 of 8") != NULL, "%s", err.message);
    ck_assert_msg(strstr(err.message, "vkGetSemaphoreFdKHR") != NULL, "%s", err.message);
    ck_assert_int_eq(test_open_fd_count(), before);
    ck_assert_uint_eq(f.created, f.destroyed);

    be = fake_backend(&f);
    f.fail_create_at = 3;
    ck_assert_int_eq(baton_sem_pool_create_with(&be, true, &cfg, &p, &err), BATON_ERR_VULKAN);
    ck_assert_int_eq(test_open_fd_count(), before);
    ck_assert_uint_eq(f.created, 2);
    ck_assert_uint_eq(f.destroyed, 2);
}
END_TEST

START_TEST(test_acquire_release_bookkeeping)
{
    fake f;
    baton_sem_backend be = fake_backend(&f);
    baton_sem_pool *p = NULL;
    baton_sem_pool_config cfg = {.binary_count = 3, .timeline_count = 2};
    baton_error err;
    ck_assert_int_eq(baton_sem_pool_create_with(&be, false, &cfg, &p, &err), BATON_OK);
    ck_assert_uint_eq(f.export_calls, 0); /* not shared: nothing exported */
    ck_assert_int_eq(baton_sem_pool_is_shared(p), 0);
    ck_assert_uint_eq(baton_sem_pool_available(p, BATON_SEM_BINARY), 3);
    ck_assert_uint_eq(baton_sem_pool_available(p, BATON_SEM_TIMELINE), 2);
    uint32_t b[3], t[2], x;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(baton_sem_pool_acquire(p, BATON_SEM_BINARY, &b[i], &err), BATON_OK);
        ck_assert_uint_eq(b[i], (uint32_t)i); /* low indices first */
        ck_assert_int_eq(baton_sem_pool_kind(p, b[i]), BATON_SEM_BINARY);
    }
    ck_assert_int_eq(baton_sem_pool_acquire(p, BATON_SEM_BINARY, &x, &err), BATON_ERR_EXHAUSTED);
    ck_assert_msg(strstr(err.message, "no free binary semaphore") != NULL, "%s", err.message);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(baton_sem_pool_acquire(p, BATON_SEM_TIMELINE, &t[i], &err), BATON_OK);
        ck_assert_int_eq(baton_sem_pool_kind(p, t[i]), BATON_SEM_TIMELINE);
    }
    ck_assert_int_eq(baton_sem_pool_acquire(p, BATON_SEM_TIMELINE, &x, &err), BATON_ERR_EXHAUSTED);
    ck_assert_int_eq(baton_sem_pool_release(p, b[1], &err), BATON_OK);
    ck_assert_int_eq(baton_sem_pool_release(p, b[1], &err), BATON_ERR_STATE);
    ck_assert_int_eq(baton_sem_pool_release(p, 99, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(baton_sem_pool_available(p, BATON_SEM_BINARY), 1);
    ck_assert_int_eq(baton_sem_pool_acquire(p, BATON_SEM_BINARY, &x, &err), BATON_OK);
    ck_assert_uint_eq(x, b[1]);
    ck_assert_int_eq(baton_sem_pool_acquire(p, 7, &x, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_sem_pool_destroy(p);
    ck_assert_uint_eq(f.destroyed, 5);
}
END_TEST

START_TEST(test_bad_sizes)
{
    fake f;
    baton_sem_backend be = fake_backend(&f);
    baton_sem_pool *p = NULL;
    baton_error err;
    baton_sem_pool_config none = {0, 0}, huge = {BATON_SEM_POOL_MAX, 1};
    ck_assert_int_eq(baton_sem_pool_create_with(&be, true, &none, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_sem_pool_create_with(&be, true, &huge, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_sem_pool_create_with(NULL, true, &none, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(f.create_calls, 0);
    baton_sem_pool_destroy(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sem_pool");
    TCase *tc = tcase_create("fake backend");
    tcase_add_test(tc, test_create_destroy_no_fd_leak);
    tcase_add_loop_test(tc, test_import_fails_at_k, 0, 5);
    tcase_add_test(tc, test_export_and_create_fail);
    tcase_add_test(tc, test_acquire_release_bookkeeping);
    tcase_add_test(tc, test_bad_sizes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(suite()); }
