#!/usr/bin/python3
"""fidelity_score.py -- readers, the scikit-image peer, the resampling of
the peer and the oracle, the scores and the report of bench/run_fidelity.sh
(see fidelity_run.py for the definitions)."""
import csv
import glob
import os
import subprocess
import sys

import mrcfile
import numpy as np
import tifffile
from scipy import ndimage
from skimage.filters import threshold_multiotsu
from skimage.registration import phase_cross_correlation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_correct import remove_stripe_fw  # noqa: E402


def read_shifts(path):
    """slice,dx,dy,... -> (n, 2) array of applied shifts (dx, dy)."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r["dx"]), float(r["dy"])] for r in rows])


def read_series(folder):
    files = sorted(glob.glob(os.path.join(folder, "*.tif")))
    return [tifffile.imread(p).astype(np.float32) for p in files]


def read_mrc(path):
    with mrcfile.open(path, permissive=True) as m:
        return np.asarray(m.data).copy()


def peer_shifts(slices):
    """Consecutive-pair phase_cross_correlation (upsample 20, plain
    cross-correlation), cumulative, zero mean; (n, 2) applied (dx, dy)."""
    n = len(slices)
    pos = np.zeros((n, 2))
    for z in range(1, n):
        s, _, _ = phase_cross_correlation(slices[z - 1], slices[z],
                                          upsample_factor=20,
                                          normalization=None)
        pos[z] = pos[z - 1] + s  # s = (dy, dx) registering z onto z - 1
    pos -= pos.mean(0)
    return pos[:, ::-1].copy()


def apply(slices, shifts, y_scale, out_ny):
    """Shift every slice by its applied shift and stretch y by y_scale on
    the reconstruction grid (output row Y samples raw row (Y + 1/2) /
    y_scale - 1/2, as cryofib recon), bilinear, zero outside."""
    ny, nx = slices[0].shape
    yy, xx = np.meshgrid(np.arange(out_ny, dtype=np.float64),
                         np.arange(nx, dtype=np.float64), indexing="ij")
    out = np.zeros((len(slices), out_ny, nx), np.float32)
    for k, img in enumerate(slices):
        v = (yy + 0.5) / y_scale - 0.5 - shifts[k, 1]
        u = xx - shifts[k, 0]
        out[k] = ndimage.map_coordinates(img, [v, u], order=1,
                                         mode="constant", cval=0.0)
    return out


def position_errors(est, true):
    """(RMS position error after removing the constant offset, RMS step
    error), each per axis (x, y), in pixels."""
    e = est - true
    e = e - e.mean(0)
    pos = np.sqrt((e ** 2).mean(0))
    de = np.diff(est, axis=0) - np.diff(true, axis=0)
    step = np.sqrt((de ** 2).mean(0))
    return pos, step


MIN_FRACTION = 0.01


def dice_multiotsu(vol, truth, margin, y_scale):
    """Dice per phase (truth labels in ascending order = grey order) after
    multi-Otsu on the region inside the margin; None for a phase under
    MIN_FRACTION of the region (e.g. a phantom's protective cap that the
    margin leaves out: its Dice would measure a handful of voxels)."""
    labels = np.unique(truth)
    mx = int(np.ceil(margin))
    my = int(np.ceil(margin * y_scale))
    reg = vol[:, my:vol.shape[1] - my, mx:vol.shape[2] - mx].astype(np.float64)
    tr = truth[:, my:truth.shape[1] - my, mx:truth.shape[2] - mx]
    # classes = the phases present in the region: a phase the margin
    # leaves (nearly) out must not force a class of its own, or multi-Otsu
    # splits a big phase in two instead
    present = [lab for lab in labels if (tr == lab).mean() >= MIN_FRACTION]
    thr = threshold_multiotsu(reg, classes=len(present))
    seg = np.digitize(reg, thr)
    out = []
    for lab in labels:
        if lab not in present:
            out.append(None)  # a phase (nearly) outside the region
            continue
        a = seg == present.index(lab)
        b = tr == lab
        den = a.sum() + b.sum()
        out.append(2.0 * np.logical_and(a, b).sum() / den)
    return out


def mean_dice(d):
    return float(np.mean([v for v in d if v is not None]))


# ---- destriping ------------------------------------------------------------

def stripe_power(r):
    """Power of the vertical-stripe part of a residual: the column means,
    high-passed along x (minus a Gaussian of sigma 8 px), mean square."""
    col = r.mean(0)
    hp = col - ndimage.gaussian_filter1d(col, 8.0, mode="reflect")
    return float((hp ** 2).mean())


def destripe_scores(img, clean, out):
    rms = float(np.sqrt(((out - clean) ** 2).mean()))
    left = stripe_power(out - clean) / max(stripe_power(img - clean), 1e-12)
    return rms, left


CURTAINS = "0.15"  # strong curtains for the destriping section


def destripe_pair(cli, work, name, k, img, clean):
    """cryofib correct --destripe (the default method, VSNR), cryofib
    correct --destripe-method wavelet (db5, 4 levels, sigma 2) and
    remove_stripe_fw with the same wavelet, levels and sigma on one image
    against its curtain-free target."""
    i = os.path.join(work, "ds-in.tif")
    o = os.path.join(work, "ds-out.tif")
    tifffile.imwrite(i, img.astype(np.float32))

    def cryofib(*extra):
        subprocess.run([cli, "correct", i, o, "--out-type", "f32",
                        "--quiet", *extra], check=True,
                       stdout=subprocess.DEVNULL)
        return tifffile.imread(o).astype(np.float64)
    ours = cryofib("--destripe")
    wav = cryofib("--destripe-method", "wavelet")
    ref = remove_stripe_fw(img.astype(np.float32), level=4, wname="db5",
                           sigma=2.0).astype(np.float64)
    rin = float(np.sqrt(((img - clean) ** 2).mean()))
    ro, lo = destripe_scores(img, clean, ours)
    rr, lr = destripe_scores(img, clean, ref)
    rw, lw = destripe_scores(img, clean, wav)
    return (name, k, rin, ro, lo, rr, lr, rw, lw)


def add_curtains(img, seed):
    """Real slice + curtains as in issue 11: vertical streaks 1-8 px wide
    (Gaussian profile, sigma = width / 2), one per 10 px on average,
    amplitude N(0, 20) grey levels, fading with depth (e-folding half the
    image height), then Gaussian noise sigma 3."""
    rng = np.random.default_rng(seed)
    ny, nx = img.shape
    x = np.arange(nx) + 0.5
    col = np.zeros(nx)
    for _ in range(nx // 10):
        x0 = rng.uniform(0, nx)
        w = rng.uniform(1, 8)
        col += rng.normal(0, 20) * np.exp(-0.5 * ((x - x0) / (0.5 * w)) ** 2)
    fade = np.exp(-(np.arange(ny) + 0.5) / (0.5 * ny))
    out = img + fade[:, None] * col[None, :]
    return out + rng.normal(0, 3, img.shape)


def destripe_real(cli, work, data):
    """Janelia FIB-25 slices (real FIB-SEM, 8-bit) with added curtains and
    noise; the target is the slice as published."""
    d = os.path.join(data, "janelia-fib25-medulla-cube", "slices")
    files = sorted(glob.glob(os.path.join(d, "*.png")))
    rows = []
    for k in (0, len(files) // 2) if files else ():
        from skimage.io import imread
        clean = imread(files[k]).astype(np.float64)
        img = add_curtains(clean, 100 + k)
        rows.append(destripe_pair(cli, work, "janelia FIB-25 (real)", k, img,
                                  clean))
    return rows


def destripe_section(cli, work, structs, nz):
    """Seed 1, Thermo 52 deg, strong curtains (--curtains 0.15): the
    curtained and the curtain-free render of the same acquisition (same
    seed, curtains off); slices 0 and nz/2 of each structure."""
    rows = []
    for name, src in structs:
        d = os.path.join(work, "ds")
        dc = os.path.join(work, "ds-clean")
        subprocess.run(["rm", "-rf", d, dc], check=True)
        base = [cli, "simulate"] + src + ["--seed", "1", "--vendor",
                                          "thermo", "--slices", str(nz),
                                          "--quiet"]
        subprocess.run(base + ["--out", d, "--curtains", CURTAINS],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(base + ["--out", dc, "--curtains", "0"], check=True,
                       stdout=subprocess.DEVNULL)
        fa = sorted(glob.glob(os.path.join(d, "slices", "*.tif")))
        fc = sorted(glob.glob(os.path.join(dc, "slices", "*.tif")))
        for k in (0, nz // 2):
            img = tifffile.imread(fa[k]).astype(np.float64)
            clean = tifffile.imread(fc[k]).astype(np.float64)
            rows.append(destripe_pair(cli, work, name, k, img, clean))
    return rows


# ---- report ----------------------------------------------------------------

def report(results, rows, destripe, version, nz, seeds, elapsed, frame,
           fstr, static, fid=()):
    L = []
    L.append("# Recon fidelity on rendered acquisitions (digital twin)\n")
    L.append(f"`bench/run_fidelity.sh` ({version}; {nz} slices, seeds "
             f"{', '.join(map(str, seeds))}; {elapsed:.0f} s wall on this "
             "machine).  Every case is rendered by `cryofib simulate` with "
             "its defaults (recon/README.md, \"Digital twin\": random-walk "
             "drift 0.3 px/slice + 0.05 px/slice trend + 2 % jumps of "
             "1.5-4.5 px, curtains fixed in the sample that fade with "
             "depth and evolve with z, frame-fixed shading, gain drift, "
             "shot and read noise, pore-back seen through the pores "
             "(attenuation length 2 slices), 5 % slice-thickness jitter, "
             "0.7 px PSF, "
             "8-bit TIFF with vendor metadata), then reconstructed in the "
             "same run by `cryofib recon` with its defaults, by the "
             "scikit-image peer and by the oracle (true shifts, same "
             "resampling as the peer).  Definitions: bench/fidelity_run.py."
             "\n")
    L.append("Columns: position error = RMS of (estimated - true shift) "
             "after removing the constant offset, x / y, px; step error = "
             "RMS of per-slice step differences, x / y, px; Dice per phase "
             "(truth labels in ascending order) after multi-Otsu, mean in "
             "bold; '-' for a phase under 1 % of the evaluated region (left out of the "
             "mean).  Tilt 0 = orthogonal view, no foreshortening.\n")
    L.append("## Summary (mean over seeds, vendors and tilts)\n")
    L.append("| structure | cryofib pos x / y | peer pos x / y | cryofib "
             "step x / y | peer step x / y | Dice cryofib | Dice peer | "
             "Dice oracle | cryofib / oracle | content floor pos x / y |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    names = []
    for r in results:
        if r["case"] not in names:
            names.append(r["case"])
    for n in names:
        rs = [r for r in results if r["case"] == n]

        def m(key, part):
            return np.mean([r[key][part] for r in rs], axis=0)
        dc = np.mean([mean_dice(r["cryofib"]["dice"]) for r in rs])
        dp = np.mean([mean_dice(r["peer"]["dice"]) for r in rs])
        do = np.mean([mean_dice(r["oracle"]["dice"]) for r in rs])
        cp, pp = m("cryofib", "pos"), m("peer", "pos")
        cs, ps = m("cryofib", "step"), m("peer", "step")
        fl = np.mean([r["content_floor"]["pos"] for r in rs], axis=0)
        L.append(f"| {n} | {cp[0]:.2f} / {cp[1]:.2f} | {pp[0]:.2f} / "
                 f"{pp[1]:.2f} | {cs[0]:.3f} / {cs[1]:.3f} | {ps[0]:.3f} / "
                 f"{ps[1]:.3f} | {dc:.3f} | {dp:.3f} | {do:.3f} | "
                 f"{dc / do:.3f} | {fl[0]:.2f} / {fl[1]:.2f} |")
    L.append("")
    L.append("Content floor: the position error of consecutive-pair "
             "correlation run on the truth labels themselves (no drift, no "
             "artifact): the slice-to-slice apparent motion of the "
             "microstructure, which no alignment from the image content "
             "alone can tell from stage drift.  Where it exceeds 0.5 px the "
             "position target needs a reference that does not move with the "
             "content (a fiducial: `cryofib recon --fiducial`).\n")
    ok = {"Dice >= 97 % of oracle": 0, "Dice >= peer": 0,
          "position <= 0.5 px (both axes)": 0,
          "step <= 0.1 px (both axes)": 0}
    for r in results:
        dc = mean_dice(r["cryofib"]["dice"])
        ok["Dice >= 97 % of oracle"] += dc >= 0.97 * mean_dice(
            r["oracle"]["dice"])
        ok["Dice >= peer"] += dc >= mean_dice(r["peer"]["dice"])
        ok["position <= 0.5 px (both axes)"] += bool(
            np.all(r["cryofib"]["pos"] <= 0.5))
        ok["step <= 0.1 px (both axes)"] += bool(
            np.all(r["cryofib"]["step"] <= 0.1))
    L.append("Issue 11 \"done when\" criteria, cases of "
             f"{len(results)} that meet them (cryofib defaults): " +
             "; ".join(f"{k}: {v}" for k, v in ok.items()) + ".\n")
    tc = np.mean([r["t_cryofib"] for r in results])
    tp = np.mean([r["t_peer"] for r in results])
    L.append(f"Mean time per case: cryofib recon (whole run, files in and "
             f"out) {tc:.2f} s; peer shift estimation alone {tp:.2f} s.\n")
    L.append("## Every case\n")
    L.append("| structure | seed | vendor | tilt | cryofib pos | cryofib "
             "step | cryofib Dice | peer pos | peer step | peer Dice | "
             "oracle Dice |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    L.extend(rows)
    L.append("")
    L.append("## Stripes fixed in the image frame\n")
    L.append(f"First structure, Thermo 52 deg, `--frame-stripes {fstr}` "
             "(vertical stripes that stay in the image while the sample "
             "drifts, on top of every default artifact); same columns.\n")
    L.append("| structure | seed | vendor | tilt | cryofib pos | cryofib "
             "step | cryofib Dice | peer pos | peer step | peer Dice | "
             "oracle Dice |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    L.extend(frame)
    L.append("")
    L.append("## Static content\n")
    L.append("First structure, Thermo 52 deg, `--static`: every slice shows "
             "the first face (texture and pore-back included), so only the "
             "drift and the artifacts change: the case where more "
             "neighbour pairs should only help; same columns.\n")
    L.append("| structure | seed | vendor | tilt | cryofib pos | cryofib "
             "step | cryofib Dice | peer pos | peer step | peer Dice | "
             "oracle Dice |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    L.extend(static)
    L.append("")
    if fid:
        L.append("## Content that moves by itself: a fiducial\n")
        L.append("The TauFactor electrode (content floor above 3 px: its "
                 "features move from slice to slice by themselves) with a "
                 "protective cap on top, as a real acquisition has it: 30 "
                 "voxel rows (600 nm) of cap above the top surface with "
                 "tracking marks milled into it (vertical notches, the same "
                 "in every slice; fidelity_run.fiducial_case), Thermo 52 "
                 "deg, every default artifact.  Position error x / y, px "
                 "RMS: cryofib recon with its defaults (whole field), with "
                 "`--fiducial 0,0,W,R` (R = the cap's image rows), and the "
                 "peer on the whole field.\n")
        L.append("| seed | cap rows | cryofib defaults | cryofib --fiducial "
                 "| peer |")
        L.append("|---|---|---|---|---|")
        for r in fid:
            c = [f"{r[m][0][0]:.2f} / {r[m][0][1]:.2f}"
                 for m in ("defaults", "fiducial", "peer")]
            L.append(f"| {r['seed']} | {r['rows']} | " + " | ".join(c) +
                     " |")
        L.append("")
    L.extend(destripe_md(destripe))
    return "\n".join(L) + "\n"


def destripe_md(destripe):
    """The "Destriping" section of the report (markdown lines)."""
    L = ["## Destriping\n"]
    L.append("Rendered: seed 1, Thermo 52 deg, slices 0 and nz/2, strong "
             f"curtains (`--curtains {CURTAINS}`); the same acquisition "
             "rendered with and without curtains (same seed: every other "
             "artifact, the noise included, is identical), so the "
             "curtain-free render is the target.  Real: Janelia FIB-25 "
             "slices 0 and 125 with added curtains (1-8 px wide, fading "
             "with depth) and noise sigma 3 (fidelity_score.add_curtains); "
             "the published slice is the target.  RMS "
             "error against it in 8-bit grey levels; stripe power left = "
             "power of the high-passed column means of (output - target) "
             "over that of (input - target).  cryofib = `cryofib correct "
             "--destripe` (the default method, VSNR, recon/CORRECTION.md); "
             "cryofib wavelet = `--destripe-method wavelet` (db5, 4 levels, "
             "sigma 2); reference = bench/peer_correct.py remove_stripe_fw "
             "with the same wavelet, levels and sigma.\n")
    L.append("| structure | slice | input RMS | cryofib RMS | cryofib "
             "stripe left | cryofib wavelet RMS | cryofib wavelet stripe "
             "left | reference RMS | reference stripe left |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    win = 0
    for n, k, rin, ro, lo, rr, lr, rw, lw in destripe:
        L.append(f"| {n} | {k} | {rin:.2f} | {ro:.2f} | {lo:.2f} | "
                 f"{rw:.2f} | {lw:.2f} | {rr:.2f} | {lr:.2f} |")
        win += ro < rin and ro < rr and lo < lr
    L.append("")
    L.append("Issue 11 \"done when\" for destriping (cryofib RMS below the "
             "input's and the reference's, stripe left below the "
             f"reference's): {win} of {len(destripe)} images.\n")
    return L


# Held-out curtains for the destriper (not used to choose its defaults):
# other seeds, Zeiss geometry, other curtain widths and strengths.
HELDOUT = [("seed 2, Zeiss, curtains 0.15",
            ["--seed", "2", "--vendor", "zeiss", "--curtains", "0.15"]),
           ("seed 3, width 6 px, curtains 0.10",
            ["--seed", "3", "--curtains", "0.10", "--curtain-width-px", "6"]),
           ("seed 4, width 1.5 px, curtains 0.20",
            ["--seed", "4", "--curtains", "0.20", "--curtain-width-px",
             "1.5"]),
           ("seed 5, Zeiss, weak curtains 0.05",
            ["--seed", "5", "--vendor", "zeiss", "--curtains", "0.05"])]


def destripe_heldout(cli, work, structs, data, nz=40, k=17):
    """Slice k of each structure under each HELDOUT setting, and Janelia
    slices 40 and 200 with add_curtains (seeds 47, 207): rows of
    destripe_pair plus the RMS change of `correct --destripe` on the
    curtain-free target."""
    rows = []

    def change(clean):
        i = os.path.join(work, "ho-in.tif")
        o = os.path.join(work, "ho-out.tif")
        tifffile.imwrite(i, clean.astype(np.float32))
        subprocess.run([cli, "correct", i, o, "--destripe", "--out-type",
                        "f32", "--quiet"], check=True,
                       stdout=subprocess.DEVNULL)
        return float(np.sqrt(((tifffile.imread(o) - clean) ** 2).mean()))
    for name, src in structs:
        for label, args in HELDOUT:
            d = os.path.join(work, "ho")
            dc = os.path.join(work, "ho-clean")
            subprocess.run(["rm", "-rf", d, dc], check=True)
            base = [cli, "simulate"] + src + ["--slices", str(nz), "--quiet"]
            subprocess.run(base + ["--out", d] + args, check=True,
                           stdout=subprocess.DEVNULL)
            a0 = list(args)
            a0[a0.index("--curtains") + 1] = "0"
            subprocess.run(base + ["--out", dc] + a0, check=True,
                           stdout=subprocess.DEVNULL)
            fa = sorted(glob.glob(os.path.join(d, "slices", "*.tif")))
            fc = sorted(glob.glob(os.path.join(dc, "slices", "*.tif")))
            img = tifffile.imread(fa[k]).astype(np.float64)
            clean = tifffile.imread(fc[k]).astype(np.float64)
            rows.append(destripe_pair(cli, work, f"{name}; {label}", k, img,
                                      clean) + (change(clean),))
    d = os.path.join(data, "janelia-fib25-medulla-cube", "slices")
    files = sorted(glob.glob(os.path.join(d, "*.png")))
    for j in (40, 200) if len(files) > 200 else ():
        from skimage.io import imread
        clean = imread(files[j]).astype(np.float64)
        img = add_curtains(clean, 7 + j)
        rows.append(destripe_pair(cli, work, "janelia FIB-25 (real)", j, img,
                                  clean) + (change(clean),))
    return rows


def heldout_md(rows):
    L = ["## Held-out curtains\n"]
    L.append("Settings not used to choose the VSNR defaults "
             "(fidelity_score.HELDOUT: other seeds, Zeiss geometry, curtain "
             "widths 1.5 and 6 px, strengths 0.05-0.20; 40 slices, slice "
             "17; Janelia slices 40 and 200 with other curtain draws).  "
             "Same columns as above, plus the RMS change that `correct "
             "--destripe` makes to the curtain-free target itself.\n")
    L.append("| case | slice | input RMS | cryofib RMS | cryofib stripe "
             "left | cryofib wavelet RMS | cryofib wavelet stripe left | "
             "reference RMS | reference stripe left | change on "
             "curtain-free |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    win = 0
    for n, k, rin, ro, lo, rr, lr, rw, lw, ch in rows:
        L.append(f"| {n} | {k} | {rin:.2f} | {ro:.2f} | {lo:.2f} | "
                 f"{rw:.2f} | {lw:.2f} | {rr:.2f} | {lr:.2f} | {ch:.2f} |")
        win += ro < rin and ro < rr and lo < lr
    L.append("")
    L.append(f"cryofib below the input and the reference in RMS and below "
             f"the reference in stripe left: {win} of {len(rows)}.\n")
    return L
