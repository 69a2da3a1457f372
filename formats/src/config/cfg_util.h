/*
 * cfg_util.h -- private: libconfig helpers shared by the run-file and
 * session-file readers (recon_cfg.c, session_cfg.c, session_sites_cfg.c,
 * materials_cfg.c).
 */
#ifndef FIB_FORMATS_CFG_UTIL_H
#define FIB_FORMATS_CFG_UTIL_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "fib/common.h"

/* true for an int, int64 or float setting (a number the user typed) */
bool fib__cfg_is_number(const config_setting_t *s);

/* the value of a number setting as a double (fib__cfg_is_number first) */
double fib__cfg_number(const config_setting_t *s);

/* FIB_EINVAL "session: FILE:LINE: FIELD MESSAGE" (no line when @p s is
 * NULL or has none): every session-file error names the file, the line and
 * the field. */
FIB_PRINTF(5, 6)
fib_status fib__cfg_session_error(fib_error *err, const char *file,
                                  const config_setting_t *s, const char *field,
                                  const char *fmt, ...);

/* Where a session-file reader reports: the file name for messages and the
 * error sink. */
typedef struct fib__cfg_ctx {
    const char *file;
    fib_error *err;
} fib__cfg_ctx;

/* fib__cfg_session_error() with the context's file and error sink. */
FIB_PRINTF(4, 5)
fib_status fib__cfg_err(const fib__cfg_ctx *c, const config_setting_t *s,
                        const char *field, const char *fmt, ...);

/* "prefix.key" ("key" when @p prefix is empty) into @p buf. */
void fib__cfg_field(char *buf, size_t n, const char *prefix, const char *key);

/* Reject the keys of group @p g that are not in the NULL-terminated
 * @p allowed list ("FIELD is not a known key (see
 * examples/session-reference.cfg)"). */
fib_status fib__cfg_check_keys(const fib__cfg_ctx *c, const config_setting_t *g,
                               const char *prefix, const char *const *allowed);

/* Optional number @p key of @p g: *s_out the setting (NULL when absent)
 * and its field name in @p f; an error with @p not_number when it is not
 * a number. */
fib_status fib__cfg_num_member(const fib__cfg_ctx *c, const config_setting_t *g,
                               const char *prefix, const char *key,
                               const char *not_number,
                               const config_setting_t **s_out, char *f,
                               size_t fn);

/* Optional finite number @p key of @p g in [lo, hi] (lo_open: > lo) into
 * *out (untouched when absent); errors name the field and the limit. */
fib_status fib__cfg_get_num(const fib__cfg_ctx *c, const config_setting_t *g,
                            const char *prefix, const char *key, double lo,
                            bool lo_open, double hi, double *out);

/* Sign rules of fib__cfg_get_signed(). */
enum { FIB__CFG_ANY = 0, FIB__CFG_POS, FIB__CFG_NONNEG };

/* Optional members of a session-file group: each leaves *out untouched
 * when @p key is absent and names "prefix.key" in its errors. */
/* Number with a sign rule and an upper limit (hi <= 0: none). */
fib_status fib__cfg_get_signed(const fib__cfg_ctx *c, const config_setting_t *g,
                               const char *prefix, const char *key, double *out,
                               int rule, double hi);
/* Whole count in lo..hi: a non-integer value (2.5 steps) is an error, not
 * truncated. */
fib_status fib__cfg_get_count(const fib__cfg_ctx *c, const config_setting_t *g,
                              const char *prefix, const char *key, int *out,
                              int lo, int hi);
/* Duration in 0..hi that may be 0 (none): the request keeps 0 for "the
 * default", so an explicit 0 is stored as -1 (fib_plan_overheads). */
fib_status fib__cfg_get_duration(const fib__cfg_ctx *c,
                                 const config_setting_t *g, const char *prefix,
                                 const char *key, double *out, double hi);
fib_status fib__cfg_get_bool(const fib__cfg_ctx *c, const config_setting_t *g,
                             const char *prefix, const char *key, bool *out);
/* String of at most size - 1 characters into @p buf; *s_out = the setting
 * (NULL if absent; may be NULL). */
fib_status fib__cfg_get_str(const fib__cfg_ctx *c, const config_setting_t *g,
                            const char *prefix, const char *key, char *buf,
                            size_t size, const config_setting_t **s_out);
/* Array of numbers (> 0) into out[cap]; *n and *given (may be NULL) set
 * when present. */
fib_status fib__cfg_get_num_array(const fib__cfg_ctx *c,
                                  const config_setting_t *g, const char *prefix,
                                  const char *key, double *out, size_t cap,
                                  size_t *n, bool *given);
/* Group @p key of @p g (NULL when absent or, with *st set, not a group). */
const config_setting_t *fib__cfg_get_group(const fib__cfg_ctx *c,
                                           const config_setting_t *g,
                                           const char *key, fib_status *st);

/* Return from the calling function when @p x is not FIB_OK. */
#define FIB__CFG_TRY(x)                                                        \
    do {                                                                       \
        fib_status st_ = (x);                                                  \
        if (st_ != FIB_OK)                                                     \
            return st_;                                                        \
    } while (0)

/* Largest configuration file or text handed to libconfig, bytes. */
#define FIB__CFG_MAX_BYTES (1024u * 1024u)

/* Check a configuration file @p path (or @p text named @p name) before
 * libconfig reads it: at most FIB__CFG_MAX_BYTES, and every @include names
 * a regular file passing the same checks (libconfig 1.5 exits the process
 * on a folder).  FIB_EINVAL / FIB_ENOTFOUND / FIB_ERANGE "MODULE:
 * FILE:LINE: @include NAME: why", one line. */
fib_status fib__cfg_precheck(const char *module, const char *path,
                             const char *text, const char *name,
                             fib_error *err);

#endif
