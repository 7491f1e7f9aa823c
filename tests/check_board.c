/* check_board.c - board profiles: the shipped files, the parser's errors,
 * load by name and path, and detection from fixture files.
 * Runs from the repository root (boards/ is "boards"). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/board.h"
#include "baton/schedule.h"
#include "util_test.h"

#define BOARDS "boards"

static const char *const shipped[] = {
    "jetson-agx-orin", "jetson-agx-thor", "jetson-orin-nx-nano", "jetson-xavier", "x86-discrete",
};
#define SHIPPED_COUNT (sizeof shipped / sizeof shipped[0])

/* ---- helpers ------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    write_file(dir, name, text, strlen(text));
}

/* Remove a flat directory made by test_make_tmpdir. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* A valid [board] block: lines 1..9. */
#define BOARD_OK                                                                              \
    "[board]\n"              /* 1 */                                                          \
    "name = t\n"             /* 2 */                                                          \
    "description = d\n"      /* 3 */                                                          \
    "soc = s\n"              /* 4 */                                                          \
    "gpu = g\n"              /* 5 */                                                          \
    "cuda_arch = sm_87\n"    /* 6 */                                                          \
    "jetpack = 6.2\n"        /* 7 */                                                          \
    "cuda = 12.6\n"          /* 8 */                                                          \
    "memory = integrated\n"  /* 9 */

/* A valid profile for a fixture boards directory. */
static void write_profile(const char *dir, const char *name, const char *arch,
                          const char *compatible, const char *l4t)
{
    char text[1024], file[128];
    snprintf(text, sizeof text,
             "[board]\nname = %s\ndescription = d\nsoc = s\ngpu = g\ncuda_arch = %s\n"
             "jetpack = none\ncuda = 13.0\nmemory = integrated\ncompatible = %s\nl4t = %s\n",
             name, arch, compatible, l4t);
    snprintf(file, sizeof file, "%s.board", name);
    write_text(dir, file, text);
}

/* ---- shipped profiles --------------------------------------------------- */

START_TEST(test_shipped_profiles_parse)
{
    char names[BATON_BOARD_LIST_MAX][BATON_BOARD_NAME_MAX];
    uint32_t count = 0;
    baton_error e;
    ck_assert_int_eq(baton_board_list(BOARDS, names, BATON_BOARD_LIST_MAX, &count, &e), BATON_OK);
    ck_assert_uint_ge(count, SHIPPED_COUNT);
    for (size_t i = 0; i < SHIPPED_COUNT; i++) {
        int found = 0;
        for (uint32_t j = 0; j < count; j++)
            found |= strcmp(names[j], shipped[i]) == 0;
        ck_assert_msg(found, "boards/%s.board is missing", shipped[i]);
    }

    regex_t sm, makefile_line;
    ck_assert_int_eq(regcomp(&sm, "^sm_[1-9][0-9]{1,2}$", REG_EXTENDED | REG_NOSUB), 0);
    /* The Makefile's sed: ^[[:space:]]*cuda_arch[[:space:]]*=[[:space:]]*\(sm_[0-9a-z]*\) */
    ck_assert_int_eq(regcomp(&makefile_line,
                             "^[[:space:]]*cuda_arch[[:space:]]*=[[:space:]]*(sm_[0-9a-z]*)",
                             REG_EXTENDED | REG_NEWLINE),
                     0);

    for (uint32_t i = 0; i < count; i++) {
        baton_board b;
        baton_status st = baton_board_load(names[i], BOARDS, &b, &e);
        ck_assert_msg(st == BATON_OK, "%s: %s", names[i], e.message);
        ck_assert_str_eq(b.name, names[i]);
        ck_assert_msg(b.description[0] && b.soc[0] && b.gpu[0] && b.jetpack[0] && b.cuda[0],
                      "%s: a required field is empty", names[i]);
        ck_assert_msg(regexec(&sm, b.cuda_arch, 0, NULL, 0) == 0, "%s: cuda_arch '%s'",
                      names[i], b.cuda_arch);
        ck_assert_uint_gt(b.cuda_arch_num, 0);
        ck_assert_uint_ge(b.defaults.slots, BATON_SLOTS_MIN);
        ck_assert_uint_le(b.defaults.slots, BATON_SLOTS_MAX);
        ck_assert_uint_ge(b.defaults.pool_size, 2u * b.defaults.slots);
        ck_assert_msg(b.defaults.camera[0] && b.defaults.display[0], "%s: camera/display",
                      names[i]);
        ck_assert_uint_gt(b.defaults.width, 0);
        ck_assert_uint_gt(b.defaults.timeout_ms, 0);
        if (b.memory == BATON_BOARD_MEMORY_INTEGRATED) {
            ck_assert_msg(b.compatible_count > 0 && b.l4t_count > 0,
                          "%s: a Jetson profile needs compatible and l4t for detection",
                          names[i]);
            ck_assert_str_ne(b.jetpack, "none");
        }

        /* The line the Makefile's sed reads gives the same arch. */
        char path[256];
        snprintf(path, sizeof path, BOARDS "/%s.board", names[i]);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        static char text[65536];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        regmatch_t m[2];
        ck_assert_msg(regexec(&makefile_line, text, 2, m, 0) == 0,
                      "%s has no 'cuda_arch = sm_NN' line for the Makefile", path);
        char arch[32];
        size_t alen = (size_t)(m[1].rm_eo - m[1].rm_so);
        ck_assert_uint_lt(alen, sizeof arch);
        memcpy(arch, text + m[1].rm_so, alen);
        arch[alen] = '\0';
        ck_assert_str_eq(arch, b.cuda_arch);
    }
    regfree(&sm);
    regfree(&makefile_line);
}
END_TEST

