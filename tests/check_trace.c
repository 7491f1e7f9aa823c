/* check_trace.c - the trace rings, their check against the plan, and the
 * Chrome JSON and timeline exporters (check_trace_perfetto reads the JSON
 * back in full). */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/trace.h"
#include "util_test.h"

#define FRAMES 50u
#define T0_NS 1000000000u /* host clock of the first recorded op */
#define STEP_NS 1500u     /* between recorded ops */

/* How record_frames spoils one frame's ops. */
typedef enum corruption {
    C_NONE,
    C_VALUE,   /* ops[k].value + 1 */
    C_SWAP,    /* ops[k] and ops[k + 1] change places */
    C_MISSING, /* ops[k] is not recorded */
} corruption;

typedef struct spoil {
    corruption how;
    uint64_t frame;
    size_t k;
} spoil;

static const spoil clean = {C_NONE, 0, 0};

static baton_schedule combo(int i)
{
    baton_schedule s = {.slots = 2u + (uint32_t)i / 2u,
                        .mode = i % 2 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE};
    return s;
}

static size_t apply(baton_op *ops, size_t n, spoil sp)
{
    ck_assert_uint_lt(sp.k + (sp.how == C_SWAP), n);
    if (sp.how == C_VALUE) {
        ops[sp.k].value++;
    } else if (sp.how == C_SWAP) {
        baton_op t = ops[sp.k];
        ops[sp.k] = ops[sp.k + 1];
        ops[sp.k + 1] = t;
    } else if (sp.how == C_MISSING) {
        memmove(ops + sp.k, ops + sp.k + 1, (n - sp.k - 1) * sizeof *ops);
        n--;
    }
    return n;
}

/* Record frames first..first+count-1 as the runtime would, with one compute
 * and one Vulkan span per frame; returns the ops recorded. */
static uint64_t record_frames(baton_trace *t, const baton_schedule *sch, uint64_t first,
                              uint64_t count, spoil sp)
{
    static uint64_t clock_ns;
    uint64_t recorded = 0;
    if (first == 0 || baton_trace_total(t) == 0)
        clock_ns = T0_NS;
    for (uint64_t f = first; f < first + count; f++) {
        baton_op ops[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(sch, f, ops);
        ck_assert_uint_gt(n, 0);
        if (sp.how != C_NONE && f == sp.frame)
            n = apply(ops, n, sp);
        uint64_t start = clock_ns;
        for (size_t i = 0; i < n; i++, recorded++, clock_ns += STEP_NS)
            baton_trace_record(t, &ops[i], clock_ns);
        baton_trace_record_span(t, f, BATON_STAGE_COMPUTE, start, start + 700);
        baton_trace_record_span(t, f, BATON_STAGE_VULKAN, start + 800, start + 2300);
    }
    return recorded;
}

static baton_trace *make_trace(uint32_t events, uint32_t frames)
{
    baton_trace *t = NULL;
    baton_error err = {0};
    ck_assert_int_eq(baton_trace_create(events, frames, &t, &err), BATON_OK);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* Check must fail with a message that names frame and says expected/got. */
static void expect_mismatch(const baton_trace *t, const baton_schedule *sch, uint64_t frame)
{
    baton_error err = {0};
    char needle[64];
    snprintf(needle, sizeof needle, "frame %" PRIu64 ")", frame);
    ck_assert_int_eq(baton_trace_check(t, sch, &err), BATON_ERR_MISMATCH);
    ck_assert_int_eq(err.status, BATON_ERR_MISMATCH);
    ck_assert_msg(strstr(err.message, needle) != NULL, "\"%s\" does not name %s", err.message,
                  needle);
    ck_assert_msg(strstr(err.message, "expected \"") && strstr(err.message, "got \""),
                  "\"%s\" lacks expected/got", err.message);
}

static void expect_ok(const baton_trace *t, const baton_schedule *sch)
{
    baton_error err = {0};
    ck_assert_msg(baton_trace_check(t, sch, &err) == BATON_OK, "%s", err.message);
}

/* ---- check against the plan ---- */

START_TEST(test_check_passes)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 100);
    uint64_t n = record_frames(t, &sch, 0, FRAMES, clean);
    ck_assert_uint_eq(baton_trace_count(t), n);
    ck_assert_uint_eq(baton_trace_total(t), n);
    ck_assert_uint_eq(baton_trace_dropped(t), 0);
    ck_assert_uint_eq(baton_trace_span_count(t), 2 * FRAMES);
    expect_ok(t, &sch);
    baton_trace_destroy(t);
}
END_TEST

