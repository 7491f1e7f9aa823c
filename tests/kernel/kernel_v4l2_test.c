/* kernel_v4l2_test.c - the V4L2 source against a real driver (vivid), run as
 * the only program of a tiny initramfs under QEMU by tests/kernel/check-kernel.sh.
 *
 * Built static from runtime/sources/source_v4l2.c, v4l2_userptr.c, format.c
 * and error.c only (no Vulkan, no CUDA). Uses the source through its ops table as source_open()
 * would. Prints one line per check to the serial console:
 *   KTEST PASS <name>: <detail>      KTEST FAIL <name>: <detail>
 * and last "KTEST RESULT: N passed, M failed". Exit status 0 iff M == 0.
 *
 * Streams through MMAP (the source on its own), then bound to page-aligned
 * buffers like the pipeline's staging, where vivid (allocators=0, vmalloc)
 * takes USERPTR and writes each frame into the slot's own buffer, released
 * from a second thread as the pipeline's completion thread does. With a
 * second vivid instance whose queue has no USERPTR (allocators=1,
 * dma-contig), bind must refuse and MMAP + copy go on; the unplug then runs
 * on both: MMAP on the second, USERPTR on the first.
 *
 * usage: kernel_v4l2_test CAPTURE_DEV [NON_CAPTURE_SPEC [CAPTURE_DEV_WITHOUT_USERPTR]] */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <pthread.h>
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

/* ---- USERPTR: the camera writes into the application's buffers ------------ */

#define IO_USERPTR "V4L2 USERPTR: the camera writes into staging (no CPU copy)"
#define MAX_SLOTS 4

/* A second thread gives buffers back, as the pipeline's completion thread
 * does, while the main thread waits in next() for the following one. */
typedef struct releaser {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    source *src;
    const uint8_t *pending[MAX_SLOTS * 2];
    int count;
    int stop;
    int released;
} releaser;

