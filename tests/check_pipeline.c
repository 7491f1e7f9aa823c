/* check_pipeline.c - the whole pipeline on this machine's Vulkan (lavapipe
 * in CI) with the CPU compute stage: every format, both sync modes, S = 2..4;
 * pixels against the independent reference; the trace against the plan;
 * bounded waits (a stalled stage, a stopped camera) and clean destruction;
 * the newest-frame and back-pressure policies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/pipeline_internal.h"
#include "sources/pattern.h"
#include "util/fault.h"
#include "util/png.h"
#include "util_pipeline.h"
#include "util_test.h"

static const baton_format formats[] = {BATON_FORMAT_YUYV, BATON_FORMAT_UYVY, BATON_FORMAT_NV12,
                                       BATON_FORMAT_GREY8, BATON_FORMAT_RGB24};

/* _i enumerates format x sync x slots. */
START_TEST(test_matrix)
{
    int before = test_open_fd_count();
    pipe_case c = {
        .compute = BATON_COMPUTE_CPU,
        .format = formats[_i % 5],
        .sync = (_i / 5) % 2 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE,
        .slots = 2 + (uint32_t)(_i / 10),
        .width = 160, .height = 96, .frames = 60, .reference_every = 1,
    };
    baton_error err;
    ck_assert_msg(pipe_case_run(&c, &err) == BATON_OK, "%s", err.message);
    pipe_case_print(&c);
    ck_assert_int_eq(c.sync_used, c.sync);
    ck_assert_msg(pipe_case_ok(&c), "checks failed (see line above)");
    ck_assert_uint_eq(c.reference_checked, 60);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* Both ways of carrying each hand-off, in every combination, both sync
 * modes: the same frames, the same plan, the trace checks. */
static const baton_handoff_mode handoffs[4][2] = {
    {BATON_HANDOFF_GPU, BATON_HANDOFF_GPU},
    {BATON_HANDOFF_RELAY, BATON_HANDOFF_RELAY},
    {BATON_HANDOFF_GPU, BATON_HANDOFF_RELAY},
    {BATON_HANDOFF_RELAY, BATON_HANDOFF_GPU},
};

START_TEST(test_handoffs)
{
    pipe_case c = {
        .compute = BATON_COMPUTE_CPU, .format = BATON_FORMAT_YUYV,
        .sync = _i / 4 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE, .slots = 2,
        .width = 160, .height = 96, .frames = 300, .reference_every = 7, .readback = true,
        .to_vulkan = handoffs[_i % 4][0], .to_compute = handoffs[_i % 4][1],
    };
    baton_error err;
    ck_assert_msg(pipe_case_run(&c, &err) == BATON_OK, "%s", err.message);
    pipe_case_print(&c);
    ck_assert_int_eq(c.to_vulkan_used, c.to_vulkan);
    ck_assert_int_eq(c.to_compute_used, c.to_compute);
    ck_assert_msg(pipe_case_ok(&c), "checks failed (see line above)");
}
END_TEST

/* AUTO with the CPU stage: nothing to measure, the host relays both ways. */
START_TEST(test_handoff_auto_on_cpu)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_error err;
    baton_handoff_report h = baton_context_handoff(ctx);
    ck_assert(!h.measured);
    ck_assert_int_eq(h.to_vulkan, BATON_HANDOFF_RELAY);
    ck_assert_int_eq(h.to_compute, BATON_HANDOFF_RELAY);
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 64;
    pc.height = 16;
    pc.handoff_to_vulkan = (baton_handoff_mode)7;
    baton_pipeline *p = NULL;
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "handoff_to_vulkan"), "%s", err.message);
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_long_run)
{
    pipe_case c = {
        .compute = BATON_COMPUTE_CPU, .format = BATON_FORMAT_NV12,
        .sync = _i ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE, .slots = _i ? 3 : 2,
        .width = 64, .height = 16, .frames = 10000, .reference_every = 97, .readback = true,
    };
    baton_error err;
    ck_assert_msg(pipe_case_run(&c, &err) == BATON_OK, "%s", err.message);
    pipe_case_print(&c);
    ck_assert_msg(pipe_case_ok(&c), "checks failed (see line above)");
}
END_TEST

