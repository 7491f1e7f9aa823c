/* source_pipe.c - raw frames from standard input, a FIFO, a file or a
 * descriptor.
 *
 * Spec: "pipe:FORMAT:WxH[:PATH]". FORMAT is YUYV, UYVY, NV12, GREY or RGB24
 * (baton_format_parse spellings); frames are tightly packed, back to back,
 * exactly baton_format_frame_size bytes each. PATH is a FIFO or file path,
 * "-" or nothing for standard input, or "fd=N" for a descriptor the caller
 * owns; standard input and fd=N are never closed.
 *
 * Every wait is a poll() bounded by next()'s timeout (BATON_ERR_TIMEOUT
 * "pipe source: no data within T ms"). The end of the stream at a frame
 * boundary is BATON_ERR_END_OF_STREAM; inside a frame it is BATON_ERR_IO
 * naming the missing bytes. A frame that timed out half-read is skipped on
 * the next call (counted as dropped) so frames stay aligned.
 *
 * Policy NEWEST on a pipe, FIFO or socket: when more than one whole frame
 * is already queued (FIONREAD), the older ones are read and discarded and
 * counted in *dropped, so the newest is delivered. BACKPRESSURE, or a
 * regular file, delivers every frame in order. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/source.h"
#include "sources/source_io.h"
#include "util/fault.h"

#define PIPE_MAX_DIMENSION 32768u

typedef struct pipe_state {
    source_io io;
    uint64_t next_index; /* source frame number of the next frame */
    size_t resync;       /* bytes of a timed-out frame still to skip */
} pipe_state;

/* A decimal number in 1..PIPE_MAX_DIMENSION, from p up to end. */
static bool parse_dim(const char *p, const char *end, uint32_t *out)
{
    if (p == end || end - p > 5)
        return false;
    uint32_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    if (v == 0 || v > PIPE_MAX_DIMENSION)
        return false;
    *out = v;
    return true;
}

static baton_status usage(const source *src, baton_error *err, const char *why)
{
    return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                           "source '%s': %s (expected pipe:FORMAT:WxH[:PATH|-|fd=N])", src->spec,
                           why);
}

static baton_status pipe_open(source *src, const char *arg, baton_error *err)
{
    pipe_state *ps = BATON_FAULT_PTR(calloc(1, sizeof *ps));
    if (!ps)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(pipe source) failed");
    src->state = ps;
    ps->io.fd = -1;
    if (arg[0] != ':')
        return usage(src, err, "no format");
    const char *fmt = arg + 1;
    const char *size = strchr(fmt, ':');
    if (!size)
        return usage(src, err, "no frame size");
    char name[16];
    size_t fn = (size_t)(size - fmt);
    if (fn == 0 || fn >= sizeof name)
        return usage(src, err, "bad format");
    memcpy(name, fmt, fn);
    name[fn] = '\0';
    baton_format format;
    baton_error perr;
    if (baton_format_parse(name, &format, &perr) != BATON_OK)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "source '%s': %s", src->spec,
                               perr.message);
    if (format == BATON_FORMAT_RGBA8)
        return usage(src, err, "RGBA8 is an output format, not a source format");
    size++;
    const char *path_sep = strchr(size, ':');
    const char *size_end = path_sep ? path_sep : size + strlen(size);
    const char *x = memchr(size, 'x', (size_t)(size_end - size));
    uint32_t w, h;
    if (!x || !parse_dim(size, x, &w) || !parse_dim(x + 1, size_end, &h))
        return usage(src, err, "bad frame size, want WxH with W and H in 1..32768");
    baton_status st = baton_format_check_size(format, w, h, err);
    if (st != BATON_OK)
        return st;
    const char *path = path_sep ? path_sep + 1 : "-";
    if (*path == '\0')
        return usage(src, err, "empty PATH");
    st = source_io_open(&ps->io, path, 0, "pipe source", err);
    if (st != BATON_OK)
        return st;
    src->format = format;
    src->width = w;
    src->height = h;
    return BATON_OK;
}

