/* alloc_count.h - the "no allocation per frame" proof tooling.
 *
 * Two halves share this header:
 *
 *  - tests/preload_alloc_count.c, built into $(BUILD)/tests/preload_alloc_count.so
 *    and loaded with LD_PRELOAD. It interposes the allocation and
 *    fd-creating functions listed in BATON_COUNT_FUNCS, forwards each to the
 *    real one, and counts the calls made by a thread between
 *    baton_count_begin() and baton_count_end() ON THAT THREAD ONLY.
 *
 *  - tests/util_alloc.c, linked into every test binary. It never links against
 *    the preload: it finds the baton_count_* entry points with dlsym at run
 *    time, so test binaries work (and alloc_count_available() says 0) without
 *    it. alloc_count_reexec() puts the preload in place by re-executing.
 *
 * Typical use in a suite:
 *
 *     int main(int argc, char **argv) {
 *         int r = alloc_count_reexec(argc, argv);      // may exec, does not return then
 *         if (r == ALLOC_COUNT_SKIP)
 *             return test_skip("check_x", "ASan replaces malloc; the non-sanitized run covers this");
 *         if (r != ALLOC_COUNT_READY)
 *             return 1;
 *         ...
 *     }
 *
 *     START_TEST(frame_loop_does_not_allocate) {
 *         ... warm up ...
 *         baton_count_totals t;
 *         alloc_count_begin();
 *         for (...) run_one_frame();                   // no ck_assert in here:
 *         alloc_count_end();                            // Check's ck_assert itself
 *         alloc_count_totals(&t);                       // writes/allocates
 *         if (!alloc_count_all_zero(&t)) alloc_count_print(stderr, &t);
 *         ck_assert(alloc_count_all_zero(&t));
 *     }
 */
#ifndef BATON_ALLOC_COUNT_H
#define BATON_ALLOC_COUNT_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every counted function, in struct order. One baton_count_totals field each,
 * named exactly like the function. The fortified entry points __open_2,
 * __open64_2, __openat_2 and __openat64_2 are counted as open, open64, openat
 * and openat64. */
#define BATON_COUNT_FUNCS(X)                                                   \
    X(malloc) X(calloc) X(realloc) X(free) X(posix_memalign) X(aligned_alloc)  \
    X(memalign) X(valloc) X(pvalloc) X(mmap) X(mmap64) X(open) X(open64)     \
    X(openat) X(openat64) X(close) X(dup) X(dup2) X(dup3) X(pipe) X(pipe2)     \
    X(eventfd) X(socket) X(memfd_create)

/* The first BATON_COUNT_MAX_CALLERS counted calls of a window keep the
 * function's name and the return address into whoever called it. */
#define BATON_COUNT_MAX_CALLERS 8

typedef struct baton_count_caller {
    const char *fn; /* counted function ("malloc"); a string owned by the preload */
    void *addr;     /* __builtin_return_address(0) inside the interposer */
} baton_count_caller;

typedef struct baton_count_totals {
#define BATON_COUNT_FIELD_(name) unsigned long long name;
    BATON_COUNT_FUNCS(BATON_COUNT_FIELD_)
#undef BATON_COUNT_FIELD_
    unsigned ncallers; /* entries of callers[] in use, <= BATON_COUNT_MAX_CALLERS */
    baton_count_caller callers[BATON_COUNT_MAX_CALLERS];
    /* Calls whose caller is inside a GPU driver (an ICD such as lavapipe's
     * libvulkan_lvp.so, or NVIDIA's libcuda / libnvidia-* / lib*_nvidia):
     * counted apart, not in the fields above, because baton cannot change
     * what a driver does inside vkQueueSubmit. Reported, never hidden. */
    unsigned long long driver_calls;
    baton_count_caller driver_first;
    /* Calls whose caller is inside GStreamer (libgst*, its plugins, and the
     * GLib / GObject / ORC libraries it allocates through): counted apart
     * like the driver's, because pulling a sample from an appsink is
     * GStreamer's own work. Only the gst source and sink call into them. */
    unsigned long long gst_calls;
    baton_count_caller gst_first;
} baton_count_totals;

