/* baton/interop.h - raw Vulkan and CUDA handles behind baton objects.
 *
 * Include this (it pulls in <vulkan/vulkan.h> and <cuda_runtime_api.h>)
 * only where the application records its own work against baton's objects.
 * The handles stay owned by baton: do not destroy them; they are valid
 * until the owning baton object is destroyed. Thread-safety: as the owning
 * object; Vulkan's external synchronisation rules apply to the queue.
 */
#ifndef BATON_INTEROP_H
#define BATON_INTEROP_H

#include <cuda_runtime_api.h>
#include <vulkan/vulkan.h>

#include "baton/context.h"
#include "baton/sem_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

VkInstance baton_context_vk_instance(const baton_context *ctx);
VkPhysicalDevice baton_context_vk_physical_device(const baton_context *ctx);
VkDevice baton_context_vk_device(const baton_context *ctx);
VkQueue baton_context_vk_queue(const baton_context *ctx);
uint32_t baton_context_vk_queue_family(const baton_context *ctx);

/* The Vulkan semaphore of pool entry index (VK_NULL_HANDLE if out of range). */
VkSemaphore baton_sem_pool_vk(const baton_sem_pool *pool, uint32_t index);
/* The CUDA external semaphore of entry index (NULL when not shared or out of range). */
cudaExternalSemaphore_t baton_sem_pool_cuda(const baton_sem_pool *pool, uint32_t index);

#ifdef __cplusplus
}
#endif

#endif
