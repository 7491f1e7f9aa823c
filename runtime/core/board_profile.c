/* board_profile.c - board profiles: parse, load by name, list (see baton/board.h;
 * detecting this machine's board is board_detect.c). */
#include "baton/board.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/board_internal.h"
#include "util/baton_internal.h"
#include "util/ini.h"
#include "util/fault.h"

#define BOARD_FILE_MAX (64u * 1024u)  /* largest profile file read */
#define BOARD_SUFFIX ".board"

/* ---- keys ------------------------------------------------------------ */

enum { SEC_BOARD = 0, SEC_DEFAULTS, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"board", "defaults"};

typedef enum key_id {
    K_NAME, K_DESCRIPTION, K_SOC, K_GPU, K_CUDA_ARCH, K_JETPACK, K_CUDA, K_MEMORY,
    K_COMPATIBLE, K_L4T, K_NOTES,
    K_SLOTS, K_POOL_SIZE, K_SYNC, K_CAMERA, K_CAMERA_FORMAT, K_SIZE, K_DISPLAY,
    K_TIMEOUT_MS,
    K_COUNT
} key_id;

typedef struct key_desc {
    const char *name;
    int section;
    bool required;
} key_desc;

static const key_desc keys[K_COUNT] = {
    [K_NAME] = {"name", SEC_BOARD, true},
    [K_DESCRIPTION] = {"description", SEC_BOARD, true},
    [K_SOC] = {"soc", SEC_BOARD, true},
    [K_GPU] = {"gpu", SEC_BOARD, true},
    [K_CUDA_ARCH] = {"cuda_arch", SEC_BOARD, true},
    [K_JETPACK] = {"jetpack", SEC_BOARD, true},
    [K_CUDA] = {"cuda", SEC_BOARD, true},
    [K_MEMORY] = {"memory", SEC_BOARD, true},
    [K_COMPATIBLE] = {"compatible", SEC_BOARD, false},
    [K_L4T] = {"l4t", SEC_BOARD, false},
    [K_NOTES] = {"notes", SEC_BOARD, false},
    [K_SLOTS] = {"slots", SEC_DEFAULTS, false},
    [K_POOL_SIZE] = {"pool_size", SEC_DEFAULTS, false},
    [K_SYNC] = {"sync", SEC_DEFAULTS, false},
    [K_CAMERA] = {"camera", SEC_DEFAULTS, false},
    [K_CAMERA_FORMAT] = {"camera_format", SEC_DEFAULTS, false},
    [K_SIZE] = {"size", SEC_DEFAULTS, false},
    [K_DISPLAY] = {"display", SEC_DEFAULTS, false},
    [K_TIMEOUT_MS] = {"timeout_ms", SEC_DEFAULTS, false},
};

typedef struct parse_state {
    baton_board b;
    const char *name;                 /* for messages */
    int section;                      /* current, -1 before any */
    unsigned section_line[SEC_COUNT]; /* 0: not seen */
    unsigned key_line[K_COUNT];       /* 0: not set */
} parse_state;

/* ---- small helpers ----------------------------------------------------- */

