/* run_options.h - baton-run's command line: the options, --help, and the
 * settings they resolve to together with the board profile. */
#ifndef BATON_RUN_OPTIONS_H
#define BATON_RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/board.h"
#include "baton/context.h"
#include "baton/error.h"
#include "baton/format.h"
#include "baton/pipeline.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Built-in defaults, used when no board profile could be loaded. */
#define DEF_WIDTH 1280u
#define DEF_HEIGHT 720u
#define DEF_FORMAT BATON_FORMAT_YUYV
#define DEF_SLOTS 2u
#define DEF_SYNC BATON_SYNC_AUTO
#define DEF_TIMEOUT_MS 1000u
#define DEF_FRAMES 300u

#define MAX_FRAMES 1000000000000ull /* 10^12 */
#define MAX_DUMPS 1024u
#define TRACE_MAX (1u << 20)        /* trace events kept with --trace */
#define TRACE_DEFAULT 65536u        /* trace events kept otherwise */

typedef struct options {
    const char *board, *source, *sink, *dump_dir, *dump_list, *trace_path, *json_path;
    uint64_t frames;
    uint32_t slots, width, height, timeout_ms, hold_s;
    baton_sync_mode sync;
    baton_compute_mode compute;
    baton_format format;
    baton_drop_policy policy;
    baton_handoff_mode to_vulkan, to_compute;
    baton_source_lost_policy on_camera_loss;   /* --on-camera-loss */
    uint32_t resync_ms;                        /* its MS (0: the library's default) */
    baton_display_lost_policy on_display_loss; /* --on-display-loss */
    bool zero_copy_upload;
    bool has_slots, has_sync, has_size, has_format, has_timeout, quiet, progress;
} options;

typedef struct settings {
    uint32_t width, height, slots, timeout_ms;
    baton_format format;
    baton_sync_mode sync;
    bool have_board;
    baton_board board;
    char board_note[BATON_ERROR_MESSAGE_MAX + 128]; /* detection failure, printed later */
    uint64_t dumps[MAX_DUMPS];
    size_t dump_count;
} settings;

/* Parse the command line into o (--help prints the usage text). Returns -1
 * to go on, else the exit status (bad usage: one line on stderr). */
int run_parse_args(int argc, char **argv, options *o);

/* Board defaults (the --board profile, else the detected one), then the
 * command line, into s. Returns -1 to go on, else the exit status (a bad
 * argument). */
int run_resolve(const options *o, settings *s);

#endif
