/* check_vk_arena.c - the driver allocation arena (core/vk_arena.h): every
 * pointer aligned as asked and usable for its size, contents kept across
 * realloc, blocks recycled (no new carving in steady traffic), the large,
 * the over-aligned and the spent-arena cases escape to the C library and
 * are counted, and several threads at once. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/vk_arena.h"
#include "util_test.h"

static const char *why;

static void *alloc(vk_arena *a, size_t n, size_t align)
{
    const VkAllocationCallbacks *cb = vk_arena_callbacks(a);
    return cb->pfnAllocation(cb->pUserData, n, align, VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
}

static void *re(vk_arena *a, void *p, size_t n, size_t align)
{
    const VkAllocationCallbacks *cb = vk_arena_callbacks(a);
    return cb->pfnReallocation(cb->pUserData, p, n, align, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
}

static void release(vk_arena *a, void *p)
{
    const VkAllocationCallbacks *cb = vk_arena_callbacks(a);
    cb->pfnFree(cb->pUserData, p);
}

static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(seed * 31u + i);
}

static int intact(const void *p, size_t n, unsigned seed)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(seed * 31u + i))
            return 0;
    return 1;
}

START_TEST(test_alignment_and_contents)
{
    vk_arena *a = vk_arena_create(16u << 20, &why);
    ck_assert_ptr_nonnull(a);
    static const size_t aligns[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    void *p[9 * 40];
    size_t sz[9 * 40];
    int k = 0;
    for (size_t i = 0; i < 9; i++)
        for (size_t n = 1; n < 70000; n = n * 2 + 3, k++) {
            sz[k] = n;
            p[k] = alloc(a, n, aligns[i]);
            ck_assert_ptr_nonnull(p[k]);
            ck_assert_uint_eq((uintptr_t)p[k] % aligns[i], 0);
            fill(p[k], n, (unsigned)k);
        }
    for (int j = 0; j < k; j++) {
        ck_assert_msg(intact(p[j], sz[j], (unsigned)j), "block %d (%zu bytes) overwritten", j, sz[j]);
        release(a, p[j]);
    }
    vk_arena_stats s = vk_arena_get_stats(a);
    ck_assert_uint_eq(s.bytes_in_use, 0);
    ck_assert_uint_gt(s.escaped, 0); /* the 65 KiB+ sizes */
    vk_arena_destroy(a);
}
END_TEST

START_TEST(test_realloc_keeps_contents)
{
    vk_arena *a = vk_arena_create(16u << 20, &why);
    void *p = alloc(a, 10, 8);
    fill(p, 10, 7);
    for (size_t n = 20; n < 300000; n *= 3) {
        void *q = re(a, p, n, 16);
        ck_assert_ptr_nonnull(q);
        ck_assert(intact(q, 10, 7));
        p = q;
    }
    p = re(a, p, 5, 16); /* shrink */
    ck_assert(intact(p, 5, 7));
    ck_assert_ptr_null(re(a, p, 0, 16)); /* size 0 frees */
    ck_assert_ptr_nonnull(p = re(a, NULL, 100, 16)); /* NULL allocates */
    release(a, p);
    /* size 0: a unique pointer, not NULL (Mesa reads NULL as out of memory) */
    void *z1 = alloc(a, 0, 8), *z2 = alloc(a, 0, 8);
    ck_assert_ptr_nonnull(z1);
    ck_assert_ptr_nonnull(z2);
    ck_assert_ptr_ne(z1, z2);
    release(a, z1);
    release(a, z2);
    release(a, NULL);
    ck_assert_uint_eq(vk_arena_get_stats(a).bytes_in_use, 0);
    vk_arena_destroy(a);
}
END_TEST

/* The driver's per-frame pattern: allocate a few command-scope blocks, free
 * them; after the first round nothing new is carved. */
START_TEST(test_steady_traffic_recycles)
{
    vk_arena *a = vk_arena_create(16u << 20, &why);
    static const size_t sizes[] = {48, 200, 1500, 8000, 64};
    void *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = alloc(a, sizes[i], 16);
    for (int i = 0; i < 5; i++)
        release(a, p[i]);
    vk_arena_stats warm = vk_arena_get_stats(a);
    for (int round = 0; round < 10000; round++) {
        for (int i = 0; i < 5; i++)
            p[i] = alloc(a, sizes[i], 16);
        for (int i = 4; i >= 0; i--)
            release(a, p[i]);
    }
    vk_arena_stats s = vk_arena_get_stats(a);
    ck_assert_uint_eq(s.carved, warm.carved);
    ck_assert_uint_eq(s.escaped, 0);
    ck_assert_uint_eq(s.allocations, warm.allocations + 50000);
    vk_arena_destroy(a);
}
END_TEST

START_TEST(test_spent_arena_escapes)
{
    vk_arena *a = vk_arena_create(64u << 10, &why); /* one 64 KiB block's worth */
    void *p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = alloc(a, 16000, 16);
        ck_assert_ptr_nonnull(p[i]);
        fill(p[i], 16000, (unsigned)i);
    }
    vk_arena_stats s = vk_arena_get_stats(a);
    ck_assert_uint_gt(s.escaped, 0);
    ck_assert_uint_le(s.bytes_carved, s.capacity);
    for (int i = 0; i < 8; i++) {
        ck_assert(intact(p[i], 16000, (unsigned)i));
        release(a, p[i]);
    }
    ck_assert_ptr_nonnull(p[0] = alloc(a, 100, 512)); /* over-aligned: escapes */
    ck_assert_uint_eq((uintptr_t)p[0] % 512, 0);
    release(a, p[0]);
    vk_arena_destroy(a);
}
END_TEST

static void *churn(void *arg)
{
    vk_arena *a = arg;
    void *p[16];
    for (int round = 0; round < 2000; round++) {
        for (int i = 0; i < 16; i++) {
            p[i] = alloc(a, (size_t)(16 + (round * 7 + i * 131) % 5000), 16);
            fill(p[i], 16, (unsigned)(round + i));
        }
        for (int i = 0; i < 16; i++) {
            if (!intact(p[i], 16, (unsigned)(round + i)))
                return (void *)1;
            release(a, p[i]);
        }
    }
    return NULL;
}

START_TEST(test_threads)
{
    vk_arena *a = vk_arena_create(32u << 20, &why);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, churn, a), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        ck_assert_ptr_null(r);
    }
    ck_assert_uint_eq(vk_arena_get_stats(a).bytes_in_use, 0);
    vk_arena_destroy(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vk_arena");
    TCase *tc = tcase_create("arena");
    tcase_add_test(tc, test_alignment_and_contents);
    tcase_add_test(tc, test_realloc_keeps_contents);
    tcase_add_test(tc, test_steady_traffic_recycles);
    tcase_add_test(tc, test_spent_arena_escapes);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
