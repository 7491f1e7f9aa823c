/* fuzz_pipe.c - libFuzzer target: the pipe source, driven through the source
 * interface. The input's first line is what follows "pipe:" in the spec
 * (FORMAT:WxH, the header the pipe source parses: format name, size, and
 * the checks between them); the rest is the raw stream. It is read from a
 * file ("pipe:LINE:/proc/self/fd/N", policy backpressure) and from a pipe
 * ("pipe:LINE:fd=N", policy newest, which looks at what the pipe holds).
 * Every open and every frame works or fails with a message; frames go into
 * a buffer of exactly frame_bytes. */
#include "baton/format.h"
#include "fuzz_source.h"

#define FRAMES_MAX 8

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
    fuzz_drive_source(spec, BATON_POLICY_BACKPRESSURE, FRAMES_MAX);
    size_t held;
    int rd = fuzz_pipe(stream, rest, &held);
    snprintf(spec, line + 64, "pipe:%.*s:fd=%d", (int)line, (const char *)data, rd);
    fuzz_drive_source(spec, BATON_POLICY_NEWEST, FRAMES_MAX);
    close(rd);
    free(spec);
    return 0;
}
