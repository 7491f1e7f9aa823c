/* run_report.h - what baton-run prints: the progress line, the results
 * table and the JSON report. */
#ifndef BATON_RUN_REPORT_H
#define BATON_RUN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/pipeline.h"
#include "run_options.h"

/* p50/p99/max of one latency, over the frames that have it. */
typedef struct latency {
    size_t samples;
    double p50_us, p99_us, max_us;
} latency;

typedef struct results {
    baton_pipeline_stats stats;               /* the pipeline's, after the run */
    double seconds, fps, cpu_us_per_frame;
    size_t latency_samples;
    double p50_us, p99_us, max_us;            /* source ready -> done */
    latency capture_done, capture_gpu, capture_screen;
    uint64_t driver_allocations, driver_escaped;
    baton_sync_mode sync;
    baton_compute_mode compute;
    char compute_text[BATON_NAME_MAX + 64];
    char device[BATON_NAME_MAX];
    uint64_t trace_total, trace_dropped;
    bool trace_ok;
    char trace_message[BATON_ERROR_MESSAGE_MAX];
    bool trace_saved;
    char trace_save_error[BATON_ERROR_MESSAGE_MAX]; /* why --trace FILE was not written */
    const char *stopped_by; /* "SIGINT", "SIGTERM", "end of stream" or NULL */
    baton_display_report display;
    double vblank_p50_ms, vblank_max_ms; /* intervals between consecutive records */
    uint64_t vblank_late;                /* intervals longer than 1.5 refresh periods */
    uint32_t resync_ms;                  /* --on-camera-loss: the time allowed to reopen */
} results;

/* The progress line on stderr after seconds: rewritten in place when tty
 * (stderr is a terminal), else one line each call; clear_line erases it. */
void run_progress(bool tty, uint64_t done, uint64_t total, double seconds, bool clear_line);

/* The results table on stdout. */
void run_print_table(const options *o, const settings *s, const results *r);

/* The results as one JSON object to o->json_path. */
baton_status run_write_json(const options *o, const settings *s, const results *r,
                            baton_error *err);

#endif
