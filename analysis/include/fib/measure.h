/*
 * fib/measure.h -- quantitative measurements on label volumes: volume
 * fractions, specific surface areas, per-object statistics, local
 * thickness, skeleton/dendrite metrics, tortuosity factor, deposit
 * thickness maps and coating coverage.  See analysis/MEASURE.md for the
 * definitions, citations and known differences to TauFactor, PoreSpy,
 * BoneJ and scikit-image.
 *
 * Units: lengths nm unless the name says otherwise; voxel sizes from the
 * volume (unknown = 1 nm).  Volumes must have packed strides.  Label
 * volumes may be u8, u16 or u32.  Everything in memory.
 * Thread-safety: safe on distinct outputs; results do not depend on the
 * number of OpenMP threads (fixed-order reductions).
 */
#ifndef FIB_MEASURE_H
#define FIB_MEASURE_H

#include "fib/common.h"
#include "fib/image.h"
#include "fib/mesh.h"
#include "fib/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- phases and surfaces ------------------------------------------------ */

/** Fraction of voxels of @p labels equal to @p value (0..1). */
FIB_API FIB_NODISCARD fib_status fib_recon_volume_fraction(
    const fib_volume *labels, uint32_t value, double *fraction, fib_error *err);

/** Surface of one phase.  Specific surface areas have unit 1/um:
 *  per_total = area / total volume (TauFactor's definition),
 *  per_phase = area / phase volume. */
typedef struct fib_phase_surface {
    double area_um2;
    double per_total_um;
    double per_phase_um;
    size_t n_interfaces; /**< entries used in the arrays below */
    uint32_t other[16];  /**< label on the other side */
    double interface_area_um2[16];
} fib_phase_surface;

/**
 * Marching-cubes area of the boundary of phase @p value (see
 * fib_recon_mesh_phase(); the cut at the volume border is not counted) and
 * its split into interfaces with the other labels (the label half a voxel
 * outside each triangle; at most 16 distinct, the rest pooled into the
 * last entry).  @p sigma_vox: optional Gaussian pre-smoothing (0 = none).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_phase_surface(
    const fib_volume *labels, uint32_t value, double sigma_vox,
    fib_phase_surface *out, fib_error *err);

/**
 * The areas of fib_recon_phase_surface() for the cube layers between
 * sections z and z + 1 of @p labels, z in [z_begin, z_end) only
 * (per_total_um and per_phase_um are left 0: they need the whole
 * volume's counts).  Block-wise measurement: a slab read with a halo of
 * 3 + ceil(3 sigma_vox) sections (clipped at the volume's ends) gives,
 * for the layers it owns, the triangles, areas and interface labels of
 * the whole-volume mesh (fib_mesh_opts.z_begin); the slabs' areas add up
 * to the whole volume's (to rounding), the interfaces in order of first
 * appearance.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_phase_surface_layers(
    const fib_volume *labels, uint32_t value, double sigma_vox, size_t z_begin,
    size_t z_end, fib_phase_surface *out, fib_error *err);

/* ---- objects ------------------------------------------------------------- */

/** Statistics of one connected object (label k of a component volume). */
typedef struct fib_object_stats {
    uint32_t label;
    size_t n_voxels;
    double volume_um3;     /**< voxel count x voxel volume */
    double area_um2;       /**< marching cubes of the object, closed */
    double eq_diameter_um; /**< (6 V / pi)^(1/3) */
    double sphericity;     /**< pi^(1/3) (6 V)^(2/3) / A (Wadell), V
                                 and A of the object's mesh */
    double centroid_nm[3];
    size_t bbox_min[3], bbox_max[3]; /**< voxel indices, inclusive */
    double axes_um[3];     /**< principal semi-axes, descending: sqrt(5
                                lambda_i) of the covariance eigenvalues
                                (the ellipsoid with the same inertia) */
    double axis_dir[3][3]; /**< unit eigenvectors, axis_dir[i] for axes_um[i] */
    bool touches_border;   /**< any voxel on the volume boundary */
    bool touches_substrate; /**< any voxel on the substrate face, or
                                 6-adjacent to a substrate-label voxel */
    double height_um;       /**< max distance above the substrate face
                                 (NaN without a substrate) */
} fib_object_stats;

/** Where the substrate is: a face of the volume and/or a label. */
typedef struct fib_substrate {
    int face;       /**< -1 none; 0..5 = x0, x1, y0, y1, z0, z1 */
    bool has_label; /**< substrate also given as a label value */
    uint32_t label;
} fib_substrate;

