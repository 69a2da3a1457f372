/*
 * cmd_recon.c -- `cryofib recon`: a slice series in, an aligned, geometry-
 * corrected volume out (fib/recon.h), streamed slice by slice.
 *
 * Order of work on every slice (documented in recon/README.md):
 *   read (data bar cropped by the reader) -> artifact correction
 *   (destripe -> background -> normalize -> denoise, fib/correct.h) ->
 *   alignment (pass 1) / translation + tilt stretch + resampling (pass 2)
 *   -> volume writer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fib/canvas.h"
#include "fib/checked.h"
#include "fib/correct.h"
#include "fib/formats.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "fib/recon.h"
#include "fib/recon_cfg.h"
#include "fib/report.h"

#define CMD "recon"

static void usage(void)
{
    printf(
        "usage: cryofib recon --input SRC --out DIR [options]\n"
        "       cryofib recon RECON.cfg\n\n"
        "Align a FIB-SEM slice series (folder, glob or list file of TIFF/PNG\n"
        "slices) without drift accumulation, correct the geometry and write\n"
        "DIR/volume.mrc, drift.csv, drift.png, ortho.png and report.json.\n\n"
        "  --input SRC            slice series (folder, \"glob*\", list.txt)\n"
        "  --out DIR              output folder (created)\n"
        "  --pixel-size-nm X[,Y]  override the pixel size of the metadata\n"
        "  --slice-nm Z           slice thickness\n"
        "  --tilt-deg T           angle between the electron and ion beams "
        "(52\n"
        "                         Thermo/FEI, 54 Zeiss) for SEM images of "
        "the\n"
        "                         milled face; default from the metadata: "
        "the\n"
        "                         column angle for electron images at a "
        "FIB\n"
        "                         tilt, none (no y stretch) for ion "
        "images\n"
        "  --tilt-corrected yes|no  override the metadata tilt-correction "
        "flag\n"
        "  --receding-face        add the t cos(T) per-slice y shift\n"
        "  --no-crop-valid        keep the full frame (default: crop to the "
        "region\n"
        "                         every slice covers after the shifts, so "
        "no\n"
        "                         zero-filled border reaches "
        "segmentation)\n"
        "  --crop-valid           crop to that region (the default)\n"
        "  --keep-type            write the source pixel type (default: "
        "32-bit float,\n"
        "                         so interpolated voxels are not rounded)\n"
        "  --dark-clip auto|on|off  clip each slice at its Otsu threshold "
        "for\n"
        "                         alignment only, so material seen through "
        "pores\n"
        "                         (shine-through) cannot bias the shifts; "
        "auto\n"
        "                         (default) = on for tilted views (beam "
        "angle\n"
        "                         under 90 deg), off otherwise\n"
        "  --roi x,y,w,h          crop input to this rectangle\n"
        "  --fiducial x,y,w,h     align on this rectangle only\n"
        "  --neighbours K         pairs per slice (default 3)\n"
        "  --upsample N           sub-pixel factor (default 20: 0.05 px)\n"
        "  --taper A              Tukey window taper fraction in (0, 1] "
        "(default\n"
        "                         0: no taper, periodic-plus-smooth "
        "transform)\n"
        "  --cache                keep the slices in memory between the "
        "two passes\n"
        "                         when they fit in half of --memory "
        "(compressed\n"
        "                         files: decoded once instead of twice)\n"
        "  --detrend              remove a linear drift trend (oblique "
        "content\n"
        "                         looks like drift to any image aligner)\n"
        "  --iso                  resample to isotropic voxels\n"
        "  --format mrc|tif|nrrd|zarr  volume format (default mrc; zarr:\n"
        "                         OME-Zarr folder with a pyramid)\n"
        "  --memory SIZE          memory budget (default 1G)\n"
        "  --threads N            OpenMP threads (results do not depend on "
        "it)\n"
        "  --channel NAME=SRC     another channel, same shifts (repeatable)\n"
        "  --skip-bad             leave unreadable slices out (recorded)\n"
        "  --destripe             curtaining removal (wavelet-FFT; see "
        "--destripe-method)\n"
        "  --destripe-method M    vsnr|wavelet|wedge|robust (see correct "
        "--help)\n"
        "  --background poly|gauss  shading removal\n"
        "  --normalize            slice intensity normalisation\n"
        "  --denoise median|gauss|diffusion|nlm\n"
        "  --quiet                no progress bar\n");
}

/* Curtaining method of a run (run file or options): NONE when off;
 * FIB_RECON_DESTRIPE_DEFAULT for a plain destripe = true / --destripe. */
static fib_recon_destripe_method destripe_of(const fib_fmt_recon_cfg *c)
{
    fib_recon_destripe_method m = FIB_RECON_DESTRIPE_DEFAULT;
    if (!c->destripe && !c->destripe_method[0])
        return FIB_DESTRIPE_NONE;
    if (c->destripe_method[0] &&
        !fib_recon_destripe_method_parse(c->destripe_method, &m))
        m = FIB_RECON_DESTRIPE_DEFAULT; /* not reached: names are checked */
    return m;
}

/* ---- options ---------------------------------------------------------- */

typedef struct opts {
    fib_fmt_recon_cfg c; /* the run file, or filled from the options */
    bool quiet;
    int tilt_given; /* 0 no, 1 yes */
    bool tilt_corr_given;
    bool px_given;
    bool keep_type;                /* --keep-type: source pixel type, not f32 */
    fib_recon_dark_clip dark_clip; /* --dark-clip */
    const char *run_file;          /* RUN.cfg when given, else NULL */
} opts;

static bool parse_rect(const char *opt, const char *t, size_t r[4])
{
    unsigned long v[4];
    char tail;
    /* %lu would take "-1" as ULONG_MAX */
    if (strchr(t, '-') ||
        sscanf(t, "%lu,%lu,%lu,%lu%c", &v[0], &v[1], &v[2], &v[3], &tail) !=
            4 ||
        !v[2] || !v[3]) {
        cli_usage_error(CMD, "%s expects x,y,w,h >= 0 with w, h > 0 (got '%s')",
                        opt, t);
        return false;
    }
    for (int i = 0; i < 4; i++)
        r[i] = (size_t)v[i];
    return true;
}

static char *dupstr(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "cryofib recon: out of memory\n");
        exit(CLI_EXIT_FAIL);
    }
    return d;
}

enum {
    O_INPUT = 256,
    O_OUT,
    O_PX,
    O_SLICE,
    O_TILT,
    O_TILTC,
    O_FACE,
    O_CROP,
    O_NOCROP,
    O_KEEPTYPE,
    O_DARK,
    O_ROI,
    O_FID,
    O_K,
    O_UPS,
    O_TAPER,
    O_DETREND,
    O_CACHE,
    O_ISO,
    O_FORMAT,
    O_MEM,
    O_THREADS,
    O_CHANNEL,
    O_SKIP,
    O_DESTRIPE,
    O_BG,
    O_NORM,
    O_DENOISE,
    O_QUIET,
    O_DMETHOD
};

