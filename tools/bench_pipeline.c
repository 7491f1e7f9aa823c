/* bench_pipeline.c - baton's own pipeline, driven through the public API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/context.h"
#include "baton/pipeline.h"
#include "bench_alloc.h"
#include "bench_loops.h"

/* The row's samples from the pipeline's own per-frame times (capture: the
 * paced source's due time, else the moment the source handed the frame
 * over; done: the completion thread saw the fence). */
static baton_status collect(baton_pipeline *pipe, uint64_t total, bench_samples *s,
                            bench_result *r, baton_error *err)
{
    baton_frame_times *t = calloc(total ? total : 1, sizeof *t);
    if (!t)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(%llu frame times) failed",
                               (unsigned long long)total);
    size_t n = baton_pipeline_frame_times(pipe, t, total);
    bool any_screen = false;
    for (size_t i = 0; i < n; i++) {
        bench_sample x = {.frame = t[i].frame, .capture_ns = t[i].capture_ns,
                          .gpu_done_ns = t[i].gpu_done_ns, .done_ns = t[i].done_ns,
                          .screen_ns = t[i].on_screen_ns};
        any_screen |= x.screen_ns != 0;
        bench_samples_put(s, &x);
    }
    free(t);
    if (!any_screen) {
        baton_display_report d;
        baton_pipeline_display(pipe, &d, NULL);
        bool headless = strncmp(d.description, "headless", 8) == 0;
        snprintf(r->screen_note, sizeof r->screen_note, "n/a (%s)",
                 headless ? "headless: no display" : "the sink reported no on-screen times");
    }
    return BATON_OK;
}

static void config(const bench_params *p, const bench_row_info *row, const char *sink,
                   char *source, size_t source_len, baton_pipeline_config *pc)
{
    baton_pipeline_config_default(pc);
    pc->width = p->wl->width;
    pc->height = p->wl->height;
    pc->format = p->wl->format;
    pc->slots = row->slots;
    pc->timeout_ms = p->timeout_ms;
    pc->policy = BATON_POLICY_BACKPRESSURE;
    if (p->wl->fps > 0)
        snprintf(source, source_len, "pattern@%.17g:replay", p->wl->fps);
    else
        snprintf(source, source_len, "pattern");
    pc->source = source;
    pc->sink = sink;
    pc->readback = false;
    pc->handoff_to_vulkan = row->to_vulkan;
    pc->handoff_to_compute = row->to_compute;
    uint64_t total = p->warmup + p->frames; /* every frame's times kept */
    pc->stats_frames = total > 65536 ? (uint32_t)total : 65536;
}

static void describe(baton_context *ctx, const bench_row_info *row, baton_pipeline *pipe,
                     bench_result *r)
{
    baton_pipeline_stats ps = baton_pipeline_get_stats(pipe);
    r->compute = baton_context_compute(ctx);
    r->sync = baton_context_sync(ctx);
    r->slots = row->slots;
    r->to_vulkan = ps.handoff_to_vulkan;
    r->to_compute = ps.handoff_to_compute;
    r->gpu_times = ps.gpu_times;
}

baton_status bench_run_baton(const bench_params *p, const bench_row_info *row, const char *sink,
                             bench_samples *s, bench_result *r, baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.sync = row->sync;
    char source[64];
    baton_pipeline_config pc;
    config(p, row, sink, source, sizeof source, &pc);

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
    describe(ctx, row, pipe, r);
    r->warmup = p->warmup;

    bench_window w;
    st = baton_pipeline_run(pipe, p->warmup, err);
    if (st == BATON_OK) {
        bench_alloc_begin();
        bench_window_start(&w);
        st = baton_pipeline_run(pipe, p->frames, err);
        if (st == BATON_OK)
            st = baton_pipeline_drain(pipe, err);
        if (st == BATON_OK)
            bench_window_stop(&w, p->frames, r);
        bench_alloc_end(&r->allocs);
    }
    if (st == BATON_OK)
        st = collect(pipe, p->warmup + p->frames, s, r, err);
    if (st == BATON_OK) {
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
