/* pipeline.c - create the pipeline's pieces and threads once, then drive
 * frames through them in the order of the plan (baton/schedule.h); the
 * completion thread (retire.c) and the relay thread (relay.c) take them
 * from there. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/interop.h"
#include "frame/nvtx_ranges.h"
#include "core/vk_util.h"
#include "engine/pipeline_internal.h"
#include "sinks/dump_writer.h"
#include "util/fault.h"

void baton_pipeline_config_default(baton_pipeline_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->width = 1280;
    cfg->height = 720;
    cfg->format = BATON_FORMAT_YUYV;
    cfg->slots = 2;
    cfg->timeout_ms = 1000;
    cfg->policy = BATON_POLICY_BACKPRESSURE;
    cfg->source = "pattern";
    cfg->sink = "headless";
    cfg->trace_events = 65536;
    cfg->stats_frames = 65536;
    cfg->on_source_lost = BATON_SOURCE_LOST_STOP;
    cfg->source_resync_ms = BATON_SOURCE_RESYNC_MS_DEFAULT;
    cfg->on_display_lost = BATON_DISPLAY_LOST_STOP;
}

/* The compute stage this context runs: chosen here, once. */
static const compute_stage_ops *compute_ops(const baton_context *ctx)
{
    return ctx->compute == BATON_COMPUTE_CUDA ? &compute_stage_cuda : &compute_stage_cpu;
}

static baton_status check_config(const baton_pipeline_config *c, baton_error *err)
{
    if (c->slots < BATON_SLOTS_MIN || c->slots > BATON_SLOTS_MAX)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "slots = %u: must be %u..%u",
                               c->slots, BATON_SLOTS_MIN, BATON_SLOTS_MAX);
    if (c->timeout_ms == 0)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "timeout_ms must be > 0");
    if (!c->source || !c->sink)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "source and sink must be named");
    if (c->format == BATON_FORMAT_RGBA8 || (unsigned)c->format >= BATON_FORMAT_COUNT)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "source format must be YUYV, UYVY, NV12, GREY or RGB24");
    if (c->dump_count && (!c->readback || !c->dump_dir))
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "frame dumps need readback and a dump directory");
    if (c->trace_events == 0 || c->stats_frames == 0)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "trace_events and stats_frames must be > 0");
    if ((unsigned)c->on_source_lost > BATON_SOURCE_LOST_RESYNC)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "on_source_lost = %d: must be STOP or RESYNC", (int)c->on_source_lost);
    if ((unsigned)c->on_display_lost > BATON_DISPLAY_LOST_HEADLESS)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "on_display_lost = %d: must be STOP or HEADLESS",
                               (int)c->on_display_lost);
    return baton_format_check_size(c->format, c->width, c->height, err);
}

/* The plan's semaphores, taken from a pool made for this pipeline. */
static baton_status take_semaphores(baton_pipeline *p, baton_error *err)
{
    bool timeline = p->plan.mode == BATON_SYNC_TIMELINE;
    uint32_t n = baton_schedule_sem_count(&p->plan);
    baton_sem_pool_config pc = {timeline ? 0 : n, timeline ? n : 0};
    baton_status st = baton_sem_pool_create(p->ctx, &pc, &p->pool, err);
    for (uint32_t i = 0; i < n && st == BATON_OK; i++) {
        uint32_t index = 0;
        st = baton_sem_pool_acquire(p->pool, timeline ? BATON_SEM_TIMELINE : BATON_SEM_BINARY,
                                    &index, err);
        p->sem[i].vk = baton_sem_pool_vk(p->pool, index);
        p->sem[i].cuda = baton_sem_pool_cuda(p->pool, index);
    }
    return st;
}

/* GPU or RELAY for one direction: as asked, or AUTO's measured choice. */
static baton_handoff_mode choose_handoff(baton_handoff_mode asked, baton_handoff_mode measured)
{
    return asked == BATON_HANDOFF_AUTO ? measured : asked;
}

