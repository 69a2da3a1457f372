/*
 * measure_objects_stream.c -- block-wise connected objects and their
 * statistics (fib/measure.h, fib_objects_stream): slabs labelled on their
 * own, joined across slab faces by union-find, per-component sums merged
 * at the end, the closed marching-cubes surface summed cube by cube from
 * per-configuration tables.  The contract and the derivation of the volume
 * term are in fib/measure.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/mesh.h"
#include "fib/segment.h"
#include "analysis_internal.h"

#define PI_ 3.14159265358979323846

/* One provisional component (a slab's component before the joins). */
typedef struct comp {
    size_t n, first;          /* voxels; first voxel, raster index */
    double s[3], ss[6];       /* coordinate sums, nm */
    double area_nm2, vol_nm3; /* closed marching-cubes surface */
    double height_um;
    size_t bmin[3], bmax[3];
    bool border, substrate;
    bool bottom; /* touches the first section of a part (z_begin > 0) */
} comp;

/* A cube whose corners hold components that a later slab may join. */
typedef struct kept_cube {
    long x, y, z; /* min corner, -1 = the padding before the volume */
    uint32_t id[8];
} kept_cube;

struct fib_objects_stream {
    size_t nx, ny, nz, z_next;
    size_t z_begin, z_end; /* the part pushed (0, nz: the whole volume) */
    uint32_t *bot;         /* a part above 0: its first section's ids */
    double sp[3], org[3];
    int conn, face;
    uint32_t *prev;   /* component ids of section z_next - 1 */
    uint32_t *parent; /* union-find over ids 1..n */
    uint32_t *open;   /* push number at which the root was open */
    comp *c;
    size_t n, cap;
    kept_cube *kept;
    size_t n_kept, cap_kept;
    comp *done; /* finished objects (no longer open) */
    size_t n_done, cap_done;
    uint32_t *newid; /* compaction scratch, cap entries */
    uint32_t push_no;
    bool last; /* the push under way is the last one */
    double area_t[256], vloc_t[256], nrm_t[256][3];
};

