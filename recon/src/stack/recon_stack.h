/*
 * recon_stack.h -- private: the state of a streaming reconstruction
 * (struct fib_recon, fib/recon.h) and the functions its files share.
 *   recon.c        create, parameter check, cache, accessors, one pair
 *   recon_pass1.c  pass 1: read each slice once, measure the pairs
 *   recon_solve.c  the weighted least-squares solve, closure test,
 *                  geometry and the valid-region crop
 *   recon_write.c  pass 2: resample every slice into the sink
 */
#ifndef FIB_RECON_STACK_H
#define FIB_RECON_STACK_H

#include "align.h"
#include "fib/recon.h"

#define FIB_PI 3.14159265358979323846
/* the limits of fib_recon_params (fib/recon.h) */
#define MAX_NEIGHBOURS FIB_RECON_MAX_NEIGHBOURS
#define MAX_LENGTH_NM FIB_RECON_MAX_LENGTH_NM
#define MIN_LENGTH_NM FIB_RECON_MIN_LENGTH_NM
/* Fewest closures of a distance for its statistics to be used: below it
 * the distance keeps weight 1 (as without the test). */
#define MIN_CLOSURES 8
/* Significance of a per-distance systematic closure bias, in standard
 * errors (two-sided p = 0.003 per axis under normal scatter). */
#define CLOSURE_Z 3.0

/* Models beyond translation: the tile fit of one pair (parallel to
 * fib_recon.pairs; recon_affine.c). */
typedef struct fib__pair_lin {
    double lin[4];   /* L_ab, row-major */
    double shift[2]; /* the fit's shift at the centre c, px */
    double rms_px;   /* RMS residual of the kept tiles, px */
    size_t tiles;    /* kept tiles; 0 = none */
} fib__pair_lin;

struct fib_recon {
    fib_recon_params p;
    fib_recon_source src;
    fib_budget own_budget;
    fib_budget *budget;
    size_t K;
    unsigned ups;
    int nthreads;
    fib_recon_rect crop;  /* output region (roi or whole image) */
    fib_recon_rect align; /* alignment region */
    fib_recon_pair *pairs;
    size_t n_pairs, cap_pairs;
    fib__pair_lin *plin; /* cap_pairs entries; NULL for translation */
    fib_recon_slice_info *info;
    double *pos;  /* 2n solved content positions (x then y) */
    double *zpos; /* n measured face positions, nm (p.z_nm), or NULL */
    /* closure statistics and solve weights per distance (index k - 1) */
    fib_recon_distance dist[MAX_NEIGHBOURS];
    fib_recon_qc qc;
    bool clip_now; /* this pass 1 clips the dark class (dark_clip) */
    size_t charged;
    float *cache;       /* n * w * h slices kept between the passes, or NULL */
    size_t cache_bytes; /* charged for the cache */
    bool estimated;
    fib_recon_geometry geom;
    /* pass 1 with fib_recon_params.comm: slices p1_lo .. own_hi - 1 are
     * read, the pairs ending in own_lo .. own_hi - 1 kept (0, 0, n for
     * one process) */
    size_t p1_lo, own_lo, own_hi;
};

/* recon.c */
fib_status fib__recon_charge(fib_recon *r, size_t bytes, const char *what,
                             fib_error *err);
void fib__recon_release(fib_recon *r, size_t bytes);
fib_status fib__recon_check_params(const fib_recon_params *p,
                                   const fib_recon_source *s, fib_error *err);
void fib__recon_cache_free(fib_recon *r);
void fib__recon_cache_try(fib_recon *r);

/* recon_pass1.c */
bool fib__recon_skippable(fib_status st);
fib_status fib__recon_read_slice(fib_recon *r, const fib_recon_source *s,
                                 size_t i, fib_image *out, fib_error *err);

/* recon_part.c: several processes (fib_recon_params.comm) */
bool fib__recon_parted(const fib_recon *r);
void fib__recon_part_pass1(fib_recon *r);
fib_status fib__recon_share_pairs(fib_recon *r, fib_status st, fib_error *err);
void fib__recon_part_output(const fib_recon *r, size_t z_align, size_t *zb,
                            size_t *ze);
fib_status fib__recon_share_write_qc(fib_recon *r, const bool *own,
                                     fib_status st, fib_error *err);

/* recon_solve.c */
fib_status fib__recon_solve(fib_recon *r, fib_error *err);
void fib__recon_finish_shifts(fib_recon *r);
void fib__recon_make_geometry(fib_recon *r, size_t kept);
double fib__recon_median_step(const double *z, size_t n);
double fib__recon_slice_z(const fib_recon *r, size_t i);
double fib__recon_depth_nm(const fib_recon *r, size_t i);
/* recon_similar.c */
size_t fib__recon_sim_capacity(const fib_recon *r);
size_t fib__recon_sim_sample(const fib_recon *r, const fib_image *im,
                             float *out);
void fib__recon_sim_pair(const float *a, const float *b, size_t n, double *ncc,
                         double *nmi);
void fib__recon_sim_flag(fib_recon *r);
/* recon_frc.c: single-image FRC resolution (fib_recon_frc()) with its FFT
 * plans kept for a run of same-size regions; create gives NULL (no
 * estimate) for a region under 64 x 64. */
typedef struct fib__frc fib__frc;
fib_status fib__frc_create(size_t w, size_t h, fib__frc **out, fib_error *err);
size_t fib__frc_bytes(size_t w, size_t h); /* what create allocates */
double fib__frc_px(fib__frc *f, const fib_image *im, size_t x0, size_t y0,
                   size_t w, size_t h);
void fib__frc_destroy(fib__frc *f);
fib_status fib__recon_apply_crop_valid(fib_recon *r, fib_error *err);

/* recon_affine.c: models beyond translation (fib_recon_model) */
typedef struct fib__recon_tiles fib__recon_tiles;
/* Alignment-region centre c of the linear parts, input px (pixel-centre
 * coordinates: pixel i at i). */
void fib__recon_lin_centre(const fib_recon *r, double c[2]);
fib_status fib__recon_tiles_create(fib_recon *r, int nthreads, size_t ring,
                                   fib__recon_tiles **out, size_t *bytes_out,
                                   fib_error *err);
void fib__recon_tiles_destroy(fib__recon_tiles *t);
void fib__recon_tiles_spectrum(fib__recon_tiles *t, const fib_image *img,
                               size_t slot);
void fib__recon_tiles_pair(fib__recon_tiles *t, int thread, size_t a_slot,
                           size_t b_slot, double lin[4], double shift[3],
                           size_t *tiles_used);
fib_status fib__recon_solve_linear(fib_recon *r, fib_error *err);
void fib__recon_lin_dev(const fib_recon *r, size_t i, double dev[2]);
/* recon_warp.c: pass 2 with a linear part (general per-pixel bilinear) */
typedef struct fib__warp {
    const fib_image *in;
    fib_image *out;
    const double *mapx, *mapy; /* output -> reference input px */
    double cxs, cys;           /* reference px per channel px */
    double c[2];               /* centre of the linear part */
    const double *a;           /* A_i, row-major */
    double sx, sy;             /* applied shift */
    int nthreads;
} fib__warp;
void fib__recon_warp(const fib__warp *w);

#endif