/* What the stages, the source and the sink see of this pipeline. */
static void fill_view(baton_pipeline *p)
{
    p->view = (frame_view){
        .ctx = p->ctx, .format = p->cfg.format, .width = p->cfg.width, .height = p->cfg.height,
        .pitch = (size_t)p->cfg.width * 4, .src_bytes = p->src.frame_bytes,
        .slots = p->cfg.slots, .slot = p->slots, .plan = &p->plan, .sem = p->sem,
        .trace = p->trace, .timeout_ms = p->cfg.timeout_ms,
    };
    p->sink = (sink){
        .view = &p->view, .readback = p->cfg.readback, .dump_dir = p->cfg.dump_dir,
        .dump_frames = p->cfg.dump_frames, .dump_count = p->cfg.dump_count,
        .delay_us = p->cfg.sink_delay_us, .on_screen = pipeline_on_screen, .owner = p,
    };
}

/* Offer the source the slots' staging buffers to capture into, the slot
 * of frame `first` (the next to read) first: a camera fills its queue in
 * order. */
static baton_status bind_source(baton_pipeline *p, uint64_t first, baton_error *err)
{
    uint8_t *buffers[BATON_SLOTS_MAX];
    for (uint32_t s = 0; s < p->cfg.slots; s++)
        buffers[s] = p->slots[(first + s) % p->cfg.slots].staging;
    baton_status st = source_bind(&p->src, buffers, p->cfg.slots, p->view.src_bytes, err);
    pthread_mutex_lock(&p->pr.lock);
    snprintf(p->stats.source_io, sizeof p->stats.source_io, "%s", p->src.io);
    pthread_mutex_unlock(&p->pr.lock);
    return st;
}

static baton_status create_stages(baton_pipeline *p, baton_error *err)
{
    const baton_pipeline_config *c = &p->cfg;
    const compute_stage_ops *compute = compute_ops(p->ctx);
    baton_status st = BATON_OK;
    for (uint32_t s = 0; s < c->slots && st == BATON_OK; s++)
        st = frame_memory_create(p->ctx, (VkDeviceSize)p->view.pitch * c->height,
                                 compute == &compute_stage_cuda, &p->slots[s].shared, err);
    compute_config cc = {c->cuda_work, c->cpu_work, c->work_user, p->to_vulkan, p->to_compute};
    if (st == BATON_OK)
        st = compute->create(&p->view, &cc, &p->compute, err);
    const char *sink_arg = "";
    if (st == BATON_OK)
        st = sink_find(c->sink, &p->sink.ops, &sink_arg, err);
    if (st == BATON_OK)
        st = p->sink.ops->create(&p->sink, sink_arg, err);
    if (st == BATON_OK)
        st = vulkan_stage_create(&p->view, &p->sink, p->to_vulkan, p->to_compute, &p->vulkan, err);
    if (st == BATON_OK)
        st = bind_source(p, 0, err);
    return st;
}

/* The relay thread only where the host relays CUDA's work to Vulkan; the
 * CPU stage finishes its work before the driving thread submits. */
static bool uses_relay_thread(const baton_pipeline *p)
{
    return p->ctx->compute == BATON_COMPUTE_CUDA && p->to_vulkan == BATON_HANDOFF_RELAY;
}

static baton_status start_threads(baton_pipeline *p, baton_error *err)
{
    int e = BATON_FAULT_PTHREAD(pthread_create(&p->completion, NULL, pipeline_completion_main, p));
    if (e != 0)
        return baton_error_set(err, BATON_ERR_OS, "pthread_create(completion thread) failed: %s",
                               strerror(e));
    p->completion_started = true;
    if (!uses_relay_thread(p))
        return BATON_OK;
    if ((e = BATON_FAULT_PTHREAD(pthread_create(&p->relay, NULL, pipeline_relay_main, p))) != 0)
        return baton_error_set(err, BATON_ERR_OS, "pthread_create(relay thread) failed: %s",
                               strerror(e));
    p->relay_started = true;
    return BATON_OK;
}

