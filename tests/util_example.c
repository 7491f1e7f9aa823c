/* util_example.c - run the example application and check its frames against
 * an independent reference of its filter (the pattern regenerated here). */
#include "util_example.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sources/pattern.h"
#include "util/png.h"

const char *example_path(void)
{
    static char path[600];
    const char *dir = getenv("BATON_EXAMPLES_DIR");
    const char *build = getenv("BUILD");
    if (dir && dir[0])
        snprintf(path, sizeof path, "%s/edge_overlay", dir);
    else
        snprintf(path, sizeof path, "%s/examples/edge_overlay", build && build[0] ? build : "build");
    return path;
}

uint64_t ref_edge_overlay(const uint8_t *in, uint8_t *out, uint32_t w, uint32_t h, int threshold)
{
    static const int kx[3][3] = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
    static const int ky[3][3] = {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}};
    int *luma = malloc((size_t)w * h * sizeof *luma);
    ck_assert_ptr_nonnull(luma);
    for (size_t i = 0; i < (size_t)w * h; i++) /* BT.601 weights in 1/256, rounded */
        luma[i] = (77 * in[4 * i] + 150 * in[4 * i + 1] + 29 * in[4 * i + 2] + 128) / 256;
    memcpy(out, in, (size_t)w * h * 4);
    uint64_t edges = 0;
    for (uint32_t y = 1; y + 1 < h; y++) {
        for (uint32_t x = 1; x + 1 < w; x++) {
            int gx = 0, gy = 0;
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 3; i++) {
                    int l = luma[(size_t)(y + (uint32_t)j - 1) * w + x + (uint32_t)i - 1];
                    gx += kx[j][i] * l;
                    gy += ky[j][i] * l;
                }
            if (abs(gx) + abs(gy) >= threshold) {
                uint8_t *px = out + ((size_t)y * w + x) * 4;
                px[0] = 0, px[1] = 255, px[2] = 0, px[3] = 255;
                edges++;
            }
        }
    }
    free(luma);
    return edges;
}

static void read_all(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "fopen(%s): %s", path, strerror(errno));
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[700];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The dumped frame n against the reference overlay of pattern frame n. */
static void check_frame(const char *dir, uint64_t n, uint32_t w, uint32_t h, int threshold)
{
    size_t size = (size_t)w * h * 4;
    uint8_t *rgb = malloc((size_t)w * h * 3), *in = malloc(size), *want = malloc(size);
    uint8_t *got = malloc(size);
    ck_assert(rgb && in && want && got);
    baton_pattern_fill(BATON_FORMAT_RGB24, w, h, n, rgb);
    for (size_t i = 0; i < (size_t)w * h; i++) /* RGB24 -> RGBA8 is a copy, A = 255 */
        in[4 * i] = rgb[3 * i], in[4 * i + 1] = rgb[3 * i + 1], in[4 * i + 2] = rgb[3 * i + 2],
        in[4 * i + 3] = 255;
    uint64_t edges = ref_edge_overlay(in, want, w, h, threshold);
    ck_assert_msg(edges > 0, "the reference frame %" PRIu64 " has no edges: the check would prove nothing", n);

    char path[700];
    uint32_t gw = 0, gh = 0;
    baton_error err;
    snprintf(path, sizeof path, "%s/frame-%06" PRIu64 ".png", dir, n);
    ck_assert_msg(baton_png_read_rgba(path, got, size, &gw, &gh, &err) == BATON_OK, "%s", err.message);
    ck_assert_msg(gw == w && gh == h, "%s is %ux%u, not %ux%u", path, gw, gh, w, h);
    uint64_t bad = 0, first = 0;
    for (size_t i = 0; i < size; i++)
        if (got[i] != want[i] && bad++ == 0)
            first = i;
    ck_assert_msg(bad == 0,
                  "frame %" PRIu64 ": %" PRIu64 " of %zu bytes differ from the reference "
                  "(%" PRIu64 " edge pixels); first at pixel (%" PRIu64 ", %" PRIu64 "), "
                  "channel %" PRIu64 ": got %u, want %u",
                  n, bad, size, edges, first / 4 % w, first / 4 / w, first % 4, got[first], want[first]);
    free(rgb), free(in), free(want), free(got);
}

void example_check(const char *compute, const char *stage, uint32_t w, uint32_t h,
                   uint64_t frames, int threshold)
{
    const char *bin = example_path();
    ck_assert_msg(access(bin, X_OK) == 0, "no example program at %s (make examples builds it): %s",
                  bin, strerror(errno));
    char dir[] = "/tmp/check_example.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[700], errp[700], cmd[4096];
    snprintf(out, sizeof out, "%s/stdout", dir);
    snprintf(errp, sizeof errp, "%s/stderr", dir);
    /* the example links libbaton.so.1, which is in $BUILD (or the GPU bundle) */
    const char *build = getenv("BUILD");
    const char *ld = getenv("LD_LIBRARY_PATH");
    snprintf(cmd, sizeof cmd,
             "LD_LIBRARY_PATH='%s'%s%s '%s' --compute %s --source pattern --sink headless "
             "--size %ux%u --format RGB24 --frames %" PRIu64 " --threshold %d --dump '%s/frames' "
             ">'%s' 2>'%s' </dev/null",
             build && build[0] ? build : "build", ld ? ":" : "", ld ? ld : "", bin, compute, w, h,
             frames, threshold, dir, out, errp);
    int status = system(cmd);
    static char text[1 << 20], etext[1 << 16];
    read_all(out, text, sizeof text);
    read_all(errp, etext, sizeof etext);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s: status %d\nstdout:\n%s\nstderr:\n%s", cmd, status, text, etext);

    /* one latency line per frame, each frame once, then the summary */
    for (uint64_t n = 0; n < frames; n++) {
        char line[64];
        snprintf(line, sizeof line, "\nframe %6" PRIu64 "  latency ", n);
        const char *p = strstr(text, line);
        ck_assert_msg(p != NULL, "no latency line for frame %" PRIu64 " in:\n%s", n, text);
        ck_assert_msg(strstr(p + 1, line) == NULL, "two latency lines for frame %" PRIu64, n);
    }
    char summary[128];
    snprintf(summary, sizeof summary, "edge_overlay: %" PRIu64 " frames shown, compute %s, latency p50 ",
             frames, stage);
    ck_assert_msg(strstr(text, summary) != NULL, "no \"%s\" in:\n%s", summary, text);

    char frames_dir[700];
    snprintf(frames_dir, sizeof frames_dir, "%s/frames", dir);
    check_frame(frames_dir, 0, w, h, threshold);
    check_frame(frames_dir, frames - 1, w, h, threshold);
    remove_dir(frames_dir);
    remove_dir(dir);
}
