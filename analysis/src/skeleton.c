/*
 * skeleton.c -- 3D medial-axis thinning (Lee, Kashyap & Chu 1994) and
 * skeleton graph metrics.
 *
 * Thinning: repeated passes over the six face directions (y-, y+, x+, x-,
 * z+, z-, the order of Lee's paper, of Fiji's Skeletonize3D (Arganda-
 * Carreras) and of scikit-image's port).  In a pass the border voxels of
 * that direction are collected that are not end points (exactly one
 * 26-neighbour), are Euler invariant (Lee's condition 1: removing the
 * voxel does not change the Euler characteristic of its 26-neighbourhood,
 * summed over its 8 octants, Lee94 Table 2 column dG26) and leave at most
 * one 26-component of object voxels in N26*(p) (conditions 2-3, Lee's
 * "N(v) labelling"); then they are removed one by one in raster order
 * after re-checking the labelling condition alone (Lee's sequential
 * re-check, which keeps 2-voxel-thick parts from vanishing).  These are
 * the criteria of those implementations, so the skeleton is the same
 * voxel for voxel (bench/run_measure.sh compares with scikit-image).
 *
 * Speed: both tests run on the 3x3x3 neighbourhood packed into one word:
 * the Euler change is a sum of 8 table lookups (the octant tables are
 * computed here from the cubical-complex Euler characteristic
 * V - E + F - C, not copied), the labelling grows a component by
 * shift-and-mask dilations; a sweep visits only the object voxels still
 * present (a list kept in raster order), and candidates are collected in
 * parallel over blocks of that list and concatenated in order, so the
 * result does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fib/measure.h"
#include "fib/segment.h"
#include "analysis_internal.h"

/* The 3x3x3 neighbourhood of voxel i of the padded 0/1 volume as a 27-bit
 * word, centre bit (13) cleared: 9 rows of 3 bytes, each read as one
 * little-endian 4-byte load (the volume has 3 bytes of slack at the end),
 * bytes 0/1 folded to bits 0..2. */