static baton_pipeline_config small_config(void)
{
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 128;
    pc.height = 32;
    pc.timeout_ms = 200;
    return pc;
}

START_TEST(test_stalled_stage_times_out_and_destroys_cleanly)
{
    int before = test_open_fd_count();
    /* binary mode only with the hand-off to Vulkan relayed: a GPU wait on a
     * binary semaphore that nothing will signal is invalid usage (only
     * timelines may be waited before they are signalled) */
    static const int cases[6][2] = {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 1}, {1, 3}};
    const baton_sync_mode sync = cases[_i][0] ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE;
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, sync);
    baton_pipeline_config pc = small_config();
    pc.handoff_to_vulkan = handoffs[cases[_i][1]][0];
    pc.handoff_to_compute = handoffs[cases[_i][1]][1];
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    baton_pipeline_inject_stall(p, 5);
    ck_assert_int_eq(baton_pipeline_run(p, 50, &err), BATON_ERR_TIMEOUT);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "vulkan stage: frame 5 "), "%s", err.message);
    ck_assert_int_eq(baton_pipeline_run(p, 1, &err), BATON_ERR_STATE);
    ck_assert_int_eq(baton_pipeline_drain(p, &err), BATON_ERR_STATE);
    /* the checker sees the missing signal too */
    baton_schedule plan = baton_pipeline_schedule(p);
    ck_assert_int_eq(baton_trace_check(baton_pipeline_trace(p), &plan, &err), BATON_ERR_MISMATCH);
    ck_assert_msg(strstr(err.message, "frame 5"), "%s", err.message);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* Every frame the source delivered ends shown, dropped by policy or lost to
 * a named error, whichever way the run ends: at the end of the stream, when
 * the application stops (what baton-run does on Ctrl-C), at a timeout, at
 * an error of the application's work. */
static baton_status fail_at_6(void *user, uint8_t *rgba, size_t pitch, uint32_t w, uint32_t h,
                              uint64_t frame, baton_error *err)
{
    (void)user; (void)rgba; (void)pitch; (void)w; (void)h;
    return frame == 6 ? baton_error_set(err, BATON_ERR_IO, "injected: frame 6 failed") : BATON_OK;
}

START_TEST(test_every_frame_accounted)
{
    static const char *const how[] = {"end of stream", "stop", "timeout", "error"};
    char path[] = "/tmp/baton-frames-XXXXXX", spec[96];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static uint8_t frame[64 * 16 * 2];
    for (int i = 0; i < 7; i++) /* seven YUYV frames, then the end of the file */
        ck_assert_int_eq(write(fd, frame, sizeof frame), (ssize_t)sizeof frame);
    close(fd);
    snprintf(spec, sizeof spec, "pipe:YUYV:64x16:%s", path);
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE);
    baton_pipeline_config pc = small_config();
    pc.width = 64;
    pc.height = 16;
    pc.slots = 3;
    if (_i == 0)
        pc.source = spec;
    if (_i == 3)
        pc.cpu_work = fail_at_6;
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    if (_i == 2)
        baton_pipeline_inject_stall(p, 5);
    baton_status st = baton_pipeline_run(p, _i == 1 ? 10 : 50, &err);
    if (_i <= 1) { /* the frames in flight drain */
        ck_assert_int_eq(st, _i == 0 ? BATON_ERR_END_OF_STREAM : BATON_OK);
        ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    } else {
        ck_assert_int_eq(st, _i == 2 ? BATON_ERR_TIMEOUT : BATON_ERR_IO);
    }
    baton_pipeline_stats ps = baton_pipeline_get_stats(p);
    printf("%-13s: delivered %llu = shown %llu + lost %llu (+ %llu dropped by policy)%s%s\n",
           how[_i], (unsigned long long)ps.frames_delivered, (unsigned long long)ps.frames_done,
           (unsigned long long)ps.frames_lost, (unsigned long long)ps.dropped,
           ps.failed ? ": " : "", ps.error);
    ck_assert_uint_eq(ps.frames_in_flight, 0);
    ck_assert_uint_eq(ps.frames_delivered, ps.frames_done + ps.frames_lost);
    ck_assert_uint_eq(ps.dropped, 0);
    switch (_i) {
    case 0: ck_assert_uint_eq(ps.frames_done, 7); ck_assert_uint_eq(ps.frames_lost, 0); break;
    case 1: ck_assert_uint_eq(ps.frames_done, 10); ck_assert_uint_eq(ps.frames_lost, 0); break;
    case 2:
        ck_assert_uint_eq(ps.frames_done, 5); /* frames 0..4 */
        ck_assert_uint_ge(ps.frames_lost, 1);
        ck_assert_int_eq(ps.failed, BATON_ERR_TIMEOUT);
        ck_assert_msg(strstr(ps.error, "frame 5"), "%s", ps.error);
        break;
    case 3:
        ck_assert_uint_eq(ps.frames_done, 6);
        ck_assert_uint_eq(ps.frames_lost, 1); /* frame 6 itself */
        ck_assert_int_eq(ps.failed, BATON_ERR_IO);
        ck_assert_msg(strstr(ps.error, "injected"), "%s", ps.error);
        break;
    }
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    unlink(path);
}
END_TEST

