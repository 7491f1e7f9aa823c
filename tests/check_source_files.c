/* check_source_files.c - the y4m and pipe sources.
 *
 * Direct tests of the source interface (no Vulkan needed): YUV4MPEG2 header
 * variants and their exact conversion, malformed headers (BATON_ERR_PARSE
 * with file and byte offset), truncated frames (BATON_ERR_IO), end of
 * stream and ":loop", FIFO timeouts (bounded by poll) and recovery after a
 * half-read frame, the pipe source's spec errors, end of stream at and
 * inside a frame, the NEWEST policy on a pipe, stdin never closed.
 *
 * Pipeline tests (this machine's Vulkan, CPU compute stage) with real
 * producers: ffmpeg writes .y4m (yuv420p, yuv422p, gray) to files and to a
 * FIFO, and raw YUYV to a popen'd descriptor, a FIFO and stdin;
 * gst-launch-1.0 writes raw YUY2. Every displayed frame is compared with
 * tests/util_reference.c's conversion of the frame bytes this file reads
 * itself (its own small y4m parser and planar -> packed loops), so baton's
 * reading and conversion are checked end to end.
 *
 * A missing ffmpeg or gst-launch-1.0 skips the tests that need it (a SKIP
 * line), or fails them when BATON_REQUIRE_TOOLS=1 (CI). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baton/caps.h"
#include "baton/context.h"
#include "baton/pipeline.h"
#include "sources/source.h"
#include "util_reference.h"
#include "util_test.h"

#define W 160
#define H 96
#define FFMPEG_FRAMES 12
#define GST_FRAMES 10

/* ---- helpers ------------------------------------------------------------ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void remove_tmpdir(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    ck_assert_int_eq(rmdir(dir), 0);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_all(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n) {
        ssize_t r = write(fd, p, n);
        ck_assert_msg(r > 0, "write: %s", strerror(errno));
        p += r;
        n -= (size_t)r;
    }
}

/* True if `probe` (a shell command) succeeds, i.e. the tool is usable here;
 * else print a SKIP line, or fail under BATON_REQUIRE_TOOLS=1. */
static bool need_tool(const char *func, const char *probe, const char *what, const char *package)
{
    if (test_sh("{ %s; } >/dev/null 2>&1", probe) == 0)
        return true;
    char test[128];
    snprintf(test, sizeof test, "%s", func);
    size_t n = strlen(test);
    if (n > 3 && strcmp(test + n - 3, "_fn") == 0) /* Check's name for the test function */
        test[n - 3] = '\0';
    ck_assert_msg(!test_tools_required(),
                  "%s: %s is not available but BATON_REQUIRE_TOOLS=1 (install the Debian "
                  "package(s) %s)", test, what, package);
    printf("SKIP source_files/%s: %s not available (Debian package(s) %s)\n", test, what, package);
    fflush(stdout);
    return false;
}

#define NEED_FFMPEG()                                                                              \
    do {                                                                                           \
        if (!need_tool(__func__, "command -v ffmpeg", "ffmpeg", "ffmpeg"))                         \
            return;                                                                                \
    } while (0)

#define NEED_GSTREAMER()                                                                           \
    do {                                                                                           \
        if (!need_tool(__func__, "command -v gst-launch-1.0 && gst-inspect-1.0 videotestsrc",     \
                       "gst-launch-1.0 with videotestsrc",                                         \
                       "gstreamer1.0-tools gstreamer1.0-plugins-base"))                            \
            return;                                                                                \
    } while (0)

#define FFMPEG_TESTSRC(frames)                                                                     \
    "ffmpeg -nostdin -hide_banner -v error -f lavfi -i testsrc=size=160x96:rate=30 -frames:v "     \
    #frames

#define GST_TESTSRC                                                                                \
    "gst-launch-1.0 -q videotestsrc num-buffers=10 ! video/x-raw,format=YUY2,width=160,height=96 " \
    "! fdsink fd=1"

/* ---- an independent reading of .y4m files ------------------------------- */

typedef struct y4m_file {
    uint8_t *data;
    size_t size;
    uint32_t w, h;
    int chroma; /* 420, 422 or 0 (mono) */
    size_t payload, count;
    size_t frame_at[64]; /* byte offset of each frame's "FRAME" */
    const uint8_t *planes[64];
} y4m_file;

static void y4m_file_read(const char *path, y4m_file *f)
{
    memset(f, 0, sizeof *f);
    f->data = test_read_whole(path, &f->size);
    const char *s = (const char *)f->data;
    const char *nl = memchr(s, '\n', f->size);
    ck_assert_ptr_nonnull(nl);
    ck_assert_int_eq(strncmp(s, "YUV4MPEG2 ", 10), 0);
    char header[512];
    size_t hn = (size_t)(nl - s);
    ck_assert_uint_lt(hn, sizeof header);
    memcpy(header, s, hn);
    header[hn] = '\0';
    f->chroma = 420;
    for (char *save, *tok = strtok_r(header, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (tok[0] == 'W')
            f->w = (uint32_t)atoi(tok + 1);
        else if (tok[0] == 'H')
            f->h = (uint32_t)atoi(tok + 1);
        else if (strcmp(tok, "C422") == 0)
            f->chroma = 422;
        else if (strcmp(tok, "Cmono") == 0)
            f->chroma = 0;
    }
    size_t luma = (size_t)f->w * f->h;
    f->payload = f->chroma == 420 ? luma * 3 / 2 : f->chroma == 422 ? luma * 2 : luma;
    size_t at = hn + 1;
    while (at < f->size) {
        ck_assert_uint_lt(f->count, 64);
        ck_assert_int_eq(memcmp(f->data + at, "FRAME", 5), 0);
        const uint8_t *end = memchr(f->data + at, '\n', f->size - at);
        ck_assert_ptr_nonnull(end);
        f->frame_at[f->count] = at;
        f->planes[f->count] = end + 1;
        at = (size_t)(end + 1 - f->data) + f->payload;
        ck_assert_uint_le(at, f->size);
        f->count++;
    }
}

/* Frame i packed as baton's format, pixel by pixel from the planes. */
static baton_format y4m_file_pack(const y4m_file *f, size_t i, uint8_t *out)
{
    const uint8_t *yp = f->planes[i];
    uint32_t w = f->w, h = f->h;
    if (f->chroma == 420) {
        const uint8_t *u = yp + (size_t)w * h, *v = u + (size_t)(w / 2) * (h / 2);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                out[(size_t)y * w + x] = yp[(size_t)y * w + x];
                size_t c = (size_t)(y / 2) * (w / 2) + x / 2;
                out[(size_t)w * h + (size_t)(y / 2) * w + (x / 2) * 2 + (x % 2)] =
                    x % 2 ? v[c] : u[c];
            }
        return BATON_FORMAT_NV12;
    }
    if (f->chroma == 422) {
        const uint8_t *u = yp + (size_t)w * h, *v = u + (size_t)(w / 2) * h;
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                size_t o = ((size_t)y * w + x) * 2;
                size_t c = (size_t)y * (w / 2) + x / 2;
                out[o] = yp[(size_t)y * w + x];
                out[o + 1] = x % 2 ? v[c] : u[c];
            }
        return BATON_FORMAT_YUYV;
    }
    memcpy(out, yp, (size_t)w * h);
    return BATON_FORMAT_GREY8;
}

