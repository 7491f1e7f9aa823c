/* fuzz_common.h - what the libFuzzer targets in tests/fuzz/ share: the entry
 * point's prototype, the input as a file (a memfd named /proc/self/fd/N, or
 * the read end of a pipe), and the checks every failed call must pass.
 * Test code: a broken invariant aborts, which libFuzzer reports as a crash
 * with the input that caused it. */
#ifndef BATON_FUZZ_COMMON_H
#define BATON_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "baton/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PIPE_MAX (1u << 20) /* bytes a pipe input may hold (F_SETPIPE_SZ) */

__attribute__((noreturn)) static inline void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static inline void fuzz_write_all(int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w <= 0)
            fuzz_fail("write of the input failed", NULL);
        data += w;
        size -= (size_t)w;
    }
}

/* data in a memfd (one per tag, made once and reused; never closed), rewound,
 * and its path "/proc/self/fd/N" in path. A regular file to whoever opens it. */
static inline void fuzz_memfd(int *fd, const uint8_t *data, size_t size, char *path, size_t cap)
{
    if (*fd < 0 && (*fd = memfd_create("baton-fuzz", MFD_CLOEXEC)) < 0)
        fuzz_fail("memfd_create failed", NULL);
    if (ftruncate(*fd, 0) != 0 || lseek(*fd, 0, SEEK_SET) != 0)
        fuzz_fail("ftruncate/lseek of the memfd failed", NULL);
    fuzz_write_all(*fd, data, size);
    if (lseek(*fd, 0, SEEK_SET) != 0)
        fuzz_fail("lseek of the memfd failed", NULL);
    snprintf(path, cap, "/proc/self/fd/%d", *fd);
}

/* A pipe holding as much of data as it takes (up to FUZZ_PIPE_MAX bytes;
 * *held says how much), its write end closed: the reader sees the end of
 * the stream after them. The write end does not block, so a pipe the
 * kernel keeps small cannot hang the target. Returns the read end; the
 * caller closes it. */
static inline int fuzz_pipe(const uint8_t *data, size_t size, size_t *held)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        fuzz_fail("pipe2 failed", NULL);
    (void)fcntl(p[1], F_SETPIPE_SZ, (int)FUZZ_PIPE_MAX); /* best effort */
    if (fcntl(p[1], F_SETFL, O_NONBLOCK) != 0)
        fuzz_fail("fcntl(O_NONBLOCK) failed", NULL);
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(p[1], data + done, size - done);
        if (w <= 0)
            break; /* full (EAGAIN): the stream is what fitted */
        done += (size_t)w;
    }
    close(p[1]);
    *held = done;
    return p[0];
}

/* A failed call must say why: a message, NUL-terminated inside the buffer,
 * and the status it returned. */
static inline void fuzz_check_error(baton_status st, const baton_error *err)
{
    if (err->status != st)
        fuzz_fail("the error's status differs from the one returned", err->message);
    size_t n = strnlen(err->message, sizeof err->message);
    if (n == 0)
        fuzz_fail("an error without a message", baton_strerror(st));
    if (n == sizeof err->message)
        fuzz_fail("an error message without its NUL", NULL);
}

#endif
