/* kernel_screen_check.c - compare a screenshot of a (virtual) display with
 * the pattern frame baton should have put there. Used by
 * tests/kernel/check-kernel-drm.sh on QEMU's `screendump` of the bochs display.
 *
 *   kernel_screen_check SCREEN.ppm FORMAT WxH [EXPECTED_FRAME]
 *     SCREEN.ppm: binary PPM (P6, maxval 255), at least WxH. The frame is
 *     looked for in the centred WxH region (where the sink puts a frame
 *     smaller than the mode); everything around it must be black.
 *     The region is converted to RGBA8, its frame number decoded
 *     (baton_pattern_decode_frame), that frame of the pattern regenerated in
 *     FORMAT (baton_pattern_fill) and compared with the independent float
 *     BT.601 reference of tests/util_reference.c (ref_compare_frame: a
 *     channel may differ by 1). With EXPECTED_FRAME the decoded number must
 *     be that one (the sink's last frame).
 *     Prints one line, e.g.
 *       screen 640x480 shows frame 29: 0 channel values off by more than 1 (max diff 1)
 *     (plus the border and the expected frame when they apply), then
 *     "MATCH" or "MISMATCH: <why>".
 *     Exit: 0 match, 1 mismatch (incl. no frame code on the screen),
 *     2 usage or I/O error (unreadable / malformed PPM).
 *
 *   kernel_screen_check --png-to-ppm IN.png OUT.ppm [SCREEN_WxH]
 *     Write the PNG (e.g. a frame from `baton-run --dump DIR`) as a P6 PPM,
 *     centred on a black screen of SCREEN_WxH (default: the PNG's size), the
 *     way a screendump of the sink's output would look. For testing the
 *     check without a display. Exit 0, or 2 on errors.
 *
 *   kernel_screen_check --colour-bars SCREEN.ppm WxH MIN
 *     For a camera's picture (vivid's colour bars) rather than baton's
 *     pattern: the centred WxH region must hold at least MIN distinct colours
 *     (16 levels per channel) that each cover 4% of it or more, and the
 *     border around it must be black. Exit 0 / 1 / 2 as above.
 *
 * Builds from runtime/pattern.c, format.c, error.c, png_read.c and
 * tests/util_reference.c (-lpng -lm); no Vulkan, no CUDA. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/format.h"
#include "sources/pattern.h"
#include "util/png.h"
#include "util_reference.h"

#define EXIT_MATCH 0
#define EXIT_MISMATCH 1
#define EXIT_ERROR 2
#define MAX_SIDE 16384u

typedef struct image {
    uint32_t w, h;
    uint8_t *rgb; /* w * h * 3 bytes */
} image;

static int usage(void)
{
    fprintf(stderr,
            "usage: kernel_screen_check SCREEN.ppm FORMAT WxH [EXPECTED_FRAME]\n"
            "       kernel_screen_check --png-to-ppm IN.png OUT.ppm [SCREEN_WxH]\n"
            "       kernel_screen_check --colour-bars SCREEN.ppm WxH MIN\n"
            "FORMAT: YUYV, UYVY, NV12, GREY, RGB24 or RGBA8. Exit 0 match, 1 mismatch,\n"
            "2 usage or I/O error.\n");
    return EXIT_ERROR;
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(s, &end, 10);
    if (errno || end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *p = end + 1;
    unsigned long b = strtoul(p, &end, 10);
    if (errno || end == p || *end || a == 0 || b == 0 || a > MAX_SIDE || b > MAX_SIDE)
        return -1;
    *w = (uint32_t)a;
    *h = (uint32_t)b;
    return 0;
}

/* Skip whitespace and '#' comments of a PNM header; -1 at EOF. */
static int header_next(FILE *f)
{
    int c = fgetc(f);
    for (;;) {
        if (c == '#') {
            while (c != '\n' && c != EOF)
                c = fgetc(f);
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            c = fgetc(f);
        } else {
            return c;
        }
    }
}

static int header_uint(FILE *f, unsigned long *out)
{
    int c = header_next(f);
    if (c < '0' || c > '9')
        return -1;
    unsigned long v = 0;
    while (c >= '0' && c <= '9') {
        v = v * 10u + (unsigned long)(c - '0');
        if (v > 1000000ul)
            return -1;
        c = fgetc(f);
    }
    *out = v;
    /* exactly one whitespace character ends a header field */
    return (c == ' ' || c == '\t' || c == '\n' || c == '\r') ? 0 : -1;
}

/* Read a binary PPM (P6, maxval 255). Prints the reason and returns -1 on error. */
static int ppm_read(const char *path, image *img)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "kernel_screen_check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    unsigned long w, h, maxval;
    char magic[2] = {0, 0};
    if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || magic[1] < '1' || magic[1] > '7') {
        fprintf(stderr, "kernel_screen_check: %s: not a PNM file (no P1..P7 magic)\n", path);
        goto out;
    }
    if (magic[1] != '6') {
        fprintf(stderr,
                "kernel_screen_check: %s: PNM type P%c; only binary RGB PPM (P6) is supported\n",
                path, magic[1]);
        goto out;
    }
    if (header_uint(f, &w) || header_uint(f, &h) || header_uint(f, &maxval)) {
        fprintf(stderr, "kernel_screen_check: %s: malformed P6 header\n", path);
        goto out;
    }
    if (maxval != 255) {
        fprintf(stderr, "kernel_screen_check: %s: maxval %lu; only 8-bit PPM (maxval 255) is "
                "supported\n", path, maxval);
        goto out;
    }
    if (w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE) {
        fprintf(stderr, "kernel_screen_check: %s: size %lux%lu out of range (1..%u)\n", path, w,
                h, MAX_SIDE);
        goto out;
    }
    size_t bytes = (size_t)w * h * 3u;
    img->w = (uint32_t)w;
    img->h = (uint32_t)h;
    img->rgb = malloc(bytes);
    if (!img->rgb) {
        fprintf(stderr, "kernel_screen_check: malloc(%zu) failed\n", bytes);
        goto out;
    }
    size_t got = fread(img->rgb, 1, bytes, f);
    if (got != bytes) {
        fprintf(stderr, "kernel_screen_check: %s: truncated: %zu of %zu pixel bytes (%lux%lu)%s%s\n",
                path, got, bytes, w, h, ferror(f) ? ": " : "", ferror(f) ? strerror(errno) : "");
        free(img->rgb);
        img->rgb = NULL;
        goto out;
    }
    rc = 0;
