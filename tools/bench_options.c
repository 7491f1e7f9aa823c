/* bench_options.c - baton-bench's command line: --help, the options and
 * their checks, the default selections and the plan (--list). */
#include "bench_options.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/sink.h"

/* Seconds the default paced rows spend at their pace (start-up aside). */
static double default_paced_s(uint64_t frames)
{
    char names[] = BENCH_PACED_DEFAULT, *save = NULL;
    double s = 0;
    for (char *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        bench_workload w;
        if (bench_workload_parse(n, &w) != 0)
            continue;
        unsigned rows = 0;
        for (int r = 0; r < BENCH_ROW_COUNT; r++)
            rows += (bench_row_get((bench_row_id)r)->defaults & BENCH_IN_PACED) != 0;
        s += rows * (double)(frames + bench_warmup(&w, frames)) / w.fps;
    }
    return s;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: baton-bench [--saturated] [--paced] [--workloads LIST] [--rows LIST]\n"
            "                   [--frames N] [--paced-frames N] [--quick] [--sink SPEC]\n"
            "                   [--json FILE] [--svg FILE] [--list]\n"
            "\n"
            "Measure, in one process and one run, baton's pipeline next to the designs it\n"
            "replaces, on the same frame sizes and the same work per frame (upload,\n"
            "conversion to RGBA8, Vulkan copy into an image), flat out and at camera rate.\n"
            "\n"
            "Rows (configurations), hand-off modes written compute->Vulkan/Vulkan->compute:\n"
            "  host-sync     the host-synchronised loop: per frame upload and convert,\n"
            "                cudaStreamSynchronize, submit the copy with a fence, vkWaitForFences\n"
            "                (the host orders every step; nothing overlaps)\n"
            "  raw           the raw loop: the CUDA/Vulkan calls baton makes in timeline mode at\n"
            "                S = 2 with gpu/gpu hand-offs, with no runtime around them; paced, it\n"
            "                waits for its frames' fences until the next frame is due\n"
            "  timeline-s2, timeline-s3, binary-s2, binary-s3\n"
            "                baton's pipeline (public API), sync mode forced, S slots, gpu/gpu\n"
            "  timeline-s2-relay, binary-s2-relay\n"
            "                the same at S = 2 with relay/relay hand-offs\n"
            "  timeline-s2-relay-gpu, timeline-s2-gpu-relay\n"
            "                mixed modes (not run unless named)\n"
            "  auto          baton as it comes: S = 2, sync mode and hand-offs as the context\n"
            "                picks them (the row says what it ran)\n"
            "  cuda-to-vulkan, vulkan-to-cuda\n"
            "                one hand-off alone, %u iterations (CUDA only; run once)\n"
            "  gpu: the consumer's queue waits on the producer's exported semaphore; relay: a\n"
            "  host thread sees the producer finish, then starts the consumer.\n"
            "\n"
            "Workloads: empty (64x16 YUYV, next to no conversion work), 1080p (1920x1080\n"
            "YUYV), 4k (3840x2160 NV12), each saturated (frames as fast as they go, the\n"
            "source filled by the CPU per frame) or, written NAME@FPS, paced at FPS frames a\n"
            "second: frame i is due at start + i/FPS, every design sleeps until then\n"
            "(clock_nanosleep, absolute) and that due time is its capture time; the frames\n"
            "are a replay, filled once at start-up into the staging memory (baton's source\n"
            "is pattern@FPS:replay), as a camera that DMAs into memory costs the CPU\n"
            "nothing. The compute stage is CUDA when a CUDA device is usable, else the CPU\n"
            "(CUDA-only rows then say \"skipped: no CUDA device\").\n"
            "\n"
            "Per row: frames per second; latency capture -> done (the host saw the frame's\n"
            "Vulkan fence) p50/p99/max; capture -> on screen (display sinks; with the\n"
            "headless sink \"n/a (headless: no display)\"); jitter of the intervals between\n"
            "done times (stddev; p99 - p50 saturated, max |interval - 1/FPS| paced); CPU\n"
            "time per frame (getrusage user+sys of the whole process over the measured\n"
            "window, every thread) and %% of one core (CPU time / wall time); start-up\n"
            "time. Then the README targets with PASS or MISS:\n"
            "  saturated, per workload: baton timeline S=2 gpu/gpu within 5%% of the raw\n"
            "    loop in throughput and p50 latency; ahead of the host-synchronised loop in\n"
            "    throughput with at most 1/5 of its CPU time per frame;\n"
            "  paced, per workload and baton row: capture -> done p50 at most 10%% or 100 us\n"
            "    (the larger) above the fastest loop's (whichever of host-sync and raw has\n"
            "    the lower p50 at that pace); p99 <= 2 x p50; at 60 fps CPU time per\n"
            "    frame <= 1/5 of the host-synchronised loop's;\n"
            "  every workload: 0 steady-state allocation/fd calls in every baton row,\n"
            "    counted only when run with LD_PRELOAD=<build>/tests/preload_alloc_count.so\n"
            "    (else \"n/a: not counted\").\n"
            "\n"
            "  --saturated       run the saturated workloads " BENCH_SATURATED_DEFAULT "\n"
            "  --paced           run the paced workloads " BENCH_PACED_DEFAULT "\n"
            "  --workloads LIST  run these workloads (comma-separated NAME or NAME@FPS,\n"
            "                    FPS in (0, %g]); the three selections add up; without\n"
            "                    any of them: --saturated --paced\n"
            "  --rows LIST       comma-separated rows, run for every workload (the hand-off\n"
            "                    rows once). Default: saturated workloads host-sync, raw,\n"
            "                    timeline-s2, timeline-s3, binary-s2, binary-s3, auto and the\n"
            "                    two hand-off rows; paced workloads host-sync, raw,\n"
            "                    timeline-s2, timeline-s2-relay, binary-s2, binary-s2-relay,\n"
            "                    auto\n"
            "  --frames N        measured frames per saturated row (default %u; 1..%u),\n"
            "                    after N/10 (10..100) unmeasured warm-up frames\n"
            "  --paced-frames N  measured frames per paced row (default %u; 1..%u), after\n"
            "                    half a second's worth (10 at least) of warm-up frames: at\n"
            "                    30 fps the default takes 10.5 s a row\n"
            "  --quick           %u saturated and %u paced frames per row (unless --frames\n"
            "                    or --paced-frames say otherwise)\n"
            "  --sink SPEC       the sink of baton's rows (default headless): a display sink\n"
            "                    (x11[:WxH], drm[:CONNECTOR][@WxH[@HZ]][,via=vulkan|kms])\n"
            "                    fills capture -> on screen; the loops always copy into an\n"
            "                    offscreen image\n"
            "  --json FILE       write the results as JSON (default bench.json)\n"
            "  --svg FILE        write capture -> done CDFs as SVG, a panel per workload\n"
            "                    (default bench.svg)\n"
            "  --list            print the rows that would run, with their frame counts and\n"
            "                    the least time the paced ones take, and exit\n"
            "  -h, --help        this text\n"
            "\n"
            "Time: the default paced rows take %.0f s at their pace (%.0f s with --quick),\n"
            "plus each row's start-up; saturated rows as long as the machine needs.\n"
            "--list prints the plan.\n"
            "\n"
            "exit status: 0 it ran (even with targets missed), 1 a runtime error, 2 bad\n"
            "arguments.\n",
            BENCH_HANDOFF_ITERATIONS, BENCH_FPS_MAX, BENCH_FRAMES_DEFAULT, BENCH_FRAMES_MAX,
            BENCH_PACED_FRAMES_DEFAULT, BENCH_FRAMES_MAX, BENCH_FRAMES_QUICK,
            BENCH_PACED_FRAMES_QUICK, default_paced_s(BENCH_PACED_FRAMES_DEFAULT),
            default_paced_s(BENCH_PACED_FRAMES_QUICK));
}

