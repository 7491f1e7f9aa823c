/* check_schedule.c - the per-frame semaphore plan and its safety properties.
 *
 * The property checkers below take any sequence of ops (a "plan") and say
 * whether it is safe; they are run on the real plan for 10,000 frames in
 * every mode and slot count, and on deliberately corrupted plans, which they
 * must reject. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/schedule.h"
#include "util_test.h"

#define FRAMES 10000u
#define WHY_LEN 256
#define MAX_SEMS (2u * BATON_SLOTS_MAX)
#define NONE SIZE_MAX

typedef struct plan {
    baton_schedule sch;
    baton_op *ops;
    size_t n;
} plan;

static const baton_sync_mode modes[2] = {BATON_SYNC_TIMELINE, BATON_SYNC_BINARY};

/* Loop index i of the 6 combinations: S = 2 + i / 2, mode = modes[i % 2]. */
static baton_schedule combo(int i)
{
    baton_schedule s = {.slots = 2u + (uint32_t)i / 2u, .mode = modes[i % 2]};
    return s;
}

static plan plan_build(baton_schedule sch, uint64_t frames)
{
    plan p = {.sch = sch, .ops = calloc((size_t)frames * BATON_SCHEDULE_MAX_OPS, sizeof(baton_op))};
    ck_assert_ptr_nonnull(p.ops);
    for (uint64_t f = 0; f < frames; f++) {
        size_t k = baton_schedule_frame_ops(&sch, f, p.ops + p.n);
        ck_assert_uint_eq(k, f < sch.slots ? 3u : 4u);
        p.n += k;
    }
    return p;
}

/* The same plan computed frame by frame from the last frame to the first. */
static plan plan_build_reverse(baton_schedule sch, uint64_t frames)
{
    baton_op (*per)[BATON_SCHEDULE_MAX_OPS] = calloc((size_t)frames, sizeof *per);
    size_t *cnt = calloc((size_t)frames, sizeof *cnt);
    ck_assert(per && cnt);
    for (uint64_t f = frames; f-- > 0;)
        cnt[f] = baton_schedule_frame_ops(&sch, f, per[f]);
    plan p = {.sch = sch, .ops = calloc((size_t)frames * BATON_SCHEDULE_MAX_OPS, sizeof(baton_op))};
    ck_assert_ptr_nonnull(p.ops);
    for (uint64_t f = 0; f < frames; f++) {
        memcpy(p.ops + p.n, per[f], cnt[f] * sizeof(baton_op));
        p.n += cnt[f];
    }
    free(per);
    free(cnt);
    return p;
}

static void plan_free(plan *p)
{
    free(p->ops);
    p->ops = NULL;
    p->n = 0;
}

static bool is_timeline(const plan *p)
{
    return p->sch.mode == BATON_SYNC_TIMELINE;
}

/* Fill why with "op i (description): reason" and return false. */
static bool fail_at(const plan *p, size_t i, const char *reason, char *why)
{
    char d[128];
    snprintf(why, WHY_LEN, "op %zu (%s): %s", i, baton_op_describe(&p->ops[i], d, sizeof d),
             reason);
    return false;
}

static bool sem_in_range(const plan *p, size_t i, char *why)
{
    if (p->ops[i].sem < baton_schedule_sem_count(&p->sch) && p->ops[i].sem < MAX_SEMS)
        return true;
    return fail_at(p, i, "semaphore index out of range", why);
}

/* Every field agrees with the frame: slot, semaphore for role and slot,
 * value 0 in binary mode. */
static bool check_shape(const plan *p, char *why)
{
    for (size_t i = 0; i < p->n; i++) {
        const baton_op *o = &p->ops[i];
        if (!sem_in_range(p, i, why))
            return false;
        if (o->slot != o->frame % p->sch.slots)
            return fail_at(p, i, "slot is not frame mod S", why);
        if (o->sem != baton_schedule_sem_index(&p->sch, (baton_sem_role)o->role, o->slot))
            return fail_at(p, i, "semaphore does not match role and slot", why);
        if (!is_timeline(p) && o->value != 0)
            return fail_at(p, i, "binary op carries a value", why);
    }
    return true;
}

/* Timeline: each wait follows a signal on its semaphore with value >= the
 * waited value. Binary: the op just before each wait on its semaphore is a
 * signal. */
