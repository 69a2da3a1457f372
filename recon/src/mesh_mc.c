/*
 * mesh_mc.c -- marching cubes with a generated, unambiguous case table
 * (see fib/mesh.h for the method), mesh area/volume/normals, and meshing
 * of label phases.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/mesh.h"
#include "recon_internal.h"

/* ---- case table ---------------------------------------------------------- */

#ifndef MC_SEPARATE_INSIDE
#define MC_SEPARATE_INSIDE 0
#endif
#define MC_MAXTRI 13 /* 12 crossed edges give at most 10 fan triangles */

typedef struct mc_table {
    int8_t tri[256][3 * MC_MAXTRI + 1]; /* edge ids, -1 terminated */
    int8_t edge_c0[12], edge_axis[12];
} mc_table;

static void corner_pos(int c, double p[3])
{
    p[0] = c & 1;
    p[1] = (c >> 1) & 1;
    p[2] = (c >> 2) & 1;
}

static void other_axes(int a, int *b, int *c)
{
    *b = a == 0 ? 1 : 0;
    *c = a == 2 ? 1 : 2;
}

static int edge_of(const mc_table *t, int ca, int cb)
{
    for (int e = 0; e < 12; e++) {
        int c0 = t->edge_c0[e], c1 = c0 | (1 << t->edge_axis[e]);
        if ((c0 == ca && c1 == cb) || (c0 == cb && c1 == ca))
            return e;
    }
    return -1;
}

static void edge_mid(const mc_table *t, int e, double m[3])
{
    corner_pos(t->edge_c0[e], m);
    m[t->edge_axis[e]] += 0.5;
}

/* Orient segment (ea -> eb) on the face with outward normal n so that the
 * inside corner c lies on its left seen from outside. */
static void add_segment(const mc_table *t, int ea, int eb, int c, bool c_inside,
                        const double n[3], int succ[12])
{
    double A[3], B[3], C[3], u[3], v[3], w[3];
    edge_mid(t, ea, A);
    edge_mid(t, eb, B);
    corner_pos(c, C);
    for (int i = 0; i < 3; i++) {
        u[i] = B[i] - A[i];
        v[i] = C[i] - A[i];
    }
    w[0] = u[1] * v[2] - u[2] * v[1];
    w[1] = u[2] * v[0] - u[0] * v[2];
    w[2] = u[0] * v[1] - u[1] * v[0];
    double side = w[0] * n[0] + w[1] * n[1] + w[2] * n[2];
    if (c_inside ? side > 0 : side < 0)
        succ[ea] = eb;
    else
        succ[eb] = ea;
}

