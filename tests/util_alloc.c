/* util_alloc.c - suite-side helpers for the allocation-counting interposer
 * (tests/preload_alloc_count.c). Linked into every test binary, so it must not
 * need the preload at link time: the preload's entry points are found with
 * dlsym(RTLD_DEFAULT) at run time. See alloc_count.h. */
#include "alloc_count.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A sanitizer runtime that replaces malloc must come first in the link map;
 * our interposer cannot sit in front of it and counts would be meaningless. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_COUNT_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define ALLOC_COUNT_UNDER_SANITIZER 1
#endif
#endif
#ifndef ALLOC_COUNT_UNDER_SANITIZER
#define ALLOC_COUNT_UNDER_SANITIZER 0
#endif

#define PRELOAD_NAME "preload_alloc_count.so"
#define REEXEC_GUARD "BATON_ALLOC_COUNT_REEXEC"

typedef void (*count_void_fn)(void);
typedef int (*count_get_fn)(const char *, unsigned long long *);
typedef void (*count_snapshot_fn)(baton_count_totals *);
typedef size_t (*count_size_fn)(void);

static struct {
    int state; /* 0 not tried, 1 ready, -1 unavailable or mismatched */
    count_void_fn begin, end;
    count_get_fn get;
    count_snapshot_fn snapshot;
    count_void_fn rt_begin, rt_end;
    count_snapshot_fn rt_snapshot;
} api;

static void *lookup(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

/* Resolve all entry points once (outside any counting window, since dlsym may
 * allocate). Prints why on failure when `loud`. */
static int resolve(int loud)
{
    if (api.state != 0)
        return api.state == 1;
    api.begin = (count_void_fn)lookup("baton_count_begin");
    api.end = (count_void_fn)lookup("baton_count_end");
    api.get = (count_get_fn)lookup("baton_count_get");
    api.snapshot = (count_snapshot_fn)lookup("baton_count_snapshot");
    api.rt_begin = (count_void_fn)lookup("baton_count_runtime_begin");
    api.rt_end = (count_void_fn)lookup("baton_count_runtime_end");
    api.rt_snapshot = (count_snapshot_fn)lookup("baton_count_runtime_snapshot");
    count_size_fn size = (count_size_fn)lookup("baton_count_totals_size");
    if (!api.begin || !api.end || !api.get || !api.snapshot || !size || !api.rt_begin ||
        !api.rt_end || !api.rt_snapshot) {
        if (loud)
            fprintf(stderr, "alloc_count: the interposer " PRELOAD_NAME " is not loaded "
                            "(call alloc_count_reexec() at the start of main)\n");
        api.state = -1;
        return 0;
    }
    if (size() != sizeof(baton_count_totals)) {
        fprintf(stderr, "alloc_count: " PRELOAD_NAME " was built from another tests/alloc_count.h "
                        "(its baton_count_totals is %zu bytes, ours %zu); rebuild it "
                        "(rm build/tests/" PRELOAD_NAME "; make)\n",
                size(), sizeof(baton_count_totals));
        api.state = -1;
        return 0;
    }
    api.state = 1;
    return 1;
}

static void require(void)
{
    if (!resolve(1)) {
        fprintf(stderr, "alloc_count: counting requested without a usable interposer; aborting "
                        "rather than reporting zero allocations\n");
        fflush(stderr);
        abort();
    }
}

int alloc_count_available(void)
{
    return lookup("baton_count_begin") != NULL;
}

int alloc_count_reexec(int argc, char **argv)
{
    if (ALLOC_COUNT_UNDER_SANITIZER)
        return ALLOC_COUNT_SKIP;
    if (alloc_count_available())
        return resolve(1) ? ALLOC_COUNT_READY : ALLOC_COUNT_ERROR;

    const char *old = getenv("LD_PRELOAD");
    if (getenv(REEXEC_GUARD)) {
        fprintf(stderr, "alloc_count: re-executed with LD_PRELOAD=%s but the interposer is still "
                        "not loaded (did the dynamic loader reject it? see its message above)\n",
                old ? old : "(unset)");
        return ALLOC_COUNT_ERROR;
    }

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "alloc_count: readlink(/proc/self/exe): %s\n", strerror(errno));
        return ALLOC_COUNT_ERROR;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    int dirlen = slash ? (int)(slash - exe) : 0;

    char so[PATH_MAX];
    int len = snprintf(so, sizeof so, "%.*s/" PRELOAD_NAME, dirlen, exe);
    if (len < 0 || (size_t)len >= sizeof so) {
        fprintf(stderr, "alloc_count: path of %s too long\n", PRELOAD_NAME);
        return ALLOC_COUNT_ERROR;
    }
    if (access(so, R_OK) != 0) {
        fprintf(stderr, "alloc_count: %s: %s; build it next to the test binary "
                        "(make %s)\n", so, strerror(errno), so);
        return ALLOC_COUNT_ERROR;
    }
    if (strpbrk(so, ": \t")) {
        fprintf(stderr, "alloc_count: %s contains ':' or blanks, which LD_PRELOAD cannot carry\n", so);
        return ALLOC_COUNT_ERROR;
    }

    /* Ours first, then whatever the environment already preloads. */
    size_t need = strlen(so) + (old && *old ? 1 + strlen(old) : 0) + 1;
    char *preload = malloc(need);
    if (!preload) {
        fprintf(stderr, "alloc_count: out of memory\n");
        return ALLOC_COUNT_ERROR;
    }
    if (old && *old)
        snprintf(preload, need, "%s:%s", so, old);
    else
        snprintf(preload, need, "%s", so);
    char *saved = old ? strdup(old) : NULL;

    if (setenv("LD_PRELOAD", preload, 1) != 0 || setenv(REEXEC_GUARD, "1", 1) != 0) {
        fprintf(stderr, "alloc_count: setenv: %s\n", strerror(errno));
        free(preload);
        free(saved);
        return ALLOC_COUNT_ERROR;
    }
    char *fallback[] = {exe, NULL};
    char **args = (argc > 0 && argv && argv[0]) ? argv : fallback;
    fflush(NULL); /* or buffered output would be lost (or, later, doubled) */
    execv("/proc/self/exe", args);

    int e = errno;
    fprintf(stderr, "alloc_count: execv(/proc/self/exe) with LD_PRELOAD=%s failed: %s\n", preload,
            strerror(e));
    if (saved)
        setenv("LD_PRELOAD", saved, 1);
    else
        unsetenv("LD_PRELOAD");
    unsetenv(REEXEC_GUARD);
    free(preload);
    free(saved);
    return ALLOC_COUNT_ERROR;
}

