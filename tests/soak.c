/* soak.c - run one pipeline for a long time and check that nothing grows:
 * resident memory, open fds and (with CUDA) the GPU memory in use stay flat
 * after warm-up, every frame is accounted for, and the trace (its last
 * window) still matches the plan. Prints a row per checkpoint.
 *
 *   soak [--frames N] [--compute cpu|cuda] [--size WxH] [--checkpoints K]
 *
 * Defaults: 10,000,000 frames, the CPU stage, 64x16 YUYV from the pattern
 * source replaying its frames, S = 2, relay hand-offs (whatever is chosen
 * is printed), 10 checkpoints after a warm-up of 1% of the frames (at least
 * 50,000, at most a quarter). Exit 0
 * flat, 1 something grew or failed (the line says what), 2 bad arguments,
 * 77 no Vulkan device (skip; BATON_REQUIRE_VULKAN=1 makes it a failure). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include "baton/baton.h"

#define RSS_SLACK_KB 2048u /* the C library's arenas settle; a leak of a few bytes a frame does not */

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3; /* ".", "..", and the directory's own fd */
}

/* GPU memory in use on the current device, MiB; -1 without CUDA. */
static long gpu_used_mib(bool cuda)
{
    size_t free_b = 0, total = 0;
    if (!cuda || cudaMemGetInfo(&free_b, &total) != cudaSuccess)
        return -1;
    return (long)((total - free_b) >> 20);
}

typedef struct sample {
    uint64_t frames;
    long rss_kb, gpu_mib;
    int fds;
    double fps;
} sample;

