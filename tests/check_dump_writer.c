/* check_dump_writer.c - PNG dumps written off the frame path
 * (sinks/dump_writer.h): every submitted frame comes back from its file
 * pixel for pixel (the submitted buffer is copied), a burst larger than
 * the writer's buffers waits instead of dropping, destroy writes what is
 * still queued, a directory that cannot
 * be written gives an error naming the file at the next submit and at
 * flush, and each failure of create's calls is reported without a leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sinks/dump_writer.h"
#include "util/fault.h"
#include "util/png.h"
#include "util_test.h"

#define W 37u
#define H 11u
#define PITCH (W * 4u + 12u)

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/baton-dumpw-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void fill(uint8_t *px, uint64_t frame)
{
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < PITCH; x++)
            px[y * PITCH + x] = (uint8_t)(frame * 7u + y * 13u + x);
}

/* The file of frame n matches fill(n) (the rows' padding is not written). */
static void check_file(uint64_t frame)
{
    char path[128];
    snprintf(path, sizeof path, "%s/frame-%06llu.png", dir, (unsigned long long)frame);
    uint8_t got[W * H * 4], want[PITCH * H];
    uint32_t w = 0, h = 0;
    baton_error err;
    ck_assert_msg(baton_png_read_rgba(path, got, sizeof got, &w, &h, &err) == BATON_OK, "%s: %s",
                  path, err.message);
    ck_assert_uint_eq(w, W);
    ck_assert_uint_eq(h, H);
    fill(want, frame);
    for (uint32_t y = 0; y < H; y++)
        ck_assert_msg(memcmp(got + y * W * 4, want + y * PITCH, W * 4) == 0, "frame %llu row %u",
                      (unsigned long long)frame, y);
}

START_TEST(test_burst_written_in_order)
{
    make_dir();
    int fds = test_open_fd_count();
    dump_writer *w = NULL;
    baton_error err;
    ck_assert_int_eq(dump_writer_create(dir, W, H, PITCH, &w, &err), BATON_OK);
    uint8_t px[PITCH * H];
    for (uint64_t n = 0; n < 9; n++) { /* more than the writer's buffers */
        fill(px, n * 5);
        ck_assert_int_eq(dump_writer_submit(w, n * 5, px, &err), BATON_OK);
        memset(px, 0xEE, sizeof px); /* the writer took a copy */
    }
    ck_assert_int_eq(dump_writer_flush(w, &err), BATON_OK);
    ck_assert_uint_eq(dump_writer_written(w), 9);
    for (uint64_t n = 0; n < 9; n++)
        check_file(n * 5);
    dump_writer_destroy(w);
    ck_assert_int_eq(test_open_fd_count(), fds);
    remove_dir();
}
END_TEST

START_TEST(test_destroy_writes_what_is_queued)
{
    make_dir();
    dump_writer *w = NULL;
    baton_error err;
    ck_assert_int_eq(dump_writer_create(dir, W, H, PITCH, &w, &err), BATON_OK);
    uint8_t px[PITCH * H];
    fill(px, 3);
    ck_assert_int_eq(dump_writer_submit(w, 3, px, &err), BATON_OK);
    fill(px, 4);
    ck_assert_int_eq(dump_writer_submit(w, 4, px, &err), BATON_OK);
    dump_writer_destroy(w); /* no flush */
    check_file(3);
    check_file(4);
    remove_dir();
}
END_TEST

START_TEST(test_unwritable_dir_named)
{
    make_dir();
    char sub[128];
    snprintf(sub, sizeof sub, "%s/gone", dir); /* never made */
    dump_writer *w = NULL;
    baton_error err;
    ck_assert_int_eq(dump_writer_create(sub, W, H, PITCH, &w, &err), BATON_OK);
    uint8_t px[PITCH * H];
    fill(px, 1);
    ck_assert_int_eq(dump_writer_submit(w, 1, px, &err), BATON_OK); /* not known yet */
    baton_status st = dump_writer_flush(w, &err);
    ck_assert_int_ne(st, BATON_OK);
    ck_assert_msg(strstr(err.message, "frame-000001.png") != NULL, "%s", err.message);
    printf("(expected) %s\n", err.message);
    ck_assert_int_ne(dump_writer_submit(w, 2, px, &err), BATON_OK); /* said again */
    ck_assert_uint_eq(dump_writer_written(w), 0);
    dump_writer_destroy(w);
    remove_dir();
}
END_TEST

START_TEST(test_create_failures)
{
    make_dir();
    baton_error err;
    dump_writer *w = NULL;
    ck_assert_int_eq(dump_writer_create(dir, 0, H, PITCH, &w, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(dump_writer_create(dir, W, H, W * 4 - 1, &w, &err), BATON_ERR_INVALID_ARGUMENT);
    baton_fault_arm(0, BATON_FAULT_OUT_OF_MEMORY);
    ck_assert_int_eq(dump_writer_create(dir, W, H, PITCH, &w, &err), BATON_OK);
    uint64_t calls = baton_fault_calls();
    baton_fault_disarm();
    dump_writer_destroy(w);
    ck_assert_uint_ge(calls, 6); /* calloc, 2 malloc, mutex, cond, thread */
    for (uint64_t k = 1; k <= calls; k++) {
        w = NULL;
        baton_fault_arm(k, BATON_FAULT_OUT_OF_MEMORY);
        baton_status st = dump_writer_create(dir, W, H, PITCH, &w, &err);
        const char *failed = baton_fault_failed_call();
        baton_fault_disarm();
        ck_assert_int_ne(st, BATON_OK);
        ck_assert_ptr_null(w);
        ck_assert_msg(strstr(err.message, failed) != NULL, "k=%llu: '%s' does not name %s",
                      (unsigned long long)k, err.message, failed);
    }
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dump_writer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_burst_written_in_order);
    tcase_add_test(tc, test_destroy_writes_what_is_queued);
    tcase_add_test(tc, test_unwritable_dir_named);
    tcase_add_test(tc, test_create_failures);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