static void build_table(mc_table *t)
{
    for (int a = 0, e = 0; a < 3; a++) {
        int b, c;
        other_axes(a, &b, &c);
        for (int k = 0; k < 4; k++, e++) {
            t->edge_axis[e] = (int8_t)a;
            t->edge_c0[e] = (int8_t)(((k & 1) << b) | (((k >> 1) & 1) << c));
        }
    }
    int polys[256][12 + 6];
    (void)polys;
    bool flip = false;
    for (int pass = 0; pass < 2; pass++) {
        for (int cfg = 0; cfg < 256; cfg++) {
            int succ[12];
            for (int i = 0; i < 12; i++)
                succ[i] = -1;
            for (int a = 0; a < 3; a++)
                for (int s = 0; s < 2; s++) {
                    int b, c;
                    other_axes(a, &b, &c);
                    double n[3] = {0, 0, 0};
                    n[a] = s ? 1 : -1;
                    int cyc[4];
                    cyc[0] = (s << a);
                    cyc[1] = (s << a) | (1 << b);
                    cyc[2] = (s << a) | (1 << b) | (1 << c);
                    cyc[3] = (s << a) | (1 << c);
                    int ins[4], ncross = 0;
                    for (int i = 0; i < 4; i++)
                        ins[i] = (cfg >> cyc[i]) & 1;
                    int cross[4];
                    for (int i = 0; i < 4; i++)
                        if (ins[i] != ins[(i + 1) & 3])
                            cross[ncross++] = i;
                    if (ncross == 2) {
                        int ci = -1;
                        for (int i = 0; i < 4; i++)
                            if (ins[i])
                                ci = cyc[i];
                        int i0 = cross[0], i1 = cross[1];
                        int ea = edge_of(t, cyc[i0], cyc[(i0 + 1) & 3]);
                        int eb = edge_of(t, cyc[i1], cyc[(i1 + 1) & 3]);
                        add_segment(t, ea, eb, ci, true, n, succ);
                    } else if (ncross == 4) {
                        /* cut off the corners on the separated side */
                        for (int i = 0; i < 4; i++) {
                            if (ins[i] != (MC_SEPARATE_INSIDE ? 1 : 0))
                                continue;
                            int ea = edge_of(t, cyc[(i + 3) & 3], cyc[i]);
                            int eb = edge_of(t, cyc[i], cyc[(i + 1) & 3]);
                            add_segment(t, ea, eb, cyc[i], ins[i] != 0, n,
                                        succ);
                        }
                    }
                }
            /* chain into loops and fan-triangulate */
            bool seen[12] = {false};
            int nt = 0;
            for (int e0 = 0; e0 < 12; e0++) {
                if (succ[e0] < 0 || seen[e0])
                    continue;
                int loop[12], len = 0, e = e0;
                while (!seen[e] && len < 12) {
                    seen[e] = true;
                    loop[len++] = e;
                    e = succ[e];
                }
                if (pass == 0 && cfg == 1) {
                    /* Newell normal of corner 0's polygon vs (1,1,1) */
                    double nrm[3] = {0, 0, 0};
                    for (int i = 0; i < len; i++) {
                        double p[3], q[3];
                        edge_mid(t, loop[i], p);
                        edge_mid(t, loop[(i + 1) % len], q);
                        nrm[0] += (p[1] - q[1]) * (p[2] + q[2]);
                        nrm[1] += (p[2] - q[2]) * (p[0] + q[0]);
                        nrm[2] += (p[0] - q[0]) * (p[1] + q[1]);
                    }
                    /* inside = above level; normal must point outwards */
                    flip = nrm[0] + nrm[1] + nrm[2] < 0;
                }
                /* fan from the apex that gives the largest area with the
                   vertices at edge midpoints (the binary-volume case);
                   this matches scikit-image's Lewiner tables closely */
                int apex = 0;
                double best = -1;
                for (int a0 = 0; a0 < len; a0++) {
                    double area = 0;
                    for (int i = 1; i + 1 < len; i++) {
                        double P[3], Q[3], R[3], u[3], v[3];
                        edge_mid(t, loop[a0], P);
                        edge_mid(t, loop[(a0 + i) % len], Q);
                        edge_mid(t, loop[(a0 + i + 1) % len], R);
                        for (int k = 0; k < 3; k++) {
                            u[k] = Q[k] - P[k];
                            v[k] = R[k] - P[k];
                        }
                        double cx = u[1] * v[2] - u[2] * v[1];
                        double cy = u[2] * v[0] - u[0] * v[2];
                        double cz = u[0] * v[1] - u[1] * v[0];
                        area += sqrt(cx * cx + cy * cy + cz * cz);
                    }
                    if (area > best + 1e-12) {
                        best = area;
                        apex = a0;
                    }
                }
                for (int i = 1; i + 1 < len && nt < MC_MAXTRI; i++) {
                    int8_t *d = &t->tri[cfg][3 * nt];
                    int q1 = loop[(apex + i) % len];
                    int q2 = loop[(apex + i + 1) % len];
                    d[0] = (int8_t)loop[apex];
                    d[1] = (int8_t)(flip ? q2 : q1);
                    d[2] = (int8_t)(flip ? q1 : q2);
                    nt++;
                }
            }
            t->tri[cfg][3 * nt] = -1;
        }
    }
}

/* ---- growing arrays -------------------------------------------------------
 */

typedef struct part {
    float *v;
    size_t nv, capv;
    uint32_t *t;
    size_t nt, capt;
    bool failed;
} part;

static uint32_t part_vertex(part *p, float x, float y, float z)
{
    if (p->nv == p->capv) {
        size_t cap = p->capv ? 2 * p->capv : 4096;
        float *nv = realloc(p->v, sizeof(float) * 3 * cap);
        if (!nv) {
            p->failed = true;
            return 0;
        }
        p->v = nv;
        p->capv = cap;
    }
    p->v[3 * p->nv] = x;
    p->v[3 * p->nv + 1] = y;
    p->v[3 * p->nv + 2] = z;
    return (uint32_t)p->nv++;
}

