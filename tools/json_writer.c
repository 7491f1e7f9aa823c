/* json_writer.c - a small streaming JSON writer for the tools' --json output. */
#include "json_writer.h"

#include <math.h>

void json_init(json_writer *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->need_comma[0] = false;
    w->after_key = false;
}

static void before_value(json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->need_comma[w->depth])
        fputc(',', w->f);
    w->need_comma[w->depth] = true;
}

static void open(json_writer *w, char c)
{
    before_value(w);
    fputc(c, w->f);
    if (w->depth < 31)
        w->depth++;
    w->need_comma[w->depth] = false;
}

static void close_(json_writer *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    fputc(c, w->f);
    if (w->depth == 0)
        fputc('\n', w->f);
}

void json_begin_object(json_writer *w) { open(w, '{'); }
void json_end_object(json_writer *w) { close_(w, '}'); }
void json_begin_array(json_writer *w) { open(w, '['); }
void json_end_array(json_writer *w) { close_(w, ']'); }

static void raw_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void json_key(json_writer *w, const char *key)
{
    before_value(w);
    raw_string(w->f, key);
    fputc(':', w->f);
    w->after_key = true;
}

void json_string(json_writer *w, const char *s) { before_value(w); raw_string(w->f, s ? s : ""); }
void json_int(json_writer *w, int64_t v) { before_value(w); fprintf(w->f, "%lld", (long long)v); }
void json_uint(json_writer *w, uint64_t v) { before_value(w); fprintf(w->f, "%llu", (unsigned long long)v); }
void json_bool(json_writer *w, bool v) { before_value(w); fputs(v ? "true" : "false", w->f); }
void json_null(json_writer *w) { before_value(w); fputs("null", w->f); }

void json_double(json_writer *w, double v)
{
    before_value(w);
    if (isfinite(v))
        fprintf(w->f, "%.6g", v);
    else
        fputs("null", w->f);
}

void json_kv_string(json_writer *w, const char *k, const char *v) { json_key(w, k); json_string(w, v); }
void json_kv_int(json_writer *w, const char *k, int64_t v) { json_key(w, k); json_int(w, v); }
void json_kv_uint(json_writer *w, const char *k, uint64_t v) { json_key(w, k); json_uint(w, v); }
void json_kv_double(json_writer *w, const char *k, double v) { json_key(w, k); json_double(w, v); }
void json_kv_bool(json_writer *w, const char *k, bool v) { json_key(w, k); json_bool(w, v); }
