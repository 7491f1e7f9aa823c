/* check_baton_run.c - the baton-run tool end to end: a run on the defaults
 * with its results table, bad arguments (exit 2, one line on stderr), --help,
 * board profiles and overrides, --trace (checked in-process and by
 * baton-trace), --json (parsed by python3), --dump (PNGs carrying the right
 * frame numbers), and run-time errors (exit 1).
 *
 * The tool is $BATON_TOOLS_DIR/baton-run, else $BUILD/baton-run (make check
 * sets BUILD), else build/baton-run; the suite runs from the repository root.
 * The runs need a Vulkan device (lavapipe will do); without one they are
 * skipped loudly (or fail, with BATON_REQUIRE_VULKAN=1) and only the argument
 * tests run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton/caps.h"
#include "sources/pattern.h"
#include "util/png.h"
#include "baton/trace.h"
#include "util_test.h"

#define OUT_MAX 65536

static bool g_vulkan; /* a Vulkan device exists: runs can be tested */

static const char *tools_dir(void)
{
    const char *dir = getenv("BATON_TOOLS_DIR");
    if (!dir || !dir[0])
        dir = getenv("BUILD");
    if (!dir || !dir[0])
        dir = "build";
    return dir;
}

static const char *tool_path(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/baton-run", tools_dir());
    ck_assert_msg(access(path, X_OK) == 0,
                  "the baton-run tool is not at %s (%s): build it first (make tools; make "
                  "check does), or set BATON_TOOLS_DIR to the directory that holds it",
                  path, strerror(errno));
    return path;
}

/* A scratch directory per test, removed at the end. */
typedef struct scratch {
    char dir[64];
    char out[128], err[128];
} scratch;

static scratch scratch_make(void)
{
    scratch s;
    snprintf(s.dir, sizeof s.dir, "/tmp/check_baton_run.XXXXXX");
    ck_assert_msg(mkdtemp(s.dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(s.out, sizeof s.out, "%s/stdout", s.dir);
    snprintf(s.err, sizeof s.err, "%s/stderr", s.dir);
    return s;
}

/* Remove dir and everything under it (files and directories only). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "opendir(%s): %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ck_assert_int_eq(lstat(path, &st), 0);
        if (S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            ck_assert_msg(unlink(path) == 0, "unlink(%s): %s", path, strerror(errno));
    }
    closedir(d);
    ck_assert_msg(rmdir(dir) == 0, "rmdir(%s): %s", dir, strerror(errno));
}

static void scratch_remove(const scratch *s) { remove_tree(s->dir); }

static void read_text(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "fopen(%s): %s", path, strerror(errno));
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

typedef struct result {
    int status;
    char out[OUT_MAX], err[OUT_MAX];
} result;

/* Run "ENV TOOL ARGS" with stdout and stderr captured separately. */
static void run_tool(const scratch *s, const char *env, const char *args, result *r)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s '%s' %s >'%s' 2>'%s' </dev/null", env ? env : "", tool_path(),
             args, s->out, s->err);
    int status = system(cmd);
    ck_assert_msg(status != -1 && WIFEXITED(status), "%s: did not exit normally (%d)", cmd,
                  status);
    r->status = WEXITSTATUS(status);
    read_text(s->out, r->out, sizeof r->out);
    read_text(s->err, r->err, sizeof r->err);
}

static void expect(const char *text, const char *needle, const char *what)
{
    ck_assert_msg(strstr(text, needle) != NULL, "%s lacks \"%s\":\n%s", what, needle, text);
}

static void expect_ok(const result *r, const char *args)
{
    ck_assert_msg(r->status == 0, "baton-run %s: exit %d\nstdout:\n%s\nstderr:\n%s", args,
                  r->status, r->out, r->err);
}