static int parse_args(int argc, char **argv, opts *o)
{
    static const struct option lo[] = {
        {"input", required_argument, 0, O_INPUT},
        {"out", required_argument, 0, O_OUT},
        {"pixel-size-nm", required_argument, 0, O_PX},
        {"slice-nm", required_argument, 0, O_SLICE},
        {"tilt-deg", required_argument, 0, O_TILT},
        {"tilt-corrected", required_argument, 0, O_TILTC},
        {"receding-face", no_argument, 0, O_FACE},
        {"crop-valid", no_argument, 0, O_CROP},
        {"no-crop-valid", no_argument, 0, O_NOCROP},
        {"keep-type", no_argument, 0, O_KEEPTYPE},
        {"dark-clip", required_argument, 0, O_DARK},
        {"roi", required_argument, 0, O_ROI},
        {"fiducial", required_argument, 0, O_FID},
        {"neighbours", required_argument, 0, O_K},
        {"neighbors", required_argument, 0, O_K},
        {"upsample", required_argument, 0, O_UPS},
        {"taper", required_argument, 0, O_TAPER},
        {"detrend", no_argument, 0, O_DETREND},
        {"cache", no_argument, 0, O_CACHE},
        {"iso", no_argument, 0, O_ISO},
        {"format", required_argument, 0, O_FORMAT},
        {"memory", required_argument, 0, O_MEM},
        {"threads", required_argument, 0, O_THREADS},
        {"channel", required_argument, 0, O_CHANNEL},
        {"skip-bad", no_argument, 0, O_SKIP},
        {"destripe", no_argument, 0, O_DESTRIPE},
        {"destripe-method", required_argument, 0, O_DMETHOD},
        {"background", required_argument, 0, O_BG},
        {"normalize", no_argument, 0, O_NORM},
        {"denoise", required_argument, 0, O_DENOISE},
        {"quiet", no_argument, 0, O_QUIET},
        {0, 0, 0, 0}};
    fib_fmt_recon_cfg *c = &o->c;
    int ch;
    double v;
    size_t sz;
    unsigned long u;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case O_INPUT:
            free(c->input);
            c->input = dupstr(optarg);
            break;
        case O_OUT:
            free(c->out);
            c->out = dupstr(optarg);
            break;
        case O_PX: {
            double x, y;
            char tail;
            int nread = sscanf(optarg, "%lf,%lf%c", &x, &y, &tail);
            if (nread == 1)
                y = x;
            if ((nread != 1 && nread != 2) || !(x > 0) || !(y > 0) ||
                !isfinite(x) || !isfinite(y))
                return cli_usage_error(CMD,
                                       "--pixel-size-nm expects X or X,Y > 0 "
                                       "(got '%s')",
                                       optarg);
            c->pixel_size_nm[0] = x;
            c->pixel_size_nm[1] = y;
            o->px_given = true;
            break;
        }
        case O_SLICE:
            if (!cli_parse_double(CMD, "--slice-nm", optarg, &v))
                return CLI_EXIT_USAGE;
            if (!(v > 0))
                return cli_usage_error(CMD, "--slice-nm must be > 0 (got %g)",
                                       v);
            c->slice_nm = v;
            break;
        case O_TILT:
            if (!cli_parse_double(CMD, "--tilt-deg", optarg, &v))
                return CLI_EXIT_USAGE;
            if (!(v >= 0 && v <= 90))
                return cli_usage_error(
                    CMD, "--tilt-deg must be in [0, 90] (got %g)", v);
            c->tilt_deg = v;
            o->tilt_given = 1;
            break;
        case O_TILTC:
            if (!strcmp(optarg, "yes"))
                c->tilt_corrected = 1;
            else if (!strcmp(optarg, "no"))
                c->tilt_corrected = 0;
            else
                return cli_usage_error(
                    CMD, "--tilt-corrected expects yes or no (got '%s')",
                    optarg);
            o->tilt_corr_given = true;
            break;
        case O_FACE:
            c->receding_face = true;
            break;
        case O_CROP:
        case O_NOCROP:
            if (c->crop_valid >= 0 && c->crop_valid != (ch == O_CROP))
                return cli_usage_error(CMD, "--crop-valid and --no-crop-valid "
                                            "contradict each other");
            c->crop_valid = ch == O_CROP;
            break;
        case O_KEEPTYPE:
            o->keep_type = true;
            break;
        case O_DARK:
            if (!strcmp(optarg, "auto"))
                o->dark_clip = FIB_RECON_DARK_CLIP_AUTO;
            else if (!strcmp(optarg, "on"))
                o->dark_clip = FIB_RECON_DARK_CLIP_ON;
            else if (!strcmp(optarg, "off"))
                o->dark_clip = FIB_RECON_DARK_CLIP_OFF;
            else
                return cli_usage_error(
                    CMD, "--dark-clip expects auto, on or off (got '%s')",
                    optarg);
            break;
        case O_ROI:
            if (!parse_rect("--roi", optarg, c->roi))
                return CLI_EXIT_USAGE;
            c->has_roi = true;
            break;
        case O_FID:
            if (!parse_rect("--fiducial", optarg, c->fiducial))
                return CLI_EXIT_USAGE;
            c->has_fiducial = true;
            break;
        case O_K:
            if (!cli_parse_uint(CMD, "--neighbours", optarg, 1, 16, &u))
                return CLI_EXIT_USAGE;
            c->neighbours = (size_t)u;
            break;
        case O_UPS:
            if (!cli_parse_uint(CMD, "--upsample", optarg, 1, 1000, &u))
                return CLI_EXIT_USAGE;
            c->upsample = (unsigned)u;
            break;
        case O_TAPER:
            if (!cli_parse_double(CMD, "--taper", optarg, &v))
                return CLI_EXIT_USAGE;
            if (!(v >= 0 && v <= 1))
                return cli_usage_error(CMD,
                                       "--taper must be in [0, 1] (got %g)", v);
            c->taper = v;
            break;
        case O_CACHE:
            c->cache = true;
            break;
        case O_DETREND:
            c->detrend = true;
            break;
        case O_ISO:
            c->isotropic = true;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "mrc") && strcmp(optarg, "tif") &&
                strcmp(optarg, "nrrd") && strcmp(optarg, "zarr"))
                return cli_usage_error(
                    CMD, "--format expects mrc, tif, nrrd or zarr (got '%s')",
                    optarg);
            snprintf(c->format, sizeof c->format, "%s", optarg);
            break;
        case O_MEM:
            if (!cli_parse_size(CMD, "--memory", optarg, &sz))
                return CLI_EXIT_USAGE;
            if (sz && sz < ((size_t)1 << 20))
                return cli_usage_error(CMD,
                                       "--memory must be at least 1M (or 0: "
                                       "default; got %zu bytes)",
                                       sz);
            c->memory_bytes = sz;
            break;
        case O_THREADS:
            if (!cli_parse_uint(CMD, "--threads", optarg, 1, 1024, &u))
                return CLI_EXIT_USAGE;
            c->threads = (int)u;
            break;
        case O_CHANNEL: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1])
                return cli_usage_error(
                    CMD, "--channel expects NAME=SRC (got '%s')", optarg);
            if (c->n_channels >= FIB_RECON_CFG_MAX_CHANNELS)
                return cli_usage_error(CMD, "at most %d --channel options",
                                       FIB_RECON_CFG_MAX_CHANNELS);
            char *name = dupstr(optarg);
            name[eq - optarg] = '\0';
            if (strpbrk(name, "/\\ .")) {
                free(name);
                return cli_usage_error(
                    CMD, "--channel name must be a plain word (got '%s')",
                    optarg);
            }
            c->channel_name[c->n_channels] = name;
            c->channel_input[c->n_channels] = dupstr(eq + 1);
            c->n_channels++;
            break;
        }
        case O_SKIP:
            c->skip_bad = true;
            break;
        case O_DESTRIPE:
            c->destripe = true;
            break;
        case O_DMETHOD: {
            fib_recon_destripe_method m;
            if (!fib_recon_destripe_method_parse(optarg, &m))
                return cli_usage_error(CMD,
                                       "--destripe-method must be one of "
                                       "%s (got '%.40s')",
                                       FIB_DESTRIPE_CHOICES, optarg);
            c->destripe = true;
            snprintf(c->destripe_method, sizeof c->destripe_method, "%s",
                     optarg);
            break;
        }
        case O_BG:
            if (strcmp(optarg, "poly") && strcmp(optarg, "gauss"))
                return cli_usage_error(
                    CMD, "--background expects poly or gauss (got '%s')",
                    optarg);
            snprintf(c->background, sizeof c->background, "%s", optarg);
            break;
        case O_NORM:
            c->normalize = true;
            break;
        case O_DENOISE:
            if (strcmp(optarg, "median") && strcmp(optarg, "gauss") &&
                strcmp(optarg, "diffusion") && strcmp(optarg, "nlm"))
                return cli_usage_error(CMD,
                                       "--denoise expects median, gauss, "
                                       "diffusion or nlm (got '%s')",
                                       optarg);
            snprintf(c->denoise, sizeof c->denoise, "%s", optarg);
            break;
        case O_QUIET:
            o->quiet = true;
            break;
        default:
            return cli_usage_error(
                CMD, "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        }
    }
    return -1;
}

/* ---- slice source over files ----------------------------------------- */

typedef struct file_src {
    char **paths;
    size_t n;
    size_t width, height;
    fib_pixel_type type;
    fib_fmt_meta meta;
    fib_recon_correct *correct; /* may be NULL */
} file_src;

