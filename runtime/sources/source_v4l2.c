/* source_v4l2.c - a V4L2 camera: "v4l2:/dev/videoN[:FOURCC]".
 *
 * FOURCC: YUYV, UYVY, NV12, GREY or RGB3, or a baton format name (GREY8,
 * RGB24; case-insensitive); without it the configured format is asked for.
 *
 * open: VIDIOC_QUERYCAP (single-planar capture with streaming I/O, else a
 * clear error), VIDIOC_ENUM_FMT to learn what the device offers, then
 * VIDIOC_S_FMT with the requested size and the first format the device
 * offers of: the requested one (FOURCC in the spec, else the configured
 * format), YUYV, UYVY, NV12, GREY. Whatever the driver answers (size,
 * format, bytesperline) is what the source delivers: src->width, height
 * and format are overwritten. Then MMAP streaming: VIDIOC_REQBUFS for
 * V4L2_SOURCE_BUFFERS (4) buffers, VIDIOC_QUERYBUF + mmap each,
 * VIDIOC_EXPBUF each (recorded, see below), VIDIOC_QBUF all, STREAMON.
 *
 * How frames reach the pipeline's staging memory (src->io says which):
 *
 *  - USERPTR, no CPU copy (v4l2_userptr.c): the pipeline binds the source
 *    to its S slots' staging buffers (page-aligned; pinned cudaHostAlloc
 *    memory with the CUDA stage, mapped on integrated GPUs; aligned_alloc
 *    with the CPU stage). The MMAP set-up of open is undone and the driver
 *    gets one V4L2_MEMORY_USERPTR buffer per slot, so the camera writes
 *    each frame straight into the staging of the slot that takes it. Only
 *    where a packed frame is what the driver writes: rows not padded
 *    (bytesperline = a packed row) and sizeimage no larger than a staging
 *    buffer. next() then waits for the frame in its slot's buffer and
 *    leaves it there; release() (the pipeline's completion thread, once
 *    the frame is retired) queues it again.
 *  - MMAP + one CPU copy a frame, the fallback: where the source is not
 *    bound (used on its own), or the driver refuses USERPTR (no support,
 *    padded rows, a failing ioctl: the MMAP set-up is restored and src->io
 *    names the refusal, e.g. "V4L2 MMAP + one CPU copy a frame (USERPTR
 *    refused: VIDIOC_REQBUFS: Invalid argument)").
 *
 * next (MMAP): poll() bounded by the timeout, VIDIOC_DQBUF (the fd is
 * non-blocking), copy to dst (row by row when the driver pads rows), QBUF
 * the buffer back. The driver's sequence number is the frame number (gaps,
 * which are frames the driver had no buffer for, count as dropped); its
 * timestamp is returned when it is CLOCK_MONOTONIC, and at most now (vivid
 * stamps a frame's ideal end, up to a period after it fills the buffer,
 * which made capture -> done come out negative). NEWEST drains every
 * buffer already done, keeps the newest and requeues the others (dropped).
 * An unplugged camera (ENODEV / EIO / ENXIO from poll, DQBUF or QBUF) is
 * BATON_ERR_DISCONNECTED "device gone"; after it the source can only be
 * closed (the pipeline's on_source_lost = RESYNC closes and reopens it).
 * (EIO may also be a driver's transient error; baton treats it as fatal.)
 * Buffers flagged V4L2_BUF_FLAG_ERROR, or shorter than a frame, are
 * requeued and counted as dropped. next (USERPTR): v4l2_userptr.c.
 *
 * DMA-BUF: VIDIOC_EXPBUF is tried at open for every MMAP buffer; when it
 * works the fds stay open until close (or until USERPTR replaces the MMAP
 * buffers) and source_v4l2_info() reports them. Importing them into CUDA or
 * Vulkan instead of USERPTR is not built: it could not be tested here (no
 * GPU on the development machine, and lavapipe lacks
 * VK_EXT_external_memory_dma_buf), and USERPTR already removes the copy.
 *
 * Every system call goes through the v4l2_io table (v4l2_io.h) so a test
 * double can replace the device. Nothing is allocated in next(). */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/baton_internal.h"
