/* bench_report.c - baton-bench's tables: the run's header, the saturated
 * rows, the paced rows, and the README targets with PASS or MISS. */
#include "bench_report.h"

#include <string.h>

#define TITLE_W 38

static void print_handoff(FILE *f, const bench_run *run)
{
    const baton_handoff_report *h = &run->handoff;
    if (!h->measured) {
        fprintf(f, "hand-off  not measured (%s stage): auto takes %s/%s\n",
                baton_compute_mode_name(run->compute), baton_handoff_mode_name(h->to_vulkan),
                baton_handoff_mode_name(h->to_compute));
        return;
    }
    fprintf(f, "hand-off  measured at start-up (median of %u round trips): compute->Vulkan "
               "gpu %.1f us, relay %.1f us; Vulkan->compute gpu %.1f us, relay %.1f us; "
               "auto takes %s/%s\n",
            h->round_trips, (double)h->to_vulkan_gpu_ns / 1e3, (double)h->to_vulkan_relay_ns / 1e3,
            (double)h->to_compute_gpu_ns / 1e3, (double)h->to_compute_relay_ns / 1e3,
            baton_handoff_mode_name(h->to_vulkan), baton_handoff_mode_name(h->to_compute));
}

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
    print_handoff(f, run);
    fprintf(f, "sink      %s (baton's rows; the loops copy into an offscreen image)\n", run->sink);
    fprintf(f, "frames    saturated rows %llu after %llu warm-up; paced rows %llu after half a "
               "second (10 at least); hand-offs %u iterations after %u\n",
            (unsigned long long)run->frames, (unsigned long long)run->warmup,
            (unsigned long long)run->paced_frames, run->handoff_iterations, run->handoff_warmup);
    fprintf(f, "workloads");
    for (size_t i = 0; i < run->nworkloads; i++) {
        const bench_workload *w = &run->workloads[i];
        fprintf(f, "%s %s = %ux%u %s", i ? "," : "", w->name, w->width, w->height,
                baton_format_name(w->format));
    }
    fprintf(f, "\nallocs    %s\n",
            run->allocs_counted ? "counted in baton's rows (the interposer is loaded)"
                                : "not counted (run with LD_PRELOAD=<build>/tests/"
                                  "preload_alloc_count.so to count them)");
    fprintf(f, "\ncapture   paced rows: the frame's due time, start + i / fps (the frames are "
               "replayed from memory prepared at start-up);\n"
               "          saturated rows: the source frame ready (filled by the CPU each frame)\n"
               "done      the host saw the frame's Vulkan fence signalled; lat = capture -> done\n"
               "on-screen the vblank that showed the frame (display sinks only)\n"
               "hand-off  compute->Vulkan/Vulkan->compute: gpu = the consumer's queue waits on "
               "the exported semaphore,\n"
               "          relay = a host thread sees the producer finish, then starts the "
               "consumer\n"
               "ivl       intervals between consecutive done times: stddev; p99 - p50 "
               "(saturated); max |interval - 1/fps| (paced)\n"
               "cpu       process CPU time (getrusage user+sys, every thread) per frame; "
               "%% core = CPU time / wall time x 100\n"
               "start-up  context + pipeline (or the loop's own objects) creation\n");
}

/* The row's leading columns; false (and the reason printed) if it has no
 * figures. */
static bool row_start(FILE *f, const bench_run *run, const bench_result *r)
{
    const bench_workload *w = bench_result_workload(run, r);
    char title[96];
    bench_row_title(r, title, sizeof title);
    fprintf(f, "%-10s %-*s ", w ? w->name : "hand-off", TITLE_W, title);
    if (r->status == BENCH_SKIPPED)
        fprintf(f, "skipped: %s\n", r->reason);
    else if (r->status != BENCH_OK)
        fprintf(f, "FAILED: %s\n", r->reason);
    return r->status == BENCH_OK;
}