static fib_status read_file_slice(void *user, size_t i, fib_image *out,
                                  fib_error *err)
{
    file_src *s = user;
    fib_image img = {0};
    fib_status st = fib_fmt_image_read(s->paths[i], NULL, &img, NULL, err);
    if (st)
        return st;
    if (img.width != out->width || img.height != out->height) {
        st = fib_error_set(err, FIB_EFORMAT,
                           "%s is %zu x %zu px, the series (from the first "
                           "slice) is %zu x %zu",
                           s->paths[i], img.width, img.height, out->width,
                           out->height);
    } else {
        st = fib_recon_fill_f32(&img, out, err);
    }
    fib_image_clear(&img);
    if (st == FIB_OK && s->correct) {
        /* each pass starts the stack again: the normalisation reference
         * must follow the same slices in both passes */
        if (i == 0)
            fib_recon_correct_reset(s->correct);
        st = fib_recon_correct_slice(s->correct, i, out, err);
    }
    return st;
}

static fib_status open_series(const char *src, file_src *s, fib_error *err)
{
    memset(s, 0, sizeof *s);
    fib_status st = fib_fmt_series_list(src, &s->paths, &s->n, err);
    if (st)
        return st;
    fib_fmt_info info;
    st = fib_fmt_probe(s->paths[0], NULL, &info, err);
    if (st)
        return st;
    s->width = info.nx;
    s->height = info.ny -
                (info.meta.databar_rows < info.ny ? info.meta.databar_rows : 0);
    s->type = info.type;
    s->meta = info.meta;
    if (s->type == FIB_PX_U32)
        s->type = FIB_PX_F32;
    /* the probe gives the file rows; the reader crops the data bar: read
     * the first slice to get the exact slice size */
    fib_image img = {0};
    st = fib_fmt_image_read(s->paths[0], NULL, &img, &s->meta, err);
    if (st)
        return st;
    s->width = img.width;
    s->height = img.height;
    fib_image_clear(&img);
    return FIB_OK;
}

/* ---- geometry policy: metadata -> beam angle -------------------------- */

/* The beam angle that foreshortens the image of the milled face
 * (recon-methods.md 2.1).  In slice-and-view the ion beam mills the face,
 * so the face contains the ion-beam direction (its depth axis, image y).
 *   - An SEM (electron) image sees that axis at the angle theta between
 *     the electron and ion columns: lengths along it appear multiplied by
 *     sin(theta), hence the 1/sin(theta) stretch (1.269 at 52 deg).  theta
 *     is a property of the instrument, not of the stage: the stage tilt
 *     only sets where the face lies on the sample (52 deg on a DualBeam
 *     puts it normal to the surface), so an electron image at a FIB tilt
 *     gets the column angle -- the file's own AP_FIB_SEM_ANGLE (Zeiss),
 *     else 52 deg for Thermo/FEI DualBeams, 54 deg for Zeiss Crossbeams.
 *   - An ion image looks along the face's depth axis (sin 0): the face is
 *     seen edge-on and the ion image shows the sample surface, so no
 *     cross-section stretch applies.  Using the stage tilt there (37 deg
 *     on the Helios PFIB example) would stretch y by 1/sin 37 = 1.66 for
 *     nothing.
 * Stage tilts below 10 deg mean a plain SEM view (no milled face):
 * nothing is stretched.  --tilt-deg (or tilt_deg) overrides all this. */
typedef struct tilt_choice {
    double tilt_deg; /* 0 = no stretch */
    char why[320];   /* one sentence for the summary and report.json */
} tilt_choice;

static const char *beam_word(fib_fmt_beam b)
{
    return b == FIB_BEAM_ION        ? "ion"
           : b == FIB_BEAM_ELECTRON ? "electron"
                                    : "unknown";
}

static tilt_choice choose_tilt(const opts *o, const fib_fmt_meta *m)
{
    tilt_choice t = {0, ""};
    const double st = m->stage_tilt_deg;
    const bool fib_tilt = isfinite(st) && st >= 10 && st <= 90;
    if (o->tilt_given || o->c.tilt_deg > 0) {
        t.tilt_deg = o->c.tilt_deg;
        snprintf(t.why, sizeof t.why, "beam angle %g deg as given", t.tilt_deg);
    } else if (m->beam == FIB_BEAM_ION) {
        snprintf(t.why, sizeof t.why,
                 "ion-beam image (vendor metadata): the milled face contains "
                 "the ion-beam direction, so the 1/sin(angle) stretch of SEM "
                 "views does not apply; y not scaled (stage tilt %s not "
                 "used; --tilt-deg overrides)",
                 isfinite(st) ? "stated but" : "not stated and");
    } else if (fib_tilt && m->beam == FIB_BEAM_ELECTRON) {
        double a = m->beam_angle_deg;
        const char *src = "stated in the file";
        if (!(a >= 10 && a <= 90)) {
            a = m->vendor == FIB_VENDOR_THERMO_FEI ? 52.0
                : m->vendor == FIB_VENDOR_ZEISS    ? 54.0
                                                   : st;
            src = m->vendor == FIB_VENDOR_THERMO_FEI ? "Thermo/FEI DualBeam"
                  : m->vendor == FIB_VENDOR_ZEISS    ? "Zeiss Crossbeam"
                                                     : "the stage tilt";
        }
        t.tilt_deg = a;
        snprintf(t.why, sizeof t.why,
                 "electron image at stage tilt %.3g deg: beam angle %.3g deg "
                 "between the electron and ion columns (%s)",
                 st, a, src);
    } else if (fib_tilt) {
        t.tilt_deg = st;
        snprintf(t.why, sizeof t.why,
                 "imaging beam not stated: stage tilt %.3g deg taken as the "
                 "beam angle",
                 st);
    } else if (isfinite(st)) {
        snprintf(t.why, sizeof t.why,
                 "stage tilt %.3g deg (not a FIB cross-section tilt): y not "
                 "scaled; pass --tilt-deg for a milled face",
                 st);
    } else {
        snprintf(t.why, sizeof t.why,
                 "no tilt in the metadata: y not scaled; pass --tilt-deg "
                 "(52 Thermo/FEI, 54 Zeiss) for SEM images of a milled "
                 "face");
    }
    return t;
}

/* "12.5 nm" or "unknown": a length is never printed as 0 nm. */
static const char *len_str(double nm, char *buf, size_t n)
{
    if (nm > 0 && isfinite(nm))
        snprintf(buf, n, "%g nm", nm);
    else
        snprintf(buf, n, "unknown");
    return buf;
}

/* NaN (written as JSON null) for "unknown". */
static double or_nan(double v)
{
    return v > 0 && isfinite(v) ? v : (double)NAN;
}

/* ---- sink: volume writer + orthogonal views --------------------------- */

typedef struct vol_sink {
    const char *path;
    fib_fmt_volume_writer *w;
    fib_recon_geometry g;
    fib_image xy, xz, yz; /* f32 */
} vol_sink;

static fib_status sink_begin(void *user, const fib_recon_geometry *g,
                             fib_error *err)
{
    vol_sink *s = user;
    s->g = *g;
    fib_status st =
        fib_fmt_volume_writer_create(s->path, g->type, g->nx, g->ny, g->nz,
                                     g->voxel_size_nm, NULL, &s->w, err);
    if (!st)
        st = fib_image_init(&s->xy, FIB_PX_F32, g->nx, g->ny, err);
    if (!st)
        st = fib_image_init(&s->xz, FIB_PX_F32, g->nx, g->nz, err);
    if (!st)
        st = fib_image_init(&s->yz, FIB_PX_F32, g->nz, g->ny, err);
    return st;
}

static fib_status sink_slice(void *user, size_t z, const fib_image *im,
                             fib_error *err)
{
    vol_sink *s = user;
    fib_status st = fib_fmt_volume_writer_append(s->w, im, err);
    if (st)
        return st;
    if (z == s->g.nz / 2)
        for (size_t y = 0; y < im->height; y++)
            for (size_t x = 0; x < im->width; x++)
                ((float *)fib_image_row(&s->xy, y))[x] =
                    (float)fib_image_get(im, x, y);
    float *row = fib_image_row(&s->xz, z);
    for (size_t x = 0; x < im->width; x++)
        row[x] = (float)fib_image_get(im, x, im->height / 2);
    for (size_t y = 0; y < im->height; y++)
        ((float *)fib_image_row(&s->yz, y))[z] =
            (float)fib_image_get(im, im->width / 2, y);
    return FIB_OK;
}