static bool parse_u32(const char *s, uint32_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10u + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* digits ('.' digits){0,3} */
static bool is_version(const char *s)
{
    int parts = 0;
    for (;;) {
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
        parts++;
        if (*s == '\0')
            return parts <= 4;
        if (*s != '.')
            return false;
        s++;
    }
}

static bool has_blank(const char *s)
{
    for (; *s; s++)
        if (*s == ' ' || *s == '\t')
            return true;
    return false;
}

static bool valid_board_name(const char *s, size_t len)
{
    if (len == 0 || len >= BATON_BOARD_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static baton_status copy_text(const parse_state *ps, unsigned line, const char *key,
                              char *dst, size_t cap, const char *value, baton_error *err)
{
    size_t len = strlen(value);
    if (len >= cap)
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s:%u: value of '%s' too long (%zu characters, at most %zu)",
                               ps->name, line, key, len, cap - 1);
    memcpy(dst, value, len + 1);
    return BATON_OK;
}

typedef struct format_name {
    const char *name;
    baton_format fmt;
} format_name;

static const format_name format_names[] = {
    {"YUYV", BATON_FORMAT_YUYV}, {"UYVY", BATON_FORMAT_UYVY},   {"NV12", BATON_FORMAT_NV12},
    {"GREY", BATON_FORMAT_GREY8}, {"GREY8", BATON_FORMAT_GREY8}, {"GRAY", BATON_FORMAT_GREY8},
    {"RGB24", BATON_FORMAT_RGB24}, {"RGBA8", BATON_FORMAT_RGBA8},
};

static const char *format_label(baton_format f)
{
    switch (f) {
    case BATON_FORMAT_YUYV: return "YUYV";
    case BATON_FORMAT_UYVY: return "UYVY";
    case BATON_FORMAT_NV12: return "NV12";
    case BATON_FORMAT_GREY8: return "GREY";
    case BATON_FORMAT_RGB24: return "RGB24";
    case BATON_FORMAT_RGBA8: return "RGBA8";
    case BATON_FORMAT_COUNT: break;
    }
    return "?";
}

/* "" when width x height suits fmt, else why not. */
static const char *size_problem(baton_format fmt, uint32_t w, uint32_t h)
{
    if ((fmt == BATON_FORMAT_YUYV || fmt == BATON_FORMAT_UYVY) && (w % 2u) != 0)
        return "width must be even for 4:2:2";
    if (fmt == BATON_FORMAT_NV12 && ((w % 2u) != 0 || (h % 2u) != 0))
        return "width and height must be even for 4:2:0";
    return "";
}

/* ---- list values ------------------------------------------------------- */

static baton_status set_compatible(parse_state *ps, unsigned line, const char *value,
                                   baton_error *err)
{
    baton_board *b = &ps->b;
    b->compatible_count = 0;
    if (strcmp(value, "none") == 0)
        return BATON_OK;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t len = (size_t)(p - start);
        while (len > 0 && start[len - 1] == ',') /* "a,b, c,d": the ", " separator */
            len--;
        if (len == 0)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: empty entry in compatible (separate entries with "
                                   "', ')",
                                   ps->name, line);
        const char *comma = memchr(start, ',', len);
        const char *star = memchr(start, '*', len);
        bool one_comma = comma && comma != start && comma != start + len - 1 &&
                         !memchr(comma + 1, ',', len - (size_t)(comma + 1 - start));
        if (!one_comma || (star && star != start + len - 1))
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: compatible entry '%.*s' is not 'vendor,model' "
                                   "(optionally ending in '*'; separate entries with ', ')",
                                   ps->name, line, (int)len, start);
        if (len >= BATON_BOARD_COMPAT_LEN)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: compatible entry '%.*s' too long (at most %d "
                                   "characters)",
                                   ps->name, line, (int)len, start, BATON_BOARD_COMPAT_LEN - 1);
        if (b->compatible_count == BATON_BOARD_COMPAT_MAX)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: too many compatible entries (at most %d)", ps->name,
                                   line, BATON_BOARD_COMPAT_MAX);
        memcpy(b->compatible[b->compatible_count], start, len);
        b->compatible[b->compatible_count][len] = '\0';
        b->compatible_count++;
    }
    if (b->compatible_count == 0)
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s:%u: compatible is empty (write 'none' for no device tree)",
                               ps->name, line);
    return BATON_OK;
}

