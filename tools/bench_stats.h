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

/* From the samples (in frame order): r->latency, capture -> done (and a
 * sorted copy in r->sorted_latency_ns for the plot), r->gpu_done and
 * r->screen where those times are known, and, when with_intervals,
 * r->interval and the jitter figures from the gaps between consecutive done
 * times (sorted first), the same for on-screen times, and with a pace
 * (fps > 0) the largest |gap - 1/fps| and the range of the gaps between
 * consecutive frames' capture times. */
baton_status bench_stats_fill(bench_result *r, const bench_samples *s, int with_intervals,
                              double fps, baton_error *err);

#endif