static void vol_sink_clear(vol_sink *s)
{
    fib_fmt_volume_writer_destroy(s->w);
    fib_image_clear(&s->xy);
    fib_image_clear(&s->xz);
    fib_image_clear(&s->yz);
    memset(s, 0, sizeof *s);
}

/* ---- pictures --------------------------------------------------------- */

static double pct(const fib_image *im, double q)
{
    /* display window from a 1024-bin histogram of the finite values */
    double lo, hi;
    fib_image_minmax(im, &lo, &hi);
    if (!(hi > lo))
        return lo;
    size_t hist[1024] = {0}, n = 0;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++) {
            const double v = fib_image_get(im, x, y);
            if (!isfinite(v))
                continue;
            size_t b = (size_t)((v - lo) / (hi - lo) * 1023.0);
            hist[b > 1023 ? 1023 : b]++;
            n++;
        }
    size_t acc = 0;
    for (size_t b = 0; b < 1024; b++) {
        acc += hist[b];
        if ((double)acc >= q * (double)n)
            return lo + (hi - lo) * (double)b / 1023.0;
    }
    return hi;
}

/* Three orthogonal views through the middle of the volume: XY (middle
 * slice), XZ (middle row, z down) and YZ (middle column, z to the right).
 * The XZ and YZ reslices are where a bad alignment shows, as shear (a
 * common bias: content leaning with z) or as steps between slices.
 * Panels keep the physical aspect; an unknown voxel size is drawn as the
 * size of a known axis and the footer says so.  A z extent of fewer than
 * 2 screen px per slice is exaggerated to that (the panel title gives the
 * factor) so that slice-to-slice jumps stay visible.  Each panel gets a
 * scale bar in physical units along its horizontal axis when that axis's
 * voxel size is known. */
static fib_status write_ortho(const char *path, const vol_sink *s,
                              fib_error *err)
{
    const double *vs = s->g.voxel_size_nm;
    const bool kx = vs[0] > 0, ky = vs[1] > 0, kz = vs[2] > 0;
    const double ref = kx ? vs[0] : ky ? vs[1] : kz ? vs[2] : 1.0;
    const double vx = kx ? vs[0] : ref, vy = ky ? vs[1] : ref,
                 vz = kz ? vs[2] : ref;
    const int box = 400, pad = 24, foot = 20;
    fib_canvas *c = NULL;
    fib_status st = fib_canvas_create(3 * box + 4 * pad, box + 2 * pad + foot,
                                      FIB_RGB_WHITE, &c, err);
    if (st)
        return st;
    fib_canvas_image_params ip = {0};
    ip.lo = pct(&s->xy, 0.005);
    ip.hi = pct(&s->xy, 0.995);
    if (!(ip.hi > ip.lo))
        ip.hi = ip.lo + 1;
    ip.interp = FIB_INTERP_BILINEAR;
    const fib_image *ims[3] = {&s->xy, &s->xz, &s->yz};
    const double pw[3] = {(double)s->g.nx * vx, (double)s->g.nx * vx,
                          (double)s->g.nz * vz};
    const double ph[3] = {(double)s->g.ny * vy, (double)s->g.nz * vz,
                          (double)s->g.ny * vy};
    const bool known_w[3] = {kx, kx, kz};
    static const char *names[3] = {"XY (middle slice)", "XZ (middle row)",
                                   "YZ (middle column; z to the right)"};
    const double zmin_px = fmin(2.0 * (double)s->g.nz, (double)box);
    for (int k = 0; k < 3 && !st; k++) {
        fib_canvas_rect b = {pad + k * (box + pad), pad, box, box};
        fib_canvas_rect r = fib_canvas_fit_rect(b, pw[k], ph[k]);
        double zx = 1.0; /* z exaggeration */
        if (k == 1 && r.h < zmin_px && r.h > 0) {
            zx = zmin_px / r.h;
            r = fib_canvas_fit_rect(b, pw[k], ph[k] * zx);
        } else if (k == 2 && r.w < zmin_px && r.w > 0) {
            zx = zmin_px / r.w;
            r = fib_canvas_fit_rect(b, pw[k] * zx, ph[k]);
        }
        if (r.w < 1)
            r.w = 1;
        if (r.h < 1)
            r.h = 1;
        st = fib_canvas_draw_image(c, ims[k], r, &ip, err);
        char title[96];
        if (zx > 1.0)
            snprintf(title, sizeof title, "%s, z x%.2g", names[k], zx);
        else
            snprintf(title, sizeof title, "%s", names[k]);
        fib_canvas_text(c, b.x, 6, title, 1, FIB_RGB_BLACK);
        if (!st && known_w[k] && r.w >= 80 && r.h >= 24) {
            fib_scale_bar_params sb = {.width_nm = pw[k]};
            st = fib_canvas_scale_bar(c, r, &sb, NULL, NULL, err);
        } else if (!st && known_w[k]) {
            /* too narrow for a bar: the panel's width in words */
            char len[32], txt[64];
            fib_format_length_nm(pw[k], len, sizeof len);
            snprintf(txt, sizeof txt, "width %s", len);
            fib_canvas_text(c, r.x, pad + box + 4, txt, 1, FIB_RGB_BLACK);
        } else if (!st) {
            fib_canvas_text(c, b.x, pad + box + 4,
                            k == 2 ? "no scale bar: slice thickness unknown"
                                   : "no scale bar: pixel size unknown",
                            1, FIB_RGB_BLACK);
        }
    }
    if (!st && !(kx && ky && kz)) {
        char note[160];
        snprintf(note, sizeof note,
                 "voxel size unknown in%s%s%s: drawn as cubic voxels "
                 "(pass --pixel-size-nm / --slice-nm)",
                 kx ? "" : " x", ky ? "" : " y", kz ? "" : " z");
        fib_canvas_text(c, pad, pad + box + 4 + foot / 2 + 2, note, 1,
                        FIB_RGB_BLACK);
    }
    if (!st)
        st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}

/* drift.png: the applied shifts; the correlation peak quality per slice
 * (a dip marks a slice that is hard to align); and the closure
 * inconsistency per distance (fib_recon_distance: the mean of d(i, i + k)
 * minus the chain of distance-1 pairs over the span, with +-3 standard
 * errors).  A common bias of the long pairs -- which the pair residuals
 * cannot show, they stay small while the solved trend is wrong -- shows
 * up there as points outside the band. */
