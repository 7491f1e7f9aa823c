/* bench_common.c - baton-bench's workloads, rows, samples and timing window. */
#include "bench_common.h"

#include "sources/pattern.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const struct {
    const char *name;
    uint32_t width, height;
    baton_format format;
} bases[BENCH_BASE_COUNT] = {
    [BENCH_BASE_EMPTY] = {"empty", 64, 16, BATON_FORMAT_YUYV},
    [BENCH_BASE_1080P] = {"1080p", 1920, 1080, BATON_FORMAT_YUYV},
    [BENCH_BASE_4K] = {"4k", 3840, 2160, BATON_FORMAT_NV12},
};

#define GPU BATON_HANDOFF_GPU
#define RELAY BATON_HANDOFF_RELAY
#define SAT BENCH_IN_SATURATED
#define PACED BENCH_IN_PACED
static const bench_row_info rows[BENCH_ROW_COUNT] = {
    [BENCH_ROW_HOST_SYNC] = {"host-sync", "host-synchronised loop", BENCH_KIND_HOST_SYNC,
                             BATON_SYNC_AUTO, 1, BATON_HANDOFF_AUTO, BATON_HANDOFF_AUTO,
                             SAT | PACED},
    [BENCH_ROW_RAW] = {"raw", "raw loop", BENCH_KIND_RAW, BATON_SYNC_TIMELINE, BENCH_RAW_SLOTS,
                       GPU, GPU, SAT | PACED},
    [BENCH_ROW_TIMELINE_S2] = {"timeline-s2", "baton timeline S=2", BENCH_KIND_BATON,
                               BATON_SYNC_TIMELINE, 2, GPU, GPU, SAT | PACED},
    [BENCH_ROW_TIMELINE_S3] = {"timeline-s3", "baton timeline S=3", BENCH_KIND_BATON,
                               BATON_SYNC_TIMELINE, 3, GPU, GPU, SAT},
    [BENCH_ROW_BINARY_S2] = {"binary-s2", "baton binary S=2", BENCH_KIND_BATON,
                             BATON_SYNC_BINARY, 2, GPU, GPU, SAT | PACED},
    [BENCH_ROW_BINARY_S3] = {"binary-s3", "baton binary S=3", BENCH_KIND_BATON,
                             BATON_SYNC_BINARY, 3, GPU, GPU, SAT},
    [BENCH_ROW_TIMELINE_S2_RELAY] = {"timeline-s2-relay", "baton timeline S=2",
                                     BENCH_KIND_BATON, BATON_SYNC_TIMELINE, 2, RELAY, RELAY,
                                     PACED},
    [BENCH_ROW_BINARY_S2_RELAY] = {"binary-s2-relay", "baton binary S=2", BENCH_KIND_BATON,
                                   BATON_SYNC_BINARY, 2, RELAY, RELAY, PACED},
    [BENCH_ROW_TIMELINE_S2_RELAY_GPU] = {"timeline-s2-relay-gpu", "baton timeline S=2",
                                         BENCH_KIND_BATON, BATON_SYNC_TIMELINE, 2, RELAY, GPU,
                                         0},
    [BENCH_ROW_TIMELINE_S2_GPU_RELAY] = {"timeline-s2-gpu-relay", "baton timeline S=2",
                                         BENCH_KIND_BATON, BATON_SYNC_TIMELINE, 2, GPU, RELAY,
                                         0},
    [BENCH_ROW_AUTO] = {"auto", "baton auto", BENCH_KIND_BATON, BATON_SYNC_AUTO, 2,
                        BATON_HANDOFF_AUTO, BATON_HANDOFF_AUTO, SAT | PACED},
    [BENCH_ROW_CUDA_TO_VK] = {"cuda-to-vulkan", "hand-off CUDA -> Vulkan", BENCH_KIND_HANDOFF,
                              BATON_SYNC_TIMELINE, 0, GPU, GPU, SAT},
    [BENCH_ROW_VK_TO_CUDA] = {"vulkan-to-cuda", "hand-off Vulkan -> CUDA", BENCH_KIND_HANDOFF,
                              BATON_SYNC_TIMELINE, 0, GPU, GPU, SAT},
};
#undef GPU
#undef RELAY
#undef SAT
#undef PACED

const bench_row_info *bench_row_get(bench_row_id id) { return &rows[id]; }
const char *bench_base_name(bench_base_id id) { return bases[id].name; }