static bool check_waits_signalled(const plan *p, char *why)
{
    bool seen[MAX_SEMS] = {false};
    uint64_t max_value[MAX_SEMS] = {0};
    int last_kind[MAX_SEMS];
    for (size_t s = 0; s < MAX_SEMS; s++)
        last_kind[s] = -1;
    for (size_t i = 0; i < p->n; i++) {
        const baton_op *o = &p->ops[i];
        if (!sem_in_range(p, i, why))
            return false;
        if (o->kind == BATON_OP_SIGNAL) {
            seen[o->sem] = true;
            if (o->value > max_value[o->sem])
                max_value[o->sem] = o->value;
        } else if (is_timeline(p)) {
            if (!seen[o->sem] || max_value[o->sem] < o->value)
                return fail_at(p, i, "no earlier signal reaches the waited value", why);
        } else if (last_kind[o->sem] != BATON_OP_SIGNAL) {
            return fail_at(p, i, "previous op on this binary semaphore is not a signal", why);
        }
        last_kind[o->sem] = o->kind;
    }
    return true;
}

/* Binary: on each semaphore signal, wait, signal, wait, ... from a signal. */
static bool check_binary_alternation(const plan *p, char *why)
{
    int next[MAX_SEMS];
    for (size_t s = 0; s < MAX_SEMS; s++)
        next[s] = BATON_OP_SIGNAL;
    for (size_t i = 0; i < p->n; i++) {
        const baton_op *o = &p->ops[i];
        if (!sem_in_range(p, i, why))
            return false;
        if (o->kind != next[o->sem])
            return fail_at(p, i, next[o->sem] == BATON_OP_SIGNAL
                                     ? "expected a signal (two waits in a row, or a first wait)"
                                     : "expected a wait (two signals in a row)", why);
        next[o->sem] = o->kind == BATON_OP_SIGNAL ? BATON_OP_WAIT : BATON_OP_SIGNAL;
    }
    return true;
}

/* Timeline: signal values on each semaphore strictly increase from 0. */
static bool check_timeline_increasing(const plan *p, char *why)
{
    uint64_t last[MAX_SEMS] = {0};
    for (size_t i = 0; i < p->n; i++) {
        const baton_op *o = &p->ops[i];
        if (!sem_in_range(p, i, why))
            return false;
        if (o->kind != BATON_OP_SIGNAL)
            continue;
        if (o->value <= last[o->sem])
            return fail_at(p, i, "signal value does not increase", why);
        last[o->sem] = o->value;
    }
    return true;
}

/* Where each (frame, stage, kind) op sits in a plan; NONE if absent. */
typedef struct plan_index {
    size_t frames;
    size_t (*at)[2][2];
} plan_index;

static bool index_build(const plan *p, plan_index *ix, char *why)
{
    ix->frames = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->ops[i].frame + 1 > ix->frames)
            ix->frames = (size_t)p->ops[i].frame + 1;
    ix->at = malloc((ix->frames ? ix->frames : 1) * sizeof *ix->at);
    ck_assert_ptr_nonnull(ix->at);
    for (size_t f = 0; f < ix->frames; f++)
        for (int s = 0; s < 2; s++)
            ix->at[f][s][0] = ix->at[f][s][1] = NONE;
    for (size_t i = 0; i < p->n; i++) {
        const baton_op *o = &p->ops[i];
        if (o->stage > 1 || o->kind > 1) {
            free(ix->at);
            return fail_at(p, i, "unknown stage or kind", why);
        }
        size_t *slot = &ix->at[o->frame][o->stage][o->kind];
        if (*slot != NONE) {
            free(ix->at);
            return fail_at(p, i, "second op of this stage and kind in its frame", why);
        }
        *slot = i;
    }
    return true;
}

/* Does the wait at w cover the signal at g: g earlier, same semaphore, and
 * (timeline) a value >= the signal's, (binary) no op on it in between. */
static bool wait_covers(const plan *p, size_t w, size_t g, char *why)
{
    const baton_op *wo = &p->ops[w], *go = &p->ops[g];
    char d[128];
    if (g > w || wo->sem != go->sem) {
        snprintf(why, WHY_LEN, "wait at op %zu does not follow signal %s on its semaphore", w,
                 baton_op_describe(go, d, sizeof d));
        return false;
    }
    if (is_timeline(p) && wo->value < go->value)
        return fail_at(p, w, "waited value is below the signal it must cover", why);
    for (size_t i = g + 1; !is_timeline(p) && i < w; i++)
        if (p->ops[i].sem == wo->sem)
            return fail_at(p, w, "another op on the semaphore sits between signal and wait", why);
    return true;
}

