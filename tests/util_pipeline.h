/* util_pipeline.h - run one pipeline configuration and check what came out:
 * frames in order, the frame number decoded from every displayed frame,
 * every k-th frame against the independent reference, the trace against
 * the plan, latency figures. Shared by check_pipeline and gpu_pipeline. */
#ifndef BATON_UTIL_PIPELINE_H
#define BATON_UTIL_PIPELINE_H

#include <stdint.h>

#include "baton/pipeline.h"

typedef struct pipe_case {
    /* in */
    baton_compute_mode compute;
    baton_sync_mode sync;
    baton_format format;
    uint32_t width, height, slots;
    uint64_t frames;
    uint32_t reference_every; /* full reference compare every k-th frame; 0 never */
    bool readback;            /* decode the frame number from every frame */
    baton_handoff_mode to_vulkan, to_compute; /* AUTO: the context's measured choice */
    bool zero_copy;           /* force the integrated GPU's upload path */
    /* out */
    uint64_t frames_done, order_errors, decode_errors, reference_checked, reference_bad;
    int max_diff;
    bool trace_ok;
    char trace_message[BATON_ERROR_MESSAGE_MAX];
    double seconds, fps;
    double p50_us, p99_us, max_us;
    baton_sync_mode sync_used;
    baton_compute_mode compute_used;
    baton_handoff_mode to_vulkan_used, to_compute_used;
    bool gpu_times;           /* GPU done times were measured */
    double gpu_done_p50_us;   /* capture -> GPU done, when measured */
} pipe_case;

/* Run the case on a fresh context; BATON_OK when the pipeline itself ran
 * (the checks' results are in c). */
baton_status pipe_case_run(pipe_case *c, baton_error *err);

/* One line: "YUYV 1920x1080 S=2 timeline CUDA: 10000 frames, 812.3 fps, ..." */
void pipe_case_print(const pipe_case *c);

/* True when every check of the case passed. */
bool pipe_case_ok(const pipe_case *c);

#endif
