/* check_baton_bench.c - the baton-bench tool end to end on this machine:
 * a quick run of the smallest workload exits 0 and writes a JSON file that
 * parses and an SVG file; the rows that need CUDA say they were skipped when
 * there is no CUDA device (and ran when there is one); bad arguments give
 * one line on stderr and exit status 2; --help exits 0.
 * The tool is $BATON_TOOLS_DIR/baton-bench, else $BUILD/baton-bench, else
 * build/baton-bench (the suites run from the repository root). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton/caps.h"
#include "util_test.h"

static int cuda_expected; /* a CUDA device is usable: the CUDA rows must run */

static const char *tool_path(void)
{
    static char path[512];
    const char *dir = getenv("BATON_TOOLS_DIR");
    if (!dir || !dir[0])
        dir = getenv("BUILD");
    if (!dir || !dir[0])
        dir = "build";
    snprintf(path, sizeof path, "%s/baton-bench", dir);
    ck_assert_msg(access(path, X_OK) == 0,
                  "the baton-bench tool is not at %s (%s): build it first (make tools), or set "
                  "BUILD / BATON_TOOLS_DIR to the directory that holds it",
                  path, strerror(errno));
    return path;
}

/* A temporary file name with this suffix; the file exists (empty). */
static void temp_name(char *buf, size_t len, const char *suffix)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, len, "%s/check_baton_bench-XXXXXX%s", dir && dir[0] ? dir : "/tmp", suffix);
    int fd = mkstemps(buf, (int)strlen(suffix));
    ck_assert_msg(fd >= 0, "mkstemps(%s): %s", buf, strerror(errno));
    close(fd);
}

/* The file's contents ("" when it cannot be read). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = (cap ? cap * 2 : 8192);
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* One run of the tool: its exit status, stdout, stderr and, when asked
 * for, the JSON and SVG it wrote. Every temporary file is removed before
 * anything is checked, so a failing check leaves nothing behind. */
typedef struct tool_run {
    int status;
    char *out, *err, *json, *svg;
    char json_path[256], svg_path[256];
} tool_run;

/* args may contain @JSON and @SVG: replaced by fresh temporary file names. */
static void run_tool(const char *args, tool_run *r)
{
    char out[256], errf[256], cmd[4096], expanded[2048];
    memset(r, 0, sizeof *r);
    temp_name(out, sizeof out, ".out");
    temp_name(errf, sizeof errf, ".err");
    bool want_json = strstr(args, "@JSON") != NULL, want_svg = strstr(args, "@SVG") != NULL;
    if (want_json)
        temp_name(r->json_path, sizeof r->json_path, ".json");
    if (want_svg)
        temp_name(r->svg_path, sizeof r->svg_path, ".svg");
    size_t n = 0;
    for (const char *p = args; *p && n + 300 < sizeof expanded;) {
        if (strncmp(p, "@JSON", 5) == 0 || strncmp(p, "@SVG", 4) == 0) {
            bool j = p[1] == 'J';
            n += (size_t)snprintf(expanded + n, sizeof expanded - n, "'%s'",
                                  j ? r->json_path : r->svg_path);
            p += j ? 5 : 4;
        } else {
            expanded[n++] = *p++;
        }
    }
    expanded[n] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", tool_path(), expanded, out, errf);
    int status = system(cmd);
    r->out = read_file(out);
    r->err = read_file(errf);
    unlink(out);
    unlink(errf);
    if (want_json) {
        r->json = read_file(r->json_path);
        /* kept until validate_json has run; removed by tool_run_free */
    }
    if (want_svg) {
        r->svg = read_file(r->svg_path);
        unlink(r->svg_path);
    }
    ck_assert_msg(status != -1 && WIFEXITED(status), "%s: did not exit normally (%d)", cmd, status);
    r->status = WEXITSTATUS(status);
}