/* The compute stage's wait for frame n (its first op, before it writes slot
 * s) covers the Vulkan signal that released slot s from frame n - S. */
static bool check_slot_reuse(const plan *p, char *why)
{
    plan_index ix;
    if (!index_build(p, &ix, why))
        return false;
    bool ok = true;
    for (size_t n = p->sch.slots; ok && n < ix.frames; n++) {
        size_t write = ix.at[n][BATON_STAGE_COMPUTE][BATON_OP_SIGNAL];
        size_t w = ix.at[n][BATON_STAGE_COMPUTE][BATON_OP_WAIT];
        size_t g = ix.at[n - p->sch.slots][BATON_STAGE_VULKAN][BATON_OP_SIGNAL];
        if (write == NONE)
            continue;
        if (w == NONE || g == NONE || w > write) {
            snprintf(why, WHY_LEN, "frame %zu: compute writes slot %zu without first waiting "
                     "for Vulkan's release of frame %zu", n, n % p->sch.slots, n - p->sch.slots);
            ok = false;
        } else {
            ok = wait_covers(p, w, g, why);
        }
    }
    free(ix.at);
    return ok;
}

/* Vulkan's wait for frame n covers compute's signal of frame n. */
static bool check_read_after_write(const plan *p, char *why)
{
    plan_index ix;
    if (!index_build(p, &ix, why))
        return false;
    bool ok = true;
    for (size_t n = 0; ok && n < ix.frames; n++) {
        size_t w = ix.at[n][BATON_STAGE_VULKAN][BATON_OP_WAIT];
        size_t g = ix.at[n][BATON_STAGE_COMPUTE][BATON_OP_SIGNAL];
        if (w == NONE || g == NONE) {
            snprintf(why, WHY_LEN, "frame %zu: Vulkan wait or compute signal missing", n);
            ok = false;
        } else {
            ok = wait_covers(p, w, g, why);
        }
    }
    free(ix.at);
    return ok;
}

static bool plans_equal(const plan *a, const plan *b, char *why)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (!baton_op_equal(&a->ops[i], &b->ops[i]))
            return fail_at(a, i, "differs from the other plan", why);
    if (a->n != b->n) {
        snprintf(why, WHY_LEN, "plans have %zu and %zu ops", a->n, b->n);
        return false;
    }
    return true;
}

/* Every property that holds for the plan's mode. */
static bool check_all(const plan *p, char *why)
{
    if (!check_shape(p, why) || !check_waits_signalled(p, why) ||
        !check_slot_reuse(p, why) || !check_read_after_write(p, why))
        return false;
    return is_timeline(p) ? check_timeline_increasing(p, why) : check_binary_alternation(p, why);
}

/* ---- the real plan, 10,000 frames, every S and mode ---- */

START_TEST(test_plan_properties)
{
    plan p = plan_build(combo(_i), FRAMES);
    char why[WHY_LEN] = "";
    ck_assert_msg(check_shape(&p, why), "S=%u: %s", p.sch.slots, why);
    ck_assert_msg(check_waits_signalled(&p, why), "S=%u: %s", p.sch.slots, why);
    ck_assert_msg(check_slot_reuse(&p, why), "S=%u: %s", p.sch.slots, why);
    ck_assert_msg(check_read_after_write(&p, why), "S=%u: %s", p.sch.slots, why);
    if (is_timeline(&p))
        ck_assert_msg(check_timeline_increasing(&p, why), "S=%u: %s", p.sch.slots, why);
    else
        ck_assert_msg(check_binary_alternation(&p, why), "S=%u: %s", p.sch.slots, why);
    plan_free(&p);
}
END_TEST

START_TEST(test_plan_deterministic)
{
    plan a = plan_build(combo(_i), FRAMES);
    plan b = plan_build(combo(_i), FRAMES);
    plan r = plan_build_reverse(combo(_i), FRAMES);
    char why[WHY_LEN] = "";
    ck_assert_msg(plans_equal(&a, &b, why), "computed twice: %s", why);
    ck_assert_msg(plans_equal(&a, &r, why), "computed in reverse: %s", why);
    plan_free(&a);
    plan_free(&b);
    plan_free(&r);
}
END_TEST

