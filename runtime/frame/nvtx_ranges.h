/* nvtx_ranges.h - baton's NVTX ranges, so that Nsight Systems (or any NVTX
 * tool) shows each frame and its stages, apart from the application's own.
 *
 * Everything is in the NVTX domain "baton". Each frame is one start/end
 * range named "frame N" (payload N), opened by the driving thread when the
 * frame starts and closed by the completion thread when it retires: such a
 * range may cross threads, a push/pop range may not. Inside it each stage
 * is a push/pop range on the thread that does it: "source", "compute
 * (CUDA)" / "compute (CPU)" and "vulkan" on the driving thread, "relay" on
 * the relay thread, "retire" on the completion thread, each with the frame
 * number as its payload. Without a tool attached the calls are no-ops;
 * names are registered once and "frame N" is formatted on the stack:
 * nothing is allocated per frame. */
#ifndef BATON_NVTX_RANGES_H
#define BATON_NVTX_RANGES_H

#include <stdint.h>

typedef enum baton_nvtx_stage {
    BATON_NVTX_SOURCE = 0,
    BATON_NVTX_COMPUTE_CUDA,
    BATON_NVTX_COMPUTE_CPU,
    BATON_NVTX_VULKAN,
    BATON_NVTX_RELAY,
    BATON_NVTX_RETIRE,
    BATON_NVTX_STAGES
} baton_nvtx_stage;

/* Create the domain and register the names (once per process; any thread). */
void baton_nvtx_init(void);
/* Open frame n's range; returns its id for baton_nvtx_frame_end. */
uint64_t baton_nvtx_frame_start(uint64_t frame);
void baton_nvtx_frame_end(uint64_t id);
/* A stage of frame n on this thread, then its end. */
void baton_nvtx_push(baton_nvtx_stage stage, uint64_t frame);
void baton_nvtx_pop(void);
/* Name the calling thread in NVTX tools (baton's own threads). */
void baton_nvtx_name_thread(const char *name);

#endif
