/*
 * skeleton.c -- 3D medial-axis thinning (Lee, Kashyap & Chu 1994) and
 * skeleton graph metrics.
 *
 * Thinning: repeated passes over the six face directions (y-, y+, x+, x-,
 * z+, z-, the order of Lee's paper and skimage's port).  In a pass the
 * border voxels of that direction that are not end points (exactly one
 * 26-neighbour) and are simple points are collected, then removed one by
 * one after re-checking that each is still simple (Lee's sequential
 * re-check, which keeps 2-voxel-thick parts from vanishing).  Simplicity
 * uses the topological numbers of Bertrand & Malandain (Pattern Recognit.
 * Lett. 15:169, 1994): T26(p) = number of 26-components of the object in
 * N26*(p) and T6bar(p) = number of 6-components of the background in
 * N18(p) that are 6-adjacent to p; p is simple iff both are 1.  Removing
 * simple points keeps the number of objects, cavities and tunnels, which
 * is what Lee's Euler-invariance plus connectivity tests check.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "recon_internal.h"

/* neighbourhood index: (dz+1)*9 + (dy+1)*3 + (dx+1); centre 13 */
typedef struct nbtab {
    int adj26[27][26], n26[27];
    int adj6[27][6], n6[27];
    bool in18[27];
} nbtab;

static void nbtab_init(nbtab *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < 27; i++) {
        int xi = i % 3, yi = (i / 3) % 3, zi = i / 9;
        int m = abs(xi - 1) + abs(yi - 1) + abs(zi - 1);
        t->in18[i] = m >= 1 && m <= 2;
        for (int j = 0; j < 27; j++) {
            if (i == j || j == 13)
                continue;
            int dx = abs(xi - j % 3), dy = abs(yi - (j / 3) % 3),
                dz = abs(zi - j / 9);
            if (dx <= 1 && dy <= 1 && dz <= 1)
                t->adj26[i][t->n26[i]++] = j;
            if (dx + dy + dz == 1)
                t->adj6[i][t->n6[i]++] = j;
        }
    }
}

static bool is_simple(const nbtab *t, const uint8_t nb[27])
{
    int stack[27], sp;
    bool seen[27];
    /* T26 of the object in N26* */
    memset(seen, 0, sizeof seen);
    int comps = 0;
    for (int s = 0; s < 27; s++) {
        if (s == 13 || !nb[s] || seen[s])
            continue;
        if (++comps > 1)
            return false;
        sp = 0;
        stack[sp++] = s;
        seen[s] = true;
        while (sp) {
            int u = stack[--sp];
            for (int k = 0; k < t->n26[u]; k++) {
                int v = t->adj26[u][k];
                if (nb[v] && !seen[v]) {
                    seen[v] = true;
                    stack[sp++] = v;
                }
            }
        }
    }
    if (comps != 1)
        return false;
    /* T6bar: background 6-components in N18 touching a face neighbour */
    memset(seen, 0, sizeof seen);
    static const int face[6] = {4, 10, 12, 14, 16, 22};
    comps = 0;
    for (int f = 0; f < 6; f++) {
        int s = face[f];
        if (nb[s] || seen[s])
            continue;
        if (++comps > 1)
            return false;
        sp = 0;
        stack[sp++] = s;
        seen[s] = true;
        while (sp) {
            int u = stack[--sp];
            for (int k = 0; k < t->n6[u]; k++) {
                int v = t->adj6[u][k];
                if (t->in18[v] && !nb[v] && !seen[v]) {
                    seen[v] = true;
                    stack[sp++] = v;
                }
            }
        }
    }
    return comps == 1;
}