static void print_saturated(FILE *f, const bench_run *run)
{
    fprintf(f, "\nsaturated: frames as fast as they go\n");
    fprintf(f, "%-10s %-*s %9s %9s %9s %9s %8s %8s %9s %6s %8s\n", "workload", TITLE_W,
            "configuration", "fps", "lat p50", "lat p99", "lat max", "ivl sd", "ivl p99",
            "cpu/frame", "% core", "start-up");
    fprintf(f, "%-10s %-*s %9s %9s %9s %9s %8s %8s %9s %6s %8s\n", "", TITLE_W, "", "", "us",
            "us", "us", "us", "-p50 us", "us", "", "ms");
    int last = -2;
    for (size_t i = 0; i < run->count; i++) {
        const bench_result *r = &run->results[i];
        const bench_workload *w = bench_result_workload(run, r);
        if (w && w->fps > 0)
            continue;
        if (r->workload != last && last != -2)
            fprintf(f, "\n");
        last = r->workload;
        if (!row_start(f, run, r))
            continue;
        if (!w)
            fprintf(f, "%9s %9.1f %9.1f %9.1f %8s %8s %9.1f %6.1f %8.1f\n", "-", r->latency.p50,
                    r->latency.p99, r->latency.max, "-", "-", r->cpu_us_per_frame,
                    r->cpu_percent, r->startup_ms);
        else
            fprintf(f, "%9.1f %9.1f %9.1f %9.1f %8.1f %8.1f %9.1f %6.1f %8.1f\n", r->fps,
                    r->latency.p50, r->latency.p99, r->latency.max, r->interval.stddev,
                    r->jitter_us, r->cpu_us_per_frame, r->cpu_percent, r->startup_ms);
    }
}

static void screen_cell(const bench_result *r, char *buf, size_t len)
{
    if (r->screen.n == 0)
        snprintf(buf, len, "%s", r->screen_note[0] ? r->screen_note : "n/a (no display)");
    else
        snprintf(buf, len, "%.1f/%.1f/%.1f", r->screen.p50, r->screen.p99, r->screen.max);
}

static void print_paced(FILE *f, const bench_run *run)
{
    fprintf(f, "\npaced at camera rate: frame i due at start + i / fps, replayed from memory\n");
    fprintf(f, "%-10s %-*s %7s %9s %9s %9s  %-28s %8s %10s %9s %6s\n", "workload", TITLE_W,
            "configuration", "fps", "done p50", "done p99", "done max",
            "on-screen p50/p99/max", "ivl sd", "max|ivl-T|", "cpu/frame", "% core");
    fprintf(f, "%-10s %-*s %7s %9s %9s %9s  %-28s %8s %10s %9s %6s\n", "", TITLE_W, "", "", "us",
            "us", "us", "us", "us", "us", "us", "");
    int last = -2;
    for (size_t i = 0; i < run->count; i++) {
        const bench_result *r = &run->results[i];
        const bench_workload *w = bench_result_workload(run, r);
        if (!w || w->fps <= 0)
            continue;
        if (r->workload != last && last != -2)
            fprintf(f, "\n");
        last = r->workload;
        if (!row_start(f, run, r))
            continue;
        char screen[96];
        screen_cell(r, screen, sizeof screen);
        fprintf(f, "%7.1f %9.1f %9.1f %9.1f  %-28s %8.1f %10.1f %9.1f %6.1f\n", r->fps,
                r->latency.p50, r->latency.p99, r->latency.max, screen, r->interval.stddev,
                r->jitter_max_dev_us, r->cpu_us_per_frame, r->cpu_percent);
    }
}

static void format_number(char *buf, size_t len, const char *unit, double v, bool sign)
{
    if (strcmp(unit, "%") == 0)
        snprintf(buf, len, sign ? "%+.1f %%" : "%g %%", v);
    else if (strcmp(unit, "x") == 0)
        snprintf(buf, len, sign ? "%.2f x" : "%g x", v);
    else if (strcmp(unit, "us") == 0)
        snprintf(buf, len, sign ? "%+.1f us" : "%.1f us", v);
    else
        snprintf(buf, len, "%.0f %s", v, unit);
}