/**
 * Per-object statistics of the components in @p cc (u32 labels 1..n, as
 * from fib_recon_label()).  @p src_labels (may be NULL) is the original
 * label volume used for substrate-label contact.  @p *out: malloc'ed
 * array of n entries (index k-1 for label k); the caller frees it.
 * Inertia eigen-decomposition with LAPACKE_dsyev.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_objects(
    const fib_volume *cc, size_t n, const fib_volume *src_labels,
    const fib_substrate *substrate, fib_object_stats **out, fib_error *err);

/**
 * Block-wise objects: fib_recon_label() + fib_recon_objects() of a volume
 * given as consecutive slabs of sections, in memory that grows with the
 * number of objects and the section size, never with the depth.
 *
 * Each pushed slab is labelled on its own; its components are joined to
 * those of the previous section across the slab face by union-find with
 * the same connectivity (Rosenfeld & Pfaltz 1966, as fib_recon_label()).
 * Per component the mergeable sums are kept: voxel count, coordinate
 * sums and second moments, bounding box, border and substrate-face
 * contact, height, first voxel in raster order, and the closed
 * marching-cubes surface as a sum over the cubes of the padded grid: the
 * area of each cube's triangles depends only on its corner configuration
 * (a 256-entry table built with fib_recon_marching_cubes() itself), and
 * the enclosed volume by the divergence theorem is, per triangle,
 * a.(b x c)/6 = a'.(b' x c')/6 + o.n/3 with the cube corner o and the
 * triangle's area vector n, so both are per-configuration tables plus a
 * linear term in o.  A cube whose corners hold two components that may
 * still be joined by a later slab is kept aside until they cannot be.
 * fib_objects_stream_finish() numbers the objects by first voxel in
 * raster order (fib_recon_label()'s numbering) and gives the
 * fib_object_stats of fib_recon_objects() on the whole volume: counts,
 * boxes and flags equal, areas, volumes and moments equal to rounding.
 * Substrate contact is by face only (no substrate label).
 */
typedef struct fib_objects_stream fib_objects_stream;

/** A stream for a volume of @p nx x @p ny x @p nz voxels of size
 *  @p voxel_nm (unknown, <= 0 or non-finite: 1 nm, as the whole-volume
 *  path) and origin @p origin_nm (may be NULL); connectivity 6, 18 or
 *  26; substrate_face -1 or 0..5 (fib_substrate.face). */
FIB_API FIB_NODISCARD fib_status fib_objects_stream_create(
    size_t nx, size_t ny, size_t nz, const double voxel_nm[3],
    const double origin_nm[3], int connectivity, int substrate_face,
    fib_objects_stream **out, fib_error *err);

/** The next mask->nz sections (any pixel type, non-zero = inside;
 *  mask->nx, ny as created).  FIB_EINVAL past the volume's depth,
 *  FIB_ERANGE beyond 2^32 - 2 components in all, FIB_ENOMEM. */
FIB_API FIB_NODISCARD fib_status fib_objects_stream_push(fib_objects_stream *s,
                                                         const fib_volume *mask,
                                                         fib_error *err);

/** After every section was pushed: @p *out (malloc'ed, @p *n entries,
 *  label k + 1 at index k; the caller frees) as fib_recon_objects(). */
FIB_API FIB_NODISCARD fib_status fib_objects_stream_finish(
    fib_objects_stream *s, fib_object_stats **out, size_t *n, fib_error *err);

/** Bytes the stream holds now (tables and kept cubes) plus the
 *  fib_object_stats that finish would make of the objects finished so far. */
FIB_API size_t fib_objects_stream_bytes(const fib_objects_stream *s);

/** Free the stream; NULL is a no-op. */
FIB_API void fib_objects_stream_destroy(fib_objects_stream *s);

/**
 * Several processes: the stream of one part of the volume, sections
 * [@p z_begin, @p z_end) of the nz (other arguments as
 * fib_objects_stream_create()).  Its sections are pushed in order as
 * usual; the components that touch the part's first section (when
 * z_begin > 0) or its last (when z_end < nz) stay open, with their sums,
 * their ids on those two sections and the cubes they share, and the cube
 * layer below z_begin is left to the join.  Then
 * fib_objects_stream_export() gives the part's state as bytes and
 * fib_objects_stream_join() makes the whole volume's objects of the
 * parts in z order: the objects one stream over the volume gives (counts,
 * boxes, flags, first voxels and numbering equal; areas, volumes and
 * moments summed in another order, equal to rounding).
 */
FIB_API FIB_NODISCARD fib_status fib_objects_stream_create_part(
    size_t nx, size_t ny, size_t nz, const double voxel_nm[3],
    const double origin_nm[3], int connectivity, int substrate_face,
    size_t z_begin, size_t z_end, fib_objects_stream **out, fib_error *err);

/** The state of a part stream after its last section, as @p *len bytes
 *  in a new buffer (@p *out; the caller frees): finished objects, open
 *  components, their ids on the part's first and last sections, kept
 *  cubes.  FIB_EINVAL before the last section, FIB_ENOMEM. */
