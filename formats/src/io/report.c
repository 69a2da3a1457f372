/* report.c -- JSON and CSV report writers (RFC 8259, RFC 4180). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "fib/report.h"
#include "strbuf.h"

enum { JSON_MAX_DEPTH = 64 };

struct fib_fmt_json {
    fib__strbuf buf;
    int indent;
    int depth;
    char kind[JSON_MAX_DEPTH]; /* 'o' object, 'a' array */
    size_t count[JSON_MAX_DEPTH];
    bool have_key;
    bool misuse;
    bool done;
};

fib_status fib_fmt_json_create(int indent, fib_fmt_json **out, fib_error *err)
{
    *out = NULL;
    fib_fmt_json *j = calloc(1, sizeof *j);
    if (!j)
        return fib_error_set(err, FIB_ENOMEM, "json: out of memory");
    fib__strbuf_init(&j->buf);
    j->indent = indent < 0 ? 0 : (indent > 8 ? 8 : indent);
    *out = j;
    return FIB_OK;
}

void fib_fmt_json_destroy(fib_fmt_json *j)
{
    if (!j)
        return;
    fib__strbuf_clear(&j->buf);
    free(j);
}

static void newline(fib_fmt_json *j)
{
    if (!j->indent)
        return;
    fib__strbuf_putc(&j->buf, '\n');
    for (int i = 0; i < j->depth * j->indent; i++)
        fib__strbuf_putc(&j->buf, ' ');
}

/* Called before every value: separators, key discipline. */
static void before_value(fib_fmt_json *j)
{
    if (j->done) {
        j->misuse = true;
        return;
    }
    if (j->depth == 0)
        return;
    const int d = j->depth - 1;
    if (j->kind[d] == 'o') {
        if (!j->have_key)
            j->misuse = true;
        j->have_key = false;
        return;
    }
    if (j->count[d]++ > 0)
        fib__strbuf_putc(&j->buf, ',');
    newline(j);
}

static void after_value(fib_fmt_json *j)
{
    if (j->depth == 0 && !j->done) {
        j->done = true;
        fib__strbuf_putc(&j->buf, '\n');
    }
}

static void put_string(fib__strbuf *b, const char *s)
{
    fib__strbuf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fib__strbuf_puts(b, "\\\"");
            break;
        case '\\':
            fib__strbuf_puts(b, "\\\\");
            break;
        case '\n':
            fib__strbuf_puts(b, "\\n");
            break;
        case '\r':
            fib__strbuf_puts(b, "\\r");
            break;
        case '\t':
            fib__strbuf_puts(b, "\\t");
            break;
        default:
            if (*p < 0x20)
                fib__strbuf_printf(b, "\\u%04x", *p);
            else if (*p >= 0x80) {
                /* Vendor metadata is Latin-1 (Zeiss writes the micro sign
                 * as byte 0xB5); re-encode as UTF-8 unless it already is
                 * a valid two-byte UTF-8 sequence. */
                if (*p >= 0xC2 && *p <= 0xDF && (p[1] & 0xC0) == 0x80) {
                    fib__strbuf_append(b, (const char *)p, 2);
                    p++;
                } else {
                    fib__strbuf_putc(b, (char)(0xC0 | (*p >> 6)));
                    fib__strbuf_putc(b, (char)(0x80 | (*p & 0x3F)));
                }
            } else
                fib__strbuf_putc(b, (char)*p);
        }
    }
    fib__strbuf_putc(b, '"');
}

static void open_container(fib_fmt_json *j, char kind)
{
    before_value(j);
    if (j->depth >= JSON_MAX_DEPTH) {
        j->misuse = true;
        return;
    }
    fib__strbuf_putc(&j->buf, kind == 'o' ? '{' : '[');
    j->kind[j->depth] = kind;
    j->count[j->depth] = 0;
    j->depth++;
}

static void close_container(fib_fmt_json *j, char kind)
{
    if (j->depth == 0 || j->kind[j->depth - 1] != kind || j->have_key) {
        j->misuse = true;
        return;
    }
    const size_t n = j->count[j->depth - 1];
    j->depth--;
    if (n)
        newline(j);
    fib__strbuf_putc(&j->buf, kind == 'o' ? '}' : ']');
    after_value(j);
}

void fib_fmt_json_begin_object(fib_fmt_json *j)
{
    open_container(j, 'o');
}
void fib_fmt_json_end_object(fib_fmt_json *j)
{
    close_container(j, 'o');
}
void fib_fmt_json_begin_array(fib_fmt_json *j)
{
    open_container(j, 'a');
}
void fib_fmt_json_end_array(fib_fmt_json *j)
{
    close_container(j, 'a');
}

void fib_fmt_json_key(fib_fmt_json *j, const char *key)
{
    if (j->depth == 0 || j->kind[j->depth - 1] != 'o' || j->have_key) {
        j->misuse = true;
        return;
    }
    if (j->count[j->depth - 1]++ > 0)
        fib__strbuf_putc(&j->buf, ',');
    newline(j);
    put_string(&j->buf, key ? key : "");
    fib__strbuf_puts(&j->buf, j->indent ? ": " : ":");
    j->have_key = true;
}

void fib_fmt_json_string(fib_fmt_json *j, const char *s)
{
    before_value(j);
    if (s)
        put_string(&j->buf, s);
    else
        fib__strbuf_puts(&j->buf, "null");
    after_value(j);
}