/* The table row "  LABEL:   value\n": the value, into buf. */
static const char *row(const char *out, const char *label, char *buf, size_t len)
{
    char key[64];
    snprintf(key, sizeof key, "\n  %s:", label);
    const char *p = strstr(out, key);
    ck_assert_msg(p != NULL, "no row \"%s:\" in:\n%s", label, out);
    p += strlen(key);
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\n");
    ck_assert_uint_lt(n, len);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

static bool have_cuda(void)
{
    static int known = -1;
    if (known < 0) {
        baton_caps caps;
        baton_probe(0, BATON_COMPUTE_AUTO, &caps, NULL);
        known = caps.cuda_present;
    }
    return known == 1;
}

static bool have_program(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* ---- arguments ---- */

START_TEST(test_help)
{
    scratch s = scratch_make();
    static result r;
    run_tool(&s, NULL, "--help", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(r.err[0] == '\0', "--help wrote to stderr:\n%s", r.err);
    expect(r.out, "usage: baton-run", "--help");
    static const char *opts[] = {
        "--board", "--source", "--sink", "--frames", "--slots", "--sync", "--compute",
        "--size", "--format", "--policy", "--timeout-ms", "--dump", "--dump-frames",
        "--trace", "--json", "--quiet", "--help", "--on-camera-loss", "--on-display-loss",
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "  %s ", opts[i]); /* its own entry, not just the synopsis */
        ck_assert_msg(strstr(r.out, needle) != NULL ||
                          (snprintf(needle, sizeof needle, ", %s ", opts[i]), strstr(r.out, needle)),
                      "--help does not document %s:\n%s", opts[i], r.out);
    }
    expect(r.out, "exit status", "--help");
    expect(r.out, "VK_ICD_FILENAMES", "--help");
    expect(r.out, "BATON_BOARDS_DIR", "--help");
    expect(r.out, "baton-probe", "--help");
    expect(r.out, "\"pattern\"", "--help");
    run_tool(&s, NULL, "-h", &r);
    ck_assert_int_eq(r.status, 0);
    expect(r.out, "usage: baton-run", "-h");
    scratch_remove(&s);
}
END_TEST

/* Bad usage: exit 2, nothing on stdout, exactly one line on stderr. */
START_TEST(test_bad_arguments)
{
    scratch s = scratch_make();
    static result r;
    static const char *bad[] = {
        "--slots 7",
        "--slots 1",
        "--slots two",
        "--frames 0",
        "--frames -5",
        "--frames 10x",
        "--frames",
        "--sync fast",
        "--compute gpu",
        "--size 320",
        "--size 320x",
        "--size 0x180",
        "--size 321x180",             /* odd width for YUYV */
        "--size 320x181 --format NV12", /* odd height for NV12 */
        "--size 32x16",               /* below the pattern's minimum */
        "--format RGBA8",
        "--format BGR",
        "--policy lifo",
        "--timeout-ms 0",
        "--timeout-ms 600001",
        "--dump-frames 1",            /* without --dump */
        "--dump DIR --dump-frames 1,,2",
        "--dump DIR --dump-frames x",
        "--dump DIR --frames 10 --dump-frames 10",
        "--board no-such-board",
        "--board /no/such/dir/x.board",
        "--bogus",
        "--bogus=3",
        "-x",
        "stray",
        "--board",
        "--on-camera-loss restart",
        "--on-camera-loss resync,0",
        "--on-camera-loss resync,",
        "--on-camera-loss resync,3600001",
        "--on-camera-loss resyncs",
        "--on-display-loss window",
        "--on-display-loss",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[512];
        const char *dir = strstr(bad[i], "DIR");
        if (dir)
            snprintf(args, sizeof args, "%.*s%s/d%s", (int)(dir - bad[i]), bad[i], s.dir, dir + 3);
        else
            snprintf(args, sizeof args, "%s", bad[i]);
        run_tool(&s, NULL, args, &r);
        ck_assert_msg(r.status == 2, "'%s': exit %d, want 2\nstderr: %s", args, r.status, r.err);
        ck_assert_msg(r.out[0] == '\0', "'%s' wrote to stdout:\n%s", args, r.out);
        char *nl = strchr(r.err, '\n');
        ck_assert_msg(nl && nl[1] == '\0' && strncmp(r.err, "baton-run: ", 11) == 0,
                      "'%s' should give one line on stderr starting \"baton-run: \", gave:\n%s",
                      args, r.err);
    }
    /* specs the pipeline refuses (it needs a device to ask) */
    static const char *bad_specs[] = {"--source camera0", "--sink wayland",
                                      "--source pattern@0"};
    for (size_t i = 0; g_vulkan && i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
        run_tool(&s, NULL, bad_specs[i], &r);
        ck_assert_msg(r.status == 2, "'%s': exit %d, want 2\nstderr: %s", bad_specs[i], r.status,
                      r.err);
        char *nl = strchr(r.err, '\n');
        ck_assert_msg(nl && nl[1] == '\0' && strncmp(r.err, "baton-run: ", 11) == 0,
                      "'%s' should give one line on stderr, gave:\n%s", bad_specs[i], r.err);
    }
    /* the message names the option and what it wants */
    run_tool(&s, NULL, "--slots 7", &r);
    ck_assert_str_eq(r.err, "baton-run: --slots wants 2..4, got 7\n");
    run_tool(&s, NULL, "--bogus", &r);
    expect(r.err, "--bogus", "stderr");
    run_tool(&s, NULL, "--on-display-loss window", &r);
    ck_assert_str_eq(r.err, "baton-run: --on-display-loss wants stop or headless, got 'window'\n");
    /* no dump directory was created by a refused command line */
    char path[256];
    snprintf(path, sizeof path, "%s/d", s.dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    scratch_remove(&s);
}
END_TEST

/* ---- runs ---- */

START_TEST(test_default_run)
{
    scratch s = scratch_make();
    static result r;
    const char *args = "--frames 50 --size 320x180";
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    char v[1024];
    expect(r.out, "frames", "stdout");
    ck_assert_str_eq(row(r.out, "frames", v, sizeof v), "50 of 50");
    double fps = strtod(row(r.out, "frames per second", v, sizeof v), NULL);
    ck_assert_msg(fps > 0, "fps %s", v);
    expect(row(r.out, "latency", v, sizeof v), "p50 ", "latency");
    expect(v, "p99 ", "latency");
    expect(v, "max ", "latency");
    ck_assert_str_eq(row(r.out, "dropped frames", v, sizeof v), "0");
    ck_assert_msg(strtod(row(r.out, "CPU time per frame", v, sizeof v), NULL) > 0, "%s", v);
    row(r.out, "sync", v, sizeof v);
    ck_assert_msg(strncmp(v, "timeline", 8) == 0 || strncmp(v, "binary", 6) == 0, "sync %s", v);
    row(r.out, "compute", v, sizeof v);
    if (have_cuda())
        ck_assert_msg(strncmp(v, "CUDA", 4) == 0, "compute %s", v);
    else
        ck_assert_msg(strncmp(v, "CPU (no CUDA device: ", 21) == 0 && strlen(v) > 22,
                      "compute %s", v);
    expect(r.out, have_cuda() ? "CUDA" : "CPU", "stdout");
    ck_assert_uint_gt(strlen(row(r.out, "device", v, sizeof v)), 0);
    row(r.out, "slots", v, sizeof v);
    ck_assert_msg(v[0] >= '2' && v[0] <= '4' && v[1] == '\0', "slots %s", v);
    char want[64]; /* every frame 4 ops but the first wait of the first S frames */
    snprintf(want, sizeof want, "%d events, matches plan", 4 * 50 - (v[0] - '0'));
    ck_assert_str_eq(row(r.out, "size/format", v, sizeof v), "320x180 YUYV");
    ck_assert_str_eq(row(r.out, "trace", v, sizeof v), want);
    expect(r.out, "matches plan", "stdout");
    /* not a terminal: no progress line */
    ck_assert_msg(strchr(r.err, '\r') == NULL, "progress on a non-terminal:\n%s", r.err);

    /* the CPU stage on request says so */
    args = "--frames 20 --size 320x180 --compute cpu --sync binary --slots 2 --quiet";
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    ck_assert_str_eq(row(r.out, "compute", v, sizeof v), "CPU (requested)");
    ck_assert_str_eq(row(r.out, "sync", v, sizeof v), "binary");
    ck_assert_str_eq(row(r.out, "slots", v, sizeof v), "2");
    ck_assert_str_eq(row(r.out, "trace", v, sizeof v), "78 events, matches plan");
    ck_assert_str_eq(r.err, "");
    scratch_remove(&s);
}
END_TEST

static void write_board(const char *path, const char *name, const char *defaults)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "fopen(%s): %s", path, strerror(errno));
    fprintf(f,
            "[board]\nname = %s\ndescription = test board\nsoc = none\ngpu = none\n"
            "cuda_arch = sm_90\njetpack = none\ncuda = 13.0\nmemory = discrete\n"
            "[defaults]\n%s",
            name, defaults);
    ck_assert_int_eq(fclose(f), 0);
}

/* A board's defaults apply, the command line overrides them, and a failed
 * detection falls back to the built-in defaults with one note. */
START_TEST(test_board_defaults)
{
    scratch s = scratch_make();
    static result r;
    char path[256], args[512], env[512], v[1024];
    snprintf(path, sizeof path, "%s/testboard.board", s.dir);
    write_board(path, "testboard",
                "slots = 4\nsync = binary\ncamera = v4l2:/dev/video9\ncamera_format = UYVY\n"
                "size = 256x144\ndisplay = drm:DP-9\ntimeout_ms = 1500\n");

    snprintf(args, sizeof args, "--board %s --frames 12", path);
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    ck_assert_str_eq(row(r.out, "slots", v, sizeof v), "4");
    ck_assert_str_eq(row(r.out, "sync", v, sizeof v), "binary");
    ck_assert_str_eq(row(r.out, "size/format", v, sizeof v), "256x144 UYVY");
    expect(row(r.out, "board", v, sizeof v), "testboard", "board row");
    expect(r.out, "pattern -> headless", "stdout"); /* not the board's camera and display */
    ck_assert_str_eq(row(r.out, "trace", v, sizeof v), "44 events, matches plan");

    /* by name, from BATON_BOARDS_DIR, with every default overridden */
    snprintf(env, sizeof env, "BATON_BOARDS_DIR='%s'", s.dir);
    snprintf(args, sizeof args,
             "--board testboard --frames 12 --slots 2 --sync timeline --size 320x180 "
             "--format NV12 --timeout-ms 3000");
    run_tool(&s, env, args, &r);
    expect_ok(&r, args);
    ck_assert_str_eq(row(r.out, "slots", v, sizeof v), "2");
    ck_assert_str_eq(row(r.out, "sync", v, sizeof v), "timeline");
    ck_assert_str_eq(row(r.out, "size/format", v, sizeof v), "320x180 NV12");
    ck_assert_str_eq(row(r.out, "trace", v, sizeof v), "46 events, matches plan");

    /* detection finds nothing: one note, built-in defaults (1280x720 YUYV, 2 slots) */
    snprintf(env, sizeof env, "BATON_BOARDS_DIR='%s/none'", s.dir);
    run_tool(&s, env, "--frames 3", &r);
    expect_ok(&r, "--frames 3");
    char *nl = strchr(r.err, '\n');
    ck_assert_msg(nl && nl[1] == '\0' && strstr(r.err, "built-in defaults"),
                  "want one note about the built-in defaults, got:\n%s", r.err);
    ck_assert_str_eq(row(r.out, "size/format", v, sizeof v), "1280x720 YUYV");
    ck_assert_str_eq(row(r.out, "slots", v, sizeof v), "2");
    expect(row(r.out, "board", v, sizeof v), "none", "board row");
    /* --quiet drops the note */
    run_tool(&s, env, "--frames 3 --quiet", &r);
    expect_ok(&r, "--frames 3 --quiet");
    ck_assert_str_eq(r.err, "");
    scratch_remove(&s);
}
END_TEST

START_TEST(test_trace_file)
{
    scratch s = scratch_make();
    static result r;
    char path[256], args[512], v[1024];
    snprintf(path, sizeof path, "%s/run.trace", s.dir);
    snprintf(args, sizeof args, "--frames 50 --size 320x180 --slots 2 --sync binary --trace %s",
             path);
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    char want[512];
    snprintf(want, sizeof want, "198 events, matches plan (saved to %s)", path);
    ck_assert_str_eq(row(r.out, "trace", v, sizeof v), want);

    /* the file loads and checks in-process */
    baton_trace *t = NULL;
    baton_schedule sch;
    baton_error err = {0};
    ck_assert_msg(baton_trace_load(path, &t, &sch, &err) == BATON_OK, "%s", err.message);
    ck_assert_uint_eq(baton_trace_total(t), 198);
    ck_assert_uint_eq(sch.slots, 2);
    ck_assert_int_eq(sch.mode, BATON_SYNC_BINARY);
    ck_assert_msg(baton_trace_check(t, &sch, &err) == BATON_OK, "%s", err.message);
    baton_trace_destroy(t);

    /* and baton-trace accepts it */
    char tool[512];
    snprintf(tool, sizeof tool, "%s/baton-trace", tools_dir());
    if (access(tool, X_OK) == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "'%s' check '%s' >'%s' 2>&1", tool, path, s.out);
        int status = system(cmd);
        read_text(s.out, r.out, sizeof r.out);
        ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "baton-trace check: %s", r.out);
        expect(r.out, "trace matches plan: 198 events, frames 0..49, 2 slots, binary",
               "baton-trace check");
    } else {
        fprintf(stderr, "SKIP (part) check_baton_run trace: no %s to check the file with; "
                        "checked in-process only\n", tool);
    }
    scratch_remove(&s);
}
END_TEST