static baton_status set_l4t(parse_state *ps, unsigned line, const char *value, baton_error *err)
{
    baton_board *b = &ps->b;
    b->l4t_count = 0;
    if (strcmp(value, "none") == 0)
        return BATON_OK;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != ',')
            p++;
        size_t len = (size_t)(p - start);
        char tok[16];
        const char *digits = start;
        size_t dlen = len;
        if (dlen > 0 && (digits[0] == 'R' || digits[0] == 'r')) {
            digits++;
            dlen--;
        }
        uint32_t v = 0;
        bool ok = dlen > 0 && dlen < sizeof tok;
        if (ok) {
            memcpy(tok, digits, dlen);
            tok[dlen] = '\0';
            ok = parse_u32(tok, &v) && v >= 1 && v <= 999;
        }
        if (!ok)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: l4t entry '%.*s' is not an L4T major release (e.g. "
                                   "R36 or 36)",
                                   ps->name, line, (int)len, start);
        if (b->l4t_count == BATON_BOARD_L4T_MAX)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: too many l4t entries (at most %d)", ps->name, line,
                                   BATON_BOARD_L4T_MAX);
        b->l4t[b->l4t_count++] = v;
    }
    if (b->l4t_count == 0)
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s:%u: l4t is empty (write 'none' for no L4T release)", ps->name,
                               line);
    return BATON_OK;
}

/* ---- one key ----------------------------------------------------------- */