START_TEST(test_check_rejects_corruption)
{
    baton_schedule sch = combo(_i);
    const spoil cases[] = {
        {C_VALUE, 20, 1},   /* wrong value (binary: 1 instead of 0) */
        {C_SWAP, 30, 1},    /* compute signal after Vulkan's wait */
        {C_MISSING, 40, 2}, /* Vulkan's wait not issued */
        {C_MISSING, 41, 3}, /* last op of a frame lost */
        {C_SWAP, 1, 0},     /* a frame < S (no compute wait) */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        baton_trace *t = make_trace(1000, 100);
        record_frames(t, &sch, 0, FRAMES, cases[c]);
        expect_mismatch(t, &sch, cases[c].frame);
        baton_trace_destroy(t);
    }
}
END_TEST

START_TEST(test_check_rejects_skipped_frame)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 100);
    record_frames(t, &sch, 0, 10, clean);
    record_frames(t, &sch, 11, 9, clean);
    expect_mismatch(t, &sch, 10);
    baton_trace_destroy(t);
}
END_TEST

/* Every capacity from 1 to past the whole plan: the retained tail starts at
 * every possible place in a frame and still checks. */
START_TEST(test_check_ring_wrap)
{
    baton_schedule sch = combo(_i);
    for (uint32_t cap = 1; cap <= 4 * FRAMES; cap++) {
        baton_trace *t = make_trace(cap, 8);
        uint64_t n = record_frames(t, &sch, 0, FRAMES, clean);
        ck_assert_uint_eq(baton_trace_count(t), cap < n ? cap : n);
        ck_assert_uint_eq(baton_trace_total(t), n);
        ck_assert_uint_eq(baton_trace_dropped(t), n - baton_trace_count(t));
        ck_assert_uint_eq(baton_trace_span_count(t), 8);
        expect_ok(t, &sch);
        baton_trace_destroy(t);
    }
}
END_TEST

START_TEST(test_check_ring_wrap_corruption)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(37, 8); /* retains the last ~9 frames */
    record_frames(t, &sch, 0, FRAMES, (spoil){C_SWAP, 47, 1});
    ck_assert_uint_gt(baton_trace_dropped(t), 0);
    expect_mismatch(t, &sch, 47);
    baton_trace_reset(t); /* corruption only in the overwritten head */
    record_frames(t, &sch, 0, FRAMES, (spoil){C_VALUE, 5, 0});
    expect_ok(t, &sch);
    baton_trace_destroy(t);
}
END_TEST

START_TEST(test_check_first_event)
{
    baton_schedule sch = {.slots = 3, .mode = BATON_SYNC_TIMELINE};
    baton_trace *t = make_trace(100, 8);
    baton_error err = {0};
    /* nothing dropped, but the first frame's first op is missing */
    record_frames(t, &sch, 5, 4, (spoil){C_MISSING, 5, 0});
    expect_mismatch(t, &sch, 5);

    /* a trace that begins at a later frame boundary is fine */
    baton_trace_reset(t);
    record_frames(t, &sch, 5, 4, clean);
    expect_ok(t, &sch);

    /* wrapped, and the first retained op is in no place of its frame */
    baton_trace_destroy(t);
    t = make_trace(6, 8);
    record_frames(t, &sch, 0, 9, clean);
    baton_op odd[BATON_SCHEDULE_MAX_OPS];
    baton_schedule_frame_ops(&sch, 9, odd);
    odd[1].sem = 1;
    for (size_t i = 1; i < 4; i++)
        baton_trace_record(t, &odd[i], T0_NS);
    for (int i = 0; i < 3; i++) /* push all but the odd op out */
        baton_trace_record(t, &odd[2 + (i == 2)], T0_NS);
    ck_assert_uint_eq(baton_trace_event_at(t, 0)->op.sem, 1);
    ck_assert_int_eq(baton_trace_check(t, &sch, &err), BATON_ERR_MISMATCH);
    ck_assert_msg(strstr(err.message, "frame 9") && strstr(err.message, "has no place"), "%s",
                  err.message);
    baton_trace_destroy(t);
}
END_TEST