static void tool_run_free(tool_run *r)
{
    if (r->json_path[0])
        unlink(r->json_path);
    free(r->out);
    free(r->err);
    free(r->json);
    free(r->svg);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Check the JSON with python3's json module (when python3 exists): it
 * parses; the empty workload's six frame rows ran; the hand-off rows were
 * skipped for want of CUDA (or ran, with CUDA); the targets are there. */
static void validate_json(const char *path)
{
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        printf("SKIP check_baton_bench json.load validation: python3 not found\n");
        return;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "python3 -c '\n"
             "import json, sys\n"
             "d = json.load(open(sys.argv[1]))\n"
             "rows = d[\"rows\"]\n"
             "frame = [r for r in rows if r[\"kind\"] != \"handoff\"]\n"
             "hand = [r for r in rows if r[\"kind\"] == \"handoff\"]\n"
             "assert len(frame) == 6, frame\n"
             "for r in frame:\n"
             "    assert r[\"workload\"] == \"empty\" and r[\"status\"] == \"ok\", r\n"
             "    assert r[\"frames\"] == 200 and r[\"fps\"] > 0, r\n"
             "    assert 0 < r[\"latency_us\"][\"p50\"] <= r[\"latency_us\"][\"p99\"] <= r[\"latency_us\"][\"max\"], r\n"
             "    assert r[\"interval_us\"][\"n\"] == 199 and r[\"cpu_us_per_frame\"] > 0, r\n"
             "    assert r[\"startup_ms\"] > 0, r\n"
             "assert sorted(r[\"row\"] for r in hand) == [\"cuda-to-vulkan\", \"vulkan-to-cuda\"], hand\n"
             "for r in hand:\n"
             "    if %d:\n"
             "        assert r[\"status\"] == \"ok\" and r[\"latency_us\"][\"n\"] == 1000, r\n"
             "    else:\n"
             "        assert r[\"status\"] == \"skipped\" and r[\"reason\"] == \"no CUDA device\", r\n"
             "assert (d[\"compute\"] == \"CUDA\") == bool(%d), d[\"compute\"]\n"
             "t = d[\"targets\"]\n"
             "assert len(t) == 4 and all(x[\"workload\"] == \"empty\" for x in t), t\n"
             "assert all(isinstance(x[\"pass\"], bool) for x in t), t\n"
             "' '%s'",
             cuda_expected, cuda_expected, path);
    ck_assert_msg(system(cmd) == 0, "the JSON in %s failed the checks above", path);
}

