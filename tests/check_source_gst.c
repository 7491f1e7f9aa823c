/* check_source_gst.c - the gst source with real GStreamer and real decoders.
 *
 * Direct tests of the source interface (no Vulkan needed):
 *  - videotestsrc's SMPTE bars in YUY2, UYVY, NV12, GRAY8 and RGB at
 *    162x90 (padded rows for GRAY8, NV12 and RGB), through baton's added
 *    videoconvert ! videoscale ! appsink and through a user's own appsink,
 *    checked against the 100 % colour bars computed here from their
 *    definition (BT.601 limited range): not against GStreamer's output;
 *  - files made by ffmpeg (FFV1 in Matroska, lossless H.264 in MP4) read
 *    through filesrc ! decodebin (GStreamer's avdec_ffv1 / avdec_h264) and
 *    compared byte for byte with ffmpeg's own decoding of the same file;
 *  - a UDP loopback on 127.0.0.1: gst-launch-1.0 sends videotestsrc as
 *    RTP raw video (rtpvrawpay ! udpsink), the source receives it with
 *    udpsrc ! rtpvrawdepay; bars checked (at least 15 of 20 frames: the first
 *    may be partial, UDP may drop a packet on a busy machine), capture times from the live
 *    pipeline's clock;
 *  - an RTSP loopback: GStreamer's RTSP server (tests/rtsp_server.py,
 *    gst-rtsp-server through PyGObject) serves live bars as lossless H.264
 *    on 127.0.0.1, the source reads rtspsrc ! decodebin;
 *  - a mid-stream resolution change (two MPEG-TS H.264 files of different
 *    sizes, concatenated): renegotiated to the first size by the added
 *    converters, a clear error with a user's own appsink;
 *  - errors: bad pipelines, missing elements, caps that cannot be met, a
 *    missing file (the element's name and debug string), an element that
 *    fails mid-stream, end of stream, a bounded wait.
 * Pipeline tests (this machine's Vulkan, CPU compute stage): the bars and
 * the FFV1 file through the whole pipeline, every displayed frame compared
 * with tests/util_reference.c's conversion.
 *
 * A missing GStreamer element or ffmpeg skips the tests that need it (a
 * SKIP line naming the package), or fails them under BATON_REQUIRE_TOOLS=1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <gst/gst.h>

#include "baton/caps.h"
#include "baton/context.h"
#include "baton/pipeline.h"
#include "sources/source.h"
#include "util_bars.h"
#include "util_reference.h"
#include "util_test.h"

#define BARS_W 162
#define BARS_H 90
#define FILE_W 160
#define FILE_H 96
#define FILE_FRAMES 12

/* Under LeakSanitizer (make check-sanitize): GLib's library constructor
 * (its quark table) and libsrt's (loaded with GStreamer's plugins) keep
 * blocks LSan cannot see referenced. They are allocated while those
 * libraries load, never by baton: exactly the leaks allocated inside the
 * dynamic loader's constructor calls (_dl_init) are suppressed, which
 * needs whole stacks at malloc (GLib has no frame pointers). Plain builds
 * ignore both hooks. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:_dl_init\n";
}

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

/* ---- helpers ------------------------------------------------------------ */

/* Skip (or fail under BATON_REQUIRE_TOOLS=1) unless these GStreamer
 * elements, and ffmpeg where asked, are here (util_test.h). */
#define NEED(elements, ffmpeg, packages)                                                           \
    do {                                                                                           \
        if (!test_need_gst("source_gst", __func__, elements, (ffmpeg) ? "ffmpeg" : NULL, packages)) \
            return;                                                                                \
    } while (0)
/* The same, with commands of its own (e.g. gst-launch-1.0) */
#define NEED_COMMANDS(elements, commands, packages)                                                \
    do {                                                                                           \
        if (!test_need_gst("source_gst", __func__, elements, commands, packages))                  \
            return;                                                                                \
    } while (0)

#define BASE_PKGS "gstreamer1.0-tools gstreamer1.0-plugins-base"