static void print_check(FILE *f, const bench_run *run, const bench_check *c)
{
    char value[32], limit[32], target[48], what[96], title[96];
    format_number(value, sizeof value, c->unit, c->value, true);
    format_number(limit, sizeof limit, c->unit, c->limit, false);
    snprintf(target, sizeof target, "(%s %s)", c->op, limit);
    const bench_result *r = bench_run_find(run, c->workload, c->row);
    bench_result shown = {.row = c->row};
    if (strcmp(c->id, "steady_state_allocations") == 0)
        snprintf(title, sizeof title, "every baton row");
    else
        bench_row_title(r ? r : &shown, title, sizeof title);
    const char *ref = bench_check_ref_name(c);
    if (c->ref != BENCH_ROW_COUNT && strcmp(c->id, "paced_p50_vs_fastest_loop") == 0)
        snprintf(what, sizeof what, "%s (%s)", c->what, ref + 3);
    else
        snprintf(what, sizeof what, "%s%s%s", c->what, ref[0] ? " " : "", ref);
    fprintf(f, "  %-10s %-*s %-38s ", run->workloads[c->workload].name, TITLE_W, title, what);
    if (c->pass < 0) {
        fprintf(f, "%10s %-15s n/a: %s\n", "-", target, c->why ? c->why : "not measured");
        return;
    }
    fprintf(f, "%10s %-15s %s", value, target, c->pass ? "PASS" : "MISS");
    if (c->net_of_fill >= 0)
        fprintf(f, "   (net of the source fill, %.1f us/frame: %.2f x)",
                run->fill_cpu_us[c->workload], c->net_of_fill);
    if (strcmp(c->id, "steady_state_allocations") == 0 && r)
        fprintf(f, "   (%s: %llu in the driver, apart%s%s)", bench_row_get(c->row)->name,
                (unsigned long long)r->allocs.driver_calls, r->allocs.first[0] ? "; first: " : "",
                r->allocs.first);
    fprintf(f, "\n");
}

static void print_checks(FILE *f, const bench_run *run)
{
    static bench_check checks[BENCH_MAX_CHECKS];
    size_t n = bench_checks(run, checks, BENCH_MAX_CHECKS);
    for (int paced = 0; paced < 2; paced++) {
        bool said = false;
        for (size_t i = 0; i < n; i++) {
            const bench_check *c = &checks[i];
            if (c->paced != (paced == 1))
                continue;
            if (!said)
                fprintf(f, "\n%s\n", paced ? "README targets, paced: every baton row against "
                                              "the fastest loop at the same pace (the lower "
                                              "capture->done p50)"
                                            : "README targets, saturated: baton timeline S=2 "
                                              "gpu/gpu against the raw loop (runtime overhead) "
                                              "and the host-synchronised loop");
            said = true;
            print_check(f, run, c);
        }
    }
}

void bench_print_table(FILE *f, const bench_run *run)
{
    print_header(f, run);
    bool any_sat = false, any_paced = false;
    for (size_t i = 0; i < run->count; i++) {
        const bench_workload *w = bench_result_workload(run, &run->results[i]);
        any_paced |= w && w->fps > 0;
        any_sat |= !w || w->fps <= 0;
    }
    if (any_sat)
        print_saturated(f, run);
    if (any_paced)
        print_paced(f, run);
    print_checks(f, run);
    if (run->cpu_device || run->compute != BATON_COMPUTE_CUDA)
        fprintf(f, "note: %s; these figures do not describe CUDA/Vulkan hand-offs on a GPU. "
                   "Run on the GPU machine for the README's numbers.\n",
                run->cpu_device ? "Vulkan runs on the CPU here (lavapipe) and the compute stage "
                                  "is the CPU"
                                : "the compute stage is the CPU");
    fprintf(f, "elapsed   %.1f s\n", run->elapsed_s);
}
