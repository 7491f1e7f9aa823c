/* bench_report.c - baton-bench's table, README target checks and JSON. */
#include "bench_report.h"

#include <errno.h>
#include <string.h>

#include "json_writer.h"

/* ---- targets ---- */

static bench_check check_base(int wl, const char *id, const char *against, const char *what,
                              const char *unit, const char *op, double limit)
{
    bench_check c = {.workload = wl, .id = id, .against = against, .what = what, .unit = unit,
                     .op = op, .limit = limit, .pass = -1, .why = NULL, .net_of_fill = -1};
    return c;
}

static const char *missing(const bench_result *a, const bench_result *b)
{
    const bench_result *r[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!r[i] || r[i]->status == BENCH_NOT_RUN)
            return "row not run";
        if (r[i]->status == BENCH_SKIPPED)
            return "row skipped";
        if (r[i]->status == BENCH_FAILED)
            return "row failed";
    }
    return NULL;
}

size_t bench_checks(const bench_run *run, bench_check *out, size_t capacity)
{
    size_t n = 0;
    for (int wl = 0; wl < BENCH_WL_COUNT; wl++) {
        const bench_result *baton = bench_run_find(run, wl, BENCH_ROW_TIMELINE_S2);
        const bench_result *raw = bench_run_find(run, wl, BENCH_ROW_RAW);
        const bench_result *hs = bench_run_find(run, wl, BENCH_ROW_HOST_SYNC);
        if (!baton && !raw && !hs)
            continue; /* workload not run */
        if (n + BENCH_CHECKS_PER_WORKLOAD > capacity)
            break;
        bench_check c[BENCH_CHECKS_PER_WORKLOAD] = {
            check_base(wl, "overhead_throughput", "raw loop", "throughput overhead", "%", "<=", 5),
            check_base(wl, "overhead_latency_p50", "raw loop", "p50 latency overhead", "%", "<=", 5),
            check_base(wl, "host_sync_throughput_ratio", "host-synchronised loop",
                       "throughput ratio", "x", ">", 1),
            check_base(wl, "host_sync_cpu_ratio", "host-synchronised loop", "CPU time ratio", "x",
                       "<=", 0.2),
        };
        const char *why_raw = missing(baton, raw), *why_hs = missing(baton, hs);
        c[0].why = c[1].why = why_raw;
        c[2].why = c[3].why = why_hs;
        if (!why_raw) {
            c[0].value = (raw->fps - baton->fps) / raw->fps * 100.0;
            c[1].value = (baton->latency.p50 - raw->latency.p50) / raw->latency.p50 * 100.0;
            if (raw->fps > 0)
                c[0].pass = c[0].value <= c[0].limit;
            if (raw->latency.p50 > 0)
                c[1].pass = c[1].value <= c[1].limit;
        }
        if (!why_hs) {
            c[2].value = baton->fps / hs->fps;
            c[3].value = baton->cpu_us_per_frame / hs->cpu_us_per_frame;
            if (hs->fps > 0)
                c[2].pass = c[2].value > c[2].limit;
            if (hs->cpu_us_per_frame > 0)
                c[3].pass = c[3].value <= c[3].limit;
            double fill = run->fill_cpu_us[wl];
            if (fill >= 0 && hs->cpu_us_per_frame - fill > 0)
                c[3].net_of_fill = (baton->cpu_us_per_frame - fill) / (hs->cpu_us_per_frame - fill);
        }
        for (int i = 0; i < BENCH_CHECKS_PER_WORKLOAD; i++)
            if (c[i].pass < 0 && !c[i].why)
                c[i].why = "the reference row measured zero";
        for (int i = 0; i < BENCH_CHECKS_PER_WORKLOAD; i++)
            out[n++] = c[i];
    }
    return n;
}

/* ---- table ---- */