static baton_status create_parts(baton_pipeline *p, baton_error *err)
{
    const baton_pipeline_config *c = &p->cfg;
    baton_handoff_report measured = baton_context_handoff(p->ctx);
    p->to_vulkan = choose_handoff(c->handoff_to_vulkan, measured.to_vulkan);
    p->to_compute = choose_handoff(c->handoff_to_compute, measured.to_compute);
    p->stats.handoff_to_vulkan = p->to_vulkan;
    p->stats.handoff_to_compute = p->to_compute;
    baton_status st = take_semaphores(p, err);
    if (st == BATON_OK)
        st = baton_trace_create(c->trace_events, c->trace_events / 2 + 1, &p->trace, err);
    if (st == BATON_OK && !(p->times = BATON_FAULT_PTR(calloc(c->stats_frames, sizeof *p->times))))
        st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(frame times) failed");
    if (st == BATON_OK)
        st = progress_init(&p->pr, err);
    if (st == BATON_OK) {
        p->pr_ready = true;
        fill_view(p);
        if (c->dump_count) /* PNGs are written on a thread of their own */
            st = dump_writer_create(c->dump_dir, c->width, c->height, p->view.pitch,
                                    &p->sink.dumper, err);
    }
    if (st == BATON_OK)
        st = create_stages(p, err);
    if (st == BATON_OK)
        p->stats.gpu_times = vulkan_stage_calibrated(p->vulkan);
    if (st == BATON_OK)
        st = start_threads(p, err);
    return st;
}

static baton_status check_handoff(const baton_pipeline_config *c, baton_error *err)
{
    baton_handoff_mode m[2] = {c->handoff_to_vulkan, c->handoff_to_compute};
    for (int i = 0; i < 2; i++)
        if ((unsigned)m[i] > BATON_HANDOFF_RELAY)
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "handoff_to_%s = %d: must be AUTO, GPU or RELAY",
                                   i ? "compute" : "vulkan", (int)m[i]);
    return BATON_OK;
}

baton_status baton_pipeline_create(baton_context *ctx, const baton_pipeline_config *cfg,
                                   baton_pipeline **out, baton_error *err)
{
    if (!ctx || !cfg || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_create: NULL argument");
    baton_status st = check_config(cfg, err);
    if (st == BATON_OK)
        st = check_handoff(cfg, err);
    if (st != BATON_OK)
        return st;
    baton_nvtx_init();
    baton_pipeline *p = BATON_FAULT_PTR(calloc(1, sizeof *p));
    if (!p)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(baton_pipeline) failed");
    p->ctx = ctx;
    p->cfg = *cfg;
    p->plan.slots = cfg->slots;
    p->plan.mode = ctx->sync;
    p->stall_from = UINT64_MAX;
    p->lose_display_at = UINT64_MAX;
    p->stats.sync = ctx->sync;
    p->stats.compute = ctx->compute;
    p->stats.slots = cfg->slots;
    p->stats.width = cfg->width;
    p->stats.height = cfg->height;
    p->stats.format = cfg->format;
    /* the source may deliver another format or size than asked (a file's
     * header, a camera's negotiation): size everything from what it gives */
    if (cfg->on_source_lost == BATON_SOURCE_LOST_RESYNC &&
        !(p->source_spec = BATON_FAULT_PTR(strdup(cfg->source)))) {
        free(p);
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "strdup(source spec) failed");
    }
    if (p->source_spec)
        p->cfg.source = p->source_spec; /* reopened by this name */
    st = source_open_timed(&p->src, p->cfg.source, cfg->format, cfg->width, cfg->height,
                           cfg->timeout_ms, err);
    if (st == BATON_OK) {
        p->cfg.format = p->src.format;
        p->cfg.width = p->src.width;
        p->cfg.height = p->src.height;
        p->stats.width = p->src.width;
        p->stats.height = p->src.height;
        p->stats.format = p->src.format;
        st = create_parts(p, err);
    }
    if (st != BATON_OK) {
        baton_pipeline_destroy(p);
        return st;
    }
    *out = p;
    baton_error_clear(err);
    return BATON_OK;
}

/* How long the driving thread waits for a frame to retire: a little past
 * timeout_ms, so that a frame that never finishes is reported by the
 * completion thread's own (equally bounded) wait. */
static uint64_t retire_deadline(const baton_pipeline *p)
{
    return baton_now_ns() + (uint64_t)p->cfg.timeout_ms * 1000000u + 20000000u;
}

/* The driving thread's wait for frame `frame` ran out. */
static baton_status not_retired(const baton_pipeline *p, uint64_t frame, baton_error *err)
{
    return baton_error_set(err, BATON_ERR_TIMEOUT,
                           "vulkan stage: frame %llu (slot %u) not done within %u ms "
                           "(is the compute stage signalling?)",
                           (unsigned long long)frame, (unsigned)(frame % p->cfg.slots),
                           p->cfg.timeout_ms);
}

/* Wait until frame n's slot is free: the frame that used it last (n - S)
 * has been retired by the completion thread. */
