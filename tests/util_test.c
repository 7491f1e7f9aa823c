/* util_test.c - helpers shared by the Check suites. */
#include "util_test.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gst/gst.h>

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

int test_run_suite_nofork(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

baton_context *test_context(baton_compute_mode compute, baton_sync_mode sync)
{
    baton_context_config cc;
    baton_context_config_default(&cc);
    cc.compute = compute;
    cc.sync = sync;
    baton_context *ctx = NULL;
    baton_error err;
    ck_assert_msg(baton_context_create(&cc, &ctx, &err) == BATON_OK, "%s", err.message);
    return ctx;
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

void test_make_tmpdir(char *dir, size_t n, const char *tag)
{
    snprintf(dir, n, "/tmp/baton-%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

uint8_t *test_read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    uint8_t *p = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    p[n] = 0;
    *size = (size_t)n;
    return p;
}

int test_tools_required(void)
{
    const char *v = getenv("BATON_REQUIRE_TOOLS");
    return v && v[0] == '1';
}

int test_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* A command on PATH. */
static bool have_command(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* A GStreamer element in this process's registry: asked of the library
 * itself, as baton's gst source and sink will ask it, so that a machine
 * with GStreamer's plugins but without gst-inspect-1.0 (the GPU bundle)
 * still runs the tests. */
static bool have_element(const char *name)
{
    if (!gst_init_check(NULL, NULL, NULL))
        return false;
    GstElementFactory *f = gst_element_factory_find(name);
    if (f)
        gst_object_unref(f);
    return f != NULL;
}

/* Append the words of `words` that `have` does not find to missing; true
 * if all were found. */
static bool find_each(const char *words, bool (*have)(const char *), char *missing, size_t size)
{
    bool ok = true;
    char list[256];
    snprintf(list, sizeof list, "%s", words ? words : "");
    for (char *save, *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!have(w)) {
            ok = false;
            strncat(missing, " ", size - strlen(missing) - 1);
            strncat(missing, w, size - strlen(missing) - 1);
        }
    }
    return ok;
}

bool test_need_gst(const char *suite, const char *func, const char *elements,
                   const char *commands, const char *packages)
{
    char missing[256] = "";
    bool ok = find_each(commands, have_command, missing, sizeof missing);
    ok = find_each(elements, have_element, missing, sizeof missing) && ok;
    if (ok)
        return true;
    ck_assert_msg(!test_tools_required(),
                  "%s: needs%s but BATON_REQUIRE_TOOLS=1 (install %s)", func, missing, packages);
    printf("SKIP %s/%s: missing%s (Debian package(s) %s)\n", suite, func, missing, packages);
    fflush(stdout);
    return false;
}

bool test_probe_in_child(baton_compute_mode compute, baton_caps *caps)
{
    memset(caps, 0, sizeof *caps);
    caps->vk_selected = -1;
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(caps->cuda_error, sizeof caps->cuda_error, "pipe failed (probe in a child)");
        snprintf(caps->vk_error, sizeof caps->vk_error, "%s", caps->cuda_error);
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        baton_caps c;
        baton_probe(0, compute, &c, NULL);
        const char *b = (const char *)&c;
        size_t done = 0;
        while (done < sizeof c) {
            ssize_t w = write(fd[1], b + done, sizeof c - done);
            if (w <= 0)
                _exit(1);
            done += (size_t)w;
        }
        _exit(0);
    }
    close(fd[1]);
    baton_caps c;
    size_t got = 0;
    while (pid > 0 && got < sizeof c) {
        ssize_t r = read(fd[0], (char *)&c + got, sizeof c - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd[0]);
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    if (got != sizeof c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(caps->cuda_error, sizeof caps->cuda_error,
                 "the probe failed or crashed (in a child process)");
        snprintf(caps->vk_error, sizeof caps->vk_error, "%s", caps->cuda_error);
        return false;
    }
    *caps = c;
    return true;
}
