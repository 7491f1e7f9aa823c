/* png_internal.h - libpng error plumbing shared by png_write.c and
 * png_read.c (not installed).
 *
 * libpng reports errors by calling an error function that must not return;
 * ours records libpng's message and longjmps back to the setjmp in the
 * function that made the call. Before each libpng call the caller stores
 * the call's name in ctx->call, so the resulting baton_error names it.
 */
#ifndef BATON_PNG_INTERNAL_H
#define BATON_PNG_INTERNAL_H

#include <png.h>
#include <stdio.h>

typedef struct baton_png_ctx {
    const char *call;  /* the libpng call in progress */
    char message[200]; /* libpng's text for the last error */
} baton_png_ctx;

static inline void baton_png_on_error(png_structp png, png_const_charp msg)
{
    baton_png_ctx *ctx = (baton_png_ctx *)png_get_error_ptr(png);
    snprintf(ctx->message, sizeof ctx->message, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

/* Warnings (e.g. about ancillary chunks) do not affect the pixels. */
static inline void baton_png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

#endif
