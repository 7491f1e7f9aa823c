/* baton/board.h - board profiles: what a board is and how baton runs on it.
 *
 * A board profile is a small INI file, boards/<name>.board:
 *
 *   # comment (a line whose first non-blank character is '#' or ';')
 *   [board]
 *   name        = jetson-agx-orin        (required; letters, digits, '.', '_',
 *                                         '-'; equal to the file stem)
 *   description = NVIDIA Jetson AGX Orin (required, free text)
 *   soc         = tegra234 (Orin)        (required, free text)
 *   gpu         = NVIDIA Ampere iGPU     (required, free text)
 *   cuda_arch   = sm_87                  (required, sm_ followed by 2-3 digits;
 *                                         the Makefile reads this line with sed,
 *                                         so keep it on one line)
 *   jetpack     = 6.2                    (required, a version or "none")
 *   cuda        = 12.6                   (required, the CUDA release it expects)
 *   memory      = integrated             (required, integrated | discrete)
 *   compatible  = nvidia,p3701-*, nvidia,tegra234
 *                 (optional, or "none": device-tree compatible strings for
 *                  detection, each "vendor,model", separated by ", " or blanks;
 *                  a trailing '*' matches any suffix)
 *   l4t         = 35, 36                 (optional, or "none": L4T major
 *                                         releases, "R36" or "36", for detection
 *                                         from /etc/nv_tegra_release)
 *   notes       = ...                    (optional, free text)
 *   [defaults]                           (optional section; every key optional)
 *   slots         = 2                    (BATON_SLOTS_MIN..BATON_SLOTS_MAX)
 *   pool_size     = 16                   (semaphores in the shared pool,
 *                                         2 * slots .. BATON_BOARD_POOL_MAX)
 *   sync          = auto                 (auto | timeline | binary)
 *   camera        = v4l2:/dev/video0     (source spec, no blanks)
 *   camera_format = YUYV                 (YUYV | UYVY | NV12 | GREY | RGB24)
 *   size          = 1920x1080            (WxH, valid for camera_format)
 *   display       = drm:HDMI-A-1         (sink spec, e.g. headless; no blanks)
 *   timeout_ms    = 1000                 (1..BATON_BOARD_TIMEOUT_MAX_MS)
 *
 * "key = value": blanks around both are ignored, the value runs to the end of
 * the line (no inline comments). A value whose line ends in '\' continues on
 * the next line (joined with one space). Lines may end in CRLF.
 *
 * Errors: every parse error is BATON_ERR_PARSE with a message that starts
 * "<file>:<line>: ", e.g.
 *   "boards/foo.board:12: unknown key 'slotz' in [defaults]"
 * for unknown sections and keys, lines without '=', duplicate keys or
 * sections, bad values (slots out of range, cuda_arch not sm_NN, memory not
 * integrated/discrete, size not WxH, ...). A missing required key names the
 * line of its section header ("...:3: [board] lacks required key 'cuda'");
 * a missing [board] section has no line ("boards/foo.board: no [board]
 * section"). File errors are BATON_ERR_OS (open) or BATON_ERR_IO (read) with
 * the path and strerror text.
 *
 * Ownership: baton_board is a plain value with fixed-size arrays and no
 * pointers; copy it freely. The caller owns every out parameter and the
 * baton_error; baton keeps no pointer to any argument. On failure *out is
 * left unchanged.
 *
 * Thread-safety: every function here is reentrant (no global state); calls
 * may run in parallel as long as they do not share an out parameter or a
 * baton_error. None of them calls exit().
 */
#ifndef BATON_BOARD_H
#define BATON_BOARD_H

#include <stdint.h>

#include "baton/error.h"
#include "baton/format.h"
#include "baton/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BATON_BOARD_NAME_MAX 64      /* name, with its NUL */
#define BATON_BOARD_TEXT_MAX 160     /* description, soc, gpu */
#define BATON_BOARD_VERSION_MAX 16   /* cuda_arch, jetpack, cuda */
#define BATON_BOARD_COMPAT_MAX 8     /* compatible entries */
#define BATON_BOARD_COMPAT_LEN 64    /* one compatible entry, with its NUL */
#define BATON_BOARD_L4T_MAX 4        /* l4t entries */
#define BATON_BOARD_NOTES_MAX 1024   /* notes, with its NUL */
#define BATON_BOARD_SPEC_MAX 128     /* camera, display */
#define BATON_BOARD_PATH_MAX 512     /* source */
#define BATON_BOARD_DETECT_MAX 384   /* detected_by */
#define BATON_BOARD_POOL_MAX 4096u   /* pool_size, as BATON_SEM_POOL_MAX */
#define BATON_BOARD_TIMEOUT_MAX_MS 600000u
#define BATON_BOARD_SIZE_MAX 16384u  /* width and height */
#define BATON_BOARD_LIST_MAX 64      /* profiles in one boards directory */

