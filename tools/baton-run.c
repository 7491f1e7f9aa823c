/* baton-run - the main job: run the frame pipeline (source -> compute stage
 * -> Vulkan -> sink) for N frames and report what it did: frames per second,
 * latency, dropped frames, CPU time per frame, the sync mode and compute
 * stage used, and whether the recorded semaphore ops match the plan.
 * Exit status: 0 run complete, 1 baton failed (or the trace does not match
 * the plan), 2 bad usage, 128 + signal when interrupted (results so far are
 * printed). This file sets up and drives the run; the command line and the
 * settings are run_options.c, what is printed and written run_report.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baton/context.h"
#include "baton/format.h"
#include "baton/pipeline.h"
#include "baton/trace.h"
#include "boards_dir.h"
#include "run_options.h"
#include "run_report.h"

#define STATS_MAX (1u << 20)        /* latency samples kept (8 MiB) */
#define PROGRESS_NS 100000000ull    /* progress line at most every 100 ms */

/* ---- the run ---- */

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = (int)(SA_RESTART | SA_RESETHAND); /* a second signal kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t cpu_ns(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static latency percentiles(uint64_t *v, size_t n)
{
    latency l = {.samples = n};
    if (n == 0)
        return l;
    qsort(v, n, sizeof v[0], cmp_u64);
    size_t i99 = n * 99 / 100 < n ? n * 99 / 100 : n - 1;
    l.p50_us = (double)v[n / 2] / 1e3;
    l.p99_us = (double)v[i99] / 1e3;
    l.max_us = (double)v[n - 1] / 1e3;
    return l;
}

/* From capture (the camera's timestamp, a paced source's due time, else
 * source ready) to done, to the GPU's done, to the screen. */
static void latency_figures(baton_pipeline *p, baton_frame_times *t, uint64_t *buf, size_t cap,
                            results *r)
{
    size_t n = baton_pipeline_frame_times(p, t, cap), k;
    for (k = 0; k < n; k++)
        buf[k] = t[k].done_ns - t[k].ready_ns;
    latency ready = percentiles(buf, n);
    r->latency_samples = ready.samples;
    r->p50_us = ready.p50_us;
    r->p99_us = ready.p99_us;
    r->max_us = ready.max_us;
    for (k = 0; k < n; k++)
        buf[k] = t[k].done_ns - t[k].capture_ns;
    r->capture_done = percentiles(buf, n);
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].gpu_done_ns >= t[i].capture_ns && t[i].gpu_done_ns)
            buf[k++] = t[i].gpu_done_ns - t[i].capture_ns;
    r->capture_gpu = percentiles(buf, k);
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].on_screen_ns >= t[i].capture_ns && t[i].on_screen_ns)
            buf[k++] = t[i].on_screen_ns - t[i].capture_ns;
    r->capture_screen = percentiles(buf, k);
}

static bool g_tty; /* stderr is a terminal: progress updates one line in place */

static void progress(uint64_t done, uint64_t total, uint64_t t0, bool clear_line)
{
    run_progress(g_tty, done, total, (double)(now_ns() - t0) / 1e9, clear_line);
}

static void compute_text(const baton_context *ctx, baton_compute_mode requested, results *r)
{
    const baton_caps *caps = baton_context_caps(ctx);
    if (r->compute == BATON_COMPUTE_CUDA)
        snprintf(r->compute_text, sizeof r->compute_text, "CUDA (%s)",
                 caps && caps->cuda_name[0] ? caps->cuda_name : "device");
    else if (requested == BATON_COMPUTE_CPU)
        snprintf(r->compute_text, sizeof r->compute_text, "CPU (requested)");
    else
        snprintf(r->compute_text, sizeof r->compute_text, "CPU (no CUDA device: %s)",
                 caps && caps->cuda_error[0] ? caps->cuda_error : "none found");
}

/* Save the trace and check it against the plan. */
static baton_status trace_figures(baton_pipeline *p, const char *path, results *r,
                                  baton_error *err)
{
    const baton_trace *t = baton_pipeline_trace(p);
    baton_schedule plan = baton_pipeline_schedule(p);
    baton_error terr;
    r->trace_total = baton_trace_total(t);
    r->trace_dropped = baton_trace_dropped(t);
    r->trace_ok = baton_trace_check(t, &plan, &terr) == BATON_OK;
    snprintf(r->trace_message, sizeof r->trace_message, "%s", r->trace_ok ? "" : terr.message);
    if (!path)
        return BATON_OK;
    baton_status st = baton_trace_save(t, &plan, path, err);
    r->trace_saved = st == BATON_OK;
    return st;
}

