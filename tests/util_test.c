/* util_test.c - helpers shared by the Check suites. */
#include "util_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

int test_open_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    return n - 1; /* the directory's own fd */
}

int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

int test_skip(const char *suite, const char *reason)
{
    printf("SKIP %s: %s\n", suite, reason);
    fflush(stdout);
    return 77;
}

int test_vulkan_required(void)
{
    const char *v = getenv("BATON_REQUIRE_VULKAN");
    return v && v[0] == '1';
}