START_TEST(test_check_arguments)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_schedule bad = {.slots = 2, .mode = BATON_SYNC_AUTO};
    baton_trace *t = make_trace(4, 0);
    baton_error err = {0};
    expect_ok(t, &sch); /* empty */
    ck_assert_int_eq(baton_trace_check(t, &bad, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "auto"));
    ck_assert_int_eq(baton_trace_check(NULL, &sch, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_trace_check(t, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_trace_destroy(t);
}
END_TEST

/* ---- rings and accessors ---- */

START_TEST(test_create_errors)
{
    baton_trace *t = (baton_trace *)&t;
    baton_error err = {0};
    ck_assert_int_eq(baton_trace_create(0, 4, &t, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err.message, "capacity_events"));
    ck_assert_int_eq(baton_trace_create(4, 4, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_trace_destroy(NULL);
    baton_trace_reset(NULL);
    baton_trace_record(NULL, NULL, 0);
    ck_assert_uint_eq(baton_trace_count(NULL), 0);
    ck_assert_ptr_null(baton_trace_event_at(NULL, 0));
}
END_TEST

START_TEST(test_ring_order_and_reset)
{
    baton_trace *t = make_trace(5, 4);
    ck_assert_uint_eq(baton_trace_capacity(t), 5);
    ck_assert_uint_eq(baton_trace_span_capacity(t), 4);
    for (uint64_t i = 0; i < 12; i++) {
        baton_op op = {.frame = i, .value = i * 10};
        baton_trace_record(t, &op, 100 + i);
        baton_trace_record_span(t, i, BATON_STAGE_VULKAN, i, i + 1);
    }
    ck_assert_uint_eq(baton_trace_count(t), 5);
    ck_assert_uint_eq(baton_trace_total(t), 12);
    ck_assert_uint_eq(baton_trace_dropped(t), 7);
    for (uint32_t i = 0; i < 5; i++) {
        const baton_trace_event *e = baton_trace_event_at(t, i);
        ck_assert_uint_eq(e->op.frame, 7 + i);
        ck_assert_uint_eq(e->op.value, (7 + i) * 10);
        ck_assert_uint_eq(e->host_ns, 107 + i);
    }
    ck_assert_ptr_null(baton_trace_event_at(t, 5));
    ck_assert_uint_eq(baton_trace_span_count(t), 4);
    ck_assert_uint_eq(baton_trace_span_dropped(t), 8);
    ck_assert_uint_eq(baton_trace_span_at(t, 0)->frame, 8);
    ck_assert_uint_eq(baton_trace_span_at(t, 3)->stage, BATON_STAGE_VULKAN);
    ck_assert_ptr_null(baton_trace_span_at(t, 4));
    baton_trace_reset(t);
    ck_assert_uint_eq(baton_trace_count(t) + baton_trace_total(t) + baton_trace_dropped(t), 0);
    ck_assert_uint_eq(baton_trace_span_count(t) + baton_trace_span_total(t), 0);
    ck_assert_uint_eq(baton_trace_capacity(t), 5);
    baton_trace_destroy(t);

    t = make_trace(1, 0); /* spans disabled: counted, not kept */
    baton_trace_record_span(t, 0, BATON_STAGE_COMPUTE, 0, 1);
    ck_assert_uint_eq(baton_trace_span_count(t), 0);
    ck_assert_uint_eq(baton_trace_span_total(t), 1);
    ck_assert_uint_eq(baton_trace_span_dropped(t), 1);
    baton_trace_destroy(t);
}
END_TEST

/* Recording and checking never touch the heap: glibc's in-use byte count
 * is unchanged across 100,000 frames through a small ring. */
START_TEST(test_record_does_not_allocate)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_BINARY};
    baton_trace *t = make_trace(64, 16);
    baton_error err = {0};
    struct mallinfo2 before = mallinfo2();
    if (before.uordblks == 0 && before.hblkhd == 0) /* e.g. ASan's own allocator */
        printf("SKIP check_trace no-allocation proof: mallinfo2 does not see the heap here\n");
    record_frames(t, &sch, 0, 100000, clean);
    ck_assert_int_eq(baton_trace_check(t, &sch, &err), BATON_OK);
    struct mallinfo2 after = mallinfo2();
    ck_assert_uint_eq(after.uordblks, before.uordblks);
    ck_assert_uint_eq(after.hblkhd, before.hblkhd);
    baton_trace_destroy(t);
}
END_TEST

/* ---- Chrome JSON ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    ck_assert_uint_lt(n, sizeof buf - 1);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Parse with python3's json module when it exists; say so when it does not. */
static void validate_json_with_python(const char *path, size_t ops)
{
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        printf("SKIP check_trace json.load validation: python3 not found "
               "(prefix and counts still checked)\n");
        return;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, /* without check-sanitize's preloaded lavapipe: 8 s a start */
             "env -u LD_PRELOAD python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
             "e=d[\"traceEvents\"]; sys.exit(sum(x.get(\"cat\")==\"sync\" for x in e)!=%zu)' '%s'",
             ops, path);
    ck_assert_msg(system(cmd) == 0, "python3 json.load rejected %s", path);
}

static void temp_path(char *buf, size_t len, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, len, "%s/baton-check-trace-%ld-%s", dir && dir[0] ? dir : "/tmp",
             (long)getpid(), name);
}