static uint32_t find(uint32_t *p, uint32_t i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

static void unite(uint32_t *p, uint32_t a, uint32_t b)
{
    a = find(p, a);
    b = find(p, b);
    if (a < b)
        p[b] = a;
    else if (b < a)
        p[a] = b;
}

/* Area (nm^2), volume term at the cube corner (nm^3) and area vector of
 * the triangles of every binary cube configuration; corner i = dx + 2 dy
 * + 4 dz. */
static fib_status build_tables(fib_objects_stream *s, fib_error *err)
{
    for (int cfg = 0; cfg < 256; cfg++) {
        float f[8];
        for (int i = 0; i < 8; i++)
            f[i] = (float)(((unsigned)cfg >> i) & 1u);
        fib_mesh m;
        const fib_status st =
            fib_recon_marching_cubes(f, 2, 2, 2, s->sp, NULL, 0.5, &m, err);
        if (st != FIB_OK)
            return st;
        double nrm[3] = {0, 0, 0};
        for (size_t k = 0; k < m.n_triangles; k++) {
            const float *P[3];
            for (size_t j = 0; j < 3; j++)
                P[j] = m.vertices + 3 * (size_t)m.triangles[3 * k + j];
            double u[3], v[3];
            for (int a = 0; a < 3; a++) {
                u[a] = (double)P[1][a] - (double)P[0][a];
                v[a] = (double)P[2][a] - (double)P[0][a];
            }
            nrm[0] += 0.5 * (u[1] * v[2] - u[2] * v[1]);
            nrm[1] += 0.5 * (u[2] * v[0] - u[0] * v[2]);
            nrm[2] += 0.5 * (u[0] * v[1] - u[1] * v[0]);
        }
        s->area_t[cfg] = fib_mesh_area(&m);
        s->vloc_t[cfg] = fib_mesh_volume(&m);
        memcpy(s->nrm_t[cfg], nrm, sizeof nrm);
        fib_mesh_clear(&m);
    }
    return FIB_OK;
}

/* A stream with spacing @p sp (nm) and origin @p org. */
static fib_status stream_new(size_t nx, size_t ny, size_t nz,
                             const double sp[3], const double org[3], int conn,
                             int face, size_t z_begin, size_t z_end,
                             fib_objects_stream **out, fib_error *err)
{
    fib_objects_stream *s = calloc(1, sizeof *s);
    if (!s)
        return fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
    s->nx = nx;
    s->ny = ny;
    s->nz = nz;
    s->conn = conn;
    s->face = face;
    s->z_begin = s->z_next = z_begin;
    s->z_end = z_end;
    memcpy(s->sp, sp, sizeof s->sp);
    memcpy(s->org, org, sizeof s->org);
    s->prev = calloc(nx * ny, sizeof *s->prev);
    if (s->prev && z_begin > 0)
        s->bot = calloc(nx * ny, sizeof *s->bot);
    fib_status st =
        s->prev && (z_begin == 0 || s->bot)
            ? build_tables(s, err)
            : fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
    if (st != FIB_OK) {
        fib_objects_stream_destroy(s);
        return st;
    }
    *out = s;
    return FIB_OK;
}

fib_status fib_objects_stream_create_part(
    size_t nx, size_t ny, size_t nz, const double voxel_nm[3],
    const double origin_nm[3], int connectivity, int substrate_face,
    size_t z_begin, size_t z_end, fib_objects_stream **out, fib_error *err)
{
    *out = NULL;
    if (nx == 0 || ny == 0 || nz == 0 || nx > SIZE_MAX / ny / sizeof(uint32_t))
        return fib_error_set(err, FIB_EINVAL,
                             "objects: bad volume size %zu x %zu x %zu", nx, ny,
                             nz);
    if (connectivity != 6 && connectivity != 18 && connectivity != 26)
        return fib_error_set(err, FIB_EINVAL,
                             "objects: connectivity must be 6, 18 or 26 "
                             "(got %d)",
                             connectivity);
    if (substrate_face < -1 || substrate_face > 5)
        return fib_error_set(err, FIB_EINVAL,
                             "objects: substrate face must be -1..5 (got %d)",
                             substrate_face);
    if (z_begin >= z_end || z_end > nz)
        return fib_error_set(err, FIB_EINVAL,
                             "objects: part %zu..%zu of %zu sections", z_begin,
                             z_end, nz);
    fib_volume probe = {0}; /* the whole path's spacing rule */
    double sp[3], org[3];
    for (int a = 0; a < 3; a++) {
        probe.voxel_size_nm[a] = voxel_nm ? voxel_nm[a] : 0;
        org[a] = origin_nm && isfinite(origin_nm[a]) ? origin_nm[a] : 0;
    }
    fib__vol_spacing(&probe, sp);
    return stream_new(nx, ny, nz, sp, org, connectivity, substrate_face,
                      z_begin, z_end, out, err);
}

fib_status fib_objects_stream_create(size_t nx, size_t ny, size_t nz,
                                     const double voxel_nm[3],
                                     const double origin_nm[3],
                                     int connectivity, int substrate_face,
                                     fib_objects_stream **out, fib_error *err)
{
    return fib_objects_stream_create_part(nx, ny, nz, voxel_nm, origin_nm,
                                          connectivity, substrate_face, 0, nz,
                                          out, err);
}

void fib_objects_stream_destroy(fib_objects_stream *s)
{
    if (!s)
        return;
    free(s->prev);
    free(s->bot);
    free(s->parent);
    free(s->open);
    free(s->c);
    free(s->kept);
    free(s->done);
    free(s->newid);
    free(s);
}

size_t fib_objects_stream_bytes(const fib_objects_stream *s)
{
    return sizeof *s + s->nx * s->ny * sizeof *s->prev * (s->bot ? 2 : 1) +
           s->cap * (sizeof *s->c + 3 * sizeof(uint32_t)) +
           s->cap_kept * sizeof *s->kept + s->cap_done * sizeof *s->done +
           s->n_done * sizeof(fib_object_stats); /* what finish makes */
}

/* Room for ids 1..@p n. */
static bool grow(fib_objects_stream *s, size_t n)
{
    if (n + 1 <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n + 1)
        cap *= 2;
    uint32_t *p = realloc(s->parent, cap * sizeof *p);
    if (p)
        s->parent = p;
    uint32_t *o = realloc(s->open, cap * sizeof *o);
    if (o)
        s->open = o;
    comp *c = realloc(s->c, cap * sizeof *c);
    if (c)
        s->c = c;
    uint32_t *q = realloc(s->newid, cap * sizeof *q);
    if (q)
        s->newid = q;
    if (!p || !o || !c || !q)
        return false;
    s->cap = cap;
    return true;
}

/* Voxel sums of the @p k sections @p L (global ids) from z_next on. */
static void scan(fib_objects_stream *s, const uint32_t *L, size_t k)
{
    const size_t nx = s->nx, ny = s->ny, dims[3] = {nx, ny, s->nz};
    const double *sp = s->sp;
    const int face = s->face;
    for (size_t lz = 0; lz < k; lz++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                const uint32_t id = L[(lz * ny + y) * nx + x];
                if (!id)
                    continue;
                comp *c = &s->c[id];
                const size_t cz[3] = {x, y, s->z_next + lz};
                if (c->n == 0)
                    c->first = (cz[2] * ny + y) * nx + x;
                fib__object_voxel(cz, dims, sp, face, &c->n, c->s, c->ss,
                                  c->bmin, c->bmax, &c->border, &c->substrate,
                                  &c->height_um);
                if (cz[2] == s->z_begin && s->z_begin > 0)
                    c->bottom = true;
            }
}

/* Join the first section of @p L with the previous section, with the
 * neighbours of the connectivity across the face. */
static void face_union(fib_objects_stream *s, const uint32_t *L)
{
    const long nx = (long)s->nx, ny = (long)s->ny;
    const int r = s->conn == 6 ? 0 : 1;
    for (long y = 0; y < ny; y++)
        for (long x = 0; x < nx; x++) {
            const uint32_t a = L[y * nx + x];
            if (!a)
                continue;
            for (long dy = -r; dy <= r; dy++)
                for (long dx = -r; dx <= r; dx++) {
                    if (s->conn == 18 && dx && dy)
                        continue;
                    const long xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= nx || yy >= ny)
                        continue;
                    const uint32_t b = s->prev[yy * nx + xx];
                    if (b)
                        unite(s->parent, a, b);
                }
        }
}

