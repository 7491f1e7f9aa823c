/* check_trace_file.c - trace files: baton_trace_save / baton_trace_load
 * round trips, the byte layout, malformed files, and the baton-trace tool
 * end to end. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton/trace.h"
#include "util_test.h"

#define FRAMES 50u
#define T0_NS 1000000000u
#define STEP_NS 1500u

/* The version 1 layout (baton/trace.h), spelled out independently. */
#define HDR 72u
#define EV 32u
#define SP 32u
#define OFF_VERSION 8u
#define OFF_HEADER_SIZE 12u
#define OFF_EVENT_SIZE 16u
#define OFF_SPAN_SIZE 20u
#define OFF_SLOTS 24u
#define OFF_MODE 28u
#define OFF_EV_TOTAL 32u
#define OFF_EV_DROPPED 40u
#define OFF_SP_TOTAL 48u
#define OFF_SP_DROPPED 56u
#define OFF_EV_COUNT 64u
#define OFF_SP_COUNT 68u

static baton_schedule combo(int i)
{
    baton_schedule s = {.slots = 2u + (uint32_t)i / 2u,
                        .mode = i % 2 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE};
    return s;
}

static baton_trace *make_trace(uint32_t events, uint32_t frames)
{
    baton_trace *t = NULL;
    baton_error err = {0};
    ck_assert_msg(baton_trace_create(events, frames, &t, &err) == BATON_OK, "%s", err.message);
    return t;
}

/* Frames first..first+count-1 in plan order, two spans each; the op of
 * frame swap_frame at index 1 changes place with the next one (none when
 * swap_frame is UINT64_MAX). */