static void print_header(FILE *f, const bench_run *run)
{
    fprintf(f, "baton-bench %s (board %s)\n", BATON_VERSION, BATON_BOARD);
    fprintf(f, "device    %s%s\n", run->device,
            run->cpu_device ? " (a CPU Vulkan implementation)" : "");
    if (run->compute == BATON_COMPUTE_CUDA)
        fprintf(f, "compute   cuda\n");
    else
        fprintf(f, "compute   cpu (no CUDA device%s%s)\n", run->no_cuda[0] ? ": " : "",
                run->no_cuda);
    fprintf(f, "frames    %llu per row, after %llu warm-up frames; hand-offs %u iterations "
               "after %u\n",
            (unsigned long long)run->frames, (unsigned long long)run->warmup,
            run->handoff_iterations, run->handoff_warmup);
    fprintf(f, "workloads");
    for (int i = 0; i < BENCH_WL_COUNT; i++) {
        const bench_workload *w = bench_workload_get((bench_workload_id)i);
        fprintf(f, "%s %s = %ux%u %s", i ? "," : "", w->name, w->width, w->height,
                baton_format_name(w->format));
    }
    fprintf(f, "\nlat       source frame ready -> host saw the frame's Vulkan fence signalled\n"
               "ivl       interval between consecutive completions (jitter: its stddev and "
               "p99 - p50)\n"
               "cpu       process CPU time (getrusage user+sys) per frame\n"
               "start-up  context + pipeline (or the loop's own objects) creation\n\n");
}

void bench_print_table(FILE *f, const bench_run *run)
{
    print_header(f, run);
    fprintf(f, "%-9s %-24s %9s %9s %9s %9s %9s %9s %9s %9s\n", "workload", "configuration", "fps",
            "lat p50", "lat p99", "lat max", "ivl sd", "ivl p99", "cpu/frame", "start-up");
    fprintf(f, "%-9s %-24s %9s %9s %9s %9s %9s %9s %9s %9s\n", "", "", "", "us", "us", "us", "us",
            "-p50 us", "us", "ms");
    int last_wl = -2;
    for (size_t i = 0; i < run->count; i++) {
        const bench_result *r = &run->results[i];
        const bench_row_info *ri = bench_row_get(r->row);
        if (r->workload != last_wl && i > 0)
            fprintf(f, "\n");
        last_wl = r->workload;
        const char *wl = r->workload >= 0 ? bench_workload_get((bench_workload_id)r->workload)->name
                                          : "hand-off";
        fprintf(f, "%-9s %-24s ", wl, ri->label);
        if (r->status == BENCH_SKIPPED) {
            fprintf(f, "skipped: %s\n", r->reason);
            continue;
        }
        if (r->status != BENCH_OK) {
            fprintf(f, "FAILED: %s\n", r->reason);
            continue;
        }
        if (ri->kind == BENCH_KIND_HANDOFF)
            fprintf(f, "%9s %9.1f %9.1f %9.1f %9s %9s %9.1f %9.1f\n", "-", r->latency.p50,
                    r->latency.p99, r->latency.max, "-", "-", r->cpu_us_per_frame, r->startup_ms);
        else
            fprintf(f, "%9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", r->fps,
                    r->latency.p50, r->latency.p99, r->latency.max, r->interval.stddev,
                    r->jitter_us, r->cpu_us_per_frame, r->startup_ms);
    }
    bench_check checks[BENCH_WL_COUNT * BENCH_CHECKS_PER_WORKLOAD];
    size_t n = bench_checks(run, checks, sizeof checks / sizeof checks[0]);
    if (n == 0)
        return;
    fprintf(f, "\nREADME targets: baton timeline S=2 against the raw loop (runtime overhead) and "
               "the host-synchronised loop\n");
    for (size_t i = 0; i < n; i++) {
        const bench_check *c = &checks[i];
        char value[32], target[32];
        if (c->unit[0] == '%') {
            snprintf(value, sizeof value, "%+.1f %%", c->value);
            snprintf(target, sizeof target, "%s %g %%", c->op, c->limit);
        } else {
            snprintf(value, sizeof value, "%.2f x", c->value);
            snprintf(target, sizeof target, "%s %g x", c->op, c->limit);
        }
        fprintf(f, "  %-6s vs %-22s %-21s ", bench_workload_get((bench_workload_id)c->workload)->name,
                c->against, c->what);
        if (c->pass < 0)
            fprintf(f, "%10s  (%-10s)  n/a: %s\n", "-", target, c->why ? c->why : "not measured");
        else if (c->net_of_fill >= 0)
            fprintf(f, "%10s  (%-10s)  %s   (net of the source fill, %.1f us/frame: %.2f x)\n",
                    value, target, c->pass ? "PASS" : "MISS", run->fill_cpu_us[c->workload],
                    c->net_of_fill);
        else
            fprintf(f, "%10s  (%-10s)  %s\n", value, target, c->pass ? "PASS" : "MISS");
    }
    if (run->cpu_device || run->compute != BATON_COMPUTE_CUDA)
        fprintf(f, "note: %s; these figures do not describe CUDA/Vulkan hand-offs on a GPU. "
                   "Run on the GPU machine for the README's numbers.\n",
                run->cpu_device ? "Vulkan runs on the CPU here (lavapipe) and the compute stage "
                                  "is the CPU"
                                : "the compute stage is the CPU");
}

