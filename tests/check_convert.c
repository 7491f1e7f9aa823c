/* check_convert.c - baton_convert_cpu against an independent floating-point
 * BT.601 reference (at most 1 apart per channel), layouts, siting, errors. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame/convert.h"
#include "baton/format.h"
#include "util_reference.h"
#include "util_test.h"

#define PAD 12u          /* bytes of padding after each destination row */
#define SENTINEL 0xA5u

/* Set pixel (x, y) of a YUV frame to Y, and its chroma sample to U, V. */
static void put_yuv(baton_format fmt, uint8_t *src, uint32_t w, uint32_t h, uint32_t x,
                    uint32_t y, uint8_t Y, uint8_t U, uint8_t V)
{
    if (fmt == BATON_FORMAT_NV12) {
        uint8_t *c = src + (size_t)w * h + 2u * ((size_t)(y / 2u) * (w / 2u) + x / 2u);
        src[(size_t)y * w + x] = Y;
        c[0] = U;
        c[1] = V;
        return;
    }
    uint8_t *m = src + 4u * ((size_t)y * (w / 2u) + x / 2u);
    int yuyv = fmt == BATON_FORMAT_YUYV;
    m[yuyv ? (x % 2u ? 2 : 0) : (x % 2u ? 3 : 1)] = Y;
    m[yuyv ? 1 : 0] = U;
    m[yuyv ? 3 : 2] = V;
}

static int is_yuv(baton_format fmt)
{
    return fmt == BATON_FORMAT_YUYV || fmt == BATON_FORMAT_UYVY || fmt == BATON_FORMAT_NV12;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint8_t rng_byte(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 56);
}

/* Convert src with a padded pitch and compare every pixel with the
 * reference: YUV within 1 per channel, the others exactly; the row padding
 * must stay untouched. Returns the largest difference seen. */
static int convert_and_compare(baton_format fmt, const uint8_t *src, uint32_t w, uint32_t h)
{
    size_t pitch = (size_t)w * 4u + PAD;
    uint8_t *dst = malloc(pitch * h);
    ck_assert_ptr_nonnull(dst);
    memset(dst, SENTINEL, pitch * h);
    baton_error err;
    baton_status st = baton_convert_cpu(fmt, src, w, h, dst, pitch, &err);
    ck_assert_msg(st == BATON_OK, "%s %ux%u: %s", baton_format_name(fmt), w, h, err.message);
    int tol = is_yuv(fmt) ? 1 : 0, worst = 0;
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *row = dst + (size_t)y * pitch;
        for (uint32_t x = 0; x < w; x++) {
            uint8_t want[4];
            ref_pixel(fmt, src, w, h, x, y, want);
            for (int c = 0; c < 4; c++) {
                int d = abs((int)row[4u * x + (unsigned)c] - (int)want[c]);
                if (d > worst)
                    worst = d;
                if (d > tol) /* plain if: ck_assert per pixel is slow */
                    ck_abort_msg("%s %ux%u pixel (%u,%u) channel %d: got %u want %u",
                                 baton_format_name(fmt), w, h, x, y, c,
                                 row[4u * x + (unsigned)c], want[c]);
            }
        }
        for (uint32_t p = 0; p < PAD; p++)
            if (row[(size_t)w * 4u + p] != SENTINEL)
                ck_abort_msg("%s %ux%u: row %u padding written", baton_format_name(fmt), w, h, y);
    }
    free(dst);
    return worst;
}

/* ---- tests ------------------------------------------------------------ */

static const uint32_t sizes[][2] = {
    {1, 1}, {2, 1}, {2, 2}, {3, 3}, {4, 3}, {4, 6}, {6, 5}, {8, 7}, {17, 9},
    {34, 2}, {64, 17}, {66, 30}, {66, 31}, {640, 480}, {1280, 720}, {1280, 721},
};

/* Random frames of every format (loop index = format) at every valid size. */
START_TEST(test_random_frames)
{
    baton_format fmt = (baton_format)_i;
    rng_state = 0x9E3779B97F4A7C15u + (uint64_t)_i;
    int tested = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint32_t w = sizes[s][0], h = sizes[s][1];
        size_t n = baton_format_frame_size(fmt, w, h);
        if (n == 0)
            continue;
        uint8_t *src = malloc(n);
        ck_assert_ptr_nonnull(src);
        for (size_t i = 0; i < n; i++)
            src[i] = rng_byte();
        convert_and_compare(fmt, src, w, h);
        free(src);
        tested++;
    }
    ck_assert_int_ge(tested, 5);
}
END_TEST