/* Where baton looks for profiles when boards_dir is NULL (relative to the
 * working directory, i.e. the repository root for `make check`). */
#define BATON_BOARD_DEFAULT_DIR "boards"
/* Where baton_board_detect() looks when a path argument is NULL. */
#define BATON_BOARD_DT_COMPATIBLE_PATH "/proc/device-tree/compatible"
#define BATON_BOARD_NV_TEGRA_RELEASE_PATH "/etc/nv_tegra_release"

/* Values a [defaults] key takes when the profile leaves it out. */
#define BATON_BOARD_DEFAULT_SLOTS 2u
#define BATON_BOARD_DEFAULT_POOL_SIZE 16u
#define BATON_BOARD_DEFAULT_CAMERA "v4l2:/dev/video0"
#define BATON_BOARD_DEFAULT_WIDTH 1280u
#define BATON_BOARD_DEFAULT_HEIGHT 720u
#define BATON_BOARD_DEFAULT_DISPLAY "headless"
#define BATON_BOARD_DEFAULT_TIMEOUT_MS 1000u
/* sync defaults to BATON_SYNC_AUTO, camera_format to BATON_FORMAT_YUYV. */

typedef enum baton_board_memory {
    BATON_BOARD_MEMORY_INTEGRATED = 0, /* GPU shares DRAM with the CPU (Jetson) */
    BATON_BOARD_MEMORY_DISCRETE,       /* GPU has its own memory (PCIe card) */
} baton_board_memory;

typedef struct baton_board_defaults {
    uint32_t slots;              /* frames in flight */
    uint32_t pool_size;          /* semaphores the shared pool creates */
    baton_sync_mode sync;
    char camera[BATON_BOARD_SPEC_MAX];   /* "v4l2:/dev/video0" */
    baton_format camera_format;  /* never BATON_FORMAT_RGBA8 */
    uint32_t width, height;      /* valid for camera_format */
    char display[BATON_BOARD_SPEC_MAX];  /* "drm:HDMI-A-1", "headless" */
    uint32_t timeout_ms;
} baton_board_defaults;

typedef struct baton_board {
    char name[BATON_BOARD_NAME_MAX];
    char description[BATON_BOARD_TEXT_MAX];
    char soc[BATON_BOARD_TEXT_MAX];
    char gpu[BATON_BOARD_TEXT_MAX];
    char cuda_arch[BATON_BOARD_VERSION_MAX]; /* "sm_87" */
    uint32_t cuda_arch_num;                  /* 87 */
    char jetpack[BATON_BOARD_VERSION_MAX];   /* "6.2" or "none" */
    char cuda[BATON_BOARD_VERSION_MAX];      /* "12.6" */
    baton_board_memory memory;
    uint32_t compatible_count;
    char compatible[BATON_BOARD_COMPAT_MAX][BATON_BOARD_COMPAT_LEN];
    uint32_t l4t_count;
    uint32_t l4t[BATON_BOARD_L4T_MAX];       /* L4T majors, e.g. 36 */
    char notes[BATON_BOARD_NOTES_MAX];
    baton_board_defaults defaults;
    /* Filled by baton, not read from the profile: */
    char source[BATON_BOARD_PATH_MAX];       /* the file (or name_for_errors) */
    char detected_by[BATON_BOARD_DETECT_MAX];/* why detect chose it; "" otherwise */
} baton_board;

/* Parse a profile held in memory (NUL-terminated). name_for_errors prefixes
 * every message and is copied to out->source; NULL gives "<string>".
 * Errors: BATON_ERR_INVALID_ARGUMENT (NULL text or out), BATON_ERR_PARSE. */