static void add_cube(fib_objects_stream *s, uint32_t r, unsigned cfg, long x,
                     long y, long z)
{
    const double o[3] = {(double)x * s->sp[0], (double)y * s->sp[1],
                         (double)z * s->sp[2]};
    const double *n = s->nrm_t[cfg];
    s->c[r].area_nm2 += s->area_t[cfg];
    s->c[r].vol_nm3 +=
        s->vloc_t[cfg] + (o[0] * n[0] + o[1] * n[1] + o[2] * n[2]) / 3.0;
}

/* The cube with corner ids @p id at (x, y, z): its triangles for each
 * component among the corners, or false when two of them are open (may
 * still be joined) and @p may_keep. */
static bool do_cube(fib_objects_stream *s, uint32_t id[8], long x, long y,
                    long z, bool may_keep)
{
    uint32_t root[8];
    unsigned cfg[8];
    int nr = 0, n_open = 0;
    for (int i = 0; i < 8; i++) {
        if (!id[i])
            continue;
        const uint32_t r = find(s->parent, id[i]);
        int j = 0;
        while (j < nr && root[j] != r)
            j++;
        if (j == nr) {
            root[nr] = r;
            cfg[nr++] = 0;
            n_open += s->open[r] == s->push_no;
        }
        cfg[j] |= 1u << i;
    }
    const bool keep = nr > 1 && n_open > 1 && may_keep;
    for (int j = 0; j < nr; j++) {
        if (keep && s->open[root[j]] == s->push_no)
            continue;
        add_cube(s, root[j], cfg[j], x, y, z);
        for (int i = 0; keep && i < 8; i++) /* done with these corners */
            if (cfg[j] & (1u << i))
                id[i] = 0;
    }
    return !keep;
}

static bool keep_cube(fib_objects_stream *s, const uint32_t id[8], long x,
                      long y, long z)
{
    if (s->n_kept == s->cap_kept) {
        const size_t cap = s->cap_kept ? 2 * s->cap_kept : 256;
        kept_cube *k = realloc(s->kept, cap * sizeof *k);
        if (!k)
            return false;
        s->kept = k;
        s->cap_kept = cap;
    }
    kept_cube *k = &s->kept[s->n_kept++];
    k->x = x;
    k->y = y;
    k->z = z;
    memcpy(k->id, id, sizeof k->id);
    return true;
}

/* The cubes between sections @p lo (z) and @p hi (z + 1) of the padded
 * grid; NULL = a padding section of zeros. */