#include "sources/source.h"
#include "sources/v4l2_io.h"
#include "sources/v4l2_state.h"

/* ---- the system call table ---------------------------------------------- */

static int real_open(const char *path, int flags)
{
    return open(path, flags);
}

static int real_ioctl(int fd, unsigned long request, void *arg)
{
    return ioctl(fd, request, arg);
}

const v4l2_io v4l2_io_default = {
    .open = real_open,
    .close = close,
    .ioctl = real_ioctl,
    .mmap = mmap,
    .munmap = munmap,
    .poll = poll,
};

static const v4l2_io *current_io = &v4l2_io_default;

const v4l2_io *v4l2_io_set(const v4l2_io *io)
{
    const v4l2_io *old = current_io;
    current_io = io ? io : &v4l2_io_default;
    return old;
}

/* ---- formats ------------------------------------------------------------ */

/* The first four, in this order, are the fallbacks after the requested one. */
static const struct {
    uint32_t fourcc;
    baton_format format;
} format_map[] = {
    {V4L2_PIX_FMT_YUYV, BATON_FORMAT_YUYV},   {V4L2_PIX_FMT_UYVY, BATON_FORMAT_UYVY},
    {V4L2_PIX_FMT_NV12, BATON_FORMAT_NV12},   {V4L2_PIX_FMT_GREY, BATON_FORMAT_GREY8},
    {V4L2_PIX_FMT_RGB24, BATON_FORMAT_RGB24},
};
#define FALLBACK_COUNT 4u

static bool fourcc_to_format(uint32_t fourcc, baton_format *out)
{
    for (size_t i = 0; i < BATON_ARRAY_LEN(format_map); i++)
        if (format_map[i].fourcc == fourcc) {
            *out = format_map[i].format;
            return true;
        }
    return false;
}

static bool format_to_fourcc(baton_format fmt, uint32_t *out)
{
    for (size_t i = 0; i < BATON_ARRAY_LEN(format_map); i++)
        if (format_map[i].format == fmt) {
            *out = format_map[i].fourcc;
            return true;
        }
    return false;
}

