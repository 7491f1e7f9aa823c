/* source_pattern.c - the deterministic pattern source, unpaced or paced.
 *
 * Spec: "pattern" (a new frame whenever asked), "pattern@FPS" (frames appear
 * on a clock at FPS, as a camera's would), with ":stop=N" appended to stop
 * delivering after N frames, as a camera that stops does, and/or ":replay":
 * each staging buffer is filled once, the first time it is handed over,
 * and later frames leave it as it is, like a camera that DMAs into memory
 * and costs the CPU nothing (the image then repeats every S frames; its
 * encoded frame number is that of the first fill). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/pattern.h"
#include "util/baton_internal.h"
#include "sources/source.h"
#include "util/fault.h"

typedef struct pattern_state {
    double fps;          /* 0: unpaced */
    uint64_t stop_after; /* 0: never; else no frame after this many (a stopped camera) */
    uint64_t next_index; /* next source frame number */
    uint64_t start_ns;
    bool replay;         /* fill each buffer once */
    const uint8_t *filled[16]; /* the buffers filled so far (replay) */
    size_t nfilled;
} pattern_state;

static baton_status parse_spec(pattern_state *src, const char *spec, const char *p,
                               baton_error *err)
{
    char *end;
    if (*p == '@') {
        src->fps = strtod(p + 1, &end);
        if (end == p + 1 || !(src->fps > 0 && src->fps <= 100000))
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "source '%s': FPS must be a number in (0, 100000]", spec);
        p = end;
    }
    for (int i = 0; i < 2; i++) {
        if (strncmp(p, ":stop=", 6) == 0 && !src->stop_after) {
            src->stop_after = strtoull(p + 6, &end, 10);
            if (end == p + 6 || src->stop_after == 0)
                return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                       "source '%s': stop= wants a frame count >= 1", spec);
            p = end;
        } else if (strncmp(p, ":replay", 7) == 0 && !src->replay) {
            src->replay = true;
            p += 7;
        }
    }
    if (*p != '\0')
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "source '%s': unexpected '%s'", spec, p);
    return BATON_OK;
}

static baton_status pattern_open(source *src, const char *arg, baton_error *err)
{
    pattern_state *ps = BATON_FAULT_PTR(calloc(1, sizeof *ps));
    if (!ps)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(pattern source) failed");
    src->state = ps;
    baton_status st = parse_spec(ps, src->spec, arg, err);
    if (st != BATON_OK)
        return st;
    if (src->width < BATON_PATTERN_MIN_WIDTH || src->height < BATON_PATTERN_MIN_HEIGHT)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "pattern source needs at least %ux%u, got %ux%u",
                               BATON_PATTERN_MIN_WIDTH, BATON_PATTERN_MIN_HEIGHT, src->width,
                               src->height);
    ps->start_ns = baton_now_ns();
    return BATON_OK;
}

static void pattern_close(source *src)
{
    free(src->state);
}

static void sleep_until(uint64_t t_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000u),
                          .tv_nsec = (long)(t_ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

/* When paced frame i becomes available. */
static uint64_t frame_time(const pattern_state *src, uint64_t i)
{
    return src->start_ns + (uint64_t)((double)i * 1e9 / src->fps);
}

/* Replay: whether dst was filled before (and note it if not). */
static bool already_filled(pattern_state *src, const uint8_t *dst)
{
    for (size_t k = 0; k < src->nfilled; k++)
        if (src->filled[k] == dst)
            return true;
    if (src->nfilled < BATON_ARRAY_LEN(src->filled))
        src->filled[src->nfilled++] = dst;
    return false;
}

static baton_status pattern_next(source *s, baton_drop_policy policy, uint8_t *dst,
                                 uint32_t timeout_ms, uint64_t *frame, uint64_t *dropped,
                                 uint64_t *timestamp_ns, baton_error *err)
{
    pattern_state *src = s->state;
    uint64_t i = src->next_index;
    uint64_t now = baton_now_ns();
    if (src->fps > 0 && policy == BATON_POLICY_NEWEST && frame_time(src, i) <= now) {
        /* newest available frame; the ones between were missed */
        uint64_t newest = (uint64_t)((double)(now - src->start_ns) * src->fps / 1e9);
        if (src->stop_after && newest >= src->stop_after)
            newest = src->stop_after - 1;
        if (newest > i) {
            *dropped += newest - i;
            i = newest;
        }
    }
    if (src->stop_after && i >= src->stop_after) {
        /* a stopped camera: wait out the timeout, then say so */
        sleep_until(now + (uint64_t)timeout_ms * 1000000u);
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "source %s: no frame within %u ms after frame %llu (camera stopped?)",
                               s->spec, timeout_ms, (unsigned long long)(i ? i - 1 : 0));
    }
    if (src->fps > 0) {
        uint64_t t = frame_time(src, i);
        if (t > now + (uint64_t)timeout_ms * 1000000u)
            return baton_error_set(err, BATON_ERR_TIMEOUT,
                                   "source %s: frame %llu is due after the %u ms timeout",
                                   s->spec, (unsigned long long)i, timeout_ms);
        if (t > now)
            sleep_until(t);
    }
    if (!src->replay || !already_filled(src, dst))
        baton_pattern_fill(s->format, s->width, s->height, i, dst);
    *frame = i;
    *timestamp_ns = src->fps > 0 ? frame_time(src, i) : 0;
    src->next_index = i + 1;
    return BATON_OK;
}

const source_ops source_pattern_ops = {
    .scheme = "pattern",
    .usage = "pattern[@FPS][:stop=N][:replay]",
    .open = pattern_open,
    .next = pattern_next,
    .close = pattern_close,
};