START_TEST(test_shipped_profile_facts)
{
    static const struct {
        const char *name, *arch, *jetpack;
        baton_board_memory memory;
        const char *soc_compatible;
    } want[] = {
        {"jetson-agx-thor", "sm_110", "7.1", BATON_BOARD_MEMORY_INTEGRATED, "nvidia,tegra264"},
        {"jetson-agx-orin", "sm_87", "6.2", BATON_BOARD_MEMORY_INTEGRATED, "nvidia,tegra234"},
        {"jetson-orin-nx-nano", "sm_87", "6.2", BATON_BOARD_MEMORY_INTEGRATED, "nvidia,tegra234"},
        {"jetson-xavier", "sm_72", "5.1", BATON_BOARD_MEMORY_INTEGRATED, "nvidia,tegra194"},
        {"x86-discrete", "sm_90", "none", BATON_BOARD_MEMORY_DISCRETE, NULL},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        baton_board b;
        baton_error e;
        ck_assert_msg(baton_board_load(want[i].name, BOARDS, &b, &e) == BATON_OK, "%s",
                      e.message);
        ck_assert_str_eq(b.cuda_arch, want[i].arch);
        ck_assert_str_eq(b.jetpack, want[i].jetpack);
        ck_assert_int_eq(b.memory, want[i].memory);
        if (want[i].soc_compatible) {
            int found = 0;
            for (uint32_t j = 0; j < b.compatible_count; j++)
                found |= strcmp(b.compatible[j], want[i].soc_compatible) == 0;
            ck_assert_msg(found, "%s does not list %s", want[i].name, want[i].soc_compatible);
        } else {
            ck_assert_uint_eq(b.compatible_count, 0);
            ck_assert_uint_eq(b.l4t_count, 0);
        }
    }
    /* Xavier needs an older toolkit than CUDA 13: its notes must say so. */
    baton_board x;
    ck_assert_int_eq(baton_board_load("jetson-xavier", BOARDS, &x, NULL), BATON_OK);
    ck_assert_ptr_nonnull(strstr(x.notes, "CUDA 13"));
    ck_assert_ptr_nonnull(strstr(x.notes, "JetPack 5"));
    ck_assert_str_eq(x.cuda, "11.4");
}
END_TEST

/* ---- parsing -------------------------------------------------------------- */

START_TEST(test_parse_minimal_gets_defaults)
{
    baton_board b;
    baton_error e;
    ck_assert_int_eq(baton_board_parse_string(BOARD_OK, "mini.board", &b, &e), BATON_OK);
    ck_assert_str_eq(b.name, "t");
    ck_assert_str_eq(b.cuda_arch, "sm_87");
    ck_assert_uint_eq(b.cuda_arch_num, 87);
    ck_assert_str_eq(b.source, "mini.board");
    ck_assert_str_eq(b.detected_by, "");
    ck_assert_str_eq(b.notes, "");
    ck_assert_uint_eq(b.compatible_count, 0);
    ck_assert_uint_eq(b.defaults.slots, BATON_BOARD_DEFAULT_SLOTS);
    ck_assert_uint_eq(b.defaults.pool_size, BATON_BOARD_DEFAULT_POOL_SIZE);
    ck_assert_int_eq(b.defaults.sync, BATON_SYNC_AUTO);
    ck_assert_str_eq(b.defaults.camera, BATON_BOARD_DEFAULT_CAMERA);
    ck_assert_int_eq(b.defaults.camera_format, BATON_FORMAT_YUYV);
    ck_assert_uint_eq(b.defaults.width, BATON_BOARD_DEFAULT_WIDTH);
    ck_assert_uint_eq(b.defaults.height, BATON_BOARD_DEFAULT_HEIGHT);
    ck_assert_str_eq(b.defaults.display, BATON_BOARD_DEFAULT_DISPLAY);
    ck_assert_uint_eq(b.defaults.timeout_ms, BATON_BOARD_DEFAULT_TIMEOUT_MS);
    /* NULL name_for_errors */
    ck_assert_int_eq(baton_board_parse_string(BOARD_OK, NULL, &b, &e), BATON_OK);
    ck_assert_str_eq(b.source, "<string>");
}
END_TEST