static bool cube_layer(fib_objects_stream *s, const uint32_t *lo,
                       const uint32_t *hi, long z)
{
    const long nx = (long)s->nx, ny = (long)s->ny;
    for (long y = -1; y < ny; y++)
        for (long x = -1; x < nx; x++) {
            uint32_t id[8];
            bool any = false;
            for (int i = 0; i < 8; i++) {
                const long xx = x + (i & 1), yy = y + ((i >> 1) & 1);
                const uint32_t *sec = i & 4 ? hi : lo;
                id[i] = sec && xx >= 0 && yy >= 0 && xx < nx && yy < ny
                            ? sec[yy * nx + xx]
                            : 0;
                any |= id[i] != 0;
            }
            if (any && !do_cube(s, id, x, y, z, true) &&
                !keep_cube(s, id, x, y, z))
                return false;
        }
    return true;
}

/* The kept cubes whose components can no longer be joined. */
static void retry_kept(fib_objects_stream *s)
{
    size_t w = 0;
    for (size_t k = 0; k < s->n_kept; k++) {
        kept_cube *c = &s->kept[k];
        if (!do_cube(s, c->id, c->x, c->y, c->z, true))
            s->kept[w++] = *c;
    }
    s->n_kept = w;
}

/* New ids for the @p nl components of a slab, stored in @p L. */
static fib_status take_ids(fib_objects_stream *s, uint32_t *L, size_t m,
                           size_t nl, fib_error *err)
{
    if (nl > (size_t)UINT32_MAX - 1 - s->n)
        return fib_error_set(err, FIB_ERANGE,
                             "objects: more than 2^32 - 2 components");
    if (!grow(s, s->n + nl))
        return fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
    const uint32_t base = (uint32_t)s->n;
    for (size_t i = s->n + 1; i <= s->n + nl; i++) {
        memset(&s->c[i], 0, sizeof s->c[i]);
        for (int a = 0; a < 3; a++)
            s->c[i].bmin[a] = SIZE_MAX;
        s->c[i].height_um = s->face >= 0 ? 0 : (double)NAN;
        s->parent[i] = (uint32_t)i;
        s->open[i] = 0;
    }
    s->n += nl;
    for (size_t i = 0; i < m; i++)
        if (L[i])
            L[i] += base;
    return FIB_OK;
}

static void merge_into(comp *r, const comp *i, int face);

static bool append_done(fib_objects_stream *s, const comp *c)
{
    if (s->n_done == s->cap_done) {
        const size_t cap = s->cap_done ? 2 * s->cap_done : 64;
        comp *d = realloc(s->done, cap * sizeof *d);
        if (!d)
            return false;
        s->done = d;
        s->cap_done = cap;
    }
    s->done[s->n_done++] = *c;
    return true;
}

/* After a push: every member's sums into its root, the closed roots to
 * the finished objects, the open ones renumbered 1..k (the ids in the
 * last section and the kept cubes with them), so that the tables hold
 * the finished objects and what the last section touches, not one entry
 * per slab component. */
static bool compact(fib_objects_stream *s)
{
    uint32_t *P = s->parent, *N = s->newid;
    for (uint32_t i = 1; i <= s->n; i++) {
        const uint32_t r = find(P, i);
        if (r != i)
            merge_into(&s->c[r], &s->c[i], s->face);
    }
    uint32_t k = 0;
    for (uint32_t i = 1; i <= s->n; i++) {
        N[i] = 0;
        if (P[i] != i)
            continue;
        if (s->open[i] == s->push_no) {
            N[i] = ++k;
            s->c[k] = s->c[i]; /* k <= i */
        } else if (!append_done(s, &s->c[i])) {
            return false;
        }
    }
    const size_t plane = s->nx * s->ny;
    for (size_t j = 0; j < plane; j++) {
        if (s->prev[j])
            s->prev[j] = N[find(P, s->prev[j])];
        if (s->bot && s->bot[j])
            s->bot[j] = N[find(P, s->bot[j])];
    }
    for (size_t q = 0; q < s->n_kept; q++)
        for (int i = 0; i < 8; i++)
            if (s->kept[q].id[i])
                s->kept[q].id[i] = N[find(P, s->kept[q].id[i])];
    for (uint32_t i = 1; i <= k; i++) {
        P[i] = i;
        s->open[i] = s->push_no;
    }
    s->n = k;
    return true;
}