baton_status baton_board_parse_string(const char *text, const char *name_for_errors,
                                      baton_board *out, baton_error *err);

/* Read and parse one profile file (at most 64 KiB). Messages are prefixed
 * with path as given. Errors: BATON_ERR_INVALID_ARGUMENT, BATON_ERR_OS (cannot
 * open), BATON_ERR_IO (read failed, file too big), BATON_ERR_PARSE (also for
 * a NUL byte in the file). */
baton_status baton_board_parse_file(const char *path, baton_board *out, baton_error *err);

/* Load a profile by name or by path. A name_or_path containing '/' is a path
 * and is read as it is. Otherwise it is a board name ([A-Za-z0-9._-], not
 * starting with '.'; a ".board" suffix is allowed and ignored) and the file
 * is boards_dir/NAME.board (boards_dir NULL: BATON_BOARD_DEFAULT_DIR); the
 * profile's name key must then equal NAME. An unknown name gives
 * BATON_ERR_INVALID_ARGUMENT with a message listing the boards available in
 * boards_dir, e.g. "no board profile 'foo' in boards (available:
 * jetson-agx-orin, x86-discrete)". */
baton_status baton_board_load(const char *name_or_path, const char *boards_dir,
                              baton_board *out, baton_error *err);

/* Pick this machine's profile from the profiles in boards_dir (NULL:
 * BATON_BOARD_DEFAULT_DIR), trying in order:
 *
 * 1. The device tree (dt_compatible_path; NULL: /proc/device-tree/compatible),
 *    a list of NUL-separated strings, most specific first. Each profile is
 *    ranked by the first string one of its compatible patterns matches; the
 *    best rank wins. A profile listing the module (nvidia,p3767-*) therefore
 *    beats one that only lists the SoC (nvidia,tegra234).
 * 2. /etc/nv_tegra_release (nv_tegra_release_path; NULL: that path), whose
 *    first line reads "# R36 (release), REVISION: 4.0, ...": the profiles
 *    whose l4t list holds the major release (R36) match.
 * 3. Neither file exists (or the device tree is not an NVIDIA one): the
 *    x86-discrete profile of boards_dir when baton was built for x86-64.
 *
 * When several profiles match equally well and all have the same cuda_arch
 * (R36 matches both Orin profiles), the first by name is chosen and
 * out->detected_by says which others matched. Different cuda_arch (R35 is
 * Xavier or Orin, R39 is Orin or Thor) gives BATON_ERR_UNSUPPORTED naming
 * the candidates: pass a board name instead. A device tree naming an NVIDIA
 * Tegra SoC no profile lists (nvidia,tegra210: Jetson Nano), an L4T release no
 * profile lists, or a machine that is neither Jetson nor x86-64 also gives
 * BATON_ERR_UNSUPPORTED. A device tree without any match that names no Tegra
 * SoC (not a Jetson) falls through to step 2. A file that exists but cannot
 * be read gives BATON_ERR_OS; an nv_tegra_release whose first line is not in
 * that form gives BATON_ERR_PARSE; a profile in boards_dir that does not
 * parse gives its parse error. out->detected_by names the evidence, e.g.
 * "device tree compatible 'nvidia,p3767-0005' in /proc/device-tree/compatible". */
baton_status baton_board_detect(const char *dt_compatible_path,
                                const char *nv_tegra_release_path,
                                const char *boards_dir, baton_board *out,
                                baton_error *err);

/* The board names (file stems of *.board) in boards_dir (NULL:
 * BATON_BOARD_DEFAULT_DIR), sorted, into names[0..capacity). *count is the
 * number found, which may exceed capacity (then only capacity are written
 * and BATON_ERR_EXHAUSTED is returned). BATON_ERR_OS if the directory cannot
 * be read. */
baton_status baton_board_list(const char *boards_dir, char (*names)[BATON_BOARD_NAME_MAX],
                              uint32_t capacity, uint32_t *count, baton_error *err);

/* "integrated" / "discrete" ("unknown" otherwise). */
const char *baton_board_memory_name(baton_board_memory memory);

/* Whether a device-tree compatible string matches a profile pattern: equal,
 * or the pattern ends in '*' and the string starts with what precedes it.
 * Pure. */
int baton_board_compatible_matches(const char *pattern, const char *compatible);

#ifdef __cplusplus
}
#endif

#endif