START_TEST(test_parse_full_syntax)
{
    const char *text =
        "# a comment\r\n"
        "; another\r\n"
        "\r\n"
        "  [ board ]  \r\n"
        "  name=full\r\n"
        "description = a board \\\r\n"
        "    over two lines\r\n"
        "soc = s\r\n"
        "gpu = g\r\n"
        "cuda_arch = sm_110\r\n"
        "jetpack = 7.1\r\n"
        "cuda = 13.0.1\r\n"
        "memory = discrete\r\n"
        "compatible = acme,widget-*, acme,soc  vendor,x\r\n"
        "l4t = R38, 39\r\n"
        "notes = # not a comment; = is fine\r\n"
        "[defaults]\r\n"
        "slots = 4\r\n"
        "pool_size = 8\r\n"
        "sync = Timeline\r\n"
        "camera = file:/tmp/frames.raw\r\n"
        "camera_format = nv12\r\n"
        "size = 640X480\r\n"
        "display = drm:DP-1\r\n"
        "timeout_ms = 250";
    baton_board b;
    baton_error e;
    ck_assert_msg(baton_board_parse_string(text, "full.board", &b, &e) == BATON_OK, "%s",
                  e.message);
    ck_assert_str_eq(b.name, "full");
    ck_assert_str_eq(b.description, "a board over two lines");
    ck_assert_str_eq(b.cuda_arch, "sm_110");
    ck_assert_uint_eq(b.cuda_arch_num, 110);
    ck_assert_str_eq(b.cuda, "13.0.1");
    ck_assert_int_eq(b.memory, BATON_BOARD_MEMORY_DISCRETE);
    ck_assert_uint_eq(b.compatible_count, 3);
    ck_assert_str_eq(b.compatible[0], "acme,widget-*");
    ck_assert_str_eq(b.compatible[1], "acme,soc");
    ck_assert_str_eq(b.compatible[2], "vendor,x");
    ck_assert_uint_eq(b.l4t_count, 2);
    ck_assert_uint_eq(b.l4t[0], 38);
    ck_assert_uint_eq(b.l4t[1], 39);
    ck_assert_str_eq(b.notes, "# not a comment; = is fine");
    ck_assert_uint_eq(b.defaults.slots, 4);
    ck_assert_uint_eq(b.defaults.pool_size, 8);
    ck_assert_int_eq(b.defaults.sync, BATON_SYNC_TIMELINE);
    ck_assert_str_eq(b.defaults.camera, "file:/tmp/frames.raw");
    ck_assert_int_eq(b.defaults.camera_format, BATON_FORMAT_NV12);
    ck_assert_uint_eq(b.defaults.width, 640);
    ck_assert_uint_eq(b.defaults.height, 480);
    ck_assert_str_eq(b.defaults.display, "drm:DP-1");
    ck_assert_uint_eq(b.defaults.timeout_ms, 250);
}
END_TEST

/* Each text is wrong in one way; the message must start with the expected
 * "file:line: " and contain the expected words. */
