/*
 * fib/fib.h -- every public header of cryofib in one include (as <vips/
 * vips.h>, <curl/curl.h> or <gsl/gsl_*.h> collections do), in the module
 * order the build checks (core <- draw, geometry, planner, recon,
 * analysis <- formats <- pipeline).  It lives in pipeline/ because only
 * pipeline sees every module.  Programs may include single headers
 * instead; each header is self-contained.
 *
 *   #include <fib/fib.h>   with  find_package(cryofib CONFIG) and
 *                          target_link_libraries(app cryofib::cryofib),
 *                          or pkg-config --cflags --libs --static cryofib
 */
#ifndef FIB_FIB_H
#define FIB_FIB_H

/* core: status and errors, images and volumes, checked arithmetic,
 * progress, parameter tables */
#include "fib/checked.h"
#include "fib/comm.h"
#include "fib/common.h"
#include "fib/image.h"
#include "fib/params.h"
#include "fib/progress.h"
#include "fib/threads.h"

/* draw: canvas, plots, font */
#include "fib/canvas.h"
#include "fib/plot.h"

/* geometry: lamella, trench and pattern geometry */
#include "fib/geometry.h"

/* planner: ion-solid physics, session plans */
#include "fib/physics.h"
#include "fib/planner.h"
#include "fib/session.h"

/* recon: stack alignment, artifact correction, phantoms, digital twin */
#include "fib/correct.h"
#include "fib/phantom.h"
#include "fib/recon.h"
#include "fib/simulate.h"

/* analysis: segmentation, measurement, meshes */
#include "fib/classify.h"
#include "fib/features.h"
#include "fib/measure.h"
#include "fib/mesh.h"
#include "fib/segment.h"

/* formats: every byte that crosses a file */
#include "fib/formats.h"
#include "fib/series_reader.h"
#include "fib/materials_cfg.h"
#include "fib/mesh_io.h"
#include "fib/pattern_export.h"
#include "fib/picture.h"
#include "fib/recon_cfg.h"
#include "fib/report.h"
#include "fib/session_cfg.h"
#include "fib/session_sites_cfg.h"
#include "fib/txn.h"
#include "fib/vendor_out.h"

/* pipeline: whole workflows, files in, files out */
#include "fib/job.h"
#include "fib/job_correct.h"
#include "fib/job_demo.h"
#include "fib/job_mpi.h"
#include "fib/job_formats.h"
#include "fib/job_measure.h"
#include "fib/job_paths.h"
#include "fib/job_physics.h"
#include "fib/job_plan.h"
#include "fib/job_recon.h"
#include "fib/job_segment.h"
#include "fib/job_simulate.h"

#endif /* FIB_FIB_H */
