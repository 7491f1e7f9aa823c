/* util_reference.h - independent reference conversion for the suites. */
#ifndef BATON_UTIL_REFERENCE_H
#define BATON_UTIL_REFERENCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "baton/format.h"

/* BT.601 limited range, floating point, rounded and clamped. */
void ref_yuv(int y, int u, int v, uint8_t out[4]);

/* RGBA of pixel (x, y) of a tightly packed frame, from the format definitions. */
void ref_pixel(baton_format fmt, const uint8_t *src, uint32_t w, uint32_t h, uint32_t x,
               uint32_t y, uint8_t out[4]);

/* Channel values of rgba that differ from the reference by more than 1
 * (the rounding the BT.601 integer form allows); *max_diff the largest. */
size_t ref_compare_frame(baton_format fmt, const uint8_t *src, uint32_t w, uint32_t h,
                         const uint8_t *rgba, size_t pitch, int *max_diff);

#endif
