/* run_report.c - what baton-run prints: the progress line, the results table
 * and the JSON report. */
#include "run_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "baton/context.h"
#include "baton/format.h"
#include "json_writer.h"

/* ---- progress ---- */

void run_progress(bool tty, uint64_t done, uint64_t total, double seconds, bool clear_line)
{
    if (clear_line) {
        if (tty)
            fputs("\r\033[K", stderr);
    } else {
        fprintf(stderr, tty ? "\rbaton-run: %llu/%llu frames, %.1f fps\033[K"
                            : "baton-run: %llu/%llu frames, %.1f fps\n",
                (unsigned long long)done, (unsigned long long)total,
                seconds > 0 ? (double)done / seconds : 0.0);
    }
    fflush(stderr);
}

/* ---- output ---- */

static void board_text(const settings *s, const options *o, char *buf, size_t len)
{
    if (!s->have_board)
        snprintf(buf, len, "none (built-in defaults)");
    else if (o->board)
        snprintf(buf, len, "%s (%s)", s->board.name, s->board.source);
    else
        snprintf(buf, len, "%s (detected: %s)", s->board.name,
                 s->board.detected_by[0] ? s->board.detected_by : s->board.source);
}

static void trace_text(const results *r, const options *o, char *buf, size_t len)
{
    char kept[64] = "";
    if (r->trace_dropped)
        snprintf(kept, sizeof kept, " (last %llu kept)",
                 (unsigned long long)(r->trace_total - r->trace_dropped));
    int n = snprintf(buf, len, "%llu events%s, %s%s", (unsigned long long)r->trace_total, kept,
                     r->trace_ok ? "matches plan" : "MISMATCH: ", r->trace_message);
    if (o->trace_path && r->trace_saved && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (saved to %s)", o->trace_path);
}

#define ROW "  %-19s "

static void print_latency(const char *label, const latency *l, const char *what,
                          const char *none)
{
    if (l->samples)
        printf(ROW "p50 %.3f ms, p99 %.3f ms, max %.3f ms %s\n", label, l->p50_us / 1e3,
               l->p99_us / 1e3, l->max_us / 1e3, what);
    else
        printf(ROW "%s\n", label, none ? none : "none (no frame finished)");
}

static void json_latency(json_writer *w, const char *key, const latency *l)
{
    json_key(w, key);
    if (!l->samples) {
        json_null(w);
        return;
    }
    json_begin_object(w);
    json_kv_uint(w, "samples", l->samples);
    json_kv_double(w, "p50", l->p50_us);
    json_kv_double(w, "p99", l->p99_us);
    json_kv_double(w, "max", l->max_us);
    json_end_object(w);
}

/* What --on-camera-loss / --on-display-loss did, one row each. */
static void print_recovery(const options *o, const results *r)
{
    if (o->on_camera_loss == BATON_SOURCE_LOST_RESYNC) {
        printf(ROW "resync within %u ms: %llu resync%s, %.3f s without a camera", "camera loss:",
               r->resync_ms, (unsigned long long)r->stats.source_resyncs,
               r->stats.source_resyncs == 1 ? "" : "s",
               (double)r->stats.source_absent_ns / 1e9);
        if (r->stats.source_lost_reason[0])
            printf(" (last lost at frame %llu: %s)", (unsigned long long)r->stats.source_lost_frame,
                   r->stats.source_lost_reason);
        printf("\n");
    } else {
        printf(ROW "stop (the default)\n", "camera loss:");
    }
    if (o->on_display_loss == BATON_DISPLAY_LOST_HEADLESS && r->stats.display_lost)
        printf(ROW "headless: display lost at frame %llu, headless from frame %llu (%s)\n",
               "display loss:", (unsigned long long)r->stats.display_lost_frame,
               (unsigned long long)r->stats.display_headless_from, r->stats.display_lost_reason);
    else if (o->on_display_loss == BATON_DISPLAY_LOST_HEADLESS)
        printf(ROW "headless (the display was not lost)\n", "display loss:");
    else
        printf(ROW "stop (the default)\n", "display loss:");
}

static void json_recovery(json_writer *w, const options *o, const results *r)
{
    json_key(w, "recovery");
    json_begin_object(w);
    bool resync = o->on_camera_loss == BATON_SOURCE_LOST_RESYNC;
    json_kv_string(w, "on_camera_loss", resync ? "resync" : "stop");
    json_kv_uint(w, "resync_ms", resync ? r->resync_ms : 0);
    json_kv_uint(w, "resyncs", r->stats.source_resyncs);
    json_kv_double(w, "camera_absent_ms", (double)r->stats.source_absent_ns / 1e6);
    json_key(w, "camera_lost_frame");
    if (r->stats.source_lost_reason[0])
        json_uint(w, r->stats.source_lost_frame);
    else
        json_null(w);
    json_kv_string(w, "camera_lost_reason", r->stats.source_lost_reason);
    json_kv_string(w, "on_display_loss",
                   o->on_display_loss == BATON_DISPLAY_LOST_HEADLESS ? "headless" : "stop");
    json_kv_bool(w, "display_lost", r->stats.display_lost);
    json_key(w, "display_lost_frame");
    if (r->stats.display_lost)
        json_uint(w, r->stats.display_lost_frame);
    else
        json_null(w);
    json_key(w, "headless_from");
    if (r->stats.display_lost)
        json_uint(w, r->stats.display_headless_from);
    else
        json_null(w);
    json_kv_string(w, "display_lost_reason", r->stats.display_lost_reason);
    json_end_object(w);
}

void run_print_table(const options *o, const settings *s, const results *r)
{
    char text[BATON_ERROR_MESSAGE_MAX + 512];
    printf("baton-run %s: %s -> %s\n", BATON_VERSION, o->source, o->sink);
    printf(ROW "%llu of %llu", "frames:", (unsigned long long)r->stats.frames_done,
           (unsigned long long)o->frames);
    if (r->stopped_by)
        printf(" (stopped by %s)", r->stopped_by);
    printf("\n");
    printf(ROW "%llu from the source = %llu shown + %llu dropped by the policy + %llu lost",
           "accounted:", (unsigned long long)(r->stats.frames_delivered + r->stats.dropped),
           (unsigned long long)r->stats.frames_done, (unsigned long long)r->stats.dropped,
           (unsigned long long)r->stats.frames_lost);
    if (r->stats.frames_lost)
        printf(" (to: %s)", r->stats.error);
    printf("\n");
    printf(ROW "%.1f (%.3f s)\n", "frames per second:", r->fps, r->seconds);
    print_latency("capture -> done:", &r->capture_done,
                  "(capture: the camera's timestamp, a paced source's due time, else source "
                  "ready)", NULL);
    print_latency("capture -> GPU done:", &r->capture_gpu, "(calibrated GPU timestamps)",
                  r->stats.gpu_times ? "none (no frame finished)"
                                     : "not measured: this device has no calibrated timestamps "
                                       "(VK_EXT_calibrated_timestamps)");
    print_latency("capture -> screen:", &r->capture_screen, "(the vblank of its flip or present)",
                  "not measured: the sink reports no on-screen times");
    if (r->latency_samples)
        printf(ROW "p50 %.3f ms, p99 %.3f ms, max %.3f ms (source ready -> done%s)\n",
               "latency:", r->p50_us / 1e3, r->p99_us / 1e3, r->max_us / 1e3,
               r->latency_samples < r->stats.frames_done ? ", newest frames" : "");
    else
        printf(ROW "none (no frame finished)\n", "latency:");
    printf(ROW "%llu\n", "dropped frames:", (unsigned long long)r->stats.dropped);
    printf(ROW "%.1f us (user + sys, whole process)\n", "CPU time per frame:", r->cpu_us_per_frame);
    printf(ROW "%s%s\n", "sync:", baton_sync_mode_name(r->sync),
           s->sync == BATON_SYNC_AUTO ? " (auto)" : "");
    printf(ROW "compute -> Vulkan %s, Vulkan -> compute %s%s\n", "hand-offs:",
           baton_handoff_mode_name(r->stats.handoff_to_vulkan),
           baton_handoff_mode_name(r->stats.handoff_to_compute),
           o->to_vulkan == BATON_HANDOFF_AUTO && o->to_compute == BATON_HANDOFF_AUTO
               ? " (auto)" : "");
    printf(ROW "%s\n", "compute:", r->compute_text);
    printf(ROW "%s\n", "source frames:", r->stats.source_io);
    printf(ROW "%s\n", "device:", r->device);
    printf(ROW "%u\n", "slots:", s->slots);
    printf(ROW "%ux%u %s%s\n", "size/format:", r->stats.width, r->stats.height,
           baton_format_name(r->stats.format),
           r->stats.width != s->width || r->stats.height != s->height ||
                   r->stats.format != s->format
               ? " (as the source delivers it)"
               : "");
    printf(ROW "%s\n", "policy:",
           o->policy == BATON_POLICY_NEWEST ? "newest" : "backpressure");
    board_text(s, o, text, sizeof text);
    printf(ROW "%s\n", "board:", text);
    if (o->dump_dir)
        printf(ROW "%llu PNG%s in %s\n", "dumps:", (unsigned long long)r->stats.dumps_written,
               r->stats.dumps_written == 1 ? "" : "s", o->dump_dir);
    if (r->display.description[0])
        printf(ROW "%s\n", "display:", r->display.description);
    const baton_display_report *d = &r->display;
    if (d->vblanks_total || d->vblanks_missed) {
        printf(ROW "%llu %s", "vblanks:", (unsigned long long)d->vblanks_total,
               d->vblank_source[0] ? d->vblank_source : "records");
        if (d->vblank_count >= 2)
            printf(" (last %zu: interval p50 %.3f ms, max %.3f ms, %llu longer than 1.5 "
                   "refresh periods)", d->vblank_count, r->vblank_p50_ms, r->vblank_max_ms,
                   (unsigned long long)r->vblank_late);
        printf(", %llu missed\n", (unsigned long long)d->vblanks_missed);
        const baton_vblank *last = &d->vblanks[d->vblank_count ? d->vblank_count - 1 : 0];
        if (d->vblank_count)
            printf(ROW "frame %llu on screen at vblank %llu, t=%.6f s (CLOCK_MONOTONIC)\n",
                   "last flip:", (unsigned long long)last->frame,
                   (unsigned long long)last->sequence, (double)last->ns / 1e9);
    }
    print_recovery(o, r);
    trace_text(r, o, text, sizeof text);
    printf(ROW "%s\n", "trace:", text);
}

baton_status run_write_json(const options *o, const settings *s, const results *r,
                            baton_error *err)
{
    FILE *f = fopen(o->json_path, "w");
    if (!f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(%s) failed: %s", o->json_path,
                               strerror(errno));
    json_writer w;
    json_init(&w, f);
    json_begin_object(&w);
    json_kv_string(&w, "version", BATON_VERSION);
    json_kv_string(&w, "source", o->source);
    json_kv_string(&w, "sink", o->sink);
    json_kv_uint(&w, "frames_requested", o->frames);
    json_kv_uint(&w, "frames", r->stats.frames_done);
    json_key(&w, "accounted");
    json_begin_object(&w);
    json_kv_uint(&w, "from_source", r->stats.frames_delivered + r->stats.dropped);
    json_kv_uint(&w, "shown", r->stats.frames_done);
    json_kv_uint(&w, "dropped_by_policy", r->stats.dropped);
    json_kv_uint(&w, "lost", r->stats.frames_lost);
    json_kv_string(&w, "lost_to", r->stats.frames_lost ? r->stats.error : "");
    json_end_object(&w);
    json_key(&w, "stopped_by");
    if (r->stopped_by)
        json_string(&w, r->stopped_by);
    else
        json_null(&w);
    json_kv_double(&w, "seconds", r->seconds);
    json_kv_double(&w, "fps", r->fps);
    json_key(&w, "latency_us");
    json_begin_object(&w);
    json_kv_uint(&w, "samples", r->latency_samples);
    json_kv_double(&w, "p50", r->p50_us);
    json_kv_double(&w, "p99", r->p99_us);
    json_kv_double(&w, "max", r->max_us);
    json_end_object(&w);
    json_latency(&w, "capture_to_done_us", &r->capture_done);
    json_latency(&w, "capture_to_gpu_done_us", &r->capture_gpu);
    json_latency(&w, "capture_to_screen_us", &r->capture_screen);
    json_kv_bool(&w, "gpu_times_measured", r->stats.gpu_times);
    json_kv_string(&w, "handoff_to_vulkan", baton_handoff_mode_name(r->stats.handoff_to_vulkan));
    json_kv_string(&w, "handoff_to_compute", baton_handoff_mode_name(r->stats.handoff_to_compute));
    json_kv_string(&w, "source_io", r->stats.source_io);
    json_kv_uint(&w, "driver_allocations_in_arena", r->driver_allocations);
    json_kv_uint(&w, "driver_allocations_escaped", r->driver_escaped);
    json_kv_uint(&w, "dropped", r->stats.dropped);
    json_kv_double(&w, "cpu_us_per_frame", r->cpu_us_per_frame);
    json_kv_string(&w, "sync", baton_sync_mode_name(r->sync));
    json_kv_string(&w, "sync_requested", baton_sync_mode_name(s->sync));
    json_kv_string(&w, "compute", baton_compute_mode_name(r->compute));
    json_kv_string(&w, "compute_detail", r->compute_text);
    json_kv_string(&w, "device", r->device);
    json_kv_uint(&w, "slots", s->slots);
    json_kv_uint(&w, "width", r->stats.width);
    json_kv_uint(&w, "height", r->stats.height);
    json_kv_string(&w, "format", baton_format_name(r->stats.format));
    json_kv_uint(&w, "width_requested", s->width);
    json_kv_uint(&w, "height_requested", s->height);
    json_kv_string(&w, "format_requested", baton_format_name(s->format));
    json_kv_string(&w, "policy", o->policy == BATON_POLICY_NEWEST ? "newest" : "backpressure");
    json_kv_uint(&w, "timeout_ms", s->timeout_ms);
    json_key(&w, "board");
    if (s->have_board) {
        json_begin_object(&w);
        json_kv_string(&w, "name", s->board.name);
        json_kv_string(&w, "file", s->board.source);
        json_kv_string(&w, "detected_by", s->board.detected_by);
        json_end_object(&w);
    } else {
        json_null(&w);
    }
    json_key(&w, "dumps");
    if (o->dump_dir) {
        json_begin_object(&w);
        json_kv_string(&w, "dir", o->dump_dir);
        json_kv_uint(&w, "written", r->stats.dumps_written);
        json_key(&w, "frames");
        json_begin_array(&w);
        for (size_t i = 0; i < s->dump_count; i++)
            json_uint(&w, s->dumps[i]);
        json_end_array(&w);
        json_end_object(&w);
    } else {
        json_null(&w);
    }
    json_key(&w, "display");
    json_begin_object(&w);
    json_kv_string(&w, "description", r->display.description);
    json_kv_string(&w, "vblank_source", r->display.vblank_source);
    json_kv_uint(&w, "vblanks", r->display.vblanks_total);
    json_kv_uint(&w, "vblanks_missed", r->display.vblanks_missed);
    json_kv_double(&w, "refresh_period_ms", (double)r->display.period_ns / 1e6);
    json_kv_double(&w, "vblank_interval_p50_ms", r->vblank_p50_ms);
    json_kv_double(&w, "vblank_interval_max_ms", r->vblank_max_ms);
    json_kv_uint(&w, "vblank_intervals_late", r->vblank_late);
    json_key(&w, "vblank_records");
    json_begin_array(&w);
    for (size_t i = 0; i < r->display.vblank_count; i++) {
        json_begin_object(&w);
        json_kv_uint(&w, "frame", r->display.vblanks[i].frame);
        json_kv_uint(&w, "sequence", r->display.vblanks[i].sequence);
        json_kv_uint(&w, "ns", r->display.vblanks[i].ns);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    json_recovery(&w, o, r);
    json_key(&w, "trace");
    json_begin_object(&w);
    json_kv_uint(&w, "events", r->trace_total);
    json_kv_uint(&w, "events_dropped", r->trace_dropped);
    json_kv_bool(&w, "matches_plan", r->trace_ok);
    json_kv_string(&w, "message", r->trace_message);
    json_key(&w, "file");
    if (o->trace_path && r->trace_saved)
        json_string(&w, o->trace_path);
    else
        json_null(&w);
    json_end_object(&w);
    json_end_object(&w);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return baton_error_set(err, BATON_ERR_IO, "writing %s failed: %s", o->json_path,
                               strerror(errno ? errno : EIO));
    return BATON_OK;
}
