/* baton-bench - baton's pipeline against the two designs it replaces, in one
 * process and one run, on the same frame sizes: the host-synchronised loop
 * (the common naive design) and the raw loop (baton's own per-frame API
 * calls with no runtime around them). Also each cross-API hand-off alone.
 * Exit status: 0 it ran (targets may be missed; the table says MISS), 1 a
 * runtime error (a row failed, an output file could not be written), 2 bad
 * arguments. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/context.h"
#include "baton/interop.h"
#include "bench_common.h"
#include "bench_loops.h"
#include "bench_plot.h"
#include "bench_report.h"
#include "bench_stats.h"

enum { EXIT_RAN = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: baton-bench [--frames N | --quick] [--workloads LIST] [--rows LIST]\n"
            "                   [--json FILE] [--svg FILE]\n"
            "\n"
            "Measure, in one process and one run, baton's pipeline next to the designs it\n"
            "replaces, on the same frame sizes and the same work per frame (pattern source\n"
            "fill, upload, conversion to RGBA8, Vulkan copy into a display image):\n"
            "  host-sync     the host-synchronised loop: per frame convert, cudaStreamSynchronize,\n"
            "                submit the copy with a fence, vkWaitForFences (nothing overlaps)\n"
            "  raw           the raw loop: the CUDA/Vulkan calls baton makes in timeline mode at\n"
            "                S = 2, with no runtime around them (the runtime's overhead)\n"
            "  timeline-s2, timeline-s3, binary-s2, binary-s3\n"
            "                baton's pipeline (public API), sync mode forced, S slots\n"
            "  cuda-to-vulkan, vulkan-to-cuda\n"
            "                one hand-off alone, %u iterations (CUDA only)\n"
            "Workloads: empty (64x16 YUYV, next to no conversion work), 1080p (1920x1080\n"
            "YUYV), 4k (3840x2160 NV12). The compute stage is CUDA when a CUDA device is\n"
            "usable, else the CPU (CUDA-only rows then say \"skipped: no CUDA device\").\n"
            "\n"
            "Per row: throughput, latency p50/p99/max (source frame ready -> host saw the\n"
            "frame's Vulkan fence), jitter of the interval between completions (stddev and\n"
            "p99 - p50), CPU time per frame (getrusage user+sys), start-up time. Then the\n"
            "README targets per workload: baton timeline S=2 within 5%% of the raw loop in\n"
            "throughput and p50 latency; ahead of the host-synchronised loop in throughput\n"
            "with at most 1/5 of its CPU time per frame (PASS or MISS).\n"
            "\n"
            "  --frames N        measured frames per row (default %u; 1..%u), after\n"
            "                    N/10 (10..100) unmeasured warm-up frames\n"
            "  --quick           %u frames per row (unless --frames is given)\n"
            "  --workloads LIST  comma-separated subset of: empty,1080p,4k (default all)\n"
            "  --rows LIST       comma-separated subset of the rows above (default all)\n"
            "  --json FILE       write the results as JSON (default bench.json)\n"
            "  --svg FILE        write latency CDFs as SVG (default bench.svg)\n"
            "  -h, --help        this text\n"
            "\n"
            "exit status: 0 it ran (even with targets missed), 1 a runtime error, 2 bad\n"
            "arguments.\n",
            BENCH_HANDOFF_ITERATIONS, BENCH_FRAMES_DEFAULT, BENCH_FRAMES_MAX, BENCH_FRAMES_QUICK);
}

typedef struct options {
    uint64_t frames;
    bool frames_set, quick;
    bool workloads[BENCH_WL_COUNT];
    bool rows[BENCH_ROW_COUNT];
    const char *json, *svg;
} options;

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Mark the names of a comma-separated list; -1 (and a message) on an unknown
 * or empty one. */
static int parse_list(const char *opt, const char *arg, int (*find)(const char *), bool *mark,
                      const char *choices)
{
    char name[64];
    for (const char *p = arg;; p++) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            fprintf(stderr, "baton-bench: %s wants a comma-separated subset of %s, got '%s'\n",
                    opt, choices, arg);
            return -1;
        }
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        int i = len < sizeof name ? find(name) : -1;
        if (i < 0) {
            fprintf(stderr, "baton-bench: %s: unknown name '%.*s' (choose from %s)\n", opt,
                    (int)len, p, choices);
            return -1;
        }
        mark[i] = true;
        p += len;
        if (*p == '\0')
            return 0;
    }
}

