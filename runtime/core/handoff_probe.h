/* handoff_probe.h - time the two ways of carrying a frame across between
 * CUDA and Vulkan on this machine, once, when a context is created. */
#ifndef BATON_HANDOFF_PROBE_H
#define BATON_HANDOFF_PROBE_H

#include "baton/context.h"

/* With the CUDA stage: 100 round trips of each hand-off mode and direction
 * (after 10 to warm up), with the context's sync mode; fills *out and its
 * choices. With the CPU stage: nothing to time; relay both ways. Creates
 * and destroys its own semaphores, stream, event and fence. Errors name the
 * failing call; every wait is bounded (1 s). */
baton_status baton_handoff_measure(baton_context *ctx, baton_handoff_report *out,
                                   baton_error *err);

#endif
