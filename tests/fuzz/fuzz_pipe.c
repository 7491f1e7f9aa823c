/* fuzz_pipe.c - libFuzzer target: the pipe source, driven through the source
 * interface. The input's first line is what follows "pipe:" in the spec
 * (FORMAT:WxH, the header the pipe source parses: format name, size, and
 * the checks between them); the rest is the raw stream. It is read from a
 * file ("pipe:LINE:/proc/self/fd/N", policy backpressure) and from a pipe
 * ("pipe:LINE:fd=N", policy newest, which looks at what the pipe holds).
 * Every open and every frame works or fails with a message; frames go into
 * a buffer of exactly frame_bytes. */
#include "baton/format.h"
#include "fuzz_common.h"
#include "sources/source.h"

#define FRAMES_MAX 8
#define FRAME_BYTES_MAX (16u << 20) /* larger frames are opened but not read */

static void drive(const char *spec, baton_drop_policy policy)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int memfd = -1;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line = nl ? (size_t)(nl - data) : size;
    if (memchr(data, '\0', line)) /* argv cannot hold it; and "...:-\0" would read stdin */
        return 0;
    size_t rest = nl ? size - line - 1 : 0;
    const uint8_t *stream = nl ? nl + 1 : data + size;
    char *spec = malloc(line + 64);
    if (!spec)
        fuzz_fail("malloc(spec) failed", NULL);
    char path[64];
    fuzz_memfd(&memfd, stream, rest, path, sizeof path);
    int n = snprintf(spec, line + 64, "pipe:%.*s:%s", (int)line, (const char *)data, path);
    if (n < 0)
        fuzz_fail("snprintf(spec) failed", NULL);
    drive(spec, BATON_POLICY_BACKPRESSURE);
    size_t held;
    int rd = fuzz_pipe(stream, rest, &held);
    snprintf(spec, line + 64, "pipe:%.*s:fd=%d", (int)line, (const char *)data, rd);
    drive(spec, BATON_POLICY_NEWEST);
    close(rd);
    free(spec);
    return 0;
}
