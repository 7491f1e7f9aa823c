/* trace_file.c - trace files: baton_trace_save and baton_trace_load.
 * The version 1 layout is described in baton/trace.h. Every field is
 * encoded byte by byte as little-endian, so the file is the same on every
 * host and no struct layout leaks into it. */
#include "baton/trace.h"
#include "frame/trace_internal.h"
#include "util/fault.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TF_MAGIC "BATONTRC"
#define TF_MAGIC_LEN 8u
#define TF_VERSION 1u
#define TF_HEADER 72u
#define TF_EVENT 32u
#define TF_SPAN 32u
#define TF_MODE_TIMELINE 1u
#define TF_MODE_BINARY 2u
#define TF_STREAM_CHUNK (64u * 1024u) /* first buffer for a stream's records */

/* Byte offsets of the header fields. */
enum {
    OFF_VERSION = 8,
    OFF_HEADER_SIZE = 12,
    OFF_EVENT_SIZE = 16,
    OFF_SPAN_SIZE = 20,
    OFF_SLOTS = 24,
    OFF_MODE = 28,
    OFF_EV_TOTAL = 32,
    OFF_EV_DROPPED = 40,
    OFF_SP_TOTAL = 48,
    OFF_SP_DROPPED = 56,
    OFF_EV_COUNT = 64,
    OFF_SP_COUNT = 68,
};

/* ---- little-endian fields ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void encode_event(uint8_t b[TF_EVENT], const baton_trace_event *e)
{
    put_u64(b, e->op.frame);
    put_u64(b + 8, e->op.value);
    put_u64(b + 16, e->host_ns);
    put_u32(b + 24, e->op.sem);
    b[28] = e->op.slot;
    b[29] = e->op.stage;
    b[30] = e->op.kind;
    b[31] = e->op.role;
}

static baton_trace_event decode_event(const uint8_t b[TF_EVENT])
{
    baton_trace_event e = {
        .op = {.frame = get_u64(b), .value = get_u64(b + 8), .sem = get_u32(b + 24),
               .slot = b[28], .stage = b[29], .kind = b[30], .role = b[31]},
        .host_ns = get_u64(b + 16),
    };
    return e;
}

static void encode_span(uint8_t b[TF_SPAN], const baton_trace_span *s)
{
    memset(b, 0, TF_SPAN);
    put_u64(b, s->frame);
    put_u64(b + 8, s->start_ns);
    put_u64(b + 16, s->end_ns);
    b[24] = s->stage;
}

/* ---- save ---- */

/* A stream and the errno of its first failed write (0: none yet). */
typedef struct writer {
    FILE *f;
    int err;
} writer;

static void put(writer *w, const uint8_t *buf, size_t n)
{
    if (w->err)
        return;
    errno = 0;
    if (fwrite(buf, 1, n, w->f) != n)
        w->err = errno ? errno : EIO;
}

static void encode_header(uint8_t h[TF_HEADER], const baton_trace *t, const baton_schedule *sch)
{
    memset(h, 0, TF_HEADER);
    memcpy(h, TF_MAGIC, TF_MAGIC_LEN);
    put_u32(h + OFF_VERSION, TF_VERSION);
    put_u32(h + OFF_HEADER_SIZE, TF_HEADER);
    put_u32(h + OFF_EVENT_SIZE, TF_EVENT);
    put_u32(h + OFF_SPAN_SIZE, TF_SPAN);
    put_u32(h + OFF_SLOTS, sch->slots);
    put_u32(h + OFF_MODE, sch->mode == BATON_SYNC_TIMELINE ? TF_MODE_TIMELINE : TF_MODE_BINARY);
    put_u64(h + OFF_EV_TOTAL, baton_trace_total(t));
    put_u64(h + OFF_EV_DROPPED, baton_trace_dropped(t));
    put_u64(h + OFF_SP_TOTAL, baton_trace_span_total(t));
    put_u64(h + OFF_SP_DROPPED, baton_trace_span_dropped(t));
    put_u32(h + OFF_EV_COUNT, baton_trace_count(t));
    put_u32(h + OFF_SP_COUNT, baton_trace_span_count(t));
}