/* ---- running the pipeline ------------------------------------------------ */

/* What every displayed frame must look like: reference[source_frame % count]. */
typedef struct expect {
    baton_format fmt;
    uint32_t w, h;
    uint8_t *ref;
    size_t frame_bytes, count;
    uint64_t done, order_errors, size_errors, bad_values, bad_frames;
    uint64_t last;
    int max_diff;
} expect;

static void expect_from_y4m(expect *e, const y4m_file *f)
{
    memset(e, 0, sizeof *e);
    e->w = f->w;
    e->h = f->h;
    e->count = f->count;
    e->frame_bytes = f->payload; /* packed size equals planar size here */
    e->ref = malloc(e->frame_bytes * e->count);
    ck_assert_ptr_nonnull(e->ref);
    for (size_t i = 0; i < f->count; i++)
        e->fmt = y4m_file_pack(f, i, e->ref + i * e->frame_bytes);
}

static void expect_from_raw(expect *e, baton_format fmt, const char *path)
{
    memset(e, 0, sizeof *e);
    e->fmt = fmt;
    e->w = W;
    e->h = H;
    e->frame_bytes = baton_format_frame_size(fmt, W, H);
    size_t size;
    e->ref = test_read_whole(path, &size);
    ck_assert_uint_eq(size % e->frame_bytes, 0);
    e->count = size / e->frame_bytes;
}

static void on_done_check(void *user, const baton_frame_info *info)
{
    expect *e = user;
    if (info->width != e->w || info->height != e->h || !info->rgba) {
        e->size_errors++;
        return;
    }
    if (e->done && info->source_frame != e->last + 1)
        e->order_errors++;
    e->last = info->source_frame;
    e->done++;
    int diff = 0;
    size_t bad = ref_compare_frame(e->fmt, e->ref + (info->source_frame % e->count) * e->frame_bytes,
                                   e->w, e->h, info->rgba, info->pitch, &diff);
    e->bad_values += bad;
    e->bad_frames += bad != 0;
    if (diff > e->max_diff)
        e->max_diff = diff;
}

typedef struct run_result {
    baton_status create, run, drain;
    char message[BATON_ERROR_MESSAGE_MAX + 16]; /* room for a "drain: " prefix */
    baton_pipeline_stats stats;
    baton_format format;
} run_result;

/* Run source through the whole pipeline for up to `frames` frames, then
 * drain when the run ended normally or at the end of the stream. */
static run_result run_source(const char *spec, baton_drop_policy policy, uint64_t frames,
                             uint32_t timeout_ms, expect *e)
{
    run_result r = {.run = BATON_ERR_STATE, .drain = BATON_ERR_STATE};
    baton_context *ctx = test_context(BATON_COMPUTE_CPU, BATON_SYNC_AUTO);
    baton_error err;
    baton_pipeline_config pc;
    baton_pipeline_config_default(&pc); /* 1280x720 YUYV: the source's own values win */
    pc.source = spec;
    pc.policy = policy;
    pc.timeout_ms = timeout_ms;
    pc.readback = true;
    pc.on_done = on_done_check;
    pc.done_user = e;
    baton_pipeline *p = NULL;
    r.create = baton_pipeline_create(ctx, &pc, &p, &err);
    if (r.create != BATON_OK) {
        snprintf(r.message, sizeof r.message, "%s", err.message);
        baton_context_destroy(ctx);
        return r;
    }
    r.run = baton_pipeline_run(p, frames, &err);
    if (r.run != BATON_OK)
        snprintf(r.message, sizeof r.message, "%s", err.message);
    if (r.run == BATON_OK || r.run == BATON_ERR_END_OF_STREAM) {
        r.drain = baton_pipeline_drain(p, &err);
        if (r.drain != BATON_OK)
            snprintf(r.message, sizeof r.message, "drain: %s", err.message);
    }
    r.stats = baton_pipeline_get_stats(p);
    baton_pipeline_destroy(p);
    baton_context_destroy(ctx);
    return r;
}

static void print_result(const char *what, const run_result *r, const expect *e)
{
    printf("%s: run %s, %llu frames done, %llu dropped, %llu bad frames (max diff %d)%s%s\n",
           what, baton_strerror(r->run), (unsigned long long)r->stats.frames_done,
           (unsigned long long)r->stats.dropped, (unsigned long long)e->bad_frames, e->max_diff,
           r->message[0] ? ": " : "", r->message);
    fflush(stdout);
}

/* A whole stream of `count` frames went through: END_OF_STREAM, drained,
 * every frame displayed in order and equal to the reference. */
static void assert_whole_stream(const run_result *r, const expect *e, uint64_t count)
{
    ck_assert_msg(r->create == BATON_OK, "create: %s", r->message);
    ck_assert_msg(r->run == BATON_ERR_END_OF_STREAM, "run gave %s: %s", baton_strerror(r->run),
                  r->message);
    ck_assert_msg(r->drain == BATON_OK, "%s", r->message);
    ck_assert_uint_eq(r->stats.frames_submitted, count);
    ck_assert_uint_eq(r->stats.frames_done, count);
    ck_assert_uint_eq(e->done, count);
    ck_assert_uint_eq(e->last, count - 1);
    ck_assert_uint_eq(e->size_errors, 0);
    ck_assert_uint_eq(e->order_errors, 0);
    ck_assert_msg(e->bad_values == 0, "%llu channel values off the reference (max diff %d)",
                  (unsigned long long)e->bad_values, e->max_diff);
}

/* ---- direct: the y4m source ----------------------------------------------- */

static baton_status open_text(source *s, const char *dir, const char *name, const char *text,
                              size_t n, const char *suffix, char *path, baton_error *err)
{
    snprintf(path, 256, "%s/%s", dir, name);
    write_file(path, text, n);
    static char spec[320];
    snprintf(spec, sizeof spec, "y4m:%s%s", path, suffix);
    return source_open(s, spec, BATON_FORMAT_YUYV, 640, 480, err);
}