fib_status fib_objects_stream_push(fib_objects_stream *s,
                                   const fib_volume *mask, fib_error *err)
{
    if (!s || !mask || mask->nx != s->nx || mask->ny != s->ny || !mask->nz ||
        mask->nz > s->z_end - s->z_next)
        return fib_error_set(err, FIB_EINVAL,
                             "objects: slab of %zu x %zu x %zu does not "
                             "continue the %zu x %zu x %zu volume at section "
                             "%zu",
                             mask ? mask->nx : 0, mask ? mask->ny : 0,
                             mask ? mask->nz : 0, s ? s->nx : 0, s ? s->ny : 0,
                             s ? s->nz : 0, s ? s->z_next : 0);
    const size_t plane = s->nx * s->ny, k = mask->nz;
    fib_volume cc = {0};
    size_t nl = 0;
    fib_status st = fib_recon_label(mask, s->conn, &cc, &nl, err);
    if (st == FIB_OK)
        st = take_ids(s, cc.data, plane * k, nl, err);
    if (st != FIB_OK) {
        fib_volume_clear(&cc);
        return st;
    }
    uint32_t *L = cc.data;
    scan(s, L, k);
    const bool first = s->z_next == s->z_begin;
    if (!first)
        face_union(s, L);
    else if (s->bot) /* a part's first section: the join's side of a seam */
        memcpy(s->bot, L, plane * sizeof *L);
    s->push_no++;
    s->last = s->z_next + k == s->nz;
    if (!s->last) /* roots reaching the slab's last section */
        for (size_t i = 0; i < plane; i++)
            if (L[(k - 1) * plane + i])
                s->open[find(s->parent, L[(k - 1) * plane + i])] = s->push_no;
    for (uint32_t i = 1; s->bot && i <= s->n; i++) /* ... and its first */
        if (s->c[i].bottom)
            s->open[find(s->parent, i)] = s->push_no;
    bool ok = true;
    /* the layer below a part's first section is the join's */
    for (size_t lz = first && s->bot ? 1 : 0; ok && lz < k; lz++) {
        const uint32_t *lo = lz          ? L + (lz - 1) * plane
                             : s->z_next ? s->prev
                                         : NULL;
        ok = cube_layer(s, lo, L + lz * plane, (long)(s->z_next + lz) - 1);
    }
    if (ok && s->last)
        ok = cube_layer(s, L + (k - 1) * plane, NULL, (long)s->nz - 1);
    if (ok)
        retry_kept(s);
    memcpy(s->prev, L + (k - 1) * plane, plane * sizeof *L);
    if (ok && (!s->last || s->bot))
        ok = compact(s);

    s->z_next += k;
    fib_volume_clear(&cc);
    return ok ? FIB_OK
              : fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
}

typedef struct order {
    size_t first;
    uint32_t root;
} order;

static int cmp_first(const void *a, const void *b)
{
    const size_t x = ((const order *)a)->first, y = ((const order *)b)->first;
    return x < y ? -1 : x > y;
}

/* Component @p i's sums into its root @p r. */
static void merge_into(comp *r, const comp *i, int face)
{
    r->n += i->n;
    if (i->first < r->first)
        r->first = i->first;
    for (int d = 0; d < 3; d++) {
        r->s[d] += i->s[d];
        if (i->bmin[d] < r->bmin[d])
            r->bmin[d] = i->bmin[d];
        if (i->bmax[d] > r->bmax[d])
            r->bmax[d] = i->bmax[d];
    }
    for (int d = 0; d < 6; d++)
        r->ss[d] += i->ss[d];
    r->area_nm2 += i->area_nm2;
    r->vol_nm3 += i->vol_nm3;
    r->border |= i->border;
    r->substrate |= i->substrate;
    r->bottom |= i->bottom;
    if (face >= 0 && i->height_um > r->height_um)
        r->height_um = i->height_um;
}