out:
    fclose(f);
    return rc;
}

static int png_to_ppm(const char *in, const char *out, const char *screen)
{
    uint32_t w = 0, h = 0, sw, sh;
    baton_error err;
    if (baton_png_read_rgba(in, NULL, 0, &w, &h, &err) != BATON_OK) {
        fprintf(stderr, "kernel_screen_check: %s\n", err.message);
        return EXIT_ERROR;
    }
    sw = w;
    sh = h;
    if (screen && parse_size(screen, &sw, &sh))
        return usage();
    if (sw < w || sh < h) {
        fprintf(stderr, "kernel_screen_check: screen %ux%u is smaller than the image %ux%u\n",
                sw, sh, w, h);
        return EXIT_ERROR;
    }
    uint8_t *rgba = malloc((size_t)w * h * 4u);
    uint8_t *rgb = calloc((size_t)sw * sh, 3u);
    int rc = EXIT_ERROR;
    if (!rgba || !rgb) {
        fprintf(stderr, "kernel_screen_check: out of memory\n");
        goto done;
    }
    if (baton_png_read_rgba(in, rgba, (size_t)w * h * 4u, &w, &h, &err) != BATON_OK) {
        fprintf(stderr, "kernel_screen_check: %s\n", err.message);
        goto done;
    }
    uint32_t ox = (sw - w) / 2u, oy = (sh - h) / 2u;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            memcpy(rgb + 3u * ((size_t)(y + oy) * sw + x + ox), rgba + 4u * ((size_t)y * w + x),
                   3);
    FILE *f = fopen(out, "wb");
    if (!f) {
        fprintf(stderr, "kernel_screen_check: %s: %s\n", out, strerror(errno));
        goto done;
    }
    fprintf(f, "P6\n%u %u\n255\n", sw, sh);
    size_t n = fwrite(rgb, 1, (size_t)sw * sh * 3u, f);
    if (fclose(f) != 0 || n != (size_t)sw * sh * 3u) {
        fprintf(stderr, "kernel_screen_check: writing %s failed\n", out);
        goto done;
    }
    printf("wrote %s: %ux%u image centred at %u,%u on a %ux%u black screen\n", out, w, h, ox,
           oy, sw, sh);
    rc = 0;
done:
    free(rgba);
    free(rgb);
    return rc;
}

/* The share of the region's pixels in its most common colour (quantised to
 * 16 levels per channel), and that colour. A pattern frame is a gradient
 * (a few percent at most); a console or a blank screen is mostly one colour.
 * colour: a pixel of that bin. */
static double dominant_colour(const uint8_t *rgba, uint32_t w, uint32_t h, size_t pitch,
                              uint8_t colour[3])
{
    static uint32_t bins[4096];
    memset(bins, 0, sizeof bins);
    uint32_t best = 0;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *p = rgba + (size_t)y * pitch + 4u * x;
            uint32_t b = ((uint32_t)(p[0] >> 4) << 8) | ((uint32_t)(p[1] >> 4) << 4) |
                         (uint32_t)(p[2] >> 4);
            if (++bins[b] > bins[best] || (b == best && bins[b] == 1)) {
                best = b;
                memcpy(colour, p, 3); /* one pixel of that bin */
            }
        }
    return (double)bins[best] / ((double)w * h);
}

