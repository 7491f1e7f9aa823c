/* pattern.c - deterministic moving test pattern with a frame code
 * (layout documented in baton/pattern.h). */
#include "sources/pattern.h"

#include <stdint.h>
#include <string.h>

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

/* The gradient is written row by row from small periodic tables (ramps,
 * below), CHUNK pixels at a time, so no per-pixel division and no table
 * that grows with the width; the code blocks are stamped over the top-left
 * corner afterwards. */
#define CHUNK 512u

/* A ramp: the sequence v(c) = base + step * ((c mod 2^32) % period) of a
 * uint32 counter c, mod 256, tabulated for k = 0 .. period + CHUNK - 1 so
 * that any run of up to CHUNK consecutive counters that does not pass 2^32
 * is one slice of the table. */
typedef struct ramp {
    uint32_t period; /* at most 256 */
    uint8_t tab[256u + CHUNK];
} ramp;

/* A place in a ramp: the counter and its remainder mod the period. */
typedef struct ramp_pos {
    uint32_t c, phase;
} ramp_pos;

static void ramp_init(ramp *r, uint32_t base, uint32_t step, uint32_t period)
{
    r->period = period;
    uint32_t v = 0;
    for (uint32_t k = 0; k < period + CHUNK; k++) {
        r->tab[k] = (uint8_t)(base + step * v);
        if (++v == period)
            v = 0;
    }
}

static ramp_pos ramp_at(const ramp *r, uint32_t c)
{
    ramp_pos p = {c, c % r->period};
    return p;
}

/* The n (<= CHUNK) values from *p on, advancing *p by n: a slice of the
 * table, or a copy in scratch (CHUNK bytes) when the counter wraps past
 * 2^32 inside the run, where the remainder restarts at 0. */
static const uint8_t *ramp_take(const ramp *r, ramp_pos *p, uint32_t n, uint8_t *scratch)
{
    const uint8_t *run = r->tab + p->phase;
    uint32_t to_wrap = 0u - p->c; /* counters left before 2^32 (0: c is 0) */
    if (to_wrap != 0u && to_wrap < n) {
        memcpy(scratch, run, to_wrap);
        memcpy(scratch + to_wrap, r->tab, n - to_wrap);
        run = scratch;
    }
    p->c += n;
    if (p->c < n) { /* wrapped, or reached 2^32 exactly */
        p->phase = p->c % r->period;
    } else {
        p->phase += n;
        while (p->phase >= r->period)
            p->phase -= r->period;
    }
    return run;
}

/* The YUV gradient (baton/pattern.h): Y = 16 + (x + y + f) % 220,
 * U = 16 + (cx + 3f) % 224, V = 16 + (2 cy + 5f) % 224, in uint32. */
static void yuv_ramps(ramp *luma, ramp *chroma)
{
    ramp_init(luma, 16u, 1u, 220u);
    ramp_init(chroma, 16u, 1u, 224u);
}

static uint8_t chroma_v(uint32_t cy, uint32_t f)
{
    return (uint8_t)(16u + (2u * cy + 5u * f) % 224u);
}

/* Store V in the chroma ramp's slots that odd pixels read (the U ramp's
 * values there are no part of the pattern): a run taken from it for pixels
 * x0 .. x0 + n - 1, x0 even, is then that span's chroma as NV12 and 4:2:2
 * interleave it, U V U V ..., U at the even pixels. u_phase is the phase
 * of any even pixel's counter, (3f) % 224 for cx = 0; every even pixel's
 * phase has its parity, also past the 2^32 wrap (224 and 2^32 are even). */
static void chroma_put_v(ramp *chroma, uint32_t u_phase, uint8_t v)
{
    for (uint32_t k = (u_phase + 1u) % 2u; k < chroma->period + CHUNK; k += 2u)
        chroma->tab[k] = v;
}

/* o[2i] = even[i], o[2i + 1] = odd[i] for i < n. Inlined, so that a
 * constant n gives the compiler a fixed-count loop to vectorize. */
static inline void interleave(uint8_t *restrict o, const uint8_t *restrict even,
                              const uint8_t *restrict odd, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        o[2u * i] = even[i];
        o[2u * i + 1u] = odd[i];
    }
}

/* YUYV (y_first = 1: Y0 U Y1 V) or UYVY (y_first = 0: U Y0 V Y1): each
 * row interleaves the luma with the chroma run U V U V ... */