START_TEST(test_header_variants)
{
    static const struct {
        const char *text;
        baton_format fmt;
        uint32_t w, h;
        const char *want; /* the packed frame */
    } cases[] = {
        {"YUV4MPEG2 W4 H2 F25:1 Ip A0:0 C420mpeg2 XYSCSS=420MPEG2 Zfuture\n"
         "FRAME Ip XFOO=1\nabcdefghpqrs",
         BATON_FORMAT_NV12, 4, 2, "abcdefghprqs"},
        {"YUV4MPEG2 W4 H2\nFRAME\nabcdefghpqrs", BATON_FORMAT_NV12, 4, 2, "abcdefghprqs"},
        {"YUV4MPEG2  W4 H2  F30000:1001 It A10:11 C420paldv \nFRAME\nabcdefghpqrs",
         BATON_FORMAT_NV12, 4, 2, "abcdefghprqs"},
        {"YUV4MPEG2 W4 H2 C420 I?\nFRAME\nabcdefghpqrs", BATON_FORMAT_NV12, 4, 2, "abcdefghprqs"},
        {"YUV4MPEG2 W4 H2 C420jpeg Im\nFRAME\nabcdefghpqrs", BATON_FORMAT_NV12, 4, 2,
         "abcdefghprqs"},
        {"YUV4MPEG2 W4 H2 C422 Ib\nFRAME\nabcdefghpqtursvw", BATON_FORMAT_YUYV, 4, 2,
         "apbrcqdsetfvguhw"},
        {"YUV4MPEG2 W4 H3 C422\nFRAME\nabcdefghijklpqturxrsvwyz", BATON_FORMAT_YUYV, 4, 3,
         "apbrcqdsetfvguhwirjykxlz"},
        {"YUV4MPEG2 W3 H3 Cmono XCOLORRANGE=FULL\nFRAME\nabcdefghi", BATON_FORMAT_GREY8, 3, 3,
         "abcdefghi"},
    };
    char dir[64], path[256];
    test_make_tmpdir(dir, sizeof dir, "src");
    int before = test_open_fd_count();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        source s;
        baton_error err;
        ck_assert_msg(open_text(&s, dir, "v.y4m", cases[i].text, strlen(cases[i].text), "", path,
                                &err) == BATON_OK,
                      "case %zu: %s", i, err.message);
        ck_assert_int_eq(s.format, cases[i].fmt);
        ck_assert_uint_eq(s.width, cases[i].w);
        ck_assert_uint_eq(s.height, cases[i].h);
        ck_assert_uint_eq(s.frame_bytes, strlen(cases[i].want));
        uint8_t dst[64];
        uint64_t frame = 99, dropped = 0, ts;
        ck_assert_msg(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err) ==
                          BATON_OK,
                      "case %zu: %s", i, err.message);
        ck_assert_uint_eq(frame, 0);
        ck_assert_msg(memcmp(dst, cases[i].want, s.frame_bytes) == 0, "case %zu: got '%.*s'", i,
                      (int)s.frame_bytes, (const char *)dst);
        ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err),
                         BATON_ERR_END_OF_STREAM);
        ck_assert_uint_eq(dropped, 0);
        source_close(&s);
    }
    ck_assert_int_eq(test_open_fd_count(), before);
    remove_tmpdir(dir);
}
END_TEST

typedef struct bad_case {
    const char *text;
    baton_status open_st;
    int good_frames;  /* next() calls that succeed before the failing one */
    baton_status next_st;
    const char *want; /* in the message, after the file name */
} bad_case;

#define F0 "FRAME\nabcdefghpqrs"
static const bad_case bad_cases[] = {
    {"", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 0: empty stream"},
    {"YUV4MPEG2 W160 H96", BATON_ERR_PARSE, 0, BATON_OK,
     "byte offset 18: the stream ends inside its YUV4MPEG2 header"},
    {"YUV4MPEG3 W160 H96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 0: not a YUV4MPEG2 stream"},
    {"YUV4MPEG2W160 H96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 0: not a YUV4MPEG2 stream"},
    {"\x89PNG\r\n", BATON_ERR_PARSE, 0, BATON_OK, "not a YUV4MPEG2 stream (header starts '?PNG?')"},
    {"YUV4MPEG2 H96 F30:1\n", BATON_ERR_PARSE, 0, BATON_OK,
     "byte offset 19: stream header has no width (W)"},
    {"YUV4MPEG2 W160 F30:1\n", BATON_ERR_PARSE, 0, BATON_OK, "stream header has no height (H)"},
    {"YUV4MPEG2 F30:1\n", BATON_ERR_PARSE, 0, BATON_OK, "has no width (W) nor height (H)"},
    {"YUV4MPEG2 W16x0 H96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 10: bad width"},
    {"YUV4MPEG2 W0 H96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 10: bad width"},
    {"YUV4MPEG2 W99999999999 H96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 10: bad width"},
    {"YUV4MPEG2 W40000 H96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 10: bad width"},
    {"YUV4MPEG2 W W160 H96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 10: bad width"},
    {"YUV4MPEG2 W160 H-96\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 15: bad height"},
    {"YUV4MPEG2 W160 H96 F30\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 19: bad frame rate"},
    {"YUV4MPEG2 W160 H96 F30:0\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 19: bad frame rate"},
    {"YUV4MPEG2 W160 H96 Ix\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 19: bad interlacing"},
    {"YUV4MPEG2 W160 H96 A1:\n", BATON_ERR_PARSE, 0, BATON_OK, "byte offset 19: bad pixel aspect"},
    {"YUV4MPEG2 W160 H96 C444\n", BATON_ERR_PARSE, 0, BATON_OK,
     "byte offset 19: unsupported colour space 'C444'"},
    {"YUV4MPEG2 W160 H96 C420p10 XYSCSS=420P10\n", BATON_ERR_PARSE, 0, BATON_OK,
     "byte offset 19: unsupported colour space 'C420p10'"},
    {"YUV4MPEG2 W161 H96\n", BATON_ERR_PARSE, 0, BATON_OK,
     "byte offset 10: 161x96 is not supported for C420jpeg"},
    {"YUV4MPEG2 W160 H95 C420mpeg2\n", BATON_ERR_PARSE, 0, BATON_OK,
     "160x95 is not supported for C420mpeg2 (baton needs an even width and height)"},
    {"YUV4MPEG2 W161 H96 C422\n", BATON_ERR_PARSE, 0, BATON_OK,
     "161x96 is not supported for C422 (baton needs an even width)"},
    /* "YUV4MPEG2 W4 H2\n" is 16 bytes; a frame is 6 + 12 */
    {"YUV4MPEG2 W4 H2\nFRAMX\nabcdefghpqrs", BATON_OK, 0, BATON_ERR_PARSE,
     "byte offset 16: expected the FRAME header of frame 0, found 'FRAMX'"},
    {"YUV4MPEG2 W4 H2\nFRAMES\n", BATON_OK, 0, BATON_ERR_PARSE,
     "byte offset 16: expected the FRAME header of frame 0, found 'FRAMES'"},
    {"YUV4MPEG2 W4 H2\nabcdefghpqrs", BATON_OK, 0, BATON_ERR_IO,
     "truncated frame 0: the stream ends inside its FRAME header (byte offset 16"},
    {"YUV4MPEG2 W4 H2\n" F0 "GARBAGE\n", BATON_OK, 1, BATON_ERR_PARSE,
     "byte offset 34: expected the FRAME header of frame 1, found 'GARBAGE'"},
    {"YUV4MPEG2 W4 H2\n" F0 "\n", BATON_OK, 1, BATON_ERR_PARSE,
     "byte offset 34: expected the FRAME header of frame 1, found ''"},
    /* truncated frames */
    {"YUV4MPEG2 W4 H2\nFRAME\nabcde", BATON_OK, 0, BATON_ERR_IO, "truncated frame 0: got 5 of 12 bytes"},
    {"YUV4MPEG2 W4 H2\nFRAME\nabcdefghp", BATON_OK, 0, BATON_ERR_IO,
     "truncated frame 0: got 9 of 12 bytes"},
    {"YUV4MPEG2 W4 H2\n" F0 "FRAME\n", BATON_OK, 1, BATON_ERR_IO, "truncated frame 1: got 0 of 12 bytes"},
    {"YUV4MPEG2 W4 H2\n" F0 "FRA", BATON_OK, 1, BATON_ERR_IO,
     "truncated frame 1: the stream ends inside its FRAME header (byte offset 34, 3 bytes)"},
    {"YUV4MPEG2 W4 H2 C422\nFRAME\nabcdefghpqtur", BATON_OK, 0, BATON_ERR_IO,
     "truncated frame 0: got 13 of 16 bytes"},
    {"YUV4MPEG2 W3 H1 Cmono\nFRAME\nab", BATON_OK, 0, BATON_ERR_IO, "truncated frame 0: got 2 of 3 bytes"},
};

START_TEST(test_malformed)
{
    const bad_case *c = &bad_cases[_i];
    char dir[64], path[256];
    test_make_tmpdir(dir, sizeof dir, "src");
    int before = test_open_fd_count();
    source s;
    baton_error err;
    baton_status st = open_text(&s, dir, "bad.y4m", c->text, strlen(c->text), "", path, &err);
    ck_assert_msg(st == c->open_st, "case %d: open gave %s: %s", _i, baton_strerror(st), err.message);
    if (st == BATON_OK) {
        uint8_t dst[64];
        uint64_t frame, dropped = 0, ts;
        for (int k = 0; k < c->good_frames; k++)
            ck_assert_msg(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts,
                                      &err) == BATON_OK,
                          "case %d: %s", _i, err.message);
        st = source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err);
        ck_assert_msg(st == c->next_st, "case %d: next gave %s: %s", _i, baton_strerror(st),
                      err.message);
        source_close(&s);
    }
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, path), "case %d: file name missing: %s", _i, err.message);
    ck_assert_msg(strstr(err.message, c->want), "case %d: want '%s' in: %s", _i, c->want,
                  err.message);
    ck_assert_int_eq(test_open_fd_count(), before);
    remove_tmpdir(dir);
}
END_TEST

