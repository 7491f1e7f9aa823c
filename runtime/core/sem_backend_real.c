/* sem_backend_real.c - the semaphore pool's calls into Vulkan and CUDA. */
#include <unistd.h>

#include "core/context_internal.h"
#include "core/sem_backend.h"
#include "core/vk_util.h"
#include "util/fault.h"

static baton_status real_create(void *user, baton_sem_kind kind, bool exportable,
                                VkSemaphore *out, baton_error *err)
{
    baton_context *ctx = user;
    VkExportSemaphoreCreateInfo exp = {
        .sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
        .handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT,
    };
    VkSemaphoreTypeCreateInfo type = {
        .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
        .pNext = exportable ? &exp : NULL,
        .semaphoreType = kind == BATON_SEM_TIMELINE ? VK_SEMAPHORE_TYPE_TIMELINE
                                                    : VK_SEMAPHORE_TYPE_BINARY,
        .initialValue = 0,
    };
    VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &type};
    VkResult r = BATON_FAULT_VK(vkCreateSemaphore(ctx->device, &ci, NULL, out));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkCreateSemaphore", r);
    baton_count_vk(ctx);
    return BATON_OK;
}

static baton_status real_export(void *user, VkSemaphore sem, int *fd, baton_error *err)
{
    baton_context *ctx = user;
    VkSemaphoreGetFdInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
        .semaphore = sem,
        .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT,
    };
    VkResult r = BATON_FAULT_VK_AS("vkGetSemaphoreFdKHR", ctx->get_semaphore_fd(ctx->device, &info, fd));
    if (r != VK_SUCCESS)
        return baton_vk_fail(err, "vkGetSemaphoreFdKHR", r);
    return BATON_OK;
}

static baton_status real_import(void *user, baton_sem_kind kind, int fd,
                                cudaExternalSemaphore_t *out, baton_error *err)
{
    baton_context *ctx = user;
    struct cudaExternalSemaphoreHandleDesc desc = {
        .type = kind == BATON_SEM_TIMELINE ? cudaExternalSemaphoreHandleTypeTimelineSemaphoreFd
                                           : cudaExternalSemaphoreHandleTypeOpaqueFd,
        .handle.fd = fd,
    };
    cudaError_t e = BATON_FAULT_CUDA(cudaImportExternalSemaphore(out, &desc));
    if (e != cudaSuccess)
        return baton_error_set(err, BATON_ERR_CUDA, "cudaImportExternalSemaphore(%s fd) failed: %s",
                               kind == BATON_SEM_TIMELINE ? "timeline" : "opaque", cudaGetErrorName(e));
    baton_count_cuda(ctx);
    return BATON_OK;
}

static void real_destroy_imported(void *user, cudaExternalSemaphore_t ext)
{
    (void)user;
    BATON_DESTROYED_CUDA(cudaDestroyExternalSemaphore(ext));
}

static void real_destroy(void *user, VkSemaphore sem)
{
    baton_context *ctx = user;
    BATON_DESTROYED_VK(vkDestroySemaphore(ctx->device, sem, NULL));
}

static int real_close(void *user, int fd)
{
    (void)user;
    return close(fd);
}

baton_sem_backend baton_sem_backend_real(baton_context *ctx)
{
    return (baton_sem_backend){
        .user = ctx,
        .create = real_create,
        .export_fd = real_export,
        .import = real_import,
        .destroy_imported = real_destroy_imported,
        .destroy = real_destroy,
        .close_fd = real_close,
    };
}