FIB_API FIB_NODISCARD fib_status fib_objects_stream_export(
    fib_objects_stream *s, void **out, size_t *len, fib_error *err);

/** The objects of the whole volume from the exported states of its
 *  parts, in z order (@p n_parts buffers of @p lens bytes; empty ones
 *  are skipped), as fib_objects_stream_finish().  FIB_EINVAL when the
 *  parts do not tile the volume or were made for other sizes. */
FIB_API FIB_NODISCARD fib_status fib_objects_stream_join(
    const void *const *parts, const size_t *lens, size_t n_parts,
    fib_object_stats **out, size_t *n, fib_error *err);

/* ---- thickness ----------------------------------------------------------- */

/**
 * Local thickness (Hildebrand & Ruegsegger, J. Microsc. 185:67, 1997):
 * at each foreground voxel p of the u8 @p mask, the diameter of the
 * largest ball that contains p and lies inside the foreground.  Ball
 * centres are the voxel centres; the ball radius at a centre is its exact
 * EDT minus half the smallest voxel size (distance to the phase boundary
 * rather than to the nearest background voxel centre), which makes a slab
 * of T voxels measure T for odd T (T - 1 for even T).  Only distance-ridge
 * centres are painted (BoneJ's Local_Thickness_Parallel idea), in
 * descending radius order.  @p thick: new owned f32 volume, diameter in
 * nm, 0 on background.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_local_thickness(const fib_volume *mask, fib_volume *thick,
                          const fib_progress *progress, fib_error *err);

/**
 * Local thickness of sections [@p z_begin, @p z_end) of a volume from a
 * slab of it (block-wise measurement): @p mask holds consecutive sections
 * of the whole mask; @p cut_below / @p cut_above: the slab's first / last
 * section is not the volume's (there is more volume beyond).  On success
 * @p thick (new f32, z_end - z_begin sections) equals those sections of
 * fib_recon_local_thickness() on the whole volume: the EDT is checked to
 * be exact (each value within its distance to a cut face) on the zone of
 * ball centres, half the halo around the owned sections, and no ball
 * centred beyond the zone can reach them (the EDT is 1-Lipschitz: such a
 * ball would need a zone voxel with EDT above the zone's depth).  When
 * the halo is too thin: FIB_ERANGE with @p *halo_needed, the sections to
 * read on each cut side for another try.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_local_thickness_part(
    const fib_volume *mask, size_t z_begin, size_t z_end, bool cut_below,
    bool cut_above, fib_volume *thick, size_t *halo_needed, fib_error *err);

/** Summary of a distribution of values (a thickness map, sizes). */
typedef struct fib_distribution {
    double mean, median, std, min, max;
    size_t count;
    size_t n_bins;        /**< histogram bins used (<= 64) */
    double bin_edges[65]; /**< n_bins + 1 edges */
    double fraction[64];  /**< fraction of the values per bin */
} fib_distribution;

/** Distribution of the values of @p vol (f32) where @p mask != 0 (NULL =
 *  all positive values), histogram of @p n_bins (1..64) equal bins. */
FIB_API FIB_NODISCARD fib_status fib_recon_distribution(const fib_volume *vol,
                                                        const fib_volume *mask,
                                                        size_t n_bins,
                                                        fib_distribution *out,
                                                        fib_error *err);

/** fib_recon_distribution() of values given as distinct @p values
 *  (strictly ascending) with their @p counts (block-wise measurement:
 *  the slabs' values merged); the same statistics to rounding. */
FIB_API FIB_NODISCARD fib_status fib_recon_distribution_counts(
    const float *values, const double *counts, size_t n, size_t n_bins,
    fib_distribution *out, fib_error *err);

/**
 * Deposit thickness map above a substrate face (4 = z0 or 5 = z1 ...
 * any face 0..5): for each column perpendicular to the face, h = distance
 * from the face to the far side of the farthest voxel of @p mask (nm), and
 * the "equivalent dense thickness" = phase voxels x voxel length.
 * @p h_map, @p dense_map: new owned f32 images over the two other axes
 * (either may be NULL).  Statistics of h: mean, std, max, Ra, Rq in
 * @p stats (Ra = mean |h - mean|, Rq = std).
 */
typedef struct fib_height_stats {
    double mean_nm, std_nm, max_nm, ra_nm, rq_nm, dense_mean_nm;
    double covered_fraction; /**< columns with any deposit */
} fib_height_stats;

FIB_API FIB_NODISCARD fib_status fib_recon_height_map(
    const fib_volume *mask, int face, fib_image *h_map, fib_image *dense_map,
    fib_height_stats *stats, fib_error *err);

