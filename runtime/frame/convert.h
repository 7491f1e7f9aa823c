/* convert.h - convert a source frame to RGBA8 on the CPU or in CUDA.
 *
 * Both paths compute the BT.601 limited-range integer formulas documented in
 * baton/format.h and give bit-identical output (they share the per-pixel
 * code in runtime/convert_math.h). The source is a tightly packed frame of
 * any baton_format; the destination is width x height RGBA8 pixels whose
 * rows start dst_pitch bytes apart (bytes past width * 4 in a row are left
 * untouched).
 */
#ifndef BATON_CONVERT_H
#define BATON_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/format.h"

#ifdef BATON_WANT_CUDA
#include <cuda_runtime_api.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Convert the frame at src (baton_format_frame_size(fmt, width, height)
 * bytes) to RGBA8 at dst_rgba (height rows of dst_pitch bytes, dst_pitch >=
 * width * 4). src and dst_rgba must not overlap.
 * Errors: BATON_ERR_INVALID_ARGUMENT for a NULL pointer, an invalid format,
 * a size the format does not allow (see baton_format_check_size) or a
 * dst_pitch smaller than width * 4; nothing is written then.
 * Ownership: both buffers stay the caller's; nothing is allocated or kept.
 * Thread-safety: safe to call concurrently on distinct destinations. */
baton_status baton_convert_cpu(baton_format fmt, const uint8_t *src, uint32_t width,
                               uint32_t height, uint8_t *dst_rgba, size_t dst_pitch,
                               baton_error *err);

#ifdef BATON_WANT_CUDA
/* The same conversion in CUDA, enqueued on stream (asynchronous: returns
 * once the kernel is launched). d_src and d_dst_rgba are device pointers
 * with the layout described for baton_convert_cpu; the output is
 * bit-identical to baton_convert_cpu's.
 * Returns cudaSuccess, cudaErrorInvalidValue for the argument errors listed
 * for baton_convert_cpu or a height above 524280 (grid limit), or the error
 * cudaGetLastError() reports for the launch. Faults during execution show
 * up at the next synchronising call on stream.
 * Ownership: buffers stay the caller's and must stay valid until the stream
 * reaches the kernel's end. Thread-safety: as for any CUDA launch. */
cudaError_t baton_convert_cuda(baton_format fmt, const void *d_src, uint32_t width,
                               uint32_t height, void *d_dst_rgba, size_t dst_pitch,
                               cudaStream_t stream);
#endif

#ifdef __cplusplus
}
#endif

#endif
