/*
 * fib/params.h -- one parameter table per engine.
 *
 * An engine's parameters are described once, as a table of fib_param rows
 * (key, type, offset in the parameter struct, range, default, unit, help),
 * in the style of libvips' VIPS_ARG_* class arguments and curl's option
 * table.  Everything else is derived from the table: the defaults, the
 * range checks (the only place a range is written), the run-file reader
 * (formats/ looks every key up in the libconfig file), the command line
 * (`--key-with-dashes VALUE`), the --help text and the parameter echo in
 * report.json.
 *
 * Contract of a table: each row's field lies at @c offset in the caller's
 * struct and has the C type of its fib_param_type (below); numbers outside
 * [min, max] are refused (with FIB_PARAM_ZERO_AUTO, 0 is also accepted and
 * means "automatic / from the data").  Error messages name the key, the
 * limit with its unit and the value given, in one line:
 *   "slice_nm must be 0.01..1e+06 nm (got -3)".
 */
#ifndef FIB_PARAMS_H
#define FIB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** C type of a parameter's field. */
typedef enum fib_param_type {
    FIB_PARAM_BOOL,   /**< bool; text true/false, yes/no, on/off, 1/0 */
    FIB_PARAM_INT,    /**< int */
    FIB_PARAM_SIZE,   /**< size_t */
    FIB_PARAM_DOUBLE, /**< double */
    FIB_PARAM_DLIST,  /**< double[size]; text "a,b,..." -- fewer values than
                           size repeat the last one ("10" -> 10,10) */
    FIB_PARAM_ENUM,   /**< an enum stored as int; text one of choices[] */
    FIB_PARAM_STRING  /**< char[size], NUL-terminated */
} fib_param_type;

/** Row flags. */
enum {
    FIB_PARAM_ZERO_AUTO = 1u << 0, /**< 0 is accepted outside [min, max] and
                                        means automatic / from the data */
    FIB_PARAM_NO_CLI = 1u << 1,    /**< run file and report only */
    FIB_PARAM_NO_FILE = 1u << 2    /**< command line only */
};

/** One parameter. */
typedef struct fib_param {
    const char *key; /**< run-file key, e.g. "slice_nm"; the option is
                          "--slice-nm" */
    fib_param_type type;
    size_t offset;        /**< offsetof(struct, field) */
    size_t size;          /**< FIB_PARAM_DLIST: element count; FIB_PARAM_STRING:
                               buffer size; otherwise 0 */
    double min, max;      /**< inclusive range of numbers (every element of a
                               list) */
    double def;           /**< default: number, bool (0/1), enum value */
    const char *def_text; /**< FIB_PARAM_STRING default (NULL = "") */
    const char *unit;     /**< "nm", "px", "deg", "" */
    const char *help;     /**< one line, no trailing period */
    const char *const *choices; /**< FIB_PARAM_ENUM: NULL-terminated names */
    const int *values; /**< FIB_PARAM_ENUM: value of each choice (NULL: the
                            index) */
    unsigned flags;    /**< FIB_PARAM_* flags */
} fib_param;

/** An engine's table: its name (for messages) and its rows. */
typedef struct fib_param_table {
    const char *engine;
    const fib_param *rows;
    size_t n;
} fib_param_table;

/** Set every field of @p obj to its row's default. */
FIB_API void fib_params_defaults(const fib_param_table *t, void *obj);

/** The row of @p key ('-' and '_' are the same; a leading "--" is
 *  skipped), or NULL. */
FIB_API const fib_param *fib_params_find(const fib_param_table *t,
                                         const char *key);

/**
 * Parse @p text for the row @p p and store it in @p obj after the range
 * check.  FIB_PARAM_BOOL accepts NULL or "" as true (a bare flag).
 * Errors: FIB_EINVAL ("KEY: cannot parse 'TEXT' as a number", "KEY must
 * be one of a|b|c (got 'TEXT')"), FIB_ERANGE ("KEY must be MIN..MAX UNIT
 * (got V)").  @p obj is unchanged on error.
 */
FIB_API FIB_NODISCARD fib_status fib_params_parse(const fib_param *p, void *obj,
                                                  const char *text,
                                                  fib_error *err);

/** Store the number @p v (bool: v != 0; enum: the value) after the range
 *  check; FIB_PARAM_DLIST sets every element.  Errors as
 *  fib_params_parse(). */
FIB_API FIB_NODISCARD fib_status fib_params_set_number(const fib_param *p,
                                                       void *obj, double v,
                                                       fib_error *err);

/** Store @p n values into a FIB_PARAM_DLIST (fewer than size repeat the
 *  last) after the range check. */
FIB_API FIB_NODISCARD fib_status fib_params_set_list(const fib_param *p,
                                                     void *obj, const double *v,
                                                     size_t n, fib_error *err);

/** Range-check every row of @p obj (for structs filled in C).  Errors:
 *  the first row out of range, as fib_params_parse(). */
FIB_API FIB_NODISCARD fib_status fib_params_check(const fib_param_table *t,
                                                  const void *obj,
                                                  fib_error *err);

/** The number in @p obj for row @p p (bool 0/1, enum value, first list
 *  element; NaN for a string). */
FIB_API double fib_params_number(const fib_param *p, const void *obj);

/** The value of row @p p in @p obj as text ("%.10g" numbers, "a,b" lists,
 *  true/false, enum names, strings) into @p buf; returns @p buf. */
FIB_API const char *fib_params_text(const fib_param *p, const void *obj,
                                    char *buf, size_t n);

/** One --help line for row @p p into @p buf, e.g.
 *  "  --slice-nm X          slice thickness (nm; 0.01..1e+06)"; returns
 *  @p buf. */
FIB_API const char *fib_params_help_line(const fib_param *p, char *buf,
                                         size_t n);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PARAMS_H */