static void fill_422(uint8_t *dst, uint32_t width, uint32_t height, uint32_t f, int y_first)
{
    ramp luma, chroma;
    uint8_t ybuf[CHUNK], cbuf[CHUNK];
    yuv_ramps(&luma, &chroma);
    const ramp_pos u_start = ramp_at(&chroma, 3u * f);
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *o = dst + (size_t)y * width * 2u;
        ramp_pos yp = ramp_at(&luma, y + f), cp = u_start;
        chroma_put_v(&chroma, u_start.phase, chroma_v(y, f));
        for (uint32_t left = width, n; left > 0; left -= n, o += 2u * n) {
            n = left < CHUNK ? left : CHUNK;
            const uint8_t *ys = ramp_take(&luma, &yp, n, ybuf);
            const uint8_t *cs = ramp_take(&chroma, &cp, n, cbuf);
            const uint8_t *even = y_first ? ys : cs, *odd = y_first ? cs : ys;
            if (n == CHUNK)
                interleave(o, even, odd, CHUNK);
            else
                interleave(o, even, odd, n);
        }
    }
}

/* NV12: the luma plane, then per chroma row cy the run U V U V ... of the
 * pixels in row 2 cy. */
static void fill_nv12(uint8_t *dst, uint32_t width, uint32_t height, uint32_t f)
{
    ramp luma, chroma;
    uint8_t buf[CHUNK];
    yuv_ramps(&luma, &chroma);
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *o = dst + (size_t)y * width;
        ramp_pos yp = ramp_at(&luma, y + f);
        for (uint32_t left = width, n; left > 0; left -= n, o += n) {
            n = left < CHUNK ? left : CHUNK;
            memcpy(o, ramp_take(&luma, &yp, n, buf), n);
        }
    }
    uint8_t *uv = dst + (size_t)width * height;
    const ramp_pos u_start = ramp_at(&chroma, 3u * f);
    for (uint32_t cy = 0; cy < height / 2u; cy++) {
        uint8_t *o = uv + (size_t)cy * width;
        ramp_pos cp = u_start;
        chroma_put_v(&chroma, u_start.phase, chroma_v(cy * 2u, f));
        for (uint32_t left = width, n; left > 0; left -= n, o += n) {
            n = left < CHUNK ? left : CHUNK;
            memcpy(o, ramp_take(&chroma, &cp, n, buf), n);
        }
    }
}

/* GREY8: Y = x + y + f (mod 256). */
static void fill_grey8(uint8_t *dst, uint32_t width, uint32_t height, uint32_t f)
{
    ramp grey;
    uint8_t buf[CHUNK];
    ramp_init(&grey, 0u, 1u, 256u);
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *o = dst + (size_t)y * width;
        ramp_pos p = ramp_at(&grey, y + f);
        for (uint32_t left = width, n; left > 0; left -= n, o += n) {
            n = left < CHUNK ? left : CHUNK;
            memcpy(o, ramp_take(&grey, &p, n, buf), n);
        }
    }
}

/* n RGB24 (bpp 3) or RGBA8 (bpp 4, A = 255) pixels from their R and G. */
static inline void put_rgb(uint8_t *restrict o, const uint8_t *restrict rs,
                           const uint8_t *restrict gs, uint8_t b, size_t n, unsigned bpp)
{
    if (bpp == 4u) {
        for (size_t i = 0; i < n; i++) {
            o[4u * i] = rs[i];
            o[4u * i + 1u] = gs[i];
            o[4u * i + 2u] = b;
            o[4u * i + 3u] = 255u;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            o[3u * i] = rs[i];
            o[3u * i + 1u] = gs[i];
            o[3u * i + 2u] = b;
        }
    }
}

/* RGB24 (bpp 3) or RGBA8 (bpp 4): R = x + y + f, G = 2x + 3f, B = 2y + 5f
 * (mod 256). Row y + 256 equals row y, so only the first 256 rows are
 * computed and the rest copied from them. */
