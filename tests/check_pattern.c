/* check_pattern.c - test pattern round trips (fill -> convert -> decode),
 * its layout, and PNG write/read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame/convert.h"
#include "baton/format.h"
#include "sources/pattern.h"
#include "sources/source.h"
#include "util/png.h"
#include "util_test.h"

static const uint32_t sizes[][2] = {
    {64, 16}, {66, 20}, {100, 16}, {128, 16}, {200, 30},
    {256, 16}, {320, 240}, {510, 16}, {512, 16}, {640, 480}, {1280, 720},
};

static const uint64_t frames[] = {
    0, 1, (UINT64_C(1) << 32) + 5, UINT64_MAX, UINT64_C(0x8000000000000000),
    UINT64_C(0xDEADBEEFCAFEF00D),
};

/* Fill frame `frame` of fmt at w x h and convert it to RGBA8 (pitch given);
 * the caller frees the result. */
static uint8_t *pattern_rgba(baton_format fmt, uint32_t w, uint32_t h, uint64_t frame,
                             size_t pitch)
{
    size_t n = baton_format_frame_size(fmt, w, h);
    ck_assert_uint_ne(n, 0);
    uint8_t *src = malloc(n), *rgba = malloc(pitch * h);
    ck_assert_ptr_nonnull(src);
    ck_assert_ptr_nonnull(rgba);
    baton_pattern_fill(fmt, w, h, frame, src);
    baton_error err;
    ck_assert_msg(baton_convert_cpu(fmt, src, w, h, rgba, pitch, &err) == BATON_OK, "%s",
                  err.message);
    free(src);
    return rgba;
}

/* Loop index = format: every size and frame number survives the trip. */
START_TEST(test_round_trip)
{
    baton_format fmt = (baton_format)_i;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t f = 0; f < sizeof frames / sizeof frames[0]; f++) {
            uint32_t w = sizes[s][0], h = sizes[s][1];
            size_t pitch = (size_t)w * 4u + (s % 2u ? 64u : 0u);
            uint8_t *rgba = pattern_rgba(fmt, w, h, frames[f], pitch);
            uint64_t got = 0;
            baton_error err;
            baton_status st = baton_pattern_decode_frame(rgba, w, h, pitch, &got, &err);
            ck_assert_msg(st == BATON_OK, "%s %ux%u frame %llu: %s", baton_format_name(fmt), w,
                          h, (unsigned long long)frames[f], err.message);
            ck_assert_msg(got == frames[f], "%s %ux%u: wrote frame %llu, read %llu",
                          baton_format_name(fmt), w, h, (unsigned long long)frames[f],
                          (unsigned long long)got);
            free(rgba);
        }
}
END_TEST

/* Consecutive frames differ, also away from the frame code (bottom row). */
START_TEST(test_consecutive_frames_differ)
{
    baton_format fmt = (baton_format)_i;
    static const uint64_t starts[] = {0, 41, UINT32_MAX, UINT64_MAX - 1};
    const uint32_t w = 64, h = 16;
    size_t n = baton_format_frame_size(fmt, w, h);
    uint8_t *a = malloc(n), *b = malloc(n);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        baton_pattern_fill(fmt, w, h, starts[i], a);
        baton_pattern_fill(fmt, w, h, starts[i] + 1u, b);
        ck_assert_int_ne(memcmp(a, b, n), 0);
        /* Row h - 1 of the converted image lies outside the code. */
        uint8_t *ra = pattern_rgba(fmt, w, h, starts[i], w * 4u);
        uint8_t *rb = pattern_rgba(fmt, w, h, starts[i] + 1u, w * 4u);
        ck_assert_msg(memcmp(ra + (h - 1u) * w * 4u, rb + (h - 1u) * w * 4u, w * 4u) != 0,
                      "%s: image does not move from frame %llu", baton_format_name(fmt),
                      (unsigned long long)starts[i]);
        free(ra);
        free(rb);
    }
    free(a);
    free(b);
}
END_TEST

