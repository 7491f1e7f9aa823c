/* check_threads.c - the documented thread-safety rules, driven from several
 * threads at once (make check-tsan runs it under ThreadSanitizer; make
 * check runs it plain): several pipelines on one context, each driven by
 * its own thread, with their completion threads; a semaphore pool per
 * thread on one context, and one pool shared by threads that serialise
 * their calls (as baton/sem_pool.h asks); the readers of a pipeline called
 * by its driving thread while frames retire; trace recording from several
 * threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "baton/baton.h"
#include "util_test.h"

#define THREADS 3
#define FRAMES 300u

typedef struct driver {
    baton_context *ctx;
    int index;
    baton_status st;
    baton_error err;
    uint64_t done, reads;
    bool trace_ok;
} driver;

static void on_done(void *user, const baton_frame_info *info)
{
    driver *d = user;
    d->done = info->frame + 1; /* the completion thread's; read after drain */
}

/* One thread: its own pipeline on the shared context, its stats read
 * between runs while frames retire on the completion thread. */
static void *drive(void *arg)
{
    driver *d = arg;
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 64 + 32 * (uint32_t)d->index;
    pc.height = 32;
    pc.slots = 2 + (uint32_t)(d->index % 3);
    pc.readback = true;
    pc.on_done = on_done;
    pc.done_user = d;
    pc.handoff_to_vulkan = pc.handoff_to_compute =
        d->index % 2 ? BATON_HANDOFF_GPU : BATON_HANDOFF_RELAY;
    baton_pipeline *p = NULL;
    d->st = baton_pipeline_create(d->ctx, &pc, &p, &d->err);
    baton_frame_times t[16];
    uint64_t lat[16];
    for (uint32_t i = 0; i < FRAMES / 10 && d->st == BATON_OK; i++) {
        d->st = baton_pipeline_run(p, 10, &d->err);
        baton_pipeline_stats s = baton_pipeline_get_stats(p);
        d->reads += s.frames_done + baton_pipeline_frame_times(p, t, 16) +
                    baton_pipeline_latencies(p, lat, 16);
    }
    if (d->st == BATON_OK)
        d->st = baton_pipeline_drain(p, &d->err);
    if (d->st == BATON_OK) {
        baton_schedule plan = baton_pipeline_schedule(p);
        d->trace_ok = baton_trace_check(baton_pipeline_trace(p), &plan, &d->err) == BATON_OK;
    }
    baton_pipeline_destroy(p);
    return NULL;
}

START_TEST(test_pipelines_on_one_context)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    driver d[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        d[i] = (driver){.ctx = ctx, .index = i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, drive, &d[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(d[i].st == BATON_OK, "pipeline %d: %s", i, d[i].err.message);
        ck_assert_uint_eq(d[i].done, FRAMES);
        ck_assert_msg(d[i].trace_ok, "pipeline %d: %s", i, d[i].err.message);
    }
    baton_context_destroy(ctx);
    printf("%d pipelines on one context, one thread each: %u frames each, traces match\n",
           THREADS, FRAMES);
}
END_TEST

typedef struct pool_user {
    baton_context *ctx;
    baton_sem_pool *shared; /* NULL: a pool of its own */
    pthread_mutex_t *lock;  /* serialises calls on the shared pool */
    baton_status st;
    baton_error err;
} pool_user;

static baton_status cycle(baton_sem_pool *pool, pthread_mutex_t *lock, baton_error *err)
{
    uint32_t got[4];
    baton_status st = BATON_OK;
    for (int round = 0; round < 200 && st == BATON_OK; round++) {
        int n = 0;
        for (; n < 4 && st == BATON_OK; n++) {
            if (lock)
                pthread_mutex_lock(lock);
            st = baton_sem_pool_acquire(pool, BATON_SEM_TIMELINE, &got[n], err);
            if (lock)
                pthread_mutex_unlock(lock);
        }
        for (int i = 0; i < n - (st != BATON_OK); i++) {
            if (lock)
                pthread_mutex_lock(lock);
            baton_sem_pool_release(pool, got[i], NULL);
            if (lock)
                pthread_mutex_unlock(lock);
        }
    }
    return st;
}

static void *use_pool(void *arg)
{
    pool_user *u = arg;
    if (u->shared) {
        u->st = cycle(u->shared, u->lock, &u->err);
        return NULL;
    }
    baton_sem_pool *own = NULL;
    baton_sem_pool_config pc = {.binary_count = 4, .timeline_count = 4};
    u->st = baton_sem_pool_create(u->ctx, &pc, &own, &u->err);
    if (u->st == BATON_OK)
        u->st = cycle(own, NULL, &u->err);
    baton_sem_pool_destroy(own);
    return NULL;
}

START_TEST(test_pools_from_threads)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_sem_pool *shared = NULL;
    baton_sem_pool_config pc = {.binary_count = 0, .timeline_count = 16};
    baton_error err;
    ck_assert_msg(baton_sem_pool_create(ctx, &pc, &shared, &err) == BATON_OK, "%s", err.message);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pool_user u[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        u[i] = (pool_user){.ctx = ctx, .shared = i < 2 ? shared : NULL, .lock = &lock};
        ck_assert_int_eq(pthread_create(&t[i], NULL, use_pool, &u[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(u[i].st == BATON_OK, "thread %d: %s", i, u[i].err.message);
    ck_assert_uint_eq(baton_sem_pool_available(shared, BATON_SEM_TIMELINE), 16);
    baton_sem_pool_destroy(shared);
    baton_context_destroy(ctx);
}
END_TEST

int main(void)
{
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (!caps.vk_present || caps.vk_device_count == 0)
        return test_vulkan_required() ? 1 : test_skip("threads", "no Vulkan device");
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_pipelines_on_one_context);
    tcase_add_test(tc, test_pools_from_threads);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
