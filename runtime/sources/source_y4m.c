/* source_y4m.c - frames from a YUV4MPEG2 (.y4m) stream.
 *
 * Spec: "y4m:FILE" or "y4m:FILE:loop". FILE is a path (a regular file or a
 * FIFO), "-" for standard input or "fd=N" for a descriptor the caller owns
 * (neither is closed). ":loop" rewinds to the first frame at the end of the
 * stream (regular files only); without it the end gives
 * BATON_ERR_END_OF_STREAM.
 *
 * The stream header is "YUV4MPEG2" and space-separated tokens, each a tag
 * letter and a value, ended by '\n':
 *   W<width> H<height>       required, 1..32768
 *   F<num>:<den>             frame rate ("0:0" unknown)
 *   I<p|t|b|m|?>             interlacing (frames are delivered as stored)
 *   A<num>:<den>             pixel aspect ("0:0" unknown)
 *   C<colour space>          420jpeg, 420paldv, 420mpeg2, 420 (4:2:0
 *                            planar), 422 (4:2:2 planar), mono (luma only);
 *                            420jpeg when absent
 *   X<anything>              extension / comment, ignored
 * Unknown tags are ignored, as the format asks of readers. Each frame is
 * "FRAME" with optional space-separated parameters, '\n', then the planes
 * (Y, then Cb, then Cr) tightly packed. The planes are converted while
 * reading: 4:2:0 to NV12 (Cb and Cr interleaved), 4:2:2 to YUYV, mono to
 * GREY8, and the source's format and size become the header's.
 *
 * The stream header is read in open(); from a FIFO it must arrive within
 * Y4M_HEADER_TIMEOUT_MS. Every read in next() is bounded by its timeout on
 * a FIFO (poll()); a frame that timed out half-read is skipped on the next
 * call and counted as dropped. Malformed headers give BATON_ERR_PARSE naming
 * the file and the byte offset, a stream that ends inside a frame
 * BATON_ERR_IO ("truncated frame N: got X of Y bytes"). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/source.h"
#include "sources/source_io.h"
#include "util/fault.h"

#define Y4M_HEADER_TIMEOUT_MS 5000u
#define Y4M_MAX_DIMENSION 32768u
#define Y4M_READ_BUFFER (64u * 1024u) /* also the longest header line */

typedef enum y4m_chroma { Y4M_420, Y4M_422, Y4M_MONO } y4m_chroma;

static const struct {
    const char *name;
    y4m_chroma chroma;
} colour_spaces[] = {
    {"420jpeg", Y4M_420}, {"420paldv", Y4M_420}, {"420mpeg2", Y4M_420},
    {"420", Y4M_420},     {"422", Y4M_422},      {"mono", Y4M_MONO},
};

typedef struct y4m_state {
    source_io io;
    char *path;
    char *who;             /* "y4m source PATH": message prefix */
    bool loop;
    y4m_chroma chroma;
    uint32_t width, height;
    size_t luma, payload;  /* bytes of the Y plane and of a whole stored frame */
    uint8_t *scratch;      /* chroma planes (4:2:0) or the whole frame (4:2:2) */
    uint64_t data_start;   /* byte offset of the first FRAME */
    uint64_t next_index;   /* source frame number of the next frame */
    uint64_t since_rewind; /* frames read since the start or the last rewind */
    size_t resync;         /* bytes of a timed-out frame still to skip */
} y4m_state;

