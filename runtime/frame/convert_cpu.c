/* convert_cpu.c - source frame -> RGBA8 on the CPU (see baton/convert.h). */
#include "frame/convert.h"

#include <stdint.h>

#include "frame/convert_math.h"

/* One loop per format so the per-pixel dispatch is resolved at compile time;
 * the pixel math itself lives in convert_math.h, shared with CUDA. */
#define CONVERT_ROWS(PIXEL)                                                   \
    for (uint32_t y = 0; y < height; y++) {                                   \
        uint8_t *row = dst_rgba + (size_t)y * dst_pitch;                      \
        for (uint32_t x = 0; x < width; x++)                                  \
            PIXEL(src, width, height, x, y, row + (size_t)x * 4u);            \
    }

baton_status baton_convert_cpu(baton_format fmt, const uint8_t *src, uint32_t width,
                               uint32_t height, uint8_t *dst_rgba, size_t dst_pitch,
                               baton_error *err)
{
    if (!src || !dst_rgba)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_convert_cpu: src and dst_rgba must not be NULL");
    baton_status st = baton_format_check_size(fmt, width, height, err);
    if (st != BATON_OK)
        return st;
    if (dst_pitch / 4u < width)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_convert_cpu: dst_pitch %zu is less than width %u * 4",
                               dst_pitch, width);

    switch (fmt) {
    case BATON_FORMAT_YUYV: CONVERT_ROWS(baton_cm_yuyv); break;
    case BATON_FORMAT_UYVY: CONVERT_ROWS(baton_cm_uyvy); break;
    case BATON_FORMAT_NV12: CONVERT_ROWS(baton_cm_nv12); break;
    case BATON_FORMAT_GREY8: CONVERT_ROWS(baton_cm_grey8); break;
    case BATON_FORMAT_RGB24: CONVERT_ROWS(baton_cm_rgb24); break;
    case BATON_FORMAT_RGBA8: CONVERT_ROWS(baton_cm_rgba8); break;
    default: break; /* rejected by baton_format_check_size */
    }
    return BATON_OK;
}