/* NEWEST with a camera faster than the sink: the skipped frames are counted
 * as dropped, and the sum still holds. */
START_TEST(test_dropped_frames_accounted)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE);
    baton_pipeline_config pc = small_config();
    pc.source = "pattern@500";
    pc.policy = BATON_POLICY_NEWEST;
    pc.sink_delay_us = 6000;
    pc.timeout_ms = 1000;
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(baton_pipeline_run(p, 20, &err), BATON_OK);
    ck_assert_int_eq(baton_pipeline_drain(p, &err), BATON_OK);
    baton_frame_times t[32];
    size_t n = baton_pipeline_frame_times(p, t, 32);
    ck_assert_uint_eq(n, 20);
    baton_pipeline_stats ps = baton_pipeline_get_stats(p);
    printf("newest        : delivered %llu = shown %llu + lost %llu, %llu dropped by policy\n",
           (unsigned long long)ps.frames_delivered, (unsigned long long)ps.frames_done,
           (unsigned long long)ps.frames_lost, (unsigned long long)ps.dropped);
    ck_assert_uint_gt(ps.dropped, 0);
    ck_assert_uint_eq(ps.frames_delivered, ps.frames_done + ps.frames_lost);
    ck_assert_uint_eq(ps.frames_done, 20);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_stopped_camera_times_out)
{
    int before = test_open_fd_count();
    const baton_sync_mode sync = _i ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE;
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, sync);
    baton_pipeline_config pc = small_config();
    pc.source = "pattern@500:stop=10";
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(baton_pipeline_run(p, 30, &err), BATON_ERR_TIMEOUT);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "camera stopped"), "%s", err.message);
    ck_assert_uint_eq(baton_pipeline_get_stats(p).frames_submitted, 10);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* ---- recovery: on_display_lost ------------------------------------------------ */

typedef struct shown {
    uint64_t n, next, out_of_order, mismatched;
} shown;

static void record_shown(void *user, const baton_frame_info *info)
{
    shown *s = user;
    if (info->frame != s->next)
        s->out_of_order++;
    s->next = info->frame + 1;
    uint64_t decoded = UINT64_MAX;
    baton_pattern_decode_frame(info->rgba, info->width, info->height, info->pitch, &decoded, NULL);
    if (decoded != info->frame) /* the pattern source's frame n is pipeline frame n */
        s->mismatched++;
    s->n++;
}

/* The sink's done() of frame 10 (or of the last frame, 39: the switch then
 * comes at drain) reports the display lost (the drm sink's path; the seam
 * stands in for a display this machine does not have: the QEMU rig unplugs
 * a real one). HEADLESS: the frames in flight retire, the sink and its
 * Vulkan stage are replaced by headless ones, the run finishes its 40
 * frames with every pixel right, in order, the trace matches the plan, the
 * stats say where, and nothing leaks (Vulkan objects, fds). */