/* Up to 24 bytes of p as printable text, for messages. */
static const char *shown(const char *p, size_t n, char out[32])
{
    size_t k = n < 24 ? n : 24;
    for (size_t i = 0; i < k; i++)
        out[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
    strcpy(out + k, n > k ? "..." : "");
    return out;
}

/* A decimal number of n digits, no sign, at most max. */
static bool parse_uint(const char *p, size_t n, uint32_t max, uint32_t *out)
{
    if (n == 0 || n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "N:D", both zero (unknown) or both non-zero. */
static bool parse_ratio(const char *p, size_t n)
{
    const char *colon = memchr(p, ':', n);
    uint32_t num, den;
    if (!colon || !parse_uint(p, (size_t)(colon - p), UINT32_MAX, &num) ||
        !parse_uint(colon + 1, n - (size_t)(colon - p) - 1, UINT32_MAX, &den))
        return false;
    return (num == 0) == (den == 0);
}

static baton_status parse_header(source *src, y4m_state *ys, const char *line, size_t len,
                                 baton_error *err)
{
    char txt[32];
    if (len < 9 || memcmp(line, "YUV4MPEG2", 9) != 0 || (len > 9 && line[9] != ' '))
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s: byte offset 0: not a YUV4MPEG2 stream (header starts '%s')",
                               ys->who, shown(line, len, txt));
    bool have_w = false, have_h = false;
    unsigned long long w_at = 0;
    ys->chroma = Y4M_420; /* C420jpeg when C is absent */
    const char *cs_name = "420jpeg";
    for (size_t i = 9; i < len;) {
        if (line[i] == ' ') {
            i++;
            continue;
        }
        const char *tok = line + i;
        const char *sp = memchr(tok, ' ', len - i);
        size_t n = sp ? (size_t)(sp - tok) : len - i;
        unsigned long long at = (unsigned long long)i; /* the header starts the stream */
        const char *val = tok + 1;
        size_t vn = n - 1;
        bool ok = true;
        const char *what = NULL;
        switch (tok[0]) {
        case 'W':
            ok = parse_uint(val, vn, Y4M_MAX_DIMENSION, &ys->width) && ys->width > 0;
            what = "width (W, 1..32768)";
            have_w = ok;
            w_at = at;
            break;
        case 'H':
            ok = parse_uint(val, vn, Y4M_MAX_DIMENSION, &ys->height) && ys->height > 0;
            what = "height (H, 1..32768)";
            have_h = ok;
            break;
        case 'F':
            ok = parse_ratio(val, vn);
            what = "frame rate (F, N:D)";
            break;
        case 'A':
            ok = parse_ratio(val, vn);
            what = "pixel aspect (A, N:D)";
            break;
        case 'I':
            ok = vn == 1 && strchr("ptbm?", val[0]) != NULL;
            what = "interlacing (I, one of p t b m ?)";
            break;
        case 'C': {
            ok = false;
            for (size_t k = 0; k < sizeof colour_spaces / sizeof colour_spaces[0]; k++)
                if (strlen(colour_spaces[k].name) == vn &&
                    memcmp(colour_spaces[k].name, val, vn) == 0) {
                    ys->chroma = colour_spaces[k].chroma;
                    cs_name = colour_spaces[k].name;
                    ok = true;
                }
            if (!ok)
                return baton_error_set(err, BATON_ERR_PARSE,
                                       "%s: byte offset %llu: unsupported colour space '%s' "
                                       "(baton reads C420jpeg, C420paldv, C420mpeg2, C420, "
                                       "C422, Cmono)",
                                       ys->who, at, shown(tok, n, txt));
            break;
        }
        default: /* X (extensions, comments) and tags unknown to us */
            break;
        }
        if (!ok)
            return baton_error_set(err, BATON_ERR_PARSE, "%s: byte offset %llu: bad %s: '%s'",
                                   ys->who, at, what, shown(tok, n, txt));
        i += n;
    }
    if (!have_w || !have_h)
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s: byte offset %zu: stream header has no %s", ys->who, len,
                               !have_w ? (!have_h ? "width (W) nor height (H)" : "width (W)")
                                       : "height (H)");
    if (ys->chroma != Y4M_MONO && (ys->width % 2 || (ys->chroma == Y4M_420 && ys->height % 2)))
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s: byte offset %llu: %ux%u is not supported for C%s "
                               "(baton needs an even width%s)",
                               ys->who, w_at, ys->width, ys->height, cs_name,
                               ys->chroma == Y4M_420 ? " and height" : "");
    size_t luma = (size_t)ys->width * ys->height;
    ys->luma = luma;
    switch (ys->chroma) {
    case Y4M_420:
        ys->payload = luma + luma / 2;
        src->format = BATON_FORMAT_NV12;
        break;
    case Y4M_422:
        ys->payload = luma * 2;
        src->format = BATON_FORMAT_YUYV;
        break;
    case Y4M_MONO:
        ys->payload = luma;
        src->format = BATON_FORMAT_GREY8;
        break;
    }
    src->width = ys->width;
    src->height = ys->height;
    return BATON_OK;
}

