/* bench_stats.c - percentiles, intervals and jitter of a row's samples. */
#include "bench_stats.h"

#include <math.h>
#include <stdbool.h>
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

/* What one figure of a sample is: its value, or 0 when not known. */
typedef uint64_t (*sample_fn)(const bench_sample *x);

static uint64_t to_done(const bench_sample *x)
{
    return x->done_ns >= x->capture_ns ? x->done_ns - x->capture_ns : 0;
}
static uint64_t to_gpu_done(const bench_sample *x)
{
    return x->gpu_done_ns && x->gpu_done_ns >= x->capture_ns ? x->gpu_done_ns - x->capture_ns : 0;
}
static uint64_t to_screen(const bench_sample *x)
{
    return x->screen_ns && x->screen_ns >= x->capture_ns ? x->screen_ns - x->capture_ns : 0;
}
static uint64_t done_at(const bench_sample *x) { return x->done_ns; }
static uint64_t screen_at(const bench_sample *x) { return x->screen_ns; }

/* The figure of every sample into tmp (skipping unknown ones unless
 * keep_zero); returns how many. */
static size_t gather(const bench_samples *s, sample_fn f, bool keep_zero, uint64_t *tmp)
{
    size_t k = 0;
    for (size_t i = 0; i < s->count; i++) {
        uint64_t v = f(&s->v[i]);
        if (v || keep_zero)
            tmp[k++] = v;
    }
    return k;
}

/* Gaps between consecutive times (sorted first) into tmp[0 .. n-2]; with a
 * period, the largest |gap - period| in us. Returns the number of gaps. */
static size_t gaps(uint64_t *tmp, size_t n, double period_ns, double *max_dev_us)
{
    *max_dev_us = 0;
    if (n < 2)
        return 0;
    qsort(tmp, n, sizeof *tmp, cmp_u64);
    for (size_t i = 0; i + 1 < n; i++) {
        tmp[i] = tmp[i + 1] - tmp[i];
        double dev = fabs((double)tmp[i] - period_ns) / 1e3;
        if (period_ns > 0 && dev > *max_dev_us)
            *max_dev_us = dev;
    }
    return n - 1;
}

/* Paced: how far apart consecutive frames' capture times are. */
static void capture_gaps(bench_result *r, const bench_samples *s)
{
    r->capture_ivl_n = 0;
    r->capture_ivl_min_ns = r->capture_ivl_max_ns = 0;
    for (size_t i = 0; i + 1 < s->count; i++) {
        const bench_sample *a = &s->v[i], *b = &s->v[i + 1];
        if (b->frame != a->frame + 1 || b->capture_ns < a->capture_ns)
            continue;
        uint64_t d = b->capture_ns - a->capture_ns;
        if (r->capture_ivl_n == 0 || d < r->capture_ivl_min_ns)
            r->capture_ivl_min_ns = d;
        if (r->capture_ivl_n == 0 || d > r->capture_ivl_max_ns)
            r->capture_ivl_max_ns = d;
        r->capture_ivl_n++;
    }
}

static void intervals(bench_result *r, const bench_samples *s, double fps, uint64_t *tmp)
{
    double period_ns = fps > 0 ? 1e9 / fps : 0, unused;
    size_t n = gaps(tmp, gather(s, done_at, false, tmp), period_ns, &r->jitter_max_dev_us);
    r->interval = bench_dist_of(tmp, n);
    r->jitter_us = r->interval.p99 - r->interval.p50;
    n = gaps(tmp, gather(s, screen_at, false, tmp), period_ns, &unused);
    r->screen_interval = bench_dist_of(tmp, n);
    if (fps > 0)
        capture_gaps(r, s);
}

baton_status bench_stats_fill(bench_result *r, const bench_samples *s, int with_intervals,
                              double fps, baton_error *err)
{
    size_t n = s->count;
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    free(r->sorted_latency_ns);
    r->sorted_latency_ns = malloc((n ? n : 1) * sizeof *r->sorted_latency_ns);
    if (!tmp || !r->sorted_latency_ns) {
        free(tmp);
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "malloc(%zu latencies) failed", n);
    }
    size_t k = gather(s, to_done, true, r->sorted_latency_ns);
    r->latency = bench_dist_of(r->sorted_latency_ns, k);
    r->sorted_count = n;
    r->done_before_capture = 0;
    for (size_t i = 0; i < n; i++)
        r->done_before_capture += s->v[i].done_ns < s->v[i].capture_ns;
    r->gpu_done = bench_dist_of(tmp, gather(s, to_gpu_done, false, tmp));
    r->screen = bench_dist_of(tmp, gather(s, to_screen, false, tmp));
    memset(&r->interval, 0, sizeof r->interval);
    memset(&r->screen_interval, 0, sizeof r->screen_interval);
    r->jitter_us = r->jitter_max_dev_us = 0;
    if (with_intervals)
        intervals(r, s, fps, tmp);
    free(tmp);
    return BATON_OK;
}
