/* source_gst.c - frames from a GStreamer pipeline: "gst:PIPELINE".
 *
 * PIPELINE is a gst-launch-1.0 description. When it has no appsink, baton
 * completes it with " ! videoconvert ! videoscale ! appsink"; when it has
 * one (exactly one), that appsink is used as it is.
 *
 * Caps: the appsink baton adds, or a user's appsink without caps, is given
 * "video/x-raw, format={F, YUY2, NV12, UYVY, GRAY8, RGB}" with the
 * configured format F first, so GStreamer picks it where upstream can. The
 * first frame's caps give the source's format and size (src->format,
 * width, height are overwritten). With the completed pipeline the appsink's
 * caps are then pinned to that format and size, so when upstream changes
 * caps mid-stream (a new resolution from a camera or a stream), videoconvert
 * and videoscale convert to the first caps: a clean renegotiation. With a
 * user's own appsink there is no converter; a sample whose caps differ in
 * format or size is BATON_ERR_UNSUPPORTED "caps changed mid-stream" (other
 * changes, e.g. the frame rate, are taken).
 *
 * Layout: gst_video_frame_map() with the caps' GstVideoInfo honours the
 * buffer's GstVideoMeta (per-plane strides and offsets) where it has one,
 * else GStreamer's default layout for the caps. The appsink's ALLOCATION
 * query is answered with GstVideoMeta support, so decoders hand over their
 * own (padded) buffers instead of copying them into a packed layout first.
 * next() copies each plane straight from the mapped buffer into dst (the
 * slot's staging memory), one memcpy per plane when the rows are packed,
 * one per row when they are padded: the only copy on baton's side.
 * Colour: baton converts YUV as BT.601 limited range (baton/format.h);
 * the caps' colorimetry is not converted (an HD stream in BT.709 shows
 * slightly off colours unless the pipeline converts it).
 *
 * Waits: the appsink's callbacks (new sample, EOS) and a bus sync handler
 * (ERROR messages) signal one condition variable; next() waits on it with
 * a CLOCK_MONOTONIC deadline timeout_ms away, then takes the sample with
 * gst_app_sink_try_pull_sample(sink, 0). open() waits the same way for the
 * first frame, for max(timeout_ms, GST_SOURCE_START_MS) since pipelines take
 * time to start (plugin loading, an RTSP handshake, a decoder's first
 * frame). Results: BATON_ERR_END_OF_STREAM after the last frame;
 * BATON_ERR_IO "gst source: element 'NAME': TEXT (debug: ...)" for the first
 * ERROR on the bus (a "not-negotiated" one says which formats baton takes);
 * BATON_ERR_TIMEOUT when nothing arrives in time. The bus handler drops
 * every message after reading it, so nothing piles up on a bus nobody pops.
 *
 * Policy: the appsink queues at most GST_SOURCE_QUEUE samples and does not
 * drop (a user's appsink keeps its own max-buffers if set), so upstream
 * waits when baton is slower: BACKPRESSURE. NEWEST takes the samples
 * already queued (at most 4 x GST_SOURCE_QUEUE a call, in case upstream
 * refills as fast), keeps the newest and counts the others as dropped (a
 * live source drops on its own when it cannot push). Frame numbers count
 * the samples taken from the appsink.
 *
 * Timestamps: for a live pipeline (latency query) whose clock is
 * GStreamer's system clock on CLOCK_MONOTONIC (the default), the capture
 * time is base time + the buffer's running time (at most now: an RTP
 * receiver's times are estimates that may run ahead); otherwise 0.
 *
 * Allocation: next() allocates nothing itself. GStreamer's own calls
 * inside it (pulling the sample, mapping, unreffing) are GStreamer's; the
 * buffers come from upstream's buffer pool and the queue is bounded, so
 * their number per frame is bounded (tests/check_pipeline_alloc.c counts
 * them apart). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/app/gstappsink.h>

#include "util/baton_internal.h"
#include "util/gst_util.h"
#include "sources/source.h"
#include "util/fault.h"

#define GST_SOURCE_QUEUE 2u      /* appsink max-buffers */
#define GST_SOURCE_START_MS 5000u /* least wait for the first frame at open */
#define GST_SOURCE_SINK "baton_appsink"
#define GST_SOURCE_COMPLETION " ! videoconvert ! videoscale ! appsink name=" GST_SOURCE_SINK

