/* trace_chrome.c - baton_trace_write_chrome: a trace as Chrome/Perfetto JSON
 * (the Trace Event Format), with an arrow from each signal to the wait it
 * satisfies and the stage spans on tracks of their own. See baton/trace.h. */
#include "baton/trace.h"
#include "frame/trace_internal.h"
#include "util/fault.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- tracks ----
 * A track is one (pid, tid) of the Trace Event Format: a named thread of a
 * named process. track_defs lists every track there can be, in display
 * order; a file numbers and names only the tracks its records use, so
 * another kind of track (say, a completion thread that issues ops) is one
 * more row and a case in event_def or span_def, nothing else. */

enum { PROC_HOST, PROC_GPU, PROC_COUNT };
static const char *const process_names[PROC_COUNT] = {"baton host", "GPU"};

typedef enum track_def_id {
    TD_HOST_COMPUTE,
    TD_HOST_VULKAN,
    TD_HOST_OTHER,
    TD_GPU_COMPUTE,
    TD_GPU_VULKAN,
    TD_GPU_OTHER,
    TD_COUNT
} track_def_id;

typedef struct track_def {
    unsigned process; /* PROC_* */
    const char *thread;
} track_def;

static const track_def track_defs[TD_COUNT] = {
    [TD_HOST_COMPUTE] = {PROC_HOST, "compute ops"},
    [TD_HOST_VULKAN] = {PROC_HOST, "vulkan ops"},
    [TD_HOST_OTHER] = {PROC_HOST, "ops of an unknown stage"},
    [TD_GPU_COMPUTE] = {PROC_GPU, "CUDA stream"},
    [TD_GPU_VULKAN] = {PROC_GPU, "Vulkan queue"},
    [TD_GPU_OTHER] = {PROC_GPU, "spans of an unknown stage"},
};

/* Slices on one track must nest or be disjoint: Perfetto drops one that
 * starts inside another and ends after it, and a span nested in another
 * would read as part of it. So a span goes to the first lane of its track
 * where every earlier span has ended by its start (a lane is a track of
 * its own, drawn below); the last lane takes what is left. */
#define LANES 4u
#define TRACKS ((unsigned)TD_COUNT * LANES)

typedef struct layout {
    uint32_t tid[TRACKS];      /* 0: no record uses the track */
    uint64_t lane_end[TRACKS]; /* latest end of the spans placed so far */
} layout;

static track_def_id event_def(const baton_trace_event *e)
{
    switch (e->op.stage) {
    case BATON_STAGE_COMPUTE: return TD_HOST_COMPUTE;
    case BATON_STAGE_VULKAN: return TD_HOST_VULKAN;
    }
    return TD_HOST_OTHER;
}

static track_def_id span_def(const baton_trace_span *sp)
{
    switch (sp->stage) {
    case BATON_STAGE_COMPUTE: return TD_GPU_COMPUTE;
    case BATON_STAGE_VULKAN: return TD_GPU_VULKAN;
    }
    return TD_GPU_OTHER;
}

static uint64_t span_end(const baton_trace_span *sp)
{
    return sp->end_ns >= sp->start_ns ? sp->end_ns : sp->start_ns;
}

static unsigned event_track(const baton_trace_event *e)
{
    return (unsigned)event_def(e) * LANES;
}

/* The track of the next span, in recording order (updates the lanes). */
static unsigned span_track(layout *lay, const baton_trace_span *sp)
{
    unsigned first = (unsigned)span_def(sp) * LANES, k = first;
    while (k + 1 < first + LANES && lay->lane_end[k] > sp->start_ns)
        k++;
    if (lay->lane_end[k] < span_end(sp))
        lay->lane_end[k] = span_end(sp);
    return k;
}

/* Mark the tracks the records use and number them 1, 2, ... in display
 * order (tids are unique across processes, as Perfetto expects). */
static void plan_layout(layout *lay, const baton_trace *t)
{
    memset(lay, 0, sizeof *lay);
    for (uint32_t i = 0; i < baton_trace_count(t); i++)
        lay->tid[event_track(baton_trace_event_at(t, i))] = 1;
    for (uint32_t i = 0; i < baton_trace_span_count(t); i++)
        lay->tid[span_track(lay, baton_trace_span_at(t, i))] = 1;
    uint32_t next = 1;
    for (unsigned k = 0; k < TRACKS; k++)
        lay->tid[k] = lay->tid[k] ? next++ : 0;
    memset(lay->lane_end, 0, sizeof lay->lane_end); /* emit places the spans again */
}

static unsigned track_pid(unsigned k)
{
    return track_defs[k / LANES].process + 1;
}

/* ---- hand-offs ---- */

#define NO_PARTNER UINT32_MAX

