/* preload_alloc_count.c - LD_PRELOAD interposer that counts allocation and
 * fd-creating calls, for the "no allocation per frame" proof. See
 * alloc_count.h for the API and tests/util_alloc.c for how suites load it.
 *
 * Every function in BATON_COUNT_FUNCS is defined here and forwards to the next
 * definition (libc's) found with dlsym(RTLD_NEXT). A call is counted when the
 * CALLING THREAD has counting enabled (baton_count_begin() on that thread).
 *
 * Why per thread: the claim we prove is "the application's frame path does
 * not allocate". Vulkan/CUDA drivers run their own worker threads (lavapipe's
 * queue thread, the CUDA runtime's callback and event threads) that allocate
 * and open on their own schedule; counting them process-wide would make the
 * proof nondeterministic and blame the caller for work it did not do. The
 * flip side: allocations the frame path hands to another thread are not
 * seen here; a suite that wants them must enable counting on that thread too.
 *
 * What is NOT seen, by construction:
 *  - calls glibc makes to itself through hidden aliases: fopen() and
 *    opendir() open and close their fd with internal __open/__close_nocancel,
 *    malloc() gets memory with an internal mmap. (Their malloc calls are seen:
 *    glibc calls malloc/free through the interposable symbol on purpose, so
 *    fopen, strdup, opendir, ... all show up as malloc.)
 *  - raw syscall(2), and fd creators outside the list (socketpair, accept,
 *    epoll_create, timerfd_create, signalfd, fcntl(F_DUPFD), ...).
 *
 * Bootstrap: dlsym may itself call malloc/calloc (older glibc allocates the
 * dlerror state with calloc) before the real allocator is known. While this
 * thread is inside dlsym, malloc/calloc/realloc are served from a small static
 * arena that is never reused and never counted; free() of an arena block is a
 * no-op.
 *
 * The runtime's own threads (the pipeline's completion and relay threads,
 * named "baton-..."): baton_count_runtime_begin() opens a window in which
 * their calls are counted too, into one shared total (a spinlock, no
 * allocation), with the same driver/non-driver split. A thread's name is
 * read with prctl(PR_GET_NAME) (a system call, no allocation) and cached
 * once it is a runtime thread; a thread not (yet) named so is asked again.
 *
 * The thread-local state uses the initial-exec TLS model so that touching it
 * never calls __tls_get_addr (which may allocate): this library is meant to be
 * loaded with LD_PRELOAD, where its TLS lives in the static TLS block. */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define BATON_ALLOC_COUNT_PRELOAD 1
#include "alloc_count.h"

#ifndef __OPEN_NEEDS_MODE
#define __OPEN_NEEDS_MODE(oflag) (((oflag) & O_CREAT) != 0)
#endif

#define TLS_IE __attribute__((tls_model("initial-exec")))

/* ---- per-thread counters ---- */

static __thread int tl_on TLS_IE;           /* counting enabled on this thread */
static __thread int tl_resolving TLS_IE;    /* this thread is inside dlsym */
static __thread baton_count_totals tl_tot TLS_IE;

/* Whose is the code at ra: OWNER_DRIVER for a GPU driver, OWNER_GST for
 * GStreamer (its libraries, its plugins, and GLib/GObject/ORC, which it
 * allocates through), else OWNER_OTHER (baton, the application, libc). A
 * small per-thread cache of module ranges keeps dladdr (which does not
 * allocate) off most calls. */
enum { OWNER_OTHER, OWNER_DRIVER, OWNER_GST };
static const char *const driver_modules[] = {"libvulkan_lvp", "libcuda.so", "libnvidia-",
                                             "libGLX_nvidia", "libEGL_nvidia"};
static const char *const gst_modules[] = {"/libgst", "/libglib-2.0", "/libgobject-2.0",
                                          "/libgmodule-2.0", "/liborc-0.4"};
static __thread struct { const void *lo, *hi; int owner; } tl_cache[8] TLS_IE;
static __thread unsigned tl_cache_n TLS_IE;

/* The address range of the loaded module that holds ra (its PT_LOAD
 * segments), found with dl_iterate_phdr, which does not allocate. */
