/* check_probe_arch.c - baton-probe's decision whether this build has CUDA
 * code for the device's GPU (tools/probe_arch.c), with made-up devices: the
 * compatibility rule, the make command it suggests from a list of boards,
 * and the same against the shipped profiles in boards/. No GPU needed.
 * Runs from the repository root. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "../tools/probe_arch.h"
#include "util_test.h"

START_TEST(test_parse)
{
    ck_assert_uint_eq(probe_arch_parse("sm_90"), 90);
    ck_assert_uint_eq(probe_arch_parse("sm_87"), 87);
    ck_assert_uint_eq(probe_arch_parse("sm_110"), 110);
    ck_assert_uint_eq(probe_arch_parse("sm_121"), 121);
    ck_assert_uint_eq(probe_arch_parse("sm_9"), 0);
    ck_assert_uint_eq(probe_arch_parse("sm_1100"), 0);
    ck_assert_uint_eq(probe_arch_parse("sm_90a"), 0);
    ck_assert_uint_eq(probe_arch_parse("compute_90"), 0);
    ck_assert_uint_eq(probe_arch_parse("unknown"), 0);
    ck_assert_uint_eq(probe_arch_parse(""), 0);
    ck_assert_uint_eq(probe_arch_parse(NULL), 0);
}
END_TEST

/* Same major, equal or higher minor: nothing else runs machine code. */
START_TEST(test_runs)
{
    ck_assert(probe_arch_runs(90, 9, 0));
    ck_assert(probe_arch_runs(86, 8, 6));
    ck_assert(probe_arch_runs(86, 8, 9)); /* a higher minor of the same major */
    ck_assert(probe_arch_runs(110, 11, 0));
    ck_assert(probe_arch_runs(120, 12, 1));
    ck_assert(!probe_arch_runs(87, 8, 6)); /* a lower minor */
    ck_assert(!probe_arch_runs(90, 8, 7));
    ck_assert(!probe_arch_runs(90, 10, 0)); /* a newer major: no PTX to JIT */
    ck_assert(!probe_arch_runs(87, 7, 2));
    ck_assert(!probe_arch_runs(110, 12, 0));
    ck_assert(!probe_arch_runs(121, 12, 0));
    ck_assert(!probe_arch_runs(0, 9, 0));
    ck_assert(!probe_arch_runs(90, -1, 0));
}
END_TEST

static const probe_board_arch fake[] = {
    {"orin-a", 87, true}, {"orin-b", 87, true}, {"thor", 110, true},
    {"xavier", 72, true}, {"pc", 90, false},
};
#define FAKE_COUNT (sizeof fake / sizeof fake[0])

START_TEST(test_check_fixes)
{
    probe_arch a = probe_arch_check("sm_90", 9, 0, false, fake, FAKE_COUNT);
    ck_assert(a.known && a.in_build);
    ck_assert_str_eq(a.fix, "");
    ck_assert_str_eq(a.device_arch, "sm_90");

    a = probe_arch_check("sm_90", 8, 7, true, fake, FAKE_COUNT);
    ck_assert(a.known && !a.in_build);
    ck_assert_str_eq(a.device_arch, "sm_87");
    ck_assert_str_eq(a.fix, "make BOARD=orin-a (or BOARD=orin-b)");

    a = probe_arch_check("sm_90", 11, 0, true, fake, FAKE_COUNT);
    ck_assert_str_eq(a.fix, "make BOARD=thor");
    a = probe_arch_check("sm_87", 7, 2, true, fake, FAKE_COUNT);
    ck_assert_str_eq(a.fix, "make BOARD=xavier");
    a = probe_arch_check("sm_87", 9, 0, false, fake, FAKE_COUNT);
    ck_assert_str_eq(a.fix, "make BOARD=pc");

    /* no board of that arch and memory kind: the arch by hand */
    a = probe_arch_check("sm_90", 8, 9, false, fake, FAKE_COUNT);
    ck_assert(!a.in_build);
    ck_assert_str_eq(a.fix, "make CUDA_ARCH=sm_89");
    a = probe_arch_check("sm_90", 8, 7, false, fake, FAKE_COUNT); /* a discrete 8.7 */
    ck_assert_str_eq(a.fix, "make CUDA_ARCH=sm_87");
    a = probe_arch_check("sm_90", 12, 0, false, NULL, 0);
    ck_assert_str_eq(a.fix, "make CUDA_ARCH=sm_120");

    /* a higher minor of the build's major runs */
    a = probe_arch_check("sm_86", 8, 9, false, fake, FAKE_COUNT);
    ck_assert(a.in_build);
    ck_assert_str_eq(a.fix, "");

    /* a build whose arch is not sm_NN cannot be judged */
    a = probe_arch_check("unknown", 9, 0, false, fake, FAKE_COUNT);
    ck_assert(!a.known && !a.in_build);
    ck_assert_str_eq(a.build_arch, "unknown");
}
END_TEST

