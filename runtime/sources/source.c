/* source.c - choose a source implementation by name. */
#include "sources/source.h"

#include <stdio.h>
#include <string.h>

/* Every source baton knows; add new ones here. */
static const source_ops *const sources[] = {
    &source_pattern_ops,
    &source_y4m_ops,
    &source_pipe_ops,
    &source_v4l2_ops,
    &source_gst_ops,
};

static const source_ops *find(const char *spec)
{
    size_t n = strcspn(spec, ":@");
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (strlen(sources[i]->scheme) == n && strncmp(spec, sources[i]->scheme, n) == 0)
            return sources[i];
    return NULL;
}

baton_status source_open(source *src, const char *spec, baton_format format, uint32_t width,
                         uint32_t height, baton_error *err)
{
    return source_open_timed(src, spec, format, width, height, SOURCE_OPEN_TIMEOUT_MS, err);
}

baton_status source_open_timed(source *src, const char *spec, baton_format format,
                               uint32_t width, uint32_t height, uint32_t timeout_ms,
                               baton_error *err)
{
    memset(src, 0, sizeof *src);
    src->spec = spec;
    src->timeout_ms = timeout_ms;
    src->format = format;
    src->width = width;
    src->height = height;
    src->ops = find(spec);
    if (!src->ops) {
        char known[512] = "";
        for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
            size_t used = strlen(known);
            snprintf(known + used, sizeof known - used, "%s%s", i ? "; " : "", sources[i]->usage);
        }
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "unknown source '%s' (known: %s)",
                               spec, known);
    }
    const char *arg = spec + strlen(src->ops->scheme);
    baton_status st = src->ops->open(src, arg, err);
    if (st == BATON_OK && !src->io[0])
        snprintf(src->io, sizeof src->io, "written into staging by the source");
    if (st == BATON_OK) {
        src->frame_bytes = baton_format_frame_size(src->format, src->width, src->height);
        if (src->frame_bytes == 0)
            st = baton_format_check_size(src->format, src->width, src->height, err);
    }
    if (st != BATON_OK) {
        source_close(src);
        return st;
    }
    return BATON_OK;
}

baton_status source_next(source *src, baton_drop_policy policy, uint8_t *dst, uint32_t timeout_ms,
                         uint64_t *frame, uint64_t *dropped, uint64_t *timestamp_ns,
                         baton_error *err)
{
    *timestamp_ns = 0;
    return src->ops->next(src, policy, dst, timeout_ms, frame, dropped, timestamp_ns, err);
}

baton_status source_bind(source *src, uint8_t *const *buffers, uint32_t count, size_t bytes,
                         baton_error *err)
{
    if (!src->ops->bind)
        return BATON_OK;
    baton_error why;
    baton_status st = src->ops->bind(src, buffers, count, bytes, &why);
    if (st == BATON_ERR_UNSUPPORTED)
        return BATON_OK; /* it copies; src->io says so */
    if (st != BATON_OK) {
        if (err)
            *err = why;
        return st;
    }
    src->bound = true;
    return BATON_OK;
}

void source_release(source *src, const uint8_t *buffer)
{
    if (src->bound && src->ops->release)
        src->ops->release(src, buffer);
}

void source_close(source *src)
{
    if (src->ops && src->ops->close)
        src->ops->close(src);
    src->state = NULL;
    src->ops = NULL;
}
