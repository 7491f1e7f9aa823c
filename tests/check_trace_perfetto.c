/* check_trace_perfetto.c - the Chrome/Perfetto export (baton_trace_write_chrome
 * and baton-trace perfetto) read back: valid JSON, every track named, ops on
 * the host tracks, spans on the GPU tracks without overlaps, and one flow
 * arrow from each retained signal to the retained wait the plan says it
 * satisfies, bound the way Perfetto's JSON importer binds flow events. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton/trace.h"
#include "util_json.h"
#include "util_test.h"

#define T0_NS 5000000123u /* not a whole microsecond: the 3 decimals matter */
#define FRAME_NS 1000000u
#define NONE UINT32_MAX

static const char *const host_process = "baton host", *const gpu_process = "GPU";
static const char *const op_threads[2] = {"compute ops", "vulkan ops"};
static const char *const span_threads[2] = {"CUDA stream", "Vulkan queue"};

static baton_schedule combo(int i)
{
    baton_schedule s = {.slots = 2u + (uint32_t)i / 2u,
                        .mode = i % 2 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE};
    return s;
}

static baton_trace *make_trace(uint32_t events, uint32_t spans)
{
    baton_trace *t = NULL;
    baton_error err = {0};
    ck_assert_msg(baton_trace_create(events, spans, &t, &err) == BATON_OK, "%s", err.message);
    return t;
}

/* Host time of op k of frame f, as baton-trace record-plan lays them out:
 * compute at +0 (wait) and +400 us (signal), Vulkan at +410 and +900 us. */
static uint64_t op_time(uint64_t f, const baton_op *op)
{
    uint64_t base = T0_NS + f * FRAME_NS;
    if (op->stage == BATON_STAGE_COMPUTE)
        return base + (op->kind == BATON_OP_WAIT ? 0u : 400000u);
    return base + (op->kind == BATON_OP_WAIT ? 410000u : 900000u);
}

/* Frames 0..frames-1 in plan order. vk_len: the Vulkan span's length (a
 * long one makes spans of consecutive frames overlap). */