static inline uint32_t gather27(const uint8_t *w, size_t i, size_t px,
                                size_t pxy)
{
    uint32_t b = 0;
    int sh = 0;
    for (int dz = -1; dz <= 1; dz++)
        for (int dy = -1; dy <= 1; dy++, sh += 3) {
            const uint8_t *r = w + i +
                               (size_t)((ptrdiff_t)dz * (ptrdiff_t)pxy +
                                        (ptrdiff_t)dy * (ptrdiff_t)px - 1);
            const uint32_t v =
                (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16;
            b |= ((v & 1u) | ((v >> 7) & 2u) | ((v >> 14) & 4u)) << sh;
        }
    return b & ~(1u << 13);
}

/* The 3x3x3 neighbourhood as a 27-bit word (bit z * 9 + y * 3 + x,
 * centre 13).  A component is grown by repeated dilation inside the set,
 * each dilation a few shifts and masks instead of a flood fill (tests/
 * test_measure.c checks both predicates below against a flood fill and a
 * global V - E + F - C count). */
#define B27(x, y, z) (1u << ((z)*9 + (y)*3 + (x)))
enum {
    M_X0 = B27(0, 0, 0) | B27(0, 1, 0) | B27(0, 2, 0) | B27(0, 0, 1) |
           B27(0, 1, 1) | B27(0, 2, 1) | B27(0, 0, 2) | B27(0, 1, 2) |
           B27(0, 2, 2)
};
static const uint32_t MX0 = M_X0, MX2 = M_X0 << 2;
static const uint32_t MY0 = 0x7u | (0x7u << 9) | (0x7u << 18);
static const uint32_t MY2 = (0x7u << 6) | (0x7u << 15) | (0x7u << 24);
static const uint32_t MZ0 = 0x1FFu, MZ2 = 0x1FFu << 18;
static inline uint32_t dil_x(uint32_t v)
{
    return v | ((v & ~MX2) << 1) | ((v & ~MX0) >> 1);
}
static inline uint32_t dil_y(uint32_t v)
{
    return v | ((v & ~MY2) << 3) | ((v & ~MY0) >> 3);
}
static inline uint32_t dil_z(uint32_t v)
{
    return v | ((v & ~MZ2) << 9) | ((v & ~MZ0) >> 9);
}
/* 26-dilation = the 3x3x3 box, separable */
static inline uint32_t dil26(uint32_t v)
{
    return dil_z(dil_y(dil_x(v)));
}

/* The component of the lowest set bit of @p seedset inside @p set. */
static inline uint32_t grow(uint32_t seedset, uint32_t set)
{
    uint32_t c = seedset & (~seedset + 1u); /* lowest bit */
    for (;;) {
        const uint32_t n = dil26(c) & set;
        if (n == c)
            return c;
        c = n;
    }
}

/* The 27-bit word of a 26-bit neighbour configuration (centre bit 13
 * cleared). */
static inline uint32_t word27(uint32_t cfg)
{
    return (cfg & 0x1FFFu) | ((cfg >> 13) << 14);
}

static inline bool t26_le1(uint32_t obj)
{
    return !obj || grow(obj, obj) == obj;
}

bool fib__skel_t26_le1(uint32_t cfg)
{
    return t26_le1(word27(cfg));
}

/* Euler characteristic change tables: for each corner q of the centre
 * voxel, the 8 voxels around q (the octant) as an 8-bit index in the
 * order of oct_bits[q]; dchi8[q][idx] = 8 x (phi(with centre) -
 * phi(without centre)), phi the share of the lattice point q in
 * V - E + F - C of the union of closed unit cubes: 1 if q is covered,
 * minus 1/2 per covered edge at q, plus 1/4 per covered face, minus 1/8
 * per cube.  Summed over the 8 corners this is the change of the Euler
 * characteristic when the centre voxel is removed (only those corners'
 * shares change). */
static int oct_bits[8][8];
static int dchi8[8][256];
/* win4[w][plane]: the 2x2 window w = qx + 2 qy of a 9-bit z-plane of the
 * word as the 4 bits a + 2 b (the octant index is two such windows) */
static uint8_t win4[4][512];
static int euler_ready;

static int phi8(int occ[2][2][2])
{
    /* occ[a][b][c]: the voxel on side a (x), b (y), c (z) of the point */
    int any = 0, cubes = 0, edges = 0, faces = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 2; c++) {
                any |= occ[a][b][c];
                cubes += occ[a][b][c];
            }
    for (int side = 0; side < 2; side++) {
        /* the edge along +-x (side) is in the 4 voxels with a == side */
        int ex = 0, ey = 0, ez = 0;
        for (int u = 0; u < 2; u++)
            for (int v = 0; v < 2; v++) {
                ex |= occ[side][u][v];
                ey |= occ[u][side][v];
                ez |= occ[u][v][side];
            }
        edges += ex + ey + ez;
    }
    for (int u = 0; u < 2; u++)
        for (int v = 0; v < 2; v++)
            /* the quarter faces at the point: normal to z, y and x */
            faces += (occ[u][v][0] | occ[u][v][1]) +
                     (occ[u][0][v] | occ[u][1][v]) +
                     (occ[0][u][v] | occ[1][u][v]);
    return 8 * any - 4 * edges + 2 * faces - cubes;
}

static void euler_init(void)
{
    for (int wq = 0; wq < 4; wq++)
        for (int pl = 0; pl < 512; pl++) {
            const int qx = wq & 1, qy = wq >> 1;
            int v = 0;
            for (int k = 0; k < 4; k++)
                v |= ((pl >> ((qy + (k >> 1)) * 3 + qx + (k & 1))) & 1) << k;
            win4[wq][pl] = (uint8_t)v;
        }
    for (int q = 0; q < 8; q++) {
        /* corner q = (qx, qy, qz) of the centre voxel; its octant holds the
         * voxels (qx + a, qy + b, qz + c), a, b, c in {0, 1}, of the
         * 3x3x3 index */
        const int qx = q & 1, qy = (q >> 1) & 1, qz = q >> 2;
        for (int k = 0; k < 8; k++) {
            const int a = k & 1, b = (k >> 1) & 1, c = k >> 2;
            oct_bits[q][k] = (qz + c) * 9 + (qy + b) * 3 + (qx + a);
        }
        for (int idx = 0; idx < 256; idx++) {
            int occ[2][2][2], occ0[2][2][2];
            for (int k = 0; k < 8; k++) {
                const int a = k & 1, b = (k >> 1) & 1, c = k >> 2;
                const bool centre = oct_bits[q][k] == 13;
                occ[a][b][c] = centre ? 1 : (idx >> k) & 1;
                occ0[a][b][c] = centre ? 0 : (idx >> k) & 1;
            }
            dchi8[q][idx] = phi8(occ) - phi8(occ0);
        }
    }
}

static void euler_ready_once(void)
{
    if (!__atomic_load_n(&euler_ready, __ATOMIC_ACQUIRE)) {
#pragma omp critical(fib_skel_euler)
        if (!__atomic_load_n(&euler_ready, __ATOMIC_RELAXED)) {
            euler_init();
            __atomic_store_n(&euler_ready, 1, __ATOMIC_RELEASE);
        }
    }
}

