/* edge_overlay.c - a baton application: camera -> your CUDA kernel -> display.
 *
 * Opens a camera (or baton's moving test pattern), runs an edge detector on
 * every frame (edge_overlay.cu on the GPU; the same filter on the CPU where
 * there is no CUDA device), shows the result and prints each frame's latency.
 *
 *   edge_overlay                                   pattern -> window (or headless)
 *   edge_overlay --source v4l2:/dev/video0 --sink drm --frames 0    a camera, until Ctrl-C
 *
 * Build it against an installed baton with tools/examples/Makefile
 * (pkg-config) or tools/examples/CMakeLists.txt (find_package(baton)); the
 * README's "Use it in your application" walks through it. Only the public
 * API is used: #include <baton/baton.h>.
 */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <baton/baton.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edge_filter.h"
#ifdef EDGE_WITH_CUDA
#include "edge_overlay.h"
#endif

#define LATENCY_KEEP 4096 /* per-frame latencies kept for the summary */

/* What the callbacks share with main(). Everything is allocated before the
 * pipeline starts: the callbacks run once per frame and must not allocate. */
typedef struct app {
    int threshold;
    int quiet;
    uint64_t latency_ns[LATENCY_KEEP]; /* written by on_done, read after the pipeline is gone */
    atomic_uint_fast64_t done;         /* frames on_done has seen */
} app;

static volatile sig_atomic_t g_stop; /* Ctrl-C: finish the frames in flight, then stop */
static void on_signal(int sig) { (void)sig; g_stop = 1; }

/* ---- the per-frame work: baton calls one of these on every frame ---- */

#ifdef EDGE_WITH_CUDA
/* CUDA stage: rgba is the slot's device memory; enqueue on baton's stream. */
static baton_status edges_cuda(void *user, void *stream, void *rgba, size_t pitch, uint32_t width,
                               uint32_t height, uint64_t frame, baton_error *err)
{
    const app *a = user;
    int e = edge_overlay_cuda(stream, rgba, pitch, width, height, a->threshold);
    if (e != 0)
        return baton_error_set(err, BATON_ERR_CUDA, "frame %llu: edge kernels: %s",
                               (unsigned long long)frame, edge_overlay_cuda_error(e));
    return BATON_OK;
}
#endif

/* CPU stage (no CUDA device): the same two passes over the slot's host memory. */
static baton_status edges_cpu(void *user, uint8_t *rgba, size_t pitch, uint32_t width,
                              uint32_t height, uint64_t frame, baton_error *err)
{
    const app *a = user;
    (void)frame;
    (void)err;
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
            edge_mark(rgba, pitch, width, height, x, y, a->threshold);
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
            edge_paint(rgba, pitch, x, y);
    return BATON_OK;
}

/* A frame is on the display (or in the headless sink). baton calls this on
 * its completion thread, while main() may be starting later frames, so it
 * only records into memory allocated beforehand, and prints. It must not
 * call baton_pipeline_run/_drain/_destroy, and should return quickly. */
static void on_done(void *user, const baton_frame_info *f)
{
    app *a = user;
    /* capture_ns: the camera's own timestamp; 0 when the source has none */
    uint64_t start = f->capture_ns ? f->capture_ns : f->source_ready_ns;
    uint64_t ns = f->done_ns > start ? f->done_ns - start : 0;
    a->latency_ns[f->frame % LATENCY_KEEP] = ns;
    atomic_fetch_add(&a->done, 1);
    if (!a->quiet)
        printf("frame %6llu  latency %8.3f ms  (%s -> displayed)\n", (unsigned long long)f->frame,
               (double)ns / 1e6, f->capture_ns ? "captured" : "source ready");
}

/* ---- the program ---- */

