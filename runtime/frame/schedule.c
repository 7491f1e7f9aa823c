/* schedule.c - the pure per-frame plan of semaphore operations.
 * See baton/schedule.h for the plan itself. No allocation, no API calls. */
#include "baton/schedule.h"

#include <inttypes.h>
#include <stdio.h>

static int schedule_ok(const baton_schedule *sch)
{
    return sch && sch->slots >= BATON_SLOTS_MIN && sch->slots <= BATON_SLOTS_MAX &&
           (sch->mode == BATON_SYNC_TIMELINE || sch->mode == BATON_SYNC_BINARY);
}

baton_status baton_schedule_validate(const baton_schedule *sch, baton_error *err)
{
    if (!sch)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_schedule_validate: schedule is NULL");
    if (sch->slots < BATON_SLOTS_MIN || sch->slots > BATON_SLOTS_MAX)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "schedule slots = %u: must be %u..%u", sch->slots,
                               BATON_SLOTS_MIN, BATON_SLOTS_MAX);
    if (sch->mode == BATON_SYNC_AUTO)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "schedule sync mode is auto: resolve it to timeline "
                               "or binary before planning");
    if (sch->mode != BATON_SYNC_TIMELINE && sch->mode != BATON_SYNC_BINARY)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "schedule sync mode %d is unknown: must be timeline "
                               "or binary", (int)sch->mode);
    return BATON_OK;
}

uint32_t baton_schedule_sem_count(const baton_schedule *sch)
{
    if (!schedule_ok(sch))
        return 0;
    return sch->mode == BATON_SYNC_TIMELINE ? 2u : 2u * sch->slots;
}

uint32_t baton_schedule_sem_index(const baton_schedule *sch, baton_sem_role role,
                                  uint32_t slot)
{
    if (!schedule_ok(sch) || (role != BATON_ROLE_COMPUTE_DONE && role != BATON_ROLE_VK_DONE))
        return BATON_SEM_INVALID;
    if (sch->mode == BATON_SYNC_TIMELINE)
        return (uint32_t)role;
    if (slot >= sch->slots)
        return BATON_SEM_INVALID;
    return (uint32_t)role * sch->slots + slot;
}

/* One op of frame n; value is used in timeline mode only. */
static baton_op make_op(const baton_schedule *sch, uint64_t frame, baton_stage stage,
                        baton_op_kind kind, baton_sem_role role, uint64_t value)
{
    uint32_t slot = (uint32_t)(frame % sch->slots);
    baton_op op = {
        .frame = frame,
        .value = sch->mode == BATON_SYNC_TIMELINE ? value : 0,
        .sem = baton_schedule_sem_index(sch, role, slot),
        .slot = (uint8_t)slot,
        .stage = (uint8_t)stage,
        .kind = (uint8_t)kind,
        .role = (uint8_t)role,
    };
    return op;
}

size_t baton_schedule_frame_ops(const baton_schedule *sch, uint64_t frame,
                                baton_op out[BATON_SCHEDULE_MAX_OPS])
{
    if (!schedule_ok(sch) || !out || frame == UINT64_MAX)
        return 0;
    size_t n = 0;
    uint64_t s = sch->slots;
    if (frame >= s) /* slot reuse: wait for Vulkan to release frame n - S */
        out[n++] = make_op(sch, frame, BATON_STAGE_COMPUTE, BATON_OP_WAIT,
                           BATON_ROLE_VK_DONE, frame - s + 1);
    out[n++] = make_op(sch, frame, BATON_STAGE_COMPUTE, BATON_OP_SIGNAL,
                       BATON_ROLE_COMPUTE_DONE, frame + 1);
    out[n++] = make_op(sch, frame, BATON_STAGE_VULKAN, BATON_OP_WAIT,
                       BATON_ROLE_COMPUTE_DONE, frame + 1);
    out[n++] = make_op(sch, frame, BATON_STAGE_VULKAN, BATON_OP_SIGNAL,
                       BATON_ROLE_VK_DONE, frame + 1);
    return n;
}

size_t baton_schedule_stage_ops(const baton_schedule *sch, uint64_t frame,
                                baton_stage stage,
                                baton_op out[BATON_SCHEDULE_MAX_OPS])
{
    baton_op all[BATON_SCHEDULE_MAX_OPS];
    size_t total = out ? baton_schedule_frame_ops(sch, frame, all) : 0;
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        if ((unsigned)all[i].stage == (unsigned)stage)
            out[n++] = all[i];
    }
    return n;
}

int baton_op_equal(const baton_op *a, const baton_op *b)
{
    if (!a || !b)
        return a == b;
    return a->frame == b->frame && a->value == b->value && a->sem == b->sem &&
           a->slot == b->slot && a->stage == b->stage && a->kind == b->kind &&
           a->role == b->role;
}

const char *baton_stage_name(baton_stage stage)
{
    switch (stage) {
    case BATON_STAGE_COMPUTE: return "compute";
    case BATON_STAGE_VULKAN: return "vulkan";
    }
    return "unknown";
}

const char *baton_sem_role_name(baton_sem_role role)
{
    switch (role) {
    case BATON_ROLE_COMPUTE_DONE: return "compute_done";
    case BATON_ROLE_VK_DONE: return "vk_done";
    }
    return "unknown";
}

static const char *stage_upper(uint8_t stage)
{
    return stage == BATON_STAGE_COMPUTE ? "COMPUTE"
           : stage == BATON_STAGE_VULKAN ? "VULKAN" : "?";
}

static const char *kind_name(uint8_t kind)
{
    return kind == BATON_OP_WAIT ? "wait" : kind == BATON_OP_SIGNAL ? "signal" : "?";
}

static const char *role_name(uint8_t role)
{
    return role <= BATON_ROLE_VK_DONE ? baton_sem_role_name((baton_sem_role)role) : "?";
}

const char *baton_op_describe(const baton_op *op, char *buf, size_t len)
{
    if (!buf || len == 0)
        return "";
    if (!op) {
        snprintf(buf, len, "(no op)");
        return buf;
    }
    int n = snprintf(buf, len, "frame %" PRIu64 " slot %u %s %s %s[%" PRIu32 "]",
                     op->frame, (unsigned)op->slot, stage_upper(op->stage),
                     kind_name(op->kind), role_name(op->role), op->sem);
    if (op->value != 0 && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " %s %" PRIu64,
                 op->kind == BATON_OP_WAIT ? ">=" : "=", op->value);
    return buf;
}
