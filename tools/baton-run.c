/* baton-run - the main job: run the frame pipeline (source -> compute stage
 * -> Vulkan -> sink) for N frames and report what it did: frames per second,
 * latency, dropped frames, CPU time per frame, the sync mode and compute
 * stage used, and whether the recorded semaphore ops match the plan.
 * Exit status: 0 run complete, 1 baton failed (or the trace does not match
 * the plan), 2 bad usage, 128 + signal when interrupted (results so far are
 * printed). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baton/board.h"
#include "baton/context.h"
#include "baton/format.h"
#include "sources/pattern.h"
#include "baton/pipeline.h"
#include "baton/trace.h"
#include "boards_dir.h"
#include "json_writer.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Built-in defaults, used when no board profile could be loaded. */
#define DEF_WIDTH 1280u
#define DEF_HEIGHT 720u
#define DEF_FORMAT BATON_FORMAT_YUYV
#define DEF_SLOTS 2u
#define DEF_SYNC BATON_SYNC_AUTO
#define DEF_TIMEOUT_MS 1000u
#define DEF_FRAMES 300u

#define MAX_FRAMES 1000000000000ull /* 10^12 */
#define MAX_DUMPS 1024u
#define STATS_MAX (1u << 20)        /* latency samples kept (8 MiB) */
#define TRACE_MAX (1u << 20)        /* trace events kept with --trace */
#define TRACE_DEFAULT 65536u        /* trace events kept otherwise */
#define PROGRESS_NS 100000000ull    /* progress line at most every 100 ms */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: baton-run [--board NAME] [--source SPEC] [--sink SPEC] [--frames N]\n"
            "                 [--slots S] [--sync auto|timeline|binary]\n"
            "                 [--compute auto|cuda|cpu] [--size WxH] [--format F]\n"
            "                 [--policy newest|backpressure] [--timeout-ms T]\n"
            "                 [--dump DIR [--dump-frames LIST]] [--trace FILE]\n"
            "                 [--json FILE] [--hold SECONDS] [--progress] [--quiet]\n"
            "\n"
            "Run the frame pipeline (source -> compute stage -> Vulkan -> sink) for N\n"
            "frames, then print a table: frames, frames per second, latency from source\n"
            "ready to display done (p50/p99/max), dropped frames, CPU time per frame,\n"
            "sync mode, compute stage (CUDA or CPU, and why CPU), Vulkan device, slots,\n"
            "size/format, and whether the recorded semaphore ops match the plan.\n"
            "The defaults need no camera, display or CUDA device: the pattern source,\n"
            "the headless sink, and the CPU compute stage when there is no CUDA device.\n"
            "A Vulkan device is needed (a CPU one such as lavapipe will do).\n"
            "\n"
            "  --board NAME      board profile: a name (file NAME.board in the boards\n"
            "                    directory, see below) or a path (contains '/').\n"
            "                    Default: detected from /proc/device-tree/compatible,\n"
            "                    /etc/nv_tegra_release, else x86-discrete on x86-64.\n"
            "                    The profile's [defaults] give slots, sync, size, camera\n"
            "                    format and timeout unless the options below override\n"
            "                    them. Its camera and display are NOT used: the source is\n"
            "                    always \"pattern\" and the sink \"headless\" unless\n"
            "                    --source/--sink say otherwise. If detection fails, one\n"
            "                    note says so and the built-in defaults apply:\n"
            "                    %ux%u %s, %u slots, sync %s, timeout %u ms.\n"
            "  --source SPEC     pattern (default; a new frame whenever asked),\n"
            "                    pattern@FPS (paced like a camera), pattern@FPS:stop=N\n"
            "                    (the camera stops after N frames: a timeout, exit 1)\n"
            "                    y4m:FILE[:loop] (YUV4MPEG2: 4:2:0, 4:2:2, mono),\n"
            "                    pipe:FORMAT:WxH[:PATH|-|fd=N] (raw frames, e.g. from\n"
            "                    ffmpeg -f rawvideo or gst-launch-1.0 ... ! fdsink),\n"
            "                    v4l2:/dev/videoN[:FOURCC] (a camera)\n"
            "  --sink SPEC       headless (default; an offscreen image),\n"
            "                    x11[:WxH] (a window; needs DISPLAY),\n"
            "                    drm[:CONNECTOR][@WxH[@Hz]][,via=vulkan|kms] (a display\n"
            "                    with no compositor, e.g. drm:HDMI-A-1; BATON_DRM_DEVICE\n"
            "                    picks the card; via=vulkan presents with VK_KHR_display,\n"
            "                    via=kms page-flips dumb buffers (one CPU copy a frame);\n"
            "                    default: vulkan when the Vulkan device drives a display,\n"
            "                    else kms). The table then shows the display and its\n"
            "                    vblank timestamps\n"
            "  --frames N        frames to run, 1..10^12 (default %u)\n"
            "  --slots S         frames in flight, %u..%u (default: board, else %u)\n"
            "  --sync MODE       auto (timeline where possible), timeline or binary\n"
            "                    (default: board, else auto)\n"
            "  --compute MODE    auto (CUDA if a CUDA device is usable, else CPU), cuda\n"
            "                    (fail without one) or cpu (default auto)\n"
            "  --size WxH        frame size, at least %ux%u for the pattern source\n"
            "                    (default: board, else %ux%u)\n"
            "  --format F        source format: YUYV, UYVY, NV12, GREY or RGB24\n"
            "                    (default: the board's camera_format, else YUYV)\n"
            "  --policy P        backpressure (default: every frame is shown, the source\n"
            "                    waits) or newest (a paced source skips to its newest\n"
            "                    frame when the pipeline falls behind; skips are counted\n"
            "                    as dropped)\n"
            "  --timeout-ms T    bound on every wait, 1..%u (default: board, else %u)\n"
            "  --dump DIR        write displayed frames as DIR/frame-NNNNNN.png (DIR is\n"
            "                    created if missing). Turns on readback, which adds a\n"
            "                    copy per frame; without --dump there is none.\n"
            "  --dump-frames L   frame numbers to dump, comma-separated, e.g. 0,10,100\n"
            "                    (default: the first and the last frame; needs --dump)\n"
            "  --trace FILE      after the run, save the semaphore trace and its plan to\n"
            "                    FILE (check it with `baton-trace check FILE`, view it\n"
            "                    with `baton-trace perfetto FILE OUT.json`); keeps up to\n"
            "                    %u events (otherwise %u are kept for the check)\n"
            "  --json FILE       also write the results as one JSON object to FILE\n"
            "  --hold SECONDS    keep the last frame on the display for SECONDS (0..3600)\n"
            "                    after the run, before tearing down (says so on stderr;\n"
            "                    Ctrl-C ends it early)\n"
            "  --progress        show progress even when stderr is not a terminal: one\n"
            "                    line a second, for logs\n"
            "  -q, --quiet       no progress line and no notes on stderr (errors and\n"
            "                    the results table still print)\n"
            "  -h, --help        this text\n"
            "\n"
            "Progress: when stderr is a terminal, a line shows frames done and fps so\n"
            "far, updated at most 10 times a second. Ctrl-C (SIGINT) or SIGTERM stops\n"
            "the run early: frames in flight finish and the results so far are printed;\n"
            "a second signal ends the process at once.\n"
            "\n"
            "Board profiles are looked up in $BATON_BOARDS_DIR if set (and then only\n"
            "there), else ./boards, else <bin>/../share/baton/boards (installed), else\n"
            "<bin>/../boards (the source tree's build/), else <bin>/boards (the GPU\n"
            "bundle), where <bin> is the directory holding this baton-run.\n"
            "\n"
            "environment:\n"
            "  BATON_BOARDS_DIR  the directory of board profiles (see above)\n"
            "  VK_ICD_FILENAMES  (or VK_DRIVER_FILES) the Vulkan driver manifest. On a\n"
            "                    headless NVIDIA machine the stock manifest needs an X\n"
            "                    server and vkCreateInstance fails; point this at a\n"
            "                    manifest that loads libEGL_nvidia.so.0 (tools/\n"
            "                    nvidia_icd_egl.json; README, \"Headless NVIDIA machines\").\n"
            "                    Run baton-probe to see what this machine supports, which\n"
            "                    mode baton would pick, and the fix when it applies.\n"
            "\n"
            "exit status: 0 the run completed (or the source ended); 1 baton failed (no\n"
            "Vulkan, no CUDA device with --compute cuda, sync mode unsupported, a wait\n"
            "timed out, a file could not be written) or the trace does not match the\n"
            "plan; 2 bad arguments (one line on stderr); 130 interrupted by SIGINT,\n"
            "143 by SIGTERM (the results so far are printed).\n",
            DEF_WIDTH, DEF_HEIGHT, baton_format_name(DEF_FORMAT), DEF_SLOTS,
            baton_sync_mode_name(DEF_SYNC), DEF_TIMEOUT_MS, DEF_FRAMES, BATON_SLOTS_MIN,
            BATON_SLOTS_MAX, DEF_SLOTS, BATON_PATTERN_MIN_WIDTH, BATON_PATTERN_MIN_HEIGHT,
            DEF_WIDTH, DEF_HEIGHT, BATON_BOARD_TIMEOUT_MAX_MS, DEF_TIMEOUT_MS, TRACE_MAX,
            TRACE_DEFAULT);
}