baton_status baton_trace_save(const baton_trace *t, const baton_schedule *sch,
                              const char *path, baton_error *err)
{
    if (!t || !sch || !path)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_trace_save: %s is NULL",
                               !t ? "trace" : !sch ? "schedule" : "path");
    baton_status st = baton_schedule_validate(sch, err);
    if (st != BATON_OK)
        return st;
    writer w = {.f = BATON_FAULT_PTR(fopen(path, "wb"))};
    if (!w.f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\") failed: %s", path,
                               strerror(errno));
    uint8_t buf[TF_HEADER];
    encode_header(buf, t, sch);
    put(&w, buf, TF_HEADER);
    for (uint32_t i = 0; i < baton_trace_count(t); i++) {
        encode_event(buf, baton_trace_event_at(t, i));
        put(&w, buf, TF_EVENT);
    }
    for (uint32_t i = 0; i < baton_trace_span_count(t); i++) {
        encode_span(buf, baton_trace_span_at(t, i));
        put(&w, buf, TF_SPAN);
    }
    int write_err = w.err;
    if (fclose(w.f) != 0 && !write_err)
        return baton_error_set(err, BATON_ERR_IO, "fclose(\"%s\") failed: %s", path,
                               strerror(errno));
    if (write_err)
        return baton_error_set(err, BATON_ERR_IO, "fwrite(\"%s\") failed: %s", path,
                               strerror(write_err));
    return BATON_OK;
}

/* ---- load ---- */

typedef struct reader {
    FILE *f;
    const char *path;
    uint64_t off;  /* bytes consumed so far */
    uint64_t size; /* file size, UINT64_MAX when not a regular file */
    baton_error *err;
    /* A stream's records, read ahead by read_stream (NULL: read from f). */
    uint8_t *recs;
    uint64_t recs_len, recs_pos;
} reader;

/* status with "trace file \"PATH\": " and the formatted detail. */
__attribute__((format(printf, 3, 4)))
static baton_status fail(const reader *r, baton_status status, const char *fmt, ...)
{
    char detail[BATON_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return baton_error_set(r->err, status, "trace file \"%s\": %s", r->path, detail);
}

/* Read exactly n bytes of `what` (e.g. "event 3 of 40") at r->off, from
 * the file or from the records read_stream read ahead. */
static baton_status read_exact(reader *r, uint8_t *buf, size_t n, const char *what)
{
    if (r->recs) {
        if (r->recs_len - r->recs_pos < n) /* read_stream saw them all arrive */
            return fail(r, BATON_ERR_STATE, "internal: %s is past the records read", what);
        memcpy(buf, r->recs + r->recs_pos, n);
        r->recs_pos += n;
        r->off += n;
        return BATON_OK;
    }
    size_t got = fread(buf, 1, n, r->f);
    uint64_t start = r->off;
    r->off += got;
    if (got == n)
        return BATON_OK;
    if (ferror(r->f))
        return fail(r, BATON_ERR_IO, "read failed at offset %" PRIu64 ": %s", r->off,
                    strerror(errno ? errno : EIO));
    return fail(r, BATON_ERR_PARSE,
                "truncated at offset %" PRIu64 ": %s needs bytes %" PRIu64 "..%" PRIu64, r->off,
                what, start, start + n - 1);
}

/* The first 8 bytes as text, non-printable bytes as \xNN. */
static const char *magic_text(const uint8_t *h, size_t n, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < TF_MAGIC_LEN && k + 5 < len; i++) {
        if (h[i] >= 0x20 && h[i] < 0x7f && h[i] != '"' && h[i] != '\\')
            buf[k++] = (char)h[i];
        else
            k += (size_t)snprintf(buf + k, len - k, "\\x%02x", (unsigned)h[i]);
        buf[k] = '\0';
    }
    return buf;
}

/* Magic first (so any other file is "not a trace file", even a short one),
 * then the rest of the header must be there. */
