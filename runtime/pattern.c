/* pattern.c - deterministic moving test pattern with a frame code
 * (layout documented in baton/pattern.h). */
#include "baton/pattern.h"

#include <stdint.h>

#define CODE_BITS 64u

/* Where the frame code's blocks lie for a given width. */
typedef struct code_layout {
    uint32_t side;    /* block side in pixels: 8, 4 or 2 */
    uint32_t per_row; /* blocks per row of blocks (0 if width < 2) */
} code_layout;

static code_layout layout_for(uint32_t width)
{
    code_layout l;
    l.side = width >= 512u ? 8u : width >= 256u ? 4u : 2u;
    l.per_row = width / l.side;
    if (l.per_row > CODE_BITS)
        l.per_row = CODE_BITS;
    return l;
}

/* -1 if pixel (x, y) lies outside the frame code, else its bit (0 or 1). */
static int code_bit(const code_layout *l, uint64_t frame, uint32_t x, uint32_t y)
{
    uint32_t bx = x / l->side, by = y / l->side;
    if (bx >= l->per_row || by >= CODE_BITS)
        return -1;
    uint32_t k = by * l->per_row + bx;
    if (k >= CODE_BITS)
        return -1;
    return (int)((frame >> (CODE_BITS - 1u - k)) & 1u);
}

static uint8_t luma(uint32_t x, uint32_t y, uint32_t f)
{
    return (uint8_t)(16u + (x + y + f) % 220u);
}

static uint8_t chroma_u(uint32_t cx, uint32_t f)
{
    return (uint8_t)(16u + (cx + 3u * f) % 224u);
}

static uint8_t chroma_v(uint32_t cy, uint32_t f)
{
    return (uint8_t)(16u + (2u * cy + 5u * f) % 224u);
}

/* Luma of pixel (x, y): the code's black/white, else the gradient. */
static uint8_t pattern_y(const code_layout *l, uint64_t frame, uint32_t x, uint32_t y)
{
    int b = code_bit(l, frame, x, y);
    if (b >= 0)
        return b ? 235u : 16u;
    return luma(x, y, (uint32_t)frame);
}

/* Chroma of the sample held by pixel (cx, cy): neutral inside the code. */
static void pattern_uv(const code_layout *l, uint64_t frame, uint32_t cx, uint32_t cy,
                       uint8_t *u, uint8_t *v)
{
    if (code_bit(l, frame, cx, cy) >= 0) {
        *u = 128u;
        *v = 128u;
    } else {
        *u = chroma_u(cx, (uint32_t)frame);
        *v = chroma_v(cy, (uint32_t)frame);
    }
}

/* YUYV (y_first = 1: Y0 U Y1 V) or UYVY (y_first = 0: U Y0 V Y1). */
static void fill_422(uint8_t *dst, uint32_t width, uint32_t height, uint64_t frame,
                     int y_first, const code_layout *l)
{
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *row = dst + (size_t)y * width * 2u;
        for (uint32_t x = 0; x < width; x += 2u) {
            uint8_t *p = row + (size_t)x * 2u;
            uint8_t u, v;
            pattern_uv(l, frame, x, y, &u, &v);
            uint8_t y0 = pattern_y(l, frame, x, y), y1 = pattern_y(l, frame, x + 1u, y);
            if (y_first) {
                p[0] = y0; p[1] = u; p[2] = y1; p[3] = v;
            } else {
                p[0] = u; p[1] = y0; p[2] = v; p[3] = y1;
            }
        }
    }
}

static void fill_nv12(uint8_t *dst, uint32_t width, uint32_t height, uint64_t frame,
                      const code_layout *l)
{
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *row = dst + (size_t)y * width;
        for (uint32_t x = 0; x < width; x++)
            row[x] = pattern_y(l, frame, x, y);
    }
    uint8_t *uv = dst + (size_t)width * height;
    for (uint32_t cy = 0; cy < height / 2u; cy++) {
        uint8_t *row = uv + (size_t)cy * width;
        for (uint32_t x = 0; x < width; x += 2u)
            pattern_uv(l, frame, x, cy * 2u, &row[x], &row[x + 1u]);
    }
}

