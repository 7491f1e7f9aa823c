/* check_sink_gst.c - the gst sink with real GStreamer encoders, decoded back
 * by ffmpeg.
 *
 * Direct tests of its machinery (sinks/gst_push.c, no Vulkan needed):
 * frames pushed from three wrapped buffers into
 *  - videoconvert ! avenc_ffv1 ! matroskamux ! filesink (lossless): ffmpeg's
 *    decoding must equal every pushed frame byte for byte, and the frames'
 *    times must be the pushed capture times less the first;
 *  - videoconvert ! Y444 ! x264enc pass=quant quantizer=0 speed-preset=ultrafast ! mp4mux ! filesink (lossless
 *    H.264 of the 4:4:4 conversion): ffmpeg's decoding within the RGB ->
 *    YUV -> RGB rounding;
 *  - rtpvrawpay ! udpsink to 127.0.0.1, received in this process by baton's
 *    own gst source (udpsrc ! rtpvrawdepay): received frames equal to the
 *    frame they were made from (at least 15 of 20: the first may be
 *    partial, UDP may drop a packet on a busy machine);
 *  - errors: a missing element, a bad pipeline, caps the pipeline cannot
 *    take, a file that cannot be opened (the element's name), a buffer held
 *    past the timeout.
 * Through the pipeline (this machine's Vulkan, CPU stage): the pattern
 * source into the FFV1 sink; ffmpeg's decoding of the file equals every
 * frame the pipeline read back, and its times are the frames' times. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "baton/caps.h"
#include "baton/context.h"
#include "baton/pipeline.h"
#include "sinks/gst_push.h"
#include "sources/source.h"
#include "util_test.h"

#define W 160
#define H 96
#define FRAMES 10
#define BUFS 3u
#define FRAME_BYTES ((size_t)W * H * 4)

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
        if (!test_need_gst("sink_gst", __func__, elements, (ffmpeg) ? "ffmpeg ffprobe" : NULL, packages)) \
            return;                                                                                \
    } while (0)

#define PKGS_BASE "gstreamer1.0-tools gstreamer1.0-plugins-base"
#define PKGS_FFV1 PKGS_BASE " gstreamer1.0-plugins-good gstreamer1.0-libav ffmpeg"

/* Frame f: every pixel a function of (x, y, f); pixel (0, 0) carries f. */
static void make_frame(uint8_t *p, uint32_t f)
{
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            uint8_t *q = p + ((size_t)y * W + x) * 4;
            q[0] = (uint8_t)(x * 3 + f * 17);
            q[1] = (uint8_t)(y * 5 + f * 29);
            q[2] = (uint8_t)((x ^ y) + f * 7);
            q[3] = 255;
        }
    p[0] = (uint8_t)f;
    p[1] = (uint8_t)(f >> 8);
}

/* ffmpeg's decoding of path as rgba: FRAMES frames expected. */
static uint8_t *decode_rgba(const char *dir, const char *path, size_t *frames)
{
    char out[300];
    snprintf(out, sizeof out, "%s/decoded.rgba", dir);
    ck_assert_int_eq(test_sh("ffmpeg -nostdin -hide_banner -v error -i '%s' -f rawvideo -pix_fmt rgba "
                        "-vsync passthrough -y '%s'",
                        path, out),
                     0);
    size_t size;
    uint8_t *d = test_read_whole(out, &size);
    ck_assert_uint_eq(size % FRAME_BYTES, 0);
    *frames = size / FRAME_BYTES;
    return d;
}

/* The frames' presentation times in ms, from ffprobe. */
static size_t probe_times_ms(const char *path, double *ms, size_t max)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 '%s'",
             path);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = 0;
    char line[128];
    while (fgets(line, sizeof line, f)) { /* read it all: no SIGPIPE for ffprobe */
        char *end;
        double t = strtod(line, &end);
        if (end != line && n < max)
            ms[n++] = t * 1000.0;
    }
    ck_assert_int_eq(pclose(f), 0);
    return n;
}

/* Push FRAMES frames through three wrapped buffers into desc (with
 * %s for the output path), 40 ms apart in capture time. */