/* Pixels outside the region (ox, oy, w, h) that are not black. */
static size_t border_not_black(const image *s, uint32_t ox, uint32_t oy, uint32_t w, uint32_t h)
{
    size_t n = 0;
    for (uint32_t y = 0; y < s->h; y++)
        for (uint32_t x = 0; x < s->w; x++) {
            if (x >= ox && x < ox + w && y >= oy && y < oy + h)
                continue;
            const uint8_t *p = s->rgb + 3u * ((size_t)y * s->w + x);
            if (p[0] || p[1] || p[2])
                n++;
        }
    return n;
}

/* The centred WxH region: at least min colours of 4% or more each. */
static int colour_bars(const char *path, const char *size, const char *min_text)
{
    uint32_t w, h;
    char *end;
    unsigned long min = strtoul(min_text, &end, 10);
    if (parse_size(size, &w, &h) || *end || end == min_text || min == 0 || min > 4096)
        return usage();
    image s = {0, 0, NULL};
    if (ppm_read(path, &s))
        return EXIT_ERROR;
    if (s.w < w || s.h < h) {
        printf("screen %ux%u is smaller than the %ux%u frame\nMISMATCH: screen too small\n", s.w,
               s.h, w, h);
        free(s.rgb);
        return EXIT_MISMATCH;
    }
    uint32_t ox = (s.w - w) / 2u, oy = (s.h - h) / 2u;
    static uint32_t bins[4096];
    memset(bins, 0, sizeof bins);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *p = s.rgb + 3u * ((size_t)(y + oy) * s.w + x + ox);
            bins[((uint32_t)(p[0] >> 4) << 8) | ((uint32_t)(p[1] >> 4) << 4) | (uint32_t)(p[2] >> 4)]++;
        }
    unsigned big = 0;
    char list[512] = "";
    for (uint32_t b = 0; b < 4096; b++)
        if ((double)bins[b] >= 0.04 * w * h) {
            big++;
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s#%x%x%x %.0f%%", used ? ", " : "", b >> 8,
                     (b >> 4) & 15u, b & 15u, 100.0 * bins[b] / ((double)w * h));
        }
    size_t border = border_not_black(&s, ox, oy, w, h);
    printf("screen %ux%u, centred %ux%u region at %u,%u: %u colours of 4%% or more (%s); %zu "
           "border pixels not black\n", s.w, s.h, w, h, ox, oy, big, list, border);
    free(s.rgb);
    if (big < min || border) {
        printf("MISMATCH: want at least %lu such colours and a black border\n", min);
        return EXIT_MISMATCH;
    }
    printf("MATCH\n");
    return EXIT_MATCH;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--colour-bars") == 0)
        return argc == 5 ? colour_bars(argv[2], argv[3], argv[4]) : usage();
    if (argc >= 2 && strcmp(argv[1], "--png-to-ppm") == 0) {
        if (argc != 4 && argc != 5)
            return usage();
        return png_to_ppm(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
    }
    if (argc != 4 && argc != 5)
        return usage();
    baton_format fmt;
    baton_error err;
    uint32_t w, h;
    if (baton_format_parse(argv[2], &fmt, &err) != BATON_OK) {
        fprintf(stderr, "kernel_screen_check: %s\n", err.message);
        return usage();
    }
    if (parse_size(argv[3], &w, &h)) {
        fprintf(stderr, "kernel_screen_check: bad size '%s' (want WxH)\n", argv[3]);
        return usage();
    }
    if (baton_format_check_size(fmt, w, h, &err) != BATON_OK) {
        fprintf(stderr, "kernel_screen_check: %s\n", err.message);
        return EXIT_ERROR;
    }
    int have_expected = argc == 5;
    uint64_t expected = 0;
    if (have_expected) {
        char *end;
        errno = 0;
        expected = strtoull(argv[4], &end, 10);
        if (errno || end == argv[4] || *end) {
            fprintf(stderr, "kernel_screen_check: bad EXPECTED_FRAME '%s'\n", argv[4]);
            return usage();
        }
    }

    image s = {0, 0, NULL};
    if (ppm_read(argv[1], &s))
        return EXIT_ERROR;
    if (s.w < w || s.h < h) {
        printf("screen %ux%u is smaller than the %ux%u frame: cannot hold it uncropped\n"
               "MISMATCH: screen too small\n", s.w, s.h, w, h);
        free(s.rgb);
        return EXIT_MISMATCH;
    }

    size_t pitch = (size_t)w * 4u, fbytes = baton_format_frame_size(fmt, w, h);
    uint8_t *rgba = malloc(pitch * h), *frame = malloc(fbytes);
    if (!rgba || !frame) {
        fprintf(stderr, "kernel_screen_check: out of memory\n");
        free(s.rgb);
        free(rgba);
        free(frame);
        return EXIT_ERROR;
    }

    /* Centred region. With an odd margin the sink may round either way:
     * try the lower offset first, then the higher one. */
    uint32_t mx = s.w - w, my = s.h - h;
    uint32_t xs[2] = {mx / 2u, (mx + 1u) / 2u}, ys[2] = {my / 2u, (my + 1u) / 2u};
    uint32_t ox = xs[0], oy = ys[0];
    uint64_t shown = 0;
    int decoded = 0;
    char why[BATON_ERROR_MESSAGE_MAX] = "";
    for (int i = 0; i < 4 && !decoded; i++) {
        if ((i & 1) && xs[1] == xs[0])
            continue;
        if ((i & 2) && ys[1] == ys[0])
            continue;
        ox = xs[i & 1];
        oy = ys[(i >> 1) & 1];
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                const uint8_t *p = s.rgb + 3u * ((size_t)(y + oy) * s.w + x + ox);
                uint8_t *q = rgba + (size_t)y * pitch + 4u * x;
                q[0] = p[0];
                q[1] = p[1];
                q[2] = p[2];
                q[3] = 255;
            }
        uint8_t c[3] = {0, 0, 0};
        double share = dominant_colour(rgba, w, h, pitch, c);
        if (baton_pattern_decode_frame(rgba, w, h, pitch, &shown, &err) != BATON_OK) {
            if (!why[0])
                snprintf(why, sizeof why, "%s", err.message);
        } else if (share > 0.5) {
            /* the code blocks of a blank area read as frame 0 (or all ones) */
            if (!why[0])
                snprintf(why, sizeof why, "the code blocks read %" PRIu64 ", but %.1f%% of the "
                         "region is one colour (e.g. %u,%u,%u): no pattern picture", shown,
                         100.0 * share, c[0], c[1], c[2]);
        } else {
            decoded = 1;
        }
    }
    if (!decoded) {
        ox = xs[0];
        oy = ys[0];
    }

    char where[96] = "";
    if (s.w != w || s.h != h)
        snprintf(where, sizeof where, " (centred %ux%u region at %u,%u)", w, h, ox, oy);

    int rc;
    if (!decoded) {
        size_t dark = 0, total = (size_t)s.w * s.h;
        for (size_t i = 0; i < total; i++)
            if (s.rgb[3 * i] + s.rgb[3 * i + 1] + s.rgb[3 * i + 2] < 48)
                dark++;
        printf("screen %ux%u%s: no frame number could be decoded (%s); %.1f%% of the screen is "
               "near black\nMISMATCH: no pattern frame on the screen\n",
               s.w, s.h, where, why, 100.0 * (double)dark / (double)total);
        rc = EXIT_MISMATCH;
    } else {
        baton_pattern_fill(fmt, w, h, shown, frame);
        int max_diff = 0;
        size_t bad = ref_compare_frame(fmt, frame, w, h, rgba, pitch, &max_diff);
        size_t border = (s.w != w || s.h != h) ? border_not_black(&s, ox, oy, w, h) : 0;
        size_t border_total = (size_t)s.w * s.h - (size_t)w * h;
        char extra[256] = "";
        int n = 0;
        if (border_total)
            n = snprintf(extra, sizeof extra, "; border: %zu of %zu pixels not black", border,
                         border_total);
        if (have_expected && n >= 0 && (size_t)n < sizeof extra)
            snprintf(extra + n, sizeof extra - (size_t)n, "; expected frame %" PRIu64 "%s",
                     expected, expected == shown ? " (yes)" : " (NOT SHOWN)");
        printf("screen %ux%u%s shows frame %" PRIu64 ": %zu channel values off by more than 1 "
               "(max diff %d)%s\n",
               s.w, s.h, where, shown, bad, max_diff, extra);
        if (bad) {
            printf("MISMATCH: the %s %ux%u pattern frame %" PRIu64 " differs from the screen\n",
                   baton_format_name(fmt), w, h, shown);
            rc = EXIT_MISMATCH;
        } else if (border) {
            printf("MISMATCH: the area around the frame is not black\n");
            rc = EXIT_MISMATCH;
        } else if (have_expected && shown != expected) {
            printf("MISMATCH: the screen shows frame %" PRIu64 ", not the expected frame %" PRIu64
                   "\n", shown, expected);
            rc = EXIT_MISMATCH;
        } else {
            printf("MATCH\n");
            rc = EXIT_MATCH;
        }
    }
    free(s.rgb);
    free(rgba);
    free(frame);
    return rc;
}
