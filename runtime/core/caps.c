/* caps.c - baton_probe() and the pure decisions made from a baton_caps. */
#include <stdio.h>
#include <string.h>

#include "baton/caps.h"
#include "core/probe.h"
#include "core/vk_util.h"

baton_status baton_probe(int cuda_device, baton_compute_mode compute, baton_caps *caps,
                         baton_error *err)
{
    if (!caps)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_probe: caps is NULL");
    memset(caps, 0, sizeof *caps);
    caps->vk_selected = -1;
    if (compute == BATON_COMPUTE_CPU) {
        caps->cuda_device = cuda_device;
        snprintf(caps->cuda_error, sizeof caps->cuda_error, "CUDA not asked (CPU compute stage)");
    } else {
        baton_probe_cuda(cuda_device, caps);
    }
    baton_probe_vulkan(caps);
    baton_compute_mode chosen;
    int index;
    if (baton_caps_choose_compute(caps, compute, &chosen, NULL) == BATON_OK &&
        baton_caps_choose_device(caps, chosen, &index, NULL) == BATON_OK)
        caps->vk_selected = index;
    baton_error_clear(err);
    return BATON_OK;
}

baton_status baton_caps_choose_compute(const baton_caps *caps, baton_compute_mode requested,
                                       baton_compute_mode *chosen, baton_error *err)
{
    switch (requested) {
    case BATON_COMPUTE_CPU:
        *chosen = BATON_COMPUTE_CPU;
        return BATON_OK;
    case BATON_COMPUTE_AUTO:
        *chosen = caps->cuda_present ? BATON_COMPUTE_CUDA : BATON_COMPUTE_CPU;
        return BATON_OK;
    case BATON_COMPUTE_CUDA:
        if (!caps->cuda_present)
            return baton_error_set(err, BATON_ERR_NO_CUDA_DEVICE, "no CUDA device: %s",
                                   caps->cuda_error);
        *chosen = BATON_COMPUTE_CUDA;
        return BATON_OK;
    }
    return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "unknown compute mode %d",
                           (int)requested);
}

const char *baton_uuid_format(const uint8_t uuid[BATON_UUID_SIZE], char buf[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < BATON_UUID_SIZE; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            buf[o++] = '-';
        buf[o++] = hex[uuid[i] >> 4];
        buf[o++] = hex[uuid[i] & 15];
    }
    buf[o] = '\0';
    return buf;
}

baton_status baton_caps_choose_device(const baton_caps *caps, baton_compute_mode compute,
                                      int *index, baton_error *err)
{
    if (!caps->vk_present)
        return baton_error_set(err, BATON_ERR_NO_VULKAN, "%s", caps->vk_error);
    if (caps->vk_device_count == 0)
        return baton_error_set(err, BATON_ERR_NO_VULKAN, "%s",
                               caps->vk_error[0] ? caps->vk_error : "no Vulkan physical device");
    if (compute != BATON_COMPUTE_CUDA) {
        *index = 0;
        return BATON_OK;
    }
    for (uint32_t i = 0; i < caps->vk_device_count; i++) {
        if (memcmp(caps->vk_devices[i].uuid, caps->cuda_uuid, BATON_UUID_SIZE) == 0) {
            *index = (int)i;
            return BATON_OK;
        }
    }
    char list[BATON_ERROR_MESSAGE_MAX / 2] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < caps->vk_device_count && used < sizeof list; i++) {
        char u[37];
        int w = snprintf(list + used, sizeof list - used, "%s[%u] %s %s", i ? ", " : "", i,
                         caps->vk_devices[i].name, baton_uuid_format(caps->vk_devices[i].uuid, u));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    char cu[37], hint[768];
    baton_vk_icd_hint(hint, sizeof hint);
    return baton_error_set(err, BATON_ERR_NO_MATCHING_DEVICE,
                           "no Vulkan device has the UUID of CUDA device %d (%s %s); "
                           "Vulkan devices: %s%s%s",
                           caps->cuda_device, caps->cuda_name,
                           baton_uuid_format(caps->cuda_uuid, cu), list, hint[0] ? "; " : "", hint);
}

bool baton_caps_needs_export(baton_compute_mode compute)
{
    return compute == BATON_COMPUTE_CUDA;
}

/* Why timeline interop is impossible, or NULL when it is possible. */
static const char *timeline_missing(const baton_caps *caps, const baton_vk_device_info *d,
                                    bool exported)
{
    if (!d->timeline)
        return "the Vulkan device has no timelineSemaphore feature";
    if (!exported)
        return NULL;
    if (!d->ext_semaphore_fd)
        return "the Vulkan device lacks VK_KHR_external_semaphore_fd";
    if (!d->timeline_fd_exportable)
        return "the Vulkan device cannot export timeline semaphores as OPAQUE_FD";
    if (!caps->cuda_timeline_interop)
        return "CUDA reports cudaDevAttrTimelineSemaphoreInteropSupported = 0";
    return NULL;
}

static const char *binary_missing(const baton_vk_device_info *d, bool exported)
{
    if (!exported)
        return NULL;
    if (!d->ext_semaphore_fd)
        return "the Vulkan device lacks VK_KHR_external_semaphore_fd";
    if (!d->binary_fd_exportable)
        return "the Vulkan device cannot export binary semaphores as OPAQUE_FD";
    return NULL;
}

baton_status baton_caps_choose_sync(const baton_caps *caps, int device,
                                    baton_compute_mode compute, baton_sync_mode requested,
                                    baton_sync_mode *chosen, baton_error *err)
{
    if (device < 0 || (uint32_t)device >= caps->vk_device_count)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "Vulkan device index %d out of range (%u devices)", device,
                               caps->vk_device_count);
    const baton_vk_device_info *d = &caps->vk_devices[device];
    bool exported = baton_caps_needs_export(compute);
    const char *no_tl = timeline_missing(caps, d, exported);
    const char *no_bin = binary_missing(d, exported);
    switch (requested) {
    case BATON_SYNC_AUTO:
        if (!no_tl || !no_bin) {
            *chosen = no_tl ? BATON_SYNC_BINARY : BATON_SYNC_TIMELINE;
            return BATON_OK;
        }
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "%s cannot share semaphores with CUDA: timeline: %s; binary: %s",
                               d->name, no_tl, no_bin);
    case BATON_SYNC_TIMELINE:
        if (no_tl)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "timeline sync requested but %s (%s)", no_tl, d->name);
        *chosen = BATON_SYNC_TIMELINE;
        return BATON_OK;
    case BATON_SYNC_BINARY:
        if (no_bin)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "binary sync requested but %s (%s)", no_bin, d->name);
        *chosen = BATON_SYNC_BINARY;
        return BATON_OK;
    }
    return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "unknown sync mode %d",
                           (int)requested);
}

baton_upload_path baton_caps_upload_path(const baton_caps *caps)
{
    return caps->cuda_integrated ? BATON_UPLOAD_ZERO_COPY : BATON_UPLOAD_PINNED_COPY;
}

const char *baton_upload_path_name(baton_upload_path path)
{
    return path == BATON_UPLOAD_ZERO_COPY ? "zero-copy (integrated GPU shares host memory)"
                                          : "pinned staging + copy (discrete GPU)";
}