/* One line on stderr; returns BENCH_EXIT_USAGE. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "baton-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return BENCH_EXIT_USAGE;
}

static int parse_count(const char *opt, const char *s, uint64_t *out)
{
    char *end = (char *)s;
    unsigned long long v = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
    if (v == 0 || *end != '\0' || v > BENCH_FRAMES_MAX)
        return usage_error("%s wants 1..%u, got '%s'", opt, BENCH_FRAMES_MAX, s);
    *out = v;
    return 0;
}

/* Add the workloads of a comma-separated list (a repeated one once). */
static int add_workloads(bench_options *o, const char *opt, const char *arg)
{
    char name[64];
    for (const char *p = arg;; p++) {
        size_t len = strcspn(p, ",");
        bench_workload w;
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        if (len == 0)
            return usage_error("%s wants a comma-separated list of empty, 1080p, 4k, each "
                               "optionally @FPS, got '%s'", opt, arg);
        if (len >= sizeof name || bench_workload_parse(name, &w) != 0)
            return usage_error("%s: unknown workload '%s' (empty, 1080p or 4k, optionally "
                               "@FPS with FPS in (0, 1000])", opt, name);
        bool dup = false;
        for (size_t i = 0; i < o->nworkloads; i++)
            dup |= strcmp(o->workloads[i].name, w.name) == 0;
        if (!dup && o->nworkloads == BENCH_MAX_WORKLOADS)
            return usage_error("%s: more than %u workloads", opt, BENCH_MAX_WORKLOADS);
        if (!dup)
            o->workloads[o->nworkloads++] = w;
        p += len;
        if (*p == '\0')
            return 0;
    }
}

