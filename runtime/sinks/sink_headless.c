/* sink_headless.c - the offscreen display: a target image the Vulkan stage
 * copies each frame into, optional readback to host memory, PNG dumps. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <stdlib.h>

#include "engine/pipeline_internal.h"
#include "core/vk_util.h"

typedef struct headless {
    VkImage target;
    VkDeviceMemory memory;
} headless;

static baton_status headless_create(baton_pipeline *p, const char *arg, baton_error *err)
{
    baton_context *ctx = p->ctx;
    if (*arg)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "sink 'headless' takes no argument, got '%s'", arg);
    headless *h = calloc(1, sizeof *h);
    if (!h)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(headless sink) failed");
    p->sink_state = h;
    baton_status st = sink_image_create(ctx, p->cfg.width, p->cfg.height,
                                        VK_FORMAT_R8G8B8A8_UNORM, "headless target", &h->target,
                                        &h->memory, err);
    return st == BATON_OK ? sink_readback_create(p, err) : st;
}

static void headless_destroy(baton_pipeline *p)
{
    headless *h = p->sink_state;
    sink_readback_destroy(p);
    if (h)
        sink_image_destroy(p->ctx, &h->target, &h->memory);
    free(h);
    p->sink_state = NULL;
}

static uint32_t headless_targets(const baton_pipeline *p)
{
    (void)p;
    return 1;
}

static void headless_record(baton_pipeline *p, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    (void)t;
    headless *h = p->sink_state;
    sink_record_frame_to_image(p, s, h->target, false, cmd);
}

static baton_status headless_done(baton_pipeline *p, slot *sl, baton_error *err)
{
    if (p->cfg.sink_delay_us) {
        struct timespec ts = {.tv_sec = p->cfg.sink_delay_us / 1000000u,
                              .tv_nsec = (long)(p->cfg.sink_delay_us % 1000000u) * 1000};
        nanosleep(&ts, NULL);
    }
    return sink_dump_frame(p, sl, err);
}

const sink_ops sink_headless_ops = {
    .scheme = "headless",
    .usage = "headless",
    .create = headless_create,
    .destroy = headless_destroy,
    .target_count = headless_targets,
    .record = headless_record,
    .done = headless_done,
};