/* Y in {0, 16, 235, 255} x U, V in {0, 128, 255}, on both pixels of a
 * 4:2:2 pair / all four of an NV12 block, plus mixed Y within a group. */
START_TEST(test_edge_values)
{
    static const uint8_t ys[] = {0, 16, 235, 255}, cs[] = {0, 128, 255};
    static const baton_format fmts[] = {BATON_FORMAT_YUYV, BATON_FORMAT_UYVY, BATON_FORMAT_NV12};
    const uint32_t groups = 4u * 3u * 3u, w = 2u * groups, h = 4;
    for (size_t f = 0; f < 3; f++) {
        uint8_t src[2u * 4u * 3u * 3u * 4u * 2u];
        size_t n = baton_format_frame_size(fmts[f], w, h);
        ck_assert_uint_le(n, sizeof src);
        memset(src, 0x55, n);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                uint32_t g = x / 2u;
                /* rows 0-1: one Y per group; rows 2-3: the next Y on odd x */
                uint32_t yi = (g / 9u + (y >= 2u && (x & 1u) ? 1u : 0u)) % 4u;
                put_yuv(fmts[f], src, w, h, x, y, ys[yi], cs[(g / 3u) % 3u], cs[g % 3u]);
            }
        ck_assert_int_le(convert_and_compare(fmts[f], src, w, h), 1);
    }
}
END_TEST

/* Every Y, U, V combination through YUYV (one frame per Y: U across the
 * pairs, V down the rows). */
START_TEST(test_exhaustive_yuv)
{
    const uint32_t w = 512, h = 256;
    uint8_t *src = malloc((size_t)w * h * 2u);
    ck_assert_ptr_nonnull(src);
    int worst = 0;
    for (uint32_t Y = 0; Y < 256; Y++) {
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++)
                put_yuv(BATON_FORMAT_YUYV, src, w, h, x, y, (uint8_t)Y, (uint8_t)(x / 2u),
                        (uint8_t)y);
        int d = convert_and_compare(BATON_FORMAT_YUYV, src, w, h);
        if (d > worst)
            worst = d;
    }
    free(src);
    ck_assert_int_le(worst, 1);
}
END_TEST

/* Points the integer formula gives exactly. */
START_TEST(test_exact_points)
{
    static const struct {
        uint8_t y, u, v, r, g, b;
    } pts[] = {
        {16, 128, 128, 0, 0, 0},     {235, 128, 128, 255, 255, 255},
        {0, 128, 128, 0, 0, 0},      {255, 128, 128, 255, 255, 255},
        {126, 128, 128, 128, 128, 128}, /* (298 * 110 + 128) >> 8 = 128 */
        {81, 90, 240, 255, 0, 0},    /* BT.601 red */
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        uint8_t src[4] = {pts[i].y, pts[i].u, pts[i].y, pts[i].v}, dst[8];
        ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_YUYV, src, 2, 1, dst, 8, NULL),
                         BATON_OK);
        for (int p = 0; p < 2; p++) {
            ck_assert_msg(dst[4 * p] == pts[i].r && dst[4 * p + 1] == pts[i].g &&
                              dst[4 * p + 2] == pts[i].b && dst[4 * p + 3] == 255,
                          "YUV %u,%u,%u -> %u,%u,%u,%u", pts[i].y, pts[i].u, pts[i].v,
                          dst[4 * p], dst[4 * p + 1], dst[4 * p + 2], dst[4 * p + 3]);
        }
    }
}
END_TEST

START_TEST(test_grey_and_copies_exact)
{
    uint8_t grey[256], out[256 * 4];
    for (int i = 0; i < 256; i++)
        grey[i] = (uint8_t)i;
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_GREY8, grey, 16, 16, out, 64, NULL),
                     BATON_OK);
    for (int i = 0; i < 256; i++) {
        ck_assert_int_eq(out[4 * i], i);
        ck_assert_int_eq(out[4 * i + 1], i);
        ck_assert_int_eq(out[4 * i + 2], i);
        ck_assert_uint_eq(out[4 * i + 3], 255);
    }
    uint8_t rgba[8] = {1, 2, 3, 4, 250, 251, 252, 0}, o2[8];
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_RGBA8, rgba, 2, 1, o2, 8, NULL), BATON_OK);
    ck_assert_mem_eq(o2, rgba, 8);
    uint8_t rgb[6] = {9, 8, 7, 6, 5, 4};
    const uint8_t want[8] = {9, 8, 7, 255, 6, 5, 4, 255};
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_RGB24, rgb, 1, 2, o2, 4, NULL), BATON_OK);
    ck_assert_mem_eq(o2, want, 8);
}
END_TEST

