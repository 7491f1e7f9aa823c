/* util_bars.h - videotestsrc's SMPTE colour bars, computed from their
 * definition (not from GStreamer's output), to check frames that started as
 * `videotestsrc pattern=smpte` wherever they end up: in a source's buffer,
 * in a pipeline's readback, in an encoded file. */
#ifndef BATON_UTIL_BARS_H
#define BATON_UTIL_BARS_H

#include <stddef.h>
#include <stdint.h>

#include "baton/format.h"

/* The five formats a gst source delivers, by GStreamer's name and baton's. */
#define BARS_FORMATS 5
extern const char *const bars_gst_names[BARS_FORMATS]; /* "YUY2", "UYVY", "NV12", "GRAY8", "RGB" */
extern const baton_format bars_formats[BARS_FORMATS];

/* A frame read pixel by pixel: RGBA of (x, y) into out. */
typedef void (*bars_pixel_fn)(const void *ctx, uint32_t x, uint32_t y, uint8_t out[4]);

/* Largest channel difference between the bars (as `fmt` carries them:
 * GREY8 as BT.601 limited-range luma) and a w x h frame read through px;
 * *checked counts the pixels looked at. Pixels within 2 of a bar edge
 * (where 4:2:x chroma straddles two bars) and the rows near the bottom of
 * the bars are left out. */
int bars_diff(baton_format fmt, uint32_t w, uint32_t h, bars_pixel_fn px, const void *ctx,
              size_t *checked);

/* A frame in a source's packed layout (tests/util_reference.c converts). */
typedef struct packed_frame {
    baton_format fmt;
    const uint8_t *data;
    uint32_t w, h;
} packed_frame;
void packed_pixel(const void *ctx, uint32_t x, uint32_t y, uint8_t out[4]);

/* An RGBA frame with a row pitch in bytes (a pipeline's readback). */
typedef struct rgba_frame {
    const uint8_t *rgba;
    size_t pitch;
} rgba_frame;
void rgba_pixel(const void *ctx, uint32_t x, uint32_t y, uint8_t out[4]);

#endif
