/* baton_internal.h - helpers shared inside the runtime (not installed). */
#ifndef BATON_INTERNAL_H
#define BATON_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "baton/error.h"

#define BATON_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t baton_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