static void part_tri(part *p, uint32_t a, uint32_t b, uint32_t c)
{
    if (p->nt == p->capt) {
        size_t cap = p->capt ? 2 * p->capt : 4096;
        uint32_t *nt = realloc(p->t, sizeof(uint32_t) * 3 * cap);
        if (!nt) {
            p->failed = true;
            return;
        }
        p->t = nt;
        p->capt = cap;
    }
    p->t[3 * p->nt] = a;
    p->t[3 * p->nt + 1] = b;
    p->t[3 * p->nt + 2] = c;
    p->nt++;
}

/* March the cubes with z in [z0, z1) into part p. */
static void march_slab(const mc_table *T, const float *f, size_t nx, size_t ny,
                       size_t z0, size_t z1, const double sp[3],
                       const double org[3], float level, part *p)
{
    size_t nxy = nx * ny;
    uint32_t *cache = malloc(sizeof(uint32_t) * 6 * nxy);
    if (!cache) {
        p->failed = true;
        return;
    }
    /* cache[layer][axis][y*nx+x]: layer 0 = base z, layer 1 = z + 1 */
    uint32_t *lay[2] = {cache, cache + 3 * nxy};
    memset(cache, 0xff, sizeof(uint32_t) * 6 * nxy);
    static const int co[8][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0},
                                 {0, 0, 1}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}};
    for (size_t z = z0; z < z1 && !p->failed; z++) {
        for (size_t y = 0; y + 1 < ny; y++)
            for (size_t x = 0; x + 1 < nx; x++) {
                size_t i0 = z * nxy + y * nx + x;
                float val[8];
                int cfg = 0;
                for (int c = 0; c < 8; c++) {
                    val[c] = f[i0 + (size_t)co[c][0] + (size_t)co[c][1] * nx +
                               (size_t)co[c][2] * nxy];
                    if (val[c] > level)
                        cfg |= 1 << c;
                }
                if (cfg == 0 || cfg == 255)
                    continue;
                const int8_t *tr = T->tri[cfg];
                for (int k = 0; tr[k] >= 0; k += 3) {
                    uint32_t id[3];
                    for (int m = 0; m < 3; m++) {
                        int e = tr[k + m];
                        int c0 = T->edge_c0[e], a = T->edge_axis[e];
                        int c1 = c0 | (1 << a);
                        size_t bx = x + (size_t)co[c0][0],
                               by = y + (size_t)co[c0][1];
                        uint32_t *slot =
                            &lay[co[c0][2]][(size_t)a * nxy + by * nx + bx];
                        if (*slot == UINT32_MAX) {
                            double t = ((double)level - (double)val[c0]) /
                                       ((double)val[c1] - (double)val[c0]);
                            double q[3] = {(double)bx, (double)by,
                                           (double)(z + (size_t)co[c0][2])};
                            q[a] += t;
                            *slot =
                                part_vertex(p, (float)(org[0] + q[0] * sp[0]),
                                            (float)(org[1] + q[1] * sp[1]),
                                            (float)(org[2] + q[2] * sp[2]));
                        }
                        id[m] = *slot;
                    }
                    part_tri(p, id[0], id[1], id[2]);
                }
            }
        uint32_t *tmp = lay[0];
        lay[0] = lay[1];
        lay[1] = tmp;
        memset(lay[1], 0xff, sizeof(uint32_t) * 3 * nxy);
    }
    free(cache);
}

typedef struct pv {
    float x, y;
    uint32_t i;
} pv;

static int pv_cmp(const void *a, const void *b)
{
    const pv *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    if (p->y != q->y)
        return p->y < q->y ? -1 : 1;
    return p->i < q->i ? -1 : (p->i > q->i);
}

/* Weld the vertices that two neighbouring slabs both created on their
 * shared z plane (bit-identical coordinates: same formula, same inputs),
 * then compact the vertex array.  Returns false when out of memory (the
 * mesh is then left unwelded but valid). */
