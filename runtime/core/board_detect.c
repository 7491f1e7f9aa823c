/* board_detect.c - which board this machine is: the device tree's compatible
 * strings, /etc/nv_tegra_release, else x86-64 (see baton_board_detect in
 * baton/board.h). The profiles themselves are read by board_profile.c. */
#include "baton/board.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/board_internal.h"
#include "util/baton_internal.h"
#include "util/fault.h"

#define SMALL_FILE_MAX 4096u          /* device tree / nv_tegra_release read */

/* ---- public: detect ---------------------------------------------------- */

int baton_board_compatible_matches(const char *pattern, const char *compatible)
{
    if (!pattern || !compatible)
        return 0;
    size_t plen = strlen(pattern);
    if (plen > 0 && pattern[plen - 1] == '*')
        return strncmp(pattern, compatible, plen - 1) == 0;
    return strcmp(pattern, compatible) == 0;
}

/* Read at most SMALL_FILE_MAX bytes. *exists false (and BATON_OK) when the
 * file is absent. */
static baton_status read_small(const char *path, char *buf, size_t *len, bool *exists,
                               baton_error *err)
{
    *len = 0;
    *exists = false;
    FILE *f = BATON_FAULT_PTR(fopen(path, "rb"));
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return BATON_OK;
        return baton_error_set(err, BATON_ERR_OS, "cannot open %s: %s", path, strerror(errno));
    }
    *exists = true;
    size_t n = fread(buf, 1, SMALL_FILE_MAX, f);
    bool failed = ferror(f) != 0;
    int saved = errno;
    fclose(f);
    if (failed)
        return baton_error_set(err, BATON_ERR_OS, "cannot read %s: %s", path, strerror(saved));
    buf[n] = '\0';
    *len = n;
    return BATON_OK;
}

/* The profiles offered so far and the best of them. */
typedef struct pick {
    int best_rank;          /* -1: none yet */
    baton_board best;
    uint32_t tied;          /* profiles at best_rank, best included */
    bool mixed_arch;        /* a tied profile has another cuda_arch */
    char others[256];       /* names of the other tied profiles */
    char all[384];          /* "name (sm_NN), ..." of every tied profile */
} pick;

static void append(char *buf, size_t cap, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(buf);
    if (used + 1 >= cap)
        return;
    int w = snprintf(buf + used, cap - used, fmt, a, b);
    (void)w;
}

/* rank: lower is better, -1 is no match. */
static void pick_offer(pick *p, const baton_board *b, int rank)
{
    if (rank < 0)
        return;
    if (p->best_rank < 0 || rank < p->best_rank) {
        p->best_rank = rank;
        p->best = *b;
        p->tied = 1;
        p->mixed_arch = false;
        p->others[0] = '\0';
        p->all[0] = '\0';
        append(p->all, sizeof p->all, "%s (%s)", b->name, b->cuda_arch);
        return;
    }
    if (rank > p->best_rank)
        return;
    p->tied++;
    if (strcmp(b->cuda_arch, p->best.cuda_arch) != 0)
        p->mixed_arch = true;
    append(p->others, sizeof p->others, p->others[0] ? ", %s%s" : "%s%s", b->name, "");
    append(p->all, sizeof p->all, ", %s (%s)", b->name, b->cuda_arch);
}

/* Offer every profile of dir to p, ranked by rank_fn. */
typedef int (*rank_fn)(const baton_board *b, const void *ctx);

static baton_status offer_all(const char *dir, char (*names)[BATON_BOARD_NAME_MAX],
                              uint32_t count, rank_fn fn, const void *ctx, pick *p,
                              baton_error *err)
{
    p->best_rank = -1;
    p->tied = 0;
    baton_board *b = BATON_FAULT_PTR(malloc(sizeof *b));
    if (!b)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "board detection: out of memory");
    baton_status st = BATON_OK;
    for (uint32_t i = 0; i < count && st == BATON_OK; i++) {
        st = baton_board_load(names[i], dir, b, err);
        if (st == BATON_OK)
            pick_offer(p, b, fn(b, ctx));
    }
    free(b);
    return st;
}