static void remove_tmpdir(const char *dir)
{
    ck_assert_int_eq(test_sh("rm -rf '%s'", dir), 0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- direct: videotestsrc ------------------------------------------------- */

/* _i 0..4: each format through baton's added appsink; 5..9: the same
 * through the user's own appsink. Four frames, then the end of the stream. */
START_TEST(test_bars)
{
    NEED("videotestsrc videoconvert videoscale appsink", false, BASE_PKGS);
    int f = _i % 5;
    bool own = _i >= 5;
    char spec[256];
    snprintf(spec, sizeof spec,
             "gst:videotestsrc num-buffers=4 pattern=smpte ! video/x-raw,format=%s,width=%d,"
             "height=%d%s",
             bars_gst_names[f], BARS_W, BARS_H, own ? " ! appsink" : "");
    source s;
    baton_error err;
    baton_status st = source_open(&s, spec, BATON_FORMAT_YUYV, 640, 480, &err);
    ck_assert_msg(st == BATON_OK, "%s: %s", spec, err.message);
    ck_assert_int_eq(s.format, bars_formats[f]);
    ck_assert_uint_eq(s.width, BARS_W);
    ck_assert_uint_eq(s.height, BARS_H);
    uint8_t *buf = malloc(s.frame_bytes);
    ck_assert_ptr_nonnull(buf);
    int worst = 0;
    size_t checked = 0;
    for (uint64_t i = 0; i < 4; i++) {
        memset(buf, 0x5a, s.frame_bytes);
        uint64_t frame = 99, dropped = 0, ts = 1;
        st = source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 2000, &frame, &dropped, &ts, &err);
        ck_assert_msg(st == BATON_OK, "frame %llu: %s", (unsigned long long)i, err.message);
        ck_assert_uint_eq(frame, i);
        ck_assert_uint_eq(dropped, 0);
        ck_assert_uint_eq(ts, 0); /* not live: no capture time */
        packed_frame pf = {bars_formats[f], buf, BARS_W, BARS_H};
        int d = bars_diff(bars_formats[f], BARS_W, BARS_H, packed_pixel, &pf, &checked);
        if (d > worst)
            worst = d;
    }
    uint64_t frame, dropped = 0, ts;
    st = source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 2000, &frame, &dropped, &ts, &err);
    printf("bars %s %dx%d (%s appsink): 4 frames, %zu pixels each checked, max channel "
           "difference %d; then: %s\n",
           bars_gst_names[f], BARS_W, BARS_H, own ? "own" : "added", checked, worst, err.message);
    fflush(stdout);
    ck_assert_int_eq(st, BATON_ERR_END_OF_STREAM);
    ck_assert_msg(strstr(err.message, "end of stream after 4 frames"), "%s", err.message);
    ck_assert_uint_gt(checked, (size_t)BARS_W * BARS_H / 2);
    ck_assert_int_le(worst, 2);
    source_close(&s);
    free(buf);
}
END_TEST

/* ---- direct: files made by ffmpeg, read through decodebin ----------------- */

static const struct {
    const char *name, *ffmpeg_codec, *elements, *packages;
} files[] = {
    {"clip.mkv", "-c:v ffv1", "filesrc decodebin matroskademux avdec_ffv1 videoconvert",
     BASE_PKGS " gstreamer1.0-plugins-good gstreamer1.0-libav ffmpeg"},
    {"clip.mp4", "-c:v libx264 -qp 0 -preset ultrafast",
     "filesrc decodebin qtdemux h264parse avdec_h264 videoconvert",
     BASE_PKGS " gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav ffmpeg"},
};

/* Make dir/name with ffmpeg (12 frames of testsrc, yuv420p) and ffmpeg's
 * own decoding of it as raw NV12 in dir/ref.nv12. */
static void make_clip(const char *dir, int i, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, files[i].name);
    ck_assert_int_eq(test_sh("ffmpeg -nostdin -hide_banner -v error -f lavfi -i testsrc=size=%dx%d:rate=30 "
                        "-frames:v %d %s -pix_fmt yuv420p -y '%s'",
                        FILE_W, FILE_H, FILE_FRAMES, files[i].ffmpeg_codec, path),
                     0);
    ck_assert_int_eq(test_sh("ffmpeg -nostdin -hide_banner -v error -i '%s' -f rawvideo -pix_fmt nv12 "
                        "-y '%s/ref.nv12'",
                        path, dir),
                     0);
}

/* _i 0: FFV1 in Matroska, 1: lossless H.264 in MP4. Every frame equal to
 * ffmpeg's decoding, byte for byte (both codecs decode exactly). */
