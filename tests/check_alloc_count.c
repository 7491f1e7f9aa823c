/* check_alloc_count.c - the allocation-counting interposer counts what it
 * should, only on the thread that asked, and can fail a proof.
 *
 * Rules for counting windows (here and in every "no allocation per frame"
 * test): no ck_assert between alloc_count_begin() and the snapshot, because
 * Check records every passing assertion (it writes, and may allocate, for the
 * location it keeps); begin inside each test, since Check forks per test and
 * the child only inherits a copy of the parent's thread-local state. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc_count.h"
#include "util_test.h"

/* Stores through a volatile pointer so the compiler cannot drop a
 * malloc/free pair. */
static void *volatile sink;

/* Fail with the counters and their callers printed. */
#define ck_counts(cond, t)                                                     \
    do {                                                                       \
        if (!(cond))                                                           \
            alloc_count_print(stderr, (t));                                    \
        ck_assert_msg((cond), "%s", #cond);                                    \
    } while (0)

START_TEST(no_calls_count_zero)
{
    baton_count_totals t;
    volatile unsigned long acc = 0;
    alloc_count_begin();
    for (unsigned long i = 0; i < 100000; i++)
        acc = acc + i * 7u;
    alloc_count_end();
    alloc_count_totals(&t);
    ck_counts(alloc_count_all_zero(&t), &t);
    ck_assert_uint_eq(t.ncallers, 0);
}
END_TEST

START_TEST(one_malloc_one_free)
{
    baton_count_totals t;
    alloc_count_begin();
    sink = malloc(64);
    free(sink);
    alloc_count_end();
    alloc_count_totals(&t);
    ck_counts(t.malloc == 1 && t.free == 1 && alloc_count_total(&t) == 2, &t);
    ck_assert(!alloc_count_all_zero(&t)); /* the proof predicate fails */

    unsigned long long v = 99;
    ck_assert_int_eq(alloc_count_get("malloc", &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(alloc_count_get("free", &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(alloc_count_get("calloc", &v), 0);
    ck_assert_uint_eq(v, 0);
    v = 99;
    ck_assert_int_eq(alloc_count_get("strdup", &v), -1);
    ck_assert_uint_eq(v, 99);
}
END_TEST

static int from_this_binary(const void *addr)
{
    Dl_info self, di;
    if (!dladdr((const void *)&from_this_binary, &self) || !dladdr(addr, &di))
        return 0;
    return di.dli_fbase == self.dli_fbase;
}

START_TEST(callers_are_recorded)
{
    baton_count_totals t;
    alloc_count_begin();
    sink = malloc(16);
    free(sink);
    alloc_count_end();
    alloc_count_totals(&t);
    ck_counts(t.ncallers == 2, &t);
    ck_assert_str_eq(t.callers[0].fn, "malloc");
    ck_assert_str_eq(t.callers[1].fn, "free");
    ck_assert(from_this_binary(t.callers[0].addr));
    ck_assert(from_this_binary(t.callers[1].addr));

    /* More than BATON_COUNT_MAX_CALLERS calls: the first 8 are kept. */
    alloc_count_begin();
    for (int i = 0; i < 20; i++) {
        sink = malloc(8);
        free(sink);
    }
    alloc_count_end();
    alloc_count_totals(&t);
    ck_counts(t.malloc == 20 && t.free == 20, &t);
    ck_assert_uint_eq(t.ncallers, BATON_COUNT_MAX_CALLERS);

    /* The printout names the function and an object for the caller. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    alloc_count_print(f, &t);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "malloc=20"));
    ck_assert_ptr_nonnull(strstr(buf, "free=20"));
    ck_assert_ptr_nonnull(strstr(buf, "#0 malloc"));
    ck_assert_ptr_nonnull(strstr(buf, "check_alloc_count"));
    ck_assert_ptr_nonnull(strstr(buf, "more not recorded"));
    free(buf);
}
END_TEST

START_TEST(every_allocator_is_counted)
{
    baton_count_totals t;
    void *p = NULL;
    alloc_count_begin();
    sink = calloc(4, 16);
    sink = realloc(sink, 256);
    free(sink);
    int rc = posix_memalign(&p, 64, 128);
    free(p);
    sink = aligned_alloc(64, 128);
    free(sink);
    sink = memalign(64, 128);
    free(sink);
    sink = valloc(100);
    free(sink);
    sink = pvalloc(100);
    free(sink);
    free(NULL); /* a no-op, not counted */
    alloc_count_end();
    alloc_count_totals(&t);
    ck_assert_int_eq(rc, 0);
    ck_counts(t.calloc == 1 && t.realloc == 1 && t.posix_memalign == 1 && t.aligned_alloc == 1 &&
                  t.memalign == 1 && t.valloc == 1 && t.pvalloc == 1 && t.free == 6 &&
                  t.malloc == 0 && alloc_count_total(&t) == 13,
              &t);
}
END_TEST

START_TEST(mmap_is_counted)
{
    baton_count_totals t;
    alloc_count_begin();
    void *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *b = mmap64(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    alloc_count_end();
    alloc_count_totals(&t);
    ck_assert(a != MAP_FAILED && b != MAP_FAILED);
    munmap(a, 4096);
    munmap(b, 4096);
    ck_counts(t.mmap == 1 && t.mmap64 == 1 && alloc_count_total(&t) == 2, &t);
}
END_TEST

START_TEST(open_and_close_are_counted)
{
    baton_count_totals t;
    char path[] = "/tmp/baton-alloc-count-XXXXXX";
    int tmp = mkstemp(path);
    ck_assert_int_ge(tmp, 0);
    close(tmp);

    alloc_count_begin();
    int a = open(path, O_RDONLY | O_CLOEXEC);
    int b = open64(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600); /* varargs mode */
    int c = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    int d = openat64(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    close(a);
    close(b);
    close(c);
    close(d);
    alloc_count_end();
    alloc_count_totals(&t);
    unlink(path);
    ck_assert(a >= 0 && b >= 0 && c >= 0 && d >= 0);
    ck_counts(t.open == 1 && t.open64 == 1 && t.openat == 1 && t.openat64 == 1 && t.close == 4 &&
                  alloc_count_total(&t) == 8,
              &t);
}
END_TEST

/* fopen/fclose: glibc opens and closes the fd through internal aliases that no
 * interposer can see, but the FILE is malloc'd and freed through the public
 * symbols, so a frame loop that fopens still fails the proof. */
START_TEST(fopen_is_seen_through_malloc)
{
    baton_count_totals t;
    alloc_count_begin();
    FILE *f = fopen("/dev/null", "re");
    int rc = f ? fclose(f) : -1;
    alloc_count_end();
    alloc_count_totals(&t);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(rc, 0);
    ck_counts(t.malloc >= 1 && t.free >= 1, &t);
    ck_counts(!alloc_count_all_zero(&t), &t);
}
END_TEST

START_TEST(fd_creators_are_counted)
{
    baton_count_totals t;
    int p[2] = {-1, -1}, q[2] = {-1, -1};
    alloc_count_begin();
    int r1 = pipe(p);
    int r2 = pipe2(q, O_CLOEXEC);
    int e = eventfd(0, EFD_CLOEXEC);
    int d1 = dup(p[0]);
    int d2 = dup2(p[0], 200);
    int d3 = dup3(p[0], 201, O_CLOEXEC);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int m = memfd_create("baton-alloc-count", MFD_CLOEXEC);
    alloc_count_end();
    alloc_count_totals(&t);
    ck_assert(r1 == 0 && r2 == 0 && e >= 0 && d1 >= 0 && d2 == 200 && d3 == 201 && s >= 0 &&
              m >= 0);
    int fds[] = {p[0], p[1], q[0], q[1], e, d1, d2, d3, s, m};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close(fds[i]);
    ck_counts(t.pipe == 1 && t.pipe2 == 1 && t.eventfd == 1 && t.dup == 1 && t.dup2 == 1 &&
                  t.dup3 == 1 && t.socket == 1 && t.memfd_create == 1 &&
                  alloc_count_total(&t) == 8,
              &t);
}
END_TEST

/* ---- per-thread ---- */

typedef struct worker {
    sem_t go, done, go2, done2;
    baton_count_totals counted;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    /* Phase 1: not counting on this thread; the main thread is. */
    sem_wait(&w->go);
    for (int i = 0; i < 5; i++) {
        sink = malloc(32);
        free(sink);
    }
    int fd = eventfd(0, EFD_CLOEXEC);
    close(fd);
    sem_post(&w->done);
    /* Phase 2: counting on this thread as well. */
    sem_wait(&w->go2);
    alloc_count_begin();
    for (int i = 0; i < 3; i++) {
        sink = malloc(32);
        free(sink);
    }
    alloc_count_end();
    alloc_count_totals(&w->counted);
    sem_post(&w->done2);
    return NULL;
}

START_TEST(other_threads_do_not_leak_in)
{
    worker w;
    memset(&w, 0, sizeof w);
    ck_assert_int_eq(sem_init(&w.go, 0, 0), 0);
    ck_assert_int_eq(sem_init(&w.done, 0, 0), 0);
    ck_assert_int_eq(sem_init(&w.go2, 0, 0), 0);
    ck_assert_int_eq(sem_init(&w.done2, 0, 0), 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, worker_main, &w), 0);

    baton_count_totals t;
    alloc_count_begin();
    sem_post(&w.go);
    sem_wait(&w.done);
    sem_post(&w.go2);
    sem_wait(&w.done2);
    alloc_count_end();
    alloc_count_totals(&t);

    pthread_join(th, NULL);
    ck_counts(alloc_count_all_zero(&t), &t);
    ck_counts(w.counted.malloc == 3 && w.counted.free == 3 && alloc_count_total(&w.counted) == 6,
              &w.counted);
    sem_destroy(&w.go);
    sem_destroy(&w.done);
    sem_destroy(&w.go2);
    sem_destroy(&w.done2);
}
END_TEST

/* ---- begin / end ---- */

START_TEST(begin_resets_and_end_stops)
{
    baton_count_totals t;
    alloc_count_begin();
    sink = malloc(8);
    free(sink);
    alloc_count_begin(); /* zeroes */
    alloc_count_end();
    alloc_count_totals(&t);
    ck_counts(alloc_count_all_zero(&t) && t.ncallers == 0, &t);

    alloc_count_begin();
    sink = malloc(8);
    alloc_count_end();
    free(sink); /* after end: not counted, and the counters keep their values */
    sink = malloc(8);
    free(sink);
    alloc_count_totals(&t);
    ck_counts(t.malloc == 1 && alloc_count_total(&t) == 1, &t);

    /* Counting off by default after end, and on again after begin. */
    alloc_count_begin();
    alloc_count_end();
    sink = malloc(8);
    free(sink);
    alloc_count_totals(&t);
    ck_counts(alloc_count_all_zero(&t), &t);
}
END_TEST

/* Never started on this thread in this process: counters are zero and stay so. */
START_TEST(off_until_begin)
{
    baton_count_totals t;
    unsigned long long before = 0, after = 0;
    ck_assert_int_eq(alloc_count_get("malloc", &before), 0);
    sink = malloc(8);
    free(sink);
    ck_assert_int_eq(alloc_count_get("malloc", &after), 0);
    alloc_count_totals(&t);
    ck_assert_uint_eq(before, after);
}
END_TEST

static Suite *alloc_count_suite(void)
{
    Suite *s = suite_create("alloc_count");
    TCase *tc = tcase_create("interposer");
    tcase_add_test(tc, no_calls_count_zero);
    tcase_add_test(tc, one_malloc_one_free);
    tcase_add_test(tc, callers_are_recorded);
    tcase_add_test(tc, every_allocator_is_counted);
    tcase_add_test(tc, mmap_is_counted);
    tcase_add_test(tc, open_and_close_are_counted);
    tcase_add_test(tc, fopen_is_seen_through_malloc);
    tcase_add_test(tc, fd_creators_are_counted);
    tcase_add_test(tc, other_threads_do_not_leak_in);
    tcase_add_test(tc, begin_resets_and_end_stops);
    tcase_add_test(tc, off_until_begin);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    int r = alloc_count_reexec(argc, argv);
    if (r == ALLOC_COUNT_SKIP)
        return test_skip("check_alloc_count",
                         "ASan replaces malloc; the non-sanitized run covers this");
    if (r != ALLOC_COUNT_READY) {
        fprintf(stderr, "check_alloc_count: the allocation-counting interposer is unavailable\n");
        return 1;
    }
    return test_run_suite(alloc_count_suite());
}