static void record(baton_trace *t, const baton_schedule *sch, uint64_t frames, uint64_t vk_len)
{
    for (uint64_t f = 0; f < frames; f++) {
        baton_op ops[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(sch, f, ops);
        ck_assert_uint_ge(n, 3);
        for (size_t i = 0; i < n; i++)
            baton_trace_record(t, &ops[i], op_time(f, &ops[i]));
        uint64_t base = T0_NS + f * FRAME_NS;
        baton_trace_record_span(t, f, BATON_STAGE_COMPUTE, base, base + 400000u);
        baton_trace_record_span(t, f, BATON_STAGE_VULKAN, base + 410000u, base + 410000u + vk_len);
    }
}

/* ---- reading the export back ---- */

typedef struct tev {
    char ph;
    const char *name, *cat, *bp;
    uint64_t ts, dur, pid, tid, id;
    int node;      /* the event's object in the document */
    uint32_t slice; /* for "X": its index among the slices of its kind; else NONE */
} tev;

typedef struct exported {
    json_doc doc;
    tev *ev;
    size_t n;
    const tev **ops, **spans; /* the op and span slices, in file order */
    uint32_t nops, nspans;
} exported;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    struct stat st;
    ck_assert_int_eq(fstat(fileno(f), &st), 0);
    *len = (size_t)st.st_size;
    char *b = malloc(*len + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void read_event(exported *x, int node, size_t i, uint32_t *ops, uint32_t *spans)
{
    const json_doc *d = &x->doc;
    tev *e = &x->ev[i];
    const char *ph = json_get_str(d, node, "ph");
    ck_assert_msg(ph && strlen(ph) == 1, "event %zu has no one-letter ph", i);
    e->ph = ph[0];
    e->node = node;
    e->slice = NONE;
    e->name = json_get_str(d, node, "name");
    e->cat = json_get_str(d, node, "cat");
    e->bp = json_get_str(d, node, "bp");
    ck_assert_msg(e->name, "event %zu has no name", i);
    ck_assert_msg(json_get_u64(d, node, "pid", &e->pid), "event %zu has no pid", i);
    if (e->ph == 'M')
        return;
    ck_assert_msg(json_get_u64(d, node, "tid", &e->tid), "event %zu has no tid", i);
    ck_assert_msg(json_get_us_as_ns(d, node, "ts", &e->ts), "event %zu: bad ts", i);
    ck_assert_msg(e->cat, "event %zu has no cat", i);
    if (e->ph == 'X') {
        ck_assert_msg(json_get_us_as_ns(d, node, "dur", &e->dur), "event %zu: bad dur", i);
        e->slice = strcmp(e->cat, "sync") == 0 ? (*ops)++ : (*spans)++;
    } else {
        ck_assert_msg(e->ph == 's' || e->ph == 'f', "event %zu: unexpected ph '%c'", i, e->ph);
        ck_assert_msg(json_get_u64(d, node, "id", &e->id), "flow event %zu has no id", i);
    }
}

/* Parse path (strictly) and collect traceEvents, in file order. */
static void load_export(exported *x, const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    memset(x, 0, sizeof *x);
    ck_assert_msg(json_parse(&x->doc, text, len), "%s is not valid JSON: %s", path,
                  x->doc.error);
    free(text);
    const json_doc *d = &x->doc;
    int list = json_get(d, 0, "traceEvents");
    ck_assert_msg(list != JSON_NONE && d->nodes[list].type == JSON_ARRAY, "no traceEvents");
    const char *unit = json_get_str(d, 0, "displayTimeUnit");
    ck_assert_msg(unit && strcmp(unit, "ns") == 0, "displayTimeUnit is not \"ns\"");
    x->n = 0;
    for (int c = d->nodes[list].child; c != JSON_NONE; c = d->nodes[c].next)
        x->n++;
    x->ev = calloc(x->n + 1, sizeof *x->ev);
    ck_assert_ptr_nonnull(x->ev);
    size_t i = 0;
    for (int c = d->nodes[list].child; c != JSON_NONE; c = d->nodes[c].next, i++) {
        ck_assert_msg(d->nodes[c].type == JSON_OBJECT, "traceEvents[%zu] is not an object", i);
        read_event(x, c, i, &x->nops, &x->nspans);
    }
    x->ops = calloc(x->nops + 1, sizeof *x->ops);
    x->spans = calloc(x->nspans + 1, sizeof *x->spans);
    ck_assert(x->ops && x->spans);
    for (i = 0; i < x->n; i++) {
        if (x->ev[i].slice != NONE && strcmp(x->ev[i].cat, "sync") == 0)
            x->ops[x->ev[i].slice] = &x->ev[i];
        else if (x->ev[i].slice != NONE)
            x->spans[x->ev[i].slice] = &x->ev[i];
    }
}

static void free_export(exported *x)
{
    json_free(&x->doc);
    free(x->ev);
    free(x->ops);
    free(x->spans);
}

/* The "M" event name for (pid, tid) (tid ignored for process metadata). */
static const tev *meta(const exported *x, const char *name, uint64_t pid, uint64_t tid,
                       bool thread)
{
    const tev *found = NULL;
    for (size_t i = 0; i < x->n; i++) {
        const tev *e = &x->ev[i];
        uint64_t t;
        bool has_tid = json_get_u64(&x->doc, e->node, "tid", &t);
        if (e->ph != 'M' || strcmp(e->name, name) != 0 || e->pid != pid ||
            has_tid != thread || (thread && t != tid))
            continue;
        ck_assert_msg(!found, "two %s events for pid %" PRIu64 " tid %" PRIu64, name, pid, tid);
        found = e;
    }
    return found;
}

static const char *meta_name(const exported *x, const char *name, uint64_t pid, uint64_t tid,
                             bool thread)
{
    const tev *m = meta(x, name, pid, tid, thread);
    ck_assert_msg(m, "no %s metadata for pid %" PRIu64 " tid %" PRIu64, name, pid, tid);
    int args = json_get(&x->doc, m->node, "args");
    const char *s = json_get_str(&x->doc, args, "name");
    ck_assert_msg(s, "%s without args.name", name);
    return s;
}

static void expect_sort_index(const exported *x, const char *name, uint64_t pid, uint64_t tid,
                              bool thread)
{
    const tev *m = meta(x, name, pid, tid, thread);
    uint64_t v;
    ck_assert_msg(m && json_get_u64(&x->doc, json_get(&x->doc, m->node, "args"), "sort_index", &v),
                  "no %s for pid %" PRIu64 " tid %" PRIu64, name, pid, tid);
}

/* Every track an event uses is named, with sort indices; a tid belongs to
 * one process only. */
static void check_tracks(const exported *x)
{
    for (size_t i = 0; i < x->n; i++) {
        const tev *e = &x->ev[i];
        if (e->ph == 'M')
            continue;
        meta_name(x, "process_name", e->pid, 0, false);
        meta_name(x, "thread_name", e->pid, e->tid, true);
        expect_sort_index(x, "process_sort_index", e->pid, 0, false);
        expect_sort_index(x, "thread_sort_index", e->pid, e->tid, true);
        for (size_t j = 0; j < i; j++) {
            if (x->ev[j].ph != 'M' && x->ev[j].tid == e->tid)
                ck_assert_msg(x->ev[j].pid == e->pid, "tid %" PRIu64 " in two processes", e->tid);
        }
    }
}

static uint64_t arg_u64(const exported *x, const tev *e, const char *key)
{
    uint64_t v;
    ck_assert_msg(json_get_u64(&x->doc, json_get(&x->doc, e->node, "args"), key, &v),
                  "%s has no args.%s", e->name, key);
    return v;
}

/* The retained ops, in order, as slices of duration 0 on the host tracks. */
static void check_ops(const exported *x, const baton_trace *t)
{
    uint32_t n = baton_trace_count(t);
    ck_assert_uint_eq(x->nops, n);
    for (uint32_t i = 0; i < n; i++) {
        const baton_trace_event *want = baton_trace_event_at(t, i);
        const tev *e = x->ops[i];
        char name[64];
        snprintf(name, sizeof name, "%s %s", want->op.kind == BATON_OP_WAIT ? "wait" : "signal",
                 baton_sem_role_name((baton_sem_role)want->op.role));
        ck_assert_str_eq(e->name, name);
        ck_assert_uint_eq(e->ts, want->host_ns);
        ck_assert_uint_eq(e->dur, 0);
        ck_assert_uint_eq(arg_u64(x, e, "frame"), want->op.frame);
        ck_assert_uint_eq(arg_u64(x, e, "sem"), want->op.sem);
        ck_assert_uint_eq(arg_u64(x, e, "value"), want->op.value);
        ck_assert_uint_eq(arg_u64(x, e, "slot"), want->op.slot);
        ck_assert_str_eq(meta_name(x, "process_name", e->pid, 0, false), host_process);
        ck_assert_str_eq(meta_name(x, "thread_name", e->pid, e->tid, true),
                         op_threads[want->op.stage]);
    }
}

/* The retained spans, in order, on GPU tracks named for their stage, and
 * no two spans of one track overlapping or nested. Returns how many went
 * to an overlap lane. */
static uint32_t check_spans(const exported *x, const baton_trace *t)
{
    uint32_t n = baton_trace_span_count(t), lanes = 0;
    ck_assert_uint_eq(x->nspans, n);
    for (uint32_t i = 0; i < n; i++) {
        const baton_trace_span *want = baton_trace_span_at(t, i);
        const tev *e = x->spans[i];
        ck_assert_uint_eq(e->ts, want->start_ns);
        ck_assert_uint_eq(e->dur, want->end_ns - want->start_ns);
        ck_assert_uint_eq(arg_u64(x, e, "frame"), want->frame);
        ck_assert_str_eq(meta_name(x, "process_name", e->pid, 0, false), gpu_process);
        const char *thread = meta_name(x, "thread_name", e->pid, e->tid, true);
        const char *base = span_threads[want->stage];
        ck_assert_msg(strncmp(thread, base, strlen(base)) == 0, "span %u (%s) on \"%s\"", i,
                      baton_stage_name((baton_stage)want->stage), thread);
        lanes += strcmp(thread, base) != 0;
        for (uint32_t j = 0; j < i; j++) {
            const tev *o = x->spans[j];
            bool apart = o->ts + o->dur <= e->ts || e->ts + e->dur <= o->ts;
            ck_assert_msg(o->tid != e->tid || apart, "spans %u and %u overlap on tid %" PRIu64,
                          j, i, e->tid);
        }
    }
    return lanes;
}

/* ---- arrows ---- */

typedef struct arrow {
    uint32_t signal, wait; /* retained op indices */
} arrow;

static int arrow_cmp(const void *pa, const void *pb)
{
    const arrow *a = pa, *b = pb;
    if (a->signal != b->signal)
        return a->signal < b->signal ? -1 : 1;
    return (a->wait > b->wait) - (a->wait < b->wait);
}

/* Perfetto's importer handles events in (ts, kind, file order), where a
 * complete event sorts before others by its duration (longest first), and
 * binds a flow event to the latest slice begun on its track. */
static int proc_cmp(const void *pa, const void *pb, void *ctx)
{
    const exported *x = ctx;
    const tev *a = &x->ev[*(const size_t *)pa], *b = &x->ev[*(const size_t *)pb];
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    int64_t ka = a->ph == 'X' ? -(int64_t)a->dur : 0, kb = b->ph == 'X' ? -(int64_t)b->dur : 0;
    if (ka != kb)
        return ka < kb ? -1 : 1;
    return (a > b) - (a < b);
}

typedef struct flow {
    uint64_t id;
    char ph;
    size_t order; /* position in processing order */
    const tev *ev;
    uint32_t op;  /* the op slice it binds to */
} flow;

static int flow_cmp(const void *pa, const void *pb)
{
    const flow *a = pa, *b = pb;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return (a->ph == 'f') - (b->ph == 'f');
}

#define TRACKS_MAX 64

/* Bind every flow event as the importer would; returns how many. */
static size_t bind_flows(const exported *x, flow *out)
{
    size_t *order = malloc((x->n + 1) * sizeof *order), nf = 0;
    const tev *last[TRACKS_MAX] = {0};
    uint64_t track_tid[TRACKS_MAX];
    size_t tracks = 0;
    ck_assert_ptr_nonnull(order);
    for (size_t i = 0; i < x->n; i++)
        order[i] = i;
    qsort_r(order, x->n, sizeof *order, proc_cmp, (void *)x);
    for (size_t k = 0; k < x->n; k++) {
        const tev *e = &x->ev[order[k]];
        if (e->ph == 'M')
            continue;
        size_t tr = 0;
        while (tr < tracks && track_tid[tr] != e->tid)
            tr++;
        if (tr == tracks) {
            ck_assert_uint_lt(tracks, TRACKS_MAX);
            track_tid[tracks++] = e->tid;
        }
        if (e->ph == 'X') {
            last[tr] = e;
            continue;
        }
        const tev *s = last[tr];
        ck_assert_msg(s && s->ts <= e->ts && e->ts <= s->ts + s->dur && strcmp(s->cat, "sync") == 0,
                      "flow event id %" PRIu64 " at %" PRIu64 " ns binds to no op slice", e->id,
                      e->ts);
        out[nf++] = (flow){.id = e->id, .ph = e->ph, .order = k, .ev = e, .op = s->slice};
    }
    free(order);
    return nf;
}

/* Every id: one "s" on a signal, then one "f" ("bp":"e") on a wait, with
 * the same name and cat, not earlier in time. Returns the arrows. */
static size_t arrows_of(const exported *x, const baton_trace *t, arrow *out)
{
    flow *f = calloc(x->n + 1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    size_t nf = bind_flows(x, f), na = 0;
    qsort(f, nf, sizeof *f, flow_cmp);
    for (size_t k = 0; k < nf; k += 2) {
        ck_assert_msg(k + 1 < nf && f[k].id == f[k + 1].id && f[k].ph == 's' &&
                      f[k + 1].ph == 'f' && (k + 2 == nf || f[k + 2].id != f[k].id),
                      "flow id %" PRIu64 " is not one start and one finish", f[k].id);
        const flow *s = &f[k], *w = &f[k + 1];
        ck_assert_msg(w->ev->bp && strcmp(w->ev->bp, "e") == 0, "finish without \"bp\":\"e\"");
        ck_assert_msg(!s->ev->bp, "a flow start with a binding point");
        ck_assert_str_eq(s->ev->name, w->ev->name);
        ck_assert_str_eq(s->ev->cat, w->ev->cat);
        ck_assert_msg(s->order < w->order, "flow %" PRIu64 " ends before it starts", s->id);
        ck_assert_uint_le(s->ev->ts, w->ev->ts);
        ck_assert_uint_eq(baton_trace_event_at(t, s->op)->op.kind, BATON_OP_SIGNAL);
        ck_assert_uint_eq(baton_trace_event_at(t, w->op)->op.kind, BATON_OP_WAIT);
        out[na++] = (arrow){.signal = s->op, .wait = w->op};
    }
    free(f);
    qsort(out, na, sizeof *out, arrow_cmp);
    for (size_t k = 1; k < na; k++)
        ck_assert_msg(out[k].signal != out[k - 1].signal, "signal %u has two arrows",
                      out[k].signal);
    return na;
}

/* ---- what the plan says, computed without the exporter ---- */

/* The plan's op that satisfies wait w: walking the plan back from w, the
 * first signal on w's semaphore (binary), or on it with w's value
 * (timeline). */
static bool plan_signal(const baton_schedule *sch, const baton_op *w, baton_op *out)
{
    for (uint64_t f = w->frame + 1; f-- > 0;) {
        baton_op ops[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(sch, f, ops), k = n;
        if (f == w->frame) {
            for (k = 0; k < n && !baton_op_equal(&ops[k], w); k++) {
            }
            ck_assert_uint_lt(k, n);
        }
        while (k-- > 0) {
            if (ops[k].kind == BATON_OP_SIGNAL && ops[k].sem == w->sem &&
                (sch->mode == BATON_SYNC_BINARY || ops[k].value == w->value)) {
                *out = ops[k];
                return true;
            }
        }
    }
    return false;
}

static uint32_t retained_index(const baton_trace *t, const baton_op *op)
{
    for (uint32_t i = 0; i < baton_trace_count(t); i++) {
        if (baton_op_equal(&baton_trace_event_at(t, i)->op, op))
            return i;
    }
    return NONE;
}

/* Arrows expected: each retained wait whose plan signal is retained and
 * was recorded no later than the wait. */
static size_t plan_arrows(const baton_trace *t, const baton_schedule *sch, arrow *out)
{
    size_t n = 0;
    for (uint32_t i = 0; i < baton_trace_count(t); i++) {
        const baton_trace_event *w = baton_trace_event_at(t, i);
        baton_op sig;
        if (w->op.kind != BATON_OP_WAIT || !plan_signal(sch, &w->op, &sig))
            continue;
        uint32_t s = retained_index(t, &sig);
        if (s != NONE && baton_trace_event_at(t, s)->host_ns <= w->host_ns)
            out[n++] = (arrow){.signal = s, .wait = i};
    }
    qsort(out, n, sizeof *out, arrow_cmp);
    return n;
}

/* ---- the whole check ---- */

static void validate_with_python(const char *path)
{
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        ck_assert_msg(!test_tools_required(),
                      "python3 is missing but BATON_REQUIRE_TOOLS=1 (install python3)");
        printf("SKIP check_trace_perfetto json.tool: python3 not found (install python3; "
               "the C parser still checked %s)\n", path);
        return;
    }
    char cmd[512];
    /* without check-sanitize's preloaded lavapipe, which makes python3 start in seconds */
    snprintf(cmd, sizeof cmd, "env -u LD_PRELOAD python3 -m json.tool '%s' >/dev/null", path);
    ck_assert_msg(system(cmd) == 0, "python3 -m json.tool rejected %s", path);
}

typedef struct result {
    size_t arrows;
    uint32_t lane_spans;
    arrow *got; /* the arrows drawn, by signal (check_export's caller frees) */
} result;

/* Read path back and check everything but which arrows the plan wants;
 * python: also have python3's json module parse it (slow to start, so not
 * every time). */
static result check_structure(const char *path, const baton_trace *t, bool python)
{
    exported x;
    load_export(&x, path);
    check_tracks(&x);
    check_ops(&x, t);
    result r = {.lane_spans = check_spans(&x, t), .got = calloc(x.n + 1, sizeof *r.got)};
    ck_assert_ptr_nonnull(r.got);
    r.arrows = arrows_of(&x, t, r.got);
    free_export(&x);
    if (python)
        validate_with_python(path);
    return r;
}

/* check_structure, and the arrows are those the plan sch wants. */
static result check_export(const char *path, const baton_trace *t, const baton_schedule *sch,
                           bool python)
{
    result r = check_structure(path, t, python);
    arrow *want = calloc(baton_trace_count(t) + 1, sizeof *want);
    ck_assert_ptr_nonnull(want);
    size_t nw = plan_arrows(t, sch, want);
    const arrow *got = r.got;
    for (size_t k = 0; k < nw || k < r.arrows; k++) {
        ck_assert_msg(k < nw && k < r.arrows && got[k].signal == want[k].signal &&
                      got[k].wait == want[k].wait,
                      "arrow %zu: expected op %u -> op %u, got op %u -> op %u (%zu expected, "
                      "%zu drawn)", k, k < nw ? want[k].signal : NONE, k < nw ? want[k].wait : NONE,
                      k < r.arrows ? got[k].signal : NONE, k < r.arrows ? got[k].wait : NONE,
                      nw, r.arrows);
    }
    free(want);
    free(r.got);
    r.got = NULL;
    return r;
}

static void temp_path(char *buf, size_t len, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, len, "%s/baton-check-perfetto-%ld-%s", dir && dir[0] ? dir : "/tmp",
             (long)getpid(), name);
}

static result export_and_check(const baton_trace *t, const baton_schedule *sch, bool python)
{
    char path[256];
    baton_error err = {0};
    temp_path(path, sizeof path, "out.json");
    int fds = test_open_fd_count();
    ck_assert_msg(baton_trace_write_chrome(t, path, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(test_open_fd_count(), fds);
    result r = check_export(path, t, sch, python);
    unlink(path);
    return r;
}

/* ---- tests ---- */

#define FRAMES 50u

/* Everything retained: one arrow per frame from compute to Vulkan, one per
 * frame from the Vulkan release to the compute wait S frames later. */
START_TEST(test_full_trace)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 1000);
    record(t, &sch, FRAMES, 490000u);
    result r = export_and_check(t, &sch, _i < 2); /* python3: S = 2, both modes */
    ck_assert_uint_eq(r.arrows, 2 * FRAMES - sch.slots);
    ck_assert_uint_eq(r.lane_spans, 0);
    baton_trace_destroy(t);
}
END_TEST

/* Rings that wrapped at every place in a frame: an op whose partner was
 * overwritten has no arrow, and no id dangles. */
START_TEST(test_wrapped_trace)
{
    baton_schedule sch = combo(_i);
    for (uint32_t cap = 29; cap <= 36; cap++) {
        baton_trace *t = make_trace(cap, cap / 4);
        record(t, &sch, FRAMES, 490000u);
        ck_assert_uint_gt(baton_trace_dropped(t), 0);
        result r = export_and_check(t, &sch, _i == 1 && cap == 29);
        ck_assert_uint_gt(r.arrows, cap / 4); /* most ops still have their partner */
        ck_assert_uint_lt(r.arrows, cap / 2);
        baton_trace_destroy(t);
    }
}
END_TEST

/* Vulkan spans three frames long: they overlap, so they spread over lanes
 * of the Vulkan queue track and none is lost. */
START_TEST(test_overlapping_spans)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 1000);
    record(t, &sch, 20, 3 * FRAME_NS);
    result r = export_and_check(t, &sch, false);
    ck_assert_uint_gt(r.lane_spans, 0);
    ck_assert_uint_eq(r.arrows, 2 * 20 - sch.slots);
    baton_trace_destroy(t);
}
END_TEST

