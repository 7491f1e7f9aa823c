/* sem_backend.h - the calls the semaphore pool makes, as a table.
 *
 * The real table calls Vulkan and CUDA. Tests swap in tables that fail at
 * the k-th import or that run without any GPU, to prove the pool's fd
 * ownership and unwinding on every machine. Contract of import(): on
 * success the backend owns fd; on failure fd is untouched and still the
 * caller's.
 */
#ifndef BATON_SEM_BACKEND_H
#define BATON_SEM_BACKEND_H

#include <stdbool.h>

#include <cuda_runtime_api.h>
#include <vulkan/vulkan.h>

#include "baton/context.h"
#include "baton/sem_pool.h"

typedef struct baton_sem_backend {
    void *user;
    baton_status (*create)(void *user, baton_sem_kind kind, bool exportable, VkSemaphore *out,
                           baton_error *err);
    baton_status (*export_fd)(void *user, VkSemaphore sem, int *fd, baton_error *err);
    baton_status (*import)(void *user, baton_sem_kind kind, int fd,
                           cudaExternalSemaphore_t *out, baton_error *err);
    void (*destroy_imported)(void *user, cudaExternalSemaphore_t ext);
    void (*destroy)(void *user, VkSemaphore sem);
    int (*close_fd)(void *user, int fd);
} baton_sem_backend;

/* The Vulkan + CUDA table for ctx (user = ctx). */
baton_sem_backend baton_sem_backend_real(baton_context *ctx);

/* Create a pool through any backend; export says whether to export and
 * import (CUDA stage) or create plain semaphores (CPU stage). */
baton_status baton_sem_pool_create_with(const baton_sem_backend *be, bool export,
                                        const baton_sem_pool_config *cfg,
                                        baton_sem_pool **out, baton_error *err);

/* Whether this device can make the pool cfg asks for (shared = exported
 * to CUDA). BATON_ERR_UNSUPPORTED names what is missing. Pure. */
baton_status baton_sem_pool_check_support(const baton_caps *caps, int device, bool shared,
                                          const baton_sem_pool_config *cfg, baton_error *err);

#endif
