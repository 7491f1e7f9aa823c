/* ini.h - a small INI reader used by the board profiles (not installed).
 *
 * Syntax: "[section]" headers, "key = value" lines, blank lines and comment
 * lines (first non-blank character '#' or ';'). Keys are [A-Za-z0-9_.-];
 * blanks around keys and values are ignored; a value runs to the end of the
 * line. A value line ending in '\' continues on the next physical line, the
 * parts joined by one space. CRLF line ends are accepted.
 *
 * The reader knows no section or key names: it reports each header and each
 * key to a handler, which validates them. Errors are BATON_ERR_PARSE with
 * "<name>:<line>: " prefixed messages. Reentrant; no allocation.
 */
#ifndef BATON_INI_H
#define BATON_INI_H

#include "baton/error.h"

#define BATON_INI_LINE_MAX 1024   /* one physical line, without its newline */
#define BATON_INI_VALUE_MAX 2048  /* a value after joining continuations */
#define BATON_INI_NAME_MAX 64     /* a section or key name */

typedef enum baton_ini_event_kind {
    BATON_INI_SECTION = 0, /* a "[name]" header */
    BATON_INI_KEY,         /* a "key = value" line (with continuations) */
} baton_ini_event_kind;

typedef struct baton_ini_event {
    baton_ini_event_kind kind;
    unsigned line;        /* line of the header or of the key */
    const char *section;  /* the section the event belongs to (the new one for SECTION) */
    const char *key;      /* KEY only */
    const char *value;    /* KEY only; may be "" */
} baton_ini_event;

/* Called once per event; pointers are valid only during the call. Return
 * BATON_OK to go on; any other status stops parsing and is returned as is
 * (the handler fills err itself). */
typedef baton_status (*baton_ini_handler)(const baton_ini_event *ev, void *ctx,
                                          baton_error *err);

/* Parse NUL-terminated text. name prefixes messages. A key before any
 * section header is an error. Returns the number of lines through *lines
 * when lines is non-NULL (also on error: the line reached). */
baton_status baton_ini_parse(const char *text, const char *name, baton_ini_handler handler,
                             void *ctx, unsigned *lines, baton_error *err);

#endif
