/*
 * cfg_util.h -- private: libconfig helpers shared by the run-file and
 * session-file readers (recon_cfg.c, session_cfg.c, session_sites_cfg.c).
 */
#ifndef FIB_FORMATS_CFG_UTIL_H
#define FIB_FORMATS_CFG_UTIL_H

#include <libconfig.h>
#include <stdbool.h>

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