START_TEST(test_json)
{
    scratch s = scratch_make();
    static result r;
    char path[256], args[512];
    snprintf(path, sizeof path, "%s/run.json", s.dir);
    snprintf(args, sizeof args, "--frames 30 --size 320x180 --json %s", path);
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    static char json[OUT_MAX];
    read_text(path, json, sizeof json);
    ck_assert_msg(json[0] == '{', "%s", json);
    expect(json, "\"frames\":30", "JSON");
    expect(json, "\"fps\":", "JSON");
    expect(json, "\"matches_plan\":true", "JSON");
    if (!have_program("python3")) {
        fprintf(stderr, "SKIP (part) check_baton_run json: no python3 to parse the JSON with\n");
        scratch_remove(&s);
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json, sys\n"
             "d = json.load(open(sys.argv[1]))\n"
             "assert d[\"frames\"] == 30 and d[\"frames_requested\"] == 30, d\n"
             "assert d[\"fps\"] > 0 and d[\"cpu_us_per_frame\"] > 0, d\n"
             "l = d[\"latency_us\"]\n"
             "assert l[\"samples\"] == 30 and 0 < l[\"p50\"] <= l[\"p99\"] <= l[\"max\"], l\n"
             "assert d[\"dropped\"] == 0 and d[\"width\"] == 320 and d[\"height\"] == 180, d\n"
             "assert d[\"compute\"] in (\"CPU\", \"CUDA\") and d[\"sync\"] in (\"timeline\", \"binary\"), d\n"
             "assert d[\"trace\"][\"matches_plan\"] is True, d\n"
             "' '%s' >'%s' 2>&1",
             path, s.out);
    int status = system(cmd);
    read_text(s.out, r.out, sizeof r.out);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "python3 rejected the JSON:\n%s\n%s", r.out, json);
    scratch_remove(&s);
}
END_TEST