START_TEST(test_end_and_loop)
{
    static const char two[] = "YUV4MPEG2 W4 H2 F30:1\nFRAME\nAAAAAAAApqrsFRAME Ip\nBBBBBBBBpqrs";
    char dir[64], path[256];
    test_make_tmpdir(dir, sizeof dir, "src");
    int before = test_open_fd_count();
    uint8_t dst[12];
    uint64_t frame, dropped = 0, ts;
    baton_error err;
    source s;
    /* without :loop: two frames, then the end, and it stays the end */
    ck_assert_int_eq(open_text(&s, dir, "two.y4m", two, strlen(two), "", path, &err), BATON_OK);
    for (uint64_t i = 0; i < 2; i++) {
        ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 50, &frame, &dropped, &ts, &err), BATON_OK);
        ck_assert_uint_eq(frame, i);
    }
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 50, &frame, &dropped, &ts, &err),
                         BATON_ERR_END_OF_STREAM);
        ck_assert_msg(strstr(err.message, "end of stream after 2 frames"), "%s", err.message);
    }
    source_close(&s);
    /* :loop: frames keep their own numbers; the content cycles */
    ck_assert_int_eq(open_text(&s, dir, "two.y4m", two, strlen(two), ":loop", path, &err), BATON_OK);
    for (uint64_t i = 0; i < 7; i++) {
        ck_assert_msg(source_next(&s, BATON_POLICY_NEWEST, dst, 50, &frame, &dropped, &ts, &err) ==
                          BATON_OK, "%s", err.message);
        ck_assert_uint_eq(frame, i);
        ck_assert_int_eq(dst[0], i % 2 ? 'B' : 'A');
        ck_assert_int_eq(dst[9], 'r');
    }
    ck_assert_uint_eq(dropped, 0);
    source_close(&s);
    /* :loop over a stream without frames ends instead of spinning */
    static const char none[] = "YUV4MPEG2 W4 H2\n";
    ck_assert_int_eq(open_text(&s, dir, "none.y4m", none, strlen(none), ":loop", path, &err), BATON_OK);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 50, &frame, &dropped, &ts, &err),
                     BATON_ERR_END_OF_STREAM);
    source_close(&s);
    /* a truncated last frame is an error with :loop too */
    static const char cut[] = "YUV4MPEG2 W4 H2\nFRAME\nAAAAAAAApqrsFRAME\nBBBB";
    ck_assert_int_eq(open_text(&s, dir, "cut.y4m", cut, strlen(cut), ":loop", path, &err), BATON_OK);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 50, &frame, &dropped, &ts, &err), BATON_OK);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 50, &frame, &dropped, &ts, &err), BATON_ERR_IO);
    ck_assert_msg(strstr(err.message, "truncated frame 1: got 4 of 12 bytes"), "%s", err.message);
    source_close(&s);
    /* a missing file; a missing file name */
    ck_assert_int_eq(source_open(&s, "y4m:/nonexistent/x.y4m", BATON_FORMAT_YUYV, 64, 64, &err), BATON_ERR_IO);
    ck_assert_msg(strstr(err.message, "/nonexistent/x.y4m"), "%s", err.message);
    ck_assert_int_eq(source_open(&s, "y4m:", BATON_FORMAT_YUYV, 64, 64, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(source_open(&s, "y4m", BATON_FORMAT_YUYV, 64, 64, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(test_open_fd_count(), before);
    remove_tmpdir(dir);
}
END_TEST

/* A FIFO: the header arrives, then nothing (timeout, bounded), then half a
 * frame (timeout), then the rest and another frame (the half-read frame is
 * skipped and counted as dropped), then the writer goes (end of stream). */
START_TEST(test_y4m_fifo_timeout)
{
    char dir[64], fifo[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(fifo, sizeof fifo, "%s/in.fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    int before = test_open_fd_count();
    int wfd = open(fifo, O_RDWR | O_CLOEXEC); /* a writer that never blocks in open */
    ck_assert_int_ge(wfd, 0);
    write_all(wfd, "YUV4MPEG2 W4 H2 F30:1\n", 22);
    source s;
    baton_error err;
    snprintf(spec, sizeof spec, "y4m:%s", fifo);
    ck_assert_msg(source_open(&s, spec, BATON_FORMAT_YUYV, 64, 64, &err) == BATON_OK, "%s", err.message);
    ck_assert_int_eq(s.format, BATON_FORMAT_NV12);
    uint8_t dst[12];
    uint64_t frame, dropped = 0, ts;
    uint64_t t0 = now_ms();
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 150, &frame, &dropped, &ts, &err),
                     BATON_ERR_TIMEOUT);
    uint64_t waited = now_ms() - t0;
    printf("(expected, after %llu ms) %s\n", (unsigned long long)waited, err.message);
    ck_assert_msg(strstr(err.message, "no data within 150 ms (waiting for frame 0)"), "%s", err.message);
    ck_assert_uint_ge(waited, 149);
    ck_assert_uint_lt(waited, 1000);
    write_all(wfd, "FRAME\nAAAAA", 11);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err),
                     BATON_ERR_TIMEOUT);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "(frame 0: 5 of 12 bytes)"), "%s", err.message);
    write_all(wfd, "AAApqrsFRAME\nBBBBBBBBpqrs", 25);
    ck_assert_msg(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err) == BATON_OK,
                  "%s", err.message);
    ck_assert_uint_eq(frame, 1);
    ck_assert_uint_eq(dropped, 1);
    ck_assert_int_eq(memcmp(dst, "BBBBBBBBprqs", 12), 0);
    close(wfd);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err),
                     BATON_ERR_END_OF_STREAM);
    /* :loop cannot rewind a FIFO */
    snprintf(spec, sizeof spec, "y4m:%s:loop", fifo);
    source s2;
    ck_assert_int_eq(source_open(&s2, spec, BATON_FORMAT_YUYV, 64, 64, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "regular file"), "%s", err.message);
    source_close(&s);
    ck_assert_int_eq(test_open_fd_count(), before);
    remove_tmpdir(dir);
}
END_TEST

