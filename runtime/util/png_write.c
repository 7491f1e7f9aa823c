/* png_write.c - write an RGBA8 image as a PNG file (see baton/png.h). */
#include "util/png.h"

#include <errno.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>

#include "util/png_internal.h"
#include "util/fault.h"

/* Every libpng call of the write, under one setjmp; 0 or -1 (ctx says why).
 * No local of this function is read after a longjmp. */
static int write_body(png_structp png, png_infop info, baton_png_ctx *ctx, FILE *fp,
                      const uint8_t *rgba, uint32_t width, uint32_t height, size_t pitch)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    ctx->call = "png_init_io";
    png_init_io(png, fp);
    ctx->call = "png_set_IHDR";
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    ctx->call = "png_write_info";
    png_write_info(png, info);
    ctx->call = "png_write_row";
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, rgba + (size_t)y * pitch);
    ctx->call = "png_write_end";
    png_write_end(png, NULL);
    return 0;
}

baton_status baton_png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width,
                                  uint32_t height, size_t pitch, baton_error *err)
{
    if (!path || !rgba)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_png_write_rgba: path and rgba must not be NULL");
    if (width == 0 || height == 0 || pitch / 4u < width)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_png_write_rgba: bad image %ux%u with pitch %zu",
                               width, height, pitch);

    FILE *fp = BATON_FAULT_PTR(fopen(path, "wb"));
    if (!fp)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\", \"wb\") failed: %s", path,
                               strerror(errno));

    baton_status st = BATON_OK;
    baton_png_ctx ctx = {.call = "png_create_write_struct", .message = ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, baton_png_on_error,
                                              baton_png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info)
        st = baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "%s failed for \"%s\"",
                             png ? "png_create_info_struct" : "png_create_write_struct", path);
    else if (write_body(png, info, &ctx, fp, rgba, width, height, pitch) != 0)
        st = baton_error_set(err, BATON_ERR_IO, "%s failed writing \"%s\": %s", ctx.call, path,
                             ctx.message);
    png_destroy_write_struct(&png, &info);

    if (fclose(fp) != 0 && st == BATON_OK)
        st = baton_error_set(err, BATON_ERR_OS, "fclose(\"%s\") failed: %s", path,
                             strerror(errno));
    if (st != BATON_OK)
        unlink(path);
    return st;
}
