/* fault_kernels.h - the application kernels of tests/gpu_faults.c
 * (tests/fault_kernels.cu): one launch a frame on the compute stage's
 * stream, doing nothing or, at the chosen frame, faulting or hanging. */
#ifndef BATON_FAULT_KERNELS_H
#define BATON_FAULT_KERNELS_H

#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fault_kernel_mode {
    FAULT_KERNEL_NONE = 0,   /* returns at once (every other frame) */
    FAULT_KERNEL_TRAP,       /* __trap(): cudaErrorLaunchFailure, sticky */
    FAULT_KERNEL_ILLEGAL,    /* a store to address 0x10: cudaErrorIllegalAddress, sticky */
    FAULT_KERNEL_SPIN,       /* spins until *flag != 0 or spin_ns of %globaltimer pass */
} fault_kernel_mode;

/* Enqueue the kernel on stream (a cudaStream_t); flag: a device pointer
 * to host-mapped memory (SPIN only, else may be NULL). The launch's own
 * error (cudaGetLastError), cudaSuccess when it was enqueued. */
cudaError_t fault_kernel_launch(void *stream, fault_kernel_mode mode, const volatile int *flag,
                                uint64_t spin_ns);

#ifdef __cplusplus
}
#endif

#endif
