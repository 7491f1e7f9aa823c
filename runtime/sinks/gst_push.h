/* gst_push.h - frames into a GStreamer pipeline through an appsrc, from a
 * fixed set of buffers that wrap the caller's memory: the gst sink's
 * machinery, apart from the sink interface (internal to the runtime).
 *
 * Buffer i wraps frames[i] (made once at create: a GstBuffer with one
 * read-only GstMemory over the caller's bytes, no copy). A pushed buffer
 * is GStreamer's until its last reference goes: its dispose hook then takes
 * it back (the way a GstBufferPool recycles its buffers) and marks it free.
 * So nothing is allocated per frame, and the caller writes frames[i] only
 * after gst_push_wait_free(i). Every wait is bounded by timeout_ms.
 *
 * Thread safety: wait_free and frame may run on different threads (the
 * pipeline's submitting thread and its completion thread); each buffer's
 * state is under one lock. create, finish and destroy run alone. */
#ifndef BATON_GST_PUSH_H
#define BATON_GST_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

#define GST_PUSH_MAX_BUFFERS 8u

typedef struct gst_push gst_push;

/* desc: a launch description; without an appsrc, "appsrc name=baton_appsrc
 * ! " is put before it (with one, that appsrc is used; more than one is an
 * error). The appsrc gets caps video/x-raw, format=RGBA, width, height,
 * framerate=0/1 (frames carry their own times). frames[0..count-1]: the
 * caller's memory, `bytes` each (RGBA8 rows of width * 4 bytes), kept by
 * the caller until gst_push_destroy. The pipeline is set PLAYING; an error
 * it posts while starting is returned. Errors name the element:
 * "gst sink: element 'filesink0': ...". */
baton_status gst_push_create(const char *desc, uint32_t width, uint32_t height,
                             void *const *frames, uint32_t count, size_t bytes,
                             uint32_t timeout_ms, gst_push **out, baton_error *err);

/* Wait until buffer i is back from GStreamer (BATON_ERR_TIMEOUT after
 * timeout_ms; the pipeline's error if it failed meanwhile). */
baton_status gst_push_wait_free(gst_push *g, uint32_t i, baton_error *err);

/* Push buffer i, which now holds a frame, stamped with time_ns
 * (CLOCK_MONOTONIC): its PTS is time_ns less the first frame's, never
 * going back. */
baton_status gst_push_frame(gst_push *g, uint32_t i, uint64_t time_ns, baton_error *err);

/* Wait (bounded) until GStreamer has given back every buffer pushed. */
baton_status gst_push_wait_idle(gst_push *g, baton_error *err);

/* End of stream: tell the appsrc, then wait (bounded) until it has reached
 * every sink of the pipeline, so muxers have finished their files. Frames
 * after this are an error. Calling it again returns the first result. */
baton_status gst_push_finish(gst_push *g, baton_error *err);

/* Frames pushed so far. */
uint64_t gst_push_count(const gst_push *g);

/* Stop the pipeline (joins its threads) and free everything; safe on NULL
 * and after a failed create. */
void gst_push_destroy(gst_push *g);

#endif
