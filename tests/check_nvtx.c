/* check_nvtx.c - what a profiler sees: the pipeline runs in a child process
 * with NVTX_INJECTION64_PATH pointing at tests/inject_nvtx.c's tool (the
 * mechanism Nsight Systems uses), which records every NVTX call; the parent
 * then checks that every frame's ranges arrived in baton's own domain,
 * balanced and nested, with the right names and payloads, on the threads
 * that did the work, apart from the application's own range. CPU stage
 * here (both hand-off modes); with a CUDA device also the CUDA stage. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nvtx3/nvToolsExt.h>

#include "baton/baton.h"
#include "util_test.h"

#define FRAMES 60u
#define MAX_LINES 200000u

typedef struct rec {
    char kind[8];
    long tid;
    uint64_t ns;
    char domain[40];
    uint64_t payload, id;
    char name[48];
} rec;

/* ---- the child: a pipeline under the NVTX tool ---- */

static int child(const char *compute, const char *handoff)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = strcmp(compute, "cuda") == 0 ? BATON_COMPUTE_CUDA : BATON_COMPUTE_CPU;
    baton_context *ctx = NULL;
    baton_pipeline *p = NULL;
    baton_error err;
    nvtxRangePushA("application work"); /* the application's own, default domain */
    baton_status st = baton_context_create(&cc, &ctx, &err);
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 160;
    pc.height = 96;
    pc.slots = 2;
    pc.handoff_to_vulkan = pc.handoff_to_compute =
        strcmp(handoff, "gpu") == 0 ? BATON_HANDOFF_GPU : BATON_HANDOFF_RELAY;
    if (st == BATON_OK)
        st = baton_pipeline_create(ctx, &pc, &p, &err);
    if (st == BATON_OK)
        st = baton_pipeline_run(p, FRAMES, &err);
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, &err);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    nvtxRangePop();
    if (st != BATON_OK)
        fprintf(stderr, "child: %s\n", err.message);
    return st == BATON_OK ? 0 : 1;
}

/* ---- the parent ---- */

static size_t run_child(const char *compute, const char *handoff, rec *out)
{
    char exe[PATH_MAX], so[PATH_MAX + 32], log[] = "/tmp/baton-nvtx-XXXXXX";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    snprintf(so, sizeof so, "%.*s/inject_nvtx.so", (int)(strrchr(exe, '/') - exe), exe);
    ck_assert_msg(access(so, R_OK) == 0, "%s missing (make %s)", so, so);
    int fd = mkstemp(log);
    ck_assert_int_ge(fd, 0);
    close(fd);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("NVTX_INJECTION64_PATH", so, 1);
        setenv("BATON_NVTX_LOG", log, 1);
        execl(exe, exe, "--child", compute, handoff, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (status %d)",
                  status);
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    size_t k = 0;
    char line[256];
    while (k < MAX_LINES && fgets(line, sizeof line, f)) {
        rec *r = &out[k];
        unsigned long long ns, payload, id;
        ck_assert_msg(strncmp(line, "lost", 4) != 0, "the tool lost records: %s", line);
        ck_assert_int_eq(sscanf(line, "%7s %ld %llu %39s %llu %llu %47[^\n]", r->kind, &r->tid, &ns,
                                r->domain, &payload, &id, r->name), 7);
        r->ns = ns;
        r->payload = payload;
        r->id = id;
        k++;
    }
    fclose(f);
    unlink(log);
    ck_assert_msg(k > 0, "no NVTX records: the tool was not loaded (NVTX_INJECTION64_PATH=%s)", so);
    return k;
}

typedef struct frame_ranges {
    uint64_t start_ns, end_ns, id;
    int starts, ends;
    int stages[6];       /* pushes seen, by stage index */
    long stage_tid[6];
} frame_ranges;

static const char *const stage_names[6] = {"source", "compute (CPU)", "compute (CUDA)", "vulkan",
                                           "relay", "retire"};

static int stage_index(const char *name)
{
    for (int i = 0; i < 6; i++)
        if (strcmp(name, stage_names[i]) == 0)
            return i;
    return -1;
}

/* Per thread, pushes and pops of one domain pair up like brackets; each
 * baton stage range sits inside its frame's range in time. */
typedef struct open_push {
    long tid;
    size_t depth;
    size_t at[16];
} open_push;

