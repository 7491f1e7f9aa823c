/* trace_internal.h - trace.c's seam for trace_file.c and trace_chrome.c (not
 * installed). */
#ifndef BATON_TRACE_INTERNAL_H
#define BATON_TRACE_INTERNAL_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "baton/trace.h"

/* Set the overwritten counters of both rings to those of a saved trace and
 * each total to retained + dropped, keeping total == count + dropped. Used
 * by baton_trace_load after it has recorded the retained entries; the
 * caller has checked that the sums do not overflow. A NULL t is ignored. */
void baton_trace_restore_dropped(baton_trace *t, uint64_t events_dropped,
                                 uint64_t spans_dropped);

/* A stream the exporters write to and the errno of its first failed write
 * (0: none yet). */
typedef struct trace_sink {
    FILE *f;
    int err;
} trace_sink;

/* fprintf to s->f unless a write already failed; a failure is kept in
 * s->err and later writes are skipped. */
__attribute__((format(printf, 2, 3)))
void trace_emit(trace_sink *s, const char *fmt, ...);

/* ns as microseconds with 3 decimals, exactly: "12345.678". */
#define TRACE_US_FMT "%" PRIu64 ".%03u"
#define TRACE_US_ARGS(ns) (uint64_t)((ns) / 1000u), (unsigned)((ns) % 1000u)

#endif