static const struct bad_case {
    const char *text;
    const char *expect;
} bad_cases[] = {
    {BOARD_OK "[defaults]\nslots = 3\ncamera = v4l2:/dev/video0\nslotz = 2\n",
     "bad.board:13: unknown key 'slotz' in [defaults]"},
    {BOARD_OK "[defaults]\n\n\n\n\n\n\n\n\nslotz = 3\n",
     "bad.board:19: unknown key 'slotz' in [defaults]"},
    {BOARD_OK "colour = red\n", "bad.board:10: unknown key 'colour' in [board]"},
    {BOARD_OK "slots = 3\n", "bad.board:10: unknown key 'slots' in [board] (it belongs in [defaults])"},
    {"[board]\nname = t\ndescription = d\nsoc = s\ngpu = g\njetpack = 6.2\ncuda = 12.6\n"
     "memory = integrated\n",
     "bad.board:1: [board] lacks required key 'cuda_arch'"},
    {"# header\n\n[board]\nname = t\ndescription = d\nsoc = s\ngpu = g\ncuda_arch = sm_87\n"
     "jetpack = 6.2\nmemory = integrated\n",
     "bad.board:3: [board] lacks required key 'cuda'"},
    {"[defaults]\nslots = 3\n", "bad.board: no [board] section"},
    {"", "bad.board: no [board] section"},
    {BOARD_OK "[defaults]\nslots = 7\n", "bad.board:11: slots = 7 is out of range (2..4)"},
    {BOARD_OK "[defaults]\nslots = 1\n", "bad.board:11: slots = 1 is out of range (2..4)"},
    {BOARD_OK "[defaults]\nslots = three\n", "bad.board:11: slots 'three' is not a number"},
    {BOARD_OK "[defaults]\nslots = -3\n", "bad.board:11: slots '-3' is not a number"},
    {BOARD_OK "[defaults]\nslots = 99999999999\n", "bad.board:11: slots '99999999999' is not a number"},
    {"[board]\nname = t\ndescription = d\nsoc = s\ngpu = g\ncuda_arch = compute_87\n",
     "bad.board:6: cuda_arch 'compute_87' is not of the form sm_NN"},
    {"[board]\ncuda_arch = sm_8\n", "bad.board:2: cuda_arch 'sm_8' is not of the form sm_NN"},
    {"[board]\ncuda_arch = sm_87a\n", "bad.board:2: cuda_arch 'sm_87a' is not of the form sm_NN"},
    {"[board]\ncuda_arch = 87\n", "bad.board:2: cuda_arch '87' is not of the form sm_NN"},
    {"[board]\nmemory = shared\n", "bad.board:2: memory 'shared' must be integrated or discrete"},
    {BOARD_OK "[defaults]\nsize = 1920*1080\n", "bad.board:11: size '1920*1080' is not WxH"},
    {BOARD_OK "[defaults]\nsize = 1920x\n", "bad.board:11: size '1920x' is not WxH"},
    {BOARD_OK "[defaults]\nsize = x1080\n", "bad.board:11: size 'x1080' is not WxH"},
    {BOARD_OK "[defaults]\nsize = 0x1080\n", "bad.board:11: size 0x1080 is out of range"},
    {BOARD_OK "[defaults]\ncamera_format = YUYV\nsize = 1921x1080\n",
     "bad.board:12: size 1921x1080 does not suit YUYV"},
    {BOARD_OK "[defaults]\nsize = 1280x721\ncamera_format = NV12\n",
     "bad.board:11: size 1280x721 does not suit NV12"},
    {BOARD_OK "[camera]\nsize = 1x1\n",
     "bad.board:10: unknown section [camera] (expected [board] or [defaults])"},
    {BOARD_OK "slots 3\n", "bad.board:10: line without '='"},
    {"[board]\nname = t\n\njust some words\n", "bad.board:4: line without '='"},
    {"[board]\nname = t\ndescription = d\nsoc = s\ngpu = g\ncuda_arch = sm_87\njetpack = 6.2\n"
     "cuda = 12.6\ncuda = 12.8\n",
     "bad.board:9: duplicate key 'cuda' in [board] (first at line 8)"},
    {BOARD_OK "[defaults]\nslots = 2\n[board]\n",
     "bad.board:12: duplicate section [board] (first at line 1)"},
    {"name = t\n[board]\n", "bad.board:1: key 'name' outside any section"},
    {"[board\nname = t\n", "bad.board:1: section header without closing ']'"},
    {"[]\n", "bad.board:1: bad section name"},
    {"[board]\n= value\n", "bad.board:2: missing key before '='"},
    {"[board]\nna me = t\n", "bad.board:2: bad key name"},
    {"[board]\ncuda =\n", "bad.board:2: empty value for 'cuda'"},
    {"[board]\nname = bad name\n", "bad.board:2: name 'bad name' must be"},
    {"[board]\njetpack = six\n", "bad.board:2: jetpack 'six' is not a version"},
    {"[board]\ncuda = none\n", "bad.board:2: cuda 'none' is not a version"},
    {"[board]\ncompatible = nvidia,tegra234,nvidia,p3701\n",
     "bad.board:2: compatible entry 'nvidia,tegra234,nvidia,p3701' is not 'vendor,model'"},
    {"[board]\ncompatible = nvidia\n", "bad.board:2: compatible entry 'nvidia' is not"},
    {"[board]\ncompatible = nvidia,p*3\n", "bad.board:2: compatible entry 'nvidia,p*3' is not"},
    {"[board]\ncompatible = a,b , c,d\n", "bad.board:2: empty entry in compatible"},
    {"[board]\nl4t = R3x\n", "bad.board:2: l4t entry 'R3x' is not an L4T major release"},
    {"[board]\nl4t = 35, 36, 38, 39, 40\n", "bad.board:2: too many l4t entries"},
    {BOARD_OK "[defaults]\nsync = fast\n",
     "bad.board:11: sync 'fast' must be auto, timeline or binary"},
    {BOARD_OK "[defaults]\ncamera_format = MJPG\n",
     "bad.board:11: camera_format 'MJPG' is not one of"},
    {BOARD_OK "[defaults]\ncamera_format = RGBA8\n",
     "bad.board:11: camera_format 'RGBA8' is the output format"},
    {BOARD_OK "[defaults]\npool_size = 5000\n", "bad.board:11: pool_size = 5000 is out of range"},
    {BOARD_OK "[defaults]\nslots = 3\npool_size = 4\n",
     "bad.board:12: pool_size = 4 is too small for slots = 3"},
    {BOARD_OK "[defaults]\ntimeout_ms = 0\n", "bad.board:11: timeout_ms = 0 is out of range"},
    {BOARD_OK "[defaults]\ncamera = v4l2: /dev/video0\n",
     "bad.board:11: camera 'v4l2: /dev/video0' must not contain blanks"},
    {BOARD_OK "notes = one \\\n", "bad.board:10: value of 'notes' ends in '\\' (continued) but"},
};

START_TEST(test_parse_errors)
{
    const struct bad_case *c = &bad_cases[_i];
    baton_board b;
    memset(&b, 0, sizeof b);
    snprintf(b.name, sizeof b.name, "untouched");
    baton_error e;
    baton_error_clear(&e);
    baton_status st = baton_board_parse_string(c->text, "bad.board", &b, &e);
    ck_assert_msg(st == BATON_ERR_PARSE, "case %d: status %d (%s), want parse error '%s'", _i,
                  st, e.message, c->expect);
    ck_assert_int_eq(e.status, BATON_ERR_PARSE);
    ck_assert_msg(strncmp(e.message, c->expect, strlen(c->expect)) == 0,
                  "case %d:\n  got  '%s'\n  want '%s...'", _i, e.message, c->expect);
    ck_assert_str_eq(b.name, "untouched"); /* out untouched on failure */
}
END_TEST

