/* bench_report.h - baton-bench's table, README target checks and JSON. */
#ifndef BATON_BENCH_REPORT_H
#define BATON_BENCH_REPORT_H

#include <stdio.h>

#include "baton/error.h"
#include "bench_common.h"

/* One README target, for one workload. */
typedef struct bench_check {
    int workload;
    const char *id;      /* "overhead_throughput", ... */
    const char *against; /* "raw loop", "host-synchronised loop" */
    const char *what;    /* "throughput overhead", ... */
    const char *unit;    /* "%" or "x" */
    const char *op;      /* "<=" or ">" */
    double value, limit;
    int pass;            /* 1 PASS, 0 MISS, -1 not measured (why says why) */
    const char *why;
    double net_of_fill;  /* CPU ratio with the source fill's CPU time taken off both; -1 if none */
} bench_check;

#define BENCH_CHECKS_PER_WORKLOAD 4

/* The targets for every workload that ran; returns how many were written. */
size_t bench_checks(const bench_run *run, bench_check *out, size_t capacity);

void bench_print_table(FILE *f, const bench_run *run);

/* Write the run as one JSON object to path. */
baton_status bench_write_json(const char *path, const bench_run *run, baton_error *err);

#endif