START_TEST(test_decodebin_file)
{
    NEED(files[_i].elements, true, files[_i].packages);
    char dir[64], path[256], spec[400], ref_path[300];
    test_make_tmpdir(dir, sizeof dir, "gst");
    make_clip(dir, _i, path, sizeof path);
    snprintf(ref_path, sizeof ref_path, "%s/ref.nv12", dir);
    size_t ref_size;
    uint8_t *ref = test_read_whole(ref_path, &ref_size);
    size_t fb = baton_format_frame_size(BATON_FORMAT_NV12, FILE_W, FILE_H);
    ck_assert_uint_eq(ref_size, fb * FILE_FRAMES);
    snprintf(spec, sizeof spec, "gst:filesrc location=%s ! decodebin", path);
    source s;
    baton_error err;
    baton_status st = source_open(&s, spec, BATON_FORMAT_NV12, 640, 480, &err);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    ck_assert_int_eq(s.format, BATON_FORMAT_NV12);
    ck_assert_uint_eq(s.width, FILE_W);
    ck_assert_uint_eq(s.height, FILE_H);
    uint8_t *buf = malloc(fb);
    ck_assert_ptr_nonnull(buf);
    size_t differing = 0;
    int worst = 0;
    uint64_t n = 0;
    for (;;) {
        uint64_t frame, dropped = 0, ts;
        st = source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 5000, &frame, &dropped, &ts, &err);
        if (st != BATON_OK)
            break;
        ck_assert_uint_eq(frame, n);
        ck_assert_uint_lt(n, FILE_FRAMES);
        for (size_t b = 0; b < fb; b++) {
            int d = abs((int)buf[b] - (int)ref[n * fb + b]);
            differing += d != 0;
            if (d > worst)
                worst = d;
        }
        n++;
    }
    printf("%s through decodebin: %llu frames, %zu bytes differ from ffmpeg's decoding (max %d); "
           "then: %s\n",
           files[_i].name, (unsigned long long)n, differing, worst, err.message);
    fflush(stdout);
    ck_assert_msg(st == BATON_ERR_END_OF_STREAM, "%s", err.message);
    ck_assert_uint_eq(n, FILE_FRAMES);
    ck_assert_uint_eq(differing, 0);
    source_close(&s);
    free(buf);
    free(ref);
    remove_tmpdir(dir);
}
END_TEST

/* ---- direct: UDP loopback --------------------------------------------------- */

static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* gst-launch-1.0 sends live SMPTE bars as RTP raw video (UYVY) to
 * 127.0.0.1; the source receives 20 frames through udpsrc ! rtpvrawdepay. */
START_TEST(test_udp_loopback)
{
    NEED_COMMANDS("videotestsrc rtpvrawpay rtpvrawdepay udpsink udpsrc", "gst-launch-1.0",
                  BASE_PKGS " gstreamer1.0-plugins-good");
    int port = free_udp_port();
    char cmd[512], spec[640];
    snprintf(cmd, sizeof cmd,
             "gst-launch-1.0 -q videotestsrc is-live=true num-buffers=120 pattern=smpte ! "
             "video/x-raw,format=UYVY,width=%d,height=%d,framerate=30/1 ! rtpvrawpay ! "
             "udpsink host=127.0.0.1 port=%d",
             FILE_W, FILE_H, port);
    snprintf(spec, sizeof spec,
             "gst:udpsrc address=127.0.0.1 port=%d buffer-size=4194304 caps=\"application/x-rtp,media=(string)video,"
             "clock-rate=(int)90000,encoding-name=(string)RAW,sampling=(string)YCbCr-4:2:2,"
             "depth=(string)8,width=(string)%d,height=(string)%d,payload=(int)96\" ! "
             "rtpvrawdepay",
             port, FILE_W, FILE_H);
    uint64_t t0 = now_ns();
    FILE *sender = popen(cmd, "r");
    ck_assert_ptr_nonnull(sender);
    source s;
    baton_error err;
    baton_status st = source_open(&s, spec, BATON_FORMAT_UYVY, 640, 480, &err);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    ck_assert_int_eq(s.format, BATON_FORMAT_UYVY);
    ck_assert_uint_eq(s.width, FILE_W);
    ck_assert_uint_eq(s.height, FILE_H);
    uint8_t *buf = malloc(s.frame_bytes);
    ck_assert_ptr_nonnull(buf);
    int worst = 0, good = 0;
    size_t checked = 0;
    uint64_t last_ts = 0, last_frame = 0, dropped = 0;
    for (int i = 0; i < 20; i++) {
        uint64_t frame, ts = 0;
        st = source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 2000, &frame, &dropped, &ts, &err);
        ck_assert_msg(st == BATON_OK, "frame %d: %s", i, err.message);
        if (i)
            ck_assert_uint_gt(frame, last_frame);
        /* a live pipeline on the monotonic clock: capture times between
         * the sender's start and now, increasing */
        ck_assert_uint_gt(ts, t0);
        ck_assert_uint_le(ts, now_ns());
        ck_assert_uint_gt(ts, last_ts);
        last_ts = ts;
        last_frame = frame;
        packed_frame pf = {BATON_FORMAT_UYVY, buf, FILE_W, FILE_H};
        int d = bars_diff(BATON_FORMAT_UYVY, FILE_W, FILE_H, packed_pixel, &pf, &checked);
        good += d <= 2;
        if (d <= 2 && d > worst)
            worst = d;
    }
    source_close(&s);
    int status = pclose(sender);
    printf("udp loopback (rtpvrawpay -> 127.0.0.1:%d -> rtpvrawdepay): 20 frames, %d equal to "
           "the bars (max channel difference %d), capture times increasing\n",
           port, good, worst);
    fflush(stdout);
    ck_assert_int_eq(status, 0);
    /* the first frame may be partial (the receiver bound its port in the
     * middle of a frame) and UDP may lose a packet on a busy machine
     * (rtpvrawdepay then hands over a frame with a hole); a fault of
     * baton's would spoil every frame */
    ck_assert_int_ge(good, 15);
    free(buf);
}
END_TEST

