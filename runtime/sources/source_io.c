/* source_io.c - bounded reads for the y4m and pipe sources (source_io.h). */
#include "sources/source_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/baton_internal.h"
#include "util/fault.h"

uint64_t source_io_deadline(uint32_t timeout_ms)
{
    return baton_now_ns() + (uint64_t)timeout_ms * 1000000u;
}

/* "fd=N" with N a non-negative decimal int: 1 and *fd; else 0. */
static int parse_fd(const char *path, int *fd)
{
    if (strncmp(path, "fd=", 3) != 0 || path[3] < '0' || path[3] > '9')
        return 0;
    long v = 0;
    for (const char *p = path + 3; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (*p - '0');
        if (v > INT_MAX)
            return 0;
    }
    *fd = (int)v;
    return 1;
}

baton_status source_io_open(source_io *io, const char *path, size_t buffer, const char *who,
                            baton_error *err)
{
    memset(io, 0, sizeof *io);
    io->fd = -1;
    int fd;
    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else if (parse_fd(path, &fd)) {
        if (fcntl(fd, F_GETFD) < 0)
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "%s: descriptor %d is not open", who, fd);
    } else {
        /* O_NONBLOCK: a FIFO without a writer yet must not block open();
         * every wait is a poll() against a deadline instead */
        fd = BATON_FAULT_SYS(open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), -1);
        if (fd < 0)
            return baton_error_set(err, BATON_ERR_IO, "%s: cannot open '%s': %s", who, path,
                                   strerror(errno));
        io->owned = true;
    }
    io->fd = fd;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return baton_error_set(err, BATON_ERR_IO, "%s: fstat failed: %s", who, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return baton_error_set(err, BATON_ERR_IO, "%s: is a directory", who);
    io->regular = S_ISREG(sb.st_mode);
    io->pipe = S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode);
    if (buffer) {
        io->buf = BATON_FAULT_PTR(malloc(buffer));
        if (!io->buf)
            return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY,
                                   "%s: malloc(%zu) for the read buffer failed", who, buffer);
        io->cap = buffer;
    }
    return BATON_OK;
}

void source_io_close(source_io *io)
{
    if (io->owned && io->fd >= 0)
        close(io->fd);
    free(io->buf);
    memset(io, 0, sizeof *io);
    io->fd = -1;
}

/* Wait until fd is readable (data, end of stream or an error to report)
 * or the deadline passes. A deadline already past still looks once. */
static baton_status wait_readable(const source_io *io, uint64_t deadline_ns, const char *who,
                                  baton_error *err)
{
    for (;;) {
        uint64_t now = baton_now_ns();
        uint64_t left_ms = now >= deadline_ns ? 0 : (deadline_ns - now + 999999u) / 1000000u;
        struct pollfd pfd = {.fd = io->fd, .events = POLLIN};
        int r = BATON_FAULT_SYS(poll(&pfd, 1, left_ms > INT_MAX ? INT_MAX : (int)left_ms), -1);
        if (r > 0) {
            if (pfd.revents & POLLNVAL)
                return baton_error_set(err, BATON_ERR_IO, "%s: descriptor %d is not open", who,
                                       io->fd);
            return BATON_OK;
        }
        if (r < 0 && errno != EINTR)
            return baton_error_set(err, BATON_ERR_IO, "%s: poll failed: %s", who,
                                   strerror(errno));
        if (r == 0 && baton_now_ns() >= deadline_ns)
            return baton_error_set(err, BATON_ERR_TIMEOUT, "%s: no data before the deadline",
                                   who);
    }
}

/* One read() of up to n bytes that returns data or end of stream (*got 0)
 * before the deadline. */
static baton_status read_some(const source_io *io, void *dst, size_t n, uint64_t deadline_ns,
                              size_t *got, const char *who, baton_error *err)
{
    *got = 0;
    for (;;) {
        if (!io->regular) {
            baton_status st = wait_readable(io, deadline_ns, who, err);
            if (st != BATON_OK)
                return st;
        }
        ssize_t r = BATON_FAULT_SYS(read(io->fd, dst, n), -1);
        if (r >= 0) {
            *got = (size_t)r;
            return BATON_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (io->regular) /* not expected; do not spin without a wait */
                return baton_error_set(err, BATON_ERR_IO, "%s: read would block", who);
            continue; /* poll said readable, another reader was faster */
        }
        return baton_error_set(err, BATON_ERR_IO, "%s: read failed: %s", who, strerror(errno));
    }
}

baton_status source_io_read(source_io *io, void *dst, size_t n, uint64_t deadline_ns,
                            size_t *got, const char *who, baton_error *err)
{
    uint8_t *out = dst;
    size_t done = 0;
    baton_status st = BATON_OK;
    while (done < n) {
        size_t have = io->end - io->pos;
        if (have) {
            size_t take = have < n - done ? have : n - done;
            memcpy(out + done, io->buf + io->pos, take);
            io->pos += take;
            done += take;
            continue;
        }
        size_t r;
        if (!io->buf || n - done >= io->cap) {
            st = read_some(io, out + done, n - done, deadline_ns, &r, who, err);
            if (st != BATON_OK || r == 0)
                break;
            done += r;
        } else {
            st = read_some(io, io->buf, io->cap, deadline_ns, &r, who, err);
            if (st != BATON_OK || r == 0)
                break;
            io->pos = 0;
            io->end = r;
        }
    }
    io->offset += done;
    *got = done;
    return st;
}

baton_status source_io_line(source_io *io, uint64_t deadline_ns, const char **line,
                            size_t *len, const char *who, baton_error *err)
{
    if (!io->buf)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "%s: line read unbuffered", who);
    size_t scanned = 0; /* bytes after pos known to hold no '\n' */
    for (;;) {
        const uint8_t *start = io->buf + io->pos;
        const uint8_t *nl = memchr(start + scanned, '\n', io->end - io->pos - scanned);
        if (nl) {
            *line = (const char *)start;
            *len = (size_t)(nl - start);
            io->pos += *len + 1;
            io->offset += *len + 1;
            return BATON_OK;
        }
        scanned = io->end - io->pos;
        if (scanned == io->cap)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s: byte offset %llu: line longer than %zu bytes", who,
                                   (unsigned long long)io->offset, io->cap);
        if (io->pos) { /* make room after the partial line */
            memmove(io->buf, io->buf + io->pos, scanned);
            io->pos = 0;
            io->end = scanned;
        }
        size_t r;
        baton_status st = read_some(io, io->buf + io->end, io->cap - io->end, deadline_ns, &r,
                                    who, err);
        if (st != BATON_OK)
            return st;
        if (r == 0) {
            *line = (const char *)io->buf + io->pos;
            *len = scanned;
            return baton_error_set(err, BATON_ERR_END_OF_STREAM, "%s: end of stream", who);
        }
        io->end += r;
    }
}

bool source_io_available(const source_io *io, size_t *avail)
{
    int queued = 0;
    if (!io->pipe || BATON_FAULT_SYS(ioctl(io->fd, FIONREAD, &queued), -1) != 0 || queued < 0)
        return false;
    *avail = (size_t)queued + (io->end - io->pos);
    return true;
}

baton_status source_io_seek(source_io *io, uint64_t offset, const char *who, baton_error *err)
{
    if (!io->regular)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "%s: not a regular file", who);
    if (lseek(io->fd, (off_t)offset, SEEK_SET) < 0)
        return baton_error_set(err, BATON_ERR_IO, "%s: lseek failed: %s", who, strerror(errno));
    io->pos = io->end = 0;
    io->offset = offset;
    return BATON_OK;
}