typedef struct op_key {
    uint64_t value;
    uint32_t sem, i; /* i: retained index */
} op_key;

static int op_key_cmp(const void *pa, const void *pb)
{
    const op_key *a = pa, *b = pb;
    if (a->sem != b->sem)
        return a->sem < b->sem ? -1 : 1;
    if (a->value != b->value)
        return a->value < b->value ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* One (semaphore, value) group in recording order: a wait takes the
 * latest signal not yet taken, if no other wait came between them. A pair
 * whose wait has an earlier host time than its signal gets no arrow. */
static void pair_group(const baton_trace *t, const op_key *k, size_t n, uint32_t *partner)
{
    uint32_t pending = NO_PARTNER;
    for (size_t j = 0; j < n; j++) {
        const baton_trace_event *e = baton_trace_event_at(t, k[j].i);
        if (e->op.kind == BATON_OP_SIGNAL) {
            pending = k[j].i;
        } else if (e->op.kind == BATON_OP_WAIT && pending != NO_PARTNER) {
            if (e->host_ns >= baton_trace_event_at(t, pending)->host_ns) {
                partner[pending] = k[j].i;
                partner[k[j].i] = pending;
            }
            pending = NO_PARTNER;
        }
    }
}

/* partner[i]: the retained event paired with event i, or NO_PARTNER.
 * Grouping by (semaphore, value) gives the plan's pairs in both modes:
 * timeline values name the frame (the signal of v satisfies the wait
 * >= v), binary ops carry 0 (each signal satisfies the next wait). */
static baton_status find_handoffs(const baton_trace *t, uint32_t **out, baton_error *err)
{
    uint32_t n = baton_trace_count(t);
    *out = NULL;
    if (n == 0)
        return BATON_OK;
    uint32_t *partner = BATON_FAULT_PTR(malloc(n * sizeof *partner));
    op_key *keys = BATON_FAULT_PTR(malloc(n * sizeof *keys));
    if (!partner || !keys) {
        free(partner);
        free(keys);
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY,
                               "malloc failed for the hand-offs of %" PRIu32 " events", n);
    }
    for (uint32_t i = 0; i < n; i++) {
        const baton_op *o = &baton_trace_event_at(t, i)->op;
        keys[i] = (op_key){.value = o->value, .sem = o->sem, .i = i};
        partner[i] = NO_PARTNER;
    }
    qsort(keys, n, sizeof *keys, op_key_cmp);
    for (uint32_t g = 0, end; g < n; g = end) {
        for (end = g + 1; end < n && keys[end].sem == keys[g].sem &&
                          keys[end].value == keys[g].value; end++) {
        }
        pair_group(t, keys + g, end - g, partner);
    }
    free(keys);
    *out = partner;
    return BATON_OK;
}

/* ---- JSON ---- */

typedef struct chrome {
    trace_sink sink;
    const char *sep; /* before the next item of traceEvents */
    layout lay;
} chrome;

/* One element of traceEvents, with the comma before it where needed. */
__attribute__((format(printf, 2, 3)))
static void item(chrome *c, const char *fmt, ...)
{
    trace_emit(&c->sink, "%s", c->sep);
    c->sep = ",\n";
    if (c->sink.err)
        return;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    if (vfprintf(c->sink.f, fmt, ap) < 0)
        c->sink.err = errno ? errno : EIO;
    va_end(ap);
}

static void metadata(chrome *c)
{
    for (unsigned p = 0; p < PROC_COUNT; p++) {
        bool used = false;
        for (unsigned k = 0; k < TRACKS; k++)
            used |= c->lay.tid[k] && track_defs[k / LANES].process == p;
        if (!used)
            continue;
        item(c, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"args\":{\"name\":\"%s\"}}",
             p + 1, process_names[p]);
        item(c, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%u,"
                "\"args\":{\"sort_index\":%u}}", p + 1, p);
    }
    for (unsigned k = 0; k < TRACKS; k++) {
        uint32_t tid = c->lay.tid[k];
        if (!tid)
            continue;
        const char *name = track_defs[k / LANES].thread;
        if (k % LANES)
            item(c, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%" PRIu32
                    ",\"args\":{\"name\":\"%s (overlapping spans %u)\"}}",
                 track_pid(k), tid, name, k % LANES);
        else
            item(c, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%" PRIu32
                    ",\"args\":{\"name\":\"%s\"}}", track_pid(k), tid, name);
        item(c, "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%" PRIu32
                ",\"args\":{\"sort_index\":%" PRIu32 "}}", track_pid(k), tid, tid);
    }
}

static const char *kind_name(uint8_t kind)
{
    return kind == BATON_OP_WAIT ? "wait" : kind == BATON_OP_SIGNAL ? "signal" : "unknown";
}

