/* relay.c - the relay thread: with the CUDA stage and a relayed hand-off to
 * Vulkan, it waits (bounded) for each frame's CUDA work to finish, then
 * submits that frame's Vulkan stage, which waits on nothing. The plan's
 * Vulkan wait is recorded then: the host has seen the signal. */
#include <pthread.h>

#include "core/cuda_wait.h"
#include "engine/pipeline_internal.h"
#include "frame/nvtx_ranges.h"

void *pipeline_relay_main(void *arg)
{
    baton_pipeline *p = arg;
    pthread_setname_np(pthread_self(), "baton-relay");
    baton_nvtx_name_thread("baton-relay");
    baton_thread_timer_slack();
    for (uint64_t m = 0;; m++) {
        if (progress_wait(&p->pr, PROGRESS_COMPUTED, m + 1, 0) != PROGRESS_REACHED)
            break;
        baton_error err;
        baton_nvtx_push(BATON_NVTX_RELAY, m); /* the host waits for CUDA's work */
        uint64_t deadline = baton_now_ns() + (uint64_t)p->cfg.timeout_ms * 1000000u;
        baton_status st = p->compute->ops->wait_done(p->compute, m, deadline, &err);
        baton_nvtx_pop();
        if (st == BATON_OK) { /* and submits the Vulkan stage, as the driving thread would */
            baton_nvtx_push(BATON_NVTX_VULKAN, m);
            st = vulkan_stage_submit(p->vulkan, m, &err);
            baton_nvtx_pop();
            /* the display went away after the frame went out (present):
             * it retires; the driving thread replaces the sink */
            if (st == BATON_ERR_DISCONNECTED && vulkan_stage_went_out(p->vulkan, m) &&
                p->cfg.on_display_lost == BATON_DISPLAY_LOST_HEADLESS) {
                pipeline_display_lost(p, m, &err);
                st = BATON_OK;
            }
        }
        if (st != BATON_OK) {
            progress_fail(&p->pr, st, &err);
            break;
        }
        progress_set(&p->pr, PROGRESS_SUBMITTED, m + 1);
    }
    return NULL;
}
