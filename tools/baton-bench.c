/* baton-bench - baton's pipeline against the two designs it replaces, in one
 * process and one run, on the same frame sizes: the host-synchronised loop
 * (the common naive design) and the raw loop (baton's own per-frame API
 * calls with no runtime around them), flat out (saturated) and paced at a
 * camera's rate. Also each cross-API hand-off alone.
 * Exit status: 0 it ran (targets may be missed; the table says MISS), 1 a
 * runtime error (a row failed, an output file could not be written), 2 bad
 * arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/context.h"
#include "baton/interop.h"
#include "bench_alloc.h"
#include "bench_common.h"
#include "bench_loops.h"
#include "bench_options.h"
#include "bench_plot.h"
#include "bench_report.h"
#include "bench_stats.h"

enum { EXIT_RAN = 0, EXIT_RUNTIME = 1 }; /* and BENCH_EXIT_USAGE (2) */

/* The untimed first context: which device, compute stage and hand-offs
 * "auto" gives, and CUDA's one-time initialisation out of every row's
 * start-up time. */
static baton_status first_context(bench_run *run, baton_error *err)
{
    uint64_t t0 = bench_now_ns();
    baton_context *ctx = NULL;
    baton_status st = baton_context_create(NULL, &ctx, err);
    if (st != BATON_OK)
        return st;
    run->first_context_ms = (double)(bench_now_ns() - t0) / 1e6;
    snprintf(run->device, sizeof run->device, "%s", baton_context_device_name(ctx));
    run->compute = baton_context_compute(ctx);
    run->handoff = baton_context_handoff(ctx);
    if (run->compute != BATON_COMPUTE_CUDA)
        snprintf(run->no_cuda, sizeof run->no_cuda, "%s", baton_context_caps(ctx)->cuda_error);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(baton_context_vk_physical_device(ctx), &props);
    run->cpu_device = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    baton_context_destroy(ctx);
    return BATON_OK;
}

static baton_status measure(bench_run *run, const bench_row_info *ri, bench_row_id row,
                            const bench_params *p, bench_samples *s, bench_result *r,
                            baton_error *err)
{
    switch (ri->kind) {
    case BENCH_KIND_HOST_SYNC: return bench_run_host_sync(p, s, r, err);
    case BENCH_KIND_RAW: return bench_run_raw(p, s, r, err);
    case BENCH_KIND_BATON: return bench_run_baton(p, ri, run->sink, s, r, err);
    case BENCH_KIND_HANDOFF:
        return bench_run_handoff(row == BENCH_ROW_CUDA_TO_VK, run->handoff_iterations,
                                 run->handoff_warmup, BENCH_TIMEOUT_MS, s, r, err);
    }
    return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "unknown row kind");
}

/* Run one row into r. Returns false when it failed (a runtime error). */
static bool run_row(bench_run *run, bench_row_id row, int workload, bench_result *r)
{
    const bench_row_info *ri = bench_row_get(row);
    const bench_workload *wl = workload >= 0 ? &run->workloads[workload] : NULL;
    memset(r, 0, sizeof *r);
    r->row = row;
    r->workload = workload;
    r->pace_fps = wl ? wl->fps : 0;
    bool handoff = ri->kind == BENCH_KIND_HANDOFF;
    char title[96];
    bench_row_title(r, title, sizeof title);
    if (handoff && run->compute != BATON_COMPUTE_CUDA) {
        r->status = BENCH_SKIPPED;
        snprintf(r->reason, sizeof r->reason, "no CUDA device");
        return true;
    }
    fprintf(stderr, "baton-bench: %s: %s ...\n", wl ? wl->name : "hand-off", title);
    uint64_t frames = wl && wl->fps > 0 ? run->paced_frames : run->frames;
    bench_params p = {.wl = wl, .frames = frames, .warmup = bench_warmup(wl, frames),
                      .timeout_ms = BENCH_TIMEOUT_MS};
    bench_samples s;
    baton_error err;
    baton_error_clear(&err);
    baton_status st = bench_samples_init(&s, handoff ? run->handoff_iterations : (size_t)frames,
                                         handoff ? run->handoff_warmup : p.warmup, &err);
    if (st == BATON_OK)
        st = measure(run, ri, row, &p, &s, r, &err);
    if (st == BATON_OK)
        st = bench_stats_fill(r, &s, !handoff, r->pace_fps, &err);
    if (ri->kind != BENCH_KIND_BATON)
        snprintf(r->screen_note, sizeof r->screen_note, "n/a (offscreen: no display)");
    bench_samples_free(&s);
    if (st == BATON_OK) {
        r->status = BENCH_OK;
        return true;
    }
    r->status = bench_status_is_skip(st) ? BENCH_SKIPPED : BENCH_FAILED;
    if (st == BATON_ERR_NO_CUDA_DEVICE)
        snprintf(r->reason, sizeof r->reason, "no CUDA device");
    else
        snprintf(r->reason, sizeof r->reason, "%s", err.message);
    fprintf(stderr, "baton-bench: %s %s: %s\n", wl ? wl->name : "hand-off", title,
            r->status == BENCH_SKIPPED ? "skipped" : err.message);
    return r->status == BENCH_SKIPPED;
}

