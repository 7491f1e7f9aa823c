/* bench_plot.h - the latency distributions of a run as an SVG file: one
 * panel per workload (and one for the hand-offs), a CDF line per row on a
 * log-scaled latency axis, with labelled axes and a legend. */
#ifndef BATON_BENCH_PLOT_H
#define BATON_BENCH_PLOT_H

#include "baton/error.h"
#include "bench_common.h"

baton_status bench_write_svg(const char *path, const bench_run *run, baton_error *err);

#endif
