/* check_source_v4l2.c - the V4L2 source against a test double of a camera.
 *
 * The double (fake_*) stands behind the v4l2_io table and behaves like a
 * vb2 capture driver of a YUYV webcam: QUERYCAP, an ENUM_FMT list, S_FMT
 * that pads bytesperline and may round the size, REQBUFS/QUERYBUF, mmap onto
 * real memory, EXPBUF as real fds, USERPTR buffers in the application's
 * memory (or refusing them: not offered, too few, memory it cannot pin),
 * QBUF/DQBUF (non-blocking: EAGAIN) with sequence numbers and monotonic
 * timestamps, poll readiness, a lock of its own (QBUF may come from another
 * thread). Each poll is a moment of camera time: the camera fills up to
 * frames_per_poll queued buffers with baton_pattern_fill of their sequence
 * number (a frame it has no buffer for is lost, its sequence number
 * skipped, as vb2 drivers do). It can pause, stall, be unplugged (every
 * ioctl then ENODEV, poll POLLERR|HUP), flag corrupt buffers and fail the
 * n-th system call. At STREAMOFF it reads the USERPTR buffers it holds, so
 * that a sanitizer sees staging freed while the camera still had it.
 *
 * Checks: the ioctl sequence; pixels (padding removed) directly and through
 * the whole pipeline on this machine's Vulkan with the CPU stage; format
 * fallback and the "nothing fits" error; capability errors; the stall
 * timeout; the unplug error with nothing leaked; the NEWEST policy's drops;
 * driver-side sequence gaps; timestamps; DMA-BUF export on and off; every
 * error path of open leaking nothing. USERPTR (the source bound to the
 * slots' staging): the frame in the slot's own buffer, gaps, the order
 * mending after a corrupt frame, release from another thread while next()
 * waits, unplug (release fails, the next next() says so), misuse, each
 * refusal falling back to MMAP + copy with the reason in io, every failure
 * point of the set-up, the pipeline over it (io in the stats) and its
 * steady state allocating nothing. */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "baton/caps.h"
#include "baton/context.h"
#include "sources/pattern.h"
#include "baton/pipeline.h"
#include "util/baton_internal.h"
#include "sources/source.h"
#include "util_reference.h"
#include "util_steady.h"
#include "util_test.h"
#include "sources/v4l2_io.h"
#include "util/fault.h"

/* ---- the double ---------------------------------------------------------- */

#define FAKE_PATH "/dev/video0"
#define FAKE_MAX_BUFS 8u
#define FAKE_OFFSET_STEP 0x100000u
#define FAKE_FRAME_US 33333u
#define FAKE_BASE_US 1000000ull /* the first frame's timestamp: 1 s after boot */
#define FAKE_LOG_MAX 256u

typedef struct fake_buf {
    uint8_t *mem; /* MMAP: the driver's; USERPTR: the application's */
    size_t length;
    bool mapped;
    uint32_t sequence, flags;
    struct timeval timestamp;
} fake_buf;

typedef struct fake_cam {
    /* how the camera behaves */
    uint32_t caps;                  /* device_caps */
    uint32_t formats[8], nformats;  /* ENUM_FMT's list */
    uint32_t pad;                   /* bytes added to every row by S_FMT */
    uint32_t force_w, force_h;      /* S_FMT answers this size (0: as asked) */
    uint32_t give_buffers;          /* REQBUFS answers this count (0: as asked) */
    bool expbuf;                    /* VIDIOC_EXPBUF works */
    bool userptr;                   /* V4L2_MEMORY_USERPTR works */
    bool report_caps;               /* REQBUFS reports capabilities (older kernels: 0) */
    uint32_t userptr_give;          /* USERPTR REQBUFS answers this count (0: as asked) */
    int userptr_qbuf_errno;         /* USERPTR QBUF fails so (EFAULT: memory it cannot pin) */
    bool paused;                    /* the camera takes no picture while set */
    uint32_t frames_per_poll;       /* camera frames per poll (its speed) */
    uint32_t seq_step;              /* sequence step per frame (2: every other lost) */
    uint32_t ts_flags;              /* V4L2_BUF_FLAG_TIMESTAMP_* */
    uint64_t ts_base_us;            /* frame 0's timestamp (FAKE_BASE_US) */
    uint32_t error_seq;             /* sequence flagged V4L2_BUF_FLAG_ERROR */
    uint64_t stall_after;           /* no frame after this many dequeued */
    uint64_t gone_after;            /* unplugged after this many dequeued */
    /* coming back (the pipeline's RESYNC): once the device is closed after
     * it stalled or went away, absent_opens opens fail with ENOENT (the
     * node is gone; UINT32_MAX: it never comes back), then one succeeds:
     * a fresh device (streaming again from sequence 0; back_w x back_h
     * when set), neither stalled nor gone */
    bool comes_back;
    uint32_t absent_opens;
    uint32_t back_w, back_h;
    int fail_call;                  /* fail the n-th open/ioctl/mmap/poll (0: never) */
    int fail_errno;
    /* driver state */
    int fd;
    bool nonblock, streaming, gone;
    uint32_t fmt, width, height, bpl, sizeimage;
    uint32_t memory; /* of the buffers allocated (0: none) */
    uint32_t nbufs;
    fake_buf bufs[FAKE_MAX_BUFS];
    uint32_t queued[FAKE_MAX_BUFS], nqueued; /* FIFO: the order the camera fills */
    uint32_t done[FAKE_MAX_BUFS], ndone;     /* FIFO: the order DQBUF returns */
    uint32_t next_seq;
    uint64_t dequeued;
    int exported[FAKE_MAX_BUFS * 4];
    uint32_t nexported;
    /* counts */
    int calls, opens, closes, mmaps, munmaps, exports, export_closes, polls;
    bool away;                 /* comes_back: closed while stalled or gone, not back yet */
    uint32_t absent_left;      /* opens still to refuse */
    int refused_opens, returns; /* opens refused while away; times it came back */
    uint64_t userptr_qbufs, userptr_repins; /* USERPTR QBUFs; of them, a new address for a buffer */
    uint64_t userptr_touched;               /* bytes of USERPTR buffers read at STREAMOFF */
    unsigned long log[FAKE_LOG_MAX];
    uint32_t nlog;
    uint32_t s_fmt_asked; /* pixelformat of the last S_FMT */
} fake_cam;

static fake_cam cam;
static uint8_t tight[4 * 1024 * 1024]; /* one packed frame, the camera's scratch */
/* The driver's own lock (vb2's queue lock): the source's release() runs on
 * the pipeline's completion thread while next() polls and dequeues on the
 * driving thread. Not held while poll sleeps. */
static pthread_mutex_t cam_lock = PTHREAD_MUTEX_INITIALIZER;

/* Checks inside the double's calls: Check's ck_assert records its location
 * even when it passes (which allocates), and the double runs inside the
 * zero-allocation windows: this one costs nothing until it fails. */
#define FAKE_REQUIRE(expr, ...)                                                                  \
    do {                                                                                         \
        if (!(expr))                                                                             \
            ck_abort_msg(__VA_ARGS__);                                                           \
    } while (0)

static void fake_reset(void)
{
    memset(&cam, 0, sizeof cam);
    cam.caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_READWRITE;
    cam.formats[0] = V4L2_PIX_FMT_YUYV;
    cam.formats[1] = V4L2_PIX_FMT_MJPEG;
    cam.nformats = 2;
    cam.pad = 64;
    cam.expbuf = true;
    cam.userptr = true;
    cam.report_caps = true;
    cam.frames_per_poll = 1;
    cam.seq_step = 1;
    cam.ts_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
    cam.ts_base_us = FAKE_BASE_US;
    cam.error_seq = UINT32_MAX;
    cam.stall_after = UINT64_MAX;
    cam.gone_after = UINT64_MAX;
    cam.fd = -1;
}

/* mmap never fails with EINTR; the others may. */
static bool inject_failure(bool may_eintr)
{
    cam.calls++;
    if (cam.fail_call && cam.calls == cam.fail_call && (may_eintr || cam.fail_errno != EINTR)) {
        errno = cam.fail_errno;
        return true;
    }
    return false;
}

static bool to_format(uint32_t fourcc, baton_format *out)
{
    switch (fourcc) {
    case V4L2_PIX_FMT_YUYV: *out = BATON_FORMAT_YUYV; return true;
    case V4L2_PIX_FMT_UYVY: *out = BATON_FORMAT_UYVY; return true;
    case V4L2_PIX_FMT_NV12: *out = BATON_FORMAT_NV12; return true;
    case V4L2_PIX_FMT_GREY: *out = BATON_FORMAT_GREY8; return true;
    case V4L2_PIX_FMT_RGB24: *out = BATON_FORMAT_RGB24; return true;
    default: return false;
    }
}

/* Packed row bytes and rows of a frame of the camera's format. */
static void geometry(uint32_t fourcc, uint32_t w, uint32_t h, uint32_t *row, uint32_t *rows)
{
    *rows = h;
    switch (fourcc) {
    case V4L2_PIX_FMT_YUYV:
    case V4L2_PIX_FMT_UYVY: *row = w * 2; break;
    case V4L2_PIX_FMT_NV12: *row = w; *rows = h + h / 2; break;
    case V4L2_PIX_FMT_GREY: *row = w; break;
    case V4L2_PIX_FMT_RGB24: *row = w * 3; break;
    default: *row = 0; *rows = 0; break; /* compressed */
    }
}

/* The camera exposes one frame into the oldest queued buffer, if any. */
static void camera_frame(void)
{
    uint32_t seq = cam.next_seq;
    cam.next_seq += cam.seq_step;
    if (cam.nqueued == 0)
        return; /* no buffer: this frame is lost */
    uint32_t i = cam.queued[0];
    memmove(cam.queued, cam.queued + 1, --cam.nqueued * sizeof cam.queued[0]);
    fake_buf *b = &cam.bufs[i];
    baton_format fmt;
    uint32_t row, rows;
    FAKE_REQUIRE(to_format(cam.fmt, &fmt), "camera format 0x%x", cam.fmt);
    geometry(cam.fmt, cam.width, cam.height, &row, &rows);
    baton_pattern_fill(fmt, cam.width, cam.height, seq, tight);
    memset(b->mem, 0xEE, b->length); /* padding a reader must skip, or the tail past a frame */
    for (uint32_t r = 0; r < rows; r++)
        memcpy(b->mem + (size_t)r * cam.bpl, tight + (size_t)r * row, row);
    uint64_t us = cam.ts_base_us + (uint64_t)seq * FAKE_FRAME_US;
    b->timestamp.tv_sec = (time_t)(us / 1000000u);
    b->timestamp.tv_usec = (suseconds_t)(us % 1000000u);
    b->sequence = seq;
    b->flags = cam.ts_flags | (seq == cam.error_seq ? V4L2_BUF_FLAG_ERROR : 0);
    cam.done[cam.ndone++] = i;
}

