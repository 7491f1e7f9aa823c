/* dump_writer.c - PNG dumps written off the frame path (see dump_writer.h). */
#include "sinks/dump_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fault.h"
#include "util/png.h"

#define DUMP_BUFFERS 2

/* A ring of buffers: submit fills buffer queued % N, the thread writes
 * them in order; a buffer is free again once `finished` has passed it. */
struct dump_writer {
    char dir[4096];
    uint32_t width, height;
    size_t pitch;
    uint8_t *pixels[DUMP_BUFFERS];
    uint64_t frame[DUMP_BUFFERS];
    uint64_t queued, finished, written;
    bool stop;
    baton_status failed; /* the first write that failed, and its error */
    baton_error error;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t thread;
    bool lock_ready, cond_ready, thread_started;
};

/* Write buffer b (the lock not held); true if it was written. */
static bool write_one(dump_writer *w, uint32_t b)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/frame-%06llu.png", w->dir, (unsigned long long)w->frame[b]);
    baton_error e;
    baton_error_clear(&e);
    baton_status st = baton_png_write_rgba(path, w->pixels[b], w->width, w->height, w->pitch, &e);
    if (st == BATON_OK)
        return true;
    pthread_mutex_lock(&w->lock);
    if (w->failed == BATON_OK) {
        w->failed = st;
        w->error = e;
    }
    pthread_mutex_unlock(&w->lock);
    return false;
}

static void *dump_main(void *arg)
{
    dump_writer *w = arg;
    pthread_setname_np(pthread_self(), "baton-dump");
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->finished == w->queued && !w->stop)
            pthread_cond_wait(&w->changed, &w->lock);
        if (w->finished == w->queued)
            break; /* stopped with nothing left to write */
        uint32_t b = (uint32_t)(w->finished % DUMP_BUFFERS);
        bool skip = w->failed != BATON_OK; /* after a failure: no more files */
        pthread_mutex_unlock(&w->lock);
        bool ok = !skip && write_one(w, b);
        pthread_mutex_lock(&w->lock);
        w->written += ok;
        w->finished++;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* The first failed write, as the caller's error (the lock held). */
static baton_status report_failure(dump_writer *w, baton_error *err)
{
    if (w->failed == BATON_OK)
        return BATON_OK;
    return baton_error_set(err, w->failed, "PNG dump: %s", w->error.message);
}

static baton_status start(dump_writer *w, baton_error *err)
{
    const char *call = "pthread_mutex_init(dump writer)";
    int e = BATON_FAULT_PTHREAD(pthread_mutex_init(&w->lock, NULL));
    if (e == 0) {
        w->lock_ready = true;
        call = "pthread_cond_init(dump writer)";
        e = BATON_FAULT_PTHREAD(pthread_cond_init(&w->changed, NULL));
    }
    if (e == 0) {
        w->cond_ready = true;
        call = "pthread_create(dump writer)";
        e = BATON_FAULT_PTHREAD(pthread_create(&w->thread, NULL, dump_main, w));
    }
    if (e != 0)
        return baton_error_set(err, BATON_ERR_OS, "%s failed: %s", call, strerror(e));
    w->thread_started = true;
    return BATON_OK;
}

baton_status dump_writer_create(const char *dir, uint32_t width, uint32_t height, size_t pitch,
                                dump_writer **out, baton_error *err)
{
    if (!dir || !out || width == 0 || height == 0 || pitch < (size_t)width * 4)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "dump_writer_create: bad argument");
    dump_writer *w = BATON_FAULT_PTR(calloc(1, sizeof *w));
    if (!w)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(dump writer) failed");
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    w->width = width;
    w->height = height;
    w->pitch = pitch;
    baton_status st = BATON_OK;
    for (uint32_t b = 0; b < DUMP_BUFFERS && st == BATON_OK; b++)
        if (!(w->pixels[b] = BATON_FAULT_PTR(malloc(pitch * height))))
            st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "malloc(dump buffer, %zu bytes) failed",
                                 pitch * height);
    if (st == BATON_OK)
        st = start(w, err);
    if (st != BATON_OK) {
        dump_writer_destroy(w);
        return st;
    }
    *out = w;
    return BATON_OK;
}

baton_status dump_writer_submit(dump_writer *w, uint64_t frame, const uint8_t *pixels,
                                baton_error *err)
{
    pthread_mutex_lock(&w->lock);
    while (w->queued - w->finished == DUMP_BUFFERS) /* a burst: the writer catches up */
        pthread_cond_wait(&w->changed, &w->lock);
    baton_status st = report_failure(w, err);
    uint32_t b = (uint32_t)(w->queued % DUMP_BUFFERS);
    pthread_mutex_unlock(&w->lock);
    if (st != BATON_OK)
        return st;
    memcpy(w->pixels[b], pixels, w->pitch * w->height); /* ours: the thread is not on it */
    w->frame[b] = frame;
    pthread_mutex_lock(&w->lock);
    w->queued++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return BATON_OK;
}

baton_status dump_writer_flush(dump_writer *w, baton_error *err)
{
    pthread_mutex_lock(&w->lock);
    while (w->finished != w->queued)
        pthread_cond_wait(&w->changed, &w->lock);
    baton_status st = report_failure(w, err);
    pthread_mutex_unlock(&w->lock);
    return st;
}

uint64_t dump_writer_written(dump_writer *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t n = w->written;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void dump_writer_destroy(dump_writer *w)
{
    if (!w)
        return;
    if (w->thread_started) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    if (w->cond_ready)
        pthread_cond_destroy(&w->changed);
    if (w->lock_ready)
        pthread_mutex_destroy(&w->lock);
    for (uint32_t b = 0; b < DUMP_BUFFERS; b++)
        free(w->pixels[b]);
    free(w);
}