/* @p w: 27-bit word, centre cleared; euler_ready_once() has run */
static inline bool euler_invariant(uint32_t w)
{
    const unsigned pl[3] = {w & 511u, (w >> 9) & 511u, w >> 18};
    int sum = 0;
    for (int q = 0; q < 8; q++) {
        /* bits k = a + 2 b + 4 c: window of plane qz (c = 0), then qz + 1 */
        const int wq = q & 3, qz = q >> 2;
        sum += dchi8[q][win4[wq][pl[qz]] | win4[wq][pl[qz + 1]] << 4];
    }
    return sum == 0;
}

bool fib__skel_euler_invariant(uint32_t cfg)
{
    euler_ready_once();
    return euler_invariant(word27(cfg));
}

/* Candidates of sub-iteration direction @p d (offset @p dir) among the
 * alive voxels alive[a0..a1): border voxels (background on that side)
 * that are not end points (exactly one 26-neighbour), are Euler
 * invariant and leave at most one 26-component, in raster order.  The
 * answer depends on the 3x3x3 neighbourhood only, so it is memoised per
 * voxel and direction (memo bit 8 + d) and recomputed only where the
 * neighbourhood changed since (dirty bit d, set for all 26 neighbours of
 * every removed voxel). */
static size_t collect(const uint8_t *w, uint16_t *memo, const size_t *alive,
                      size_t a0, size_t a1, int d, ptrdiff_t dir, size_t px,
                      size_t pxy, size_t *out)
{
    const uint16_t dirty = (uint16_t)(1u << d), res = (uint16_t)(0x100u << d);
    size_t nc = 0;
    for (size_t k = a0; k < a1; k++) {
        const size_t i = alive[k];
        /* removed earlier in this sweep, or not a border voxel of this
         * side (the memo is not needed: it stays dirty or valid) */
        if (!w[i] || w[(size_t)((ptrdiff_t)i + dir)])
            continue;
        const uint16_t mk = memo[i];
        if (!(mk & dirty)) {
            if (mk & res)
                out[nc++] = i;
            continue;
        }
        const uint32_t b = gather27(w, i, px, pxy);
        /* not an end point (exactly one neighbour) */
        const bool cand =
            !(b && !(b & (b - 1))) && euler_invariant(b) && t26_le1(b);
        memo[i] = (uint16_t)((mk & ~(dirty | res)) | (cand ? res : 0));
        if (cand)
            out[nc++] = i;
    }
    return nc;
}

fib_status fib_recon_skeletonize(fib_volume *mask, fib_error *err)
{
    fib_status st = fib__vol_check(mask, "skeleton input", err);
    if (st != FIB_OK)
        return st;
    if (mask->type != FIB_PX_U8)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: skeletonize needs a u8 mask");
    size_t nx = mask->nx, ny = mask->ny, nz = mask->nz;
    size_t px = nx + 2, py = ny + 2, pz = nz + 2, pxy = px * py;
    uint8_t *w = calloc(px * py * pz + 3, 1);
    uint16_t *memo = malloc(px * py * pz * sizeof *memo);
    size_t *alive = NULL, *cand = NULL, *cnt = NULL;
    if (!w || !memo) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    euler_ready_once();
    for (size_t i = 0; i < px * py * pz; i++)
        memo[i] = 0x3F; /* every direction to be computed */
    uint8_t *m = mask->data;
    size_t na = 0;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                const bool on = m[(z * ny + y) * nx + x] != 0;
                w[(z + 1) * pxy + (y + 1) * px + x + 1] = on;
                na += on;
            }
    /* the alive list: every object voxel in raster order (compacted after
     * each sweep), so a sub-iteration visits the object, not the volume */
    alive = malloc((na ? na : 1) * sizeof *alive);
    cand = malloc((na ? na : 1) * sizeof *cand);
    if (!alive || !cand) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    na = 0;
    for (size_t z = 1; z <= nz; z++)
        for (size_t y = 1; y <= ny; y++)
            for (size_t x = 1; x <= nx; x++) {
                const size_t i = z * pxy + y * px + x;
                if (w[i])
                    alive[na++] = i;
            }
    /* candidate collection in parallel over blocks of the alive list
     * (read-only on w); block results are concatenated in order, so the
     * candidate list -- and the result -- is the serial one */
    int nth = 1;
#ifdef _OPENMP
    nth = omp_get_max_threads();