START_TEST(test_stage_ops_split_frame_ops)
{
    baton_schedule sch = combo(_i);
    for (uint64_t f = 0; f < 64; f++) {
        baton_op all[BATON_SCHEDULE_MAX_OPS], c[BATON_SCHEDULE_MAX_OPS], v[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(&sch, f, all);
        size_t nc = baton_schedule_stage_ops(&sch, f, BATON_STAGE_COMPUTE, c);
        size_t nv = baton_schedule_stage_ops(&sch, f, BATON_STAGE_VULKAN, v);
        ck_assert_uint_eq(nc, f < sch.slots ? 1u : 2u);
        ck_assert_uint_eq(nv, 2u);
        ck_assert_uint_eq(nc + nv, n);
        for (size_t i = 0; i < nc; i++)
            ck_assert(baton_op_equal(&c[i], &all[i]));
        for (size_t i = 0; i < nv; i++)
            ck_assert(baton_op_equal(&v[i], &all[nc + i]));
    }
    baton_op out[BATON_SCHEDULE_MAX_OPS];
    ck_assert_uint_eq(baton_schedule_stage_ops(&sch, 9, (baton_stage)7, out), 0u);
    ck_assert_uint_eq(baton_schedule_stage_ops(&sch, 9, BATON_STAGE_VULKAN, NULL), 0u);
}
END_TEST

/* The spelled-out plan of the header comment, frame by frame. */
START_TEST(test_frame_ops_values)
{
    baton_schedule t = {.slots = 3, .mode = BATON_SYNC_TIMELINE};
    baton_op o[BATON_SCHEDULE_MAX_OPS];
    ck_assert_uint_eq(baton_schedule_frame_ops(&t, 1, o), 3u);
    ck_assert_uint_eq(o[0].value, 2u);
    ck_assert_uint_eq(o[0].sem, 0u);
    ck_assert_uint_eq(baton_schedule_frame_ops(&t, 7, o), 4u);
    ck_assert(o[0].stage == BATON_STAGE_COMPUTE && o[0].kind == BATON_OP_WAIT);
    ck_assert(o[0].role == BATON_ROLE_VK_DONE && o[0].sem == 1 && o[0].value == 5);
    ck_assert(o[1].kind == BATON_OP_SIGNAL && o[1].sem == 0 && o[1].value == 8);
    ck_assert(o[2].stage == BATON_STAGE_VULKAN && o[2].kind == BATON_OP_WAIT && o[2].value == 8);
    ck_assert(o[3].stage == BATON_STAGE_VULKAN && o[3].sem == 1 && o[3].value == 8);
    for (int i = 0; i < 4; i++)
        ck_assert(o[i].frame == 7 && o[i].slot == 1);

    baton_schedule b = {.slots = 3, .mode = BATON_SYNC_BINARY};
    ck_assert_uint_eq(baton_schedule_frame_ops(&b, 7, o), 4u);
    ck_assert(o[0].sem == 4 && o[1].sem == 1 && o[2].sem == 1 && o[3].sem == 4);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(o[i].value, 0u);

    ck_assert_uint_eq(baton_schedule_frame_ops(&t, UINT64_MAX - 1, o), 4u);
    ck_assert_uint_eq(o[3].value, UINT64_MAX);
    ck_assert_uint_eq(baton_schedule_frame_ops(&t, UINT64_MAX, o), 0u);
    ck_assert_uint_eq(baton_schedule_frame_ops(&t, 0, NULL), 0u);
    baton_schedule bad = {.slots = 1, .mode = BATON_SYNC_TIMELINE};
    ck_assert_uint_eq(baton_schedule_frame_ops(&bad, 0, o), 0u);
    ck_assert_uint_eq(baton_schedule_frame_ops(NULL, 0, o), 0u);
}
END_TEST

/* ---- the checkers reject corrupted plans ---- */

static size_t find_op(const plan *p, uint64_t frame, baton_stage stage, baton_op_kind kind)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->ops[i].frame == frame && p->ops[i].stage == stage && p->ops[i].kind == kind)
            return i;
    ck_abort_msg("frame %" PRIu64 " has no such op", frame);
    return 0;
}

static void swap_ops(plan *p, size_t a, size_t b)
{
    baton_op t = p->ops[a];
    p->ops[a] = p->ops[b];
    p->ops[b] = t;
}