int bench_workload_parse(const char *name, bench_workload *w)
{
    size_t len = strcspn(name, "@");
    for (int b = 0; b < BENCH_BASE_COUNT; b++) {
        if (strlen(bases[b].name) != len || strncmp(bases[b].name, name, len) != 0)
            continue;
        double fps = 0;
        if (name[len] == '@') {
            const char *p = name + len + 1;
            char *end;
            if (*p < '0' || *p > '9')
                return -1;
            fps = strtod(p, &end);
            if (*end != '\0' || !(fps > 0 && fps <= BENCH_FPS_MAX))
                return -1;
        }
        memset(w, 0, sizeof *w);
        w->base = (bench_base_id)b;
        w->width = bases[b].width;
        w->height = bases[b].height;
        w->format = bases[b].format;
        w->fps = fps;
        if (fps > 0)
            snprintf(w->name, sizeof w->name, "%s@%g", bases[b].name, fps);
        else
            snprintf(w->name, sizeof w->name, "%s", bases[b].name);
        return 0;
    }
    return -1;
}

uint64_t bench_warmup(const bench_workload *w, uint64_t frames)
{
    if (w && w->fps > 0) {
        uint64_t half_second = (uint64_t)ceil(w->fps / 2);
        return half_second < 10 ? 10 : half_second;
    }
    return frames / 10 < 10 ? 10 : frames / 10 > 100 ? 100 : frames / 10;
}

uint64_t bench_due_offset_ns(double fps, uint64_t i)
{
    return (uint64_t)((double)i * 1e9 / fps);
}

void bench_sleep_until(uint64_t t_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000u),
                          .tv_nsec = (long)(t_ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ; /* EINTR: sleep on to the same instant */
}

int bench_row_find(const char *name)
{
    for (int i = 0; i < BENCH_ROW_COUNT; i++)
        if (strcmp(rows[i].name, name) == 0)
            return i;
    return -1;
}

void bench_row_title(const bench_result *r, char *buf, size_t len)
{
    const bench_row_info *ri = bench_row_get(r->row);
    bool ran = r->status == BENCH_OK;
    baton_handoff_mode tv = ran ? r->to_vulkan : ri->to_vulkan;
    baton_handoff_mode tc = ran ? r->to_compute : ri->to_compute;
    switch (ri->kind) {
    case BENCH_KIND_HOST_SYNC:
    case BENCH_KIND_HANDOFF: snprintf(buf, len, "%s", ri->label); break;
    case BENCH_KIND_RAW:
        snprintf(buf, len, "%s (timeline S=%u %s/%s)", ri->label, ri->slots,
                 baton_handoff_mode_name(tv), baton_handoff_mode_name(tc));
        break;
    case BENCH_KIND_BATON:
        if (r->row == BENCH_ROW_AUTO && ran)
            snprintf(buf, len, "%s (%s S=%u %s/%s)", ri->label, baton_sync_mode_name(r->sync),
                     r->slots, baton_handoff_mode_name(tv), baton_handoff_mode_name(tc));
        else if (r->row == BENCH_ROW_AUTO)
            snprintf(buf, len, "%s S=%u", ri->label, ri->slots);
        else
            snprintf(buf, len, "%s %s/%s", ri->label, baton_handoff_mode_name(tv),
                     baton_handoff_mode_name(tc));
        break;
    }
}

baton_status bench_samples_init(bench_samples *s, size_t capacity, uint64_t warmup,
                                baton_error *err)
{
    memset(s, 0, sizeof *s);
    s->warmup = warmup;
    s->capacity = capacity;
    s->v = calloc(capacity ? capacity : 1, sizeof *s->v);
    if (!s->v)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(%zu samples) failed",
                               capacity);
    return BATON_OK;
}

void bench_samples_free(bench_samples *s)
{
    free(s->v);
    s->v = NULL;
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
    r->cpu_percent = r->wall_s > 0 ? (double)(cpu1 - w->cpu0_ns) / 1e9 / r->wall_s * 100.0 : 0;
}

bool bench_status_is_skip(baton_status st)
{
    return st == BATON_ERR_NO_CUDA_DEVICE || st == BATON_ERR_UNSUPPORTED;
}

const bench_workload *bench_result_workload(const bench_run *run, const bench_result *r)
{
    return r->workload >= 0 && (size_t)r->workload < run->nworkloads ? &run->workloads[r->workload]
                                                                      : NULL;
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