/* Stages recorded from their own threads: the compute stage runs S - 1
 * frames ahead of the Vulkan stage (baton_trace_check accepts it); the
 * arrows still follow the plan. */
START_TEST(test_interleaved_stages)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 0);
    uint64_t lag = sch.slots - 1, clock_ns = T0_NS;
    for (uint64_t n = 0; n < FRAMES + lag; n++) {
        for (int stage = BATON_STAGE_COMPUTE; stage <= BATON_STAGE_VULKAN; stage++) {
            uint64_t f = stage == BATON_STAGE_COMPUTE ? n : n - lag;
            if ((stage == BATON_STAGE_COMPUTE && n >= FRAMES) || (stage && n < lag))
                continue;
            baton_op ops[BATON_SCHEDULE_MAX_OPS];
            size_t k = baton_schedule_stage_ops(&sch, f, (baton_stage)stage, ops);
            for (size_t i = 0; i < k; i++, clock_ns += 7000u)
                baton_trace_record(t, &ops[i], clock_ns);
        }
    }
    baton_error err = {0};
    ck_assert_msg(baton_trace_check(t, &sch, &err) == BATON_OK, "%s", err.message);
    ck_assert_uint_eq(export_and_check(t, &sch, false).arrows, 2 * FRAMES - sch.slots);
    baton_trace_destroy(t);
}
END_TEST