static int fake_open(const char *path, int flags)
{
    if (inject_failure(true))
        return -1;
    if (strcmp(path, FAKE_PATH) != 0) {
        errno = ENOENT;
        return -1;
    }
    if (cam.away && (cam.absent_left == UINT32_MAX || cam.absent_left-- > 0)) {
        cam.refused_opens++;
        errno = ENOENT; /* unplugged: no such node */
        return -1;
    }
    if (cam.away) { /* plugged in again: a fresh device */
        cam.away = false;
        cam.gone = false;
        cam.gone_after = cam.stall_after = UINT64_MAX;
        if (cam.back_w) {
            cam.force_w = cam.back_w;
            cam.force_h = cam.back_h;
        }
        cam.returns++;
    }
    ck_assert_msg(cam.fd < 0, "the double is one device, opened once");
    cam.fd = open("/dev/null", O_RDWR | O_CLOEXEC); /* a real fd, so fd counts see it */
    ck_assert_int_ge(cam.fd, 0);
    cam.nonblock = (flags & O_NONBLOCK) != 0;
    cam.opens++;
    return cam.fd;
}

static void free_buffers(void)
{
    for (uint32_t i = 0; i < cam.nbufs; i++) {
        ck_assert_msg(!cam.bufs[i].mapped, "buffer %u freed while still mapped", i);
        if (cam.memory == V4L2_MEMORY_MMAP)
            free(cam.bufs[i].mem);
    }
    memset(cam.bufs, 0, sizeof cam.bufs);
    cam.nbufs = cam.nqueued = cam.ndone = 0;
    cam.memory = 0;
}

/* A driver uses the application's USERPTR memory until STREAMOFF (DMA, and
 * at STREAMOFF the cache maintenance of the buffers it hands back): read
 * each one it holds, so that a sanitizer sees staging freed before the
 * source stopped streaming. */
static void touch_userptr_buffers(void)
{
    if (cam.memory != V4L2_MEMORY_USERPTR)
        return;
    volatile uint8_t sink = 0;
    for (uint32_t k = 0; k < cam.nqueued + cam.ndone; k++) {
        const fake_buf *b = &cam.bufs[k < cam.nqueued ? cam.queued[k] : cam.done[k - cam.nqueued]];
        sink = (uint8_t)(sink ^ b->mem[0] ^ b->mem[b->length - 1]);
        cam.userptr_touched += 2;
    }
    (void)sink;
}

static int fake_close(int fd)
{
    if (fd >= 0 && fd == cam.fd) {
        cam.closes++;
        cam.fd = -1;
        cam.streaming = false;
        /* a driver frees its buffers when the last user goes; mappings
         * and exported dma-bufs are users, which the source undoes first */
        for (uint32_t i = 0; i < cam.nbufs; i++)
            ck_assert_msg(!cam.bufs[i].mapped, "device closed with buffer %u mapped", i);
        ck_assert_msg(cam.nexported == 0, "device closed with %u dma-bufs open", cam.nexported);
        free_buffers();
        if (cam.comes_back && (cam.gone || cam.dequeued >= cam.stall_after)) {
            cam.away = true;
            cam.absent_left = cam.absent_opens;
        }
        return close(fd);
    }
    for (uint32_t i = 0; i < cam.nexported; i++)
        if (cam.exported[i] == fd) {
            cam.exported[i] = cam.exported[--cam.nexported];
            cam.export_closes++;
            return close(fd);
        }
    ck_abort_msg("close(%d): not an fd of the double", fd);
    return -1;
}

static void *fake_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    (void)addr;
    if (inject_failure(false))
        return MAP_FAILED;
    ck_assert_int_eq(fd, cam.fd);
    ck_assert(prot & PROT_READ);
    ck_assert(flags & MAP_SHARED);
    uint32_t i = (uint32_t)((uint64_t)offset / FAKE_OFFSET_STEP);
    if (i >= cam.nbufs || length != cam.bufs[i].length ||
        (uint64_t)offset % FAKE_OFFSET_STEP != 0) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    ck_assert_msg(!cam.bufs[i].mapped, "buffer %u mapped twice", i);
    cam.bufs[i].mapped = true;
    cam.mmaps++;
    return cam.bufs[i].mem;
}

static int fake_munmap(void *addr, size_t length)
{
    for (uint32_t i = 0; i < cam.nbufs; i++)
        if (cam.bufs[i].mapped && cam.bufs[i].mem == addr && cam.bufs[i].length == length) {
            cam.bufs[i].mapped = false;
            cam.munmaps++;
            return 0;
        }
    ck_abort_msg("munmap(%p, %zu): not a mapping of the double", addr, length);
    return -1;
}

static void sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    if (ms > 5000)
        ms = 5000;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Each call is a moment of camera time: the camera takes up to
 * frames_per_poll pictures (once, as soon as it is not paused), then the call
 * waits, in short naps, until a buffer is done or the timeout is over. */
static int fake_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    pthread_mutex_lock(&cam_lock);
    bool fail = inject_failure(true);
    if (!fail)
        cam.polls++;
    pthread_mutex_unlock(&cam_lock);
    if (fail)
        return -1;
    FAKE_REQUIRE(nfds == 1 && fds[0].fd == cam.fd, "poll: not the double's fd");
    uint64_t deadline = baton_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    bool pictures_taken = false;
    for (;;) {
        pthread_mutex_lock(&cam_lock);
        fds[0].revents = 0;
        if (cam.dequeued >= cam.gone_after)
            cam.gone = true; /* unplugged: the next poll sees it */
        if (cam.gone)
            fds[0].revents = POLLERR | POLLHUP;
        else if (!cam.streaming)
            fds[0].revents = POLLERR;
        if (!fds[0].revents && !pictures_taken && !cam.paused) {
            pictures_taken = true;
            if (cam.dequeued < cam.stall_after)
                for (uint32_t k = 0; k < cam.frames_per_poll; k++)
                    camera_frame();
        }
        if (!fds[0].revents && cam.ndone)
            fds[0].revents = fds[0].events & (POLLIN | POLLRDNORM);
        pthread_mutex_unlock(&cam_lock);
        if (fds[0].revents)
            return 1;
        uint64_t now = baton_now_ns();
        if (now >= deadline)
            return 0;
        uint64_t left_ms = (deadline - now + 999999u) / 1000000u;
        sleep_ms(left_ms < 2 ? (int)left_ms : 2);
    }
}

static int fail_with(int e)
{
    errno = e;
    return -1;
}

static int fake_ioctl_locked(int fd, unsigned long request, void *arg)
{
    if (inject_failure(true))
        return -1;
    FAKE_REQUIRE(fd == cam.fd, "ioctl on fd %d, not the double's %d", fd, cam.fd);
    if (cam.nlog < FAKE_LOG_MAX)
        cam.log[cam.nlog++] = request;
    if (cam.gone)
        return fail_with(ENODEV);
    switch (request) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, "fakecam");
        snprintf((char *)c->card, sizeof c->card, "Fake YUYV Camera");
        snprintf((char *)c->bus_info, sizeof c->bus_info, "usb-0000:00:14.0-1");
        c->version = 0x060100;
        c->device_caps = cam.caps;
        c->capabilities = cam.caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index >= cam.nformats)
            return fail_with(EINVAL);
        d->pixelformat = cam.formats[d->index];
        d->flags = d->pixelformat == V4L2_PIX_FMT_MJPEG ? V4L2_FMT_FLAG_COMPRESSED : 0;
        snprintf((char *)d->description, sizeof d->description, "format %u", d->index);
        return 0;
    }
    case VIDIOC_S_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return fail_with(EINVAL);
        if (cam.nbufs)
            return fail_with(EBUSY);
        cam.s_fmt_asked = f->fmt.pix.pixelformat;
        bool known = false;
        for (uint32_t i = 0; i < cam.nformats; i++)
            known |= cam.formats[i] == f->fmt.pix.pixelformat;
        struct v4l2_pix_format *p = &f->fmt.pix;
        if (!known)
            p->pixelformat = cam.formats[0]; /* drivers pick one they have */
        if (cam.force_w)
            p->width = cam.force_w;
        if (cam.force_h)
            p->height = cam.force_h;
        uint32_t row, rows;
        geometry(p->pixelformat, p->width, p->height, &row, &rows);
        p->bytesperline = row ? row + cam.pad : 0;
        p->sizeimage = row ? p->bytesperline * rows : p->width * p->height;
        p->field = V4L2_FIELD_NONE;
        p->colorspace = V4L2_COLORSPACE_SMPTE170M;
        cam.fmt = p->pixelformat;
        cam.width = p->width;
        cam.height = p->height;
        cam.bpl = p->bytesperline;
        cam.sizeimage = p->sizeimage;
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        bool user = r->memory == V4L2_MEMORY_USERPTR;
        if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE ||
            (r->memory != V4L2_MEMORY_MMAP && !(user && cam.userptr)))
            return fail_with(EINVAL);
        if (cam.streaming)
            return fail_with(EBUSY);
        free_buffers();
        r->capabilities = !cam.report_caps ? 0
                          : V4L2_BUF_CAP_SUPPORTS_MMAP | V4L2_BUF_CAP_SUPPORTS_DMABUF |
                                (cam.userptr ? V4L2_BUF_CAP_SUPPORTS_USERPTR : 0);
        if (r->count == 0)
            return 0;
        uint32_t give = user ? cam.userptr_give : cam.give_buffers;
        uint32_t n = give ? give : r->count;
        if (n > FAKE_MAX_BUFS)
            n = FAKE_MAX_BUFS;
        for (uint32_t i = 0; i < n && !user; i++) {
            cam.bufs[i].length = (cam.sizeimage + 4095u) & ~4095u;
            cam.bufs[i].mem = malloc(cam.bufs[i].length);
            ck_assert_ptr_nonnull(cam.bufs[i].mem);
        }
        cam.nbufs = n;
        cam.memory = r->memory;
        r->count = give ? give : n;
        return 0;
    }
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *b = arg;
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != cam.memory ||
            b->index >= cam.nbufs)
            return fail_with(EINVAL);
        b->length = (uint32_t)cam.bufs[b->index].length;
        b->m.offset = b->index * FAKE_OFFSET_STEP;
        b->flags = cam.bufs[b->index].mapped ? V4L2_BUF_FLAG_MAPPED : 0;
        return 0;
    }
    case VIDIOC_EXPBUF: {
        struct v4l2_exportbuffer *x = arg;
        if (!cam.expbuf)
            return fail_with(ENOTTY);
        if (x->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || x->index >= cam.nbufs || x->plane ||
            cam.memory != V4L2_MEMORY_MMAP)
            return fail_with(EINVAL);
        ck_assert_uint_lt(cam.nexported, BATON_ARRAY_LEN(cam.exported));
        x->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(x->fd, 0);
        cam.exported[cam.nexported++] = x->fd;
        cam.exports++;
        return 0;
    }
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != cam.memory ||
            b->index >= cam.nbufs)
            return fail_with(EINVAL);
        for (uint32_t i = 0; i < cam.nqueued; i++)
            if (cam.queued[i] == b->index)
                return fail_with(EINVAL); /* already queued */
        for (uint32_t i = 0; i < cam.ndone; i++)
            if (cam.done[i] == b->index)
                return fail_with(EINVAL);
        if (b->memory == V4L2_MEMORY_USERPTR) {
            fake_buf *fb = &cam.bufs[b->index];
            if (cam.userptr_qbuf_errno) {
                cam.gone |= cam.userptr_qbuf_errno == ENODEV; /* unplugged right then */
                return fail_with(cam.userptr_qbuf_errno);
            }
            if (!b->m.userptr || b->length < cam.sizeimage)
                return fail_with(EINVAL); /* vb2: smaller than the format's sizeimage */
            if (fb->mem && fb->mem != (uint8_t *)b->m.userptr)
                cam.userptr_repins++;
            fb->mem = (uint8_t *)b->m.userptr;
            fb->length = b->length;
            cam.userptr_qbufs++;
        }
        cam.queued[cam.nqueued++] = b->index;
        return 0;
    }
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        FAKE_REQUIRE(cam.nonblock, "DQBUF on a blocking fd could wait forever");
        if (cam.gone)
            return fail_with(ENODEV);
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != cam.memory ||
            !cam.streaming)
            return fail_with(EINVAL);
        if (cam.ndone == 0)
            return fail_with(EAGAIN);
        uint32_t i = cam.done[0];
        memmove(cam.done, cam.done + 1, --cam.ndone * sizeof cam.done[0]);
        const fake_buf *fb = &cam.bufs[i];
        b->index = i;
        b->bytesused = cam.sizeimage;
        b->flags = fb->flags;
        b->field = V4L2_FIELD_NONE;
        b->timestamp = fb->timestamp;
        b->sequence = fb->sequence;
        b->length = (uint32_t)fb->length;
        if (cam.memory == V4L2_MEMORY_USERPTR)
            b->m.userptr = (unsigned long)fb->mem;
        else
            b->m.offset = i * FAKE_OFFSET_STEP;
        cam.dequeued++;
        return 0;
    }
    case VIDIOC_STREAMON:
        if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE || cam.nbufs == 0)
            return fail_with(EINVAL);
        cam.streaming = true;
        cam.next_seq = 0;
        return 0;
    case VIDIOC_STREAMOFF:
        if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return fail_with(EINVAL);
        touch_userptr_buffers();
        cam.streaming = false;
        cam.nqueued = cam.ndone = 0; /* every buffer back to the application */
        return 0;
    default:
        return fail_with(ENOTTY);
    }
}