static baton_status read_header(reader *r, uint8_t h[TF_HEADER])
{
    size_t got = fread(h, 1, TF_HEADER, r->f);
    size_t m = got < TF_MAGIC_LEN ? got : TF_MAGIC_LEN;
    char text[4 * TF_MAGIC_LEN + 1];
    if (ferror(r->f))
        return fail(r, BATON_ERR_IO, "read failed at offset %zu: %s", got,
                    strerror(errno ? errno : EIO));
    if (memcmp(h, TF_MAGIC, m) != 0)
        return fail(r, BATON_ERR_PARSE,
                    "not a baton trace file: bad magic at offset 0 (expected \"" TF_MAGIC
                    "\", got \"%s\")", magic_text(h, m, text, sizeof text));
    r->off = got;
    if (got < TF_HEADER)
        return fail(r, BATON_ERR_PARSE,
                    "truncated at offset %zu: the header needs bytes 0..%u", got, TF_HEADER - 1);
    return BATON_OK;
}

static baton_status check_u32(const reader *r, const uint8_t *h, int off, const char *what,
                              uint32_t want)
{
    uint32_t v = get_u32(h + off);
    if (v == want)
        return BATON_OK;
    return fail(r, BATON_ERR_PARSE, "%s %" PRIu32 " at offset %d: version %u has %" PRIu32,
                what, v, off, TF_VERSION, want);
}

static baton_status parse_schedule(const reader *r, const uint8_t *h, baton_schedule *sch)
{
    uint32_t slots = get_u32(h + OFF_SLOTS), mode = get_u32(h + OFF_MODE);
    if (slots < BATON_SLOTS_MIN || slots > BATON_SLOTS_MAX)
        return fail(r, BATON_ERR_PARSE, "schedule slots %" PRIu32 " at offset %d: must be %u..%u",
                    slots, OFF_SLOTS, BATON_SLOTS_MIN, BATON_SLOTS_MAX);
    if (mode != TF_MODE_TIMELINE && mode != TF_MODE_BINARY)
        return fail(r, BATON_ERR_PARSE,
                    "schedule sync mode %" PRIu32 " at offset %d: must be %u (timeline) or %u "
                    "(binary)", mode, OFF_MODE, TF_MODE_TIMELINE, TF_MODE_BINARY);
    sch->slots = slots;
    sch->mode = mode == TF_MODE_TIMELINE ? BATON_SYNC_TIMELINE : BATON_SYNC_BINARY;
    return BATON_OK;
}

/* total == retained + dropped, without overflow. */
static baton_status check_counters(const reader *r, const uint8_t *h, const char *what,
                                   int off_total, int off_dropped, int off_count)
{
    uint64_t total = get_u64(h + off_total), dropped = get_u64(h + off_dropped);
    uint32_t count = get_u32(h + off_count);
    if (total >= count && total - count == dropped)
        return BATON_OK;
    return fail(r, BATON_ERR_PARSE,
                "%s counters disagree: total %" PRIu64 " (offset %d) != retained %" PRIu32
                " (offset %d) + dropped %" PRIu64 " (offset %d)",
                what, total, off_total, count, off_count, dropped, off_dropped);
}

/* For a regular file, compare its size with what the header promises
 * before allocating anything, so huge counts fail here. */
