/* gst_push.c - frames into a GStreamer pipeline through an appsrc, from a
 * fixed set of buffers wrapping the caller's memory (gst_push.h).
 *
 * Recycling: each GstBuffer's dispose hook (GstMiniObject.dispose, called
 * when its last reference goes) takes a new reference, marks the buffer
 * free and wakes a waiter: the buffer is never freed while the sink runs,
 * as GstBufferPool does with its own buffers. A shallow copy some element
 * made shares the buffer's memory (gst_buffer_copy refs the GstMemory):
 * the buffer only counts as free once its memory is no longer shared; that
 * rare case has no notification and is polled every millisecond, within
 * the same bound.
 *
 * Messages: a bus sync handler keeps the first ERROR (element name and
 * debug string) and notes EOS; every message is dropped after it (nobody
 * pops this bus). */
#include "sinks/gst_push.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/app/gstappsrc.h>

#include "util/baton_internal.h"
#include "util/gst_util.h"
#include "util/fault.h"

#define BATON_PUSH_SRC "baton_appsrc"
#define BATON_PUSH_PREFIX "appsrc name=" BATON_PUSH_SRC " ! "

typedef struct push_buffer {
    gst_push *owner;
    GstBuffer *buf;
    bool free;   /* not in GStreamer's hands (under owner->lock) */
} push_buffer;

struct gst_push {
    GstElement *pipeline;
    GstAppSrc *src; /* a reference */
    GstBus *bus;    /* a reference; on_bus is its sync handler */
    uint32_t count, timeout_ms;
    push_buffer bufs[GST_PUSH_MAX_BUFFERS];
    bool closing;   /* destroy: let buffers be freed for real */
    uint64_t pushed, first_ns, last_pts;
    bool finished;
    baton_status finish_status;
    char finish_message[BATON_ERROR_MESSAGE_MAX];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool sync_made;
    bool eos, failed;
    char error[400];
};

static GQuark buffer_quark(void)
{
    return g_quark_from_static_string("baton-gst-push-buffer");
}

/* ---- GStreamer's threads ------------------------------------------------ */

static gboolean on_dispose(GstMiniObject *obj)
{
    push_buffer *pb = gst_mini_object_get_qdata(obj, buffer_quark());
    if (!pb || pb->owner->closing)
        return TRUE; /* freed for real */
    gst_mini_object_ref(obj); /* back from the dead, as pools do */
    gst_push *g = pb->owner;
    pthread_mutex_lock(&g->lock);
    pb->free = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
    return FALSE;
}

static GstBusSyncReply on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
    (void)bus;
    gst_push *g = user;
    GstMessageType t = GST_MESSAGE_TYPE(msg);
    if (t == GST_MESSAGE_ERROR || t == GST_MESSAGE_EOS) {
        char text[sizeof g->error] = "";
        if (t == GST_MESSAGE_ERROR)
            baton_gst_message_text(msg, text, sizeof text);
        pthread_mutex_lock(&g->lock);
        if (t == GST_MESSAGE_EOS) {
            g->eos = true;
        } else if (!g->failed) {
            memcpy(g->error, text, sizeof text);
            g->failed = true;
        }
        pthread_cond_broadcast(&g->cond);
        pthread_mutex_unlock(&g->lock);
    }
    gst_message_unref(msg); /* a sync handler that drops a message unrefs it */
    return GST_BUS_DROP;
}

/* ---- errors and waits ------------------------------------------------------ */

static baton_status pipeline_error(const gst_push *g, baton_error *err)
{
    if (strstr(g->error, "not-negotiated"))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "gst sink: %s; the caps could not be met: baton pushes "
                               "video/x-raw, format=RGBA (put videoconvert after the appsrc)",
                               g->error);
    return baton_error_set(err, BATON_ERR_IO, "gst sink: %s", g->error);
}

static struct timespec deadline_in(uint32_t ms)
{
    uint64_t d = baton_now_ns() + (uint64_t)ms * 1000000u;
    return (struct timespec){.tv_sec = (time_t)(d / 1000000000u),
                             .tv_nsec = (long)(d % 1000000000u)};
}

