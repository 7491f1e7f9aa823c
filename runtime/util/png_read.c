/* png_read.c - read a PNG file as RGBA8 into a caller buffer (see baton/png.h). */
#include "util/png.h"

#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include "util/png_internal.h"
#include "util/fault.h"

#define SIG_BYTES 8u

/* Read the header and set up the transforms to 8-bit RGBA; 0 or -1. */
static int read_header(png_structp png, png_infop info, baton_png_ctx *ctx, FILE *fp,
                       uint32_t *width, uint32_t *height, int *passes)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    ctx->call = "png_init_io";
    png_init_io(png, fp);
    png_set_sig_bytes(png, (int)SIG_BYTES);
    ctx->call = "png_read_info";
    png_read_info(png, info);
    ctx->call = "png_set_expand";
    png_byte type = png_get_color_type(png, info);
    png_set_expand(png); /* palette -> RGB, grey < 8 bit -> 8 bit, tRNS -> alpha */
    png_set_strip_16(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    if (!(type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
    *passes = png_set_interlace_handling(png); /* rows come back whole */
    ctx->call = "png_read_update_info";
    png_read_update_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != (size_t)*width * 4u) {
        snprintf(ctx->message, sizeof ctx->message, "unexpected row size %zu for width %u",
                 (size_t)png_get_rowbytes(png, info), *width);
        return -1;
    }
    return 0;
}

/* Read all rows (every interlace pass) into rgba, then the trailer; 0 or -1. */
static int read_rows(png_structp png, png_infop info, baton_png_ctx *ctx, uint8_t *rgba,
                     uint32_t width, uint32_t height, int passes)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    ctx->call = "png_read_row";
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t y = 0; y < height; y++)
            png_read_row(png, rgba + (size_t)y * width * 4u, NULL);
    ctx->call = "png_read_end";
    png_read_end(png, info);
    return 0;
}

baton_status baton_png_read_rgba(const char *path, uint8_t *rgba, size_t capacity,
                                 uint32_t *width, uint32_t *height, baton_error *err)
{
    if (!path || !width || !height)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_png_read_rgba: path, width and height must not be NULL");

    FILE *fp = BATON_FAULT_PTR(fopen(path, "rb"));
    if (!fp)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\", \"rb\") failed: %s", path,
                               strerror(errno));
    png_byte sig[SIG_BYTES];
    if (fread(sig, 1, SIG_BYTES, fp) != SIG_BYTES || png_sig_cmp(sig, 0, SIG_BYTES) != 0) {
        fclose(fp);
        return baton_error_set(err, BATON_ERR_PARSE, "\"%s\" is not a PNG file", path);
    }

    baton_status st = BATON_OK;
    baton_png_ctx ctx = {.call = "png_create_read_struct", .message = ""};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, baton_png_on_error,
                                             baton_png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint32_t w = 0, h = 0;
    int passes = 1;
    if (!png || !info) {
        st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "%s failed for \"%s\"",
                             png ? "png_create_info_struct" : "png_create_read_struct", path);
    } else if (read_header(png, info, &ctx, fp, &w, &h, &passes) != 0) {
        st = baton_error_set(err, BATON_ERR_IO, "%s failed reading \"%s\": %s", ctx.call, path,
                             ctx.message);
    } else {
        *width = w;
        *height = h;
        if (rgba) {
            size_t row = (size_t)w * 4u;
            if (capacity / row < h)
                st = baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                     "baton_png_read_rgba: \"%s\" is %ux%u and needs %zu bytes, "
                                     "buffer has %zu", path, w, h, row * h, capacity);
            else if (read_rows(png, info, &ctx, rgba, w, h, passes) != 0)
                st = baton_error_set(err, BATON_ERR_IO, "%s failed reading \"%s\": %s",
                                     ctx.call, path, ctx.message);
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    return st;
}