/* The layout in brief; check_trace_perfetto reads the export back in full
 * (tracks, arrows against the plan). */
static void export_and_inspect(uint32_t cap_events, uint32_t cap_frames)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_trace *t = make_trace(cap_events, cap_frames);
    baton_error err = {0};
    char path[256];
    temp_path(path, sizeof path, "chrome.json");
    record_frames(t, &sch, 0, FRAMES, clean);
    int fds = test_open_fd_count();
    ck_assert_msg(baton_trace_write_chrome(t, path, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(test_open_fd_count(), fds);
    const char *json = slurp(path);
    ck_assert_msg(strncmp(json, "{\"traceEvents\":[", 16) == 0, "starts: %.40s", json);
    ck_assert_uint_eq(count_of(json, "\"cat\":\"sync\",\"ph\":\"X\""), baton_trace_count(t));
    ck_assert_uint_eq(count_of(json, "\"cat\":\"span\",\"ph\":\"X\""),
                      baton_trace_span_count(t));
    ck_assert_uint_eq(count_of(json, "\"ph\":\"s\""), count_of(json, "\"ph\":\"f\""));
    ck_assert_ptr_nonnull(strstr(json, "\"args\":{\"name\":\"vulkan ops\"}"));
    if (baton_trace_count(t) > 1)
        ck_assert_ptr_nonnull(strstr(json, "\"args\":{\"name\":\"compute ops\"}"));
    if (baton_trace_span_count(t))
        ck_assert_ptr_nonnull(strstr(json, "\"args\":{\"name\":\"Vulkan queue\"}"));
    if (baton_trace_dropped(t) == 0) /* first op: frame 0 compute signal at T0, then its arrow */
        ck_assert_ptr_nonnull(strstr(json, "{\"name\":\"signal compute_done\",\"cat\":\"sync\","
                                           "\"ph\":\"X\",\"ts\":1000000.000,\"dur\":0,"
                                           "\"pid\":1,\"tid\":1,\"args\":{\"frame\":0,"
                                           "\"sem\":0,\"value\":1,\"slot\":0}},\n"
                                           "{\"name\":\"compute_done\",\"cat\":\"handoff\","
                                           "\"ph\":\"s\",\"id\":1,\"ts\":1000000.000,"
                                           "\"pid\":1,\"tid\":1}"));
    validate_json_with_python(path, baton_trace_count(t));
    unlink(path);
    baton_trace_destroy(t);
}

START_TEST(test_chrome_export)
{
    export_and_inspect(1000, 200); /* everything */
    export_and_inspect(37, 5);     /* wrapped rings */
    export_and_inspect(1, 0);      /* one event, no spans */
}
END_TEST

START_TEST(test_chrome_errors)
{
    baton_trace *t = make_trace(16, 4);
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_error err = {0};
    record_frames(t, &sch, 0, 3, clean);
    int fds = test_open_fd_count();
    const char *bad = "/nonexistent-baton-dir/trace.json";
    ck_assert_int_eq(baton_trace_write_chrome(t, bad, &err), BATON_ERR_OS);
    ck_assert_msg(strstr(err.message, "fopen(\"/nonexistent-baton-dir/trace.json\") failed") &&
                  strstr(err.message, strerror(ENOENT)), "%s", err.message);
    if (access("/dev/full", W_OK) == 0) { /* opens, then every flush fails */
        ck_assert_int_eq(baton_trace_write_chrome(t, "/dev/full", &err), BATON_ERR_IO);
        ck_assert_msg(strstr(err.message, "/dev/full") && strstr(err.message, strerror(ENOSPC)),
                      "%s", err.message);
    } else {
        printf("SKIP check_trace /dev/full write error: /dev/full not writable\n");
    }
    ck_assert_int_eq(test_open_fd_count(), fds);
    ck_assert_int_eq(baton_trace_write_chrome(NULL, "/tmp/x", &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_trace_write_chrome(t, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_trace_destroy(t);
}
END_TEST

/* ---- readable timeline ---- */

START_TEST(test_print_timeline)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_trace *t = make_trace(1000, 100);
    baton_error err = {0};
    record_frames(t, &sch, 0, 6, clean);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(baton_trace_print_timeline(t, f, 0, 2, &err), BATON_OK);
    fclose(f);
    ck_assert_msg(strstr(text, "frame 0 (slot 0)\n  +0.000 us  frame 0 slot 0 COMPUTE signal "
                               "compute_done[0] = 1\n") != NULL, "%s", text);
    /* frame 2 opens with op 6 (frames 0 and 1 have 3 ops): +9.000 us */
    ck_assert_msg(strstr(text, "frame 2 (slot 0)\n  +9.000 us  frame 2 slot 0 COMPUTE wait "
                               "vk_done[1] >= 1\n") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "  vulkan  span  start +9.800 us  duration 1.500 us\n") != NULL,
                  "%s", text);
    ck_assert_uint_eq(count_of(text, "span"), 6);
    ck_assert_ptr_null(strstr(text, "frame 3"));
    free(text);

    ck_assert_int_eq(baton_trace_print_timeline(t, NULL, 0, 1, &err), BATON_ERR_INVALID_ARGUMENT);
    f = fopen("/dev/full", "w");
    if (f) {
        ck_assert_int_eq(baton_trace_print_timeline(t, f, 0, 5, &err), BATON_ERR_IO);
        ck_assert_ptr_nonnull(strstr(err.message, strerror(ENOSPC)));
        fclose(f);
    }
    baton_trace_destroy(t);
}
END_TEST

/* ---- stages on different threads ---- */

/* Record stage `stage`'s ops of frame f. */
static void record_stage(baton_trace *t, const baton_schedule *sch, uint64_t f, baton_stage stage)
{
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    size_t n = baton_schedule_stage_ops(sch, f, stage, ops);
    for (size_t i = 0; i < n; i++)
        baton_trace_record(t, &ops[i], T0_NS + f);
}

/* The compute stage runs a frame ahead of the Vulkan stage (as when the
 * Vulkan submission is relayed from another thread): frame n+1's compute
 * ops come before frame n's Vulkan ops. Every wait still follows its
 * signal, so the plan is kept. */
START_TEST(test_check_interleaved_stages)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 8);
    record_stage(t, &sch, 0, BATON_STAGE_COMPUTE);
    for (uint64_t f = 0; f < FRAMES; f++) {
        record_stage(t, &sch, f + 1, BATON_STAGE_COMPUTE);
        record_stage(t, &sch, f, BATON_STAGE_VULKAN);
    }
    expect_ok(t, &sch);
    /* the same interleaving, but wrapped: the window starts mid-stream */
    baton_trace_destroy(t);
    t = make_trace(23, 8);
    record_stage(t, &sch, 0, BATON_STAGE_COMPUTE);
    for (uint64_t f = 0; f < FRAMES; f++) {
        record_stage(t, &sch, f + 1, BATON_STAGE_COMPUTE);
        record_stage(t, &sch, f, BATON_STAGE_VULKAN);
    }
    ck_assert_uint_gt(baton_trace_dropped(t), 0);
    expect_ok(t, &sch);
    baton_trace_destroy(t);
}
END_TEST