/* Same inputs, same bytes; exactly frame_size bytes written. */
START_TEST(test_deterministic_and_bounded)
{
    baton_format fmt = (baton_format)_i;
    const uint32_t w = 66, h = 20;
    size_t n = baton_format_frame_size(fmt, w, h);
    uint8_t *a = malloc(n + 64), *b = malloc(n + 64);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    memset(a, 0xA5, n + 64);
    memset(b, 0x5A, n + 64);
    baton_pattern_fill(fmt, w, h, 12345, a);
    baton_pattern_fill(fmt, w, h, 12345, b);
    ck_assert_mem_eq(a, b, n);
    for (size_t i = n; i < n + 64; i++)
        ck_assert_uint_eq(a[i], 0xA5);
    /* Invalid sizes and NULL write nothing. */
    memset(a, 0xA5, n + 64);
    baton_pattern_fill(fmt, 0, h, 1, a);
    baton_pattern_fill(BATON_FORMAT_COUNT, w, h, 1, a);
    baton_pattern_fill(fmt, w, h, 1, NULL);
    if (fmt == BATON_FORMAT_YUYV || fmt == BATON_FORMAT_UYVY || fmt == BATON_FORMAT_NV12)
        baton_pattern_fill(fmt, w + 1u, h, 1, a);
    for (size_t i = 0; i < n + 64; i++)
        ck_assert_uint_eq(a[i], 0xA5);
    free(a);
    free(b);
}
END_TEST

/* Every pixel of every code block converts to pure black or white. */
START_TEST(test_code_blocks_are_flat)
{
    baton_format fmt = (baton_format)_i;
    static const uint32_t widths[] = {64, 256, 512};
    const uint64_t frame = UINT64_C(0xA5A5F00F0FF05A5A);
    uint8_t lo = fmt == BATON_FORMAT_GREY8 ? 16 : 0, hi = fmt == BATON_FORMAT_GREY8 ? 235 : 255;
    for (size_t i = 0; i < 3; i++) {
        uint32_t w = widths[i], h = 16;
        uint32_t side = w >= 512u ? 8u : w >= 256u ? 4u : 2u, per_row = w / side;
        if (per_row > 64u)
            per_row = 64u;
        uint8_t *rgba = pattern_rgba(fmt, w, h, frame, w * 4u);
        for (uint32_t k = 0; k < 64; k++) {
            uint8_t want = (frame >> (63u - k)) & 1u ? hi : lo;
            uint32_t x0 = (k % per_row) * side, y0 = (k / per_row) * side;
            for (uint32_t y = y0; y < y0 + side; y++)
                for (uint32_t x = x0; x < x0 + side; x++) {
                    const uint8_t *p = rgba + ((size_t)y * w + x) * 4u;
                    if (p[0] != want || p[1] != want || p[2] != want || p[3] != 255)
                        ck_abort_msg("%s w %u block %u pixel (%u,%u) = %u,%u,%u,%u, want %u",
                                     baton_format_name(fmt), w, k, x, y, p[0], p[1], p[2],
                                     p[3], want);
                }
        }
        free(rgba);
    }
}
END_TEST

START_TEST(test_decode_errors)
{
    const uint32_t w = 64, h = 16;
    uint8_t *rgba = pattern_rgba(BATON_FORMAT_RGBA8, w, h, 7, w * 4u);
    uint64_t frame = 99;
    baton_error err;
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, w, h, w * 4u - 1u, &frame, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, 63, h, w * 4u, &frame, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "minimum"));
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, w, 15, w * 4u, &frame, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_pattern_decode_frame(NULL, w, h, w * 4u, &frame, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, w, h, w * 4u, NULL, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(frame, 99);
    /* A mid-grey image carries no code. */
    memset(rgba, 128, (size_t)w * h * 4u);
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, w, h, w * 4u, &frame, &err),
                     BATON_ERR_MISMATCH);
    ck_assert_int_eq(err.status, BATON_ERR_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.message, "block 0"));
    ck_assert_uint_eq(frame, 99);
    free(rgba);
}
END_TEST

/* ---- PNG --------------------------------------------------------------- */

