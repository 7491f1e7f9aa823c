/* bench_gpu.c - raw Vulkan / CUDA objects for the baseline loops, made on a
 * baton_context through the public and interop API only. */
#include "bench_gpu.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/caps.h"
#include "bench_common.h"

const char *bench_vk_result_name(VkResult r)
{
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_INVALID_EXTERNAL_HANDLE: return "VK_ERROR_INVALID_EXTERNAL_HANDLE";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "VkResult(other)";
    }
}

baton_status bench_vk_fail(baton_error *err, const char *call, VkResult r)
{
    return baton_error_set(err, r == VK_TIMEOUT ? BATON_ERR_TIMEOUT : BATON_ERR_VULKAN,
                           "%s failed: %s (%d)", call, bench_vk_result_name(r), (int)r);
}

baton_status bench_cuda_fail(baton_error *err, const char *call, cudaError_t e)
{
    return baton_error_set(err, BATON_ERR_CUDA, "%s failed: %s", call, cudaGetErrorName(e));
}

baton_status bench_gpu_init(bench_gpu *g, baton_context *ctx, baton_error *err)
{
    memset(g, 0, sizeof *g);
    g->ctx = ctx;
    g->dev = baton_context_vk_device(ctx);
    g->queue = baton_context_vk_queue(ctx);
    g->queue_family = baton_context_vk_queue_family(ctx);
    vkGetPhysicalDeviceMemoryProperties(baton_context_vk_physical_device(ctx), &g->memory);
    g->cuda = baton_context_compute(ctx) == BATON_COMPUTE_CUDA;
    if (!g->cuda)
        return BATON_OK;
    g->zero_copy = baton_caps_upload_path(baton_context_caps(ctx)) == BATON_UPLOAD_ZERO_COPY;
    g->get_memory_fd = (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(g->dev, "vkGetMemoryFdKHR");
    if (!g->get_memory_fd)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "vkGetMemoryFdKHR unavailable (VK_KHR_external_memory_fd not "
                               "enabled on %s)", baton_context_device_name(ctx));
    return BATON_OK;
}