typedef struct gst_src {
    GstElement *pipeline;
    GstAppSink *sink; /* a reference */
    GstBus *bus;      /* a reference; on_bus is its sync handler */
    GstClock *clock;  /* a reference when capture times can be given, else NULL */
    GstSample *held;  /* the first frame, pulled at open, given by the first next() */
    GstCaps *caps;    /* caps of the frames delivered (a reference) */
    GstVideoInfo info;
    bool completed;   /* baton added the converters and the appsink */
    uint64_t taken;   /* samples pulled from the appsink */
    unsigned planes;
    size_t row_bytes[2], rows[2]; /* packed geometry of each plane in dst */
    /* set by streaming threads, read by next(): under lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool sync_made;
    uint64_t events; /* samples, EOS and errors signalled so far */
    bool eos, failed;
    char error[400];
} gst_src;

/* ---- signals from GStreamer's threads --------------------------------- */

static void signal_event(gst_src *s)
{
    pthread_mutex_lock(&s->lock);
    s->events++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer user)
{
    (void)sink;
    signal_event(user);
    return GST_FLOW_OK;
}

static void on_eos(GstAppSink *sink, gpointer user)
{
    (void)sink;
    gst_src *s = user;
    pthread_mutex_lock(&s->lock);
    s->eos = true;
    s->events++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Every message of the pipeline's bus passes here, on the posting thread.
 * The first ERROR is kept; all are dropped (nobody pops this bus), and a
 * sync handler that drops a message unrefs it. */
static GstBusSyncReply on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
    (void)bus;
    gst_src *s = user;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        char text[sizeof s->error];
        baton_gst_message_text(msg, text, sizeof text);
        pthread_mutex_lock(&s->lock);
        if (!s->failed)
            memcpy(s->error, text, sizeof text);
        s->failed = true;
        s->events++;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
    gst_message_unref(msg);
    return GST_BUS_DROP;
}

/* Answer the appsink's ALLOCATION query with GstVideoMeta support, so
 * upstream may hand over buffers with its own strides and offsets. */
static GstPadProbeReturn on_query(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    (void)pad;
    (void)user;
    GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
    if (!q || GST_QUERY_TYPE(q) != GST_QUERY_ALLOCATION)
        return GST_PAD_PROBE_OK;
    gst_query_add_allocation_meta(q, GST_VIDEO_META_API_TYPE, NULL);
    return GST_PAD_PROBE_HANDLED;
}

/* ---- errors ------------------------------------------------------------- */

static baton_status pipeline_error(const gst_src *s, baton_error *err)
{
    if (strstr(s->error, "not-negotiated"))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "gst source: %s; the caps could not be met: baton takes "
                               "video/x-raw in " BATON_GST_SOURCE_FORMATS
                               " (put videoconvert before the appsink, or leave the appsink "
                               "out and baton adds videoconvert ! videoscale ! appsink)",
                               s->error);
    return baton_error_set(err, BATON_ERR_IO, "gst source: %s", s->error);
}

/* ---- waiting ------------------------------------------------------------ */

/* Take the next sample, waiting until deadline_ns (CLOCK_MONOTONIC) at most.
 * BATON_ERR_TIMEOUT (message left to the caller), END_OF_STREAM, or the
 * pipeline's error. */
static baton_status take(gst_src *s, uint64_t deadline_ns, GstSample **out, baton_error *err)
{
    struct timespec until = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
                             .tv_nsec = (long)(deadline_ns % 1000000000u)};
    for (;;) {
        pthread_mutex_lock(&s->lock);
        uint64_t seen = s->events;
        pthread_mutex_unlock(&s->lock);
        GstSample *smp = gst_app_sink_try_pull_sample(s->sink, 0);
        if (smp) {
            s->taken++;
            *out = smp;
            return BATON_OK;
        }
        pthread_mutex_lock(&s->lock);
        int r = 0;
        while (s->events == seen && !s->failed && !s->eos && r != ETIMEDOUT)
            r = pthread_cond_timedwait(&s->cond, &s->lock, &until);
        bool more = s->events != seen, failed = s->failed, eos = s->eos;
        pthread_mutex_unlock(&s->lock);
        if (more)
            continue; /* something arrived: look again */
        if (failed)
            return pipeline_error(s, err);
        if (eos)
            return baton_error_set(err, BATON_ERR_END_OF_STREAM,
                                   "gst source: end of stream after %llu frames",
                                   (unsigned long long)s->taken);
        return BATON_ERR_TIMEOUT;
    }
}

/* ---- open --------------------------------------------------------------- */

/* The one appsink in the pipeline (a new reference), NULL if none; more
 * than one is an error. */
