/* probe_arch.h - does this build carry CUDA code the device's GPU can run?
 *
 * baton's CUDA code is built for one GPU (the board's cuda_arch, e.g.
 * sm_90) as machine code only (no PTX to JIT). Such code runs on a device
 * of the same major compute capability and an equal or higher minor one:
 * sm_86 code runs on 8.6 and 8.9, not on 8.7's older minor or 9.0. When it
 * cannot, every kernel launch fails with cudaErrorNoKernelImageForDevice;
 * baton-probe says so first, with the make command that fixes it.
 */
#ifndef BATON_TOOLS_PROBE_ARCH_H
#define BATON_TOOLS_PROBE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/board.h"

/* What a board profile says about its GPU. */
typedef struct probe_board_arch {
    char name[BATON_BOARD_NAME_MAX];
    uint32_t arch_num;   /* 87 for sm_87 */
    bool integrated;     /* memory = integrated */
} probe_board_arch;

typedef struct probe_arch {
    bool known;          /* the build's arch parsed as sm_NN */
    bool in_build;       /* the build's code runs on the device */
    char build_arch[16]; /* "sm_90" */
    char device_arch[16];/* "sm_87": the arch that fits the device */
    char fix[256];       /* "make BOARD=jetson-agx-orin", "make CUDA_ARCH=sm_89" */
} probe_arch;

/* "sm_NN" / "sm_NNN" -> NN(N); 0 when s is not of that form. Pure. */
uint32_t probe_arch_parse(const char *s);

/* Whether code built for sm_<build_num> runs on compute capability
 * major.minor: the same major (build_num / 10) and minor >= build_num % 10. */
bool probe_arch_runs(uint32_t build_num, int major, int minor);

/* Compare the build's arch with a device of compute capability
 * major.minor (integrated: shares memory with the CPU, a Jetson). fix names
 * the boards of `boards` (n of them) whose arch is the device's and whose
 * memory kind matches, as "make BOARD=a (or BOARD=b)"; with none, "make
 * CUDA_ARCH=sm_NN". Pure. */
probe_arch probe_arch_check(const char *build_arch, int major, int minor, bool integrated,
                            const probe_board_arch *boards, size_t n);

/* Read name, cuda_arch and memory of the profiles in dir into boards (room
 * for capacity); returns how many were read (profiles that do not parse
 * are left out). */
size_t probe_arch_boards(const char *dir, probe_board_arch *boards, size_t capacity);

#endif
