/* bench_common.c - baton-bench's workloads, rows, samples and timing window. */
#include "bench_common.h"

#include "sources/pattern.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const bench_workload workloads[BENCH_WL_COUNT] = {
    [BENCH_WL_EMPTY] = {"empty", 64, 16, BATON_FORMAT_YUYV},
    [BENCH_WL_1080P] = {"1080p", 1920, 1080, BATON_FORMAT_YUYV},
    [BENCH_WL_4K] = {"4k", 3840, 2160, BATON_FORMAT_NV12},
};

static const bench_row_info rows[BENCH_ROW_COUNT] = {
    [BENCH_ROW_HOST_SYNC] = {"host-sync", "host-synchronised loop", BENCH_KIND_HOST_SYNC,
                             BATON_SYNC_AUTO, 1},
    [BENCH_ROW_RAW] = {"raw", "raw loop (timeline S=2)", BENCH_KIND_RAW, BATON_SYNC_TIMELINE,
                       BENCH_RAW_SLOTS},
    [BENCH_ROW_TIMELINE_S2] = {"timeline-s2", "baton timeline S=2", BENCH_KIND_BATON,
                               BATON_SYNC_TIMELINE, 2},
    [BENCH_ROW_TIMELINE_S3] = {"timeline-s3", "baton timeline S=3", BENCH_KIND_BATON,
                               BATON_SYNC_TIMELINE, 3},
    [BENCH_ROW_BINARY_S2] = {"binary-s2", "baton binary S=2", BENCH_KIND_BATON,
                             BATON_SYNC_BINARY, 2},
    [BENCH_ROW_BINARY_S3] = {"binary-s3", "baton binary S=3", BENCH_KIND_BATON,
                             BATON_SYNC_BINARY, 3},
    [BENCH_ROW_CUDA_TO_VK] = {"cuda-to-vulkan", "hand-off CUDA -> Vulkan", BENCH_KIND_HANDOFF,
                              BATON_SYNC_TIMELINE, 0},
    [BENCH_ROW_VK_TO_CUDA] = {"vulkan-to-cuda", "hand-off Vulkan -> CUDA", BENCH_KIND_HANDOFF,
                              BATON_SYNC_TIMELINE, 0},
};

const bench_workload *bench_workload_get(bench_workload_id id) { return &workloads[id]; }
const bench_row_info *bench_row_get(bench_row_id id) { return &rows[id]; }

int bench_workload_find(const char *name)
{
    for (int i = 0; i < BENCH_WL_COUNT; i++)
        if (strcmp(workloads[i].name, name) == 0)
            return i;
    return -1;
}

int bench_row_find(const char *name)
{
    for (int i = 0; i < BENCH_ROW_COUNT; i++)
        if (strcmp(rows[i].name, name) == 0)
            return i;
    return -1;
}

baton_status bench_samples_init(bench_samples *s, size_t capacity, uint64_t warmup,
                                baton_error *err)
{
    memset(s, 0, sizeof *s);
    s->warmup = warmup;
    s->capacity = capacity;
    s->latency_ns = calloc(capacity ? capacity : 1, sizeof *s->latency_ns);
    s->done_ns = calloc(capacity ? capacity : 1, sizeof *s->done_ns);
    if (!s->latency_ns || !s->done_ns) {
        bench_samples_free(s);
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(%zu samples) failed",
                               capacity);
    }
    return BATON_OK;
}

void bench_samples_free(bench_samples *s)
{
    free(s->latency_ns);
    free(s->done_ns);
    s->latency_ns = s->done_ns = NULL;
    s->capacity = s->count = 0;
}

void bench_result_free(bench_result *r)
{
    free(r->sorted_latency_ns);
    r->sorted_latency_ns = NULL;
    r->sorted_count = 0;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(const struct timeval *tv)
{
    return (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
}

static uint64_t cpu_ns(int who)
{
    struct rusage ru;
    if (getrusage(who, &ru) != 0)
        return 0;
    return tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime);
}

void bench_window_start(bench_window *w)
{
    w->cpu0_ns = cpu_ns(RUSAGE_SELF);
    w->thread0_ns = cpu_ns(RUSAGE_THREAD);
    w->t0_ns = bench_now_ns();
}

void bench_window_stop(const bench_window *w, uint64_t frames, bench_result *r)
{
    uint64_t t1 = bench_now_ns();
    uint64_t cpu1 = cpu_ns(RUSAGE_SELF), thread1 = cpu_ns(RUSAGE_THREAD);
    double n = frames ? (double)frames : 1.0;
    r->frames = frames;
    r->wall_s = (double)(t1 - w->t0_ns) / 1e9;
    r->fps = r->wall_s > 0 ? (double)frames / r->wall_s : 0;
    r->cpu_us_per_frame = (double)(cpu1 - w->cpu0_ns) / 1e3 / n;
    r->cpu_thread_us_per_frame = (double)(thread1 - w->thread0_ns) / 1e3 / n;
}

bool bench_status_is_skip(baton_status st)
{
    return st == BATON_ERR_NO_CUDA_DEVICE || st == BATON_ERR_UNSUPPORTED;
}

const bench_result *bench_run_find(const bench_run *run, int workload, bench_row_id row)
{
    for (size_t i = 0; i < run->count; i++)
        if (run->results[i].row == row && run->results[i].workload == workload)
            return &run->results[i];
    return NULL;
}

double bench_fill_cost_us(const bench_workload *wl, unsigned reps)
{
    uint8_t *buf = malloc(baton_format_frame_size(wl->format, wl->width, wl->height));
    if (!buf || reps == 0) {
        free(buf);
        return -1;
    }
    baton_pattern_fill(wl->format, wl->width, wl->height, 0, buf); /* fault the pages in */
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (unsigned i = 0; i < reps; i++)
        baton_pattern_fill(wl->format, wl->width, wl->height, i + 1, buf);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    free(buf);
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    return ns / 1e3 / reps;
}