static int add_rows(bench_options *o, const char *arg)
{
    char name[64], choices[512];
    size_t used = 0;
    for (int i = 0; i < BENCH_ROW_COUNT; i++)
        used += (size_t)snprintf(choices + used, sizeof choices - used, "%s%s", i ? "," : "",
                                 bench_row_get((bench_row_id)i)->name);
    for (const char *p = arg;; p++) {
        size_t len = strcspn(p, ",");
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        if (len == 0)
            return usage_error("--rows wants a comma-separated subset of %s, got '%s'", choices,
                               arg);
        int i = len < sizeof name ? bench_row_find(name) : -1;
        if (i < 0)
            return usage_error("--rows: unknown row '%s' (choose from %s)", name, choices);
        o->rows[i] = true;
        p += len;
        if (*p == '\0')
            return 0;
    }
}

static int check_sink(const char *spec)
{
    const sink_ops *ops;
    const char *arg;
    baton_error err;
    if (spec[0] == '\0')
        return usage_error("--sink wants a sink spec (headless, x11, drm...), got ''");
    if (sink_find(spec, &ops, &arg, &err) != BATON_OK)
        return usage_error("--sink: %s", err.message);
    return 0;
}

/* After the options: fill what they left to the defaults. */
static void finish_options(bench_options *o, bool want_sat, bool want_paced)
{
    if (!want_sat && !want_paced && o->nworkloads == 0)
        want_sat = want_paced = true;
    if (want_sat)
        add_workloads(o, "--saturated", BENCH_SATURATED_DEFAULT);
    if (want_paced)
        add_workloads(o, "--paced", BENCH_PACED_DEFAULT);
    if (o->quick && !o->frames_set)
        o->frames = BENCH_FRAMES_QUICK;
    if (o->quick && !o->paced_frames_set)
        o->paced_frames = BENCH_PACED_FRAMES_QUICK;
}

