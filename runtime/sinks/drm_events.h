/* drm_events.h - reading a DRM fd's events (vblank, page-flip, CRTC
 * sequence) and waiting for them, for both drm sink paths. No allocation:
 * events are read into a stack buffer. */
#ifndef BATON_DRM_EVENTS_H
#define BATON_DRM_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

/* One event, decoded. */
typedef struct drm_event_rec {
    uint32_t type;      /* DRM_EVENT_VBLANK, DRM_EVENT_FLIP_COMPLETE, DRM_EVENT_CRTC_SEQUENCE */
    uint64_t user_data; /* what the request carried (baton: the frame number) */
    uint64_t sequence;  /* the CRTC's vblank counter */
    uint64_t ns;        /* CLOCK_MONOTONIC time of that vblank (or of the flip) */
} drm_event_rec;

typedef void (*drm_event_fn)(void *ctx, const drm_event_rec *e);

/* Read the events queued on fd (call it when fd polled readable: the read
 * blocks otherwise) and pass each of the three kinds above to fn. */
void drm_events_read(int fd, drm_event_fn fn, void *ctx);

/* Poll fd and read its events until done(ctx) is true (true) or
 * CLOCK_MONOTONIC end_ns passes or poll fails (false). */
bool drm_events_wait(int fd, uint64_t end_ns, bool (*done)(void *ctx), drm_event_fn fn,
                     void *ctx);

/* The DRM_VBLANK_* bits that select CRTC index i for drmWaitVBlank. */
uint32_t drm_vblank_pipe(uint32_t crtc_index);

#endif
