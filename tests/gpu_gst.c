/* gpu_gst.c - the gst source and sink with the CUDA stage, on the GPU
 * machine, with real GStreamer elements (the GPU bundle carries them):
 *  - videotestsrc's SMPTE bars in YUY2, UYVY, NV12, GRAY8 and RGB through
 *    the gst source, the CUDA stage, Vulkan and readback, with relay and
 *    with GPU hand-offs: every frame within 2 of the bars computed from
 *    their definition (tests/util_bars.c), the end of the stream reported;
 *  - gst source -> CUDA -> gst sink (pngenc ! multifilesink): every PNG
 *    that GStreamer wrote, decoded by libpng, equals byte for byte the frame
 *    the pipeline read back, and shows the bars; the sink reports every
 *    frame taken by GStreamer at drain and no file more;
 *  - steady state with a gst source and with a gst sink on the CUDA stage:
 *    baton's side allocates nothing, GStreamer's own calls stay bounded
 *    (the rule check_pipeline_alloc holds the CPU stage to).
 * The encoders and decoders ffmpeg checks (check_source_gst, check_sink_gst)
 * are CI's: the GPU machine has no ffmpeg.
 *
 * Needs a CUDA device and the NVIDIA Vulkan driver (SKIP without, fail with
 * BATON_REQUIRE_GPU=1) and GStreamer's base elements (SKIP naming the
 * package, fail with BATON_REQUIRE_TOOLS=1). BATON_GPU_GST_COMPUTE=cpu runs
 * the same cases on the CPU stage, to try the suite where there is no GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/caps.h"
#include "baton/context.h"
#include "baton/pipeline.h"
#include "util/png.h"
#include "util_bars.h"
#include "util_steady.h"
#include "util_test.h"

#define W 162 /* odd widths/7: bars edges off the pixel grid; padded rows */
#define H 90
#define BARS_FRAMES 8
#define PNG_FRAMES 12
#define PKGS "gstreamer1.0-plugins-base gstreamer1.0-plugins-good"

static baton_compute_mode g_compute = BATON_COMPUTE_CUDA;
static bool g_quick;

#define NEED(elements)                                                                             \
    do {                                                                                           \
        if (!test_need_gst("gpu_gst", __func__, elements, NULL, PKGS))                             \
            return;                                                                                \
    } while (0)

/* What on_done saw: every frame checked against the bars; the first
 * PNG_FRAMES read-backs kept (tightly packed) when `kept` is set. */
typedef struct shown {
    baton_format fmt;
    uint64_t done, bad, size_errors;
    int worst;
    size_t checked;
    uint8_t *kept;
} shown;

static void on_done(void *user, const baton_frame_info *info)
{
    shown *s = user;
    if (info->width != W || info->height != H || !info->rgba) {
        s->size_errors++;
        return;
    }
    rgba_frame rf = {info->rgba, info->pitch};
    int d = bars_diff(s->fmt, W, H, rgba_pixel, &rf, &s->checked);
    s->bad += d > 2;
    if (d > s->worst)
        s->worst = d;
    if (s->kept && s->done < PNG_FRAMES)
        for (uint32_t y = 0; y < H; y++)
            memcpy(s->kept + (s->done * H + y) * W * 4, info->rgba + y * info->pitch, W * 4);
    s->done++;
}

static const char *stage_name(void)
{
    return g_compute == BATON_COMPUTE_CUDA ? "CUDA" : "CPU";
}

/* Run `source` (and `sink`, NULL: headless with readback) until the end of
 * the stream; fills *s through on_done, *stats and *rep. */
static baton_status run(const char *source, const char *sink, baton_handoff_mode handoff,
                        shown *s, baton_pipeline_stats *stats, baton_display_report *rep,
                        baton_error *err)
{
    baton_context *ctx = test_context(g_compute, BATON_SYNC_AUTO);
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.source = source;
    pc.format = s->fmt;
    if (sink)
        pc.sink = sink;
    else
        pc.readback = true;
    pc.handoff_to_vulkan = pc.handoff_to_compute = handoff;
    pc.on_done = on_done;
    pc.done_user = s;
    pc.timeout_ms = 5000;
    baton_pipeline *p = NULL;
    baton_status st = baton_pipeline_create(ctx, &pc, &p, err);
    if (st == BATON_OK) {
        st = baton_pipeline_run(p, 1000, err);
        if (st == BATON_OK || st == BATON_ERR_END_OF_STREAM) {
            baton_error derr;
            ck_assert_msg(baton_pipeline_drain(p, &derr) == BATON_OK, "%s", derr.message);
        }
        *stats = baton_pipeline_get_stats(p);
        baton_error rerr;
        ck_assert_msg(baton_pipeline_display(p, rep, &rerr) == BATON_OK, "%s", rerr.message);
    }
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    return st;
}

