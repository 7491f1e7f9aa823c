/* edge_overlay.h - what edge_overlay.c calls in edge_overlay.cu (C linkage, no CUDA types). */
#ifndef EDGE_OVERLAY_H
#define EDGE_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Enqueue the two edge-overlay kernels on `stream` (a cudaStream_t) over
 * the RGBA8 image at device pointer rgba. Returns the cudaError_t of the
 * launches (0 = cudaSuccess). */
int edge_overlay_cuda(void *stream, void *rgba, size_t pitch, uint32_t width, uint32_t height,
                      int threshold);

/* cudaGetErrorName() of a code edge_overlay_cuda() returned. */
const char *edge_overlay_cuda_error(int code);

#ifdef __cplusplus
}
#endif

#endif