static int fake_ioctl(int fd, unsigned long request, void *arg)
{
    pthread_mutex_lock(&cam_lock);
    int r = fake_ioctl_locked(fd, request, arg);
    int e = errno;
    pthread_mutex_unlock(&cam_lock);
    errno = e;
    return r;
}

static const v4l2_io fake_io = {
    .open = fake_open,
    .close = fake_close,
    .ioctl = fake_ioctl,
    .mmap = fake_mmap,
    .munmap = fake_munmap,
    .poll = fake_poll,
};

/* The double's own books balance: everything opened, mapped, exported
 * was closed, unmapped, closed. */
static void assert_balanced(void)
{
    ck_assert_int_eq(cam.opens, cam.closes);
    ck_assert_int_eq(cam.mmaps, cam.munmaps);
    ck_assert_int_eq(cam.exports, cam.export_closes);
    ck_assert_int_eq(cam.fd, -1);
    ck_assert_uint_eq(cam.nexported, 0);
}

static void setup(void)
{
    fake_reset();
    v4l2_io_set(&fake_io);
}

static void teardown(void)
{
    v4l2_io_set(NULL);
}

static uint32_t count_log(unsigned long request)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < cam.nlog; i++)
        n += cam.log[i] == request;
    return n;
}

/* ---- direct use of the source --------------------------------------------- */

START_TEST(test_open_sequence_and_frames)
{
    int before = test_open_fd_count();
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    ck_assert_int_eq(src.format, BATON_FORMAT_YUYV);
    ck_assert_uint_eq(src.width, 160);
    ck_assert_uint_eq(src.height, 96);
    ck_assert_uint_eq(src.frame_bytes, 160 * 96 * 2);

    /* the order a V4L2 application must follow */
    static const unsigned long expect[] = {
        VIDIOC_QUERYCAP, VIDIOC_ENUM_FMT, VIDIOC_ENUM_FMT, VIDIOC_ENUM_FMT, VIDIOC_S_FMT,
        VIDIOC_REQBUFS,  VIDIOC_QUERYBUF, VIDIOC_QUERYBUF, VIDIOC_QUERYBUF, VIDIOC_QUERYBUF,
        VIDIOC_EXPBUF,   VIDIOC_EXPBUF,   VIDIOC_EXPBUF,   VIDIOC_EXPBUF,   VIDIOC_QBUF,
        VIDIOC_QBUF,     VIDIOC_QBUF,     VIDIOC_QBUF,     VIDIOC_STREAMON,
    };
    ck_assert_uint_eq(cam.nlog, BATON_ARRAY_LEN(expect));
    for (uint32_t i = 0; i < cam.nlog; i++)
        ck_assert_msg(cam.log[i] == expect[i], "ioctl %u is 0x%lx, want 0x%lx", i, cam.log[i],
                      expect[i]);
    ck_assert(cam.nonblock);
    ck_assert_uint_eq(cam.s_fmt_asked, V4L2_PIX_FMT_YUYV);

    v4l2_source_info info;
    ck_assert_int_eq(source_v4l2_info(&src, &info, &err), BATON_OK);
    ck_assert_uint_eq(info.pixelformat, V4L2_PIX_FMT_YUYV);
    ck_assert_uint_eq(info.bytesperline, 160 * 2 + 64);
    ck_assert_uint_eq(info.buffers, 4);
    ck_assert(info.dmabuf_export);
    ck_assert_int_eq(info.dmabuf_errno, 0);
    for (uint32_t i = 0; i < 4; i++) {
        ck_assert_int_ge(info.dmabuf_fds[i], 0);
        for (uint32_t j = 0; j < i; j++)
            ck_assert_int_ne(info.dmabuf_fds[i], info.dmabuf_fds[j]);
    }
    ck_assert_int_eq(info.dmabuf_fds[4], -1);
    ck_assert_int_eq(test_open_fd_count(), before + 5); /* device + 4 dma-bufs */

    static uint8_t got[160 * 96 * 2], want[160 * 96 * 2];
    uint64_t dropped = 0;
    for (uint64_t i = 0; i < 10; i++) {
        uint64_t frame = UINT64_MAX, ts = 0;
        ck_assert_msg(source_next(&src, BATON_POLICY_BACKPRESSURE, got, 500, &frame, &dropped,
                                  &ts, &err) == BATON_OK,
                      "%s", err.message);
        ck_assert_uint_eq(frame, i);
        ck_assert_uint_eq(ts, (FAKE_BASE_US + i * FAKE_FRAME_US) * 1000u);
        baton_pattern_fill(BATON_FORMAT_YUYV, 160, 96, i, want);
        ck_assert_msg(memcmp(got, want, sizeof got) == 0, "frame %llu pixels differ",
                      (unsigned long long)i);
        ck_assert_uint_eq(cam.nqueued + cam.ndone, 4); /* every buffer back with the driver */
    }
    ck_assert_uint_eq(dropped, 0);
    uint32_t before_close = cam.nlog;
    source_close(&src);
    ck_assert_uint_eq(cam.nlog, before_close + 1);
    ck_assert_uint_eq(cam.log[before_close], VIDIOC_STREAMOFF);
    assert_balanced();
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

START_TEST(test_driver_adjusts_size)
{
    cam.force_w = 176;
    cam.force_h = 144;
    cam.pad = 0; /* tight rows: one memcpy */
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 170, 100, &err) ==
                      BATON_OK,
                  "%s", err.message);
    ck_assert_uint_eq(src.width, 176);
    ck_assert_uint_eq(src.height, 144);
    ck_assert_uint_eq(src.frame_bytes, 176 * 144 * 2);
    static uint8_t got[176 * 144 * 2], want[176 * 144 * 2];
    uint64_t frame, dropped = 0, ts;
    ck_assert_msg(source_next(&src, BATON_POLICY_BACKPRESSURE, got, 500, &frame, &dropped, &ts,
                              &err) == BATON_OK,
                  "%s", err.message);
    baton_pattern_fill(BATON_FORMAT_YUYV, 176, 144, 0, want);
    ck_assert(memcmp(got, want, sizeof got) == 0);
    source_close(&src);
    assert_balanced();
}
END_TEST

typedef struct fallback_case {
    uint32_t offered[4];
    baton_format configured;
    const char *spec;
    uint32_t want_fourcc;
    baton_format want_format;
} fallback_case;

static const fallback_case fallbacks[] = {
    /* the requested one when offered */
    {{V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUYV}, BATON_FORMAT_NV12,
     "v4l2:" FAKE_PATH, V4L2_PIX_FMT_NV12, BATON_FORMAT_NV12},
    /* else YUYV, UYVY, NV12, GREY in that order, whatever the device's order */
    {{V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_UYVY}, BATON_FORMAT_YUYV,
     "v4l2:" FAKE_PATH, V4L2_PIX_FMT_UYVY, BATON_FORMAT_UYVY},
    {{V4L2_PIX_FMT_GREY, V4L2_PIX_FMT_NV12}, BATON_FORMAT_YUYV, "v4l2:" FAKE_PATH,
     V4L2_PIX_FMT_NV12, BATON_FORMAT_NV12},
    {{V4L2_PIX_FMT_H264, V4L2_PIX_FMT_GREY}, BATON_FORMAT_RGB24, "v4l2:" FAKE_PATH,
     V4L2_PIX_FMT_GREY, BATON_FORMAT_GREY8},
    /* the FOURCC in the spec wins over the configured format */
    {{V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_GREY}, BATON_FORMAT_YUYV, "v4l2:" FAKE_PATH ":GREY",
     V4L2_PIX_FMT_GREY, BATON_FORMAT_GREY8},
    {{V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_RGB24}, BATON_FORMAT_YUYV, "v4l2:" FAKE_PATH ":RGB3",
     V4L2_PIX_FMT_RGB24, BATON_FORMAT_RGB24},
    /* a requested FOURCC the device lacks falls back like any other */
    {{V4L2_PIX_FMT_YUYV}, BATON_FORMAT_YUYV, "v4l2:" FAKE_PATH ":uyvy", V4L2_PIX_FMT_YUYV,
     BATON_FORMAT_YUYV},
};

