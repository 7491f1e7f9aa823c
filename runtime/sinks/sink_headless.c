/* sink_headless.c - the offscreen display: a target image the Vulkan stage
 * copies each frame into, optional readback to host memory, PNG dumps. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <stdlib.h>

#include "sinks/sink_common.h"
#include "core/vk_util.h"
#include "util/fault.h"

typedef struct headless {
    VkImage target;
    VkDeviceMemory memory;
} headless;

static baton_status headless_create(sink *sk, const char *arg, baton_error *err)
{
    baton_context *ctx = sk->view->ctx;
    if (*arg)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "sink 'headless' takes no argument, got '%s'", arg);
    headless *h = BATON_FAULT_PTR(calloc(1, sizeof *h));
    if (!h)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(headless sink) failed");
    sk->state = h;
    baton_status st = sink_image_create(ctx, sk->view->width, sk->view->height,
                                        VK_FORMAT_R8G8B8A8_UNORM, "headless target", &h->target,
                                        &h->memory, err);
    return st == BATON_OK ? sink_readback_create(sk, err) : st;
}

static void headless_destroy(sink *sk)
{
    headless *h = sk->state;
    sink_readback_destroy(sk);
    if (h)
        sink_image_destroy(sk->view->ctx, &h->target, &h->memory);
    free(h);
    sk->state = NULL;
}

static uint32_t headless_targets(const sink *sk)
{
    (void)sk;
    return 1;
}

static void headless_record(sink *sk, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    (void)t;
    headless *h = sk->state;
    sink_record_frame_to_image(sk, s, h->target, false, cmd);
}

static baton_status headless_done(sink *sk, frame_slot *sl, baton_error *err)
{
    if (sk->delay_us) {
        struct timespec ts = {.tv_sec = sk->delay_us / 1000000u,
                              .tv_nsec = (long)(sk->delay_us % 1000000u) * 1000};
        nanosleep(&ts, NULL);
    }
    return sink_dump_frame(sk, sl, err);
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