static void *release_main(void *arg)
{
    releaser *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->count == 0 && !r->stop)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->count == 0)
            break;
        const uint8_t *buf = r->pending[0];
        memmove(r->pending, r->pending + 1, (size_t)--r->count * sizeof r->pending[0]);
        pthread_mutex_unlock(&r->lock);
        r->src->ops->release(r->src, buf);
        pthread_mutex_lock(&r->lock);
        r->released++;
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void release_async(releaser *r, const uint8_t *buf)
{
    pthread_mutex_lock(&r->lock);
    r->pending[r->count++] = buf;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

/* Wait until the releaser has given back `n` buffers in all. */
static void released_by(releaser *r, int n)
{
    pthread_mutex_lock(&r->lock);
    while (r->released < n)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
}

/* Page-aligned buffers like the pipeline's staging, filled with a marker
 * the camera must overwrite. */
static int alloc_slots(uint8_t **bufs, uint32_t slots, size_t bytes)
{
    size_t rounded = (bytes + 4095u) / 4096u * 4096u;
    for (uint32_t i = 0; i < slots; i++) {
        bufs[i] = aligned_alloc(4096, rounded);
        if (!bufs[i])
            return -1;
        memset(bufs[i], 0xA5, rounded);
    }
    return 0;
}

/* Open, bind `slots` buffers (USERPTR must be taken), stream `frames`
 * frames into them in slot order, each released from the other thread
 * once looked at; check sequence, drops, timestamps and the picture in the
 * very buffer the frame was meant for. */
static void userptr_case(const char *name, const char *dev, const char *suffix,
                         baton_format ask, uint32_t w, uint32_t h, uint32_t slots,
                         baton_drop_policy policy, int frames, long pause_ms)
{
    char spec[300];
    snprintf(spec, sizeof spec, "v4l2:%s%s", dev, suffix);
    source src;
    baton_error err;
    if (open_v4l2(&src, spec, ask, w, h, &err) != BATON_OK) {
        result(0, name, "open %s: %s", spec, err.message);
        return;
    }
    uint8_t *bufs[MAX_SLOTS] = {0};
    char why[600] = "";
    int ok = alloc_slots(bufs, slots, src.frame_bytes) == 0;
    if (!ok)
        snprintf(why, sizeof why, "aligned_alloc failed");
    if (ok && src.ops->bind(&src, bufs, slots, src.frame_bytes, &err) != BATON_OK) {
        snprintf(why, sizeof why, "bind: %s", err.message);
        ok = 0;
    }
    v4l2_source_info info;
    source_v4l2_info(&src, &info, NULL);
    if (ok && (strcmp(src.io, IO_USERPTR) != 0 || info.memory != V4L2_MEMORY_USERPTR ||
               info.buffers != slots)) {
        snprintf(why, sizeof why, "bound, but io '%s', memory %u, %u buffers", src.io,
                 info.memory, info.buffers);
        ok = 0;
    }
    releaser rel = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
                    .src = &src};
    pthread_t thread;
    int threaded = ok && pthread_create(&thread, NULL, release_main, &rel) == 0;
    uint64_t dropped = 0, last = 0, last_ts = 0, first = 0;
    int got = 0;
    for (int i = 0; ok && i < frames; i++) {
        uint32_t slot = (uint32_t)i % slots;
        /* the pipeline's order: slot i is free again once frame i - S retired */
        released_by(&rel, i - (int)slots + 1);
        if (pause_ms)
            sleep_ms(pause_ms); /* a slow consumer: the camera has no free buffer */
        uint64_t frame = 0, ts = 0, before = dropped;
        if (src.ops->next(&src, policy, bufs[slot], 10000, &frame, &dropped, &ts, &err) !=
            BATON_OK) {
            snprintf(why, sizeof why, "frame %d: %s", i, err.message);
            ok = 0;
            break;
        }
        if (i == 0) {
            first = frame;
        } else if (frame <= last || frame - last - 1 != dropped - before || ts <= last_ts) {
            snprintf(why, sizeof why, "frame %llu after %llu: dropped grew by %llu, "
                     "timestamp %llu after %llu",
                     (unsigned long long)frame, (unsigned long long)last,
                     (unsigned long long)(dropped - before), (unsigned long long)ts,
                     (unsigned long long)last_ts);
            ok = 0;
        }
        int distinct = 0, marker = 1;
        static unsigned char seen[256];
        memset(seen, 0, sizeof seen);
        for (size_t k = 0; k < src.frame_bytes; k += 7)
            if (!seen[bufs[slot][k]]++)
                distinct++;
        for (size_t k = 0; k < 64; k++)
            marker &= bufs[slot][k] == 0xA5;
        if (distinct < 4 || marker) {
            snprintf(why, sizeof why, "frame %llu: slot %u's buffer %s (%d distinct byte values)",
                     (unsigned long long)frame, slot,
                     marker ? "still holds the marker" : "looks blank", distinct);
            ok = 0;
        }
        last = frame;
        last_ts = ts;
        got++;
        memset(bufs[slot], 0xA5, 64); /* the camera must overwrite this next time */
        release_async(&rel, bufs[slot]);
    }
    if (threaded) {
        pthread_mutex_lock(&rel.lock);
        rel.stop = 1;
        pthread_cond_broadcast(&rel.cond);
        pthread_mutex_unlock(&rel.lock);
        pthread_join(thread, NULL);
    }
    if (ok && pause_ms && dropped == 0) {
        snprintf(why, sizeof why, "a slow consumer and the camera dropped nothing");
        ok = 0;
    }
    result(ok, name, "%s %ux%u, %u slots: %s; %d frames, sequence %llu..%llu, %llu dropped%s%s",
           baton_format_name(src.format), src.width, src.height, slots, src.io, got,
           (unsigned long long)first, (unsigned long long)last, (unsigned long long)dropped,
           ok ? "" : "; ", why);
    src.ops->close(&src); /* STREAMOFF before the buffers go */
    for (uint32_t i = 0; i < slots; i++)
        free(bufs[i]);
}

/* A driver without USERPTR (vivid with allocators=1, dma-contig): bind
 * refuses, MMAP streaming stays, and frames are copied. */