static void record_frames(baton_trace *t, const baton_schedule *sch, uint64_t first,
                          uint64_t count, uint64_t swap_frame)
{
    uint64_t clock_ns = T0_NS + first * 4 * STEP_NS;
    for (uint64_t f = first; f < first + count; f++) {
        baton_op ops[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(sch, f, ops);
        ck_assert_uint_ge(n, 3);
        if (f == swap_frame) {
            baton_op tmp = ops[1];
            ops[1] = ops[2];
            ops[2] = tmp;
        }
        uint64_t start = clock_ns;
        for (size_t i = 0; i < n; i++, clock_ns += STEP_NS)
            baton_trace_record(t, &ops[i], clock_ns);
        baton_trace_record_span(t, f, BATON_STAGE_COMPUTE, start, start + 700);
        baton_trace_record_span(t, f, BATON_STAGE_VULKAN, start + 800, start + 2300);
    }
}

/* ---- temp files and raw bytes ---- */

typedef struct tmp {
    char path[64];
} tmp;

static tmp temp_file(void)
{
    tmp t;
    snprintf(t.path, sizeof t.path, "/tmp/baton-check-trace-file-XXXXXX");
    int fd = mkstemp(t.path);
    ck_assert_msg(fd >= 0, "mkstemp(%s): %s", t.path, strerror(errno));
    close(fd);
    return t;
}

static uint8_t *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    struct stat st;
    ck_assert_int_eq(fstat(fileno(f), &st), 0);
    *len = (size_t)st.st_size;
    uint8_t *b = malloc(*len + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void write_bytes(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void put_le(uint8_t *p, uint64_t v, unsigned width)
{
    for (unsigned i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void save_ok(const baton_trace *t, const baton_schedule *sch, const char *path)
{
    baton_error err = {0};
    ck_assert_msg(baton_trace_save(t, sch, path, &err) == BATON_OK, "%s", err.message);
}

static baton_trace *load_ok(const char *path, baton_schedule *sch)
{
    baton_trace *t = NULL;
    baton_error err = {0};
    ck_assert_msg(baton_trace_load(path, &t, sch, &err) == BATON_OK, "%s", err.message);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* Loading path must fail with status, naming the file and both needles. */
static void expect_load_error(const char *path, baton_status status, const char *needle,
                              const char *needle2)
{
    baton_trace *t = (baton_trace *)&t;
    baton_schedule sch = {.slots = 99, .mode = BATON_SYNC_AUTO};
    baton_error err = {0};
    ck_assert_msg(baton_trace_load(path, &t, &sch, &err) == status, "want status %d, got %d: %s",
                  (int)status, (int)err.status, err.message);
    ck_assert_int_eq(err.status, status);
    ck_assert_ptr_null(t);
    ck_assert_uint_eq(sch.slots, 99); /* untouched on error */
    ck_assert_msg(strstr(err.message, path) != NULL, "\"%s\" does not name %s", err.message, path);
    ck_assert_msg(strstr(err.message, needle) != NULL, "\"%s\" lacks \"%s\"", err.message, needle);
    if (needle2)
        ck_assert_msg(strstr(err.message, needle2) != NULL, "\"%s\" lacks \"%s\"", err.message,
                      needle2);
}

static void expect_same(const baton_trace *a, const baton_trace *b)
{
    ck_assert_uint_eq(baton_trace_count(b), baton_trace_count(a));
    ck_assert_uint_eq(baton_trace_total(b), baton_trace_total(a));
    ck_assert_uint_eq(baton_trace_dropped(b), baton_trace_dropped(a));
    ck_assert_uint_eq(baton_trace_span_count(b), baton_trace_span_count(a));
    ck_assert_uint_eq(baton_trace_span_total(b), baton_trace_span_total(a));
    ck_assert_uint_eq(baton_trace_span_dropped(b), baton_trace_span_dropped(a));
    /* sized to the file */
    uint32_t n = baton_trace_count(a);
    ck_assert_uint_eq(baton_trace_capacity(b), n ? n : 1);
    ck_assert_uint_eq(baton_trace_span_capacity(b), baton_trace_span_count(a));
    for (uint32_t i = 0; i < n; i++) {
        const baton_trace_event *x = baton_trace_event_at(a, i), *y = baton_trace_event_at(b, i);
        ck_assert_msg(baton_op_equal(&x->op, &y->op), "event %u differs", i);
        ck_assert_uint_eq(x->host_ns, y->host_ns);
    }
    for (uint32_t i = 0; i < baton_trace_span_count(a); i++) {
        const baton_trace_span *x = baton_trace_span_at(a, i), *y = baton_trace_span_at(b, i);
        ck_assert_uint_eq(x->frame, y->frame);
        ck_assert_uint_eq(x->start_ns, y->start_ns);
        ck_assert_uint_eq(x->end_ns, y->end_ns);
        ck_assert_uint_eq(x->stage, y->stage);
    }
}

/* ---- round trips ---- */

START_TEST(test_round_trip)
{
    baton_schedule sch = combo(_i), got = {0};
    baton_trace *t = make_trace(1000, 200);
    baton_error err = {0};
    tmp f = temp_file();
    record_frames(t, &sch, 0, FRAMES, UINT64_MAX);
    int fds = test_open_fd_count();
    save_ok(t, &sch, f.path);
    baton_trace *u = load_ok(f.path, &got);
    ck_assert_int_eq(test_open_fd_count(), fds);
    ck_assert_uint_eq(got.slots, sch.slots);
    ck_assert_int_eq(got.mode, sch.mode);
    expect_same(t, u);
    ck_assert_msg(baton_trace_check(u, &got, &err) == BATON_OK, "%s", err.message);

    /* the file is exactly header + records */
    size_t len;
    uint8_t *b = read_bytes(f.path, &len);
    ck_assert_uint_eq(len, HDR + EV * baton_trace_count(t) + SP * baton_trace_span_count(t));
    free(b);

    /* a loaded trace saves to the same bytes; load without a schedule */
    tmp g = temp_file();
    save_ok(u, &got, g.path);
    baton_trace_destroy(u);
    u = load_ok(g.path, NULL);
    expect_same(t, u);
    size_t len2;
    uint8_t *b1 = read_bytes(f.path, &len), *b2 = read_bytes(g.path, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert_int_eq(memcmp(b1, b2, len), 0);
    free(b1);
    free(b2);
    unlink(g.path);
    unlink(f.path);
    baton_trace_destroy(u);
    baton_trace_destroy(t);
}
END_TEST

/* Every event capacity from 1 up: the retained tail starts at every place
 * in a frame; after the round trip it still checks, with the same counts. */
START_TEST(test_round_trip_wrapped)
{
    baton_schedule sch = combo(_i), got;
    baton_error err = {0};
    tmp f = temp_file();
    for (uint32_t cap = 1; cap <= 60; cap++) {
        baton_trace *t = make_trace(cap, 7);
        record_frames(t, &sch, 0, FRAMES, UINT64_MAX);
        ck_assert_uint_gt(baton_trace_dropped(t), 0);
        save_ok(t, &sch, f.path);
        baton_trace *u = load_ok(f.path, &got);
        expect_same(t, u);
        ck_assert_msg(baton_trace_check(u, &got, &err) == BATON_OK, "cap %u: %s", cap,
                      err.message);
        baton_trace_destroy(u);
        baton_trace_destroy(t);
    }

    /* a wrapped trace with a swap in its retained tail still names the frame */
    baton_trace *t = make_trace(37, 7);
    record_frames(t, &sch, 0, FRAMES, 47);
    save_ok(t, &sch, f.path);
    baton_trace *u = load_ok(f.path, &got);
    ck_assert_int_eq(baton_trace_check(u, &got, &err), BATON_ERR_MISMATCH);
    ck_assert_msg(strstr(err.message, "frame 47)") != NULL, "%s", err.message);
    char want[32];
    snprintf(want, sizeof want, "trace event %" PRIu64 " ", baton_trace_dropped(t) +
             (uint64_t)(37 - (FRAMES - 47) * 4 + 1)); /* op 1 of frame 47, numbered from 0 */
    ck_assert_msg(strstr(err.message, want) != NULL, "\"%s\" lacks \"%s\"", err.message, want);
    baton_trace_destroy(u);
    baton_trace_destroy(t);
    unlink(f.path);
}
END_TEST

START_TEST(test_round_trip_empty_and_no_spans)
{
    baton_schedule sch = {.slots = 4, .mode = BATON_SYNC_BINARY}, got;
    baton_error err = {0};
    tmp f = temp_file();
    baton_trace *t = make_trace(8, 0); /* nothing recorded */
    save_ok(t, &sch, f.path);
    baton_trace *u = load_ok(f.path, &got);
    expect_same(t, u);
    ck_assert_int_eq(baton_trace_check(u, &got, &err), BATON_OK);
    baton_trace_destroy(u);

    record_frames(t, &sch, 0, 3, UINT64_MAX); /* spans counted, none kept */
    ck_assert_uint_eq(baton_trace_span_dropped(t), 6);
    save_ok(t, &sch, f.path);
    u = load_ok(f.path, &got);
    expect_same(t, u);
    ck_assert_uint_eq(baton_trace_span_total(u), 6);
    ck_assert_uint_eq(baton_trace_span_capacity(u), 0);
    ck_assert_uint_eq(got.slots, 4);
    ck_assert_int_eq(got.mode, BATON_SYNC_BINARY);
    baton_trace_destroy(u);
    baton_trace_destroy(t);
    unlink(f.path);
}
END_TEST

/* Fixed-width little-endian fields at the documented offsets. */
START_TEST(test_byte_layout)
{
    baton_schedule sch = {.slots = 3, .mode = BATON_SYNC_TIMELINE};
    baton_trace *t = make_trace(2, 1);
    baton_op op = {.frame = 0x1122334455667788u, .value = 0x0102030405060708u,
                   .sem = 0xa1b2c3d4u, .slot = 2, .stage = 1, .kind = 1, .role = 1};
    baton_trace_record(t, &op, 1); /* pushed out by the next two */
    baton_trace_record(t, &op, 0x8877665544332211u);
    op.frame = 7;
    baton_trace_record(t, &op, 9);
    baton_trace_record_span(t, 1, BATON_STAGE_VULKAN, 2, 3);
    baton_trace_record_span(t, 0xfedcba9876543210u, BATON_STAGE_VULKAN, 0x10, 0x20);
    tmp f = temp_file();
    save_ok(t, &sch, f.path);
    size_t len;
    uint8_t *b = read_bytes(f.path, &len);
    ck_assert_uint_eq(len, HDR + 2 * EV + SP);
    ck_assert_int_eq(memcmp(b, "BATONTRC", 8), 0);
    const uint8_t ver[4] = {1, 0, 0, 0};
    ck_assert_int_eq(memcmp(b + OFF_VERSION, ver, 4), 0);
    ck_assert_uint_eq(get_le(b + OFF_HEADER_SIZE, 4), HDR);
    ck_assert_uint_eq(get_le(b + OFF_EVENT_SIZE, 4), EV);
    ck_assert_uint_eq(get_le(b + OFF_SPAN_SIZE, 4), SP);
    ck_assert_uint_eq(get_le(b + OFF_SLOTS, 4), 3);
    ck_assert_uint_eq(get_le(b + OFF_MODE, 4), 1);
    ck_assert_uint_eq(get_le(b + OFF_EV_TOTAL, 8), 3);
    ck_assert_uint_eq(get_le(b + OFF_EV_DROPPED, 8), 1);
    ck_assert_uint_eq(get_le(b + OFF_SP_TOTAL, 8), 2);
    ck_assert_uint_eq(get_le(b + OFF_SP_DROPPED, 8), 1);
    ck_assert_uint_eq(get_le(b + OFF_EV_COUNT, 4), 2);
    ck_assert_uint_eq(get_le(b + OFF_SP_COUNT, 4), 1);
    const uint8_t ev0[EV] = {
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* frame */
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* value */
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* host_ns */
        0xd4, 0xc3, 0xb2, 0xa1,                         /* sem */
        2, 1, 1, 1,                                     /* slot stage kind role */
    };
    ck_assert_int_eq(memcmp(b + HDR, ev0, EV), 0);
    ck_assert_uint_eq(get_le(b + HDR + EV, 8), 7);
    ck_assert_uint_eq(get_le(b + HDR + EV + 16, 8), 9);
    const uint8_t sp0[SP] = {
        0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x10, 0, 0, 0, 0, 0, 0, 0,
        0x20, 0,    0,    0,    0,    0,    0,    0,    1,    0, 0, 0, 0, 0, 0, 0,
    };
    ck_assert_int_eq(memcmp(b + HDR + 2 * EV, sp0, SP), 0);
    free(b);
    unlink(f.path);
    baton_trace_destroy(t);
}
END_TEST

/* ---- malformed files ---- */

/* A small valid file (2 slots, 3 frames: 10 events, 6 spans, 584 bytes); its
 * bytes in *b. */
static tmp valid_file(uint8_t **b, size_t *len)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_trace *t = make_trace(100, 10);
    record_frames(t, &sch, 0, 3, UINT64_MAX);
    tmp f = temp_file();
    save_ok(t, &sch, f.path);
    baton_trace_destroy(t);
    *b = read_bytes(f.path, len);
    ck_assert_uint_eq(*len, HDR + 10 * EV + 6 * SP);
    return f;
}

START_TEST(test_bad_magic)
{
    uint8_t *b;
    size_t len;
    tmp f = valid_file(&b, &len);
    b[3] = 'X';
    write_bytes(f.path, b, len);
    expect_load_error(f.path, BATON_ERR_PARSE, "bad magic at offset 0", "got \"BATXNTRC\"");
    write_bytes(f.path, (const uint8_t *)"hi\n", 3); /* short and not a trace */
    expect_load_error(f.path, BATON_ERR_PARSE, "not a baton trace file", "got \"hi\\x0a\"");
    write_bytes(f.path, (const uint8_t *)"", 0);
    expect_load_error(f.path, BATON_ERR_PARSE, "truncated at offset 0", "header");
    free(b);
    unlink(f.path);
}
END_TEST

/* Every shorter prefix of a valid file is a parse error naming where the
 * file ends and which part is incomplete. */
START_TEST(test_truncated)
{
    uint8_t *b;
    size_t len;
    tmp f = valid_file(&b, &len);
    char at[48];
    for (size_t cut = len; cut-- > 0;) {
        write_bytes(f.path, b, cut);
        snprintf(at, sizeof at, "truncated at offset %zu:", cut);
        const char *part = cut < HDR ? "header" : cut < HDR + 10 * EV ? "event " : "span ";
        expect_load_error(f.path, BATON_ERR_PARSE, at, part);
    }
    /* the first missing record and its bytes are named */
    write_bytes(f.path, b, HDR + 3 * EV + 5);
    expect_load_error(f.path, BATON_ERR_PARSE, "event 3 of 10 needs bytes 168..199", NULL);
    write_bytes(f.path, b, HDR + 10 * EV + SP);
    expect_load_error(f.path, BATON_ERR_PARSE, "span 1 of 6 needs bytes 424..455", NULL);
    free(b);
    unlink(f.path);
}
END_TEST

typedef struct patch {
    unsigned off, width;
    uint64_t value;
    const char *needle, *needle2;
} patch;

/* One field changed in an otherwise valid file: a parse error naming the
 * field's offset. Counts far beyond the file fail before any allocation. */
START_TEST(test_bad_fields)
{
    static const patch cases[] = {
        {OFF_VERSION, 4, 2, "unsupported version 2 at offset 8", "reads version 1"},
        {OFF_VERSION, 4, 0, "unsupported version 0 at offset 8", NULL},
        {OFF_VERSION, 4, 0x01000000, "unsupported version 16777216 at offset 8", NULL},
        {OFF_HEADER_SIZE, 4, 80, "header size 80 at offset 12", NULL},
        {OFF_EVENT_SIZE, 4, 40, "event record size 40 at offset 16", NULL},
        {OFF_SPAN_SIZE, 4, 0, "span record size 0 at offset 20", NULL},
        {OFF_SLOTS, 4, 1, "schedule slots 1 at offset 24", "2..4"},
        {OFF_SLOTS, 4, 0xffffffff, "schedule slots 4294967295 at offset 24", NULL},
        {OFF_MODE, 4, 0, "sync mode 0 at offset 28", NULL},
        {OFF_MODE, 4, 3, "sync mode 3 at offset 28", NULL},
        {OFF_EV_TOTAL, 8, 9, "event counters disagree", "offset 32"},
        {OFF_EV_DROPPED, 8, 1, "event counters disagree", "offset 40"},
        {OFF_SP_TOTAL, 8, UINT64_MAX, "span counters disagree", "offset 48"},
        {OFF_SP_DROPPED, 8, UINT64_MAX, "span counters disagree", "offset 56"},
        {OFF_EV_COUNT, 4, 11, "event counters disagree", "offset 64"},
        {OFF_SP_COUNT, 4, 0xffffffff, "span counters disagree", "offset 68"},
        {HDR + 10 * EV + 4 * SP + 24, 1, 2, NULL, NULL}, /* span stage: not checked here */
        {HDR + 10 * EV + 4 * SP + 25, 1, 0x5a, "span 4: reserved byte at offset 545 is 0x5a",
         NULL},
        {HDR + 10 * EV + 5 * SP + 31, 1, 1, "reserved byte at offset 583", NULL},
    };
    uint8_t *b;
    size_t len;
    tmp f = valid_file(&b, &len);
    uint8_t *c = malloc(len + 64);
    ck_assert_ptr_nonnull(c);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(c, b, len);
        put_le(c + cases[i].off, cases[i].value, cases[i].width);
        write_bytes(f.path, c, len);
        if (cases[i].needle) {
            expect_load_error(f.path, BATON_ERR_PARSE, cases[i].needle, cases[i].needle2);
        } else { /* op and stage fields are data: they load, the check judges them */
            baton_trace_destroy(load_ok(f.path, NULL));
        }
    }

    /* huge counts that agree with their totals: caught against the file size */
    const uint32_t huge[] = {11, 1000, 0x7fffffff, 0xffffffff};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        memcpy(c, b, len);
        put_le(c + OFF_EV_COUNT, huge[i], 4);
        put_le(c + OFF_EV_TOTAL, huge[i], 8);
        write_bytes(f.path, c, len);
        char count[64];
        snprintf(count, sizeof count, "event count %" PRIu32 " at offset 64", huge[i]);
        expect_load_error(f.path, BATON_ERR_PARSE, "truncated at offset 584", count);

        memcpy(c, b, len);
        put_le(c + OFF_SP_COUNT, huge[i], 4);
        put_le(c + OFF_SP_TOTAL, huge[i], 8);
        write_bytes(f.path, c, len);
        snprintf(count, sizeof count, "span count %" PRIu32 " at offset 68", huge[i]);
        expect_load_error(f.path, BATON_ERR_PARSE, "truncated at offset 584", count);
    }

    /* fewer records than the file holds: data after the last one */
    memcpy(c, b, len);
    put_le(c + OFF_SP_COUNT, 5, 4);
    put_le(c + OFF_SP_DROPPED, 1, 8);
    write_bytes(f.path, c, len);
    expect_load_error(f.path, BATON_ERR_PARSE, "unexpected data at offset 552", "32 bytes");
    memcpy(c, b, len);
    c[len] = 0;
    write_bytes(f.path, c, len + 1);
    expect_load_error(f.path, BATON_ERR_PARSE, "unexpected data at offset 584", "1 bytes");
    free(c);
    free(b);
    unlink(f.path);
}
END_TEST

/* A pipe has no size up front: truncation and trailing data are found while
 * reading. The file's bytes come from a child through /dev/fd/N. */
static void load_from_pipe(const uint8_t *b, size_t len, baton_status want, const char *needle)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        ssize_t w = write(p[1], b, len);
        _exit(w == (ssize_t)len ? 0 : 1);
    }
    close(p[1]);
    char path[32];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    baton_trace *t = NULL;
    baton_schedule sch;
    baton_error err = {0};
    ck_assert_msg(baton_trace_load(path, &t, &sch, &err) == want, "%s", err.message);
    if (want == BATON_OK) {
        ck_assert_uint_eq(baton_trace_count(t), 10);
        ck_assert_uint_eq(baton_trace_span_count(t), 6);
        ck_assert_int_eq(baton_trace_check(t, &sch, &err), BATON_OK);
    } else {
        ck_assert_ptr_null(t);
        ck_assert_msg(strstr(err.message, needle) != NULL, "\"%s\" lacks \"%s\"", err.message,
                      needle);
    }
    baton_trace_destroy(t);
    close(p[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

START_TEST(test_load_from_pipe)
{
    uint8_t *b;
    size_t len;
    tmp f = valid_file(&b, &len);
    int fds = test_open_fd_count();
    load_from_pipe(b, len, BATON_OK, NULL);
    load_from_pipe(b, len - 7, BATON_ERR_PARSE, "truncated at offset 577: span 5 of 6");
    load_from_pipe(b, HDR + 40, BATON_ERR_PARSE, "truncated at offset 112: event 1 of 10");
    uint8_t *c = malloc(len + 1);
    ck_assert_ptr_nonnull(c);
    memcpy(c, b, len);
    c[len] = '\n';
    load_from_pipe(c, len + 1, BATON_ERR_PARSE, "unexpected data at offset 584");
    ck_assert_int_eq(test_open_fd_count(), fds);
    free(c);
    free(b);
    unlink(f.path);
}
END_TEST

/* A pipe's header may promise 4294967295 events and as many spans (256 GiB
 * of ring) and then send a few records: only what arrives may take memory.
 * The load runs in a child whose address space is capped at 1 GiB above what
 * it already maps, so a loader that trusts the counts fails there (found by
 * tests/fuzz/fuzz_trace_file: a 214-byte stream made it reserve 10.5 GiB). */
START_TEST(test_pipe_huge_counts)
{
    uint8_t *b;
    size_t len;
    tmp f = valid_file(&b, &len);
    put_le(b + OFF_EV_COUNT, 0xffffffff, 4);
    put_le(b + OFF_EV_TOTAL, 0xffffffff, 8);
    put_le(b + OFF_SP_COUNT, 0xffffffff, 4);
    put_le(b + OFF_SP_TOTAL, 0xffffffff, 8);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], b, len), (ssize_t)len); /* fits the pipe's buffer */
    close(p[1]);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        unsigned long pages = 0;
        FILE *statm = fopen("/proc/self/statm", "r");
        if (!statm || fscanf(statm, "%lu", &pages) != 1)
            _exit(2);
        fclose(statm);
        struct rlimit lim;
        lim.rlim_cur = lim.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (1ul << 30);
        if (setrlimit(RLIMIT_AS, &lim) != 0)
            _exit(2);
        char path[32];
        snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
        baton_trace *t = NULL;
        baton_error err = {0};
        baton_status st = baton_trace_load(path, &t, NULL, &err);
        const char *want = "truncated at offset 584: event 16 of 4294967295 needs bytes 584..615";
        if (st == BATON_ERR_PARSE && t == NULL && strstr(err.message, want))
            _exit(0);
        fprintf(stderr, "check_trace_file: huge counts from a pipe: status %d, \"%s\" (want "
                "BATON_ERR_PARSE, \"%s\")\n", (int)st, err.message, want);
        _exit(1);
    }
    close(p[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the load from a pipe promising 256 GiB of records failed (status 0x%x; "
                  "its message is on stderr above)", (unsigned)status);
    free(b);
    unlink(f.path);
}
END_TEST

/* ---- arguments, OS errors, descriptors ---- */

START_TEST(test_errors_and_fds)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_schedule bad = {.slots = 2, .mode = BATON_SYNC_AUTO};
    baton_trace *t = make_trace(16, 4), *u = NULL;
    baton_error err = {0};
    record_frames(t, &sch, 0, 3, UINT64_MAX);
    uint8_t *b;
    size_t len;
    tmp f = valid_file(&b, &len);
    int fds = test_open_fd_count();

    ck_assert_int_eq(baton_trace_save(NULL, &sch, f.path, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_trace_save(t, NULL, f.path, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_trace_save(t, &sch, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_trace_save(t, &bad, f.path, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "auto") != NULL, "%s", err.message);
    ck_assert_int_eq(baton_trace_load(NULL, &u, &sch, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_trace_load(f.path, NULL, &sch, &err), BATON_ERR_INVALID_ARGUMENT);

    const char *missing = "/nonexistent-baton-dir/trace.trc";
    ck_assert_int_eq(baton_trace_save(t, &sch, missing, &err), BATON_ERR_OS);
    ck_assert_msg(strstr(err.message, "fopen(\"/nonexistent-baton-dir/trace.trc\") failed") &&
                  strstr(err.message, strerror(ENOENT)), "%s", err.message);
    expect_load_error(missing, BATON_ERR_OS, "fopen", strerror(ENOENT));
    expect_load_error("/tmp", BATON_ERR_IO, "read failed at offset 0", strerror(EISDIR));
    if (access("/dev/full", W_OK) == 0) {
        ck_assert_int_eq(baton_trace_save(t, &sch, "/dev/full", &err), BATON_ERR_IO);
        ck_assert_msg(strstr(err.message, "/dev/full") && strstr(err.message, strerror(ENOSPC)),
                      "%s", err.message);
    } else {
        printf("SKIP check_trace_file /dev/full write error: /dev/full not writable\n");
    }
    /* every failing load path closes its file */
    uint8_t *c = malloc(len);
    ck_assert_ptr_nonnull(c);
    memcpy(c, b, len);
    c[0] = 0;
    write_bytes(f.path, c, len);
    expect_load_error(f.path, BATON_ERR_PARSE, "bad magic", NULL);
    write_bytes(f.path, b, len - 1);
    expect_load_error(f.path, BATON_ERR_PARSE, "truncated", NULL);
    memcpy(c, b, len);
    put_le(c + OFF_VERSION, 9, 4);
    write_bytes(f.path, c, len);
    expect_load_error(f.path, BATON_ERR_PARSE, "version", NULL);
    memcpy(c, b, len);
    put_le(c + OFF_EV_COUNT, 0xffffffff, 4);
    put_le(c + OFF_EV_TOTAL, 0xffffffff, 8);
    write_bytes(f.path, c, len);
    expect_load_error(f.path, BATON_ERR_PARSE, "event count", NULL);
    write_bytes(f.path, b, len);
    baton_trace_destroy(load_ok(f.path, NULL));
    ck_assert_int_eq(test_open_fd_count(), fds);

    free(c);
    free(b);
    unlink(f.path);
    baton_trace_destroy(t);
}
END_TEST

/* ---- the baton-trace tool, end to end ---- */

/* BATON_TOOLS_DIR, else the build directory make passes (BUILD), else
 * "build" (the suites run from the repository root). */
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

/* Run "TOOL ARGS" with stdout and stderr (or only stderr, when
 * only_stderr) into out; return the exit status. */
static int run_tool(const char *args, int only_stderr, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s %s", tool_path(), args,
             only_stderr ? "2>&1 >/dev/null" : "2>&1");
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen(%s): %s", cmd, strerror(errno));
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    ck_assert_msg(status != -1 && WIFEXITED(status), "%s: did not exit normally (%d)", cmd,
                  status);
    return WEXITSTATUS(status);
}

static void expect_output(const char *out, const char *needle)
{
    ck_assert_msg(strstr(out, needle) != NULL, "output lacks \"%s\":\n%s", needle, out);
}

/* Offset of the value field of op k of frame f in a saved trace. */
static long value_offset(const char *path, uint64_t frame, uint32_t k)
{
    baton_trace *t = load_ok(path, NULL);
    for (uint32_t i = 0; i < baton_trace_count(t); i++) {
        if (baton_trace_event_at(t, i)->op.frame == frame) {
            baton_trace_destroy(t);
            return (long)(HDR + (i + k) * EV + 8);
        }
    }
    baton_trace_destroy(t);
    ck_abort_msg("frame %" PRIu64 " not in %s", frame, path);
    return -1;
}

static void flip_byte(const char *path, long off, uint8_t mask)
{
    size_t len;
    uint8_t *b = read_bytes(path, &len);
    ck_assert_int_lt(off, (long)len);
    b[off] ^= mask;
    write_bytes(path, b, len);
    free(b);
}

START_TEST(test_tool_end_to_end)
{
    static const char *sync[] = {"timeline", "binary"};
    char out[8192], args[512];
    tool_path(); /* fails first, leaving no temp files */
    tmp f = temp_file(), j = temp_file();

    snprintf(args, sizeof args, "record-plan --slots 3 --sync %s --frames 20 %s", sync[_i],
             f.path);
    ck_assert_msg(run_tool(args, 0, out, sizeof out) == 0, "%s", out);
    expect_output(out, "wrote ");
    snprintf(args, sizeof args, "check %s", f.path);
    ck_assert_msg(run_tool(args, 0, out, sizeof out) == 0, "%s", out);
    char want[128];
    snprintf(want, sizeof want, "trace matches plan: 77 events, frames 0..19, 3 slots, %s\n",
             sync[_i]);
    expect_output(out, want);

    snprintf(args, sizeof args, "timeline %s --from 10 --to 10", f.path);
    ck_assert_msg(run_tool(args, 0, out, sizeof out) == 0, "%s", out);
    expect_output(out, "frame 10 (slot 1)\n");
    expect_output(out, "vulkan  span");
    ck_assert_msg(strstr(out, "frame 9 ") == NULL && strstr(out, "frame 11") == NULL, "%s", out);

    snprintf(args, sizeof args, "perfetto %s %s", f.path, j.path);
    ck_assert_msg(run_tool(args, 0, out, sizeof out) == 0, "%s", out);
    size_t len;
    uint8_t *json = read_bytes(j.path, &len);
    json[len] = 0;
    ck_assert_msg(strncmp((char *)json, "{\"traceEvents\":[", 16) == 0, "%.40s", json);
    free(json);

    /* flip a byte of the value of frame 10's compute signal */
    flip_byte(f.path, value_offset(f.path, 10, 1), 0x01);
    snprintf(args, sizeof args, "check %s", f.path);
    ck_assert_int_eq(run_tool(args, 0, out, sizeof out), 1);
    expect_output(out, "trace does not match plan");
    expect_output(out, "frame 10)");
    expect_output(out, "COMPUTE signal compute_done");

    /* a malformed file: exit 3 with the parse error */
    ck_assert_int_eq(truncate(f.path, 100), 0);
    ck_assert_int_eq(run_tool(args, 0, out, sizeof out), 3);
    expect_output(out, "truncated at offset 100");

    /* a wrapped ring, written by the tool, still checks */
    snprintf(args, sizeof args, "record-plan --slots 2 --sync %s --frames 100 --capacity 37 %s",
             sync[_i], f.path);
    ck_assert_msg(run_tool(args, 0, out, sizeof out) == 0, "%s", out);
    snprintf(args, sizeof args, "check %s", f.path);
    ck_assert_msg(run_tool(args, 0, out, sizeof out) == 0, "%s", out);
    expect_output(out, "trace matches plan: 37 events, frames 90..99, 2 slots");
    unlink(f.path);
    unlink(j.path);
}
END_TEST

/* --help to stdout with exit 0; bad usage: exit 2, one line on stderr. */
START_TEST(test_tool_usage)
{
    char out[8192];
    ck_assert_int_eq(run_tool("--help", 0, out, sizeof out), 0);
    expect_output(out, "usage: baton-trace check FILE");
    ck_assert_int_eq(run_tool("--help", 1, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    static const char *bad[] = {
        "",
        "frobnicate x",
        "check",
        "check a b",
        "check --bogus x",
        "perfetto x",
        "timeline x --from",
        "timeline x --from -3",
        "timeline x --from 5 --to 4",
        "record-plan --slots 2 --sync binary x",
        "record-plan --slots 9 --sync binary --frames 3 x",
        "record-plan --slots 2 --sync fast --frames 3 x",
        "record-plan --slots 2 --sync binary --frames 0 x",
        "record-plan --slots 2 --sync binary --frames 3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(run_tool(bad[i], 1, out, sizeof out) == 2, "'%s': %s", bad[i], out);
        char *nl = strchr(out, '\n');
        ck_assert_msg(nl && nl[1] == '\0' && strncmp(out, "baton-trace", 11) == 0,
                      "'%s' should give one line on stderr, gave:\n%s", bad[i], out);
    }
}
END_TEST

static Suite *trace_file_suite(void)
{
    Suite *s = suite_create("trace_file");
    TCase *rt = tcase_create("round_trip");
    tcase_set_timeout(rt, 60);
    tcase_add_loop_test(rt, test_round_trip, 0, 6);
    tcase_add_loop_test(rt, test_round_trip_wrapped, 0, 6);
    tcase_add_test(rt, test_round_trip_empty_and_no_spans);
    tcase_add_test(rt, test_byte_layout);
    suite_add_tcase(s, rt);

    TCase *bad = tcase_create("malformed");
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, test_bad_magic);
    tcase_add_test(bad, test_truncated);
    tcase_add_test(bad, test_bad_fields);
    tcase_add_test(bad, test_load_from_pipe);
    tcase_add_test(bad, test_pipe_huge_counts);
    tcase_add_test(bad, test_errors_and_fds);
    suite_add_tcase(s, bad);

    TCase *tool = tcase_create("tool");
    tcase_set_timeout(tool, 60);
    tcase_add_loop_test(tool, test_tool_end_to_end, 0, 2);
    tcase_add_test(tool, test_tool_usage);
    suite_add_tcase(s, tool);
    return s;
}

int main(void)
{
    return test_run_suite(trace_file_suite());
}
