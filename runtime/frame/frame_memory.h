/* frame_memory.h - one slot's RGBA8 frame memory, allocated by Vulkan and
 * (with the CUDA stage) exported to CUDA once; and host-visible buffers. */
#ifndef BATON_FRAME_MEMORY_H
#define BATON_FRAME_MEMORY_H

#include <stdbool.h>

#include <cuda_runtime_api.h>
#include <vulkan/vulkan.h>

#include "baton/error.h"
#include "core/context_internal.h"

/* One slot's memory that both APIs see: a Vulkan buffer of RGBA8 rows. */
typedef struct frame_memory {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;       /* allocation size (what CUDA imports) */
    VkDeviceSize bytes;      /* pitch * height */
    bool dedicated;
    void *host;              /* mapped pointer (CPU stage), else NULL */
    cudaExternalMemory_t ext;/* CUDA stage: the imported allocation */
    void *device;            /* CUDA stage: mapped device pointer */
} frame_memory;

/* Create one slot's memory: exported and imported into CUDA (shared) or
 * host-visible and mapped (CPU stage). The exported fd belongs to CUDA after
 * a successful import and is closed here, once, after a failed one. Unwinds
 * fully on error. */
baton_status frame_memory_create(baton_context *ctx, VkDeviceSize bytes, bool shared,
                                 frame_memory *m, baton_error *err);
/* Safe on a zeroed or partly created m; leaves it zeroed. */
void frame_memory_destroy(baton_context *ctx, frame_memory *m);

/* A host-visible, coherent, mapped buffer (e.g. for reading displayed
 * frames back). Unwinds fully on error. */
baton_status host_buffer_create(baton_context *ctx, VkDeviceSize bytes, VkBufferUsageFlags usage,
                                VkBuffer *buffer, VkDeviceMemory *memory, void **mapped,
                                baton_error *err);
/* The first memory type allowed by type_bits with every property in want, or -1. */
int find_memory_type(const baton_context *ctx, uint32_t type_bits, VkMemoryPropertyFlags want);

#endif