/**
 * Coating thickness and coverage on particles.  For labels P (particle)
 * and C (coating), the coating thickness at a particle surface point is
 * measured along the outward normal of the particle's marching-cubes mesh
 * (one sample per vertex, stepping 0.25 voxel until the label is no longer
 * C).  Coverage = area fraction (triangle area split equally to its
 * vertices) with thickness >= @p t_min_nm.  @p mesh (may be NULL) gets
 * the particle mesh with scalar = thickness (nm) per vertex, for PLY.
 */
typedef struct fib_coating_result {
    double coverage;          /**< 0..1 */
    double mean_thickness_nm; /**< area-weighted over the whole surface */
    double mean_covered_nm;   /**< area-weighted over covered parts */
    double particle_area_um2;
} fib_coating_result;

FIB_API FIB_NODISCARD fib_status fib_recon_coating(
    const fib_volume *labels, uint32_t particle, uint32_t coating,
    double t_min_nm, fib_coating_result *out, fib_mesh *mesh, fib_error *err);

/* ---- skeleton ------------------------------------------------------------ */

/**
 * 3D medial-axis thinning of the u8 @p mask in place (Lee, Kashyap & Chu,
 * CVGIP: Graph. Models Image Process. 56:462, 1994; the algorithm of
 * skimage.morphology.skeletonize for 3D): six directional sub-iterations
 * remove border voxels that are not end points and are simple (26/6
 * topology, tested by the topological numbers of Bertrand & Malandain
 * 1994, which implies Lee's Euler-invariance and connectivity tests),
 * with a sequential re-check before each removal.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_skeletonize(fib_volume *mask,
                                                       fib_error *err);

/** Skeleton graph metrics (AnalyzeSkeleton/skan-style). */
typedef struct fib_skeleton_stats {
    size_t n_voxels;
    size_t n_end_points;      /**< voxels with one 26-neighbour */
    size_t n_junction_voxels; /**< voxels with >= 3 26-neighbours */
    size_t n_junctions;       /**< 26-connected clusters of junction voxels */
    size_t n_branches;        /**< paths between end points/junctions */
    size_t n_isolated;        /**< single voxels and closed loops */
    double total_length_um;
    double mean_branch_length_um;
    double mean_branch_tortuosity; /**< path length / end-to-end distance,
                                        branches with distance > 0 */
    double max_height_um; /**< above the substrate face (NaN if none) */
    double mean_height_um;
} fib_skeleton_stats;

/** Analyse a skeleton (u8, as from fib_recon_skeletonize()); @p
 *  substrate_face: -1 none or 0..5 as in fib_substrate. */
FIB_API FIB_NODISCARD fib_status
fib_recon_skeleton_stats(const fib_volume *skel, int substrate_face,
                         fib_skeleton_stats *out, fib_error *err);

/* ---- tortuosity ---------------------------------------------------------- */

typedef struct fib_tort_opts {
    double rel_tol;  /**< stop when ||r||_2 / ||b||_2 < rel_tol; 0 = 1e-6 */
    size_t max_iter; /**< 0 = 20000 */
    bool jacobi;     /**< Jacobi preconditioner instead of multigrid */
    int threads;     /**< OpenMP threads; 0 = runtime default
                          (fib/threads.h; results do not depend on it) */
    fib_volume *flux_map; /**< not NULL: set to a new owned F32 volume
                               of the local flux magnitude |J| / J_mean
                               on the percolating voxels (0 elsewhere):
                               J per voxel = the mean of its two face
                               flux densities per axis (walls 0, inlet
                               and outlet faces half a voxel away),
                               J_mean = the mean over the percolating
                               voxels of the axial component (= F L /
                               V_perc); 1 everywhere in straight
                               channels, A1 / A2 in a constriction of
                               area A2 of a channel of area A1 */
} fib_tort_opts;

typedef struct fib_tort_result {
    double tau;               /**< tortuosity factor; +inf if not percolating */
    double d_eff_rel;         /**< effective / bulk diffusivity = eps / tau */
    double eps;               /**< volume fraction of the phase (all voxels) */
    double eps_percolating;   /**< fraction in the percolating cluster */
    double flux_in, flux_out; /**< total flux through the two faces */
    double flux_mismatch;     /**< |in - out| / in at the end */
    double rel_residual;      /**< final ||r|| / ||b|| */
    size_t iterations;
    bool converged;
    bool percolating;
    size_t unknowns;
    int mg_levels; /**< multigrid levels used (0 = Jacobi) */
} fib_tort_result;