static baton_status wait_for_slot(baton_pipeline *p, uint64_t n, baton_error *err)
{
    if (n < p->cfg.slots)
        return BATON_OK;
    uint64_t last = n - p->cfg.slots;
    progress_wait_result r = progress_wait(&p->pr, PROGRESS_RETIRED, last + 1, retire_deadline(p));
    if (r == PROGRESS_REACHED)
        return BATON_OK;
    if (progress_failure(&p->pr, err) != BATON_OK)
        return err ? err->status : progress_failure(&p->pr, NULL);
    return not_retired(p, last, err);
}

static baton_status wait_retired(baton_pipeline *p, baton_error *err);
static baton_status go_headless(baton_pipeline *p, baton_error *err);

/* Hand frame n on: to the relay thread, or submit its Vulkan stage here. */
static baton_status pass_on(baton_pipeline *p, uint64_t n, bool stalled, baton_error *err)
{
    if (stalled && p->to_vulkan == BATON_HANDOFF_RELAY)
        return BATON_OK; /* the host never sees it finish: it goes no further */
    if (uses_relay_thread(p)) {
        progress_set(&p->pr, PROGRESS_COMPUTED, n + 1);
        return BATON_OK;
    }
    baton_nvtx_push(BATON_NVTX_VULKAN, n);
    baton_status st = vulkan_stage_submit(p->vulkan, n, err);
    if (st == BATON_ERR_DISCONNECTED && p->cfg.on_display_lost == BATON_DISPLAY_LOST_HEADLESS) {
        pipeline_display_lost(p, n, err);
        if (vulkan_stage_went_out(p->vulkan, n)) {
            st = BATON_OK; /* lost at present: the frame retires, the switch comes next */
        } else { /* lost at acquire: frame n goes to the headless sink instead */
            st = go_headless(p, err);
            if (st == BATON_OK)
                st = vulkan_stage_submit(p->vulkan, n, err);
        }
    }
    baton_nvtx_pop();
    if (st == BATON_OK)
        progress_set(&p->pr, PROGRESS_SUBMITTED, n + 1);
    return st;
}

/* ---- recovery: a lost source, a lost display --------------------------- */

/* Whether this error of the source is one RESYNC recovers from. */
static bool source_lost(const baton_pipeline *p, baton_status st)
{
    return p->cfg.on_source_lost == BATON_SOURCE_LOST_RESYNC &&
           (st == BATON_ERR_TIMEOUT || st == BATON_ERR_DISCONNECTED);
}

static uint64_t resync_limit_ms(const baton_pipeline *p)
{
    return p->cfg.source_resync_ms ? p->cfg.source_resync_ms : BATON_SOURCE_RESYNC_MS_DEFAULT;
}

/* The source came back with another format or size than the pipeline was
 * made for: its frames would not fit the slots. */
static baton_status reopened_differs(baton_pipeline *p, baton_error *err)
{
    baton_status st = baton_error_set(
        err, BATON_ERR_MISMATCH,
        "source '%s' came back as %s %ux%u, the pipeline was made for %s %ux%u: "
        "make a new pipeline",
        p->cfg.source, baton_format_name(p->src.format), p->src.width, p->src.height,
        baton_format_name(p->cfg.format), p->cfg.width, p->cfg.height);
    source_close(&p->src);
    return st;
}

/* Close the lost source and reopen the same spec every
 * BATON_SOURCE_RESYNC_RETRY_MS until it opens (and binds) or the time
 * allowed since the loss is over. n: the frame to read next. */