static baton_status y4m_open(source *src, const char *arg, baton_error *err)
{
    y4m_state *ys = BATON_FAULT_PTR(calloc(1, sizeof *ys));
    if (!ys)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(y4m source) failed");
    src->state = ys;
    ys->io.fd = -1;
    if (arg[0] != ':' || arg[1] == '\0')
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "source '%s': expected y4m:FILE[:loop]", src->spec);
    ys->path = BATON_FAULT_PTR(strdup(arg + 1));
    if (!ys->path)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "strdup(y4m path) failed");
    size_t n = strlen(ys->path);
    if (n > 5 && strcmp(ys->path + n - 5, ":loop") == 0) {
        ys->loop = true;
        ys->path[n - 5] = '\0';
    }
    if (asprintf(&ys->who, "y4m source %s", ys->path) < 0) {
        ys->who = NULL;
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "asprintf(y4m name) failed");
    }
    baton_status st = source_io_open(&ys->io, ys->path, Y4M_READ_BUFFER, ys->who, err);
    if (st != BATON_OK)
        return st;
    if (ys->loop && !ys->io.regular)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "%s: ':loop' needs a regular file (this one cannot be rewound)",
                               ys->who);
    const char *line;
    size_t len;
    st = source_io_line(&ys->io, source_io_deadline(Y4M_HEADER_TIMEOUT_MS), &line, &len,
                        ys->who, err);
    if (st == BATON_ERR_TIMEOUT)
        return baton_error_set(err, st, "%s: no stream header within %u ms", ys->who,
                               Y4M_HEADER_TIMEOUT_MS);
    if (st == BATON_ERR_END_OF_STREAM)
        return baton_error_set(err, BATON_ERR_PARSE,
                               len ? "%s: byte offset %zu: the stream ends inside its "
                                     "YUV4MPEG2 header (no '\\n')"
                                   : "%s: byte offset %zu: empty stream, no YUV4MPEG2 header",
                               ys->who, len);
    if (st != BATON_OK)
        return st;
    st = parse_header(src, ys, line, len, err);
    if (st != BATON_OK)
        return st;
    ys->data_start = ys->io.offset;
    if (ys->chroma != Y4M_MONO) {
        /* 4:2:0: the two chroma planes; 4:2:2: the whole stored frame */
        ys->scratch = BATON_FAULT_PTR(malloc(ys->chroma == Y4M_420 ? ys->payload - ys->luma : ys->payload));
        if (!ys->scratch)
            return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY,
                                   "%s: malloc for the plane buffer failed", ys->who);
    }
    return BATON_OK;
}

static void y4m_close(source *src)
{
    y4m_state *ys = src->state;
    if (!ys)
        return;
    source_io_close(&ys->io);
    free(ys->scratch);
    free(ys->who);
    free(ys->path);
    free(ys);
}

/* Planes as stored -> the packed format the pipeline takes. */
static void convert(const y4m_state *ys, uint8_t *dst)
{
    uint32_t w = ys->width, h = ys->height, cw = w / 2;
    if (ys->chroma == Y4M_420) { /* Y already in dst; interleave Cb, Cr */
        size_t n = (size_t)cw * (h / 2);
        const uint8_t *cb = ys->scratch, *cr = ys->scratch + n;
        uint8_t *uv = dst + ys->luma;
        for (size_t i = 0; i < n; i++) {
            uv[2 * i] = cb[i];
            uv[2 * i + 1] = cr[i];
        }
    } else if (ys->chroma == Y4M_422) {
        const uint8_t *yp = ys->scratch, *cb = yp + ys->luma, *cr = cb + (size_t)cw * h;
        for (uint32_t y = 0; y < h; y++) {
            const uint8_t *yr = yp + (size_t)y * w, *ur = cb + (size_t)y * cw,
                          *vr = cr + (size_t)y * cw;
            uint8_t *o = dst + (size_t)y * w * 2;
            for (uint32_t i = 0; i < cw; i++, o += 4) {
                o[0] = yr[2 * i];
                o[1] = ur[i];
                o[2] = yr[2 * i + 1];
                o[3] = vr[i];
            }
        }
    } /* mono: read straight into dst */
}