int main(int argc, char **argv)
{
    uint64_t frames = 10000000, checkpoints = 10;
    bool cuda = false;
    uint32_t w = 64, h = 16;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
            frames = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--checkpoints") == 0 && i + 1 < argc)
            checkpoints = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--compute") == 0 && i + 1 < argc)
            cuda = strcmp(argv[++i], "cuda") == 0;
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && sscanf(argv[i + 1], "%ux%u", &w, &h) == 2)
            i++;
        else {
            fprintf(stderr, "usage: soak [--frames N] [--compute cpu|cuda] [--size WxH] "
                            "[--checkpoints K]\n");
            return 2;
        }
    }
    if (frames < 1000 || checkpoints < 2 || checkpoints > 1000) {
        fprintf(stderr, "soak: --frames at least 1000, --checkpoints 2..1000\n");
        return 2;
    }
    baton_caps caps;
    baton_probe(0, cuda ? BATON_COMPUTE_CUDA : BATON_COMPUTE_CPU, &caps, NULL);
    if (!caps.vk_present || caps.vk_device_count == 0 || (cuda && !caps.cuda_present)) {
        const char *why = !caps.vk_present ? caps.vk_error : caps.cuda_error;
        printf("SKIP soak: %s\n", why);
        const char *req = getenv(cuda ? "BATON_REQUIRE_GPU" : "BATON_REQUIRE_VULKAN");
        return req && req[0] == '1' ? 1 : 77;
    }
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = cuda ? BATON_COMPUTE_CUDA : BATON_COMPUTE_CPU;
    baton_context *ctx = NULL;
    baton_pipeline *p = NULL;
    baton_error err;
    baton_status st = baton_context_create(&cc, &ctx, &err);
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = w;
    pc.height = h;
    pc.source = "pattern:replay";
    pc.stats_frames = 4096;
    if (st == BATON_OK)
        st = baton_pipeline_create(ctx, &pc, &p, &err);
    /* warm-up: the C library's arenas and the driver's caches settle in the
     * first tens of thousands of frames (seen: ~50k on lavapipe) */
    uint64_t warmup = frames / 100 > 50000 ? frames / 100 : frames / 4 < 50000 ? frames / 4 : 50000;
    uint64_t step = (frames - warmup) / checkpoints;
    if (st == BATON_OK)
        st = baton_pipeline_run(p, warmup, &err);
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, &err);
    if (st != BATON_OK) {
        fprintf(stderr, "soak: %s\n", err.message);
        baton_pipeline_destroy(p);
        baton_context_destroy(ctx);
        return 1;
    }
    baton_pipeline_stats ps = baton_pipeline_get_stats(p);
    printf("soak: %llu frames, %ux%u YUYV, %s stage, %s sync, S=%u, hand-offs %s/%s; warm-up %llu "
           "frames, then %llu checkpoints\n",
           (unsigned long long)frames, w, h, baton_compute_mode_name(ps.compute),
           baton_sync_mode_name(ps.sync), ps.slots, baton_handoff_mode_name(ps.handoff_to_vulkan),
           baton_handoff_mode_name(ps.handoff_to_compute), (unsigned long long)warmup,
           (unsigned long long)checkpoints);
    printf("%12s %12s %8s %10s %10s\n", "frames", "RSS KiB", "fds", "GPU MiB", "fps");
    sample first = {ps.frames_done, rss_kb(), gpu_used_mib(cuda), open_fds(), 0}, last = first;
    printf("%12llu %12ld %8d %10ld %10s\n", (unsigned long long)first.frames, first.rss_kb,
           first.fds, first.gpu_mib, "(warm)");
    int bad = 0;
    for (uint64_t c = 0; c < checkpoints && !bad; c++) {
        uint64_t t0 = now_ns();
        uint64_t n = c + 1 == checkpoints ? frames - warmup - step * c : step;
        st = baton_pipeline_run(p, n, &err);
        if (st == BATON_OK)
            st = baton_pipeline_drain(p, &err);
        if (st != BATON_OK) {
            printf("soak: FAIL at checkpoint %llu: %s\n", (unsigned long long)c, err.message);
            bad = 1;
            break;
        }
        ps = baton_pipeline_get_stats(p);
        last = (sample){ps.frames_done, rss_kb(), gpu_used_mib(cuda), open_fds(),
                        (double)n * 1e9 / (double)(now_ns() - t0)};
        printf("%12llu %12ld %8d %10ld %10.0f\n", (unsigned long long)last.frames, last.rss_kb,
               last.fds, last.gpu_mib, last.fps);
        fflush(stdout);
    }
    if (!bad && last.rss_kb > first.rss_kb + (long)RSS_SLACK_KB) {
        printf("soak: FAIL: resident memory grew %ld KiB after warm-up (slack %u KiB)\n",
               last.rss_kb - first.rss_kb, RSS_SLACK_KB);
        bad = 1;
    }
    if (!bad && last.fds != first.fds) {
        printf("soak: FAIL: open fds %d -> %d\n", first.fds, last.fds);
        bad = 1;
    }
    if (!bad && last.gpu_mib != first.gpu_mib) {
        printf("soak: FAIL: GPU memory in use %ld -> %ld MiB\n", first.gpu_mib, last.gpu_mib);
        bad = 1;
    }
    ps = baton_pipeline_get_stats(p);
    if (!bad && (ps.frames_done != frames || ps.frames_delivered != frames || ps.frames_lost)) {
        printf("soak: FAIL: %llu delivered, %llu shown, %llu lost of %llu\n",
               (unsigned long long)ps.frames_delivered, (unsigned long long)ps.frames_done,
               (unsigned long long)ps.frames_lost, (unsigned long long)frames);
        bad = 1;
    }
    baton_schedule plan = baton_pipeline_schedule(p);
    const baton_trace *t = baton_pipeline_trace(p);
    if (!bad && baton_trace_check(t, &plan, &err) != BATON_OK) {
        printf("soak: FAIL: the trace does not match the plan: %s\n", err.message);
        bad = 1;
    }
    if (!bad)
        printf("soak: OK: %llu frames shown, none lost; RSS %+ld KiB, fds %+d, GPU %s after "
               "warm-up; the trace's last %u events (of %llu) match the plan\n",
               (unsigned long long)ps.frames_done, last.rss_kb - first.rss_kb,
               last.fds - first.fds, cuda ? "memory flat" : "n/a (CPU stage)",
               baton_trace_count(t), (unsigned long long)baton_trace_total(t));
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    return bad;
}
