/* bench_stats.c - percentiles, intervals and jitter of a row's samples. */
#include "bench_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t bench_percentile(const uint64_t *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    if (q <= 0)
        return sorted[0];
    /* nearest rank: the smallest value with at least q% of the sample <= it */
    double rank = ceil(q / 100.0 * (double)n);
    size_t i = rank < 1 ? 0 : (size_t)rank - 1;
    return sorted[i < n ? i : n - 1];
}

bench_dist bench_dist_of(uint64_t *ns, size_t n)
{
    bench_dist d;
    memset(&d, 0, sizeof d);
    d.n = n;
    if (n == 0)
        return d;
    qsort(ns, n, sizeof *ns, cmp_u64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)ns[i];
    double mean = sum / (double)n, var = 0;
    for (size_t i = 0; i < n; i++)
        var += ((double)ns[i] - mean) * ((double)ns[i] - mean);
    d.mean = mean / 1e3;
    d.stddev = n > 1 ? sqrt(var / (double)(n - 1)) / 1e3 : 0;
    d.min = (double)ns[0] / 1e3;
    d.p50 = (double)bench_percentile(ns, n, 50) / 1e3;
    d.p90 = (double)bench_percentile(ns, n, 90) / 1e3;
    d.p99 = (double)bench_percentile(ns, n, 99) / 1e3;
    d.p999 = (double)bench_percentile(ns, n, 99.9) / 1e3;
    d.max = (double)ns[n - 1] / 1e3;
    return d;
}

baton_status bench_stats_fill(bench_result *r, bench_samples *s, int with_intervals,
                              baton_error *err)
{
    size_t n = s->count;
    r->latency = bench_dist_of(s->latency_ns, n);
    free(r->sorted_latency_ns);
    r->sorted_latency_ns = malloc((n ? n : 1) * sizeof *r->sorted_latency_ns);
    if (!r->sorted_latency_ns)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "malloc(%zu latencies) failed", n);
    if (n)
        memcpy(r->sorted_latency_ns, s->latency_ns, n * sizeof *s->latency_ns);
    r->sorted_count = n;
    memset(&r->interval, 0, sizeof r->interval);
    r->jitter_us = 0;
    if (!with_intervals || n < 2)
        return BATON_OK;
    /* completion order, then the gaps; the gaps reuse done_ns[0 .. n-2] */
    qsort(s->done_ns, n, sizeof *s->done_ns, cmp_u64);
    for (size_t i = 0; i + 1 < n; i++)
        s->done_ns[i] = s->done_ns[i + 1] - s->done_ns[i];
    r->interval = bench_dist_of(s->done_ns, n - 1);
    r->jitter_us = r->interval.p99 - r->interval.p50;
    return BATON_OK;
}