static baton_status find_appsink(GstElement *pipeline, GstAppSink **out, baton_error *err)
{
    GstElement *first;
    unsigned count;
    baton_gst_find(pipeline, GST_TYPE_APP_SINK, &first, &count);
    *out = first ? GST_APP_SINK(first) : NULL;
    if (count > 1)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "gst source: the pipeline has %u appsinks; baton reads from one",
                               count);
    return BATON_OK;
}

static baton_status parse(const char *text, const char *desc, GstElement **out, baton_error *err)
{
    return baton_gst_parse(text, desc, text != desc ? "completed with '" GST_SOURCE_COMPLETION "'"
                                                    : NULL,
                           "gst source", out, err);
}

/* The pipeline with its appsink: desc completed with the converters and an
 * appsink, or, when that does not parse (desc ends in its own appsink,
 * which cannot link on), desc itself if it has an appsink. (desc alone is
 * not parsed first: GStreamer's parser refuses a description that ends in
 * caps, "... ! video/x-raw,width=640".) */
static baton_status parse_with_appsink(gst_src *s, const char *desc, baton_error *err)
{
    size_t n = strlen(desc) + sizeof GST_SOURCE_COMPLETION;
    char *full = BATON_FAULT_PTR(malloc(n));
    if (!full)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "gst source: malloc(%zu) failed", n);
    snprintf(full, n, "%s%s", desc, GST_SOURCE_COMPLETION);
    baton_status st = parse(full, desc, &s->pipeline, err);
    free(full);
    if (st == BATON_OK) {
        s->completed = true;
        st = find_appsink(s->pipeline, &s->sink, err);
        if (st == BATON_OK && !s->sink)
            st = baton_error_set(err, BATON_ERR_STATE, "gst source: the added appsink is missing");
        return st;
    }
    GstElement *own = NULL;
    baton_error err2;
    if (parse(desc, desc, &own, &err2) != BATON_OK)
        return st; /* the completed description's error */
    GstAppSink *sink = NULL;
    baton_status st2 = find_appsink(own, &sink, &err2);
    if (st2 != BATON_OK || !sink) {
        gst_object_unref(own);
        return st2 != BATON_OK ? baton_error_set(err, st2, "%s", err2.message) : st;
    }
    baton_error_clear(err);
    s->pipeline = own;
    s->sink = sink;
    return BATON_OK;
}

/* The caps baton asks of an appsink: its formats, the configured one first. */
static GstCaps *wanted_caps(baton_format preferred)
{
    static const GstVideoFormat order[] = {GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_NV12,
                                           GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_GRAY8,
                                           GST_VIDEO_FORMAT_RGB};
    GValue list = G_VALUE_INIT, item = G_VALUE_INIT;
    g_value_init(&list, GST_TYPE_LIST);
    g_value_init(&item, G_TYPE_STRING);
    GstVideoFormat first = baton_gst_format(preferred);
    baton_format unused;
    if (!baton_gst_to_format(first, &unused))
        first = GST_VIDEO_FORMAT_YUY2;
    g_value_set_static_string(&item, gst_video_format_to_string(first));
    gst_value_list_append_value(&list, &item);
    for (size_t i = 0; i < BATON_ARRAY_LEN(order); i++)
        if (order[i] != first) {
            g_value_set_static_string(&item, gst_video_format_to_string(order[i]));
            gst_value_list_append_value(&list, &item);
        }
    GstCaps *caps = gst_caps_new_empty_simple("video/x-raw");
    gst_caps_set_value(caps, "format", &list);
    g_value_unset(&item);
    g_value_unset(&list);
    return caps;
}

static baton_status build(gst_src *s, const char *desc, baton_format preferred, baton_error *err)
{
    baton_status st = parse_with_appsink(s, desc, err);
    if (st != BATON_OK)
        return st;
    GstCaps *have = gst_app_sink_get_caps(s->sink);
    if (s->completed || !have) {
        GstCaps *want = wanted_caps(preferred);
        gst_app_sink_set_caps(s->sink, want);
        gst_caps_unref(want);
    }
    if (have)
        gst_caps_unref(have);
    if (gst_app_sink_get_max_buffers(s->sink) == 0) /* unbounded: bound it */
        gst_app_sink_set_max_buffers(s->sink, GST_SOURCE_QUEUE);
    g_object_set(s->sink, "enable-last-sample", FALSE, NULL);
    if (s->completed)
        g_object_set(s->sink, "sync", FALSE, NULL); /* as fast as baton takes frames */
    GstAppSinkCallbacks cbs = {.eos = on_eos, .new_sample = on_new_sample};
    gst_app_sink_set_callbacks(s->sink, &cbs, s, NULL);
    GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(s->sink), "sink");
    if (pad) {
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, on_query, NULL, NULL);
        gst_object_unref(pad);
    }
    s->bus = gst_element_get_bus(s->pipeline);
    gst_bus_set_sync_handler(s->bus, on_bus, s, NULL);
    return BATON_OK;
}