static fib_status write_drift_plot(const char *path, const fib_recon *r,
                                   fib_error *err)
{
    const size_t n = fib_recon_n_slices(r);
    size_t nd = 0;
    const fib_recon_distance *D = fib_recon_distances(r, &nd);
    double *buf =
        malloc((4 * (n ? n : 1) + 5 * (nd ? nd : 1)) * sizeof(double));
    if (!buf)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    double *xs = buf, *dx = buf + n, *dy = buf + 2 * n, *qual = buf + 3 * n;
    double *dk = buf + 4 * n, *bx = dk + nd, *by = bx + nd, *hi = by + nd,
           *lo = hi + nd;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        if (in.skipped)
            continue;
        xs[m] = (double)i;
        dx[m] = in.dx;
        dy[m] = in.dy;
        qual[m] = in.quality;
        m++;
    }
    char title[160];
    size_t dropped = 0, first_drop = 0;
    for (size_t k = 0; k < nd; k++) {
        dk[k] = (double)D[k].distance;
        bx[k] = D[k].bias_px[0];
        by[k] = D[k].bias_px[1];
        const double se = fmax(D[k].bias_se_px[0], D[k].bias_se_px[1]);
        hi[k] = 3.0 * se;
        lo[k] = -3.0 * se;
        if (!(D[k].weight > 0) && !dropped++)
            first_drop = D[k].distance;
    }
    const fib_recon_qc qc = fib_recon_get_qc(r);
    if (dropped)
        snprintf(title, sizeof title,
                 "closure d(i,i+k) - chain, mean +-3 SE: distances >= %zu "
                 "dropped%s",
                 first_drop,
                 qc.frame_fixed[0] || qc.frame_fixed[1]
                     ? "; frame-fixed pattern"
                     : "");
    else
        snprintf(title, sizeof title,
                 "closure d(i,i+k) - chain, mean +-3 SE: consistent%s",
                 qc.frame_fixed[0] || qc.frame_fixed[1]
                     ? "; frame-fixed pattern"
                     : "");
    fib_canvas *c = NULL;
    fib_status st = fib_canvas_create(900, 840, FIB_RGB_WHITE, &c, err);
    if (!st) {
        fib_plot_series sr[2] = {{0}, {0}};
        sr[0].x = xs;
        sr[0].y = dx;
        sr[0].n = m;
        sr[0].label = "dx applied";
        sr[1].x = xs;
        sr[1].y = dy;
        sr[1].n = m;
        sr[1].label = "dy applied";
        fib_plot_params pp = {0};
        pp.title = "shift applied to each slice (input px)";
        pp.x_label = "slice";
        pp.y_label = "px";
        pp.zero_line = true;
        st = fib_plot_xy(c, (fib_canvas_rect){0, 0, 900, 380}, &pp, sr, 2, NULL,
                         err);
        if (!st) {
            fib_plot_series s3 = {0};
            s3.x = xs;
            s3.y = qual;
            s3.n = m;
            s3.label = "peak quality (pair i-1, i)";
            s3.style = FIB_PLOT_MARKERS;
            fib_plot_params p3 = {0};
            p3.x_label = "slice";
            p3.y_label = "quality";
            p3.y_min = 0;
            p3.y_max = 1;
            st = fib_plot_xy(c, (fib_canvas_rect){0, 380, 900, 220}, &p3, &s3,
                             1, NULL, err);
        }
        if (!st && nd > 1) {
            fib_plot_series s4[4] = {{0}, {0}, {0}, {0}};
            s4[0].x = dk;
            s4[0].y = bx;
            s4[0].n = nd;
            s4[0].label = "x";
            s4[0].style = FIB_PLOT_LINE_MARKERS;
            s4[1].x = dk;
            s4[1].y = by;
            s4[1].n = nd;
            s4[1].label = "y";
            s4[1].style = FIB_PLOT_LINE_MARKERS;
            s4[2].x = dk;
            s4[2].y = hi;
            s4[2].n = nd;
            s4[2].label = "+-3 SE";
            s4[2].custom_color = true;
            s4[2].color = FIB_RGB(160, 160, 160);
            s4[3] = s4[2];
            s4[3].y = lo;
            s4[3].label = NULL;
            fib_plot_params p4 = {0};
            p4.title = title;
            p4.x_label = "pair distance k";
            p4.y_label = "px";
            p4.zero_line = true;
            st = fib_plot_xy(c, (fib_canvas_rect){0, 600, 900, 240}, &p4, s4, 4,
                             NULL, err);
        }
        if (!st)
            st = fib_fmt_canvas_write_png(path, c, err);
        fib_canvas_destroy(c);
    }
    free(buf);
    return st;
}

/* ---- reports ---------------------------------------------------------- */

static fib_status write_drift_csv(const char *path, const fib_recon *r,
                                  fib_error *err)
{
    fib_fmt_csv *csv = NULL;
    fib_status st = fib_fmt_csv_create(&csv, err);
    if (st)
        return st;
    fib_fmt_csv_field(csv, "slice");
    fib_fmt_csv_field(csv, "dx");
    fib_fmt_csv_field(csv, "dy");
    fib_fmt_csv_field(csv, "quality");
    fib_fmt_csv_field(csv, "residual_px");
    fib_fmt_csv_end_row(csv);
    for (size_t i = 0; i < fib_recon_n_slices(r); i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        if (in.skipped)
            continue;
        fib_fmt_csv_int(csv, (long long)i);
        fib_fmt_csv_number(csv, in.dx);
        fib_fmt_csv_number(csv, in.dy);
        fib_fmt_csv_number(csv, in.quality);
        fib_fmt_csv_number(csv, in.residual_px);
        fib_fmt_csv_end_row(csv);
    }
    st = fib_fmt_csv_write(csv, path, err);
    fib_fmt_csv_destroy(csv);
    return st;
}

static void json_rect(fib_fmt_json *j, const char *key, bool on,
                      const size_t r[4])
{
    fib_fmt_json_key(j, key);
    if (!on) {
        fib_fmt_json_null(j);
        return;
    }
    fib_fmt_json_begin_array(j);
    for (int i = 0; i < 4; i++)
        fib_fmt_json_int(j, (long long)r[i]);
    fib_fmt_json_end_array(j);
}

