/* trace.c - the fixed-size trace rings, the plan check and the readable
 * timeline. See baton/trace.h. Only baton_trace_create allocates. */
#include "baton/trace.h"
#include "frame/trace_internal.h"
#include "util/fault.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Bookkeeping of one ring; the storage lives beside it in baton_trace. */
typedef struct ring {
    uint32_t cap, head, count; /* head: slot of the oldest entry */
    uint64_t total, dropped;
} ring;

struct baton_trace {
    pthread_mutex_t lock; /* recording from several threads */
    ring ev, sp;
    baton_trace_event *events;
    baton_trace_span *spans;
};

#define RING_NONE UINT32_MAX

/* Slot for a new entry (overwriting the oldest when full), or RING_NONE for
 * a ring of capacity 0. Counts the entry. */
static uint32_t ring_push(ring *r)
{
    r->total++;
    if (r->cap == 0) {
        r->dropped++;
        return RING_NONE;
    }
    if (r->count < r->cap)
        return (uint32_t)(((uint64_t)r->head + r->count++) % r->cap);
    uint32_t slot = r->head;
    r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
    r->dropped++;
    return slot;
}

/* Slot of entry i (0 = oldest), or RING_NONE. */
static uint32_t ring_slot(const ring *r, uint32_t i)
{
    return i < r->count ? (uint32_t)(((uint64_t)r->head + i) % r->cap) : RING_NONE;
}

/* ---- lifetime and recording ---- */

baton_status baton_trace_create(uint32_t capacity_events, uint32_t capacity_frames,
                                baton_trace **out, baton_error *err)
{
    if (!out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_trace_create: out is NULL");
    *out = NULL;
    if (capacity_events == 0)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_trace_create: capacity_events must be at least 1");
    baton_trace *t = BATON_FAULT_PTR(calloc(1, sizeof *t));
    int e = t ? BATON_FAULT_PTHREAD(pthread_mutex_init(&t->lock, NULL)) : 0;
    if (e != 0) {
        free(t);
        return baton_error_set(err, BATON_ERR_OS, "pthread_mutex_init(trace) failed: %s",
                               strerror(e));
    }
    if (t) {
        t->events = BATON_FAULT_PTR(calloc(capacity_events, sizeof *t->events));
        t->spans = capacity_frames ? BATON_FAULT_PTR(calloc(capacity_frames, sizeof *t->spans)) : NULL;
    }
    if (!t || !t->events || (capacity_frames && !t->spans)) {
        baton_trace_destroy(t);
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY,
                               "calloc failed for a trace of %" PRIu32 " events and %" PRIu32
                               " spans", capacity_events, capacity_frames);
    }
    t->ev.cap = capacity_events;
    t->sp.cap = capacity_frames;
    *out = t;
    return BATON_OK;
}