/* ---- JSON ---- */

static void json_dist(json_writer *w, const char *key, const bench_dist *d)
{
    json_key(w, key);
    json_begin_object(w);
    json_kv_uint(w, "n", d->n);
    json_kv_double(w, "min", d->min);
    json_kv_double(w, "p50", d->p50);
    json_kv_double(w, "p90", d->p90);
    json_kv_double(w, "p99", d->p99);
    json_kv_double(w, "p99_9", d->p999);
    json_kv_double(w, "max", d->max);
    json_kv_double(w, "mean", d->mean);
    json_kv_double(w, "stddev", d->stddev);
    json_end_object(w);
}

static const char *status_name(bench_status s)
{
    switch (s) {
    case BENCH_OK: return "ok";
    case BENCH_SKIPPED: return "skipped";
    case BENCH_FAILED: return "failed";
    default: return "not run";
    }
}

static const char *kind_name(bench_row_kind k)
{
    switch (k) {
    case BENCH_KIND_HOST_SYNC: return "host-sync";
    case BENCH_KIND_RAW: return "raw";
    case BENCH_KIND_BATON: return "baton";
    default: return "handoff";
    }
}

static void json_result(json_writer *w, const bench_result *r)
{
    const bench_row_info *ri = bench_row_get(r->row);
    json_begin_object(w);
    json_kv_string(w, "row", ri->name);
    json_kv_string(w, "label", ri->label);
    json_kv_string(w, "kind", kind_name(ri->kind));
    if (r->workload >= 0) {
        const bench_workload *wl = bench_workload_get((bench_workload_id)r->workload);
        json_kv_string(w, "workload", wl->name);
        json_kv_uint(w, "width", wl->width);
        json_kv_uint(w, "height", wl->height);
        json_kv_string(w, "format", baton_format_name(wl->format));
    } else {
        json_key(w, "workload");
        json_null(w);
    }
    json_kv_string(w, "status", status_name(r->status));
    if (r->status != BENCH_OK) {
        json_kv_string(w, "reason", r->reason);
        json_end_object(w);
        return;
    }
    json_kv_string(w, "compute", baton_compute_mode_name(r->compute));
    json_kv_string(w, "sync", ri->kind == BENCH_KIND_HOST_SYNC ? "host" : baton_sync_mode_name(r->sync));
    json_kv_uint(w, "slots", r->slots);
    json_kv_uint(w, ri->kind == BENCH_KIND_HANDOFF ? "iterations" : "frames", r->frames);
    json_kv_uint(w, "warmup", r->warmup);
    json_kv_double(w, "wall_s", r->wall_s);
    if (ri->kind != BENCH_KIND_HANDOFF)
        json_kv_double(w, "fps", r->fps);
    json_dist(w, "latency_us", &r->latency);
    if (ri->kind != BENCH_KIND_HANDOFF) {
        json_dist(w, "interval_us", &r->interval);
        json_kv_double(w, "jitter_stddev_us", r->interval.stddev);
        json_kv_double(w, "jitter_p99_minus_p50_us", r->jitter_us);
    }
    json_kv_double(w, "cpu_us_per_frame", r->cpu_us_per_frame);
    json_kv_double(w, "cpu_thread_us_per_frame", r->cpu_thread_us_per_frame);
    json_kv_double(w, "startup_ms", r->startup_ms);
    json_end_object(w);
}

