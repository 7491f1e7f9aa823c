/* bench_pipeline.c - baton's own pipeline, driven through the public API. */
#include <string.h>

#include "baton/context.h"
#include "baton/pipeline.h"
#include "bench_loops.h"

/* on_done: the pipeline's own source-ready and done timestamps. */
static void on_done(void *user, const baton_frame_info *info)
{
    bench_samples_add(user, info->frame, info->source_ready_ns, info->done_ns);
}

baton_status bench_run_baton(const bench_params *p, baton_sync_mode sync, uint32_t slots,
                             bench_samples *s, bench_result *r, baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.sync = sync;
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = p->wl->width;
    pc.height = p->wl->height;
    pc.format = p->wl->format;
    pc.slots = slots;
    pc.timeout_ms = p->timeout_ms;
    pc.policy = BATON_POLICY_BACKPRESSURE;
    pc.source = "pattern";
    pc.sink = "headless";
    pc.readback = false;
    pc.on_done = on_done;
    pc.done_user = s;

    baton_context *ctx = NULL;
    baton_pipeline *pipe = NULL;
    uint64_t t0 = bench_now_ns();
    baton_status st = baton_context_create(&cc, &ctx, err);
    if (st == BATON_OK)
        st = baton_pipeline_create(ctx, &pc, &pipe, err);
    if (st != BATON_OK) {
        baton_context_destroy(ctx);
        return st;
    }
    r->startup_ms = (double)(bench_now_ns() - t0) / 1e6;
    r->compute = baton_context_compute(ctx);
    r->sync = baton_context_sync(ctx);
    r->slots = slots;
    r->warmup = p->warmup;

    bench_window w;
    st = baton_pipeline_run(pipe, p->warmup, err);
    if (st == BATON_OK) {
        bench_window_start(&w);
        st = baton_pipeline_run(pipe, p->frames, err);
    }
    if (st == BATON_OK)
        st = baton_pipeline_drain(pipe, err);
    if (st == BATON_OK) {
        bench_window_stop(&w, p->frames, r);
        baton_pipeline_stats ps = baton_pipeline_get_stats(pipe);
        if (ps.frames_done != p->warmup + p->frames || s->count != p->frames)
            st = baton_error_set(err, BATON_ERR_MISMATCH,
                                 "pipeline finished %llu of %llu frames (%zu measured)",
                                 (unsigned long long)ps.frames_done,
                                 (unsigned long long)(p->warmup + p->frames), s->count);
    }
    baton_pipeline_destroy(pipe);
    baton_context_destroy(ctx);
    return st;
}
