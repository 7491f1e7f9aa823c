/* compute_stage.h - the compute stage behind one interface: CUDA, or the
 * CPU where there is no CUDA device, chosen once when the pipeline is made.
 *
 * Per frame n the stage carries out the plan's compute ops
 * (baton_schedule_stage_ops(plan, n, BATON_STAGE_COMPUTE)): it waits until
 * the Vulkan stage released the slot, brings the slot's staging frame to
 * the GPU, converts it to RGBA8 in the slot's shared memory, runs the
 * application's work, and signals. It records each op it issued in the
 * view's trace, in order, and nothing else.
 *
 * Every implementation's state starts with a compute_stage (the base). */
#ifndef BATON_COMPUTE_STAGE_H
#define BATON_COMPUTE_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/pipeline.h"
#include "frame/frame_view.h"

typedef struct compute_stage compute_stage;

/* What the pipeline asks of its compute stage. */
typedef struct compute_config {
    baton_cuda_work_fn cuda;  /* the application's per-frame work (baton_pipeline_config's) */
    baton_cpu_work_fn cpu;
    void *user;
    /* GPU: signal compute_done on the exported semaphore for the Vulkan
     * stage to wait on. RELAY: mark the frame's end with a CUDA event that
     * the relay thread waits for (wait_done); signal nothing. */
    baton_handoff_mode to_vulkan;
    /* GPU: wait on the GPU (or, CPU stage, the host) for vk_done as the plan
     * says. RELAY: the pipeline has already seen the slot released (its
     * fence) before run(): wait for nothing. Both record the plan's op. */
    baton_handoff_mode to_compute;
} compute_config;

typedef struct compute_stage_ops {
    const char *name; /* "CUDA" or "CPU": errors and NVTX ranges say it */
    /* Allocate everything the stage uses per frame, and each slot's
     * staging memory (view->slot[s].staging, .staging_device). The view
     * and work must outlive the stage. On error nothing is left. */
    baton_status (*create)(const frame_view *view, const compute_config *cfg, compute_stage **out,
                           baton_error *err);
    /* Frame n's ops. stall (a test seam) skips the signal, so the Vulkan
     * stage's wait can only expire. Errors name the stage, the frame and
     * the failing call; every host wait is bounded by view->timeout_ms.
     * Allocates nothing. */
    baton_status (*run)(compute_stage *cs, uint64_t n, bool stall, baton_error *err);
    /* Wait until frame n's compute work has finished (the relay thread,
     * before it submits frame n's Vulkan stage), until deadline_ns
     * (CLOCK_MONOTONIC). BATON_ERR_TIMEOUT naming stage and frame, or the
     * work's own error (a kernel that faulted). Allocates nothing. */
    baton_status (*wait_done)(compute_stage *cs, uint64_t n, uint64_t deadline_ns, baton_error *err);
    /* GPU time of slot s's last frame, ns; 0 when not measured. */
    uint64_t (*gpu_ns)(compute_stage *cs, uint32_t s);
    /* Wait until work already enqueued has finished, at most timeout_ns;
     * false if it has not (the GPU may still use the slots' memory). */
    bool (*quiesce)(compute_stage *cs, uint64_t timeout_ns);
    /* Whether the stage can run nothing more: an error every later call
     * would return too (CUDA's sticky error after an application kernel
     * faulted: the stream's remaining work, its signals included, never
     * runs). That error, naming the call that saw it and frame n; BATON_OK
     * while the stage is healthy, busy or not. NULL: never (the CPU). */
    baton_status (*dead)(compute_stage *cs, uint64_t n, baton_error *err);
    /* Free everything create made; NULL is a no-op. */
    void (*destroy)(compute_stage *cs);
} compute_stage_ops;

struct compute_stage {
    const compute_stage_ops *ops;
    const frame_view *view;
    compute_config cfg;
    uint64_t signalled; /* the highest value signalled on compute_done (timeline) */
};

extern const compute_stage_ops compute_stage_cuda;
extern const compute_stage_ops compute_stage_cpu;

#endif
