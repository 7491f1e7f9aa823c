/* run_options.c - baton-run's command line: parse the options, print --help,
 * and resolve the board profile's defaults (found through boards_dir.c) and
 * the options into the run's settings. */
#include "run_options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards_dir.h"
#include "sources/pattern.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: baton-run [--board NAME] [--source SPEC] [--sink SPEC] [--frames N]\n"
            "                 [--slots S] [--sync auto|timeline|binary]\n"
            "                 [--compute auto|cuda|cpu] [--handoff MODE[,MODE]]\n"
            "                 [--zero-copy-upload] [--size WxH] [--format F]\n"
            "                 [--policy newest|backpressure] [--timeout-ms T]\n"
            "                 [--dump DIR [--dump-frames LIST]] [--trace FILE]\n"
            "                 [--json FILE] [--hold SECONDS] [--progress] [--quiet]\n"
            "                 [--on-camera-loss stop|resync[,MS]]\n"
            "                 [--on-display-loss stop|headless]\n"
            "\n"
            "Run the frame pipeline (source -> compute stage -> Vulkan -> sink) for N\n"
            "frames, then print a table: frames (delivered = shown + dropped by the\n"
            "policy + lost to an error), frames per second, latency (p50/p99/max) from\n"
            "the camera's capture (or a paced source's due time) to the host seeing the\n"
            "frame done, to the GPU finishing it (calibrated GPU timestamps, where the\n"
            "device has them) and to the screen (where the sink can tell), and from\n"
            "source ready to done; CPU time per frame, sync mode, hand-offs, compute\n"
            "stage (CUDA or CPU, and why CPU), how frames reach staging memory, Vulkan\n"
            "device, slots, the size/format the source delivered, and whether the\n"
            "recorded semaphore ops match the plan.\n"
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
            "                    v4l2:/dev/videoN[:FOURCC] (a camera),\n"
            "                    gst:PIPELINE (a GStreamer launch description; without\n"
            "                    an appsink baton adds videoconvert ! videoscale !\n"
            "                    appsink; format and size from its caps), e.g.\n"
            "                    'gst:videotestsrc ! video/x-raw,width=640,height=480'\n"
            "                    'gst:filesrc location=clip.mp4 ! decodebin'\n"
            "                    'gst:rtspsrc location=rtsp://HOST/PATH ! decodebin'\n"
            "                    'gst:v4l2src device=/dev/video0' (a USB camera)\n"
            "                    Jetson (not tested here): 'gst:nvarguscamerasrc !\n"
            "                    nvvidconv ! video/x-raw,format=NV12 ! appsink'\n"
            "  --sink SPEC       headless (default; an offscreen image),\n"
            "                    x11[:WxH] (a window; needs DISPLAY),\n"
            "                    drm[:CONNECTOR][@WxH[@Hz]][,via=vulkan|kms] (a display\n"
            "                    with no compositor, e.g. drm:HDMI-A-1; BATON_DRM_DEVICE\n"
            "                    picks the card; via=vulkan presents with VK_KHR_display,\n"
            "                    via=kms page-flips dumb buffers (one CPU copy a frame);\n"
            "                    default: vulkan when the Vulkan device drives a display,\n"
            "                    else kms). The table then shows the display and its\n"
            "                    vblank timestamps;\n"
            "                    gst:PIPELINE (frames as RGBA into a GStreamer pipeline\n"
            "                    after an appsrc, times from the frames' capture times,\n"
            "                    end of stream at teardown), e.g.\n"
            "                    'gst:videoconvert ! x264enc ! mp4mux ! filesink\n"
            "                    location=out.mp4' or 'gst:videoconvert ! x264enc\n"
            "                    tune=zerolatency ! rtph264pay ! udpsink host=H port=P'\n"
            "  --frames N        frames to run, 1..10^12 (default %u)\n"
            "  --slots S         frames in flight, %u..%u (default: board, else %u)\n"
            "  --sync MODE       auto (timeline where possible), timeline or binary\n"
            "                    (default: board, else auto)\n"
            "  --compute MODE    auto (CUDA if a CUDA device is usable, else CPU), cuda\n"
            "                    (fail without one) or cpu (default auto)\n"
            "  --handoff M[,M]   how each frame crosses between the APIs: gpu (the\n"
            "                    consumer's queue waits on the exported semaphore),\n"
            "                    relay (a host thread sees the producer finish and then\n"
            "                    starts the consumer) or auto (whichever baton measured\n"
            "                    faster at start-up; see baton-probe); one mode for both\n"
            "                    directions, or compute->Vulkan,Vulkan->compute\n"
            "                    (default auto)\n"
            "  --zero-copy-upload  with CUDA on a discrete GPU, take the integrated\n"
            "                    GPU's path: kernels read mapped pinned staging over the\n"
            "                    bus, no upload copy (runs Jetson's code path)\n"
            "  --size WxH        frame size, at least %ux%u for the pattern source\n"
            "                    (default: board, else %ux%u)\n"
            "  --format F        source format: YUYV, UYVY, NV12, GREY or RGB24\n"
            "                    (default: the board's camera_format, else YUYV)\n"
            "  --policy P        backpressure (default: every frame is shown, the source\n"
            "                    waits) or newest (a paced source skips to its newest\n"
            "                    frame when the pipeline falls behind; skips are counted\n"
            "                    as dropped)\n"
            "  --timeout-ms T    bound on every wait, 1..%u (default: board, else %u)\n"
            "  --on-camera-loss stop|resync[,MS]\n"
            "                    when the source stalls (no frame within the timeout) or\n"
            "                    its device goes away (a camera unplugged): stop with\n"
            "                    the error (default), or resync: let the frames in\n"
            "                    flight finish, close the source and reopen the same\n"
            "                    spec every 100 ms for up to MS ms (1..3600000, default\n"
            "                    10000), then go on with the next frame number; the\n"
            "                    results count the resyncs and the time without a camera\n"
            "  --on-display-loss stop|headless\n"
            "                    when the drm sink's display goes away (unplugged,\n"
            "                    disconnected): stop with the error (default), or\n"
            "                    headless: finish the frames on the GPU, drop the display\n"
            "                    and go on with the headless sink; the results say at\n"
            "                    which frame\n"
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