static int row_choices(char *buf, size_t len)
{
    size_t used = 0;
    for (int i = 0; i < BENCH_ROW_COUNT && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 bench_row_get((bench_row_id)i)->name);
    return 0;
}

/* 0 to run, EXIT_USAGE after a message, -1 for --help (printed). */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option opts[] = {
        {"frames", required_argument, 0, 'f'}, {"quick", no_argument, 0, 'q'},
        {"workloads", required_argument, 0, 'w'}, {"rows", required_argument, 0, 'r'},
        {"json", required_argument, 0, 'j'}, {"svg", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    char rows[256];
    row_choices(rows, sizeof rows);
    bool any_wl = false, any_row = false;
    memset(o, 0, sizeof *o);
    o->frames = BENCH_FRAMES_DEFAULT;
    o->json = "bench.json";
    o->svg = "bench.svg";
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        unsigned long long v;
        switch (c) {
        case 'f':
            if (parse_uint(optarg, BENCH_FRAMES_MAX, &v) || v == 0) {
                fprintf(stderr, "baton-bench: --frames wants 1..%u, got '%s'\n", BENCH_FRAMES_MAX,
                        optarg);
                return EXIT_USAGE;
            }
            o->frames = v;
            o->frames_set = true;
            break;
        case 'q': o->quick = true; break;
        case 'w':
            if (parse_list("--workloads", optarg, bench_workload_find, o->workloads,
                           "empty,1080p,4k"))
                return EXIT_USAGE;
            any_wl = true;
            break;
        case 'r':
            if (parse_list("--rows", optarg, bench_row_find, o->rows, rows))
                return EXIT_USAGE;
            any_row = true;
            break;
        case 'j':
        case 's':
            if (optarg[0] == '\0') {
                fprintf(stderr, "baton-bench: --%s wants a file name\n", c == 'j' ? "json" : "svg");
                return EXIT_USAGE;
            }
            *(c == 'j' ? &o->json : &o->svg) = optarg;
            break;
        case 'h': usage(stdout); return -1;
        case ':':
            fprintf(stderr, "baton-bench: option '%s' needs an argument (try --help)\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        default:
            fprintf(stderr, "baton-bench: unknown option '%s' (try --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "baton-bench: unexpected argument '%s' (try --help)\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (o->quick && !o->frames_set)
        o->frames = BENCH_FRAMES_QUICK;
    for (int i = 0; i < BENCH_WL_COUNT; i++)
        o->workloads[i] |= !any_wl;
    for (int i = 0; i < BENCH_ROW_COUNT; i++)
        o->rows[i] |= !any_row;
    return 0;
}

/* The untimed first context: which device and compute stage "auto" gives,
 * and CUDA's one-time initialisation out of every row's start-up time. */
static baton_status first_context(bench_run *run, baton_error *err)
{
    uint64_t t0 = bench_now_ns();
    baton_context *ctx = NULL;
    baton_status st = baton_context_create(NULL, &ctx, err);
    if (st != BATON_OK)
        return st;
    run->first_context_ms = (double)(bench_now_ns() - t0) / 1e6;
    snprintf(run->device, sizeof run->device, "%s", baton_context_device_name(ctx));
    run->compute = baton_context_compute(ctx);
    if (run->compute != BATON_COMPUTE_CUDA)
        snprintf(run->no_cuda, sizeof run->no_cuda, "%s", baton_context_caps(ctx)->cuda_error);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(baton_context_vk_physical_device(ctx), &props);
    run->cpu_device = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    baton_context_destroy(ctx);
    return BATON_OK;
}

/* Run one row into r. Returns false when it failed (a runtime error). */
static bool run_row(bench_run *run, bench_row_id row, int workload, bench_result *r)
{
    const bench_row_info *ri = bench_row_get(row);
    memset(r, 0, sizeof *r);
    r->row = row;
    r->workload = workload;
    bool handoff = ri->kind == BENCH_KIND_HANDOFF;
    if (handoff && run->compute != BATON_COMPUTE_CUDA) {
        r->status = BENCH_SKIPPED;
        snprintf(r->reason, sizeof r->reason, "no CUDA device");
        return true;
    }
    fprintf(stderr, "baton-bench: %s: %s ...\n",
            workload >= 0 ? bench_workload_get((bench_workload_id)workload)->name : "hand-off",
            ri->label);
    bench_samples s;
    baton_error err;
    baton_error_clear(&err);
    size_t capacity = handoff ? run->handoff_iterations : (size_t)run->frames;
    baton_status st = bench_samples_init(&s, capacity, handoff ? run->handoff_warmup : run->warmup,
                                         &err);
    if (st == BATON_OK) {
        bench_params p = {.wl = workload >= 0 ? bench_workload_get((bench_workload_id)workload) : NULL,
                          .frames = run->frames, .warmup = run->warmup,
                          .timeout_ms = BENCH_TIMEOUT_MS};
        switch (ri->kind) {
        case BENCH_KIND_HOST_SYNC: st = bench_run_host_sync(&p, &s, r, &err); break;
        case BENCH_KIND_RAW: st = bench_run_raw(&p, &s, r, &err); break;
        case BENCH_KIND_BATON: st = bench_run_baton(&p, ri->sync, ri->slots, &s, r, &err); break;
        case BENCH_KIND_HANDOFF:
            st = bench_run_handoff(row == BENCH_ROW_CUDA_TO_VK, run->handoff_iterations,
                                   run->handoff_warmup, BENCH_TIMEOUT_MS, &s, r, &err);
            break;
        }
    }
    if (st == BATON_OK)
        st = bench_stats_fill(r, &s, !handoff, &err);
    bench_samples_free(&s);
    if (st == BATON_OK) {
        r->status = BENCH_OK;
        return true;
    }
    r->status = bench_status_is_skip(st) ? BENCH_SKIPPED : BENCH_FAILED;
    if (st == BATON_ERR_NO_CUDA_DEVICE)
        snprintf(r->reason, sizeof r->reason, "no CUDA device");
    else
        snprintf(r->reason, sizeof r->reason, "%s", err.message);
    fprintf(stderr, "baton-bench: %s %s: %s\n",
            workload >= 0 ? bench_workload_get((bench_workload_id)workload)->name : "hand-off",
            ri->label, r->status == BENCH_SKIPPED ? "skipped" : err.message);
    return r->status == BENCH_SKIPPED;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc == -1)
        return EXIT_RAN;
    if (rc != 0)
        return rc;

    static bench_run run;
    run.frames = o.frames;
    run.warmup = o.frames / 10 < 10 ? 10 : o.frames / 10 > 100 ? 100 : o.frames / 10;
    run.handoff_iterations = BENCH_HANDOFF_ITERATIONS;
    run.handoff_warmup = BENCH_HANDOFF_WARMUP;
    baton_error err;
    if (first_context(&run, &err) != BATON_OK) {
        fprintf(stderr, "baton-bench: cannot create a baton context: %s\n", err.message);
        return EXIT_RUNTIME;
    }

    bool ok = true;
    for (int wl = 0; wl < BENCH_WL_COUNT; wl++) {
        run.fill_cpu_us[wl] = -1;
        if (!o.workloads[wl])
            continue;
        run.fill_cpu_us[wl] = bench_fill_cost_us(bench_workload_get((bench_workload_id)wl),
                                                 wl == BENCH_WL_EMPTY ? 1000 : 20);
        for (int row = 0; row < BENCH_ROW_COUNT; row++)
            if (o.rows[row] && bench_row_get((bench_row_id)row)->kind != BENCH_KIND_HANDOFF)
                ok &= run_row(&run, (bench_row_id)row, wl, &run.results[run.count++]);
    }
    for (int row = 0; row < BENCH_ROW_COUNT; row++)
        if (o.rows[row] && bench_row_get((bench_row_id)row)->kind == BENCH_KIND_HANDOFF)
            ok &= run_row(&run, (bench_row_id)row, -1, &run.results[run.count++]);

    bench_print_table(stdout, &run);
    fflush(stdout);
    if (bench_write_json(o.json, &run, &err) != BATON_OK) {
        fprintf(stderr, "baton-bench: %s\n", err.message);
        ok = false;
    }
    if (bench_write_svg(o.svg, &run, &err) != BATON_OK) {
        fprintf(stderr, "baton-bench: %s\n", err.message);
        ok = false;
    }
    for (size_t i = 0; i < run.count; i++)
        bench_result_free(&run.results[i]);
    return ok ? EXIT_RAN : EXIT_RUNTIME;
}