START_TEST(test_format_fallback)
{
    const fallback_case *c = &fallbacks[_i];
    cam.nformats = 0;
    while (cam.nformats < 4 && c->offered[cam.nformats])
        cam.formats[cam.nformats] = c->offered[cam.nformats], cam.nformats++;
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, c->spec, c->configured, 160, 96, &err) == BATON_OK, "%s",
                  err.message);
    ck_assert_uint_eq(cam.s_fmt_asked, c->want_fourcc);
    ck_assert_int_eq(src.format, c->want_format);
    ck_assert_uint_eq(count_log(VIDIOC_ENUM_FMT), cam.nformats + 1);
    /* and it streams that format */
    static uint8_t got[160 * 96 * 3], want[160 * 96 * 3];
    uint64_t frame, dropped = 0, ts;
    ck_assert_msg(source_next(&src, BATON_POLICY_BACKPRESSURE, got, 500, &frame, &dropped, &ts,
                              &err) == BATON_OK,
                  "%s", err.message);
    baton_pattern_fill(c->want_format, 160, 96, frame, want);
    ck_assert(memcmp(got, want, src.frame_bytes) == 0);
    source_close(&src);
    assert_balanced();
}
END_TEST

START_TEST(test_nothing_fits)
{
    int before = test_open_fd_count();
    cam.formats[0] = V4L2_PIX_FMT_MJPEG;
    cam.formats[1] = V4L2_PIX_FMT_H264;
    cam.formats[2] = v4l2_fourcc('Y', '1', '6', ' ') | (1u << 31);
    cam.nformats = 3;
    source src;
    baton_error err;
    ck_assert_int_eq(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err),
                     BATON_ERR_UNSUPPORTED);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "v4l2 " FAKE_PATH ": "), "%s", err.message);
    ck_assert_msg(strstr(err.message, "(YUYV, UYVY, NV12, GREY); the device offers: MJPG H264 Y16-BE"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "YUYV, UYVY, NV12, GREY"), "%s", err.message);
    ck_assert_uint_eq(count_log(VIDIOC_S_FMT), 0);
    assert_balanced();
    ck_assert_int_eq(test_open_fd_count(), before);

    fake_reset();
    cam.nformats = 0;
    ck_assert_int_eq(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "(no formats listed)"), "%s", err.message);
    assert_balanced();
}
END_TEST

START_TEST(test_not_a_capture_device)
{
    static const struct {
        uint32_t caps;
        const char *says;
    } cases[] = {
        {V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_STREAMING, "not a video capture device"},
        {V4L2_CAP_VIDEO_CAPTURE_MPLANE | V4L2_CAP_STREAMING, "multi-planar"},
        {V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_READWRITE, "without streaming I/O"},
    };
    int before = test_open_fd_count();
    for (size_t i = 0; i < BATON_ARRAY_LEN(cases); i++) {
        fake_reset();
        cam.caps = cases[i].caps;
        source src;
        baton_error err;
        ck_assert_int_eq(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err),
                         BATON_ERR_UNSUPPORTED);
        printf("(expected) %s\n", err.message);
        ck_assert_msg(strstr(err.message, cases[i].says), "%s", err.message);
        ck_assert_msg(strstr(err.message, "Fake YUYV Camera"), "%s", err.message);
        ck_assert_uint_eq(cam.nlog, 1); /* nothing after QUERYCAP */
        assert_balanced();
    }
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

START_TEST(test_bad_specs)
{
    static const char *const specs[] = {"v4l2", "v4l2:", "v4l2::YUYV", "v4l2:" FAKE_PATH ":XXXX",
                                        "v4l2:" FAKE_PATH ":RGBA8"};
    for (size_t i = 0; i < BATON_ARRAY_LEN(specs); i++) {
        source src;
        baton_error err;
        ck_assert_int_eq(source_open(&src, specs[i], BATON_FORMAT_YUYV, 160, 96, &err),
                         BATON_ERR_INVALID_ARGUMENT);
        ck_assert_msg(strstr(err.message, "v4l2:/dev/videoN") ||
                          strstr(err.message, "unknown format"),
                      "%s", err.message);
    }
    source src;
    baton_error err;
    ck_assert_int_eq(source_open(&src, "v4l2:/dev/video7", BATON_FORMAT_YUYV, 160, 96, &err),
                     BATON_ERR_OS);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "v4l2 /dev/video7: cannot open: No such file"), "%s",
                  err.message);
    ck_assert_int_eq(cam.opens, 0);
}
END_TEST

/* The default table reaches the real system calls. */
START_TEST(test_real_device_calls)
{
    v4l2_io_set(NULL);
    int before = test_open_fd_count();
    source src;
    baton_error err;
    ck_assert_int_eq(source_open(&src, "v4l2:/dev/baton-no-such-video", BATON_FORMAT_YUYV, 160,
                                 96, &err),
                     BATON_ERR_OS);
    ck_assert_msg(strstr(err.message, "is the camera connected"), "%s", err.message);
    ck_assert_int_eq(source_open(&src, "v4l2:/dev/null", BATON_FORMAT_YUYV, 160, 96, &err),
                     BATON_ERR_UNSUPPORTED);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "v4l2 /dev/null: not a V4L2 device"), "%s", err.message);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

START_TEST(test_stall_times_out)
{
    cam.stall_after = 3;
    int before = test_open_fd_count();
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    static uint8_t dst[160 * 96 * 2];
    uint64_t frame, dropped = 0, ts;
    for (int i = 0; i < 3; i++)
        ck_assert_msg(source_next(&src, BATON_POLICY_BACKPRESSURE, dst, 500, &frame, &dropped,
                                  &ts, &err) == BATON_OK,
                      "%s", err.message);
    uint64_t t0 = now_ms();
    ck_assert_int_eq(
        source_next(&src, BATON_POLICY_BACKPRESSURE, dst, 80, &frame, &dropped, &ts, &err),
        BATON_ERR_TIMEOUT);
    uint64_t waited = now_ms() - t0;
    printf("(expected) %s (after %llu ms)\n", err.message, (unsigned long long)waited);
    ck_assert_str_eq(err.message, "v4l2 " FAKE_PATH ": no frame within 80 ms (camera stalled?)");
    ck_assert_uint_ge(waited, 75);
    ck_assert_uint_lt(waited, 1000);
    source_close(&src);
    assert_balanced();
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

START_TEST(test_unplugged_direct)
{
    cam.gone_after = 2;
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    static uint8_t dst[160 * 96 * 2];
    uint64_t frame, dropped = 0, ts;
    for (int i = 0; i < 2; i++)
        ck_assert_msg(source_next(&src, BATON_POLICY_NEWEST, dst, 500, &frame, &dropped, &ts,
                                  &err) == BATON_OK,
                      "%s", err.message);
    for (int i = 0; i < 2; i++) { /* and it stays gone */
        ck_assert_int_eq(
            source_next(&src, BATON_POLICY_NEWEST, dst, 500, &frame, &dropped, &ts, &err),
            BATON_ERR_DISCONNECTED);
        ck_assert_str_eq(err.message, "v4l2 " FAKE_PATH ": device gone (ENODEV)");
    }
    source_close(&src);
    assert_balanced();
}
END_TEST

/* The camera fills 3 buffers for every one the application takes. */
START_TEST(test_newest_drains_and_counts)
{
    cam.frames_per_poll = 3;
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    static uint8_t got[160 * 96 * 2], want[160 * 96 * 2];
    uint64_t dropped = 0;
    for (uint64_t i = 0; i < 8; i++) {
        uint64_t frame, ts;
        ck_assert_msg(source_next(&src, BATON_POLICY_NEWEST, got, 500, &frame, &dropped, &ts,
                                  &err) == BATON_OK,
                      "%s", err.message);
        ck_assert_uint_eq(frame, 3 * i + 2); /* the newest of the three */
        ck_assert_uint_eq(dropped, 2 * (i + 1));
        ck_assert_uint_eq(ts, (FAKE_BASE_US + frame * FAKE_FRAME_US) * 1000u);
        baton_pattern_fill(BATON_FORMAT_YUYV, 160, 96, frame, want);
        ck_assert(memcmp(got, want, sizeof got) == 0);
        ck_assert_uint_eq(cam.nqueued, 4); /* the older ones went straight back */
    }
    source_close(&src);
    assert_balanced();
}
END_TEST

/* Frames the driver lost (sequence gaps) are counted with either policy;
 * a corrupt buffer is skipped and counted. */
START_TEST(test_sequence_gaps_and_corrupt_buffers)
{
    cam.seq_step = 2;
    cam.error_seq = 6;
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    static uint8_t dst[160 * 96 * 2];
    uint64_t dropped = 0, frame, ts;
    static const uint64_t want[] = {0, 2, 4, 8, 10};
    for (size_t i = 0; i < BATON_ARRAY_LEN(want); i++) {
        ck_assert_msg(source_next(&src, BATON_POLICY_BACKPRESSURE, dst, 500, &frame, &dropped,
                                  &ts, &err) == BATON_OK,
                      "%s", err.message);
        ck_assert_uint_eq(frame, want[i]);
    }
    ck_assert_uint_eq(dropped, 10 - 4); /* 1 3 5 6 7 9 */
    source_close(&src);
    assert_balanced();
}
END_TEST

START_TEST(test_timestamp_not_monotonic)
{
    cam.ts_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    static uint8_t dst[160 * 96 * 2];
    uint64_t dropped = 0, frame, ts = 1;
    ck_assert_int_eq(
        source_next(&src, BATON_POLICY_BACKPRESSURE, dst, 500, &frame, &dropped, &ts, &err),
        BATON_OK);
    ck_assert_uint_eq(ts, 0);
    source_close(&src);
    assert_balanced();
}
END_TEST

/* A driver that stamps frames ahead of the clock (vivid stamps a frame's
 * ideal end): the capture time is at most the time the frame was taken. */
START_TEST(test_timestamp_not_in_the_future)
{
    cam.ts_base_us = baton_now_ns() / 1000u + 3600u * 1000000u; /* an hour ahead */
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    static uint8_t dst[160 * 96 * 2];
    uint64_t dropped = 0, frame, ts = 0, last = 0;
    for (int i = 0; i < 3; i++) {
        uint64_t before = baton_now_ns();
        ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, dst, 500, &frame,
                                     &dropped, &ts, &err),
                         BATON_OK);
        ck_assert_uint_ge(ts, before);
        ck_assert_uint_le(ts, baton_now_ns());
        ck_assert_uint_gt(ts, last);
        last = ts;
    }
    source_close(&src);
    assert_balanced();
}
END_TEST

