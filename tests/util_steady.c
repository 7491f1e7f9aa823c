/* util_steady.c - count what the per-frame path allocates in steady state. */
#include "util_steady.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "util_test.h"

baton_status steady_run(baton_context *ctx, const baton_pipeline_config *pc, uint64_t warmup,
                        uint64_t frames, steady_result *out, baton_error *err)
{
    memset(out, 0, sizeof *out);
    baton_pipeline *p = NULL;
    baton_status st = baton_pipeline_create(ctx, pc, &p, err);
    if (st == BATON_OK)
        st = baton_pipeline_run(p, warmup, err);
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, err); /* the window starts with nothing in flight */
    if (st == BATON_OK) {
        baton_object_counters before = baton_context_counters(ctx);
        alloc_count_runtime_begin();
        alloc_count_begin();
        st = baton_pipeline_run(p, frames, err);
        if (st == BATON_OK)
            st = baton_pipeline_drain(p, err);
        alloc_count_end();
        alloc_count_runtime_end();
        alloc_count_totals(&out->calls);
        alloc_count_runtime_totals(&out->runtime);
        baton_object_counters after = baton_context_counters(ctx);
        out->vk_created = after.vk_objects_created - before.vk_objects_created;
        out->cuda_created = after.cuda_objects_created - before.cuda_objects_created;
        out->driver_arena = after.driver_allocations - before.driver_allocations;
        out->driver_escaped = after.driver_escaped - before.driver_escaped;
        out->frames = frames;
    }
    baton_pipeline_destroy(p);
    return st;
}

bool steady_all_zero(const steady_result *r)
{
    return alloc_count_all_zero(&r->calls) && alloc_count_all_zero(&r->runtime) &&
           r->vk_created == 0 && r->cuda_created == 0 && r->driver_escaped == 0;
}

void steady_print(const char *label, const steady_result *r)
{
    printf("%s: %llu steady-state frames: %llu allocation/fd calls on the driving thread, "
           "%llu on baton's threads, %llu Vulkan objects, %llu CUDA objects created "
           "(driver-internal calls: %llu driving, %llu baton's threads; GStreamer's own: "
           "%llu driving, %llu baton's threads)\n",
           label, (unsigned long long)r->frames, alloc_count_total(&r->calls),
           alloc_count_total(&r->runtime), (unsigned long long)r->vk_created,
           (unsigned long long)r->cuda_created, r->calls.driver_calls, r->runtime.driver_calls,
           r->calls.gst_calls, r->runtime.gst_calls);
    printf("  the driver's host allocations: %llu served by baton's arena, %llu escaped to malloc\n",
           (unsigned long long)r->driver_arena, (unsigned long long)r->driver_escaped);
    if (!alloc_count_all_zero(&r->calls) || r->calls.driver_calls || r->calls.gst_calls)
        alloc_count_print(stdout, &r->calls);
    if (!alloc_count_all_zero(&r->runtime) || r->runtime.driver_calls || r->runtime.gst_calls) {
        printf("  on baton's own threads:\n");
        alloc_count_print(stdout, &r->runtime);
    }
    fflush(stdout);
}

void steady_gst_case(baton_compute_mode compute, const char *label, const char *source,
                     const char *sink, uint64_t frames)
{
    baton_context *ctx = test_context(compute, BATON_SYNC_AUTO);
    baton_error err;
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 320;
    pc.height = 180;
    if (source)
        pc.source = source;
    if (sink)
        pc.sink = sink;
    else
        pc.readback = true;
    pc.timeout_ms = 5000;
    steady_result r;
    ck_assert_msg(steady_run(ctx, &pc, 50, frames, &r, &err) == BATON_OK, "%s", err.message);
    char full[192];
    snprintf(full, sizeof full, "%s stage, %s", compute == BATON_COMPUTE_CUDA ? "CUDA" : "CPU",
             label);
    steady_print(full, &r);
    baton_context_destroy(ctx);
    unsigned long long gst = r.calls.gst_calls + r.runtime.gst_calls;
    printf("%s: GStreamer's own calls per frame on baton's threads: %.2f; bound %u\n", full,
           (double)gst / (double)frames, STEADY_GST_CALLS_PER_FRAME_MAX);
    fflush(stdout);
    ck_assert_msg(steady_all_zero(&r), "baton's side allocated (see above)");
    ck_assert_uint_le(gst, frames * STEADY_GST_CALLS_PER_FRAME_MAX);
}
