/*
 * simulate_internal.h -- private to the digital twin: the fib_sim struct,
 * its random streams and the label helpers shared by simulate.c (set-up)
 * and simulate_render.c (image formation).  Not installed.
 */
#ifndef FIB_RECON_SIMULATE_INTERNAL_H
#define FIB_RECON_SIMULATE_INTERNAL_H

#include <stdint.h>

#include "fib/simulate.h"
#include "rng.h"

#define FIB_PI 3.14159265358979323846

/* ---- PRNG: the shared xoshiro256** of rng.h, salted apart from the phantom */

typedef fib__rng rng;

static inline void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    fib__rng_seed(r, seed, stream, 0x5157u);
}

static inline double rng_uniform(rng *r)
{
    return fib__rng_uniform(r);
}

static inline double rng_normal(rng *r)
{
    return fib__rng_normal(r);
}

/* Independent streams: one artifact each (see the header). */
enum {
    S_DEPTH = 1,
    S_DRIFT,
    S_CURTAIN,
    S_SHADE,
    S_GAIN,
    S_FRAME,
    S_NOISE = 1000 /* + slice */
};

struct fib_sim {
    fib_sim_params p;
    const fib_volume *lab;
    fib_sim_geometry g;
    double vox[3];
    fib_sim_slice *sl;
    double mean_c[2];
    /* curtains */
    size_t ncur;
    double *cur_x_nm, *cur_sigma_nm, *cur_amp; /* amp: ncur x nz */
    /* shading polynomial and per-slice amplitude; slice offsets */
    double shade_c[3];
    double *shade_amp, *offset;
    double sin_th, cos_th; /* line of sight: (0, cos, sin) in (x, y, z) */
    double *frame_col;     /* nx: frame-fixed stripe profile, or NULL */
};

static inline uint32_t label_at(const fib_volume *v, size_t x, size_t y,
                                size_t z)
{
    const char *p = (const char *)v->data + z * v->stride_z + y * v->stride_y;
    switch (v->type) {
    case FIB_PX_U8:
        return ((const uint8_t *)p)[x];
    case FIB_PX_U16:
        return ((const uint16_t *)p)[x];
    default:
        return ((const uint32_t *)p)[x];
    }
}

static inline int phase_of(const fib_sim *s, uint32_t v)
{
    size_t lo = 0, hi = s->g.n_phases;
    while (hi - lo > 1) {
        const size_t m = (lo + hi) / 2;
        if (s->g.labels[m] <= v)
            lo = m;
        else
            hi = m;
    }
    return (int)lo;
}

static inline double pos(double v)
{
    return v > 0 ? v : 0;
}

#endif
