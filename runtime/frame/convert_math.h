/* convert_math.h - per-pixel source -> RGBA8 math (not installed).
 *
 * Shared by runtime/convert_cpu.c (C) and runtime/convert_cuda.cu (CUDA):
 * both compute every output pixel by calling baton_cm_pixel() below, so the
 * two paths are bit-exact by construction. Everything is integer arithmetic
 * on int32_t and size_t; no shift of a negative value is performed.
 *
 * Each pixel function reads pixel (x, y) of a tightly packed frame of the
 * given format at src (width x height valid for the format, see
 * baton_format_check_size) and writes 4 bytes R, G, B, A to out.
 */
#ifndef BATON_CONVERT_MATH_H
#define BATON_CONVERT_MATH_H

#include <stddef.h>
#include <stdint.h>

#include "baton/format.h"

#ifdef __CUDACC__
#define BATON_HD __host__ __device__
#else
#define BATON_HD
#endif

/* clamp((v + 128) >> 8) to 0..255; for v + 128 < 0 the shifted value would
 * be negative and clamps to 0, so that case is tested before shifting. */
BATON_HD static inline uint8_t baton_cm_scale(int32_t v)
{
    v += 128;
    if (v < 0)
        return 0;
    v >>= 8;
    return v > 255 ? (uint8_t)255 : (uint8_t)v;
}

/* BT.601 limited range, the integer formulas documented in baton/format.h. */
BATON_HD static inline void baton_cm_yuv(int32_t y, int32_t u, int32_t v, uint8_t *out)
{
    int32_t c = y - 16, d = u - 128, e = v - 128;
    out[0] = baton_cm_scale(298 * c + 409 * e);
    out[1] = baton_cm_scale(298 * c - 100 * d - 208 * e);
    out[2] = baton_cm_scale(298 * c + 516 * d);
    out[3] = 255;
}

/* YUYV: per pixel pair Y0 U Y1 V. */
BATON_HD static inline void baton_cm_yuyv(const uint8_t *src, uint32_t width, uint32_t height,
                                          uint32_t x, uint32_t y, uint8_t *out)
{
    (void)height;
    const uint8_t *p = src + ((size_t)y * width + (x & ~1u)) * 2u;
    baton_cm_yuv(p[(x & 1u) * 2u], p[1], p[3], out);
}

/* UYVY: per pixel pair U Y0 V Y1. */
BATON_HD static inline void baton_cm_uyvy(const uint8_t *src, uint32_t width, uint32_t height,
                                          uint32_t x, uint32_t y, uint8_t *out)
{
    (void)height;
    const uint8_t *p = src + ((size_t)y * width + (x & ~1u)) * 2u;
    baton_cm_yuv(p[1u + (x & 1u) * 2u], p[0], p[2], out);
}

/* NV12: width x height Y plane, then (height / 2) rows of width bytes of
 * interleaved U V; chroma sample (x / 2, y / 2) covers a 2x2 luma block. */
BATON_HD static inline void baton_cm_nv12(const uint8_t *src, uint32_t width, uint32_t height,
                                          uint32_t x, uint32_t y, uint8_t *out)
{
    const uint8_t *uv = src + (size_t)width * height + (size_t)(y >> 1) * width + (x & ~1u);
    baton_cm_yuv(src[(size_t)y * width + x], uv[0], uv[1], out);
}

/* GREY8: R = G = B = Y (no range expansion). */
BATON_HD static inline void baton_cm_grey8(const uint8_t *src, uint32_t width, uint32_t height,
                                           uint32_t x, uint32_t y, uint8_t *out)
{
    (void)height;
    uint8_t g = src[(size_t)y * width + x];
    out[0] = g;
    out[1] = g;
    out[2] = g;
    out[3] = 255;
}

/* RGB24: copy, A = 255. */
BATON_HD static inline void baton_cm_rgb24(const uint8_t *src, uint32_t width, uint32_t height,
                                           uint32_t x, uint32_t y, uint8_t *out)
{
    (void)height;
    const uint8_t *p = src + ((size_t)y * width + x) * 3u;
    out[0] = p[0];
    out[1] = p[1];
    out[2] = p[2];
    out[3] = 255;
}

/* RGBA8: copy all four bytes. */
BATON_HD static inline void baton_cm_rgba8(const uint8_t *src, uint32_t width, uint32_t height,
                                           uint32_t x, uint32_t y, uint8_t *out)
{
    (void)height;
    const uint8_t *p = src + ((size_t)y * width + x) * 4u;
    out[0] = p[0];
    out[1] = p[1];
    out[2] = p[2];
    out[3] = p[3];
}

/* Dispatch on fmt; an invalid fmt writes transparent black. */
BATON_HD static inline void baton_cm_pixel(baton_format fmt, const uint8_t *src, uint32_t width,
                                           uint32_t height, uint32_t x, uint32_t y, uint8_t *out)
{
    switch (fmt) {
    case BATON_FORMAT_YUYV: baton_cm_yuyv(src, width, height, x, y, out); break;
    case BATON_FORMAT_UYVY: baton_cm_uyvy(src, width, height, x, y, out); break;
    case BATON_FORMAT_NV12: baton_cm_nv12(src, width, height, x, y, out); break;
    case BATON_FORMAT_GREY8: baton_cm_grey8(src, width, height, x, y, out); break;
    case BATON_FORMAT_RGB24: baton_cm_rgb24(src, width, height, x, y, out); break;
    case BATON_FORMAT_RGBA8: baton_cm_rgba8(src, width, height, x, y, out); break;
    default: out[0] = out[1] = out[2] = out[3] = 0; break;
    }
}

#endif
