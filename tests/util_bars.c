/* util_bars.c - videotestsrc's SMPTE bars from their definition. */
#include "util_bars.h"

#include <stdlib.h>
#include <string.h>

#include "util_reference.h"

const char *const bars_gst_names[BARS_FORMATS] = {"YUY2", "UYVY", "NV12", "GRAY8", "RGB"};
const baton_format bars_formats[BARS_FORMATS] = {BATON_FORMAT_YUYV, BATON_FORMAT_UYVY,
                                                 BATON_FORMAT_NV12, BATON_FORMAT_GREY8,
                                                 BATON_FORMAT_RGB24};

/* videotestsrc's "smpte" pattern: the top two thirds are seven 100 % bars,
 * bar i spanning x in [i*w/7, (i+1)*w/7). */
static const uint8_t bar_rgb[7][3] = {{255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0},
                                      {255, 0, 255},   {255, 0, 0},   {0, 0, 255}};

/* BT.601 limited-range luma of an RGB colour: what GRAY8 carries (and
 * baton shows as R = G = B = Y). */
static int bar_luma(const uint8_t c[3])
{
    double y = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    return (int)(16.0 + 219.0 * y / 255.0 + 0.5);
}

int bars_diff(baton_format fmt, uint32_t w, uint32_t h, bars_pixel_fn px, const void *ctx,
              size_t *checked)
{
    int worst = 0;
    *checked = 0;
    for (uint32_t y = 0; y + 2 < h * 2 / 3; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint32_t bar = x * 7 / w;
            if (x < bar * w / 7 + 2 || x + 2 >= (bar + 1) * w / 7)
                continue;
            uint8_t got[4];
            px(ctx, x, y, got);
            for (int c = 0; c < 3; c++) {
                int want = fmt == BATON_FORMAT_GREY8 ? bar_luma(bar_rgb[bar]) : bar_rgb[bar][c];
                int d = abs((int)got[c] - want);
                if (d > worst)
                    worst = d;
            }
            (*checked)++;
        }
    return worst;
}

void packed_pixel(const void *ctx, uint32_t x, uint32_t y, uint8_t out[4])
{
    const packed_frame *f = ctx;
    ref_pixel(f->fmt, f->data, f->w, f->h, x, y, out);
}

void rgba_pixel(const void *ctx, uint32_t x, uint32_t y, uint8_t out[4])
{
    const rgba_frame *f = ctx;
    memcpy(out, f->rgba + (size_t)y * f->pitch + (size_t)x * 4, 4);
}
