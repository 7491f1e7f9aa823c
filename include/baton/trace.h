/* baton/trace.h - a fixed-size record of what the runtime did, per frame.
 *
 * A trace holds two rings, both allocated once by baton_trace_create:
 *   events: every semaphore wait/signal the runtime issued (the baton_op it
 *           carried out plus a host timestamp), in issue order;
 *   spans:  per-frame, per-stage timing (start and end on a common ns clock:
 *           GPU timestamps from Vulkan queries or CUDA events, or host times
 *           for the CPU stage, converted by the caller).
 * When a ring is full the oldest entry is overwritten and counted as dropped.
 * Recording is O(1) and never allocates, so it is safe in the per-frame path.
 *
 * baton_trace_check compares the retained events with the plan of
 * baton/schedule.h; baton_trace_write_chrome exports a Chrome/Perfetto JSON
 * trace; baton_trace_print_timeline prints a readable per-frame listing.
 *
 * Ownership: the caller owns the trace from create until destroy. Event and
 * span pointers returned by the getters point into the ring and are valid
 * until the next record, reset or destroy.
 * Thread-safety: baton_trace_record and baton_trace_record_span may be
 * called from several threads at once (a pipeline records from its driving,
 * relay and completion threads); the order of entries is the order in which
 * the records took the trace's lock. Every other call on a trace (reading,
 * checking, exporting, reset, destroy) must not run concurrently with any
 * call on the same trace. Different traces are independent.
 */
#ifndef BATON_TRACE_H
#define BATON_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "baton/error.h"
#include "baton/schedule.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_trace baton_trace;

/* One recorded semaphore operation. */
typedef struct baton_trace_event {
    baton_op op;      /* as issued: frame, stage, kind, sem, value, slot, role */
    uint64_t host_ns; /* host clock when it was issued (CLOCK_MONOTONIC ns) */
} baton_trace_event;

/* One stage's work on one frame. */
typedef struct baton_trace_span {
    uint64_t frame;
    uint64_t start_ns; /* common ns clock, see above */
    uint64_t end_ns;
    uint8_t stage;     /* baton_stage */
} baton_trace_span;

/* Allocate a trace with room for capacity_events events (>= 1) and
 * capacity_frames spans (0 disables spans: each one is counted as dropped).
 * BATON_ERR_INVALID_ARGUMENT for a NULL out or capacity_events 0,
 * BATON_ERR_OUT_OF_MEMORY if an allocation fails. *out is NULL on error. */
baton_status baton_trace_create(uint32_t capacity_events, uint32_t capacity_frames,
                                baton_trace **out, baton_error *err);

/* Free the trace; NULL is a no-op. */
void baton_trace_destroy(baton_trace *t);

/* Empty both rings and zero every counter; capacities are kept. */
void baton_trace_reset(baton_trace *t);

/* Record one issued op with its host time. O(1); a NULL t or op is ignored. */
void baton_trace_record(baton_trace *t, const baton_op *op, uint64_t host_ns);

/* Record one stage's span of a frame. O(1); a NULL t is ignored. */
void baton_trace_record_span(baton_trace *t, uint64_t frame, baton_stage stage,
                             uint64_t start_ns, uint64_t end_ns);

/* Events: retained now, recorded since create/reset, overwritten. For a NULL
 * t all are 0. Always total == count + dropped. */
uint32_t baton_trace_count(const baton_trace *t);
uint64_t baton_trace_total(const baton_trace *t);
uint64_t baton_trace_dropped(const baton_trace *t);
uint32_t baton_trace_capacity(const baton_trace *t);

/* Retained event i, 0 = oldest; NULL if i >= count. */
const baton_trace_event *baton_trace_event_at(const baton_trace *t, uint32_t i);

/* The same four for spans. */
uint32_t baton_trace_span_count(const baton_trace *t);
uint64_t baton_trace_span_total(const baton_trace *t);
uint64_t baton_trace_span_dropped(const baton_trace *t);
uint32_t baton_trace_span_capacity(const baton_trace *t);
const baton_trace_span *baton_trace_span_at(const baton_trace *t, uint32_t i);

