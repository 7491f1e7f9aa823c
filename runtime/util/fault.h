/* fault.h - the fault-injection seam: every CUDA, Vulkan and system call
 * the runtime makes that can fail goes through one of these macros, so
 * that a test can make the k-th such call fail and check what follows
 * (tests/check_faults.c sweeps k over whole runs). Disarmed, a call costs
 * one relaxed atomic load. Also the live counts of the Vulkan and CUDA
 * objects baton made, so a test can see that each was destroyed.
 *
 *   VkResult r = BATON_FAULT_VK(vkCreateFence(dev, &fi, NULL, &f));
 *   cudaError_t e = BATON_FAULT_CUDA(cudaStreamCreate(&s));
 *   int fd = BATON_FAULT_SYS(open(path, O_RDWR), -1);       (errno = EIO)
 *   void *p = BATON_FAULT_PTR(calloc(1, n));                (errno = ENOMEM)
 *
 * An injected failure returns VK_ERROR_OUT_OF_HOST_MEMORY /
 * cudaErrorMemoryAllocation, or with BATON_FAULT_DEVICE_LOST
 * VK_ERROR_DEVICE_LOST / cudaErrorLaunchFailure (CUDA's sticky error). */
#ifndef BATON_FAULT_H
#define BATON_FAULT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <cuda_runtime_api.h>
#include <vulkan/vulkan.h>

typedef enum baton_fault_kind {
    BATON_FAULT_OUT_OF_MEMORY = 0,
    BATON_FAULT_DEVICE_LOST,
} baton_fault_kind;

/* Fail the k-th seam call from now (k >= 1), with kind; k = 0 only counts
 * (no failure); baton_fault_disarm() stops counting. Any thread. */
void baton_fault_arm(uint64_t k, baton_fault_kind kind);
void baton_fault_disarm(void);
/* Seam calls since the last arm. */
uint64_t baton_fault_calls(void);
/* The function the injected failure hit ("vkCreateFence"), "" if none yet. */
const char *baton_fault_failed_call(void);

/* Internal: whether this call must fail (the seam macros call it). */
bool baton_fault_hit(const char *call);
VkResult baton_fault_vk_result(void);
cudaError_t baton_fault_cuda_error(void);

#define BATON_FAULT_VK(call) (baton_fault_hit(#call) ? baton_fault_vk_result() : (call))
/* the same for a call through a function pointer: name is the Vulkan command */
#define BATON_FAULT_VK_AS(name, call) (baton_fault_hit(name) ? baton_fault_vk_result() : (call))
/* A wait (vkWaitForFences, vkWaitSemaphores, vkQueueWaitIdle). Out of
 * memory fails it at once; a lost device fails it after the real wait has
 * returned, as a real lost device does: a lost device runs nothing more, so
 * code that takes "lost" for "idle" and destroys what the GPU used must
 * not be fooled by a device that is still running. */
#define BATON_FAULT_VK_WAIT(call)                                                                  \
    (baton_fault_hit(#call) ? (baton_fault_vk_result() == VK_ERROR_DEVICE_LOST                    \
                                   ? ((void)(call), VK_ERROR_DEVICE_LOST)                          \
                                   : VK_ERROR_OUT_OF_HOST_MEMORY)                                  \
                            : (call))
#define BATON_FAULT_CUDA(call) (baton_fault_hit(#call) ? baton_fault_cuda_error() : (call))
#define BATON_FAULT_SYS(call, failed) (baton_fault_hit(#call) ? (errno = EIO, (failed)) : (call))
#define BATON_FAULT_PTR(call) (baton_fault_hit(#call) ? (errno = ENOMEM, NULL) : (call))
/* pthread_*() report their error as the return value */
#define BATON_FAULT_PTHREAD(call) (baton_fault_hit(#call) ? EAGAIN : (call))

/* Live Vulkan and CUDA objects baton made (process-wide): creation sites
 * count one up (the context's baton_count_vk / baton_count_cuda), the
 * matching destroy one down. */
void baton_live_vk(int delta);
void baton_live_cuda(int delta);
int64_t baton_live_vk_objects(void);
int64_t baton_live_cuda_objects(void);

/* A destroy call, counted: BATON_DESTROYED_VK(vkDestroyFence(dev, f, NULL)) */
#define BATON_DESTROYED_VK(call) ((call), baton_live_vk(-1))
#define BATON_DESTROYED_CUDA(call) ((void)(call), baton_live_cuda(-1))

#endif
