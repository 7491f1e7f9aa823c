/* fuzz_y4m.c - libFuzzer target: the Y4M source (YUV4MPEG2 stream header,
 * FRAME headers, planes) driven through the source interface, as baton-run
 * opens it: the input is the stream, read from a file
 * ("y4m:/proc/self/fd/N"), the same file with ":loop", and a pipe
 * ("y4m:fd=N"). Every open and every frame either works or fails with a
 * message; frames are read into a buffer of exactly frame_bytes, so ASan
 * sees any write past it. */
#include <stdbool.h>

#include "baton/format.h"
#include "fuzz_source.h"

#define FRAMES_MAX 6                 /* frames read per open (":loop" never ends) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int memfd = -1;
    char path[64], spec[96];
    fuzz_memfd(&memfd, data, size, path, sizeof path);
    snprintf(spec, sizeof spec, "y4m:%s", path);
    fuzz_drive_source(spec, BATON_POLICY_BACKPRESSURE, FRAMES_MAX);
    if (lseek(memfd, 0, SEEK_SET) != 0)
        fuzz_fail("lseek of the memfd failed", NULL);
    snprintf(spec, sizeof spec, "y4m:%s:loop", path);
    fuzz_drive_source(spec, BATON_POLICY_BACKPRESSURE, FRAMES_MAX);
    size_t held;
    int rd = fuzz_pipe(data, size, &held);
    snprintf(spec, sizeof spec, "y4m:fd=%d", rd);
    fuzz_drive_source(spec, BATON_POLICY_BACKPRESSURE, FRAMES_MAX);
    close(rd);
    return 0;
}