/* A wait recorded before its signal gets no arrow (it would point back in
 * time and Perfetto could not bind it); the other pairs keep theirs. */
START_TEST(test_wait_before_signal)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 0);
    for (uint64_t f = 0; f < 6; f++) {
        baton_op ops[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(&sch, f, ops);
        for (size_t i = 0; i < n; i++) {
            uint64_t ns = op_time(f, &ops[i]);
            if (f == 3 && ops[i].stage == BATON_STAGE_VULKAN && ops[i].kind == BATON_OP_WAIT)
                ns -= 200000u; /* before frame 3's compute signal */
            baton_trace_record(t, &ops[i], ns);
        }
    }
    result r = export_and_check(t, &sch, false);
    ck_assert_uint_eq(r.arrows, 2 * 6 - sch.slots - 1);
    baton_trace_destroy(t);
}
END_TEST

/* A trace that breaks the plan: a signal recorded twice, then a wait
 * recorded twice. The wait takes the later signal; the second wait finds
 * none left. No op has two arrows, no id two ends. */
START_TEST(test_repeated_ops)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 0);
    uint32_t dup_signal = NONE, dup_wait = NONE;
    for (uint64_t f = 0; f < 6; f++) {
        baton_op ops[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(&sch, f, ops);
        for (size_t i = 0; i < n; i++) {
            bool twice = f == 3 && ops[i].stage == BATON_STAGE_COMPUTE &&
                         ops[i].kind == BATON_OP_SIGNAL;
            twice |= f == 4 && ops[i].stage == BATON_STAGE_VULKAN && ops[i].kind == BATON_OP_WAIT;
            baton_trace_record(t, &ops[i], op_time(f, &ops[i]));
            if (twice) {
                *(ops[i].kind == BATON_OP_SIGNAL ? &dup_signal : &dup_wait) = baton_trace_count(t);
                baton_trace_record(t, &ops[i], op_time(f, &ops[i]) + 1);
            }
        }
    }
    char path[256];
    baton_error err = {0};
    temp_path(path, sizeof path, "repeat.json");
    ck_assert_msg(baton_trace_write_chrome(t, path, &err) == BATON_OK, "%s", err.message);
    result r = check_structure(path, t, false);
    ck_assert_uint_eq(r.arrows, 2 * 6 - sch.slots);
    bool later_signal = false;
    for (size_t k = 0; k < r.arrows; k++) {
        ck_assert_uint_ne(r.got[k].signal, dup_signal - 1); /* the first copy: none */
        later_signal |= r.got[k].signal == dup_signal;
        ck_assert_uint_ne(r.got[k].wait, dup_wait); /* the second copy: none */
    }
    ck_assert(later_signal);
    free(r.got);
    unlink(path);
    baton_trace_destroy(t);
}
END_TEST

