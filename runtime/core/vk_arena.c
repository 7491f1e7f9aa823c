/* vk_arena.c - VkAllocationCallbacks over a fixed arena (see vk_arena.h). */
#include "core/vk_arena.h"
#include "util/fault.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MIN_SHIFT 5u          /* 32-byte blocks */
#define CLASSES 12u           /* .. 64 KiB */
#define MAX_ALIGN 256u        /* larger alignments escape */
#define HEADER 32u            /* before each user pointer; keeps 16-byte alignment */
#define MAGIC_ARENA 0xb1a7a9e1u
#define MAGIC_LIBC 0xb1a7a9e2u

/* Just before every pointer handed out. */
typedef struct header {
    uint32_t magic;  /* MAGIC_ARENA or MAGIC_LIBC */
    uint32_t cls;    /* size class (arena blocks) */
    uint64_t size;   /* what was asked for (for realloc) */
    uint64_t offset; /* user pointer - block start */
    uint64_t pad;
} header;

_Static_assert(sizeof(header) == HEADER, "header size");

typedef struct free_block {
    struct free_block *next;
} free_block;

struct vk_arena {
    pthread_mutex_t lock;
    unsigned char *base;
    size_t capacity, used;
    free_block *free[CLASSES];
    vk_arena_stats stats;
    VkAllocationCallbacks cb;
};

static size_t class_size(uint32_t cls) { return (size_t)1 << (MIN_SHIFT + cls); }

/* The smallest class holding need bytes, or CLASSES if none does. */
static uint32_t class_for(size_t need)
{
    uint32_t cls = 0;
    while (cls < CLASSES && class_size(cls) < need)
        cls++;
    return cls;
}

static void *place(void *block, size_t align, uint32_t magic, uint32_t cls, size_t size)
{
    uintptr_t start = (uintptr_t)block + HEADER;
    uintptr_t user = (start + align - 1) & ~(uintptr_t)(align - 1);
    header *h = (header *)(user - HEADER);
    *h = (header){magic, cls, size, user - (uintptr_t)block, 0};
    return (void *)user;
}

static void *escape(vk_arena *a, size_t size, size_t align)
{
    void *block = NULL;
    size_t need = size + HEADER + align;
    /* not a seam call: it serves the driver, whose own handling of a failed
     * allocation is its business (the seam tests baton's) */
    if (posix_memalign(&block, align < 16 ? 16 : align, need) != 0)
        return NULL;
    a->stats.escaped++;
    return place(block, align, MAGIC_LIBC, 0, size);
}

/* A block of class cls: recycled, or carved from what is left. */
static void *take(vk_arena *a, uint32_t cls)
{
    free_block *b = a->free[cls];
    if (b) {
        a->free[cls] = b->next;
        return b;
    }
    size_t n = class_size(cls);
    if (a->capacity - a->used < n)
        return NULL;
    void *block = a->base + a->used;
    a->used += n;
    a->stats.carved++;
    a->stats.bytes_carved = a->used;
    return block;
}

static void *alloc_locked(vk_arena *a, size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    if (align > MAX_ALIGN || (align & (align - 1)))
        return escape(a, size, align);
    uint32_t cls = class_for(size + HEADER + align - 16);
    void *block = cls < CLASSES ? take(a, cls) : NULL;
    if (!block)
        return escape(a, size, align);
    a->stats.allocations++;
    a->stats.bytes_in_use += class_size(cls);
    return place(block, align, MAGIC_ARENA, cls, size);
}

static void free_locked(vk_arena *a, void *p)
{
    header *h = (header *)((unsigned char *)p - HEADER);
    void *block = (unsigned char *)p - h->offset;
    if (h->magic == MAGIC_LIBC) {
        h->magic = 0;
        free(block);
        return;
    }
    uint32_t cls = h->cls;
    h->magic = 0;
    free_block *b = block;
    b->next = a->free[cls];
    a->free[cls] = b;
    a->stats.bytes_in_use -= class_size(cls);
}

static void *VKAPI_PTR cb_alloc(void *user, size_t size, size_t align, VkSystemAllocationScope scope)
{
    (void)scope;
    vk_arena *a = user;
    /* size 0 may return NULL by the spec, but drivers (Mesa's command
     * recording) take NULL for out-of-memory: give a unique block instead */
    pthread_mutex_lock(&a->lock);
    void *p = alloc_locked(a, size, align);
    pthread_mutex_unlock(&a->lock);
    return p;
}

static void VKAPI_PTR cb_free(void *user, void *p)
{
    if (!p)
        return;
    vk_arena *a = user;
    pthread_mutex_lock(&a->lock);
    free_locked(a, p);
    pthread_mutex_unlock(&a->lock);
}

static void *VKAPI_PTR cb_realloc(void *user, void *old, size_t size, size_t align,
                                  VkSystemAllocationScope scope)
{
    if (!old)
        return cb_alloc(user, size, align, scope);
    if (size == 0) {
        cb_free(user, old);
        return NULL;
    }
    vk_arena *a = user;
    pthread_mutex_lock(&a->lock);
    const header *h = (const header *)((unsigned char *)old - HEADER);
    size_t old_size = h->size;
    void *p = alloc_locked(a, size, align);
    if (p) {
        memcpy(p, old, old_size < size ? old_size : size);
        free_locked(a, old);
    }
    pthread_mutex_unlock(&a->lock);
    return p; /* on failure old stays valid, as Vulkan requires */
}

vk_arena *vk_arena_create(size_t bytes, const char **failed)
{
    vk_arena *a = BATON_FAULT_PTR(calloc(1, sizeof *a));
    if (!a) {
        *failed = "calloc";
        return NULL;
    }
    /* reserved, not touched: the kernel backs the pages the driver uses */
    void *base = BATON_FAULT_SYS(mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                                 MAP_FAILED);
    if (base == MAP_FAILED) {
        *failed = "mmap";
        free(a);
        return NULL;
    }
    if (BATON_FAULT_PTHREAD(pthread_mutex_init(&a->lock, NULL)) != 0) {
        *failed = "pthread_mutex_init";
        munmap(base, bytes);
        free(a);
        return NULL;
    }
    a->base = base;
    a->capacity = bytes;
    a->stats.capacity = bytes;
    a->cb = (VkAllocationCallbacks){.pUserData = a, .pfnAllocation = cb_alloc,
                                    .pfnReallocation = cb_realloc, .pfnFree = cb_free};
    return a;
}

void vk_arena_destroy(vk_arena *a)
{
    if (!a)
        return;
    munmap(a->base, a->capacity);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

const VkAllocationCallbacks *vk_arena_callbacks(vk_arena *a) { return a ? &a->cb : NULL; }

vk_arena_stats vk_arena_get_stats(vk_arena *a)
{
    vk_arena_stats s;
    pthread_mutex_lock(&a->lock);
    s = a->stats;
    pthread_mutex_unlock(&a->lock);
    return s;
}