/* ---- direct: RTSP loopback ---------------------------------------------- */

/* tests/rtsp_server.py next to this binary's source tree (build/tests/..)
 * or under the current directory. */
static bool rtsp_script(char *out, size_t n)
{
    char exe[512];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(out, n, "%s/../../tests/rtsp_server.py", exe);
            if (access(out, R_OK) == 0)
                return true;
        }
    }
    snprintf(out, n, "tests/rtsp_server.py");
    return access(out, R_OK) == 0;
}

#define RTSP_PROBE                                                                                 \
    "/usr/bin/python3 -c \"import gi; gi.require_version('GstRtspServer', '1.0'); "              \
    "from gi.repository import GstRtspServer\""

/* Start GStreamer's RTSP server serving `launch`; *port is where it
 * listens. It stops when *stdin_fd is closed (or after 60 s). */
static pid_t start_rtsp(const char *script, const char *launch, int *stdin_fd, int *port)
{
    int in[2], out[2];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        execl("/usr/bin/python3", "python3", script, "60", launch, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    ck_assert_ptr_nonnull(f);
    char line[128] = "";
    *port = 0;
    if (fgets(line, sizeof line, f))
        sscanf(line, "ready %d", port);
    fclose(f);
    ck_assert_msg(*port > 0, "rtsp_server.py did not start: '%s'", line);
    *stdin_fd = in[1];
    return pid;
}

/* GStreamer's RTSP server on 127.0.0.1 sends live SMPTE bars as lossless
 * H.264 (x264enc quantizer 0, RTP/H.264 over RTSP); the source reads
 * rtspsrc ! decodebin (avdec_h264). */
START_TEST(test_rtsp_loopback)
{
    NEED("rtspsrc decodebin avdec_h264 x264enc rtph264pay videotestsrc", false,
         BASE_PKGS " gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav");
    char script[600];
    bool have = rtsp_script(script, sizeof script) && test_sh(RTSP_PROBE " >/dev/null 2>&1") == 0;
    if (!have) {
        ck_assert_msg(!test_tools_required(), "test_rtsp_loopback: no GStreamer RTSP server for "
                      "/usr/bin/python3 but BATON_REQUIRE_TOOLS=1 (install python3-gi "
                      "gir1.2-gst-rtsp-server-1.0)");
        printf("SKIP source_gst/test_rtsp_loopback: no GStreamer RTSP server for /usr/bin/python3 "
               "(Debian package(s) python3-gi gir1.2-gst-rtsp-server-1.0)\n");
        return;
    }
    char launch[512], spec[256];
    snprintf(launch, sizeof launch,
             "videotestsrc is-live=true pattern=smpte ! video/x-raw,format=I420,width=%d,"
             "height=%d,framerate=30/1 ! x264enc tune=zerolatency pass=quant quantizer=0 "
             "speed-preset=ultrafast key-int-max=30 ! rtph264pay name=pay0 pt=96",
             FILE_W, FILE_H);
    int stop_fd, port;
    pid_t server = start_rtsp(script, launch, &stop_fd, &port);
    snprintf(spec, sizeof spec, "gst:rtspsrc location=rtsp://127.0.0.1:%d/test latency=0 ! decodebin",
             port);
    uint64_t t0 = now_ns();
    source s;
    baton_error err;
    baton_status st = source_open_timed(&s, spec, BATON_FORMAT_NV12, 640, 480, 5000, &err);
    uint8_t *buf = NULL;
    int worst = 0, good = 0;
    size_t checked = 0;
    uint64_t last_ts = 0;
    if (st == BATON_OK) {
        ck_assert_int_eq(s.format, BATON_FORMAT_NV12);
        ck_assert_uint_eq(s.width, FILE_W);
        ck_assert_uint_eq(s.height, FILE_H);
        buf = malloc(s.frame_bytes);
        ck_assert_ptr_nonnull(buf);
        for (int i = 0; i < 20 && st == BATON_OK; i++) {
            uint64_t frame, dropped = 0, ts = 0;
            st = source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 3000, &frame, &dropped, &ts, &err);
            if (st != BATON_OK)
                break;
            ck_assert_uint_gt(ts, t0); /* live: capture times on the monotonic clock */
            ck_assert_uint_le(ts, now_ns());
            ck_assert_uint_gt(ts, last_ts);
            last_ts = ts;
            packed_frame pf = {BATON_FORMAT_NV12, buf, FILE_W, FILE_H};
            int d = bars_diff(BATON_FORMAT_NV12, FILE_W, FILE_H, packed_pixel, &pf, &checked);
            good += d <= 3;
            if (d > worst)
                worst = d;
        }
        source_close(&s);
    }
    close(stop_fd); /* the server ends */
    int status;
    waitpid(server, &status, 0);
    printf("rtsp loopback (rtsp://127.0.0.1:%d/test, H.264 lossless -> rtspsrc ! decodebin): "
           "%d frames equal to the bars (max channel difference %d)%s%s\n",
           port, good, worst, st == BATON_OK ? "" : "; ", st == BATON_OK ? "" : err.message);
    fflush(stdout);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    ck_assert_int_eq(good, 20);
    ck_assert_int_le(worst, 3);
    free(buf);
}
END_TEST

