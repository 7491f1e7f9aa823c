/* bench_alloc.c - count a baton row's steady-state allocation and fd calls
 * through the interposer's exported API, found with dlsym at run time (the
 * tool never links it). */
#include "bench_alloc.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "../tests/alloc_count.h"

typedef void (*count_void_fn)(void);
typedef void (*count_snapshot_fn)(baton_count_totals *);
typedef size_t (*count_size_fn)(void);

static struct {
    int state; /* 0 not looked up, 1 usable, -1 absent or built from another header */
    count_void_fn begin, end, rt_begin, rt_end;
    count_snapshot_fn snapshot, rt_snapshot;
} api;

bool bench_alloc_available(void)
{
    if (api.state != 0)
        return api.state == 1;
    api.begin = (count_void_fn)dlsym(RTLD_DEFAULT, "baton_count_begin");
    api.end = (count_void_fn)dlsym(RTLD_DEFAULT, "baton_count_end");
    api.snapshot = (count_snapshot_fn)dlsym(RTLD_DEFAULT, "baton_count_snapshot");
    api.rt_begin = (count_void_fn)dlsym(RTLD_DEFAULT, "baton_count_runtime_begin");
    api.rt_end = (count_void_fn)dlsym(RTLD_DEFAULT, "baton_count_runtime_end");
    api.rt_snapshot = (count_snapshot_fn)dlsym(RTLD_DEFAULT, "baton_count_runtime_snapshot");
    count_size_fn size = (count_size_fn)dlsym(RTLD_DEFAULT, "baton_count_totals_size");
    bool found = api.begin && api.end && api.snapshot && api.rt_begin && api.rt_end &&
                 api.rt_snapshot && size;
    if (found && size() != sizeof(baton_count_totals))
        fprintf(stderr, "baton-bench: the preloaded allocation counter was built from another "
                        "tests/alloc_count.h; not counting\n");
    api.state = found && size() == sizeof(baton_count_totals) ? 1 : -1;
    return api.state == 1;
}

void bench_alloc_begin(void)
{
    if (api.state != 1)
        return;
    api.rt_begin();
    api.begin(); /* last: nothing after it on this path allocates */
}

static unsigned long long total(const baton_count_totals *t)
{
    unsigned long long n = 0;
#define BENCH_SUM_(name) n += t->name;
    BATON_COUNT_FUNCS(BENCH_SUM_)
#undef BENCH_SUM_
    return n;
}

static void name_first(const baton_count_totals *t, char *buf, size_t len)
{
    if (t->ncallers == 0)
        return;
    Dl_info info;
    const baton_count_caller *c = &t->callers[0];
    if (dladdr(c->addr, &info) && info.dli_sname)
        snprintf(buf, len, "%s from %s", c->fn, info.dli_sname);
    else if (dladdr(c->addr, &info) && info.dli_fname)
        snprintf(buf, len, "%s from %s+%#lx", c->fn, info.dli_fname,
                 (unsigned long)((const char *)c->addr - (const char *)info.dli_fbase));
    else
        snprintf(buf, len, "%s from %p", c->fn, c->addr);
}

void bench_alloc_end(bench_allocs *out)
{
    memset(out, 0, sizeof *out);
    if (api.state != 1)
        return;
    api.end();
    api.rt_end();
    baton_count_totals self, rt;
    api.snapshot(&self);
    api.rt_snapshot(&rt);
    out->counted = true;
    out->calls = total(&self) + total(&rt);
    out->driver_calls = self.driver_calls + rt.driver_calls;
    out->gst_calls = self.gst_calls + rt.gst_calls;
    if (total(&self))
        name_first(&self, out->first, sizeof out->first);
    else if (total(&rt))
        name_first(&rt, out->first, sizeof out->first);
}
