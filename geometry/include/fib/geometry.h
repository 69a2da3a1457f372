/*
 * fib/geometry.h -- milling patterns of a FIB lamella site.
 *
 * From a site description (lamella width, height and target thickness,
 * trench size, angles, undercut style, preparation method) this module
 * computes the patterns an operator draws in the ion-beam image: trenches
 * (stair-step "regular cross-section" or plain box, both sides), side cuts,
 * the undercut (J- or U-cut at the undercut stage tilt), lift-out
 * attachment and cut-free, grid attachment, stress-relief slots, thinning
 * windows at decreasing distance from the lamella and low-kV polishing
 * windows.  Each pattern carries its boxes (for drawing), area, commanded
 * depth, commanded volume and the beam incidence angle.
 *
 * The protective cap is a 3 um wide strip over the lamella position
 * (x extent as the trenches), protect_thickness_um thick.
 *
 * Coordinates (all lengths in micrometres unless the name says nm): the
 * "beam view" plane is the ion-beam image; the lamella is centred at the
 * origin with its width along x and its thickness along y, so its faces are
 * the lines y = +-t/2.  Pattern depth is measured along the beam.  Volumes
 * are the COMMANDED volumes (box area x depth) that instruments convert to
 * a dose; the planner separately predicts how deep that dose really goes.
 *
 * Thread-safety: all functions are pure and reentrant.
 */
#ifndef FIB_GEOMETRY_H
#define FIB_GEOMETRY_H

#include <stddef.h>

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Lamella preparation method. */
typedef enum fib_geom_method {
    FIB_GEOM_LIFTOUT = 0,  /**< in-situ lift-out, needle + IBID/EBID weld */
    FIB_GEOM_CRYO_LIFTOUT, /**< cryo lift-out, needle + condensed-ice weld */
    FIB_GEOM_ON_GRID,      /**< on-grid lamella at a shallow milling angle */
    FIB_GEOM_WAFFLE,       /**< waffle: trench + undercut, then on-grid */
    FIB_GEOM_HBAR,         /**< H-bar: trenches + thinning, no lift-out */
    FIB_GEOM_METHOD_COUNT_
} fib_geom_method;

/** Short name ("liftout", "cryo-liftout", "on-grid", "waffle", "hbar"). */
FIB_API const char *fib_geom_method_name(fib_geom_method m);
/** Parse a method name; false when unknown. */
FIB_API bool fib_geom_method_parse(const char *name, fib_geom_method *out);

typedef enum fib_geom_undercut {
    FIB_GEOM_UNDERCUT_J = 0, /**< bottom bar + one side; other side bridges */
    FIB_GEOM_UNDERCUT_U      /**< bottom bar + both sides; top tabs bridge */
} fib_geom_undercut;

typedef enum fib_geom_trench_style {
    FIB_GEOM_TRENCH_STAIR = 0, /**< regular cross-section: deepest at face */
    FIB_GEOM_TRENCH_BOX        /**< plain box: full depth everywhere */
} fib_geom_trench_style;

/** Pattern kinds, in the order a session runs them. */
typedef enum fib_geom_kind {
    FIB_GEOM_PROTECT = 0,   /**< protective cap (deposition, not milling) */
    FIB_GEOM_FIDUCIAL,      /**< drift-correction cross beside the site */
    FIB_GEOM_TRENCH,        /**< coarse trenches, both sides */
    FIB_GEOM_SIDE_CUT,      /**< cut at one lamella end (lift-out, J-style) */
    FIB_GEOM_UNDERCUT,      /**< J- or U-cut at the undercut tilt */
    FIB_GEOM_STRESS_RELIEF, /**< micro-expansion slots beside the lamella */
    FIB_GEOM_ATTACH,        /**< needle weld (deposition or condensed ice) */
    FIB_GEOM_CUT_FREE,      /**< cut the remaining bridge(s) */
    FIB_GEOM_GRID_ATTACH,   /**< weld to the grid post (deposition) */
    FIB_GEOM_NEEDLE_CUT,    /**< sever the needle from the lamella */
    FIB_GEOM_THIN,          /**< thinning window pair, both faces */
    FIB_GEOM_POLISH,        /**< low-kV polishing window pair */
    FIB_GEOM_KIND_COUNT_
} fib_geom_kind;

