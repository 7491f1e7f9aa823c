/* check_faults.c - a failure at every seam call (util/fault.h: each CUDA,
 * Vulkan and system call the runtime makes that can fail). For each
 * scenario the calls of a whole run are counted (context create, pipeline
 * create, 100 frames, drain, destroy, context destroy), then the run is
 * repeated failing the k-th call, for every k. After each run: it returned
 * an error whose message names the failed call, or the failure was one the
 * runtime rides over (listed at the end); no fd and no Vulkan or CUDA
 * object is left (the runtime's live counts), and with AddressSanitizer
 * LeakSanitizer finds no leak; a run that hangs is caught by its alarm.
 * The CPU stage here (lavapipe); with a CUDA device the CUDA stage too.
 * BATON_FAULT_STRIDE=N tries every N-th call only (for quick local runs). */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/baton.h"
#include "util/fault.h"
#include "util_test.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK() __lsan_do_recoverable_leak_check()
#else
#define LEAK_CHECK() 0
#endif

#define FRAMES 100u
#define MAX_NAMES 128

typedef struct scenario {
    const char *name;
    baton_compute_mode compute;
    baton_sync_mode sync;
    baton_handoff_mode handoff;
    baton_fault_kind kind;
} scenario;

static const scenario scenarios[] = {
    {"CPU timeline gpu hand-offs", BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE, BATON_HANDOFF_GPU,
     BATON_FAULT_OUT_OF_MEMORY},
    {"CPU binary relay hand-offs", BATON_COMPUTE_CPU, BATON_SYNC_BINARY, BATON_HANDOFF_RELAY,
     BATON_FAULT_OUT_OF_MEMORY},
    {"CPU timeline relay, device lost", BATON_COMPUTE_CPU, BATON_SYNC_TIMELINE, BATON_HANDOFF_RELAY,
     BATON_FAULT_DEVICE_LOST},
    {"CUDA timeline relay hand-offs", BATON_COMPUTE_CUDA, BATON_SYNC_TIMELINE, BATON_HANDOFF_RELAY,
     BATON_FAULT_OUT_OF_MEMORY},
    {"CUDA binary gpu hand-offs", BATON_COMPUTE_CUDA, BATON_SYNC_BINARY, BATON_HANDOFF_GPU,
     BATON_FAULT_OUT_OF_MEMORY},
    {"CUDA timeline gpu, device lost", BATON_COMPUTE_CUDA, BATON_SYNC_TIMELINE, BATON_HANDOFF_GPU,
     BATON_FAULT_DEVICE_LOST},
};

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* One whole run; the first error, in *err. */
static baton_status run_once(const scenario *sc, baton_error *err)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = sc->compute;
    cc.sync = sc->sync;
    baton_context *ctx = NULL;
    baton_pipeline *p = NULL;
    baton_status st = baton_context_create(&cc, &ctx, err);
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc);
    pc.width = 64;
    pc.height = 16;
    pc.timeout_ms = 300;
    pc.readback = true;
    pc.handoff_to_vulkan = pc.handoff_to_compute = sc->handoff;
    if (st == BATON_OK)
        st = baton_pipeline_create(ctx, &pc, &p, err);
    if (st == BATON_OK)
        st = baton_pipeline_run(p, FRAMES, err);
    if (st == BATON_OK)
        st = baton_pipeline_drain(p, err);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    return st;
}

static int64_t live_vk(void) { return baton_live_vk_objects(); }
static int64_t live_cuda(void) { return baton_live_cuda_objects(); }

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "check_faults: a run did not finish within 60 s (a hang)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    _exit(3);
}

typedef struct tally {
    char name[MAX_NAMES][64];
    unsigned failed[MAX_NAMES], survived[MAX_NAMES];
    unsigned n;
} tally;

static void count_name(tally *t, const char *name, bool survived)
{
    unsigned i = 0;
    while (i < t->n && strcmp(t->name[i], name) != 0)
        i++;
    if (i == t->n && t->n < MAX_NAMES)
        snprintf(t->name[t->n++], sizeof t->name[0], "%s", name);
    if (i < MAX_NAMES)
        (survived ? t->survived : t->failed)[i]++;
}