struct module_range {
    const void *ra;
    uintptr_t lo, hi;
};

static int find_range(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct module_range *m = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + ph->p_memsz > hi)
            hi = a + ph->p_memsz;
    }
    if ((uintptr_t)m->ra >= lo && (uintptr_t)m->ra < hi) {
        m->lo = lo;
        m->hi = hi;
        return 1;
    }
    return 0;
}

static int owner_of(const void *ra)
{
    for (unsigned i = 0; i < tl_cache_n; i++)
        if (ra >= tl_cache[i].lo && ra < tl_cache[i].hi)
            return tl_cache[i].owner;
    Dl_info di;
    if (!dladdr(ra, &di) || !di.dli_fname)
        return OWNER_OTHER;
    int owner = OWNER_OTHER;
    for (size_t i = 0; i < sizeof driver_modules / sizeof driver_modules[0]; i++)
        if (strstr(di.dli_fname, driver_modules[i]))
            owner = OWNER_DRIVER;
    for (size_t i = 0; i < sizeof gst_modules / sizeof gst_modules[0]; i++)
        if (strstr(di.dli_fname, gst_modules[i]))
            owner = OWNER_GST;
    /* cache the module's exact range, so that neighbouring modules (the
     * driver's and GStreamer's) are never mistaken for each other */
    struct module_range m = {.ra = ra};
    if (owner != OWNER_OTHER && tl_cache_n < 8 && dl_iterate_phdr(find_range, &m)) {
        tl_cache[tl_cache_n].lo = (const void *)m.lo;
        tl_cache[tl_cache_n].hi = (const void *)m.hi;
        tl_cache[tl_cache_n].owner = owner;
        tl_cache_n++;
    }
    return owner;
}

/* ---- the runtime's own threads ---- */

static int g_runtime_on;                /* atomic: their window is open */
static baton_count_totals g_rt;         /* under g_rt_lock */
static volatile char g_rt_lock;         /* __atomic_test_and_set spinlock */
static __thread int tl_runtime TLS_IE;  /* this thread is named "baton-..." */

static int runtime_thread(void)
{
    if (!tl_runtime) {
        char name[17] = "";
        if (prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && strncmp(name, "baton-", 6) == 0)
            tl_runtime = 1;
    }
    return tl_runtime;
}

static void rt_lock(void)
{
    while (__atomic_test_and_set(&g_rt_lock, __ATOMIC_ACQUIRE))
        ;
}

static void rt_unlock(void) { __atomic_clear(&g_rt_lock, __ATOMIC_RELEASE); }

static void note_into(baton_count_totals *t, unsigned long long *field, const char *fn, void *ra)
{
    int owner = owner_of(ra);
    if (owner == OWNER_DRIVER) {
        if (t->driver_calls++ == 0) {
            t->driver_first.fn = fn;
            t->driver_first.addr = ra;
        }
        return;
    }
    if (owner == OWNER_GST) {
        if (t->gst_calls++ == 0) {
            t->gst_first.fn = fn;
            t->gst_first.addr = ra;
        }
        return;
    }
    (*field)++;
    unsigned i = t->ncallers;
    if (i < BATON_COUNT_MAX_CALLERS) {
        t->callers[i].fn = fn;
        t->callers[i].addr = ra;
        t->ncallers = i + 1;
    }
}

/* Must expand inside the exported function itself so that
 * __builtin_return_address(0) is the address in its caller. */