/* Each NV12 chroma sample covers exactly its 2x2 luma block. */
START_TEST(test_nv12_siting)
{
    const uint32_t w = 8, h = 6;
    uint8_t src[8 * 6 * 3 / 2], dst[8 * 6 * 4];
    memset(src, 120, (size_t)w * h); /* flat luma */
    for (uint32_t by = 0; by < h / 2u; by++)
        for (uint32_t bx = 0; bx < w / 2u; bx++) {
            uint8_t *c = src + w * h + by * w + 2u * bx;
            c[0] = (uint8_t)(30u + 50u * bx);  /* U distinct per column */
            c[1] = (uint8_t)(40u + 80u * by);  /* V distinct per row */
        }
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_NV12, src, w, h, dst, w * 4u, NULL),
                     BATON_OK);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *p = dst + (y * w + x) * 4u;
            const uint8_t *tl = dst + ((y & ~1u) * w + (x & ~1u)) * 4u;
            ck_assert_mem_eq(p, tl, 4); /* same as the block's top-left pixel */
            uint8_t want[4];
            ref_yuv(120, 30 + 50 * (int)(x / 2u), 40 + 80 * (int)(y / 2u), want);
            for (int c = 0; c < 3; c++)
                ck_assert_int_le(abs((int)p[c] - (int)want[c]), 1);
            if (x >= 2u) /* neighbouring blocks differ */
                ck_assert_int_ne(memcmp(p, dst + (y * w + x - 2u) * 4u, 4), 0);
            if (y >= 2u)
                ck_assert_int_ne(memcmp(p, dst + ((y - 2u) * w + x) * 4u, 4), 0);
        }
}
END_TEST

/* 4:2:2: both pixels of a pair share U, V; pairs do not bleed. */
START_TEST(test_422_siting)
{
    static const baton_format fmts[] = {BATON_FORMAT_YUYV, BATON_FORMAT_UYVY};
    for (int f = 0; f < 2; f++) {
        const uint32_t w = 6, h = 3;
        uint8_t src[6 * 3 * 2], dst[6 * 3 * 4];
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++)
                put_yuv(fmts[f], src, w, h, x, y, 100,
                        (uint8_t)(20u + 90u * (x / 2u)), (uint8_t)(200u - 70u * y));
        ck_assert_int_eq(baton_convert_cpu(fmts[f], src, w, h, dst, w * 4u, NULL), BATON_OK);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x += 2u) {
                const uint8_t *p = dst + (y * w + x) * 4u;
                ck_assert_mem_eq(p, p + 4, 4);
                uint8_t want[4];
                ref_yuv(100, 20 + 90 * (int)(x / 2u), 200 - 70 * (int)y, want);
                for (int c = 0; c < 3; c++)
                    ck_assert_int_le(abs((int)p[c] - (int)want[c]), 1);
            }
    }
}
END_TEST

START_TEST(test_size_errors)
{
    uint8_t src[64] = {0}, dst[256];
    baton_error err;
    memset(dst, SENTINEL, sizeof dst);

    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_YUYV, src, 3, 2, dst, 64, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(err.status, BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "even width"));
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_UYVY, src, 5, 1, dst, 64, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_NV12, src, 4, 3, dst, 64, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "NV12"));
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_NV12, src, 3, 4, dst, 64, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_RGB24, src, 0, 4, dst, 64, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_GREY8, src, 4, 0, dst, 64, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_COUNT, src, 4, 4, dst, 64, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_GREY8, src, 4, 4, dst, 15, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "dst_pitch"));
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_GREY8, NULL, 4, 4, dst, 16, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_GREY8, src, 4, 4, NULL, 16, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_GREY8, src, 4, 4, NULL, 16, NULL),
                     BATON_ERR_INVALID_ARGUMENT);
    for (size_t i = 0; i < sizeof dst; i++)
        ck_assert_uint_eq(dst[i], SENTINEL); /* nothing written on error */

    /* The smallest valid frames and an exact pitch are fine. */
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_YUYV, src, 2, 1, dst, 8, &err), BATON_OK);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_NV12, src, 2, 2, dst, 8, &err), BATON_OK);
}
END_TEST

static Suite *convert_suite(void)
{
    Suite *s = suite_create("convert");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_random_frames, 0, BATON_FORMAT_COUNT);
    tcase_add_test(tc, test_edge_values);
    tcase_add_test(tc, test_exhaustive_yuv);
    tcase_add_test(tc, test_exact_points);
    tcase_add_test(tc, test_grey_and_copies_exact);
    tcase_add_test(tc, test_nv12_siting);
    tcase_add_test(tc, test_422_siting);
    tcase_add_test(tc, test_size_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(convert_suite());
}
