/* fault.c - the fault-injection seam's counters (see fault.h). */
#include "util/fault.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static _Atomic int armed;               /* counting */
static _Atomic uint64_t calls, target;  /* target 0: count only */
static _Atomic int kind;
static _Atomic(const char *) failed;    /* the call text that was failed */
static _Atomic int64_t live_vk, live_cuda;

void baton_fault_arm(uint64_t k, baton_fault_kind how)
{
    atomic_store(&armed, 0);
    atomic_store(&calls, 0);
    atomic_store(&target, k);
    atomic_store(&kind, (int)how);
    atomic_store(&failed, (const char *)NULL);
    atomic_store(&armed, 1);
}

void baton_fault_disarm(void) { atomic_store(&armed, 0); }

uint64_t baton_fault_calls(void) { return atomic_load(&calls); }

const char *baton_fault_failed_call(void)
{
    static _Thread_local char name[64];
    const char *c = atomic_load(&failed);
    if (!c)
        return "";
    size_t n = strcspn(c, "(");
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), c);
    return name;
}

bool baton_fault_hit(const char *call)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed))
        return false;
    uint64_t n = atomic_fetch_add(&calls, 1) + 1;
    if (n != atomic_load(&target))
        return false;
    atomic_store(&failed, call);
    return true;
}

VkResult baton_fault_vk_result(void)
{
    return atomic_load(&kind) == BATON_FAULT_DEVICE_LOST ? VK_ERROR_DEVICE_LOST
                                                         : VK_ERROR_OUT_OF_HOST_MEMORY;
}

cudaError_t baton_fault_cuda_error(void)
{
    return atomic_load(&kind) == BATON_FAULT_DEVICE_LOST ? cudaErrorLaunchFailure
                                                         : cudaErrorMemoryAllocation;
}

void baton_live_vk(int delta) { atomic_fetch_add_explicit(&live_vk, delta, memory_order_relaxed); }
void baton_live_cuda(int delta) { atomic_fetch_add_explicit(&live_cuda, delta, memory_order_relaxed); }
int64_t baton_live_vk_objects(void) { return atomic_load(&live_vk); }
int64_t baton_live_cuda_objects(void) { return atomic_load(&live_cuda); }
