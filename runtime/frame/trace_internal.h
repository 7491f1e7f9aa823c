/* trace_internal.h - trace.c's seam for runtime/trace_file.c (not installed). */
#ifndef BATON_TRACE_INTERNAL_H
#define BATON_TRACE_INTERNAL_H

#include <stdint.h>

#include "baton/trace.h"

/* Set the overwritten counters of both rings to those of a saved trace and
 * each total to retained + dropped, keeping total == count + dropped. Used
 * by baton_trace_load after it has recorded the retained entries; the
 * caller has checked that the sums do not overflow. A NULL t is ignored. */
void baton_trace_restore_dropped(baton_trace *t, uint64_t events_dropped,
                                 uint64_t spans_dropped);

#endif