static bool weld_slabs(fib_mesh *m, const size_t *vstart, int nslab,
                       const size_t *zplane, const double *org,
                       const double *sp)
{
    uint32_t *map = malloc(sizeof(uint32_t) * (m->n_vertices + 1));
    if (!map)
        return false;
    for (size_t k = 0; k < m->n_vertices; k++)
        map[k] = (uint32_t)k;
    for (int s = 1; s < nslab; s++) {
        float zp = (float)(org[2] + (double)zplane[s] * sp[2]);
        size_t a0 = vstart[s - 1], a1 = vstart[s], b1 = vstart[s + 1];
        size_t na = 0, nb = 0;
        for (size_t k = a0; k < a1; k++)
            na += m->vertices[3 * k + 2] == zp;
        for (size_t k = a1; k < b1; k++)
            nb += m->vertices[3 * k + 2] == zp;
        if (!na || !nb)
            continue;
        pv *A = malloc(sizeof *A * na), *B = malloc(sizeof *B * nb);
        if (!A || !B) {
            free(A);
            free(B);
            free(map);
            return false;
        }
        na = nb = 0;
        for (size_t k = a0; k < a1; k++)
            if (m->vertices[3 * k + 2] == zp)
                A[na++] = (pv){m->vertices[3 * k], m->vertices[3 * k + 1],
                               (uint32_t)k};
        for (size_t k = a1; k < b1; k++)
            if (m->vertices[3 * k + 2] == zp)
                B[nb++] = (pv){m->vertices[3 * k], m->vertices[3 * k + 1],
                               (uint32_t)k};
        qsort(A, na, sizeof *A, pv_cmp);
        qsort(B, nb, sizeof *B, pv_cmp);
        size_t i = 0, j = 0;
        while (i < na && j < nb) {
            if (A[i].x == B[j].x && A[i].y == B[j].y) {
                map[B[j].i] = map[A[i].i];
                j++;
            } else if (A[i].x < B[j].x ||
                       (A[i].x == B[j].x && A[i].y < B[j].y)) {
                i++;
            } else {
                j++;
            }
        }
        free(A);
        free(B);
    }
    /* compact: kept vertices (map[k] == k) get new consecutive ids */
    uint32_t next = 0;
    for (size_t k = 0; k < m->n_vertices; k++) {
        if (map[k] == (uint32_t)k) {
            memmove(m->vertices + 3 * (size_t)next, m->vertices + 3 * k,
                    3 * sizeof(float));
            map[k] = next++;
        } else {
            map[k] = map[map[k]]; /* target has a lower index: done */
        }
    }
    for (size_t k = 0; k < 3 * m->n_triangles; k++)
        m->triangles[k] = map[m->triangles[k]];
    m->n_vertices = next;
    free(map);
    return true;
}

void fib_mesh_clear(fib_mesh *m)
{
    if (!m)
        return;
    free(m->vertices);
    free(m->triangles);
    free(m->scalar);
    free(m->tri_label);
    memset(m, 0, sizeof *m);
}

fib_status fib_recon_marching_cubes(const float *field, size_t nx, size_t ny,
                                    size_t nz, const double spacing_nm[3],
                                    const double origin_nm[3], double level,
                                    fib_mesh *out, fib_error *err)
{
    memset(out, 0, sizeof *out);
    if (!field || nx < 2 || ny < 2 || nz < 2)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: marching cubes needs at least 2 samples "
                             "per axis (got %zu x %zu x %zu)",
                             nx, ny, nz);
    for (int a = 0; a < 3; a++)
        if (!(spacing_nm[a] > 0) || !isfinite(spacing_nm[a]))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: spacing[%d] must be > 0 (got %g)", a,
                                 spacing_nm[a]);
    double org[3] = {0, 0, 0};
    if (origin_nm)
        memcpy(org, origin_nm, sizeof org);
    mc_table *T = calloc(1, sizeof *T);
    if (!T)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    build_table(T);
    size_t ncz = nz - 1;
    int nslab = ncz < 16 ? (int)ncz : 16; /* fixed: thread-independent */
    part *parts = calloc((size_t)nslab, sizeof *parts);
    fib_status st = FIB_OK;
    if (!parts) {
        free(T);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int s = 0; s < nslab; s++) {
        size_t z0 = ncz * (size_t)s / (size_t)nslab;
        size_t z1 = ncz * (size_t)(s + 1) / (size_t)nslab;
        march_slab(T, field, nx, ny, z0, z1, spacing_nm, org, (float)level,
                   &parts[s]);
    }
    size_t nv = 0, nt = 0;
    for (int s = 0; s < nslab; s++) {
        if (parts[s].failed) {
            st = fib_error_set(err, FIB_ENOMEM,
                               "recon: out of memory in marching cubes");
            goto done;
        }
        nv += parts[s].nv;
        nt += parts[s].nt;
    }
    if (nv >= UINT32_MAX) {
        st = fib_error_set(err, FIB_ERANGE,
                           "recon: mesh has too many vertices (%zu)", nv);
        goto done;
    }
    out->vertices = malloc(sizeof(float) * 3 * (nv ? nv : 1));
    out->triangles = malloc(sizeof(uint32_t) * 3 * (nt ? nt : 1));
    if (!out->vertices || !out->triangles) {
        fib_mesh_clear(out);
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    size_t ov = 0, ot = 0;
    for (int s = 0; s < nslab; s++) {
        if (parts[s].nv)
            memcpy(out->vertices + 3 * ov, parts[s].v,
                   sizeof(float) * 3 * parts[s].nv);
        for (size_t k = 0; k < 3 * parts[s].nt; k++)
            out->triangles[3 * ot + k] = parts[s].t[k] + (uint32_t)ov;
        ov += parts[s].nv;
        ot += parts[s].nt;
    }
    out->n_vertices = nv;
    out->n_triangles = nt;
    {
        size_t vstart[17], zplane[17];
        size_t acc = 0;
        for (int q = 0; q < nslab; q++) {
            vstart[q] = acc;
            acc += parts[q].nv;
            zplane[q] = ncz * (size_t)q / (size_t)nslab;
        }
        vstart[nslab] = acc;
        if (!weld_slabs(out, vstart, nslab, zplane, org, spacing_nm)) {
            fib_mesh_clear(out);
            st = fib_error_set(err, FIB_ENOMEM,
                               "recon: out of memory welding the mesh");
        }
    }
done:
    for (int s = 0; s < nslab; s++) {
        free(parts[s].v);
        free(parts[s].t);
    }
    free(parts);
    free(T);
    return st;
}

