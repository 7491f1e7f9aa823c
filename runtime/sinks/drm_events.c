/* drm_events.c - a DRM fd's events, decoded; waiting for them (bounded). */
#include "sinks/drm_events.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "util/baton_internal.h"
#include "util/fault.h"

void drm_events_read(int fd, drm_event_fn fn, void *ctx)
{
    char buf[1024];
    ssize_t n = BATON_FAULT_SYS(read(fd, buf, sizeof buf), -1);
    size_t at = 0;
    while (n > 0 && at + sizeof(struct drm_event) <= (size_t)n) {
        struct drm_event e;
        memcpy(&e, buf + at, sizeof e);
        if (e.length < sizeof e || at + e.length > (size_t)n)
            break;
        drm_event_rec r = {.type = e.type};
        bool known = true;
        if (e.type == DRM_EVENT_CRTC_SEQUENCE && e.length >= sizeof(struct drm_event_crtc_sequence)) {
            struct drm_event_crtc_sequence c;
            memcpy(&c, buf + at, sizeof c);
            r.user_data = c.user_data;
            r.sequence = c.sequence;
            r.ns = (uint64_t)c.time_ns;
        } else if ((e.type == DRM_EVENT_VBLANK || e.type == DRM_EVENT_FLIP_COMPLETE) &&
                   e.length >= sizeof(struct drm_event_vblank)) {
            struct drm_event_vblank v;
            memcpy(&v, buf + at, sizeof v);
            r.user_data = v.user_data;
            r.sequence = v.sequence;
            r.ns = (uint64_t)v.tv_sec * 1000000000u + (uint64_t)v.tv_usec * 1000u;
        } else {
            known = false;
        }
        if (known)
            fn(ctx, &r);
        at += e.length;
    }
}

bool drm_events_wait(int fd, uint64_t end_ns, bool (*done)(void *ctx), drm_event_fn fn,
                     void *ctx)
{
    while (!done(ctx)) {
        uint64_t now = baton_now_ns();
        if (now >= end_ns)
            return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = BATON_FAULT_SYS(poll(&pfd, 1, (int)((end_ns - now + 999999u) / 1000000u)), -1);
        if (r > 0 && (pfd.revents & POLLIN))
            drm_events_read(fd, fn, ctx);
        else if (r < 0 && errno != EINTR)
            return false;
    }
    return true;
}

uint32_t drm_vblank_pipe(uint32_t crtc_index)
{
    if (crtc_index == 0)
        return 0;
    if (crtc_index == 1)
        return (uint32_t)DRM_VBLANK_SECONDARY;
    return (crtc_index << DRM_VBLANK_HIGH_CRTC_SHIFT) & (uint32_t)DRM_VBLANK_HIGH_CRTC_MASK;
}
