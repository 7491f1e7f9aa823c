/* gst_util.c - GStreamer initialisation, bus message text and format
 * mapping shared by the gst source and sink (gst_util.h). */
#include "util/gst_util.h"

#include <stdio.h>
#include <string.h>

baton_status baton_gst_init(const char *who, baton_error *err)
{
    GError *gerr = NULL;
    if (gst_init_check(NULL, NULL, &gerr))
        return BATON_OK;
    baton_status st = baton_error_set(err, BATON_ERR_UNSUPPORTED, "%s: gst_init_check failed: %s",
                                      who, gerr ? gerr->message : "(no reason given)");
    if (gerr)
        g_error_free(gerr);
    return st;
}

char *baton_gst_message_text(GstMessage *msg, char *out, size_t n)
{
    GError *gerr = NULL;
    gchar *debug = NULL;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
        gst_message_parse_error(msg, &gerr, &debug);
    else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING)
        gst_message_parse_warning(msg, &gerr, &debug);
    const char *name = GST_MESSAGE_SRC(msg) ? GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)) : NULL;
    snprintf(out, n, "element '%s': %s%s%s%s", name ? name : "?",
             gerr ? gerr->message : "(no message)", debug ? " (debug: " : "", debug ? debug : "",
             debug ? ")" : "");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (gerr)
        g_error_free(gerr);
    g_free(debug);
    return out;
}

baton_status baton_gst_parse(const char *text, const char *desc, const char *note,
                             const char *who, GstElement **out, baton_error *err)
{
    GstParseContext *ctx = gst_parse_context_new();
    GError *gerr = NULL;
    GstElement *e = gst_parse_launch_full(text, ctx, GST_PARSE_FLAG_FATAL_ERRORS, &gerr);
    baton_status st = BATON_OK;
    gchar **missing = ctx ? gst_parse_context_get_missing_elements(ctx) : NULL;
    bool no_element = gerr && g_error_matches(gerr, GST_PARSE_ERROR,
                                              GST_PARSE_ERROR_NO_SUCH_ELEMENT);
    if (!e && no_element && missing && missing[0]) {
        gchar *names = g_strjoinv(", ", missing);
        st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                             "%s: no GStreamer element '%s' (in '%s'): not installed or "
                             "misspelt; gst-inspect-1.0 %s says which plugin has it",
                             who, names, desc, missing[0]);
        g_free(names);
    } else if (!e) {
        st = baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "%s: bad pipeline '%s'%s%s%s: %s",
                             who, desc, note ? " (" : "", note ? note : "", note ? ")" : "",
                             gerr ? gerr->message : "gst_parse_launch_full failed");
    } else if (!GST_IS_PIPELINE(e)) {
        GstElement *p = gst_pipeline_new(NULL);
        gst_bin_add(GST_BIN(p), e); /* takes e's floating reference */
        e = p;
    }
    g_strfreev(missing);
    if (gerr)
        g_error_free(gerr);
    if (ctx)
        gst_parse_context_free(ctx);
    *out = e;
    return st;
}

void baton_gst_find(GstElement *bin, GType type, GstElement **first, unsigned *count)
{
    *first = NULL;
    *count = 0;
    GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
    GValue v = G_VALUE_INIT;
    bool done = false;
    while (!done && it) {
        switch (gst_iterator_next(it, &v)) {
        case GST_ITERATOR_OK: {
            GObject *e = g_value_get_object(&v);
            if (G_TYPE_CHECK_INSTANCE_TYPE(e, type) && (*count)++ == 0)
                *first = GST_ELEMENT(gst_object_ref(e));
            g_value_reset(&v);
            break;
        }
        case GST_ITERATOR_RESYNC:
            if (*first)
                gst_object_unref(*first);
            *first = NULL;
            *count = 0;
            gst_iterator_resync(it);
            break;
        default:
            done = true;
            break;
        }
    }
    g_value_unset(&v);
    if (it)
        gst_iterator_free(it);
}

static const struct {
    baton_format format;
    GstVideoFormat gst;
} formats[] = {
    {BATON_FORMAT_YUYV, GST_VIDEO_FORMAT_YUY2},   {BATON_FORMAT_UYVY, GST_VIDEO_FORMAT_UYVY},
    {BATON_FORMAT_NV12, GST_VIDEO_FORMAT_NV12},   {BATON_FORMAT_GREY8, GST_VIDEO_FORMAT_GRAY8},
    {BATON_FORMAT_RGB24, GST_VIDEO_FORMAT_RGB},   {BATON_FORMAT_RGBA8, GST_VIDEO_FORMAT_RGBA},
};

GstVideoFormat baton_gst_format(baton_format fmt)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].format == fmt)
            return formats[i].gst;
    return GST_VIDEO_FORMAT_UNKNOWN;
}

bool baton_gst_to_format(GstVideoFormat gf, baton_format *out)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].gst == gf && formats[i].format != BATON_FORMAT_RGBA8) {
            *out = formats[i].format;
            return true;
        }
    return false;
}