fib_status fib_objects_stream_finish(fib_objects_stream *s,
                                     fib_object_stats **out, size_t *n,
                                     fib_error *err)
{
    *out = NULL;
    *n = 0;
    if (s->z_next != s->nz || s->z_begin > 0)
        return fib_error_set(
            err, FIB_EINVAL, "objects: %zu of %zu sections pushed%s", s->z_next,
            s->nz, s->z_begin > 0 ? " (a part: export and join)" : "");
    for (uint32_t i = 1; i <= s->n; i++) { /* the last push: all closed */
        const uint32_t r = find(s->parent, i);
        if (r != i)
            merge_into(&s->c[r], &s->c[i], s->face);
    }
    for (uint32_t i = 1; i <= s->n; i++)
        if (s->parent[i] == i && !append_done(s, &s->c[i]))
            return fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
    s->n = 0;
    const size_t nroot = s->n_done;
    order *ord = malloc((nroot ? nroot : 1) * sizeof *ord);
    fib_object_stats *o = calloc(nroot ? nroot : 1, sizeof *o);
    if (!ord || !o) {
        free(ord);
        free(o);
        return fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
    }
    for (size_t k = 0; k < nroot; k++)
        ord[k] = (order){s->done[k].first, (uint32_t)k};
    qsort(ord, nroot, sizeof *ord, cmp_first);
    for (size_t k = 0; k < nroot; k++) {
        const comp *c = &s->done[ord[k].root];
        fib_object_stats *q = &o[k];
        q->label = (uint32_t)(k + 1);
        q->n_voxels = c->n;
        memcpy(q->bbox_min, c->bmin, sizeof q->bbox_min);
        memcpy(q->bbox_max, c->bmax, sizeof q->bbox_max);
        q->touches_border = c->border;
        q->touches_substrate = c->substrate;
        q->height_um = c->height_um;
        fib__object_moments(q, c->s, c->ss, s->org, s->sp);
        q->area_um2 = c->area_nm2 * 1e-6;
        const double vm = c->vol_nm3 * 1e-9;
        if (q->area_um2 > 0 && vm > 0)
            q->sphericity = cbrt(PI_) * pow(6.0 * vm, 2.0 / 3.0) / q->area_um2;
    }
    free(ord);
    *out = o;
    *n = nroot;
    return FIB_OK;
}

/* ---- several processes: a part's state, and the join ------------------ */

/* The head of an exported part; then n_open comps (ids 1..n_open), n_done
 * comps, n_kept cubes, the first section's ids (z_begin > 0) and the last
 * section's (z_end < nz), nx * ny each. */
typedef struct part_head {
    size_t nx, ny, nz, z_begin, z_end, n_open, n_done, n_kept;
    double sp[3], org[3];
    int conn, face;
} part_head;

fib_status fib_objects_stream_export(fib_objects_stream *s, void **out,
                                     size_t *len, fib_error *err)
{
    *out = NULL;
    *len = 0;
    if (!s || s->z_next != s->z_end)
        return fib_error_set(err, FIB_EINVAL,
                             "objects: export before the part's last section");
    const size_t plane = s->nx * s->ny;
    const bool top = s->z_end < s->nz;
    part_head h = {s->nx,     s->ny,     s->nz, s->z_begin, s->z_end, s->n,
                   s->n_done, s->n_kept, {0},   {0},        s->conn,  s->face};
    memcpy(h.sp, s->sp, sizeof h.sp);
    memcpy(h.org, s->org, sizeof h.org);
    const size_t bytes =
        sizeof h + (s->n + s->n_done) * sizeof(comp) +
        s->n_kept * sizeof(kept_cube) +
        ((s->bot ? 1u : 0u) + (top ? 1u : 0u)) * plane * sizeof(uint32_t);
    unsigned char *b = malloc(bytes), *p = b;
    if (!b)
        return fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    if (s->n)
        memcpy(p, s->c + 1, s->n * sizeof(comp));
    p += s->n * sizeof(comp);
    if (s->n_done)
        memcpy(p, s->done, s->n_done * sizeof(comp));
    p += s->n_done * sizeof(comp);
    if (s->n_kept)
        memcpy(p, s->kept, s->n_kept * sizeof(kept_cube));
    p += s->n_kept * sizeof(kept_cube);
    if (s->bot) {
        memcpy(p, s->bot, plane * sizeof(uint32_t));
        p += plane * sizeof(uint32_t);
    }
    if (top)
        memcpy(p, s->prev, plane * sizeof(uint32_t));
    *out = b;
    *len = bytes;
    return FIB_OK;
}

/* Part @p h (its bytes after the head at @p p) into the join @p J: its
 * components after J's, the seam below it (face union and the cube layer
 * between J's last section and the part's first), its kept cubes, then
 * what a push does after its cube layers.  @p ids: scratch, one plane. */
