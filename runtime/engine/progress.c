/* progress.c - the pipeline threads' shared counters (see progress.h). */
#include "engine/progress.h"
#include "util/fault.h"

#include <errno.h>
#include <string.h>
#include <time.h>

baton_status progress_init(progress *pr, baton_error *err)
{
    memset(pr, 0, sizeof *pr);
    pthread_condattr_t attr;
    const char *call = "pthread_condattr_init";
    int e = BATON_FAULT_PTHREAD(pthread_condattr_init(&attr));
    if (e == 0) {
        call = "pthread_condattr_setclock";
        e = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (e == 0) {
            call = "pthread_cond_init";
            e = BATON_FAULT_PTHREAD(pthread_cond_init(&pr->changed, &attr));
        }
        pthread_condattr_destroy(&attr);
    }
    if (e == 0) {
        call = "pthread_mutex_init";
        if ((e = BATON_FAULT_PTHREAD(pthread_mutex_init(&pr->lock, NULL))) != 0)
            pthread_cond_destroy(&pr->changed);
    }
    if (e != 0)
        return baton_error_set(err, BATON_ERR_OS, "%s (pipeline threads) failed: %s", call,
                               strerror(e));
    return BATON_OK;
}

void progress_destroy(progress *pr)
{
    pthread_cond_destroy(&pr->changed);
    pthread_mutex_destroy(&pr->lock);
}

void progress_set(progress *pr, progress_counter c, uint64_t value)
{
    pthread_mutex_lock(&pr->lock);
    if (value > pr->count[c])
        pr->count[c] = value;
    pthread_cond_broadcast(&pr->changed);
    pthread_mutex_unlock(&pr->lock);
}

uint64_t progress_get(progress *pr, progress_counter c)
{
    pthread_mutex_lock(&pr->lock);
    uint64_t v = pr->count[c];
    pthread_mutex_unlock(&pr->lock);
    return v;
}

progress_wait_result progress_wait(progress *pr, progress_counter c, uint64_t value,
                                   uint64_t deadline_ns)
{
    struct timespec until = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
                             .tv_nsec = (long)(deadline_ns % 1000000000u)};
    progress_wait_result r = PROGRESS_REACHED;
    pthread_mutex_lock(&pr->lock);
    while (pr->count[c] < value) {
        if (pr->stopping || pr->failed != BATON_OK) {
            r = PROGRESS_STOPPED;
            break;
        }
        int e = deadline_ns ? pthread_cond_timedwait(&pr->changed, &pr->lock, &until)
                            : pthread_cond_wait(&pr->changed, &pr->lock);
        if (e == ETIMEDOUT && pr->count[c] < value) {
            r = PROGRESS_TIMED_OUT;
            break;
        }
    }
    pthread_mutex_unlock(&pr->lock);
    return r;
}

void progress_fail(progress *pr, baton_status st, const baton_error *err)
{
    pthread_mutex_lock(&pr->lock);
    if (pr->failed == BATON_OK) {
        pr->failed = st;
        if (err)
            pr->error = *err;
        else
            baton_error_set(&pr->error, st, "%s", baton_strerror(st));
    }
    pthread_cond_broadcast(&pr->changed);
    pthread_mutex_unlock(&pr->lock);
}

baton_status progress_failure(progress *pr, baton_error *err)
{
    pthread_mutex_lock(&pr->lock);
    baton_status st = pr->failed;
    if (st != BATON_OK && err)
        *err = pr->error;
    pthread_mutex_unlock(&pr->lock);
    return st;
}

void progress_stop(progress *pr)
{
    pthread_mutex_lock(&pr->lock);
    pr->stopping = true;
    pthread_cond_broadcast(&pr->changed);
    pthread_mutex_unlock(&pr->lock);
}
