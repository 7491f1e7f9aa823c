/* baton/format.h - pixel formats a source may deliver, and their layout.
 *
 * All source formats are tightly packed (pitch = bytes per row of the
 * format). The compute stage converts each to RGBA8 (R, G, B, A bytes).
 * YUV formats are BT.601 limited range; the conversion is defined by the
 * integer formulas in runtime/convert_cpu.c, which the CUDA kernels compute
 * bit-exactly:
 *   C = Y - 16, D = U - 128, E = V - 128
 *   R = clamp((298 C + 409 E + 128) >> 8)
 *   G = clamp((298 C - 100 D - 208 E + 128) >> 8)
 *   B = clamp((298 C + 516 D + 128) >> 8)        A = 255
 * GREY8 gives R = G = B = Y; RGB24 copies and sets A = 255.
 * All functions are pure and thread-safe.
 */
#ifndef BATON_FORMAT_H
#define BATON_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum baton_format {
    BATON_FORMAT_YUYV = 0, /* 4:2:2 packed Y0 U Y1 V; width even */
    BATON_FORMAT_UYVY,     /* 4:2:2 packed U Y0 V Y1; width even */
    BATON_FORMAT_NV12,     /* 4:2:0: Y plane, then interleaved U V plane; w, h even */
    BATON_FORMAT_GREY8,    /* 8-bit luma only */
    BATON_FORMAT_RGB24,    /* R G B */
    BATON_FORMAT_RGBA8,    /* R G B A: the output format */
    BATON_FORMAT_COUNT
} baton_format;

/* "YUYV", "UYVY", "NV12", "GREY", "RGB24", "RGBA8". */
const char *baton_format_name(baton_format fmt);

/* Parse a name (case-insensitive; "GREY8" and "GRAY" also accepted). */
baton_status baton_format_parse(const char *name, baton_format *out, baton_error *err);

/* Bytes of one tightly packed frame; 0 if the size is invalid for the
 * format (zero, odd width for 4:2:2, odd width or height for NV12, or a
 * size whose byte count would overflow). */
size_t baton_format_frame_size(baton_format fmt, uint32_t width, uint32_t height);

/* BATON_OK if width x height is valid for fmt, else an error naming why. */
baton_status baton_format_check_size(baton_format fmt, uint32_t width, uint32_t height,
                                     baton_error *err);

#ifdef __cplusplus
}
#endif

#endif
