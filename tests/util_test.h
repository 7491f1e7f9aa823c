/* util_test.h - helpers shared by the Check suites. */
#ifndef BATON_UTIL_TEST_H
#define BATON_UTIL_TEST_H

#include <check.h>

/* Number of open file descriptors of this process (entries of /proc/self/fd,
 * not counting the directory handle used to read it). -1 on error. */
int test_open_fd_count(void);

/* Run a suite with CK_ENV-controlled fork mode; return 0 if all passed. */
int test_run_suite(Suite *s);

/* Print "SKIP <suite>: <reason>" and return the skip exit status (77). */
int test_skip(const char *suite, const char *reason);



/* 1 when the environment demands that Vulkan-backed suites run (CI sets
 * BATON_REQUIRE_VULKAN=1 so a broken lavapipe cannot turn into a skip). */
int test_vulkan_required(void);
#endif