/* "YUYV", "MJPG", "Y16 -BE": printable, trailing blanks dropped. */
static void fourcc_string(uint32_t fourcc, char out[9])
{
    int n = 0;
    for (int i = 0; i < 4; i++) {
        char c = (char)((fourcc >> (8 * i)) & 0x7f);
        out[n++] = (c >= 0x20 && c < 0x7f) ? c : '.';
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    if (fourcc & (1u << 31)) {
        memcpy(out + n, "-BE", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* Bytes of one packed row, and rows in the frame (NV12: luma + chroma rows;
 * V4L2's single-plane NV12 puts the chroma rows right after the luma rows
 * with the same bytesperline). */
static void frame_rows(baton_format fmt, uint32_t width, uint32_t height, size_t *row_bytes,
                       size_t *rows)
{
    *rows = height;
    switch (fmt) {
    case BATON_FORMAT_YUYV:
    case BATON_FORMAT_UYVY:
        *row_bytes = (size_t)width * 2;
        break;
    case BATON_FORMAT_NV12:
        *row_bytes = width;
        *rows = (size_t)height + height / 2;
        break;
    case BATON_FORMAT_RGB24:
        *row_bytes = (size_t)width * 3;
        break;
    case BATON_FORMAT_GREY8:
    default:
        *row_bytes = width;
        break;
    }
}

/* ---- errors ------------------------------------------------------------- */

int v4l2_xioctl(const v4l2_state *s, unsigned long request, void *arg)
{
    int r;
    do
        r = s->io->ioctl(s->fd, request, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

bool v4l2_is_gone(int e)
{
    return e == ENODEV || e == EIO || e == ENXIO;
}

static const char *errno_name(int e)
{
    switch (e) {
    case ENODEV: return "ENODEV";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    default: return "errno";
    }
}

baton_status v4l2_gone(const v4l2_state *s, int e, baton_error *err)
{
    return baton_error_set(err, BATON_ERR_DISCONNECTED, "v4l2 %s: device gone (%s)", s->path,
                           errno_name(e));
}

baton_status v4l2_os_error(const v4l2_state *s, const char *call, int e, baton_error *err)
{
    return baton_error_set(err, BATON_ERR_OS, "v4l2 %s: %s failed: %s", s->path, call,
                           strerror(e));
}

baton_status v4l2_call_error(const v4l2_state *s, const char *call, int e, baton_error *err)
{
    return v4l2_is_gone(e) ? v4l2_gone(s, e, err) : v4l2_os_error(s, call, e, err);
}

/* ---- open --------------------------------------------------------------- */

static baton_status parse_spec(v4l2_state *s, const source *src, const char *arg,
                               baton_format *requested, baton_error *err)
{
    if (arg[0] != ':' || arg[1] == '\0' || arg[1] == ':')
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "source '%s': want v4l2:/dev/videoN[:FOURCC]", src->spec);
    const char *path = arg + 1;
    size_t n = strcspn(path, ":");
    if (n >= sizeof s->path)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "source '%s': path too long",
                               src->spec);
    memcpy(s->path, path, n);
    s->path[n] = '\0';
    if (path[n] == ':') {
        const char *name = path + n + 1;
        baton_error perr;
        if (strcmp(name, "RGB3") == 0) { /* V4L2's fourcc for RGB24 */
            *requested = BATON_FORMAT_RGB24;
        } else if (baton_format_parse(name, requested, &perr) != BATON_OK ||
                   *requested == BATON_FORMAT_RGBA8) {
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "source '%s': unknown format '%s' (YUYV, UYVY, NV12, GREY "
                                   "or RGB24)",
                                   src->spec, name);
        }
    }
    return BATON_OK;
}

static baton_status query_caps(v4l2_state *s, baton_error *err)
{
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (v4l2_xioctl(s, VIDIOC_QUERYCAP, &cap) < 0) {
        int e = errno;
        if (e == ENOTTY || e == EINVAL)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "v4l2 %s: not a V4L2 device (VIDIOC_QUERYCAP: %s)", s->path,
                                   strerror(e));
        return v4l2_os_error(s, "VIDIOC_QUERYCAP", e, err);
    }
    uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps
                                                               : cap.capabilities;
    char card[sizeof cap.card + 1], driver[sizeof cap.driver + 1];
    memcpy(card, cap.card, sizeof cap.card);
    card[sizeof cap.card] = '\0';
    memcpy(driver, cap.driver, sizeof cap.driver);
    driver[sizeof cap.driver] = '\0';
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "v4l2 %s ('%s', driver %s): not a video capture device "
                               "(capabilities 0x%08x%s)",
                               s->path, card, driver, caps,
                               (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE)
                                   ? "; multi-planar capture only, which baton does not take"
                                   : "");
    if (!(caps & V4L2_CAP_STREAMING))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "v4l2 %s ('%s', driver %s): capture device without streaming "
                               "I/O (capabilities 0x%08x); baton needs MMAP streaming",
                               s->path, card, driver, caps);
    return BATON_OK;
}

static baton_status list_formats(v4l2_state *s, baton_error *err)
{
    s->offered_count = 0;
    for (uint32_t i = 0; i < V4L2_MAX_LISTED_FORMATS; i++) {
        struct v4l2_fmtdesc d;
        memset(&d, 0, sizeof d);
        d.index = i;
        d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (v4l2_xioctl(s, VIDIOC_ENUM_FMT, &d) < 0) {
            if (errno == EINVAL)
                break; /* the end of the list */
            return v4l2_os_error(s, "VIDIOC_ENUM_FMT", errno, err);
        }
        s->offered[s->offered_count++] = d.pixelformat;
    }
    return BATON_OK;
}

static bool offered(const v4l2_state *s, uint32_t fourcc)
{
    for (uint32_t i = 0; i < s->offered_count; i++)
        if (s->offered[i] == fourcc)
            return true;
    return false;
}