START_TEST(test_parse_long_lines)
{
    /* A physical line over the limit, and a value too long for its field. */
    static char text[4096];
    snprintf(text, sizeof text, "[board]\ndescription = ");
    size_t n = strlen(text);
    memset(text + n, 'a', 1100);
    text[n + 1100] = '\0';
    baton_error e;
    baton_board b;
    ck_assert_int_eq(baton_board_parse_string(text, "long.board", &b, &e), BATON_ERR_PARSE);
    ck_assert_msg(strncmp(e.message, "long.board:2: line too long", 27) == 0, "%s", e.message);

    memset(text + n, 'a', 200);
    text[n + 200] = '\0';
    ck_assert_int_eq(baton_board_parse_string(text, "long.board", &b, &e), BATON_ERR_PARSE);
    ck_assert_msg(strncmp(e.message, "long.board:2: value of 'description' too long", 45) == 0,
                  "%s", e.message);
}
END_TEST

START_TEST(test_parse_bad_arguments)
{
    baton_board b;
    baton_error e;
    ck_assert_int_eq(baton_board_parse_string(NULL, "x", &b, &e), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_board_parse_string(BOARD_OK, "x", NULL, &e),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_board_parse_file(NULL, &b, &e), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_board_load(NULL, BOARDS, &b, &e), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_board_detect(NULL, NULL, BOARDS, NULL, &e),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_board_parse_string(BOARD_OK, "x", &b, NULL), BATON_OK);
}
END_TEST

START_TEST(test_parse_file_errors)
{
    char dir[64];
    test_make_tmpdir(dir, sizeof dir, "board");
    char path[128];
    baton_board b;
    baton_error e;

    snprintf(path, sizeof path, "%s/missing.board", dir);
    ck_assert_int_eq(baton_board_parse_file(path, &b, &e), BATON_ERR_OS);
    ck_assert_ptr_nonnull(strstr(e.message, path));
    ck_assert_ptr_nonnull(strstr(e.message, strerror(ENOENT)));

    static const char with_nul[] = "[board]\nname = t\nde\0scription = d\n";
    write_file(dir, "nul.board", with_nul, sizeof with_nul - 1);
    snprintf(path, sizeof path, "%s/nul.board", dir);
    ck_assert_int_eq(baton_board_parse_file(path, &b, &e), BATON_ERR_PARSE);
    char want[192];
    snprintf(want, sizeof want, "%s:3: NUL byte", path);
    ck_assert_msg(strncmp(e.message, want, strlen(want)) == 0, "%s", e.message);

    /* Errors from a file name the file. */
    write_text(dir, "bad.board", BOARD_OK "[defaults]\nslotz = 1\n");
    snprintf(path, sizeof path, "%s/bad.board", dir);
    ck_assert_int_eq(baton_board_parse_file(path, &b, &e), BATON_ERR_PARSE);
    snprintf(want, sizeof want, "%s:11: unknown key 'slotz' in [defaults]", path);
    ck_assert_str_eq(e.message, want);
    remove_tree(dir);
}
END_TEST

/* ---- load and list ------------------------------------------------------ */

START_TEST(test_load_by_name_and_path)
{
    baton_board b;
    baton_error e;
    ck_assert_int_eq(baton_board_load("jetson-agx-orin", BOARDS, &b, &e), BATON_OK);
    ck_assert_str_eq(b.name, "jetson-agx-orin");
    ck_assert_str_eq(b.source, BOARDS "/jetson-agx-orin.board");
    ck_assert_int_eq(baton_board_load("jetson-xavier.board", BOARDS, &b, &e), BATON_OK);
    ck_assert_str_eq(b.name, "jetson-xavier");
    ck_assert_int_eq(baton_board_load("x86-discrete", NULL, &b, &e), BATON_OK); /* default dir */
    ck_assert_str_eq(b.cuda_arch, "sm_90");
    /* A path (contains '/') is read as it is, whatever boards_dir says. */
    ck_assert_int_eq(baton_board_load("boards/jetson-agx-thor.board", "/nonexistent", &b, &e),
                     BATON_OK);
    ck_assert_str_eq(b.name, "jetson-agx-thor");
    ck_assert_str_eq(b.source, "boards/jetson-agx-thor.board");
    ck_assert_int_eq(baton_board_load("./boards/jetson-orin-nx-nano.board", NULL, &b, &e),
                     BATON_OK);
    ck_assert_str_eq(b.cuda_arch, "sm_87");
    ck_assert_int_eq(baton_board_load("boards/no-such.board", NULL, &b, &e), BATON_ERR_OS);
}
END_TEST