/* Compare the retained events, oldest first, with the plan of sch. Two
 * rules, which are what the plan promises when its stages run on different
 * threads and queues:
 *  - each stage's events, taken alone, are that stage's ops of the plan in
 *    plan order (frame n's compute ops, then frame n + 1's, ...; the same
 *    for the Vulkan stage), with none missing, repeated or changed;
 *  - every wait comes after the signal that satisfies it (the plan's signal
 *    on the same semaphore: the same value on a timeline; the latest one
 *    before it in binary mode), unless that signal lies before the first
 *    retained event of its stage (overwritten, or before the trace began).
 * How the two stages' events interleave is otherwise free. A single thread
 * that records frame by frame (compute, then Vulkan) satisfies both. The
 * place of each stage's first retained event is found from its frame and
 * its place among that frame's ops of the stage; when nothing was dropped,
 * each stage must open the first event's frame with its first op. An empty
 * trace passes; ending mid-frame is not an error (recording may stop
 * anywhere). BATON_ERR_MISMATCH with a message naming the first offending
 * event and its frame, e.g. "trace event 37 (retained 5, frame 9): expected
 * \"...\", got \"...\"" (both in baton_op_describe form), or "expected
 * \"<signal>\" before it, got \"<wait>\" first", or saying that an event
 * has no (or no unique) place in its frame's plan.
 * BATON_ERR_INVALID_ARGUMENT for a NULL t or an invalid schedule (with
 * validate's message). */
baton_status baton_trace_check(const baton_trace *t, const baton_schedule *sch,
                               baton_error *err);

/* Write the trace as Chrome/Perfetto JSON (the Trace Event Format, for
 * ui.perfetto.dev or chrome://tracing) to path, created or truncated:
 * {"traceEvents":[...],"displayTimeUnit":"ns"}. Timestamps are the
 * recorded ns clocks written as microseconds with 3 decimals.
 *
 * Tracks: process "baton host" (pid 1) holds the ops, one track per
 * issuing stage ("compute ops", "vulkan ops": an event does not say which
 * thread recorded it); process "GPU" (pid 2) holds the spans ("CUDA
 * stream": compute spans, "Vulkan queue": Vulkan spans), each placed at its
 * recorded start and end, whatever clock the recorder used. A span that
 * starts before an earlier span of its track has ended goes to a lane
 * below it, e.g. "Vulkan queue (overlapping spans 1)" (up to 3 such
 * lanes), because a viewer drops or nests slices that overlap on one
 * track. Only tracks the records use appear; each has process_name,
 * process_sort_index, thread_name and thread_sort_index metadata
 * ("ph":"M"), and tids are unique across processes.
 *
 * Each retained op is a complete event of duration 0 ("ph":"X", cat
 * "sync", name e.g. "signal compute_done", args {frame, sem, value, slot}).
 * Each retained wait whose satisfying signal is also retained gets a flow
 * arrow from that signal: a "ph":"s" event right after the signal's slice
 * and a "ph":"f" event with "bp":"e" right after the wait's slice, each at
 * the same ts, pid and tid as the slice it binds to, with cat "handoff",
 * the semaphore role as name and an id unique in the file (the signal's
 * event number since create or reset, plus 1). The satisfying signal is
 * the plan's: the latest signal recorded before the wait on the same
 * semaphore with the same value and not taken by another wait (timeline
 * mode: the signal of value v for the wait >= v; binary mode, value 0:
 * each signal satisfies the next wait), which is the plan's pair in any
 * trace baton_trace_check accepts. An op whose partner was overwritten in
 * the ring, or not recorded yet, gets no arrow, nor does a pair whose wait
 * has an earlier host time than its signal (an arrow never goes back in
 * time). The arrows show which signal released which wait; the GPU tracks
 * show when the work ran.
 *
 * BATON_ERR_OUT_OF_MEMORY if the table pairing signals and waits cannot
 * be allocated (about 20 bytes per retained event; nothing is written
 * then); BATON_ERR_OS naming fopen and the errno string if the file cannot
 * be opened, BATON_ERR_IO naming the failing write or fclose;
 * BATON_ERR_INVALID_ARGUMENT for a NULL t or path. */
