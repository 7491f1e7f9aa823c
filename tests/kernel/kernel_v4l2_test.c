/* kernel_v4l2_test.c - the V4L2 source against a real driver (vivid), run as
 * the only program of a tiny initramfs under QEMU by tests/kernel/check-kernel.sh.
 *
 * Built static from runtime/source_v4l2.c, format.c and error.c only (no
 * Vulkan, no CUDA). Uses the source through its ops table as source_open()
 * would. Prints one line per check to the serial console:
 *   KTEST PASS <name>: <detail>      KTEST FAIL <name>: <detail>
 * and last "KTEST RESULT: N passed, M failed". Exit status 0 iff M == 0.
 *
 * usage: kernel_v4l2_test CAPTURE_DEV [NON_CAPTURE_DEV] */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "baton/format.h"
#include "sources/source.h"
#include "sources/v4l2_io.h"

static int passed, failed;

static void result(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void result(int ok, const char *name, const char *fmt, ...)
{
    char detail[1600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("KTEST %s %s: %s\n", ok ? "PASS" : "FAIL", name, detail);
    fflush(stdout);
    if (ok)
        passed++;
    else
        failed++;
}

/* source_open() without the registry: the same steps for the v4l2 ops. */
static baton_status open_v4l2(source *src, const char *spec, baton_format fmt, uint32_t w,
                              uint32_t h, baton_error *err)
{
    memset(src, 0, sizeof *src);
    src->ops = &source_v4l2_ops;
    src->spec = spec;
    src->format = fmt;
    src->width = w;
    src->height = h;
    baton_status st = src->ops->open(src, spec + strlen("v4l2"), err);
    if (st == BATON_OK) {
        src->frame_bytes = baton_format_frame_size(src->format, src->width, src->height);
        if (src->frame_bytes == 0)
            st = baton_format_check_size(src->format, src->width, src->height, err);
    }
    if (st != BATON_OK)
        src->ops->close(src);
    return st;
}

static const char *fourcc(uint32_t f, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = (char)((f >> (8 * i)) & 0xff);
    out[4] = '\0';
    return out;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Open dev asking for fmt at w x h (or the spec's FOURCC), check what was
 * negotiated, stream `frames` frames with `policy`, check sequence numbers
 * and timestamps increase and the picture is not blank. */
static void stream_case(const char *name, const char *dev, const char *suffix, baton_format ask,
                        uint32_t w, uint32_t h, baton_format want, baton_drop_policy policy,
                        int frames, long pause_ms)
{
    char spec[300];
    snprintf(spec, sizeof spec, "v4l2:%s%s", dev, suffix);
    source src;
    baton_error err;
    if (open_v4l2(&src, spec, ask, w, h, &err) != BATON_OK) {
        result(0, name, "open %s (%s %ux%u): %s", spec, baton_format_name(ask), w, h,
               err.message);
        return;
    }
    v4l2_source_info info;
    source_v4l2_info(&src, &info, NULL);
    char cc[5];
    char neg[300];
    snprintf(neg, sizeof neg, "asked %s %ux%u, got %s (%s) %ux%u bytesperline %u, %u buffers, "
             "dma-buf export %s",
             baton_format_name(ask), w, h, baton_format_name(src.format),
             fourcc(info.pixelformat, cc), src.width, src.height, info.bytesperline, info.buffers,
             info.dmabuf_export ? "yes" : "no");
    if (src.format != want) {
        result(0, name, "%s: wanted %s", neg, baton_format_name(want));
        src.ops->close(&src);
        return;
    }
    uint8_t *dst = malloc(src.frame_bytes);
    if (!dst) {
        result(0, name, "malloc");
        src.ops->close(&src);
        return;
    }
    uint64_t dropped = 0, last = 0, last_ts = 0, first = 0;
    int ok = 1, got = 0;
    char why[600] = "";
    for (int i = 0; i < frames && ok; i++) {
        uint64_t frame = 0, ts = 0, before = dropped;
        if (pause_ms)
            sleep_ms(pause_ms); /* a slow consumer: frames pile up */
        if (src.ops->next(&src, policy, dst, 10000, &frame, &dropped, &ts, &err) != BATON_OK) {
            snprintf(why, sizeof why, "frame %d: %s", i, err.message);
            ok = 0;
            break;
        }
        if (i == 0) {
            first = frame;
        } else if (frame <= last) {
            snprintf(why, sizeof why, "sequence went from %llu to %llu",
                     (unsigned long long)last, (unsigned long long)frame);
            ok = 0;
        } else if (frame - last - 1 != dropped - before) {
            snprintf(why, sizeof why, "sequence %llu -> %llu but dropped grew by %llu",
                     (unsigned long long)last, (unsigned long long)frame,
                     (unsigned long long)(dropped - before));
            ok = 0;
        } else if (ts <= last_ts) {
            snprintf(why, sizeof why, "timestamp %llu after %llu", (unsigned long long)ts,
                     (unsigned long long)last_ts);
            ok = 0;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
        /* vivid stamps the ideal end-of-frame time (its default timestamp
         * source) when it fills the buffer at the frame's start, so a
         * stamp may lie up to about one frame period (200 ms at its 5 fps
         * default) after now: allow 1 s ahead, 5 s behind */
        if (ts == 0 || ts > now_ns + 1000000000u || ts + 5000000000u < now_ns) {
            snprintf(why, sizeof why,
                     "frame %llu: timestamp %llu ns is not a recent CLOCK_MONOTONIC time "
                     "(now %llu)",
                     (unsigned long long)frame, (unsigned long long)ts,
                     (unsigned long long)now_ns);
            ok = 0;
        }
        /* vivid's default picture is colour bars: many distinct bytes */
        int distinct = 0;
        static unsigned char seen[256];
        memset(seen, 0, sizeof seen);
        for (size_t k = 0; k < src.frame_bytes; k += 7)
            if (!seen[dst[k]]++)
                distinct++;
        if (distinct < 4) {
            snprintf(why, sizeof why, "frame %llu looks blank (%d distinct byte values)",
                     (unsigned long long)frame, distinct);
            ok = 0;
        }
        last = frame;
        last_ts = ts;
        got++;
    }
    if (ok && policy == BATON_POLICY_NEWEST && dropped == 0) {
        snprintf(why, sizeof why, "NEWEST with a slow consumer dropped nothing");
        ok = 0;
    }
    result(ok, name, "%s; %d frames, sequence %llu..%llu, %llu dropped%s%s", neg, got,
           (unsigned long long)first, (unsigned long long)last, (unsigned long long)dropped,
           ok ? "" : "; ", why);
    free(dst);
    src.ops->close(&src);
}

static void expect_error(const char *name, const char *spec, baton_status want,
                         const char *says)
{
    source src;
    baton_error err;
    baton_status st = open_v4l2(&src, spec, BATON_FORMAT_YUYV, 640, 480, &err);
    if (st == BATON_OK) {
        src.ops->close(&src);
        result(0, name, "%s opened, wanted an error", spec);
        return;
    }
    result(st == want && strstr(err.message, says) != NULL, name, "%s: %s", spec, err.message);
}

/* vivid's "Disconnect" button control unregisters the node as an unplugged
 * USB camera would: every ioctl on an open fd then fails with ENODEV. */
static int vivid_disconnect(const char *dev, char *why, size_t len)
{
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, len, "open %s: %s", dev, strerror(errno));
        return -1;
    }
    struct v4l2_queryctrl q;
    memset(&q, 0, sizeof q);
    q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
    while (ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
        if (strcmp((const char *)q.name, "Disconnect") == 0) {
            struct v4l2_control c = {.id = q.id, .value = 1};
            int r = ioctl(fd, VIDIOC_S_CTRL, &c);
            if (r < 0)
                snprintf(why, len, "VIDIOC_S_CTRL Disconnect: %s", strerror(errno));
            close(fd);
            return r;
        }
        q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
    }
    snprintf(why, len, "vivid has no 'Disconnect' control");
    close(fd);
    return -1;
}

static void unplug_case(const char *dev)
{
    char spec[300], why[600];
    snprintf(spec, sizeof spec, "v4l2:%s", dev);
    source src;
    baton_error err;
    if (open_v4l2(&src, spec, BATON_FORMAT_YUYV, 320, 240, &err) != BATON_OK) {
        result(0, "unplug", "open: %s", err.message);
        return;
    }
    uint8_t *dst = malloc(src.frame_bytes);
    uint64_t frame, dropped = 0, ts;
    int ok = dst != NULL;
    for (int i = 0; ok && i < 2; i++)
        ok = src.ops->next(&src, BATON_POLICY_BACKPRESSURE, dst, 10000, &frame, &dropped, &ts,
                           &err) == BATON_OK;
    if (!ok) {
        result(0, "unplug", "frames before the unplug: %s", err.message);
    } else if (vivid_disconnect(dev, why, sizeof why) < 0) {
        result(0, "unplug", "%s", why);
    } else {
        baton_status st = BATON_OK;
        for (int i = 0; i < 8 && st == BATON_OK; i++) /* frames already done may come first */
            st = src.ops->next(&src, BATON_POLICY_NEWEST, dst, 10000, &frame, &dropped, &ts,
                               &err);
        result(st == BATON_ERR_IO && strstr(err.message, "device gone") != NULL, "unplug",
               "after vivid's Disconnect: %s", st == BATON_OK ? "frames kept coming" : err.message);
    }
    free(dst);
    src.ops->close(&src);
}

static int fd_count(void)
{
    int n = 0;
    char path[64];
    for (int fd = 0; fd < 1024; fd++) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        if (access(path, F_OK) == 0)
            n++;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CAPTURE_DEV [NON_CAPTURE_DEV]\n", argv[0]);
        return 2;
    }
    const char *dev = argv[1];
    int fds = fd_count();
    stream_case("yuyv-640x480", dev, "", BATON_FORMAT_YUYV, 640, 480, BATON_FORMAT_YUYV,
                BATON_POLICY_BACKPRESSURE, 8, 0);
    stream_case("fourcc-nv12", dev, ":NV12", BATON_FORMAT_YUYV, 320, 240, BATON_FORMAT_NV12,
                BATON_POLICY_BACKPRESSURE, 4, 0);
    stream_case("uyvy", dev, "", BATON_FORMAT_UYVY, 320, 240, BATON_FORMAT_UYVY,
                BATON_POLICY_BACKPRESSURE, 4, 0);
    stream_case("grey", dev, ":GREY", BATON_FORMAT_YUYV, 320, 240, BATON_FORMAT_GREY8,
                BATON_POLICY_BACKPRESSURE, 4, 0);
    /* a size the driver must adjust: the source takes the driver's */
    stream_case("odd-size", dev, "", BATON_FORMAT_YUYV, 333, 201, BATON_FORMAT_YUYV,
                BATON_POLICY_BACKPRESSURE, 3, 0);
    stream_case("newest-slow-consumer", dev, "", BATON_FORMAT_YUYV, 320, 240,
                BATON_FORMAT_YUYV, BATON_POLICY_NEWEST, 5, 400);
    expect_error("no-such-device", "v4l2:/dev/video99", BATON_ERR_OS, "cannot open");
    if (argc > 2)
        expect_error("not-capture", argv[2], BATON_ERR_UNSUPPORTED,
                     "not a video capture device");
    unplug_case(dev); /* last: the node is gone afterwards */
    int now = fd_count();
    result(now == fds, "no-fd-leak", "%d fds before, %d after", fds, now);
    printf("KTEST RESULT: %d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}