START_TEST(test_load_unknown_name_lists_boards)
{
    baton_board b;
    baton_error e;
    ck_assert_int_eq(baton_board_load("jetson-nano", BOARDS, &b, &e),
                     BATON_ERR_INVALID_ARGUMENT);
    const char *want = "no board profile 'jetson-nano' in boards (available: ";
    ck_assert_msg(strncmp(e.message, want, strlen(want)) == 0, "%s", e.message);
    for (size_t i = 0; i < SHIPPED_COUNT; i++)
        ck_assert_msg(strstr(e.message, shipped[i]) != NULL, "'%s' not listed in: %s",
                      shipped[i], e.message);
    /* Sorted: jetson-agx-orin before x86-discrete. */
    ck_assert(strstr(e.message, "jetson-agx-orin") < strstr(e.message, "x86-discrete"));

    ck_assert_int_eq(baton_board_load("x86-discrete", "/nonexistent-dir", &b, &e),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(e.message, "cannot read board directory /nonexistent-dir"));

    ck_assert_int_eq(baton_board_load(".hidden", BOARDS, &b, &e), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_board_load("a b", BOARDS, &b, &e), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_board_load("", BOARDS, &b, &e), BATON_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_load_name_must_match_file)
{
    char dir[64];
    test_make_tmpdir(dir, sizeof dir, "board");
    write_profile(dir, "bar", "sm_87", "none", "none");
    char from[128], to[128];
    snprintf(from, sizeof from, "%s/bar.board", dir);
    snprintf(to, sizeof to, "%s/foo.board", dir);
    ck_assert_int_eq(rename(from, to), 0);
    baton_board b;
    baton_error e;
    ck_assert_int_eq(baton_board_load("foo", dir, &b, &e), BATON_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(e.message, "does not match the file name"));
    /* By path the name is not checked. */
    ck_assert_int_eq(baton_board_load(to, NULL, &b, &e), BATON_OK);
    ck_assert_str_eq(b.name, "bar");
    remove_tree(dir);
}
END_TEST

START_TEST(test_list_capacity)
{
    char names[2][BATON_BOARD_NAME_MAX];
    uint32_t count = 0;
    baton_error e;
    ck_assert_int_eq(baton_board_list(BOARDS, names, 2, &count, &e), BATON_ERR_EXHAUSTED);
    ck_assert_uint_ge(count, SHIPPED_COUNT);
    ck_assert_str_eq(names[0], "jetson-agx-orin");
    ck_assert_str_eq(names[1], "jetson-agx-thor");
    ck_assert_int_eq(baton_board_list(BOARDS, NULL, 0, &count, &e), BATON_ERR_EXHAUSTED);
    ck_assert_int_eq(baton_board_list("/nonexistent-dir", names, 2, &count, &e), BATON_ERR_OS);
    ck_assert_int_eq(baton_board_list(BOARDS, names, 2, NULL, &e), BATON_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_compatible_matches)
{
    ck_assert(baton_board_compatible_matches("nvidia,tegra234", "nvidia,tegra234"));
    ck_assert(!baton_board_compatible_matches("nvidia,tegra234", "nvidia,tegra2345"));
    ck_assert(baton_board_compatible_matches("nvidia,p3767-*", "nvidia,p3767-0005"));
    ck_assert(!baton_board_compatible_matches("nvidia,p3767-*", "nvidia,p3768-0000+p3767-0005"));
    ck_assert(baton_board_compatible_matches("*", "anything"));
    ck_assert(!baton_board_compatible_matches(NULL, "x"));
    ck_assert_str_eq(baton_board_memory_name(BATON_BOARD_MEMORY_INTEGRATED), "integrated");
    ck_assert_str_eq(baton_board_memory_name(BATON_BOARD_MEMORY_DISCRETE), "discrete");
}
END_TEST

/* ---- detection ---------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char dt[128];
    char rel[128];
} fixture;

/* dt: NUL-separated strings of dt_len bytes (NULL: no file); rel: text (NULL: no file). */
static void fixture_make(fixture *fx, const char *dt, size_t dt_len, const char *rel)
{
    test_make_tmpdir(fx->dir, sizeof fx->dir, "board");
    snprintf(fx->dt, sizeof fx->dt, "%s/compatible", fx->dir);
    snprintf(fx->rel, sizeof fx->rel, "%s/nv_tegra_release", fx->dir);
    if (dt)
        write_file(fx->dir, "compatible", dt, dt_len);
    if (rel)
        write_text(fx->dir, "nv_tegra_release", rel);
}

/* Detect with the shipped profiles; return the status, fill b and e. */
static baton_status detect_with(const char *dt, size_t dt_len, const char *rel, baton_board *b,
                                baton_error *e)
{
    fixture fx;
    fixture_make(&fx, dt, dt_len, rel);
    baton_status st = baton_board_detect(fx.dt, fx.rel, BOARDS, b, e);
    remove_tree(fx.dir);
    return st;
}

#define DT(s) s, sizeof(s) /* a string literal with its final NUL, as the kernel writes it */

static void expect_board(const char *dt, size_t dt_len, const char *rel, const char *name)
{
    baton_board b;
    baton_error e;
    baton_status st = detect_with(dt, dt_len, rel, &b, &e);
    ck_assert_msg(st == BATON_OK, "want %s, got status %d: %s", name, st, e.message);
    ck_assert_str_eq(b.name, name);
    ck_assert_msg(b.detected_by[0] != '\0', "detected_by is empty");
}

START_TEST(test_detect_device_tree)
{
    /* Jetson AGX Orin developer kit (64GB module) */
    expect_board(DT("nvidia,p3737-0000+p3701-0005\0nvidia,p3701-0005\0nvidia,tegra234"), NULL,
                 "jetson-agx-orin");
    /* Jetson Orin Nano developer kit, Orin NX 16GB on the devkit carrier */
    expect_board(DT("nvidia,p3768-0000+p3767-0005\0nvidia,p3767-0005\0nvidia,tegra234"), NULL,
                 "jetson-orin-nx-nano");
    expect_board(DT("nvidia,p3768-0000+p3767-0000\0nvidia,p3767-0000\0nvidia,tegra234"), NULL,
                 "jetson-orin-nx-nano");
    /* A third-party carrier: the module id still decides. */
    expect_board(DT("acme,carrier+p3767-0003\0nvidia,p3767-0003\0nvidia,tegra234"), NULL,
                 "jetson-orin-nx-nano");
    /* Jetson AGX Thor developer kit */
    expect_board(DT("nvidia,p4071-0000+p3834-0008\0nvidia,p3834-0008\0nvidia,tegra264"), NULL,
                 "jetson-agx-thor");
    /* Xavier: AGX devkit, Xavier NX devkit (eMMC) */
    expect_board(DT("nvidia,p2972-0000\0nvidia,tegra194"), NULL, "jetson-xavier");
    expect_board(DT("nvidia,p3509-0000+p3668-0001\0nvidia,p3668-0001\0nvidia,tegra194"), NULL,
                 "jetson-xavier");
    /* A Thor module id the profile does not list: the SoC decides. */
    expect_board(DT("nvidia,p9999-0000\0nvidia,tegra264"), NULL, "jetson-agx-thor");
    /* No trailing NUL, and the device tree wins over an inconsistent release file. */
    expect_board("nvidia,p2972-0000\0nvidia,tegra194", 33,
                 "# R36 (release), REVISION: 4.0, GCID: 1, BOARD: generic, EABI: aarch64\n",
                 "jetson-xavier");

    baton_board b;
    baton_error e;
    ck_assert_int_eq(detect_with(DT("nvidia,p3701-0000\0nvidia,tegra234"), NULL, &b, &e),
                     BATON_OK);
    ck_assert_ptr_nonnull(strstr(b.detected_by, "'nvidia,p3701-0000'"));
}
END_TEST

START_TEST(test_detect_device_tree_soc_only_tie)
{
    /* Only the SoC: both Orin profiles match equally, same cuda_arch: the
     * first by name is chosen and the other is named. */
    baton_board b;
    baton_error e;
    ck_assert_int_eq(detect_with(DT("nvidia,tegra234"), NULL, &b, &e), BATON_OK);
    ck_assert_str_eq(b.name, "jetson-agx-orin");
    ck_assert_ptr_nonnull(strstr(b.detected_by, "also matches jetson-orin-nx-nano"));
}
END_TEST

START_TEST(test_detect_device_tree_unsupported)
{
    baton_board b;
    memset(&b, 0, sizeof b);
    snprintf(b.name, sizeof b.name, "untouched");
    baton_error e;
    /* Jetson Nano (tegra210): a Tegra with no profile. */
    ck_assert_int_eq(detect_with(DT("nvidia,p3450-0000\0nvidia,tegra210"),
                                 "# R32 (release), REVISION: 7.1\n", &b, &e),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.message, "nvidia,tegra210"));
    ck_assert_ptr_nonnull(strstr(e.message, "jetson-agx-orin"));
    ck_assert_str_eq(b.name, "untouched");
}
END_TEST

START_TEST(test_detect_release_only)
{
    expect_board(NULL, 0,
                 "# R38 (release), REVISION: 2.0, GCID: 41844464, BOARD: generic, EABI: "
                 "aarch64, DATE: Fri Aug 22 00:55:42 UTC 2025\n# KERNEL_VARIANT: oot\n",
                 "jetson-agx-thor");

    baton_board b;
    baton_error e;
    /* R36 (JetPack 6) is Orin only; which Orin module is unknown. */
    ck_assert_int_eq(detect_with(NULL, 0,
                                 "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: "
                                 "generic, EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025\n",
                                 &b, &e),
                     BATON_OK);
    ck_assert_str_eq(b.name, "jetson-agx-orin");
    ck_assert_str_eq(b.cuda_arch, "sm_87");
    ck_assert_ptr_nonnull(strstr(b.detected_by, "L4T R36.4.3"));
    ck_assert_ptr_nonnull(strstr(b.detected_by, "jetson-orin-nx-nano"));

    /* R35 (JetPack 5) runs on Xavier and Orin: different arch, refuse. */
    ck_assert_int_eq(detect_with(NULL, 0,
                                 "# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: "
                                 "t186ref, EABI: aarch64\n",
                                 &b, &e),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.message, "jetson-xavier (sm_72)"));
    ck_assert_ptr_nonnull(strstr(e.message, "jetson-agx-orin (sm_87)"));

    /* R39 (JetPack 7.2) runs on Orin and Thor. */
    ck_assert_int_eq(detect_with(NULL, 0, "# R39 (release), REVISION: 2.0\n", &b, &e),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.message, "jetson-agx-thor (sm_110)"));

    /* R32 (JetPack 4) has no profile. */
    ck_assert_int_eq(detect_with(NULL, 0, "# R32 (release), REVISION: 7.1, BOARD: t186ref\n",
                                 &b, &e),
                     BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.message, "L4T R32"));

    /* Not an nv_tegra_release line. */
    ck_assert_int_eq(detect_with(NULL, 0, "hello\n", &b, &e), BATON_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(e.message, "nv_tegra_release:1: not an L4T release line"));
    ck_assert_int_eq(detect_with(NULL, 0, "# R (release)\n", &b, &e), BATON_ERR_PARSE);
}
END_TEST

