/* bench_alloc.h - steady-state allocation counts of baton's rows, when
 * baton-bench runs with the counting interposer preloaded
 * (LD_PRELOAD=<build>/tests/preload_alloc_count.so, the one
 * check_pipeline_alloc uses; see tests/alloc_count.h). Without it nothing
 * is counted and the allocation target says so. */
#ifndef BATON_BENCH_ALLOC_H
#define BATON_BENCH_ALLOC_H

#include <stdbool.h>

#include "bench_common.h"

/* Whether the interposer is loaded (looks it up once; call before any
 * counting window, since dlsym may allocate). */
bool bench_alloc_available(void);

/* Start counting the calling thread's and the runtime threads' ("baton-...")
 * allocation and fd calls. A no-op without the interposer. */
void bench_alloc_begin(void);
/* Stop, and fill *out (out->counted false without the interposer). */
void bench_alloc_end(bench_allocs *out);

#endif
