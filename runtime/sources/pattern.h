/* pattern.h - deterministic moving test pattern carrying its frame number.
 *
 * Image: a diagonal gradient that moves with the frame number (every pixel
 * outside the code changes from one frame to the next):
 *   RGB formats:  R = x + y + f, G = 2x + 3f, B = 2y + 5f   (all mod 256)
 *   GREY8:        Y = x + y + f                            (mod 256)
 *   YUV formats:  Y = 16 + (x + y + f) mod 220, U = 16 + (cx + 3f) mod 224,
 *                 V = 16 + (2 cy + 5f) mod 224, where (cx, cy) is the pixel
 *                 that holds the chroma sample (x even; for NV12 y even too)
 *   f = the low 32 bits of the frame number.
 *
 * Frame code: the 64-bit frame number, most significant bit first, as 64
 * square blocks in the top-left corner, left to right, then wrapping to the
 * next row of blocks: a 0 bit is black (Y = 16, U = V = 128 for YUV and
 * GREY8; R = G = B = 0 for RGB), a 1 bit white (Y = 235, U = V = 128; RGB
 * 255). The block side depends on the width only: 8 pixels if width >= 512,
 * 4 if width >= 256, else 2; a row holds min(64, width / side) blocks
 * (so widths >= 128 use one row, 64..127 two rows). Blocks start at even
 * coordinates and have even sides, so no 4:2:2 or 4:2:0 chroma sample
 * straddles a block edge.
 *
 * Minimum size: BATON_PATTERN_MIN_WIDTH x BATON_PATTERN_MIN_HEIGHT, plus the
 * format's own rules (even width for YUYV/UYVY, even width and height for
 * NV12).
 */
#ifndef BATON_PATTERN_H
#define BATON_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BATON_PATTERN_MIN_WIDTH 64u
#define BATON_PATTERN_MIN_HEIGHT 16u

/* Write frame number `frame` of the pattern to dst as a tightly packed
 * frame of fmt (baton_format_frame_size(fmt, width, height) bytes).
 * Writes nothing if dst is NULL or the size is invalid for fmt; below the
 * minimum size the image is written but the frame code is clipped (it then
 * cannot be decoded). No allocation; dst stays the caller's.
 * Thread-safety: pure; safe to call concurrently on distinct buffers. */
void baton_pattern_fill(baton_format fmt, uint32_t width, uint32_t height, uint64_t frame,
                        uint8_t *dst);

/* Read the frame number back from an RGBA8 image (rows pitch bytes apart)
 * made by converting a pattern frame of the same width x height: the
 * pixel (x0 + side / 2, y0 + side / 2) of each block (top-left x0, y0)
 * is a 1 if R + G + B >= 3 * 128 (threshold 128 on the mean), else a 0.
 * Errors: BATON_ERR_INVALID_ARGUMENT for NULL pointers, a size below the
 * minimum or pitch < width * 4; BATON_ERR_MISMATCH if a block centre is
 * neither dark (R + G + B < 192) nor light (>= 576), i.e. the image does
 * not carry a frame code (*frame is left unchanged then).
 * Thread-safety: pure; reads rgba only. */
baton_status baton_pattern_decode_frame(const uint8_t *rgba, uint32_t width, uint32_t height,
                                        size_t pitch, uint64_t *frame, baton_error *err);

#ifdef __cplusplus
}
#endif

#endif