/* ---- create ---------------------------------------------------------------- */

static baton_status parse_with_appsrc(gst_push *g, const char *desc, baton_error *err)
{
    size_t n = strlen(desc) + sizeof BATON_PUSH_PREFIX;
    char *full = BATON_FAULT_PTR(malloc(n));
    if (!full)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "gst sink: malloc(%zu) failed", n);
    snprintf(full, n, "%s%s", BATON_PUSH_PREFIX, desc);
    GstElement *first = NULL;
    unsigned count = 0;
    baton_status st = baton_gst_parse(full, desc, "after 'appsrc ! '", "gst sink", &g->pipeline,
                                      err);
    free(full);
    if (st == BATON_OK) {
        baton_gst_find(g->pipeline, GST_TYPE_APP_SRC, &first, &count);
    } else {
        /* desc may start with its own appsrc, which nothing can link into */
        GstElement *own = NULL;
        baton_error err2;
        if (baton_gst_parse(desc, desc, NULL, "gst sink", &own, &err2) != BATON_OK)
            return st;
        baton_gst_find(own, GST_TYPE_APP_SRC, &first, &count);
        if (!first) {
            gst_object_unref(own);
            return st;
        }
        baton_error_clear(err);
        g->pipeline = own;
    }
    g->src = first ? GST_APP_SRC(first) : NULL;
    if (count != 1)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "gst sink: the pipeline has %u appsrcs; baton pushes into one",
                               count);
    return BATON_OK;
}

static void configure_appsrc(gst_push *g, uint32_t width, uint32_t height)
{
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGBA", "width",
                                        G_TYPE_INT, (int)width, "height", G_TYPE_INT,
                                        (int)height, "framerate", GST_TYPE_FRACTION, 0, 1, NULL);
    gst_app_src_set_caps(g->src, caps);
    gst_caps_unref(caps);
    gst_app_src_set_stream_type(g->src, GST_APP_STREAM_TYPE_STREAM);
    /* our buffers bound what is queued: the appsrc never needs to block */
    gst_app_src_set_max_bytes(g->src, 0);
    g_object_set(g->src, "format", GST_FORMAT_TIME, "is-live", TRUE, "block", FALSE, NULL);
}

static baton_status wrap_buffers(gst_push *g, void *const *frames, size_t bytes, baton_error *err)
{
    for (uint32_t i = 0; i < g->count; i++) {
        GstBuffer *buf = gst_buffer_new();
        GstMemory *mem =
            gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, frames[i], bytes, 0, bytes, NULL, NULL);
        if (!buf || !mem) {
            if (buf)
                gst_buffer_unref(buf);
            if (mem)
                gst_memory_unref(mem);
            return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY,
                                   "gst sink: wrapping frame buffer %u failed", i);
        }
        gst_buffer_append_memory(buf, mem);
        push_buffer *pb = &g->bufs[i];
        pb->owner = g;
        pb->buf = buf;
        pb->free = true;
        gst_mini_object_set_qdata(GST_MINI_OBJECT_CAST(buf), buffer_quark(), pb, NULL);
        GST_MINI_OBJECT_CAST(buf)->dispose = on_dispose;
    }
    return BATON_OK;
}

