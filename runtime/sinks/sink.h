/* sink.h - where frames go, behind one small interface.
 *
 * A sink is chosen by name: "headless" (an offscreen image), "x11" (a window
 * with a swapchain), "drm:CONNECTOR" (a display with no compositor). It owns
 * the images the Vulkan stage writes into ("targets"). The Vulkan stage
 * records, once at creation, one command buffer per (slot, target) by
 * calling record(); per frame it asks acquire() which target to use (and a
 * semaphore to wait for / to signal, for swapchains), submits, then calls
 * submitted() (e.g. to present). done() runs after the frame's fence.
 * Nothing here may allocate per frame.
 *
 * create() may replace p->sink with another implementation of the same
 * scheme before it allocates anything: "drm" hands over to sink_kms_ops when
 * the display is driven with KMS commits instead of VK_KHR_display. */
#ifndef BATON_SINK_H
#define BATON_SINK_H

#include <vulkan/vulkan.h>

#include "baton/pipeline.h"

#define SINK_MAX_TARGETS 8u

struct slot;

typedef struct sink_ops {
    const char *scheme; /* the name before the first ':' */
    const char *usage;  /* one line for error messages and --help */
    baton_status (*create)(baton_pipeline *p, const char *arg, baton_error *err);
    void (*destroy)(baton_pipeline *p); /* safe after a failed create */
    uint32_t (*target_count)(const baton_pipeline *p);
    /* Record the copy of slot s's frame (p->slots[s].shared.buffer: RGBA8
     * rows of p->pitch bytes) into target t, with the barriers it needs. */
    void (*record)(baton_pipeline *p, uint32_t s, uint32_t t, VkCommandBuffer cmd);
    /* Optional (NULL: target 0, no semaphores). */
    baton_status (*acquire)(baton_pipeline *p, struct slot *sl, uint32_t *target, VkSemaphore *wait,
                            VkSemaphore *signal, baton_error *err);
    baton_status (*submitted)(baton_pipeline *p, struct slot *sl, uint32_t target, baton_error *err);
    baton_status (*done)(baton_pipeline *p, struct slot *sl, baton_error *err);
    /* Optional: every frame is done (drain): collect what is still due,
     * e.g. the last page flip's completion (bounded wait). */
    void (*drained)(baton_pipeline *p);
    /* Optional: describe the display and copy the vblank records (out is
     * zeroed by the caller). */
    void (*report)(const baton_pipeline *p, baton_display_report *out);
} sink_ops;

/* Find the sink by scheme; BATON_ERR_INVALID_ARGUMENT lists the known ones.
 * *arg points after "scheme" (at ":..." or the end). */
baton_status sink_find(const char *spec, const sink_ops **ops, const char **arg, baton_error *err);

extern const sink_ops sink_headless_ops;
extern const sink_ops sink_drm_ops;
extern const sink_ops sink_x11_ops;
extern const sink_ops sink_kms_ops; /* reached through "drm" only */

#endif