/* Format, size and packed geometry from the first frame's caps. */
static baton_status take_caps(source *src, gst_src *s, GstCaps *caps, baton_error *err)
{
    GstVideoInfo info;
    baton_error why;
    gchar *text = gst_caps_to_string(caps);
    baton_status st = BATON_OK;
    baton_format fmt = BATON_FORMAT_YUYV;
    if (!gst_video_info_from_caps(&info, caps))
        st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                             "gst source: the pipeline delivers '%s', not raw video baton can "
                             "read (baton takes video/x-raw in " BATON_GST_SOURCE_FORMATS ")",
                             text ? text : "?");
    else if (!baton_gst_to_format(GST_VIDEO_INFO_FORMAT(&info), &fmt))
        st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                             "gst source: the pipeline delivers %s, which baton does not take "
                             "(it takes " BATON_GST_SOURCE_FORMATS "): put videoconvert before "
                             "the appsink, or leave the appsink out and baton adds "
                             "videoconvert ! videoscale ! appsink",
                             gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)));
    else if (baton_format_check_size(fmt, (uint32_t)GST_VIDEO_INFO_WIDTH(&info),
                                     (uint32_t)GST_VIDEO_INFO_HEIGHT(&info), &why) != BATON_OK)
        st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                             "gst source: the pipeline delivers %dx%d %s: %s (add videoscale "
                             "with caps of a valid size)",
                             GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info),
                             gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)),
                             why.message);
    g_free(text);
    if (st != BATON_OK)
        return st;
    uint32_t w = (uint32_t)GST_VIDEO_INFO_WIDTH(&info), h = (uint32_t)GST_VIDEO_INFO_HEIGHT(&info);
    s->info = info;
    gst_caps_replace(&s->caps, caps);
    s->planes = 1;
    s->rows[0] = h;
    switch (fmt) {
    case BATON_FORMAT_YUYV:
    case BATON_FORMAT_UYVY: s->row_bytes[0] = (size_t)w * 2; break;
    case BATON_FORMAT_RGB24: s->row_bytes[0] = (size_t)w * 3; break;
    case BATON_FORMAT_NV12:
        s->planes = 2;
        s->row_bytes[0] = s->row_bytes[1] = w;
        s->rows[1] = h / 2;
        break;
    default: s->row_bytes[0] = w; break;
    }
    src->format = fmt;
    src->width = w;
    src->height = h;
    return BATON_OK;
}

/* A live source (asked upstream of the appsink: the appsink itself would
 * answer "live" whenever it syncs to the clock) on the monotonic system
 * clock: keep the clock for capture times. */
static void find_clock(gst_src *s)
{
    GstQuery *q = gst_query_new_latency();
    gboolean live = FALSE;
    GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(s->sink), "sink");
    if (pad && gst_pad_peer_query(pad, q))
        gst_query_parse_latency(q, &live, NULL, NULL);
    if (pad)
        gst_object_unref(pad);
    gst_query_unref(q);
    GstClock *clock = live ? gst_element_get_clock(s->pipeline) : NULL;
    if (!clock)
        return;
    GstClockType type = GST_CLOCK_TYPE_REALTIME;
    if (GST_IS_SYSTEM_CLOCK(clock))
        g_object_get(clock, "clock-type", &type, NULL);
    if (type == GST_CLOCK_TYPE_MONOTONIC)
        s->clock = clock;
    else
        gst_object_unref(clock);
}

/* After the first frame the completed pipeline's appsink takes only its
 * format and size: later caps are converted to them upstream. */
static void pin_caps(gst_src *s)
{
    GstCaps *pinned = gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING,
        gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&s->info)), "width", G_TYPE_INT,
        GST_VIDEO_INFO_WIDTH(&s->info), "height", G_TYPE_INT, GST_VIDEO_INFO_HEIGHT(&s->info),
        NULL);
    gst_app_sink_set_caps(s->sink, pinned);
    gst_caps_unref(pinned);
}

