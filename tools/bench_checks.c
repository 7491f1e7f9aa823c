/* bench_checks.c - the README targets, judged from a run's rows. */
#include <math.h>
#include <string.h>

#include "bench_report.h"

static bench_check check_base(int wl, bool paced, bench_row_id row, bench_row_id ref,
                              const char *id, const char *what, const char *unit, const char *op,
                              double limit)
{
    bench_check c = {.workload = wl, .paced = paced, .row = row, .ref = ref, .id = id,
                     .what = what, .unit = unit, .op = op, .limit = limit, .pass = -1,
                     .why = NULL, .net_of_fill = -1};
    return c;
}

static const char *missing_one(const bench_result *r)
{
    if (!r || r->status == BENCH_NOT_RUN)
        return "row not run";
    if (r->status == BENCH_SKIPPED)
        return "row skipped";
    if (r->status == BENCH_FAILED)
        return "row failed";
    return NULL;
}

static const char *missing(const bench_result *a, const bench_result *b)
{
    const char *why = missing_one(a);
    return why ? why : missing_one(b);
}

/* Judge c->value against c->limit (the reference measured `ref_ok`). */
static void judge(bench_check *c, bool ref_ok)
{
    if (!ref_ok) {
        c->why = "the reference row measured zero";
        return;
    }
    c->pass = strcmp(c->op, ">") == 0 ? c->value > c->limit : c->value <= c->limit;
}

const char *bench_check_ref_name(const bench_check *c)
{
    switch (c->ref) {
    case BENCH_ROW_RAW: return "vs raw loop";
    case BENCH_ROW_HOST_SYNC: return "vs host-sync loop";
    default: return "";
    }
}

static size_t saturated(const bench_run *run, int wl, bench_check *c)
{
    const bench_result *baton = bench_run_find(run, wl, BENCH_ROW_TIMELINE_S2);
    const bench_result *raw = bench_run_find(run, wl, BENCH_ROW_RAW);
    const bench_result *hs = bench_run_find(run, wl, BENCH_ROW_HOST_SYNC);
    if (!baton && !raw && !hs)
        return 0;
    bench_row_id b = BENCH_ROW_TIMELINE_S2;
    c[0] = check_base(wl, false, b, BENCH_ROW_RAW, "overhead_throughput", "throughput overhead",
                      "%", "<=", 5);
    c[1] = check_base(wl, false, b, BENCH_ROW_RAW, "overhead_latency_p50", "p50 latency overhead",
                      "%", "<=", 5);
    c[2] = check_base(wl, false, b, BENCH_ROW_HOST_SYNC, "host_sync_throughput_ratio",
                      "throughput ratio", "x", ">", 1);
    c[3] = check_base(wl, false, b, BENCH_ROW_HOST_SYNC, "host_sync_cpu_ratio", "CPU time ratio",
                      "x", "<=", 0.2);
    if ((c[0].why = c[1].why = missing(baton, raw)) == NULL) {
        c[0].value = (raw->fps - baton->fps) / raw->fps * 100.0;
        c[1].value = (baton->latency.p50 - raw->latency.p50) / raw->latency.p50 * 100.0;
        judge(&c[0], raw->fps > 0);
        judge(&c[1], raw->latency.p50 > 0);
    }
    if ((c[2].why = c[3].why = missing(baton, hs)) == NULL) {
        c[2].value = baton->fps / hs->fps;
        c[3].value = baton->cpu_us_per_frame / hs->cpu_us_per_frame;
        judge(&c[2], hs->fps > 0);
        judge(&c[3], hs->cpu_us_per_frame > 0);
        double fill = run->fill_cpu_us[wl];
        if (fill >= 0 && hs->cpu_us_per_frame - fill > 0)
            c[3].net_of_fill = (baton->cpu_us_per_frame - fill) / (hs->cpu_us_per_frame - fill);
    }
    return 4;
}

/* The loop with the lower capture -> done p50 at this pace, or NULL. */
static const bench_result *fastest_loop(const bench_run *run, int wl)
{
    const bench_result *best = NULL;
    bench_row_id loops[2] = {BENCH_ROW_HOST_SYNC, BENCH_ROW_RAW};
    for (int i = 0; i < 2; i++) {
        const bench_result *r = bench_run_find(run, wl, loops[i]);
        if (r && r->status == BENCH_OK && (!best || r->latency.p50 < best->latency.p50))
            best = r;
    }
    return best;
}

