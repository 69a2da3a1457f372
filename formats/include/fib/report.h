/*
 * fib/report.h -- JSON and CSV report writers, and atomic file output.
 *
 * Reports are built in memory (they are small) and written whole with
 * fib_fmt_write_file_atomic(): data go to "<path>.tmp-<pid>" first and are
 * renamed over <path> only when complete, so an interrupted or failed run
 * never leaves a partial output behind.
 */
#ifndef FIB_REPORT_H
#define FIB_REPORT_H

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A JSON document under construction (opaque). */
typedef struct fib_fmt_json fib_fmt_json;

/**
 * Create an empty JSON writer.  @p indent is the number of spaces per level
 * (0 = compact, one line).  Errors: FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_json_create(int indent,
                                                     fib_fmt_json **out,
                                                     fib_error *err);
/** Free a writer; NULL is a no-op. */
FIB_API void fib_fmt_json_destroy(fib_fmt_json *j);

/*
 * Builders.  Inside an object, call fib_fmt_json_key() before each value
 * (or use the *_kv shorthands).  Numbers that are NaN or infinite are
 * written as null (JSON has no such values); callers that need
 * "infinite" (a non-percolating tortuosity) write a string or null and say
 * so in their docs.  Misuse (a value without a key inside an object,
 * unbalanced ends) is recorded and reported by fib_fmt_json_text().
 */
FIB_API void fib_fmt_json_begin_object(fib_fmt_json *j);
FIB_API void fib_fmt_json_end_object(fib_fmt_json *j);
FIB_API void fib_fmt_json_begin_array(fib_fmt_json *j);
FIB_API void fib_fmt_json_end_array(fib_fmt_json *j);
FIB_API void fib_fmt_json_key(fib_fmt_json *j, const char *key);
FIB_API void fib_fmt_json_string(fib_fmt_json *j, const char *s);
FIB_API void fib_fmt_json_number(fib_fmt_json *j, double v);
FIB_API void fib_fmt_json_int(fib_fmt_json *j, long long v);
FIB_API void fib_fmt_json_bool(fib_fmt_json *j, bool v);
FIB_API void fib_fmt_json_null(fib_fmt_json *j);
FIB_API void fib_fmt_json_kv_string(fib_fmt_json *j, const char *key,
                                    const char *s);
FIB_API void fib_fmt_json_kv_number(fib_fmt_json *j, const char *key, double v);
FIB_API void fib_fmt_json_kv_int(fib_fmt_json *j, const char *key, long long v);
FIB_API void fib_fmt_json_kv_bool(fib_fmt_json *j, const char *key, bool v);

/**
 * The finished text (NUL-terminated, ends with a newline), borrowed until
 * the writer is destroyed or changed.  Errors: FIB_EINVAL when the
 * document is unbalanced or was misused, FIB_ENOMEM when a write failed.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_json_text(const fib_fmt_json *j,
                                                   const char **text_out,
                                                   fib_error *err);

/** Write the finished document to @p path atomically. */
FIB_API FIB_NODISCARD fib_status fib_fmt_json_write(const fib_fmt_json *j,
                                                    const char *path,
                                                    fib_error *err);

/** A CSV table under construction (opaque).  RFC 4180 quoting. */
typedef struct fib_fmt_csv fib_fmt_csv;

FIB_API FIB_NODISCARD fib_status fib_fmt_csv_create(fib_fmt_csv **out,
                                                    fib_error *err);
FIB_API void fib_fmt_csv_destroy(fib_fmt_csv *c);
/** Append one field to the current row. */
FIB_API void fib_fmt_csv_field(fib_fmt_csv *c, const char *s);
/** Append a number field (%.10g; NaN/Inf written as "nan"/"inf"). */
FIB_API void fib_fmt_csv_number(fib_fmt_csv *c, double v);
FIB_API void fib_fmt_csv_int(fib_fmt_csv *c, long long v);
/** End the current row. */
FIB_API void fib_fmt_csv_end_row(fib_fmt_csv *c);
/** Text so far (borrowed); FIB_ENOMEM if an append failed. */
FIB_API FIB_NODISCARD fib_status fib_fmt_csv_text(const fib_fmt_csv *c,
                                                  const char **text_out,
                                                  fib_error *err);
FIB_API FIB_NODISCARD fib_status fib_fmt_csv_write(const fib_fmt_csv *c,
                                                   const char *path,
                                                   fib_error *err);

/**
 * Write @p n bytes to @p path atomically (temporary name in the same
 * folder, fsync-free rename on success, temporary removed on failure).
 * Errors: FIB_EIO naming the path and the system error.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_write_file_atomic(const char *path,
                                                           const void *data,
                                                           size_t n,
                                                           fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_REPORT_H */
