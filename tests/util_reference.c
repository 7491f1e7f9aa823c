/* util_reference.c - an independent floating-point reference of the pixel
 * conversions (BT.601 limited range from its textbook definition), used by
 * the suites to check baton's integer CPU and CUDA conversions. */
#include <math.h>
#include <string.h>

#include "util_reference.h"

/* ---- independent reference -------------------------------------------- */

static uint8_t ref_clamp(double v)
{
    double r = floor(v + 0.5);
    if (r < 0.0)
        return 0;
    if (r > 255.0)
        return 255;
    return (uint8_t)r;
}

/* BT.601 limited range, the textbook floating-point definition. */
void ref_yuv(int y, int u, int v, uint8_t out[4])
{
    double yy = 1.164 * (y - 16), d = u - 128, e = v - 128;
    out[0] = ref_clamp(yy + 1.596 * e);
    out[1] = ref_clamp(yy - 0.391 * d - 0.813 * e);
    out[2] = ref_clamp(yy + 2.018 * d);
    out[3] = 255;
}

/* Pixel (x, y) of a packed frame, indexed from the format definitions:
 * 4:2:2 as macropixels of 4 bytes, NV12 as a half-size interleaved plane. */
void ref_pixel(baton_format fmt, const uint8_t *src, uint32_t w, uint32_t h, uint32_t x,
                      uint32_t y, uint8_t out[4])
{
    size_t i = (size_t)y * w + x;
    switch (fmt) {
    case BATON_FORMAT_YUYV: {
        const uint8_t *m = src + 4u * ((size_t)y * (w / 2u) + x / 2u);
        ref_yuv(x % 2u ? m[2] : m[0], m[1], m[3], out);
        break;
    }
    case BATON_FORMAT_UYVY: {
        const uint8_t *m = src + 4u * ((size_t)y * (w / 2u) + x / 2u);
        ref_yuv(x % 2u ? m[3] : m[1], m[0], m[2], out);
        break;
    }
    case BATON_FORMAT_NV12: {
        const uint8_t *c = src + (size_t)w * h + 2u * ((size_t)(y / 2u) * (w / 2u) + x / 2u);
        ref_yuv(src[i], c[0], c[1], out);
        break;
    }
    case BATON_FORMAT_GREY8:
        out[0] = out[1] = out[2] = src[i];
        out[3] = 255;
        break;
    case BATON_FORMAT_RGB24:
        memcpy(out, src + 3u * i, 3);
        out[3] = 255;
        break;
    case BATON_FORMAT_RGBA8:
        memcpy(out, src + 4u * i, 4);
        break;
    default:
        memset(out, 0, 4);
    }
}


size_t ref_compare_frame(baton_format fmt, const uint8_t *src, uint32_t w, uint32_t h,
                         const uint8_t *rgba, size_t pitch, int *max_diff)
{
    size_t bad = 0;
    int worst = 0;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t want[4];
            ref_pixel(fmt, src, w, h, x, y, want);
            const uint8_t *got = rgba + (size_t)y * pitch + 4u * x;
            for (int c = 0; c < 4; c++) {
                int d = abs((int)got[c] - (int)want[c]);
                if (d > worst)
                    worst = d;
                if (d > 1)
                    bad++;
            }
        }
    if (max_diff)
        *max_diff = worst;
    return bad;
}