static baton_status reopen_source(baton_pipeline *p, uint64_t n, baton_error *err)
{
    /* the frames in flight retire first: a bound camera's buffers are the
     * slots' staging, which the reopened one gets back all at once */
    baton_status st = wait_retired(p, err);
    if (st != BATON_OK)
        return st;
    source_close(&p->src); /* nothing in flight: no release() can come */
    p->src.bound = false;
    uint64_t deadline = p->lost_at_ns + resync_limit_ms(p) * 1000000u;
    baton_error last;
    baton_error_clear(&last);
    for (;;) {
        st = source_open_timed(&p->src, p->cfg.source, p->cfg.format, p->cfg.width,
                               p->cfg.height, p->cfg.timeout_ms, &last);
        if (st == BATON_OK && (p->src.format != p->cfg.format || p->src.width != p->cfg.width ||
                               p->src.height != p->cfg.height))
            return reopened_differs(p, err);
        if (st == BATON_OK && (st = bind_source(p, n, &last)) == BATON_OK)
            return BATON_OK;
        if (p->src.ops) /* opened, but the binding failed */
            source_close(&p->src);
        p->src.bound = false;
        uint64_t now = baton_now_ns();
        if (now >= deadline)
            return baton_error_set(err, BATON_ERR_TIMEOUT,
                                   "source '%s' lost (%s) and not back within %llu ms (last "
                                   "reopen: %s)",
                                   p->cfg.source, p->lost_err.message,
                                   (unsigned long long)resync_limit_ms(p), last.message);
        uint64_t retry = now + (uint64_t)BATON_SOURCE_RESYNC_RETRY_MS * 1000000u;
        /* nothing retires now: this only sleeps, or ends on a stop */
        progress_wait(&p->pr, PROGRESS_RETIRED, UINT64_MAX, retry < deadline ? retry : deadline);
        if ((st = progress_failure(&p->pr, err)) != BATON_OK)
            return st;
    }
}

/* Read frame n from the source into its slot; with RESYNC a lost source is
 * reopened and read again until it delivers or the time allowed is over. */
static baton_status read_source(baton_pipeline *p, uint64_t n, frame_slot *sl, uint64_t *dropped,
                                baton_error *err)
{
    baton_error e;
    baton_status st;
    for (;;) {
        uint64_t asked = baton_now_ns();
        st = source_next(&p->src, p->cfg.policy, sl->staging, p->cfg.timeout_ms,
                         &sl->source_frame, dropped, &sl->capture_ns, &e);
        if (st == BATON_OK && p->lost_at_ns) { /* back */
            pthread_mutex_lock(&p->pr.lock);
            p->stats.source_resyncs++;
            p->stats.source_absent_ns += baton_now_ns() - p->silent_since_ns;
            pthread_mutex_unlock(&p->pr.lock);
            p->lost_at_ns = 0;
        }
        if (st == BATON_OK || !source_lost(p, st))
            break;
        if (!p->lost_at_ns) { /* lost now: from here the time allowed counts */
            p->lost_at_ns = baton_now_ns();
            p->silent_since_ns = st == BATON_ERR_TIMEOUT ? asked : p->lost_at_ns;
            p->lost_err = e;
            pthread_mutex_lock(&p->pr.lock);
            p->stats.source_lost_frame = n;
            snprintf(p->stats.source_lost_reason, sizeof p->stats.source_lost_reason, "%s",
                     e.message);
            pthread_mutex_unlock(&p->pr.lock);
        }
        if ((st = reopen_source(p, n, &e)) != BATON_OK)
            break;
    }
    if (err && st != BATON_OK)
        *err = e;
    return st;
}

/* The display is gone: once every frame started on its sink has retired,
 * destroy the sink and the Vulkan stage recorded for it, and go on with a
 * headless sink and a stage recorded for that. */
static baton_status go_headless(baton_pipeline *p, baton_error *err)
{
    baton_status st = wait_retired(p, err);
    if (st != BATON_OK)
        return st;
    vulkan_stage_destroy(p->vulkan);
    p->vulkan = NULL;
    p->sink.ops->destroy(&p->sink);
    p->sink.state = NULL;
    p->sink.ops = &sink_headless_ops;
    p->display_switched = true;
    pthread_mutex_lock(&p->pr.lock);
    p->stats.display_headless_from = p->next_frame;
    char why[sizeof p->stats.display_lost_reason];
    snprintf(why, sizeof why, "%s", p->stats.display_lost_reason);
    pthread_mutex_unlock(&p->pr.lock);
    fprintf(stderr, "baton: %s; on_display_lost = HEADLESS: frames from %llu on go to the "
            "headless sink\n", why, (unsigned long long)p->next_frame);
    st = p->sink.ops->create(&p->sink, "", err);
    if (st == BATON_OK)
        st = vulkan_stage_create(&p->view, &p->sink, p->to_vulkan, p->to_compute, &p->vulkan, err);
    if (st == BATON_OK)
        p->stats.gpu_times = vulkan_stage_calibrated(p->vulkan);
    return st;
}

static bool must_go_headless(baton_pipeline *p)
{
    return !p->display_switched && atomic_load(&p->display_gone);
}