/* ---- direct: caps change mid-stream ---------------------------------------- */

/* Two H.264 MPEG-TS files, 160x96 then 320x192 (6 frames each), back to
 * back in one file: decodebin renegotiates at the change. _i 0: baton's
 * added converters scale the second part to the first caps (12 frames of
 * 160x96); 1: the user's own appsink gets the new caps: a clear error
 * after the first 6 frames. */
START_TEST(test_caps_change)
{
    NEED("filesrc decodebin tsdemux h264parse avdec_h264 videoconvert videoscale", true,
         BASE_PKGS " gstreamer1.0-plugins-bad gstreamer1.0-libav ffmpeg");
    char dir[64], spec[400];
    test_make_tmpdir(dir, sizeof dir, "gst");
    for (int part = 0; part < 2; part++)
        ck_assert_int_eq(test_sh("ffmpeg -nostdin -hide_banner -v error -f lavfi -i "
                            "testsrc=size=%dx%d:rate=30 -frames:v 6 -c:v libx264 -preset "
                            "ultrafast -pix_fmt yuv420p -bsf:v h264_mp4toannexb -f mpegts "
                            "-y '%s/part%d.ts'",
                            FILE_W << part, FILE_H << part, dir, part),
                         0);
    ck_assert_int_eq(test_sh("cat '%s/part0.ts' '%s/part1.ts' > '%s/both.ts'", dir, dir, dir), 0);
    snprintf(spec, sizeof spec, "gst:filesrc location=%s/both.ts ! decodebin%s", dir,
             _i ? " ! videoconvert ! appsink" : "");
    source s;
    baton_error err;
    baton_status st = source_open(&s, spec, BATON_FORMAT_NV12, 640, 480, &err);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    ck_assert_uint_eq(s.width, FILE_W);
    ck_assert_uint_eq(s.height, FILE_H);
    uint8_t *buf = malloc(s.frame_bytes);
    ck_assert_ptr_nonnull(buf);
    uint64_t n = 0;
    for (;;) {
        uint64_t frame, dropped = 0, ts;
        st = source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 5000, &frame, &dropped, &ts, &err);
        if (st != BATON_OK)
            break;
        n++;
    }
    printf("caps change (%s appsink): %llu frames, then: %s\n", _i ? "own" : "added",
           (unsigned long long)n, err.message);
    fflush(stdout);
    if (_i == 0) {
        ck_assert_msg(st == BATON_ERR_END_OF_STREAM, "%s", err.message);
        ck_assert_uint_eq(n, 12);
    } else {
        ck_assert_int_eq(st, BATON_ERR_UNSUPPORTED);
        ck_assert_msg(strstr(err.message, "caps changed mid-stream at frame 6"), "%s",
                      err.message);
        ck_assert_msg(strstr(err.message, "320") && strstr(err.message, "192"), "%s",
                      err.message);
        ck_assert_uint_eq(n, 6);
    }
    source_close(&s);
    free(buf);
    remove_tmpdir(dir);
}
END_TEST

/* ---- direct: errors ---------------------------------------------------------- */