static int memory_type(const bench_gpu *g, uint32_t bits, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < g->memory.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (g->memory.memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

static baton_status import_memory(const bench_gpu *g, bench_frame_mem *m, VkDeviceSize size,
                                  VkDeviceSize bytes, bool dedicated, baton_error *err)
{
    VkMemoryGetFdInfoKHR fi = {.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
                               .memory = m->memory,
                               .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    int fd = -1;
    VkResult r = g->get_memory_fd(g->dev, &fi, &fd);
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkGetMemoryFdKHR", r);
    struct cudaExternalMemoryHandleDesc desc;
    memset(&desc, 0, sizeof desc);
    desc.type = cudaExternalMemoryHandleTypeOpaqueFd;
    desc.handle.fd = fd;
    desc.size = size;
    desc.flags = dedicated ? cudaExternalMemoryDedicated : 0;
    cudaError_t e = cudaImportExternalMemory(&m->ext, &desc);
    if (e != cudaSuccess) {
        close(fd); /* CUDA took it only on success */
        m->ext = NULL;
        return bench_cuda_fail(err, "cudaImportExternalMemory", e);
    }
    struct cudaExternalMemoryBufferDesc bd;
    memset(&bd, 0, sizeof bd);
    bd.size = bytes;
    e = cudaExternalMemoryGetMappedBuffer(&m->device, m->ext, &bd);
    if (e != cudaSuccess) {
        m->device = NULL;
        return bench_cuda_fail(err, "cudaExternalMemoryGetMappedBuffer", e);
    }
    return BATON_OK;
}

baton_status bench_frame_mem_create(const bench_gpu *g, VkDeviceSize bytes, bench_frame_mem *m,
                                    baton_error *err)
{
    memset(m, 0, sizeof *m);
    VkExternalMemoryBufferCreateInfo ext = {
        .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
        .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .pNext = g->cuda ? &ext : NULL,
                             .size = bytes,
                             .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                                      VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    baton_status st = BATON_OK;
    VkResult r = vkCreateBuffer(g->dev, &bi, NULL, &m->buffer);
    if (r != VK_SUCCESS) {
        m->buffer = VK_NULL_HANDLE;
        return bench_vk_fail(err, "vkCreateBuffer(frame)", r);
    }
    VkMemoryDedicatedRequirements ded = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
    VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded};
    VkBufferMemoryRequirementsInfo2 ri = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2, .buffer = m->buffer};
    vkGetBufferMemoryRequirements2(g->dev, &ri, &req);
    VkMemoryPropertyFlags want = g->cuda ? VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
                                         : VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                               VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    int type = memory_type(g, req.memoryRequirements.memoryTypeBits, want);
    if (type < 0) {
        st = baton_error_set(err, BATON_ERR_UNSUPPORTED, "no memory type 0x%x for the frame buffer",
                             (unsigned)want);
        goto fail;
    }
    bool dedicated = g->cuda && (ded.requiresDedicatedAllocation || ded.prefersDedicatedAllocation);
    VkMemoryDedicatedAllocateInfo dai = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
                                         .buffer = m->buffer};
    VkExportMemoryAllocateInfo exp = {.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                      .pNext = dedicated ? &dai : NULL,
                                      .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .pNext = g->cuda ? &exp : NULL,
                               .allocationSize = req.memoryRequirements.size,
                               .memoryTypeIndex = (uint32_t)type};
    if ((r = vkAllocateMemory(g->dev, &ai, NULL, &m->memory)) != VK_SUCCESS) {
        m->memory = VK_NULL_HANDLE;
        st = bench_vk_fail(err, "vkAllocateMemory(frame)", r);
        goto fail;
    }
    if ((r = vkBindBufferMemory(g->dev, m->buffer, m->memory, 0)) != VK_SUCCESS) {
        st = bench_vk_fail(err, "vkBindBufferMemory(frame)", r);
        goto fail;
    }
    if (g->cuda)
        st = import_memory(g, m, req.memoryRequirements.size, bytes, dedicated, err);
    else if ((r = vkMapMemory(g->dev, m->memory, 0, VK_WHOLE_SIZE, 0, &m->host)) != VK_SUCCESS) {
        m->host = NULL;
        st = bench_vk_fail(err, "vkMapMemory(frame)", r);
    }
    if (st == BATON_OK)
        return BATON_OK;
fail:
    bench_frame_mem_destroy(g, m);
    return st;
}

void bench_frame_mem_destroy(const bench_gpu *g, bench_frame_mem *m)
{
    if (m->device)
        cudaFree(m->device); /* a mapped buffer is freed with cudaFree */
    if (m->ext)
        cudaDestroyExternalMemory(m->ext);
    if (m->buffer)
        vkDestroyBuffer(g->dev, m->buffer, NULL);
    if (m->memory)
        vkFreeMemory(g->dev, m->memory, NULL); /* unmaps too */
    memset(m, 0, sizeof *m);
}

baton_status bench_staging_create(const bench_gpu *g, size_t bytes, bench_staging *s,
                                  baton_error *err)
{
    memset(s, 0, sizeof *s);
    if (!g->cuda) {
        s->host = malloc(bytes);
        if (!s->host)
            return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "malloc(%zu) for staging failed",
                                   bytes);
        return BATON_OK;
    }
    cudaError_t e = cudaHostAlloc((void **)&s->host, bytes,
                                  g->zero_copy ? cudaHostAllocMapped : cudaHostAllocDefault);
    if (e != cudaSuccess) {
        s->host = NULL;
        return bench_cuda_fail(err, "cudaHostAlloc(staging)", e);
    }
    s->pinned = true;
    if (g->zero_copy) {
        e = cudaHostGetDevicePointer(&s->device, s->host, 0);
    } else {
        e = cudaMalloc(&s->device, bytes);
        s->device_owned = e == cudaSuccess;
    }
    if (e != cudaSuccess) {
        s->device = NULL;
        bench_staging_destroy(s);
        return bench_cuda_fail(err, g->zero_copy ? "cudaHostGetDevicePointer" : "cudaMalloc(upload)",
                               e);
    }
    return BATON_OK;
}

void bench_staging_destroy(bench_staging *s)
{
    if (s->device_owned)
        cudaFree(s->device);
    if (s->pinned)
        cudaFreeHost(s->host);
    else
        free(s->host);
    memset(s, 0, sizeof *s);
}

baton_status bench_target_create(const bench_gpu *g, uint32_t width, uint32_t height,
                                 bench_target *t, baton_error *err)
{
    memset(t, 0, sizeof *t);
    VkImageCreateInfo ii = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = VK_FORMAT_R8G8B8A8_UNORM,
        .extent = {width, height, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
    };
    VkResult r = vkCreateImage(g->dev, &ii, NULL, &t->image);
    if (r != VK_SUCCESS) {
        t->image = VK_NULL_HANDLE;
        return bench_vk_fail(err, "vkCreateImage(target)", r);
    }
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(g->dev, t->image, &req);
    int type = memory_type(g, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type < 0)
        type = memory_type(g, req.memoryTypeBits, 0);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size, .memoryTypeIndex = (uint32_t)type};
    baton_status st = BATON_OK;
    if (type < 0)
        st = baton_error_set(err, BATON_ERR_UNSUPPORTED, "no memory type for the target image");
    else if ((r = vkAllocateMemory(g->dev, &ai, NULL, &t->memory)) != VK_SUCCESS) {
        t->memory = VK_NULL_HANDLE;
        st = bench_vk_fail(err, "vkAllocateMemory(target)", r);
    } else if ((r = vkBindImageMemory(g->dev, t->image, t->memory, 0)) != VK_SUCCESS)
        st = bench_vk_fail(err, "vkBindImageMemory(target)", r);
    if (st != BATON_OK)
        bench_target_destroy(g, t);
    return st;
}