typedef struct options {
    const char *source, *sink, *dump_dir;
    uint32_t width, height;
    baton_format format;
    baton_compute_mode compute;
    uint64_t frames; /* 0: until Ctrl-C or the source ends */
    int threshold;
    int quiet;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: edge_overlay [--source SPEC] [--sink SPEC] [--size WxH] [--format F]\n"
            "                    [--frames N] [--threshold T] [--compute auto|cuda|cpu]\n"
            "                    [--dump DIR] [--quiet]\n"
            "  --source   pattern (default), pattern@30, v4l2:/dev/video0, y4m:FILE, ...\n"
            "  --sink     x11 (default with $DISPLAY), headless (default without), drm\n"
            "  --size     frame size (default 1280x720)   --format  YUYV (default), NV12, ...\n"
            "  --frames   frames to run (default 300; 0 = until Ctrl-C)\n"
            "  --threshold  Sobel strength that counts as an edge (default %d)\n"
            "  --dump DIR   write the first and the last frame shown as PNG into DIR\n"
            "  --quiet      no line per frame, only the summary\n",
            EDGE_DEFAULT_THRESHOLD);
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"source", required_argument, 0, 's'}, {"sink", required_argument, 0, 'k'},
        {"size", required_argument, 0, 'z'},   {"format", required_argument, 0, 'f'},
        {"frames", required_argument, 0, 'n'}, {"threshold", required_argument, 0, 't'},
        {"compute", required_argument, 0, 'c'}, {"dump", required_argument, 0, 'd'},
        {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o->source = optarg; break;
        case 'k': o->sink = optarg; break;
        case 'd': o->dump_dir = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'z':
            if (sscanf(optarg, "%ux%u", &o->width, &o->height) != 2)
                return fprintf(stderr, "edge_overlay: --size wants WxH\n"), -1;
            break;
        case 'f':
            if (baton_format_parse(optarg, &o->format, NULL) != BATON_OK)
                return fprintf(stderr, "edge_overlay: unknown format '%s'\n", optarg), -1;
            break;
        case 'n':
            o->frames = strtoull(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end)
                return fprintf(stderr, "edge_overlay: --frames wants a number\n"), -1;
            break;
        case 't':
            o->threshold = (int)strtol(optarg, &end, 10);
            if (*end || o->threshold < 1 || o->threshold > 2040)
                return fprintf(stderr, "edge_overlay: --threshold wants 1..2040\n"), -1;
            break;
        case 'c':
            if (!strcmp(optarg, "cpu"))
                o->compute = BATON_COMPUTE_CPU;
            else if (!strcmp(optarg, "cuda"))
                o->compute = BATON_COMPUTE_CUDA;
            else if (strcmp(optarg, "auto"))
                return fprintf(stderr, "edge_overlay: --compute wants auto, cuda or cpu\n"), -1;
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
#ifndef EDGE_WITH_CUDA
    if (o->compute == BATON_COMPUTE_CUDA)
        return fprintf(stderr, "edge_overlay: built without CUDA (make CUDA=...)\n"), -1;
    o->compute = BATON_COMPUTE_CPU; /* no kernel in this build: the CPU stage runs the filter */
#endif
    return optind == argc ? 0 : (usage(stderr), -1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* p50 / p99 / max of the latencies kept (called after the pipeline is gone). */
static void print_summary(app *a, baton_compute_mode compute)
{
    uint64_t done = atomic_load(&a->done);
    size_t n = done < LATENCY_KEEP ? (size_t)done : LATENCY_KEEP;
    printf("edge_overlay: %llu frames shown, compute %s", (unsigned long long)done,
           baton_compute_mode_name(compute));
    if (n) {
        qsort(a->latency_ns, n, sizeof a->latency_ns[0], cmp_u64);
        printf(", latency p50 %.3f ms, p99 %.3f ms, max %.3f ms", (double)a->latency_ns[n / 2] / 1e6,
               (double)a->latency_ns[n * 99 / 100] / 1e6, (double)a->latency_ns[n - 1] / 1e6);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    options o = {.source = "pattern", .sink = getenv("DISPLAY") ? "x11" : "headless",
                 .width = 1280, .height = 720, .format = BATON_FORMAT_YUYV,
                 .compute = BATON_COMPUTE_AUTO, .frames = 300,
                 .threshold = EDGE_DEFAULT_THRESHOLD};
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    static app a; /* static: LATENCY_KEEP latencies are too big for the stack */
    a.threshold = o.threshold;
    a.quiet = o.quiet;

    /* 1. The context: the CUDA device and the Vulkan device with the same UUID. */
    baton_error err;
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = o.compute;
    baton_context *ctx = NULL;
    baton_pipeline *p = NULL;
    if (baton_context_create(&cc, &ctx, &err) != BATON_OK) {
        fprintf(stderr, "edge_overlay: %s\n", err.message);
        return 1;
    }
    baton_compute_mode compute = baton_context_compute(ctx);
    printf("edge_overlay: %s -> %s, %ux%u %s, edges on %s (%s)\n", o.source, o.sink, o.width,
           o.height, baton_format_name(o.format), compute == BATON_COMPUTE_CUDA ? "the GPU" : "the CPU",
           baton_context_device_name(ctx));

    /* 2. The pipeline: everything is allocated here, once. */
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = o.width;
    pc.height = o.height;
    pc.format = o.format;
    pc.source = o.source;
    pc.sink = o.sink;
#ifdef EDGE_WITH_CUDA
    pc.cuda_work = edges_cuda;
#endif
    pc.cpu_work = edges_cpu;
    pc.work_user = &a;
    pc.on_done = on_done;
    pc.done_user = &a;
    uint64_t dumps[2] = {0, o.frames ? o.frames - 1 : 0};
    if (o.dump_dir) { /* readback: the shown frames come back to host memory */
        if (mkdir(o.dump_dir, 0755) != 0 && errno != EEXIST)
            fprintf(stderr, "edge_overlay: mkdir %s: %s\n", o.dump_dir, strerror(errno));
        pc.readback = true;
        pc.dump_dir = o.dump_dir;
        pc.dump_frames = dumps;
        pc.dump_count = o.frames > 1 ? 2 : 1;
    }
    baton_status st = baton_pipeline_create(ctx, &pc, &p, &err);

    /* 3. Run: one frame per call, so Ctrl-C is noticed between frames. */
    signal(SIGINT, on_signal);
    for (uint64_t n = 0; st == BATON_OK && !g_stop && (o.frames == 0 || n < o.frames); n++)
        st = baton_pipeline_run(p, 1, &err);
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, &err); /* the frames still in flight */
    else if (st == BATON_ERR_END_OF_STREAM)
        st = BATON_OK; /* the camera or file ended: not an error */
    if (st != BATON_OK)
        fprintf(stderr, "edge_overlay: %s\n", err.message);

    /* 4. Tear down; after destroy no callback can run any more. */
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    print_summary(&a, compute);
    return st == BATON_OK ? 0 : 1;
}