#endif
    const size_t nblk = (size_t)nth * 8;
    cnt = malloc((nblk + 1) * sizeof *cnt);
    if (!cnt) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    /* direction offsets in Lee's order */
    const ptrdiff_t dir[6] = {-(ptrdiff_t)px, (ptrdiff_t)px,  1, -1,
                              (ptrdiff_t)pxy, -(ptrdiff_t)pxy};
    size_t changed;
    do {
        changed = 0;
        for (int d = 0; d < 6; d++) {
            /* block k covers alive[k na / nblk, (k + 1) na / nblk); its
             * candidates go to cand at the same offsets, then are packed */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
            for (long k = 0; k < (long)nblk; k++) {
                const size_t a0 = (size_t)k * na / nblk;
                const size_t a1 = (size_t)(k + 1) * na / nblk;
                cnt[k] = collect(w, memo, alive, a0, a1, d, dir[d], px, pxy,
                                 cand + a0);
            }
            size_t nc = 0;
            for (size_t k = 0; k < nblk; k++) {
                const size_t a0 = k * na / nblk;
                memmove(cand + nc, cand + a0, cnt[k] * sizeof *cand);
                nc += cnt[k];
            }
            /* Lee's sequential re-check, in raster order */
            for (size_t k = 0; k < nc; k++) {
                const size_t i = cand[k];
                if (t26_le1(gather27(w, i, px, pxy))) {
                    w[i] = 0;
                    changed++;
                    for (ptrdiff_t dz = -1; dz <= 1; dz++)
                        for (ptrdiff_t dy = -1; dy <= 1; dy++) {
                            uint16_t *r = memo + i +
                                          (size_t)(dz * (ptrdiff_t)pxy +
                                                   dy * (ptrdiff_t)px - 1);
                            r[0] |= 0x3F;
                            r[1] |= 0x3F;
                            r[2] |= 0x3F;
                        }
                }
            }
        }
        if (changed) {
            size_t j = 0;
            for (size_t k = 0; k < na; k++)
                if (w[alive[k]])
                    alive[j++] = alive[k];
            na = j;
        }
    } while (changed);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++)
                m[(z * ny + y) * nx + x] =
                    w[(z + 1) * pxy + (y + 1) * px + x + 1];
done:
    free(w);
    free(memo);
    free(alive);
    free(cand);
    free(cnt);
    return st;
}

/* ---- graph metrics --------------------------------------------------------
 */

/* Degree of each skeleton voxel (deg[i] = 1 + its 26-neighbours in the
 * skeleton, 0 = not skeleton), the voxel, end-point, isolated and junction
 * counts, and the heights above @p substrate_face (-1: none). */
static void skel_degrees(const uint8_t *s, const size_t dims[3],
                         const double sp[3], int substrate_face, uint8_t *deg,
                         fib_skeleton_stats *out)
{
    const size_t nx = dims[0], ny = dims[1], nz = dims[2];
    double hsum = 0, hmax = 0;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                size_t i = (z * ny + y) * nx + x;
                if (!s[i])
                    continue;
                int c = 0;
                for (int k = 0; k < 26; k++) {
                    size_t j;
                    if (fib__n26_index(x, y, z, nx, ny, nz, k, &j))
                        c += s[j] != 0;
                }
                deg[i] = (uint8_t)(c + 1); /* 1 + neighbours, 0 = none */
                out->n_voxels++;
                if (c == 0)
                    out->n_isolated++;
                else if (c == 1)
                    out->n_end_points++;
                else if (c >= 3)
                    out->n_junction_voxels++;
                if (substrate_face >= 0) {
                    int ax = substrate_face / 2;
                    size_t cc[3] = {x, y, z};
                    double h =
                        substrate_face % 2
                            ? ((double)(dims[ax] - cc[ax]) - 0.5) * sp[ax]
                            : ((double)cc[ax] + 0.5) * sp[ax];
                    hsum += h;
                    if (h > hmax)
                        hmax = h;
                }
            }
    if (substrate_face >= 0 && out->n_voxels) {
        out->max_height_um = hmax * 1e-3;
        out->mean_height_um = hsum / (double)out->n_voxels * 1e-3;
    } else {
        out->max_height_um = out->mean_height_um = (double)NAN;
    }
}

/* Walk the branch through voxel i0 (a slab voxel, both ways; or an end
 * point when @p spur, one way) along degree-2 chains (deg 3) marking @p vis;
 * the nodes reached go to ends[], the path length (nm) to *length.
 * Returns true when the walk closed a loop. */
