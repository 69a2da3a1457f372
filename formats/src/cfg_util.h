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

/* libconfig 1.5 opens an `@include "X"` target with fopen and reads it
 * through flex, which on a read error prints "input in flex scanner
 * failed" and exits the process (a folder: EISDIR); a device or FIFO
 * (/dev/zero, /dev/stdin) never ends or blocks.  This scans the @include
 * lines of @p text (or of file @p path when @p text is NULL), and of the
 * files they include (10 levels, libconfig's limit), the way libconfig's
 * scanner matches them (a line starting with `@include "`; targets are
 * relative to the working folder, as libconfig takes them) and refuses
 * an existing target that is not a regular file: FIB_EINVAL
 * "MODULE: FILE:LINE: @include "X" is not a regular file".  A missing
 * target is left to libconfig's own error.  @p name: @p text's name in
 * messages. */
fib_status fib__cfg_check_includes(const char *module, const char *name,
                                   const char *path, const char *text,
                                   fib_error *err);

#endif
