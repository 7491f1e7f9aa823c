/* check_format.c - pixel format names, parsing and frame sizes. */
#include <stdint.h>
#include <string.h>

#include "baton/format.h"
#include "util_test.h"

START_TEST(test_names)
{
    ck_assert_str_eq(baton_format_name(BATON_FORMAT_YUYV), "YUYV");
    ck_assert_str_eq(baton_format_name(BATON_FORMAT_UYVY), "UYVY");
    ck_assert_str_eq(baton_format_name(BATON_FORMAT_NV12), "NV12");
    ck_assert_str_eq(baton_format_name(BATON_FORMAT_GREY8), "GREY");
    ck_assert_str_eq(baton_format_name(BATON_FORMAT_RGB24), "RGB24");
    ck_assert_str_eq(baton_format_name(BATON_FORMAT_RGBA8), "RGBA8");
    ck_assert_ptr_nonnull(baton_format_name(BATON_FORMAT_COUNT));
    ck_assert_ptr_nonnull(baton_format_name((baton_format)-1));
}
END_TEST

START_TEST(test_parse_round_trip)
{
    for (int i = 0; i < BATON_FORMAT_COUNT; i++) {
        baton_format f = BATON_FORMAT_COUNT;
        baton_error err;
        ck_assert_int_eq(baton_format_parse(baton_format_name((baton_format)i), &f, &err),
                         BATON_OK);
        ck_assert_int_eq(f, i);
    }
}
END_TEST

START_TEST(test_parse_case_and_aliases)
{
    static const struct {
        const char *name;
        baton_format fmt;
    } cases[] = {
        {"yuyv", BATON_FORMAT_YUYV},  {"Uyvy", BATON_FORMAT_UYVY},
        {"nv12", BATON_FORMAT_NV12},  {"grey", BATON_FORMAT_GREY8},
        {"GREY8", BATON_FORMAT_GREY8}, {"gray", BATON_FORMAT_GREY8},
        {"GRAY", BATON_FORMAT_GREY8}, {"rgb24", BATON_FORMAT_RGB24},
        {"rgba8", BATON_FORMAT_RGBA8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        baton_format f = BATON_FORMAT_COUNT;
        ck_assert_int_eq(baton_format_parse(cases[i].name, &f, NULL), BATON_OK);
        ck_assert_msg(f == cases[i].fmt, "%s parsed as %d", cases[i].name, (int)f);
    }
}
END_TEST

START_TEST(test_parse_errors)
{
    baton_format f = BATON_FORMAT_RGB24;
    baton_error err;
    ck_assert_int_eq(baton_format_parse("MJPG", &f, &err), BATON_ERR_PARSE);
    ck_assert_int_eq(err.status, BATON_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "MJPG"));
    ck_assert_int_eq(f, BATON_FORMAT_RGB24); /* untouched */
    ck_assert_int_eq(baton_format_parse("", &f, &err), BATON_ERR_PARSE);
    ck_assert_int_eq(baton_format_parse("YUYV ", &f, &err), BATON_ERR_PARSE);
    ck_assert_int_eq(baton_format_parse(NULL, &f, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_format_parse("YUYV", NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(baton_format_parse("bogus", &f, NULL), BATON_ERR_PARSE);
}
END_TEST

START_TEST(test_frame_size)
{
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_YUYV, 640, 480), 640u * 480u * 2u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_UYVY, 2, 1), 4u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_UYVY, 4, 3), 24u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_NV12, 640, 480), 640u * 480u * 3u / 2u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_NV12, 2, 2), 6u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_GREY8, 3, 5), 15u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_RGB24, 3, 5), 45u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_RGBA8, 1920, 1080), 1920u * 1080u * 4u);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_RGBA8, 1, 1), 4u);
}
END_TEST