/* --on-camera-loss: a camera that stops after 10 frames (the paced pattern
 * with stop=10) stops the run by default; with resync it is reopened (twice
 * in 25 frames) and the run finishes; the table and the JSON say so. */
START_TEST(test_camera_loss)
{
    scratch s = scratch_make();
    static result r;
    char path[256], args[512];
    run_tool(&s, NULL, "--frames 25 --size 320x180 --timeout-ms 200 --source pattern@500:stop=10",
             &r);
    ck_assert_msg(r.status == 1, "exit %d, want 1\n%s", r.status, r.err);
    ck_assert_str_eq(r.err, "baton-run: source pattern@500:stop=10: no frame within 200 ms "
                            "after frame 9 (camera stopped?)\n");
    snprintf(path, sizeof path, "%s/run.json", s.dir);
    snprintf(args, sizeof args, "--frames 25 --size 320x180 --timeout-ms 200 --source "
             "pattern@500:stop=10 --on-camera-loss resync,2000 --on-display-loss headless "
             "--json %s", path);
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    expect(r.out, "frames:             25 of 25", "table");
    expect(r.out, "camera loss:        resync within 2000 ms: 2 resyncs, ", "table");
    expect(r.out, "(last lost at frame 20: source pattern@500:stop=10: no frame within 200 ms "
                  "after frame 9 (camera stopped?))", "table");
    expect(r.out, "display loss:       headless (the display was not lost)", "table");
    expect(r.out, "matches plan", "table");
    static char json[OUT_MAX];
    read_text(path, json, sizeof json);
    expect(json, "\"recovery\":{\"on_camera_loss\":\"resync\",\"resync_ms\":2000,\"resyncs\":2,",
           "JSON");
    expect(json, "\"camera_lost_frame\":20,", "JSON");
    expect(json, "\"on_display_loss\":\"headless\",\"display_lost\":false,"
                 "\"display_lost_frame\":null,\"headless_from\":null", "JSON");
    scratch_remove(&s);
}
END_TEST