/* _i 0..4: the format, relay hand-offs; 5..9: the same, GPU hand-offs. */
START_TEST(test_bars)
{
    NEED("videotestsrc videoconvert videoscale appsink");
    int f = _i % BARS_FORMATS;
    baton_handoff_mode handoff = _i < BARS_FORMATS ? BATON_HANDOFF_RELAY : BATON_HANDOFF_GPU;
    char spec[256];
    snprintf(spec, sizeof spec,
             "gst:videotestsrc num-buffers=%d pattern=smpte ! video/x-raw,format=%s,width=%d,"
             "height=%d",
             BARS_FRAMES, bars_gst_names[f], W, H);
    shown s = {.fmt = bars_formats[f]};
    baton_pipeline_stats stats;
    baton_display_report rep;
    baton_error err;
    baton_status st = run(spec, NULL, handoff, &s, &stats, &rep, &err);
    printf("%s stage, hand-offs %s, gst source bars %s %dx%d: %s; %llu frames shown, %zu pixels "
           "each checked, max channel difference %d: %s\n",
           stage_name(), baton_handoff_mode_name(handoff), bars_gst_names[f], W, H,
           baton_strerror(st), (unsigned long long)s.done, s.checked, s.worst, err.message);
    fflush(stdout);
    ck_assert_msg(st == BATON_ERR_END_OF_STREAM, "%s", err.message);
    ck_assert_msg(strstr(err.message, "end of stream"), "%s", err.message);
    ck_assert_uint_eq(stats.frames_done, BARS_FRAMES);
    ck_assert_uint_eq(s.done, BARS_FRAMES);
    ck_assert_uint_eq(s.size_errors, 0);
    ck_assert_uint_gt(s.checked, (size_t)W * H / 2);
    ck_assert_uint_eq(s.bad, 0);
}
END_TEST

/* gst source -> CUDA -> gst sink: GStreamer's PNG encoder writes what the
 * pipeline showed, frame for frame. */
START_TEST(test_gst_to_gst)
{
    NEED("videotestsrc videoconvert videoscale appsink appsrc pngenc multifilesink");
    char dir[64], source[256], sink[320];
    test_make_tmpdir(dir, sizeof dir, "gpugst");
    snprintf(source, sizeof source,
             "gst:videotestsrc num-buffers=%d pattern=smpte ! video/x-raw,format=YUY2,width=%d,"
             "height=%d",
             PNG_FRAMES, W, H);
    snprintf(sink, sizeof sink, "gst:pngenc ! multifilesink location=%s/f%%05d.png", dir);
    shown s = {.fmt = BATON_FORMAT_YUYV, .kept = malloc((size_t)PNG_FRAMES * W * H * 4)};
    ck_assert_ptr_nonnull(s.kept);
    baton_pipeline_stats stats;
    baton_display_report rep;
    baton_error err;
    baton_status st = run(source, sink, BATON_HANDOFF_AUTO, &s, &stats, &rep, &err);
    ck_assert_msg(st == BATON_ERR_END_OF_STREAM, "%s", err.message);
    static uint8_t png[(size_t)W * H * 4];
    size_t differing = 0, checked = 0;
    int worst = 0;
    uint32_t files = 0;
    for (;; files++) {
        char path[128];
        snprintf(path, sizeof path, "%s/f%05u.png", dir, files);
        if (access(path, F_OK) != 0)
            break;
        uint32_t pw = 0, ph = 0;
        ck_assert_msg(baton_png_read_rgba(path, png, sizeof png, &pw, &ph, &err) == BATON_OK,
                      "%s", err.message);
        ck_assert_uint_eq(pw, W);
        ck_assert_uint_eq(ph, H);
        if (files < PNG_FRAMES)
            for (size_t b = 0; b < sizeof png; b++)
                differing += b % 4 != 3 && png[b] != s.kept[(size_t)files * sizeof png + b];
        rgba_frame rf = {png, (size_t)W * 4};
        int d = bars_diff(BATON_FORMAT_YUYV, W, H, rgba_pixel, &rf, &checked);
        if (d > worst)
            worst = d;
    }
    printf("%s stage, gst source (videotestsrc YUY2) -> gst sink (pngenc ! multifilesink): %llu "
           "frames shown, %u PNG files, %zu channel values differ from the read-back frames, "
           "bars max difference %d; sink: %s\n",
           stage_name(), (unsigned long long)s.done, files, differing, worst, rep.description);
    fflush(stdout);
    ck_assert_uint_eq(s.done, PNG_FRAMES);
    ck_assert_uint_eq(s.bad, 0);
    ck_assert_uint_eq(files, PNG_FRAMES);
    ck_assert_uint_eq(differing, 0);
    ck_assert_int_le(worst, 2);
    ck_assert_msg(strstr(rep.description, "12 frames pushed; at drain: all taken by GStreamer"),
                  "%s", rep.description);
    free(s.kept);
    ck_assert_int_eq(test_sh("rm -rf '%s'", dir), 0);
}
END_TEST

