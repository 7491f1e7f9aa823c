/* v4l2_userptr.c - the V4L2 source capturing straight into the pipeline's
 * staging memory: one V4L2_MEMORY_USERPTR buffer per slot, so that no CPU
 * copies a frame the camera already wrote.
 *
 * bind (at pipeline creation, before any frame): first what can be known
 * without the driver: rows must not be padded (bytesperline = a packed row:
 * staging holds packed frames), sizeimage must fit a staging buffer, the
 * driver must not have said (REQBUFS capabilities) that it lacks USERPTR.
 * Then open's MMAP set-up is undone (STREAMOFF, munmap, the dma-bufs
 * closed, REQBUFS 0) and VIDIOC_REQBUFS asks for one USERPTR buffer per
 * slot; buffer i is slot i's staging, queued (VIDIOC_QBUF, m.userptr) with
 * its full length, then STREAMON. A driver that gives more buffers than
 * slots is fine (the others are never queued); one that gives fewer is a
 * refusal. Any refusal, before or from the driver, gives
 * BATON_ERR_UNSUPPORTED after the MMAP set-up is back (REQBUFS 4 MMAP ...
 * STREAMON, as open does), with src->io naming the reason: "V4L2 MMAP +
 * one CPU copy a frame (USERPTR refused: VIDIOC_QBUF: Bad address)". Only
 * when the MMAP set-up cannot be restored either is it an error (the
 * device is gone or broken). A driver whose minimum of queued buffers
 * exceeds the slots (vb2's min_buffers_needed; vivid's is 2) would not
 * start streaming: that shows as the stall timeout. Newer kernels may give
 * more buffers than asked without needing them queued, so a larger count
 * is not taken as that sign.
 *
 * next: dst must be one of the bound buffers, handed back by release()
 * (else BATON_ERR_STATE: the pipeline broke its order). The wait is the
 * MMAP one (poll bounded by the timeout, non-blocking DQBUF, corrupt
 * buffers requeued). A driver fills its queue in order and the pipeline
 * gives buffers back in slot order, so the buffer that comes is dst's.
 * When another one comes first (only after a corrupt buffer went back to
 * the end of the queue, or with a driver that does not fill in order) its
 * frame is dropped and it goes straight back; the order mends itself
 * within one round of the slots. The frame stays in dst; the buffer stays
 * out of the driver's queue until release(). Sequence numbers, drops and
 * timestamps are counted as in MMAP.
 *
 * NEWEST: the driver holds only the buffers of free slots, so no backlog
 * can form beyond them: a frame that finds no free buffer is dropped by the
 * driver and counted from the sequence gap, under either policy. The frame
 * in dst is the first one captured after its slot was freed, and the
 * newest one stored anywhere unless later slots' buffers are done too. When
 * the pipeline keeps up with the camera (next() is waiting before the
 * frame arrives) that is the newest frame there is. When it does not (the
 * driving thread is slower than the camera), the frame may have waited in
 * dst since shortly after its slot was freed, up to about one of the
 * driving thread's frame times, while the camera dropped newer ones; MMAP's
 * NEWEST would deliver one at most a camera period old. Delivering a newer
 * one from a later slot's buffer would take the CPU copy this mode exists
 * to avoid, and waiting for a fresh one (requeue dst when its timestamp is
 * more than a period old) trades that staleness for up to a period of
 * waiting: not done; NEWEST takes no extra step here.
 *
 * release (the pipeline's completion thread, concurrent with next() on the
 * driving thread): QBUF the buffer again. s->lock is held around every
 * QBUF and DQBUF and the queued[] flags they change, and around the
 * remembered release error; nothing here allocates. A failed release (the
 * camera unplugged: ENODEV) is kept and returned by every next() after it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/baton_internal.h"
#include "sources/v4l2_state.h"

#define IO_COPY "V4L2 MMAP + one CPU copy a frame"
#define IO_USERPTR "V4L2 USERPTR: the camera writes into staging (no CPU copy)"

/* Which bound buffer this is; -1 for none. */
static int slot_of(const v4l2_state *s, const uint8_t *buffer)
{
    for (uint32_t i = 0; i < s->buffers && i < V4L2_SOURCE_MAX_BUFFERS; i++)
        if (s->user[i] && s->user[i] == buffer)
            return (int)i;
    return -1;
}