static void setup_run(bench_run *run, const bench_options *o)
{
    run->frames = o->frames;
    run->warmup = bench_warmup(NULL, o->frames);
    run->paced_frames = o->paced_frames;
    run->handoff_iterations = BENCH_HANDOFF_ITERATIONS;
    run->handoff_warmup = BENCH_HANDOFF_WARMUP;
    run->sink = o->sink;
    run->nworkloads = o->nworkloads;
    memcpy(run->workloads, o->workloads, sizeof run->workloads);
    run->allocs_counted = bench_alloc_available();
}

static bool run_all(bench_run *run, const bench_options *o)
{
    bool ok = true;
    for (int wl = 0; wl < (int)run->nworkloads; wl++) {
        const bench_workload *w = &run->workloads[wl];
        run->fill_cpu_us[wl] = -1;
        if (w->fps <= 0) /* paced rows replay their frames: no fill per frame */
            run->fill_cpu_us[wl] = bench_fill_cost_us(w, w->base == BENCH_BASE_EMPTY ? 1000 : 20);
        for (int row = 0; row < BENCH_ROW_COUNT; row++)
            if (bench_options_selected(o, wl, (bench_row_id)row))
                ok &= run_row(run, (bench_row_id)row, wl, &run->results[run->count++]);
    }
    for (int row = 0; row < BENCH_ROW_COUNT; row++)
        if (bench_options_selected(o, -1, (bench_row_id)row))
            ok &= run_row(run, (bench_row_id)row, -1, &run->results[run->count++]);
    return ok;
}

int main(int argc, char **argv)
{
    uint64_t t0 = bench_now_ns();
    bench_options o;
    int rc = bench_options_parse(argc, argv, &o);
    if (rc == -1)
        return EXIT_RAN;
    if (rc != 0)
        return rc;
    if (o.list) {
        bench_options_list(&o);
        return EXIT_RAN;
    }

    static bench_run run;
    setup_run(&run, &o);
    baton_error err;
    if (first_context(&run, &err) != BATON_OK) {
        fprintf(stderr, "baton-bench: cannot create a baton context: %s\n", err.message);
        return EXIT_RUNTIME;
    }
    bool ok = run_all(&run, &o);
    run.elapsed_s = (double)(bench_now_ns() - t0) / 1e9;

    bench_print_table(stdout, &run);
    fflush(stdout);
    if (bench_write_json(o.json, &run, &err) != BATON_OK) {
        fprintf(stderr, "baton-bench: %s\n", err.message);
        ok = false;
    }
    if (bench_write_svg(o.svg, &run, &err) != BATON_OK) {
        fprintf(stderr, "baton-bench: %s\n", err.message);
        ok = false;
    }
    for (size_t i = 0; i < run.count; i++)
        bench_result_free(&run.results[i]);
    return ok ? EXIT_RAN : EXIT_RUNTIME;
}