/** Short name of a kind ("trench", "undercut", "thin", ...). */
FIB_API const char *fib_geom_kind_name(fib_geom_kind k);

/** Scan style the pattern is drawn with (affects commanded volume). */
typedef enum fib_geom_scan {
    FIB_GEOM_SCAN_BOX = 0, /**< rectangle, uniform depth */
    FIB_GEOM_SCAN_STAIR,   /**< regular cross-section (stair steps) */
    FIB_GEOM_SCAN_CCS,     /**< cleaning cross-section (line by line) */
    FIB_GEOM_SCAN_DEPOSIT  /**< gas/ice deposition, adds material */
} fib_geom_scan;

/**
 * Site description; zero fields take the documented default.
 * Lengths in micrometres, thicknesses in nm, angles in degrees.
 */
typedef struct fib_geom_site {
    fib_geom_method method;
    double lamella_width_um;    /**< along x; default 10 (lift-out 15) */
    double lamella_height_um;   /**< depth of the lamella; default 5 */
    double target_thickness_nm; /**< final thickness; default 100 */
    double rough_thickness_nm;  /**< lamella after trenching; default
                                   2000 (lift-out) / 1000 (on-grid) */
    double trench_length_um;    /**< trench extent in y each side; default
                                   1.5 x trench depth (lift-out) or 5 */
    double margin_um;           /**< trench extends this far beyond the
                                   lamella ends in x; default 2 */
    double depth_margin_um;     /**< trench depth below the lamella;
                                   default 1 */
    fib_geom_trench_style trench_style;
    int stair_steps;          /**< stair-step count; default 5 */
    double milling_angle_deg; /**< on-grid beam-to-surface angle;
                                 default 15 */
    double column_angle_deg;  /**< FIB-to-SEM column angle; default 52 */
    double undercut_tilt_deg; /**< stage tilt for the undercut; default 0
                                 (beam 52 deg from the surface normal) */
    fib_geom_undercut undercut;
    double undercut_width_um;    /**< width of undercut / side bars;
                                    default 1 */
    double overtilt_deg;         /**< over-tilt per face for thinning;
                                    default 1 */
    double taper_deg;            /**< beam sidewall taper; default 1.5 */
    double thin_overlap_um;      /**< thinning box reaches this far into
                                    the already-open trench; default 0.2 */
    double polish_tilt_deg;      /**< low-kV polish: stage tilted this far
                                    towards each face; default 5 */
    double window_height_um;     /**< height (commanded depth) of the
                                    thinning windows; default
                                    min(lamella height, 4) */
    double polish_depth_um;      /**< commanded depth of the polishing
                                    windows (final main-kV pass and the
                                    low-kV passes): the useful window;
                                    default min(window_height_um, 1)
                                    on-grid / waffle (AutoLamella
                                    polishing 0.4-1 um), else
                                    min(window_height_um, 2) [U] */
    double protect_thickness_um; /**< protective cap; 0 = default 1, < 0 =
                                    none */
    double stress_relief_len_um; /**< default 18 */
    double stress_relief_gap_um; /**< slot distance from lamella centre;
                                    default 10; at least 0.5 um beyond
                                    the trench and undercut-bar ends
                                    (slots never inside them) */
} fib_geom_site;

/** Fill every zero field of @p site with its default (in place). */
FIB_API void fib_geom_site_defaults(fib_geom_site *site);

/**
 * Check a site (after defaults).  Errors: FIB_EINVAL naming the field,
 * value and limit (e.g. target thickness >= rough thickness, angles out of
 * (0, 90), non-positive sizes).
 */
FIB_API FIB_NODISCARD fib_status fib_geom_site_check(const fib_geom_site *site,
                                                     fib_error *err);

/** One box of a pattern in the beam view (um) with its depth. */
typedef struct fib_geom_box {
    double x0_um, y0_um, x1_um, y1_um; /**< corners, x0 < x1, y0 < y1 */
    double depth_um;                   /**< commanded depth along beam */
} fib_geom_box;

enum { FIB_GEOM_MAX_BOXES = 4, FIB_GEOM_NAME_SIZE = 32 };