/* ---- direct: the pipe source ---------------------------------------------- */

START_TEST(test_pipe_specs)
{
    static const struct {
        const char *spec;
        baton_status st;
        const char *want;
    } cases[] = {
        {"pipe", BATON_ERR_INVALID_ARGUMENT, "no format"},
        {"pipe:YUYV", BATON_ERR_INVALID_ARGUMENT, "no frame size"},
        {"pipe:FOO:160x96", BATON_ERR_INVALID_ARGUMENT, "unknown pixel format"},
        {"pipe:RGBA8:16x16", BATON_ERR_INVALID_ARGUMENT, "output format"},
        {"pipe:YUYV:160", BATON_ERR_INVALID_ARGUMENT, "bad frame size"},
        {"pipe:YUYV:0x96", BATON_ERR_INVALID_ARGUMENT, "bad frame size"},
        {"pipe:YUYV:160x96x2", BATON_ERR_INVALID_ARGUMENT, "bad frame size"},
        {"pipe:YUYV:99999x96", BATON_ERR_INVALID_ARGUMENT, "bad frame size"},
        {"pipe:NV12:160x95", BATON_ERR_INVALID_ARGUMENT, ""},
        {"pipe:YUYV:161x96", BATON_ERR_INVALID_ARGUMENT, ""},
        {"pipe:YUYV:160x96:", BATON_ERR_INVALID_ARGUMENT, "empty PATH"},
        {"pipe:YUYV:160x96:/nonexistent/fifo", BATON_ERR_IO, "/nonexistent/fifo"},
        {"pipe:YUYV:160x96:fd=987", BATON_ERR_INVALID_ARGUMENT, "descriptor 987 is not open"},
    };
    int before = test_open_fd_count();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        source s;
        baton_error err;
        baton_status st = source_open(&s, cases[i].spec, BATON_FORMAT_YUYV, 64, 64, &err);
        ck_assert_msg(st == cases[i].st, "%s: %s: %s", cases[i].spec, baton_strerror(st), err.message);
        ck_assert_msg(strstr(err.message, cases[i].want), "%s: %s", cases[i].spec, err.message);
    }
    source s;
    baton_error err;
    ck_assert_int_eq(source_open(&s, "pipe:gray:31x7", BATON_FORMAT_YUYV, 64, 64, &err), BATON_OK);
    ck_assert_int_eq(s.format, BATON_FORMAT_GREY8);
    ck_assert_uint_eq(s.width, 31);
    ck_assert_uint_eq(s.frame_bytes, 31 * 7);
    source_close(&s);
    ck_assert_int_ne(fcntl(STDIN_FILENO, F_GETFD), -1); /* stdin stays open */
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

static void fill_frames(uint8_t *buf, size_t frame_bytes, unsigned first, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        memset(buf + (size_t)i * frame_bytes, (int)(first + i), frame_bytes);
}

START_TEST(test_pipe_fifo_timeout)
{
    char dir[64], fifo[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(fifo, sizeof fifo, "%s/raw.fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    int before = test_open_fd_count();
    source s;
    baton_error err;
    snprintf(spec, sizeof spec, "pipe:GREY:16x16:%s", fifo);
    /* opening waits for no writer */
    ck_assert_msg(source_open(&s, spec, BATON_FORMAT_YUYV, 64, 64, &err) == BATON_OK, "%s", err.message);
    uint8_t dst[256], frames[3 * 256];
    uint64_t frame, dropped = 0, ts;
    uint64_t t0 = now_ms();
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 150, &frame, &dropped, &ts, &err),
                     BATON_ERR_TIMEOUT);
    uint64_t waited = now_ms() - t0;
    printf("(expected, after %llu ms) %s\n", (unsigned long long)waited, err.message);
    ck_assert_msg(strstr(err.message, "pipe source: no data within 150 ms"), "%s", err.message);
    ck_assert_uint_ge(waited, 149);
    ck_assert_uint_lt(waited, 1000);
    int wfd = open(fifo, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(wfd, 0);
    fill_frames(frames, 256, 10, 3);
    write_all(wfd, frames, 100); /* frame 0 in part */
    ck_assert_int_eq(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err),
                     BATON_ERR_TIMEOUT);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "pipe source: no data within 100 ms (frame 0 incomplete: 100 of 256 bytes)"),
                  "%s", err.message);
    write_all(wfd, frames + 100, 412); /* the rest of frame 0, frame 1 */
    ck_assert_msg(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err) == BATON_OK,
                  "%s", err.message);
    ck_assert_uint_eq(frame, 1);
    ck_assert_uint_eq(dropped, 1);
    ck_assert_int_eq(dst[0], 11);
    ck_assert_int_eq(dst[255], 11);
    write_all(wfd, frames + 512, 56); /* frame 2 in part, then the writer goes */
    close(wfd);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err),
                     BATON_ERR_IO);
    printf("(expected) %s\n", err.message);
    ck_assert_msg(strstr(err.message, "stream ended inside frame 2: got 56 of 256 bytes, 200 missing"),
                  "%s", err.message);
    source_close(&s);
    ck_assert_int_eq(test_open_fd_count(), before);
    remove_tmpdir(dir);
}
END_TEST

