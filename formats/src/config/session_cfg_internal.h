/*
 * session_cfg_internal.h -- private: the pieces of the session-file reader
 * (session_cfg.c) shared with the group parsers (session_groups_cfg.c) and
 * the slice-and-view reader (slice_view_cfg.c).  Messages: "session:
 * FILE:LINE: FIELD ..." (fib__cfg_err).
 */
#ifndef FIB_FORMATS_SESSION_CFG_INTERNAL_H
#define FIB_FORMATS_SESSION_CFG_INTERNAL_H

#include <libconfig.h>

#include "cfg_util.h"
#include "fib/planner.h"

/* Parse context: the file name for messages and the error sink, and the
 * materials database. */
typedef struct fib__scfg_ctx {
    fib__cfg_ctx cfg;
    const fib_plan_materials *db;
} fib__scfg_ctx;

/* Read @p text (named @p name) or the file @p path into @p cfg (initialised
 * here; the caller destroys it) after fib__cfg_precheck. */
fib_status fib__scfg_load(config_t *cfg, const char *path, const char *text,
                          const char *name, fib_error *err);
/* Replace the ion list by the species named in @p spec (comma list),
 * keeping the file's settings for species it already lists. */
fib_status fib__scfg_apply_ion_override(fib__scfg_ctx *c, const char *spec,
                                        fib_plan_ion_setup *ions,
                                        size_t *n_ions);
/* Material @p name (density 0 = the database's) must resolve. */
fib_status fib__scfg_check_material(fib__scfg_ctx *c, const config_setting_t *s,
                                    const char *field, const char *name,
                                    double density);
/* Current @p pA within the column's range. */
fib_status fib__scfg_check_current(fib__scfg_ctx *c, const config_setting_t *s,
                                   const char *field,
                                   const fib_plan_column *col, double pA);

/* The groups of a session file into @p r. */
fib_status fib__scfg_parse_sample(fib__scfg_ctx *c, const config_setting_t *g,
                                  fib_plan_request *r);
fib_status fib__scfg_parse_temperature(fib__scfg_ctx *c,
                                       const config_setting_t *g,
                                       fib_plan_request *r);
fib_status fib__scfg_parse_instrument(fib__scfg_ctx *c,
                                      const config_setting_t *g,
                                      fib_plan_request *r);
fib_status fib__scfg_parse_site(fib__scfg_ctx *c, const config_setting_t *g,
                                fib_plan_request *r);
fib_status fib__scfg_parse_protect(fib__scfg_ctx *c, const config_setting_t *g,
                                   fib_plan_request *r);
fib_status fib__scfg_parse_overheads(fib__scfg_ctx *c,
                                     const config_setting_t *g,
                                     fib_plan_request *r);

#endif