START_TEST(test_detect_neither)
{
    baton_board b;
    baton_error e;
    baton_status st = detect_with(NULL, 0, NULL, &b, &e);
#if defined(__x86_64__)
    ck_assert_msg(st == BATON_OK, "%s", e.message);
    ck_assert_str_eq(b.name, "x86-discrete");
    ck_assert_ptr_nonnull(strstr(b.detected_by, "x86-64"));
    /* A device tree of a non-NVIDIA board is not a Jetson either. */
    st = detect_with(DT("raspberrypi,4-model-b\0brcm,bcm2711"), NULL, &b, &e);
    ck_assert_msg(st == BATON_OK, "%s", e.message);
    ck_assert_str_eq(b.name, "x86-discrete");
#else
    ck_assert_int_eq(st, BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.message, "pass a board name"));
#endif
}
END_TEST

START_TEST(test_detect_custom_boards_dir)
{
    /* Detection reads the profiles' own compatible and l4t lists. */
    fixture fx;
    fixture_make(&fx, DT("acme,widget-v2\0acme,widget"), "# R36 (release), REVISION: 1.0\n");
    char boards[64];
    test_make_tmpdir(boards, sizeof boards, "board");
    write_profile(boards, "acme", "sm_87", "acme,widget-*", "none");
    write_profile(boards, "other", "sm_72", "acme,widget", "36");
    baton_board b;
    baton_error e;
    ck_assert_int_eq(baton_board_detect(fx.dt, fx.rel, boards, &b, &e), BATON_OK);
    ck_assert_str_eq(b.name, "acme"); /* rank 0 beats rank 1 */

    /* Two profiles equally good with different cuda_arch: refuse. */
    write_profile(boards, "acme2", "sm_90", "acme,widget-v2", "none");
    ck_assert_int_eq(baton_board_detect(fx.dt, fx.rel, boards, &b, &e), BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.message, "acme (sm_87), acme2 (sm_90)"));

    /* A broken profile in the directory is reported, not skipped. */
    write_text(boards, "broken.board", "[board]\nslotz = 1\n");
    ck_assert_int_eq(baton_board_detect(fx.dt, fx.rel, boards, &b, &e), BATON_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(e.message, "broken.board:2: unknown key 'slotz' in [board]"));

    /* An empty boards directory: nothing to pick; on x86 the fallback
     * profile is missing too. */
    remove_tree(boards);
    test_make_tmpdir(boards, sizeof boards, "board");
    ck_assert_int_ne(baton_board_detect(fx.dt, fx.rel, boards, &b, &e), BATON_OK);
    remove_tree(boards);
    remove_tree(fx.dir);

    ck_assert_int_eq(baton_board_detect(NULL, NULL, "/nonexistent-dir", &b, &e), BATON_ERR_OS);
}
END_TEST