static const struct {
    baton_sync_mode sync;
    uint32_t slots;
    int handoff;
    uint64_t lose_at;
} display_cases[] = {
    {BATON_SYNC_TIMELINE, 2, 0, 10}, {BATON_SYNC_BINARY, 2, 0, 10},
    {BATON_SYNC_TIMELINE, 3, 1, 10}, {BATON_SYNC_BINARY, 3, 2, 10},
    {BATON_SYNC_TIMELINE, 2, 0, 39},
};

START_TEST(test_display_lost_goes_headless)
{
    int before = test_open_fd_count();
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, display_cases[_i].sync);
    int64_t vk_before = baton_live_vk_objects();
    baton_pipeline_config pc = small_config();
    shown s = {0};
    pc.slots = display_cases[_i].slots;
    pc.handoff_to_vulkan = handoffs[display_cases[_i].handoff][0];
    pc.handoff_to_compute = handoffs[display_cases[_i].handoff][1];
    pc.readback = true;
    pc.on_done = record_shown;
    pc.done_user = &s;
    pc.on_display_lost = BATON_DISPLAY_LOST_HEADLESS;
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    int64_t vk_running = baton_live_vk_objects();
    uint64_t lose_at = display_cases[_i].lose_at;
    p->lose_display_at = lose_at;
    ck_assert_msg(baton_pipeline_run(p, 40, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    baton_pipeline_stats st = baton_pipeline_get_stats(p);
    baton_schedule plan = baton_pipeline_schedule(p);
    baton_status tr = baton_trace_check(baton_pipeline_trace(p), &plan, &err);
    printf("display lost at frame %llu (%s, S=%u): headless from frame %llu, %llu frames shown, "
           "%llu decode mismatches; trace: %s\n",
           (unsigned long long)st.display_lost_frame, baton_sync_mode_name(st.sync), st.slots,
           (unsigned long long)st.display_headless_from, (unsigned long long)s.n,
           (unsigned long long)s.mismatched, tr == BATON_OK ? "matches plan" : err.message);
    ck_assert_int_eq(tr, BATON_OK);
    ck_assert(st.display_lost);
    ck_assert_uint_eq(st.display_lost_frame, lose_at);
    char want[96];
    snprintf(want, sizeof want, "headless sink: display lost (injected at frame %llu)",
             (unsigned long long)lose_at);
    ck_assert_str_eq(st.display_lost_reason, want);
    ck_assert_uint_gt(st.display_headless_from, lose_at);
    ck_assert_uint_le(st.display_headless_from, lose_at + pc.slots + 1);
    ck_assert_uint_eq(s.n, 40);
    ck_assert_uint_eq(s.next, 40);
    ck_assert_uint_eq(s.out_of_order, 0);
    ck_assert_uint_eq(s.mismatched, 0);
    ck_assert_uint_eq(st.frames_delivered, 40);
    ck_assert_uint_eq(st.frames_done, 40);
    ck_assert_uint_eq(st.frames_lost + st.frames_in_flight, 0);
    ck_assert_int_eq(st.failed, BATON_OK);
    baton_display_report d;
    ck_assert_int_eq(baton_pipeline_display(p, &d, &err), BATON_OK);
    ck_assert_str_eq(d.description, "headless");
    ck_assert_int_eq(baton_live_vk_objects(), vk_running); /* the old sink and stage destroyed */
    baton_pipeline_destroy(p);
    ck_assert_int_eq(baton_live_vk_objects(), vk_before);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* The default: the display lost stops the run with the sink's error; every
 * frame is still accounted. */
START_TEST(test_display_lost_stops_by_default)
{
    int before = test_open_fd_count();
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE);
    baton_pipeline_config pc = small_config();
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    p->lose_display_at = 10;
    baton_status st = baton_pipeline_run(p, 40, &err);
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, &err);
    printf("(expected) %s\n", err.message);
    ck_assert_int_eq(st, BATON_ERR_DISCONNECTED);
    ck_assert_str_eq(err.message, "headless sink: display lost (injected at frame 10)");
    baton_pipeline_stats ps = baton_pipeline_get_stats(p);
    ck_assert_int_eq(ps.failed, BATON_ERR_DISCONNECTED);
    ck_assert(!ps.display_lost);
    ck_assert_uint_eq(ps.frames_in_flight, 0);
    ck_assert_uint_eq(ps.frames_delivered, ps.frames_done + ps.frames_lost);
    ck_assert_int_eq(baton_pipeline_drain(p, &err), BATON_ERR_STATE);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* RESYNC with the pattern source that stops (a camera that stops sending):
 * reopened, it delivers again; the pipeline's numbers go on. The V4L2
 * cases (stall, unplug + replug, never back, another size) are in
 * check_source_v4l2. */
START_TEST(test_stopped_camera_resyncs)
{
    const baton_sync_mode sync = _i ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE;
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, sync);
    baton_pipeline_config pc = small_config();
    pc.source = "pattern@500:stop=10";
    pc.on_source_lost = BATON_SOURCE_LOST_RESYNC;
    pc.source_resync_ms = 2000;
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_run(p, 25, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    baton_pipeline_stats ps = baton_pipeline_get_stats(p);
    baton_schedule plan = baton_pipeline_schedule(p);
    ck_assert_msg(baton_trace_check(baton_pipeline_trace(p), &plan, &err) == BATON_OK, "%s",
                  err.message);
    printf("stopped pattern, resync: %llu frames, %llu resyncs, %.3f s without a camera\n",
           (unsigned long long)ps.frames_done, (unsigned long long)ps.source_resyncs,
           (double)ps.source_absent_ns / 1e9);
    ck_assert_uint_eq(ps.frames_done, 25);
    ck_assert_uint_eq(ps.source_resyncs, 2); /* stopped after 10, then after 10 more */
    ck_assert_uint_eq(ps.source_lost_frame, 20);
    baton_frame_times t[25];
    ck_assert_uint_eq(baton_pipeline_frame_times(p, t, 25), 25);
    for (uint64_t i = 0; i < 25; i++)
        ck_assert_uint_eq(t[i].frame, i);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
}
END_TEST

typedef struct seen {
    uint64_t n, gaps, last, mismatched;
} seen;

static void record_seen(void *user, const baton_frame_info *info)
{
    seen *s = user;
    uint64_t decoded = UINT64_MAX;
    baton_pattern_decode_frame(info->rgba, info->width, info->height, info->pitch, &decoded, NULL);
    if (decoded != info->source_frame)
        s->mismatched++;
    /* a paced source stamps each frame with its due time: before it was handed over */
    ck_assert_msg(info->capture_ns != 0 && info->capture_ns <= info->source_ready_ns,
                  "capture %llu, ready %llu", (unsigned long long)info->capture_ns,
                  (unsigned long long)info->source_ready_ns);
    if (s->n && info->source_frame != s->last + 1)
        s->gaps++;
    ck_assert_msg(!s->n || info->source_frame > s->last, "source frames went backwards");
    s->last = info->source_frame;
    s->n++;
}

/* The sink (3 ms a frame) is slower than the source (1000 fps). */
START_TEST(test_policies)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE);
    for (int newest = 0; newest < 2; newest++) {
        baton_pipeline_config pc = small_config();
        pc.source = "pattern@1000";
        pc.sink_delay_us = 3000;
        pc.readback = true;
        pc.policy = newest ? BATON_POLICY_NEWEST : BATON_POLICY_BACKPRESSURE;
        seen s = {0};
        pc.on_done = record_seen;
        pc.done_user = &s;
        baton_pipeline *p = NULL;
        baton_error err;
        ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
        ck_assert_msg(baton_pipeline_run(p, 40, &err) == BATON_OK, "%s", err.message);
        ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
        baton_pipeline_stats st = baton_pipeline_get_stats(p);
        printf("policy %s: %llu frames shown, %llu dropped, last source frame %llu\n",
               newest ? "newest" : "back-pressure", (unsigned long long)s.n,
               (unsigned long long)st.dropped, (unsigned long long)s.last);
        ck_assert_uint_eq(s.n, 40);
        ck_assert_uint_eq(s.mismatched, 0);
        if (newest) {
            ck_assert_uint_gt(st.dropped, 0);
            ck_assert_uint_gt(s.gaps, 0);
            ck_assert_uint_eq(s.last, 39 + st.dropped); /* every skipped frame counted */
        } else {
            ck_assert_uint_eq(st.dropped, 0);
            ck_assert_uint_eq(s.gaps, 0);
            ck_assert_uint_eq(s.last, 39);
        }
        baton_pipeline_destroy(p);
    }
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_bad_configs)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_pipeline *p = NULL;
    baton_error err;
    baton_pipeline_config pc = small_config();
    pc.slots = 5;
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "slots = 5"), "%s", err.message);
    pc = small_config();
    pc.format = BATON_FORMAT_NV12;
    pc.width = 127;
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    pc = small_config();
    pc.source = "nosuch:/dev/x";
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "unknown source"), "%s", err.message);
    pc = small_config();
    pc.sink = "wayland";
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "unknown sink") && strstr(err.message, "x11[:WxH]"), "%s",
                  err.message);
    pc = small_config();
    pc.sink = "x11:0x32"; /* rejected before any X connection */
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "x11:WxH"), "%s", err.message);
    pc = small_config();
    pc.dump_count = 1;
    ck_assert_int_eq(baton_pipeline_create(ctx, &pc, &p, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(p);
    baton_context_destroy(ctx);
}
END_TEST

START_TEST(test_dump_png)
{
    char dir[] = "/tmp/baton-dump-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE);
    baton_pipeline_config pc = small_config();
    static const uint64_t frames[] = {3, 7};
    pc.readback = true;
    pc.dump_dir = dir;
    pc.dump_frames = frames;
    pc.dump_count = 2;
    baton_pipeline *p = NULL;
    baton_error err;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_run(p, 10, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    ck_assert_uint_eq(baton_pipeline_get_stats(p).dumps_written, 2);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    char path[256];
    static uint8_t rgba[128 * 32 * 4];
    uint32_t w, h;
    snprintf(path, sizeof path, "%s/frame-000007.png", dir);
    ck_assert_msg(baton_png_read_rgba(path, rgba, sizeof rgba, &w, &h, &err) == BATON_OK, "%s", err.message);
    uint64_t decoded;
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, w, h, (size_t)w * 4, &decoded, NULL), BATON_OK);
    ck_assert_uint_eq(decoded, 7);
    unlink(path);
    snprintf(path, sizeof path, "%s/frame-000003.png", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

int main(void)
{
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (!caps.vk_present || caps.vk_device_count == 0) {
        fprintf(stderr, "Vulkan unavailable: %s\n", caps.vk_error);
        return test_vulkan_required() ? 1 : test_skip("pipeline", "no Vulkan device");
    }
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("cpu stage");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_matrix, 0, 30);
    tcase_add_loop_test(tc, test_long_run, 0, 2);
    tcase_add_loop_test(tc, test_handoffs, 0, 8);
    tcase_add_test(tc, test_handoff_auto_on_cpu);
    tcase_add_loop_test(tc, test_stalled_stage_times_out_and_destroys_cleanly, 0, 6);
    tcase_add_loop_test(tc, test_stopped_camera_times_out, 0, 2);
    tcase_add_loop_test(tc, test_every_frame_accounted, 0, 4);
    tcase_add_test(tc, test_dropped_frames_accounted);
    tcase_add_test(tc, test_policies);
    tcase_add_test(tc, test_bad_configs);
    tcase_add_test(tc, test_dump_png);
    tcase_add_loop_test(tc, test_display_lost_goes_headless, 0,
                        (int)(sizeof display_cases / sizeof display_cases[0]));
    tcase_add_test(tc, test_display_lost_stops_by_default);
    tcase_add_loop_test(tc, test_stopped_camera_resyncs, 0, 2);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