void alloc_count_begin(void)
{
    require();
    api.begin(); /* last: nothing after it on this path allocates */
}

void alloc_count_end(void)
{
    require();
    api.end();
}

void alloc_count_totals(baton_count_totals *out)
{
    require();
    api.snapshot(out);
}

int alloc_count_get(const char *name, unsigned long long *out)
{
    require();
    return api.get(name, out);
}

void alloc_count_runtime_begin(void)
{
    require();
    api.rt_begin();
}

void alloc_count_runtime_end(void)
{
    require();
    api.rt_end();
}

void alloc_count_runtime_totals(baton_count_totals *out)
{
    require();
    api.rt_snapshot(out);
}

static const struct {
    const char *name;
    size_t offset;
} fields[] = {
#define ALLOC_COUNT_ROW_(name) {#name, offsetof(baton_count_totals, name)},
    BATON_COUNT_FUNCS(ALLOC_COUNT_ROW_)
#undef ALLOC_COUNT_ROW_
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static unsigned long long field_value(const baton_count_totals *t, size_t i)
{
    unsigned long long v;
    memcpy(&v, (const unsigned char *)t + fields[i].offset, sizeof v);
    return v;
}

unsigned long long alloc_count_total(const baton_count_totals *t)
{
    unsigned long long sum = 0;
    for (size_t i = 0; i < NFIELDS; i++)
        sum += field_value(t, i);
    return sum;
}

int alloc_count_all_zero(const baton_count_totals *t)
{
    return alloc_count_total(t) == 0;
}

void alloc_count_print(FILE *f, const baton_count_totals *t)
{
    fprintf(f, "alloc_count:");
    unsigned long long total = 0;
    for (size_t i = 0; i < NFIELDS; i++) {
        unsigned long long v = field_value(t, i);
        if (v) {
            fprintf(f, " %s=%llu", fields[i].name, v);
            total += v;
        }
    }
    fprintf(f, total ? " (total %llu)\n" : " no counted calls\n", total);
    if (t->driver_calls) {
        Dl_info dd;
        memset(&dd, 0, sizeof dd);
        dladdr(t->driver_first.addr, &dd);
        fprintf(f, "alloc_count: %llu more calls made by the GPU driver itself (first: %s from %s)\n",
                t->driver_calls, t->driver_first.fn ? t->driver_first.fn : "?",
                dd.dli_fname ? dd.dli_fname : "?");
    }
    if (t->gst_calls) {
        Dl_info dg;
        memset(&dg, 0, sizeof dg);
        dladdr(t->gst_first.addr, &dg);
        fprintf(f, "alloc_count: %llu more calls made by GStreamer itself (first: %s from %s)\n",
                t->gst_calls, t->gst_first.fn ? t->gst_first.fn : "?",
                dg.dli_fname ? dg.dli_fname : "?");
    }

    unsigned nc = t->ncallers < BATON_COUNT_MAX_CALLERS ? t->ncallers : BATON_COUNT_MAX_CALLERS;
    if (nc)
        fprintf(f, "alloc_count: first %u call%s:\n", nc, nc == 1 ? "" : "s");
    for (unsigned i = 0; i < nc; i++) {
        const baton_count_caller *c = &t->callers[i];
        Dl_info di;
        memset(&di, 0, sizeof di);
        fprintf(f, "  #%u %-14s from %p", i, c->fn ? c->fn : "?", c->addr);
        if (c->addr && dladdr(c->addr, &di) && di.dli_fname) {
            uintptr_t a = (uintptr_t)c->addr;
            if (di.dli_sname && di.dli_saddr)
                fprintf(f, " %s+0x%lx", di.dli_sname,
                        (unsigned long)(a - (uintptr_t)di.dli_saddr));
            /* The return address is just past the call: -1 lands inside it. */
            unsigned long off = (unsigned long)(a - (uintptr_t)di.dli_fbase);
            fprintf(f, " in %s+0x%lx  (addr2line -f -i -e %s 0x%lx)\n", di.dli_fname, off,
                    di.dli_fname, off ? off - 1 : 0);
        } else {
            fprintf(f, " (no object)\n");
        }
    }
    if (total > nc && nc == BATON_COUNT_MAX_CALLERS)
        fprintf(f, "  ... %llu more not recorded\n", total - nc);
}