/* The display and the intervals between its vblank records. */
static void display_figures(const baton_pipeline *p, results *r)
{
    baton_error derr;
    if (baton_pipeline_display(p, &r->display, &derr) != BATON_OK)
        return;
    const baton_display_report *d = &r->display;
    uint64_t iv[BATON_DISPLAY_VBLANKS_KEEP];
    size_t n = 0;
    for (size_t i = 1; i < d->vblank_count; i++)
        if (d->vblanks[i].ns > d->vblanks[i - 1].ns)
            iv[n++] = d->vblanks[i].ns - d->vblanks[i - 1].ns;
    if (!n)
        return;
    qsort(iv, n, sizeof iv[0], cmp_u64);
    r->vblank_p50_ms = (double)iv[n / 2] / 1e6;
    r->vblank_max_ms = (double)iv[n - 1] / 1e6;
    for (size_t i = 0; i < n; i++)
        r->vblank_late += d->period_ns && iv[i] * 2 > d->period_ns * 3;
}

/* Keep the last frame on screen; a signal ends it early. */
static void hold(const options *o)
{
    if (!o->hold_s || g_signal)
        return;
    if (!o->quiet)
        fprintf(stderr, "baton-run: holding the last frame on the display for %u s\n", o->hold_s);
    uint64_t end = now_ns() + (uint64_t)o->hold_s * 1000000000u;
    while (!g_signal && now_ns() < end) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
}

/* Run the pipeline; fills r. On error err says why. */
static baton_status run(const options *o, const settings *s, results *r, baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = o->compute;
    cc.sync = s->sync;
    cc.zero_copy_upload = o->zero_copy_upload;
    baton_context *ctx = NULL;
    baton_pipeline *p = NULL;
    uint64_t *lat = NULL;
    baton_frame_times *times = NULL;
    baton_status st = baton_context_create(&cc, &ctx, err);
    if (st != BATON_OK)
        return st;
    r->compute = baton_context_compute(ctx);
    r->sync = baton_context_sync(ctx);
    compute_text(ctx, o->compute, r);
    snprintf(r->device, sizeof r->device, "%s", baton_context_device_name(ctx));

    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = s->width;
    pc.height = s->height;
    pc.format = s->format;
    pc.slots = s->slots;
    pc.timeout_ms = s->timeout_ms;
    pc.policy = o->policy;
    pc.source = o->source;
    pc.sink = o->sink;
    pc.handoff_to_vulkan = o->to_vulkan;
    pc.handoff_to_compute = o->to_compute;
    pc.on_source_lost = o->on_camera_loss;
    if (o->resync_ms)
        pc.source_resync_ms = o->resync_ms;
    pc.on_display_lost = o->on_display_loss;
    pc.stats_frames = (uint32_t)(o->frames < STATS_MAX ? o->frames : STATS_MAX);
    if (o->trace_path) {
        uint64_t want = o->frames * BATON_SCHEDULE_MAX_OPS + 8;
        pc.trace_events = (uint32_t)(want < TRACE_DEFAULT ? TRACE_DEFAULT
                                     : want > TRACE_MAX ? TRACE_MAX : want);
    }
    if (o->dump_dir) {
        pc.readback = true;
        pc.dump_dir = o->dump_dir;
        pc.dump_frames = s->dumps;
        pc.dump_count = s->dump_count;
    }
    if (!(lat = malloc(pc.stats_frames * sizeof *lat)) ||
        !(times = malloc(pc.stats_frames * sizeof *times))) {
        st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "malloc(latency buffers) failed");
        goto out;
    }
    st = baton_pipeline_create(ctx, &pc, &p, err);
    if (st != BATON_OK)
        goto out;

    g_tty = isatty(STDERR_FILENO);
    bool show = !o->quiet && (g_tty || o->progress);
    uint64_t every = g_tty ? PROGRESS_NS : 10 * PROGRESS_NS;
    install_signals();
    uint64_t cpu0 = cpu_ns(), t0 = now_ns(), last = 0;
    for (uint64_t n = 0; n < o->frames && st == BATON_OK; n++) {
        if (g_signal) {
            r->stopped_by = g_signal == SIGINT ? "SIGINT" : "SIGTERM";
            break;
        }
        st = baton_pipeline_run(p, 1, err);
        if (show && now_ns() - last >= every) {
            last = now_ns();
            progress(baton_pipeline_get_stats(p).frames_done, o->frames, t0, false);
        }
    }
    if (st == BATON_ERR_END_OF_STREAM) {
        r->stopped_by = "end of stream"; /* the frames in flight still finish */
        st = BATON_OK;
    }
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, err);
    uint64_t t1 = now_ns(), cpu1 = cpu_ns();
    if (show)
        progress(baton_pipeline_get_stats(p).frames_done, o->frames, t0, true);

    r->stats = baton_pipeline_get_stats(p);
    r->resync_ms = pc.source_resync_ms ? pc.source_resync_ms : BATON_SOURCE_RESYNC_MS_DEFAULT;
    baton_object_counters oc = baton_context_counters(ctx);
    r->driver_allocations = oc.driver_allocations;
    r->driver_escaped = oc.driver_escaped;
    r->seconds = (double)(t1 - t0) / 1e9;
    r->fps = r->seconds > 0 ? (double)r->stats.frames_done / r->seconds : 0;
    uint64_t done = r->stats.frames_done;
    r->cpu_us_per_frame = done ? (double)(cpu1 - cpu0) / 1e3 / (double)done : 0;
    latency_figures(p, times, lat, pc.stats_frames, r);
    display_figures(p, r);
    if (st == BATON_OK)
        hold(o);
    /* also after a failed run: the trace shows where it stopped */
    baton_error terr;
    if (trace_figures(p, o->trace_path, r, &terr) != BATON_OK)
        snprintf(r->trace_save_error, sizeof r->trace_save_error, "%s", terr.message);