/**
 * Tortuosity factor of the phase @p mask (u8, non-zero = conductive)
 * along @p axis (0 = x, 1 = y, 2 = z), TauFactor's definition (Cooper et
 * al., SoftwareX 5:203, 2016; Kench et al., JOSS 2023): steady diffusion
 * (Laplace) with a 7-point finite-volume stencil on the voxels of the
 * 6-connected clusters that touch both faces, concentration 1 and 0 fixed
 * at the two outer faces (half a voxel outside the first/last voxel
 * centres), no flux on the four sides; face conductances of anisotropic
 * voxels A/d (dy dz / dx etc.).  D_rel = F L / (A dc), tau = eps / D_rel
 * with eps the volume fraction of ALL phase voxels (TauFactor's choice).
 * Solver: conjugate gradients preconditioned by one W-cycle of
 * aggregation multigrid (2x2x2 blocks, Galerkin coarse operators,
 * red-black Gauss-Seidel smoothing; Jacobi with opts->jacobi), started
 * from a linear ramp, on the percolating voxels only (compact, matrix-free
 * from a 1-bit-per-voxel rank structure); float work vectors and
 * multigrid levels, double iterate and reductions; converged when the
 * relative residual ||b - A c|| / ||b||, recomputed in double from the
 * iterate, is below opts->rel_tol (rel_residual reports that true value);
 * fixed-order reductions (per z slice).
 * Non-percolating: tau = +inf, D_rel = 0, FIB_OK.
 * Memory: 20 bytes per percolating voxel (double iterate, three float
 * vectors) plus about 3.7 bytes per voxel of the grid (multigrid levels,
 * rank structure), besides the mask; while the clusters are labelled, a
 * transient 4-byte label per voxel; per thread, three padded slices of
 * floats.  TauFactor 500^3 benchmark (30 % porosity, one axis per
 * process, /usr/bin/time -v): 1284 MiB peak RSS, the TIFF read and the
 * mask included, = 10.8 bytes per voxel (was 64); ~24 bytes per voxel
 * at 100 % porosity.  Errors:
 * FIB_EINVAL (axis, extent < 1), FIB_ENOMEM, FIB_ENUMERIC (no convergence
 * within max_iter: the result is still filled in), FIB_ECANCELED.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_tortuosity(
    const fib_volume *mask, int axis, const fib_tort_opts *opts,
    fib_tort_result *out, const fib_progress *progress, fib_error *err);

/* ---- pictures ------------------------------------------------------------ */

/**
 * Orthoslice: slice @p index across @p axis (0 = x: image over (y, z),
 * 1 = y: image over (x, z), 2 = z: image over (x, y)) of @p vol (any
 * type) into a new owned image of the same pixel type, with the pixel
 * sizes of the two in-plane axes.  Errors: FIB_EINVAL (axis, index).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_orthoslice(const fib_volume *vol,
                                                      int axis, size_t index,
                                                      fib_image *out,
                                                      fib_error *err);

/** Maximum-intensity projection of @p vol along @p axis into a new f32
 *  image (in-plane axes as fib_recon_orthoslice()). */
FIB_API FIB_NODISCARD fib_status fib_recon_mip(const fib_volume *vol, int axis,
                                               fib_image *out, fib_error *err);

/**
 * Shaded surface rendering of the voxels of @p labels equal to @p value
 * seen along @p view_dir (need not be unit; physical axes x, y, z):
 * orthographic ray casting through the volume (step half the
 * smallest voxel size), first hit shaded with Lambert's law (ambient 0.2,
 * diffuse 0.8, light from the viewer, a little up and left), the normal
 * being the normalised gradient of the 3x3x3 box-filtered indicator.
 * @p out: new owned u8 image of @p width x @p height (0 = background,
 * 40..255 surface).  The "up" direction of the picture is +z unless the
 * view is along z (then -y).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_render_surface(
    const fib_volume *labels, uint32_t value, const double view_dir[3],
    size_t width, size_t height, fib_image *out, fib_error *err);

/* ---- phantom ------------------------------------------------------------- */

/**
 * A synthetic Li deposit for demos and tests: label 1 = substrate (the
 * lowest @p substrate_vox z slices), label 2 = dendrites grown from
 * @p n_seeds random seeds on the substrate as random walks biased along
 * +z that branch with probability 0.04 per step and are thickened to
 * rods of radius @p radius_vox, plus a few isolated ("dead") Li particles;
 * 0 = electrolyte.  Deterministic for a given @p seed (own LCG, no
 * global state).  @p labels: new owned u8 volume, voxel size @p voxel_nm
 * (isotropic).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_dendrite_phantom(
    size_t nx, size_t ny, size_t nz, double voxel_nm, size_t substrate_vox,
    size_t n_seeds, double radius_vox, uint64_t seed, fib_volume *labels,
    fib_error *err);

/* ---- battery microstructure statistics (analysis/MEASURE.md) --------------
 */

/** Triple-phase boundary of three phases. */
typedef struct fib_tpb_result {
    size_t n_edges;            /**< voxel edges whose 4 voxels hold all three */
    size_t n_edges_total;      /**< interior voxel edges of the volume */
    double edge_fraction;      /**< n_edges / n_edges_total (TauFactor's
                                    triple_phase_boundary value) */
    double length_um;          /**< sum of the TPB edge lengths */
    double density_um_per_um3; /**< length / total volume */
    size_t n_edges_active;     /**< TPB edges where each phase is present with
                                    a voxel of its percolating part */
    double active_length_um;
    double active_density_um_per_um3;
    double active_fraction; /**< active / total length; NaN without TPB or
                                 without an axis */
} fib_tpb_result;