static baton_status run_frame(baton_pipeline *p, uint64_t n, baton_error *err)
{
    frame_slot *sl = &p->slots[n % p->cfg.slots];
    baton_status st = must_go_headless(p) ? go_headless(p, err) : BATON_OK;
    if (st == BATON_OK)
        st = wait_for_slot(p, n, err);
    if (st != BATON_OK)
        return st;
    uint64_t dropped = 0;
    sl->nvtx_range = baton_nvtx_frame_start(n);
    baton_nvtx_push(BATON_NVTX_SOURCE, n);
    st = read_source(p, n, sl, &dropped, err);
    baton_nvtx_pop();
    if (st != BATON_OK) {
        baton_nvtx_frame_end(sl->nvtx_range); /* the frame ends here */
        return st;
    }
    pthread_mutex_lock(&p->pr.lock);
    p->stats.frames_delivered++;
    p->stats.dropped += dropped;
    pthread_mutex_unlock(&p->pr.lock);
    sl->frame = n;
    sl->ready_ns = sl->compute_start_ns = baton_now_ns();
    sl->done_ns = 0;
    bool stalled = n >= p->stall_from;
    baton_nvtx_push(p->ctx->compute == BATON_COMPUTE_CUDA ? BATON_NVTX_COMPUTE_CUDA
                                                          : BATON_NVTX_COMPUTE_CPU, n);
    st = p->compute->ops->run(p->compute, n, stalled, err);
    baton_nvtx_pop();
    if (st == BATON_OK)
        st = pass_on(p, n, stalled, err);
    if (st == BATON_OK) {
        pthread_mutex_lock(&p->pr.lock);
        p->stats.frames_submitted++;
        pthread_mutex_unlock(&p->pr.lock);
    }
    return st;
}

/* The driving thread stops on an error: the frames already handed to the
 * Vulkan stage (or the relay) still finish, bounded; what does not is lost. */
static void settle(baton_pipeline *p)
{
    uint64_t computed = progress_get(&p->pr, PROGRESS_COMPUTED);
    uint64_t submitted = progress_get(&p->pr, PROGRESS_SUBMITTED);
    uint64_t target = computed > submitted ? computed : submitted;
    progress_wait(&p->pr, PROGRESS_RETIRED, target, retire_deadline(p));
}

/* The pipeline stops: every frame not retired by now is lost to this error. */
static void fail(baton_pipeline *p, baton_status st, const baton_error *err)
{
    settle(p);
    p->failed = st;
    pthread_mutex_lock(&p->pr.lock);
    p->stats.failed = st;
    snprintf(p->stats.error, sizeof p->stats.error, "%s",
             err && err->message[0] ? err->message : baton_strerror(st));
    pthread_mutex_unlock(&p->pr.lock);
}

static baton_status refuse_after_failure(const baton_pipeline *p, baton_error *err)
{
    return baton_error_set(err, BATON_ERR_STATE,
                           "pipeline stopped after an earlier error (%s); destroy it",
                           baton_strerror(p->failed));
}

baton_status baton_pipeline_run(baton_pipeline *p, uint64_t frames, baton_error *err)
{
    if (!p)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_run: NULL pipeline");
    if (p->failed != BATON_OK)
        return refuse_after_failure(p, err);
    for (uint64_t i = 0; i < frames; i++) {
        baton_status st = progress_failure(&p->pr, err);
        if (st == BATON_OK)
            st = run_frame(p, p->next_frame, err);
        if (st != BATON_OK) {
            if (st != BATON_ERR_END_OF_STREAM) /* the frames in flight can still drain */
                fail(p, st, err);
            return st;
        }
        p->next_frame++;
    }
    return BATON_OK;
}

/* Wait until every started frame is retired; the bound restarts whenever a
 * frame retires, so a long queue drains and a stuck frame does not hang. */
static baton_status wait_retired(baton_pipeline *p, baton_error *err)
{
    uint64_t target = p->next_frame;
    for (;;) {
        uint64_t before = progress_get(&p->pr, PROGRESS_RETIRED);
        progress_wait_result r = progress_wait(&p->pr, PROGRESS_RETIRED, target, retire_deadline(p));
        if (r == PROGRESS_REACHED)
            return BATON_OK;
        if (progress_failure(&p->pr, err) != BATON_OK)
            return err ? err->status : progress_failure(&p->pr, NULL);
        uint64_t now_retired = progress_get(&p->pr, PROGRESS_RETIRED);
        if (r == PROGRESS_TIMED_OUT && now_retired == before)
            return not_retired(p, now_retired, err);
    }
}

