/* check_baton_bench.c - the baton-bench tool end to end on this machine:
 * a quick run of the smallest workload exits 0 and writes a JSON file that
 * parses and an SVG file; the rows that need CUDA say they were skipped when
 * there is no CUDA device (and ran when there is one); the paced rows run
 * at their pace (their capture times exactly 1/fps apart), name their
 * hand-off modes and carry every camera-rate figure and target; --list
 * shows which rows the selections give; with the counting interposer
 * preloaded, baton's rows count their steady-state allocations (0); bad
 * arguments give one line on stderr and exit status 2; --help exits 0.
 * Nothing here asserts on a wall-clock figure.
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

/* args may contain @JSON and @SVG: replaced by fresh temporary file names.
 * env ("" for none) is put before the command: "LD_PRELOAD=...". */
static void run_tool_env(const char *env, const char *args, tool_run *r)
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
    snprintf(cmd, sizeof cmd, "%s '%s' %s >'%s' 2>'%s'", env, tool_path(), expanded, out, errf);
    int status = system(cmd);
    r->out = read_file(out);
    r->err = read_file(errf);
    unlink(out);
    unlink(errf);
    if (want_json) {
        r->json = read_file(r->json_path);
        /* kept until check_json has run; removed by tool_run_free */
    }
    if (want_svg) {
        r->svg = read_file(r->svg_path);
        unlink(r->svg_path);
    }
    ck_assert_msg(status != -1 && WIFEXITED(status), "%s: did not exit normally (%d)", cmd, status);
    r->status = WEXITSTATUS(status);
}

static void run_tool(const char *args, tool_run *r)
{
    run_tool_env("", args, r);
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

/* The last 3000 characters of s: a Check message must stay under its size
 * limit, or the failure is reported as an early exit without it. */
static const char *tail(const char *s)
{
    size_t n = strlen(s);
    return n > 3000 ? s + n - 3000 : s;
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

/* Run a python3 script (checks on the JSON at argv[1], with CUDA = 0/1
 * in argv[2]) when python3 exists; its assertion fails the test. */
static void check_json(const char *script, const char *path)
{
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        printf("SKIP check_baton_bench json validation: python3 not found (install python3)\n");
        return;
    }
    char py[256], cmd[1024];
    temp_name(py, sizeof py, ".py");
    FILE *f = fopen(py, "w");
    ck_assert_msg(f != NULL, "fopen(%s): %s", py, strerror(errno));
    /* the JSON holds 6 significant digits: compare within that, and judge a
     * verdict only where rounding cannot have decided it */
    fputs("import json, sys\nd = json.load(open(sys.argv[1]))\ncuda = sys.argv[2] == '1'\n"
          "rows = d['rows']\n"
          "def close(a, b, *xs):\n"
          "    return abs(a - b) <= 1e-5 * (abs(a) + abs(b) + sum(abs(x) for x in xs)) + 1e-9\n"
          "def verdict_ok(x):\n"
          "    return close(x['value'], x['limit']) or x['pass'] == (x['value'] <= x['limit'])\n",
          f);
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "env -u LD_PRELOAD python3 '%s' '%s' %d", py, path, cuda_expected);
    int rc = system(cmd);
    unlink(py);
    ck_assert_msg(rc == 0, "the JSON in %s failed the checks above", path);
}

/* The quick saturated run: the empty workload's seven frame rows ran; the
 * hand-off rows were skipped for want of CUDA (or ran, with CUDA); the
 * targets are there. */
static const char quick_checks[] =
    "frame = [r for r in rows if r['kind'] != 'handoff']\n"
    "hand = [r for r in rows if r['kind'] == 'handoff']\n"
    "assert [r['row'] for r in frame] == ['host-sync', 'raw', 'timeline-s2', 'timeline-s3',\n"
    "    'binary-s2', 'binary-s3', 'auto'], frame\n"
    "for r in frame:\n"
    "    assert r['workload'] == 'empty' and r['status'] == 'ok' and not r['paced'], r\n"
    "    assert r['pace_fps'] is None, r\n"
    "    assert r['frames'] == 200 and r['fps'] > 0, r\n"
    "    l = r['latency_us']\n"
    "    assert 0 < l['p50'] <= l['p99'] <= l['max'], r\n"
    "    assert r['interval_us']['n'] == 199 and r['cpu_us_per_frame'] > 0, r\n"
    "    assert r['cpu_percent_of_core'] > 0 and r['startup_ms'] > 0, r\n"
    "    assert r['capture_to_screen_us'] is None and r['capture_to_screen'].startswith('n/a'), r\n"
    "assert sorted(r['row'] for r in hand) == ['cuda-to-vulkan', 'vulkan-to-cuda'], hand\n"
    "for r in hand:\n"
    "    if cuda:\n"
    "        assert r['status'] == 'ok' and r['latency_us']['n'] == 1000, r\n"
    "    else:\n"
    "        assert r['status'] == 'skipped' and r['reason'] == 'no CUDA device', r\n"
    "assert (d['compute'] == 'CUDA') == cuda, d['compute']\n"
    "t = d['targets']\n"
    "assert [x['target'] for x in t] == ['overhead_throughput', 'overhead_latency_p50',\n"
    "    'host_sync_throughput_ratio', 'host_sync_cpu_ratio', 'steady_state_allocations'], t\n"
    "assert all(x['workload'] == 'empty' and x['section'] == 'saturated' for x in t), t\n"
    "assert all(isinstance(x['pass'], bool) for x in t[:4]), t\n"
    "assert t[4]['pass'] is None and 'LD_PRELOAD' in t[4]['why'], t[4]\n";