typedef struct dt_ctx {
    const char *strings[64];
    uint32_t count;
} dt_ctx;

static int rank_dt(const baton_board *b, const void *vctx)
{
    const dt_ctx *dt = vctx;
    for (uint32_t i = 0; i < dt->count; i++)
        for (uint32_t j = 0; j < b->compatible_count; j++)
            if (baton_board_compatible_matches(b->compatible[j], dt->strings[i]))
                return (int)i;
    return -1;
}

static int rank_l4t(const baton_board *b, const void *vctx)
{
    uint32_t major = *(const uint32_t *)vctx;
    for (uint32_t i = 0; i < b->l4t_count; i++)
        if (b->l4t[i] == major)
            return 0;
    return -1;
}

/* First line "# R36 (release), REVISION: 4.0, ...": major 36, revision "4.0". */
static bool parse_l4t_release(const char *text, uint32_t *major, char *revision, size_t cap)
{
    revision[0] = '\0';
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '#')
        return false;
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != 'R')
        return false;
    p++;
    uint64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
        v = v * 10u + (uint64_t)(*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || v == 0 || (*p >= '0' && *p <= '9'))
        return false;
    if (*p != ' ' && *p != '\t' && *p != '(' && *p != ',' && *p != '\n' && *p != '\0')
        return false;
    *major = (uint32_t)v;
    const char *eol = strchr(p, '\n');
    const char *r = strstr(p, "REVISION:");
    if (r && (!eol || r < eol)) {
        r += strlen("REVISION:");
        while (*r == ' ')
            r++;
        size_t n = 0;
        while (n + 1 < cap && ((r[n] >= '0' && r[n] <= '9') || r[n] == '.')) {
            revision[n] = r[n];
            n++;
        }
        revision[n] = '\0';
    }
    return true;
}

static void first_line(const char *text, char *buf, size_t cap)
{
    size_t n = 0;
    while (text[n] && text[n] != '\n' && n + 1 < cap) {
        buf[n] = text[n];
        n++;
    }
    buf[n] = '\0';
}