static void check_log(const rec *r, size_t n, bool cuda, bool relay)
{
    static frame_ranges fr[FRAMES];
    memset(fr, 0, sizeof fr);
    int created = 0;
    long driving = 0, app_tid = 0;
    open_push th[8];
    size_t nth = 0;
    for (size_t i = 0; i < n; i++) {
        bool baton = strcmp(r[i].domain, "baton") == 0;
        if (strcmp(r[i].kind, "create") == 0)
            created += baton;
        if (strcmp(r[i].kind, "push") == 0 && !baton) {
            ck_assert_str_eq(r[i].domain, "-");
            ck_assert_str_eq(r[i].name, "application work");
            app_tid = r[i].tid;
        }
        if (strcmp(r[i].kind, "start") == 0) {
            ck_assert_msg(baton, "a start/end range outside baton's domain: %s", r[i].name);
            ck_assert_uint_lt(r[i].payload, FRAMES);
            frame_ranges *f = &fr[r[i].payload];
            char want[32];
            snprintf(want, sizeof want, "frame %" PRIu64, r[i].payload);
            ck_assert_str_eq(r[i].name, want);
            f->starts++;
            f->start_ns = r[i].ns;
            f->id = r[i].id;
            driving = r[i].tid;
        }
        if (strcmp(r[i].kind, "end") == 0) {
            int hits = 0;
            for (uint32_t m = 0; m < FRAMES; m++)
                if (fr[m].starts && fr[m].id == r[i].id) {
                    fr[m].ends++;
                    fr[m].end_ns = r[i].ns;
                    hits++;
                }
            ck_assert_msg(hits == 1, "range end id %" PRIu64 " matches %d starts", r[i].id, hits);
        }
        if (strcmp(r[i].kind, "push") != 0 && strcmp(r[i].kind, "pop") != 0)
            continue;
        size_t t = 0;
        while (t < nth && th[t].tid != r[i].tid)
            t++;
        if (t == nth) {
            ck_assert_uint_lt(nth, 8);
            th[nth++] = (open_push){.tid = r[i].tid};
        }
        if (strcmp(r[i].kind, "push") == 0) {
            ck_assert_uint_lt(th[t].depth, 16);
            th[t].at[th[t].depth++] = i;
            continue;
        }
        ck_assert_msg(th[t].depth > 0, "a pop with no push on thread %ld", r[i].tid);
        const rec *p = &r[th[t].at[--th[t].depth]];
        ck_assert_str_eq(p->domain, r[i].domain);
        if (!baton)
            continue;
        int s = stage_index(p->name);
        ck_assert_msg(s >= 0, "unknown baton range \"%s\"", p->name);
        ck_assert_uint_lt(p->payload, FRAMES);
        frame_ranges *f = &fr[p->payload];
        ck_assert_msg(f->starts == 1 && p->ns >= f->start_ns,
                      "frame %" PRIu64 "'s %s began outside its frame range", p->payload, p->name);
        ck_assert_msg(f->ends == 0 || r[i].ns <= f->end_ns,
                      "frame %" PRIu64 "'s %s ended after its frame range", p->payload, p->name);
        f->stages[s]++;
        f->stage_tid[s] = p->tid;
    }
    ck_assert_int_eq(created, 1);
    ck_assert_int_ne(app_tid, 0);
    for (size_t t = 0; t < nth; t++)
        ck_assert_msg(th[t].depth == 0, "thread %ld left %zu ranges open", th[t].tid, th[t].depth);
    for (uint32_t m = 0; m < FRAMES; m++) {
        const frame_ranges *f = &fr[m];
        ck_assert_msg(f->starts == 1 && f->ends == 1, "frame %u: %d starts, %d ends", m, f->starts,
                      f->ends);
        ck_assert_int_eq(f->stages[0], 1);                     /* source */
        ck_assert_int_eq(f->stages[cuda ? 2 : 1], 1);          /* compute */
        ck_assert_int_eq(f->stages[cuda ? 1 : 2], 0);
        ck_assert_int_eq(f->stages[3], 1);                     /* vulkan */
        ck_assert_int_eq(f->stages[4], cuda && relay ? 1 : 0); /* relay */
        ck_assert_int_eq(f->stages[5], 1);                     /* retire */
        ck_assert_int_eq(f->stage_tid[0], driving);
        ck_assert_int_ne(f->stage_tid[5], driving); /* the completion thread */
        if (cuda && relay) {
            ck_assert_int_ne(f->stage_tid[4], driving); /* the relay thread submits */
            ck_assert_int_eq(f->stage_tid[3], f->stage_tid[4]);
        } else {
            ck_assert_int_eq(f->stage_tid[3], driving);
        }
    }
    bool named = false;
    for (size_t i = 0; i < n; i++)
        named = named || (strcmp(r[i].kind, "thread") == 0 && strcmp(r[i].name, "baton-done") == 0);
    ck_assert_msg(named, "the completion thread was not named");
}

static rec lines[MAX_LINES];

START_TEST(test_cpu_stage)
{
    const char *handoff = _i ? "gpu" : "relay";
    size_t n = run_child("cpu", handoff, lines);
    check_log(lines, n, false, _i == 0);
    printf("CPU stage, hand-offs %s: %zu NVTX records, %u frames with their stage ranges, "
           "balanced and nested, in domain \"baton\"\n", handoff, n, FRAMES);
}
END_TEST

START_TEST(test_cuda_stage)
{
    const char *handoff = _i ? "gpu" : "relay";
    size_t n = run_child("cuda", handoff, lines);
    check_log(lines, n, true, _i == 0);
    printf("CUDA stage, hand-offs %s: %zu NVTX records, %u frames with their stage ranges, "
           "balanced and nested, in domain \"baton\"\n", handoff, n, FRAMES);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child(argv[2], argv[3]);
    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_AUTO, &caps, NULL);
    if (!caps.vk_present || caps.vk_device_count == 0)
        return test_vulkan_required() ? 1 : test_skip("nvtx", "no Vulkan device");
    Suite *s = suite_create("nvtx");
    TCase *tc = tcase_create("ranges");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_cpu_stage, 0, 2);
    if (caps.cuda_present && caps.vk_selected >= 0)
        tcase_add_loop_test(tc, test_cuda_stage, 0, 2);
    else
        printf("note: no CUDA device here: the CUDA stage's ranges are checked on the GPU "
               "machine (%s)\n", caps.cuda_error);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
