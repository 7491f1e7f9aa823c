/* fault_kernels.cu - the application kernels of tests/gpu_faults.c: one
 * kernel, one block, that does nothing, traps, stores to an illegal
 * address, or spins on a host-mapped flag with a time bound of its own (so
 * a test that goes wrong cannot keep the GPU busy for ever). */
#include "fault_kernels.h"

static __device__ uint64_t global_ns(void)
{
    uint64_t t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

static __global__ void fault_kernel(int mode, int *bad, const volatile int *flag, uint64_t spin_ns)
{
    if (threadIdx.x != 0)
        return;
    if (mode == FAULT_KERNEL_TRAP) {
        __trap();
    } else if (mode == FAULT_KERNEL_ILLEGAL) {
        *(volatile int *)bad = 1; /* bad comes from the host: the compiler cannot drop it */
    } else if (mode == FAULT_KERNEL_SPIN) {
        uint64_t start = global_ns();
        while (*flag == 0 && global_ns() - start < spin_ns) {
        }
    }
}

extern "C" cudaError_t fault_kernel_launch(void *stream, fault_kernel_mode mode,
                                           const volatile int *flag, uint64_t spin_ns)
{
    int *bad = reinterpret_cast<int *>(static_cast<uintptr_t>(0x10)); /* the null page: never mapped */
    fault_kernel<<<1, 32, 0, static_cast<cudaStream_t>(stream)>>>(static_cast<int>(mode), bad, flag,
                                                                  spin_ns);
    return cudaGetLastError();
}