START_TEST(test_quick_run)
{
    tool_run r;
    run_tool("--quick --workloads empty --json @JSON --svg @SVG", &r);
    const char *o = r.out;
    ck_assert_msg(r.status == 0, "exit status %d\nstdout:\n%s\nstderr:\n%s", r.status, tail(o),
                  tail(r.err));
    static const char *labels[] = {"host-synchronised loop", "raw loop (timeline S=2 gpu/gpu)",
                                   "baton timeline S=2 gpu/gpu", "baton timeline S=3 gpu/gpu",
                                   "baton binary S=2 gpu/gpu", "baton binary S=3 gpu/gpu",
                                   "baton auto (", "hand-off CUDA -> Vulkan",
                                   "hand-off Vulkan -> CUDA"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        ck_assert_msg(strstr(o, labels[i]) != NULL, "no row \"%s\" in:\n%s", labels[i], tail(o));
    ck_assert_msg(strstr(o, "FAILED") == NULL, "a row failed:\n%s", tail(o));
    ck_assert_msg(strstr(o, "paced at camera rate") == NULL, "a paced table without paced rows");
    if (cuda_expected)
        ck_assert_msg(strstr(o, "skipped") == NULL, "CUDA is here but rows were skipped:\n%s",
                      tail(o));
    else
        ck_assert_msg(count_of(o, "skipped: no CUDA device") == 2,
                      "the two hand-off rows should say \"skipped: no CUDA device\":\n%s", tail(o));
    ck_assert_msg(strstr(o, "throughput overhead") && strstr(o, "CPU time ratio"),
                  "no README target lines:\n%s", tail(o));
    ck_assert_msg(strstr(o, "PASS") || strstr(o, "MISS"), "no PASS/MISS verdict:\n%s", tail(o));

    ck_assert_msg(r.json[0] == '{', "JSON starts with '%.20s'", r.json);
    check_json(quick_checks, r.json_path);
    ck_assert_msg(strncmp(r.svg, "<svg", 4) == 0, "SVG starts with '%.20s'", r.svg);
    ck_assert_msg(strstr(r.svg, "</svg>") != NULL, "SVG is not closed");
    /* a CDF line per frame row, and one per hand-off row where CUDA ran them */
    ck_assert_uint_eq(count_of(r.svg, "<polyline"), cuda_expected ? 9 : 7);
    ck_assert_msg(strstr(r.svg, "latency (log scale)") && strstr(r.svg, "fraction of samples"),
                  "SVG axes unlabelled");
    tool_run_free(&r);
}
END_TEST

/* The paced rows at 60 fps (the empty frame, so that lavapipe keeps up):
 * every default paced row ran 20 frames after 30 warm-up at exactly the
 * pace, named its hand-off modes, carries capture -> done, the on-screen
 * column saying why it is empty, intervals, CPU time; each baton row has
 * its three targets, judged as the README says, against the loop with the
 * lower p50. */
static const char paced_checks[] =
    "want = {'host-sync': ('host', 'host'), 'raw': ('gpu', 'gpu'),\n"
    "        'timeline-s2': ('gpu', 'gpu'), 'binary-s2': ('gpu', 'gpu'),\n"
    "        'timeline-s2-relay': ('relay', 'relay'), 'binary-s2-relay': ('relay', 'relay'),\n"
    "        'auto': (d['context_handoff']['auto_to_vulkan'],\n"
    "                 d['context_handoff']['auto_to_compute'])}\n"
    "assert sorted(r['row'] for r in rows) == sorted(want), rows\n"
    "period = 1e9 / 60\n"
    "for r in rows:\n"
    "    assert r['status'] == 'ok', r\n"
    "    assert r['workload'] == 'empty@60' and r['paced'] and r['pace_fps'] == 60, r\n"
    "    assert r['frames'] == 20 and r['warmup'] == 30, r\n"
    "    h = r['handoff']\n"
    "    assert (h['to_vulkan'], h['to_compute']) == want[r['row']], r\n"
    "    assert h['to_vulkan'] in ('gpu', 'relay', 'host'), r\n"
    "    l = r['latency_us']\n"
    "    assert l['n'] == 20 and 0 < l['p50'] <= l['p99'] <= l['max'], r\n"
    "    c = r['capture_interval_ns']\n"
    "    assert c['n'] == 19 and r['frames_done_before_capture'] == 0, r\n"
    "    assert abs(c['min'] - period) < 1 and abs(c['max'] - period) < 1, (c, period)\n"
    "    assert abs(r['period_us'] - period / 1e3) < 0.1, r\n"
    "    assert r['interval_us']['n'] == 19 and r['jitter_max_abs_dev_us'] >= 0, r\n"
    "    assert r['jitter_stddev_us'] >= 0, r\n"
    "    assert r['cpu_us_per_frame'] > 0 and r['cpu_percent_of_core'] > 0, r\n"
    "    assert r['capture_to_screen_us'] is None, r\n"
    "    if r['kind'] == 'baton':\n"
    "        assert r['capture_to_screen'] == 'n/a (headless: no display)', r\n"
    "        assert r['allocations'] is None and isinstance(r['gpu_times'], bool), r\n"
    "        modes = h['to_vulkan'] + '/' + h['to_compute']\n"
    "        assert r['label'].endswith(modes + (')' if r['row'] == 'auto' else '')), r\n"
    "by = {r['row']: r for r in rows}\n"
    "fast = min(('host-sync', 'raw'), key=lambda n: by[n]['latency_us']['p50'])\n"
    "t = d['targets']\n"
    "assert all(x['section'] == 'paced' and x['workload'] == 'empty@60' for x in t), t\n"
    "baton = [n for n in by if by[n]['kind'] == 'baton']\n"
    "assert len(baton) == 5, baton\n"
    "for n in baton:\n"
    "    mine = {x['target']: x for x in t\n"
    "            if x['baton_row'] == n and x['target'] != 'steady_state_allocations'}\n"
    "    assert sorted(mine) == ['paced_cpu_ratio', 'paced_p50_vs_fastest_loop',\n"
    "                            'paced_p99_over_p50'], mine\n"
    "    p50, f50 = by[n]['latency_us']['p50'], by[fast]['latency_us']['p50']\n"
    "    x = mine['paced_p50_vs_fastest_loop']\n"
    "    assert x['against'] == fast and x['unit'] == 'us', x\n"
    "    assert close(x['limit'], max(0.1 * f50, 100), f50), (x, f50)\n"
    "    assert close(x['value'], p50 - f50, p50, f50), (x, p50, f50)\n"
    "    assert verdict_ok(x), x\n"
    "    x = mine['paced_p99_over_p50']\n"
    "    assert close(x['value'], by[n]['latency_us']['p99'] / p50) and x['limit'] == 2, x\n"
    "    assert verdict_ok(x), x\n"
    "    x = mine['paced_cpu_ratio']\n"
    "    assert x['against'] == 'host-sync' and x['limit'] == 0.2, x\n"
    "    want_ratio = by[n]['cpu_us_per_frame'] / by['host-sync']['cpu_us_per_frame']\n"
    "    assert close(x['value'], want_ratio) and verdict_ok(x), x\n"
    "alloc = [x for x in t if x['target'] == 'steady_state_allocations']\n"
    "assert len(alloc) == 1 and alloc[0]['pass'] is None, alloc\n"
    "assert len(t) == 5 * 3 + 1, t\n";

START_TEST(test_paced_run)
{
    tool_run r;
    run_tool("--workloads empty@60 --paced-frames 20 --json @JSON --svg @SVG", &r);
    const char *o = r.out;
    ck_assert_msg(r.status == 0, "exit status %d\nstdout:\n%s\nstderr:\n%s", r.status, tail(o),
                  tail(r.err));
    ck_assert_msg(strstr(o, "FAILED") == NULL, "a row failed:\n%s", tail(o));
    ck_assert_msg(strstr(o, "paced at camera rate") && !strstr(o, "saturated: frames"),
                  "only a paced table expected:\n%s", tail(o));
    static const char *labels[] = {"host-synchronised loop", "raw loop (timeline S=2 gpu/gpu)",
                                   "baton timeline S=2 gpu/gpu", "baton timeline S=2 relay/relay",
                                   "baton binary S=2 gpu/gpu", "baton binary S=2 relay/relay",
                                   "baton auto ("};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        ck_assert_msg(strstr(o, labels[i]) != NULL, "no row \"%s\" in:\n%s", labels[i], tail(o));
    ck_assert_msg(!strstr(o, "hand-off CUDA"), "hand-off rows with only paced workloads:\n%s",
                  tail(o));
    ck_assert_uint_eq(count_of(o, "n/a (headless: no display)"), 5);
    ck_assert_msg(count_of(o, "done p50 over fastest") == 5 && count_of(o, "done p99 / p50") == 5 &&
                      count_of(o, "CPU time ratio vs host-sync loop") == 5,
                  "three paced targets per baton row expected:\n%s", tail(o));
    check_json(paced_checks, r.json_path);
    ck_assert_uint_eq(count_of(r.svg, "<polyline"), 7);
    ck_assert_msg(strstr(r.svg, "paced at 60 fps") && strstr(r.svg, "1/fps = 16667 us"),
                  "the paced panel or its period line is missing");
    tool_run_free(&r);
}
END_TEST

/* Which rows the selections give, without running them (--list). */
START_TEST(test_list)
{
    static const struct {
        const char *args;
        size_t lines;          /* rows listed */
        const char *has, *hasnt;
    } cases[] = {
        {"--list", 7 * 6 + 2, "4k@30      timeline-s2-relay      300 frames after 15 warm-up "
                              "(paced: 10.5 s)", "timeline-s2-relay-gpu"},
        {"--list --saturated", 7 * 3 + 2, "4k         binary-s3              1000 frames after 100",
         "@"},
        {"--list --paced --quick", 7 * 3, "1080p@120  auto                   60 frames after 60",
         "hand-off"},
        {"--list --workloads 4k@30,1080p --rows auto,cuda-to-vulkan --paced-frames 90", 3,
         "4k@30      auto                   90 frames after 15 warm-up (paced: 3.5 s)", "raw"},
        {"--list --workloads empty@29.97,empty@29.97", 7, "empty@29.97 host-sync", "binary-s3"},
        {"--list --paced --workloads 4k --rows timeline-s2-gpu-relay", 4,
         "4k         timeline-s2-gpu-relay", "timeline-s2 "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tool_run r;
        run_tool(cases[i].args, &r);
        ck_assert_msg(r.status == 0, "'%s': exit %d\n%s", cases[i].args, r.status, tail(r.err));
        ck_assert_msg(count_lines(r.out) == cases[i].lines + 1, "'%s': %zu rows expected:\n%s",
                      cases[i].args, cases[i].lines, tail(r.out));
        ck_assert_msg(strstr(r.out, cases[i].has) != NULL, "'%s': no '%s' in:\n%s",
                      cases[i].args, cases[i].has, tail(r.out));
        ck_assert_msg(strstr(r.out, cases[i].hasnt) == NULL, "'%s': '%s' in:\n%s",
                      cases[i].args, cases[i].hasnt, tail(r.out));
        tool_run_free(&r);
    }
}
END_TEST

/* A sanitizer runtime owns malloc: the interposer cannot be preloaded. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* With the counting interposer preloaded, every baton row counts its
 * steady-state calls: none of baton's own, the driver's apart (lavapipe
 * makes some on every submission, which shows that counting was on). */
static const char alloc_checks[] =
    "baton = [r for r in rows if r['kind'] == 'baton']\n"
    "assert d['allocations_counted'] is True and len(baton) == 4, rows\n"
    "for r in baton:\n"
    "    a = r['allocations']\n"
    "    assert r['status'] == 'ok' and a['calls'] == 0, r\n"
    "    assert a['driver_calls'] > 0 or cuda, r\n"
    "for r in rows:\n"
    "    assert r['kind'] == 'baton' or 'allocations' not in r, r\n"
    "t = [x for x in d['targets'] if x['target'] == 'steady_state_allocations']\n"
    "assert len(t) == 2 and all(x['pass'] is True and x['value'] == 0 for x in t), t\n";

START_TEST(test_allocations_counted)
{
    if (UNDER_SANITIZER) {
        printf("SKIP check_baton_bench allocation count: a sanitizer owns malloc here; the "
               "non-sanitized run covers it\n");
        return;
    }
    char so[600], env[700];
    snprintf(so, sizeof so, "%s", tool_path());
    char *slash = strrchr(so, '/');
    snprintf(slash ? slash + 1 : so, sizeof so - (size_t)(slash ? slash + 1 - so : 0),
             "tests/preload_alloc_count.so");
    ck_assert_msg(access(so, R_OK) == 0, "%s: %s (make %s)", so, strerror(errno), so);
    snprintf(env, sizeof env, "LD_PRELOAD='%s'", so);
    tool_run r;
    run_tool_env(env, "--workloads empty,empty@120 --frames 30 --paced-frames 10 "
                      "--rows raw,timeline-s2,binary-s2-relay --json @JSON --svg @SVG", &r);
    ck_assert_msg(r.status == 0, "exit status %d\nstdout:\n%s\nstderr:\n%s", r.status, tail(r.out),
                  r.err);
    ck_assert_msg(strstr(r.out, "counted in baton's rows"), "%s", tail(r.out));
    check_json(alloc_checks, r.json_path);
    tool_run_free(&r);
}
END_TEST

/* A subset of rows; targets whose rows did not run say n/a. */
START_TEST(test_rows_subset)
{
    tool_run r;
    run_tool("--frames 30 --workloads empty --rows raw,timeline-s2 --json @JSON --svg @SVG", &r);
    const char *o = r.out;
    ck_assert_msg(r.status == 0, "exit status %d\nstdout:\n%s\nstderr:\n%s", r.status, tail(o),
                  tail(r.err));
    ck_assert_msg(strstr(o, "baton timeline S=2") && strstr(o, "raw loop"), "%s", tail(o));
    ck_assert_msg(!strstr(o, "baton binary") && !strstr(o, "hand-off CUDA"), "%s", tail(o));
    ck_assert_msg(strstr(o, "n/a: row not run") != NULL, "host-sync targets not n/a:\n%s", tail(o));
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
    ck_assert_msg(r.status == 1, "exit status %d, want 1; stderr:\n%s", r.status, tail(r.err));
    ck_assert_msg(strstr(r.err, "/nonexistent-baton-dir/b.json") != NULL, "stderr:\n%s",
                  tail(r.err));
    ck_assert_msg(strncmp(r.svg, "<svg", 4) == 0, "the SVG is still written");
    tool_run_free(&r);
}
END_TEST

static const char *const bad_args[] = {
    "--frames 0",
    "--frames abc",
    "--frames -5",
    "--frames 99999999999",
    "--paced-frames 0",
    "--paced-frames 1x",
    "--workloads 8k",
    "--workloads ''",
    "--workloads empty,,",
    "--workloads ,empty",
    "--workloads 1080p@0",
    "--workloads 1080p@",
    "--workloads 1080p@abc",
    "--workloads 1080p@60fps",
    "--workloads 1080p@1001",
    "--workloads 1080p@-60",
    "--workloads 8k@60",
    "--workloads @60",
    "--rows nope",
    "--rows timeline-s2,bogus",
    "--rows timeline-s2-relay,",
    "--sink ''",
    "--sink bogus",
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
                  r.status, tail(r.err));
    ck_assert_msg(r.out[0] == '\0', "'%s': stdout not empty:\n%s", bad_args[_i], tail(r.out));
    ck_assert_msg(count_lines(r.err) == 1 && strncmp(r.err, "baton-bench: ", 13) == 0,
                  "'%s': stderr should be one 'baton-bench: ' line:\n%s", bad_args[_i],
                  tail(r.err));
    tool_run_free(&r);
}
END_TEST

START_TEST(test_help)
{
    tool_run r;
    run_tool("--help", &r);
    const char *o = r.out;
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strncmp(o, "usage: baton-bench", 18) == 0, "%s", tail(o));
    static const char *words[] = {"--quick", "--workloads", "--rows", "--json", "--svg",
                                  "--frames", "--paced-frames", "--paced", "--saturated",
                                  "--sink", "--list", "NAME@FPS", "timeline-s2-relay",
                                  "n/a (headless: no display)", "preload_alloc_count.so"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        ck_assert_msg(strstr(o, words[i]) != NULL, "--help lacks '%s':\n%s", words[i], tail(o));
    ck_assert_msg(r.err[0] == '\0', "stderr not empty:\n%s", tail(r.err));
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
    tcase_add_test(tc, test_paced_run);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_allocations_counted);
    tcase_add_test(tc, test_rows_subset);
    tcase_add_test(tc, test_unwritable_output);
    tcase_add_loop_test(tc, test_bad_arguments, 0, (int)(sizeof bad_args / sizeof bad_args[0]));
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
