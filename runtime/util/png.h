/* png.h - write and read RGBA8 images as PNG files (libpng).
 *
 * For screenshots and test references. Both functions are blocking file
 * I/O; they keep no state and are thread-safe on distinct paths. libpng
 * errors are caught (setjmp) and returned as values whose message names the
 * failing libpng or stdio call and the path; every path closes the file and
 * frees libpng's structures.
 */
#ifndef BATON_PNG_H
#define BATON_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write width x height RGBA8 pixels (rows pitch bytes apart, pitch >=
 * width * 4) to path as an 8-bit RGBA PNG, replacing any existing file.
 * Errors: BATON_ERR_INVALID_ARGUMENT (NULL pointer, zero size, pitch too
 * small), BATON_ERR_OS (fopen/fclose failed; errno text in the message),
 * BATON_ERR_IO (a libpng call failed, e.g. a write error or a size libpng
 * refuses), BATON_ERR_OUT_OF_MEMORY (libpng structures). On error after the
 * file was created, the partial file is removed.
 * Ownership: rgba stays the caller's and is only read. */
baton_status baton_png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width,
                                  uint32_t height, size_t pitch, baton_error *err);

/* Read the PNG at path, converting any colour type / bit depth to 8-bit
 * RGBA (opaque images get A = 255; 16-bit samples are truncated to their
 * high byte), into rgba as tightly packed rows (pitch = width * 4).
 * *width and *height are set as soon as the header is read, also when
 * capacity is too small. If rgba is NULL, only the header is read and
 * BATON_OK returned (a size query).
 * Errors: BATON_ERR_INVALID_ARGUMENT (NULL path/width/height, or capacity
 * < width * height * 4: the message gives the bytes needed), BATON_ERR_OS
 * (fopen failed), BATON_ERR_PARSE (not a PNG file), BATON_ERR_IO (a libpng
 * call failed: truncated or corrupt data), BATON_ERR_OUT_OF_MEMORY.
 * Ownership: rgba is the caller's buffer of capacity bytes. */
baton_status baton_png_read_rgba(const char *path, uint8_t *rgba, size_t capacity,
                                 uint32_t *width, uint32_t *height, baton_error *err);

#ifdef __cplusplus
}
#endif

#endif
