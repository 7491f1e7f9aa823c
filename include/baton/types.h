/* baton/types.h - small plain types shared by several baton headers. */
#ifndef BATON_TYPES_H
#define BATON_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the two APIs hand frames to each other. */
typedef enum baton_sync_mode {
    BATON_SYNC_AUTO = 0,   /* timeline where the device supports it, else binary */
    BATON_SYNC_TIMELINE,   /* two timeline semaphores carry the frame number */
    BATON_SYNC_BINARY,     /* one binary semaphore per slot and direction */
} baton_sync_mode;

/* Which code does the compute stage (upload + conversion + user kernels). */
typedef enum baton_compute_mode {
    BATON_COMPUTE_AUTO = 0, /* CUDA if a CUDA device is usable, else CPU */
    BATON_COMPUTE_CUDA,
    BATON_COMPUTE_CPU,      /* no CUDA: CPU conversion, host-side semaphore ops */
} baton_compute_mode;

/* Frames in flight: S, the number of slots a pipeline cycles through. */
#define BATON_SLOTS_MIN 2u
#define BATON_SLOTS_MAX 4u

/* When the sink is slower than the source. */
typedef enum baton_drop_policy {
    BATON_POLICY_NEWEST = 0,   /* show the newest frame; older ones are dropped (counted) */
    BATON_POLICY_BACKPRESSURE, /* take every frame in order; the source waits */
} baton_drop_policy;

/* Who carries a frame across from one API to the other, per direction. */
typedef enum baton_handoff_mode {
    BATON_HANDOFF_AUTO = 0, /* the faster of the two, measured on this machine at start-up
                               (baton_context_handoff); relay with the CPU stage */
    BATON_HANDOFF_GPU,      /* the consumer's queue waits on the producer's exported
                               semaphore (device-side wait) */
    BATON_HANDOFF_RELAY,    /* a host thread sees the producer finish (CUDA event,
                               Vulkan fence) and only then lets the consumer start;
                               no exported semaphore is waited or signalled per frame */
} baton_handoff_mode;

const char *baton_sync_mode_name(baton_sync_mode mode);
const char *baton_compute_mode_name(baton_compute_mode mode);
/* "auto", "gpu", "relay"; "unknown" otherwise. */
const char *baton_handoff_mode_name(baton_handoff_mode mode);

#ifdef __cplusplus
}
#endif

#endif
