/* v4l2_state.h - the V4L2 source's state and the helpers its two files
 * share: source_v4l2.c (open, MMAP streaming, next, close) and
 * v4l2_userptr.c (capture straight into the pipeline's staging). Internal
 * to sources/. */
#ifndef BATON_V4L2_STATE_H
#define BATON_V4L2_STATE_H

#include <linux/videodev2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/source.h"
#include "sources/v4l2_io.h"

#define V4L2_MAX_LISTED_FORMATS 64u

typedef struct v4l2_map {
    void *mem; /* NULL: not mapped */
    size_t length;
    int dmabuf_fd; /* -1: none; owned here: closed by v4l2_stop_streaming or close */
} v4l2_map;

typedef struct v4l2_state {
    const v4l2_io *io;
    char path[256];
    int fd; /* the device; owned here: closed by close */
    bool streaming;
    uint32_t memory;    /* V4L2_MEMORY_MMAP, or V4L2_MEMORY_USERPTR once bound */
    uint32_t buffers;   /* buffers in use: the driver's MMAP count, or the slots */
    uint32_t buf_caps;  /* REQBUFS capabilities (V4L2_BUF_CAP_*; 0: not reported) */
    v4l2_map map[V4L2_SOURCE_MAX_BUFFERS];
    /* USERPTR: the pipeline's staging buffers, one per slot (the pipeline
     * owns them; they outlive the streaming, which close stops) */
    uint8_t *user[V4L2_SOURCE_MAX_BUFFERS];
    size_t user_bytes;
    /* lock: held around every QBUF and DQBUF, so that queued[] always agrees
     * with the driver, and around release_err. release() runs on the
     * pipeline's completion thread while next() runs on the driving one. */
    pthread_mutex_t lock;
    bool lock_ready;
    bool queued[V4L2_SOURCE_MAX_BUFFERS]; /* buffer i is with the driver */
    baton_error release_err;              /* a failed release(): next() returns it */
    uint32_t pixelformat, bytesperline, sizeimage;
    size_t row_bytes, rows, needed; /* frame geometry; needed: bytes a buffer must hold */
    bool dmabuf_export;
    int dmabuf_errno;
    bool have_last;
    uint32_t last_sequence;
    uint64_t last_frame;
    uint32_t offered[V4L2_MAX_LISTED_FORMATS];
    uint32_t offered_count;
} v4l2_state;

/* ioctl through the table, retried on EINTR. */
int v4l2_xioctl(const v4l2_state *s, unsigned long request, void *arg);
/* ENODEV, EIO, ENXIO: the device went away. */
bool v4l2_is_gone(int e);
/* BATON_ERR_DISCONNECTED "v4l2 PATH: device gone (ENODEV)". */
baton_status v4l2_gone(const v4l2_state *s, int e, baton_error *err);
/* BATON_ERR_OS "v4l2 PATH: CALL failed: strerror(e)". */
baton_status v4l2_os_error(const v4l2_state *s, const char *call, int e, baton_error *err);
/* gone or os_error, as e says. */
baton_status v4l2_call_error(const v4l2_state *s, const char *call, int e, baton_error *err);

/* QBUF buffer index (MMAP, or USERPTR with its staging buffer): 0, or the
 * errno. The _locked variant is for a caller that holds s->lock. */
int v4l2_qbuf(v4l2_state *s, uint32_t index);
int v4l2_qbuf_locked(v4l2_state *s, uint32_t index);
/* Wait (bounded by deadline_ns) for one usable buffer and DQBUF it; buffers
 * flagged corrupt or too short go straight back and count in *corrupt.
 * elsewhere: frames already passed over by the caller, for the timeout's
 * message. */
baton_status v4l2_wait_done(v4l2_state *s, uint32_t timeout_ms, uint64_t deadline_ns,
                            uint32_t elsewhere, struct v4l2_buffer *b, uint32_t *corrupt,
                            baton_error *err);
/* Non-blocking DQBUF: 0, or the errno (EAGAIN: nothing done). */
int v4l2_dqbuf(v4l2_state *s, struct v4l2_buffer *b);

/* MMAP streaming: REQBUFS, QUERYBUF + mmap, EXPBUF, QBUF all, STREAMON. */
baton_status v4l2_start_mmap(v4l2_state *s, baton_error *err);
/* Undo any streaming set-up: STREAMOFF, munmap, close the dma-bufs,
 * REQBUFS 0. Returns 0, or the errno of the first call that failed, naming
 * it in *call; it carries on past a failure, and a STREAMOFF or REQBUFS
 * that failed is tried again by the next call (or close). */
int v4l2_stop_streaming(v4l2_state *s, const char **call);

/* USERPTR, v4l2_userptr.c: find which bound buffer dst is, wait for the
 * frame in it (frames in other slots' buffers go back, counted in *lost). */
baton_status v4l2_next_bound(v4l2_state *s, const uint8_t *dst, uint32_t timeout_ms,
                             struct v4l2_buffer *b, uint64_t *lost, baton_error *err);
baton_status v4l2_bind(source *src, uint8_t *const *buffers, uint32_t count, size_t bytes,
                       baton_error *err);
void v4l2_release(source *src, const uint8_t *buffer);

#endif
