/* frame_memory.c - slot memory allocated by Vulkan, exported to CUDA once. */
#include <string.h>
#include <unistd.h>

#include "frame/frame_memory.h"
#include "core/vk_util.h"
#include "util/fault.h"

int find_memory_type(const baton_context *ctx, uint32_t type_bits, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < ctx->memory.memoryTypeCount; i++)
        if ((type_bits & (1u << i)) && (ctx->memory.memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

static baton_status create_buffer(baton_context *ctx, VkDeviceSize bytes, VkBufferUsageFlags usage,
                                  bool exportable, VkBuffer *out, baton_error *err)
{
    VkExternalMemoryBufferCreateInfo ext = {
        .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
        .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
    };
    VkBufferCreateInfo bi = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .pNext = exportable ? &ext : NULL,
        .size = bytes,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult r = BATON_FAULT_VK(vkCreateBuffer(ctx->device, &bi, NULL, out));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateBuffer", r);
    baton_count_vk(ctx);
    return BATON_OK;
}

/* Allocate and bind memory for buf, sized and aligned as the driver says. */
static baton_status bind_memory(baton_context *ctx, VkBuffer buf, VkMemoryPropertyFlags want,
                                bool exportable, frame_memory *m, baton_error *err)
{
    VkMemoryDedicatedRequirements ded = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
    VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded};
    VkBufferMemoryRequirementsInfo2 ri = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2, .buffer = buf};
    vkGetBufferMemoryRequirements2(ctx->device, &ri, &req);
    int type = find_memory_type(ctx, req.memoryRequirements.memoryTypeBits, want);
    if (type < 0)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "no Vulkan memory type with properties 0x%x for a %llu-byte buffer",
                               (unsigned)want, (unsigned long long)req.memoryRequirements.size);
    m->dedicated = exportable && (ded.requiresDedicatedAllocation || ded.prefersDedicatedAllocation);
    VkMemoryDedicatedAllocateInfo dai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO, .buffer = buf};
    VkExportMemoryAllocateInfo exp = {
        .sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
        .pNext = m->dedicated ? &dai : NULL,
        .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
    };
    VkMemoryAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = exportable ? &exp : NULL,
        .allocationSize = req.memoryRequirements.size,
        .memoryTypeIndex = (uint32_t)type,
    };
    VkResult r = BATON_FAULT_VK(vkAllocateMemory(ctx->device, &ai, NULL, &m->memory));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkAllocateMemory", r);
    baton_count_vk(ctx);
    m->size = req.memoryRequirements.size;
    r = BATON_FAULT_VK(vkBindBufferMemory(ctx->device, buf, m->memory, 0));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkBindBufferMemory", r);
    return BATON_OK;
}

/* Export the allocation and import it into CUDA; the fd is CUDA's after a
 * successful import and closed here, once, after a failed one. */
static baton_status import_into_cuda(baton_context *ctx, frame_memory *m, baton_error *err)
{
    if (!ctx->get_memory_fd)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "cannot export frame memory: VK_KHR_external_memory_fd missing");
    int fd = -1;
    VkMemoryGetFdInfoKHR gi = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
        .memory = m->memory,
        .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
    };
    VkResult r = BATON_FAULT_VK_AS("vkGetMemoryFdKHR", ctx->get_memory_fd(ctx->device, &gi, &fd));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetMemoryFdKHR", r);
    struct cudaExternalMemoryHandleDesc desc;
    memset(&desc, 0, sizeof desc);
    desc.type = cudaExternalMemoryHandleTypeOpaqueFd;
    desc.handle.fd = fd;
    desc.size = m->size;
    desc.flags = m->dedicated ? cudaExternalMemoryDedicated : 0;
    cudaError_t e = BATON_FAULT_CUDA(cudaImportExternalMemory(&m->ext, &desc));
    if (e != cudaSuccess) {
        close(fd);
        m->ext = NULL;
        return baton_error_set(err, BATON_ERR_CUDA, "cudaImportExternalMemory failed: %s",
                               cudaGetErrorName(e));
    }
    baton_count_cuda(ctx);
    struct cudaExternalMemoryBufferDesc bd = {.offset = 0, .size = m->bytes, .flags = 0};
    e = BATON_FAULT_CUDA(cudaExternalMemoryGetMappedBuffer(&m->device, m->ext, &bd));
    if (e != cudaSuccess)
        return baton_error_set(err, BATON_ERR_CUDA, "cudaExternalMemoryGetMappedBuffer failed: %s",
                               cudaGetErrorName(e));
    baton_count_cuda(ctx);
    return BATON_OK;
}

baton_status frame_memory_create(baton_context *ctx, VkDeviceSize bytes, bool shared,
                                 frame_memory *m, baton_error *err)
{
    memset(m, 0, sizeof *m);
    m->bytes = bytes;
    VkBufferUsageFlags usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                               VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    VkMemoryPropertyFlags want = shared ? VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
                                        : VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                              VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    baton_status st = create_buffer(ctx, bytes, usage, shared, &m->buffer, err);
    if (st == BATON_OK)
        st = bind_memory(ctx, m->buffer, want, shared, m, err);
    if (st == BATON_OK && shared)
        st = import_into_cuda(ctx, m, err);
    if (st == BATON_OK && !shared) {
        VkResult r = BATON_FAULT_VK(vkMapMemory(ctx->device, m->memory, 0, VK_WHOLE_SIZE, 0, &m->host));
        if (r != VK_SUCCESS)
            st = baton_vk_fail(err, "vkMapMemory", r);
    }
    if (st != BATON_OK)
        frame_memory_destroy(ctx, m);
    return st;
}

void frame_memory_destroy(baton_context *ctx, frame_memory *m)
{
    if (m->device)
        BATON_DESTROYED_CUDA(cudaFree(m->device)); /* a mapped buffer is freed with cudaFree */
    if (m->ext)
        BATON_DESTROYED_CUDA(cudaDestroyExternalMemory(m->ext));
    if (m->buffer)
        BATON_DESTROYED_VK(vkDestroyBuffer(ctx->device, m->buffer, NULL));
    if (m->memory)
        BATON_DESTROYED_VK(vkFreeMemory(ctx->device, m->memory, NULL)); /* unmaps too */
    memset(m, 0, sizeof *m);
}

baton_status host_buffer_create(baton_context *ctx, VkDeviceSize bytes, VkBufferUsageFlags usage,
                                VkBuffer *buffer, VkDeviceMemory *memory, void **mapped,
                                baton_error *err)
{
    frame_memory m;
    memset(&m, 0, sizeof m);
    m.bytes = bytes;
    baton_status st = create_buffer(ctx, bytes, usage, false, &m.buffer, err);
    if (st == BATON_OK)
        st = bind_memory(ctx, m.buffer,
                         VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                         false, &m, err);
    if (st == BATON_OK) {
        VkResult r = BATON_FAULT_VK(vkMapMemory(ctx->device, m.memory, 0, VK_WHOLE_SIZE, 0, mapped));
        if (r != VK_SUCCESS)
            st = baton_vk_fail(err, "vkMapMemory", r);
    }
    if (st != BATON_OK) {
        frame_memory_destroy(ctx, &m);
        return st;
    }
    *buffer = m.buffer;
    *memory = m.memory;
    return BATON_OK;
}