/**
 * Triple-phase boundary (TPB) length of @p phase[0..2] in @p labels (u8,
 * u16 or u32): the voxel edges (interior to the volume) at which the 4
 * voxels sharing the edge hold all three phases (the edge count of
 * TauFactor's triple_phase_boundary; a TPB line along an axis is measured
 * exactly, an oblique one as its staircase: up to sqrt(3) longer).
 * Active TPB: each of the three phases is there with a voxel of its
 * percolating part, the 6-connected clusters touching both faces normal
 * to @p axis (0 x, 1 y, 2 z; -1: no activity test, active fields NaN).
 * Errors: FIB_EINVAL (type, equal phases, axis), FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_tpb(const fib_volume *labels,
                                               const uint32_t phase[3],
                                               int axis, fib_tpb_result *out,
                                               fib_error *err);

/** Most bins a chord-length histogram gets. */
#define FIB_CHORD_MAX_BINS 65536

/** Chord-length distribution of one phase along one axis. */
typedef struct fib_chord_result {
    size_t n_chords;        /**< chords counted */
    size_t n_border_chords; /**< chords cut by the volume border (counted
                                 only with include_border) */
    double mean_nm;         /**< number-weighted mean chord length */
    double sd_nm;
    double weighted_mean_nm; /**< length-weighted mean, sum l^2 / sum l */
    double bin_nm;           /**< histogram bin width */
    size_t n_bins;
    size_t *counts; /**< owned; chords with l in [k, k+1) bin_nm;
                         the last bin also holds longer ones */
} fib_chord_result;

/**
 * Chords of phase @p value along @p axis: the maximal runs of consecutive
 * voxels of that label on every line of voxels parallel to the axis,
 * length = run x voxel size along the axis.  Chords that touch the
 * volume border are cut and left out unless @p include_border (their
 * number is reported either way).  @p bin_nm: histogram bin width, 0 =
 * one voxel.  Analytic checks (tests/test_measure_stats.c): a slab of
 * thickness t gives chords t; a ball of radius R has chord density
 * l / (2 R^2) on [0, 2R], mean 4R/3.  Free with fib_chord_result_clear().
 */
FIB_API FIB_NODISCARD fib_status fib_recon_chords(
    const fib_volume *labels, uint32_t value, int axis, bool include_border,
    double bin_nm, fib_chord_result *out, fib_error *err);
FIB_API void fib_chord_result_clear(fib_chord_result *r);

/**
 * Two-point correlation S2(r) of phase @p value along @p axis for lags r =
 * 0..@p max_lag voxels (< the axis length) into @p s2 (max_lag + 1
 * values): the fraction of voxel pairs (x, x + r e_axis), both inside the
 * volume (no periodic wrap), that are both in the phase.  S2(0) is the
 * volume fraction; S2 tends to its square when the phase decorrelates.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_two_point(const fib_volume *labels,
                                                     uint32_t value, int axis,
                                                     size_t max_lag, double *s2,
                                                     fib_error *err);

/** Metric of a representative-volume analysis. */
typedef enum fib_rev_metric {
    FIB_REV_VOLUME_FRACTION = 0, /**< of value[0] */
    FIB_REV_TPB_DENSITY          /**< TPB length density of value[0..2] */
} fib_rev_metric;

/** One sub-volume size of a representative-volume analysis. */
typedef struct fib_rev_point {
    size_t size_vox[3]; /**< box side x, y, z */
    size_t n_boxes;     /**< boxes measured (up to 4 per axis, spread) */
    double mean, sd;    /**< of the metric over the boxes */
} fib_rev_point;

/**
 * Representative volume element: the metric on boxes of side dims /
 * 2^(n_steps - 1 - k), k = 0..n_steps - 1 (the last is the whole
 * volume), up to 4 boxes per axis spread evenly over the volume, mean and
 * sample sd per size into @p out (n_steps entries).  @p settled_out: the
 * first k from which every larger size has sd / |whole| <= @p rel_tol (0
 * = 0.05) and |mean - whole| / |whole| <= rel_tol; n_steps when no box
 * smaller than the whole volume does (the volume is not larger than its
 * REV).  @p n_steps 2..8.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_rev(const fib_volume *labels, fib_rev_metric metric,
              const uint32_t value[3], size_t n_steps, double rel_tol,
              fib_rev_point *out, size_t *settled_out, fib_error *err);

/* ---- pore and particle sizes, contact areas (issue 17 item 4;
 *      analysis/src/measure_psd.c) ------------------------------------- */