static baton_status choose_format(v4l2_state *s, baton_format requested, uint32_t *out,
                                  baton_error *err)
{
    uint32_t want;
    if (format_to_fourcc(requested, &want) && offered(s, want)) {
        *out = want;
        return BATON_OK;
    }
    for (uint32_t i = 0; i < FALLBACK_COUNT; i++)
        if (offered(s, format_map[i].fourcc)) {
            *out = format_map[i].fourcc;
            return BATON_OK;
        }
    /* what baton would have taken, in the order it tries them */
    char takes[64] = "";
    size_t used = 0;
    if (format_to_fourcc(requested, &want)) {
        bool fallback = false;
        for (uint32_t i = 0; i < FALLBACK_COUNT; i++)
            fallback |= format_map[i].fourcc == want;
        if (!fallback)
            used += (size_t)snprintf(takes, sizeof takes, "%s, ", baton_format_name(requested));
    }
    snprintf(takes + used, sizeof takes - used, "YUYV, UYVY, NV12, GREY");
    char list[V4L2_MAX_LISTED_FORMATS * 10 + 16] = "";
    used = 0;
    for (uint32_t i = 0; i < s->offered_count; i++) {
        char cc[9];
        fourcc_string(s->offered[i], cc);
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? " " : "", cc);
    }
    return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                           "v4l2 %s: offers none of the formats baton takes (%s); the device "
                           "offers: %s",
                           s->path, takes, s->offered_count ? list : "(no formats listed)");
}

static baton_status set_format(v4l2_state *s, source *src, uint32_t fourcc, baton_error *err)
{
    struct v4l2_format f;
    memset(&f, 0, sizeof f);
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    f.fmt.pix.width = src->width;
    f.fmt.pix.height = src->height;
    f.fmt.pix.pixelformat = fourcc;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    if (v4l2_xioctl(s, VIDIOC_S_FMT, &f) < 0) {
        char cc[9];
        fourcc_string(fourcc, cc);
        if (errno == EBUSY)
            return baton_error_set(err, BATON_ERR_OS,
                                   "v4l2 %s: VIDIOC_S_FMT %s %ux%u: device busy (another "
                                   "program is streaming from it?)",
                                   s->path, cc, src->width, src->height);
        return baton_error_set(err, BATON_ERR_OS, "v4l2 %s: VIDIOC_S_FMT %s %ux%u failed: %s",
                               s->path, cc, src->width, src->height, strerror(errno));
    }
    baton_format fmt;
    char cc[9];
    fourcc_string(f.fmt.pix.pixelformat, cc);
    if (!fourcc_to_format(f.fmt.pix.pixelformat, &fmt))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "v4l2 %s: driver switched to format %s, which baton does not take",
                               s->path, cc);
    uint32_t w = f.fmt.pix.width, h = f.fmt.pix.height;
    if (baton_format_check_size(fmt, w, h, err) != BATON_OK)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "v4l2 %s: driver set %s %ux%u, not a valid size for it", s->path,
                               cc, w, h);
    frame_rows(fmt, w, h, &s->row_bytes, &s->rows);
    uint32_t bpl = f.fmt.pix.bytesperline ? f.fmt.pix.bytesperline : (uint32_t)s->row_bytes;
    if (bpl < s->row_bytes)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "v4l2 %s: driver's bytesperline %u is less than a %s row of %ux%u "
                               "(%zu bytes)",
                               s->path, bpl, cc, w, h, s->row_bytes);
    s->needed = (size_t)bpl * (s->rows - 1) + s->row_bytes;
    if (f.fmt.pix.sizeimage && f.fmt.pix.sizeimage < s->needed)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "v4l2 %s: driver's sizeimage %u is less than %zu bytes (%s %ux%u, "
                               "bytesperline %u)",
                               s->path, f.fmt.pix.sizeimage, s->needed, cc, w, h, bpl);
    s->pixelformat = f.fmt.pix.pixelformat;
    s->bytesperline = bpl;
    s->sizeimage = f.fmt.pix.sizeimage;
    src->format = fmt;
    src->width = w;
    src->height = h;
    return BATON_OK;
}

/* VIDIOC_EXPBUF for every buffer, all or nothing. */
static void try_export(v4l2_state *s)
{
    s->dmabuf_export = false;
    s->dmabuf_errno = 0;
    for (uint32_t i = 0; i < s->buffers; i++) {
        struct v4l2_exportbuffer x;
        memset(&x, 0, sizeof x);
        x.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        x.index = i;
        x.flags = O_RDONLY | O_CLOEXEC;
        if (v4l2_xioctl(s, VIDIOC_EXPBUF, &x) < 0) {
            s->dmabuf_errno = errno;
            for (uint32_t j = 0; j < i; j++) {
                s->io->close(s->map[j].dmabuf_fd);
                s->map[j].dmabuf_fd = -1;
            }
            return;
        }
        s->map[i].dmabuf_fd = x.fd;
    }
    s->dmabuf_export = true;
}