START_TEST(test_steady_state_gst_source)
{
    NEED("videotestsrc videoconvert videoscale appsink");
    steady_gst_case(g_compute, "gst source (videotestsrc), 1000 frames",
                    "gst:videotestsrc pattern=smpte ! video/x-raw,format=YUY2,width=320,height=180",
                    NULL, 1000);
}
END_TEST

START_TEST(test_steady_state_gst_sink)
{
    NEED("appsrc videoconvert fakesink");
    steady_gst_case(g_compute, "gst sink (videoconvert ! I420 ! fakesink), 1000 frames", NULL,
                    "gst:videoconvert ! video/x-raw,format=I420 ! fakesink", 1000);
}
END_TEST

int main(int argc, char **argv)
{
    const char *c = getenv("BATON_GPU_GST_COMPUTE");
    if (c && strcmp(c, "cpu") == 0)
        g_compute = BATON_COMPUTE_CPU;
    g_quick = getenv("BATON_GPU_QUICK") != NULL;
    /* quick runs go under compute-sanitizer / the validation layer, which
     * inject themselves; the allocation count runs in the full run only */
    int r = g_quick ? ALLOC_COUNT_SKIP : alloc_count_reexec(argc, argv);
    if (r == ALLOC_COUNT_ERROR)
        return 1;
    baton_caps caps;
    baton_probe(0, g_compute, &caps, NULL);
    if (g_compute == BATON_COMPUTE_CUDA && (!caps.cuda_present || caps.vk_selected < 0)) {
        const char *why = caps.cuda_present ? caps.vk_error : caps.cuda_error;
        fprintf(stderr, "gpu_gst: %s\n", why);
        return getenv("BATON_REQUIRE_GPU") ? 1 : test_skip("gpu_gst", why);
    }
    if (caps.vk_selected < 0 && (!caps.vk_present || caps.vk_device_count == 0))
        return fprintf(stderr, "gpu_gst: no Vulkan device: %s\n", caps.vk_error), 1;
    Suite *s = suite_create("gpu_gst");
    TCase *tc = tcase_create(g_compute == BATON_COMPUTE_CUDA ? "cuda stage" : "cpu stage");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_bars, 0, 2 * BARS_FORMATS);
    tcase_add_test(tc, test_gst_to_gst);
    if (r == ALLOC_COUNT_READY) {
        tcase_add_test(tc, test_steady_state_gst_source);
        tcase_add_test(tc, test_steady_state_gst_sink);
    } else {
        printf("SKIP gpu_gst steady-state allocation count: quick run under a tool, or a "
               "sanitizer replaces malloc; the full run counts\n");
    }
    suite_add_tcase(s, tc);
    return test_run_suite_nofork(s); /* CUDA does not survive a fork after init */
}
