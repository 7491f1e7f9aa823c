/* json_writer.h - a small streaming JSON writer for the tools' --json output. */
#ifndef BATON_JSON_WRITER_H
#define BATON_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct json_writer {
    FILE *f;
    int depth;
    bool need_comma[32];
    bool after_key;
} json_writer;

void json_init(json_writer *w, FILE *f);
void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s);
void json_int(json_writer *w, int64_t v);
void json_uint(json_writer *w, uint64_t v);
void json_double(json_writer *w, double v);
void json_bool(json_writer *w, bool v);
void json_null(json_writer *w);

/* key + value shorthands */
void json_kv_string(json_writer *w, const char *k, const char *v);
void json_kv_int(json_writer *w, const char *k, int64_t v);
void json_kv_uint(json_writer *w, const char *k, uint64_t v);
void json_kv_double(json_writer *w, const char *k, double v);
void json_kv_bool(json_writer *w, const char *k, bool v);

#endif