static baton_status set_key(parse_state *ps, key_id id, unsigned line, const char *v,
                            baton_error *err)
{
    baton_board *b = &ps->b;
    baton_board_defaults *d = &b->defaults;
    const char *key = keys[id].name;
    const char *nm = ps->name;
    uint32_t n = 0;

    if (v[0] == '\0' && id != K_NOTES)
        return baton_error_set(err, BATON_ERR_PARSE, "%s:%u: empty value for '%s'", nm, line,
                               key);

    switch (id) {
    case K_NAME:
        if (!valid_board_name(v, strlen(v)))
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: name '%s' must be 1..%d letters, digits, '.', '_' "
                                   "or '-', not starting with '.'",
                                   nm, line, v, BATON_BOARD_NAME_MAX - 1);
        return copy_text(ps, line, key, b->name, sizeof b->name, v, err);
    case K_DESCRIPTION:
        return copy_text(ps, line, key, b->description, sizeof b->description, v, err);
    case K_SOC:
        return copy_text(ps, line, key, b->soc, sizeof b->soc, v, err);
    case K_GPU:
        return copy_text(ps, line, key, b->gpu, sizeof b->gpu, v, err);
    case K_NOTES:
        return copy_text(ps, line, key, b->notes, sizeof b->notes, v, err);
    case K_CUDA_ARCH: {
        size_t len = strlen(v);
        bool ok = len >= 5 && len <= 6 && strncmp(v, "sm_", 3) == 0 && v[3] != '0' &&
                  parse_u32(v + 3, &n);
        if (!ok)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: cuda_arch '%s' is not of the form sm_NN (e.g. sm_87)",
                                   nm, line, v);
        b->cuda_arch_num = n;
        return copy_text(ps, line, key, b->cuda_arch, sizeof b->cuda_arch, v, err);
    }
    case K_JETPACK:
        if (strcmp(v, "none") != 0 && !is_version(v))
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: jetpack '%s' is not a version (e.g. 6.2) or none",
                                   nm, line, v);
        return copy_text(ps, line, key, b->jetpack, sizeof b->jetpack, v, err);
    case K_CUDA:
        if (!is_version(v))
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: cuda '%s' is not a version (e.g. 12.6)", nm, line, v);
        return copy_text(ps, line, key, b->cuda, sizeof b->cuda, v, err);
    case K_MEMORY:
        if (strcmp(v, "integrated") == 0)
            b->memory = BATON_BOARD_MEMORY_INTEGRATED;
        else if (strcmp(v, "discrete") == 0)
            b->memory = BATON_BOARD_MEMORY_DISCRETE;
        else
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: memory '%s' must be integrated or discrete", nm, line,
                                   v);
        return BATON_OK;
    case K_COMPATIBLE:
        return set_compatible(ps, line, v, err);
    case K_L4T:
        return set_l4t(ps, line, v, err);
    case K_SLOTS:
        if (!parse_u32(v, &n))
            return baton_error_set(err, BATON_ERR_PARSE, "%s:%u: slots '%s' is not a number",
                                   nm, line, v);
        if (n < BATON_SLOTS_MIN || n > BATON_SLOTS_MAX)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: slots = %u is out of range (%u..%u)", nm, line, n,
                                   BATON_SLOTS_MIN, BATON_SLOTS_MAX);
        d->slots = n;
        return BATON_OK;
    case K_POOL_SIZE:
        if (!parse_u32(v, &n))
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: pool_size '%s' is not a number", nm, line, v);
        if (n < 1 || n > BATON_BOARD_POOL_MAX)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: pool_size = %u is out of range (1..%u)", nm, line, n,
                                   BATON_BOARD_POOL_MAX);
        d->pool_size = n;
        return BATON_OK;
    case K_TIMEOUT_MS:
        if (!parse_u32(v, &n))
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: timeout_ms '%s' is not a number", nm, line, v);
        if (n < 1 || n > BATON_BOARD_TIMEOUT_MAX_MS)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: timeout_ms = %u is out of range (1..%u)", nm, line,
                                   n, BATON_BOARD_TIMEOUT_MAX_MS);
        d->timeout_ms = n;
        return BATON_OK;
    case K_SYNC:
        if (strcasecmp(v, "auto") == 0)
            d->sync = BATON_SYNC_AUTO;
        else if (strcasecmp(v, "timeline") == 0)
            d->sync = BATON_SYNC_TIMELINE;
        else if (strcasecmp(v, "binary") == 0)
            d->sync = BATON_SYNC_BINARY;
        else
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: sync '%s' must be auto, timeline or binary", nm, line,
                                   v);
        return BATON_OK;
    case K_CAMERA:
    case K_DISPLAY:
        if (has_blank(v))
            return baton_error_set(err, BATON_ERR_PARSE, "%s:%u: %s '%s' must not contain blanks",
                                   nm, line, key, v);
        if (id == K_CAMERA)
            return copy_text(ps, line, key, d->camera, sizeof d->camera, v, err);
        return copy_text(ps, line, key, d->display, sizeof d->display, v, err);
    case K_CAMERA_FORMAT:
        for (size_t i = 0; i < BATON_ARRAY_LEN(format_names); i++) {
            if (strcasecmp(v, format_names[i].name) != 0)
                continue;
            if (format_names[i].fmt == BATON_FORMAT_RGBA8)
                return baton_error_set(err, BATON_ERR_PARSE,
                                       "%s:%u: camera_format '%s' is the output format, not a "
                                       "camera format (YUYV, UYVY, NV12, GREY, RGB24)",
                                       nm, line, v);
            d->camera_format = format_names[i].fmt;
            return BATON_OK;
        }
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s:%u: camera_format '%s' is not one of YUYV, UYVY, NV12, GREY, "
                               "RGB24",
                               nm, line, v);
    case K_SIZE: {
        const char *x = strpbrk(v, "xX");
        char wbuf[16];
        size_t wlen = x ? (size_t)(x - v) : 0;
        uint32_t w = 0, h = 0;
        bool ok = x && wlen > 0 && wlen < sizeof wbuf;
        if (ok) {
            memcpy(wbuf, v, wlen);
            wbuf[wlen] = '\0';
            ok = parse_u32(wbuf, &w) && parse_u32(x + 1, &h);
        }
        if (!ok)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: size '%s' is not WxH (e.g. 1920x1080)", nm, line, v);
        if (w < 1 || h < 1 || w > BATON_BOARD_SIZE_MAX || h > BATON_BOARD_SIZE_MAX)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: size %ux%u is out of range (each 1..%u)", nm, line, w,
                                   h, BATON_BOARD_SIZE_MAX);
        d->width = w;
        d->height = h;
        return BATON_OK;
    }
    case K_COUNT:
        break;
    }
    return baton_error_set(err, BATON_ERR_PARSE, "%s:%u: internal: unhandled key '%s'", nm, line,
                           key);
}