/* Nothing recorded, ops only, spans only, an op and a span of a stage
 * this build does not know: still valid, every track named. */
START_TEST(test_sparse_traces)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_trace *t = make_trace(8, 8);
    export_and_check(t, &sch, true);
    baton_trace_record_span(t, 0, BATON_STAGE_VULKAN, T0_NS, T0_NS + 5);
    export_and_check(t, &sch, false);
    baton_trace_reset(t);
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    baton_schedule_frame_ops(&sch, 0, ops);
    baton_trace_record(t, &ops[0], T0_NS);
    ck_assert_uint_eq(export_and_check(t, &sch, false).arrows, 0); /* a signal without its wait */

    char path[256];
    baton_error err = {0};
    temp_path(path, sizeof path, "odd.json");
    ops[1].stage = 7;
    baton_trace_record(t, &ops[1], T0_NS + 10);
    baton_trace_record_span(t, 0, (baton_stage)7, T0_NS, T0_NS + 20);
    ck_assert_msg(baton_trace_write_chrome(t, path, &err) == BATON_OK, "%s", err.message);
    exported x;
    load_export(&x, path);
    check_tracks(&x);
    bool other_ops = false, other_spans = false;
    for (size_t i = 0; i < x.n; i++) {
        if (x.ev[i].ph != 'X')
            continue;
        const char *th = meta_name(&x, "thread_name", x.ev[i].pid, x.ev[i].tid, true);
        other_ops |= strcmp(th, "ops of an unknown stage") == 0;
        other_spans |= strcmp(th, "spans of an unknown stage") == 0;
    }
    ck_assert(other_ops && other_spans);
    free_export(&x);
    validate_with_python(path);
    unlink(path);
    baton_trace_destroy(t);
}
END_TEST

