/* edge_filter.h - the example's image filter, one definition for the CPU and the GPU.
 *
 * An edge overlay: pixels where the image has a strong edge are painted
 * green, the rest is left as the camera saw it. Integer arithmetic only,
 * so the CUDA kernel (edge_overlay.cu) and the CPU fallback
 * (edge_overlay.c) give bit-identical frames.
 *
 *   luma      L = (77 R + 150 G + 29 B + 128) >> 8            (BT.601 weights)
 *   strength  |Gx| + |Gy| of the 3x3 Sobel operator on L
 *   edge      strength >= threshold, for pixels not on the frame's border
 *
 * The filter works in place on baton's RGBA8 slot in two passes, with the
 * alpha byte as scratch, so it needs no buffer of its own:
 *   pass 1 (mark)  reads R, G, B of the 3x3 neighbourhood, writes only the
 *                  pixel's own alpha: 0 = edge, 255 = not;
 *   pass 2 (paint) paints marked pixels green and sets alpha back to 255.
 * A filter that needs more state would allocate it once, before
 * baton_pipeline_create(), never per frame.
 */
#ifndef EDGE_FILTER_H
#define EDGE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define EDGE_FN static inline __host__ __device__
#else
#define EDGE_FN static inline
#endif

#define EDGE_DEFAULT_THRESHOLD 160

EDGE_FN int edge_luma(const uint8_t *px)
{
    return (77 * px[0] + 150 * px[1] + 29 * px[2] + 128) >> 8;
}

EDGE_FN int edge_abs(int v) { return v < 0 ? -v : v; }

/* Sobel strength at (x, y); needs 1 <= x < width - 1 and 1 <= y < height - 1.
 * Reads only bytes 0..2 (R, G, B) of each pixel: pass 1 may be writing the
 * alpha bytes meanwhile. */
EDGE_FN int edge_strength(const uint8_t *rgba, size_t pitch, uint32_t x, uint32_t y)
{
    const uint8_t *up = rgba + (size_t)(y - 1) * pitch + (size_t)(x - 1) * 4;
    const uint8_t *mid = up + pitch, *down = mid + pitch;
    int a = edge_luma(up), b = edge_luma(up + 4), c = edge_luma(up + 8);
    int d = edge_luma(mid), f = edge_luma(mid + 8);
    int g = edge_luma(down), h = edge_luma(down + 4), i = edge_luma(down + 8);
    int gx = (c + 2 * f + i) - (a + 2 * d + g);
    int gy = (g + 2 * h + i) - (a + 2 * b + c);
    return edge_abs(gx) + edge_abs(gy);
}

/* Pass 1 for one pixel: the alpha byte becomes the edge mark. */
EDGE_FN void edge_mark(uint8_t *rgba, size_t pitch, uint32_t width, uint32_t height, uint32_t x,
                       uint32_t y, int threshold)
{
    int edge = x > 0 && y > 0 && x + 1 < width && y + 1 < height &&
               edge_strength(rgba, pitch, x, y) >= threshold;
    rgba[(size_t)y * pitch + (size_t)x * 4 + 3] = edge ? 0 : 255;
}

/* Pass 2 for one pixel: marked pixels turn green, alpha is opaque again. */
EDGE_FN void edge_paint(uint8_t *rgba, size_t pitch, uint32_t x, uint32_t y)
{
    uint8_t *px = rgba + (size_t)y * pitch + (size_t)x * 4;
    if (px[3] == 0) {
        px[0] = 0;
        px[1] = 255;
        px[2] = 0;
    }
    px[3] = 255;
}

#endif