/* ---- the INI handler --------------------------------------------------- */

static baton_status on_event(const baton_ini_event *ev, void *ctx, baton_error *err)
{
    parse_state *ps = ctx;
    if (ev->kind == BATON_INI_SECTION) {
        int sec = -1;
        for (int i = 0; i < SEC_COUNT; i++)
            if (strcmp(ev->section, section_names[i]) == 0)
                sec = i;
        if (sec < 0)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: unknown section [%s] (expected [board] or [defaults])",
                                   ps->name, ev->line, ev->section);
        if (ps->section_line[sec])
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: duplicate section [%s] (first at line %u)", ps->name,
                                   ev->line, ev->section, ps->section_line[sec]);
        ps->section_line[sec] = ev->line;
        ps->section = sec;
        return BATON_OK;
    }

    int id = -1, elsewhere = -1;
    for (int i = 0; i < K_COUNT; i++) {
        if (strcmp(ev->key, keys[i].name) != 0)
            continue;
        if (keys[i].section == ps->section)
            id = i;
        else
            elsewhere = i;
    }
    if (id < 0) {
        if (elsewhere >= 0)
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: unknown key '%s' in [%s] (it belongs in [%s])",
                                   ps->name, ev->line, ev->key, ev->section,
                                   section_names[keys[elsewhere].section]);
        return baton_error_set(err, BATON_ERR_PARSE, "%s:%u: unknown key '%s' in [%s]", ps->name,
                               ev->line, ev->key, ev->section);
    }
    if (ps->key_line[id])
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s:%u: duplicate key '%s' in [%s] (first at line %u)", ps->name,
                               ev->line, ev->key, ev->section, ps->key_line[id]);
    ps->key_line[id] = ev->line;
    return set_key(ps, (key_id)id, ev->line, ev->value, err);
}

static void set_defaults(baton_board_defaults *d)
{
    d->slots = BATON_BOARD_DEFAULT_SLOTS;
    d->pool_size = BATON_BOARD_DEFAULT_POOL_SIZE;
    d->sync = BATON_SYNC_AUTO;
    snprintf(d->camera, sizeof d->camera, "%s", BATON_BOARD_DEFAULT_CAMERA);
    d->camera_format = BATON_FORMAT_YUYV;
    d->width = BATON_BOARD_DEFAULT_WIDTH;
    d->height = BATON_BOARD_DEFAULT_HEIGHT;
    snprintf(d->display, sizeof d->display, "%s", BATON_BOARD_DEFAULT_DISPLAY);
    d->timeout_ms = BATON_BOARD_DEFAULT_TIMEOUT_MS;
}

/* Checks that need the whole profile. */
static baton_status finish(parse_state *ps, baton_error *err)
{
    if (!ps->section_line[SEC_BOARD])
        return baton_error_set(err, BATON_ERR_PARSE, "%s: no [board] section", ps->name);
    for (int i = 0; i < K_COUNT; i++) {
        if (keys[i].required && !ps->key_line[i])
            return baton_error_set(err, BATON_ERR_PARSE,
                                   "%s:%u: [%s] lacks required key '%s'", ps->name,
                                   ps->section_line[keys[i].section],
                                   section_names[keys[i].section], keys[i].name);
    }
    const baton_board_defaults *d = &ps->b.defaults;
    if (d->pool_size < 2u * d->slots) {
        unsigned line = ps->key_line[K_POOL_SIZE] ? ps->key_line[K_POOL_SIZE]
                                                  : ps->key_line[K_SLOTS];
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s:%u: pool_size = %u is too small for slots = %u (binary sync "
                               "needs 2 x slots = %u semaphores)",
                               ps->name, line, d->pool_size, d->slots, 2u * d->slots);
    }
    const char *why = size_problem(d->camera_format, d->width, d->height);
    if (why[0]) {
        unsigned line = ps->key_line[K_SIZE] ? ps->key_line[K_SIZE]
                                             : ps->key_line[K_CAMERA_FORMAT];
        return baton_error_set(err, BATON_ERR_PARSE, "%s:%u: size %ux%u does not suit %s: %s",
                               ps->name, line, d->width, d->height,
                               format_label(d->camera_format), why);
    }
    return BATON_OK;
}