/* ---- arguments ---- */

typedef struct options {
    const char *board, *source, *sink, *dump_dir, *dump_list, *trace_path, *json_path;
    uint64_t frames;
    uint32_t slots, width, height, timeout_ms, hold_s;
    baton_sync_mode sync;
    baton_compute_mode compute;
    baton_format format;
    baton_drop_policy policy;
    bool has_slots, has_sync, has_size, has_format, has_timeout, quiet, progress;
} options;

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("baton-run: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* A decimal number without sign or blanks, in lo..hi. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_size(const char *s, uint32_t *w, uint32_t *h)
{
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    char *x = strchr(buf, 'x');
    if (!x)
        x = strchr(buf, 'X');
    if (!x)
        return false;
    *x = '\0';
    uint64_t a, b;
    if (!parse_u64(buf, 1, BATON_BOARD_SIZE_MAX, &a) || !parse_u64(x + 1, 1, BATON_BOARD_SIZE_MAX, &b))
        return false;
    *w = (uint32_t)a;
    *h = (uint32_t)b;
    return true;
}

static const struct option long_opts[] = {
    {"board", required_argument, 0, 'B'},
    {"source", required_argument, 0, 'S'},
    {"sink", required_argument, 0, 'K'},
    {"frames", required_argument, 0, 'n'},
    {"slots", required_argument, 0, 's'},
    {"sync", required_argument, 0, 'y'},
    {"compute", required_argument, 0, 'c'},
    {"size", required_argument, 0, 'z'},
    {"format", required_argument, 0, 'f'},
    {"policy", required_argument, 0, 'p'},
    {"timeout-ms", required_argument, 0, 't'},
    {"dump", required_argument, 0, 'd'},
    {"dump-frames", required_argument, 0, 'D'},
    {"trace", required_argument, 0, 'T'},
    {"json", required_argument, 0, 'j'},
    {"hold", required_argument, 0, 'H'},
    {"quiet", no_argument, 0, 'q'},
    {"progress", no_argument, 0, 'P'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The option as the user spelled it, for messages about a missing value or
 * an unknown option. */
static const char *bad_option_text(char **argv, char *buf, size_t len)
{
    const char *arg = argv[optind - 1];
    if (optopt && !(arg[0] == '-' && arg[1] == '-'))
        snprintf(buf, len, "-%c", optopt);
    else
        snprintf(buf, len, "%s", arg);
    char *eq = strchr(buf, '=');
    if (eq && buf[1] == '-')
        *eq = '\0';
    return buf;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->source = "pattern";
    o->sink = "headless";
    o->frames = DEF_FRAMES;
    o->policy = BATON_POLICY_BACKPRESSURE;
    o->compute = BATON_COMPUTE_AUTO;
    opterr = 0;
    int c;
    uint64_t v;
    char opt[128];
    while ((c = getopt_long(argc, argv, ":hq", long_opts, NULL)) != -1) {
        switch (c) {
        case 'B':
            if (!optarg[0])
                return usage_error("--board wants a board name or a profile path, got ''");
            o->board = optarg;
            break;
        case 'S':
            if (!optarg[0])
                return usage_error("--source wants a source spec (e.g. pattern), got ''");
            o->source = optarg;
            break;
        case 'K':
            if (!optarg[0])
                return usage_error("--sink wants a sink spec (e.g. headless), got ''");
            o->sink = optarg;
            break;
        case 'n':
            if (!parse_u64(optarg, 1, MAX_FRAMES, &o->frames))
                return usage_error("--frames wants 1..%llu, got %s", MAX_FRAMES, optarg);
            break;
        case 's':
            if (!parse_u64(optarg, BATON_SLOTS_MIN, BATON_SLOTS_MAX, &v))
                return usage_error("--slots wants %u..%u, got %s", BATON_SLOTS_MIN,
                                   BATON_SLOTS_MAX, optarg);
            o->slots = (uint32_t)v;
            o->has_slots = true;
            break;
        case 'y':
            if (strcmp(optarg, "auto") == 0)
                o->sync = BATON_SYNC_AUTO;
            else if (strcmp(optarg, "timeline") == 0)
                o->sync = BATON_SYNC_TIMELINE;
            else if (strcmp(optarg, "binary") == 0)
                o->sync = BATON_SYNC_BINARY;
            else
                return usage_error("--sync wants auto, timeline or binary, got '%s'", optarg);
            o->has_sync = true;
            break;
        case 'c':
            if (strcmp(optarg, "auto") == 0)
                o->compute = BATON_COMPUTE_AUTO;
            else if (strcmp(optarg, "cuda") == 0 || strcmp(optarg, "CUDA") == 0)
                o->compute = BATON_COMPUTE_CUDA;
            else if (strcmp(optarg, "cpu") == 0 || strcmp(optarg, "CPU") == 0)
                o->compute = BATON_COMPUTE_CPU;
            else
                return usage_error("--compute wants auto, cuda or cpu, got '%s'", optarg);
            break;
        case 'z':
            if (!parse_size(optarg, &o->width, &o->height))
                return usage_error("--size wants WxH, each 1..%u (e.g. 1280x720), got '%s'",
                                   BATON_BOARD_SIZE_MAX, optarg);
            o->has_size = true;
            break;
        case 'f':
            if (baton_format_parse(optarg, &o->format, NULL) != BATON_OK ||
                o->format == BATON_FORMAT_RGBA8)
                return usage_error("--format wants YUYV, UYVY, NV12, GREY or RGB24, got '%s'",
                                   optarg);
            o->has_format = true;
            break;
        case 'p':
            if (strcmp(optarg, "newest") == 0)
                o->policy = BATON_POLICY_NEWEST;
            else if (strcmp(optarg, "backpressure") == 0)
                o->policy = BATON_POLICY_BACKPRESSURE;
            else
                return usage_error("--policy wants newest or backpressure, got '%s'", optarg);
            break;
        case 't':
            if (!parse_u64(optarg, 1, BATON_BOARD_TIMEOUT_MAX_MS, &v))
                return usage_error("--timeout-ms wants 1..%u, got %s", BATON_BOARD_TIMEOUT_MAX_MS,
                                   optarg);
            o->timeout_ms = (uint32_t)v;
            o->has_timeout = true;
            break;
        case 'd':
            if (!optarg[0])
                return usage_error("--dump wants a directory, got ''");
            o->dump_dir = optarg;
            break;
        case 'D': o->dump_list = optarg; break;
        case 'T':
            if (!optarg[0])
                return usage_error("--trace wants a file name, got ''");
            o->trace_path = optarg;
            break;
        case 'j':
            if (!optarg[0])
                return usage_error("--json wants a file name, got ''");
            o->json_path = optarg;
            break;
        case 'q': o->quiet = true; break;
        case 'H':
            if (!parse_u64(optarg, 0, 3600, &v))
                return usage_error("--hold wants seconds 0..3600, got '%s'", optarg);
            o->hold_s = (uint32_t)v;
            break;
        case 'P': o->progress = true; break;
        case 'h': usage(stdout); return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
        case ':':
            return usage_error("%s needs a value (try --help)", bad_option_text(argv, opt, sizeof opt));
        default:
            return usage_error("unknown option '%s' (try --help)", bad_option_text(argv, opt, sizeof opt));
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s' (try --help)", argv[optind]);
    if (o->dump_list && !o->dump_dir)
        return usage_error("--dump-frames needs --dump DIR");
    return -1;
}

/* "0,10,100" -> frames; each must be < frames. */
static int parse_dump_list(const char *list, uint64_t frames, uint64_t *out, size_t *count)
{
    *count = 0;
    const char *p = list;
    for (;;) {
        char item[32];
        size_t len = strcspn(p, ",");
        uint64_t v;
        if (len == 0 || len >= sizeof item)
            return usage_error("--dump-frames wants frame numbers separated by commas "
                               "(e.g. 0,10,100), got '%s'", list);
        memcpy(item, p, len);
        item[len] = '\0';
        if (!parse_u64(item, 0, UINT64_MAX, &v))
            return usage_error("--dump-frames wants frame numbers separated by commas "
                               "(e.g. 0,10,100), got '%s'", list);
        if (v >= frames)
            return usage_error("--dump-frames: frame %llu is past the last frame (%llu of "
                               "--frames %llu)", (unsigned long long)v,
                               (unsigned long long)(frames - 1), (unsigned long long)frames);
        bool seen = false;
        for (size_t i = 0; i < *count; i++)
            seen = seen || out[i] == v;
        if (!seen && *count == MAX_DUMPS)
            return usage_error("--dump-frames: at most %u frames", MAX_DUMPS);
        if (!seen)
            out[(*count)++] = v;
        p += len;
        if (*p == '\0')
            return -1;
        p++;
    }
}

/* ---- the run ---- */

typedef struct settings {
    uint32_t width, height, slots, timeout_ms;
    baton_format format;
    baton_sync_mode sync;
    bool have_board;
    baton_board board;
    char board_note[BATON_ERROR_MESSAGE_MAX + 128]; /* detection failure, printed later */
    uint64_t dumps[MAX_DUMPS];
    size_t dump_count;
} settings;

typedef struct results {
    uint64_t frames_done, frames_submitted, dropped, dumps_written;
    double seconds, fps, cpu_us_per_frame;
    size_t latency_samples;
    double p50_us, p99_us, max_us;
    baton_sync_mode sync;
    baton_compute_mode compute;
    char compute_text[BATON_NAME_MAX + 64];
    char device[BATON_NAME_MAX];
    uint64_t trace_total, trace_dropped;
    bool trace_ok;
    char trace_message[BATON_ERROR_MESSAGE_MAX];
    bool trace_saved;
    char trace_save_error[BATON_ERROR_MESSAGE_MAX]; /* why --trace FILE was not written */
    const char *stopped_by; /* "SIGINT", "SIGTERM", "end of stream" or NULL */
    baton_display_report display;
    double vblank_p50_ms, vblank_max_ms; /* intervals between consecutive records */
    uint64_t vblank_late;                /* intervals longer than 1.5 refresh periods */
} results;

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = (int)(SA_RESTART | SA_RESETHAND); /* a second signal kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t cpu_ns(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void latency_figures(baton_pipeline *p, uint64_t *buf, size_t cap, results *r)
{
    size_t n = baton_pipeline_latencies(p, buf, cap);
    r->latency_samples = n;
    if (n == 0)
        return;
    qsort(buf, n, sizeof buf[0], cmp_u64);
    size_t i99 = n * 99 / 100 < n ? n * 99 / 100 : n - 1;
    r->p50_us = (double)buf[n / 2] / 1e3;
    r->p99_us = (double)buf[i99] / 1e3;
    r->max_us = (double)buf[n - 1] / 1e3;
}

/* The progress line, rewritten in place; clear_line erases it. */
static bool g_tty; /* stderr is a terminal: progress updates one line in place */

static void progress(uint64_t done, uint64_t total, uint64_t t0, bool clear_line)
{
    double s = (double)(now_ns() - t0) / 1e9;
    if (clear_line) {
        if (g_tty)
            fputs("\r\033[K", stderr);
    } else {
        fprintf(stderr, g_tty ? "\rbaton-run: %llu/%llu frames, %.1f fps\033[K"
                              : "baton-run: %llu/%llu frames, %.1f fps\n",
                (unsigned long long)done, (unsigned long long)total,
                s > 0 ? (double)done / s : 0.0);
    }
    fflush(stderr);
}

static void compute_text(const baton_context *ctx, baton_compute_mode requested, results *r)
{
    const baton_caps *caps = baton_context_caps(ctx);
    if (r->compute == BATON_COMPUTE_CUDA)
        snprintf(r->compute_text, sizeof r->compute_text, "CUDA (%s)",
                 caps && caps->cuda_name[0] ? caps->cuda_name : "device");
    else if (requested == BATON_COMPUTE_CPU)
        snprintf(r->compute_text, sizeof r->compute_text, "CPU (requested)");
    else
        snprintf(r->compute_text, sizeof r->compute_text, "CPU (no CUDA device: %s)",
                 caps && caps->cuda_error[0] ? caps->cuda_error : "none found");
}

/* Save the trace and check it against the plan. */
static baton_status trace_figures(baton_pipeline *p, const char *path, results *r,
                                  baton_error *err)
{
    const baton_trace *t = baton_pipeline_trace(p);
    baton_schedule plan = baton_pipeline_schedule(p);
    baton_error terr;
    r->trace_total = baton_trace_total(t);
    r->trace_dropped = baton_trace_dropped(t);
    r->trace_ok = baton_trace_check(t, &plan, &terr) == BATON_OK;
    snprintf(r->trace_message, sizeof r->trace_message, "%s", r->trace_ok ? "" : terr.message);
    if (!path)
        return BATON_OK;
    baton_status st = baton_trace_save(t, &plan, path, err);
    r->trace_saved = st == BATON_OK;
    return st;
}

/* The display and the intervals between its vblank records. */
static void display_figures(const baton_pipeline *p, results *r)
{
    baton_error derr;
    if (baton_pipeline_display(p, &r->display, &derr) != BATON_OK)
        return;
    const baton_display_report *d = &r->display;
    uint64_t iv[BATON_DISPLAY_VBLANKS_KEEP];
    size_t n = 0;
    for (size_t i = 1; i < d->vblank_count; i++)
        if (d->vblanks[i].ns > d->vblanks[i - 1].ns)
            iv[n++] = d->vblanks[i].ns - d->vblanks[i - 1].ns;
    if (!n)
        return;
    qsort(iv, n, sizeof iv[0], cmp_u64);
    r->vblank_p50_ms = (double)iv[n / 2] / 1e6;
    r->vblank_max_ms = (double)iv[n - 1] / 1e6;
    for (size_t i = 0; i < n; i++)
        r->vblank_late += d->period_ns && iv[i] * 2 > d->period_ns * 3;
}

/* Keep the last frame on screen; a signal ends it early. */
static void hold(const options *o)
{
    if (!o->hold_s || g_signal)
        return;
    if (!o->quiet)
        fprintf(stderr, "baton-run: holding the last frame on the display for %u s\n", o->hold_s);
    uint64_t end = now_ns() + (uint64_t)o->hold_s * 1000000000u;
    while (!g_signal && now_ns() < end) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
}

/* Run the pipeline; fills r. On error err says why. */
static baton_status run(const options *o, const settings *s, results *r, baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = o->compute;
    cc.sync = s->sync;
    baton_context *ctx = NULL;
    baton_pipeline *p = NULL;
    uint64_t *lat = NULL;
    baton_status st = baton_context_create(&cc, &ctx, err);
    if (st != BATON_OK)
        return st;
    r->compute = baton_context_compute(ctx);
    r->sync = baton_context_sync(ctx);
    compute_text(ctx, o->compute, r);
    snprintf(r->device, sizeof r->device, "%s", baton_context_device_name(ctx));

    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = s->width;
    pc.height = s->height;
    pc.format = s->format;
    pc.slots = s->slots;
    pc.timeout_ms = s->timeout_ms;
    pc.policy = o->policy;
    pc.source = o->source;
    pc.sink = o->sink;
    pc.stats_frames = (uint32_t)(o->frames < STATS_MAX ? o->frames : STATS_MAX);
    if (o->trace_path) {
        uint64_t want = o->frames * BATON_SCHEDULE_MAX_OPS + 8;
        pc.trace_events = (uint32_t)(want < TRACE_DEFAULT ? TRACE_DEFAULT
                                     : want > TRACE_MAX ? TRACE_MAX : want);
    }
    if (o->dump_dir) {
        pc.readback = true;
        pc.dump_dir = o->dump_dir;
        pc.dump_frames = s->dumps;
        pc.dump_count = s->dump_count;
    }
    if (!(lat = malloc(pc.stats_frames * sizeof *lat))) {
        st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "malloc(latency buffer) failed");
        goto out;
    }
    st = baton_pipeline_create(ctx, &pc, &p, err);
    if (st != BATON_OK)
        goto out;

    g_tty = isatty(STDERR_FILENO);
    bool show = !o->quiet && (g_tty || o->progress);
    uint64_t every = g_tty ? PROGRESS_NS : 10 * PROGRESS_NS;
    install_signals();
    uint64_t cpu0 = cpu_ns(), t0 = now_ns(), last = 0;
    for (uint64_t n = 0; n < o->frames && st == BATON_OK; n++) {
        if (g_signal) {
            r->stopped_by = g_signal == SIGINT ? "SIGINT" : "SIGTERM";
            break;
        }
        st = baton_pipeline_run(p, 1, err);
        if (show && now_ns() - last >= every) {
            last = now_ns();
            progress(baton_pipeline_get_stats(p).frames_done, o->frames, t0, false);
        }
    }
    if (st == BATON_ERR_END_OF_STREAM) {
        /* the pipeline refuses to drain after any error, this one included:
         * the frames still in flight are not counted */
        r->stopped_by = "end of stream";
        st = BATON_OK;
    } else if (st == BATON_OK) {
        st = baton_pipeline_drain(p, err);
    }
    uint64_t t1 = now_ns(), cpu1 = cpu_ns();
    if (show)
        progress(baton_pipeline_get_stats(p).frames_done, o->frames, t0, true);

    baton_pipeline_stats ps = baton_pipeline_get_stats(p);
    r->frames_done = ps.frames_done;
    r->frames_submitted = ps.frames_submitted;
    r->dropped = ps.dropped;
    r->dumps_written = ps.dumps_written;
    r->seconds = (double)(t1 - t0) / 1e9;
    r->fps = r->seconds > 0 ? (double)ps.frames_done / r->seconds : 0;
    r->cpu_us_per_frame = ps.frames_done ? (double)(cpu1 - cpu0) / 1e3 / (double)ps.frames_done : 0;
    latency_figures(p, lat, pc.stats_frames, r);
    display_figures(p, r);
    if (st == BATON_OK)
        hold(o);
    /* also after a failed run: the trace shows where it stopped */
    baton_error terr;
    if (trace_figures(p, o->trace_path, r, &terr) != BATON_OK)
        snprintf(r->trace_save_error, sizeof r->trace_save_error, "%s", terr.message);
out:
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    free(lat);
    return st;
}

/* ---- output ---- */

static void board_text(const settings *s, const options *o, char *buf, size_t len)
{
    if (!s->have_board)
        snprintf(buf, len, "none (built-in defaults)");
    else if (o->board)
        snprintf(buf, len, "%s (%s)", s->board.name, s->board.source);
    else
        snprintf(buf, len, "%s (detected: %s)", s->board.name,
                 s->board.detected_by[0] ? s->board.detected_by : s->board.source);
}

static void trace_text(const results *r, const options *o, char *buf, size_t len)
{
    char kept[64] = "";
    if (r->trace_dropped)
        snprintf(kept, sizeof kept, " (last %llu kept)",
                 (unsigned long long)(r->trace_total - r->trace_dropped));
    int n = snprintf(buf, len, "%llu events%s, %s%s", (unsigned long long)r->trace_total, kept,
                     r->trace_ok ? "matches plan" : "MISMATCH: ", r->trace_message);
    if (o->trace_path && r->trace_saved && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (saved to %s)", o->trace_path);
}

#define ROW "  %-19s "

static void print_table(const options *o, const settings *s, const results *r)
{
    char text[BATON_ERROR_MESSAGE_MAX + 512];
    printf("baton-run %s: %s -> %s\n", BATON_VERSION, o->source, o->sink);
    printf(ROW "%llu of %llu", "frames:", (unsigned long long)r->frames_done,
           (unsigned long long)o->frames);
    if (r->stopped_by)
        printf(" (stopped by %s)", r->stopped_by);
    printf("\n");
    printf(ROW "%.1f (%.3f s)\n", "frames per second:", r->fps, r->seconds);
    if (r->latency_samples)
        printf(ROW "p50 %.3f ms, p99 %.3f ms, max %.3f ms (source ready -> display done%s)\n",
               "latency:", r->p50_us / 1e3, r->p99_us / 1e3, r->max_us / 1e3,
               r->latency_samples < r->frames_done ? ", newest frames" : "");
    else
        printf(ROW "none (no frame finished)\n", "latency:");
    printf(ROW "%llu\n", "dropped frames:", (unsigned long long)r->dropped);
    printf(ROW "%.1f us (user + sys, whole process)\n", "CPU time per frame:", r->cpu_us_per_frame);
    printf(ROW "%s%s\n", "sync:", baton_sync_mode_name(r->sync),
           s->sync == BATON_SYNC_AUTO ? " (auto)" : "");
    printf(ROW "%s\n", "compute:", r->compute_text);
    printf(ROW "%s\n", "device:", r->device);
    printf(ROW "%u\n", "slots:", s->slots);
    printf(ROW "%ux%u %s\n", "size/format:", s->width, s->height, baton_format_name(s->format));
    printf(ROW "%s\n", "policy:",
           o->policy == BATON_POLICY_NEWEST ? "newest" : "backpressure");
    board_text(s, o, text, sizeof text);
    printf(ROW "%s\n", "board:", text);
    if (o->dump_dir)
        printf(ROW "%llu PNG%s in %s\n", "dumps:", (unsigned long long)r->dumps_written,
               r->dumps_written == 1 ? "" : "s", o->dump_dir);
    if (r->display.description[0])
        printf(ROW "%s\n", "display:", r->display.description);
    const baton_display_report *d = &r->display;
    if (d->vblanks_total || d->vblanks_missed) {
        printf(ROW "%llu %s", "vblanks:", (unsigned long long)d->vblanks_total,
               d->vblank_source[0] ? d->vblank_source : "records");
        if (d->vblank_count >= 2)
            printf(" (last %zu: interval p50 %.3f ms, max %.3f ms, %llu longer than 1.5 "
                   "refresh periods)", d->vblank_count, r->vblank_p50_ms, r->vblank_max_ms,
                   (unsigned long long)r->vblank_late);
        printf(", %llu missed\n", (unsigned long long)d->vblanks_missed);
        const baton_vblank *last = &d->vblanks[d->vblank_count ? d->vblank_count - 1 : 0];
        if (d->vblank_count)
            printf(ROW "frame %llu on screen at vblank %llu, t=%.6f s (CLOCK_MONOTONIC)\n",
                   "last flip:", (unsigned long long)last->frame,
                   (unsigned long long)last->sequence, (double)last->ns / 1e9);
    }
    trace_text(r, o, text, sizeof text);
    printf(ROW "%s\n", "trace:", text);
}

static baton_status write_json(const options *o, const settings *s, const results *r,
                               baton_error *err)
{
    FILE *f = fopen(o->json_path, "w");
    if (!f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(%s) failed: %s", o->json_path,
                               strerror(errno));
    json_writer w;
    json_init(&w, f);
    json_begin_object(&w);
    json_kv_string(&w, "version", BATON_VERSION);
    json_kv_string(&w, "source", o->source);
    json_kv_string(&w, "sink", o->sink);
    json_kv_uint(&w, "frames_requested", o->frames);
    json_kv_uint(&w, "frames", r->frames_done);
    json_key(&w, "stopped_by");
    if (r->stopped_by)
        json_string(&w, r->stopped_by);
    else
        json_null(&w);
    json_kv_double(&w, "seconds", r->seconds);
    json_kv_double(&w, "fps", r->fps);
    json_key(&w, "latency_us");
    json_begin_object(&w);
    json_kv_uint(&w, "samples", r->latency_samples);
    json_kv_double(&w, "p50", r->p50_us);
    json_kv_double(&w, "p99", r->p99_us);
    json_kv_double(&w, "max", r->max_us);
    json_end_object(&w);
    json_kv_uint(&w, "dropped", r->dropped);
    json_kv_double(&w, "cpu_us_per_frame", r->cpu_us_per_frame);
    json_kv_string(&w, "sync", baton_sync_mode_name(r->sync));
    json_kv_string(&w, "sync_requested", baton_sync_mode_name(s->sync));
    json_kv_string(&w, "compute", baton_compute_mode_name(r->compute));
    json_kv_string(&w, "compute_detail", r->compute_text);
    json_kv_string(&w, "device", r->device);
    json_kv_uint(&w, "slots", s->slots);
    json_kv_uint(&w, "width", s->width);
    json_kv_uint(&w, "height", s->height);
    json_kv_string(&w, "format", baton_format_name(s->format));
    json_kv_string(&w, "policy", o->policy == BATON_POLICY_NEWEST ? "newest" : "backpressure");
    json_kv_uint(&w, "timeout_ms", s->timeout_ms);
    json_key(&w, "board");
    if (s->have_board) {
        json_begin_object(&w);
        json_kv_string(&w, "name", s->board.name);
        json_kv_string(&w, "file", s->board.source);
        json_kv_string(&w, "detected_by", s->board.detected_by);
        json_end_object(&w);
    } else {
        json_null(&w);
    }
    json_key(&w, "dumps");
    if (o->dump_dir) {
        json_begin_object(&w);
        json_kv_string(&w, "dir", o->dump_dir);
        json_kv_uint(&w, "written", r->dumps_written);
        json_key(&w, "frames");
        json_begin_array(&w);
        for (size_t i = 0; i < s->dump_count; i++)
            json_uint(&w, s->dumps[i]);
        json_end_array(&w);
        json_end_object(&w);
    } else {
        json_null(&w);
    }
    json_key(&w, "display");
    json_begin_object(&w);
    json_kv_string(&w, "description", r->display.description);
    json_kv_string(&w, "vblank_source", r->display.vblank_source);
    json_kv_uint(&w, "vblanks", r->display.vblanks_total);
    json_kv_uint(&w, "vblanks_missed", r->display.vblanks_missed);
    json_kv_double(&w, "refresh_period_ms", (double)r->display.period_ns / 1e6);
    json_kv_double(&w, "vblank_interval_p50_ms", r->vblank_p50_ms);
    json_kv_double(&w, "vblank_interval_max_ms", r->vblank_max_ms);
    json_kv_uint(&w, "vblank_intervals_late", r->vblank_late);
    json_key(&w, "vblank_records");
    json_begin_array(&w);
    for (size_t i = 0; i < r->display.vblank_count; i++) {
        json_begin_object(&w);
        json_kv_uint(&w, "frame", r->display.vblanks[i].frame);
        json_kv_uint(&w, "sequence", r->display.vblanks[i].sequence);
        json_kv_uint(&w, "ns", r->display.vblanks[i].ns);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    json_key(&w, "trace");
    json_begin_object(&w);
    json_kv_uint(&w, "events", r->trace_total);
    json_kv_uint(&w, "events_dropped", r->trace_dropped);
    json_kv_bool(&w, "matches_plan", r->trace_ok);
    json_kv_string(&w, "message", r->trace_message);
    json_key(&w, "file");
    if (o->trace_path && r->trace_saved)
        json_string(&w, o->trace_path);
    else
        json_null(&w);
    json_end_object(&w);
    json_end_object(&w);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return baton_error_set(err, BATON_ERR_IO, "writing %s failed: %s", o->json_path,
                               strerror(errno ? errno : EIO));
    return BATON_OK;
}

/* ---- main ---- */

/* Board defaults, then the command line. Returns -1 to go on, else the
 * exit status (a bad argument). */
static int resolve(const options *o, settings *s)
{
    memset(s, 0, sizeof *s);
    s->width = DEF_WIDTH;
    s->height = DEF_HEIGHT;
    s->format = DEF_FORMAT;
    s->slots = DEF_SLOTS;
    s->sync = DEF_SYNC;
    s->timeout_ms = DEF_TIMEOUT_MS;

    char dirbuf[PATH_MAX + 32];
    const char *dir = tool_boards_dir(dirbuf, sizeof dirbuf);
    baton_error err;
    if (o->board) {
        if (baton_board_load(o->board, dir, &s->board, &err) != BATON_OK)
            return usage_error("--board: %s", err.message);
        s->have_board = true;
    } else if (!dir) {
        snprintf(s->board_note, sizeof s->board_note,
                 "no board profiles found ($BATON_BOARDS_DIR unset, no ./boards, none next to "
                 "baton-run)");
    } else if (baton_board_detect(NULL, NULL, dir, &s->board, &err) != BATON_OK) {
        snprintf(s->board_note, sizeof s->board_note, "board detection failed: %s", err.message);
    } else {
        s->have_board = true;
    }
    if (s->have_board) {
        const baton_board_defaults *d = &s->board.defaults;
        s->width = d->width;
        s->height = d->height;
        s->format = d->camera_format;
        s->slots = d->slots;
        s->sync = d->sync;
        s->timeout_ms = d->timeout_ms;
    }
    if (o->has_size) {
        s->width = o->width;
        s->height = o->height;
    }
    if (o->has_format)
        s->format = o->format;
    if (o->has_slots)
        s->slots = o->slots;
    if (o->has_sync)
        s->sync = o->sync;
    if (o->has_timeout)
        s->timeout_ms = o->timeout_ms;

    if (baton_format_check_size(s->format, s->width, s->height, &err) != BATON_OK)
        return usage_error("size %ux%u does not suit format %s: %s", s->width, s->height,
                           baton_format_name(s->format), err.message);
    if (strncmp(o->source, "pattern", 7) == 0 &&
        (s->width < BATON_PATTERN_MIN_WIDTH || s->height < BATON_PATTERN_MIN_HEIGHT))
        return usage_error("the pattern source needs at least %ux%u, got %ux%u",
                           BATON_PATTERN_MIN_WIDTH, BATON_PATTERN_MIN_HEIGHT, s->width, s->height);
    if (o->dump_dir) {
        if (o->dump_list) {
            int rc = parse_dump_list(o->dump_list, o->frames, s->dumps, &s->dump_count);
            if (rc >= 0)
                return rc;
        } else {
            s->dumps[s->dump_count++] = 0;
            if (o->frames > 1)
                s->dumps[s->dump_count++] = o->frames - 1;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    static settings s;
    rc = resolve(&o, &s);
    if (rc >= 0)
        return rc;
    if (s.board_note[0] && !o.quiet)
        fprintf(stderr, "baton-run: %s; using built-in defaults (%ux%u %s, %u slots, sync %s, "
                "timeout %u ms)\n", s.board_note, DEF_WIDTH, DEF_HEIGHT,
                baton_format_name(DEF_FORMAT), DEF_SLOTS, baton_sync_mode_name(DEF_SYNC),
                DEF_TIMEOUT_MS);
    if (o.dump_dir && mkdir(o.dump_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "baton-run: --dump: cannot create directory %s: %s\n", o.dump_dir,
                strerror(errno));
        return EXIT_FAIL;
    }
    if (o.dump_dir && !tool_is_dir(o.dump_dir)) {
        fprintf(stderr, "baton-run: --dump: %s is not a directory\n", o.dump_dir);
        return EXIT_FAIL;
    }

    static results r;
    baton_error err;
    baton_error_clear(&err);
    baton_status st = run(&o, &s, &r, &err);
    if (st != BATON_OK) {
        fprintf(stderr, "baton-run: %s\n", err.message[0] ? err.message : baton_strerror(st));
        if (r.trace_saved)
            fprintf(stderr, "baton-run: the trace up to the failure is in %s\n", o.trace_path);
        /* a pipeline the configuration could not describe is a bad argument */
        return st == BATON_ERR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAIL;
    }
    if (r.stopped_by && strcmp(r.stopped_by, "end of stream") == 0 && !o.quiet)
        fprintf(stderr, "baton-run: the source ended after %llu frames\n",
                (unsigned long long)r.frames_done);
    print_table(&o, &s, &r);
    rc = EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "baton-run: writing the results to stdout failed: %s\n", strerror(errno));
        rc = EXIT_FAIL;
    }
    if (r.trace_save_error[0]) {
        fprintf(stderr, "baton-run: --trace: %s\n", r.trace_save_error);
        rc = EXIT_FAIL;
    }
    if (o.json_path && write_json(&o, &s, &r, &err) != BATON_OK) {
        fprintf(stderr, "baton-run: --json: %s\n", err.message);
        rc = EXIT_FAIL;
    }
    if (!r.trace_ok) {
        fprintf(stderr, "baton-run: the trace does not match the plan: %s\n", r.trace_message);
        rc = EXIT_FAIL;
    }
    if (o.dump_dir && r.dumps_written < s.dump_count && !r.stopped_by) {
        fprintf(stderr, "baton-run: --dump: %llu of %zu frames written\n",
                (unsigned long long)r.dumps_written, s.dump_count);
        rc = EXIT_FAIL;
    }
    if (rc == EXIT_OK && r.stopped_by && strcmp(r.stopped_by, "SIGINT") == 0)
        rc = 128 + SIGINT;
    else if (rc == EXIT_OK && r.stopped_by && strcmp(r.stopped_by, "SIGTERM") == 0)
        rc = 128 + SIGTERM;
    return rc;
}
