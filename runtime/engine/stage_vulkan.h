/* stage_vulkan.h - the Vulkan stage: command buffers recorded once per
 * (slot, sink target) at creation; per frame one submission that waits for
 * the compute stage's signal and signals the slot's release, as the plan
 * says; a fence per slot (view->slot[s].fence) for the host. */
#ifndef BATON_STAGE_VULKAN_H
#define BATON_STAGE_VULKAN_H

#include <stdint.h>

#include "frame/frame_view.h"
#include "sinks/sink.h"

typedef struct vulkan_stage vulkan_stage;

/* Records through the sink (which must already exist and outlive the
 * stage). to_vulkan GPU: the submission waits on compute_done; RELAY: on
 * nothing (the host saw the compute stage finish before submitting).
 * to_compute GPU: it signals vk_done; RELAY: only its fence, which the
 * pipeline waits for before the slot is reused. On error nothing is left. */
baton_status vulkan_stage_create(const frame_view *view, sink *sk, baton_handoff_mode to_vulkan,
                                 baton_handoff_mode to_compute, vulkan_stage **out,
                                 baton_error *err);
/* NULL is a no-op. The caller has made sure no submission is in flight. */
void vulkan_stage_destroy(vulkan_stage *vs);
/* Submit frame n (the plan's wait and signal, the sink's target and
 * semaphores); records both ops in the trace; then the sink's submitted(). */
baton_status vulkan_stage_submit(vulkan_stage *vs, uint64_t n, baton_error *err);
/* Bounded host wait for slot s's last submission (view->timeout_ms);
 * BATON_ERR_TIMEOUT names frame and slot. */
baton_status vulkan_stage_wait(vulkan_stage *vs, uint32_t s, baton_error *err);
/* Wait, at most timeout_ns each, for every slot whose submission went out;
 * false if one timed out (the GPU may still be at work), true when all
 * finished or failed (a lost device runs nothing any more). */
bool vulkan_stage_quiesce(vulkan_stage *vs, uint64_t timeout_ns);
/* Whether slot s's last submission has finished (does not wait). */
bool vulkan_stage_finished(const vulkan_stage *vs, uint32_t s);
/* Slot s's last frame on the GPU: how long its Vulkan work took (ns) and
 * when it ended (CLOCK_MONOTONIC ns, through calibrated timestamps); 0 for
 * what cannot be measured (no timestamps; no calibration). Reads the query
 * results of a finished frame: call after its fence. Not thread-safe: the
 * completion thread's. */
void vulkan_stage_gpu_times(vulkan_stage *vs, uint32_t s, uint64_t *duration_ns,
                            uint64_t *end_ns);
/* Whether end times are mapped to the host clock. */
bool vulkan_stage_calibrated(const vulkan_stage *vs);
/* Whether frame n's submission went out (its last submit got past
 * vkQueueSubmit: an error after it came from the sink's submitted()). */
bool vulkan_stage_went_out(const vulkan_stage *vs, uint64_t n);
/* The highest compute_done value a submitted wait needs (timeline mode). */
uint64_t vulkan_stage_max_wait(const vulkan_stage *vs);

#endif
