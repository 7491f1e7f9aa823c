/* types.c - names of the small enums in baton/types.h. */
#include "baton/types.h"

const char *baton_sync_mode_name(baton_sync_mode mode)
{
    switch (mode) {
    case BATON_SYNC_AUTO: return "auto";
    case BATON_SYNC_TIMELINE: return "timeline";
    case BATON_SYNC_BINARY: return "binary";
    }
    return "unknown";
}

const char *baton_compute_mode_name(baton_compute_mode mode)
{
    switch (mode) {
    case BATON_COMPUTE_AUTO: return "auto";
    case BATON_COMPUTE_CUDA: return "CUDA";
    case BATON_COMPUTE_CPU: return "CPU";
    }
    return "unknown";
}

const char *baton_handoff_mode_name(baton_handoff_mode mode)
{
    switch (mode) {
    case BATON_HANDOFF_AUTO: return "auto";
    case BATON_HANDOFF_GPU: return "gpu";
    case BATON_HANDOFF_RELAY: return "relay";
    }
    return "unknown";
}