/* Finish skipping a frame that an earlier call gave up on; it counts as dropped. */
static baton_status skip_partial(source *s, y4m_state *ys, uint8_t *dst, uint32_t timeout_ms,
                                 uint64_t deadline, uint64_t *dropped, baton_error *err)
{
    while (ys->resync) {
        size_t want = ys->resync < s->frame_bytes ? ys->resync : s->frame_bytes, got;
        baton_status st = source_io_read(&ys->io, dst, want, deadline, &got, ys->who, err);
        ys->resync -= got;
        if (st == BATON_ERR_TIMEOUT)
            return baton_error_set(err, st, "%s: no data within %u ms (frame %llu: %zu of %zu bytes)",
                                   ys->who, timeout_ms, (unsigned long long)ys->next_index,
                                   ys->payload - ys->resync, ys->payload);
        if (st != BATON_OK)
            return st;
        if (got < want)
            return baton_error_set(err, BATON_ERR_IO, "%s: truncated frame %llu: got %zu of %zu bytes",
                                   ys->who, (unsigned long long)ys->next_index,
                                   ys->payload - ys->resync, ys->payload);
    }
    (*dropped)++;
    ys->next_index++;
    return BATON_OK;
}

static baton_status y4m_next(source *s, baton_drop_policy policy, uint8_t *dst,
                             uint32_t timeout_ms, uint64_t *frame, uint64_t *dropped,
                             uint64_t *timestamp_ns, baton_error *err)
{
    (void)policy; /* a file is read in order; there is no "newest" frame */
    (void)timestamp_ns;
    y4m_state *ys = s->state;
    uint64_t deadline = source_io_deadline(timeout_ms);
    baton_status st = BATON_OK;
    if (ys->resync && (st = skip_partial(s, ys, dst, timeout_ms, deadline, dropped, err)) != BATON_OK)
        return st;
    unsigned long long n = (unsigned long long)ys->next_index;
    const char *line;
    size_t len;
    uint64_t at = ys->io.offset;
    st = source_io_line(&ys->io, deadline, &line, &len, ys->who, err);
    if (st == BATON_ERR_END_OF_STREAM && len == 0 && ys->loop && ys->since_rewind > 0) {
        st = source_io_seek(&ys->io, ys->data_start, ys->who, err);
        if (st != BATON_OK)
            return st;
        ys->since_rewind = 0;
        at = ys->io.offset;
        st = source_io_line(&ys->io, deadline, &line, &len, ys->who, err);
    }
    if (st == BATON_ERR_END_OF_STREAM)
        return len == 0 ? baton_error_set(err, st, "%s: end of stream after %llu frames",
                                          ys->who, n)
                        : baton_error_set(err, BATON_ERR_IO,
                                          "%s: truncated frame %llu: the stream ends inside its "
                                          "FRAME header (byte offset %llu, %zu bytes)",
                                          ys->who, n, (unsigned long long)at, len);
    if (st == BATON_ERR_TIMEOUT)
        return baton_error_set(err, st, "%s: no data within %u ms (waiting for frame %llu)",
                               ys->who, timeout_ms, n);
    if (st != BATON_OK)
        return st;
    if (len < 5 || memcmp(line, "FRAME", 5) != 0 || (len > 5 && line[5] != ' ')) {
        char txt[32];
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s: byte offset %llu: expected the FRAME header of frame %llu, "
                               "found '%s'",
                               ys->who, (unsigned long long)at, n, shown(line, len, txt));
    }
    /* frame parameters (I, X, ...) after "FRAME " change nothing here */

    uint8_t *first = ys->chroma == Y4M_422 ? ys->scratch : dst;
    size_t first_bytes = ys->chroma == Y4M_420 ? ys->luma : ys->payload;
    size_t got = 0, part;
    st = source_io_read(&ys->io, first, first_bytes, deadline, &part, ys->who, err);
    got += part;
    if (st == BATON_OK && part == first_bytes && ys->chroma == Y4M_420) {
        st = source_io_read(&ys->io, ys->scratch, ys->payload - ys->luma, deadline, &part,
                            ys->who, err);
        got += part;
    }
    if (st == BATON_ERR_TIMEOUT) {
        ys->resync = ys->payload - got; /* skipped by the next call */
        return baton_error_set(err, st, "%s: no data within %u ms (frame %llu: %zu of %zu bytes)",
                               ys->who, timeout_ms, n, got, ys->payload);
    }
    if (st != BATON_OK)
        return st;
    if (got < ys->payload)
        return baton_error_set(err, BATON_ERR_IO, "%s: truncated frame %llu: got %zu of %zu bytes",
                               ys->who, n, got, ys->payload);
    convert(ys, dst);
    *frame = ys->next_index++;
    ys->since_rewind++;
    return BATON_OK;
}

const source_ops source_y4m_ops = {
    .scheme = "y4m",
    .usage = "y4m:FILE[:loop]",
    .open = y4m_open,
    .next = y4m_next,
    .close = y4m_close,
};