static void pipe_close(source *src)
{
    pipe_state *ps = src->state;
    if (!ps)
        return;
    source_io_close(&ps->io); /* closes only what it opened: never stdin or fd=N */
    free(ps);
}

/* Read one whole frame into dst. On a timeout mid-frame the rest is left
 * for the next call to skip. */
static baton_status read_frame(source *s, pipe_state *ps, uint8_t *dst, uint32_t timeout_ms,
                               uint64_t deadline, baton_error *err)
{
    size_t got;
    baton_status st = source_io_read(&ps->io, dst, s->frame_bytes, deadline, &got, "pipe source", err);
    if (st == BATON_ERR_TIMEOUT) {
        ps->resync = s->frame_bytes - got;
        if (got == 0)
            return baton_error_set(err, st, "pipe source: no data within %u ms (waiting for frame %llu)",
                                   timeout_ms, (unsigned long long)ps->next_index);
        return baton_error_set(err, st,
                               "pipe source: no data within %u ms (frame %llu incomplete: %zu of %zu bytes)",
                               timeout_ms, (unsigned long long)ps->next_index, got, s->frame_bytes);
    }
    if (st != BATON_OK)
        return st;
    if (got == 0)
        return baton_error_set(err, BATON_ERR_END_OF_STREAM,
                               "pipe source: end of stream after %llu frames",
                               (unsigned long long)ps->next_index);
    if (got < s->frame_bytes)
        return baton_error_set(err, BATON_ERR_IO,
                               "pipe source: stream ended inside frame %llu: got %zu of %zu bytes, "
                               "%zu missing",
                               (unsigned long long)ps->next_index, got, s->frame_bytes,
                               s->frame_bytes - got);
    return BATON_OK;
}

static baton_status pipe_next(source *s, baton_drop_policy policy, uint8_t *dst,
                              uint32_t timeout_ms, uint64_t *frame, uint64_t *dropped,
                              uint64_t *timestamp_ns, baton_error *err)
{
    (void)timestamp_ns;
    pipe_state *ps = s->state;
    uint64_t deadline = source_io_deadline(timeout_ms);
    while (ps->resync) { /* the rest of a frame an earlier call gave up on */
        size_t want = ps->resync, got;
        baton_status st = source_io_read(&ps->io, dst, want, deadline, &got, "pipe source", err);
        ps->resync -= got;
        if (st == BATON_ERR_TIMEOUT)
            return baton_error_set(err, st,
                                   "pipe source: no data within %u ms (frame %llu incomplete: "
                                   "%zu of %zu bytes)",
                                   timeout_ms, (unsigned long long)ps->next_index,
                                   s->frame_bytes - ps->resync, s->frame_bytes);
        if (st != BATON_OK)
            return st;
        if (got < want)
            return baton_error_set(err, BATON_ERR_IO,
                                   "pipe source: stream ended inside frame %llu: got %zu of %zu "
                                   "bytes, %zu missing",
                                   (unsigned long long)ps->next_index,
                                   s->frame_bytes - ps->resync, s->frame_bytes, ps->resync);
        (*dropped)++;
        ps->next_index++;
    }
    size_t avail;
    if (policy == BATON_POLICY_NEWEST && source_io_available(&ps->io, &avail)) {
        /* whole frames queued beyond the newest are stale: read past them */
        for (size_t k = avail / s->frame_bytes; k > 1; k--) {
            baton_status st = read_frame(s, ps, dst, timeout_ms, deadline, err);
            if (st != BATON_OK)
                return st;
            (*dropped)++;
            ps->next_index++;
        }
    }
    baton_status st = read_frame(s, ps, dst, timeout_ms, deadline, err);
    if (st != BATON_OK)
        return st;
    *frame = ps->next_index++;
    return BATON_OK;
}

const source_ops source_pipe_ops = {
    .scheme = "pipe",
    .usage = "pipe:FORMAT:WxH[:PATH|-|fd=N]",
    .open = pipe_open,
    .next = pipe_next,
    .close = pipe_close,
};