START_TEST(test_quick_run)
{
    tool_run r;
    run_tool("--quick --workloads empty --json @JSON --svg @SVG", &r);
    const char *o = r.out;
    ck_assert_msg(r.status == 0, "exit status %d\nstdout:\n%s\nstderr:\n%s", r.status, o, r.err);
    static const char *labels[] = {"host-synchronised loop", "raw loop (timeline S=2)",
                                   "baton timeline S=2", "baton timeline S=3", "baton binary S=2",
                                   "baton binary S=3", "hand-off CUDA -> Vulkan",
                                   "hand-off Vulkan -> CUDA"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        ck_assert_msg(strstr(o, labels[i]) != NULL, "no row \"%s\" in:\n%s", labels[i], o);
    ck_assert_msg(strstr(o, "FAILED") == NULL, "a row failed:\n%s", o);
    if (cuda_expected)
        ck_assert_msg(strstr(o, "skipped") == NULL, "CUDA is here but rows were skipped:\n%s", o);
    else
        ck_assert_msg(count_of(o, "skipped: no CUDA device") == 2,
                      "the two hand-off rows should say \"skipped: no CUDA device\":\n%s", o);
    ck_assert_msg(strstr(o, "throughput overhead") && strstr(o, "CPU time ratio"),
                  "no README target lines:\n%s", o);
    ck_assert_msg(strstr(o, "PASS") || strstr(o, "MISS"), "no PASS/MISS verdict:\n%s", o);

    ck_assert_msg(r.json[0] == '{', "JSON starts with '%.20s'", r.json);
    validate_json(r.json_path);
    ck_assert_msg(strncmp(r.svg, "<svg", 4) == 0, "SVG starts with '%.20s'", r.svg);
    ck_assert_msg(strstr(r.svg, "</svg>") != NULL, "SVG is not closed");
    /* a CDF line per frame row, and one per hand-off row where CUDA ran them */
    ck_assert_uint_eq(count_of(r.svg, "<polyline"), cuda_expected ? 8 : 6);
    ck_assert_msg(strstr(r.svg, "latency (log scale)") && strstr(r.svg, "fraction of samples"),
                  "SVG axes unlabelled");
    tool_run_free(&r);
}
END_TEST

/* A subset of rows; targets whose rows did not run say n/a. */
START_TEST(test_rows_subset)
{
    tool_run r;
    run_tool("--frames 30 --workloads empty --rows raw,timeline-s2 --json @JSON --svg @SVG", &r);
    const char *o = r.out;
    ck_assert_msg(r.status == 0, "exit status %d\nstdout:\n%s\nstderr:\n%s", r.status, o, r.err);
    ck_assert_msg(strstr(o, "baton timeline S=2") && strstr(o, "raw loop"), "%s", o);
    ck_assert_msg(!strstr(o, "baton binary") && !strstr(o, "hand-off CUDA"), "%s", o);
    ck_assert_msg(strstr(o, "n/a: row not run") != NULL, "host-sync targets not n/a:\n%s", o);
    ck_assert_uint_eq(count_of(r.svg, "<polyline"), 2);
    tool_run_free(&r);
}
END_TEST

/* An output file that cannot be written is a runtime error: exit 1. */
START_TEST(test_unwritable_output)
{
    tool_run r;
    run_tool("--frames 20 --workloads empty --rows timeline-s2 "
             "--json /nonexistent-baton-dir/b.json --svg @SVG", &r);
    ck_assert_msg(r.status == 1, "exit status %d, want 1; stderr:\n%s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "/nonexistent-baton-dir/b.json") != NULL, "stderr:\n%s", r.err);
    ck_assert_msg(strncmp(r.svg, "<svg", 4) == 0, "the SVG is still written");
    tool_run_free(&r);
}
END_TEST

static const char *const bad_args[] = {
    "--frames 0",
    "--frames abc",
    "--frames -5",
    "--frames 99999999999",
    "--workloads 8k",
    "--workloads ''",
    "--workloads empty,,",
    "--workloads ,empty",
    "--rows nope",
    "--rows timeline-s2,bogus",
    "--json ''",
    "--bogus",
    "-x",
    "extra-argument",
    "--json",
};

START_TEST(test_bad_arguments)
{
    /* valid, small and harmless options first, so that a bad argument the
     * tool failed to reject would not start a long run or write to the
     * current directory */
    char args[512];
    snprintf(args, sizeof args,
             "--frames 1 --workloads empty --rows timeline-s2 --json @JSON --svg @SVG %s",
             bad_args[_i]);
    tool_run r;
    run_tool(args, &r);
    ck_assert_msg(r.status == 2, "'%s': exit status %d, want 2; stderr:\n%s", bad_args[_i],
                  r.status, r.err);
    ck_assert_msg(r.out[0] == '\0', "'%s': stdout not empty:\n%s", bad_args[_i], r.out);
    ck_assert_msg(count_lines(r.err) == 1 && strncmp(r.err, "baton-bench: ", 13) == 0,
                  "'%s': stderr should be one 'baton-bench: ' line:\n%s", bad_args[_i], r.err);
    tool_run_free(&r);
}
END_TEST

START_TEST(test_help)
{
    tool_run r;
    run_tool("--help", &r);
    const char *o = r.out;
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strncmp(o, "usage: baton-bench", 18) == 0, "%s", o);
    ck_assert_msg(strstr(o, "--quick") && strstr(o, "--workloads") && strstr(o, "--rows") &&
                      strstr(o, "--json") && strstr(o, "--svg") && strstr(o, "--frames"),
                  "%s", o);
    ck_assert_msg(r.err[0] == '\0', "stderr not empty:\n%s", r.err);
    tool_run_free(&r);
}
END_TEST

int main(void)
{
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_AUTO, &caps, NULL);
    if (!caps.vk_present || caps.vk_device_count == 0) {
        if (test_vulkan_required()) {
            fprintf(stderr, "check_baton_bench: no Vulkan device (%s) but "
                            "BATON_REQUIRE_VULKAN=1\n", caps.vk_error);
            return 1;
        }
        return test_skip("check_baton_bench", caps.vk_error);
    }
    baton_compute_mode compute;
    cuda_expected = baton_caps_choose_compute(&caps, BATON_COMPUTE_AUTO, &compute, NULL) ==
                        BATON_OK &&
                    compute == BATON_COMPUTE_CUDA;

    Suite *s = suite_create("baton_bench");
    TCase *tc = tcase_create("tool");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_quick_run);
    tcase_add_test(tc, test_rows_subset);
    tcase_add_test(tc, test_unwritable_output);
    tcase_add_loop_test(tc, test_bad_arguments, 0, (int)(sizeof bad_args / sizeof bad_args[0]));
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
