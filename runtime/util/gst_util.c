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