START_TEST(test_no_dmabuf_export)
{
    cam.expbuf = false;
    cam.give_buffers = 3; /* a driver that settles for fewer */
    source src;
    baton_error err;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err) ==
                      BATON_OK,
                  "%s", err.message);
    v4l2_source_info info;
    ck_assert_int_eq(source_v4l2_info(&src, &info, &err), BATON_OK);
    ck_assert(!info.dmabuf_export);
    ck_assert_int_eq(info.dmabuf_errno, ENOTTY);
    ck_assert_uint_eq(info.buffers, 3);
    for (uint32_t i = 0; i < V4L2_SOURCE_MAX_BUFFERS; i++)
        ck_assert_int_eq(info.dmabuf_fds[i], -1);
    static uint8_t dst[160 * 96 * 2];
    uint64_t dropped = 0, frame, ts;
    for (uint64_t i = 0; i < 6; i++) {
        ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, dst, 500, &frame, &dropped,
                                     &ts, &err),
                         BATON_OK);
        ck_assert_uint_eq(frame, i);
    }
    source_close(&src);
    assert_balanced();
    ck_assert_int_eq(cam.exports, 0);

    /* not a v4l2 source */
    source pat;
    ck_assert_int_eq(source_open(&pat, "pattern", BATON_FORMAT_YUYV, 160, 96, &err), BATON_OK);
    ck_assert_int_eq(source_v4l2_info(&pat, &info, &err), BATON_ERR_INVALID_ARGUMENT);
    source_close(&pat);
}
END_TEST

/* Fail each system call of open, then of the first frames, in turn: every
 * failure is reported and nothing is left open or mapped. */
START_TEST(test_every_error_path_leaks_nothing)
{
    static const int errnos[] = {EIO, ENOMEM, EINTR};
    int e = errnos[_i];
    int before = test_open_fd_count();
    int failures = 0, export_failures = 0;
    for (int k = 1;; k++) {
        fake_reset();
        cam.fail_call = k;
        cam.fail_errno = e;
        source src;
        baton_error err;
        baton_status st = source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, 160, 96, &err);
        if (st != BATON_OK) {
            ck_assert_msg(strstr(err.message, FAKE_PATH), "call %d: %s", k, err.message);
            ck_assert_msg(e != EINTR, "EINTR must be retried, got: %s", err.message);
            failures++;
            assert_balanced();
            ck_assert_int_eq(test_open_fd_count(), before);
            continue;
        }
        v4l2_source_info info;
        source_v4l2_info(&src, &info, NULL);
        export_failures += !info.dmabuf_export;
        static uint8_t dst[160 * 96 * 2];
        uint64_t dropped = 0, frame, ts;
        bool all_ok = true;
        for (int i = 0; i < 3; i++) {
            st = source_next(&src, BATON_POLICY_NEWEST, dst, 200, &frame, &dropped, &ts, &err);
            if (st != BATON_OK) {
                ck_assert_msg(e != EINTR, "EINTR must be retried, got: %s", err.message);
                ck_assert_msg(strstr(err.message, FAKE_PATH), "call %d: %s", k, err.message);
                all_ok = false;
                failures++;
                break;
            }
        }
        source_close(&src);
        assert_balanced();
        ck_assert_int_eq(test_open_fd_count(), before);
        if (all_ok && cam.calls < k)
            break; /* the failure point lies beyond everything done */
    }
    printf("errno %d: %d failure points reported, %d of them in EXPBUF (open went on without "
           "dma-buf), nothing leaked\n",
           e, failures, export_failures);
    if (e != EINTR)
        ck_assert_int_ge(failures, 15);
}
END_TEST

/* ---- USERPTR: the camera writes into the caller's buffers ------------------ */

#define UP_W 160u
#define UP_H 96u
#define UP_BYTES ((size_t)UP_W * UP_H * 2)
#define UP_IO "V4L2 USERPTR: the camera writes into staging (no CPU copy)"
#define UP_COPY "V4L2 MMAP + one CPU copy a frame"

static uint8_t stage[4][UP_BYTES] __attribute__((aligned(4096))); /* the "slots' staging" */

static void open_tight(source *src)
{
    cam.pad = 0; /* packed rows: what staging holds */
    baton_error err;
    ck_assert_msg(source_open(src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, UP_W, UP_H, &err) ==
                      BATON_OK,
                  "%s", err.message);
    ck_assert_str_eq(src->io, UP_COPY); /* until bound */
}

static baton_status bind_stage(source *src, uint32_t count, size_t bytes, baton_error *err)
{
    uint8_t *bufs[4] = {stage[0], stage[1], stage[2], stage[3]};
    return source_bind(src, bufs, count, bytes, err);
}

/* next() into slot buffer `slot`, then check frame `want` is in it. */
static void take(source *src, uint32_t slot, uint64_t want, uint64_t *dropped)
{
    uint64_t frame = UINT64_MAX, ts = 0;
    baton_error err;
    ck_assert_msg(source_next(src, BATON_POLICY_BACKPRESSURE, stage[slot], 500, &frame, dropped,
                              &ts, &err) == BATON_OK,
                  "%s", err.message);
    ck_assert_uint_eq(frame, want);
    ck_assert_uint_eq(ts, (FAKE_BASE_US + want * FAKE_FRAME_US) * 1000u);
    static uint8_t ref[UP_BYTES];
    baton_pattern_fill(BATON_FORMAT_YUYV, UP_W, UP_H, want, ref);
    ck_assert_msg(memcmp(stage[slot], ref, UP_BYTES) == 0, "frame %llu not in slot %u's buffer",
                  (unsigned long long)want, slot);
}

START_TEST(test_userptr_bind_and_frames)
{
    int before = test_open_fd_count();
    source src;
    open_tight(&src);
    uint32_t at_open = cam.nlog;
    baton_error err;
    ck_assert_msg(bind_stage(&src, 2, UP_BYTES, &err) == BATON_OK, "%s", err.message);
    ck_assert(src.bound);
    ck_assert_str_eq(src.io, UP_IO);
    /* open's MMAP set-up undone, then one USERPTR buffer per slot */
    static const unsigned long expect[] = {VIDIOC_STREAMOFF, VIDIOC_REQBUFS, VIDIOC_REQBUFS,
                                           VIDIOC_QBUF,      VIDIOC_QBUF,    VIDIOC_STREAMON};
    ck_assert_uint_eq(cam.nlog - at_open, BATON_ARRAY_LEN(expect));
    for (uint32_t i = 0; i < BATON_ARRAY_LEN(expect); i++)
        ck_assert_msg(cam.log[at_open + i] == expect[i], "ioctl %u after open is 0x%lx, want 0x%lx",
                      i, cam.log[at_open + i], expect[i]);
    ck_assert_int_eq(cam.mmaps, cam.munmaps);          /* MMAP buffers unmapped */
    ck_assert_int_eq(cam.exports, cam.export_closes);  /* their dma-bufs closed */
    ck_assert_int_eq(test_open_fd_count(), before + 1); /* the device only */
    v4l2_source_info info;
    ck_assert_int_eq(source_v4l2_info(&src, &info, &err), BATON_OK);
    ck_assert_uint_eq(info.memory, V4L2_MEMORY_USERPTR);
    ck_assert_uint_eq(info.buffers, 2);
    ck_assert(!info.dmabuf_export);

    uint64_t dropped = 0;
    for (uint64_t i = 0; i < 12; i++) {
        uint32_t slot = (uint32_t)(i % 2);
        take(&src, slot, i, &dropped);
        ck_assert_uint_eq(cam.nqueued + cam.ndone, 1); /* the other slot's buffer */
        source_release(&src, stage[slot]);
        ck_assert_uint_eq(cam.nqueued + cam.ndone, 2);
    }
    ck_assert_uint_eq(dropped, 0);
    ck_assert_uint_eq(cam.userptr_qbufs, 2 + 12);
    ck_assert_uint_eq(cam.userptr_repins, 0); /* each slot keeps its buffer index */
    source_close(&src);
    ck_assert_uint_eq(cam.log[cam.nlog - 1], VIDIOC_STREAMOFF);
    ck_assert_uint_eq(cam.userptr_touched, 4); /* both buffers were with the driver */
    assert_balanced();
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* Three slots, and frames the driver had no buffer for: sequence gaps count
 * as drops, as with MMAP. */
START_TEST(test_userptr_three_slots_gaps)
{
    cam.frames_per_poll = 2; /* the camera outruns the application */
    source src;
    open_tight(&src);
    baton_error err;
    ck_assert_msg(bind_stage(&src, 3, UP_BYTES, &err) == BATON_OK, "%s", err.message);
    /* each poll is two camera frames: the first fills slots 0 and 1 (frames
     * 0, 1), the second slot 2 (2) and loses 3, the third loses 4 and 5 (no
     * buffer queued: the application holds all three) */
    uint64_t dropped = 0;
    take(&src, 0, 0, &dropped);
    take(&src, 1, 1, &dropped);
    take(&src, 2, 2, &dropped);
    ck_assert_uint_eq(dropped, 0);
    source_release(&src, stage[0]);
    take(&src, 0, 6, &dropped); /* 7 is lost too */
    ck_assert_uint_eq(dropped, 3);
    source_release(&src, stage[1]);
    take(&src, 1, 8, &dropped);
    ck_assert_uint_eq(dropped, 4);
    source_close(&src);
    assert_balanced();
}
END_TEST

/* A corrupt frame sends its buffer to the end of the queue: the frames that
 * then come in other slots' buffers are dropped and the order mends. */
START_TEST(test_userptr_order_mends)
{
    cam.error_seq = 1;
    source src;
    open_tight(&src);
    baton_error err;
    ck_assert_msg(bind_stage(&src, 3, UP_BYTES, &err) == BATON_OK, "%s", err.message);
    uint64_t dropped = 0;
    take(&src, 0, 0, &dropped);
    source_release(&src, stage[0]);
    /* slot 1 gets corrupt frame 1 (back to the end), then frames 2 and 3
     * arrive in slots 2 and 0 (dropped, back), then frame 4 in slot 1 */
    take(&src, 1, 4, &dropped);
    ck_assert_uint_eq(dropped, 3);
    source_release(&src, stage[1]);
    for (uint64_t f = 5; f < 11; f++) {
        uint32_t slot = (uint32_t)((f - 3) % 3); /* 5 -> slot 2, 6 -> 0, ... */
        take(&src, slot, f, &dropped);
        source_release(&src, stage[slot]);
    }
    ck_assert_uint_eq(dropped, 3);
    source_close(&src);
    assert_balanced();
}
END_TEST

/* What the driver refuses, and what is refused before asking it: the MMAP
 * set-up stays (or comes back) and frames are copied; io says why. */
typedef struct refusal_case {
    const char *name;
    uint32_t pad;
    bool userptr, report_caps;
    uint32_t userptr_give;
    int qbuf_errno;
    size_t bytes;
    bool asks_driver; /* the MMAP set-up was undone and restored */
    const char *why;
} refusal_case;

static const refusal_case refusals[] = {
    {"padded rows", 64, true, true, 0, 0, UP_BYTES, false,
     "the driver pads rows to 384 bytes, staging holds packed rows of 320"},
    {"not offered", 0, false, true, 0, 0, UP_BYTES, false,
     "the driver does not offer it (REQBUFS capabilities 0x5)"},
    {"small staging", 0, true, true, 0, 0, UP_BYTES - 1, false,
     "the driver's sizeimage 30720 is more than a staging buffer's 30719 bytes"},
    {"REQBUFS refused", 0, false, false, 0, 0, UP_BYTES, true,
     "VIDIOC_REQBUFS: Invalid argument"},
    {"too few buffers", 0, true, true, 1, 0, UP_BYTES, true,
     "VIDIOC_REQBUFS: the driver gave 1 buffers for 2 slots"},
    {"memory it cannot pin", 0, true, true, 0, EFAULT, UP_BYTES, true,
     "VIDIOC_QBUF: Bad address"},
};

START_TEST(test_userptr_refused)
{
    const refusal_case *c = &refusals[_i];
    int before = test_open_fd_count();
    cam.userptr = c->userptr;
    cam.report_caps = c->report_caps;
    cam.userptr_give = c->userptr_give;
    cam.userptr_qbuf_errno = c->qbuf_errno;
    source src;
    baton_error err;
    cam.pad = c->pad;
    ck_assert_msg(source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, UP_W, UP_H, &err) ==
                      BATON_OK,
                  "%s", err.message);
    uint32_t at_open = cam.nlog;
    uint8_t *bufs[2] = {stage[0], stage[1]};
    ck_assert_int_eq(src.ops->bind(&src, bufs, 2, c->bytes, &err), BATON_ERR_UNSUPPORTED);
    printf("(expected, %s) %s\n", c->name, err.message);
    char want[200];
    snprintf(want, sizeof want, UP_COPY " (USERPTR refused: %s)", c->why);
    ck_assert_str_eq(src.io, want);
    ck_assert_msg(strstr(err.message, c->why), "%s", err.message);
    if (c->asks_driver) {
        ck_assert_uint_eq(cam.log[cam.nlog - 1], VIDIOC_STREAMON); /* MMAP again */
        ck_assert_int_eq(cam.mmaps, 8);
    } else {
        ck_assert_uint_eq(cam.nlog, at_open); /* the device untouched */
    }
    /* the bound flag stays off through source_bind too, and frames are copied */
    ck_assert_int_eq(bind_stage(&src, 2, c->bytes, &err), BATON_OK);
    ck_assert(!src.bound);
    v4l2_source_info info;
    source_v4l2_info(&src, &info, NULL);
    ck_assert_uint_eq(info.memory, V4L2_MEMORY_MMAP);
    ck_assert_uint_eq(info.buffers, 4);
    ck_assert(info.dmabuf_export);
    static uint8_t got[UP_BYTES], ref[UP_BYTES];
    uint64_t dropped = 0;
    for (uint64_t i = 0; i < 5; i++) {
        uint64_t frame, ts;
        ck_assert_msg(source_next(&src, BATON_POLICY_BACKPRESSURE, got, 500, &frame, &dropped,
                                  &ts, &err) == BATON_OK,
                      "%s", err.message);
        baton_pattern_fill(BATON_FORMAT_YUYV, UP_W, UP_H, frame, ref);
        ck_assert(memcmp(got, ref, UP_BYTES) == 0);
    }
    source_close(&src);
    assert_balanced();
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

typedef struct releaser {
    source *src;
    uint8_t *buffer;
} releaser;

/* Release a buffer from another thread while next() waits, then let the
 * camera run again. */
static void *release_later(void *arg)
{
    releaser *r = arg;
    sleep_ms(30);
    source_release(r->src, r->buffer);
    pthread_mutex_lock(&cam_lock);
    cam.paused = false;
    pthread_mutex_unlock(&cam_lock);
    return NULL;
}

START_TEST(test_userptr_release_from_thread)
{
    source src;
    open_tight(&src);
    baton_error err;
    ck_assert_msg(bind_stage(&src, 2, UP_BYTES, &err) == BATON_OK, "%s", err.message);
    uint64_t dropped = 0;
    take(&src, 0, 0, &dropped);
    take(&src, 1, 1, &dropped);
    /* each round both slots are held: slot 0 goes back, next() waits for the
     * paused camera while another thread releases slot 1 and lets it run */
    for (uint64_t f = 2; f < 40; f += 2) {
        source_release(&src, stage[0]);
        pthread_mutex_lock(&cam_lock);
        cam.paused = true;
        pthread_mutex_unlock(&cam_lock);
        releaser r = {&src, stage[1]};
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, release_later, &r), 0);
        take(&src, 0, f, &dropped);
        pthread_join(t, NULL);
        ck_assert_uint_eq(cam.nqueued + cam.ndone, 1); /* slot 1's, queued by the thread */
        take(&src, 1, f + 1, &dropped);
    }
    ck_assert_uint_eq(dropped, 0);
    source_close(&src);
    assert_balanced();
}
END_TEST

