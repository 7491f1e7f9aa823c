/* convert_cuda.cu - source frame -> RGBA8 in CUDA (see baton/convert.h).
 *
 * One thread per output pixel, 32x8 threads per block. Each thread calls
 * the same baton_cm_pixel() as the CPU path (runtime/convert_math.h), so the
 * output is bit-identical to baton_convert_cpu().
 */
#define BATON_WANT_CUDA 1
#include "frame/convert.h"

#include <cuda_runtime.h>
#include <stdint.h>

#include "frame/convert_math.h"

namespace {

const unsigned block_w = 32;
const unsigned block_h = 8;
const unsigned max_grid_y = 65535;

/* The format is a template parameter so each kernel has no per-pixel switch. */
template <baton_format F>
__global__ void convert_kernel(const uint8_t *src, uint32_t width, uint32_t height,
                               uint8_t *dst, size_t dst_pitch)
{
    uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
    uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= width || y >= height)
        return;
    baton_cm_pixel(F, src, width, height, x, y, dst + (size_t)y * dst_pitch + (size_t)x * 4u);
}

template <baton_format F>
void launch(dim3 grid, dim3 block, cudaStream_t stream, const uint8_t *src, uint32_t width,
            uint32_t height, uint8_t *dst, size_t dst_pitch)
{
    convert_kernel<F><<<grid, block, 0, stream>>>(src, width, height, dst, dst_pitch);
}

} // namespace

extern "C" cudaError_t baton_convert_cuda(baton_format fmt, const void *d_src, uint32_t width,
                                          uint32_t height, void *d_dst_rgba, size_t dst_pitch,
                                          cudaStream_t stream)
{
    if (!d_src || !d_dst_rgba || baton_format_frame_size(fmt, width, height) == 0)
        return cudaErrorInvalidValue;
    if (dst_pitch / 4u < width)
        return cudaErrorInvalidValue;
    unsigned grid_y = (unsigned)((height + (block_h - 1u)) / block_h);
    if (grid_y > max_grid_y)
        return cudaErrorInvalidValue;
    dim3 block(block_w, block_h);
    dim3 grid((unsigned)((width + (block_w - 1u)) / block_w), grid_y);

    const uint8_t *src = static_cast<const uint8_t *>(d_src);
    uint8_t *dst = static_cast<uint8_t *>(d_dst_rgba);
    switch (fmt) {
    case BATON_FORMAT_YUYV: launch<BATON_FORMAT_YUYV>(grid, block, stream, src, width, height, dst, dst_pitch); break;
    case BATON_FORMAT_UYVY: launch<BATON_FORMAT_UYVY>(grid, block, stream, src, width, height, dst, dst_pitch); break;
    case BATON_FORMAT_NV12: launch<BATON_FORMAT_NV12>(grid, block, stream, src, width, height, dst, dst_pitch); break;
    case BATON_FORMAT_GREY8: launch<BATON_FORMAT_GREY8>(grid, block, stream, src, width, height, dst, dst_pitch); break;
    case BATON_FORMAT_RGB24: launch<BATON_FORMAT_RGB24>(grid, block, stream, src, width, height, dst, dst_pitch); break;
    case BATON_FORMAT_RGBA8: launch<BATON_FORMAT_RGBA8>(grid, block, stream, src, width, height, dst, dst_pitch); break;
    default: return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}
