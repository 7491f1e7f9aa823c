/* dump_writer.h - PNG dumps of chosen frames, written by a thread of their
 * own ("baton-dump"), so that encoding a PNG (milliseconds) never delays a
 * frame's retirement: the sink's done hook copies the shown frame into one
 * of the writer's buffers, made at creation, and goes on.
 *
 * Threads: submit from one thread at a time (the completion thread, in the
 * sink's done hook); flush and written from any thread. A submit waits only
 * when every buffer is still being written (frames asked for in a burst).
 * Errors: a write that failed (a full disk) is kept and returned by the
 * next submit or flush, naming the file; later dumps are then not written.
 */
#ifndef BATON_DUMP_WRITER_H
#define BATON_DUMP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

typedef struct dump_writer dump_writer;

/* Frames of width x height RGBA8, rows pitch bytes apart, into dir as
 * frame-NNNNNN.png. Errors: BATON_ERR_OUT_OF_MEMORY (the buffers),
 * BATON_ERR_OS (a pthread call, named). */
baton_status dump_writer_create(const char *dir, uint32_t width, uint32_t height, size_t pitch,
                                dump_writer **out, baton_error *err);
/* Copy frame's pixels (pitch * height bytes, only read) for writing. */
baton_status dump_writer_submit(dump_writer *w, uint64_t frame, const uint8_t *pixels,
                                baton_error *err);
/* Wait until every submitted frame is written; the first error if any. */
baton_status dump_writer_flush(dump_writer *w, baton_error *err);
/* Files written so far. */
uint64_t dump_writer_written(dump_writer *w);
/* Write what is still queued, stop the thread, free. NULL is ignored. */
void dump_writer_destroy(dump_writer *w);

#endif