static void push_frames(const char *desc, uint64_t t0, uint8_t *bufs[BUFS])
{
    void *frames[BUFS];
    for (uint32_t i = 0; i < BUFS; i++)
        frames[i] = bufs[i];
    gst_push *g = NULL;
    baton_error err;
    ck_assert_msg(gst_push_create(desc, W, H, frames, BUFS, FRAME_BYTES, 5000, &g, &err) ==
                      BATON_OK,
                  "%s", err.message);
    for (uint32_t f = 0; f < FRAMES; f++) {
        uint32_t i = f % BUFS;
        ck_assert_msg(gst_push_wait_free(g, i, &err) == BATON_OK, "%s", err.message);
        make_frame(bufs[i], f);
        ck_assert_msg(gst_push_frame(g, i, t0 + (uint64_t)f * 40000000u, &err) == BATON_OK, "%s",
                      err.message);
    }
    ck_assert_uint_eq(gst_push_count(g), FRAMES);
    ck_assert_msg(gst_push_finish(g, &err) == BATON_OK, "%s", err.message);
    /* after the end of stream a frame is refused */
    ck_assert_int_eq(gst_push_frame(g, 0, t0 + 999999999u, &err), BATON_ERR_STATE);
    gst_push_destroy(g);
}

static uint8_t **alloc_bufs(void)
{
    static uint8_t *bufs[BUFS];
    for (uint32_t i = 0; i < BUFS; i++) {
        bufs[i] = malloc(FRAME_BYTES);
        ck_assert_ptr_nonnull(bufs[i]);
    }
    return bufs;
}

/* ---- direct: encoders, decoded back by ffmpeg ------------------------------ */

static const struct {
    const char *name, *desc, *elements, *packages;
    int tolerance;
} encoders[] = {
    {"out.mkv", "videoconvert ! avenc_ffv1 ! matroskamux ! filesink location=%s",
     "videoconvert avenc_ffv1 matroskamux filesink", PKGS_FFV1, 0},
    {"out.mp4",
     "videoconvert ! video/x-raw,format=Y444 ! x264enc pass=quant quantizer=0 speed-preset=ultrafast ! mp4mux ! filesink location=%s",
     "videoconvert x264enc mp4mux filesink",
     /* the codec is lossless (quantizer 0, 4:4:4); what differs is two
      * different RGB <-> YUV conversions, GStreamer's videoconvert on the
      * way in and ffmpeg's swscale on the way out (max 4 measured) */
     PKGS_BASE " gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly ffmpeg", 6},
};

START_TEST(test_encode)
{
    NEED(encoders[_i].elements, true, encoders[_i].packages);
    char dir[64], path[256], desc[512];
    test_make_tmpdir(dir, sizeof dir, "gsink");
    snprintf(path, sizeof path, "%s/%s", dir, encoders[_i].name);
    snprintf(desc, sizeof desc, encoders[_i].desc, path);
    uint8_t **bufs = alloc_bufs();
    uint64_t t0 = 5000000000u;
    push_frames(desc, t0, bufs);
    size_t n;
    uint8_t *dec = decode_rgba(dir, path, &n);
    uint8_t *want = malloc(FRAME_BYTES);
    ck_assert_ptr_nonnull(want);
    int worst = 0;
    size_t differing = 0;
    for (size_t f = 0; f < n && f < FRAMES; f++) {
        make_frame(want, (uint32_t)f);
        for (size_t b = 0; b < FRAME_BYTES; b++) {
            if (b % 4 == 3)
                continue; /* alpha: not every codec keeps it */
            int d = abs((int)dec[f * FRAME_BYTES + b] - (int)want[b]);
            differing += d != 0;
            if (d > worst)
                worst = d;
        }
    }
    double ms[FRAMES + 4];
    size_t nt = probe_times_ms(path, ms, FRAMES + 4);
    double worst_t = 0;
    for (size_t f = 0; f < nt && f < FRAMES; f++) {
        double d = ms[f] - ms[0] - 40.0 * (double)f;
        if (d < 0)
            d = -d;
        if (d > worst_t)
            worst_t = d;
    }
    printf("%s: %zu frames decoded by ffmpeg, %zu channel values differ from the pushed frames "
           "(max %d, allowed %d); frame times off the pushed capture times by at most %.3f ms\n",
           encoders[_i].name, n, differing, worst, encoders[_i].tolerance, worst_t);
    fflush(stdout);
    ck_assert_uint_eq(n, FRAMES);
    ck_assert_int_le(worst, encoders[_i].tolerance);
    ck_assert_uint_eq(nt, FRAMES);
    ck_assert(worst_t <= 1.0);
    free(want);
    free(dec);
    for (uint32_t i = 0; i < BUFS; i++)
        free(bufs[i]);
    ck_assert_int_eq(test_sh("rm -rf '%s'", dir), 0);
}
END_TEST