baton_status v4l2_start_mmap(v4l2_state *s, baton_error *err)
{
    struct v4l2_requestbuffers rb;
    memset(&rb, 0, sizeof rb);
    rb.count = V4L2_SOURCE_BUFFERS;
    rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    rb.memory = V4L2_MEMORY_MMAP;
    if (v4l2_xioctl(s, VIDIOC_REQBUFS, &rb) < 0) {
        if (errno == EINVAL)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "v4l2 %s: no MMAP streaming (VIDIOC_REQBUFS: %s)", s->path,
                                   strerror(errno));
        return v4l2_call_error(s, "VIDIOC_REQBUFS", errno, err);
    }
    s->memory = V4L2_MEMORY_MMAP;
    s->buf_caps = rb.capabilities;
    if (rb.count < 2 || rb.count > V4L2_SOURCE_MAX_BUFFERS)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "v4l2 %s: driver gave %u buffers for %u requested (baton takes "
                               "2..%u)",
                               s->path, rb.count, V4L2_SOURCE_BUFFERS, V4L2_SOURCE_MAX_BUFFERS);
    s->buffers = rb.count;
    for (uint32_t i = 0; i < s->buffers; i++) {
        struct v4l2_buffer b;
        memset(&b, 0, sizeof b);
        b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b.memory = V4L2_MEMORY_MMAP;
        b.index = i;
        if (v4l2_xioctl(s, VIDIOC_QUERYBUF, &b) < 0)
            return v4l2_call_error(s, "VIDIOC_QUERYBUF", errno, err);
        if (b.length < s->needed)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "v4l2 %s: buffer %u holds %u bytes, a frame needs %zu",
                                   s->path, i, b.length, s->needed);
        void *mem = s->io->mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
                                (off_t)b.m.offset);
        if (mem == MAP_FAILED)
            return v4l2_call_error(s, "mmap", errno, err);
        s->map[i].mem = mem;
        s->map[i].length = b.length;
    }
    try_export(s);
    for (uint32_t i = 0; i < s->buffers; i++) {
        int e = v4l2_qbuf(s, i);
        if (e)
            return v4l2_call_error(s, "VIDIOC_QBUF", e, err);
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (v4l2_xioctl(s, VIDIOC_STREAMON, &type) < 0)
        return v4l2_call_error(s, "VIDIOC_STREAMON", errno, err);
    s->streaming = true;
    return BATON_OK;
}

/* Remember the first failure of a teardown that carries on. */
static void first_failure(int *first, const char **call, const char *name, int e)
{
    if (*first == 0) {
        *first = e;
        *call = name;
    }
}

int v4l2_stop_streaming(v4l2_state *s, const char **call)
{
    int first = 0;
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (s->streaming) {
        if (v4l2_xioctl(s, VIDIOC_STREAMOFF, &type) < 0)
            first_failure(&first, call, "VIDIOC_STREAMOFF", errno); /* still on: tried again */
        else
            s->streaming = false;
    }
    for (uint32_t i = 0; i < V4L2_SOURCE_MAX_BUFFERS; i++) {
        if (s->map[i].mem && s->io->munmap(s->map[i].mem, s->map[i].length) < 0)
            first_failure(&first, call, "munmap", errno);
        if (s->map[i].dmabuf_fd >= 0)
            s->io->close(s->map[i].dmabuf_fd);
        s->map[i] = (v4l2_map){.mem = NULL, .length = 0, .dmabuf_fd = -1};
        s->queued[i] = false;
    }
    s->dmabuf_export = false;
    struct v4l2_requestbuffers rb;
    memset(&rb, 0, sizeof rb);
    rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    rb.memory = s->memory;
    if (s->buffers && v4l2_xioctl(s, VIDIOC_REQBUFS, &rb) < 0)
        first_failure(&first, call, "VIDIOC_REQBUFS", errno); /* still there: tried again */
    else
        s->buffers = 0;
    return first;
}