static const struct {
    const char *spec;
    baton_status status;
    const char *says[3]; /* substrings the message must hold */
} open_errors[] = {
    {"gst:", BATON_ERR_INVALID_ARGUMENT, {"want gst:PIPELINE"}},
    {"gst:videotestsrc ! ! fakesink", BATON_ERR_INVALID_ARGUMENT, {"bad pipeline", "! !"}},
    {"gst:videotestsrc ! batonnosuchelement", BATON_ERR_UNSUPPORTED,
     {"no GStreamer element 'batonnosuchelement'", "gst-inspect-1.0"}},
    {"gst:videotestsrc ! video/x-raw,format=I420 ! appsink", BATON_ERR_UNSUPPORTED,
     {"not-negotiated", "caps could not be met", "YUY2, UYVY, NV12, GRAY8, RGB"}},
    {"gst:audiotestsrc", BATON_ERR_INVALID_ARGUMENT, {"bad pipeline 'audiotestsrc'", "link"}},
    {"gst:filesrc location=/nonexistent/baton.mkv ! decodebin", BATON_ERR_IO,
     {"element 'filesrc", "debug:", "/nonexistent/baton.mkv"}},
    {"gst:videotestsrc ! appsink videotestsrc ! appsink", BATON_ERR_INVALID_ARGUMENT,
     {"2 appsinks"}},
    {"gst:videotestsrc num-buffers=0", BATON_ERR_END_OF_STREAM, {"ended before its first frame"}},
};

START_TEST(test_open_errors)
{
    NEED("videotestsrc audiotestsrc filesrc decodebin appsink", false, BASE_PKGS);
    source s;
    baton_error err;
    baton_status st = source_open(&s, open_errors[_i].spec, BATON_FORMAT_YUYV, 64, 32, &err);
    printf("(expected) %s -> %s: %s\n", open_errors[_i].spec, baton_strerror(st), err.message);
    fflush(stdout);
    ck_assert_int_eq(st, open_errors[_i].status);
    ck_assert_ptr_null(s.state);
    for (int k = 0; k < 3 && open_errors[_i].says[k]; k++)
        ck_assert_msg(strstr(err.message, open_errors[_i].says[k]), "'%s' lacks '%s'", err.message,
                      open_errors[_i].says[k]);
    ck_assert_msg(!strchr(err.message, '\n'), "one line: %s", err.message);
}
END_TEST

/* An element fails mid-stream: the frames before it, then its error. */
START_TEST(test_error_mid_stream)
{
    NEED("videotestsrc identity", false, BASE_PKGS " gstreamer1.0-plugins-base");
    source s;
    baton_error err;
    baton_status st = source_open(&s, "gst:videotestsrc ! identity error-after=5 name=boom",
                                  BATON_FORMAT_GREY8, 64, 32, &err);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    uint8_t *buf = malloc(s.frame_bytes);
    ck_assert_ptr_nonnull(buf);
    uint64_t n = 0;
    for (; n < 10; n++) {
        uint64_t frame, dropped = 0, ts;
        st = source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 2000, &frame, &dropped, &ts, &err);
        if (st != BATON_OK)
            break;
    }
    printf("(expected) after %llu frames: %s\n", (unsigned long long)n, err.message);
    fflush(stdout);
    ck_assert_int_eq(st, BATON_ERR_IO);
    ck_assert_uint_le(n, 5);
    ck_assert_msg(strstr(err.message, "gst source: element 'boom'"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "(debug: "), "%s", err.message);
    source_close(&s);
    free(buf);
}
END_TEST

/* A live source at one frame every 10 s: the wait for the second frame is
 * bounded by next()'s timeout; NEWEST over an empty queue drops nothing. */
START_TEST(test_timeout)
{
    NEED("videotestsrc", false, BASE_PKGS);
    source s;
    baton_error err;
    baton_status st = source_open(&s, "gst:videotestsrc is-live=true ! video/x-raw,framerate=1/10",
                                  BATON_FORMAT_YUYV, 64, 32, &err);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    uint8_t *buf = malloc(s.frame_bytes);
    ck_assert_ptr_nonnull(buf);
    uint64_t frame, dropped = 0, ts = 0;
    st = source_next(&s, BATON_POLICY_NEWEST, buf, 200, &frame, &dropped, &ts, &err);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    ck_assert_uint_eq(dropped, 0);
    ck_assert_uint_gt(ts, 0); /* live, on the monotonic system clock */
    st = source_next(&s, BATON_POLICY_NEWEST, buf, 200, &frame, &dropped, &ts, &err);
    printf("(expected) %s\n", err.message);
    ck_assert_int_eq(st, BATON_ERR_TIMEOUT);
    ck_assert_msg(strstr(err.message, "gst source: no frame within 200 ms"), "%s", err.message);
    source_close(&s);
    free(buf);
}
END_TEST

