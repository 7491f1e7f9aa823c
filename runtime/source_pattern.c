/* source_pattern.c - the deterministic pattern source, unpaced or paced.
 *
 * Spec: "pattern" (a new frame whenever asked), "pattern@FPS" (frames appear
 * on a clock at FPS, as a camera's would), with ":stop=N" appended to stop
 * delivering after N frames, as a camera that stops does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton/pattern.h"
#include "pipeline_internal.h"

static baton_status parse_spec(source *src, const char *spec, baton_error *err)
{
    if (strncmp(spec, "pattern", 7) != 0)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "unknown source '%s' (this build has: pattern, pattern@FPS, "
                               "pattern@FPS:stop=N)", spec);
    const char *p = spec + 7;
    char *end;
    if (*p == '@') {
        src->fps = strtod(p + 1, &end);
        if (end == p + 1 || !(src->fps > 0 && src->fps <= 100000))
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "source '%s': FPS must be a number in (0, 100000]", spec);
        p = end;
    }
    if (strncmp(p, ":stop=", 6) == 0) {
        src->stop_after = strtoull(p + 6, &end, 10);
        if (end == p + 6 || src->stop_after == 0)
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "source '%s': stop= wants a frame count >= 1", spec);
        p = end;
    }
    if (*p != '\0')
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "source '%s': unexpected '%s'", spec, p);
    return BATON_OK;
}

baton_status source_open(source *src, const char *spec, baton_format format, uint32_t width,
                         uint32_t height, baton_error *err)
{
    memset(src, 0, sizeof *src);
    src->name = spec;
    src->format = format;
    src->width = width;
    src->height = height;
    baton_status st = parse_spec(src, spec, err);
    if (st != BATON_OK)
        return st;
    if (width < BATON_PATTERN_MIN_WIDTH || height < BATON_PATTERN_MIN_HEIGHT)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "pattern source needs at least %ux%u, got %ux%u",
                               BATON_PATTERN_MIN_WIDTH, BATON_PATTERN_MIN_HEIGHT, width, height);
    src->start_ns = baton_now_ns();
    return BATON_OK;
}

static void sleep_until(uint64_t t_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000u),
                          .tv_nsec = (long)(t_ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

/* When paced frame i becomes available. */
static uint64_t frame_time(const source *src, uint64_t i)
{
    return src->start_ns + (uint64_t)((double)i * 1e9 / src->fps);
}

baton_status source_next(source *src, baton_drop_policy policy, uint8_t *dst, uint32_t timeout_ms,
                         uint64_t *frame, uint64_t *dropped, baton_error *err)
{
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
                               src->name, timeout_ms, (unsigned long long)(i ? i - 1 : 0));
    }
    if (src->fps > 0) {
        uint64_t t = frame_time(src, i);
        if (t > now + (uint64_t)timeout_ms * 1000000u)
            return baton_error_set(err, BATON_ERR_TIMEOUT,
                                   "source %s: frame %llu is due after the %u ms timeout",
                                   src->name, (unsigned long long)i, timeout_ms);
        if (t > now)
            sleep_until(t);
    }
    baton_pattern_fill(src->format, src->width, src->height, i, dst);
    *frame = i;
    src->next_index = i + 1;
    return BATON_OK;
}