static baton_status start(source *src, gst_src *s, const char *desc, baton_error *err)
{
    if (gst_element_set_state(s->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        pthread_mutex_lock(&s->lock);
        bool failed = s->failed;
        pthread_mutex_unlock(&s->lock);
        if (failed)
            return pipeline_error(s, err);
        return baton_error_set(err, BATON_ERR_IO, "gst source: '%s' would not start (no error "
                               "on the bus)", desc);
    }
    uint32_t wait_ms = src->timeout_ms > GST_SOURCE_START_MS ? src->timeout_ms
                                                              : GST_SOURCE_START_MS;
    baton_status st = take(s, baton_now_ns() + (uint64_t)wait_ms * 1000000u, &s->held, err);
    if (st == BATON_ERR_END_OF_STREAM)
        return baton_error_set(err, BATON_ERR_END_OF_STREAM,
                               "gst source: '%s' ended before its first frame", desc);
    if (st == BATON_ERR_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "gst source: no frame within %u ms of starting '%s'", wait_ms,
                               desc);
    if (st != BATON_OK)
        return st;
    st = take_caps(src, s, gst_sample_get_caps(s->held), err);
    if (st != BATON_OK)
        return st;
    if (s->completed)
        pin_caps(s);
    find_clock(s);
    return BATON_OK;
}

static baton_status gst_open(source *src, const char *arg, baton_error *err)
{
    gst_src *s = BATON_FAULT_PTR(calloc(1, sizeof *s));
    if (!s)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(gst source) failed");
    src->state = s;
    pthread_condattr_t ca;
    if (BATON_FAULT_PTHREAD(pthread_mutex_init(&s->lock, NULL)) != 0)
        return baton_error_set(err, BATON_ERR_OS, "gst source: pthread_mutex_init failed");
    if (BATON_FAULT_PTHREAD(pthread_condattr_init(&ca)) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        BATON_FAULT_PTHREAD(pthread_cond_init(&s->cond, &ca)) != 0) {
        pthread_mutex_destroy(&s->lock);
        return baton_error_set(err, BATON_ERR_OS, "gst source: pthread_cond_init failed");
    }
    pthread_condattr_destroy(&ca);
    s->sync_made = true;
    if (arg[0] != ':' || arg[1] == '\0')
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "source '%s': want gst:PIPELINE, a GStreamer launch description "
                               "(e.g. gst:videotestsrc ! video/x-raw,width=640,height=480)",
                               src->spec);
    const char *desc = arg + 1;
    baton_status st = baton_gst_init("gst source", err);
    if (st == BATON_OK)
        st = build(s, desc, src->format, err);
    if (st == BATON_OK)
        st = start(src, s, desc, err);
    return st;
}

static void gst_close(source *src)
{
    gst_src *s = src->state;
    if (!s)
        return;
    if (s->pipeline)
        gst_element_set_state(s->pipeline, GST_STATE_NULL); /* joins the streaming threads */
    if (s->bus) {
        gst_bus_set_sync_handler(s->bus, NULL, NULL, NULL);
        gst_object_unref(s->bus);
    }
    if (s->held)
        gst_sample_unref(s->held);
    if (s->caps)
        gst_caps_unref(s->caps);
    if (s->clock)
        gst_object_unref(s->clock);
    if (s->sink)
        gst_object_unref(s->sink);
    if (s->pipeline)
        gst_object_unref(s->pipeline);
    if (s->sync_made) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
    }
    free(s);
}

/* ---- next --------------------------------------------------------------- */

/* The sample's caps differ from the frames' so far: the same format and
 * size is taken (its layout may differ); anything else is an error. */
static baton_status caps_changed(const source *src, gst_src *s, GstCaps *caps, baton_error *err)
{
    GstVideoInfo info;
    if (gst_video_info_from_caps(&info, caps) &&
        GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_INFO_FORMAT(&s->info) &&
        GST_VIDEO_INFO_WIDTH(&info) == GST_VIDEO_INFO_WIDTH(&s->info) &&
        GST_VIDEO_INFO_HEIGHT(&info) == GST_VIDEO_INFO_HEIGHT(&s->info)) {
        s->info = info;
        gst_caps_replace(&s->caps, caps);
        return BATON_OK;
    }
    gchar *text = gst_caps_to_string(caps);
    baton_status st = baton_error_set(
        err, BATON_ERR_UNSUPPORTED,
        "gst source: caps changed mid-stream at frame %llu: from %ux%u %s to '%s'; baton sizes "
        "its frames when the source opens (leave the appsink out: baton then adds videoconvert ! "
        "videoscale, which convert later frames to the first caps)",
        (unsigned long long)(s->taken - 1), src->width, src->height,
        gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&s->info)), text ? text : "?");
    g_free(text);
    return st;
}

