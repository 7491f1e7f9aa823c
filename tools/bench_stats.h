/* bench_stats.h - percentiles, intervals and jitter of a row's samples. */
#ifndef BATON_BENCH_STATS_H
#define BATON_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "bench_common.h"

/* Nearest-rank percentile q (0..100) of n sorted values (0 when n == 0). */
uint64_t bench_percentile(const uint64_t *sorted, size_t n, double q);

/* Summary of n values in ns (sorted or not; sorts in place), in us. */
bench_dist bench_dist_of(uint64_t *ns, size_t n);

/* From the samples: r->latency (and a sorted copy in r->sorted_latency_ns
 * for the plot) and, when with_intervals, r->interval and r->jitter_us from
 * the gaps between consecutive completions (completion times sorted first).
 * Reorders the sample arrays. */
baton_status bench_stats_fill(bench_result *r, bench_samples *s, int with_intervals,
                              baton_error *err);

#endif