static void fill_grey8(uint8_t *dst, uint32_t width, uint32_t height, uint64_t frame,
                       const code_layout *l)
{
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *row = dst + (size_t)y * width;
        for (uint32_t x = 0; x < width; x++) {
            int b = code_bit(l, frame, x, y);
            row[x] = b >= 0 ? (b ? 235u : 16u) : (uint8_t)(x + y + (uint32_t)frame);
        }
    }
}

/* RGB24 (bpp 3) or RGBA8 (bpp 4, A = 255). */
static void fill_rgb(uint8_t *dst, uint32_t width, uint32_t height, uint64_t frame,
                     unsigned bpp, const code_layout *l)
{
    uint32_t f = (uint32_t)frame;
    for (uint32_t y = 0; y < height; y++) {
        for (uint32_t x = 0; x < width; x++) {
            uint8_t *p = dst + ((size_t)y * width + x) * bpp;
            int b = code_bit(l, frame, x, y);
            if (b >= 0) {
                p[0] = p[1] = p[2] = b ? 255u : 0u;
            } else {
                p[0] = (uint8_t)(x + y + f);
                p[1] = (uint8_t)(2u * x + 3u * f);
                p[2] = (uint8_t)(2u * y + 5u * f);
            }
            if (bpp == 4u)
                p[3] = 255u;
        }
    }
}

void baton_pattern_fill(baton_format fmt, uint32_t width, uint32_t height, uint64_t frame,
                        uint8_t *dst)
{
    if (!dst || baton_format_frame_size(fmt, width, height) == 0)
        return;
    code_layout l = layout_for(width);
    switch (fmt) {
    case BATON_FORMAT_YUYV: fill_422(dst, width, height, frame, 1, &l); break;
    case BATON_FORMAT_UYVY: fill_422(dst, width, height, frame, 0, &l); break;
    case BATON_FORMAT_NV12: fill_nv12(dst, width, height, frame, &l); break;
    case BATON_FORMAT_GREY8: fill_grey8(dst, width, height, frame, &l); break;
    case BATON_FORMAT_RGB24: fill_rgb(dst, width, height, frame, 3u, &l); break;
    case BATON_FORMAT_RGBA8: fill_rgb(dst, width, height, frame, 4u, &l); break;
    default: break;
    }
}

baton_status baton_pattern_decode_frame(const uint8_t *rgba, uint32_t width, uint32_t height,
                                        size_t pitch, uint64_t *frame, baton_error *err)
{
    if (!rgba || !frame)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_pattern_decode_frame: rgba and frame must not be NULL");
    if (width < BATON_PATTERN_MIN_WIDTH || height < BATON_PATTERN_MIN_HEIGHT)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_pattern_decode_frame: %ux%u is below the pattern "
                               "minimum %ux%u", width, height, BATON_PATTERN_MIN_WIDTH,
                               BATON_PATTERN_MIN_HEIGHT);
    if (pitch / 4u < width)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_pattern_decode_frame: pitch %zu is less than width %u * 4",
                               pitch, width);
    code_layout l = layout_for(width);
    uint64_t value = 0;
    for (uint32_t k = 0; k < CODE_BITS; k++) {
        uint32_t x = (k % l.per_row) * l.side + l.side / 2u;
        uint32_t y = (k / l.per_row) * l.side + l.side / 2u;
        const uint8_t *p = rgba + (size_t)y * pitch + (size_t)x * 4u;
        unsigned sum = (unsigned)p[0] + p[1] + p[2];
        if (sum >= 3u * 64u && sum < 3u * 192u)
            return baton_error_set(err, BATON_ERR_MISMATCH,
                                   "frame code block %u at pixel (%u,%u) is neither black nor "
                                   "white (R,G,B = %u,%u,%u): not a baton pattern frame?",
                                   k, x, y, p[0], p[1], p[2]);
        uint64_t bit = sum >= 3u * 128u ? 1u : 0u;
        value = (value << 1) | bit;
    }
    *frame = value;
    return BATON_OK;
}