/** Most pore radii of one intrusion curve. */
#define FIB_INTRUSION_MAX_SIZES 64
/** Mercury for the Washburn pressure: surface tension (N/m) and contact
 *  angle (degrees), the customary porosimetry values (Washburn, Phys. Rev.
 *  17:273, 1921; Giesche, Part. Part. Syst. Charact. 23:9, 2006). */
#define FIB_HG_SURFACE_TENSION_N_PER_M 0.485
#define FIB_HG_CONTACT_ANGLE_DEG 140.0

/** Washburn pressure (MPa) that pushes mercury into a cylindrical pore of
 *  radius @p radius_nm: p = -2 gamma cos(theta) / r with the FIB_HG_*
 *  constants (0.743 MPa at r = 1 um); +inf for r <= 0. */
FIB_API double fib_recon_washburn_pressure_MPa(double radius_nm);

/** Simulated mercury intrusion curve of one phase. */
typedef struct fib_intrusion_result {
    size_t n_sizes;
    double radius_nm[FIB_INTRUSION_MAX_SIZES];    /**< descending */
    double fraction[FIB_INTRUSION_MAX_SIZES];     /**< intruded fraction of
                                                       the phase volume with
                                                       sphere radius >= this */
    double pressure_MPa[FIB_INTRUSION_MAX_SIZES]; /**< Washburn, per radius */
    size_t phase_voxels;
    size_t intruded_voxels; /**< at the smallest radius */
} fib_intrusion_result;

/**
 * Simulated mercury intrusion porosimetry (Hildebrand-style morphological
 * drainage; PoreSpy's porosimetry(mode='dt', access_limited=True), Gostick
 * et al. 2019): for each radius r, descending, the seeds are the phase
 * voxels with EDT >= r (exact EDT: distance to the nearest voxel centre
 * outside the phase, nm) that are 6-connected through seeds to an inlet
 * voxel; the intruded set is every voxel closer than r to a seed (a
 * sphere of radius r fits there and reached it from the inlet).  Inlets:
 * the phase voxels on the two faces normal to @p axis (0 x, 1 y, 2 z;
 * -1: all six faces, PoreSpy's default); the other faces are walls.
 * Radii: @p radii_nm (@p n_sizes values, any order, sorted here), or when
 * NULL @p n_sizes (0 = 25) radii spaced evenly in log from the largest
 * EDT down to the smallest voxel size (PoreSpy's default spacing).  Cost:
 * one EDT per radius.  Errors: FIB_EINVAL (type, axis, n_sizes > 64,
 * radius <= 0), FIB_ENOMEM, FIB_ECANCELED.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_intrusion(
    const fib_volume *labels, uint32_t value, int axis, size_t n_sizes,
    const double *radii_nm, fib_intrusion_result *out,
    const fib_progress *progress, fib_error *err);

/** Particles of a watershed split (fib_recon_particle_sizes()). */
typedef struct fib_particle_sizes {
    size_t n;               /**< particles */
    double h_nm;            /**< the h used */
    double *eq_diameter_nm; /**< owned; n entries, (6 V / pi)^(1/3) */
    size_t *n_voxels;       /**< owned; n entries */
    double mean_nm, median_nm;
    double d10_nm, d50_nm, d90_nm; /**< volume-weighted: the diameter below
                                        which 10/50/90 % of the phase volume
                                        lies (smallest particles first) */
} fib_particle_sizes;

/**
 * Particle-size distribution of phase @p value by a marker-controlled
 * watershed split of touching particles.  Markers: one per h-maximum of
 * the EDT (the peak voxel of each basin that fib_recon_watershed() keeps:
 * EDT maxima standing more than @p h_nm above the saddle to every higher
 * maximum); then Meyer's flooding of -EDT from the markers over the phase,
 * 26-connected, highest EDT first, ties first in first out (as
 * skimage.segmentation.watershed(-edt, markers, mask, connectivity=3)).
 * @p h_nm < 0: one smallest voxel size (EDT maxima that rise less than
 * one voxel are digitisation noise, not particles).  Each basin's
 * equivalent diameter
 * (6 V / pi)^(1/3), V = voxels x voxel volume.  Free with
 * fib_particle_sizes_clear().  Errors: as fib_recon_watershed().
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_particle_sizes(const fib_volume *labels, uint32_t value, double h_nm,
                         fib_particle_sizes *out, fib_error *err);
FIB_API void fib_particle_sizes_clear(fib_particle_sizes *p);

/** Most labels of one contact-area table. */
#define FIB_CONTACT_MAX_LABELS 16