static void userptr_refused_case(const char *dev)
{
    char spec[300];
    snprintf(spec, sizeof spec, "v4l2:%s", dev);
    source src;
    baton_error err;
    if (open_v4l2(&src, spec, BATON_FORMAT_YUYV, 320, 240, &err) != BATON_OK) {
        result(0, "userptr-refused", "open %s: %s", spec, err.message);
        return;
    }
    uint8_t *bufs[2] = {0};
    char why[600] = "";
    int ok = alloc_slots(bufs, 2, src.frame_bytes) == 0;
    baton_status st = ok ? src.ops->bind(&src, bufs, 2, src.frame_bytes, &err) : BATON_ERR_OUT_OF_MEMORY;
    v4l2_source_info info;
    source_v4l2_info(&src, &info, NULL);
    if (st != BATON_ERR_UNSUPPORTED || !strstr(src.io, "MMAP + one CPU copy a frame (USERPTR refused: ") ||
        info.memory != V4L2_MEMORY_MMAP) {
        snprintf(why, sizeof why, "bind gave %s (%s), memory %u", baton_strerror(st),
                 st == BATON_OK ? "bound" : err.message, info.memory);
        ok = 0;
    }
    uint64_t dropped = 0, frame = 0, ts;
    for (int i = 0; ok && i < 3; i++)
        if (src.ops->next(&src, BATON_POLICY_BACKPRESSURE, bufs[i % 2], 10000, &frame, &dropped,
                          &ts, &err) != BATON_OK) {
            snprintf(why, sizeof why, "frame %d after the refusal: %s", i, err.message);
            ok = 0;
        }
    result(ok, "userptr-refused", "%s: %s; 3 frames copied, last %llu%s%s", dev, src.io,
           (unsigned long long)frame, ok ? "" : "; ", why);
    src.ops->close(&src);
    free(bufs[0]);
    free(bufs[1]);
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

/* Unplug while streaming (bound with USERPTR when `userptr`: the pipeline
 * then holds both slots' buffers and gives one back after the unplug). */
static void unplug_case(const char *name, const char *dev, int userptr)
{
    char spec[300], why[600];
    snprintf(spec, sizeof spec, "v4l2:%s", dev);
    source src;
    baton_error err;
    if (open_v4l2(&src, spec, BATON_FORMAT_YUYV, 320, 240, &err) != BATON_OK) {
        result(0, name, "open: %s", err.message);
        return;
    }
    uint8_t *bufs[2] = {0};
    uint64_t frame, dropped = 0, ts;
    int ok = alloc_slots(bufs, 2, src.frame_bytes) == 0;
    if (ok && userptr && (src.ops->bind(&src, bufs, 2, src.frame_bytes, &err) != BATON_OK ||
                          strcmp(src.io, IO_USERPTR) != 0)) {
        result(0, name, "bind: %s (%s)", err.message, src.io);
        ok = -1;
    }
    for (int i = 0; ok == 1 && i < 2; i++)
        ok = src.ops->next(&src, BATON_POLICY_BACKPRESSURE, bufs[i], 10000, &frame, &dropped,
                           &ts, &err) == BATON_OK;
    if (ok == 0) {
        result(0, name, "frames before the unplug: %s", err.message);
    } else if (ok == 1 && vivid_disconnect(dev, why, sizeof why) < 0) {
        result(0, name, "%s", why);
    } else if (ok == 1) {
        if (userptr)
            src.ops->release(&src, bufs[0]); /* fails: the next next() says so */
        baton_status st = BATON_OK;
        for (int i = 0; i < 8 && st == BATON_OK; i++) { /* frames already done may come first */
            st = src.ops->next(&src, BATON_POLICY_NEWEST, bufs[i % 2], 10000, &frame, &dropped,
                               &ts, &err);
            if (st == BATON_OK && userptr)
                src.ops->release(&src, bufs[i % 2]);
        }
        result(st == BATON_ERR_DISCONNECTED && strstr(err.message, "device gone") != NULL, name,
               "%s: after vivid's Disconnect: %s", src.io,
               st == BATON_OK ? "frames kept coming" : err.message);
    }
    src.ops->close(&src);
    free(bufs[0]);
    free(bufs[1]);
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
        fprintf(stderr, "usage: %s CAPTURE_DEV [NON_CAPTURE_SPEC [CAPTURE_DEV_WITHOUT_USERPTR]]\n",
                argv[0]);
        return 2;
    }
    const char *dev = argv[1];
    const char *dev2 = argc > 3 ? argv[3] : NULL;
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
    if (argc > 2 && argv[2][0])
        expect_error("not-capture", argv[2], BATON_ERR_UNSUPPORTED,
                     "not a video capture device");
    /* bound to the caller's buffers: the camera writes into them */
    userptr_case("userptr-yuyv-640x480", dev, "", BATON_FORMAT_YUYV, 640, 480, 2,
                 BATON_POLICY_BACKPRESSURE, 12, 0);
    userptr_case("userptr-nv12-3-slots", dev, ":NV12", BATON_FORMAT_YUYV, 320, 240, 3,
                 BATON_POLICY_BACKPRESSURE, 9, 0);
    userptr_case("userptr-uyvy-odd-size", dev, "", BATON_FORMAT_UYVY, 333, 201, 2,
                 BATON_POLICY_BACKPRESSURE, 4, 0);
    userptr_case("userptr-slow-consumer", dev, "", BATON_FORMAT_YUYV, 320, 240, 2,
                 BATON_POLICY_NEWEST, 5, 400);
    /* last: the nodes are gone afterwards */
    if (dev2) {
        userptr_refused_case(dev2);
        unplug_case("unplug", dev2, 0);
        unplug_case("unplug-userptr", dev, 1);
    } else {
        unplug_case("unplug", dev, 0);
    }
    int now = fd_count();
    result(now == fds, "no-fd-leak", "%d fds before, %d after", fds, now);
    printf("KTEST RESULT: %d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}