static baton_status v4l2_open(source *src, const char *arg, baton_error *err)
{
    v4l2_state *s = calloc(1, sizeof *s);
    if (!s)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(v4l2 source) failed");
    s->fd = -1;
    for (uint32_t i = 0; i < V4L2_SOURCE_MAX_BUFFERS; i++)
        s->map[i].dmabuf_fd = -1;
    s->io = current_io;
    src->state = s;
    int le = pthread_mutex_init(&s->lock, NULL);
    if (le != 0)
        return baton_error_set(err, BATON_ERR_OS, "v4l2: pthread_mutex_init failed: %s",
                               strerror(le));
    s->lock_ready = true;

    baton_format requested = src->format;
    baton_status st = parse_spec(s, src, arg, &requested, err);
    if (st != BATON_OK)
        return st;
    do
        s->fd = s->io->open(s->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    while (s->fd < 0 && errno == EINTR);
    if (s->fd < 0) {
        int e = errno;
        const char *hint = e == ENOENT   ? " (no such device: is the camera connected? see "
                                           "ls /dev/video*)"
                           : e == EACCES ? " (permission: is the user in group 'video'?)"
                           : e == EBUSY  ? " (in use by another program?)"
                                         : "";
        return baton_error_set(err, BATON_ERR_OS, "v4l2 %s: cannot open: %s%s", s->path,
                               strerror(e), hint);
    }
    if ((st = query_caps(s, err)) != BATON_OK || (st = list_formats(s, err)) != BATON_OK)
        return st;
    uint32_t fourcc;
    if ((st = choose_format(s, requested, &fourcc, err)) != BATON_OK ||
        (st = set_format(s, src, fourcc, err)) != BATON_OK ||
        (st = v4l2_start_mmap(s, err)) != BATON_OK)
        return st;
    snprintf(src->io, sizeof src->io, "V4L2 MMAP + one CPU copy a frame");
    return BATON_OK;
}

static void v4l2_close(source *src)
{
    v4l2_state *s = src->state;
    if (!s)
        return;
    /* STREAMOFF fails harmlessly on an unplugged device; after it the driver
     * writes no more into USERPTR buffers (the pipeline's staging) */
    if (s->streaming) {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        v4l2_xioctl(s, VIDIOC_STREAMOFF, &type);
    }
    for (uint32_t i = 0; i < V4L2_SOURCE_MAX_BUFFERS; i++) {
        if (s->map[i].mem)
            s->io->munmap(s->map[i].mem, s->map[i].length);
        if (s->map[i].dmabuf_fd >= 0)
            s->io->close(s->map[i].dmabuf_fd);
    }
    if (s->fd >= 0)
        s->io->close(s->fd);
    if (s->lock_ready)
        pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- next --------------------------------------------------------------- */

static void buffer_for(const v4l2_state *s, uint32_t index, struct v4l2_buffer *b)
{
    memset(b, 0, sizeof *b);
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = s->memory;
    b->index = index;
    if (s->memory == V4L2_MEMORY_USERPTR) {
        b->m.userptr = (unsigned long)s->user[index];
        b->length = (uint32_t)s->user_bytes;
    }
}

int v4l2_qbuf_locked(v4l2_state *s, uint32_t index)
{
    struct v4l2_buffer b;
    buffer_for(s, index, &b);
    if (v4l2_xioctl(s, VIDIOC_QBUF, &b) < 0)
        return errno;
    s->queued[index] = true;
    return 0;
}

int v4l2_qbuf(v4l2_state *s, uint32_t index)
{
    pthread_mutex_lock(&s->lock);
    int e = v4l2_qbuf_locked(s, index);
    pthread_mutex_unlock(&s->lock);
    return e;
}

int v4l2_dqbuf(v4l2_state *s, struct v4l2_buffer *b)
{
    memset(b, 0, sizeof *b);
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = s->memory;
    pthread_mutex_lock(&s->lock);
    int e = v4l2_xioctl(s, VIDIOC_DQBUF, b) < 0 ? errno : 0;
    if (e == 0 && b->index < V4L2_SOURCE_MAX_BUFFERS)
        s->queued[b->index] = false;
    pthread_mutex_unlock(&s->lock);
    return e;
}

static baton_status requeue(v4l2_state *s, uint32_t index, baton_error *err)
{
    int e = v4l2_qbuf(s, index);
    return e ? v4l2_call_error(s, "VIDIOC_QBUF", e, err) : BATON_OK;
}

/* A dequeued buffer the driver marked broken, or too short for a frame:
 * skipped like a dropped frame. */
static bool unusable(const v4l2_state *s, const struct v4l2_buffer *b)
{
    return (b->flags & V4L2_BUF_FLAG_ERROR) || (b->bytesused && b->bytesused < s->needed);
}

static baton_status check_index(const v4l2_state *s, const struct v4l2_buffer *b,
                                baton_error *err)
{
    if (b->index >= s->buffers)
        return baton_error_set(err, BATON_ERR_IO,
                               "v4l2 %s: driver returned buffer %u of %u", s->path, b->index,
                               s->buffers);
    return BATON_OK;
}

static baton_status timed_out(const v4l2_state *s, uint32_t timeout_ms, uint32_t corrupt,
                              uint32_t elsewhere, baton_error *err)
{
    char note[96] = "";
    if (elsewhere)
        snprintf(note, sizeof note,
                 " (%u frames came in other slots' buffers, none in this slot's)", elsewhere);
    else if (corrupt)
        snprintf(note, sizeof note, " (only buffers flagged corrupt arrived)");
    return baton_error_set(err, BATON_ERR_TIMEOUT,
                           "v4l2 %s: no frame within %u ms (camera stalled?)%s", s->path,
                           timeout_ms, note);
}

baton_status v4l2_wait_done(v4l2_state *s, uint32_t timeout_ms, uint64_t deadline_ns,
                            uint32_t elsewhere, struct v4l2_buffer *b, uint32_t *corrupt,
                            baton_error *err)
{
    for (;;) {
        uint64_t now = baton_now_ns();
        uint64_t left_ns = deadline_ns > now ? deadline_ns - now : 0;
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN, .revents = 0};
        uint64_t left_ms = (left_ns + 999999u) / 1000000u;
        int r = s->io->poll(&pfd, 1, left_ms > INT32_MAX ? INT32_MAX : (int)left_ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return v4l2_call_error(s, "poll", errno, err);
        }
        if (r == 0)
            return timed_out(s, timeout_ms, *corrupt, elsewhere, err);
        int e = v4l2_dqbuf(s, b);
        if (e) {
            if (e != EAGAIN)
                return v4l2_call_error(s, "VIDIOC_DQBUF", e, err);
            if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
                return baton_error_set(err, BATON_ERR_IO,
                                       "v4l2 %s: poll reports an error (revents 0x%x) and no "
                                       "buffer is done: streaming stopped",
                                       s->path, (unsigned)pfd.revents);
            continue; /* spurious wake-up: wait out the rest */
        }
        baton_status st = check_index(s, b, err);
        if (st != BATON_OK)
            return st;
        if (!unusable(s, b))
            return BATON_OK;
        (*corrupt)++;
        if ((st = requeue(s, b->index, err)) != BATON_OK)
            return st;
    }
}

/* NEWEST (MMAP): take whatever else is already done, keep the newest, give
 * the older ones back; bounded in case the camera outruns this loop. */
static baton_status drain_newest(v4l2_state *s, struct v4l2_buffer *b, uint64_t *lost,
                                 baton_error *err)
{
    for (uint32_t n = 0; n < 4 * V4L2_SOURCE_MAX_BUFFERS; n++) {
        struct v4l2_buffer nb;
        int e = v4l2_dqbuf(s, &nb);
        if (e == EAGAIN)
            break;
        if (e) {
            requeue(s, b->index, NULL);
            return v4l2_call_error(s, "VIDIOC_DQBUF", e, err);
        }
        baton_status st = check_index(s, &nb, err);
        if (st != BATON_OK)
            return st;
        bool bad = unusable(s, &nb);
        if ((st = requeue(s, bad ? nb.index : b->index, err)) != BATON_OK)
            return st;
        (*lost)++;
        if (!bad)
            *b = nb;
    }
    return BATON_OK;
}

static void copy_frame(const v4l2_state *s, const uint8_t *in, uint8_t *dst)
{
    if (s->bytesperline == s->row_bytes) {
        memcpy(dst, in, s->row_bytes * s->rows);
        return;
    }
    for (size_t r = 0; r < s->rows; r++)
        memcpy(dst + r * s->row_bytes, in + r * s->bytesperline, s->row_bytes);
}

/* The frame number, drops and capture time of the buffer delivered. The
 * sequence number is the frame number; a driver that does not count (the
 * number stands still or goes back) is counted for. */
static void count_frame(v4l2_state *s, const struct v4l2_buffer *b, uint64_t lost,
                        uint64_t *frame, uint64_t *dropped, uint64_t *timestamp_ns)
{
    uint64_t n;
    if (!s->have_last) {
        n = b->sequence;
    } else {
        uint32_t step = b->sequence - s->last_sequence; /* wraps at 2^32 */
        if (step == 0 || step > 0x80000000u)
            step = (uint32_t)lost + 1;
        n = s->last_frame + step;
        if (step - 1u > lost)
            lost = step - 1u;
    }
    s->have_last = true;
    s->last_sequence = b->sequence;
    s->last_frame = n;
    *frame = n;
    *dropped += lost;
    if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) {
        uint64_t ts = (uint64_t)b->timestamp.tv_sec * 1000000000u +
                      (uint64_t)b->timestamp.tv_usec * 1000u;
        uint64_t now = baton_now_ns();
        *timestamp_ns = ts < now ? ts : now; /* a capture is not in the future */
    }
}