/* fd=N: a pipe holding `count` whole frames and then its end. */
static int filled_pipe(size_t frame_bytes, unsigned count, int *wfd_out)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    /* room for every frame, so the writer never blocks here */
    ck_assert_int_ge(fcntl(fds[1], F_SETPIPE_SZ, 1 << 20), (int)(frame_bytes * count));
    uint8_t *buf = malloc(frame_bytes * count);
    ck_assert_ptr_nonnull(buf);
    fill_frames(buf, frame_bytes, 0, count);
    write_all(fds[1], buf, frame_bytes * count);
    free(buf);
    if (wfd_out)
        *wfd_out = fds[1];
    else
        close(fds[1]);
    return fds[0];
}

START_TEST(test_pipe_policies)
{
    int before = test_open_fd_count();
    size_t fb = 64 * 64 * 2;
    uint8_t *dst = malloc(fb);
    ck_assert_ptr_nonnull(dst);
    uint64_t frame, dropped = 0, ts;
    baton_error err;
    char spec[64];
    source s;
    /* BACKPRESSURE: every frame in order, then the end at a frame boundary */
    int rfd = filled_pipe(fb, 10, NULL);
    snprintf(spec, sizeof spec, "pipe:YUYV:64x64:fd=%d", rfd);
    ck_assert_int_eq(source_open(&s, spec, BATON_FORMAT_NV12, 16, 16, &err), BATON_OK);
    for (uint64_t i = 0; i < 10; i++) {
        ck_assert_int_eq(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err), BATON_OK);
        ck_assert_uint_eq(frame, i);
        ck_assert_int_eq(dst[fb - 1], (int)i);
    }
    ck_assert_int_eq(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err),
                     BATON_ERR_END_OF_STREAM);
    ck_assert_msg(strstr(err.message, "end of stream after 10 frames"), "%s", err.message);
    ck_assert_uint_eq(dropped, 0);
    source_close(&s);
    ck_assert_int_ne(fcntl(rfd, F_GETFD), -1); /* fd=N stays the caller's */
    close(rfd);
    /* NEWEST: the nine stale frames are skipped and counted */
    int wfd;
    rfd = filled_pipe(fb, 10, &wfd);
    snprintf(spec, sizeof spec, "pipe:YUYV:64x64:fd=%d", rfd);
    ck_assert_int_eq(source_open(&s, spec, BATON_FORMAT_NV12, 16, 16, &err), BATON_OK);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err), BATON_OK);
    printf("newest of 10 queued frames: frame %llu, %llu dropped\n", (unsigned long long)frame,
           (unsigned long long)dropped);
    ck_assert_uint_eq(frame, 9);
    ck_assert_uint_eq(dropped, 9);
    ck_assert_int_eq(dst[0], 9);
    /* one frame and a half queued: the whole one is delivered */
    uint8_t *more = malloc(fb * 2);
    ck_assert_ptr_nonnull(more);
    fill_frames(more, fb, 10, 2);
    write_all(wfd, more, fb + fb / 2);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err), BATON_OK);
    ck_assert_uint_eq(frame, 10);
    ck_assert_uint_eq(dropped, 9);
    ck_assert_int_eq(dst[fb - 1], 10);
    write_all(wfd, more + fb + fb / 2, fb / 2);
    close(wfd);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err), BATON_OK);
    ck_assert_uint_eq(frame, 11);
    ck_assert_int_eq(dst[fb - 1], 11);
    ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err),
                     BATON_ERR_END_OF_STREAM);
    source_close(&s);
    close(rfd);
    /* a regular file under NEWEST: no frame is "stale", every one is read */
    char dir[64], path[256];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(path, sizeof path, "%s/frames.raw", dir);
    fill_frames(more, fb, 20, 2);
    write_file(path, more, fb * 2);
    snprintf(spec, sizeof spec, "pipe:YUYV:64x64:%.40s", path);
    ck_assert_int_eq(source_open(&s, spec, BATON_FORMAT_NV12, 16, 16, &err), BATON_OK);
    dropped = 0;
    for (uint64_t i = 0; i < 2; i++) {
        ck_assert_int_eq(source_next(&s, BATON_POLICY_NEWEST, dst, 100, &frame, &dropped, &ts, &err), BATON_OK);
        ck_assert_uint_eq(frame, i);
        ck_assert_int_eq(dst[0], (int)(20 + i));
    }
    ck_assert_uint_eq(dropped, 0);
    source_close(&s);
    remove_tmpdir(dir);
    free(more);
    free(dst);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* Standard input ("pipe:FMT:WxH" and ":-"), which the source never closes. */
