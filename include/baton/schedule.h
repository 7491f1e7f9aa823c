/* baton/schedule.h - the pure plan of semaphore operations per frame.
 *
 * Frame n uses slot s = n mod S. The compute stage (CUDA, or the CPU stage
 * that stands in for it) and the Vulkan stage exchange two kinds of signal:
 *   compute_done: "slot s holds frame n" (compute signals, Vulkan waits)
 *   vk_done:      "Vulkan has released slot s" (Vulkan signals, compute waits)
 *
 * Timeline mode: semaphore 0 is compute_done, semaphore 1 is vk_done; both
 * start at 0. Frame n:
 *   1. COMPUTE wait   vk_done      >= n - S + 1   (only when n >= S)
 *   2. COMPUTE signal compute_done  = n + 1
 *   3. VULKAN  wait   compute_done >= n + 1
 *   4. VULKAN  signal vk_done       = n + 1
 * Binary mode: compute_done[s] is semaphore s, vk_done[s] is semaphore S + s;
 * the same four steps on the slot's semaphores with value 0, the first wait
 * skipped for n < S because nothing has signalled vk_done[s] yet.
 *
 * Everything here is a pure function of its arguments: no allocation, no
 * API calls, thread-safe.
 */
#ifndef BATON_SCHEDULE_H
#define BATON_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BATON_SCHEDULE_MAX_OPS 4u /* operations in one frame, at most */

typedef enum baton_stage {
    BATON_STAGE_COMPUTE = 0, /* CUDA stream, or the CPU stage on the host */
    BATON_STAGE_VULKAN = 1,  /* the Vulkan queue */
} baton_stage;

typedef enum baton_op_kind {
    BATON_OP_WAIT = 0,
    BATON_OP_SIGNAL = 1,
} baton_op_kind;

typedef enum baton_sem_role {
    BATON_ROLE_COMPUTE_DONE = 0,
    BATON_ROLE_VK_DONE = 1,
} baton_sem_role;

typedef struct baton_op {
    uint64_t frame;
    uint64_t value;      /* timeline value; 0 in binary mode */
    uint32_t sem;        /* index into the plan's semaphore table */
    uint8_t slot;        /* frame mod slots */
    uint8_t stage;       /* baton_stage */
    uint8_t kind;        /* baton_op_kind */
    uint8_t role;        /* baton_sem_role */
} baton_op;

typedef struct baton_schedule {
    uint32_t slots;       /* S, BATON_SLOTS_MIN..BATON_SLOTS_MAX */
    baton_sync_mode mode; /* BATON_SYNC_TIMELINE or BATON_SYNC_BINARY */
} baton_schedule;

#define BATON_SEM_INVALID UINT32_MAX /* sem_index of an invalid request */

/* Check S and mode (AUTO is not a plan mode). BATON_ERR_INVALID_ARGUMENT
 * with a message naming the bad field otherwise. */
baton_status baton_schedule_validate(const baton_schedule *sch, baton_error *err);

/* Semaphores the plan uses: 2 in timeline mode, 2*S in binary mode.
 * Returns 0 for an invalid schedule. */
uint32_t baton_schedule_sem_count(const baton_schedule *sch);

/* Index of the semaphore with this role for this slot: the role in timeline
 * mode (slot ignored), role * S + slot in binary mode. BATON_SEM_INVALID for
 * an invalid schedule, role, or (binary) slot >= S. */
uint32_t baton_schedule_sem_index(const baton_schedule *sch, baton_sem_role role,
                                  uint32_t slot);

/* Write the operations of frame n, in issue order, into out (room for
 * BATON_SCHEDULE_MAX_OPS) and return how many (3 or 4). Returns 0 for an
 * invalid schedule, a NULL out, or frame == UINT64_MAX (whose value n + 1
 * would wrap). Pure and thread-safe. */
size_t baton_schedule_frame_ops(const baton_schedule *sch, uint64_t frame,
                                baton_op out[BATON_SCHEDULE_MAX_OPS]);

/* Convenience for a stage: the ops of frame n that stage issues, in order
 * (compute: 1 or 2, Vulkan: 2). 0 where frame_ops gives 0 or for an unknown
 * stage. */
size_t baton_schedule_stage_ops(const baton_schedule *sch, uint64_t frame,
                                baton_stage stage,
                                baton_op out[BATON_SCHEDULE_MAX_OPS]);

/* Exact equality of two ops (all fields): 1 if equal, else 0. Two NULLs are
 * equal; NULL and an op are not. */
int baton_op_equal(const baton_op *a, const baton_op *b);

/* "frame 12 slot 0 VULKAN wait compute_done[0] >= 13" into buf: the
 * bracket holds the semaphore index (op->sem); a wait shows ">= value", a
 * signal "= value", and value 0 (binary mode) is left out, so a binary op
 * reads "frame 3 slot 1 COMPUTE signal compute_done[1]". Out-of-range enum
 * fields print as "?". Truncated to len (always NUL-terminated); returns
 * buf, or "" if buf is NULL or len is 0. */
const char *baton_op_describe(const baton_op *op, char *buf, size_t len);

/* "compute", "vulkan"; "unknown" otherwise. Static strings. */
const char *baton_stage_name(baton_stage stage);

/* "compute_done", "vk_done"; "unknown" otherwise. Static strings. */
const char *baton_sem_role_name(baton_sem_role role);

#ifdef __cplusplus
}
#endif

#endif