static baton_status check_size(const reader *r, uint32_t ne, uint32_t ns)
{
    uint64_t ev_end = TF_HEADER + (uint64_t)ne * TF_EVENT;
    uint64_t need = ev_end + (uint64_t)ns * TF_SPAN;
    if (r->size == UINT64_MAX || r->size < TF_HEADER || r->size == need) /* < header: it changed */
        return BATON_OK;
    if (r->size > need)
        return fail(r, BATON_ERR_PARSE,
                    "unexpected data at offset %" PRIu64 ": %" PRIu64 " bytes after the last "
                    "record (the header counts %" PRIu32 " events and %" PRIu32 " spans)",
                    need, r->size - need, ne, ns);
    /* the first record the file cannot hold, and the counts that asked for it */
    int spans = r->size >= ev_end;
    uint64_t base = spans ? ev_end : TF_HEADER, size = spans ? TF_SPAN : TF_EVENT;
    uint64_t i = (r->size - base) / size;
    return fail(r, BATON_ERR_PARSE,
                "truncated at offset %" PRIu64 ": %s %" PRIu64 " of %" PRIu32
                " needs bytes %" PRIu64 "..%" PRIu64 " (the header promises %" PRIu64
                " bytes: event count %" PRIu32 " at offset %d, span count %" PRIu32
                " at offset %d)",
                r->size, spans ? "span" : "event", i, spans ? ns : ne, base + i * size,
                base + (i + 1) * size - 1, need, ne, OFF_EV_COUNT, ns, OFF_SP_COUNT);
}

/* A stream (a pipe: size unknown) cannot be checked against the header
 * before reading, and trusting its counts would reserve up to 256 GiB for a
 * 72-byte header. Its records are read into memory that grows with the
 * bytes that arrive (never past what the header promises), so the trace is
 * created only for records that are really there. A stream that ends early
 * gets the message a short file gets. */
static baton_status read_stream(reader *r, uint32_t ne, uint32_t ns)
{
    uint64_t need = (uint64_t)ne * TF_EVENT + (uint64_t)ns * TF_SPAN, got = 0, cap = 0;
    uint8_t *buf = NULL;
    while (got < need) {
        if (got == cap) {
            uint64_t grow = cap ? cap : TF_STREAM_CHUNK; /* doubling, from one chunk */
            cap = need - cap > grow ? cap + grow : need;
            uint8_t *grown = cap <= SIZE_MAX ? BATON_FAULT_PTR(realloc(buf, (size_t)cap)) : NULL;
            if (!grown) {
                free(buf);
                return fail(r, BATON_ERR_OUT_OF_MEMORY,
                            "no memory for %" PRIu64 " bytes of records (offset %" PRIu64 ")",
                            cap, r->off + got);
            }
            buf = grown;
        }
        size_t n = fread(buf + got, 1, (size_t)(cap - got), r->f);
        got += n;
        if (n == 0)
            break;
    }
    if (got < need) {
        free(buf);
        int spans = got >= (uint64_t)ne * TF_EVENT;
        uint64_t base = spans ? (uint64_t)ne * TF_EVENT : 0, size = spans ? TF_SPAN : TF_EVENT;
        uint64_t i = (got - base) / size, start = TF_HEADER + base + i * size;
        r->off = TF_HEADER + got;
        if (ferror(r->f))
            return fail(r, BATON_ERR_IO, "read failed at offset %" PRIu64 ": %s", r->off,
                        strerror(errno ? errno : EIO));
        return fail(r, BATON_ERR_PARSE,
                    "truncated at offset %" PRIu64 ": %s %" PRIu64 " of %" PRIu32
                    " needs bytes %" PRIu64 "..%" PRIu64,
                    r->off, spans ? "span" : "event", i, spans ? ns : ne, start, start + size - 1);
    }
    r->recs = buf;
    r->recs_len = got;
    r->recs_pos = 0;
    return BATON_OK;
}