/* The checker itself rejects what it should: broken JSON, and an arrow
 * whose finish lacks its binding point. */
START_TEST(test_checker_rejects)
{
    static const char *bad[] = {
        "{\"traceEvents\":[}",
        "{\"traceEvents\":[{\"ph\":\"X\",}]}",
        "{\"a\":01}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":1} x",
        "[1,2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        ck_assert_msg(!json_parse(&d, bad[i], strlen(bad[i])), "accepted %s", bad[i]);
        json_free(&d);
    }
    json_doc d;
    const char *ok = "{\"a\":[1,-2.5e3,\"x\\u00e9\\n\",true,false,null,{}],\"b\":{\"c\":12.345}}";
    ck_assert_msg(json_parse(&d, ok, strlen(ok)), "%s", d.error);
    uint64_t ns = 0;
    ck_assert(json_get_us_as_ns(&d, json_get(&d, 0, "b"), "c", &ns));
    ck_assert_uint_eq(ns, 12345);
    json_free(&d);
}
END_TEST

/* ---- baton-trace perfetto ---- */

static const char *tool_path(void)
{
    static char path[512];
    const char *dir = getenv("BATON_TOOLS_DIR");
    if (!dir || !dir[0])
        dir = getenv("BUILD");
    if (!dir || !dir[0])
        dir = "build";
    snprintf(path, sizeof path, "%s/baton-trace", dir);
    ck_assert_msg(access(path, X_OK) == 0,
                  "the baton-trace tool is not at %s (%s): build it first (make tools; "
                  "make check does), or set BATON_TOOLS_DIR to the directory that holds it",
                  path, strerror(errno));
    return path;
}