static bool join_part(fib_objects_stream *J, const part_head *h,
                      const unsigned char *p, uint32_t *ids)
{
    const size_t plane = J->nx * J->ny;
    const uint32_t base = (uint32_t)J->n;
    if (!grow(J, J->n + h->n_open))
        return false;
    memcpy(J->c + base + 1, p, h->n_open * sizeof(comp));
    p += h->n_open * sizeof(comp);
    for (uint32_t i = base + 1; i <= base + h->n_open; i++) {
        J->parent[i] = i;
        J->open[i] = 0;
    }
    J->n += h->n_open;
    for (size_t k = 0; k < h->n_done; k++)
        if (!append_done(J, (const comp *)(const void *)p + k))
            return false;
    p += h->n_done * sizeof(comp);
    const kept_cube *kc = (const kept_cube *)(const void *)p;
    p += h->n_kept * sizeof(kept_cube);
    const uint32_t *bot = NULL, *top = NULL;
    if (h->z_begin > 0) {
        bot = (const uint32_t *)(const void *)p;
        p += plane * sizeof(uint32_t);
    }
    if (h->z_end < h->nz)
        top = (const uint32_t *)(const void *)p;
    if (bot) {
        for (size_t j = 0; j < plane; j++)
            ids[j] = bot[j] ? bot[j] + base : 0;
        face_union(J, ids);
    }
    J->push_no++;
    J->last = !top;
    for (size_t j = 0; top && j < plane; j++)
        if (top[j])
            J->open[find(J->parent, top[j] + base)] = J->push_no;
    if (bot && !cube_layer(J, J->prev, ids, (long)h->z_begin - 1))
        return false;
    for (size_t k = 0; k < h->n_kept; k++) {
        uint32_t id[8];
        for (int i = 0; i < 8; i++)
            id[i] = kc[k].id[i] ? kc[k].id[i] + base : 0;
        if (!keep_cube(J, id, kc[k].x, kc[k].y, kc[k].z))
            return false;
    }
    retry_kept(J);
    if (!top)
        return true;
    for (size_t j = 0; j < plane; j++)
        J->prev[j] = top[j] ? top[j] + base : 0;
    return compact(J);
}

fib_status fib_objects_stream_join(const void *const *parts, const size_t *lens,
                                   size_t n_parts, fib_object_stats **out,
                                   size_t *n, fib_error *err)
{
    *out = NULL;
    *n = 0;
    fib_objects_stream *J = NULL;
    uint32_t *ids = NULL;
    size_t z = 0;
    fib_status st = FIB_OK;
    for (size_t q = 0; q < n_parts && !st; q++) {
        if (!lens[q])
            continue;
        part_head h;
        if (lens[q] < sizeof h)
            return fib_error_set(err, FIB_EINVAL, "objects: part %zu cut short",
                                 q);
        memcpy(&h, parts[q], sizeof h);
        const size_t plane = h.nx * h.ny;
        const size_t want = sizeof h + (h.n_open + h.n_done) * sizeof(comp) +
                            h.n_kept * sizeof(kept_cube) +
                            (size_t)((h.z_begin > 0) + (h.z_end < h.nz)) *
                                plane * sizeof(uint32_t);
        if (!J && h.z_begin == 0 && lens[q] == want)
            st = stream_new(h.nx, h.ny, h.nz, h.sp, h.org, h.conn, h.face, 0,
                            h.nz, &J, err);
        if (!st && J && !ids && !(ids = malloc(plane * sizeof *ids)))
            st = fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
        if (!st && (!J || lens[q] != want || h.z_begin != z || h.nx != J->nx ||
                    h.ny != J->ny || h.nz != J->nz || h.conn != J->conn ||
                    h.face != J->face))
            st = fib_error_set(err, FIB_EINVAL,
                               "objects: part %zu (sections %zu..%zu) does "
                               "not continue the volume at section %zu",
                               q, h.z_begin, h.z_end, z);
        if (!st &&
            !join_part(J, &h, (const unsigned char *)parts[q] + sizeof h, ids))
            st = fib_error_set(err, FIB_ENOMEM, "objects: out of memory");
        z = h.z_end;
    }
    if (!st && (!J || z != J->nz))
        st = fib_error_set(err, FIB_EINVAL,
                           "objects: the parts end at section %zu of %zu", z,
                           J ? J->nz : 0);
    if (!st) {
        J->z_next = J->nz;
        st = fib_objects_stream_finish(J, out, n, err);
    }
    free(ids);
    fib_objects_stream_destroy(J);
    return st;
}