static void sweep(const scenario *sc)
{
    baton_error err;
    int fds = open_fds();
    baton_fault_arm(0, sc->kind); /* count only */
    baton_status st = run_once(sc, &err);
    uint64_t calls = baton_fault_calls();
    baton_fault_disarm();
    ck_assert_msg(st == BATON_OK, "%s: the run fails without a fault: %s", sc->name, err.message);
    ck_assert_int_eq(live_vk(), 0);
    ck_assert_int_eq(live_cuda(), 0);
    fds = open_fds(); /* after one run: the driver keeps what it opens once */
    const char *stride_env = getenv("BATON_FAULT_STRIDE");
    uint64_t stride = stride_env ? strtoull(stride_env, NULL, 10) : 1;
    if (stride == 0)
        stride = 1;
    static tally t;
    memset(&t, 0, sizeof t);
    unsigned bad = 0, runs = 0;
    signal(SIGALRM, on_alarm);
    for (uint64_t k = 1; k <= calls; k += stride, runs++) {
        int64_t vk0 = live_vk(), cuda0 = live_cuda();
        if (getenv("BATON_FAULT_VERBOSE"))
            fprintf(stderr, "k=%llu\n", (unsigned long long)k);
        alarm(60);
        baton_fault_arm(k, sc->kind);
        baton_error_clear(&err);
        st = run_once(sc, &err);
        char failed[64];
        snprintf(failed, sizeof failed, "%s", baton_fault_failed_call());
        baton_fault_disarm();
        alarm(0);
        if (!failed[0])
            continue; /* this run made fewer calls than counted */
        bool named = st != BATON_OK && strstr(err.message, failed) != NULL;
        count_name(&t, failed, st == BATON_OK);
        int leaks = LEAK_CHECK();
        int now_fds = open_fds();
        if ((st != BATON_OK && !named) || live_vk() != vk0 || live_cuda() != cuda0 ||
            now_fds != fds || leaks) {
            if (bad++ < 20)
                printf("  FAIL k=%llu (%s failed): %s%s; Vulkan objects left %lld, CUDA %lld; "
                       "fds %d -> %d%s\n",
                       (unsigned long long)k, failed, st == BATON_OK ? "run succeeded" : "error: ",
                       st == BATON_OK ? "" : err.message, (long long)(live_vk() - vk0),
                       (long long)(live_cuda() - cuda0), fds, now_fds, leaks ? "; LEAKS (above)" : "");
            fds = now_fds; /* report each leak once */
        }
    }
    printf("%s: %llu seam calls in a run; %u runs each failing one; %u bad\n", sc->name,
           (unsigned long long)calls, runs, bad);
    for (unsigned i = 0; i < t.n; i++)
        printf("    %-40s %4u runs stopped with its error, %4u went on and succeeded\n",
               t.name[i], t.failed[i], t.survived[i]);
    fflush(stdout);
    ck_assert_msg(bad == 0, "%s: %u runs went wrong (see above)", sc->name, bad);
}

START_TEST(test_sweep)
{
    const char *only = getenv("BATON_FAULT_SCENARIO"); /* one scenario, for a local look */
    if (!only || atoi(only) == _i)
        sweep(&scenarios[_i]);
}
END_TEST

int main(void)
{
    baton_caps caps;
    /* in a child: with a CUDA device, the CUDA scenarios run in Check's
     * forked children, and CUDA does not survive a fork after this process
     * initialised it (cudaGetDeviceCount does) */
    test_probe_in_child(BATON_COMPUTE_AUTO, &caps);
    if (!caps.vk_present || caps.vk_device_count == 0)
        return test_vulkan_required() ? 1 : test_skip("faults", "no Vulkan device");
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 3600);
    tcase_add_loop_test(tc, test_sweep, 0, 3);
    if (caps.cuda_present && caps.vk_selected >= 0)
        tcase_add_loop_test(tc, test_sweep, 3, 6);
    else
        printf("note: no CUDA device: the CUDA stage's sweep runs on the GPU machine (%s)\n",
               caps.cuda_error);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