static fib_status write_report(const char *path, const opts *o,
                               const file_src *s, const fib_recon_params *p,
                               const fib_recon_source *src, const fib_recon *r,
                               const tilt_choice *tc, const char *volume,
                               double elapsed_s, fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_status st = fib_fmt_json_create(2, &j, err);
    if (st)
        return st;
    const fib_fmt_recon_cfg *c = &o->c;
    fib_recon_geometry g = fib_recon_get_geometry(r);
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "tool", "cryofib recon");
    fib_fmt_json_kv_string(j, "version", fib_version_string());
    fib_fmt_json_key(j, "inputs");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "source", c->input);
    fib_fmt_json_kv_int(j, "n_slices", (long long)s->n);
    fib_fmt_json_kv_string(j, "first", s->paths[0]);
    fib_fmt_json_kv_string(j, "last", s->paths[s->n - 1]);
    fib_fmt_json_kv_int(j, "width_px", (long long)s->width);
    fib_fmt_json_kv_int(j, "height_px", (long long)s->height);
    fib_fmt_json_kv_string(j, "pixel_type", fib_pixel_type_name(s->type));
    fib_fmt_json_kv_number(j, "meta_pixel_size_x_nm", s->meta.pixel_size_nm[0]);
    fib_fmt_json_kv_number(j, "meta_pixel_size_y_nm", s->meta.pixel_size_nm[1]);
    fib_fmt_json_kv_number(j, "meta_stage_tilt_deg", s->meta.stage_tilt_deg);
    fib_fmt_json_kv_string(j, "meta_image_beam", beam_word(s->meta.beam));
    fib_fmt_json_kv_number(j, "meta_beam_angle_deg", s->meta.beam_angle_deg);
    fib_fmt_json_kv_int(j, "meta_tilt_correction", s->meta.tilt_correction);
    fib_fmt_json_kv_int(j, "databar_rows_cropped",
                        (long long)s->meta.databar_rows);
    fib_fmt_json_end_object(j);
    fib_fmt_json_key(j, "parameters");
    fib_fmt_json_begin_object(j);
    /* unknown lengths are null, with the reason in the *_from field */
    fib_fmt_json_kv_number(j, "pixel_size_x_nm", or_nan(src->pixel_size_nm[0]));
    fib_fmt_json_kv_number(j, "pixel_size_y_nm", or_nan(src->pixel_size_nm[1]));
    fib_fmt_json_kv_string(j, "pixel_size_from",
                           c->pixel_size_nm[0] > 0     ? "option"
                           : src->pixel_size_nm[0] > 0 ? "metadata"
                                                       : "unknown");
    fib_fmt_json_kv_number(j, "slice_nm", or_nan(p->slice_nm));
    fib_fmt_json_kv_string(j, "slice_nm_from",
                           c->slice_nm > 0   ? "option"
                           : p->slice_nm > 0 ? "metadata"
                                             : "unknown");
    fib_fmt_json_kv_number(j, "tilt_deg", or_nan(p->tilt_deg));
    fib_fmt_json_kv_string(j, "tilt_from", tc->why);
    fib_fmt_json_kv_bool(j, "crop_valid", p->crop_valid);
    fib_fmt_json_kv_bool(j, "float_output", p->float_out);
    fib_fmt_json_kv_string(j, "align_dark_clip",
                           p->dark_clip == FIB_RECON_DARK_CLIP_ON    ? "on"
                           : p->dark_clip == FIB_RECON_DARK_CLIP_OFF ? "off"
                                                                     : "auto");
    fib_fmt_json_kv_bool(j, "tilt_corrected_by_instrument", p->tilt_corrected);
    fib_fmt_json_kv_bool(j, "receding_face", p->receding_face);
    fib_fmt_json_kv_int(j, "neighbours",
                        (long long)(p->neighbours ? p->neighbours : 3));
    fib_fmt_json_kv_int(j, "upsample",
                        (long long)(p->upsample ? p->upsample : 20));
    fib_fmt_json_kv_string(
        j, "window", p->tukey_alpha > 0 ? "tukey" : "periodic-plus-smooth");
    fib_fmt_json_kv_number(j, "taper", p->tukey_alpha);
    fib_fmt_json_kv_bool(j, "detrend", p->detrend);
    fib_fmt_json_kv_bool(j, "cache", p->cache);
    fib_fmt_json_kv_bool(j, "isotropic", p->isotropic);
    json_rect(j, "roi", c->has_roi, c->roi);
    json_rect(j, "fiducial", c->has_fiducial, c->fiducial);
    fib_fmt_json_kv_int(j, "memory_budget_bytes", (long long)c->memory_bytes);
    fib_fmt_json_kv_int(j, "memory_peak_charged_bytes",
                        (long long)fib_recon_peak_bytes(r));
    fib_fmt_json_kv_bool(j, "skip_bad", p->skip_bad);
    fib_fmt_json_key(j, "correction_order");
    fib_fmt_json_begin_array(j);
    if (destripe_of(c) != FIB_DESTRIPE_NONE) {
        char name[40];
        snprintf(name, sizeof name, "destripe:%s",
                 fib_recon_destripe_method_name(destripe_of(c)));
        fib_fmt_json_string(j, name);
    }
    if (c->background[0])
        fib_fmt_json_string(j, c->background[0] == 'p' ? "background:poly"
                                                       : "background:gauss");
    if (c->normalize)
        fib_fmt_json_string(j, "normalize");
    if (c->denoise[0])
        fib_fmt_json_string(j, c->denoise);
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    fib_fmt_json_key(j, "output");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "volume", volume);
    fib_fmt_json_kv_int(j, "nx", (long long)g.nx);
    fib_fmt_json_kv_int(j, "ny", (long long)g.ny);
    fib_fmt_json_kv_int(j, "nz", (long long)g.nz);
    fib_fmt_json_key(j, "voxel_size_nm");
    fib_fmt_json_begin_array(j);
    char unknown[64] = "";
    for (int i = 0; i < 3; i++) {
        fib_fmt_json_number(j, or_nan(g.voxel_size_nm[i]));
        if (!(g.voxel_size_nm[i] > 0)) {
            const size_t l = strlen(unknown);
            snprintf(unknown + l, sizeof unknown - l, "%s%c", l ? ", " : "",
                     "xyz"[i]);
        }
    }
    fib_fmt_json_end_array(j);
    if (unknown[0]) {
        char note[160];
        snprintf(note, sizeof note,
                 "unknown in %s (null): pass --pixel-size-nm / --slice-nm",
                 unknown);
        fib_fmt_json_kv_string(j, "voxel_size_status", note);
    } else {
        fib_fmt_json_kv_string(j, "voxel_size_status", "known");
    }
    fib_fmt_json_key(j, "crop_valid");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_bool(j, "applied", g.cropped);
    fib_fmt_json_kv_string(j, "box_meaning",
                           "x, y, width, height in voxels of the uncropped "
                           "output grid: the voxels every kept slice covers "
                           "after its shift");
    fib_fmt_json_key(j, "box");
    fib_fmt_json_begin_array(j);
    fib_fmt_json_int(j, (long long)g.valid.x);
    fib_fmt_json_int(j, (long long)g.valid.y);
    fib_fmt_json_int(j, (long long)g.valid.width);
    fib_fmt_json_int(j, (long long)g.valid.height);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_int(j, "full_nx", (long long)g.full_nx);
    fib_fmt_json_kv_int(j, "full_ny", (long long)g.full_ny);
    fib_fmt_json_end_object(j);
    fib_fmt_json_kv_number(j, "y_scale", g.y_scale);
    fib_fmt_json_kv_string(j, "tilt_note", g.tilt_note);
    fib_fmt_json_kv_number(j, "face_shift_px_per_slice", g.face_shift_px);
    fib_fmt_json_key(j, "channels");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < c->n_channels; k++) {
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "name", c->channel_name[k]);
        fib_fmt_json_kv_string(j, "source", c->channel_input[k]);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_number(j, "elapsed_s", elapsed_s);
    fib_fmt_json_end_object(j);
    fib_fmt_json_key(j, "slices");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_recon_n_slices(r); i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "slice", (long long)i);
        fib_fmt_json_kv_string(j, "file", s->paths[i]);
        fib_fmt_json_kv_bool(j, "skipped", in.skipped);
        fib_fmt_json_kv_number(j, "dx", in.dx);
        fib_fmt_json_kv_number(j, "dy", in.dy);
        fib_fmt_json_kv_number(j, "residual_px", in.residual_px);
        fib_fmt_json_kv_int(j, "pairs_used", (long long)in.pairs_used);
        fib_fmt_json_kv_int(j, "pairs_rejected", (long long)in.pairs_rejected);
        fib_fmt_json_kv_number(j, "quality", in.quality);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    size_t np = 0;
    const fib_recon_pair *pr = fib_recon_pairs(r, &np);
    fib_fmt_json_key(j, "pairs");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < np; k++) {
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "a", (long long)pr[k].a);
        fib_fmt_json_kv_int(j, "b", (long long)pr[k].b);
        fib_fmt_json_kv_number(j, "dx", pr[k].dx);
        fib_fmt_json_kv_number(j, "dy", pr[k].dy);
        fib_fmt_json_kv_number(j, "quality", pr[k].quality);
        fib_fmt_json_kv_number(j, "residual_px", pr[k].residual_px);
        fib_fmt_json_kv_bool(j, "used", pr[k].used);
        fib_fmt_json_key(j, "closure_px");
        if (pr[k].closure_px >= 0)
            fib_fmt_json_number(j, pr[k].closure_px);
        else
            fib_fmt_json_null(j);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    /* closure test per distance and the series-level diagnostics */
    size_t nd = 0;
    const fib_recon_distance *dist = fib_recon_distances(r, &nd);
    fib_fmt_json_key(j, "closure");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < nd; k++) {
        const fib_recon_distance *d = &dist[k];
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "distance", (long long)d->distance);
        fib_fmt_json_kv_int(j, "n_closures", (long long)d->n_closures);
        fib_fmt_json_kv_number(j, "bias_x_px", d->bias_px[0]);
        fib_fmt_json_kv_number(j, "bias_y_px", d->bias_px[1]);
        fib_fmt_json_kv_number(j, "bias_se_x_px", d->bias_se_px[0]);
        fib_fmt_json_kv_number(j, "bias_se_y_px", d->bias_se_px[1]);
        fib_fmt_json_kv_number(j, "pull_x", d->pull[0]);
        fib_fmt_json_kv_number(j, "pull_y", d->pull[1]);
        fib_fmt_json_kv_number(j, "pull_se_x", d->pull_se[0]);
        fib_fmt_json_kv_number(j, "pull_se_y", d->pull_se[1]);
        fib_fmt_json_kv_number(j, "scatter_px", d->scatter_px);
        fib_fmt_json_kv_number(j, "residual_px", d->residual_px);
        fib_fmt_json_kv_number(j, "weight", d->weight);
        fib_fmt_json_kv_bool(j, "inconsistent", d->inconsistent);
        fib_fmt_json_kv_bool(j, "long_pairs_short", d->long_short);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    const fib_recon_qc qc = fib_recon_get_qc(r);
    fib_fmt_json_key(j, "alignment_qc");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_bool(j, "frame_fixed_x", qc.frame_fixed[0]);
    fib_fmt_json_kv_bool(j, "frame_fixed_y", qc.frame_fixed[1]);
    fib_fmt_json_kv_bool(j, "stripe_notch_rows", qc.notch_rows);
    fib_fmt_json_kv_bool(j, "stripe_notch_cols", qc.notch_cols);
    fib_fmt_json_kv_int(j, "pass1_runs", (long long)qc.passes);
    fib_fmt_json_kv_bool(j, "dark_clip_applied", qc.dark_clip);
    fib_fmt_json_end_object(j);
    fib_fmt_json_end_object(j);
    st = fib_fmt_json_write(j, path, err);
    fib_fmt_json_destroy(j);
    return st;
}

