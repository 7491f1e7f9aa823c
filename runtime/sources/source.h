/* source.h - where frames come from, behind one small interface.
 *
 * A source is chosen by name: "pattern[@FPS][:stop=N]", "y4m:FILE",
 * "pipe:FORMAT:WxH" (stdin or a fifo/fd), "v4l2:/dev/videoN",
 * "gst:PIPELINE" (a GStreamer launch description). open() gets
 * the format and size the configuration asks for and may replace them with
 * what the source really delivers (a Y4M header, a V4L2 negotiation); the
 * pipeline sizes everything from the values open() leaves; a wait in
 * open() (a GStreamer pipeline's first frame) is bounded by timeout_ms
 * too. next() writes
 * one tightly packed frame into dst (frame_bytes long) and must not
 * allocate; every wait in it is bounded by timeout_ms. */
#ifndef BATON_SOURCE_H
#define BATON_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/format.h"
#include "baton/error.h"
#include "baton/types.h"

typedef struct source source;

typedef struct source_ops {
    const char *scheme; /* the name before the first ':' or '@' */
    const char *usage;  /* one line for error messages and --help */
    baton_status (*open)(source *src, const char *arg, baton_error *err);
    /* *frame: the source's own frame number; *dropped += frames skipped;
     * *timestamp_ns: capture time (CLOCK_MONOTONIC) or 0 if unknown.
     * BATON_ERR_END_OF_STREAM at the end, BATON_ERR_TIMEOUT when nothing
     * arrives in time, BATON_ERR_DISCONNECTED when the device went away
     * (the pipeline's RESYNC then closes and reopens the source: close()
     * must release the device so that it can be opened again),
     * BATON_ERR_IO / BATON_ERR_PARSE for broken input. */
    baton_status (*next)(source *src, baton_drop_policy policy, uint8_t *dst, uint32_t timeout_ms,
                         uint64_t *frame, uint64_t *dropped, uint64_t *timestamp_ns,
                         baton_error *err);
    void (*close)(source *src); /* frees state; safe after a failed open */
    /* Optional: capture straight into the pipeline's staging buffers, one
     * per slot (count of them, bytes each, page-aligned, alive until close),
     * so that no CPU copies what the device wrote. After a successful bind,
     * next() is called with dst = the buffer of the frame's slot, in slot
     * order, and must deliver the frame in that very buffer; release(dst)
     * gives a buffer back to the device once the frame in it is retired. It
     * is called on the pipeline's completion thread, concurrently with
     * next(). BATON_ERR_UNSUPPORTED: not this device (the pipeline goes on
     * with next() writing into dst); other errors stop the pipeline. */
    baton_status (*bind)(source *src, uint8_t *const *buffers, uint32_t count, size_t bytes,
                         baton_error *err);
    void (*release)(source *src, const uint8_t *buffer);
} source_ops;

struct source {
    const source_ops *ops;
    const char *spec;     /* the full name given */
    baton_format format;  /* requested before open, delivered after */
    uint32_t width, height;
    uint32_t timeout_ms;  /* the bound on open()'s waits */
    size_t frame_bytes;   /* set by source_open from format and size */
    void *state;          /* the implementation's, owned by it */
    bool bound;           /* bind() succeeded: frames arrive in the staging buffers */
    char io[160];         /* how frames reach staging, for reports ("read into
                             staging", "V4L2 USERPTR: the camera writes into
                             staging (no CPU copy)", "V4L2 MMAP + one CPU copy a
                             frame (USERPTR refused: VIDIOC_REQBUFS: ...)") */
};

/* Pick the implementation by scheme and open it. Unknown schemes give
 * BATON_ERR_INVALID_ARGUMENT listing the known ones. */
baton_status source_open(source *src, const char *spec, baton_format format, uint32_t width,
                         uint32_t height, baton_error *err);
/* The same with the bound on open()'s waits (source_open: SOURCE_OPEN_TIMEOUT_MS). */
#define SOURCE_OPEN_TIMEOUT_MS 1000u
baton_status source_open_timed(source *src, const char *spec, baton_format format,
                               uint32_t width, uint32_t height, uint32_t timeout_ms,
                               baton_error *err);
baton_status source_next(source *src, baton_drop_policy policy, uint8_t *dst, uint32_t timeout_ms,
                         uint64_t *frame, uint64_t *dropped, uint64_t *timestamp_ns,
                         baton_error *err);
void source_close(source *src);
/* bind() where the source has it; BATON_OK and nothing bound otherwise, or
 * when the source says BATON_ERR_UNSUPPORTED (its io then says why). */
baton_status source_bind(source *src, uint8_t *const *buffers, uint32_t count, size_t bytes,
                         baton_error *err);
/* release() of a bound source; nothing otherwise. */
void source_release(source *src, const uint8_t *buffer);

extern const source_ops source_pattern_ops;
extern const source_ops source_y4m_ops;
extern const source_ops source_pipe_ops;
extern const source_ops source_v4l2_ops;
extern const source_ops source_gst_ops;

#endif