START_TEST(test_detect_unreadable_file)
{
    if (geteuid() == 0)
        return; /* root reads anything */
    fixture fx;
    fixture_make(&fx, NULL, 0, "# R36 (release), REVISION: 4.0\n");
    ck_assert_int_eq(chmod(fx.rel, 0), 0);
    baton_board b;
    baton_error e;
    ck_assert_int_eq(baton_board_detect(fx.dt, fx.rel, BOARDS, &b, &e), BATON_ERR_OS);
    ck_assert_ptr_nonnull(strstr(e.message, fx.rel));
    remove_tree(fx.dir);
}
END_TEST

static Suite *board_suite(void)
{
    Suite *s = suite_create("board");
    TCase *tc = tcase_create("profiles");
    tcase_add_test(tc, test_shipped_profiles_parse);
    tcase_add_test(tc, test_shipped_profile_facts);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_minimal_gets_defaults);
    tcase_add_test(tc, test_parse_full_syntax);
    tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_parse_long_lines);
    tcase_add_test(tc, test_parse_bad_arguments);
    tcase_add_test(tc, test_parse_file_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_test(tc, test_load_by_name_and_path);
    tcase_add_test(tc, test_load_unknown_name_lists_boards);
    tcase_add_test(tc, test_load_name_must_match_file);
    tcase_add_test(tc, test_list_capacity);
    tcase_add_test(tc, test_compatible_matches);
    suite_add_tcase(s, tc);

    tc = tcase_create("detect");
    tcase_add_test(tc, test_detect_device_tree);
    tcase_add_test(tc, test_detect_device_tree_soc_only_tie);
    tcase_add_test(tc, test_detect_device_tree_unsupported);
    tcase_add_test(tc, test_detect_release_only);
    tcase_add_test(tc, test_detect_neither);
    tcase_add_test(tc, test_detect_custom_boards_dir);
    tcase_add_test(tc, test_detect_unreadable_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(board_suite());
}
