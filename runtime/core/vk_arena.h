/* vk_arena.h - the Vulkan driver's host allocations served from a fixed
 * arena made at start-up (VkAllocationCallbacks), so that what a driver
 * allocates and frees per frame (command-scope memory inside vkQueueSubmit)
 * is recycled from free lists instead of going to malloc.
 *
 * Blocks come in power-of-two size classes (32 B .. 64 KiB) carved from the
 * arena on first need and kept on per-class free lists after they are
 * freed: once warm, steady traffic reuses them. A request larger than the
 * largest class, with an alignment over 256, or made when the arena is
 * spent, goes to the C library instead and is counted as escaped. All
 * callbacks take one mutex (the driver calls from several threads) and
 * allocate nothing themselves. */
#ifndef BATON_VK_ARENA_H
#define BATON_VK_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

typedef struct vk_arena vk_arena;

typedef struct vk_arena_stats {
    uint64_t allocations;   /* served from the arena (new or recycled blocks) */
    uint64_t carved;        /* blocks carved anew from the arena */
    uint64_t escaped;       /* served by the C library (too large, too aligned, arena spent) */
    uint64_t bytes_in_use;  /* arena bytes in live blocks */
    uint64_t bytes_carved;  /* arena bytes handed out so far (never returned) */
    uint64_t capacity;      /* the arena's size */
} vk_arena_stats;

/* An arena of `bytes` (reserved now; the system backs it as it is touched).
 * NULL when it cannot be made; *failed then names the call ("calloc",
 * "mmap", "pthread_mutex_init"). */
vk_arena *vk_arena_create(size_t bytes, const char **failed);
/* After everything that used its callbacks is destroyed. NULL is a no-op. */
void vk_arena_destroy(vk_arena *a);
/* The callbacks to give vkCreateInstance / vkCreateDevice (valid while a lives). */
const VkAllocationCallbacks *vk_arena_callbacks(vk_arena *a);
vk_arena_stats vk_arena_get_stats(vk_arena *a);

#endif
