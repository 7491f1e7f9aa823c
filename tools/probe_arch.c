/* probe_arch.c - does this build carry CUDA code the device's GPU can run? */
#include "probe_arch.h"

#include <stdio.h>
#include <string.h>

uint32_t probe_arch_parse(const char *s)
{
    if (!s || strncmp(s, "sm_", 3) != 0)
        return 0;
    uint32_t v = 0;
    size_t digits = 0;
    for (const char *p = s + 3; *p; p++, digits++) {
        if (*p < '0' || *p > '9' || digits == 3)
            return 0;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    return digits >= 2 ? v : 0;
}

bool probe_arch_runs(uint32_t build_num, int major, int minor)
{
    return build_num != 0 && major >= 0 && minor >= 0 && (uint32_t)major == build_num / 10 &&
           (uint32_t)minor >= build_num % 10;
}

/* "make BOARD=a (or BOARD=b, BOARD=c)" for the matching boards; false if none. */
static bool board_fix(uint32_t num, bool integrated, const probe_board_arch *boards, size_t n,
                      char *out, size_t len)
{
    size_t used = 0, found = 0;
    for (size_t i = 0; i < n; i++) {
        if (boards[i].arch_num != num || boards[i].integrated != integrated)
            continue;
        const char *sep = found == 0 ? "make BOARD=" : found == 1 ? " (or BOARD=" : ", BOARD=";
        int w = snprintf(out + used, len - used, "%s%s", sep, boards[i].name);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        found++;
    }
    if (found > 1 && used + 1 < len)
        snprintf(out + used, len - used, ")");
    return found > 0;
}

probe_arch probe_arch_check(const char *build_arch, int major, int minor, bool integrated,
                            const probe_board_arch *boards, size_t n)
{
    probe_arch a;
    memset(&a, 0, sizeof a);
    uint32_t build = probe_arch_parse(build_arch);
    a.known = build != 0;
    snprintf(a.build_arch, sizeof a.build_arch, "%s", build_arch ? build_arch : "");
    uint32_t device = major >= 0 && minor >= 0 && minor <= 9 ? (uint32_t)(major * 10 + minor) : 0;
    snprintf(a.device_arch, sizeof a.device_arch, "sm_%u", device);
    a.in_build = probe_arch_runs(build, major, minor);
    if (!a.in_build && !board_fix(device, integrated, boards, n, a.fix, sizeof a.fix))
        snprintf(a.fix, sizeof a.fix, "make CUDA_ARCH=sm_%u", device);
    return a;
}

size_t probe_arch_boards(const char *dir, probe_board_arch *boards, size_t capacity)
{
    char names[BATON_BOARD_LIST_MAX][BATON_BOARD_NAME_MAX];
    uint32_t count = 0;
    baton_status st = baton_board_list(dir, names, BATON_BOARD_LIST_MAX, &count, NULL);
    if (st != BATON_OK && st != BATON_ERR_EXHAUSTED)
        return 0;
    size_t n = 0;
    for (uint32_t i = 0; i < count && i < BATON_BOARD_LIST_MAX && n < capacity; i++) {
        baton_board b;
        if (baton_board_load(names[i], dir, &b, NULL) != BATON_OK)
            continue;
        snprintf(boards[n].name, sizeof boards[n].name, "%s", b.name);
        boards[n].arch_num = b.cuda_arch_num;
        boards[n].integrated = b.memory == BATON_BOARD_MEMORY_INTEGRATED;
        n++;
    }
    return n;
}
