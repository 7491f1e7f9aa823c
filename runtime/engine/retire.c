/* retire.c - the completion thread: for each frame in order it waits
 * (bounded) for the frame's Vulkan fence and retires it at once: the
 * frame's times and GPU spans, the sink's done hook (a page flip, a dump),
 * on_done. Then the slot is free for the driving thread. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/cuda_wait.h"
#include "engine/pipeline_internal.h"
#include "frame/nvtx_ranges.h"

/* The frame's record in the times ring, and the counters (under the lock). */
static void record_times(baton_pipeline *p, const frame_slot *sl, uint64_t gpu_done_ns)
{
    baton_frame_times t = {
        .frame = sl->frame,
        .capture_ns = sl->capture_ns ? sl->capture_ns : sl->ready_ns,
        .ready_ns = sl->ready_ns,
        .compute_start_ns = sl->compute_start_ns,
        .gpu_done_ns = gpu_done_ns,
        .done_ns = sl->done_ns,
    };
    pthread_mutex_lock(&p->pr.lock);
    p->times[sl->frame % p->cfg.stats_frames] = t;
    p->times_count++;
    p->stats.frames_done++;
    pthread_mutex_unlock(&p->pr.lock);
}

/* GPU spans: the compute stage's from its events (placed from the host's
 * start: CUDA events carry no host time), the Vulkan stage's from its
 * timestamps (at their own times when calibrated). */
static uint64_t record_spans(baton_pipeline *p, uint32_t s, const frame_slot *sl)
{
    uint64_t cu_ns = p->compute->ops->gpu_ns(p->compute, s);
    if (cu_ns) /* the CPU stage records its own span as it runs */
        baton_trace_record_span(p->trace, sl->frame, BATON_STAGE_COMPUTE, sl->compute_start_ns,
                                sl->compute_start_ns + cu_ns);
    uint64_t vk_ns = 0, end_ns = 0;
    vulkan_stage_gpu_times(p->vulkan, s, &vk_ns, &end_ns);
    if (end_ns && end_ns >= vk_ns)
        baton_trace_record_span(p->trace, sl->frame, BATON_STAGE_VULKAN, end_ns - vk_ns, end_ns);
    else
        baton_trace_record_span(p->trace, sl->frame, BATON_STAGE_VULKAN, sl->submit_ns,
                                sl->submit_ns + vk_ns);
    return end_ns;
}

/* The Vulkan stage's wait failed: if the compute stage died first (a
 * faulted CUDA kernel: its signal for this frame never comes, so with the
 * GPU hand-off the fence can only time out), say that instead. */
static baton_status why_not_done(baton_pipeline *p, uint64_t m, baton_status st, baton_error *err)
{
    if (!p->compute->ops->dead)
        return st;
    /* the host may learn of a fault only after the wait expired: look again
     * for up to timeout_ms (the driving thread's own bounded wait for the
     * slot may report the timeout first: on the H200 it did, for a trap) */
    uint64_t end = baton_now_ns() + (uint64_t)p->cfg.timeout_ms * 1000000u;
    baton_error dead;
    while (p->compute->ops->dead(p->compute, m, &dead) == BATON_OK) {
        if (baton_now_ns() >= end)
            return st;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    if (err)
        *err = dead;
    return dead.status;
}

static baton_status retire(baton_pipeline *p, uint64_t m, baton_error *err)
{
    uint32_t s = (uint32_t)(m % p->cfg.slots);
    frame_slot *sl = &p->slots[s];
    baton_nvtx_push(BATON_NVTX_RETIRE, m);
    baton_status st = vulkan_stage_wait(p->vulkan, s, err);
    if (st != BATON_OK)
        st = why_not_done(p, m, st, err);
    if (st == BATON_OK) {
        sl->done_ns = baton_now_ns();
        record_times(p, sl, record_spans(p, s, sl));
        /* a lost display's sink is not asked again; the driving thread
         * replaces it once every frame started on it has retired */
        if (p->sink.ops->done && !atomic_load(&p->display_gone)) {
            st = p->sink.ops->done(&p->sink, sl, err);
            if (st == BATON_OK && m == p->lose_display_at)
                st = baton_error_set(err, BATON_ERR_DISCONNECTED,
                                     "%s sink: display lost (injected at frame %llu)",
                                     p->sink.ops->scheme, (unsigned long long)m);
            if (st == BATON_ERR_DISCONNECTED &&
                p->cfg.on_display_lost == BATON_DISPLAY_LOST_HEADLESS) {
                pipeline_display_lost(p, m, err);
                st = BATON_OK; /* the frame finished: it retires */
            }
        }
    }
    if (st == BATON_OK && p->cfg.on_done) {
        baton_frame_info info = {
            .frame = sl->frame, .source_frame = sl->source_frame, .slot = s,
            .capture_ns = sl->capture_ns, .source_ready_ns = sl->ready_ns,
            .compute_start_ns = sl->compute_start_ns,
            .gpu_done_ns = p->times[m % p->cfg.stats_frames].gpu_done_ns,
            .done_ns = sl->done_ns, .rgba = sl->readback_host, .pitch = p->view.pitch,
            .width = p->cfg.width, .height = p->cfg.height,
        };
        p->cfg.on_done(p->cfg.done_user, &info);
    }
    if (st == BATON_OK)
        source_release(&p->src, sl->staging); /* the camera may fill it again */
    baton_nvtx_pop();
    if (st == BATON_OK)
        baton_nvtx_frame_end(sl->nvtx_range);
    return st;
}

void *pipeline_completion_main(void *arg)
{
    baton_pipeline *p = arg;
    pthread_setname_np(pthread_self(), "baton-done");
    baton_nvtx_name_thread("baton-done");
    baton_thread_timer_slack();
    for (uint64_t m = 0;; m++) {
        /* no deadline: waiting for the next frame to be submitted is idle */
        if (progress_wait(&p->pr, PROGRESS_SUBMITTED, m + 1, 0) != PROGRESS_REACHED)
            break;
        baton_error err;
        baton_status st = retire(p, m, &err);
        if (st != BATON_OK) {
            progress_fail(&p->pr, st, &err);
            break;
        }
        progress_set(&p->pr, PROGRESS_RETIRED, m + 1);
    }
    return NULL;
}

void pipeline_display_lost(baton_pipeline *p, uint64_t frame, const baton_error *err)
{
    pthread_mutex_lock(&p->pr.lock);
    if (!p->stats.display_lost) {
        p->stats.display_lost = true;
        p->stats.display_lost_frame = frame;
        snprintf(p->stats.display_lost_reason, sizeof p->stats.display_lost_reason, "%s",
                 err ? err->message : "display lost");
    }
    pthread_mutex_unlock(&p->pr.lock);
    atomic_store(&p->display_gone, true);
}

void pipeline_on_screen(sink *sk, uint64_t frame, uint64_t ns)
{
    baton_pipeline *p = sk->owner;
    pthread_mutex_lock(&p->pr.lock);
    baton_frame_times *t = &p->times[frame % p->cfg.stats_frames];
    if (t->frame == frame && t->done_ns)
        t->on_screen_ns = ns;
    pthread_mutex_unlock(&p->pr.lock);
}
