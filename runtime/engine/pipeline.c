/* pipeline.c - create the pipeline's pieces once, then drive frames through
 * them in the order of the plan (baton/schedule.h). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "baton/interop.h"
#include "frame/nvtx_ranges.h"
#include "core/vk_util.h"
#include "engine/pipeline_internal.h"

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
        .delay_us = p->cfg.sink_delay_us,
    };
}

static baton_status create_parts(baton_pipeline *p, baton_error *err)
{
    const baton_pipeline_config *c = &p->cfg;
    baton_status st = take_semaphores(p, err);
    if (st == BATON_OK)
        st = baton_trace_create(c->trace_events, c->trace_events / 2 + 1, &p->trace, err);
    if (st == BATON_OK && !(p->latency = calloc(c->stats_frames, sizeof *p->latency)))
        st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(latency ring) failed");
    fill_view(p);
    const compute_stage_ops *compute = compute_ops(p->ctx);
    for (uint32_t s = 0; s < c->slots && st == BATON_OK; s++)
        st = frame_memory_create(p->ctx, (VkDeviceSize)p->view.pitch * c->height,
                                 compute == &compute_stage_cuda, &p->slots[s].shared, err);
    compute_work work = {c->cuda_work, c->cpu_work, c->work_user};
    if (st == BATON_OK)
        st = compute->create(&p->view, &work, &p->compute, err);
    const char *sink_arg = "";
    if (st == BATON_OK)
        st = sink_find(c->sink, &p->sink.ops, &sink_arg, err);
    if (st == BATON_OK)
        st = p->sink.ops->create(&p->sink, sink_arg, err);
    if (st == BATON_OK)
        st = vulkan_stage_create(&p->view, &p->sink, &p->vulkan, err);
    return st;
}

baton_status baton_pipeline_create(baton_context *ctx, const baton_pipeline_config *cfg,
                                   baton_pipeline **out, baton_error *err)
{
    if (!ctx || !cfg || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_create: NULL argument");
    baton_status st = check_config(cfg, err);
    if (st != BATON_OK)
        return st;
    baton_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(baton_pipeline) failed");
    p->ctx = ctx;
    p->cfg = *cfg;
    p->plan.slots = cfg->slots;
    p->plan.mode = ctx->sync;
    p->stall_from = UINT64_MAX;
    p->stats.sync = ctx->sync;
    p->stats.compute = ctx->compute;
    p->stats.slots = cfg->slots;
    /* the source may deliver another format or size than asked (a file's
     * header, a camera's negotiation): size everything from what it gives */
    st = source_open(&p->src, cfg->source, cfg->format, cfg->width, cfg->height, err);
    if (st == BATON_OK) {
        p->cfg.format = p->src.format;
        p->cfg.width = p->src.width;
        p->cfg.height = p->src.height;
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

/* Slot s's frame is done by the Vulkan stage: account for it and show it. */
static baton_status retire(baton_pipeline *p, uint32_t s, baton_error *err)
{
    frame_slot *sl = &p->slots[s];
    baton_nvtx_push("retire", sl->frame);
    baton_status st = vulkan_stage_wait(p->vulkan, s, err);
    if (st == BATON_OK) {
        if (!sl->done_ns)
            sl->done_ns = baton_now_ns();
        uint64_t cu_ns = p->compute->ops->gpu_ns(p->compute, s);
        if (cu_ns) /* the CPU stage records its own span as it runs */
            baton_trace_record_span(p->trace, sl->frame, BATON_STAGE_COMPUTE, sl->ready_ns,
                                    sl->ready_ns + cu_ns);
        uint64_t vk_ns = vulkan_stage_gpu_ns(p->vulkan, s);
        baton_trace_record_span(p->trace, sl->frame, BATON_STAGE_VULKAN, sl->submit_ns,
                                sl->submit_ns + vk_ns);
        p->latency[p->latency_head] = sl->done_ns - sl->ready_ns;
        p->latency_head = (p->latency_head + 1) % p->cfg.stats_frames;
        if (p->latency_count < p->cfg.stats_frames)
            p->latency_count++;
        st = p->sink.ops->done ? p->sink.ops->done(&p->sink, sl, err) : BATON_OK;
    }
    if (st == BATON_OK) {
        p->in_flight[s] = false;
        p->stats.frames_done++;
        if (p->cfg.on_done) {
            baton_frame_info info = {
                .frame = sl->frame, .source_frame = sl->source_frame, .slot = s,
                .capture_ns = sl->capture_ns, .source_ready_ns = sl->ready_ns,
                .done_ns = sl->done_ns, .rgba = sl->readback_host, .pitch = p->view.pitch,
                .width = p->cfg.width, .height = p->cfg.height,
            };
            p->cfg.on_done(p->cfg.done_user, &info);
        }
    }
    baton_nvtx_pop();
    return st;
}

/* Note completion times of frames already done, without waiting. */
static void poll_done(baton_pipeline *p)
{
    for (uint32_t s = 0; s < p->cfg.slots; s++) {
        frame_slot *sl = &p->slots[s];
        if (p->in_flight[s] && !sl->done_ns && vulkan_stage_finished(p->vulkan, s))
            sl->done_ns = baton_now_ns();
    }
}

static baton_status run_frame(baton_pipeline *p, uint64_t n, baton_error *err)
{
    uint32_t s = (uint32_t)(n % p->cfg.slots);
    frame_slot *sl = &p->slots[s];
    baton_status st = BATON_OK;
    poll_done(p); /* note frames that finished while the host was busy */
    if (p->in_flight[s])
        st = retire(p, s, err);
    if (st != BATON_OK)
        return st;
    baton_nvtx_push("source", n);
    st = source_next(&p->src, p->cfg.policy, sl->staging, p->cfg.timeout_ms, &sl->source_frame,
                     &p->stats.dropped, &sl->capture_ns, err);
    baton_nvtx_pop();
    poll_done(p);
    if (st != BATON_OK)
        return st;
    sl->frame = n;
    sl->ready_ns = baton_now_ns();
    sl->done_ns = 0;
    baton_nvtx_push(p->compute->ops->name, n);
    st = p->compute->ops->run(p->compute, n, n >= p->stall_from, err);
    baton_nvtx_pop();
    if (st != BATON_OK)
        return st;
    baton_nvtx_push("vulkan", n);
    st = vulkan_stage_submit(p->vulkan, n, err);
    baton_nvtx_pop();
    if (st != BATON_OK)
        return st;
    p->in_flight[s] = true;
    p->stats.frames_submitted++;
    poll_done(p);
    return BATON_OK;
}

baton_status baton_pipeline_run(baton_pipeline *p, uint64_t frames, baton_error *err)
{
    if (!p)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_run: NULL pipeline");
    if (p->failed != BATON_OK)
        return baton_error_set(err, BATON_ERR_STATE,
                               "pipeline stopped after an earlier error (%s); destroy it",
                               baton_strerror(p->failed));
    for (uint64_t i = 0; i < frames; i++) {
        baton_status st = run_frame(p, p->next_frame, err);
        if (st != BATON_OK) {
            if (st != BATON_ERR_END_OF_STREAM) /* the frames in flight can still drain */
                p->failed = st;
            return st;
        }
        p->next_frame++;
    }
    return BATON_OK;
}

baton_status baton_pipeline_drain(baton_pipeline *p, baton_error *err)
{
    if (!p)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_drain: NULL pipeline");
    if (p->failed != BATON_OK)
        return baton_error_set(err, BATON_ERR_STATE,
                               "pipeline stopped after an earlier error (%s); destroy it",
                               baton_strerror(p->failed));
    uint64_t first = p->next_frame > p->cfg.slots ? p->next_frame - p->cfg.slots : 0;
    for (uint64_t n = first; n < p->next_frame; n++) {
        uint32_t s = (uint32_t)(n % p->cfg.slots);
        if (!p->in_flight[s])
            continue;
        baton_status st = retire(p, s, err);
        if (st != BATON_OK) {
            p->failed = st;
            return st;
        }
    }
    if (p->sink.ops && p->sink.ops->drained && p->sink.state)
        p->sink.ops->drained(&p->sink);
    return BATON_OK;
}

/* After an error, release whatever a stalled stage left waiting, so the GPU
 * can finish and everything can be freed. Returns true when the device is
 * idle (so it is safe to destroy objects). */
static bool unblock_and_wait(baton_pipeline *p)
{
    VkDevice dev = p->ctx->device;
    if (!dev)
        return true;
    uint64_t needed = p->vulkan ? vulkan_stage_max_wait(p->vulkan) : 0;
    if (p->compute && p->plan.mode == BATON_SYNC_TIMELINE && p->compute->signalled < needed) {
        /* the compute stage stopped signalling: give the Vulkan waits what
         * they need; nothing else can signal these values any more */
        VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = p->sem[0].vk, .value = needed};
        vkSignalSemaphore(dev, &si);
    }
    bool idle = true;
    uint64_t timeout = (uint64_t)p->cfg.timeout_ms * 1000000u;
    for (uint32_t s = 0; s < p->cfg.slots; s++)
        if (p->in_flight[s] &&
            vkWaitForFences(dev, 1, &p->slots[s].fence, VK_TRUE, timeout) != VK_SUCCESS)
            idle = false;
    if (p->compute && !p->compute->ops->quiesce(p->compute, timeout))
        idle = false;
    return idle && vkQueueWaitIdle(p->ctx->queue) == VK_SUCCESS;
}