static baton_status read_records(reader *r, baton_trace *t, uint32_t ne, uint32_t ns)
{
    uint8_t b[TF_EVENT > TF_SPAN ? TF_EVENT : TF_SPAN];
    char what[64];
    for (uint32_t i = 0; i < ne; i++) {
        snprintf(what, sizeof what, "event %" PRIu32 " of %" PRIu32, i, ne);
        baton_status st = read_exact(r, b, TF_EVENT, what);
        if (st != BATON_OK)
            return st;
        baton_trace_event e = decode_event(b);
        baton_trace_record(t, &e.op, e.host_ns);
    }
    for (uint32_t i = 0; i < ns; i++) {
        snprintf(what, sizeof what, "span %" PRIu32 " of %" PRIu32, i, ns);
        baton_status st = read_exact(r, b, TF_SPAN, what);
        if (st != BATON_OK)
            return st;
        for (unsigned k = 25; k < TF_SPAN; k++) {
            if (b[k] != 0)
                return fail(r, BATON_ERR_PARSE,
                            "span %" PRIu32 ": reserved byte at offset %" PRIu64
                            " is 0x%02x, not 0", i, r->off - TF_SPAN + k, (unsigned)b[k]);
        }
        baton_trace_record_span(t, get_u64(b), (baton_stage)b[24], get_u64(b + 8),
                                get_u64(b + 16));
    }
    if (fgetc(r->f) != EOF) /* not a regular file: size unknown until now */
        return fail(r, BATON_ERR_PARSE, "unexpected data at offset %" PRIu64
                    " after the last record", r->off);
    if (ferror(r->f))
        return fail(r, BATON_ERR_IO, "read failed at offset %" PRIu64 ": %s", r->off,
                    strerror(errno ? errno : EIO));
    return BATON_OK;
}

/* Everything after fopen; the caller closes the file. */
static baton_status load_from(reader *r, baton_trace **out, baton_schedule *sch_out)
{
    uint8_t h[TF_HEADER];
    baton_schedule sch;
    baton_status st = read_header(r, h);
    if (st != BATON_OK)
        return st;
    uint32_t version = get_u32(h + OFF_VERSION);
    if (version != TF_VERSION)
        return fail(r, BATON_ERR_PARSE,
                    "unsupported version %" PRIu32 " at offset %d (this build reads version %u)",
                    version, OFF_VERSION, TF_VERSION);
    if ((st = check_u32(r, h, OFF_HEADER_SIZE, "header size", TF_HEADER)) != BATON_OK ||
        (st = check_u32(r, h, OFF_EVENT_SIZE, "event record size", TF_EVENT)) != BATON_OK ||
        (st = check_u32(r, h, OFF_SPAN_SIZE, "span record size", TF_SPAN)) != BATON_OK ||
        (st = parse_schedule(r, h, &sch)) != BATON_OK ||
        (st = check_counters(r, h, "event", OFF_EV_TOTAL, OFF_EV_DROPPED, OFF_EV_COUNT)) !=
            BATON_OK ||
        (st = check_counters(r, h, "span", OFF_SP_TOTAL, OFF_SP_DROPPED, OFF_SP_COUNT)) !=
            BATON_OK)
        return st;
    uint32_t ne = get_u32(h + OFF_EV_COUNT), ns = get_u32(h + OFF_SP_COUNT);
    if ((st = check_size(r, ne, ns)) != BATON_OK)
        return st;
    if (r->size == UINT64_MAX && (st = read_stream(r, ne, ns)) != BATON_OK)
        return st;
    baton_trace *t = NULL;
    if ((st = baton_trace_create(ne ? ne : 1, ns, &t, r->err)) != BATON_OK)
        return st;
    if ((st = read_records(r, t, ne, ns)) != BATON_OK) {
        baton_trace_destroy(t);
        return st;
    }
    baton_trace_restore_dropped(t, get_u64(h + OFF_EV_DROPPED), get_u64(h + OFF_SP_DROPPED));
    if (sch_out)
        *sch_out = sch;
    *out = t;
    return BATON_OK;
}

baton_status baton_trace_load(const char *path, baton_trace **out, baton_schedule *sch,
                              baton_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_trace_load: %s is NULL",
                               path ? "out" : "path");
    reader r = {.f = BATON_FAULT_PTR(fopen(path, "rb")), .path = path, .size = UINT64_MAX, .err = err};
    if (!r.f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\") failed: %s", path,
                               strerror(errno));
    struct stat stt;
    if (fstat(fileno(r.f), &stt) == 0 && S_ISREG(stt.st_mode))
        r.size = (uint64_t)stt.st_size;
    baton_status st = load_from(&r, out, sch);
    free(r.recs);
    fclose(r.f); /* read-only: nothing to lose */
    return st;
}