/* A fresh, empty temp file name under /tmp (the caller unlinks it). */
static void temp_path(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/baton-check-pattern-XXXXXX");
    int fd = mkstemp(buf);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

START_TEST(test_png_round_trip)
{
    int fds = test_open_fd_count();
    const uint32_t w = 37, h = 23;
    const size_t pitch = w * 4u + 20u;
    uint8_t *img = malloc(pitch * h), *back = malloc((size_t)w * h * 4u);
    ck_assert_ptr_nonnull(img);
    ck_assert_ptr_nonnull(back);
    uint32_t s = 12345;
    for (size_t i = 0; i < pitch * h; i++) {
        s = s * 1103515245u + 12345u;
        img[i] = (uint8_t)(s >> 24); /* alpha varies too */
    }
    char path[64];
    temp_path(path, sizeof path);
    baton_error err;
    ck_assert_msg(baton_png_write_rgba(path, img, w, h, pitch, &err) == BATON_OK, "%s",
                  err.message);

    uint32_t rw = 0, rh = 0;
    ck_assert_int_eq(baton_png_read_rgba(path, NULL, 0, &rw, &rh, &err), BATON_OK); /* query */
    ck_assert_uint_eq(rw, w);
    ck_assert_uint_eq(rh, h);
    rw = rh = 0;
    ck_assert_int_eq(baton_png_read_rgba(path, back, (size_t)w * h * 4u - 1u, &rw, &rh, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(rw, w);
    ck_assert_ptr_nonnull(strstr(err.message, "needs"));
    ck_assert_msg(baton_png_read_rgba(path, back, (size_t)w * h * 4u, &rw, &rh, &err) ==
                      BATON_OK, "%s", err.message);
    for (uint32_t y = 0; y < h; y++)
        ck_assert_mem_eq(back + (size_t)y * w * 4u, img + (size_t)y * pitch, (size_t)w * 4u);
    ck_assert_int_eq(unlink(path), 0);
    free(img);
    free(back);
    ck_assert_int_eq(test_open_fd_count(), fds);
}
END_TEST

/* A converted pattern frame survives PNG and still decodes. */
START_TEST(test_png_pattern_decode)
{
    const uint32_t w = 320, h = 240;
    const uint64_t frame = (UINT64_C(1) << 32) + 5;
    uint8_t *rgba = pattern_rgba(BATON_FORMAT_NV12, w, h, frame, w * 4u);
    uint8_t *back = malloc((size_t)w * h * 4u);
    ck_assert_ptr_nonnull(back);
    char path[64];
    temp_path(path, sizeof path);
    baton_error err;
    ck_assert_int_eq(baton_png_write_rgba(path, rgba, w, h, w * 4u, &err), BATON_OK);
    uint32_t rw, rh;
    ck_assert_int_eq(baton_png_read_rgba(path, back, (size_t)w * h * 4u, &rw, &rh, &err),
                     BATON_OK);
    unlink(path);
    ck_assert_mem_eq(back, rgba, (size_t)w * h * 4u);
    uint64_t got = 0;
    ck_assert_int_eq(baton_pattern_decode_frame(back, rw, rh, rw * 4u, &got, &err), BATON_OK);
    ck_assert_uint_eq(got, frame);
    free(rgba);
    free(back);
}
END_TEST

START_TEST(test_png_errors)
{
    int fds = test_open_fd_count();
    uint8_t px[16 * 4] = {0};
    baton_error err;
    const char *bad = "/nonexistent-baton-dir/out.png";
    ck_assert_int_eq(baton_png_write_rgba(bad, px, 4, 4, 16, &err), BATON_ERR_OS);
    ck_assert_int_eq(err.status, BATON_ERR_OS);
    ck_assert_ptr_nonnull(strstr(err.message, "fopen"));
    ck_assert_ptr_nonnull(strstr(err.message, bad));
    ck_assert_int_eq(baton_png_write_rgba("/tmp", px, 4, 4, 16, &err), BATON_ERR_OS);
    ck_assert_int_eq(baton_png_write_rgba(NULL, px, 4, 4, 16, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_png_write_rgba("/tmp/x.png", NULL, 4, 4, 16, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_png_write_rgba("/tmp/x.png", px, 4, 4, 15, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_png_write_rgba("/tmp/x.png", px, 0, 4, 16, &err),
                     BATON_ERR_INVALID_ARGUMENT);

    /* A size libpng refuses: error names the call, partial file removed. */
    char path[64];
    temp_path(path, sizeof path);
    ck_assert_int_eq(baton_png_write_rgba(path, px, UINT32_MAX / 4u, 1, SIZE_MAX, &err),
                     BATON_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "png_"));
    ck_assert_int_ne(access(path, F_OK), 0);

    uint32_t w, h;
    ck_assert_int_eq(baton_png_read_rgba(bad, px, sizeof px, &w, &h, &err), BATON_ERR_OS);
    ck_assert_ptr_nonnull(strstr(err.message, "fopen"));
    ck_assert_int_eq(baton_png_read_rgba(path, px, sizeof px, NULL, &h, &err),
                     BATON_ERR_INVALID_ARGUMENT);

    /* Not a PNG. */
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("this is not a png file", f);
    fclose(f);
    ck_assert_int_eq(baton_png_read_rgba(path, px, sizeof px, &w, &h, &err), BATON_ERR_PARSE);

    /* A truncated PNG: the error names the libpng call. */
    ck_assert_int_eq(baton_png_write_rgba(path, px, 4, 4, 16, &err), BATON_OK);
    ck_assert_int_eq(truncate(path, 40), 0);
    ck_assert_int_eq(baton_png_read_rgba(path, px, sizeof px, &w, &h, &err), BATON_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "png_read"));
    unlink(path);
    ck_assert_int_eq(test_open_fd_count(), fds);
}
END_TEST

/* pattern:replay fills each buffer once: later frames leave it untouched
 * (a DMA camera's cost to the CPU), while frame numbers still advance. */
START_TEST(test_source_replay)
{
    source src;
    baton_error err;
    ck_assert_int_eq(source_open(&src, "pattern@1000:replay", BATON_FORMAT_YUYV, 64, 32, &err),
                     BATON_OK);
    size_t n = src.frame_bytes;
    uint8_t *buf[2] = {malloc(n), malloc(n)};
    uint64_t frame = 0, dropped = 0, ts = 0, decoded = 0;
    for (uint64_t i = 0; i < 6; i++) {
        if (i >= 2)
            memset(buf[i % 2], 0x5a, 16); /* a mark a refill would overwrite */
        ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, buf[i % 2], 1000, &frame,
                                     &dropped, &ts, &err), BATON_OK);
        ck_assert_uint_eq(frame, i);
        ck_assert_uint_gt(ts, 0);
        if (i >= 2)
            ck_assert_int_eq(buf[i % 2][0], 0x5a);
    }
    uint8_t *rgba = malloc((size_t)64 * 32 * 4);
    source_close(&src);
    ck_assert_int_eq(source_open(&src, "pattern:replay:replay", BATON_FORMAT_YUYV, 64, 32, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    source_close(&src);
    ck_assert_int_eq(source_open(&src, "pattern:replay:stop=3", BATON_FORMAT_YUYV, 64, 32, &err),
                     BATON_OK); /* either order */
    source_close(&src);
    ck_assert_int_eq(source_open(&src, "pattern:stop=3:replay", BATON_FORMAT_YUYV, 64, 32, &err),
                     BATON_OK);
    ck_assert_int_eq(source_next(&src, BATON_POLICY_BACKPRESSURE, buf[0], 1000, &frame, &dropped,
                                 &ts, &err), BATON_OK);
    ck_assert_int_eq(baton_convert_cpu(BATON_FORMAT_YUYV, buf[0], 64, 32, rgba, 64 * 4, &err),
                     BATON_OK);
    ck_assert_int_eq(baton_pattern_decode_frame(rgba, 64, 32, 64 * 4, &decoded, &err), BATON_OK);
    ck_assert_uint_eq(decoded, 0);
    source_close(&src);
    free(rgba);
    free(buf[0]);
    free(buf[1]);
}
END_TEST

static Suite *pattern_suite(void)
{
    Suite *s = suite_create("pattern");
    TCase *tc = tcase_create("pattern");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_round_trip, 0, BATON_FORMAT_COUNT);
    tcase_add_loop_test(tc, test_consecutive_frames_differ, 0, BATON_FORMAT_COUNT);
    tcase_add_loop_test(tc, test_deterministic_and_bounded, 0, BATON_FORMAT_COUNT);
    tcase_add_loop_test(tc, test_code_blocks_are_flat, 0, BATON_FORMAT_COUNT);
    tcase_add_test(tc, test_decode_errors);
    tcase_add_test(tc, test_source_replay);
    suite_add_tcase(s, tc);
    TCase *png = tcase_create("png");
    tcase_add_test(png, test_png_round_trip);
    tcase_add_test(png, test_png_pattern_decode);
    tcase_add_test(png, test_png_errors);
    suite_add_tcase(s, png);
    return s;
}

int main(void)
{
    return test_run_suite(pattern_suite());
}
