/* format.c - pixel format names, parsing and frame sizes. */
#include "baton/format.h"

#include <stdint.h>
#include <strings.h>

static const char *const format_names[BATON_FORMAT_COUNT] = {
    [BATON_FORMAT_YUYV] = "YUYV",
    [BATON_FORMAT_UYVY] = "UYVY",
    [BATON_FORMAT_NV12] = "NV12",
    [BATON_FORMAT_GREY8] = "GREY",
    [BATON_FORMAT_RGB24] = "RGB24",
    [BATON_FORMAT_RGBA8] = "RGBA8",
};

/* Extra spellings accepted by baton_format_parse. */
static const struct {
    const char *name;
    baton_format fmt;
} format_aliases[] = {
    {"GREY8", BATON_FORMAT_GREY8},
    {"GRAY", BATON_FORMAT_GREY8},
};

static int format_valid(baton_format fmt)
{
    return (unsigned)fmt < (unsigned)BATON_FORMAT_COUNT;
}

const char *baton_format_name(baton_format fmt)
{
    return format_valid(fmt) ? format_names[fmt] : "UNKNOWN";
}

baton_status baton_format_parse(const char *name, baton_format *out, baton_error *err)
{
    if (!name || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_format_parse: name and out must not be NULL");
    for (unsigned i = 0; i < (unsigned)BATON_FORMAT_COUNT; i++) {
        if (strcasecmp(name, format_names[i]) == 0) {
            *out = (baton_format)i;
            return BATON_OK;
        }
    }
    for (size_t i = 0; i < sizeof format_aliases / sizeof format_aliases[0]; i++) {
        if (strcasecmp(name, format_aliases[i].name) == 0) {
            *out = format_aliases[i].fmt;
            return BATON_OK;
        }
    }
    return baton_error_set(err, BATON_ERR_PARSE,
                           "unknown pixel format \"%.64s\" (expected YUYV, UYVY, NV12, "
                           "GREY, RGB24 or RGBA8)", name);
}

/* Bytes per pixel of fmt as the fraction num / den. */
static void format_bpp(baton_format fmt, size_t *num, size_t *den)
{
    *den = 1;
    switch (fmt) {
    case BATON_FORMAT_YUYV:
    case BATON_FORMAT_UYVY: *num = 2; break;
    case BATON_FORMAT_NV12: *num = 3; *den = 2; break;
    case BATON_FORMAT_GREY8: *num = 1; break;
    case BATON_FORMAT_RGB24: *num = 3; break;
    case BATON_FORMAT_RGBA8: *num = 4; break;
    default: *num = 0; break;
    }
}

/* Byte count of a frame whose dimensions are already known valid, or 0 if
 * it overflows size_t. */
static size_t frame_bytes(baton_format fmt, uint32_t width, uint32_t height)
{
    size_t num, den;
    format_bpp(fmt, &num, &den);
    if ((size_t)width > SIZE_MAX / height)
        return 0;
    size_t pixels = (size_t)width * height;
    if (pixels > SIZE_MAX / num)
        return 0;
    return pixels * num / den; /* NV12: pixels is a multiple of 4 */
}

size_t baton_format_frame_size(baton_format fmt, uint32_t width, uint32_t height)
{
    return baton_format_check_size(fmt, width, height, NULL) == BATON_OK
               ? frame_bytes(fmt, width, height)
               : 0;
}

baton_status baton_format_check_size(baton_format fmt, uint32_t width, uint32_t height,
                                     baton_error *err)
{
    if (!format_valid(fmt))
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "invalid pixel format %d",
                               (int)fmt);
    const char *name = format_names[fmt];
    if (width == 0 || height == 0)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "%s frame size %ux%u: width and height must be non-zero",
                               name, width, height);
    if ((fmt == BATON_FORMAT_YUYV || fmt == BATON_FORMAT_UYVY) && (width & 1u))
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "%s frame size %ux%u: 4:2:2 formats need an even width",
                               name, width, height);
    if (fmt == BATON_FORMAT_NV12 && ((width | height) & 1u))
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "%s frame size %ux%u: 4:2:0 needs an even width and height",
                               name, width, height);
    if (frame_bytes(fmt, width, height) == 0)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "%s frame size %ux%u: byte count overflows size_t",
                               name, width, height);
    return BATON_OK;
}
