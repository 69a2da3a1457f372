/*
 * cmd_correct.c -- `cryofib correct IN OUT`: FIB-SEM artifact correction
 * (curtaining, shading/charging, slice intensity drift, noise) on a single
 * image, a slice series or a volume; output format by OUT's extension.
 *
 * Steps run in the fixed order of fib/correct.h: destripe -> background ->
 * normalize -> denoise (2D); --denoise median3d runs after the per-slice
 * steps on a slab of three corrected slices (edges mirrored in z).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fib/correct.h"
#include "fib/formats.h"

static void usage(void)
{
    printf(
        "usage: cryofib correct IN OUT [options]\n\n"
        "Correct FIB-SEM artifacts.  IN is an image (PNG/TIFF/MRC/NRRD), a "
        "volume\n(multi-page TIFF, MRC, NRRD) or a slice series (a folder of "
        ".tif/.tiff/.png\nfiles, a quoted glob pattern or a .txt/.lst list of "
        "paths).\nOUT is an image or volume file (format by extension: .png "
        ".tif .tiff .mrc\n.map .rec .nrrd) or, for a series, an existing "
        "folder (slices keep their\nnames).  Steps run in this order: "
        "destripe, background, normalize, denoise.\n\n"
        "Curtaining:\n"
        "  --destripe             default method: vsnr (wavelet when a "
        "wavelet option\n"
        "                         below is given, wedge with --wedge-deg)\n"
        "  --destripe-method M    vsnr: variational stationary noise remover "
        "(Fehrenbach\n"
        "                         et al. 2012; TV of the image + Gaussian "
        "stripe prior)\n"
        "                         wavelet: wavelet-FFT filter (Muench et al. "
        "2009)\n"
        "                         robust: wavelet-median variant; wedge: FFT "
        "wedge\n"
        "  --robust, --wedge      same as --destripe-method robust / wedge\n"
        "  --vsnr-sigma-across-px S  vsnr filter width across (default 0.5)\n"
        "  --vsnr-sigma-along-px S   vsnr filter length along (default 100)\n"
        "  --vsnr-weight K        vsnr prior weight, larger removes less "
        "(default 2)\n"
        "  --vsnr-iterations N    vsnr ADMM iterations (default 30)\n"
        "  --vsnr-white F         add a white-noise filter of relative "
        "variance F\n"
        "  --destripe-sigma S     damping width, frequency index (default 2)\n"
        "  --destripe-levels L    wavelet levels 1..10 (default 4)\n"
        "  --wavelet NAME         haar, db1..db10, sym2..sym10, coif1..coif5 "
        "(db5)\n"
        "  --stripe-angle-deg A   stripe direction from vertical, "
        "counter-clockwise\n"
        "  --wedge-deg D          wedge half angle (default 1)\n"
        "Shading/charging:\n"
        "  --background poly|gauss  polynomial surface or large Gaussian\n"
        "  --poly-order N         1..4 (default 2)\n"
        "  --background-sigma S   Gaussian background sigma, px (min side/8)\n"
        "  --divide               divide by the background (default "
        "subtract)\n"
        "Slice intensity:\n"
        "  --normalize            match mean/std to a running reference\n"
        "  --quantiles            match the 2 %% / 98 %% quantiles instead\n"
        "  --ema-slices N         reference memory in slices (default 50; "
        "inf = slice 0)\n"
        "Noise:\n"
        "  --denoise median|median3d|gauss|diffusion|nlm\n"
        "  --radius R             median radius (default 1: 3x3)\n"
        "  --sigma S              Gaussian sigma, px (default 1)\n"
        "  --kappa K              diffusion edge threshold, grey levels "
        "(default auto)\n"
        "  --iterations N         diffusion steps (default 10)\n"
        "  --nlm-h H              non-local means strength, grey levels "
        "(default 0.8 x noise sd)\n"
        "  --patch-radius P       NLM patch radius (default 3: 7x7)\n"
        "  --search-radius S      NLM search radius (default 10: 21x21)\n"
        "Output:\n"
        "  --out-type same|u8|u16|f32  pixel type written (default same as "
        "input)\n"
        "  --quiet                no progress bar\n");
}

enum {
    OPT_DESTRIPE = 256,
    OPT_ROBUST,
    OPT_WEDGE,
    OPT_DSIGMA,
    OPT_DLEVELS,
    OPT_WAVELET,
    OPT_ANGLE,
    OPT_WEDGE_DEG,
    OPT_BACKGROUND,
    OPT_POLY_ORDER,
    OPT_BG_SIGMA,
    OPT_DIVIDE,
    OPT_NORMALIZE,
    OPT_QUANTILES,
    OPT_EMA,
    OPT_DENOISE,
    OPT_RADIUS,
    OPT_SIGMA,
    OPT_KAPPA,
    OPT_ITER,
    OPT_NLM_H,
    OPT_PATCH,
    OPT_SEARCH,
    OPT_OUT_TYPE,
    OPT_QUIET,
    OPT_DMETHOD,
    OPT_VSNR_ACROSS,
    OPT_VSNR_ALONG,
    OPT_VSNR_WEIGHT,
    OPT_VSNR_ITER,
    OPT_VSNR_WHITE
};

typedef struct job {
    fib_recon_correct *ctx;
    bool median3d;
    unsigned radius3d;
    int out_type; /* -1 = same as input */
    fib_progress prog;
    /* median3d delay line: the last three corrected f32 slices */
    fib_image ring[3];
    size_t have;
} job;

