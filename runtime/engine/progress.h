/* progress.h - how far frames have got, shared by the pipeline's threads:
 * started by the compute stage, submitted to the Vulkan stage, retired.
 * One lock and one condition variable (CLOCK_MONOTONIC); every wait is
 * bounded by a deadline or ends when the pipeline stops or fails. The first
 * error of any thread is kept here for the driving thread to return. */
#ifndef BATON_PROGRESS_H
#define BATON_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "baton/error.h"

typedef enum progress_counter {
    PROGRESS_COMPUTED = 0, /* frames whose compute work was started (driving thread) */
    PROGRESS_SUBMITTED,    /* frames whose Vulkan work was submitted */
    PROGRESS_RETIRED,      /* frames retired (completion thread) */
    PROGRESS_COUNTERS
} progress_counter;

typedef struct progress {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint64_t count[PROGRESS_COUNTERS];
    bool stopping;
    baton_status failed;      /* first error of any thread; BATON_OK while none */
    baton_error error;
} progress;

/* BATON_ERR_OS naming the pthread call that failed. */
baton_status progress_init(progress *pr, baton_error *err);
void progress_destroy(progress *pr);

/* Set counter c to value (counters only grow) and wake the waiters. */
void progress_set(progress *pr, progress_counter c, uint64_t value);
uint64_t progress_get(progress *pr, progress_counter c);

typedef enum progress_wait_result {
    PROGRESS_REACHED = 0,
    PROGRESS_TIMED_OUT,
    PROGRESS_STOPPED,   /* stopping was set, or a thread failed */
} progress_wait_result;

/* Wait until counter c >= value, the deadline (CLOCK_MONOTONIC ns; 0: none,
 * for a thread waiting for work) passes, or the pipeline stops or fails. */
progress_wait_result progress_wait(progress *pr, progress_counter c, uint64_t value,
                                   uint64_t deadline_ns);

/* Keep the first failure (copies err) and wake everyone. */
void progress_fail(progress *pr, baton_status st, const baton_error *err);
/* The kept failure, copied into err; BATON_OK if none. */
baton_status progress_failure(progress *pr, baton_error *err);

/* Ask the threads to stop and wake them. */
void progress_stop(progress *pr);

#endif
