/* bench_options.h - baton-bench's command line: which workloads and rows
 * to run with how many frames, where to write, and the plan (--list). */
#ifndef BATON_BENCH_OPTIONS_H
#define BATON_BENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "bench_common.h"

#define BENCH_EXIT_USAGE 2

typedef struct bench_options {
    uint64_t frames, paced_frames;
    bool frames_set, paced_frames_set, quick, list;
    bench_workload workloads[BENCH_MAX_WORKLOADS];
    size_t nworkloads;
    bool rows[BENCH_ROW_COUNT];
    bool rows_set;
    const char *json, *svg, *sink;
} bench_options;

/* Parse argv into *o (the defaults filled in): 0 to run, BENCH_EXIT_USAGE
 * after one line on stderr, -1 after --help (printed on stdout). */
int bench_options_parse(int argc, char **argv, bench_options *o);

/* Whether row runs in workload wl (an index into o->workloads; -1: the
 * hand-off rows, which run once). */
bool bench_options_selected(const bench_options *o, int wl, bench_row_id row);

/* --list: the rows that would run, their frames, the paced rows' time. */
void bench_options_list(const bench_options *o);

#endif
