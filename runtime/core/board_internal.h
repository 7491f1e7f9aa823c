/* board_internal.h - what board_profile.c shares with board_detect.c (not public). */
#ifndef BATON_BOARD_INTERNAL_H
#define BATON_BOARD_INTERNAL_H

#include <stddef.h>

/* The board names in dir as "a, b, c" into buf (cap bytes, always
 * NUL-terminated); "none" when there are none, "none: <why>" when the
 * directory cannot be listed. For error messages. */
void board_list_for_message(const char *dir, char *buf, size_t cap);

#endif