static bool walk_branch(const uint8_t *deg, uint8_t *vis, const size_t dims[3],
                        const double sp[3], size_t i0, bool spur,
                        size_t ends[2], double *length)
{
    const size_t nx = dims[0], ny = dims[1], nz = dims[2];
    bool loop = false;
    ends[0] = ends[1] = i0;
    *length = 0;
    vis[i0] = 1;
    for (int side = 0; side < (spur ? 1 : 2); side++) {
        size_t prev = SIZE_MAX, cur = i0;
        int skip = side; /* on the 2nd side take the other neighbour */
        for (;;) {
            size_t x = cur % nx, y = (cur / nx) % ny, z = cur / (nx * ny);
            size_t nxt = SIZE_MAX;
            int ndx = 0, ndy = 0, ndz = 0, seen = 0;
            for (int k = 0; k < 26; k++) {
                size_t j;
                if (!fib__n26_index(x, y, z, nx, ny, nz, k, &j))
                    continue;
                if (!deg[j] || j == prev)
                    continue;
                if (cur == i0 && seen++ < skip)
                    continue;
                nxt = j;
                ndx = fib__n26[k][0];
                ndy = fib__n26[k][1];
                ndz = fib__n26[k][2];
                break;
            }
            if (nxt == SIZE_MAX)
                break;
            *length += fib__step_len(sp, ndx, ndy, ndz);
            if (nxt == i0) {
                loop = true;
                break;
            }
            if (deg[nxt] != 3) { /* reached a node */
                ends[side] = nxt;
                if (deg[nxt] == 2)
                    vis[nxt] = 1; /* end point: do not start again */
                break;
            }
            if (vis[nxt]) {
                loop = true;
                break;
            }
            vis[nxt] = 1;
            prev = cur;
            cur = nxt;
        }
        if (loop)
            break;
    }
    return loop;
}

fib_status fib_recon_skeleton_stats(const fib_volume *skel, int substrate_face,
                                    fib_skeleton_stats *out, fib_error *err)
{
    fib_status st = fib__vol_check(skel, "skeleton", err);
    memset(out, 0, sizeof *out);
    if (st != FIB_OK)
        return st;
    if (skel->type != FIB_PX_U8)
        return fib_error_set(err, FIB_EINVAL, "recon: skeleton must be u8");
    if (substrate_face < -1 || substrate_face > 5)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: substrate face must be -1..5 (got %d)",
                             substrate_face);
    size_t nx = skel->nx, ny = skel->ny, nz = skel->nz, n = nx * ny * nz;
    size_t dims[3] = {nx, ny, nz};
    double sp[3];
    fib__vol_spacing(skel, sp);
    uint8_t *deg = calloc(n, 1), *vis = calloc(n, 1);
    fib_volume jv = {0}, jl = {0};
    if (!deg || !vis) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    skel_degrees(skel->data, dims, sp, substrate_face, deg, out);
    /* junction clusters */
    if ((st = fib_volume_init(&jv, FIB_PX_U8, nx, ny, nz, err)) != FIB_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)jv.data)[i] = deg[i] >= 4;
    if ((st = fib_recon_label(&jv, 26, &jl, &out->n_junctions, err)) != FIB_OK)
        goto done;
    /* branches: chains of degree-2 voxels between nodes */
    double len_sum = 0, tort_sum = 0;
    size_t ntort = 0;
    for (size_t i0 = 0; i0 < n; i0++) {
        bool spur = deg[i0] == 2; /* end point: a branch may start here */
        if (!(deg[i0] == 3 && !vis[i0]) && !spur)
            continue;
        if (spur && vis[i0])
            continue;
        size_t ends[2];
        double length;
        if (walk_branch(deg, vis, dims, sp, i0, spur, ends, &length)) {
            out->n_isolated++; /* a closed loop */
            continue;
        }
        out->n_branches++;
        len_sum += length;
        size_t a = ends[0], b = spur ? i0 : ends[1];
        double d[3] = {
            ((double)(a % nx) - (double)(b % nx)) * sp[0],
            ((double)((a / nx) % ny) - (double)((b / nx) % ny)) * sp[1],
            ((double)(a / (nx * ny)) - (double)(b / (nx * ny))) * sp[2]};
        double e = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (e > 0) {
            tort_sum += length / e;
            ntort++;
        }
    }
    out->total_length_um = len_sum * 1e-3;
    out->mean_branch_length_um =
        out->n_branches ? len_sum / (double)out->n_branches * 1e-3 : 0;
    out->mean_branch_tortuosity =
        ntort ? tort_sum / (double)ntort : (double)NAN;
done:
    free(deg);
    free(vis);
    fib_volume_clear(&jv);
    fib_volume_clear(&jl);
    return st;
}