/* The fix for many matching boards stays inside its buffer. */
START_TEST(test_check_many_boards)
{
    static probe_board_arch many[40];
    for (size_t i = 0; i < 40; i++) {
        snprintf(many[i].name, sizeof many[i].name, "a-rather-long-board-name-number-%02zu", i);
        many[i].arch_num = 87;
        many[i].integrated = true;
    }
    probe_arch a = probe_arch_check("sm_90", 8, 7, true, many, 40);
    ck_assert(!a.in_build);
    ck_assert(strncmp(a.fix, "make BOARD=a-rather-long-board-name-number-00 (or BOARD=", 56) == 0);
    ck_assert_uint_lt(strlen(a.fix), sizeof a.fix);
}
END_TEST

static size_t count_profiles(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len > 6 && e->d_name[0] != '.' && strcmp(e->d_name + len - 6, ".board") == 0;
    }
    closedir(d);
    return n;
}

/* The shipped profiles: every GPU a board names gets that board's make command. */
START_TEST(test_shipped_boards)
{
    probe_board_arch boards[BATON_BOARD_LIST_MAX];
    size_t n = probe_arch_boards("boards", boards, BATON_BOARD_LIST_MAX);
    ck_assert_uint_eq(n, count_profiles("boards"));
    ck_assert_uint_eq(probe_arch_boards("/nonexistent-boards-dir", boards, BATON_BOARD_LIST_MAX), 0);
    n = probe_arch_boards("boards", boards, BATON_BOARD_LIST_MAX);

    probe_arch a = probe_arch_check("sm_90", 8, 7, true, boards, n); /* an Orin on an x86 build */
    ck_assert_str_eq(a.fix, "make BOARD=jetson-agx-orin (or BOARD=jetson-orin-nx-nano)");
    a = probe_arch_check("sm_90", 7, 2, true, boards, n);
    ck_assert_str_eq(a.fix, "make BOARD=jetson-xavier");
    a = probe_arch_check("sm_87", 11, 0, true, boards, n);
    ck_assert_str_eq(a.fix, "make BOARD=jetson-agx-thor");
    a = probe_arch_check("sm_87", 9, 0, false, boards, n); /* the H100/H200 test machine */
    ck_assert_str_eq(a.fix, "make BOARD=x86-discrete");
    a = probe_arch_check("sm_90", 8, 9, false, boards, n); /* an Ada card: no profile */
    ck_assert_str_eq(a.fix, "make CUDA_ARCH=sm_89");
    /* capacity is respected */
    ck_assert_uint_eq(probe_arch_boards("boards", boards, 2), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("probe_arch");
    TCase *tc = tcase_create("decide");
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_runs);
    tcase_add_test(tc, test_check_fixes);
    tcase_add_test(tc, test_check_many_boards);
    tcase_add_test(tc, test_shipped_boards);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