/* Two frames ahead is one too many when S = 2: the compute stage of frame
 * n+2 waits for the Vulkan stage of frame n, which has not signalled yet. */
START_TEST(test_check_wait_before_its_signal)
{
    baton_schedule sch = {.slots = 2, .mode = _i ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE};
    baton_trace *t = make_trace(1000, 8);
    baton_error err = {0};
    record_stage(t, &sch, 0, BATON_STAGE_COMPUTE);
    record_stage(t, &sch, 1, BATON_STAGE_COMPUTE);
    record_stage(t, &sch, 2, BATON_STAGE_COMPUTE); /* waits for Vulkan frame 0 */
    record_stage(t, &sch, 0, BATON_STAGE_VULKAN);
    ck_assert_int_eq(baton_trace_check(t, &sch, &err), BATON_ERR_MISMATCH);
    ck_assert_msg(strstr(err.message, "frame 2)") && strstr(err.message, "before it") &&
                      strstr(err.message, "VULKAN signal"),
                  "%s", err.message);
    baton_trace_destroy(t);
}
END_TEST

/* Within one stage the plan's order is strict: frame 1's Vulkan ops before
 * frame 0's are refused even though both compute signals came first. */
START_TEST(test_check_stage_order)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(1000, 8);
    record_stage(t, &sch, 0, BATON_STAGE_COMPUTE);
    record_stage(t, &sch, 1, BATON_STAGE_COMPUTE);
    record_stage(t, &sch, 1, BATON_STAGE_VULKAN);
    record_stage(t, &sch, 0, BATON_STAGE_VULKAN);
    expect_mismatch(t, &sch, 0);
    baton_trace_destroy(t);
}
END_TEST