baton_status baton_board_detect(const char *dt_compatible_path,
                                const char *nv_tegra_release_path,
                                const char *boards_dir, baton_board *out,
                                baton_error *err)
{
    if (!out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_board_detect: NULL out");
    const char *dt_path = dt_compatible_path ? dt_compatible_path : BATON_BOARD_DT_COMPATIBLE_PATH;
    const char *rel_path =
        nv_tegra_release_path ? nv_tegra_release_path : BATON_BOARD_NV_TEGRA_RELEASE_PATH;
    const char *dir = boards_dir ? boards_dir : BATON_BOARD_DEFAULT_DIR;

    /* Everything big lives in one heap block: this runs once, at start-up. */
    struct work {
        char names[BATON_BOARD_LIST_MAX][BATON_BOARD_NAME_MAX];
        char dt_buf[SMALL_FILE_MAX + 1];
        char rel_buf[SMALL_FILE_MAX + 1];
        char avail[BATON_ERROR_MESSAGE_MAX];
        dt_ctx dt;
        pick p;
    } *w = BATON_FAULT_PTR(calloc(1, sizeof *w));
    if (!w)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "board detection: out of memory");

    uint32_t count = 0;
    baton_status st = baton_board_list(dir, w->names, BATON_BOARD_LIST_MAX, &count, err);
    if (st != BATON_OK)
        goto done;
    board_list_for_message(dir, w->avail, sizeof w->avail);

    /* 1. Device tree. */
    size_t dt_len = 0;
    bool dt_exists = false;
    st = read_small(dt_path, w->dt_buf, &dt_len, &dt_exists, err);
    if (st != BATON_OK)
        goto done;
    const char *tegra_soc = NULL;
    for (size_t off = 0; off < dt_len && w->dt.count < BATON_ARRAY_LEN(w->dt.strings);) {
        const char *s = w->dt_buf + off;
        size_t n = strnlen(s, dt_len - off);
        if (n > 0) {
            w->dt.strings[w->dt.count++] = s;
            if (!tegra_soc && strncmp(s, "nvidia,tegra", 12) == 0)
                tegra_soc = s;
        }
        off += n + 1;
    }
    if (w->dt.count > 0) {
        st = offer_all(dir, w->names, count, rank_dt, &w->dt, &w->p, err);
        if (st != BATON_OK)
            goto done;
        if (w->p.best_rank >= 0) {
            if (w->p.mixed_arch) {
                st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                     "device tree %s ('%s') matches boards with different "
                                     "cuda_arch: %s; pass the board name",
                                     dt_path, w->dt.strings[w->p.best_rank], w->p.all);
                goto done;
            }
            *out = w->p.best;
            if (w->p.tied > 1)
                snprintf(out->detected_by, sizeof out->detected_by,
                         "device tree compatible '%s' in %s (also matches %s, same cuda_arch "
                         "%s)",
                         w->dt.strings[w->p.best_rank], dt_path, w->p.others,
                         out->cuda_arch);
            else
                snprintf(out->detected_by, sizeof out->detected_by,
                         "device tree compatible '%s' in %s", w->dt.strings[w->p.best_rank],
                         dt_path);
            st = BATON_OK;
            goto done;
        }
        if (tegra_soc) {
            st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                 "device tree %s names NVIDIA SoC '%s', which no board profile "
                                 "in %s lists (available: %s)",
                                 dt_path, tegra_soc, dir, w->avail);
            goto done;
        }
    }

    /* 2. /etc/nv_tegra_release. */
    size_t rel_len = 0;
    bool rel_exists = false;
    st = read_small(rel_path, w->rel_buf, &rel_len, &rel_exists, err);
    if (st != BATON_OK)
        goto done;
    if (rel_exists) {
        uint32_t major = 0;
        char revision[16];
        if (!parse_l4t_release(w->rel_buf, &major, revision, sizeof revision)) {
            char shown[96];
            first_line(w->rel_buf, shown, sizeof shown);
            st = baton_error_set(err, BATON_ERR_PARSE,
                                 "%s:1: not an L4T release line (expected '# R36 (release), "
                                 "REVISION: ...'): %s",
                                 rel_path, shown);
            goto done;
        }
        st = offer_all(dir, w->names, count, rank_l4t, &major, &w->p, err);
        if (st != BATON_OK)
            goto done;
        if (w->p.best_rank < 0) {
            st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                 "L4T R%u (from %s) is not supported: no board profile in %s "
                                 "lists it (available: %s)",
                                 major, rel_path, dir, w->avail);
            goto done;
        }
        if (w->p.mixed_arch) {
            st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                 "L4T R%u (from %s) runs on %s: cannot tell which without the "
                                 "device tree (%s); pass the board name",
                                 major, rel_path, w->p.all, dt_path);
            goto done;
        }
        *out = w->p.best;
        if (w->p.tied > 1)
            snprintf(out->detected_by, sizeof out->detected_by,
                     "L4T R%u%s%s in %s (module not identified: also matches %s, same "
                     "cuda_arch %s)",
                     major, revision[0] ? "." : "", revision, rel_path, w->p.others,
                     out->cuda_arch);
        else
            snprintf(out->detected_by, sizeof out->detected_by, "L4T R%u%s%s in %s", major,
                     revision[0] ? "." : "", revision, rel_path);
        st = BATON_OK;
        goto done;
    }

    /* 3. Not a Jetson. */
#if defined(__x86_64__)
    st = baton_board_load("x86-discrete", dir, out, err);
    if (st == BATON_OK)
        snprintf(out->detected_by, sizeof out->detected_by,
                 "no Jetson device tree (%s) and no %s; x86-64 build", dt_path, rel_path);
#else
    st = baton_error_set(err, BATON_ERR_UNSUPPORTED,
                         "not a Jetson (no NVIDIA device tree in %s, no %s) and not an x86-64 "
                         "build: pass a board name (available: %s)",
                         dt_path, rel_path, w->avail);
#endif

done:
    free(w);
    if (st == BATON_OK)
        baton_error_clear(err);
    return st;
}