double fib_mesh_area(const fib_mesh *m)
{
    double a = 0;
    for (size_t k = 0; k < m->n_triangles; k++) {
        const float *p = m->vertices + 3 * (size_t)m->triangles[3 * k];
        const float *q = m->vertices + 3 * (size_t)m->triangles[3 * k + 1];
        const float *r = m->vertices + 3 * (size_t)m->triangles[3 * k + 2];
        double u[3], v[3];
        for (int i = 0; i < 3; i++) {
            u[i] = (double)q[i] - (double)p[i];
            v[i] = (double)r[i] - (double)p[i];
        }
        double cx = u[1] * v[2] - u[2] * v[1];
        double cy = u[2] * v[0] - u[0] * v[2];
        double cz = u[0] * v[1] - u[1] * v[0];
        a += 0.5 * sqrt(cx * cx + cy * cy + cz * cz);
    }
    return a;
}

double fib_mesh_volume(const fib_mesh *m)
{
    double vol = 0;
    for (size_t k = 0; k < m->n_triangles; k++) {
        const float *p = m->vertices + 3 * (size_t)m->triangles[3 * k];
        const float *q = m->vertices + 3 * (size_t)m->triangles[3 * k + 1];
        const float *r = m->vertices + 3 * (size_t)m->triangles[3 * k + 2];
        double px = (double)p[0], py = (double)p[1], pz = (double)p[2];
        double qx = (double)q[0], qy = (double)q[1], qz = (double)q[2];
        double rx = (double)r[0], ry = (double)r[1], rz = (double)r[2];
        vol += px * (qy * rz - qz * ry) - py * (qx * rz - qz * rx) +
               pz * (qx * ry - qy * rx);
    }
    return vol / 6.0;
}

float *fib_mesh_vertex_normals(const fib_mesh *m)
{
    float *n = calloc(3 * (m->n_vertices ? m->n_vertices : 1), sizeof(float));
    if (!n)
        return NULL;
    for (size_t k = 0; k < m->n_triangles; k++) {
        const uint32_t *t = m->triangles + 3 * k;
        const float *p = m->vertices + 3 * (size_t)t[0];
        const float *q = m->vertices + 3 * (size_t)t[1];
        const float *r = m->vertices + 3 * (size_t)t[2];
        float u[3], v[3], c[3];
        for (int i = 0; i < 3; i++) {
            u[i] = q[i] - p[i];
            v[i] = r[i] - p[i];
        }
        c[0] = u[1] * v[2] - u[2] * v[1];
        c[1] = u[2] * v[0] - u[0] * v[2];
        c[2] = u[0] * v[1] - u[1] * v[0];
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 3; i++)
                n[3 * (size_t)t[j] + (size_t)i] += c[i];
    }
    for (size_t k = 0; k < m->n_vertices; k++) {
        float *v = n + 3 * k;
        float l = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        if (l > 0) {
            v[0] /= l;
            v[1] /= l;
            v[2] /= l;
        }
    }
    return n;
}