baton_status bench_write_json(const char *path, const bench_run *run, baton_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\") failed: %s", path, strerror(errno));
    json_writer w;
    json_init(&w, f);
    json_begin_object(&w);
    json_kv_string(&w, "tool", "baton-bench");
    json_kv_string(&w, "version", BATON_VERSION);
    json_kv_string(&w, "board", BATON_BOARD);
    json_kv_string(&w, "device", run->device);
    json_kv_bool(&w, "cpu_vulkan", run->cpu_device);
    json_kv_string(&w, "compute", baton_compute_mode_name(run->compute));
    if (run->compute != BATON_COMPUTE_CUDA)
        json_kv_string(&w, "no_cuda_reason", run->no_cuda);
    json_kv_uint(&w, "frames", run->frames);
    json_kv_uint(&w, "warmup", run->warmup);
    json_kv_uint(&w, "handoff_iterations", run->handoff_iterations);
    json_kv_uint(&w, "handoff_warmup", run->handoff_warmup);
    json_kv_double(&w, "first_context_ms", run->first_context_ms);
    json_kv_string(&w, "latency_definition",
                   "source frame ready -> host saw the frame's Vulkan fence signalled; hand-offs: "
                   "signal call -> wait seen complete by host polling");
    json_key(&w, "source_fill_cpu_us");
    json_begin_object(&w);
    for (int i = 0; i < BENCH_WL_COUNT; i++)
        if (run->fill_cpu_us[i] >= 0)
            json_kv_double(&w, bench_workload_get((bench_workload_id)i)->name, run->fill_cpu_us[i]);
    json_end_object(&w);
    json_key(&w, "rows");
    json_begin_array(&w);
    for (size_t i = 0; i < run->count; i++)
        json_result(&w, &run->results[i]);
    json_end_array(&w);
    bench_check checks[BENCH_WL_COUNT * BENCH_CHECKS_PER_WORKLOAD];
    size_t n = bench_checks(run, checks, sizeof checks / sizeof checks[0]);
    json_key(&w, "targets");
    json_begin_array(&w);
    for (size_t i = 0; i < n; i++) {
        const bench_check *c = &checks[i];
        json_begin_object(&w);
        json_kv_string(&w, "workload", bench_workload_get((bench_workload_id)c->workload)->name);
        json_kv_string(&w, "target", c->id);
        json_kv_string(&w, "baton_row", bench_row_get(BENCH_ROW_TIMELINE_S2)->name);
        json_kv_string(&w, "against", c->against);
        json_kv_string(&w, "unit", c->unit);
        json_kv_string(&w, "op", c->op);
        json_kv_double(&w, "limit", c->limit);
        if (c->pass < 0) {
            json_key(&w, "value");
            json_null(&w);
            json_key(&w, "pass");
            json_null(&w);
            json_kv_string(&w, "why", c->why ? c->why : "not measured");
        } else {
            json_kv_double(&w, "value", c->value);
            json_kv_bool(&w, "pass", c->pass == 1);
            if (c->net_of_fill >= 0)
                json_kv_double(&w, "value_net_of_source_fill", c->net_of_fill);
        }
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return baton_error_set(err, BATON_ERR_IO, "writing \"%s\" failed: %s", path,
                               strerror(errno ? errno : EIO));
    return BATON_OK;
}