/* Unplugged while the pipeline holds frames: release() fails with ENODEV,
 * and the next next() reports it before touching the device. */
START_TEST(test_userptr_unplugged)
{
    int before = test_open_fd_count();
    source src;
    open_tight(&src);
    baton_error err;
    ck_assert_msg(bind_stage(&src, 2, UP_BYTES, &err) == BATON_OK, "%s", err.message);
    uint64_t dropped = 0;
    take(&src, 0, 0, &dropped);
    take(&src, 1, 1, &dropped);
    cam.gone = true;
    source_release(&src, stage[0]);
    int polls = cam.polls;
    uint64_t frame, ts;
    for (int i = 0; i < 2; i++) { /* and it stays */
        ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, stage[0], 500, &frame,
                                     &dropped, &ts, &err),
                         BATON_ERR_DISCONNECTED);
        ck_assert_str_eq(err.message, "v4l2 " FAKE_PATH ": device gone (ENODEV)");
    }
    ck_assert_int_eq(cam.polls, polls);
    uint32_t calls = cam.nlog;
    source_release(&src, stage[1]); /* after the first failure: nothing more asked */
    ck_assert_uint_eq(cam.nlog, calls);
    source_close(&src);
    assert_balanced();
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* The pipeline's side of the contract broken: clear errors, not a hang. */
START_TEST(test_userptr_misuse)
{
    source src;
    open_tight(&src);
    baton_error err;
    ck_assert_msg(bind_stage(&src, 2, UP_BYTES, &err) == BATON_OK, "%s", err.message);
    uint64_t dropped = 0, frame, ts;
    take(&src, 0, 0, &dropped);
    /* slot 0's buffer again before release() */
    ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, stage[0], 500, &frame,
                                 &dropped, &ts, &err),
                     BATON_ERR_STATE);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "slot 0's buffer before release() gave it back"), "%s",
                  err.message);
    /* a buffer that is not bound */
    ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, stage[3], 500, &frame,
                                 &dropped, &ts, &err),
                     BATON_ERR_STATE);
    ck_assert_msg(strstr(err.message, "none of the 2 staging buffers bound"), "%s", err.message);
    /* a release of a buffer the driver holds is remembered */
    source_release(&src, stage[1]);
    ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, stage[1], 500, &frame,
                                 &dropped, &ts, &err),
                     BATON_ERR_STATE);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "not a staging buffer the source handed out"), "%s",
                  err.message);
    source_close(&src);
    assert_balanced();
}
END_TEST

/* Unplugged in the middle of bind: MMAP cannot come back either, and bind
 * fails (not "unsupported": nothing streams) with both reasons. */
START_TEST(test_userptr_unplugged_in_bind)
{
    int before = test_open_fd_count();
    source src;
    open_tight(&src);
    cam.userptr_qbuf_errno = ENODEV; /* the double unplugs itself at the first USERPTR QBUF */
    baton_error err;
    ck_assert_int_eq(bind_stage(&src, 2, UP_BYTES, &err), BATON_ERR_DISCONNECTED);
    printf("(expected) %s\n", err.message);
    ck_assert_str_eq(err.message, "v4l2 " FAKE_PATH ": device gone (ENODEV) (restoring MMAP after "
                                  "USERPTR was refused: VIDIOC_QBUF: No such device)");
    ck_assert(!src.bound);
    ck_assert_msg(strstr(src.io, "no streaming (USERPTR refused: VIDIOC_QBUF"), "%s", src.io);
    source_close(&src);
    assert_balanced();
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* Fail each system call of open, bind and the first frames in turn: each
 * failure in bind's USERPTR set-up falls back to MMAP + copy (io names the
 * call) or fails cleanly; frames then flow or fail cleanly; nothing is left
 * open or mapped, and EINTR is always retried. */
START_TEST(test_userptr_every_error_path)
{
    static const int errnos[] = {EIO, ENOMEM, EINTR};
    int e = errnos[_i];
    int before = test_open_fd_count();
    int in_open = 0, fell_back = 0, bind_failed = 0, later = 0;
    for (int k = 1;; k++) {
        fake_reset();
        cam.pad = 0;
        cam.fail_call = k;
        cam.fail_errno = e;
        source src;
        baton_error err;
        baton_status st = source_open(&src, "v4l2:" FAKE_PATH, BATON_FORMAT_YUYV, UP_W, UP_H,
                                      &err);
        if (st != BATON_OK) {
            ck_assert_msg(e != EINTR, "EINTR must be retried, got: %s", err.message);
            in_open++;
            assert_balanced();
            continue;
        }
        st = bind_stage(&src, 2, UP_BYTES, &err);
        bool all_ok = st == BATON_OK;
        if (st != BATON_OK) {
            ck_assert_msg(strstr(err.message, FAKE_PATH), "call %d: %s", k, err.message);
            bind_failed++;
        } else if (!src.bound) {
            ck_assert_msg(e != EINTR, "EINTR must be retried, got: %s", src.io);
            ck_assert_msg(strstr(src.io, UP_COPY " (USERPTR refused: VIDIOC_") &&
                              strstr(src.io, strerror(e)),
                          "call %d: %s", k, src.io);
            fell_back++;
        } else {
            ck_assert_str_eq(src.io, UP_IO);
        }
        for (uint32_t i = 0; all_ok && i < 4; i++) {
            uint64_t frame, ts, dropped = 0;
            st = source_next(&src, BATON_POLICY_NEWEST, stage[i % 2], 200, &frame, &dropped, &ts,
                             &err);
            if (st != BATON_OK) {
                ck_assert_msg(e != EINTR, "EINTR must be retried, got: %s", err.message);
                ck_assert_msg(strstr(err.message, FAKE_PATH), "call %d: %s", k, err.message);
                all_ok = false;
                later++;
            } else if (src.bound && i > 0) {
                source_release(&src, stage[(i - 1) % 2]);
            }
        }
        source_close(&src);
        assert_balanced();
        ck_assert_int_eq(test_open_fd_count(), before);
        if (all_ok && cam.calls < k)
            break; /* the failure point lies beyond everything done */
    }
    printf("errno %d: failure points: %d in open, %d in bind fell back to MMAP + copy, %d failed "
           "bind, %d in the frames after; nothing leaked\n",
           e, in_open, fell_back, bind_failed, later);
    if (e != EINTR) {
        ck_assert_int_ge(fell_back, 6); /* STREAMOFF, REQBUFS 0, REQBUFS, QBUF x2, STREAMON */
        ck_assert_int_ge(later, 3);
    } else {
        ck_assert_int_eq(fell_back + bind_failed + later + in_open, 0);
    }
}
END_TEST


