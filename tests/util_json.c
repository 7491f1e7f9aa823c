/* util_json.c - a small strict JSON parser for the suites. See util_json.h. */
#include "util_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser {
    json_doc *doc;
    size_t len, pos;
} parser;

__attribute__((format(printf, 2, 3)))
static int fail(parser *p, const char *fmt, ...)
{
    if (p->doc->error[0])
        return JSON_NONE;
    char what[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->doc->error, sizeof p->doc->error, "%s at byte %zu", what, p->pos);
    return JSON_NONE;
}

static char peek(const parser *p)
{
    return p->pos < p->len ? p->doc->buf[p->pos] : '\0';
}

static void skip_space(parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->doc->buf[p->pos]) && p->doc->buf[p->pos])
        p->pos++;
}

static int new_node(parser *p, json_type type)
{
    json_doc *d = p->doc;
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 256;
        json_node *n = realloc(d->nodes, cap * sizeof *n);
        if (!n)
            return fail(p, "out of memory");
        d->nodes = n;
        d->cap = cap;
    }
    json_node *n = &d->nodes[d->count];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->child = n->next = JSON_NONE;
    n->text = d->buf + p->pos;
    return (int)d->count++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string at p->pos (the opening quote); terminated in place. */
static int parse_string(parser *p, const char **out, size_t *len)
{
    size_t start = ++p->pos;
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->doc->buf[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, "control character 0x%02x in a string", c);
        if (c == '\\') {
            char e = p->pos + 1 < p->len ? p->doc->buf[p->pos + 1] : '\0';
            if (e == 'u') {
                for (size_t k = 2; k < 6; k++) {
                    if (p->pos + k >= p->len || !is_hex(p->doc->buf[p->pos + k]))
                        return fail(p, "bad \\u escape");
                }
                p->pos += 4;
            } else if (!e || !strchr("\"\\/bfnrt", e)) {
                return fail(p, "bad escape");
            }
            p->pos++;
        }
        p->pos++;
    }
    *out = p->doc->buf + start;
    *len = p->pos - start;
    p->doc->buf[p->pos++] = '\0';
    return 0;
}

