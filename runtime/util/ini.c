/* ini.c - a small INI reader (see ini.h). */
#include "util/ini.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* One physical line: [start, start + len), without '\n' (and without a
 * trailing '\r'). next points past the '\n', or at the final NUL. */
typedef struct ini_line {
    const char *start;
    size_t len;
    const char *next;
} ini_line;

static bool next_line(const char *p, ini_line *out)
{
    if (*p == '\0')
        return false;
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    out->start = p;
    out->next = nl ? nl + 1 : p + len;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    out->len = len;
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim [*s, *s + *len) in place. */
static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*s)[*len - 1]))
        (*len)--;
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= BATON_INI_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return false;
    }
    return true;
}

/* Copy at most 60 characters of a line for an error message. */
static void excerpt(char *dst, size_t cap, const char *s, size_t len)
{
    size_t n = len < 60 ? len : 60;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    if (n < len && n + 4 < cap)
        strcat(dst, "...");
}

baton_status baton_ini_parse(const char *text, const char *name, baton_ini_handler handler,
                             void *ctx, unsigned *lines, baton_error *err)
{
    if (!name)
        name = "<string>";
    if (!text || !handler) {
        if (lines)
            *lines = 0;
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_ini_parse: NULL text or handler");
    }

    char section[BATON_INI_NAME_MAX] = "";
    char key[BATON_INI_NAME_MAX];
    char value[BATON_INI_VALUE_MAX];
    char shown[80];
    unsigned lineno = 0;
    baton_status st = BATON_OK;
    ini_line ln;
    const char *p = text;

    while (st == BATON_OK && next_line(p, &ln)) {
        p = ln.next;
        lineno++;
        if (ln.len > BATON_INI_LINE_MAX) {
            st = baton_error_set(err, BATON_ERR_PARSE,
                                 "%s:%u: line too long (%zu characters, at most %d)", name,
                                 lineno, ln.len, BATON_INI_LINE_MAX);
            break;
        }
        const char *s = ln.start;
        size_t len = ln.len;
        trim(&s, &len);
        if (len == 0 || s[0] == '#' || s[0] == ';')
            continue;

        if (s[0] == '[') {
            if (s[len - 1] != ']') {
                excerpt(shown, sizeof shown, s, len);
                st = baton_error_set(err, BATON_ERR_PARSE,
                                     "%s:%u: section header without closing ']': %s", name,
                                     lineno, shown);
                break;
            }
            const char *n = s + 1;
            size_t nlen = len - 2;
            trim(&n, &nlen);
            if (!valid_name(n, nlen)) {
                excerpt(shown, sizeof shown, s, len);
                st = baton_error_set(err, BATON_ERR_PARSE,
                                     "%s:%u: bad section name in %s (expected [name] with "
                                     "letters, digits, '_', '-', '.')",
                                     name, lineno, shown);
                break;
            }
            memcpy(section, n, nlen);
            section[nlen] = '\0';
            baton_ini_event ev = {BATON_INI_SECTION, lineno, section, NULL, NULL};
            st = handler(&ev, ctx, err);
            continue;
        }

        const char *eq = memchr(s, '=', len);
        if (!eq) {
            excerpt(shown, sizeof shown, s, len);
            st = baton_error_set(err, BATON_ERR_PARSE,
                                 "%s:%u: line without '=' (expected 'key = value' or "
                                 "'[section]'): %s",
                                 name, lineno, shown);
            break;
        }
        const char *k = s;
        size_t klen = (size_t)(eq - s);
        trim(&k, &klen);
        if (!valid_name(k, klen)) {
            excerpt(shown, sizeof shown, s, len);
            st = baton_error_set(err, BATON_ERR_PARSE,
                                 klen == 0 ? "%s:%u: missing key before '=': %s"
                                           : "%s:%u: bad key name in: %s",
                                 name, lineno, shown);
            break;
        }
        memcpy(key, k, klen);
        key[klen] = '\0';
        if (section[0] == '\0') {
            st = baton_error_set(err, BATON_ERR_PARSE,
                                 "%s:%u: key '%s' outside any section (add a [section] "
                                 "header above it)",
                                 name, lineno, key);
            break;
        }

        unsigned key_line = lineno;
        const char *v = eq + 1;
        size_t vlen = len - (size_t)(v - s);
        trim(&v, &vlen);
        size_t used = 0;
        bool more;
        do {
            more = vlen > 0 && v[vlen - 1] == '\\';
            if (more) {
                vlen--;
                trim(&v, &vlen);
            }
            size_t need = used + (used > 0 && vlen > 0 ? 1 : 0) + vlen;
            if (need >= sizeof value) {
                st = baton_error_set(err, BATON_ERR_PARSE,
                                     "%s:%u: value of '%s' too long (at most %d characters)",
                                     name, key_line, key, BATON_INI_VALUE_MAX - 1);
                break;
            }
            if (used > 0 && vlen > 0)
                value[used++] = ' ';
            memcpy(value + used, v, vlen);
            used += vlen;
            value[used] = '\0';
            if (more) {
                if (!next_line(p, &ln)) {
                    st = baton_error_set(err, BATON_ERR_PARSE,
                                         "%s:%u: value of '%s' ends in '\\' (continued) but "
                                         "the file ends",
                                         name, lineno, key);
                    break;
                }
                p = ln.next;
                lineno++;
                if (ln.len > BATON_INI_LINE_MAX) {
                    st = baton_error_set(err, BATON_ERR_PARSE,
                                         "%s:%u: line too long (%zu characters, at most %d)",
                                         name, lineno, ln.len, BATON_INI_LINE_MAX);
                    break;
                }
                v = ln.start;
                vlen = ln.len;
                trim(&v, &vlen);
            }
        } while (more);
        if (st != BATON_OK)
            break;
        value[used] = '\0';

        baton_ini_event ev = {BATON_INI_KEY, key_line, section, key, value};
        st = handler(&ev, ctx, err);
    }

    if (lines)
        *lines = lineno;
    return st;
}
