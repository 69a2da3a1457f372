/*
 * fib/recon_cfg.h -- read a `cryofib recon` run file (libconfig syntax).
 *
 * Keys (all optional except input and out; examples/recon-phantom.cfg):
 *   input = "slices/";            folder, glob or list file
 *   out = "recon-out";            output folder
 *   pixel_size_nm = 5.0;          or [5.0, 5.0] (x, y)
 *   slice_nm = 10.0;
 *   tilt_deg = 52.0;              angle between the beams; 0 = unknown
 *   tilt_corrected = false;       instrument already stretched y
 *   receding_face = false;
 *   crop_valid = true;            crop to the region every slice covers
 *                                 (default true; false = full frame)
 *   roi = [x, y, w, h];  fiducial = [x, y, w, h];
 *   neighbours = 3;  upsample = 20;  detrend = false;  isotropic = false;
 *   taper = 0.0;                  Tukey taper in (0, 1]; 0 = none
 *                                 (periodic-plus-smooth transform)
 *   format = "mrc";               "mrc", "tif", "nrrd" or "zarr"
 *   memory = "1G";  threads = 0;  skip_bad = false;  cache = false;
 *   channels = ( { name = "bse"; input = "bse/"; } );
 *   correct = { destripe = true; background = "poly"; normalize = true;
 *               denoise = "median"; };
 *   (correct.destripe_method = "vsnr" | "wavelet" | "wedge" | "robust"
 *   turns destriping on with that method; destripe = true alone uses
 *   the wavelet-FFT filter)
 * Relative paths are taken from the folder of the run file.  Unknown keys
 * are errors naming the file and line.
 *
 * Thread-safety: reentrant.
 */
#ifndef FIB_RECON_CFG_H
#define FIB_RECON_CFG_H

#include "fib/common.h"
#include "fib/params.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { FIB_RECON_CFG_MAX_CHANNELS = 8 };

/** Where the face depth of each slice comes from (recon `z_positions`). */
typedef enum fib_fmt_recon_z {
    FIB_FMT_RECON_Z_AUTO = 0, /**< the file names when every one has z= */
    FIB_FMT_RECON_Z_NAMES,    /**< the file names (an error without) */
    FIB_FMT_RECON_Z_NOMINAL   /**< slice i at i x slice_nm */
} fib_fmt_recon_z;

/** Volume format of a recon run (the file extension is its name). */
typedef enum fib_fmt_recon_format {
    FIB_FMT_RECON_MRC,
    FIB_FMT_RECON_TIF,
    FIB_FMT_RECON_NRRD,
    FIB_FMT_RECON_ZARR
} fib_fmt_recon_format;

/** A parsed run file (or the command's options).  Strings are malloc'ed;
 *  free with fib_fmt_recon_cfg_free().  The fields of the parameter
 *  tables below start at the tables' defaults (fib_params_defaults():
 *  neighbours 3, upsample 20, lengths and threads 0 = from the metadata /
 *  automatic, tilt_corrected -1 = the metadata's flag); crop_valid -1 =
 *  not given (on). */
typedef struct fib_fmt_recon_cfg {
    char *input, *out;
    char *z_csv;             /**< slice depths, one per slice (CSV), or NULL */
    double pixel_size_nm[2]; /**< 0 = not given */
    double slice_nm, tilt_deg;
    int tilt_corrected; /**< -1 not given, 0, 1 */
    bool receding_face, detrend, isotropic, skip_bad, cache;
    bool has_roi, has_fiducial;
    int crop_valid; /**< -1 not given (= on), 0, 1 */
    size_t roi[4], fiducial[4];
    size_t neighbours;
    unsigned upsample;
    double taper;        /**< Tukey taper fraction; 0 = none */
    int format;          /**< fib_fmt_recon_format (default mrc) */
    int zarr_compressor; /**< FIB_ZARR_* of fib/formats.h (default zlib) */
    int z_positions;     /**< fib_fmt_recon_z: where slice depths come from */
    size_t memory_bytes;
    int threads;
    size_t n_channels;
    char *channel_name[FIB_RECON_CFG_MAX_CHANNELS];
    char *channel_input[FIB_RECON_CFG_MAX_CHANNELS];
    bool destripe, normalize;
    int background;          /**< fib_recon_background_method (0 = off) */
    int denoise;             /**< fib_recon_denoise_method (0 = off) */
    char destripe_method[8]; /**< "" = not given (the default method),
                                  "vsnr", "wavelet", "wedge", "robust";
                                  given = destripe on */
    int model;           /**< fib_recon_model: TRANSLATION (0), RIGID, ... */
    double model_lambda; /**< regularized-affine weight; 0 = 0.1 */
    /* command-line only (not run-file keys) */
    bool keep_type;  /**< write the source pixel type, not 32-bit float */
    int dark_clip;   /**< fib_recon_dark_clip: AUTO (0), ON, OFF */
    bool tilt_given; /**< tilt_deg was given (0 included: no stretch) */
} fib_fmt_recon_cfg;

/**
 * Read @p path into @p out (zeroed first).  Errors: FIB_ENOTFOUND /
 * FIB_EIO (cannot read), FIB_EFORMAT (syntax, with libconfig's line),
 * FIB_EINVAL (a bad or unknown key; file, line and key named).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_recon_cfg_read(const char *path,
                                                        fib_fmt_recon_cfg *out,
                                                        fib_error *err);

/**
 * The parameter table of a recon run (fib/params.h): the one description
 * of every numeric and true/false key -- its range, default, unit and
 * help -- used by the reader above (the keys without FIB_PARAM_NO_FILE),
 * by `cryofib recon`'s options and --help, and by fib_job_recon().  The
 * engine checks the same ranges on its own struct (fib_recon_create()).
 * Paths, rectangles, channels, the memory budget, the volume format, the
 * tri-state flags and the correction words are read by name.
 */
FIB_API const fib_param_table *fib_fmt_recon_cfg_params(void);

/** The correction steps of a run (destripe, background, normalize,
 *  denoise): the keys of the run file's correct = { } group and the
 *  command's options of the same names. */
FIB_API const fib_param_table *fib_fmt_recon_cfg_correct_params(void);

/** Free the strings of @p cfg and zero it. */
FIB_API void fib_fmt_recon_cfg_free(fib_fmt_recon_cfg *cfg);

#ifdef __cplusplus
}
#endif

#endif /* FIB_RECON_CFG_H */
