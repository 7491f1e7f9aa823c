/* bench_json.c - baton-bench's run as one JSON object (--json). */
#include <errno.h>
#include <string.h>

#include "bench_report.h"
#include "json_writer.h"

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

/* A distribution, or null when it has no samples. */
static void json_dist_or_null(json_writer *w, const char *key, const bench_dist *d)
{
    if (d->n) {
        json_dist(w, key, d);
        return;
    }
    json_key(w, key);
    json_null(w);
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

static void json_workload(json_writer *w, const bench_workload *wl)
{
    if (!wl) {
        json_key(w, "workload");
        json_null(w);
        return;
    }
    json_kv_string(w, "workload", wl->name);
    json_kv_uint(w, "width", wl->width);
    json_kv_uint(w, "height", wl->height);
    json_kv_string(w, "format", baton_format_name(wl->format));
    json_kv_bool(w, "paced", wl->fps > 0);
    json_key(w, "pace_fps");
    if (wl->fps > 0)
        json_double(w, wl->fps);
    else
        json_null(w);
}

/* Who carried the frames across: "gpu"/"relay" per direction; "host" for
 * the host-synchronised loop, which shares no semaphore. */
static void json_handoff(json_writer *w, const bench_result *r, bench_row_kind kind)
{
    json_key(w, "handoff");
    json_begin_object(w);
    bool host = kind == BENCH_KIND_HOST_SYNC;
    json_kv_string(w, "to_vulkan", host ? "host" : baton_handoff_mode_name(r->to_vulkan));
    json_kv_string(w, "to_compute", host ? "host" : baton_handoff_mode_name(r->to_compute));
    json_end_object(w);
}

static void json_allocs(json_writer *w, const bench_allocs *a)
{
    json_key(w, "allocations");
    if (!a->counted) {
        json_null(w);
        return;
    }
    json_begin_object(w);
    json_kv_uint(w, "calls", a->calls);
    json_kv_uint(w, "driver_calls", a->driver_calls);
    json_kv_uint(w, "gst_calls", a->gst_calls);
    if (a->first[0])
        json_kv_string(w, "first", a->first);
    json_end_object(w);
}

/* The camera-rate figures of a paced row. */
static void json_paced(json_writer *w, const bench_result *r, const bench_workload *wl)
{
    json_kv_double(w, "period_us", 1e6 / wl->fps);
    json_kv_double(w, "jitter_max_abs_dev_us", r->jitter_max_dev_us);
    json_kv_uint(w, "frames_done_before_capture", r->done_before_capture);
    json_key(w, "capture_interval_ns");
    json_begin_object(w);
    json_kv_uint(w, "n", r->capture_ivl_n);
    json_kv_uint(w, "min", r->capture_ivl_min_ns);
    json_kv_uint(w, "max", r->capture_ivl_max_ns);
    json_end_object(w);
}

static void json_result(json_writer *w, const bench_run *run, const bench_result *r)
{
    const bench_row_info *ri = bench_row_get(r->row);
    const bench_workload *wl = bench_result_workload(run, r);
    char title[96];
    bench_row_title(r, title, sizeof title);
    json_begin_object(w);
    json_kv_string(w, "row", ri->name);
    json_kv_string(w, "label", title);
    json_kv_string(w, "kind", kind_name(ri->kind));
    json_workload(w, wl);
    json_kv_string(w, "status", status_name(r->status));
    if (r->status != BENCH_OK) {
        json_kv_string(w, "reason", r->reason);
        json_end_object(w);
        return;
    }
    json_kv_string(w, "compute", baton_compute_mode_name(r->compute));
    json_kv_string(w, "sync", ri->kind == BENCH_KIND_HOST_SYNC ? "host" : baton_sync_mode_name(r->sync));
    json_kv_uint(w, "slots", r->slots);
    if (ri->kind != BENCH_KIND_HANDOFF)
        json_handoff(w, r, ri->kind);
    json_kv_uint(w, ri->kind == BENCH_KIND_HANDOFF ? "iterations" : "frames", r->frames);
    json_kv_uint(w, "warmup", r->warmup);
    json_kv_double(w, "wall_s", r->wall_s);
    if (ri->kind != BENCH_KIND_HANDOFF)
        json_kv_double(w, "fps", r->fps);
    json_dist(w, "latency_us", &r->latency);
    if (ri->kind != BENCH_KIND_HANDOFF) {
        json_dist_or_null(w, "capture_to_gpu_done_us", &r->gpu_done);
        json_dist_or_null(w, "capture_to_screen_us", &r->screen);
        if (r->screen.n == 0)
            json_kv_string(w, "capture_to_screen", r->screen_note[0] ? r->screen_note : "n/a");
        json_dist(w, "interval_us", &r->interval);
        json_dist_or_null(w, "screen_interval_us", &r->screen_interval);
        json_kv_double(w, "jitter_stddev_us", r->interval.stddev);
        json_kv_double(w, "jitter_p99_minus_p50_us", r->jitter_us);
        if (wl && wl->fps > 0)
            json_paced(w, r, wl);
    }
    json_kv_double(w, "cpu_us_per_frame", r->cpu_us_per_frame);
    json_kv_double(w, "cpu_thread_us_per_frame", r->cpu_thread_us_per_frame);
    json_kv_double(w, "cpu_percent_of_core", r->cpu_percent);
    json_kv_double(w, "startup_ms", r->startup_ms);
    if (ri->kind == BENCH_KIND_BATON) {
        json_kv_bool(w, "gpu_times", r->gpu_times);
        json_allocs(w, &r->allocs);
    }
    json_end_object(w);
}

static void json_check(json_writer *w, const bench_run *run, const bench_check *c)
{
    json_begin_object(w);
    json_kv_string(w, "workload", run->workloads[c->workload].name);
    json_kv_string(w, "section", c->paced ? "paced" : "saturated");
    json_kv_string(w, "target", c->id);
    json_kv_string(w, "baton_row", bench_row_get(c->row)->name);
    json_key(w, "against");
    if (c->ref == BENCH_ROW_COUNT)
        json_null(w);
    else
        json_string(w, bench_row_get(c->ref)->name);
    json_kv_string(w, "unit", c->unit);
    json_kv_string(w, "op", c->op);
    json_kv_double(w, "limit", c->limit);
    if (c->pass < 0) {
        json_key(w, "value");
        json_null(w);
        json_key(w, "pass");
        json_null(w);
        json_kv_string(w, "why", c->why ? c->why : "not measured");
    } else {
        json_kv_double(w, "value", c->value);
        json_kv_bool(w, "pass", c->pass == 1);
        if (c->net_of_fill >= 0)
            json_kv_double(w, "value_net_of_source_fill", c->net_of_fill);
    }
    json_end_object(w);
}

static void json_context_handoff(json_writer *w, const baton_handoff_report *h)
{
    json_key(w, "context_handoff");
    json_begin_object(w);
    json_kv_bool(w, "measured", h->measured);
    if (h->measured) {
        json_kv_uint(w, "round_trips", h->round_trips);
        json_kv_double(w, "to_vulkan_gpu_us", (double)h->to_vulkan_gpu_ns / 1e3);
        json_kv_double(w, "to_vulkan_relay_us", (double)h->to_vulkan_relay_ns / 1e3);
        json_kv_double(w, "to_compute_gpu_us", (double)h->to_compute_gpu_ns / 1e3);
        json_kv_double(w, "to_compute_relay_us", (double)h->to_compute_relay_ns / 1e3);
    }
    json_kv_string(w, "auto_to_vulkan", baton_handoff_mode_name(h->to_vulkan));
    json_kv_string(w, "auto_to_compute", baton_handoff_mode_name(h->to_compute));
    json_end_object(w);
}

static void json_run(json_writer *w, const bench_run *run)
{
    json_kv_string(w, "tool", "baton-bench");
    json_kv_string(w, "version", BATON_VERSION);
    json_kv_string(w, "board", BATON_BOARD);
    json_kv_string(w, "device", run->device);
    json_kv_bool(w, "cpu_vulkan", run->cpu_device);
    json_kv_string(w, "compute", baton_compute_mode_name(run->compute));
    if (run->compute != BATON_COMPUTE_CUDA)
        json_kv_string(w, "no_cuda_reason", run->no_cuda);
    json_context_handoff(w, &run->handoff);
    json_kv_string(w, "sink", run->sink);
    json_kv_uint(w, "frames", run->frames);
    json_kv_uint(w, "warmup", run->warmup);
    json_kv_uint(w, "paced_frames", run->paced_frames);
    json_kv_uint(w, "handoff_iterations", run->handoff_iterations);
    json_kv_uint(w, "handoff_warmup", run->handoff_warmup);
    json_kv_double(w, "first_context_ms", run->first_context_ms);
    json_kv_bool(w, "allocations_counted", run->allocs_counted);
    json_kv_double(w, "elapsed_s", run->elapsed_s);
    json_kv_string(w, "latency_definition",
                   "capture -> host saw the frame's Vulkan fence signalled; capture is a paced "
                   "frame's due time (start + i / fps) or, saturated, the source frame ready; "
                   "hand-offs: signal call -> wait seen complete by host polling");
    json_kv_string(w, "jitter_definition",
                   "intervals between consecutive done times: stddev, p99 - p50, and for paced "
                   "rows max |interval - 1/fps|");
    json_kv_string(w, "cpu_definition",
                   "getrusage(RUSAGE_SELF) user+sys over the measured window (every thread) / "
                   "frames; cpu_percent_of_core = CPU seconds / wall seconds x 100");
    json_key(w, "source_fill_cpu_us");
    json_begin_object(w);
    for (size_t i = 0; i < run->nworkloads; i++)
        if (run->fill_cpu_us[i] >= 0)
            json_kv_double(w, run->workloads[i].name, run->fill_cpu_us[i]);
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
    json_run(&w, run);
    json_key(&w, "rows");
    json_begin_array(&w);
    for (size_t i = 0; i < run->count; i++)
        json_result(&w, run, &run->results[i]);
    json_end_array(&w);
    static bench_check checks[BENCH_MAX_CHECKS];
    size_t n = bench_checks(run, checks, BENCH_MAX_CHECKS);
    json_key(&w, "targets");
    json_begin_array(&w);
    for (size_t i = 0; i < n; i++)
        json_check(&w, run, &checks[i]);
    json_end_array(&w);
    json_end_object(&w);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return baton_error_set(err, BATON_ERR_IO, "writing \"%s\" failed: %s", path,
                               strerror(errno ? errno : EIO));
    return BATON_OK;
}
