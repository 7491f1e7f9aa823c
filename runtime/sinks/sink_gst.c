/* sink_gst.c - frames into a GStreamer pipeline: "gst:PIPELINE".
 *
 * PIPELINE is a gst-launch-1.0 description that starts with an appsrc, or
 * that baton starts with one ("videoconvert ! x264enc ! mp4mux ! filesink
 * location=out.mp4", "videoconvert ! x264enc tune=zerolatency ! rtph264pay
 * ! udpsink host=... port=..."). The appsrc takes video/x-raw, format=RGBA
 * of the frame's size.
 *
 * Per frame: the Vulkan stage copies the frame into the slot's
 * host-visible readback buffer (the one recorded command buffer per slot,
 * as with readback on the headless sink); done() pushes that very memory
 * into the appsrc: each slot's readback buffer is wrapped once, at create,
 * in a GstBuffer (gst_push.c), so there is no CPU copy and no allocation
 * per frame. GStreamer gives the buffer back when its last reference goes;
 * acquire(), before the slot's next frame is submitted, waits (bounded by
 * timeout_ms) until it has: a GStreamer pipeline slower than baton holds
 * baton back instead of seeing its frame overwritten. The first element
 * after the appsrc normally converts (videoconvert), which gives the buffer
 * back at once.
 *
 * Timestamps: the PTS is the frame's capture time (the source's, else the
 * time the source handed it over) less the first frame's.
 *
 * Drain (drained()): a bounded wait until GStreamer has given back every
 * frame pushed. A pipeline may be drained and run on (the steady-state
 * count drains after its warm-up), so the end of stream is sent when the
 * sink is destroyed, the pipeline's last act: end of stream into the
 * appsrc, then a bounded wait (timeout_ms) until it has reached the
 * pipeline's sinks, so muxers finish their files (an MP4 is playable),
 * then the pipeline is stopped. baton-run drains and destroys after the
 * source's end of stream as after the last frame.
 *
 * Threads: acquire() runs on the thread that submits frames, done() and
 * drained() on the one that retires them; gst_push keeps each buffer's
 * state under a lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/gst_push.h"
#include "sinks/sink_common.h"
#include "util/fault.h"

typedef struct gst_sink {
    VkImage target;
    VkDeviceMemory memory;
    gst_push *push;
    char desc[160];
    baton_status drained;  /* BATON_ERR_STATE until drained */
    char drain_message[BATON_ERROR_MESSAGE_MAX];

} gst_sink;

static baton_status gst_sink_create(sink *sk, const char *arg, baton_error *err)
{
    const frame_view *v = sk->view;
    if (arg[0] != ':' || arg[1] == '\0')
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "sink 'gst%s': want gst:PIPELINE, a GStreamer launch description "
                               "fed by an appsrc (e.g. gst:videoconvert ! x264enc ! mp4mux ! "
                               "filesink location=out.mp4)",
                               arg);
    if (v->slots > GST_PUSH_MAX_BUFFERS)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "gst sink: %u slots, at most %u",
                               v->slots, GST_PUSH_MAX_BUFFERS);
    gst_sink *g = BATON_FAULT_PTR(calloc(1, sizeof *g));
    if (!g)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(gst sink) failed");
    sk->state = g;
    g->drained = BATON_ERR_STATE;
    snprintf(g->desc, sizeof g->desc, "%s", arg + 1);
    sk->readback = true; /* the frame reaches GStreamer through host memory */
    baton_status st = sink_image_create(v->ctx, v->width, v->height, VK_FORMAT_R8G8B8A8_UNORM,
                                        "gst sink target", &g->target, &g->memory, err);
    if (st == BATON_OK)
        st = sink_readback_create(sk, err);
    if (st != BATON_OK)
        return st;
    void *frames[GST_PUSH_MAX_BUFFERS];
    for (uint32_t s = 0; s < v->slots; s++)
        frames[s] = v->slot[s].readback_host;
    return gst_push_create(arg + 1, v->width, v->height, frames, v->slots,
                           v->pitch * v->height, v->timeout_ms, &g->push, err);
}

static void gst_sink_destroy(sink *sk)
{
    gst_sink *g = sk->state;
    if (g && g->push) {
        baton_error err;
        gst_push_finish(g->push, &err); /* end of stream: files are complete */
        gst_push_destroy(g->push);      /* before the memory it wraps goes */
    }
    sink_readback_destroy(sk);
    if (g)
        sink_image_destroy(sk->view->ctx, &g->target, &g->memory);
    free(g);
    sk->state = NULL;
}

static uint32_t gst_sink_targets(const sink *sk)
{
    (void)sk;
    return 1;
}

static void gst_sink_record(sink *sk, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    (void)t;
    gst_sink *g = sk->state;
    sink_record_frame_to_image(sk, s, g->target, false, cmd);
}

static uint32_t slot_index(const sink *sk, const frame_slot *sl)
{
    return (uint32_t)(sl - sk->view->slot);
}

/* The slot's readback buffer is about to be written: GStreamer must be
 * done with it. */
static baton_status gst_sink_acquire(sink *sk, frame_slot *sl, uint32_t *target, VkSemaphore *wait,
                                     VkSemaphore *signal, baton_error *err)
{
    gst_sink *g = sk->state;
    *target = 0;
    *wait = VK_NULL_HANDLE;
    *signal = VK_NULL_HANDLE;
    return gst_push_wait_free(g->push, slot_index(sk, sl), err);
}

static baton_status gst_sink_done(sink *sk, frame_slot *sl, baton_error *err)
{
    gst_sink *g = sk->state;
    baton_status st = sink_dump_frame(sk, sl, err);
    if (st != BATON_OK)
        return st;
    uint64_t t = sl->capture_ns ? sl->capture_ns : sl->ready_ns;
    return gst_push_frame(g->push, slot_index(sk, sl), t, err);
}

static void gst_sink_drained(sink *sk)
{
    gst_sink *g = sk->state;
    baton_error err;
    g->drained = gst_push_wait_idle(g->push, &err);
    snprintf(g->drain_message, sizeof g->drain_message, "%s",
             g->drained == BATON_OK ? "" : err.message);
}

static void gst_sink_report(const sink *sk, baton_display_report *out)
{
    const gst_sink *g = sk->state;
    const char *state = g->drained == BATON_ERR_STATE ? "not drained"
                        : g->drained == BATON_OK      ? "all taken by GStreamer"
                                                      : g->drain_message;
    snprintf(out->description, sizeof out->description,
             "gst: %s (%llu frames pushed; at drain: %s; end of stream at teardown)", g->desc,
             (unsigned long long)gst_push_count(g->push), state);
}

const sink_ops sink_gst_ops = {
    .scheme = "gst",
    .usage = "gst:PIPELINE",
    .create = gst_sink_create,
    .destroy = gst_sink_destroy,
    .target_count = gst_sink_targets,
    .record = gst_sink_record,
    .acquire = gst_sink_acquire,
    .done = gst_sink_done,
    .drained = gst_sink_drained,
    .report = gst_sink_report,
};