static bool parse_uint(const char *opt, const char *text, unsigned lo,
                       unsigned hi, unsigned *out)
{
    double v;
    if (!cli_parse_double("correct", opt, text, &v))
        return false;
    if (!(v >= lo && v <= hi) || v != (double)(unsigned)v) {
        cli_usage_error("correct", "%s must be an integer in %u..%u (got %s)",
                        opt, lo, hi, text);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Convert an f32 result to the output type (clamped, rounded). */
static fib_status to_out(const job *j, const fib_image *f, fib_pixel_type in,
                         fib_image *out, fib_error *err)
{
    fib_pixel_type t = j->out_type < 0 ? in : (fib_pixel_type)j->out_type;
    return fib_image_convert(f, t, out, err);
}

typedef struct sink {
    /* exactly one of: writer (volume file), dir (series into a folder),
     * single (one image file) */
    fib_fmt_volume_writer *writer;
    const char *dir;
    const char *single;
    char **names;   /* series base names */
    size_t written; /* dir: slices 0..written-1 are written */
} sink;

/* The output path of series slice @p index in folder @p s->dir. */
static void dir_path(const sink *s, size_t index, char *path, size_t size)
{
    const char *base = strrchr(s->names[index], '/');
    base = base ? base + 1 : s->names[index];
    snprintf(path, size, "%s/%s", s->dir, base);
}

static fib_status emit(job *j, sink *s, size_t index, const fib_image *f32,
                       fib_pixel_type in_type, fib_error *err)
{
    fib_image o;
    fib_status st = to_out(j, f32, in_type, &o, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_write_opts wo;
    memset(&wo, 0, sizeof wo);
    if (s->writer) {
        st = fib_fmt_volume_writer_append(s->writer, &o, err);
    } else if (s->dir) {
        char path[4096];
        dir_path(s, index, path, sizeof path);
        st = fib_fmt_image_write(path, &o, &wo, err);
        if (st == FIB_OK)
            s->written = index + 1;
    } else {
        st = fib_fmt_image_write(s->single, &o, &wo, err);
    }
    fib_image_clear(&o);
    return st;
}

/* Feed one corrected slice; with median3d the output lags one slice. */
static fib_status push(job *j, sink *s, size_t index, fib_image *f32,
                       fib_pixel_type in_type, bool last, fib_error *err)
{
    fib_status st;
    if (!j->median3d)
        return emit(j, s, index, f32, in_type, err);
    /* ring: [0] = k-1, [1] = k, [2] = k+1 */
    fib_image_clear(&j->ring[0]);
    j->ring[0] = j->ring[1];
    j->ring[1] = j->ring[2];
    j->ring[2] = *f32;
    memset(f32, 0, sizeof *f32); /* ownership moved into the ring */
    j->have++;
    fib_image out;
    if (j->have >= 2) {
        /* slice index - 1 has both neighbours now (mirror at z = 0) */
        const fib_image *below = j->have == 2 ? &j->ring[2] : &j->ring[0];
        st = fib_recon_median3d(below, &j->ring[1], &j->ring[2], j->radius3d,
                                &out, err);
        if (st != FIB_OK)
            return st;
        st = emit(j, s, index - 1, &out, in_type, err);
        fib_image_clear(&out);
        if (st != FIB_OK)
            return st;
    }
    if (last) {
        /* final slice: mirror at the end (or a single slice alone) */
        const fib_image *below = j->have >= 2 ? &j->ring[1] : &j->ring[2];
        st = fib_recon_median3d(below, &j->ring[2], below, j->radius3d, &out,
                                err);
        if (st != FIB_OK)
            return st;
        st = emit(j, s, index, &out, in_type, err);
        fib_image_clear(&out);
        if (st != FIB_OK)
            return st;
    }
    return FIB_OK;
}

/* @p in_type: the pixel type "same" means (the first slice's for a
 * series, so that a volume writer gets one type throughout). */
static fib_status one_slice(job *j, sink *s, size_t index, size_t n,
                            const fib_image *src, fib_pixel_type in_type,
                            fib_error *err)
{
    fib_image f;
    fib_status st = fib_image_convert(src, FIB_PX_F32, &f, err);
    if (st != FIB_OK)
        return st;
    st = fib_recon_correct_slice(j->ctx, index, &f, err);
    if (st == FIB_OK)
        st = push(j, s, index, &f, in_type, index + 1 == n, err);
    fib_image_clear(&f);
    if (st == FIB_OK)
        st = fib_progress_report(&j->prog, "correct", index + 1, n, err);
    return st;
}

int cli_cmd_correct(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"destripe", no_argument, 0, OPT_DESTRIPE},
        {"robust", no_argument, 0, OPT_ROBUST},
        {"wedge", no_argument, 0, OPT_WEDGE},
        {"destripe-method", required_argument, 0, OPT_DMETHOD},
        {"vsnr-sigma-across-px", required_argument, 0, OPT_VSNR_ACROSS},
        {"vsnr-sigma-along-px", required_argument, 0, OPT_VSNR_ALONG},
        {"vsnr-weight", required_argument, 0, OPT_VSNR_WEIGHT},
        {"vsnr-iterations", required_argument, 0, OPT_VSNR_ITER},
        {"vsnr-white", required_argument, 0, OPT_VSNR_WHITE},
        {"destripe-sigma", required_argument, 0, OPT_DSIGMA},
        {"destripe-levels", required_argument, 0, OPT_DLEVELS},
        {"wavelet", required_argument, 0, OPT_WAVELET},
        {"stripe-angle-deg", required_argument, 0, OPT_ANGLE},
        {"wedge-deg", required_argument, 0, OPT_WEDGE_DEG},
        {"background", required_argument, 0, OPT_BACKGROUND},
        {"poly-order", required_argument, 0, OPT_POLY_ORDER},
        {"background-sigma", required_argument, 0, OPT_BG_SIGMA},
        {"divide", no_argument, 0, OPT_DIVIDE},
        {"normalize", no_argument, 0, OPT_NORMALIZE},
        {"quantiles", no_argument, 0, OPT_QUANTILES},
        {"ema-slices", required_argument, 0, OPT_EMA},
        {"denoise", required_argument, 0, OPT_DENOISE},
        {"radius", required_argument, 0, OPT_RADIUS},
        {"sigma", required_argument, 0, OPT_SIGMA},
        {"kappa", required_argument, 0, OPT_KAPPA},
        {"iterations", required_argument, 0, OPT_ITER},
        {"nlm-h", required_argument, 0, OPT_NLM_H},
        {"patch-radius", required_argument, 0, OPT_PATCH},
        {"search-radius", required_argument, 0, OPT_SEARCH},
        {"out-type", required_argument, 0, OPT_OUT_TYPE},
        {"quiet", no_argument, 0, OPT_QUIET},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_recon_correct_params cp;
    memset(&cp, 0, sizeof cp);
    job j;
    memset(&j, 0, sizeof j);
    j.out_type = -1;
    bool quiet = false;
    unsigned radius = 0;
    /* destripe: a plain --destripe takes the method its options name */
    bool ds_plain = false, ds_explicit = false;
    const char *wav_opt = NULL, *vsnr_opt = NULL, *wedge_opt = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DESTRIPE:
            ds_plain = true;
            break;
        case OPT_DMETHOD:
            if (!fib_recon_destripe_method_parse(optarg, &cp.destripe.method))
                return cli_usage_error("correct",
                                       "--destripe-method must be one of "
                                       "%s (got '%.40s')",
                                       FIB_DESTRIPE_CHOICES, optarg);
            ds_explicit = true;
            break;
        case OPT_VSNR_ACROSS:
            vsnr_opt = "--vsnr-sigma-across-px";
            if (!cli_parse_double("correct", "--vsnr-sigma-across-px", optarg,
                                  &cp.destripe.vsnr_sigma_across_px))
                return CLI_EXIT_USAGE;
            break;
        case OPT_VSNR_ALONG:
            vsnr_opt = "--vsnr-sigma-along-px";
            if (!cli_parse_double("correct", "--vsnr-sigma-along-px", optarg,
                                  &cp.destripe.vsnr_sigma_along_px))
                return CLI_EXIT_USAGE;
            break;
        case OPT_VSNR_WEIGHT:
            vsnr_opt = "--vsnr-weight";
            if (!cli_parse_double("correct", "--vsnr-weight", optarg,
                                  &cp.destripe.vsnr_weight))
                return CLI_EXIT_USAGE;
            break;
        case OPT_VSNR_WHITE:
            vsnr_opt = "--vsnr-white";
            if (!cli_parse_double("correct", "--vsnr-white", optarg,
                                  &cp.destripe.vsnr_white))
                return CLI_EXIT_USAGE;
            break;
        case OPT_VSNR_ITER:
            vsnr_opt = "--vsnr-iterations";
            if (!parse_uint("--vsnr-iterations", optarg, 1, 10000,
                            &cp.destripe.vsnr_iterations))
                return CLI_EXIT_USAGE;
            break;
        case OPT_ROBUST:
            cp.destripe.method = FIB_DESTRIPE_WAVELET_MEDIAN;
            ds_explicit = true;
            break;
        case OPT_WEDGE:
            cp.destripe.method = FIB_DESTRIPE_WEDGE;
            ds_explicit = true;
            break;
        case OPT_DSIGMA:
            wav_opt = "--destripe-sigma";
            if (!cli_parse_double("correct", "--destripe-sigma", optarg,
                                  &cp.destripe.sigma))
                return CLI_EXIT_USAGE;
            break;
        case OPT_DLEVELS:
            wav_opt = "--destripe-levels";
            if (!parse_uint("--destripe-levels", optarg, 1, 10,
                            &cp.destripe.levels))
                return CLI_EXIT_USAGE;
            break;
        case OPT_WAVELET:
            wav_opt = "--wavelet";
            cp.destripe.wavelet = optarg;
            break;
        case OPT_ANGLE:
            if (!cli_parse_double("correct", "--stripe-angle-deg", optarg,
                                  &cp.destripe.stripe_angle_deg))
                return CLI_EXIT_USAGE;
            break;
        case OPT_WEDGE_DEG:
            wedge_opt = "--wedge-deg";
            if (!cli_parse_double("correct", "--wedge-deg", optarg,
                                  &cp.destripe.wedge_half_angle_deg))
                return CLI_EXIT_USAGE;
            break;
        case OPT_BACKGROUND:
            if (strcmp(optarg, "poly") == 0)
                cp.background.method = FIB_BACKGROUND_POLY;
            else if (strcmp(optarg, "gauss") == 0)
                cp.background.method = FIB_BACKGROUND_GAUSS;
            else
                return cli_usage_error("correct",
                                       "--background expects poly or gauss "
                                       "(got '%s')",
                                       optarg);
            break;
        case OPT_POLY_ORDER:
            if (!parse_uint("--poly-order", optarg, 1, 4,
                            &cp.background.poly_order))
                return CLI_EXIT_USAGE;
            break;
        case OPT_BG_SIGMA:
            if (!cli_parse_double("correct", "--background-sigma", optarg,
                                  &cp.background.gauss_sigma_px))
                return CLI_EXIT_USAGE;
            break;
        case OPT_DIVIDE:
            cp.background.divide = true;
            break;
        case OPT_NORMALIZE:
            cp.normalize.enabled = true;
            break;
        case OPT_QUANTILES:
            cp.normalize.enabled = true;
            cp.normalize.use_quantiles = true;
            break;
        case OPT_EMA:
            if (strcmp(optarg, "inf") == 0)
                cp.normalize.ema_slices = INFINITY;
            else if (!cli_parse_double("correct", "--ema-slices", optarg,
                                       &cp.normalize.ema_slices))
                return CLI_EXIT_USAGE;
            break;
        case OPT_DENOISE:
            if (strcmp(optarg, "median") == 0)
                cp.denoise.method = FIB_DENOISE_MEDIAN;
            else if (strcmp(optarg, "median3d") == 0)
                j.median3d = true;
            else if (strcmp(optarg, "gauss") == 0)
                cp.denoise.method = FIB_DENOISE_GAUSS;
            else if (strcmp(optarg, "diffusion") == 0)
                cp.denoise.method = FIB_DENOISE_DIFFUSION;
            else if (strcmp(optarg, "nlm") == 0)
                cp.denoise.method = FIB_DENOISE_NLM;
            else
                return cli_usage_error("correct",
                                       "--denoise expects median, median3d, "
                                       "gauss, diffusion or nlm (got '%s')",
                                       optarg);
            break;
        case OPT_RADIUS:
            if (!parse_uint("--radius", optarg, 1, 64, &radius))
                return CLI_EXIT_USAGE;
            break;
        case OPT_SIGMA:
            if (!cli_parse_double("correct", "--sigma", optarg,
                                  &cp.denoise.sigma_px))
                return CLI_EXIT_USAGE;
            break;
        case OPT_KAPPA:
            if (!cli_parse_double("correct", "--kappa", optarg,
                                  &cp.denoise.kappa))
                return CLI_EXIT_USAGE;
            break;
        case OPT_ITER:
            if (!parse_uint("--iterations", optarg, 1, 100000,
                            &cp.denoise.iterations))
                return CLI_EXIT_USAGE;
            break;
        case OPT_NLM_H:
            if (!cli_parse_double("correct", "--nlm-h", optarg,
                                  &cp.denoise.nlm_h))
                return CLI_EXIT_USAGE;
            break;
        case OPT_PATCH:
            if (!parse_uint("--patch-radius", optarg, 1, 16,
                            &cp.denoise.patch_radius))
                return CLI_EXIT_USAGE;
            break;
        case OPT_SEARCH:
            if (!parse_uint("--search-radius", optarg, 1, 50,
                            &cp.denoise.search_radius))
                return CLI_EXIT_USAGE;
            break;
        case OPT_OUT_TYPE:
            if (strcmp(optarg, "same") == 0)
                j.out_type = -1;
            else if (strcmp(optarg, "u8") == 0)
                j.out_type = FIB_PX_U8;
            else if (strcmp(optarg, "u16") == 0)
                j.out_type = FIB_PX_U16;
            else if (strcmp(optarg, "f32") == 0)
                j.out_type = FIB_PX_F32;
            else
                return cli_usage_error("correct",
                                       "--out-type expects same, u8, u16 or "
                                       "f32 (got '%s')",
                                       optarg);
            break;
        case OPT_QUIET:
            quiet = true;
            break;
        default:
            return cli_usage_error(
                "correct", "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        }
    }
    if (optind != argc - 2)
        return cli_usage_error("correct", "expected IN and OUT (see --help)");
    const char *in = argv[optind], *out = argv[optind + 1];
    if (ds_plain && !ds_explicit) {
        if (wav_opt && (vsnr_opt || wedge_opt))
            return cli_usage_error("correct",
                                   "%s and %s belong to different destripe "
                                   "methods",
                                   wav_opt, vsnr_opt ? vsnr_opt : wedge_opt);
        if (vsnr_opt && wedge_opt)
            return cli_usage_error("correct",
                                   "%s and %s belong to different destripe "
                                   "methods",
                                   vsnr_opt, wedge_opt);
        cp.destripe.method = wav_opt     ? FIB_DESTRIPE_WAVELET_FFT
                             : wedge_opt ? FIB_DESTRIPE_WEDGE
                                         : FIB_DESTRIPE_DEFAULT;
    }
    {
        const fib_recon_destripe_method m = cp.destripe.method;
        const char *o = NULL;
        if (m == FIB_DESTRIPE_NONE)
            o = wav_opt ? wav_opt : vsnr_opt ? vsnr_opt : wedge_opt;
        else if (wav_opt && m != FIB_DESTRIPE_WAVELET_FFT &&
                 m != FIB_DESTRIPE_WAVELET_MEDIAN)
            o = wav_opt;
        else if (vsnr_opt && m != FIB_DESTRIPE_VSNR)
            o = vsnr_opt;
        else if (wedge_opt && m != FIB_DESTRIPE_WEDGE)
            o = wedge_opt;
        if (o && m == FIB_DESTRIPE_NONE)
            return cli_usage_error(
                "correct", "%s needs --destripe or --destripe-method", o);
        if (o)
            return cli_usage_error("correct",
                                   "%s does not apply to destripe method %s", o,
                                   fib_recon_destripe_method_name(m));
    }
    cp.denoise.radius = radius;
    j.radius3d = radius;

    fib_error err = {0};
    fib_status st = fib_recon_correct_create(&cp, &j.ctx, &err);
    if (st != FIB_OK)
        return cli_fail("correct", st, &err);
    if (!fib_recon_correct_any(j.ctx) && !j.median3d) {
        fib_recon_correct_destroy(j.ctx);
        return cli_usage_error("correct",
                               "no step chosen (use --destripe, --robust, "
                               "--wedge, --background, --normalize or "
                               "--denoise)");
    }
    cli_progress_state ps;
    j.prog = cli_progress_make(&ps, quiet);
    sink s;
    memset(&s, 0, sizeof s);
    fib_fmt_txn *txn = NULL; /* the output transaction (fib/txn.h) */
    char **paths = NULL;
    size_t inlen = strlen(in);
    bool series = is_dir(in) || strpbrk(in, "*?[") != NULL ||
                  (inlen > 4 && (strcasecmp(in + inlen - 4, ".txt") == 0 ||
                                 strcasecmp(in + inlen - 4, ".lst") == 0));
    fib_volume vol;
    memset(&vol, 0, sizeof vol);
    fib_fmt_read_opts ro;
    memset(&ro, 0, sizeof ro);
    fib_fmt_write_opts wo;
    memset(&wo, 0, sizeof wo);
    size_t n = 0;
    fib_pixel_type first_type = FIB_PX_U8;
    int rc = CLI_EXIT_OK;
    bool out_dir = is_dir(out);
    if (!out_dir && fib_fmt_kind_from_path(out) == FIB_FMT_UNKNOWN) {
        rc = cli_usage_error("correct",
                             "%s: unknown output extension (use .png, .tif, "
                             ".tiff, .mrc, .map, .rec or .nrrd, or a folder "
                             "for a series)",
                             out);
        goto done;
    }
    if (j.out_type == FIB_PX_F32 && !out_dir &&
        fib_fmt_kind_from_path(out) == FIB_FMT_PNG) {
        rc = cli_usage_error("correct", "%s: PNG cannot hold f32 pixels", out);
        goto done;
    }
    if (series) {
        st = fib_fmt_series_list(in, &paths, &n, &err);
        if (st != FIB_OK)
            goto fail;
        fib_image first;
        st = fib_fmt_image_read(paths[0], &ro, &first, NULL, &err);
        if (st != FIB_OK)
            goto fail;
        first_type = first.type;
        /* slices keep their names in a folder output: none may be an
         * input slice, nor may a volume output */
        for (size_t k = 0; k < n; k++) {
            const char *base = strrchr(paths[k], '/');
            char target[4096];
            snprintf(target, sizeof target, "%s/%s", out,
                     base ? base + 1 : paths[k]);
            if (cli_output_is_input("correct", out_dir ? target : out,
                                    paths[k])) {
                fib_image_clear(&first);
                rc = CLI_EXIT_USAGE;
                goto done;
            }
        }
        /* nor the list file of a list input */
        if (!out_dir && cli_check_not_input("correct", NULL, out,
                                            (const char *const[]){in}, 1)) {
            fib_image_clear(&first);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (out_dir) {
            /* the folder's previous result (its manifest) is replaced as a
             * whole; other files stay */
            st = cli_txn_folder(&txn, out, NULL, 0, &s.dir, &err);
            s.names = paths;
        } else {
            fib_pixel_type t =
                j.out_type < 0 ? first.type : (fib_pixel_type)j.out_type;
            const char *staged = NULL;
            st = cli_txn_file(&txn, out, &staged, &err);
            if (st == FIB_OK)
                st = fib_fmt_volume_writer_create(
                    staged, t, first.width, first.height, n,
                    (const double[3]){first.pixel_size_nm[0],
                                      first.pixel_size_nm[1], 0},
                    &wo, &s.writer, &err);
        }
        fib_image_clear(&first);
        if (st != FIB_OK)
            goto fail;
        for (size_t k = 0; k < n && st == FIB_OK; k++) {
            fib_image im;
            st = fib_fmt_image_read(paths[k], &ro, &im, NULL, &err);
            if (st != FIB_OK) {
                if (!strstr(err.msg, paths[k])) /* readers name the file */
                    fib_error_prefix(&err, "%s: ", paths[k]);
                break;
            }
            st = one_slice(&j, &s, k, n, &im, first_type, &err);
            fib_image_clear(&im);
        }
    } else {
        cli_inputs ins = {0};
        cli_inputs_add(&ins, in);
        if (cli_check_not_input("correct", NULL, out, ins.p, ins.n)) {
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        st = fib_fmt_volume_read(in, &ro, &vol, NULL, &err);
        if (st != FIB_OK)
            goto fail;
        n = vol.nz;
        if (out_dir) {
            rc = cli_usage_error("correct",
                                 "%s: a folder output needs a slice series "
                                 "input",
                                 out);
            goto done;
        }
        const char *staged = NULL;
        st = cli_txn_file(&txn, out, &staged, &err);
        if (st != FIB_OK)
            goto fail;
        if (n == 1) {
            s.single = staged;
        } else {
            fib_pixel_type t =
                j.out_type < 0 ? vol.type : (fib_pixel_type)j.out_type;
            st = fib_fmt_volume_writer_create(staged, t, vol.nx, vol.ny, n,
                                              vol.voxel_size_nm, &wo, &s.writer,
                                              &err);
            if (st != FIB_OK)
                goto fail;
        }
        for (size_t k = 0; k < n && st == FIB_OK; k++) {
            fib_image sl = fib_volume_slice(&vol, k);
            st = one_slice(&j, &s, k, n, &sl, vol.type, &err);
        }
    }
    if (st == FIB_OK && s.writer)
        st = fib_fmt_volume_writer_finish(s.writer, &err);
    if (st != FIB_OK)
        goto fail;
    cli_progress_done(&ps);
    /* the writer is closed before the commit moves its file */
    fib_fmt_volume_writer_destroy(s.writer);
    s.writer = NULL;
    rc = cli_txn_finish("correct", txn, CLI_EXIT_OK);
    txn = NULL;
    if (rc == CLI_EXIT_OK)
        printf("wrote %s (%zu slice%s)\n", out, n, n == 1 ? "" : "s");
    goto done;
fail:
    cli_progress_done(&ps);
    fib_fmt_txn_explain(txn, &err); /* name the outputs, not the stage */
    rc = cli_fail("correct", st, &err);
done:
    /* no partial output (Ctrl-C, a bad slice): the staged files go */
    fib_fmt_volume_writer_destroy(s.writer);
    fib_fmt_txn_abort(txn);
    for (int i = 0; i < 3; i++)
        fib_image_clear(&j.ring[i]);
    fib_volume_clear(&vol);
    fib_fmt_series_free(paths, n);
    fib_recon_correct_destroy(j.ctx);
    return rc;
}
