/* baton/context.h - the CUDA device and matching Vulkan device baton runs on.
 *
 * A context owns a Vulkan instance, the physical device whose deviceUUID
 * equals the CUDA device's UUID, a logical device with one queue, and (with
 * the CUDA compute stage) the CUDA primary context of that device. It also
 * counts every Vulkan and CUDA object baton creates, so tests can prove the
 * per-frame path creates none.
 *
 * Thread-safety: create/destroy are not thread-safe with respect to other
 * calls on the same context. Read-only accessors may be called from any
 * thread. Objects made from a context (pools, pipelines) must be destroyed
 * before it.
 */
#ifndef BATON_CONTEXT_H
#define BATON_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/caps.h"
#include "baton/error.h"
#include "baton/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_context baton_context;

typedef struct baton_context_config {
    int cuda_device;            /* CUDA ordinal, default 0 */
    baton_compute_mode compute; /* default AUTO */
    baton_sync_mode sync;       /* default AUTO */
    bool validation;            /* enable VK_LAYER_KHRONOS_validation */
    bool zero_copy_upload;      /* CUDA stage on a discrete GPU: take the integrated GPU's
                                   path anyway (mapped pinned staging that the kernels
                                   read over the bus, no upload copy); runs Jetson's code
                                   path on a desktop GPU. Default false: the path follows
                                   cudaDeviceProp.integrated */
    size_t driver_arena_bytes;  /* the arena that serves the Vulkan driver's host
                                   allocations (VkAllocationCallbacks of the instance and
                                   device): reserved at creation, backed as it is used;
                                   0 = 64 MiB. What does not fit goes to malloc, counted */
} baton_context_config;

typedef struct baton_object_counters {
    uint64_t vk_objects_created;   /* vkCreate*, vkAllocate* calls that succeeded */
    uint64_t cuda_objects_created; /* cudaImport*, cudaMalloc*, streams, events */
    uint64_t driver_allocations;   /* the Vulkan driver's host allocations that baton's
                                      arena served (recycled after warm-up) */
    uint64_t driver_escaped;       /* ... that went to malloc instead (too large, too
                                      aligned, or the arena was spent) */
    int64_t vk_objects_live;       /* Vulkan objects baton made and has not destroyed yet,
                                      in the whole process (0 once every context, pool and
                                      pipeline is destroyed) */
    int64_t cuda_objects_live;     /* the same for CUDA objects */
} baton_object_counters;

void baton_context_config_default(baton_context_config *cfg);

/* The two ways of carrying a frame across (see baton/pipeline.h), timed on
 * this machine when a context with the CUDA stage is created: per
 * direction, 100 round trips of each after 10 to warm up, median in ns,
 * from the producer's signal being issued to the consumer's work seen done
 * by the host with the waits the pipeline uses. AUTO takes the faster. */
typedef struct baton_handoff_report {
    bool measured;               /* false with the CPU stage (relay is taken unmeasured) */
    uint32_t round_trips;        /* per mode and direction */
    uint64_t to_vulkan_gpu_ns;   /* CUDA signals the exported semaphore, the queue waits */
    uint64_t to_vulkan_relay_ns; /* CUDA event seen by the host, then the submission */
    uint64_t to_compute_gpu_ns;  /* the queue signals, the CUDA stream waits */
    uint64_t to_compute_relay_ns;/* the fence seen by the host, then CUDA's work */
    baton_handoff_mode to_vulkan, to_compute; /* what AUTO takes: GPU or RELAY */
} baton_handoff_report;

/* Probe, choose the compute stage, the Vulkan device (by UUID with CUDA)
 * and the sync mode, and create the Vulkan device and queue. *out is set
 * only on success; on failure nothing is left allocated or open.
 * Errors: BATON_ERR_NO_CUDA_DEVICE (CUDA requested, none usable),
 * BATON_ERR_NO_VULKAN (no instance or device; the message carries the
 * headless NVIDIA ICD fix when it applies), BATON_ERR_NO_MATCHING_DEVICE,
 * BATON_ERR_UNSUPPORTED (requested sync mode impossible), BATON_ERR_VULKAN
 * or BATON_ERR_CUDA (a call failed, named in the message). */
baton_status baton_context_create(const baton_context_config *cfg, baton_context **out,
                                  baton_error *err);

/* Waits (bounded: at most 2 s) for the device to go idle, then destroys
 * everything; a device that does not go idle (a hung kernel, a lost device)
 * is destroyed anyway. NULL is a no-op. */
void baton_context_destroy(baton_context *ctx);

const baton_caps *baton_context_caps(const baton_context *ctx);
baton_compute_mode baton_context_compute(const baton_context *ctx);
baton_sync_mode baton_context_sync(const baton_context *ctx);
const char *baton_context_device_name(const baton_context *ctx);
baton_object_counters baton_context_counters(const baton_context *ctx);
/* How frames reach the GPU: the caps' choice, or ZERO_COPY when forced. */
baton_upload_path baton_context_upload(const baton_context *ctx);
/* The hand-off measurement (see above). Read-only; any thread. */
baton_handoff_report baton_context_handoff(const baton_context *ctx);

#ifdef __cplusplus
}
#endif

#endif