/* ---- The preload's exported control API (this thread's counters only). ----
 * Declared only for the preload itself: test code must not reference these
 * symbols directly (the test binaries do not link the preload); it uses the
 * alloc_count_* wrappers below, which look them up with dlsym. */
#ifdef BATON_ALLOC_COUNT_PRELOAD
#define BATON_COUNT_EXPORT __attribute__((visibility("default")))
/* Zero this thread's counters and start counting this thread's calls. */
BATON_COUNT_EXPORT void baton_count_begin(void);
/* Stop counting this thread's calls; the counters keep their values. */
BATON_COUNT_EXPORT void baton_count_end(void);
/* This thread's count for one function by name ("malloc"): 0, or -1 for a
 * name that is not counted (*out untouched). */
BATON_COUNT_EXPORT int baton_count_get(const char *name, unsigned long long *out);
/* Copy this thread's counters and recorded callers into *out. */
BATON_COUNT_EXPORT void baton_count_snapshot(baton_count_totals *out);
/* sizeof(baton_count_totals) as the preload was compiled: the helpers refuse
 * a preload built from a different version of this header. */
BATON_COUNT_EXPORT size_t baton_count_totals_size(void);
/* Zero the shared counters of the runtime's own threads (named "baton-...")
 * and count their calls until baton_count_runtime_end(). */
BATON_COUNT_EXPORT void baton_count_runtime_begin(void);
BATON_COUNT_EXPORT void baton_count_runtime_end(void);
BATON_COUNT_EXPORT void baton_count_runtime_snapshot(baton_count_totals *out);
#endif

/* ---- Helpers for suites (tests/util_alloc.c). ---- */

/* alloc_count_reexec() results. */
#define ALLOC_COUNT_READY 0  /* the interposer is loaded: counting works */
#define ALLOC_COUNT_SKIP 1   /* a sanitizer owns malloc: caller prints SKIP, exits 77 */
#define ALLOC_COUNT_ERROR -1 /* preload missing, mismatched, or exec failed (printed) */

/* 1 when the interposer is loaded in this process (baton_count_begin is
 * visible to dlsym(RTLD_DEFAULT)), else 0. */
int alloc_count_available(void);

/* Make sure the interposer is loaded. Returns ALLOC_COUNT_READY when it
 * already is. Under AddressSanitizer / ThreadSanitizer returns
 * ALLOC_COUNT_SKIP without doing anything (the sanitizer replaces malloc and
 * must be the first DSO). Otherwise re-executes /proc/self/exe with argv and
 * LD_PRELOAD=<dir of the test binary>/preload_alloc_count.so prepended to any
 * existing LD_PRELOAD; that does not return on success. Returns
 * ALLOC_COUNT_ERROR, after printing why on stderr, when the .so is missing,
 * the exec failed, or the re-executed process still lacks the interposer. */
int alloc_count_reexec(int argc, char **argv);

/* Wrappers around the preload's API for the calling thread. Each aborts with a
 * message when the interposer is not loaded: a proof that silently measures
 * nothing must not pass. */
void alloc_count_begin(void);
void alloc_count_end(void);
void alloc_count_totals(baton_count_totals *out);
/* One counter by function name; -1 for an unknown name. */
int alloc_count_get(const char *name, unsigned long long *out);
/* The same for the runtime's own threads (the pipeline's completion and
 * relay threads, named "baton-..."), counted together. */
void alloc_count_runtime_begin(void);
void alloc_count_runtime_end(void);
void alloc_count_runtime_totals(baton_count_totals *out);

/* Sum of all counters. */
unsigned long long alloc_count_total(const baton_count_totals *t);
/* 1 when every counter is zero. */
int alloc_count_all_zero(const baton_count_totals *t);
/* Print the non-zero counters and the recorded callers (symbol or object +
 * offset via dladdr, with an addr2line hint) to f. Allocates: call it outside
 * a counting window. */
void alloc_count_print(FILE *f, const baton_count_totals *t);

#ifdef __cplusplus
}
#endif
#endif