/* ---- main ------------------------------------------------------------- */

static fib_status make_correct(const fib_fmt_recon_cfg *c,
                               fib_recon_correct **out, fib_error *err)
{
    *out = NULL;
    fib_recon_correct_params cp;
    memset(&cp, 0, sizeof cp);
    cp.destripe.method = destripe_of(c);
    if (!strcmp(c->background, "poly"))
        cp.background.method = FIB_BACKGROUND_POLY;
    else if (!strcmp(c->background, "gauss"))
        cp.background.method = FIB_BACKGROUND_GAUSS;
    cp.normalize.enabled = c->normalize;
    if (!strcmp(c->denoise, "median"))
        cp.denoise.method = FIB_DENOISE_MEDIAN;
    else if (!strcmp(c->denoise, "gauss"))
        cp.denoise.method = FIB_DENOISE_GAUSS;
    else if (!strcmp(c->denoise, "diffusion"))
        cp.denoise.method = FIB_DENOISE_DIFFUSION;
    else if (!strcmp(c->denoise, "nlm"))
        cp.denoise.method = FIB_DENOISE_NLM;
    fib_recon_correct *ctx = NULL;
    fib_status st = fib_recon_correct_create(&cp, &ctx, err);
    if (st)
        return st;
    if (!fib_recon_correct_any(ctx)) {
        fib_recon_correct_destroy(ctx);
        return FIB_OK;
    }
    *out = ctx;
    return FIB_OK;
}

