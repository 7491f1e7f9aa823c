/* v4l2_io.h - the system calls the V4L2 source makes, behind a table.
 *
 * Every call the V4L2 source (source_v4l2.c, v4l2_userptr.c) makes on the
 * device (open, close, ioctl, mmap, munmap, poll) goes through the table
 * installed here, so a test double can stand in for a camera
 * (tests/check_source_v4l2.c replays a YUYV camera's ioctl sequence) and
 * the error paths can be driven one by one. The default table calls the real functions. Internal: not installed.
 */
#ifndef BATON_V4L2_IO_H
#define BATON_V4L2_IO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sources/source.h"

typedef struct v4l2_io {
    int (*open)(const char *path, int flags);
    int (*close)(int fd);
    int (*ioctl)(int fd, unsigned long request, void *arg);
    void *(*mmap)(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
    int (*munmap)(void *addr, size_t length);
    int (*poll)(struct pollfd *fds, nfds_t nfds, int timeout_ms);
} v4l2_io;

/* The real system calls. */
extern const v4l2_io v4l2_io_default;

/* Test seam: make the V4L2 source use io (NULL: the default table) for
 * devices opened from now on; an open source keeps the table it was
 * opened with. Returns the table that was installed. Not thread-safe. */
const v4l2_io *v4l2_io_set(const v4l2_io *io);

#define V4L2_SOURCE_BUFFERS 4u     /* MMAP buffers requested */
#define V4L2_SOURCE_MAX_BUFFERS 8u /* most a driver may insist on */

/* What the V4L2 source negotiated, for tests and diagnostics. */
typedef struct v4l2_source_info {
    uint32_t pixelformat;   /* the V4L2 fourcc streaming */
    uint32_t bytesperline;  /* the driver's row pitch (>= the packed row) */
    uint32_t sizeimage;
    uint32_t buffers;       /* buffers streaming: MMAP, the driver's count; USERPTR, the slots */
    uint32_t memory;        /* V4L2_MEMORY_MMAP, or V4L2_MEMORY_USERPTR once bound */
    /* VIDIOC_EXPBUF worked for every buffer: each is a dma-buf (dmabuf_fds,
     * kept open until close) that a GPU could import without a copy. */
    bool dmabuf_export;
    int dmabuf_errno;       /* why it did not (0 when it did) */
    int dmabuf_fds[V4L2_SOURCE_MAX_BUFFERS];
} v4l2_source_info;

/* Fill *out for an open "v4l2:" source; BATON_ERR_INVALID_ARGUMENT for
 * any other source. */
baton_status source_v4l2_info(const source *src, v4l2_source_info *out, baton_error *err);

#endif