/* ---- through the pipeline ---------------------------------------------------- */

/* A pipeline over the double on a CPU context of its own; the fds and the
 * live Vulkan objects are counted before either is made. */
typedef struct cam_run {
    int fds_before;
    int64_t vk_before;
    baton_context *ctx;
    baton_pipeline *p;
} cam_run;

static baton_pipeline *cam_run_start(cam_run *cr, const baton_pipeline_config *pc)
{
    cr->fds_before = test_open_fd_count();
    cr->ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    cr->vk_before = baton_live_vk_objects();
    baton_error err;
    cr->p = NULL;
    ck_assert_msg(baton_pipeline_create(cr->ctx, pc, &cr->p, &err) == BATON_OK, "%s", err.message);
    return cr->p;
}

/* Destroy the pipeline and the context: every Vulkan object, every buffer
 * and mapping the double gave out and every fd is back. */
static void cam_run_finish(cam_run *cr)
{
    baton_pipeline_destroy(cr->p);
    ck_assert_int_eq(baton_live_vk_objects(), cr->vk_before);
    assert_balanced();
    baton_context_destroy(cr->ctx);
    ck_assert_int_eq(test_open_fd_count(), cr->fds_before);
}

typedef struct seen {
    baton_format format;
    uint64_t n, last, gaps, mismatched, bad_pixels, wrong_size;
    int max_diff;
} seen;

static uint8_t reference[4 * 1024 * 1024];

static void on_done(void *user, const baton_frame_info *info)
{
    seen *s = user;
    uint64_t decoded = UINT64_MAX;
    baton_pattern_decode_frame(info->rgba, info->width, info->height, info->pitch, &decoded,
                               NULL);
    if (decoded != info->source_frame)
        s->mismatched++;
    baton_pattern_fill(s->format, info->width, info->height, info->source_frame, reference);
    int diff = 0;
    s->bad_pixels += ref_compare_frame(s->format, reference, info->width, info->height,
                                       info->rgba, info->pitch, &diff);
    if (diff > s->max_diff)
        s->max_diff = diff;
    if (info->width != 160 || info->height != 96)
        s->wrong_size++;
    if (s->n && info->source_frame != s->last + 1)
        s->gaps++;
    ck_assert_msg(!s->n || info->source_frame > s->last, "source frames went backwards");
    s->last = info->source_frame;
    s->n++;
}

static baton_pipeline_config v4l2_config(baton_format fmt, seen *s)
{
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.source = "v4l2:" FAKE_PATH;
    pc.format = fmt;
    pc.width = 150; /* the camera answers 160x96 */
    pc.height = 90;
    pc.timeout_ms = 300;
    pc.readback = true;
    pc.on_done = on_done;
    pc.done_user = s;
    s->format = fmt;
    return pc;
}

static const uint32_t camera_formats[] = {V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_UYVY,
                                          V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_GREY};

/* Each camera format, with padded rows (MMAP + copy: USERPTR refused) and
 * packed ones (USERPTR: the camera writes into the slots' staging). */
START_TEST(test_pipeline_frames)
{
    uint32_t fourcc = camera_formats[_i % 4];
    bool packed = _i >= 4;
    cam.formats[0] = V4L2_PIX_FMT_MJPEG;
    cam.formats[1] = fourcc;
    cam.nformats = 2;
    cam.force_w = 160;
    cam.force_h = 96;
    cam.pad = packed ? 0 : 96;
    baton_format fmt;
    ck_assert(to_format(fourcc, &fmt));
    seen s = {0};
    baton_pipeline_config pc = v4l2_config(fmt, &s);
    cam_run cr;
    baton_pipeline *p = cam_run_start(&cr, &pc);
    baton_error err;
    ck_assert_msg(baton_pipeline_run(p, 40, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    baton_pipeline_stats st = baton_pipeline_get_stats(p);
    printf("v4l2 %s 160x96 (bytesperline +%u): %llu frames shown, %llu dropped, %llu decode "
           "mismatches, %llu channel values off the reference (max diff %d); %s\n",
           baton_format_name(fmt), cam.pad, (unsigned long long)s.n,
           (unsigned long long)st.dropped, (unsigned long long)s.mismatched,
           (unsigned long long)s.bad_pixels, s.max_diff, st.source_io);
    if (packed) {
        ck_assert_str_eq(st.source_io, UP_IO);
        ck_assert_uint_ge(cam.userptr_qbufs, 40); /* every frame into staging */
    } else {
        ck_assert_msg(strstr(st.source_io, UP_COPY " (USERPTR refused: the driver pads rows"),
                      "%s", st.source_io);
        ck_assert_uint_eq(cam.userptr_qbufs, 0);
    }
    ck_assert_uint_eq(s.n, 40);
    ck_assert_uint_eq(s.mismatched, 0);
    ck_assert_uint_eq(s.bad_pixels, 0);
    ck_assert_uint_eq(s.wrong_size, 0);
    ck_assert_uint_eq(s.gaps, 0);
    ck_assert_uint_eq(s.last, 39);
    ck_assert_uint_eq(st.dropped, 0);
    cam_run_finish(&cr);
}
END_TEST

START_TEST(test_pipeline_newest)
{
    bool packed = _i == 1;
    cam.pad = packed ? 0 : 64;
    cam.frames_per_poll = 3;
    cam.force_w = 160;
    cam.force_h = 96;
    seen s = {0};
    baton_pipeline_config pc = v4l2_config(BATON_FORMAT_YUYV, &s);
    pc.policy = BATON_POLICY_NEWEST;
    cam_run cr;
    baton_pipeline *p = cam_run_start(&cr, &pc);
    baton_error err;
    ck_assert_msg(baton_pipeline_run(p, 30, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    baton_pipeline_stats st = baton_pipeline_get_stats(p);
    printf("v4l2 newest (%s): %llu frames shown, %llu dropped, last source frame %llu\n",
           st.source_io, (unsigned long long)s.n, (unsigned long long)st.dropped,
           (unsigned long long)s.last);
    ck_assert_uint_eq(s.n, 30);
    ck_assert_uint_eq(s.mismatched, 0);
    ck_assert_uint_eq(s.bad_pixels, 0);
    if (packed) {
        /* the camera drops what finds no free slot; how many depends on
         * when the completion thread gives slots back, but each poll is 3
         * camera frames and the driver holds at most the 2 slots' buffers */
        ck_assert_str_eq(st.source_io, UP_IO);
        ck_assert_uint_ge(st.dropped, 29);
    } else {
        ck_assert_uint_eq(st.dropped, 60);
        ck_assert_uint_eq(s.gaps, 29);
    }
    ck_assert_uint_eq(s.last, 29 + st.dropped); /* every skipped frame counted */
    cam_run_finish(&cr);
}
END_TEST

START_TEST(test_pipeline_stall)
{
    cam.stall_after = 7;
    cam.force_w = 160;
    cam.force_h = 96;
    seen s = {0};
    baton_pipeline_config pc = v4l2_config(BATON_FORMAT_YUYV, &s);
    cam_run cr;
    baton_pipeline *p = cam_run_start(&cr, &pc);
    baton_error err;
    ck_assert_int_eq(baton_pipeline_run(p, 20, &err), BATON_ERR_TIMEOUT);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "v4l2 " FAKE_PATH ": no frame within 300 ms (camera "
                                      "stalled?)"),
                  "%s", err.message);
    ck_assert_uint_eq(baton_pipeline_get_stats(p).frames_submitted, 7);
    cam_run_finish(&cr);
}
END_TEST

START_TEST(test_pipeline_unplugged)
{
    bool packed = _i == 1;
    cam.pad = packed ? 0 : 64;
    cam.gone_after = 5;
    cam.force_w = 160;
    cam.force_h = 96;
    seen s = {0};
    baton_pipeline_config pc = v4l2_config(BATON_FORMAT_YUYV, &s);
    cam_run cr;
    baton_pipeline *p = cam_run_start(&cr, &pc);
    baton_error err;
    ck_assert_int_eq(baton_pipeline_run(p, 20, &err), BATON_ERR_DISCONNECTED);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "v4l2 " FAKE_PATH ": device gone (ENODEV)"), "%s",
                  err.message);
    ck_assert_uint_eq(baton_pipeline_get_stats(p).frames_submitted, 5);
    cam_run_finish(&cr);
    /* STREAMOFF was tried on the dead device; everything else undone */
    ck_assert_uint_eq(cam.log[cam.nlog - 1], VIDIOC_STREAMOFF);
    ck_assert_int_eq(cam.exports, 4);
    ck_assert_uint_eq(cam.userptr_qbufs > 0, packed);
}
END_TEST

/* ---- recovery: on_source_lost = RESYNC ------------------------------------- */

typedef struct resynced {
    uint64_t n, next, out_of_order, mismatched, restarts, last_source;
} resynced;

/* Pipeline frame numbers must go on without a gap across the reopen; the
 * source's own numbers start again at 0 after it (a fresh device), once. */
static void on_done_resync(void *user, const baton_frame_info *info)
{
    resynced *r = user;
    if (info->frame != r->next)
        r->out_of_order++;
    r->next = info->frame + 1;
    uint64_t decoded = UINT64_MAX;
    baton_pattern_decode_frame(info->rgba, info->width, info->height, info->pitch, &decoded,
                               NULL);
    if (decoded != info->source_frame)
        r->mismatched++;
    if (r->n && info->source_frame <= r->last_source)
        r->restarts++;
    r->last_source = info->source_frame;
    r->n++;
}

static baton_pipeline_config resync_config(resynced *r, uint32_t resync_ms)
{
    seen unused = {0};
    baton_pipeline_config pc = v4l2_config(BATON_FORMAT_YUYV, &unused);
    pc.on_done = on_done_resync;
    pc.done_user = r;
    pc.on_source_lost = BATON_SOURCE_LOST_RESYNC;
    pc.source_resync_ms = resync_ms;
    return pc;
}

/* A camera that stalls (_i 0, 1) or is unplugged (_i 2, 3) after 7 frames
 * and comes back (the stall at once, the unplugged one after 3 refused
 * opens, ~300 ms), with padded rows (MMAP + copy) and packed ones
 * (USERPTR: the reopened camera is bound to the staging again): the run
 * goes on to its 20 frames, frame numbers continue, the trace matches the
 * plan, one resync is counted, every frame is accounted and nothing leaks. */
