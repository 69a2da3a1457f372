/*
 * fib/session_sites_cfg.h -- read the multi-site part of a session file
 * (libconfig): `sites`, `workflow`, `phases` and `success_rate` (see
 * examples/session-reference.cfg, section "Sessions with several sites").
 *
 * The single-site part of the same file is read by fib_fmt_session_read()
 * (fib/session_cfg.h); this reader takes its result as the base request.
 * Errors are one line naming the file, the line, the field and the limit:
 *   "session: s.cfg:12: sites[1].name 'A' repeats sites[0]".
 * Thread-safety: reentrant.
 */
#ifndef FIB_SESSION_SITES_CFG_H
#define FIB_SESSION_SITES_CFG_H

#include <stdbool.h>

#include "fib/common.h"
#include "fib/session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest |x_um|, |y_um| of a site: +-50 mm of stage travel [U]. */
#define FIB_SESSION_CFG_MAX_POS_UM 50000.0

/**
 * Read `sites`, `workflow`, `phases` and `success_rate` of the session file
 * @p path into @p out, which is first initialised from @p base
 * (fib_session_request_init).  *@p has_sites is true when the file has a
 * `sites` list (a file without one is a single-site session; @p out then
 * holds one site named "A" at 0, 0).  Errors: FIB_ENOTFOUND / FIB_EIO,
 * FIB_EFORMAT (syntax), FIB_EINVAL (file, line, field and limit named).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_session_cfg_read_sites(
    const char *path, const fib_plan_request *base, fib_session_request *out,
    bool *has_sites, fib_error *err);

/** The same from text in memory; @p name is used in messages. */
FIB_API FIB_NODISCARD fib_status fib_fmt_session_cfg_parse_sites(
    const char *text, const char *name, const fib_plan_request *base,
    fib_session_request *out, bool *has_sites, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_SESSION_SITES_CFG_H */