static baton_status deliver(const source *src, gst_src *s, GstSample *smp, uint8_t *dst,
                            uint64_t *timestamp_ns, baton_error *err)
{
    GstCaps *caps = gst_sample_get_caps(smp);
    if (caps && caps != s->caps) {
        if (!gst_caps_is_equal(caps, s->caps)) {
            baton_status st = caps_changed(src, s, caps, err);
            if (st != BATON_OK)
                return st;
        }
        gst_caps_replace(&s->caps, caps);
    }
    GstBuffer *buf = gst_sample_get_buffer(smp);
    GstVideoFrame vf;
    if (!buf || !gst_video_frame_map(&vf, &s->info, buf, GST_MAP_READ))
        return baton_error_set(err, BATON_ERR_IO,
                               "gst source: frame %llu: cannot map the buffer (%zu bytes) as "
                               "%ux%u %s",
                               (unsigned long long)(s->taken - 1),
                               buf ? gst_buffer_get_size(buf) : 0, src->width, src->height,
                               gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&s->info)));
    uint8_t *out = dst;
    for (unsigned p = 0; p < s->planes; p++) {
        const uint8_t *in = GST_VIDEO_FRAME_PLANE_DATA(&vf, p);
        int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);
        size_t rb = s->row_bytes[p], rows = s->rows[p];
        if (stride < 0 || (size_t)stride < rb) {
            gst_video_frame_unmap(&vf);
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "gst source: frame %llu: plane %u has stride %d, less than a "
                                   "row (%zu bytes)",
                                   (unsigned long long)(s->taken - 1), p, stride, rb);
        }
        if ((size_t)stride == rb) {
            memcpy(out, in, rb * rows);
        } else {
            for (size_t r = 0; r < rows; r++)
                memcpy(out + r * rb, in + r * (size_t)stride, rb);
        }
        out += rb * rows;
    }
    gst_video_frame_unmap(&vf);
    if (s->clock && GST_BUFFER_PTS_IS_VALID(buf)) {
        guint64 rt = gst_segment_to_running_time(gst_sample_get_segment(smp), GST_FORMAT_TIME,
                                                 GST_BUFFER_PTS(buf));
        if (rt != GST_CLOCK_TIME_NONE) {
            /* a network source's times are estimates (RTP timestamps mapped
             * by the jitter buffer) and may run a little ahead: a frame in
             * hand was not captured later than now */
            uint64_t now = baton_now_ns();
            uint64_t t = gst_element_get_base_time(s->pipeline) + rt;
            *timestamp_ns = t < now ? t : now;
        }
    }
    return BATON_OK;
}

static baton_status gst_next(source *src, baton_drop_policy policy, uint8_t *dst,
                             uint32_t timeout_ms, uint64_t *frame, uint64_t *dropped,
                             uint64_t *timestamp_ns, baton_error *err)
{
    gst_src *s = src->state;
    GstSample *smp = s->held;
    s->held = NULL;
    if (!smp) {
        baton_status st = take(s, baton_now_ns() + (uint64_t)timeout_ms * 1000000u, &smp, err);
        if (st == BATON_ERR_TIMEOUT)
            return baton_error_set(err, st, "gst source: no frame within %u ms (waiting for "
                                   "frame %llu)", timeout_ms, (unsigned long long)s->taken);
        if (st != BATON_OK)
            return st;
    }
    if (policy == BATON_POLICY_NEWEST) {
        /* what is queued now; bounded, in case upstream refills as fast */
        GstSample *newer;
        for (unsigned k = 0; k < 4 * GST_SOURCE_QUEUE &&
                             (newer = gst_app_sink_try_pull_sample(s->sink, 0)) != NULL;
             k++) {
            gst_sample_unref(smp);
            smp = newer;
            s->taken++;
            (*dropped)++;
        }
    }
    baton_status st = deliver(src, s, smp, dst, timestamp_ns, err);
    gst_sample_unref(smp);
    if (st == BATON_OK)
        *frame = s->taken - 1;
    return st;
}

const source_ops source_gst_ops = {
    .scheme = "gst",
    .usage = "gst:PIPELINE",
    .open = gst_open,
    .next = gst_next,
    .close = gst_close,
};