static bool parse_one_handoff(const char *s, size_t n, baton_handoff_mode *m)
{
    static const baton_handoff_mode modes[] = {BATON_HANDOFF_AUTO, BATON_HANDOFF_GPU,
                                               BATON_HANDOFF_RELAY};
    for (size_t i = 0; i < 3; i++) {
        const char *name = baton_handoff_mode_name(modes[i]);
        if (strlen(name) == n && strncmp(s, name, n) == 0) {
            *m = modes[i];
            return true;
        }
    }
    return false;
}

/* "MODE" for both directions, or "TO_VULKAN,TO_COMPUTE". */
static bool parse_handoff(const char *s, baton_handoff_mode *to_vulkan,
                          baton_handoff_mode *to_compute)
{
    const char *comma = strchr(s, ',');
    if (!comma)
        return parse_one_handoff(s, strlen(s), to_vulkan) &&
               parse_one_handoff(s, strlen(s), to_compute);
    return parse_one_handoff(s, (size_t)(comma - s), to_vulkan) &&
           parse_one_handoff(comma + 1, strlen(comma + 1), to_compute);
}

/* "stop", "resync" or "resync,MS". */
static bool parse_camera_loss(const char *s, options *o)
{
    uint64_t ms = 0;
    if (strcmp(s, "stop") == 0) {
        o->on_camera_loss = BATON_SOURCE_LOST_STOP;
        o->resync_ms = 0;
        return true;
    }
    if (strncmp(s, "resync", 6) != 0 || (s[6] != '\0' && s[6] != ','))
        return false;
    if (s[6] == ',' && !parse_u64(s + 7, 1, 3600000, &ms))
        return false;
    o->on_camera_loss = BATON_SOURCE_LOST_RESYNC;
    o->resync_ms = (uint32_t)ms;
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
    {"handoff", required_argument, 0, 'o'},
    {"zero-copy-upload", no_argument, 0, 'Z'},
    {"size", required_argument, 0, 'z'},
    {"format", required_argument, 0, 'f'},
    {"policy", required_argument, 0, 'p'},
    {"timeout-ms", required_argument, 0, 't'},
    {"on-camera-loss", required_argument, 0, 'L'},
    {"on-display-loss", required_argument, 0, 'X'},
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
int run_parse_args(int argc, char **argv, options *o)
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
        case 'o':
            if (!parse_handoff(optarg, &o->to_vulkan, &o->to_compute))
                return usage_error("--handoff wants gpu, relay or auto, or two of them "
                                   "(compute->Vulkan,Vulkan->compute), got '%s'", optarg);
            break;
        case 'Z':
            o->zero_copy_upload = true;
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
        case 'L':
            if (!parse_camera_loss(optarg, o))
                return usage_error("--on-camera-loss wants stop, resync or resync,MS (MS "
                                   "1..3600000), got '%s'", optarg);
            break;
        case 'X':
            if (strcmp(optarg, "stop") == 0)
                o->on_display_loss = BATON_DISPLAY_LOST_STOP;
            else if (strcmp(optarg, "headless") == 0)
                o->on_display_loss = BATON_DISPLAY_LOST_HEADLESS;
            else
                return usage_error("--on-display-loss wants stop or headless, got '%s'", optarg);
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

/* ---- settings ---- */

/* Board defaults, then the command line. Returns -1 to go on, else the
 * exit status (a bad argument). */
int run_resolve(const options *o, settings *s)
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