/** Contact (interface) areas between pairs of labels. */
typedef struct fib_contact_result {
    size_t n;
    uint32_t label[FIB_CONTACT_MAX_LABELS];
    /** voxel faces between label i and j (symmetric, 0 on the diagonal) */
    size_t faces[FIB_CONTACT_MAX_LABELS][FIB_CONTACT_MAX_LABELS];
    /** their area: face count x face area (um^2); exact for interfaces
        along the voxel planes */
    double face_area_um2[FIB_CONTACT_MAX_LABELS][FIB_CONTACT_MAX_LABELS];
    /** 2/3 of face_area_um2: the face count of a surface is the integral
        of |n_x| + |n_y| + |n_z|, whose mean over isotropic orientations
        is 3/2 (Cauchy-Crofton; Russ & DeHoff, Practical Stereology), so
        this is the unbiased estimate for isotropic curved interfaces */
    double isotropic_area_um2[FIB_CONTACT_MAX_LABELS][FIB_CONTACT_MAX_LABELS];
} fib_contact_result;

/**
 * Contact areas between the @p n (1..16) labels @p values of @p labels
 * (u8, u16, u32): every pair of 6-neighbour voxels holding two different
 * labels of the list counts one face (area dy dz, dx dz or dx dy by the
 * axis); faces at the volume border are not counted.  Errors: FIB_EINVAL.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_contact_areas(const fib_volume *labels, const uint32_t *values,
                        size_t n, fib_contact_result *out, fib_error *err);

/* ---- composite conductivity (issue 17 item 2;
 *      analysis/src/measure_conductivity.c) ------------------------------ */

/** At most this many conducting labels. */
#define FIB_CONDUCTIVITY_MAX_LABELS 16

typedef struct fib_conductivity_result {
    double sigma_eff;         /**< effective conductivity along the axis, in the
                                   unit of the given conductivities */
    double flux_in, flux_out; /**< through the two faces (potential 1, 0) */
    double flux_mismatch;     /**< |in - out| / in */
    double rel_residual;      /**< true ||b - A x|| / ||b|| at the end */
    size_t iterations;
    size_t unknowns; /**< voxels of the conducting clusters that touch
                          both faces */
    bool converged;
    bool percolating;
} fib_conductivity_result;

/**
 * Effective conductivity of a composite phase along @p axis (0..2): the
 * voxels labelled values[k] conduct with sigma[k] >= 0 (any unit; other
 * labels and sigma 0 are insulating); steady conduction with potential 1
 * and 0 on the two faces normal to the axis (half a voxel outside the end
 * voxel centres), no flux on the sides, on the 6-connected conducting
 * clusters that touch both faces.  Finite volumes as
 * fib_recon_tortuosity() with the face conductance between voxels of
 * conductivities s_i, s_j the harmonic mean 2 s_i s_j / (s_i + s_j)
 * times the face area over the centre distance (exact for layers in
 * series: 1 / sigma = sum f_i / s_i; for layers in parallel sigma = sum
 * f_i s_i).  sigma_eff = F L / A (F the mean of the inlet and outlet
 * fluxes, L the length along the axis, A the face area); with one label
 * of sigma 1 it is D_eff / D of fib_recon_tortuosity().  Conjugate
 * gradients in double (conductivities held as float) preconditioned by
 * the tortuosity solver's multigrid W-cycle for the same voxels, until the
 * true relative residual < @p rel_tol (0: 1e-8), at most 5000
 * iterations (99 on the 256^3 TauFactor electrode, labels 85 and 170 at
 * 1 and 0.1).  Memory: about 12 bytes per voxel + 52 per unknown.
 * Errors: FIB_EINVAL (labels type, axis, count 1..16, sigma), FIB_ERANGE,
 * FIB_ENOMEM, FIB_ENUMERIC (not converged; the result is filled in),
 * FIB_ECANCELED.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_effective_conductivity(
    const fib_volume *labels, const uint32_t *values, const double *sigma,
    size_t n_values, int axis, double rel_tol, fib_conductivity_result *out,
    const fib_progress *progress, fib_error *err);

/* ---- segmentation uncertainty (issue 17 item 6;
 *      analysis/src/measure_uncertainty.c) ------------------------------- */

/**
 * Default threshold shifts from the grey histogram (FIB_OTSU_BINS bins
 * over [min, max] of the finite values, as fib_recon_multi_otsu()): for
 * threshold k, the valley between the highest bin of the class below it
 * and the highest bin of the class above it (classes split by the
 * @p n ascending @p thresholds); its floor is the lowest bin count there,
 * and the valley is the run of bins around that floor whose counts stay
 * <= 2 x floor (full width at twice the minimum).  @p delta[k] = half
 * that width in grey units, at least one bin: thresholds anywhere in the
 * valley are about equally defensible (Pietsch et al. 2018 show the
 * metrics move with that choice).  Errors: FIB_EINVAL (u32, constant
 * volume, n 1..254, thresholds not ascending), FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_threshold_valley(const fib_volume *grey, const double *thresholds,
                           size_t n, double *delta, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_MEASURE_H */