void baton_trace_destroy(baton_trace *t)
{
    if (!t)
        return;
    free(t->events);
    free(t->spans);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static void ring_reset(ring *r)
{
    uint32_t cap = r->cap;
    memset(r, 0, sizeof *r);
    r->cap = cap;
}

void baton_trace_reset(baton_trace *t)
{
    if (!t)
        return;
    ring_reset(&t->ev);
    ring_reset(&t->sp);
}

void baton_trace_record(baton_trace *t, const baton_op *op, uint64_t host_ns)
{
    if (!t || !op)
        return;
    pthread_mutex_lock(&t->lock);
    uint32_t slot = ring_push(&t->ev);
    t->events[slot].op = *op;
    t->events[slot].host_ns = host_ns;
    pthread_mutex_unlock(&t->lock);
}

void baton_trace_record_span(baton_trace *t, uint64_t frame, baton_stage stage,
                             uint64_t start_ns, uint64_t end_ns)
{
    if (!t)
        return;
    baton_trace_span s = {.frame = frame, .start_ns = start_ns, .end_ns = end_ns,
                          .stage = (uint8_t)stage};
    pthread_mutex_lock(&t->lock);
    uint32_t slot = ring_push(&t->sp);
    if (slot != RING_NONE)
        t->spans[slot] = s;
    pthread_mutex_unlock(&t->lock);
}

void baton_trace_restore_dropped(baton_trace *t, uint64_t events_dropped,
                                 uint64_t spans_dropped)
{
    if (!t)
        return;
    t->ev.dropped = events_dropped;
    t->ev.total = t->ev.count + events_dropped;
    t->sp.dropped = spans_dropped;
    t->sp.total = t->sp.count + spans_dropped;
}

/* ---- accessors ---- */

uint32_t baton_trace_count(const baton_trace *t) { return t ? t->ev.count : 0; }
uint64_t baton_trace_total(const baton_trace *t) { return t ? t->ev.total : 0; }
uint64_t baton_trace_dropped(const baton_trace *t) { return t ? t->ev.dropped : 0; }
uint32_t baton_trace_capacity(const baton_trace *t) { return t ? t->ev.cap : 0; }
uint32_t baton_trace_span_count(const baton_trace *t) { return t ? t->sp.count : 0; }
uint64_t baton_trace_span_total(const baton_trace *t) { return t ? t->sp.total : 0; }
uint64_t baton_trace_span_dropped(const baton_trace *t) { return t ? t->sp.dropped : 0; }
uint32_t baton_trace_span_capacity(const baton_trace *t) { return t ? t->sp.cap : 0; }

const baton_trace_event *baton_trace_event_at(const baton_trace *t, uint32_t i)
{
    uint32_t slot = t ? ring_slot(&t->ev, i) : RING_NONE;
    return slot == RING_NONE ? NULL : &t->events[slot];
}

const baton_trace_span *baton_trace_span_at(const baton_trace *t, uint32_t i)
{
    uint32_t slot = t ? ring_slot(&t->sp, i) : RING_NONE;
    return slot == RING_NONE ? NULL : &t->spans[slot];
}

/* ---- comparison with the plan ---- */

#define DESC_LEN 128

/* "trace event N (retained i, frame f): expected "...", got "..."". */
static baton_status mismatch(const baton_trace *t, uint32_t i, uint64_t frame,
                             const baton_op *want, const baton_op *got, baton_error *err)
{
    char w[DESC_LEN], g[DESC_LEN];
    return baton_error_set(err, BATON_ERR_MISMATCH,
                           "trace event %" PRIu64 " (retained %" PRIu32 ", frame %" PRIu64
                           "): expected \"%s\", got \"%s\"",
                           t->ev.dropped + i, i, frame, baton_op_describe(want, w, sizeof w),
                           baton_op_describe(got, g, sizeof g));
}

/* Where an op sits in the plan: its frame, and its index among that frame's
 * ops of its stage. Positions of one stage compare in plan order. */
typedef struct plan_pos {
    uint64_t frame;
    size_t k;
} plan_pos;

static int pos_before(plan_pos a, plan_pos b)
{
    return a.frame < b.frame || (a.frame == b.frame && a.k < b.k);
}

/* Walks one stage's ops in plan order from the stage's first retained event. */
typedef struct stage_cursor {
    int started;
    plan_pos first;              /* the first retained event's place */
    plan_pos at;                 /* the place the next event must take */
    size_t n;                    /* ops of at.frame in this stage */
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
} stage_cursor;

/* The unique place of op among its frame's ops of its stage, or an error
 * saying it has none (retained index i). */
static baton_status locate(const baton_trace *t, const baton_schedule *sch, uint32_t i,
                           stage_cursor *c, baton_error *err)
{
    const baton_op *op = &baton_trace_event_at(t, i)->op;
    size_t hits = 0;
    c->n = baton_schedule_stage_ops(sch, op->frame, (baton_stage)op->stage, c->ops);
    for (size_t j = 0; j < c->n; j++)
        if (baton_op_equal(&c->ops[j], op) && hits++ == 0)
            c->at = (plan_pos){op->frame, j};
    char g[DESC_LEN];
    if (hits != 1)
        return baton_error_set(err, BATON_ERR_MISMATCH,
                               "trace event %" PRIu64 " (retained %" PRIu32 ", frame %" PRIu64
                               "): got \"%s\", which has %s place in its frame's plan",
                               t->ev.dropped + i, i, op->frame,
                               baton_op_describe(op, g, sizeof g), hits ? "no unique" : "no");
    c->first = c->at;
    c->started = 1;
    return BATON_OK;
}

/* The first retained event of each stage fixes where that stage's walk
 * starts. With nothing dropped, each stage must open the trace's first
 * frame with its first op. */
static baton_status start_stages(const baton_trace *t, const baton_schedule *sch,
                                 stage_cursor c[2], baton_error *err)
{
    uint64_t first_frame = baton_trace_event_at(t, 0)->op.frame;
    for (uint32_t i = 0; i < t->ev.count; i++) {
        const baton_op *op = &baton_trace_event_at(t, i)->op;
        if (op->stage > BATON_STAGE_VULKAN)
            return baton_error_set(err, BATON_ERR_MISMATCH,
                                   "trace event %" PRIu64 " (retained %" PRIu32 ", frame %" PRIu64
                                   "): stage %u is no stage of the plan", t->ev.dropped + i, i,
                                   op->frame, (unsigned)op->stage);
        stage_cursor *sc = &c[op->stage];
        if (sc->started)
            continue;
        baton_status st = locate(t, sch, i, sc, err);
        if (st != BATON_OK)
            return st;
        if (t->ev.dropped == 0 && (sc->at.k != 0 || sc->at.frame != first_frame)) {
            baton_op want[BATON_SCHEDULE_MAX_OPS];
            if (baton_schedule_stage_ops(sch, first_frame, (baton_stage)op->stage, want) == 0)
                return baton_error_set(err, BATON_ERR_MISMATCH, "frame %" PRIu64 " has no plan",
                                       first_frame);
            return mismatch(t, i, first_frame, &want[0], op, err);
        }
    }
    return BATON_OK;
}

/* The plan's signal that satisfies wait w: on the same semaphore, with
 * w's value (timeline), or the latest before w in plan order (binary).
 * Searched back over the frames that can hold it. 0 if none. */
static int signal_for(const baton_schedule *sch, const baton_op *w, baton_op *sig,
                      plan_pos *where)
{
    for (uint64_t back = 0; back <= (uint64_t)sch->slots + 1 && back <= w->frame; back++) {
        uint64_t f = w->frame - back;
        for (int stage = BATON_STAGE_VULKAN; stage >= BATON_STAGE_COMPUTE; stage--) {
            baton_op ops[BATON_SCHEDULE_MAX_OPS];
            size_t n = baton_schedule_stage_ops(sch, f, (baton_stage)stage, ops);
            for (size_t j = n; j-- > 0;) {
                const baton_op *o = &ops[j];
                if (o->kind != BATON_OP_SIGNAL || o->sem != w->sem)
                    continue;
                /* in w's own frame only the compute stage comes before w */
                if (back == 0 && (stage >= w->stage))
                    continue;
                if (sch->mode == BATON_SYNC_TIMELINE && o->value != w->value)
                    continue;
                *sig = *o;
                *where = (plan_pos){f, j};
                return 1;
            }
        }
    }
    return 0;
}

/* What the trace has signalled so far, per semaphore. */
typedef struct signals_seen {
    uint64_t max_value[2 * BATON_SLOTS_MAX]; /* timeline */
    uint64_t pending[2 * BATON_SLOTS_MAX];   /* binary: signals not yet waited for */
} signals_seen;

/* A wait must come after the signal it needs, unless that signal lies before
 * where its stage's retained events begin (dropped, or before the trace). */
static baton_status check_wait(const baton_trace *t, const baton_schedule *sch, uint32_t i,
                               const stage_cursor c[2], signals_seen *seen, baton_error *err)
{
    const baton_op *w = &baton_trace_event_at(t, i)->op;
    if (w->sem >= 2 * BATON_SLOTS_MAX)
        return BATON_OK; /* the stage walk has already refused it */
    int timeline = sch->mode == BATON_SYNC_TIMELINE;
    if (timeline ? seen->max_value[w->sem] >= w->value : seen->pending[w->sem] > 0) {
        if (!timeline)
            seen->pending[w->sem]--;
        return BATON_OK;
    }
    baton_op sig;
    plan_pos where;
    if (!signal_for(sch, w, &sig, &where))
        return BATON_OK; /* the first frames' waits are not in the plan: the walk refused it */
    const stage_cursor *sc = &c[sig.stage];
    if (!sc->started || pos_before(where, sc->first))
        return BATON_OK;
    char want[DESC_LEN], got[DESC_LEN];
    return baton_error_set(err, BATON_ERR_MISMATCH,
                           "trace event %" PRIu64 " (retained %" PRIu32 ", frame %" PRIu64
                           "): expected \"%s\" before it, got \"%s\" first",
                           t->ev.dropped + i, i, w->frame,
                           baton_op_describe(&sig, want, sizeof want),
                           baton_op_describe(w, got, sizeof got));
}

baton_status baton_trace_check(const baton_trace *t, const baton_schedule *sch,
                               baton_error *err)
{
    if (!t)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_trace_check: trace is NULL");
    baton_status st = baton_schedule_validate(sch, err);
    if (st != BATON_OK || t->ev.count == 0)
        return st;
    stage_cursor c[2];
    memset(c, 0, sizeof c);
    st = start_stages(t, sch, c, err);
    signals_seen seen;
    memset(&seen, 0, sizeof seen);
    for (uint32_t i = 0; st == BATON_OK && i < t->ev.count; i++) {
        const baton_op *got = &baton_trace_event_at(t, i)->op;
        stage_cursor *sc = &c[got->stage];
        if (sc->n == 0)
            return baton_error_set(err, BATON_ERR_MISMATCH,
                                   "trace event %" PRIu64 ": frame %" PRIu64
                                   " is past the end of the plan", t->ev.dropped + i, sc->at.frame);
        if (!baton_op_equal(&sc->ops[sc->at.k], got))
            return mismatch(t, i, sc->at.frame, &sc->ops[sc->at.k], got, err);
        if (got->kind == BATON_OP_WAIT)
            st = check_wait(t, sch, i, c, &seen, err);
        else if (got->sem < 2 * BATON_SLOTS_MAX) {
            if (got->value > seen.max_value[got->sem])
                seen.max_value[got->sem] = got->value;
            seen.pending[got->sem]++;
        }
        if (++sc->at.k == sc->n) {
            sc->at = (plan_pos){sc->at.frame + 1, 0};
            sc->n = baton_schedule_stage_ops(sch, sc->at.frame, (baton_stage)got->stage, sc->ops);
        }
    }
    return st;
}

/* ---- output helpers ---- */

void trace_emit(trace_sink *s, const char *fmt, ...)
{
    if (s->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    if (vfprintf(s->f, fmt, ap) < 0)
        s->err = errno ? errno : EIO;
    va_end(ap);
}

/* ---- readable timeline ---- */

/* "+12.345 us" or "-0.500 us": ns - base as signed microseconds. */
static void emit_rel(trace_sink *s, uint64_t ns, uint64_t base)
{
    uint64_t d = ns >= base ? ns - base : base - ns;
    trace_emit(s, "%c" TRACE_US_FMT " us", ns >= base ? '+' : '-', TRACE_US_ARGS(d));
}

static void timeline_spans(trace_sink *s, const baton_trace *t, uint64_t frame, uint64_t base)
{
    for (uint32_t i = 0; i < t->sp.count; i++) {
        const baton_trace_span *sp = baton_trace_span_at(t, i);
        if (sp->frame != frame)
            continue;
        uint64_t dur = sp->end_ns >= sp->start_ns ? sp->end_ns - sp->start_ns : 0;
        trace_emit(s, "  %-7s span  start ", baton_stage_name((baton_stage)sp->stage));
        emit_rel(s, sp->start_ns, base);
        trace_emit(s, "  duration " TRACE_US_FMT " us\n", TRACE_US_ARGS(dur));
    }
}

static void timeline_body(trace_sink *s, const baton_trace *t, uint64_t first, uint64_t last)
{
    uint64_t base = t->ev.count ? baton_trace_event_at(t, 0)->host_ns : 0;
    char d[DESC_LEN];
    for (uint32_t i = 0; i < t->ev.count; i++) {
        const baton_trace_event *e = baton_trace_event_at(t, i);
        uint64_t f = e->op.frame;
        int in = f >= first && f <= last;
        int opens = i == 0 || baton_trace_event_at(t, i - 1)->op.frame != f;
        int closes = i + 1 == t->ev.count || baton_trace_event_at(t, i + 1)->op.frame != f;
        if (in && opens)
            trace_emit(s, "frame %" PRIu64 " (slot %u)\n", f, (unsigned)e->op.slot);
        if (in) {
            trace_emit(s, "  ");
            emit_rel(s, e->host_ns, base);
            trace_emit(s, "  %s\n", baton_op_describe(&e->op, d, sizeof d));
        }
        if (in && closes)
            timeline_spans(s, t, f, base);
    }
}

baton_status baton_trace_print_timeline(const baton_trace *t, FILE *f, uint64_t first_frame,
                                        uint64_t last_frame, baton_error *err)
{
    if (!t || !f)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_trace_print_timeline: %s is NULL", t ? "stream" : "trace");
    trace_sink s = {.f = f};
    timeline_body(&s, t, first_frame, last_frame);
    if (!s.err && fflush(f) != 0)
        s.err = errno ? errno : EIO;
    if (s.err)
        return baton_error_set(err, BATON_ERR_IO, "fprintf to the timeline stream failed: %s",
                               strerror(s.err));
    return BATON_OK;
}