static void remove_op(plan *p, size_t i)
{
    memmove(p->ops + i, p->ops + i + 1, (p->n - i - 1) * sizeof(baton_op));
    p->n--;
}

/* Run a checker that must reject p; print why so the log shows it. */
static void expect_reject(bool (*check)(const plan *, char *), const plan *p, const char *what)
{
    char why[WHY_LEN] = "";
    ck_assert_msg(!check(p, why), "checker accepted a corrupted plan: %s", what);
    ck_assert_msg(why[0] != '\0', "checker gave no reason: %s", what);
}

START_TEST(test_checkers_accept_small_plans)
{
    char why[WHY_LEN] = "";
    plan p = plan_build(combo(_i), 20);
    ck_assert_msg(check_all(&p, why), "%s", why);
    plan_free(&p);
}
END_TEST

START_TEST(test_checkers_reject_corrupt_timeline)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    plan p = plan_build(sch, 20);
    size_t vw = find_op(&p, 5, BATON_STAGE_VULKAN, BATON_OP_WAIT);
    swap_ops(&p, vw - 1, vw); /* Vulkan waits before compute signals */
    expect_reject(check_waits_signalled, &p, "swapped signal/wait");
    expect_reject(check_read_after_write, &p, "swapped signal/wait");
    plan_free(&p);

    p = plan_build(sch, 20);
    remove_op(&p, find_op(&p, 5, BATON_STAGE_COMPUTE, BATON_OP_SIGNAL));
    expect_reject(check_waits_signalled, &p, "missing compute signal");
    plan_free(&p);

    p = plan_build(sch, 20); /* waits for frame n-S-1's release only */
    p.ops[find_op(&p, 7, BATON_STAGE_COMPUTE, BATON_OP_WAIT)].value -= 1;
    expect_reject(check_slot_reuse, &p, "compute wait value one short");
    plan_free(&p);

    p = plan_build(sch, 20);
    size_t cw = find_op(&p, 9, BATON_STAGE_COMPUTE, BATON_OP_WAIT);
    swap_ops(&p, cw, cw + 1); /* writes slot, then waits */
    expect_reject(check_slot_reuse, &p, "compute signals before its wait");
    plan_free(&p);

    p = plan_build(sch, 20);
    p.ops[find_op(&p, 8, BATON_STAGE_VULKAN, BATON_OP_SIGNAL)].value = 8;
    expect_reject(check_timeline_increasing, &p, "repeated signal value");
    plan_free(&p);

    p = plan_build(sch, 20);
    p.ops[find_op(&p, 4, BATON_STAGE_VULKAN, BATON_OP_WAIT)].value = 4;
    expect_reject(check_read_after_write, &p, "Vulkan wait value one short");
    plan_free(&p);
}
END_TEST

START_TEST(test_checkers_reject_corrupt_binary)
{
    baton_schedule sch = {.slots = 3, .mode = BATON_SYNC_BINARY};
    plan p = plan_build(sch, 20);
    size_t vw = find_op(&p, 5, BATON_STAGE_VULKAN, BATON_OP_WAIT);
    swap_ops(&p, vw - 1, vw);
    expect_reject(check_waits_signalled, &p, "swapped signal/wait");
    expect_reject(check_binary_alternation, &p, "swapped signal/wait");
    plan_free(&p);

    p = plan_build(sch, 20);
    remove_op(&p, find_op(&p, 5, BATON_STAGE_COMPUTE, BATON_OP_SIGNAL));
    expect_reject(check_waits_signalled, &p, "missing compute signal");
    expect_reject(check_binary_alternation, &p, "missing compute signal");
    plan_free(&p);

    p = plan_build(sch, 20);
    remove_op(&p, find_op(&p, 7, BATON_STAGE_COMPUTE, BATON_OP_WAIT));
    expect_reject(check_binary_alternation, &p, "missing compute wait");
    expect_reject(check_slot_reuse, &p, "missing compute wait");
    plan_free(&p);

    p = plan_build(sch, 20); /* waits on the next slot's vk_done */
    p.ops[find_op(&p, 7, BATON_STAGE_COMPUTE, BATON_OP_WAIT)].sem =
        baton_schedule_sem_index(&sch, BATON_ROLE_VK_DONE, 2);
    expect_reject(check_slot_reuse, &p, "compute wait on the wrong slot");
    expect_reject(check_shape, &p, "compute wait on the wrong slot");
    plan_free(&p);

    p = plan_build(sch, 20);
    p.ops[3].value = 1;
    expect_reject(check_shape, &p, "binary op with a value");
    plan_free(&p);
}
END_TEST