/* What rules USERPTR out before asking the driver: true, and why. */
static bool cannot_bind(const v4l2_state *s, uint8_t *const *buffers, uint32_t count,
                        size_t bytes, char *why, size_t len)
{
    if (count == 0 || count > V4L2_SOURCE_MAX_BUFFERS) {
        snprintf(why, len, "%u slots, the source takes 1..%u", count, V4L2_SOURCE_MAX_BUFFERS);
        return true;
    }
    for (uint32_t i = 0; i < count; i++)
        if (!buffers[i]) {
            snprintf(why, len, "staging buffer %u is NULL", i);
            return true;
        }
    if (s->bytesperline != s->row_bytes) {
        snprintf(why, len, "the driver pads rows to %u bytes, staging holds packed rows of %zu",
                 s->bytesperline, s->row_bytes);
        return true;
    }
    if (s->sizeimage > bytes || s->needed > bytes) {
        snprintf(why, len, "the driver's sizeimage %u is more than a staging buffer's %zu bytes",
                 s->sizeimage, bytes);
        return true;
    }
    if (s->buf_caps && !(s->buf_caps & V4L2_BUF_CAP_SUPPORTS_USERPTR)) {
        snprintf(why, len, "the driver does not offer it (REQBUFS capabilities 0x%x)",
                 s->buf_caps);
        return true;
    }
    return false;
}

/* REQBUFS one USERPTR buffer per slot, QBUF each staging buffer, STREAMON:
 * true, or false and why (the failing call and its errno). */