static void fill_rgb(uint8_t *dst, uint32_t width, uint32_t height, uint32_t f, unsigned bpp)
{
    ramp red, green;
    uint8_t rbuf[CHUNK], gbuf[CHUNK];
    ramp_init(&red, 0u, 1u, 256u);
    ramp_init(&green, 3u * f, 2u, 128u);
    const uint32_t period = 256u, rows = height < period ? height : period;
    const size_t row_bytes = (size_t)width * bpp;
    for (uint32_t y = 0; y < rows; y++) {
        uint8_t *o = dst + (size_t)y * row_bytes;
        ramp_pos rp = ramp_at(&red, y + f), gp = ramp_at(&green, 0u);
        uint8_t b = (uint8_t)(2u * y + 5u * f);
        for (uint32_t left = width, n; left > 0; left -= n, o += (size_t)n * bpp) {
            n = left < CHUNK ? left : CHUNK;
            const uint8_t *rs = ramp_take(&red, &rp, n, rbuf);
            const uint8_t *gs = ramp_take(&green, &gp, n, gbuf);
            if (n == CHUNK)
                put_rgb(o, rs, gs, b, CHUNK, bpp);
            else
                put_rgb(o, rs, gs, b, n, bpp);
        }
    }
    for (uint32_t y = rows; y < height; y += rows) {
        uint32_t copy = height - y < rows ? height - y : rows;
        memcpy(dst + (size_t)y * row_bytes, dst, (size_t)copy * row_bytes);
    }
}

/* Pixels x0 .. x0 + side - 1 of row y as a code block of the given bit:
 * Y = 235 or 16 with U = V = 128 (YUV), Y = 235 or 16 (GREY8),
 * R = G = B = 255 or 0 (RGB; A stays 255). */
static void stamp_span(baton_format fmt, uint8_t *dst, uint32_t width, uint32_t height,
                       uint32_t x0, uint32_t y, uint32_t side, int bit)
{
    uint8_t luma = bit ? 235u : 16u, rgb = bit ? 255u : 0u;
    switch (fmt) {
    case BATON_FORMAT_YUYV:
    case BATON_FORMAT_UYVY: {
        uint8_t *p = dst + ((size_t)y * width + x0) * 2u;
        int y_first = fmt == BATON_FORMAT_YUYV;
        for (uint32_t i = 0; i < side * 2u; i++)
            p[i] = (i % 2u == 0u) == y_first ? luma : 128u;
        break;
    }
    case BATON_FORMAT_NV12:
        memset(dst + (size_t)y * width + x0, luma, side);
        if (y % 2u == 0u)
            memset(dst + (size_t)width * height + (size_t)(y / 2u) * width + x0, 128, side);
        break;
    case BATON_FORMAT_GREY8:
        memset(dst + (size_t)y * width + x0, luma, side);
        break;
    case BATON_FORMAT_RGB24:
        memset(dst + ((size_t)y * width + x0) * 3u, rgb, (size_t)side * 3u);
        break;
    case BATON_FORMAT_RGBA8:
        for (uint32_t i = 0; i < side; i++)
            memset(dst + ((size_t)y * width + x0 + i) * 4u, rgb, 3u);
        break;
    default: break;
    }
}

/* The frame code over the top-left corner, clipped to the frame's height
 * (blocks are never wider than the frame: per_row * side <= width). */
static void stamp_code(baton_format fmt, uint8_t *dst, uint32_t width, uint32_t height,
                       uint64_t frame, const code_layout *l)
{
    if (l->per_row == 0u)
        return;
    for (uint32_t k = 0; k < CODE_BITS; k++) {
        uint32_t x0 = (k % l->per_row) * l->side, y0 = (k / l->per_row) * l->side;
        if (y0 >= height)
            break;
        uint32_t y1 = height - y0 < l->side ? height : y0 + l->side;
        int bit = (int)((frame >> (CODE_BITS - 1u - k)) & 1u);
        for (uint32_t y = y0; y < y1; y++)
            stamp_span(fmt, dst, width, height, x0, y, l->side, bit);
    }
}

void baton_pattern_fill(baton_format fmt, uint32_t width, uint32_t height, uint64_t frame,
                        uint8_t *dst)
{
    if (!dst || baton_format_frame_size(fmt, width, height) == 0)
        return;
    uint32_t f = (uint32_t)frame;
    switch (fmt) {
    case BATON_FORMAT_YUYV: fill_422(dst, width, height, f, 1); break;
    case BATON_FORMAT_UYVY: fill_422(dst, width, height, f, 0); break;
    case BATON_FORMAT_NV12: fill_nv12(dst, width, height, f); break;
    case BATON_FORMAT_GREY8: fill_grey8(dst, width, height, f); break;
    case BATON_FORMAT_RGB24: fill_rgb(dst, width, height, f, 3u); break;
    case BATON_FORMAT_RGBA8: fill_rgb(dst, width, height, f, 4u); break;
    default: return;
    }
    code_layout l = layout_for(width);
    stamp_code(fmt, dst, width, height, frame, &l);
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