/* ---- public: parse ----------------------------------------------------- */

baton_status baton_board_parse_string(const char *text, const char *name_for_errors,
                                      baton_board *out, baton_error *err)
{
    if (!text || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_board_parse_string: NULL %s", text ? "out" : "text");
    parse_state *ps = BATON_FAULT_PTR(calloc(1, sizeof *ps));
    if (!ps)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY,
                               "baton_board_parse_string: out of memory");
    ps->name = name_for_errors ? name_for_errors : "<string>";
    ps->section = -1;
    set_defaults(&ps->b.defaults);

    baton_status st = baton_ini_parse(text, ps->name, on_event, ps, NULL, err);
    if (st == BATON_OK)
        st = finish(ps, err);
    if (st == BATON_OK) {
        snprintf(ps->b.source, sizeof ps->b.source, "%s", ps->name);
        ps->b.detected_by[0] = '\0';
        *out = ps->b;
        baton_error_clear(err);
    }
    free(ps);
    return st;
}

baton_status baton_board_parse_file(const char *path, baton_board *out, baton_error *err)
{
    if (!path || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_board_parse_file: NULL %s", path ? "out" : "path");
    FILE *f = BATON_FAULT_PTR(fopen(path, "rb"));
    if (!f)
        return baton_error_set(err, BATON_ERR_OS, "cannot open board profile %s: %s", path,
                               strerror(errno));
    char *buf = BATON_FAULT_PTR(malloc(BOARD_FILE_MAX + 1u));
    if (!buf) {
        fclose(f);
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, BOARD_FILE_MAX + 1u, f);
    bool failed = ferror(f) != 0;
    int saved = errno;
    fclose(f);
    baton_status st;
    if (failed) {
        st = baton_error_set(err, BATON_ERR_IO, "cannot read board profile %s: %s", path,
                             strerror(saved));
    } else if (n > BOARD_FILE_MAX) {
        st = baton_error_set(err, BATON_ERR_IO, "board profile %s is larger than %u bytes", path,
                             BOARD_FILE_MAX);
    } else {
        buf[n] = '\0';
        const char *nul = memchr(buf, '\0', n);
        if (nul) {
            unsigned line = 1;
            for (const char *c = buf; c < nul; c++)
                line += *c == '\n';
            st = baton_error_set(err, BATON_ERR_PARSE, "%s:%u: NUL byte in a text file", path,
                                 line);
        } else {
            st = baton_board_parse_string(buf, path, out, err);
        }
    }
    free(buf);
    return st;
}

/* ---- public: list and load --------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

baton_status baton_board_list(const char *boards_dir, char (*names)[BATON_BOARD_NAME_MAX],
                              uint32_t capacity, uint32_t *count, baton_error *err)
{
    if (!count || (!names && capacity > 0))
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_board_list: NULL %s",
                               count ? "names" : "count");
    const char *dir = boards_dir ? boards_dir : BATON_BOARD_DEFAULT_DIR;
    *count = 0;
    DIR *d = BATON_FAULT_PTR(opendir(dir));
    if (!d)
        return baton_error_set(err, BATON_ERR_OS, "cannot read board directory %s: %s", dir,
                               strerror(errno));
    char found[BATON_BOARD_LIST_MAX][BATON_BOARD_NAME_MAX];
    uint32_t total = 0, kept = 0;
    const size_t suffix = strlen(BOARD_SUFFIX);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= suffix || strcmp(e->d_name + len - suffix, BOARD_SUFFIX) != 0)
            continue;
        size_t stem = len - suffix;
        if (!valid_board_name(e->d_name, stem))
            continue;
        total++;
        if (kept < BATON_BOARD_LIST_MAX) {
            memcpy(found[kept], e->d_name, stem);
            found[kept][stem] = '\0';
            kept++;
        }
    }
    closedir(d);
    qsort(found, kept, sizeof found[0], cmp_names);
    uint32_t n = kept < capacity ? kept : capacity;
    for (uint32_t i = 0; i < n; i++)
        memcpy(names[i], found[i], sizeof found[i]);
    *count = total;
    if (total > capacity || total > kept)
        return baton_error_set(err, BATON_ERR_EXHAUSTED,
                               "%s holds %u board profiles, more than the %u listed", dir, total,
                               n);
    baton_error_clear(err);
    return BATON_OK;
}

/* See core/board_internal.h. */
void board_list_for_message(const char *dir, char *buf, size_t cap)
{
    char names[BATON_BOARD_LIST_MAX][BATON_BOARD_NAME_MAX];
    uint32_t count = 0;
    baton_error e;
    baton_status st = baton_board_list(dir, names, BATON_BOARD_LIST_MAX, &count, &e);
    if (st != BATON_OK && st != BATON_ERR_EXHAUSTED) {
        snprintf(buf, cap, "none: %.300s", e.message);
        return;
    }
    if (count == 0) {
        snprintf(buf, cap, "none");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    uint32_t shown = count < BATON_BOARD_LIST_MAX ? count : BATON_BOARD_LIST_MAX;
    for (uint32_t i = 0; i < shown && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

baton_status baton_board_load(const char *name_or_path, const char *boards_dir,
                              baton_board *out, baton_error *err)
{
    if (!name_or_path || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_board_load: NULL %s",
                               name_or_path ? "out" : "name");
    if (strchr(name_or_path, '/'))
        return baton_board_parse_file(name_or_path, out, err);

    const char *dir = boards_dir ? boards_dir : BATON_BOARD_DEFAULT_DIR;
    size_t len = strlen(name_or_path);
    const size_t suffix = strlen(BOARD_SUFFIX);
    if (len > suffix && strcmp(name_or_path + len - suffix, BOARD_SUFFIX) == 0)
        len -= suffix;
    if (!valid_board_name(name_or_path, len))
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "bad board name '%s' (letters, digits, '.', '_', '-'; not "
                               "starting with '.'; or a path containing '/')",
                               name_or_path);
    char name[BATON_BOARD_NAME_MAX];
    memcpy(name, name_or_path, len);
    name[len] = '\0';

    char path[BATON_BOARD_PATH_MAX];
    int w = snprintf(path, sizeof path, "%s/%s%s", dir, name, BOARD_SUFFIX);
    if (w < 0 || (size_t)w >= sizeof path)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "board directory path too long: %s", dir);

    struct stat sb;
    if (stat(path, &sb) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
        char avail[BATON_ERROR_MESSAGE_MAX];
        board_list_for_message(dir, avail, sizeof avail);
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "no board profile '%s' in %s (available: %s)", name, dir, avail);
    }

    baton_board b;
    baton_status st = baton_board_parse_file(path, &b, err);
    if (st != BATON_OK)
        return st;
    if (strcmp(b.name, name) != 0)
        return baton_error_set(err, BATON_ERR_PARSE,
                               "%s: name = %s does not match the file name (expected name = %s)",
                               path, b.name, name);
    *out = b;
    return BATON_OK;
}

/* ---- public: names ---------------------------------------------------- */

const char *baton_board_memory_name(baton_board_memory memory)
{
    switch (memory) {
    case BATON_BOARD_MEMORY_INTEGRATED: return "integrated";
    case BATON_BOARD_MEMORY_DISCRETE: return "discrete";
    }
    return "unknown";
}