START_TEST(test_pipeline_resync)
{
    bool unplug = _i >= 2, packed = _i % 2 == 1;
    cam.pad = packed ? 0 : 64;
    cam.force_w = 160;
    cam.force_h = 96;
    cam.comes_back = true;
    if (unplug) {
        cam.gone_after = 7;
        cam.absent_opens = 3;
    } else {
        cam.stall_after = 7;
    }
    resynced r = {0};
    baton_pipeline_config pc = resync_config(&r, 5000);
    cam_run cr;
    baton_pipeline *p = cam_run_start(&cr, &pc);
    baton_error err;
    int64_t vk_running = baton_live_vk_objects();
    ck_assert_msg(baton_pipeline_run(p, 20, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(baton_pipeline_drain(p, &err) == BATON_OK, "%s", err.message);
    baton_pipeline_stats st = baton_pipeline_get_stats(p);
    baton_schedule plan = baton_pipeline_schedule(p);
    baton_status tr = baton_trace_check(baton_pipeline_trace(p), &plan, &err);
    printf("v4l2 %s, %s: %llu frames shown, %llu resync, %.3f s without a camera (lost at "
           "frame %llu: %s); trace: %s; %s\n",
           unplug ? "unplugged + replugged" : "stalled + back", packed ? "USERPTR" : "MMAP",
           (unsigned long long)r.n, (unsigned long long)st.source_resyncs,
           (double)st.source_absent_ns / 1e9, (unsigned long long)st.source_lost_frame,
           st.source_lost_reason, tr == BATON_OK ? "matches plan" : err.message, st.source_io);
    ck_assert_int_eq(tr, BATON_OK);
    ck_assert_uint_eq(r.n, 20);
    ck_assert_uint_eq(r.next, 20);
    ck_assert_uint_eq(r.out_of_order, 0);
    ck_assert_uint_eq(r.mismatched, 0);
    ck_assert_uint_eq(r.restarts, 1); /* the reopened device counts from 0 again */
    ck_assert_uint_eq(st.source_resyncs, 1);
    ck_assert_uint_eq(st.source_lost_frame, 7);
    ck_assert_uint_eq(st.frames_delivered, 20);
    ck_assert_uint_eq(st.frames_done, 20);
    ck_assert_uint_eq(st.frames_lost, 0);
    ck_assert_uint_eq(st.frames_in_flight, 0);
    ck_assert_uint_eq(st.dropped, 0); /* USERPTR: the frame's own slot was queued first */
    ck_assert_int_eq(st.failed, BATON_OK);
    ck_assert_int_eq(cam.returns, 1);
    if (unplug) {
        ck_assert_int_eq(cam.refused_opens, 3);
        ck_assert_msg(strstr(st.source_lost_reason, "device gone (ENODEV)"), "%s",
                      st.source_lost_reason);
        ck_assert_uint_ge(st.source_absent_ns, 250000000u); /* three refusals, 100 ms apart */
    } else {
        ck_assert_int_eq(cam.refused_opens, 0);
        ck_assert_msg(strstr(st.source_lost_reason, "no frame within 300 ms (camera stalled?)"),
                      "%s", st.source_lost_reason);
        ck_assert_uint_ge(st.source_absent_ns, 300000000u); /* the wait that timed out */
    }
    ck_assert_str_eq(st.source_io, packed ? UP_IO : UP_COPY " (USERPTR refused: the driver "
                                                            "pads rows to 384 bytes, staging "
                                                            "holds packed rows of 320)");
    if (packed)
        ck_assert_uint_ge(cam.userptr_qbufs, 20);
    ck_assert_int_eq(baton_live_vk_objects(), vk_running); /* nothing made per resync */
    cam_run_finish(&cr);
}
END_TEST

/* The camera never comes back: after source_resync_ms the run stops with
 * an error naming the source, the time and the last reopen's error. */
START_TEST(test_pipeline_resync_gives_up)
{
    cam.force_w = 160;
    cam.force_h = 96;
    cam.comes_back = true;
    cam.gone_after = 5;
    cam.absent_opens = UINT32_MAX;
    resynced r = {0};
    baton_pipeline_config pc = resync_config(&r, 400);
    cam_run cr;
    baton_pipeline *p = cam_run_start(&cr, &pc);
    baton_error err;
    uint64_t t0 = now_ms();
    ck_assert_int_eq(baton_pipeline_run(p, 20, &err), BATON_ERR_TIMEOUT);
    uint64_t took = now_ms() - t0;
    printf("(expected, after %llu ms) %s\n", (unsigned long long)took, err.message);
    ck_assert_str_eq(err.message, "source 'v4l2:" FAKE_PATH "' lost (v4l2 " FAKE_PATH ": device "
                                  "gone (ENODEV)) and not back within 400 ms (last reopen: v4l2 "
                                  FAKE_PATH ": cannot open: No such file or directory (no such "
                                  "device: is the camera connected? see ls /dev/video*))");
    ck_assert_uint_ge(took, 400);
    ck_assert_uint_lt(took, 3000);
    ck_assert_int_ge(cam.refused_opens, 3);
    baton_pipeline_stats st = baton_pipeline_get_stats(p);
    ck_assert_uint_eq(st.source_resyncs, 0);
    ck_assert_uint_eq(r.n, 5); /* the frames in flight retired while it waited */
    ck_assert_uint_eq(st.frames_done, 5);
    ck_assert_uint_eq(st.frames_delivered, st.frames_done + st.frames_lost);
    ck_assert_int_eq(st.failed, BATON_ERR_TIMEOUT);
    ck_assert_int_eq(baton_pipeline_run(p, 1, &err), BATON_ERR_STATE);
    cam_run_finish(&cr);
}
END_TEST

/* The camera comes back with another size: a clear error, not frames of
 * the wrong size in the slots. */
START_TEST(test_pipeline_resync_other_size)
{
    cam.force_w = 160;
    cam.force_h = 96;
    cam.comes_back = true;
    cam.gone_after = 5;
    cam.absent_opens = 1;
    cam.back_w = 320;
    cam.back_h = 192;
    resynced r = {0};
    baton_pipeline_config pc = resync_config(&r, 5000);
    cam_run cr;
    baton_pipeline *p = cam_run_start(&cr, &pc);
    baton_error err;
    ck_assert_int_eq(baton_pipeline_run(p, 20, &err), BATON_ERR_MISMATCH);
    printf("(expected) %s\n", err.message);
    ck_assert_str_eq(err.message, "source 'v4l2:" FAKE_PATH "' came back as YUYV 320x192, the "
                                  "pipeline was made for YUYV 160x96: make a new pipeline");
    ck_assert_int_eq(cam.returns, 1);
    baton_pipeline_stats st = baton_pipeline_get_stats(p);
    ck_assert_uint_eq(st.frames_done, 5);
    ck_assert_uint_eq(st.source_resyncs, 0);
    ck_assert_int_eq(st.failed, BATON_ERR_MISMATCH);
    cam_run_finish(&cr);
}
END_TEST

/* The zero-allocation proof over a camera bound with USERPTR: after warm-up
 * the frames (DQBUF on the driving thread, QBUF from the completion thread,
 * the double's own work included) allocate nothing, open nothing and create
 * no Vulkan object. Configuration i: timeline/binary, S = 2/3. */
START_TEST(test_pipeline_steady_userptr)
{
    cam.pad = 0;
    cam.force_w = 160;
    cam.force_h = 96;
    const baton_sync_mode sync = _i % 2 ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE;
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, sync);
    baton_error err;
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.source = "v4l2:" FAKE_PATH;
    pc.width = 160;
    pc.height = 96;
    pc.slots = 2 + (uint32_t)(_i / 2);
    pc.readback = true;
    steady_result r;
    ck_assert_msg(steady_run(ctx, &pc, 20, 500, &r, &err) == BATON_OK, "%s", err.message);
    char label[96];
    snprintf(label, sizeof label, "v4l2 USERPTR, CPU stage, %s, S=%u",
             baton_sync_mode_name(sync), pc.slots);
    steady_print(label, &r);
    baton_context_destroy(ctx);
    ck_assert_uint_ge(cam.userptr_qbufs, 520); /* every frame came through USERPTR */
    ck_assert_uint_eq(cam.userptr_repins, 0);
    ck_assert_msg(steady_all_zero(&r), "the per-frame path allocated (see above)");
    assert_balanced();
}
END_TEST

int main(int argc, char **argv)
{
    int counting = alloc_count_reexec(argc, argv); /* may re-execute with the counter */
    if (counting == ALLOC_COUNT_ERROR)
        return 1;
    Suite *s = suite_create("source_v4l2");
    TCase *tc = tcase_create("double");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_open_sequence_and_frames);
    tcase_add_test(tc, test_driver_adjusts_size);
    tcase_add_loop_test(tc, test_format_fallback, 0, (int)BATON_ARRAY_LEN(fallbacks));
    tcase_add_test(tc, test_nothing_fits);
    tcase_add_test(tc, test_not_a_capture_device);
    tcase_add_test(tc, test_bad_specs);
    tcase_add_test(tc, test_real_device_calls);
    tcase_add_test(tc, test_stall_times_out);
    tcase_add_test(tc, test_unplugged_direct);
    tcase_add_test(tc, test_newest_drains_and_counts);
    tcase_add_test(tc, test_sequence_gaps_and_corrupt_buffers);
    tcase_add_test(tc, test_timestamp_not_monotonic);
    tcase_add_test(tc, test_timestamp_not_in_the_future);
    tcase_add_test(tc, test_no_dmabuf_export);
    tcase_add_loop_test(tc, test_every_error_path_leaks_nothing, 0, 3);
    tcase_add_test(tc, test_userptr_bind_and_frames);
    tcase_add_test(tc, test_userptr_three_slots_gaps);
    tcase_add_test(tc, test_userptr_order_mends);
    tcase_add_loop_test(tc, test_userptr_refused, 0, (int)BATON_ARRAY_LEN(refusals));
    tcase_add_test(tc, test_userptr_release_from_thread);
    tcase_add_test(tc, test_userptr_unplugged);
    tcase_add_test(tc, test_userptr_misuse);
    tcase_add_test(tc, test_userptr_unplugged_in_bind);
    tcase_add_loop_test(tc, test_userptr_every_error_path, 0, 3);
    suite_add_tcase(s, tc);

    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (caps.vk_present && caps.vk_device_count > 0) {
        TCase *tp = tcase_create("pipeline");
        tcase_add_checked_fixture(tp, setup, teardown);
        tcase_set_timeout(tp, 120);
        tcase_add_loop_test(tp, test_pipeline_frames, 0, 8);
        tcase_add_loop_test(tp, test_pipeline_newest, 0, 2);
        tcase_add_test(tp, test_pipeline_stall);
        tcase_add_loop_test(tp, test_pipeline_unplugged, 0, 2);
        tcase_add_loop_test(tp, test_pipeline_resync, 0, 4);
        tcase_add_test(tp, test_pipeline_resync_gives_up);
        tcase_add_test(tp, test_pipeline_resync_other_size);
        if (counting == ALLOC_COUNT_READY)
            tcase_add_loop_test(tp, test_pipeline_steady_userptr, 0, 4);
        else
            printf("note: a sanitizer replaces malloc: the zero-allocation count over USERPTR "
                   "runs in the plain build\n");
        suite_add_tcase(s, tp);
    } else {
        fprintf(stderr, "Vulkan unavailable (%s): the pipeline cases are left out\n",
                caps.vk_error);
        if (test_vulkan_required())
            return 1;
    }
    return test_run_suite(s);
}