START_TEST(test_plans_equal_rejects_difference)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    plan a = plan_build(sch, 30), b = plan_build(sch, 30);
    char why[WHY_LEN] = "";
    ck_assert(plans_equal(&a, &b, why));
    b.ops[40].slot ^= 1;
    ck_assert(!plans_equal(&a, &b, why));
    ck_assert_msg(strstr(why, "op 40") != NULL, "%s", why);
    b.ops[40].slot ^= 1;
    b.n--;
    ck_assert(!plans_equal(&a, &b, why));
    plan_free(&a);
    plan_free(&b);
}
END_TEST

/* ---- validate, sem_count, sem_index, op_equal, op_describe ---- */

static void expect_invalid(uint32_t slots, baton_sync_mode mode, const char *needle)
{
    baton_schedule sch = {.slots = slots, .mode = mode};
    baton_error err = {0};
    ck_assert_int_eq(baton_schedule_validate(&sch, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(err.status, BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, needle) != NULL, "message \"%s\" lacks \"%s\"",
                  err.message, needle);
    ck_assert_uint_eq(baton_schedule_sem_count(&sch), 0u);
}

START_TEST(test_validate)
{
    expect_invalid(1, BATON_SYNC_TIMELINE, "slots = 1: must be 2..4");
    expect_invalid(5, BATON_SYNC_BINARY, "slots = 5: must be 2..4");
    expect_invalid(0, BATON_SYNC_BINARY, "slots = 0");
    expect_invalid(2, BATON_SYNC_AUTO, "auto: resolve it to timeline or binary");
    expect_invalid(2, (baton_sync_mode)9, "mode 9 is unknown");
    baton_error err = {0};
    ck_assert_int_eq(baton_schedule_validate(NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "NULL"));
    ck_assert_int_eq(baton_schedule_validate(NULL, NULL), BATON_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < 6; i++) {
        baton_schedule sch = combo(i);
        ck_assert_int_eq(baton_schedule_validate(&sch, NULL), BATON_OK);
    }
}
END_TEST

START_TEST(test_sem_count_and_index)
{
    for (uint32_t s = BATON_SLOTS_MIN; s <= BATON_SLOTS_MAX; s++) {
        baton_schedule t = {.slots = s, .mode = BATON_SYNC_TIMELINE};
        baton_schedule b = {.slots = s, .mode = BATON_SYNC_BINARY};
        ck_assert_uint_eq(baton_schedule_sem_count(&t), 2u);
        ck_assert_uint_eq(baton_schedule_sem_count(&b), 2u * s);
        for (uint32_t k = 0; k < s; k++) {
            ck_assert_uint_eq(baton_schedule_sem_index(&t, BATON_ROLE_COMPUTE_DONE, k), 0u);
            ck_assert_uint_eq(baton_schedule_sem_index(&t, BATON_ROLE_VK_DONE, k), 1u);
            ck_assert_uint_eq(baton_schedule_sem_index(&b, BATON_ROLE_COMPUTE_DONE, k), k);
            ck_assert_uint_eq(baton_schedule_sem_index(&b, BATON_ROLE_VK_DONE, k), s + k);
        }
        ck_assert_uint_eq(baton_schedule_sem_index(&b, BATON_ROLE_VK_DONE, s), BATON_SEM_INVALID);
        ck_assert_uint_eq(baton_schedule_sem_index(&t, (baton_sem_role)2, 0), BATON_SEM_INVALID);
    }
    ck_assert_uint_eq(baton_schedule_sem_count(NULL), 0u);
    ck_assert_uint_eq(baton_schedule_sem_index(NULL, BATON_ROLE_VK_DONE, 0), BATON_SEM_INVALID);
}
END_TEST

START_TEST(test_op_equal)
{
    baton_schedule sch = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_op o[BATON_SCHEDULE_MAX_OPS];
    baton_schedule_frame_ops(&sch, 5, o);
    baton_op a = o[0];
    ck_assert(baton_op_equal(&a, &o[0]));
    ck_assert(!baton_op_equal(&o[0], &o[1]));
    baton_op b;
    b = a; b.frame++;  ck_assert(!baton_op_equal(&a, &b));
    b = a; b.value++;  ck_assert(!baton_op_equal(&a, &b));
    b = a; b.sem++;    ck_assert(!baton_op_equal(&a, &b));
    b = a; b.slot++;   ck_assert(!baton_op_equal(&a, &b));
    b = a; b.stage++;  ck_assert(!baton_op_equal(&a, &b));
    b = a; b.kind++;   ck_assert(!baton_op_equal(&a, &b));
    b = a; b.role++;   ck_assert(!baton_op_equal(&a, &b));
    ck_assert(!baton_op_equal(&a, NULL));
    ck_assert(baton_op_equal(NULL, NULL));
}
END_TEST

START_TEST(test_op_describe)
{
    baton_schedule t = {.slots = 2, .mode = BATON_SYNC_TIMELINE};
    baton_schedule b = {.slots = 3, .mode = BATON_SYNC_BINARY};
    baton_op o[BATON_SCHEDULE_MAX_OPS];
    char buf[128];
    baton_schedule_frame_ops(&t, 12, o);
    ck_assert_str_eq(baton_op_describe(&o[0], buf, sizeof buf),
                     "frame 12 slot 0 COMPUTE wait vk_done[1] >= 11");
    ck_assert_str_eq(baton_op_describe(&o[1], buf, sizeof buf),
                     "frame 12 slot 0 COMPUTE signal compute_done[0] = 13");
    ck_assert_str_eq(baton_op_describe(&o[2], buf, sizeof buf),
                     "frame 12 slot 0 VULKAN wait compute_done[0] >= 13");
    ck_assert_str_eq(baton_op_describe(&o[3], buf, sizeof buf),
                     "frame 12 slot 0 VULKAN signal vk_done[1] = 13");
    baton_schedule_frame_ops(&b, 4, o);
    ck_assert_str_eq(baton_op_describe(&o[0], buf, sizeof buf),
                     "frame 4 slot 1 COMPUTE wait vk_done[4]");
    ck_assert_str_eq(baton_op_describe(&o[3], buf, sizeof buf),
                     "frame 4 slot 1 VULKAN signal vk_done[4]");
    baton_op bad = o[0];
    bad.stage = 9; bad.kind = 9; bad.role = 9;
    ck_assert_str_eq(baton_op_describe(&bad, buf, sizeof buf), "frame 4 slot 1 ? ? ?[4]");
    ck_assert_str_eq(baton_op_describe(&o[0], buf, 10), "frame 4 s");
    ck_assert_str_eq(baton_op_describe(&o[0], NULL, 10), "");
    ck_assert_str_eq(baton_op_describe(&o[0], buf, 0), "");
    ck_assert_str_eq(baton_op_describe(NULL, buf, sizeof buf), "(no op)");
    ck_assert_str_eq(baton_stage_name(BATON_STAGE_COMPUTE), "compute");
    ck_assert_str_eq(baton_stage_name(BATON_STAGE_VULKAN), "vulkan");
    ck_assert_str_eq(baton_stage_name((baton_stage)5), "unknown");
    ck_assert_str_eq(baton_sem_role_name(BATON_ROLE_VK_DONE), "vk_done");
    ck_assert_str_eq(baton_sem_role_name((baton_sem_role)5), "unknown");
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *props = tcase_create("properties");
    tcase_set_timeout(props, 60);
    tcase_add_loop_test(props, test_plan_properties, 0, 6);
    tcase_add_loop_test(props, test_plan_deterministic, 0, 6);
    tcase_add_loop_test(props, test_stage_ops_split_frame_ops, 0, 6);
    tcase_add_test(props, test_frame_ops_values);
    suite_add_tcase(s, props);

    TCase *checkers = tcase_create("checkers");
    tcase_add_loop_test(checkers, test_checkers_accept_small_plans, 0, 6);
    tcase_add_test(checkers, test_checkers_reject_corrupt_timeline);
    tcase_add_test(checkers, test_checkers_reject_corrupt_binary);
    tcase_add_test(checkers, test_plans_equal_rejects_difference);
    suite_add_tcase(s, checkers);

    TCase *api = tcase_create("api");
    tcase_add_test(api, test_validate);
    tcase_add_test(api, test_sem_count_and_index);
    tcase_add_test(api, test_op_equal);
    tcase_add_test(api, test_op_describe);
    suite_add_tcase(s, api);
    return s;
}

int main(void)
{
    return test_run_suite(schedule_suite());
}