int bench_options_parse(int argc, char **argv, bench_options *o)
{
    enum { OPT_PACED_FRAMES = 256, OPT_SATURATED, OPT_PACED, OPT_SINK, OPT_LIST };
    static const struct option opts[] = {
        {"frames", required_argument, 0, 'f'},
        {"paced-frames", required_argument, 0, OPT_PACED_FRAMES},
        {"quick", no_argument, 0, 'q'}, {"workloads", required_argument, 0, 'w'},
        {"saturated", no_argument, 0, OPT_SATURATED}, {"paced", no_argument, 0, OPT_PACED},
        {"rows", required_argument, 0, 'r'}, {"sink", required_argument, 0, OPT_SINK},
        {"json", required_argument, 0, 'j'}, {"svg", required_argument, 0, 's'},
        {"list", no_argument, 0, OPT_LIST}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->frames = BENCH_FRAMES_DEFAULT;
    o->paced_frames = BENCH_PACED_FRAMES_DEFAULT;
    o->json = "bench.json";
    o->svg = "bench.svg";
    o->sink = "headless";
    bool want_sat = false, want_paced = false;
    opterr = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': rc = parse_count("--frames", optarg, &o->frames); o->frames_set = true; break;
        case OPT_PACED_FRAMES:
            rc = parse_count("--paced-frames", optarg, &o->paced_frames);
            o->paced_frames_set = true;
            break;
        case 'q': o->quick = true; break;
        case 'w': rc = add_workloads(o, "--workloads", optarg); break;
        case OPT_SATURATED: want_sat = true; break;
        case OPT_PACED: want_paced = true; break;
        case 'r': rc = add_rows(o, optarg); o->rows_set = true; break;
        case OPT_SINK: rc = check_sink(optarg); o->sink = optarg; break;
        case OPT_LIST: o->list = true; break;
        case 'j':
        case 's':
            if (optarg[0] == '\0')
                return usage_error("--%s wants a file name", c == 'j' ? "json" : "svg");
            *(c == 'j' ? &o->json : &o->svg) = optarg;
            break;
        case 'h': usage(stdout); return -1;
        case ':':
            return usage_error("option '%s' needs an argument (try --help)", argv[optind - 1]);
        default: return usage_error("unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (rc != 0)
        return rc;
    if (optind < argc)
        return usage_error("unexpected argument '%s' (try --help)", argv[optind]);
    finish_options(o, want_sat, want_paced);
    return 0;
}

bool bench_options_selected(const bench_options *o, int wl, bench_row_id row)
{
    const bench_row_info *ri = bench_row_get(row);
    bool handoff = ri->kind == BENCH_KIND_HANDOFF;
    if (handoff != (wl < 0))
        return false;
    if (o->rows_set)
        return o->rows[row];
    if (handoff) { /* by default with the saturated workloads */
        for (size_t i = 0; i < o->nworkloads; i++)
            if (o->workloads[i].fps <= 0)
                return true;
        return false;
    }
    return ri->defaults & (o->workloads[wl].fps > 0 ? BENCH_IN_PACED : BENCH_IN_SATURATED);
}

void bench_options_list(const bench_options *o)
{
    double paced_s = 0;
    size_t rows = 0;
    for (int wl = 0; wl < (int)o->nworkloads; wl++) {
        const bench_workload *w = &o->workloads[wl];
        uint64_t frames = w->fps > 0 ? o->paced_frames : o->frames;
        uint64_t warm = bench_warmup(w, frames);
        for (int row = 0; row < BENCH_ROW_COUNT; row++) {
            if (!bench_options_selected(o, wl, (bench_row_id)row))
                continue;
            printf("%-10s %-22s %llu frames after %llu warm-up", w->name,
                   bench_row_get((bench_row_id)row)->name, (unsigned long long)frames,
                   (unsigned long long)warm);
            if (w->fps > 0) {
                double sec = (double)(frames + warm) / w->fps;
                printf(" (paced: %.1f s)", sec);
                paced_s += sec;
            }
            printf("\n");
            rows++;
        }
    }
    for (int row = 0; row < BENCH_ROW_COUNT; row++)
        if (bench_options_selected(o, -1, (bench_row_id)row)) {
            printf("%-10s %-22s %u iterations after %u\n", "hand-off",
                   bench_row_get((bench_row_id)row)->name, BENCH_HANDOFF_ITERATIONS,
                   BENCH_HANDOFF_WARMUP);
            rows++;
        }
    printf("%zu rows; the paced ones take at least %.1f s (their frames at their pace, "
           "start-up not counted)\n", rows, paced_s);
}