static bool start_userptr(v4l2_state *s, uint8_t *const *buffers, uint32_t count, size_t bytes,
                          char *why, size_t len)
{
    struct v4l2_requestbuffers rb;
    memset(&rb, 0, sizeof rb);
    rb.count = count;
    rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    rb.memory = V4L2_MEMORY_USERPTR;
    if (v4l2_xioctl(s, VIDIOC_REQBUFS, &rb) < 0) {
        snprintf(why, len, "VIDIOC_REQBUFS: %s", strerror(errno));
        return false;
    }
    s->memory = V4L2_MEMORY_USERPTR;
    s->buffers = count; /* from here on, undoing this takes REQBUFS 0 */
    if (rb.count < count) {
        snprintf(why, len, "VIDIOC_REQBUFS: the driver gave %u buffers for %u slots", rb.count,
                 count);
        return false;
    }
    s->user_bytes = bytes;
    for (uint32_t i = 0; i < count; i++)
        s->user[i] = buffers[i];
    for (uint32_t i = 0; i < count; i++) {
        int e = v4l2_qbuf(s, i);
        if (e) {
            snprintf(why, len, "VIDIOC_QBUF: %s", strerror(e));
            return false;
        }
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (v4l2_xioctl(s, VIDIOC_STREAMON, &type) < 0) {
        snprintf(why, len, "VIDIOC_STREAMON: %s", strerror(errno));
        return false;
    }
    s->streaming = true;
    return true;
}

static baton_status refused(source *src, const char *why, baton_error *err)
{
    const v4l2_state *s = src->state;
    snprintf(src->io, sizeof src->io, IO_COPY " (USERPTR refused: %s)", why);
    return baton_error_set(err, BATON_ERR_UNSUPPORTED, "v4l2 %s: USERPTR refused: %s", s->path,
                           why);
}

/* USERPTR was refused: MMAP streaming back as open left it. */
static baton_status restore_mmap(source *src, const char *why, baton_error *err)
{
    v4l2_state *s = src->state;
    const char *call = NULL;
    v4l2_stop_streaming(s, &call); /* whatever USERPTR got to */
    memset(s->user, 0, sizeof s->user);
    s->user_bytes = 0;
    baton_status st = v4l2_start_mmap(s, err);
    if (st != BATON_OK) {
        if (st == BATON_ERR_UNSUPPORTED)
            st = BATON_ERR_IO; /* not "carry on copying": nothing streams now; a
                                  device gone stays BATON_ERR_DISCONNECTED */
        if (err) {
            char first[sizeof err->message];
            snprintf(first, sizeof first, "%s", err->message);
            baton_error_set(err, st, "%s (restoring MMAP after USERPTR was refused: %s)", first,
                            why);
        }
        snprintf(src->io, sizeof src->io, "V4L2: no streaming (USERPTR refused: %s)", why);
        return st;
    }
    return refused(src, why, err);
}

baton_status v4l2_bind(source *src, uint8_t *const *buffers, uint32_t count, size_t bytes,
                       baton_error *err)
{
    v4l2_state *s = src->state;
    char why[112];
    if (cannot_bind(s, buffers, count, bytes, why, sizeof why))
        return refused(src, why, err); /* nothing touched */
    const char *call = NULL;
    int e = v4l2_stop_streaming(s, &call); /* open's MMAP set-up */
    if (e) {
        snprintf(why, sizeof why, "%s: %s", call, strerror(e));
        return restore_mmap(src, why, err);
    }
    if (!start_userptr(s, buffers, count, bytes, why, sizeof why))
        return restore_mmap(src, why, err);
    snprintf(src->io, sizeof src->io, IO_USERPTR);
    baton_error_clear(err);
    return BATON_OK;
}

baton_status v4l2_next_bound(v4l2_state *s, const uint8_t *dst, uint32_t timeout_ms,
                             struct v4l2_buffer *b, uint64_t *lost, baton_error *err)
{
    int slot = slot_of(s, dst);
    pthread_mutex_lock(&s->lock);
    baton_status st = s->release_err.status;
    if (st != BATON_OK) {
        if (err)
            *err = s->release_err;
    } else if (slot < 0) {
        st = baton_error_set(err, BATON_ERR_STATE,
                             "v4l2 %s: next() into %p, none of the %u staging buffers bound",
                             s->path, (const void *)dst, s->buffers);
    } else if (!s->queued[slot]) {
        st = baton_error_set(err, BATON_ERR_STATE,
                             "v4l2 %s: next() into slot %d's buffer before release() gave it "
                             "back",
                             s->path, slot);
    }
    pthread_mutex_unlock(&s->lock);
    if (st != BATON_OK)
        return st;
    uint64_t deadline = baton_now_ns() + (uint64_t)timeout_ms * 1000000u;
    uint32_t corrupt = 0, elsewhere = 0;
    for (;;) {
        st = v4l2_wait_done(s, timeout_ms, deadline, elsewhere, b, &corrupt, err);
        if (st != BATON_OK)
            return st;
        if (b->index == (uint32_t)slot)
            break;
        /* another slot's buffer came first: its frame is dropped */
        elsewhere++;
        int e = v4l2_qbuf(s, b->index);
        if (e)
            return v4l2_call_error(s, "VIDIOC_QBUF", e, err);
    }
    if (b->m.userptr != (unsigned long)s->user[slot])
        return baton_error_set(err, BATON_ERR_IO,
                               "v4l2 %s: driver returned buffer %u at 0x%lx, queued at %p",
                               s->path, b->index, b->m.userptr, (void *)s->user[slot]);
    *lost = (uint64_t)corrupt + elsewhere;
    return BATON_OK;
}

void v4l2_release(source *src, const uint8_t *buffer)
{
    v4l2_state *s = src->state;
    if (!s || s->memory != V4L2_MEMORY_USERPTR)
        return;
    pthread_mutex_lock(&s->lock);
    if (s->release_err.status == BATON_OK) {
        int slot = slot_of(s, buffer);
        int e = 0;
        if (slot < 0 || s->queued[slot])
            baton_error_set(&s->release_err, BATON_ERR_STATE,
                            "v4l2 %s: release(%p): not a staging buffer the source handed out",
                            s->path, (const void *)buffer);
        else if ((e = v4l2_qbuf_locked(s, (uint32_t)slot)) != 0)
            v4l2_call_error(s, "VIDIOC_QBUF (release)", e, &s->release_err);
    }
    pthread_mutex_unlock(&s->lock);
}
