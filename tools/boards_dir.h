/* boards_dir.h - where the tools find board profiles. */
#ifndef BATON_TOOLS_BOARDS_DIR_H
#define BATON_TOOLS_BOARDS_DIR_H

#include <stdbool.h>
#include <stddef.h>

/* The directory of board profiles: $BATON_BOARDS_DIR if set (and then only
 * there), else ./boards, else <bin>/../share/baton/boards (installed), else
 * <bin>/../boards (the source tree's build/), else <bin>/boards (the GPU
 * bundle), where <bin> holds the running program. buf (len bytes) may
 * receive the path; NULL when none exists. */
const char *tool_boards_dir(char *buf, size_t len);

/* Whether path is a directory. */
bool tool_is_dir(const char *path);

#endif
