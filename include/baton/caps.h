/* baton/caps.h - what the machine can do, and the choices baton makes from it.
 *
 * baton_probe() fills a baton_caps without creating a Vulkan device or any
 * semaphore: it asks CUDA for its device (name, UUID, integrated, timeline
 * interop) and Vulkan for every physical device (UUID, extensions, what
 * vkGetPhysicalDeviceExternalSemaphoreProperties says of OPAQUE_FD for
 * binary and timeline semaphores). The decision functions are pure: they
 * read a baton_caps and decide, so tests can feed them any capability set.
 */
#ifndef BATON_CAPS_H
#define BATON_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BATON_UUID_SIZE 16
#define BATON_MAX_VK_DEVICES 8
#define BATON_NAME_MAX 256

typedef struct baton_vk_device_info {
    char name[BATON_NAME_MAX];
    uint8_t uuid[BATON_UUID_SIZE];
    uint32_t api_version;      /* VK_MAKE_API_VERSION encoded */
    uint32_t driver_version;   /* vendor encoded */
    uint32_t vendor_id, device_id;
    bool ext_semaphore_fd;     /* VK_KHR_external_semaphore_fd */
    bool ext_memory_fd;        /* VK_KHR_external_memory_fd */
    bool timeline;             /* timelineSemaphore feature */
    bool binary_fd_exportable, binary_fd_importable;     /* OPAQUE_FD */
    bool timeline_fd_exportable, timeline_fd_importable; /* OPAQUE_FD */
} baton_vk_device_info;

typedef struct baton_caps {
    /* CUDA */
    bool cuda_present;           /* a CUDA device was opened */
    char cuda_error[BATON_NAME_MAX]; /* why not, when !cuda_present */
    int cuda_device;
    char cuda_name[BATON_NAME_MAX];
    uint8_t cuda_uuid[BATON_UUID_SIZE];
    int cuda_driver_version, cuda_runtime_version; /* 13000 = 13.0 */
    int cuda_cc_major, cuda_cc_minor;
    bool cuda_integrated;        /* cudaDeviceProp.integrated */
    bool cuda_timeline_interop;  /* cudaDevAttrTimelineSemaphoreInteropSupported */
    /* Vulkan */
    bool vk_present;             /* an instance was created */
    char vk_error[BATON_ERROR_MESSAGE_MAX]; /* why not (with the fix, if known) */
    uint32_t vk_instance_version;
    uint32_t vk_device_count;
    baton_vk_device_info vk_devices[BATON_MAX_VK_DEVICES];
    int vk_selected;             /* index into vk_devices, -1 when none */
} baton_caps;

/* Fill caps. cuda_device is the CUDA ordinal to describe; compute picks
 * whether CUDA is asked at all (BATON_COMPUTE_CPU skips it). A missing CUDA
 * device or Vulkan instance is not an error here: it is recorded in caps
 * (cuda_error / vk_error). vk_selected is the device whose UUID equals the
 * CUDA UUID, or with no CUDA, device 0. Returns BATON_OK unless an argument
 * is invalid. Thread-safe only if the CUDA and Vulkan loaders are. */
baton_status baton_probe(int cuda_device, baton_compute_mode compute,
                         baton_caps *caps, baton_error *err);

/* The compute stage to use: CUDA when requested or (AUTO) when a CUDA
 * device is present; CPU when requested or (AUTO) when not. CUDA requested
 * without a device gives BATON_ERR_NO_CUDA_DEVICE with CUDA's reason. */
baton_status baton_caps_choose_compute(const baton_caps *caps, baton_compute_mode requested,
                                       baton_compute_mode *chosen, baton_error *err);

/* The Vulkan device to use: with CUDA, the one whose deviceUUID equals the
 * CUDA device's UUID (BATON_ERR_NO_MATCHING_DEVICE naming both lists when
 * none does); with the CPU stage, device 0. BATON_ERR_NO_VULKAN when there
 * is no instance or no device. */
baton_status baton_caps_choose_device(const baton_caps *caps, baton_compute_mode compute,
                                      int *index, baton_error *err);

/* The sync mode for the chosen device and compute stage. With CUDA,
 * timeline needs the timelineSemaphore feature, VK_KHR_external_semaphore_fd,
 * timeline OPAQUE_FD export and CUDA timeline interop; binary needs the
 * extension and binary OPAQUE_FD export. With the CPU stage nothing is
 * exported: timeline needs the feature, binary always works. AUTO prefers
 * timeline. An explicit request the device cannot honour gives
 * BATON_ERR_UNSUPPORTED naming what is missing. */
baton_status baton_caps_choose_sync(const baton_caps *caps, int device,
                                    baton_compute_mode compute, baton_sync_mode requested,
                                    baton_sync_mode *chosen, baton_error *err);

/* Whether semaphores must be exported to CUDA at all. */
bool baton_caps_needs_export(baton_compute_mode compute);

/* Where frames go on their way to the GPU, decided from cudaDeviceProp
 * .integrated in this one place: integrated GPUs (Jetson) share memory with
 * the CPU, so the source writes straight into memory the GPU reads; discrete
 * GPUs stage through pinned host memory and copy. */
typedef enum baton_upload_path {
    BATON_UPLOAD_PINNED_COPY = 0, /* discrete: pinned host staging + cudaMemcpyAsync */
    BATON_UPLOAD_ZERO_COPY,       /* integrated: mapped pinned memory, no copy */
} baton_upload_path;
baton_upload_path baton_caps_upload_path(const baton_caps *caps);
const char *baton_upload_path_name(baton_upload_path path);

/* "GPU-d3a5...": 16 bytes as 36-char UUID text; buf needs 37 bytes. */
const char *baton_uuid_format(const uint8_t uuid[BATON_UUID_SIZE], char buf[37]);

#ifdef __cplusplus
}
#endif

#endif