static void expect_png(const char *dir, uint64_t frame, uint32_t w, uint32_t h)
{
    static uint8_t rgba[320 * 180 * 4];
    char path[512];
    uint32_t pw = 0, ph = 0;
    baton_error err = {0};
    snprintf(path, sizeof path, "%s/frame-%06" PRIu64 ".png", dir, frame);
    ck_assert_msg(baton_png_read_rgba(path, rgba, sizeof rgba, &pw, &ph, &err) == BATON_OK,
                  "%s", err.message);
    ck_assert_uint_eq(pw, w);
    ck_assert_uint_eq(ph, h);
    uint64_t decoded = UINT64_MAX;
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, pw, ph, (size_t)pw * 4, &decoded, NULL),
                     BATON_OK);
    ck_assert_uint_eq(decoded, frame);
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "opendir(%s): %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(test_dump)
{
    scratch s = scratch_make();
    static result r;
    char dir[256], args[512], v[1024], want[512];
    /* default: the first and the last frame; the directory is created */
    snprintf(dir, sizeof dir, "%s/frames", s.dir);
    snprintf(args, sizeof args, "--frames 50 --size 320x180 --format RGB24 --dump %s", dir);
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    snprintf(want, sizeof want, "2 PNGs in %s", dir);
    ck_assert_str_eq(row(r.out, "dumps", v, sizeof v), want);
    expect_png(dir, 0, 320, 180);
    expect_png(dir, 49, 320, 180);
    ck_assert_int_eq(count_files(dir), 2);

    /* a list */
    snprintf(dir, sizeof dir, "%s/list", s.dir);
    snprintf(args, sizeof args, "--frames 20 --size 320x180 --dump %s --dump-frames 3,7,19", dir);
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    snprintf(want, sizeof want, "3 PNGs in %s", dir);
    ck_assert_str_eq(row(r.out, "dumps", v, sizeof v), want);
    expect_png(dir, 3, 320, 180);
    expect_png(dir, 7, 320, 180);
    expect_png(dir, 19, 320, 180);
    ck_assert_int_eq(count_files(dir), 3);

    /* no --dump: no readback, no dumps row */
    run_tool(&s, NULL, "--frames 5 --size 320x180", &r);
    expect_ok(&r, "--frames 5 --size 320x180");
    ck_assert_msg(strstr(r.out, "dumps:") == NULL, "%s", r.out);

    /* a dump directory that cannot be made: exit 1 */
    snprintf(args, sizeof args, "--frames 5 --size 320x180 --dump %s/no/such", s.dir);
    run_tool(&s, NULL, args, &r);
    ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
    expect(r.err, "baton-run: ", "stderr");
    scratch_remove(&s);
}
END_TEST

