/* fuzz_source.h - what the source targets (fuzz_y4m, fuzz_pipe) do with a
 * spec: open it through the source interface and read up to frames_max
 * frames into a buffer of exactly frame_bytes (so ASan sees a write past
 * it); every failed call must carry a message, the frame size must match
 * the format and size, and frame numbers must never go backwards. */
#ifndef BATON_FUZZ_SOURCE_H
#define BATON_FUZZ_SOURCE_H

#include "baton/format.h"
#include "fuzz_common.h"
#include "sources/source.h"

#define FUZZ_FRAME_BYTES_MAX (16u << 20) /* larger frames are opened but not read */

static inline void fuzz_drive_source(const char *spec, baton_drop_policy policy, int frames_max)
{
    source src;
    baton_error err;
    baton_error_clear(&err);
    baton_status st = source_open(&src, spec, BATON_FORMAT_YUYV, 64, 64, &err);
    if (st != BATON_OK) {
        fuzz_check_error(st, &err);
        return;
    }
    if (src.frame_bytes == 0 ||
        src.frame_bytes != baton_format_frame_size(src.format, src.width, src.height))
        fuzz_fail("open gave a frame size that does not match its format and size", spec);
    if (src.frame_bytes <= FUZZ_FRAME_BYTES_MAX) {
        uint8_t *dst = malloc(src.frame_bytes);
        if (!dst)
            fuzz_fail("malloc(frame) failed", NULL);
        uint64_t next = 0, dropped = 0;
        for (int i = 0; i < frames_max; i++) {
            uint64_t frame = UINT64_MAX, ts = 0;
            baton_error_clear(&err);
            st = source_next(&src, policy, dst, 20, &frame, &dropped, &ts, &err);
            if (st != BATON_OK) {
                fuzz_check_error(st, &err);
                break;
            }
            if (frame < next)
                fuzz_fail("frame numbers went backwards", spec);
            next = frame + 1;
        }
        free(dst);
    }
    source_close(&src);
}

#endif