static size_t paced_row(const bench_run *run, int wl, const bench_result *r, bench_check *c)
{
    const bench_result *fast = fastest_loop(run, wl);
    const bench_result *hs = bench_run_find(run, wl, BENCH_ROW_HOST_SYNC);
    size_t n = 0;
    c[n] = check_base(wl, true, r->row, fast ? fast->row : BENCH_ROW_COUNT,
                      "paced_p50_vs_fastest_loop", "done p50 over fastest",
                      "us", "<=", 100);
    if ((c[n].why = missing_one(r)) == NULL && !fast)
        c[n].why = "no loop ran at this pace";
    if (!c[n].why) {
        c[n].limit = fmax(0.10 * fast->latency.p50, 100.0);
        c[n].value = r->latency.p50 - fast->latency.p50;
        judge(&c[n], fast->latency.p50 > 0);
    }
    n++;
    c[n] = check_base(wl, true, r->row, BENCH_ROW_COUNT, "paced_p99_over_p50",
                      "done p99 / p50", "x", "<=", 2);
    if ((c[n].why = missing_one(r)) == NULL) {
        c[n].value = r->latency.p50 > 0 ? r->latency.p99 / r->latency.p50 : 0;
        judge(&c[n], r->latency.p50 > 0);
    }
    n++;
    if (run->workloads[wl].fps != 60)
        return n;
    c[n] = check_base(wl, true, r->row, BENCH_ROW_HOST_SYNC, "paced_cpu_ratio",
                      "CPU time ratio", "x", "<=", 0.2);
    if ((c[n].why = missing(r, hs)) == NULL) {
        c[n].value = r->cpu_us_per_frame / hs->cpu_us_per_frame;
        judge(&c[n], hs->cpu_us_per_frame > 0);
    }
    return n + 1;
}

/* 0 steady-state allocations in every baton row of the workload: judged on
 * the row with the most. */
static size_t allocations(const bench_run *run, int wl, bool paced, bench_check *c)
{
    const bench_result *worst = NULL;
    for (size_t i = 0; i < run->count; i++) {
        const bench_result *r = &run->results[i];
        if (r->workload != wl || bench_row_get(r->row)->kind != BENCH_KIND_BATON ||
            r->status != BENCH_OK)
            continue;
        if (!worst || r->allocs.calls > worst->allocs.calls)
            worst = r;
    }
    *c = check_base(wl, paced, worst ? worst->row : BENCH_ROW_AUTO, BENCH_ROW_COUNT,
                    "steady_state_allocations", "steady-state allocations (most)",
                    "calls", "<=", 0);
    if (!worst)
        c->why = "no baton row ran";
    else if (!run->allocs_counted)
        c->why = "not counted: run with LD_PRELOAD=<build>/tests/preload_alloc_count.so";
    else {
        c->value = (double)worst->allocs.calls;
        judge(c, true);
    }
    return 1;
}

static bool has_baton_row(const bench_run *run, int wl)
{
    for (size_t i = 0; i < run->count; i++)
        if (run->results[i].workload == wl &&
            bench_row_get(run->results[i].row)->kind == BENCH_KIND_BATON)
            return true;
    return false;
}

size_t bench_checks(const bench_run *run, bench_check *out, size_t capacity)
{
    size_t n = 0;
    for (int wl = 0; wl < (int)run->nworkloads; wl++) {
        bench_check c[3 * BENCH_ROW_COUNT + 5];
        size_t k = 0;
        bool paced = run->workloads[wl].fps > 0;
        if (!paced)
            k = saturated(run, wl, c);
        for (size_t i = 0; paced && i < run->count; i++) {
            const bench_result *r = &run->results[i];
            if (r->workload == wl && bench_row_get(r->row)->kind == BENCH_KIND_BATON)
                k += paced_row(run, wl, r, c + k);
        }
        if (k == 0 && !has_baton_row(run, wl))
            continue; /* nothing to judge in this workload */
        k += allocations(run, wl, paced, c + k);
        for (size_t i = 0; i < k && n < capacity; i++)
            out[n++] = c[i];
    }
    return n;
}
