/* sink.h - where frames go, behind one small interface.
 *
 * A sink is chosen by name: "headless" (an offscreen image), "x11" (a window
 * with a swapchain), "drm:CONNECTOR" (a display with no compositor),
 * "gst:PIPELINE" (a GStreamer pipeline fed by an appsrc). It owns
 * the images the Vulkan stage writes into ("targets"). The Vulkan stage
 * records, once at creation, one command buffer per (slot, target) by
 * calling record(); per frame it asks acquire() which target to use (and a
 * semaphore to wait for / to signal, for swapchains), submits, then calls
 * submitted() (e.g. to present). done() runs once the frame's Vulkan work
 * has finished. Nothing here may allocate per frame.
 *
 * Threads: create, record, destroy, report and drained run on the thread
 * that drives the pipeline (when no frame is in flight for drained);
 * acquire and submitted on the thread that submits (the driving thread, or
 * the relay thread); done on the pipeline's completion thread, in frame
 * order, concurrently with acquire/submitted of later frames. A sink whose
 * done shares state with acquire/submitted locks it itself.
 *
 * A sink sees the pipeline only through its view (frame/frame_view.h): the
 * context, the frame's size, each slot's shared memory and readback buffer.
 *
 * A display that went away (unplugged, disconnected, a swapchain out of
 * date for good) is reported from acquire, submitted or done as
 * BATON_ERR_DISCONNECTED and nothing else: the pipeline then stops, or
 * (on_display_lost = HEADLESS) stops calling this sink once the frame
 * reporting it retired, destroys it and goes on with the headless sink;
 * destroy() must then release every fd and object of a dead display.
 *
 * create() may replace sk->ops with another implementation of the same
 * scheme before it allocates anything: "drm" hands over to sink_kms_ops when
 * the display is driven with KMS commits instead of VK_KHR_display. */
#ifndef BATON_SINK_H
#define BATON_SINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "baton/pipeline.h"
#include "frame/frame_view.h"

#define SINK_MAX_TARGETS 8u

typedef struct sink sink;

typedef struct sink_ops {
    const char *scheme; /* the name before the first ':' */
    const char *usage;  /* one line for error messages and --help */
    baton_status (*create)(sink *sk, const char *arg, baton_error *err);
    void (*destroy)(sink *sk); /* safe after a failed create */
    uint32_t (*target_count)(const sink *sk);
    /* Record the copy of slot s's frame (view->slot[s].shared.buffer: RGBA8
     * rows of view->pitch bytes) into target t, with the barriers it needs. */
    void (*record)(sink *sk, uint32_t s, uint32_t t, VkCommandBuffer cmd);
    /* Optional (NULL: target 0, no semaphores). */
    baton_status (*acquire)(sink *sk, frame_slot *sl, uint32_t *target, VkSemaphore *wait,
                            VkSemaphore *signal, baton_error *err);
    baton_status (*submitted)(sink *sk, frame_slot *sl, uint32_t target, baton_error *err);
    baton_status (*done)(sink *sk, frame_slot *sl, baton_error *err);
    /* Optional: every frame is done (drain): collect what is still due,
     * e.g. the last page flip's completion (bounded wait). */
    void (*drained)(sink *sk);
    /* Optional: describe the display and copy the vblank records (out is
     * zeroed by the caller). */
    void (*report)(const sink *sk, baton_display_report *out);
} sink_ops;

/* One sink of a pipeline: its implementation, its view and the settings it
 * takes from the pipeline's configuration. */
struct sink {
    const sink_ops *ops;
    const frame_view *view;
    void *state;              /* the implementation's, owned by it */
    bool readback;            /* copy each shown frame into slot readback buffers */
    const char *dump_dir;     /* write frames listed in dump_frames here as PNG */
    const uint64_t *dump_frames;
    size_t dump_count;
    uint32_t delay_us;        /* headless: pretend presenting takes this long */
    struct dump_writer *dumper; /* the engine's; set when dump_count > 0 */
    /* Where a sink that can tell reports that a frame went on screen
     * (CLOCK_MONOTONIC ns: the vblank of its flip or present); set by the
     * engine, may be NULL. Called from done() or drained(). */
    void (*on_screen)(sink *sk, uint64_t frame, uint64_t ns);
    void *owner;              /* the engine's, for on_screen */
};

/* Find the sink by scheme; BATON_ERR_INVALID_ARGUMENT lists the known ones.
 * *arg points after "scheme" (at ":..." or the end). */
baton_status sink_find(const char *spec, const sink_ops **ops, const char **arg, baton_error *err);

extern const sink_ops sink_headless_ops;
extern const sink_ops sink_drm_ops;
extern const sink_ops sink_x11_ops;
extern const sink_ops sink_gst_ops;
extern const sink_ops sink_kms_ops; /* reached through "drm" only */

/* Test seam: how often the x11 sink made a new swapchain (0 for others). */
uint64_t sink_x11_recreations(const sink *sk);

#endif