#define NOTE(field)                                                            \
    do {                                                                       \
        if (tl_on) {                                                           \
            note_into(&tl_tot, &tl_tot.field, #field, __builtin_return_address(0)); \
        } else if (__atomic_load_n(&g_runtime_on, __ATOMIC_ACQUIRE) &&         \
                   !tl_resolving && runtime_thread()) {                         \
            void *ra_ = __builtin_return_address(0);                           \
            rt_lock();                                                         \
            note_into(&g_rt, &g_rt.field, #field, ra_);                        \
            rt_unlock();                                                       \
        }                                                                      \
    } while (0)

/* ---- bootstrap arena ---- */

#define ARENA_SIZE (64 * 1024)
#define ARENA_ALIGN 16

static _Alignas(ARENA_ALIGN) unsigned char arena[ARENA_SIZE];
static size_t arena_used; /* atomic */

static int in_arena(const void *p)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + ARENA_SIZE;
}

/* Blocks carry their size in the ARENA_ALIGN bytes before them (for realloc).
 * The arena starts zeroed and is never reused, so blocks are zeroed. */
static void *arena_alloc(size_t n)
{
    if (n > ARENA_SIZE)
        goto oom;
    size_t need = ARENA_ALIGN + ((n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
    size_t off = __atomic_fetch_add(&arena_used, need, __ATOMIC_RELAXED);
    if (off > ARENA_SIZE || need > ARENA_SIZE - off)
        goto oom;
    unsigned char *hdr = arena + off;
    memcpy(hdr, &n, sizeof n);
    return hdr + ARENA_ALIGN;
oom:
    errno = ENOMEM;
    return NULL;
}

static size_t arena_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - ARENA_ALIGN, sizeof n);
    return n;
}

/* ---- the real functions ---- */

#define REAL_DECL(ret, name, params) static ret(*real_##name) params;
REAL_DECL(void *, malloc, (size_t))
REAL_DECL(void *, calloc, (size_t, size_t))
REAL_DECL(void *, realloc, (void *, size_t))
REAL_DECL(void, free, (void *))
REAL_DECL(int, posix_memalign, (void **, size_t, size_t))
REAL_DECL(void *, aligned_alloc, (size_t, size_t))
REAL_DECL(void *, memalign, (size_t, size_t))
REAL_DECL(void *, valloc, (size_t))
REAL_DECL(void *, pvalloc, (size_t))
REAL_DECL(void *, mmap, (void *, size_t, int, int, int, off_t))
REAL_DECL(void *, mmap64, (void *, size_t, int, int, int, off64_t))
REAL_DECL(int, open, (const char *, int, ...))
REAL_DECL(int, open64, (const char *, int, ...))
REAL_DECL(int, openat, (int, const char *, int, ...))
REAL_DECL(int, openat64, (int, const char *, int, ...))
REAL_DECL(int, __open_2, (const char *, int))
REAL_DECL(int, __open64_2, (const char *, int))
REAL_DECL(int, __openat_2, (int, const char *, int))
REAL_DECL(int, __openat64_2, (int, const char *, int))
REAL_DECL(int, close, (int))
REAL_DECL(int, dup, (int))
REAL_DECL(int, dup2, (int, int))
REAL_DECL(int, dup3, (int, int, int))
REAL_DECL(int, pipe, (int[2]))
REAL_DECL(int, pipe2, (int[2], int))
REAL_DECL(int, eventfd, (unsigned int, int))
REAL_DECL(int, socket, (int, int, int))
REAL_DECL(int, memfd_create, (const char *, unsigned int))

static void *next_sym(const char *name)
{
    int was = tl_resolving;
    tl_resolving = 1;
    void *p = dlsym(RTLD_NEXT, name);
    tl_resolving = was;
    return p;
}

/* The pointer for `name`, resolved on first use. Two threads may resolve the
 * same symbol at once; both store the same value. */
#define REAL(name)                                                             \
    __extension__({                                                            \
        __typeof__(real_##name) f_ = __atomic_load_n(&real_##name, __ATOMIC_ACQUIRE); \
        if (!f_) {                                                             \
            f_ = (__typeof__(real_##name))next_sym(#name);                     \
            __atomic_store_n(&real_##name, f_, __ATOMIC_RELEASE);              \
        }                                                                      \
        f_;                                                                    \
    })

__attribute__((constructor)) static void resolve_all(void)
{
    (void)REAL(malloc);
    (void)REAL(calloc);
    (void)REAL(realloc);
    (void)REAL(free);
    (void)REAL(posix_memalign);
    (void)REAL(aligned_alloc);
    (void)REAL(memalign);
    (void)REAL(valloc);
    (void)REAL(pvalloc);
    (void)REAL(mmap);
    (void)REAL(mmap64);
    (void)REAL(open);
    (void)REAL(open64);
    (void)REAL(openat);
    (void)REAL(openat64);
    (void)REAL(__open_2);
    (void)REAL(__open64_2);
    (void)REAL(__openat_2);
    (void)REAL(__openat64_2);
    (void)REAL(close);
    (void)REAL(dup);
    (void)REAL(dup2);
    (void)REAL(dup3);
    (void)REAL(pipe);
    (void)REAL(pipe2);
    (void)REAL(eventfd);
    (void)REAL(socket);
    (void)REAL(memfd_create);
}

/* ---- control API ---- */

void baton_count_begin(void)
{
    tl_on = 0;
    tl_tot = (baton_count_totals){0};
    tl_on = 1;
}

void baton_count_end(void)
{
    tl_on = 0;
}

static const struct {
    const char *name;
    size_t offset;
} count_fields[] = {
#define BATON_COUNT_ROW_(name) {#name, offsetof(baton_count_totals, name)},
    BATON_COUNT_FUNCS(BATON_COUNT_ROW_)
#undef BATON_COUNT_ROW_
};

int baton_count_get(const char *name, unsigned long long *out)
{
    if (!name || !out)
        return -1;
    for (size_t i = 0; i < sizeof count_fields / sizeof count_fields[0]; i++) {
        if (strcmp(name, count_fields[i].name) == 0) {
            memcpy(out, (const unsigned char *)&tl_tot + count_fields[i].offset, sizeof *out);
            return 0;
        }
    }
    return -1;
}

void baton_count_snapshot(baton_count_totals *out)
{
    if (out)
        *out = tl_tot;
}

size_t baton_count_totals_size(void)
{
    return sizeof(baton_count_totals);
}

void baton_count_runtime_begin(void)
{
    rt_lock();
    g_rt = (baton_count_totals){0};
    rt_unlock();
    __atomic_store_n(&g_runtime_on, 1, __ATOMIC_RELEASE);
}

void baton_count_runtime_end(void)
{
    __atomic_store_n(&g_runtime_on, 0, __ATOMIC_RELEASE);
}

void baton_count_runtime_snapshot(baton_count_totals *out)
{
    if (!out)
        return;
    rt_lock();
    *out = g_rt;
    rt_unlock();
}

/* ---- allocation ---- */

void *malloc(size_t n)
{
    if (tl_resolving)
        return arena_alloc(n);
    void *(*f)(size_t) = REAL(malloc);
    if (!f)
        return arena_alloc(n);
    NOTE(malloc);
    return f(n);
}

void *calloc(size_t n, size_t size)
{
    if (tl_resolving) {
        if (size && n > SIZE_MAX / size) {
            errno = ENOMEM;
            return NULL;
        }
        return arena_alloc(n * size);
    }
    void *(*f)(size_t, size_t) = REAL(calloc);
    if (!f) {
        if (size && n > SIZE_MAX / size) {
            errno = ENOMEM;
            return NULL;
        }
        return arena_alloc(n * size);
    }
    NOTE(calloc);
    return f(n, size);
}

void *realloc(void *p, size_t n)
{
    void *(*f)(void *, size_t) = tl_resolving ? NULL : REAL(realloc);
    if (f)
        NOTE(realloc);
    if (p && in_arena(p)) {
        /* Move an arena block to the real heap (or a fresh arena block). */
        void *(*m)(size_t) = tl_resolving ? NULL : REAL(malloc);
        void *q = m ? m(n) : arena_alloc(n);
        if (q) {
            size_t old = arena_size(p);
            memcpy(q, p, old < n ? old : n);
        }
        return q;
    }
    if (!f) {
        if (p) { /* a real block while we cannot reach the real realloc */
            errno = ENOMEM;
            return NULL;
        }
        return arena_alloc(n);
    }
    return f(p, n);
}

void free(void *p)
{
    if (!p || in_arena(p))
        return; /* free(NULL) is a no-op and not counted */
    NOTE(free);
    void (*f)(void *) = REAL(free);
    if (f)
        f(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    NOTE(posix_memalign);
    int (*f)(void **, size_t, size_t) = REAL(posix_memalign);
    return f ? f(out, align, n) : ENOMEM;
}

#define FORWARD_ALLOC(name, params, args)                                      \
    void *name params                                                          \
    {                                                                          \
        NOTE(name);                                                            \
        __typeof__(real_##name) f = REAL(name);                                \
        if (!f) {                                                              \
            errno = ENOMEM;                                                    \
            return NULL;                                                       \
        }                                                                      \
        return f args;                                                         \
    }

FORWARD_ALLOC(aligned_alloc, (size_t align, size_t n), (align, n))
FORWARD_ALLOC(memalign, (size_t align, size_t n), (align, n))
FORWARD_ALLOC(valloc, (size_t n), (n))
FORWARD_ALLOC(pvalloc, (size_t n), (n))

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    NOTE(mmap);
    __typeof__(real_mmap) f = REAL(mmap);
    if (!f) {
        errno = ENOSYS;
        return MAP_FAILED;
    }
    return f(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
    NOTE(mmap64);
    __typeof__(real_mmap64) f = REAL(mmap64);
    if (!f) {
        errno = ENOSYS;
        return MAP_FAILED;
    }
    return f(addr, len, prot, flags, fd, off);
}

/* ---- fds ---- */

#define FD_FAIL_IF_NULL(f)                                                     \
    do {                                                                       \
        if (!(f)) {                                                            \
            errno = ENOSYS;                                                    \
            return -1;                                                         \
        }                                                                      \
    } while (0)

/* open-style functions take a mode_t only when flags need one. */
#define OPEN_MODE(flags, mode)                                                 \
    do {                                                                       \
        if (__OPEN_NEEDS_MODE(flags)) {                                        \
            va_list ap;                                                        \
            va_start(ap, flags);                                               \
            mode = va_arg(ap, mode_t);                                         \
            va_end(ap);                                                        \
        }                                                                      \
    } while (0)

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    NOTE(open);
    __typeof__(real_open) f = REAL(open);
    FD_FAIL_IF_NULL(f);
    return f(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    NOTE(open64);
    __typeof__(real_open64) f = REAL(open64);
    FD_FAIL_IF_NULL(f);
    return f(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    NOTE(openat);
    __typeof__(real_openat) f = REAL(openat);
    FD_FAIL_IF_NULL(f);
    return f(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    NOTE(openat64);
    __typeof__(real_openat64) f = REAL(openat64);
    FD_FAIL_IF_NULL(f);
    return f(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE callers (most distribution-built drivers) reach open through
 * these when flags are not a compile-time constant. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags)
{
    NOTE(open);
    __typeof__(real___open_2) f = REAL(__open_2);
    FD_FAIL_IF_NULL(f);
    return f(path, flags);
}

int __open64_2(const char *path, int flags)
{
    NOTE(open64);
    __typeof__(real___open64_2) f = REAL(__open64_2);
    FD_FAIL_IF_NULL(f);
    return f(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags)
{
    NOTE(openat);
    __typeof__(real___openat_2) f = REAL(__openat_2);
    FD_FAIL_IF_NULL(f);
    return f(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
    NOTE(openat64);
    __typeof__(real___openat64_2) f = REAL(__openat64_2);
    FD_FAIL_IF_NULL(f);
    return f(dirfd, path, flags);
}

#define FORWARD_FD(name, params, args)                                         \
    int name params                                                            \
    {                                                                          \
        NOTE(name);                                                            \
        __typeof__(real_##name) f = REAL(name);                                \
        FD_FAIL_IF_NULL(f);                                                    \
        return f args;                                                         \
    }

FORWARD_FD(close, (int fd), (fd))
FORWARD_FD(dup, (int fd), (fd))
FORWARD_FD(dup2, (int fd, int fd2), (fd, fd2))
FORWARD_FD(dup3, (int fd, int fd2, int flags), (fd, fd2, flags))
FORWARD_FD(pipe, (int fds[2]), (fds))
FORWARD_FD(pipe2, (int fds[2], int flags), (fds, flags))
FORWARD_FD(eventfd, (unsigned int count, int flags), (count, flags))
FORWARD_FD(socket, (int domain, int type, int proto), (domain, type, proto))
FORWARD_FD(memfd_create, (const char *name, unsigned int flags), (name, flags))