void fib_fmt_json_number(fib_fmt_json *j, double v)
{
    before_value(j);
    if (!isfinite(v))
        fib__strbuf_puts(&j->buf, "null");
    else if (v == floor(v) && fabs(v) < 1e15)
        fib__strbuf_printf(&j->buf, "%.0f", v);
    else
        fib__strbuf_printf(&j->buf, "%.10g", v);
    after_value(j);
}

void fib_fmt_json_int(fib_fmt_json *j, long long v)
{
    before_value(j);
    fib__strbuf_printf(&j->buf, "%lld", v);
    after_value(j);
}

void fib_fmt_json_bool(fib_fmt_json *j, bool v)
{
    before_value(j);
    fib__strbuf_puts(&j->buf, v ? "true" : "false");
    after_value(j);
}

void fib_fmt_json_null(fib_fmt_json *j)
{
    before_value(j);
    fib__strbuf_puts(&j->buf, "null");
    after_value(j);
}

void fib_fmt_json_kv_string(fib_fmt_json *j, const char *key, const char *s)
{
    fib_fmt_json_key(j, key);
    fib_fmt_json_string(j, s);
}

void fib_fmt_json_kv_number(fib_fmt_json *j, const char *key, double v)
{
    fib_fmt_json_key(j, key);
    fib_fmt_json_number(j, v);
}

void fib_fmt_json_kv_int(fib_fmt_json *j, const char *key, long long v)
{
    fib_fmt_json_key(j, key);
    fib_fmt_json_int(j, v);
}

void fib_fmt_json_kv_bool(fib_fmt_json *j, const char *key, bool v)
{
    fib_fmt_json_key(j, key);
    fib_fmt_json_bool(j, v);
}

fib_status fib_fmt_json_text(const fib_fmt_json *j, const char **text_out,
                             fib_error *err)
{
    *text_out = NULL;
    if (j->buf.failed)
        return fib_error_set(err, FIB_ENOMEM, "json: out of memory");
    if (j->misuse || j->depth != 0 || !j->done)
        return fib_error_set(err, FIB_EINVAL,
                             "json: document is unbalanced or misused");
    *text_out = j->buf.data;
    return FIB_OK;
}

fib_status fib_fmt_json_write(const fib_fmt_json *j, const char *path,
                              fib_error *err)
{
    const char *text = NULL;
    const fib_status st = fib_fmt_json_text(j, &text, err);
    if (st != FIB_OK)
        return st;
    return fib_fmt_write_file_atomic(path, text, strlen(text), err);
}

struct fib_fmt_csv {
    fib__strbuf buf;
    size_t fields_in_row;
};

fib_status fib_fmt_csv_create(fib_fmt_csv **out, fib_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return fib_error_set(err, FIB_ENOMEM, "csv: out of memory");
    return FIB_OK;
}

void fib_fmt_csv_destroy(fib_fmt_csv *c)
{
    if (!c)
        return;
    fib__strbuf_clear(&c->buf);
    free(c);
}

void fib_fmt_csv_field(fib_fmt_csv *c, const char *s)
{
    if (c->fields_in_row++ > 0)
        fib__strbuf_putc(&c->buf, ',');
    if (!s)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fib__strbuf_puts(&c->buf, s);
        return;
    }
    fib__strbuf_putc(&c->buf, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fib__strbuf_putc(&c->buf, '"');
        fib__strbuf_putc(&c->buf, *p);
    }
    fib__strbuf_putc(&c->buf, '"');
}

void fib_fmt_csv_number(fib_fmt_csv *c, double v)
{
    char tmp[64];
    if (isnan(v))
        (void)snprintf(tmp, sizeof tmp, "nan");
    else if (isinf(v))
        (void)snprintf(tmp, sizeof tmp, v > 0 ? "inf" : "-inf");
    else
        (void)snprintf(tmp, sizeof tmp, "%.10g", v);
    fib_fmt_csv_field(c, tmp);
}

void fib_fmt_csv_int(fib_fmt_csv *c, long long v)
{
    char tmp[32];
    (void)snprintf(tmp, sizeof tmp, "%lld", v);
    fib_fmt_csv_field(c, tmp);
}

void fib_fmt_csv_end_row(fib_fmt_csv *c)
{
    fib__strbuf_putc(&c->buf, '\n');
    c->fields_in_row = 0;
}

fib_status fib_fmt_csv_text(const fib_fmt_csv *c, const char **text_out,
                            fib_error *err)
{
    *text_out = NULL;
    if (c->buf.failed)
        return fib_error_set(err, FIB_ENOMEM, "csv: out of memory");
    *text_out = c->buf.data ? c->buf.data : "";
    return FIB_OK;
}

fib_status fib_fmt_csv_write(const fib_fmt_csv *c, const char *path,
                             fib_error *err)
{
    const char *text = NULL;
    const fib_status st = fib_fmt_csv_text(c, &text, err);
    if (st != FIB_OK)
        return st;
    return fib_fmt_write_file_atomic(path, text, strlen(text), err);
}

fib_status fib_fmt_write_file_atomic(const char *path, const void *data,
                                     size_t n, fib_error *err)
{
    fib__atomic_file af;
    fib_status st = fib__atomic_begin(path, &af, err);
    if (st != FIB_OK)
        return st;
    if (n && fwrite(data, 1, n, af.fp) != n) {
        fib__atomic_abort(&af);
        return fib_error_set(err, FIB_EIO, "%s: write failed", path);
    }
    return fib__atomic_commit(&af, err);
}
