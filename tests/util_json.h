/* util_json.h - a small strict JSON parser for the suites (RFC 8259
 * grammar; no library needed). It parses a whole document into a tree of
 * nodes the caller walks by index; strings keep their escapes as written. */
#ifndef BATON_UTIL_JSON_H
#define BATON_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
} json_type;

#define JSON_NONE (-1)

typedef struct json_node {
    json_type type;
    const char *text; /* string: its characters (NUL-terminated); number: its digits */
    size_t len;
    const char *key; /* member name (NUL-terminated) when the parent is an object */
    int child, next; /* first element or member, next sibling; JSON_NONE at the end */
} json_node;

typedef struct json_doc {
    char *buf; /* a copy of the text; strings are terminated in place */
    json_node *nodes;
    size_t count, cap;
    char error[160]; /* why parsing failed, with the byte offset */
} json_doc;

/* Parse len bytes of text. Returns true on success (the root is node 0);
 * false with doc->error set otherwise. Free with json_free either way. */
bool json_parse(json_doc *doc, const char *text, size_t len);
void json_free(json_doc *doc);

/* Member key of object node obj, or JSON_NONE. */
int json_get(const json_doc *doc, int obj, const char *key);

/* The string at member key of obj, or NULL if absent or not a string. */
const char *json_get_str(const json_doc *doc, int obj, const char *key);

/* The unsigned integer at member key of obj into *out (digits only);
 * false if absent, not a number or not a plain integer. */
bool json_get_u64(const json_doc *doc, int obj, const char *key, uint64_t *out);

/* A number written as microseconds with up to 3 decimals ("12.345", "7"),
 * as exact nanoseconds; false otherwise. */
bool json_get_us_as_ns(const json_doc *doc, int obj, const char *key, uint64_t *out);

#endif
