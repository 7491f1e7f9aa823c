/* baton/sem_pool.h - a fixed pool of Vulkan semaphores shared with CUDA.
 *
 * At creation the pool makes every semaphore it will ever have: binary and
 * timeline Vulkan semaphores created exportable as OPAQUE_FD, each exported
 * with vkGetSemaphoreFdKHR and imported into CUDA with
 * cudaImportExternalSemaphore (cudaExternalSemaphoreHandleTypeOpaqueFd for
 * binary, ...TimelineSemaphoreFd for timeline). After a successful import
 * CUDA owns the fd and baton never touches it again; when an import fails
 * baton closes that fd, exactly once, and unwinds everything made so far.
 * With the CPU compute stage (no CUDA) the semaphores are plain Vulkan
 * semaphores and nothing is exported.
 *
 * Acquire and release are O(1) and allocate nothing; an empty pool is
 * reported as BATON_ERR_EXHAUSTED. Thread-safety: a pool is not
 * thread-safe; serialise calls on one pool (the pipeline uses it from one
 * thread). Destroy the pool before its context.
 */
#ifndef BATON_SEM_POOL_H
#define BATON_SEM_POOL_H

#include <stdint.h>

#include "baton/context.h"
#include "baton/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_sem_pool baton_sem_pool;

typedef enum baton_sem_kind {
    BATON_SEM_BINARY = 0,
    BATON_SEM_TIMELINE = 1,
} baton_sem_kind;

typedef struct baton_sem_pool_config {
    uint32_t binary_count;   /* binary semaphores to create */
    uint32_t timeline_count; /* timeline semaphores (need the feature) */
} baton_sem_pool_config;

#define BATON_SEM_POOL_MAX 4096u

/* Create every semaphore now. Errors: BATON_ERR_INVALID_ARGUMENT (counts 0
 * or above BATON_SEM_POOL_MAX), BATON_ERR_UNSUPPORTED (export impossible on
 * this device, e.g. lavapipe lacks VK_KHR_external_semaphore_fd; timeline
 * asked without the feature), BATON_ERR_VULKAN / BATON_ERR_CUDA naming the
 * failing call and semaphore index. On error nothing is left allocated and
 * no fd is left open. */
baton_status baton_sem_pool_create(baton_context *ctx, const baton_sem_pool_config *cfg,
                                   baton_sem_pool **out, baton_error *err);

/* Destroy the CUDA external semaphore, then the Vulkan semaphore, of every
 * entry (acquired or not). The caller must ensure no GPU work still uses
 * them. NULL is a no-op. */
void baton_sem_pool_destroy(baton_sem_pool *pool);

/* Take a free semaphore of the kind; *index identifies it until released.
 * BATON_ERR_EXHAUSTED when none is free. O(1), no allocation. */
baton_status baton_sem_pool_acquire(baton_sem_pool *pool, baton_sem_kind kind,
                                    uint32_t *index, baton_error *err);

/* Give an acquired semaphore back. BATON_ERR_INVALID_ARGUMENT for an index
 * out of range, BATON_ERR_STATE when it is not acquired (double release). */
baton_status baton_sem_pool_release(baton_sem_pool *pool, uint32_t index, baton_error *err);

uint32_t baton_sem_pool_size(const baton_sem_pool *pool);
uint32_t baton_sem_pool_available(const baton_sem_pool *pool, baton_sem_kind kind);
/* Kind of entry index (any entry, acquired or not). */
baton_sem_kind baton_sem_pool_kind(const baton_sem_pool *pool, uint32_t index);
/* Whether the pool's semaphores were exported to and imported by CUDA. */
int baton_sem_pool_is_shared(const baton_sem_pool *pool);

#ifdef __cplusplus
}
#endif

#endif