/* NEWEST: frames already queued are skipped to the newest and counted. */
START_TEST(test_newest)
{
    NEED("videotestsrc", false, BASE_PKGS);
    source s;
    baton_error err;
    baton_status st = source_open(&s, "gst:videotestsrc num-buffers=20", BATON_FORMAT_GREY8, 64,
                                  32, &err);
    ck_assert_msg(st == BATON_OK, "%s", err.message);
    uint8_t *buf = malloc(s.frame_bytes);
    ck_assert_ptr_nonnull(buf);
    uint64_t frame = 0, dropped = 0, ts, delivered = 0, last = 0;
    while ((st = source_next(&s, BATON_POLICY_NEWEST, buf, 2000, &frame, &dropped, &ts, &err)) ==
           BATON_OK) {
        ck_assert(delivered == 0 || frame > last);
        last = frame;
        delivered++;
        usleep(20000); /* let the queue fill */
    }
    printf("newest: %llu delivered, %llu dropped, last frame %llu\n",
           (unsigned long long)delivered, (unsigned long long)dropped, (unsigned long long)last);
    ck_assert_int_eq(st, BATON_ERR_END_OF_STREAM);
    ck_assert_uint_eq(delivered + dropped, 20);
    ck_assert_uint_eq(last, 19);
    ck_assert_uint_gt(dropped, 0);
    source_close(&s);
    free(buf);
}
END_TEST

/* Nothing is left behind: fds are back to their count after open/close. */
START_TEST(test_no_fd_leak)
{
    NEED("videotestsrc", false, BASE_PKGS);
    ck_assert(gst_init_check(NULL, NULL, NULL));
    source s;
    baton_error err;
    /* warm: GStreamer's registry and thread pools are set up once */
    ck_assert_int_eq(source_open(&s, "gst:videotestsrc", BATON_FORMAT_YUYV, 64, 32, &err),
                     BATON_OK);
    source_close(&s);
    int before = test_open_fd_count();
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(source_open(&s, "gst:videotestsrc", BATON_FORMAT_YUYV, 64, 32, &err),
                         BATON_OK);
        source_close(&s);
        ck_assert_int_ne(source_open(&s, "gst:filesrc location=/nonexistent ! decodebin",
                                     BATON_FORMAT_YUYV, 64, 32, &err),
                         BATON_OK);
    }
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* ---- through the pipeline -------------------------------------------------- */

typedef struct seen {
    baton_format fmt;
    uint32_t w, h;
    const uint8_t *ref; /* NULL: compare with the bars */
    size_t ref_frame_bytes, ref_count;
    uint64_t done, bad_frames, size_errors;
    int worst;
    size_t checked;
} seen;

static void on_done(void *user, const baton_frame_info *info)
{
    seen *e = user;
    if (info->width != e->w || info->height != e->h || !info->rgba) {
        e->size_errors++;
        return;
    }
    e->done++;
    int d;
    if (e->ref) {
        size_t bad = ref_compare_frame(e->fmt,
                                       e->ref + (info->source_frame % e->ref_count) *
                                                    e->ref_frame_bytes,
                                       e->w, e->h, info->rgba, info->pitch, &d);
        e->bad_frames += bad != 0;
    } else {
        rgba_frame rf = {info->rgba, info->pitch};
        d = bars_diff(e->fmt, e->w, e->h, rgba_pixel, &rf, &e->checked);
        e->bad_frames += d > 2;
    }
    if (d > e->worst)
        e->worst = d;
}

static baton_status run_pipeline(const char *spec, baton_format fmt, uint64_t frames, seen *e,
                                 baton_pipeline_stats *stats, char *msg, size_t n)
{
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_error err;
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.source = spec;
    pc.format = fmt;
    pc.readback = true;
    pc.on_done = on_done;
    pc.done_user = e;
    pc.timeout_ms = 5000;
    baton_pipeline *p = NULL;
    baton_status st = baton_pipeline_create(ctx, &pc, &p, &err);
    if (st == BATON_OK) {
        st = baton_pipeline_run(p, frames, &err);
        if (st == BATON_OK || st == BATON_ERR_END_OF_STREAM) {
            baton_error derr;
            ck_assert_msg(baton_pipeline_drain(p, &derr) == BATON_OK, "%s", derr.message);
        }
        *stats = baton_pipeline_get_stats(p);
    }
    snprintf(msg, n, "%s", st == BATON_OK ? "" : err.message);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    return st;
}