/* ---- direct: UDP loopback into baton's own gst source ---------------------- */

typedef struct receiver {
    int port;
    volatile int opened; /* 1 open, -1 failed */
    uint32_t got, exact, last_index;
    char message[BATON_ERROR_MESSAGE_MAX];
} receiver;

static void *receive(void *arg)
{
    receiver *r = arg;
    char spec[640];
    snprintf(spec, sizeof spec,
             "gst:udpsrc address=127.0.0.1 port=%d buffer-size=4194304 caps=\"application/x-rtp,media=(string)video,"
             "clock-rate=(int)90000,encoding-name=(string)RAW,sampling=(string)RGBA,"
             "depth=(string)8,width=(string)%d,height=(string)%d,payload=(int)96\" ! "
             "rtpvrawdepay",
             r->port, W, H);
    source s;
    baton_error err;
    if (source_open_timed(&s, spec, BATON_FORMAT_RGB24, W, H, 10000, &err) != BATON_OK) {
        snprintf(r->message, sizeof r->message, "%s", err.message);
        r->opened = -1;
        return NULL;
    }
    r->opened = 1;
    uint8_t *buf = malloc(s.frame_bytes), *want = malloc(FRAME_BYTES);
    for (uint32_t k = 0; k < 20 && buf && want; k++) {
        uint64_t frame, dropped = 0, ts;
        if (source_next(&s, BATON_POLICY_BACKPRESSURE, buf, 3000, &frame, &dropped, &ts, &err) !=
            BATON_OK) {
            snprintf(r->message, sizeof r->message, "%s", err.message);
            break;
        }
        r->got++;
        uint32_t f = (uint32_t)buf[0] | (uint32_t)buf[1] << 8;
        make_frame(want, f);
        bool same = true;
        for (size_t p = 0; p < (size_t)W * H && same; p++)
            same = memcmp(buf + p * 3, want + p * 4, 3) == 0;
        r->exact += same;
        r->last_index = f;
    }
    free(buf);
    free(want);
    source_close(&s);
    return NULL;
}

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

/* The sink sends RTP raw video (RGBA) to 127.0.0.1; baton's gst source
 * receives it on another thread. Frames are pushed until 20 arrived (the
 * receiver may bind after the first ones were sent). */
START_TEST(test_udp_loopback)
{
    NEED("rtpvrawpay udpsink udpsrc rtpvrawdepay videoconvert", false,
         PKGS_BASE " gstreamer1.0-plugins-good");
    receiver r = {.port = free_udp_port()};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, receive, &r), 0);
    char desc[256];
    snprintf(desc, sizeof desc, "rtpvrawpay ! udpsink host=127.0.0.1 port=%d sync=false", r.port);
    uint8_t **bufs = alloc_bufs();
    void *frames[BUFS] = {bufs[0], bufs[1], bufs[2]};
    gst_push *g = NULL;
    baton_error err;
    ck_assert_msg(gst_push_create(desc, W, H, frames, BUFS, FRAME_BYTES, 5000, &g, &err) ==
                      BATON_OK,
                  "%s", err.message);
    for (uint32_t f = 0; f < 2000 && r.got < 20 && r.opened >= 0; f++) {
        uint32_t i = f % BUFS;
        ck_assert_msg(gst_push_wait_free(g, i, &err) == BATON_OK, "%s", err.message);
        make_frame(bufs[i], f);
        ck_assert_msg(gst_push_frame(g, i, (uint64_t)f * 10000000u + 1, &err) == BATON_OK, "%s",
                      err.message);
        usleep(10000); /* pace like a camera; the receiver must keep up */
    }
    ck_assert_msg(gst_push_finish(g, &err) == BATON_OK, "%s", err.message);
    uint64_t pushed = gst_push_count(g);
    pthread_join(th, NULL);
    gst_push_destroy(g);
    printf("udp loopback (rtpvrawpay -> 127.0.0.1:%d -> baton's gst source): %llu frames pushed, "
           "%u received, %u equal to the frame they were made from%s%s\n",
           r.port, (unsigned long long)pushed, r.got, r.exact, r.message[0] ? "; " : "",
           r.message);
    fflush(stdout);
    ck_assert_msg(r.opened == 1, "%s", r.message);
    ck_assert_uint_eq(r.got, 20);
    /* the first frame may be partial (the receiver bound its port in the
     * middle of a frame) and UDP may lose a packet on a busy machine
     * (rtpvrawdepay then hands over a frame with a hole); a fault of
     * baton's would spoil every frame */
    ck_assert_uint_ge(r.exact, 15);
    for (uint32_t i = 0; i < BUFS; i++)
        free(bufs[i]);
}
END_TEST

