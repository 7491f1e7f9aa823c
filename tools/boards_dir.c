/* boards_dir.c - where the tools find board profiles (baton-run, baton-probe). */
#include "boards_dir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/board.h"

bool tool_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tool_boards_dir(char *buf, size_t len)
{
    const char *env = getenv("BATON_BOARDS_DIR");
    if (env && env[0])
        return env;
    if (tool_is_dir(BATON_BOARD_DEFAULT_DIR))
        return BATON_BOARD_DEFAULT_DIR;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, len, "%s/../share/baton/boards", exe);
            if (tool_is_dir(buf))
                return buf;
            snprintf(buf, len, "%s/../boards", exe);
            if (tool_is_dir(buf))
                return buf;
            snprintf(buf, len, "%s/boards", exe);
            if (tool_is_dir(buf))
                return buf;
        }
    }
    return NULL;
}

