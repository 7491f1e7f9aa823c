/* pipeline_internal.h - the pipeline's fields: the pieces it made and the
 * view they share (tests may look; sources, sinks and stages never do). */
#ifndef BATON_PIPELINE_INTERNAL_H
#define BATON_PIPELINE_INTERNAL_H

#include "baton/pipeline.h"
#include "baton/sem_pool.h"
#include "engine/compute_stage.h"
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
    bool in_flight[BATON_SLOTS_MAX]; /* a frame was submitted and not yet retired */
    baton_trace *trace;
    uint64_t *latency;        /* ring of stats_frames latencies */
    size_t latency_head, latency_count;
    uint64_t next_frame;
    baton_pipeline_stats stats;
    uint64_t stall_from;      /* inject: compute skips signals from this frame on */
    baton_status failed;      /* sticky error */
};

#endif