/* ---- direct: errors ---------------------------------------------------------- */

static const struct {
    const char *desc;
    int at; /* 0: create fails, 1: a frame's push or wait fails */
    baton_status status;
    const char *says[2];
} errors[] = {
    {"batonnosuchelement ! fakesink", 0, BATON_ERR_UNSUPPORTED,
     {"no GStreamer element 'batonnosuchelement'"}},
    {"videoconvert ! ! fakesink", 0, BATON_ERR_INVALID_ARGUMENT, {"bad pipeline"}},
    {"videoconvert ! x264enc qp=0 ! fakesink", 0, BATON_ERR_INVALID_ARGUMENT,
     {"bad pipeline", "no property \"qp\" in element \"x264enc\""}},
    {"videoconvert ! filesink location=/nonexistent/dir/out.raw", 0, BATON_ERR_IO,
     {"element 'filesink", "/nonexistent/dir/out.raw"}},
    {"appsrc ! fakesink appsrc ! fakesink", 0, BATON_ERR_INVALID_ARGUMENT, {"2 appsrcs"}},
    {"x264enc ! fakesink", 1, BATON_ERR_UNSUPPORTED, {"not-negotiated", "videoconvert"}},
    {"identity sleep-time=1000000 ! fakesink", 1, BATON_ERR_TIMEOUT, {"still held by GStreamer"}},
};

START_TEST(test_errors)
{
    NEED("videoconvert filesink fakesink identity x264enc", false,
         PKGS_BASE " gstreamer1.0-plugins-ugly");
    uint8_t **bufs = alloc_bufs();
    void *frames[BUFS] = {bufs[0], bufs[1], bufs[2]};
    gst_push *g = NULL;
    baton_error err;
    baton_status st = gst_push_create(errors[_i].desc, W, H, frames, BUFS, FRAME_BYTES, 300, &g,
                                      &err);
    if (errors[_i].at == 1) {
        ck_assert_msg(st == BATON_OK, "%s", err.message);
        /* frames until one fails; each buffer is used once (no wait needed) */
        for (uint32_t f = 0; st == BATON_OK && f < 50; f++) {
            st = gst_push_wait_free(g, f % BUFS, &err);
            if (st == BATON_OK) {
                make_frame(bufs[f % BUFS], f);
                st = gst_push_frame(g, f % BUFS, 1 + f, &err);
            }
        }
        gst_push_destroy(g);
    } else {
        ck_assert_ptr_null(g);
    }
    printf("(expected) sink '%s' -> %s: %s\n", errors[_i].desc, baton_strerror(st), err.message);
    fflush(stdout);
    ck_assert_int_eq(st, errors[_i].status);
    for (int k = 0; k < 2 && errors[_i].says[k]; k++)
        ck_assert_msg(strstr(err.message, errors[_i].says[k]), "'%s' lacks '%s'", err.message,
                      errors[_i].says[k]);
    ck_assert_msg(!strchr(err.message, '\n'), "one line: %s", err.message);
    for (uint32_t i = 0; i < BUFS; i++)
        free(bufs[i]);
}
END_TEST

/* ---- through the pipeline ------------------------------------------------------ */

typedef struct shown {
    uint8_t *frames; /* FRAMES copies of what the pipeline read back */
    uint64_t times[FRAMES];
    uint32_t count;
} shown;