/* Two threads record at once, one per stage, each waiting (on a counter,
 * as the pipeline waits on its hand-offs) for what the plan says comes
 * first: every entry arrives, and the result checks. */
typedef struct stage_thread {
    baton_trace *t;
    baton_schedule sch;
    baton_stage stage;
    volatile uint64_t *compute_done, *vulkan_done; /* frames each stage finished */
    pthread_mutex_t *lock;
} stage_thread;

static uint64_t read_count(pthread_mutex_t *lock, volatile uint64_t *v)
{
    pthread_mutex_lock(lock);
    uint64_t x = *v;
    pthread_mutex_unlock(lock);
    return x;
}

static void *run_stage(void *arg)
{
    stage_thread *st = arg;
    for (uint64_t f = 0; f < 2000; f++) {
        if (st->stage == BATON_STAGE_COMPUTE) /* slot free: Vulkan frame f-S done */
            while (f >= st->sch.slots && read_count(st->lock, st->vulkan_done) <= f - st->sch.slots)
                sched_yield();
        else /* compute of frame f done */
            while (read_count(st->lock, st->compute_done) <= f)
                sched_yield();
        record_stage(st->t, &st->sch, f, st->stage);
        pthread_mutex_lock(st->lock);
        (*(st->stage == BATON_STAGE_COMPUTE ? st->compute_done : st->vulkan_done))++;
        pthread_mutex_unlock(st->lock);
    }
    return NULL;
}

START_TEST(test_record_from_two_threads)
{
    baton_schedule sch = combo(_i);
    baton_trace *t = make_trace(20000, 8);
    volatile uint64_t compute_done = 0, vulkan_done = 0;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    stage_thread a = {t, sch, BATON_STAGE_COMPUTE, &compute_done, &vulkan_done, &lock};
    stage_thread b = {t, sch, BATON_STAGE_VULKAN, &compute_done, &vulkan_done, &lock};
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, run_stage, &a), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, run_stage, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    uint64_t want = 0;
    for (uint64_t f = 0; f < 2000; f++)
        want += baton_schedule_frame_ops(&sch, f, ops);
    ck_assert_uint_eq(baton_trace_total(t), want);
    expect_ok(t, &sch);
    baton_trace_destroy(t);
}
END_TEST

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *check = tcase_create("check");
    tcase_set_timeout(check, 60);
    tcase_add_loop_test(check, test_check_passes, 0, 6);
    tcase_add_loop_test(check, test_check_rejects_corruption, 0, 6);
    tcase_add_loop_test(check, test_check_rejects_skipped_frame, 0, 6);
    tcase_add_loop_test(check, test_check_ring_wrap, 0, 6);
    tcase_add_loop_test(check, test_check_ring_wrap_corruption, 0, 6);
    tcase_add_test(check, test_check_first_event);
    tcase_add_test(check, test_check_arguments);
    tcase_add_loop_test(check, test_check_interleaved_stages, 0, 6);
    tcase_add_loop_test(check, test_check_wait_before_its_signal, 0, 2);
    tcase_add_loop_test(check, test_check_stage_order, 0, 6);
    tcase_add_loop_test(check, test_record_from_two_threads, 0, 6);
    suite_add_tcase(s, check);

    TCase *ring = tcase_create("ring");
    tcase_add_test(ring, test_create_errors);
    tcase_add_test(ring, test_ring_order_and_reset);
    tcase_add_test(ring, test_record_does_not_allocate);
    suite_add_tcase(s, ring);

    TCase *out = tcase_create("export");
    tcase_set_timeout(out, 30);
    tcase_add_test(out, test_chrome_export);
    tcase_add_test(out, test_chrome_errors);
    tcase_add_test(out, test_print_timeline);
    suite_add_tcase(s, out);
    return s;
}

int main(void)
{
    return test_run_suite(trace_suite());
}