static void run_tool(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null", tool_path(), args);
    int status = system(cmd);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed",
                  cmd);
}

/* record-plan writes the plan as a trace file (wrapped when capacity is
 * set); perfetto converts it; the arrows follow the plan stored in it. */
START_TEST(test_tool)
{
    static const char *sync[] = {"timeline", "binary"};
    static const char *capacity[] = {"", "--capacity 37"};
    char trace[256], json[256], args[768];
    temp_path(trace, sizeof trace, "tool.trace");
    temp_path(json, sizeof json, "tool.json");
    for (unsigned slots = 2; slots <= 4; slots++) {
        for (unsigned c = 0; c < 2; c++) {
            snprintf(args, sizeof args, "record-plan --slots %u --sync %s --frames 30 %s '%s'",
                     slots, sync[_i], capacity[c], trace);
            run_tool(args);
            snprintf(args, sizeof args, "perfetto '%s' '%s'", trace, json);
            run_tool(args);
            baton_trace *t = NULL;
            baton_schedule sch;
            baton_error err = {0};
            ck_assert_msg(baton_trace_load(trace, &t, &sch, &err) == BATON_OK, "%s",
                          err.message);
            ck_assert_int_eq(sch.mode, _i ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE);
            result r = check_export(json, t, &sch, _i == 0 && slots == 2 && c == 1);
            ck_assert_uint_eq(r.arrows, c ? r.arrows : 2 * 30 - slots);
            ck_assert_uint_gt(r.arrows, 0);
            baton_trace_destroy(t);
        }
    }
    unlink(trace);
    unlink(json);
}
END_TEST

static Suite *perfetto_suite(void)
{
    Suite *s = suite_create("trace_perfetto");
    TCase *exp = tcase_create("export");
    tcase_set_timeout(exp, 120);
    tcase_add_loop_test(exp, test_full_trace, 0, 6);
    tcase_add_loop_test(exp, test_wrapped_trace, 0, 6);
    tcase_add_loop_test(exp, test_overlapping_spans, 0, 6);
    tcase_add_loop_test(exp, test_interleaved_stages, 0, 6);
    tcase_add_loop_test(exp, test_wait_before_signal, 0, 6);
    tcase_add_loop_test(exp, test_repeated_ops, 0, 6);
    tcase_add_test(exp, test_sparse_traces);
    tcase_add_test(exp, test_checker_rejects);
    suite_add_tcase(s, exp);

    TCase *tool = tcase_create("tool");
    tcase_set_timeout(tool, 120);
    tcase_add_loop_test(tool, test_tool, 0, 2);
    suite_add_tcase(s, tool);
    return s;
}

int main(void)
{
    return test_run_suite(perfetto_suite());
}
