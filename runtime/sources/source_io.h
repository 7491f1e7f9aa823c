/* source_io.h - bounded reads for the sources that read a byte stream
 * (y4m, pipe); internal to the runtime.
 *
 * A stream is a regular file, a FIFO, a pipe, a socket or a character
 * device, named by a path, "-" (standard input) or "fd=N" (a descriptor the
 * caller keeps owning). Anything that is not a regular file is waited on
 * with poll() and the time left before a deadline, so no read blocks past
 * it; a regular file is read directly (its reads never block for long).
 * An optional read-ahead buffer, allocated once at open, lets the y4m
 * source read header lines; reads larger than the buffer bypass it.
 * Nothing here allocates after source_io_open. */
#ifndef BATON_SOURCE_IO_H
#define BATON_SOURCE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

typedef struct source_io {
    int fd;            /* -1 when closed */
    bool owned;        /* opened here: closed by source_io_close */
    bool regular;      /* a regular file (seekable, never waited on) */
    bool pipe;         /* a FIFO, pipe or socket: FIONREAD tells what is queued */
    uint64_t offset;   /* stream bytes consumed by the caller so far */
    uint8_t *buf;      /* read-ahead (NULL: unbuffered) */
    size_t cap, pos, end;
} source_io;

/* Open path ("-": stdin, "fd=N": descriptor N, neither closed later; else
 * the file, opened non-blocking so a FIFO without a writer does not block
 * here). buffer: read-ahead bytes (0 for none). who: prefix of messages. */
baton_status source_io_open(source_io *io, const char *path, size_t buffer, const char *who,
                            baton_error *err);
void source_io_close(source_io *io);

/* CLOCK_MONOTONIC deadline timeout_ms from now. */
uint64_t source_io_deadline(uint32_t timeout_ms);

/* Read n bytes into dst. BATON_OK with *got == n, or with *got < n when the
 * stream ended; BATON_ERR_TIMEOUT when the deadline passed (*got bytes were
 * consumed before it); BATON_ERR_IO when read() failed. who: message prefix. */
baton_status source_io_read(source_io *io, void *dst, size_t n, uint64_t deadline_ns,
                            size_t *got, const char *who, baton_error *err);

/* The next line, through '\n' (buffered streams only). BATON_OK: *line and
 * *len (without the '\n') point into the buffer until the next call, and
 * the line is consumed. BATON_ERR_END_OF_STREAM: the stream ended; *len
 * bytes of an unterminated line were left. BATON_ERR_TIMEOUT: the deadline
 * passed before a whole line arrived (nothing consumed). BATON_ERR_PARSE:
 * the line is longer than the buffer. BATON_ERR_IO: read() failed. */
baton_status source_io_line(source_io *io, uint64_t deadline_ns, const char **line,
                            size_t *len, const char *who, baton_error *err);

/* Bytes readable now without waiting (queued in a pipe plus read ahead);
 * false if unknown (not a pipe, or FIONREAD failed). */
bool source_io_available(const source_io *io, size_t *avail);

/* Regular files only: continue reading at byte offset (drops read-ahead). */
baton_status source_io_seek(source_io *io, uint64_t offset, const char *who, baton_error *err);

#endif