static baton_status start(gst_push *g, const char *desc, baton_error *err)
{
    g->bus = gst_element_get_bus(g->pipeline);
    gst_bus_set_sync_handler(g->bus, on_bus, g, NULL);
    if (gst_element_set_state(g->pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE)
        return BATON_OK;
    pthread_mutex_lock(&g->lock);
    bool failed = g->failed;
    pthread_mutex_unlock(&g->lock);
    if (failed)
        return pipeline_error(g, err);
    return baton_error_set(err, BATON_ERR_IO, "gst sink: '%s' would not start (no error on the bus)",
                           desc);
}

baton_status gst_push_create(const char *desc, uint32_t width, uint32_t height,
                             void *const *frames, uint32_t count, size_t bytes,
                             uint32_t timeout_ms, gst_push **out, baton_error *err)
{
    *out = NULL;
    if (!desc || !*desc || count == 0 || count > GST_PUSH_MAX_BUFFERS ||
        bytes < (size_t)width * height * 4)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "gst sink: want a pipeline, 1..%u buffers of at least %ux%u RGBA",
                               GST_PUSH_MAX_BUFFERS, width, height);
    baton_status st = baton_gst_init("gst sink", err);
    if (st != BATON_OK)
        return st;
    gst_push *g = BATON_FAULT_PTR(calloc(1, sizeof *g));
    if (!g)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(gst sink) failed");
    g->count = count;
    g->timeout_ms = timeout_ms;
    pthread_condattr_t ca;
    if (BATON_FAULT_PTHREAD(pthread_mutex_init(&g->lock, NULL)) != 0) {
        free(g);
        return baton_error_set(err, BATON_ERR_OS, "gst sink: pthread_mutex_init failed");
    }
    if (BATON_FAULT_PTHREAD(pthread_condattr_init(&ca)) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        BATON_FAULT_PTHREAD(pthread_cond_init(&g->cond, &ca)) != 0) {
        pthread_mutex_destroy(&g->lock);
        free(g);
        return baton_error_set(err, BATON_ERR_OS, "gst sink: pthread_cond_init failed");
    }
    pthread_condattr_destroy(&ca);
    g->sync_made = true;
    st = parse_with_appsrc(g, desc, err);
    if (st == BATON_OK) {
        configure_appsrc(g, width, height);
        st = wrap_buffers(g, frames, bytes, err);
    }
    if (st == BATON_OK)
        st = start(g, desc, err);
    if (st != BATON_OK) {
        gst_push_destroy(g);
        return st;
    }
    *out = g;
    return BATON_OK;
}

/* ---- per frame ------------------------------------------------------------- */

/* Free, and its memory is no longer shared by a copy elsewhere. */
static bool really_free(const push_buffer *pb)
{
    return pb->free && GST_MINI_OBJECT_REFCOUNT_VALUE(gst_buffer_peek_memory(pb->buf, 0)) == 1;
}

baton_status gst_push_wait_free(gst_push *g, uint32_t i, baton_error *err)
{
    push_buffer *pb = &g->bufs[i];
    struct timespec until = deadline_in(g->timeout_ms);
    pthread_mutex_lock(&g->lock);
    int r = 0;
    while (!really_free(pb) && !g->failed && r != ETIMEDOUT) {
        if (pb->free) { /* memory still shared by a copy: look again in 1 ms */
            struct timespec soon = deadline_in(1);
            if (soon.tv_sec > until.tv_sec ||
                (soon.tv_sec == until.tv_sec && soon.tv_nsec > until.tv_nsec))
                soon = until;
            r = pthread_cond_timedwait(&g->cond, &g->lock, &soon);
            if (r == ETIMEDOUT && (soon.tv_sec != until.tv_sec || soon.tv_nsec != until.tv_nsec))
                r = 0;
        } else {
            r = pthread_cond_timedwait(&g->cond, &g->lock, &until);
        }
    }
    bool ok = really_free(pb), failed = g->failed;
    pthread_mutex_unlock(&g->lock);
    if (ok)
        return BATON_OK;
    if (failed)
        return pipeline_error(g, err);
    return baton_error_set(err, BATON_ERR_TIMEOUT,
                           "gst sink: frame buffer %u still held by GStreamer after %u ms (the "
                           "pipeline after the appsrc is not taking frames)",
                           i, g->timeout_ms);
}

baton_status gst_push_wait_idle(gst_push *g, baton_error *err)
{
    for (uint32_t i = 0; i < g->count; i++) {
        baton_status st = gst_push_wait_free(g, i, err);
        if (st != BATON_OK)
            return st;
    }
    return BATON_OK;
}