/* Errors from baton: "baton-run: <message>" and exit 1; --trace keeps the
 * trace up to the failure. */
START_TEST(test_run_errors)
{
    scratch s = scratch_make();
    static result r;
    char path[256], args[512];
    snprintf(path, sizeof path, "%s/stopped.trace", s.dir);
    /* a camera that stops after 3 frames: the source wait times out */
    snprintf(args, sizeof args, "--frames 20 --size 320x180 --source pattern@500:stop=3 "
             "--timeout-ms 100 --trace %s", path);
    run_tool(&s, NULL, args, &r);
    ck_assert_msg(r.status == 1, "exit %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
    ck_assert_msg(strncmp(r.err, "baton-run: ", 11) == 0, "%s", r.err);
    expect(r.err, "no frame within 100 ms", "stderr");
    ck_assert_str_eq(r.out, "");
    baton_trace *t = NULL;
    baton_schedule sch;
    baton_error err = {0};
    ck_assert_msg(baton_trace_load(path, &t, &sch, &err) == BATON_OK, "%s", err.message);
    ck_assert_uint_gt(baton_trace_total(t), 0);
    ck_assert_msg(baton_trace_check(t, &sch, &err) == BATON_OK, "%s", err.message);
    baton_trace_destroy(t);

    /* CUDA requested where there is none */
    if (!have_cuda()) {
        run_tool(&s, NULL, "--frames 5 --compute cuda", &r);
        ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
        expect(r.err, "baton-run: ", "stderr");
        expect(r.err, "CUDA", "stderr");
    }

    /* an output that cannot be written is refused before the run: no frame
     * is spent, no table is printed, exit 1 */
    static const char *const outputs[] = {"--json %s/no/such.json", "--trace %s/no/such.trace",
                                          "--trace %s", "--dump %s/out/x"};
    for (size_t i = 0; i < 4; i++) {
        char opt[300];
        snprintf(opt, sizeof opt, outputs[i], s.dir);
        if (i == 3) { /* a dump directory under a regular file */
            char file[300];
            snprintf(file, sizeof file, "%s/out", s.dir);
            FILE *f = fopen(file, "w");
            ck_assert_ptr_nonnull(f);
            fclose(f);
        }
        snprintf(args, sizeof args, "--frames 5 --size 320x180 %s", opt);
        run_tool(&s, NULL, args, &r);
        ck_assert_msg(r.status == 1, "%s: exit %d: %s", opt, r.status, r.err);
        ck_assert_msg(r.out[0] == '\0', "%s: the run went ahead:\n%s", opt, r.out);
        expect(r.err, "baton-run: --", "stderr");
        if (i < 3)
            expect(r.err, "(checked before the run)", "stderr");
    }
    scratch_remove(&s);
}
END_TEST

/* A 4-frame Y4M file with S = 3: every frame the file delivers is drained,
 * shown, dumped and counted; the table gives the file's size and format. */
START_TEST(test_end_of_stream)
{
    scratch s = scratch_make();
    static result r;
    char path[256], dumps[256], args[768], v[1024];
    snprintf(path, sizeof path, "%s/four.y4m", s.dir);
    snprintf(dumps, sizeof dumps, "%s/dumps", s.dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "YUV4MPEG2 W64 H48 F30:1 C420jpeg\n");
    static unsigned char frame[64 * 48 * 3 / 2];
    for (int i = 0; i < 4; i++) { /* grey frames: Y = 40 + 40 i, Cb = Cr = 128 */
        memset(frame, 40 + 40 * i, 64 * 48);
        memset(frame + 64 * 48, 128, sizeof frame - 64 * 48);
        fprintf(f, "FRAME\n");
        ck_assert_uint_eq(fwrite(frame, 1, sizeof frame, f), sizeof frame);
    }
    fclose(f);
    snprintf(args, sizeof args, "--frames 6 --slots 3 --source y4m:%s --dump %s "
             "--dump-frames 0,1,2,3 --json %s/eos.json", path, dumps, s.dir);
    run_tool(&s, NULL, args, &r);
    expect_ok(&r, args);
    ck_assert_str_eq(row(r.out, "frames", v, sizeof v), "4 of 6 (stopped by end of stream)");
    expect(row(r.out, "accounted", v, sizeof v),
           "4 from the source = 4 shown + 0 dropped by the policy + 0 lost", "accounted row");
    expect(row(r.out, "size/format", v, sizeof v), "64x48 NV12", "size/format row");
    ck_assert_int_eq(count_files(dumps), 4);
    for (uint64_t n = 0; n < 4; n++) { /* frame n of the file: flat grey 40 + 40 n */
        static uint8_t rgba[64 * 48 * 4];
        char png[512];
        uint32_t pw = 0, ph = 0;
        baton_error err = {0};
        snprintf(png, sizeof png, "%s/frame-%06" PRIu64 ".png", dumps, n);
        ck_assert_msg(baton_png_read_rgba(png, rgba, sizeof rgba, &pw, &ph, &err) == BATON_OK,
                      "%s", err.message);
        ck_assert_uint_eq(pw, 64);
        ck_assert_uint_eq(ph, 48);
        /* grey, brighter with n: the right frame, in order */
        static int last = -1;
        if (n == 0)
            last = -1;
        ck_assert_int_eq(rgba[0], rgba[1]);
        ck_assert_int_gt(rgba[0], last);
        last = rgba[0];
    }
    char json[8192], p2[300];
    snprintf(p2, sizeof p2, "%s/eos.json", s.dir);
    read_text(p2, json, sizeof json);
    expect(json, "\"shown\":4", "JSON");
    expect(json, "\"width\":64", "JSON");
    scratch_remove(&s);
}
END_TEST

/* Whether process pid has a handler for sig (SigCgt in /proc/PID/status). */
static bool catches(pid_t pid, int sig)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    unsigned long long mask = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "SigCgt: %llx", &mask) == 1)
            break;
    fclose(f);
    return mask >> (sig - 1) & 1;
}

