/* fuzz_trace_file.c - libFuzzer target: trace files, which users send each
 * other. The input is loaded with baton_trace_load (frame/trace_file.c) and,
 * when it loads, put through what baton-trace does with it: check against
 * its plan, Perfetto JSON export, the timeline (all frames and the first
 * event's), the first and last event's frames; then saved again, which must
 * give back the same bytes (every field of the format is read, none is
 * invented). The same bytes are also loaded from a pipe, whose size is not
 * known before reading: it must load as the file does. A file that does not
 * load must say why and leave no trace. */
#include "baton/trace.h"
#include "fuzz_common.h"

static FILE *devnull(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w")))
        fuzz_fail("fopen(/dev/null) failed", NULL);
    return f;
}

/* What baton-trace check, perfetto and timeline do with a loaded trace. */
static void use(const baton_trace *t, const baton_schedule *sch)
{
    baton_error err;
    baton_error_clear(&err);
    baton_status st = baton_trace_check(t, sch, &err);
    if (st != BATON_OK && st != BATON_ERR_MISMATCH)
        fuzz_fail("check of a loaded trace failed other than by a mismatch", err.message);
    if (st != BATON_OK)
        fuzz_check_error(st, &err);
    uint32_t n = baton_trace_count(t);
    if (baton_trace_total(t) != n + baton_trace_dropped(t) ||
        baton_trace_span_total(t) != baton_trace_span_count(t) + baton_trace_span_dropped(t))
        fuzz_fail("loaded trace counters disagree", NULL);
    uint64_t first = 0;
    if (n) {
        first = baton_trace_event_at(t, 0)->op.frame;
        if (!baton_trace_event_at(t, n - 1) || baton_trace_event_at(t, n))
            fuzz_fail("event_at disagrees with count", NULL);
    }
    char d[128];
    for (uint32_t i = 0; i < n; i++)
        baton_op_describe(&baton_trace_event_at(t, i)->op, d, sizeof d);
    if (baton_trace_write_chrome(t, "/dev/null", &err) != BATON_OK)
        fuzz_fail("Perfetto export to /dev/null failed", err.message);
    if (baton_trace_print_timeline(t, devnull(), 0, UINT64_MAX, &err) != BATON_OK ||
        baton_trace_print_timeline(t, devnull(), first, first, &err) != BATON_OK)
        fuzz_fail("timeline to /dev/null failed", err.message);
}

/* Saving what was loaded gives the input back. */
static void round_trip(const baton_trace *t, const baton_schedule *sch, const uint8_t *data,
                       size_t size)
{
    static int memfd = -1;
    char path[64];
    fuzz_memfd(&memfd, NULL, 0, path, sizeof path);
    baton_error err;
    if (baton_trace_save(t, sch, path, &err) != BATON_OK)
        fuzz_fail("saving a loaded trace failed", err.message);
    off_t end = lseek(memfd, 0, SEEK_END);
    if (end < 0 || (size_t)end != size)
        fuzz_fail("the saved trace's size differs from the loaded file's", NULL);
    uint8_t *back = malloc(size ? size : 1);
    if (!back || pread(memfd, back, size, 0) != (ssize_t)size)
        fuzz_fail("reading the saved trace back failed", NULL);
    if (memcmp(back, data, size) != 0)
        fuzz_fail("the saved trace differs from the loaded file", NULL);
    free(back);
}

/* Load path; on success check and use the trace. Returns the status. */
static baton_status load_and_use(const char *path, const uint8_t *data, size_t size)
{
    baton_trace *t = (baton_trace *)1;
    baton_schedule sch;
    baton_error err;
    baton_error_clear(&err);
    baton_status st = baton_trace_load(path, &t, &sch, &err);
    if (st != BATON_OK) {
        fuzz_check_error(st, &err);
        if (t != NULL)
            fuzz_fail("a failed load left a trace", err.message);
        return st;
    }
    use(t, &sch);
    round_trip(t, &sch, data, size);
    baton_trace_destroy(t);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int memfd = -1;
    char path[64];
    fuzz_memfd(&memfd, data, size, path, sizeof path);
    baton_status from_file = load_and_use(path, data, size);
    /* the same bytes from a pipe (baton-trace check <(ssh robot cat run.trace)),
     * whose size is not known in advance */
    size_t held;
    int rd = fuzz_pipe(data, size, &held);
    snprintf(path, sizeof path, "/proc/self/fd/%d", rd);
    baton_status from_pipe = load_and_use(path, data, held);
    close(rd);
    if (held == size && (from_file == BATON_OK) != (from_pipe == BATON_OK))
        fuzz_fail("the file and the pipe load differently", NULL);
    return 0;
}