START_TEST(test_frame_size_invalid)
{
    for (int i = 0; i < BATON_FORMAT_COUNT; i++) {
        ck_assert_uint_eq(baton_format_frame_size((baton_format)i, 0, 16), 0);
        ck_assert_uint_eq(baton_format_frame_size((baton_format)i, 16, 0), 0);
    }
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_YUYV, 3, 2), 0);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_UYVY, 641, 480), 0);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_NV12, 641, 480), 0);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_NV12, 640, 481), 0);
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_COUNT, 16, 16), 0);
    ck_assert_uint_eq(baton_format_frame_size((baton_format)-1, 16, 16), 0);
}
END_TEST

/* Byte counts past SIZE_MAX must give 0, not a wrapped small size. */
START_TEST(test_frame_size_overflow)
{
    const uint32_t m = UINT32_MAX - 1u; /* even, so only the size is at fault */
    for (int i = 0; i < BATON_FORMAT_COUNT; i++) {
        size_t n = baton_format_frame_size((baton_format)i, m, m);
        if (SIZE_MAX / m / m >= 4u)
            continue; /* cannot overflow on this platform */
        if (i == BATON_FORMAT_GREY8)
            continue; /* m * m fits in 64 bits */
        ck_assert_msg(n == 0, "%s %ux%u gave %zu", baton_format_name((baton_format)i), m, m, n);
        baton_error err;
        ck_assert_int_eq(baton_format_check_size((baton_format)i, m, m, &err),
                         BATON_ERR_INVALID_ARGUMENT);
        ck_assert_ptr_nonnull(strstr(err.message, "overflow"));
    }
    /* The largest sizes that do fit. */
    ck_assert_uint_eq(baton_format_frame_size(BATON_FORMAT_GREY8, m, m), (size_t)m * m);
}
END_TEST

START_TEST(test_check_size_messages)
{
    baton_error err;
    ck_assert_int_eq(baton_format_check_size(BATON_FORMAT_YUYV, 641, 480, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(err.status, BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "YUYV"));
    ck_assert_ptr_nonnull(strstr(err.message, "641x480"));
    ck_assert_ptr_nonnull(strstr(err.message, "even width"));

    ck_assert_int_eq(baton_format_check_size(BATON_FORMAT_NV12, 640, 481, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "NV12"));
    ck_assert_ptr_nonnull(strstr(err.message, "even width and height"));

    ck_assert_int_eq(baton_format_check_size(BATON_FORMAT_RGB24, 0, 480, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "non-zero"));

    ck_assert_int_eq(baton_format_check_size(BATON_FORMAT_COUNT, 2, 2, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "format"));

    ck_assert_int_eq(baton_format_check_size(BATON_FORMAT_GREY8, 3, 3, NULL), BATON_OK);
    ck_assert_int_eq(baton_format_check_size(BATON_FORMAT_YUYV, 3, 3, NULL),
                     BATON_ERR_INVALID_ARGUMENT);
}
END_TEST

/* check_size accepts exactly the sizes frame_size gives a byte count for. */
START_TEST(test_check_size_matches_frame_size)
{
    static const uint32_t dims[] = {0, 1, 2, 3, 4, 5, 16, 17, 640, 641};
    for (int f = 0; f < BATON_FORMAT_COUNT; f++)
        for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
            for (size_t j = 0; j < sizeof dims / sizeof dims[0]; j++) {
                baton_status st = baton_format_check_size((baton_format)f, dims[i], dims[j],
                                                          NULL);
                size_t n = baton_format_frame_size((baton_format)f, dims[i], dims[j]);
                ck_assert_msg((st == BATON_OK) == (n != 0), "%s %ux%u: status %d, size %zu",
                              baton_format_name((baton_format)f), dims[i], dims[j], (int)st, n);
            }
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_parse_round_trip);
    tcase_add_test(tc, test_parse_case_and_aliases);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_frame_size);
    tcase_add_test(tc, test_frame_size_invalid);
    tcase_add_test(tc, test_frame_size_overflow);
    tcase_add_test(tc, test_check_size_messages);
    tcase_add_test(tc, test_check_size_matches_frame_size);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(format_suite());
}