baton_status baton_pipeline_drain(baton_pipeline *p, baton_error *err)
{
    if (!p)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_drain: NULL pipeline");
    if (p->failed != BATON_OK)
        return refuse_after_failure(p, err);
    baton_status st = wait_retired(p, err);
    if (st == BATON_OK && must_go_headless(p))
        st = go_headless(p, err); /* the lost display's sink has nothing due */
    if (st != BATON_OK) {
        fail(p, st, err);
        return st;
    }
    if (p->sink.ops && p->sink.ops->drained && p->sink.state)
        p->sink.ops->drained(&p->sink);
    if (p->sink.dumper && (st = dump_writer_flush(p->sink.dumper, err)) != BATON_OK)
        fail(p, st, err); /* a PNG that could not be written */
    return st;
}

/* After an error, release whatever a stalled stage left waiting on the GPU,
 * so that it can finish and everything can be freed. */
static void unblock(baton_pipeline *p)
{
    uint64_t needed = p->vulkan ? vulkan_stage_max_wait(p->vulkan) : 0;
    if (!p->ctx->device || !p->compute || p->plan.mode != BATON_SYNC_TIMELINE || needed == 0)
        return;
    uint64_t have = p->compute->signalled; /* what the stage issued */
    /* A compute stage with nothing left to run may still not have signalled
     * what it issued: a faulted CUDA kernel's sticky error drops the rest of
     * its stream, signals included. Then the semaphore's own value counts
     * (a stage still running, a hung kernel, will signal by itself). */
    if (have >= needed && p->compute->ops->quiesce(p->compute, 0)) {
        uint64_t value = 0;
        if (BATON_FAULT_VK(vkGetSemaphoreCounterValue(p->ctx->device, p->sem[0].vk, &value)) ==
            VK_SUCCESS)
            have = value;
    }
    if (have < needed) {
        /* the compute stage stopped signalling: give the Vulkan waits what
         * they need; nothing else can signal these values any more */
        VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = p->sem[0].vk, .value = needed};
        vkSignalSemaphore(p->ctx->device, &si);
    }
}

/* Stop the threads; each of their waits is bounded, so this is too. */
static void stop_threads(baton_pipeline *p)
{
    if (!p->pr_ready)
        return;
    progress_stop(&p->pr);
    if (p->relay_started)
        pthread_join(p->relay, NULL);
    if (p->completion_started)
        pthread_join(p->completion, NULL);
    p->relay_started = p->completion_started = false;
}

/* True unless the GPU may still use the pipeline's objects: a wait that
 * timed out. Any other outcome (done, or an error such as a lost device,
 * after which nothing runs any more) makes destroying them safe. */
static bool gpu_idle(baton_pipeline *p)
{
    VkDevice dev = p->ctx->device;
    if (!dev)
        return true;
    uint64_t timeout = (uint64_t)p->cfg.timeout_ms * 1000000u;
    bool idle = !p->vulkan || vulkan_stage_quiesce(p->vulkan, timeout);
    if (p->compute && !p->compute->ops->quiesce(p->compute, timeout))
        idle = false;
    /* bounded: every fence above has signalled: no work of ours is queued */
    if (idle)
        baton_queue_wait_idle(p->ctx);
    return idle;
}

/* Frames that never retired (an error, a stall) still close their NVTX
 * ranges, so a profile stays balanced. */
static void end_open_ranges(baton_pipeline *p)
{
    if (!p->pr_ready)
        return;
    for (uint64_t m = progress_get(&p->pr, PROGRESS_RETIRED); m < p->next_frame; m++)
        baton_nvtx_frame_end(p->slots[m % p->cfg.slots].nvtx_range);
}

