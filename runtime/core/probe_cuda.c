/* probe_cuda.c - describe the CUDA device into baton_caps. */
#include "core/probe.h"
#include "util/fault.h"

#include <dlfcn.h>
#include <string.h>

#include <cuda_runtime_api.h>

static void cuda_fail(baton_caps *caps, const char *call, cudaError_t e)
{
    caps->cuda_present = false;
    /* cudart says "insufficient driver" both for an old driver and for none
     * at all; tell the two apart, since only one of them is an upgrade. */
    void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (driver)
        dlclose(driver);
    snprintf(caps->cuda_error, sizeof caps->cuda_error, "%s failed: %s (%s)%s", call,
             cudaGetErrorName(e), cudaGetErrorString(e),
             driver ? "" : "; the NVIDIA driver library libcuda.so.1 is not installed");
}

void baton_probe_cuda(int ordinal, baton_caps *caps)
{
    int count = 0;
    caps->cuda_device = ordinal;
    cudaError_t e = BATON_FAULT_CUDA(cudaGetDeviceCount(&count));
    if (e != cudaSuccess) {
        cuda_fail(caps, "cudaGetDeviceCount", e);
        return;
    }
    if (ordinal < 0 || ordinal >= count) {
        caps->cuda_present = false;
        snprintf(caps->cuda_error, sizeof caps->cuda_error,
                 "CUDA device %d requested but the machine has %d", ordinal, count);
        return;
    }
    struct cudaDeviceProp prop;
    if ((e = BATON_FAULT_CUDA(cudaGetDeviceProperties(&prop, ordinal))) != cudaSuccess) {
        cuda_fail(caps, "cudaGetDeviceProperties", e);
        return;
    }
    int timeline = 0;
    e = BATON_FAULT_CUDA(cudaDeviceGetAttribute(&timeline, cudaDevAttrTimelineSemaphoreInteropSupported, ordinal));
    if (e != cudaSuccess) {
        cuda_fail(caps, "cudaDeviceGetAttribute(TimelineSemaphoreInteropSupported)", e);
        return;
    }
    caps->cuda_present = true;
    caps->cuda_error[0] = '\0';
    snprintf(caps->cuda_name, sizeof caps->cuda_name, "%s", prop.name);
    memcpy(caps->cuda_uuid, prop.uuid.bytes, BATON_UUID_SIZE);
    caps->cuda_cc_major = prop.major;
    caps->cuda_cc_minor = prop.minor;
    caps->cuda_integrated = prop.integrated != 0;
    caps->cuda_timeline_interop = timeline != 0;
    cudaDriverGetVersion(&caps->cuda_driver_version);
    cudaRuntimeGetVersion(&caps->cuda_runtime_version);
}
