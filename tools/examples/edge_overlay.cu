/* edge_overlay.cu - the example's CUDA kernels: the edge overlay of edge_filter.h on the GPU.
 *
 * baton calls edge_overlay_cuda() (through the cuda_work callback in
 * edge_overlay.c) once per frame, after it converted the camera frame to
 * RGBA8 in the slot's device memory and before Vulkan reads that memory.
 * It must only enqueue work on baton's stream: no cudaDeviceSynchronize,
 * no cudaMalloc; baton's semaphores order everything after it.
 */
#include <cuda_runtime.h>

#include "edge_filter.h"
#include "edge_overlay.h"

__global__ void mark_edges(uint8_t *rgba, size_t pitch, uint32_t width, uint32_t height,
                           int threshold)
{
    uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
    uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x < width && y < height)
        edge_mark(rgba, pitch, width, height, x, y, threshold);
}

__global__ void paint_edges(uint8_t *rgba, size_t pitch, uint32_t width, uint32_t height)
{
    uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
    uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x < width && y < height)
        edge_paint(rgba, pitch, x, y);
}

extern "C" int edge_overlay_cuda(void *stream, void *rgba, size_t pitch, uint32_t width,
                                 uint32_t height, int threshold)
{
    dim3 block(16, 16);
    dim3 grid((width + block.x - 1) / block.x, (height + block.y - 1) / block.y);
    cudaStream_t s = (cudaStream_t)stream;
    /* two launches on one stream: paint starts after every mark is written */
    mark_edges<<<grid, block, 0, s>>>((uint8_t *)rgba, pitch, width, height, threshold);
    paint_edges<<<grid, block, 0, s>>>((uint8_t *)rgba, pitch, width, height);
    return (int)cudaGetLastError(); /* launch errors only; the kernels run later */
}

extern "C" const char *edge_overlay_cuda_error(int code)
{
    return cudaGetErrorName((cudaError_t)code);
}