static baton_status v4l2_next(source *src, baton_drop_policy policy, uint8_t *dst,
                              uint32_t timeout_ms, uint64_t *frame, uint64_t *dropped,
                              uint64_t *timestamp_ns, baton_error *err)
{
    v4l2_state *s = src->state;
    struct v4l2_buffer b;
    uint64_t lost = 0;
    if (s->memory == V4L2_MEMORY_USERPTR) {
        /* the frame is in dst already; the buffer stays out until release() */
        baton_status st = v4l2_next_bound(s, dst, timeout_ms, &b, &lost, err);
        if (st == BATON_OK)
            count_frame(s, &b, lost, frame, dropped, timestamp_ns);
        return st;
    }
    uint32_t corrupt = 0;
    uint64_t deadline = baton_now_ns() + (uint64_t)timeout_ms * 1000000u;
    baton_status st = v4l2_wait_done(s, timeout_ms, deadline, 0, &b, &corrupt, err);
    if (st != BATON_OK)
        return st;
    lost = corrupt;
    if (policy == BATON_POLICY_NEWEST && (st = drain_newest(s, &b, &lost, err)) != BATON_OK)
        return st;
    copy_frame(s, s->map[b.index].mem, dst);
    count_frame(s, &b, lost, frame, dropped, timestamp_ns);
    return requeue(s, b.index, err);
}

baton_status source_v4l2_info(const source *src, v4l2_source_info *out, baton_error *err)
{
    if (!src || !out || src->ops != &source_v4l2_ops || !src->state)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "source_v4l2_info: not an open v4l2 source");
    const v4l2_state *s = src->state;
    memset(out, 0, sizeof *out);
    out->pixelformat = s->pixelformat;
    out->bytesperline = s->bytesperline;
    out->sizeimage = s->sizeimage;
    out->buffers = s->buffers;
    out->memory = s->memory;
    out->dmabuf_export = s->dmabuf_export;
    out->dmabuf_errno = s->dmabuf_errno;
    for (uint32_t i = 0; i < V4L2_SOURCE_MAX_BUFFERS; i++)
        out->dmabuf_fds[i] = s->map[i].dmabuf_fd;
    return BATON_OK;
}

const source_ops source_v4l2_ops = {
    .scheme = "v4l2",
    .usage = "v4l2:/dev/videoN[:FOURCC]",
    .open = v4l2_open,
    .next = v4l2_next,
    .close = v4l2_close,
    .bind = v4l2_bind,
    .release = v4l2_release,
};