/* SIGINT stops the run early: the results so far, exit 130. */
START_TEST(test_interrupt)
{
    scratch s = scratch_make();
    static result r;
    char v[1024];
    const char *tool = tool_path();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = open(s.out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(s.err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(99);
        execl(tool, "baton-run", "--frames", "1000000", "--size", "320x180", "--source",
              "pattern@1000", "--progress", (char *)NULL);
        _exit(98);
    }
    /* the tool installs its handler once the pipeline exists; libraries
     * (the GPU driver) may install their own earlier, so wait until the run
     * reports progress (bounded), then interrupt */
    bool running = false;
    for (int i = 0; i < 600 && !running; i++) {
        usleep(100000);
        read_text(s.err, r.err, sizeof r.err);
        running = strstr(r.err, " frames, ") != NULL;
    }
    ck_assert_msg(running && catches(pid, SIGINT), "baton-run never reported progress:\n%s", r.err);
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    read_text(s.out, r.out, sizeof r.out);
    read_text(s.err, r.err, sizeof r.err);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d\n%s\n%s", status,
                  r.out, r.err);
    expect(row(r.out, "frames", v, sizeof v), "of 1000000 (stopped by SIGINT)", "frames row");
    unsigned long long shown = strtoull(v, NULL, 10);
    ck_assert_msg(shown > 0, "%s", v);
    /* every frame the source delivered is shown: the ones in flight finished */
    unsigned long long from = 0, shown2 = 0, dropped = 1, lost = 1;
    ck_assert_int_eq(sscanf(row(r.out, "accounted", v, sizeof v),
                            "%llu from the source = %llu shown + %llu dropped by the policy + "
                            "%llu lost", &from, &shown2, &dropped, &lost), 4);
    ck_assert_uint_eq(shown2, shown);
    ck_assert_uint_eq(from, shown + dropped + lost);
    ck_assert_uint_eq(lost, 0);
    expect(r.out, "matches plan", "stdout");
    scratch_remove(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("baton_run");
    TCase *args = tcase_create("arguments");
    tcase_set_timeout(args, 120);
    tcase_add_test(args, test_help);
    tcase_add_test(args, test_bad_arguments);
    suite_add_tcase(s, args);

    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    g_vulkan = caps.vk_present && caps.vk_device_count > 0;
    if (g_vulkan) {
        TCase *runs = tcase_create("runs");
        tcase_set_timeout(runs, 300);
        tcase_add_test(runs, test_default_run);
        tcase_add_test(runs, test_board_defaults);
        tcase_add_test(runs, test_trace_file);
        tcase_add_test(runs, test_json);
        tcase_add_test(runs, test_camera_loss);
        tcase_add_test(runs, test_dump);
        tcase_add_test(runs, test_run_errors);
        tcase_add_test(runs, test_end_of_stream);
        tcase_add_test(runs, test_interrupt);
        suite_add_tcase(s, runs);
    } else if (test_vulkan_required()) {
        fprintf(stderr, "Vulkan unavailable but BATON_REQUIRE_VULKAN=1: %s\n", caps.vk_error);
        return 1;
    } else {
        printf("SKIP baton_run runs: no Vulkan device (%s); only the argument tests run\n",
               caps.vk_error);
        fflush(stdout);
    }
    return test_run_suite(s);
}