/** A pattern (one step's geometry). */
typedef struct fib_geom_pattern {
    fib_geom_kind kind;
    fib_geom_scan scan;
    char name[FIB_GEOM_NAME_SIZE]; /**< "trench", "thin-2", "polish-5kV" */
    int n_boxes;
    fib_geom_box box[FIB_GEOM_MAX_BOXES];
    double area_um2;            /**< total box area in the beam view */
    double depth_um;            /**< largest commanded depth */
    double volume_um3;          /**< commanded volume (sum over boxes) */
    double removed_um3;         /**< lamella material actually taken off (thin/
                                   polish: slab of the lamella; else = volume) */
    double incidence_deg;       /**< beam angle to the normal of the surface the
                                   pattern is milled into */
    double face_incidence_deg;  /**< beam angle to the lamella face normal
                                   (90 - over-tilt for thin/polish) */
    double distance_um;         /**< nearest pattern edge to the lamella face */
    double thickness_before_nm; /**< lamella thickness before (thin/polish) */
    double thickness_after_nm;  /**< and after */
} fib_geom_pattern;

/**
 * The coarse patterns of a site, in run order: protect, fiducial (two
 * crossed 1 x 10 x 1 um bars, 20 um^3 as in AutoLamella, centred at
 * x = max(25 um, reach + 15 um): AutoLamella's 25 um, moved out so that
 * its arms stay >= 10 um from the farthest-reaching other pattern --
 * trenches, stress-relief slots, undercut / cut-free bars, needle cut --
 * and never overlap them), trenches, side
 * cut, undercut, stress relief, attach, cut-free, grid attach, needle cut
 * (those that apply to the method).  Writes at most @p cap patterns to
 * @p out and the count to @p n_out.  Errors: FIB_EINVAL for a bad site,
 * FIB_ERANGE when @p cap is too small (16 always suffices).
 */
FIB_API FIB_NODISCARD fib_status fib_geom_coarse(const fib_geom_site *site,
                                                 fib_geom_pattern *out,
                                                 size_t cap, size_t *n_out,
                                                 fib_error *err);

/**
 * A thinning (kind THIN) or polishing (kind POLISH) window pair taking the
 * lamella from @p from_nm to @p to_nm.
 *
 * THIN (main energy, cleaning cross-section beside the face): see below.
 * POLISH (low kV, face-on): the stage is tilted polish_tilt_deg towards
 * each face so the beam strikes the face at 90 - tilt degrees; the pattern
 * is the face's projection and the commanded volume equals the slab
 * removed, 2 x width x polish_depth_um x (from - to)/2 (incidence_deg =
 * 90 - polish_tilt_deg, face_incidence_deg likewise).
 *
 * THIN details: the
 * Each face is moved by
 * (from - to)/2; the box on each side spans from the new face position
 * outwards by the removed slab plus site->thin_overlap_um, over the lamella
 * width, with depth = window_height_um (the electron-transparent window;
 * the rest of the lamella height stays thicker as a frame).  removed_um3
 * is the slab actually taken (width x window height x (from - to)).
 * Over-tilt: the beam is tilted by overtilt_deg towards each face so that
 * the sidewall taper (taper_deg) is compensated; the residual wedge
 * (bottom thicker than top) is fib_geom_wedge_nm().
 * Errors: FIB_EINVAL when to_nm >= from_nm or either is not > 0.
 */
FIB_API FIB_NODISCARD fib_status fib_geom_window(
    const fib_geom_site *site, fib_geom_kind kind, const char *name,
    double from_nm, double to_nm, fib_geom_pattern *out, fib_error *err);

/** Residual wedge: bottom minus top thickness (nm) of the thinned window
 *  (height window_height_um) milled with taper_deg per face and
 *  overtilt_deg applied: 2 * H_window * tan(max(taper - overtilt, 0)). */
FIB_API double fib_geom_wedge_nm(const fib_geom_site *site);

/** Commanded volume of a stair-step trench of width w, length l and face
 *  depth d with n steps: w * l * d * (n + 1) / (2 n). */
FIB_API double fib_geom_stair_volume(double w_um, double l_um, double d_um,
                                     int n_steps);

#ifdef __cplusplus
}
#endif

#endif /* FIB_GEOMETRY_H */