void baton_pipeline_destroy(baton_pipeline *p)
{
    if (!p)
        return;
    if (!unblock_and_wait(p))
        return; /* the GPU still uses these objects: leaking beats a crash */
    vulkan_stage_destroy(p->vulkan);
    if (p->sink.ops)
        p->sink.ops->destroy(&p->sink);
    if (p->compute)
        p->compute->ops->destroy(p->compute);
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++)
        frame_memory_destroy(p->ctx, &p->slots[s].shared);
    baton_sem_pool_destroy(p->pool);
    source_close(&p->src);
    baton_trace_destroy(p->trace);
    free(p->latency);
    free(p);
}

baton_pipeline_stats baton_pipeline_get_stats(const baton_pipeline *p)
{
    baton_pipeline_stats st = p->stats;
    st.dumps_written = p->sink.dumps_written;
    return st;
}

size_t baton_pipeline_latencies(const baton_pipeline *p, uint64_t *out, size_t capacity)
{
    size_t n = p->latency_count < capacity ? p->latency_count : capacity;
    size_t ring = p->cfg.stats_frames;
    size_t first = (p->latency_head + ring - n) % ring; /* the oldest of the newest n */
    for (size_t i = 0; i < n; i++)
        out[i] = p->latency[(first + i) % ring];
    return n;
}

baton_status baton_pipeline_display(const baton_pipeline *p, baton_display_report *out,
                                    baton_error *err)
{
    if (!p || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_pipeline_display: NULL");
    memset(out, 0, sizeof *out);
    if (p->sink.ops && p->sink.ops->report && p->sink.state)
        p->sink.ops->report(&p->sink, out);
    else if (p->sink.ops)
        snprintf(out->description, sizeof out->description, "%s", p->sink.ops->scheme);
    return BATON_OK;
}

const baton_trace *baton_pipeline_trace(const baton_pipeline *p) { return p->trace; }
baton_schedule baton_pipeline_schedule(const baton_pipeline *p) { return p->plan; }
void baton_pipeline_inject_stall(baton_pipeline *p, uint64_t frame) { p->stall_from = frame; }