void bench_target_destroy(const bench_gpu *g, bench_target *t)
{
    if (t->image)
        vkDestroyImage(g->dev, t->image, NULL);
    if (t->memory)
        vkFreeMemory(g->dev, t->memory, NULL);
    memset(t, 0, sizeof *t);
}

baton_status bench_commands_create(const bench_gpu *g, uint32_t count, VkCommandPool *pool,
                                   VkCommandBuffer *cmds, baton_error *err)
{
    VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .queueFamilyIndex = g->queue_family};
    VkResult r = vkCreateCommandPool(g->dev, &pi, NULL, pool);
    if (r != VK_SUCCESS) {
        *pool = VK_NULL_HANDLE;
        return bench_vk_fail(err, "vkCreateCommandPool", r);
    }
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = *pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = count};
    if ((r = vkAllocateCommandBuffers(g->dev, &ai, cmds)) != VK_SUCCESS) {
        vkDestroyCommandPool(g->dev, *pool, NULL);
        *pool = VK_NULL_HANDLE;
        return bench_vk_fail(err, "vkAllocateCommandBuffers", r);
    }
    return BATON_OK;
}

static void ownership(const bench_gpu *g, VkCommandBuffer cmd, VkBuffer buf, bool acquire)
{
    if (!g->cuda)
        return;
    VkBufferMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
        .srcAccessMask = acquire ? 0 : VK_ACCESS_TRANSFER_READ_BIT,
        .dstAccessMask = acquire ? VK_ACCESS_TRANSFER_READ_BIT : 0,
        .srcQueueFamilyIndex = acquire ? VK_QUEUE_FAMILY_EXTERNAL : g->queue_family,
        .dstQueueFamilyIndex = acquire ? g->queue_family : VK_QUEUE_FAMILY_EXTERNAL,
        .buffer = buf,
        .offset = 0,
        .size = VK_WHOLE_SIZE,
    };
    vkCmdPipelineBarrier(cmd,
                         acquire ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT : VK_PIPELINE_STAGE_TRANSFER_BIT,
                         acquire ? VK_PIPELINE_STAGE_TRANSFER_BIT : VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                         0, 0, NULL, 1, &b, 0, NULL);
}

baton_status bench_record_copy(const bench_gpu *g, VkCommandBuffer cmd, VkBuffer src,
                               const bench_target *t, uint32_t width, uint32_t height,
                               baton_error *err)
{
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult r = vkBeginCommandBuffer(cmd, &bi);
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkBeginCommandBuffer", r);
    ownership(g, cmd, src, true);
    VkImageMemoryBarrier ib = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
        .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .image = t->image,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1},
    };
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                         NULL, 0, NULL, 1, &ib);
    VkBufferImageCopy region = {
        .bufferOffset = 0,
        .bufferRowLength = width,
        .bufferImageHeight = height,
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .imageExtent = {width, height, 1},
    };
    vkCmdCopyBufferToImage(cmd, src, t->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
    ownership(g, cmd, src, false);
    if ((r = vkEndCommandBuffer(cmd)) != VK_SUCCESS)
        return bench_vk_fail(err, "vkEndCommandBuffer", r);
    return BATON_OK;
}

baton_status bench_fence_create(const bench_gpu *g, VkFence *f, baton_error *err)
{
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkResult r = vkCreateFence(g->dev, &fi, NULL, f);
    if (r != VK_SUCCESS) {
        *f = VK_NULL_HANDLE;
        return bench_vk_fail(err, "vkCreateFence", r);
    }
    return BATON_OK;
}

baton_status bench_fence_wait(const bench_gpu *g, VkFence f, uint32_t timeout_ms,
                              const char *what, baton_error *err)
{
    VkResult r = vkWaitForFences(g->dev, 1, &f, VK_TRUE, (uint64_t)timeout_ms * 1000000u);
    if (r == VK_TIMEOUT)
        return baton_error_set(err, BATON_ERR_TIMEOUT, "%s: fence not signalled within %u ms",
                               what, timeout_ms);
    if (r != VK_SUCCESS)
        return bench_vk_fail(err, "vkWaitForFences", r);
    return BATON_OK;
}

baton_status bench_stream_idle(cudaStream_t stream, uint32_t timeout_ms, const char *what,
                               baton_error *err)
{
    uint64_t end = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        cudaError_t e = cudaStreamQuery(stream);
        if (e == cudaSuccess)
            return BATON_OK;
        if (e != cudaErrorNotReady)
            return bench_cuda_fail(err, "cudaStreamQuery", e);
        if (bench_now_ns() > end)
            return baton_error_set(err, BATON_ERR_TIMEOUT, "%s: CUDA stream not idle within %u ms",
                                   what, timeout_ms);
    }
}

VkResult bench_host_signal(const bench_gpu *g, VkSemaphore sem, uint64_t value)
{
    VkSemaphoreSignalInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                .semaphore = sem, .value = value};
    return vkSignalSemaphore(g->dev, &si);
}