baton_status baton_trace_write_chrome(const baton_trace *t, const char *path,
                                      baton_error *err);

/* Print the retained events of frames first_frame..last_frame (inclusive) to
 * f: a header line per frame, one line per op with its host time in
 * microseconds relative to the first retained event, then that frame's
 * retained spans with their durations. Frames are those that have retained
 * events. BATON_ERR_INVALID_ARGUMENT for a NULL t or f, BATON_ERR_IO if a
 * write fails. */
baton_status baton_trace_print_timeline(const baton_trace *t, FILE *f, uint64_t first_frame,
                                        uint64_t last_frame, baton_error *err);

/* ---- trace files (runtime/trace_file.c) ----
 *
 * A trace file keeps a recorded trace and the plan it must match, so a run
 * can save it and a later process (baton-trace) can check or export it.
 * Every field is fixed-width little-endian, written field by field (never a
 * struct dump), so files move between machines. Version 1 layout:
 *
 *   offset  size  field
 *        0     8  magic "BATONTRC"
 *        8     4  version (1)
 *       12     4  header size in bytes (72)
 *       16     4  event record size (32)
 *       20     4  span record size (32)
 *       24     4  schedule slots (2..4)
 *       28     4  schedule sync mode (1 timeline, 2 binary)
 *       32     8  events recorded (total)
 *       40     8  events overwritten (dropped)
 *       48     8  spans recorded (total)
 *       56     8  spans overwritten or not kept (dropped)
 *       64     4  E, events retained (total == E + dropped)
 *       68     4  P, spans retained (total == P + dropped)
 *       72  32*E  events, oldest first: frame u64, value u64, host_ns u64,
 *                 sem u32, slot u8, stage u8, kind u8, role u8
 *          32*P  spans, oldest first: frame u64, start_ns u64, end_ns u64,
 *                 stage u8, 7 zero bytes
 * The file ends after the last span. There is no checksum: a file whose op
 * fields were altered loads, and baton_trace_check then names the frame. */

/* Write t (its retained events and spans and its counters) and the plan sch
 * to path (created or truncated). BATON_ERR_INVALID_ARGUMENT for a NULL t,
 * sch or path, or an invalid schedule (with validate's message);
 * BATON_ERR_OS naming fopen and the errno string if path cannot be opened;
 * BATON_ERR_IO naming the failing write or fclose (the file may then be
 * partial: loading it reports the truncation). The trace is not changed. */
baton_status baton_trace_save(const baton_trace *t, const baton_schedule *sch,
                              const char *path, baton_error *err);

/* Read a trace file written by baton_trace_save. On success *out is a new
 * trace (the caller destroys it) whose event capacity is the file's
 * retained event count (at least 1) and whose span capacity is its retained
 * span count, holding the same events and spans in the same order with the
 * same total and dropped counters, so baton_trace_check of a trace saved
 * after its ring wrapped still works; *sch (if sch is non-NULL) is the plan
 * stored in the file. BATON_ERR_PARSE for a malformed file, with a message
 * that names the file and the byte offset: a wrong magic, an unsupported
 * version, header or record sizes other than version 1's, an invalid
 * schedule, counters that disagree (total != retained + dropped), counts
 * larger than the file, a file that ends early ("truncated at offset N"),
 * non-zero reserved bytes, or data after the last span.
 * BATON_ERR_INVALID_ARGUMENT for a NULL path or out; BATON_ERR_OS naming
 * fopen if the file cannot be opened; BATON_ERR_IO if a read fails;
 * BATON_ERR_OUT_OF_MEMORY if the trace cannot be allocated. On error *out
 * is NULL, *sch is unchanged, and no file stays open. */
baton_status baton_trace_load(const char *path, baton_trace **out, baton_schedule *sch,
                              baton_error *err);

#ifdef __cplusplus
}
#endif

#endif
