/* fuzz_y4m.c - libFuzzer target: the Y4M source (YUV4MPEG2 stream header,
 * FRAME headers, planes) driven through the source interface, as baton-run
 * opens it: the input is the stream, read from a file
 * ("y4m:/proc/self/fd/N"), the same file with ":loop", and a pipe
 * ("y4m:fd=N"). Every open and every frame either works or fails with a
 * message; frames are read into a buffer of exactly frame_bytes, so ASan
 * sees any write past it. */
#include <stdbool.h>

#include "baton/format.h"
#include "fuzz_common.h"
#include "sources/source.h"

#define FRAMES_MAX 6                 /* frames read per open (":loop" never ends) */
#define FRAME_BYTES_MAX (16u << 20)  /* larger frames are opened but not read */

static void drive(const char *spec)
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
    if (src.frame_bytes <= FRAME_BYTES_MAX) {
        uint8_t *dst = malloc(src.frame_bytes);
        if (!dst)
            fuzz_fail("malloc(frame) failed", NULL);
        uint64_t next = 0, dropped = 0;
        for (int i = 0; i < FRAMES_MAX; i++) {
            uint64_t frame = UINT64_MAX, ts = 0;
            baton_error_clear(&err);
            st = source_next(&src, BATON_POLICY_BACKPRESSURE, dst, 20, &frame, &dropped, &ts,
                             &err);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int memfd = -1;
    char path[64], spec[96];
    fuzz_memfd(&memfd, data, size, path, sizeof path);
    snprintf(spec, sizeof spec, "y4m:%s", path);
    drive(spec);
    if (lseek(memfd, 0, SEEK_SET) != 0)
        fuzz_fail("lseek of the memfd failed", NULL);
    snprintf(spec, sizeof spec, "y4m:%s:loop", path);
    drive(spec);
    size_t held;
    int rd = fuzz_pipe(data, size, &held);
    snprintf(spec, sizeof spec, "y4m:fd=%d", rd);
    drive(spec);
    close(rd);
    return 0;
}