static void join(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The files a recon result holds: removed from an output folder written
 * before result manifests existed (fib_fmt_txn_dir), recognised by its
 * report.json. */
static const char *const recon_outputs[] = {"volume.*",  "volume_*.*",
                                            "ortho.png", "drift.csv",
                                            "drift.png", "report.json"};

static int run(opts *o)
{
    fib_error err = {0};
    fib_status st;
    fib_fmt_recon_cfg *c = &o->c;
    file_src fs = {0};
    fib_recon *r = NULL;
    fib_budget budget;
    vol_sink vs = {0};
    int rc = CLI_EXIT_OK;
    fib_fmt_txn *txn = NULL;
    const char *sdir = NULL; /* the staged output folder */
    char path[4096], volname[64];
    const double t0 = now_s();
    const char *ext = c->format[0] ? c->format : "mrc";
    cli_progress_state ps;
    fib_progress prog = cli_progress_make(&ps, o->quiet);

    /* outputs beside the input slices would join the series next time */
    /* the output folder may not be, nor hold, an input: the series folder
     * (a glob's or list's slices too), the run file or a channel */
    const char *const outs_in[2] = {c->input, o->run_file};
    if (cli_check_dir_not_input(CMD, "--out", c->out, outs_in, 2))
        return CLI_EXIT_USAGE;
    st = open_series(c->input, &fs, &err);
    if (st)
        goto fail;
    if (cli_check_dir_not_input(CMD, "--out", c->out,
                                (const char *const *)fs.paths, fs.n)) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    /* check the channels before anything is written */
    for (size_t k = 0; k < c->n_channels && !st; k++) {
        file_src cs;
        st = open_series(c->channel_input[k], &cs, &err);
        if (!st &&
            (cli_check_dir_not_input(CMD, "--out", c->out,
                                     (const char *const *)&c->channel_input[k],
                                     1) ||
             cli_check_dir_not_input(CMD, "--out", c->out,
                                     (const char *const *)cs.paths, cs.n))) {
            fib_fmt_series_free(cs.paths, cs.n);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (!st && cs.n != fs.n)
            st = fib_error_set(&err, FIB_EINVAL,
                               "channel %s has %zu slices, the reference %zu",
                               c->channel_name[k], cs.n, fs.n);
        fib_fmt_series_free(cs.paths, cs.n);
    }
    if (st)
        goto fail;
    /* every output goes to the transaction's staged folder and appears at
     * the commit, all together (fib/txn.h); a previous result in the
     * folder is replaced as a whole */
    st = fib_fmt_txn_begin(&txn, &err);
    if (!st)
        st = fib_fmt_txn_dir(txn, c->out, recon_outputs,
                             cli_dir_has(c->out, "report.json")
                                 ? sizeof recon_outputs / sizeof *recon_outputs
                                 : 0,
                             &sdir, &err);
    if (st)
        goto fail;
    st = make_correct(c, &fs.correct, &err);
    if (st)
        goto fail;

    fib_recon_source src = {0};
    src.n_slices = fs.n;
    src.width = fs.width;
    src.height = fs.height;
    src.type = fs.type;
    src.read = read_file_slice;
    src.user = &fs;
    /* artifact correction runs parallel loops inside the read callback */
    src.read_uses_threads = fs.correct != NULL;
    for (int i = 0; i < 2; i++) {
        const double m = fs.meta.pixel_size_nm[i];
        src.pixel_size_nm[i] = c->pixel_size_nm[i] > 0  ? c->pixel_size_nm[i]
                               : (m > 0 && isfinite(m)) ? m
                                                        : 0;
    }
    fib_recon_params p = {0};
    p.neighbours = c->neighbours;
    p.upsample = c->upsample;
    p.tukey_alpha = c->taper;
    p.detrend = c->detrend;
    p.cache = c->cache;
    p.isotropic = c->isotropic;
    p.receding_face = c->receding_face;
    p.skip_bad = c->skip_bad;
    p.threads = c->threads;
    p.slice_nm =
        c->slice_nm > 0 ? c->slice_nm
        : fs.meta.voxel_depth_nm > 0 && isfinite(fs.meta.voxel_depth_nm)
            ? fs.meta.voxel_depth_nm
            : 0;
    /* sizes taken from the file: outside the physical range (0.01 nm to
     * 1 mm, the library's check_params()) the metadata is wrong; name the
     * file and the key rather than the library's field */
    for (int i = 0; i < 3; i++) {
        const double v =
            i < 2 ? fs.meta.pixel_size_nm[i] : fs.meta.voxel_depth_nm;
        const bool given = i < 2 ? c->pixel_size_nm[i] > 0 : c->slice_nm > 0;
        if (given || !(v > 0) || (v >= 0.01 && v <= 1e6))
            continue;
        rc = cli_usage_error(
            CMD,
            "%s: %s %g nm from the file metadata%s%s%s is "
            "outside 0.01..1e6 nm: pass %s",
            fs.paths[0], i < 2 ? "pixel size" : "slice thickness", v,
            fs.meta.source_key[0] ? " (" : "", fs.meta.source_key,
            fs.meta.source_key[0] ? ")" : "",
            i < 2 ? "--pixel-size-nm" : "--slice-nm");
        goto done;
    }
    /* beam angle: option, else from the beam that made the image (see
     * choose_tilt) */
    const tilt_choice tc = choose_tilt(o, &fs.meta);
    p.tilt_deg = tc.tilt_deg;
    p.crop_valid = c->crop_valid != 0; /* -1 (not given) = on */
    p.float_out = !o->keep_type;
    p.dark_clip = o->dark_clip;
    p.tilt_corrected = c->tilt_corrected >= 0 ? c->tilt_corrected == 1
                                              : fs.meta.tilt_correction == 1;
    if (c->has_roi) {
        p.use_roi = true;
        p.roi = (fib_recon_rect){c->roi[0], c->roi[1], c->roi[2], c->roi[3]};
    }
    if (c->has_fiducial) {
        p.use_fiducial = true;
        p.fiducial = (fib_recon_rect){c->fiducial[0], c->fiducial[1],
                                      c->fiducial[2], c->fiducial[3]};
    }
    if (p.isotropic && !(src.pixel_size_nm[0] > 0 && p.slice_nm > 0)) {
        rc = cli_usage_error(CMD,
                             "--iso needs the pixel size and the slice "
                             "thickness (pixel size %s, slice thickness "
                             "%s): pass --pixel-size-nm and --slice-nm",
                             src.pixel_size_nm[0] > 0 ? "known" : "unknown",
                             p.slice_nm > 0 ? "known" : "unknown");
        goto done;
    }
    budget = fib_budget_make(c->memory_bytes ? c->memory_bytes
                                             : FIB_BUDGET_DEFAULT_BYTES);
    if (!c->memory_bytes)
        c->memory_bytes = FIB_BUDGET_DEFAULT_BYTES;
    p.budget = &budget;
    {
        /* the read callback decodes each slice file into an image of the
         * file's own type (data bar included) before the library's f32
         * buffer is filled: that image is charged too, for the whole run */
        size_t dec = 0;
        const size_t rows =
            fs.meta.full_height > fs.height ? fs.meta.full_height : fs.height;
        if (!fib_mul3_size(fs.width, rows, fib_pixel_size_bytes(fs.type), &dec))
            dec = (size_t)-1;
        st = fib_budget_charge(&budget, dec, "slice file decode", &err);
        if (st)
            goto fail;
    }

    st = fib_recon_create(&p, &src, &r, &err);
    if (st)
        goto fail;
    st = fib_recon_estimate(r, &prog, &err);
    if (st)
        goto fail;
    snprintf(volname, sizeof volname, "volume.%s", ext);
    join(path, sizeof path, sdir, volname);
    vs.path = path;
    fib_recon_sink sink = {sink_begin, sink_slice, &vs};
    st = fib_recon_write(r, NULL, &sink, &prog, &err);
    if (!st)
        st = fib_fmt_volume_writer_finish(vs.w, &err);
    if (st)
        goto fail;
    char opath[4096];
    join(opath, sizeof opath, sdir, "ortho.png");
    st = write_ortho(opath, &vs, &err);
    if (st)
        goto fail;
    vol_sink_clear(&vs);

    for (size_t k = 0; k < c->n_channels; k++) {
        file_src cs;
        st = open_series(c->channel_input[k], &cs, &err);
        if (!st &&
            (cli_check_dir_not_input(CMD, "--out", c->out,
                                     (const char *const *)&c->channel_input[k],
                                     1) ||
             cli_check_dir_not_input(CMD, "--out", c->out,
                                     (const char *const *)cs.paths, cs.n))) {
            fib_fmt_series_free(cs.paths, cs.n);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (!st && cs.n != fs.n)
            st = fib_error_set(&err, FIB_EINVAL,
                               "channel %s has %zu slices, the reference %zu",
                               c->channel_name[k], cs.n, fs.n);
        if (!st) {
            /* channels get the same artifact correction (the context is
             * reset at slice 0, so the normalisation follows each stack) */
            cs.correct = fs.correct;
            fib_recon_source chs = src;
            chs.n_slices = cs.n;
            chs.width = cs.width;
            chs.height = cs.height;
            chs.type = cs.type;
            chs.user = &cs;
            chs.pixel_size_nm[0] = chs.pixel_size_nm[1] = 0;
            for (int i = 0; i < 2; i++) {
                const double m = cs.meta.pixel_size_nm[i];
                if (m > 0 && isfinite(m))
                    chs.pixel_size_nm[i] = m;
            }
            char cpath[4096], cname[256];
            snprintf(cname, sizeof cname, "volume_%s.%s", c->channel_name[k],
                     ext);
            join(cpath, sizeof cpath, sdir, cname);
            vol_sink cv = {0};
            cv.path = cpath;
            fib_recon_sink csink = {sink_begin, sink_slice, &cv};
            st = fib_recon_write(r, &chs, &csink, &prog, &err);
            if (!st)
                st = fib_fmt_volume_writer_finish(cv.w, &err);
            vol_sink_clear(&cv);
            if (st)
                fib_error_prefix(&err, "channel %s: ", c->channel_name[k]);
        }
        fib_fmt_series_free(cs.paths, cs.n);
        if (st)
            goto fail;
    }

    join(path, sizeof path, sdir, "drift.csv");
    st = write_drift_csv(path, r, &err);
    if (!st) {
        join(path, sizeof path, sdir, "drift.png");
        st = write_drift_plot(path, r, &err);
    }
    if (!st) {
        join(path, sizeof path, sdir, "report.json");
        st = write_report(path, o, &fs, &p, &src, r, &tc, volname, now_s() - t0,
                          &err);
    }
    if (st)
        goto fail;
    cli_progress_done(&ps);
    rc = cli_txn_finish(CMD, txn, CLI_EXIT_OK);
    txn = NULL;
    if (rc != CLI_EXIT_OK)
        goto done;
    /* unknown lengths: one line each, naming the option (after success,
     * so that an error stays the one line on stderr); the volume says
     * "unknown" (MRC cella 0 + label, NRRD without spacings, TIFF without
     * resolution), never 0 nm */
    if (!(src.pixel_size_nm[0] > 0) || !(src.pixel_size_nm[1] > 0))
        fprintf(stderr,
                "cryofib %s: pixel size unknown (no vendor metadata in %s): "
                "pass --pixel-size-nm (run file: pixel_size_nm); volume "
                "written with unknown voxel size in x and y\n",
                CMD, fs.paths[0]);
    if (!(p.slice_nm > 0))
        fprintf(stderr,
                "cryofib %s: slice thickness unknown (not in the metadata): "
                "pass --slice-nm (run file: slice_nm); volume written with "
                "unknown voxel size in z\n",
                CMD);
    {
        fib_recon_geometry g = fib_recon_get_geometry(r);
        size_t skipped = 0;
        for (size_t i = 0; i < fs.n; i++)
            skipped += fib_recon_get_slice(r, i).skipped;
        char lx[32], ly[32], lz[32];
        printf("cryofib recon: %zu slices (%zu skipped) -> %s/%s %zu x %zu x "
               "%zu, voxel %s x %s x %s; %s; %s\n",
               fs.n, skipped, c->out, volname, g.nx, g.ny, g.nz,
               len_str(g.voxel_size_nm[0], lx, sizeof lx),
               len_str(g.voxel_size_nm[1], ly, sizeof ly),
               len_str(g.voxel_size_nm[2], lz, sizeof lz), tc.why,
               g.y_scale != 1.0 || p.tilt_corrected ? g.tilt_note
                                                    : "nothing stretched");
        if (g.cropped)
            printf("cryofib recon: cropped to the region every slice covers: "
                   "x %zu..%zu, y %zu..%zu of the %zu x %zu frame "
                   "(--no-crop-valid keeps it all)\n",
                   g.valid.x, g.valid.x + g.valid.width - 1, g.valid.y,
                   g.valid.y + g.valid.height - 1, g.full_nx, g.full_ny);
    }
    goto done;
fail:
    cli_progress_done(&ps);
    fib_fmt_txn_explain(txn, &err); /* name the outputs, not the stage */
    rc = cli_fail(CMD, st, &err);
done:
    vol_sink_clear(&vs);
    fib_recon_destroy(r);
    fib_recon_correct_destroy(fs.correct);
    fib_fmt_series_free(fs.paths, fs.n);
    fib_fmt_txn_abort(txn); /* NULL once committed */
    return rc;
}

int cli_cmd_recon(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    opts o;
    memset(&o, 0, sizeof o);
    o.c.tilt_corrected = -1;
    o.c.crop_valid = -1;
    int rc;
    /* `cryofib recon RUN.cfg [--quiet]`: a run file instead of options */
    if (argc >= 2 && argv[1][0] != '-') {
        fib_error err = {0};
        fib_status st = fib_fmt_recon_cfg_read(argv[1], &o.c, &err);
        if (st)
            return cli_fail(CMD, st, &err);
        o.run_file = argv[1];
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--quiet")) {
                o.quiet = true;
            } else {
                fib_fmt_recon_cfg_free(&o.c);
                return cli_usage_error(CMD,
                                       "with a run file only --quiet is "
                                       "accepted (got '%s')",
                                       argv[i]);
            }
        }
    } else {
        rc = parse_args(argc, argv, &o);
        if (rc >= 0) {
            fib_fmt_recon_cfg_free(&o.c);
            return rc;
        }
        if (optind < argc) {
            fib_fmt_recon_cfg_free(&o.c);
            return cli_usage_error(CMD, "unexpected argument '%s'",
                                   argv[optind]);
        }
        if (!o.c.input || !o.c.out) {
            fib_fmt_recon_cfg_free(&o.c);
            return cli_usage_error(CMD, "--input and --out are required "
                                        "(see --help)");
        }
    }
    rc = run(&o);
    fib_fmt_recon_cfg_free(&o.c);
    return rc;
}
