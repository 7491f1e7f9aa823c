/* pipeline_internal.h - the pipeline's fields: the pieces it made, the view
 * they share, its threads (tests may look; sources, sinks and stages never
 * do). */
#ifndef BATON_PIPELINE_INTERNAL_H
#define BATON_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "baton/pipeline.h"
#include "baton/sem_pool.h"
#include "engine/compute_stage.h"
#include "engine/progress.h"
#include "engine/stage_vulkan.h"
#include "frame/frame_view.h"
#include "sinks/sink.h"
#include "sources/source.h"

struct baton_pipeline {
    baton_context *ctx;
    baton_pipeline_config cfg;
    baton_schedule plan;
    baton_sem_pool *pool;
    frame_sem sem[2 * BATON_SLOTS_MAX]; /* plan semaphore i, from the pool */
    frame_slot slots[BATON_SLOTS_MAX];
    frame_view view;          /* what the stages, the source and the sink see */
    source src;
    sink sink;
    compute_stage *compute;   /* CUDA or CPU, chosen once at creation */
    vulkan_stage *vulkan;
    baton_handoff_mode to_vulkan, to_compute; /* GPU or RELAY, chosen at creation */
    baton_trace *trace;
    uint64_t next_frame;      /* the driving thread's next frame */
    uint64_t stall_from;      /* inject: compute skips signals from this frame on */
    baton_status failed;      /* sticky error (the driving thread's view) */
    /* recovery (the driving thread's, see baton/pipeline.h "Recovery") */
    char *source_spec;        /* RESYNC: the source's spec, copied at creation */
    uint64_t lost_at_ns;      /* the source was found lost then; 0: it is not */
    uint64_t silent_since_ns; /* ... and silent since (a stall: its wait's start) */
    baton_error lost_err;     /* the error that lost it */
    _Atomic bool display_gone;/* HEADLESS: the sink said its display is lost (any thread) */
    bool display_switched;    /* ... and the headless sink has replaced it */
    uint64_t lose_display_at; /* test seam: the sink's done() of this frame reports the
                                 display lost (UINT64_MAX: never) */
    /* threads: progress's lock guards the counters and everything below it */
    progress pr;
    pthread_t completion, relay;
    bool pr_ready;            /* pr is initialised */
    bool completion_started, relay_started;
    baton_frame_times *times; /* ring of stats_frames records, frame % stats_frames */
    uint64_t times_count;     /* records ever written */
    baton_pipeline_stats stats;
};

/* The completion thread (retire.c): retires frames in order as their
 * Vulkan fences signal. */
void *pipeline_completion_main(void *arg);
/* The relay thread (relay.c): submits each frame's Vulkan stage once its
 * CUDA work is seen done (CUDA stage, relayed hand-off to Vulkan). */
void *pipeline_relay_main(void *arg);
/* HEADLESS: note (once, any thread) that the display was lost at frame,
 * by the error err; the driving thread replaces the sink. */
void pipeline_display_lost(baton_pipeline *p, uint64_t frame, const baton_error *err);
/* A sink's report that frame went on screen at ns (sink.on_screen). */
void pipeline_on_screen(sink *sk, uint64_t frame, uint64_t ns);

#endif