static const char *role_name(uint8_t role)
{
    return baton_sem_role_name((baton_sem_role)role);
}

/* The op as a slice of duration 0, so that a flow event at the same time
 * on the same track, written right after it, binds to it. */
static void op_slice(chrome *c, const baton_trace_event *e, unsigned k)
{
    const baton_op *o = &e->op;
    item(c, "{\"name\":\"%s %s\",\"cat\":\"sync\",\"ph\":\"X\",\"ts\":" TRACE_US_FMT
            ",\"dur\":0,\"pid\":%u,\"tid\":%" PRIu32 ",\"args\":{\"frame\":%" PRIu64
            ",\"sem\":%" PRIu32 ",\"value\":%" PRIu64 ",\"slot\":%u}}",
         kind_name(o->kind), role_name(o->role), TRACE_US_ARGS(e->host_ns), track_pid(k),
         c->lay.tid[k], o->frame, o->sem, o->value, (unsigned)o->slot);
}

/* The arrow's end at event i: "s" at a signal, "f" bound to the enclosing
 * slice ("bp":"e") at a wait. Both ends share cat, name and id, which is
 * how a viewer matches them; the id is the signal's event number + 1. */
static void flow_end(chrome *c, const baton_trace *t, uint32_t i, uint32_t partner)
{
    const baton_trace_event *e = baton_trace_event_at(t, i);
    bool out = e->op.kind == BATON_OP_SIGNAL;
    uint32_t signal = out ? i : partner;
    unsigned k = event_track(e);
    item(c, "{\"name\":\"%s\",\"cat\":\"handoff\",\"ph\":\"%s\"%s,\"id\":%" PRIu64
            ",\"ts\":" TRACE_US_FMT ",\"pid\":%u,\"tid\":%" PRIu32 "}",
         role_name(baton_trace_event_at(t, signal)->op.role), out ? "s" : "f",
         out ? "" : ",\"bp\":\"e\"", baton_trace_dropped(t) + signal + 1,
         TRACE_US_ARGS(e->host_ns), track_pid(k), c->lay.tid[k]);
}

static void span_slice(chrome *c, const baton_trace_span *sp)
{
    unsigned k = span_track(&c->lay, sp);
    item(c, "{\"name\":\"frame %" PRIu64 "\",\"cat\":\"span\",\"ph\":\"X\",\"ts\":" TRACE_US_FMT
            ",\"dur\":" TRACE_US_FMT ",\"pid\":%u,\"tid\":%" PRIu32 ",\"args\":{\"frame\":%"
            PRIu64 ",\"stage\":\"%s\"}}",
         sp->frame, TRACE_US_ARGS(sp->start_ns), TRACE_US_ARGS(span_end(sp) - sp->start_ns),
         track_pid(k), c->lay.tid[k], sp->frame, baton_stage_name((baton_stage)sp->stage));
}

static void chrome_body(chrome *c, const baton_trace *t, const uint32_t *partner)
{
    plan_layout(&c->lay, t);
    trace_emit(&c->sink, "{\"traceEvents\":[\n");
    metadata(c);
    for (uint32_t i = 0; i < baton_trace_count(t); i++) {
        const baton_trace_event *e = baton_trace_event_at(t, i);
        op_slice(c, e, event_track(e));
        if (partner[i] != NO_PARTNER)
            flow_end(c, t, i, partner[i]);
    }
    for (uint32_t i = 0; i < baton_trace_span_count(t); i++)
        span_slice(c, baton_trace_span_at(t, i));
    trace_emit(&c->sink, "\n],\"displayTimeUnit\":\"ns\"}\n");
}

static baton_status write_file(const baton_trace *t, const uint32_t *partner, const char *path,
                               baton_error *err)
{
    chrome c = {.sink = {.f = BATON_FAULT_PTR(fopen(path, "w"))}, .sep = ""};
    if (!c.sink.f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\") failed: %s", path,
                               strerror(errno));
    chrome_body(&c, t, partner);
    int write_err = c.sink.err;
    if (fclose(c.sink.f) != 0 && !write_err)
        return baton_error_set(err, BATON_ERR_IO, "fclose(\"%s\") failed: %s", path,
                               strerror(errno));
    if (write_err)
        return baton_error_set(err, BATON_ERR_IO, "fprintf(\"%s\") failed: %s", path,
                               strerror(write_err));
    return BATON_OK;
}

baton_status baton_trace_write_chrome(const baton_trace *t, const char *path, baton_error *err)
{
    if (!t || !path)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_trace_write_chrome: %s is NULL", t ? "path" : "trace");
    uint32_t *partner = NULL;
    baton_status st = find_handoffs(t, &partner, err);
    if (st == BATON_OK)
        st = write_file(t, partner, path, err);
    free(partner);
    return st;
}