out:
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    free(lat);
    free(times);
    return st;
}

/* ---- main ---- */

/* Whether path can be written (created or replaced): checked before the
 * run, so that a typo does not cost the frames. An existing file is opened
 * for writing and closed unchanged; a new one is created and removed (what
 * access() says is not enough: root passes it where open still fails).
 * Prints why not. */
static bool writable_file(const char *option, const char *path)
{
    struct stat st;
    int fd;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        fd = -1;
    } else if (stat(path, &st) == 0) {
        fd = open(path, O_WRONLY | O_CLOEXEC); /* not O_TRUNC: nothing changes yet */
    } else if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) >= 0) {
        unlink(path);
    }
    if (fd < 0) {
        fprintf(stderr, "baton-run: %s: cannot write %s: %s (checked before the run)\n", option,
                path, strerror(errno));
        return false;
    }
    close(fd); /* ours: opened just above */
    return true;
}

int main(int argc, char **argv)
{
    options o;
    int rc = run_parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    static settings s;
    rc = run_resolve(&o, &s);
    if (rc >= 0)
        return rc;
    if (s.board_note[0] && !o.quiet)
        fprintf(stderr, "baton-run: %s; using built-in defaults (%ux%u %s, %u slots, sync %s, "
                "timeout %u ms)\n", s.board_note, DEF_WIDTH, DEF_HEIGHT,
                baton_format_name(DEF_FORMAT), DEF_SLOTS, baton_sync_mode_name(DEF_SYNC),
                DEF_TIMEOUT_MS);
    if (o.dump_dir && mkdir(o.dump_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "baton-run: --dump: cannot create directory %s: %s\n", o.dump_dir,
                strerror(errno));
        return EXIT_FAIL;
    }
    if (o.dump_dir && !tool_is_dir(o.dump_dir)) {
        fprintf(stderr, "baton-run: --dump: %s is not a directory\n", o.dump_dir);
        return EXIT_FAIL;
    }
    if (o.dump_dir && access(o.dump_dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "baton-run: --dump: cannot write into %s: %s (checked before the run)\n",
                o.dump_dir, strerror(errno));
        return EXIT_FAIL;
    }
    if ((o.trace_path && !writable_file("--trace", o.trace_path)) ||
        (o.json_path && !writable_file("--json", o.json_path)))
        return EXIT_FAIL;

    static results r;
    baton_error err;
    baton_error_clear(&err);
    baton_status st = run(&o, &s, &r, &err);
    if (st != BATON_OK) {
        fprintf(stderr, "baton-run: %s\n", err.message[0] ? err.message : baton_strerror(st));
        if (r.trace_saved)
            fprintf(stderr, "baton-run: the trace up to the failure is in %s\n", o.trace_path);
        /* a pipeline the configuration could not describe is a bad argument */
        return st == BATON_ERR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAIL;
    }
    if (r.stopped_by && strcmp(r.stopped_by, "end of stream") == 0 && !o.quiet)
        fprintf(stderr, "baton-run: the source ended after %llu frames\n",
                (unsigned long long)r.stats.frames_done);
    run_print_table(&o, &s, &r);
    rc = EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "baton-run: writing the results to stdout failed: %s\n", strerror(errno));
        rc = EXIT_FAIL;
    }
    if (r.trace_save_error[0]) {
        fprintf(stderr, "baton-run: --trace: %s\n", r.trace_save_error);
        rc = EXIT_FAIL;
    }
    if (o.json_path && run_write_json(&o, &s, &r, &err) != BATON_OK) {
        fprintf(stderr, "baton-run: --json: %s\n", err.message);
        rc = EXIT_FAIL;
    }
    if (!r.trace_ok) {
        fprintf(stderr, "baton-run: the trace does not match the plan: %s\n", r.trace_message);
        rc = EXIT_FAIL;
    }
    if (o.dump_dir && r.stats.dumps_written < s.dump_count && !r.stopped_by) {
        fprintf(stderr, "baton-run: --dump: %llu of %zu frames written\n",
                (unsigned long long)r.stats.dumps_written, s.dump_count);
        rc = EXIT_FAIL;
    }
    if (rc == EXIT_OK && r.stopped_by && strcmp(r.stopped_by, "SIGINT") == 0)
        rc = 128 + SIGINT;
    else if (rc == EXIT_OK && r.stopped_by && strcmp(r.stopped_by, "SIGTERM") == 0)
        rc = 128 + SIGTERM;
    return rc;
}
