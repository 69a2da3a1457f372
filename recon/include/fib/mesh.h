/*
 * fib/mesh.h -- triangle meshes of iso-surfaces (marching cubes) and of
 * label phases, with area, enclosed volume and per-vertex scalars.
 *
 * Marching cubes (Lorensen & Cline, SIGGRAPH 1987) with a case table that
 * is GENERATED at run time from the cube's face configurations instead of
 * being typed in: on every cube face the iso-line segments are found from
 * the four corner signs, an ambiguous face (diagonal corners on the same
 * side) always joins the corners above the level across the face (i.e.
 * separates those below; the face-consistent "modified" marching cubes
 * of Montani, Scateni & Scopigno, Visual Comput. 10:353, 1994), segments
 * are oriented so that the inside is on their left seen from outside the
 * cube, chained into closed polygons and triangulated as the fan of
 * largest area with the vertices at edge midpoints (the binary-volume
 * case; this reproduces scikit-image's areas on non-ambiguous cubes).  Because
 * a face is resolved from its own corners only, neighbouring cubes agree and
 * the mesh is closed (watertight) wherever the surface does not leave the
 * volume; all 256 cases are covered and none is ambiguous.  Vertices on shared
 * cube edges are shared (one vertex per crossed grid edge; the parallel z slabs
 * are welded on their shared planes).
 *
 * Coordinates are physical (nm): vertex = origin + index * spacing, linear
 * interpolation of the level along grid edges.  Triangles are ordered so
 * that their normals (right-hand rule) point from inside (values above the
 * level) to outside.
 */
#ifndef FIB_MESH_H
#define FIB_MESH_H

#include "fib/common.h"
#include "fib/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A triangle mesh.  All arrays are malloc'ed and owned; free with
 *  fib_mesh_clear(). */
typedef struct fib_mesh {
    size_t n_vertices;
    size_t n_triangles;
    float *vertices;     /**< 3 * n_vertices, x y z in nm */
    uint32_t *triangles; /**< 3 * n_triangles vertex indices */
    float *scalar;       /**< n_vertices values or NULL (e.g. coating nm) */
    uint32_t *tri_label; /**< n_triangles labels or NULL (e.g. the phase
                              on the outer side of each triangle) */
} fib_mesh;

/** Free the arrays of @p m and zero it; NULL is a no-op. */
FIB_API void fib_mesh_clear(fib_mesh *m);

/**
 * Iso-surface of a scalar field by marching cubes (see above).
 * @p field: nx * ny * nz floats, x fastest; @p spacing_nm, @p origin_nm:
 * 3 values each (origin may be NULL = 0).  "Inside" is value > @p level.
 * Errors: FIB_EINVAL (a dimension < 2, bad spacing), FIB_ENOMEM,
 * FIB_ERANGE (more than 2^32 - 1 vertices).
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_marching_cubes(const float *field, size_t nx, size_t ny, size_t nz,
                         const double spacing_nm[3], const double origin_nm[3],
                         double level, fib_mesh *out, fib_error *err);

/** Options of fib_recon_mesh_phase().  Zero = defaults. */
typedef struct fib_mesh_opts {
    double sigma_vox;  /**< Gaussian smoothing of the 0/1 indicator in
                            voxels before meshing; 0 = none */
    bool close_border; /**< pad with background so that the surface is
                            closed at the volume border (objects); false:
                            the cut at the border is not a surface */
    bool label_sides;  /**< fill tri_label with the label found half a
                            voxel outside each triangle (interfaces) */
} fib_mesh_opts;

/**
 * Mesh the boundary of the voxels of @p labels (u8, u16 or u32) equal to
 * @p value (level 0.5 of the indicator), physical units from the voxel
 * sizes (unknown = 1 nm).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_mesh_phase(const fib_volume *labels,
                                                      uint32_t value,
                                                      const fib_mesh_opts *opts,
                                                      fib_mesh *out,
                                                      fib_error *err);

/** Total area in nm^2 (sum of triangle areas). */
FIB_API double fib_mesh_area(const fib_mesh *m);

/** Signed enclosed volume in nm^3 (divergence theorem; positive for a
 *  closed surface oriented outwards). */
FIB_API double fib_mesh_volume(const fib_mesh *m);

/** Area-weighted vertex normals (unit, 3 * n_vertices floats, malloc'ed;
 *  the caller frees), or NULL when out of memory. */
FIB_API float *fib_mesh_vertex_normals(const fib_mesh *m);

#ifdef __cplusplus
}
#endif

#endif /* FIB_MESH_H */