static size_t digits(parser *p)
{
    size_t n = 0;
    while (peek(p) >= '0' && peek(p) <= '9') {
        p->pos++;
        n++;
    }
    return n;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(parser *p)
{
    int i = new_node(p, JSON_NUMBER);
    size_t start = p->pos;
    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0')
        p->pos++;
    else if (digits(p) == 0)
        return fail(p, "bad number");
    if (peek(p) == '.') {
        p->pos++;
        if (digits(p) == 0)
            return fail(p, "no digits after the decimal point");
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (digits(p) == 0)
            return fail(p, "no digits in the exponent");
    }
    if (i != JSON_NONE)
        p->doc->nodes[i].len = p->pos - start;
    return i;
}

static int parse_literal(parser *p)
{
    static const struct { const char *word; json_type type; } lits[] = {
        {"true", JSON_TRUE}, {"false", JSON_FALSE}, {"null", JSON_NULL}};
    for (size_t k = 0; k < sizeof lits / sizeof lits[0]; k++) {
        size_t n = strlen(lits[k].word);
        if (p->len - p->pos >= n && memcmp(p->doc->buf + p->pos, lits[k].word, n) == 0) {
            int i = new_node(p, lits[k].type);
            p->pos += n;
            return i;
        }
    }
    return fail(p, "unexpected character '%c'", peek(p));
}

static int parse_value(parser *p, int depth);

static void append_child(json_doc *d, int parent, int *last, int child)
{
    if (*last == JSON_NONE)
        d->nodes[parent].child = child;
    else
        d->nodes[*last].next = child;
    *last = child;
}

/* An object or array at p->pos; close is '}' or ']'. */
static int parse_container(parser *p, int depth, json_type type, char close)
{
    if (depth > MAX_DEPTH)
        return fail(p, "nested deeper than %d", MAX_DEPTH);
    int self = new_node(p, type), last = JSON_NONE;
    p->pos++;
    skip_space(p);
    if (peek(p) == close) {
        p->pos++;
        return self;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        skip_space(p);
        if (type == JSON_OBJECT) {
            if (peek(p) != '"' || parse_string(p, &key, &key_len) == JSON_NONE)
                return fail(p, "expected a member name");
            skip_space(p);
            if (peek(p) != ':')
                return fail(p, "expected ':'");
            p->pos++;
        }
        int child = parse_value(p, depth + 1);
        if (child == JSON_NONE || self == JSON_NONE)
            return JSON_NONE;
        p->doc->nodes[child].key = key;
        append_child(p->doc, self, &last, child);
        skip_space(p);
        if (peek(p) == close) {
            p->pos++;
            return self;
        }
        if (peek(p) != ',')
            return fail(p, "expected ',' or '%c'", close);
        p->pos++;
    }
}

static int parse_value(parser *p, int depth)
{
    skip_space(p);
    char c = peek(p);
    if (c == '{')
        return parse_container(p, depth, JSON_OBJECT, '}');
    if (c == '[')
        return parse_container(p, depth, JSON_ARRAY, ']');
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    if (c == '"') {
        int i = new_node(p, JSON_STRING);
        const char *s;
        size_t n;
        if (i == JSON_NONE || parse_string(p, &s, &n) == JSON_NONE)
            return JSON_NONE;
        p->doc->nodes[i].text = s;
        p->doc->nodes[i].len = n;
        return i;
    }
    return parse_literal(p);
}

bool json_parse(json_doc *doc, const char *text, size_t len)
{
    memset(doc, 0, sizeof *doc);
    doc->buf = malloc(len + 1);
    if (!doc->buf) {
        snprintf(doc->error, sizeof doc->error, "out of memory");
        return false;
    }
    memcpy(doc->buf, text, len);
    doc->buf[len] = '\0';
    parser p = {.doc = doc, .len = len};
    int root = parse_value(&p, 0);
    skip_space(&p);
    if (root != JSON_NONE && p.pos != len)
        fail(&p, "data after the document");
    return doc->error[0] == '\0';
}

void json_free(json_doc *doc)
{
    free(doc->buf);
    free(doc->nodes);
    memset(doc, 0, sizeof *doc);
}

int json_get(const json_doc *doc, int obj, const char *key)
{
    if (obj == JSON_NONE || doc->nodes[obj].type != JSON_OBJECT)
        return JSON_NONE;
    for (int c = doc->nodes[obj].child; c != JSON_NONE; c = doc->nodes[c].next) {
        if (strcmp(doc->nodes[c].key, key) == 0)
            return c;
    }
    return JSON_NONE;
}

const char *json_get_str(const json_doc *doc, int obj, const char *key)
{
    int i = json_get(doc, obj, key);
    return i != JSON_NONE && doc->nodes[i].type == JSON_STRING ? doc->nodes[i].text : NULL;
}

/* The number at key as text in buf; false if absent or not a number. */
static bool number_text(const json_doc *doc, int obj, const char *key, char *buf, size_t size)
{
    int i = json_get(doc, obj, key);
    if (i == JSON_NONE || doc->nodes[i].type != JSON_NUMBER || doc->nodes[i].len >= size)
        return false;
    memcpy(buf, doc->nodes[i].text, doc->nodes[i].len);
    buf[doc->nodes[i].len] = '\0';
    return true;
}

static bool parse_digits(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19)
        return false;
    for (size_t k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[k] - '0');
    }
    *out = v;
    return true;
}

bool json_get_u64(const json_doc *doc, int obj, const char *key, uint64_t *out)
{
    char buf[32];
    return number_text(doc, obj, key, buf, sizeof buf) && parse_digits(buf, strlen(buf), out);
}

bool json_get_us_as_ns(const json_doc *doc, int obj, const char *key, uint64_t *out)
{
    char buf[32];
    uint64_t us, frac = 0;
    if (!number_text(doc, obj, key, buf, sizeof buf))
        return false;
    char *dot = strchr(buf, '.');
    size_t int_len = dot ? (size_t)(dot - buf) : strlen(buf);
    if (!parse_digits(buf, int_len, &us))
        return false;
    if (dot) {
        size_t n = strlen(dot + 1);
        if (n > 3 || !parse_digits(dot + 1, n, &frac))
            return false;
        for (size_t k = n; k < 3; k++)
            frac *= 10;
    }
    *out = us * 1000u + frac;
    return true;
}
