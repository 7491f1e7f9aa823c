/* bench_report.h - baton-bench's README target checks (bench_checks.c),
 * its tables (bench_report.c) and its JSON (bench_json.c). */
#ifndef BATON_BENCH_REPORT_H
#define BATON_BENCH_REPORT_H

#include <stdio.h>

#include "baton/error.h"
#include "bench_common.h"

/* One README target, for one workload and one baton row. */
typedef struct bench_check {
    int workload;          /* index into run->workloads */
    bool paced;            /* a camera-rate target (else a saturated one) */
    bench_row_id row;      /* the baton row judged */
    bench_row_id ref;      /* the row it is compared with; BENCH_ROW_COUNT: none */
    const char *id;        /* "overhead_throughput", "paced_p50_vs_fastest_loop", ... */
    const char *what;      /* the table's words */
    const char *unit;      /* "%", "x", "us" or "calls" */
    const char *op;        /* "<=" or ">" */
    double value, limit;
    int pass;              /* 1 PASS, 0 MISS, -1 not measured (why says why) */
    const char *why;
    double net_of_fill;    /* CPU ratio with the source fill's CPU time taken off both;
                              -1 if none */
} bench_check;

/* Saturated, per workload: four against timeline S=2, one for allocations;
 * paced, per workload: up to three per baton row, one for allocations. */
#define BENCH_MAX_CHECKS (BENCH_MAX_WORKLOADS * (3 * BENCH_ROW_COUNT + 5))

/* The targets for every workload that ran, workload by workload, in run
 * order; returns how many were written.
 *   saturated: baton timeline S=2 (gpu/gpu) within 5 % of the raw loop in
 *     throughput and p50 latency; ahead of the host-synchronised loop in
 *     throughput, with at most 1/5 of its CPU time per frame;
 *   paced, every baton row: capture -> done p50 at most max(10 %, 100 us)
 *     above the fastest loop's (the host-synchronised or the raw loop,
 *     whichever has the lower p50 at that pace); p99 <= 2 x p50; at 60 fps,
 *     CPU time per frame <= 1/5 of the host-synchronised loop's;
 *   every workload: 0 steady-state allocations in every baton row (when
 *     counted, see bench_alloc.h). */
size_t bench_checks(const bench_run *run, bench_check *out, size_t capacity);

/* The check's comparison in words: "vs raw loop", "" when none. */
const char *bench_check_ref_name(const bench_check *c);

void bench_print_table(FILE *f, const bench_run *run);

/* Write the run as one JSON object to path. */
baton_status bench_write_json(const char *path, const bench_run *run, baton_error *err);

#endif