/* _i: the format; 8 frames of the bars through the CPU stage and Vulkan. */
START_TEST(test_pipeline_bars)
{
    NEED("videotestsrc videoconvert videoscale appsink", false, BASE_PKGS);
    char spec[256], msg[BATON_ERROR_MESSAGE_MAX];
    snprintf(spec, sizeof spec,
             "gst:videotestsrc num-buffers=8 pattern=smpte ! video/x-raw,format=%s,width=%d,"
             "height=%d",
             bars_gst_names[_i], BARS_W, BARS_H);
    seen e = {.fmt = bars_formats[_i], .w = BARS_W, .h = BARS_H};
    baton_pipeline_stats stats;
    baton_status st = run_pipeline(spec, bars_formats[_i], 100, &e, &stats, msg, sizeof msg);
    printf("pipeline bars %s: %s, %llu frames shown, max channel difference %d%s%s\n",
           bars_gst_names[_i], baton_strerror(st), (unsigned long long)e.done, e.worst,
           msg[0] ? ": " : "", msg);
    fflush(stdout);
    ck_assert_int_eq(st, BATON_ERR_END_OF_STREAM);
    ck_assert_uint_eq(stats.frames_done, 8);
    ck_assert_uint_eq(e.done, 8);
    ck_assert_uint_eq(e.size_errors, 0);
    ck_assert_uint_eq(e.bad_frames, 0);
}
END_TEST

/* The FFV1 file through the whole pipeline, against ffmpeg's decoding
 * converted by tests/util_reference.c. */
START_TEST(test_pipeline_file)
{
    NEED(files[0].elements, true, files[0].packages);
    char dir[64], path[256], spec[400], ref_path[300], msg[BATON_ERROR_MESSAGE_MAX];
    test_make_tmpdir(dir, sizeof dir, "gst");
    make_clip(dir, 0, path, sizeof path);
    snprintf(ref_path, sizeof ref_path, "%s/ref.nv12", dir);
    size_t ref_size;
    uint8_t *ref = test_read_whole(ref_path, &ref_size);
    snprintf(spec, sizeof spec, "gst:filesrc location=%s ! decodebin", path);
    seen e = {.fmt = BATON_FORMAT_NV12, .w = FILE_W, .h = FILE_H, .ref = ref,
              .ref_frame_bytes = baton_format_frame_size(BATON_FORMAT_NV12, FILE_W, FILE_H),
              .ref_count = FILE_FRAMES};
    baton_pipeline_stats stats;
    baton_status st = run_pipeline(spec, BATON_FORMAT_NV12, 100, &e, &stats, msg, sizeof msg);
    printf("pipeline %s: %s, %llu frames shown, %llu off the reference (max diff %d)\n",
           files[0].name, baton_strerror(st), (unsigned long long)e.done,
           (unsigned long long)e.bad_frames, e.worst);
    fflush(stdout);
    ck_assert_int_eq(st, BATON_ERR_END_OF_STREAM);
    ck_assert_uint_eq(e.done, FILE_FRAMES);
    ck_assert_uint_eq(e.bad_frames, 0);
    free(ref);
    remove_tmpdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("source_gst");
    TCase *direct = tcase_create("sources");
    tcase_set_timeout(direct, 60);
    tcase_add_loop_test(direct, test_bars, 0, 10);
    tcase_add_loop_test(direct, test_decodebin_file, 0, 2);
    tcase_add_test(direct, test_udp_loopback);
    tcase_add_test(direct, test_rtsp_loopback);
    tcase_add_loop_test(direct, test_caps_change, 0, 2);
    tcase_add_loop_test(direct, test_open_errors, 0,
                        (int)(sizeof open_errors / sizeof open_errors[0]));
    tcase_add_test(direct, test_error_mid_stream);
    tcase_add_test(direct, test_timeout);
    tcase_add_test(direct, test_newest);
    tcase_add_test(direct, test_no_fd_leak);
    suite_add_tcase(s, direct);

    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (caps.vk_present && caps.vk_device_count > 0) {
        TCase *pipe = tcase_create("pipeline");
        tcase_set_timeout(pipe, 120);
        tcase_add_loop_test(pipe, test_pipeline_bars, 0, 5);
        tcase_add_test(pipe, test_pipeline_file);
        suite_add_tcase(s, pipe);
    } else {
        fprintf(stderr, "Vulkan unavailable: %s\n", caps.vk_error);
        if (test_vulkan_required())
            return 1;
        printf("SKIP source_gst/pipeline: no Vulkan device (the direct source tests still run)\n");
    }
    return test_run_suite(s);
}
