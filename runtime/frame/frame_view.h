/* frame_view.h - the narrow view of a pipeline that its stages, sources and
 * sinks work through: the frame's geometry, each slot's memory and the
 * times of the frame in it, the plan's semaphores, the trace.
 *
 * The engine owns everything a view points to and fills it once at
 * creation; the pieces read it and write only what their comments say is
 * theirs. No piece sees the pipeline itself. */
#ifndef BATON_FRAME_VIEW_H
#define BATON_FRAME_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>
#include <vulkan/vulkan.h>

#include "baton/format.h"
#include "baton/schedule.h"
#include "baton/trace.h"
#include "core/context_internal.h"
#include "frame/frame_memory.h"

/* One slot: its memory, and the frame that is in it. */
typedef struct frame_slot {
    frame_memory shared;      /* RGBA8 frame both stages see (the engine's) */
    uint8_t *staging;         /* the source frame, tightly packed (the compute stage's) */
    void *staging_device;     /* the compute stage's device view of staging, or its upload buffer */
    VkFence fence;            /* signalled when the slot's last Vulkan work has finished
                                 (created signalled); the Vulkan stage's: others may
                                 wait on it, never reset it */
    VkBuffer readback;        /* the displayed frame in host memory (the sink's, when readback) */
    VkDeviceMemory readback_memory;
    void *readback_host;
    uint64_t frame;           /* pipeline frame number n of the frame in the slot */
    uint64_t source_frame;    /* the source's own number for it */
    uint64_t capture_ns;      /* CLOCK_MONOTONIC: the source's capture time, 0 if unknown */
    uint64_t ready_ns;        /* the source handed it over */
    uint64_t compute_start_ns;/* the compute stage started on it */
    uint64_t compute_end_ns;  /* the compute stage returned (work enqueued or done) */
    uint64_t submit_ns;       /* the Vulkan stage submitted it */
    uint64_t done_ns;         /* the host saw the Vulkan stage finish it */
    uint64_t nvtx_range;      /* the frame's NVTX range (the engine's) */
} frame_slot;

/* Plan semaphore i (baton_schedule_sem_index) as both APIs know it. */
typedef struct frame_sem {
    VkSemaphore vk;
    cudaExternalSemaphore_t cuda; /* NULL with the CPU stage */
} frame_sem;

typedef struct frame_view {
    baton_context *ctx;
    baton_format format;      /* what the source delivers */
    uint32_t width, height;
    size_t pitch;             /* bytes per RGBA8 row of shared memory */
    size_t src_bytes;         /* one source frame, tightly packed */
    uint32_t slots;           /* S */
    frame_slot *slot;         /* [slots] */
    const baton_schedule *plan;
    const frame_sem *sem;     /* [baton_schedule_sem_count(plan)] */
    baton_trace *trace;
    uint32_t timeout_ms;      /* every host wait */
} frame_view;

static inline frame_slot *frame_view_slot(const frame_view *v, uint64_t n)
{
    return &v->slot[n % v->slots];
}

/* Record an op of the plan as issued now. */
static inline void frame_view_trace(const frame_view *v, const baton_op *op)
{
    baton_trace_record(v->trace, op, baton_now_ns());
}

#endif