static void on_done(void *user, const baton_frame_info *info)
{
    shown *s = user;
    if (s->count >= FRAMES || info->width != W || info->height != H || !info->rgba)
        return;
    for (uint32_t y = 0; y < H; y++)
        memcpy(s->frames + s->count * FRAME_BYTES + (size_t)y * W * 4,
               info->rgba + (size_t)y * info->pitch, (size_t)W * 4);
    s->times[s->count] = info->capture_ns ? info->capture_ns : info->source_ready_ns;
    s->count++;
}

START_TEST(test_pipeline_ffv1)
{
    NEED("videoconvert avenc_ffv1 matroskamux filesink", true, PKGS_FFV1);
    char dir[64], path[256], spec[512];
    test_make_tmpdir(dir, sizeof dir, "gsink");
    snprintf(path, sizeof path, "%s/pipeline.mkv", dir);
    snprintf(spec, sizeof spec, "gst:videoconvert ! avenc_ffv1 ! matroskamux ! filesink location=%s",
             path);
    shown s = {.frames = malloc(FRAME_BYTES * FRAMES)};
    ck_assert_ptr_nonnull(s.frames);
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_error err;
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.source = "pattern@50";
    pc.sink = spec;
    pc.width = W;
    pc.height = H;
    pc.on_done = on_done;
    pc.done_user = &s;
    pc.timeout_ms = 5000;
    baton_pipeline *p = NULL;
    ck_assert_msg(baton_pipeline_create(ctx, &pc, &p, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_run(p, FRAMES, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    baton_display_report rep;
    ck_assert_int_eq(baton_pipeline_display(p, &rep, &err), BATON_OK);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    size_t n;
    uint8_t *dec = decode_rgba(dir, path, &n);
    size_t differing = 0;
    for (size_t b = 0; b < FRAME_BYTES * (n < FRAMES ? n : FRAMES); b++)
        differing += b % 4 != 3 && dec[b] != s.frames[b];
    double ms[FRAMES + 4];
    size_t nt = probe_times_ms(path, ms, FRAMES + 4);
    double worst_t = 0;
    for (size_t f = 0; f < nt && f < s.count; f++) {
        double d = ms[f] - ms[0] - (double)(s.times[f] - s.times[0]) / 1e6;
        if (d < 0)
            d = -d;
        if (d > worst_t)
            worst_t = d;
    }
    printf("pipeline -> %s: %u frames shown, %zu decoded by ffmpeg, %zu channel values differ; "
           "frame times off the capture times by at most %.3f ms; sink: %s\n",
           path, s.count, n, differing, worst_t, rep.description);
    fflush(stdout);
    ck_assert_uint_eq(s.count, FRAMES);
    ck_assert_uint_eq(n, FRAMES);
    ck_assert_uint_eq(differing, 0);
    ck_assert_uint_eq(nt, FRAMES);
    ck_assert(worst_t <= 1.0); /* Matroska keeps milliseconds */
    ck_assert_msg(strstr(rep.description, "10 frames pushed; at drain: all taken by GStreamer"),
                  "%s", rep.description);
    free(dec);
    free(s.frames);
    ck_assert_int_eq(test_sh("rm -rf '%s'", dir), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sink_gst");
    TCase *direct = tcase_create("push");
    tcase_set_timeout(direct, 60);
    tcase_add_loop_test(direct, test_encode, 0, 2);
    tcase_add_test(direct, test_udp_loopback);
    tcase_add_loop_test(direct, test_errors, 0, (int)(sizeof errors / sizeof errors[0]));
    suite_add_tcase(s, direct);
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (caps.vk_present && caps.vk_device_count > 0) {
        TCase *pipe = tcase_create("pipeline");
        tcase_set_timeout(pipe, 120);
        tcase_add_test(pipe, test_pipeline_ffv1);
        suite_add_tcase(s, pipe);
    } else {
        fprintf(stderr, "Vulkan unavailable: %s\n", caps.vk_error);
        if (test_vulkan_required())
            return 1;
        printf("SKIP sink_gst/pipeline: no Vulkan device (the direct tests still run)\n");
    }
    return test_run_suite(s);
}