static void gather(const uint8_t *w, size_t i, size_t px, size_t pxy,
                   uint8_t nb[27])
{
    int k = 0;
    for (int dz = -1; dz <= 1; dz++)
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
                nb[k++] = w[(size_t)((ptrdiff_t)i + dx + dy * (ptrdiff_t)px +
                                     dz * (ptrdiff_t)pxy)] != 0;
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
    uint8_t *w = calloc(px * py * pz, 1);
    size_t *cand = NULL, ncap = 0;
    nbtab *t = malloc(sizeof *t);
    if (!w || !t) {
        free(w);
        free(t);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    nbtab_init(t);
    uint8_t *m = mask->data;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++)
                w[(z + 1) * pxy + (y + 1) * px + x + 1] =
                    m[(z * ny + y) * nx + x] != 0;
    /* direction offsets in Lee's order */
    const ptrdiff_t dir[6] = {-(ptrdiff_t)px, (ptrdiff_t)px,  1, -1,
                              (ptrdiff_t)pxy, -(ptrdiff_t)pxy};
    size_t changed;
    do {
        changed = 0;
        for (int d = 0; d < 6; d++) {
            size_t nc = 0;
            for (size_t z = 1; z <= nz; z++)
                for (size_t y = 1; y <= ny; y++)
                    for (size_t x = 1; x <= nx; x++) {
                        size_t i = z * pxy + y * px + x;
                        if (!w[i] || w[(size_t)((ptrdiff_t)i + dir[d])])
                            continue;
                        uint8_t nb[27];
                        gather(w, i, px, pxy, nb);
                        int cnt = 0;
                        for (int k = 0; k < 27; k++)
                            cnt += nb[k];
                        if (cnt - 1 == 1) /* end point */
                            continue;
                        if (!is_simple(t, nb))
                            continue;
                        if (nc == ncap) {
                            size_t nn = ncap ? 2 * ncap : 4096;
                            size_t *c2 = realloc(cand, nn * sizeof *c2);
                            if (!c2) {
                                st = fib_error_set(err, FIB_ENOMEM,
                                                   "recon: out of memory");
                                goto done;
                            }
                            cand = c2;
                            ncap = nn;
                        }
                        cand[nc++] = i;
                    }
            for (size_t k = 0; k < nc; k++) {
                uint8_t nb[27];
                gather(w, cand[k], px, pxy, nb);
                if (is_simple(t, nb)) {
                    w[cand[k]] = 0;
                    changed++;
                }
            }
        }
    } while (changed);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++)
                m[(z * ny + y) * nx + x] =
                    w[(z + 1) * pxy + (y + 1) * px + x + 1];
done:
    free(w);
    free(t);
    free(cand);
    return st;
}

/* ---- graph metrics --------------------------------------------------------
 */

static double step_len(const double sp[3], int dx, int dy, int dz)
{
    return sqrt(dx * dx * sp[0] * sp[0] + dy * dy * sp[1] * sp[1] +
                dz * dz * sp[2] * sp[2]);
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
    const uint8_t *s = skel->data;
    uint8_t *deg = calloc(n, 1), *vis = calloc(n, 1);
    fib_volume jv = {0}, jl = {0};
    if (!deg || !vis) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    double hsum = 0, hmax = 0;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                size_t i = (z * ny + y) * nx + x;
                if (!s[i])
                    continue;
                int c = 0;
                for (int dz = -1; dz <= 1; dz++)
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) {
                            if (!dx && !dy && !dz)
                                continue;
                            ptrdiff_t xx = (ptrdiff_t)x + dx,
                                      yy = (ptrdiff_t)y + dy,
                                      zz = (ptrdiff_t)z + dz;
                            if (xx < 0 || yy < 0 || zz < 0 ||
                                xx >= (ptrdiff_t)nx || yy >= (ptrdiff_t)ny ||
                                zz >= (ptrdiff_t)nz)
                                continue;
                            c += s[((size_t)zz * ny + (size_t)yy) * nx +
                                   (size_t)xx] != 0;
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
        /* walk both ways from i0 (a slab voxel) or one way (end point) */
        size_t ends[2] = {i0, i0};
        double length = 0;
        bool loop = false;
        vis[i0] = 1;
        for (int side = 0; side < (spur ? 1 : 2); side++) {
            size_t prev = SIZE_MAX, cur = i0;
            int skip = side; /* on the 2nd side take the other neighbour */
            for (;;) {
                size_t x = cur % nx, y = (cur / nx) % ny, z = cur / (nx * ny);
                size_t nxt = SIZE_MAX;
                int ndx = 0, ndy = 0, ndz = 0, seen = 0;
                for (int dz = -1; dz <= 1 && nxt == SIZE_MAX; dz++)
                    for (int dy = -1; dy <= 1 && nxt == SIZE_MAX; dy++)
                        for (int dx = -1; dx <= 1; dx++) {
                            if (!dx && !dy && !dz)
                                continue;
                            ptrdiff_t xx = (ptrdiff_t)x + dx,
                                      yy = (ptrdiff_t)y + dy,
                                      zz = (ptrdiff_t)z + dz;
                            if (xx < 0 || yy < 0 || zz < 0 ||
                                xx >= (ptrdiff_t)nx || yy >= (ptrdiff_t)ny ||
                                zz >= (ptrdiff_t)nz)
                                continue;
                            size_t j = ((size_t)zz * ny + (size_t)yy) * nx +
                                       (size_t)xx;
                            if (!deg[j] || j == prev)
                                continue;
                            if (cur == i0 && seen++ < skip)
                                continue;
                            nxt = j;
                            ndx = dx;
                            ndy = dy;
                            ndz = dz;
                            break;
                        }
                if (nxt == SIZE_MAX)
                    break;
                length += step_len(sp, ndx, ndy, ndz);
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
        if (loop) {
            out->n_isolated++;
            continue;
        }
        if (spur && deg[ends[0]] == 2 && ends[0] != i0) {
            /* end point to end point: fine, a lone segment */
        }
        out->n_branches++;
        len_sum += length;
        size_t a = ends[0], b = ends[1];
        if (spur)
            b = i0;
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