baton_status gst_push_frame(gst_push *g, uint32_t i, uint64_t time_ns, baton_error *err)
{
    push_buffer *pb = &g->bufs[i];
    if (g->finished)
        return baton_error_set(err, BATON_ERR_STATE,
                               "gst sink: frame after the end of stream (the pipeline was drained)");
    pthread_mutex_lock(&g->lock);
    bool failed = g->failed, ready = pb->free;
    if (!failed && ready)
        pb->free = false;
    pthread_mutex_unlock(&g->lock);
    if (failed)
        return pipeline_error(g, err);
    if (!ready)
        return baton_error_set(err, BATON_ERR_STATE, "gst sink: buffer %u pushed while GStreamer "
                               "still holds it", i);
    if (g->pushed == 0)
        g->first_ns = time_ns;
    uint64_t pts = time_ns > g->first_ns ? time_ns - g->first_ns : 0;
    if (g->pushed && pts <= g->last_pts)
        pts = g->last_pts + 1; /* never back, never equal */
    /* the duration is not known until the next frame: the last interval
     * stands in (muxers give the last frame this length; without one an
     * MP4's edit list cuts it) */
    GST_BUFFER_DURATION(pb->buf) = g->pushed ? pts - g->last_pts : GST_CLOCK_TIME_NONE;
    g->last_pts = pts;
    GST_BUFFER_PTS(pb->buf) = pts;
    GST_BUFFER_DTS(pb->buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_OFFSET(pb->buf) = g->pushed;
    GstFlowReturn ret = gst_app_src_push_buffer(g->src, pb->buf); /* takes our reference */
    if (ret != GST_FLOW_OK)
        return baton_error_set(err, BATON_ERR_IO, "gst sink: the appsrc refused frame %llu: %s",
                               (unsigned long long)g->pushed, gst_flow_get_name(ret));
    g->pushed++;
    return BATON_OK;
}

baton_status gst_push_finish(gst_push *g, baton_error *err)
{
    if (g->finished)
        return g->finish_status == BATON_OK
                   ? BATON_OK
                   : baton_error_set(err, g->finish_status, "%s", g->finish_message);
    g->finished = true;
    baton_status st = BATON_OK;
    GstFlowReturn ret = gst_app_src_end_of_stream(g->src);
    if (ret != GST_FLOW_OK) {
        st = baton_error_set(err, BATON_ERR_IO, "gst sink: end of stream refused: %s",
                             gst_flow_get_name(ret));
    } else {
        struct timespec until = deadline_in(g->timeout_ms);
        pthread_mutex_lock(&g->lock);
        int r = 0;
        while (!g->eos && !g->failed && r != ETIMEDOUT)
            r = pthread_cond_timedwait(&g->cond, &g->lock, &until);
        bool eos = g->eos, failed = g->failed;
        pthread_mutex_unlock(&g->lock);
        if (failed)
            st = pipeline_error(g, err);
        else if (!eos)
            st = baton_error_set(err, BATON_ERR_TIMEOUT,
                                 "gst sink: the end of stream did not reach the pipeline's sinks "
                                 "within %u ms",
                                 g->timeout_ms);
    }
    g->finish_status = st;
    snprintf(g->finish_message, sizeof g->finish_message, "%s",
             st == BATON_OK ? "" : (err ? err->message : baton_strerror(st)));
    return st;
}

uint64_t gst_push_count(const gst_push *g)
{
    return g->pushed;
}

void gst_push_destroy(gst_push *g)
{
    if (!g)
        return;
    if (g->pipeline)
        gst_element_set_state(g->pipeline, GST_STATE_NULL); /* joins the streaming threads */
    if (g->bus) {
        gst_bus_set_sync_handler(g->bus, NULL, NULL, NULL);
        gst_object_unref(g->bus);
    }
    if (g->src)
        gst_object_unref(g->src);
    if (g->pipeline)
        gst_object_unref(g->pipeline); /* gives back every buffer it held */
    g->closing = true;
    for (uint32_t i = 0; i < g->count; i++)
        if (g->bufs[i].buf && g->bufs[i].free)
            gst_buffer_unref(g->bufs[i].buf);
    if (g->sync_made) {
        pthread_cond_destroy(&g->cond);
        pthread_mutex_destroy(&g->lock);
    }
    free(g);
}
