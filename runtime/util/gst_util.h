/* gst_util.h - what the GStreamer source and sink share: initialising
 * GStreamer once, turning a bus message into one line of text, and the
 * mapping between baton's formats and GStreamer's raw video formats.
 * Internal to the runtime. */
#ifndef BATON_GST_UTIL_H
#define BATON_GST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "baton/error.h"
#include "baton/format.h"

/* gst_init_check() once per process (GStreamer guards it itself; calling it
 * again is cheap). who: message prefix ("gst source"). */
baton_status baton_gst_init(const char *who, baton_error *err);

/* An ERROR or WARNING message as "element 'NAME': TEXT (debug: DEBUG)",
 * newlines in the debug string turned into spaces, written into out (n
 * bytes, always terminated). Returns out. */
char *baton_gst_message_text(GstMessage *msg, char *out, size_t n);

/* Parse text (a launch description) into a GstPipeline (a single element
 * is put in one). Messages start with who and name desc, what the user
 * wrote (text may be desc completed by baton: note says how, or NULL):
 * a missing element is BATON_ERR_UNSUPPORTED naming it, any other parse
 * error BATON_ERR_INVALID_ARGUMENT with GStreamer's reason. */
baton_status baton_gst_parse(const char *text, const char *desc, const char *note,
                             const char *who, GstElement **out, baton_error *err);

/* The elements of type `type` anywhere in bin: *count of them, and a new
 * reference to the first in *first (NULL when none). */
void baton_gst_find(GstElement *bin, GType type, GstElement **first, unsigned *count);

/* The GStreamer format of fmt (RGBA8, baton's output, is RGBA: the gst
 * sink's); and back for sources: false when a source does not take the
 * GStreamer format (RGBA included). */
GstVideoFormat baton_gst_format(baton_format fmt);
bool baton_gst_to_format(GstVideoFormat gf, baton_format *out);

/* The formats a source takes, as GStreamer names ("YUY2, UYVY, NV12, GRAY8,
 * RGB"), for messages. */
#define BATON_GST_SOURCE_FORMATS "YUY2, UYVY, NV12, GRAY8, RGB"

#endif
