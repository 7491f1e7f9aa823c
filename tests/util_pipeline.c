/* util_pipeline.c - run one pipeline configuration and check its output. */
#include "util_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/pattern.h"
#include "util_reference.h"

typedef struct checker {
    pipe_case *c;
    uint64_t expect_frame;
    uint8_t *source; /* scratch: the source frame regenerated for the reference */
} checker;

static void on_done(void *user, const baton_frame_info *info)
{
    checker *k = user;
    pipe_case *c = k->c;
    if (info->frame != k->expect_frame)
        c->order_errors++;
    k->expect_frame = info->frame + 1;
    c->frames_done++;
    if (!info->rgba)
        return;
    uint64_t decoded = 0;
    if (baton_pattern_decode_frame(info->rgba, info->width, info->height, info->pitch, &decoded,
                                   NULL) != BATON_OK ||
        decoded != info->source_frame)
        c->decode_errors++;
    if (c->reference_every && info->frame % c->reference_every == 0) {
        baton_pattern_fill(c->format, c->width, c->height, info->source_frame, k->source);
        int diff = 0;
        if (ref_compare_frame(c->format, k->source, c->width, c->height, info->rgba, info->pitch,
                              &diff) != 0)
            c->reference_bad++;
        if (diff > c->max_diff)
            c->max_diff = diff;
        c->reference_checked++;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void latency_figures(pipe_case *c, baton_pipeline *p)
{
    static uint64_t lat[65536];
    static baton_frame_times t[65536];
    size_t n = baton_pipeline_latencies(p, lat, 65536);
    if (n == 0)
        return;
    qsort(lat, n, sizeof lat[0], cmp_u64);
    c->p50_us = (double)lat[n / 2] / 1e3;
    c->p99_us = (double)lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1e3;
    c->max_us = (double)lat[n - 1] / 1e3;
    size_t m = baton_pipeline_frame_times(p, t, 65536), k = 0;
    for (size_t i = 0; i < m; i++)
        if (t[i].gpu_done_ns && t[i].gpu_done_ns >= t[i].capture_ns)
            lat[k++] = t[i].gpu_done_ns - t[i].capture_ns;
    if (k) {
        qsort(lat, k, sizeof lat[0], cmp_u64);
        c->gpu_done_p50_us = (double)lat[k / 2] / 1e3;
    }
}

baton_status pipe_case_run(pipe_case *c, baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = c->compute;
    cc.sync = c->sync;
    cc.zero_copy_upload = c->zero_copy;
    baton_context *ctx = NULL;
    baton_pipeline *p = NULL;
    checker k = {.c = c};
    baton_status st = baton_context_create(&cc, &ctx, err);
    if (st != BATON_OK)
        return st;
    c->sync_used = baton_context_sync(ctx);
    c->compute_used = baton_context_compute(ctx);
    k.source = malloc(baton_format_frame_size(c->format, c->width, c->height));
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = c->width;
    pc.height = c->height;
    pc.format = c->format;
    pc.slots = c->slots;
    pc.readback = c->readback || c->reference_every;
    pc.on_done = on_done;
    pc.done_user = &k;
    pc.timeout_ms = 5000;
    pc.handoff_to_vulkan = c->to_vulkan;
    pc.handoff_to_compute = c->to_compute;
    st = baton_pipeline_create(ctx, &pc, &p, err);
    if (st == BATON_OK) {
        baton_pipeline_stats ps = baton_pipeline_get_stats(p);
        c->to_vulkan_used = ps.handoff_to_vulkan;
        c->to_compute_used = ps.handoff_to_compute;
        c->gpu_times = ps.gpu_times;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (st == BATON_OK)
        st = baton_pipeline_run(p, c->frames, err);
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st == BATON_OK) {
        c->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        c->fps = (double)c->frames / c->seconds;
        baton_schedule plan = baton_pipeline_schedule(p);
        baton_error terr;
        c->trace_ok = baton_trace_check(baton_pipeline_trace(p), &plan, &terr) == BATON_OK;
        snprintf(c->trace_message, sizeof c->trace_message, "%s", c->trace_ok ? "" : terr.message);
        latency_figures(c, p);
    }
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    free(k.source);
    return st;
}

bool pipe_case_ok(const pipe_case *c)
{
    return c->frames_done == c->frames && c->order_errors == 0 && c->decode_errors == 0 &&
           c->reference_bad == 0 && c->trace_ok;
}

void pipe_case_print(const pipe_case *c)
{
    printf("%-5s %ux%u S=%u %-8s %-4s hand-offs %s/%s%s: %llu frames, %.1f fps, latency p50 %.0f us "
           "p99 %.0f us max %.0f us; order errors %llu, frame-number errors %llu, reference "
           "%llu/%llu bad (max diff %d), trace %s%s\n",
           baton_format_name(c->format), c->width, c->height, c->slots,
           baton_sync_mode_name(c->sync_used), baton_compute_mode_name(c->compute_used),
           baton_handoff_mode_name(c->to_vulkan_used), baton_handoff_mode_name(c->to_compute_used),
           c->zero_copy ? " zero-copy" : "",
           (unsigned long long)c->frames_done, c->fps, c->p50_us, c->p99_us, c->max_us,
           (unsigned long long)c->order_errors, (unsigned long long)c->decode_errors,
           (unsigned long long)c->reference_bad, (unsigned long long)c->reference_checked,
           c->max_diff, c->trace_ok ? "matches plan" : "MISMATCH: ", c->trace_message);
}