START_TEST(test_pipe_stdin)
{
    int before = test_open_fd_count();
    int saved = dup(STDIN_FILENO);
    ck_assert_int_ge(saved, 0);
    for (int dash = 0; dash < 2; dash++) {
        int rfd = filled_pipe(256, 3, NULL);
        ck_assert_int_eq(dup2(rfd, STDIN_FILENO), STDIN_FILENO);
        close(rfd);
        source s;
        baton_error err;
        ck_assert_int_eq(source_open(&s, dash ? "pipe:GREY:16x16:-" : "pipe:GREY:16x16",
                                     BATON_FORMAT_YUYV, 64, 64, &err), BATON_OK);
        uint8_t dst[256];
        uint64_t frame, dropped = 0, ts;
        for (uint64_t i = 0; i < 3; i++) {
            ck_assert_int_eq(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err), BATON_OK);
            ck_assert_int_eq(dst[7], (int)i);
        }
        ck_assert_int_eq(source_next(&s, BATON_POLICY_BACKPRESSURE, dst, 100, &frame, &dropped, &ts, &err),
                         BATON_ERR_END_OF_STREAM);
        source_close(&s);
        ck_assert_int_ne(fcntl(STDIN_FILENO, F_GETFD), -1);
    }
    ck_assert_int_eq(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

/* ---- the pipeline, with real producers ------------------------------------ */

static const char *const y4m_pix_fmts[] = {"yuv420p", "yuv422p", "gray"};
static const baton_format y4m_formats[] = {BATON_FORMAT_NV12, BATON_FORMAT_YUYV, BATON_FORMAT_GREY8};

static void ffmpeg_y4m(const char *pix_fmt, const char *path)
{
    ck_assert_msg(test_sh(FFMPEG_TESTSRC(12) " -pix_fmt %s -f yuv4mpegpipe -y '%s'", pix_fmt, path) == 0,
                  "ffmpeg failed to write %s", path);
}

START_TEST(test_y4m_ffmpeg)
{
    NEED_FFMPEG();
    char dir[64], path[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(path, sizeof path, "%s/testsrc-%s.y4m", dir, y4m_pix_fmts[_i]);
    ffmpeg_y4m(y4m_pix_fmts[_i], path);
    y4m_file f;
    y4m_file_read(path, &f);
    ck_assert_uint_eq(f.count, FFMPEG_FRAMES);
    ck_assert_uint_eq(f.w, W);
    expect e;
    expect_from_y4m(&e, &f);
    ck_assert_int_eq(e.fmt, y4m_formats[_i]);
    snprintf(spec, sizeof spec, "y4m:%s", path);
    int before = test_open_fd_count();
    run_result r = run_source(spec, BATON_POLICY_NEWEST, 1000, 1000, &e);
    print_result(y4m_pix_fmts[_i], &r, &e);
    assert_whole_stream(&r, &e, FFMPEG_FRAMES);
    ck_assert_int_eq(test_open_fd_count(), before);
    free(e.ref);
    free(f.data);
    remove_tmpdir(dir);
}
END_TEST

/* ffmpeg writes into a FIFO while the pipeline reads it. */
START_TEST(test_y4m_ffmpeg_fifo)
{
    NEED_FFMPEG();
    char dir[64], path[256], fifo[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(path, sizeof path, "%s/ref.y4m", dir);
    snprintf(fifo, sizeof fifo, "%s/live.y4m", dir);
    ffmpeg_y4m(y4m_pix_fmts[_i], path);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    y4m_file f;
    y4m_file_read(path, &f);
    expect e;
    expect_from_y4m(&e, &f);
    int before = test_open_fd_count();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, FFMPEG_TESTSRC(12) " -pix_fmt %s -f yuv4mpegpipe -y '%s'",
             y4m_pix_fmts[_i], fifo);
    FILE *producer = popen(cmd, "r");
    ck_assert_ptr_nonnull(producer);
    snprintf(spec, sizeof spec, "y4m:%s", fifo);
    run_result r = run_source(spec, BATON_POLICY_BACKPRESSURE, 1000, 2000, &e);
    /* should the source never have opened the FIFO, let ffmpeg's open return */
    int unblock = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (unblock >= 0)
        close(unblock);
    int status = pclose(producer);
    print_result(y4m_pix_fmts[_i], &r, &e);
    ck_assert_int_eq(status, 0);
    assert_whole_stream(&r, &e, FFMPEG_FRAMES);
    ck_assert_int_eq(test_open_fd_count(), before);
    free(e.ref);
    free(f.data);
    remove_tmpdir(dir);
}
END_TEST

START_TEST(test_y4m_loop)
{
    NEED_FFMPEG();
    char dir[64], path[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(path, sizeof path, "%s/loop.y4m", dir);
    ffmpeg_y4m("yuv420p", path);
    y4m_file f;
    y4m_file_read(path, &f);
    expect e;
    expect_from_y4m(&e, &f);
    snprintf(spec, sizeof spec, "y4m:%s:loop", path);
    int before = test_open_fd_count();
    run_result r = run_source(spec, BATON_POLICY_NEWEST, 30, 1000, &e);
    print_result("loop", &r, &e);
    ck_assert_msg(r.run == BATON_OK, "%s", r.message);
    ck_assert_msg(r.drain == BATON_OK, "%s", r.message);
    ck_assert_uint_eq(e.done, 30); /* 2.5 times through the file */
    ck_assert_uint_eq(e.last, 29);
    ck_assert_uint_eq(e.order_errors, 0);
    ck_assert_msg(e.bad_values == 0, "max diff %d", e.max_diff);
    ck_assert_int_eq(test_open_fd_count(), before);
    free(e.ref);
    free(f.data);
    remove_tmpdir(dir);
}
END_TEST

/* ffmpeg's file cut 1000 bytes into frame 5's planes. */
START_TEST(test_y4m_truncated)
{
    NEED_FFMPEG();
    char dir[64], path[256], cut[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(path, sizeof path, "%s/full.y4m", dir);
    snprintf(cut, sizeof cut, "%s/cut.y4m", dir);
    ffmpeg_y4m("yuv420p", path);
    y4m_file f;
    y4m_file_read(path, &f);
    size_t keep = (size_t)(f.planes[5] - f.data) + 1000;
    write_file(cut, f.data, keep);
    expect e;
    expect_from_y4m(&e, &f);
    snprintf(spec, sizeof spec, "y4m:%s", cut);
    int before = test_open_fd_count();
    run_result r = run_source(spec, BATON_POLICY_NEWEST, 100, 1000, &e);
    print_result("truncated", &r, &e);
    ck_assert_int_eq(r.run, BATON_ERR_IO);
    char want[128];
    snprintf(want, sizeof want, "truncated frame 5: got 1000 of %zu bytes", f.payload);
    ck_assert_msg(strstr(r.message, want) && strstr(r.message, cut), "want '%s' in: %s", want,
                  r.message);
    ck_assert_uint_eq(r.stats.frames_submitted, 5);
    ck_assert_uint_eq(e.bad_values, 0);
    ck_assert_int_eq(test_open_fd_count(), before);
    free(e.ref);
    free(f.data);
    remove_tmpdir(dir);
}
END_TEST

/* ffmpeg's raw YUYV through the pipe source: _i 0 a popen'd descriptor,
 * 1 a FIFO, 2 standard input; the frames against the same command's file. */
START_TEST(test_pipe_ffmpeg)
{
    NEED_FFMPEG();
    char dir[64], path[256], fifo[256], spec[300], cmd[1024];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(path, sizeof path, "%s/ref.yuyv", dir);
    snprintf(fifo, sizeof fifo, "%s/live.yuyv", dir);
    ck_assert_int_eq(test_sh(FFMPEG_TESTSRC(12) " -f rawvideo -pix_fmt yuyv422 -y '%s'", path), 0);
    expect e;
    expect_from_raw(&e, BATON_FORMAT_YUYV, path);
    ck_assert_uint_eq(e.count, FFMPEG_FRAMES);
    int before = test_open_fd_count();
    int saved_stdin = -1;
    if (_i == 1) {
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        snprintf(cmd, sizeof cmd, FFMPEG_TESTSRC(12) " -f rawvideo -pix_fmt yuyv422 -y '%s'", fifo);
    } else {
        snprintf(cmd, sizeof cmd, FFMPEG_TESTSRC(12) " -f rawvideo -pix_fmt yuyv422 -");
    }
    FILE *producer = popen(cmd, "r");
    ck_assert_ptr_nonnull(producer);
    if (_i == 0) {
        snprintf(spec, sizeof spec, "pipe:YUYV:160x96:fd=%d", fileno(producer));
    } else if (_i == 1) {
        snprintf(spec, sizeof spec, "pipe:yuyv:160x96:%s", fifo);
    } else {
        saved_stdin = dup(STDIN_FILENO);
        ck_assert_int_ge(dup2(fileno(producer), STDIN_FILENO), 0);
        snprintf(spec, sizeof spec, "pipe:YUYV:160x96");
    }
    run_result r = run_source(spec, BATON_POLICY_BACKPRESSURE, 1000, 2000, &e);
    if (_i == 1) {
        int unblock = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (unblock >= 0)
            close(unblock);
    }
    if (_i == 2) {
        ck_assert_int_ne(fcntl(STDIN_FILENO, F_GETFD), -1);
        dup2(saved_stdin, STDIN_FILENO);
        close(saved_stdin);
    }
    int status = pclose(producer);
    print_result(_i == 0 ? "ffmpeg | fd" : _i == 1 ? "ffmpeg > fifo" : "ffmpeg | stdin", &r, &e);
    ck_assert_int_eq(status, 0);
    assert_whole_stream(&r, &e, FFMPEG_FRAMES);
    ck_assert_uint_eq(r.stats.dropped, 0);
    ck_assert_int_eq(test_open_fd_count(), before);
    free(e.ref);
    remove_tmpdir(dir);
}
END_TEST

/* GStreamer's videotestsrc as YUY2: _i 0 a popen'd descriptor, 1 stdin. */
START_TEST(test_pipe_gstreamer)
{
    NEED_GSTREAMER();
    char dir[64], path[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(path, sizeof path, "%s/ref.yuy2", dir);
    ck_assert_msg(test_sh(GST_TESTSRC " > '%s'", path) == 0, "gst-launch-1.0 failed");
    expect e;
    expect_from_raw(&e, BATON_FORMAT_YUYV, path);
    ck_assert_uint_eq(e.count, GST_FRAMES);
    int before = test_open_fd_count();
    FILE *producer = popen(GST_TESTSRC, "r");
    ck_assert_ptr_nonnull(producer);
    int saved_stdin = -1;
    if (_i == 0) {
        snprintf(spec, sizeof spec, "pipe:YUYV:160x96:fd=%d", fileno(producer));
    } else {
        saved_stdin = dup(STDIN_FILENO);
        ck_assert_int_ge(dup2(fileno(producer), STDIN_FILENO), 0);
        snprintf(spec, sizeof spec, "pipe:YUYV:160x96:-");
    }
    run_result r = run_source(spec, BATON_POLICY_BACKPRESSURE, 1000, 3000, &e);
    if (_i == 1) {
        ck_assert_int_ne(fcntl(STDIN_FILENO, F_GETFD), -1);
        dup2(saved_stdin, STDIN_FILENO);
        close(saved_stdin);
    }
    int status = pclose(producer);
    print_result(_i == 0 ? "gst | fd" : "gst | stdin", &r, &e);
    ck_assert_int_eq(status, 0);
    assert_whole_stream(&r, &e, GST_FRAMES);
    ck_assert_int_eq(test_open_fd_count(), before);
    free(e.ref);
    remove_tmpdir(dir);
}
END_TEST

/* A FIFO nobody writes: the pipeline's source wait is bounded. */
START_TEST(test_pipe_timeout_pipeline)
{
    char dir[64], fifo[256], spec[300];
    test_make_tmpdir(dir, sizeof dir, "src");
    snprintf(fifo, sizeof fifo, "%s/silent.fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(spec, sizeof spec, "pipe:NV12:64x32:%s", fifo);
    expect e = {.fmt = BATON_FORMAT_NV12, .w = 64, .h = 32, .count = 1};
    int before = test_open_fd_count();
    uint64_t t0 = now_ms();
    run_result r = run_source(spec, BATON_POLICY_NEWEST, 10, 200, &e);
    uint64_t took = now_ms() - t0;
    printf("(expected, %llu ms in all) %s\n", (unsigned long long)took, r.message);
    ck_assert_int_eq(r.create, BATON_OK);
    ck_assert_int_eq(r.run, BATON_ERR_TIMEOUT);
    ck_assert_msg(strstr(r.message, "pipe source: no data within 200 ms"), "%s", r.message);
    ck_assert_uint_eq(r.stats.frames_submitted, 0);
    ck_assert_int_eq(test_open_fd_count(), before);
    remove_tmpdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("source_files");
    TCase *direct = tcase_create("sources");
    tcase_set_timeout(direct, 60);
    tcase_add_test(direct, test_header_variants);
    tcase_add_loop_test(direct, test_malformed, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(direct, test_end_and_loop);
    tcase_add_test(direct, test_y4m_fifo_timeout);
    tcase_add_test(direct, test_pipe_specs);
    tcase_add_test(direct, test_pipe_fifo_timeout);
    tcase_add_test(direct, test_pipe_policies);
    tcase_add_test(direct, test_pipe_stdin);
    suite_add_tcase(s, direct);

    baton_caps caps;
    baton_probe(0, BATON_COMPUTE_CPU, &caps, NULL);
    if (caps.vk_present && caps.vk_device_count > 0) {
        TCase *pipe = tcase_create("pipeline");
        tcase_set_timeout(pipe, 120);
        tcase_add_loop_test(pipe, test_y4m_ffmpeg, 0, 3);
        tcase_add_loop_test(pipe, test_y4m_ffmpeg_fifo, 0, 3);
        tcase_add_test(pipe, test_y4m_loop);
        tcase_add_test(pipe, test_y4m_truncated);
        tcase_add_loop_test(pipe, test_pipe_ffmpeg, 0, 3);
        tcase_add_loop_test(pipe, test_pipe_gstreamer, 0, 2);
        tcase_add_test(pipe, test_pipe_timeout_pipeline);
        suite_add_tcase(s, pipe);
    } else {
        fprintf(stderr, "Vulkan unavailable: %s\n", caps.vk_error);
        if (test_vulkan_required())
            return 1;
        printf("SKIP source_files/pipeline: no Vulkan device (the direct source tests still run)\n");
    }
    return test_run_suite(s);
}
