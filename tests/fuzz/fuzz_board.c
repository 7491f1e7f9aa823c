/* fuzz_board.c - libFuzzer target: board profiles (util/ini.c and
 * core/board_profile.c) and the files board detection reads
 * (core/board_detect.c). The input is parsed as a profile from memory
 * (baton_board_parse_string, up to its first NUL) and from a file
 * (baton_board_parse_file, which also rejects NUL bytes and oversized
 * files), and is offered to baton_board_detect as both the device tree's
 * compatible list and /etc/nv_tegra_release, against the profiles in
 * $BATON_BOARDS_DIR (default: boards, from the repository root). A profile
 * that parses must hold what baton/board.h promises; one that does not
 * must say why, naming the file and line. */
#include <stdbool.h>

#include "baton/board.h"
#include "baton/types.h"
#include "fuzz_common.h"

#define NAME "fuzz.board"

/* What a parsed profile promises (baton/board.h). */
static void check_board(const baton_board *b)
{
    const baton_board_defaults *d = &b->defaults;
    baton_error err;
    if (strnlen(b->name, sizeof b->name) == 0 || strnlen(b->name, sizeof b->name) == sizeof b->name)
        fuzz_fail("parsed profile with an empty or unterminated name", NULL);
    if (b->compatible_count > BATON_BOARD_COMPAT_MAX || b->l4t_count > BATON_BOARD_L4T_MAX)
        fuzz_fail("parsed profile with too many compatible or l4t entries", b->name);
    for (uint32_t i = 0; i < b->compatible_count; i++)
        if (strnlen(b->compatible[i], BATON_BOARD_COMPAT_LEN) == BATON_BOARD_COMPAT_LEN)
            fuzz_fail("unterminated compatible entry", b->name);
    if (d->slots < BATON_SLOTS_MIN || d->slots > BATON_SLOTS_MAX ||
        d->pool_size < 2 * d->slots || d->pool_size > BATON_BOARD_POOL_MAX ||
        d->timeout_ms < 1 || d->timeout_ms > BATON_BOARD_TIMEOUT_MAX_MS)
        fuzz_fail("parsed profile with defaults out of range", b->name);
    if (d->camera_format == BATON_FORMAT_RGBA8 ||
        baton_format_check_size(d->camera_format, d->width, d->height, &err) != BATON_OK)
        fuzz_fail("parsed profile whose camera format and size do not go together", b->name);
}

static void parse(const uint8_t *data, size_t size)
{
    static int memfd = -1;
    char *text = malloc(size + 1);
    if (!text)
        fuzz_fail("malloc(text) failed", NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    baton_board b;
    baton_error err;
    baton_error_clear(&err);
    baton_status st = baton_board_parse_string(text, NAME, &b, &err);
    if (st == BATON_OK) {
        check_board(&b);
    } else {
        fuzz_check_error(st, &err);
        if (st != BATON_ERR_PARSE || strncmp(err.message, NAME, strlen(NAME)) != 0)
            fuzz_fail("a bad profile gave something other than BATON_ERR_PARSE '" NAME ":...'",
                      err.message);
    }

    char path[64];
    fuzz_memfd(&memfd, data, size, path, sizeof path);
    baton_board bf;
    baton_error ferr;
    baton_error_clear(&ferr);
    baton_status fst = baton_board_parse_file(path, &bf, &ferr);
    if (fst != BATON_OK)
        fuzz_check_error(fst, &ferr);
    bool plain = memchr(data, '\0', size) == NULL && size <= 64u * 1024u;
    if (plain && fst != st)
        fuzz_fail("the file and the string parse differently", ferr.message);
    if (fst == BATON_OK)
        check_board(&bf);
    free(text);
}

static void detect(const uint8_t *data, size_t size)
{
    static int memfd = -1;
    const char *dir = getenv("BATON_BOARDS_DIR");
    char path[64];
    fuzz_memfd(&memfd, data, size, path, sizeof path);
    baton_board b;
    baton_error err;
    baton_error_clear(&err);
    baton_status st = baton_board_detect(path, path, dir && dir[0] ? dir : "boards", &b, &err);
    if (st != BATON_OK)
        fuzz_check_error(st, &err);
    else if (strnlen(b.detected_by, sizeof b.detected_by) == 0)
        fuzz_fail("detected a board without saying how", b.name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse(data, size);
    detect(data, size);
    return 0;
}