void baton_pipeline_destroy(baton_pipeline *p)
{
    if (!p)
        return;
    unblock(p);
    stop_threads(p);
    dump_writer_destroy(p->sink.dumper); /* its last PNGs are written from copies */
    p->sink.dumper = NULL;
    end_open_ranges(p);
    /* first the source: a bound camera writes into the compute stage's
     * staging until it stops streaming (the threads, which give it buffers
     * back, are stopped) */
    source_close(&p->src);
    if (!gpu_idle(p)) {
        /* the GPU still uses these objects: leaking beats a crash; the
         * context then stays too (baton_context_destroy) */
        atomic_fetch_add(&p->ctx->pipelines_left, 1);
        fprintf(stderr, "baton: the GPU did not finish this pipeline's work within %u ms; the "
                        "pipeline is left undestroyed\n", p->cfg.timeout_ms);
        return;
    }
    vulkan_stage_destroy(p->vulkan);
    if (p->sink.ops)
        p->sink.ops->destroy(&p->sink);
    if (p->compute)
        p->compute->ops->destroy(p->compute);
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++)
        frame_memory_destroy(p->ctx, &p->slots[s].shared);
    baton_sem_pool_destroy(p->pool);
    baton_trace_destroy(p->trace);
    if (p->pr_ready)
        progress_destroy(&p->pr);
    free(p->times);
    free(p->source_spec);
    free(p);
}

baton_pipeline_stats baton_pipeline_get_stats(const baton_pipeline *p)
{
    baton_pipeline *q = (baton_pipeline *)p; /* the lock, not the state, changes */
    pthread_mutex_lock(&q->pr.lock);
    baton_pipeline_stats st = p->stats;
    if (st.failed == BATON_OK && p->pr.failed != BATON_OK) { /* a thread failed: not seen yet */
        st.failed = p->pr.failed;
        snprintf(st.error, sizeof st.error, "%s", p->pr.error.message);
    }
    pthread_mutex_unlock(&q->pr.lock);
    uint64_t open = st.frames_delivered - st.frames_done;
    st.frames_lost = st.failed != BATON_OK ? open : 0; /* they will never retire */
    st.frames_in_flight = open - st.frames_lost;
    st.dumps_written = p->sink.dumper ? dump_writer_written(p->sink.dumper) : 0;
    return st;
}

/* The newest n records of the times ring, oldest first, through each(). */
static size_t newest_times(const baton_pipeline *p, size_t capacity,
                           void (*each)(const baton_frame_times *t, size_t i, void *out), void *out)
{
    baton_pipeline *q = (baton_pipeline *)p; /* the lock, not the state, changes */
    pthread_mutex_lock(&q->pr.lock);
    size_t ring = p->cfg.stats_frames;
    size_t kept = p->times_count < ring ? (size_t)p->times_count : ring;
    size_t n = kept < capacity ? kept : capacity;
    for (size_t i = 0; i < n; i++)
        each(&p->times[(p->times_count - n + i) % ring], i, out);
    pthread_mutex_unlock(&q->pr.lock);
    return n;
}

static void copy_latency(const baton_frame_times *t, size_t i, void *out)
{
    ((uint64_t *)out)[i] = t->done_ns - t->ready_ns;
}

static void copy_times(const baton_frame_times *t, size_t i, void *out)
{
    ((baton_frame_times *)out)[i] = *t;
}

size_t baton_pipeline_latencies(const baton_pipeline *p, uint64_t *out, size_t capacity)
{
    return newest_times(p, capacity, copy_latency, out);
}

size_t baton_pipeline_frame_times(const baton_pipeline *p, baton_frame_times *out, size_t capacity)
{
    return p && out ? newest_times(p, capacity, copy_times, out) : 0;
}

baton_status baton_pipeline_display(const baton_pipeline *p, baton_display_report *out,
                                    baton_error *err)
{
    if (!p || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_display: NULL");
    memset(out, 0, sizeof *out);
    baton_pipeline *q = (baton_pipeline *)p; /* the lock, not the state, changes */
    pthread_mutex_lock(&q->pr.lock);
    if (p->sink.ops && p->sink.ops->report && p->sink.state)
        p->sink.ops->report(&p->sink, out);
    else if (p->sink.ops)
        snprintf(out->description, sizeof out->description, "%s", p->sink.ops->scheme);
    pthread_mutex_unlock(&q->pr.lock);
    return BATON_OK;
}

const baton_trace *baton_pipeline_trace(const baton_pipeline *p) { return p->trace; }
baton_schedule baton_pipeline_schedule(const baton_pipeline *p) { return p->plan; }
void baton_pipeline_inject_stall(baton_pipeline *p, uint64_t frame) { p->stall_from = frame; }
