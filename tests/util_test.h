/* util_test.h - helpers shared by the Check suites. */
#ifndef BATON_UTIL_TEST_H
#define BATON_UTIL_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "baton/caps.h"
#include "baton/context.h"

/* Number of open file descriptors of this process (entries of /proc/self/fd,
 * not counting the directory handle used to read it). -1 on error. */
int test_open_fd_count(void);

/* Run a suite with CK_ENV-controlled fork mode; return 0 if all passed. */
int test_run_suite(Suite *s);
/* The same, every case in this process (CK_NOFORK): for the CUDA suites,
 * since CUDA does not survive a fork after its initialisation. */
int test_run_suite_nofork(Suite *s);

/* A context for `compute` with `sync` (else the defaults); a context that
 * cannot be made fails the running test with baton's message. */
baton_context *test_context(baton_compute_mode compute, baton_sync_mode sync);

/* Print "SKIP <suite>: <reason>" and return the skip exit status (77). */
int test_skip(const char *suite, const char *reason);



/* baton_probe(0, compute, caps) in a child process, so that this one never
 * initialises CUDA: CUDA does not survive a fork after its initialisation
 * (even cudaGetDeviceCount's), and Check forks each case. False when the
 * child failed or crashed (caps->cuda_error and vk_error say so). */
bool test_probe_in_child(baton_compute_mode compute, baton_caps *caps);

/* 1 when the environment demands that Vulkan-backed suites run (CI sets
 * BATON_REQUIRE_VULKAN=1 so a broken lavapipe cannot turn into a skip). */
int test_vulkan_required(void);
/* 1 when BATON_REQUIRE_TOOLS=1 (CI): a missing tool (ffmpeg, GStreamer,
 * Xvfb, python3) fails the test instead of skipping it. */
int test_tools_required(void);

/* system() of a printf-formatted shell command (at most 4095 bytes). */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Every word of `elements` is a GStreamer element here (found in this
 * process's registry: gst_init_check, gst_element_factory_find) and every
 * word of `commands` (may be NULL) a command on PATH; else print
 * "SKIP suite/func: missing ..." naming `packages` and return false, or
 * fail the test under BATON_REQUIRE_TOOLS=1. */
bool test_need_gst(const char *suite, const char *func, const char *elements,
                   const char *commands, const char *packages);
/* A fresh directory /tmp/baton-<tag>-XXXXXX (mkdtemp) in dir (n bytes). */
void test_make_tmpdir(char *dir, size_t n, const char *tag);

/* The whole file, NUL-terminated (malloc'd, the caller frees), its size in
 * *size; a file that cannot be read fails the test. */
uint8_t *test_read_whole(const char *path, size_t *size);
#endif
