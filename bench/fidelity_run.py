#!/usr/bin/python3
"""fidelity_run.py -- absolute accuracy of `cryofib recon` on rendered
slice-and-view acquisitions (the digital twin, `cryofib simulate`), against
the scikit-image peer and the oracle, in the same run.  Driven by
bench/run_fidelity.sh (which documents the environment variables).

For every case (microstructure x seed x vendor x tilt):
  render    cryofib simulate LABELS --vendor V [--no-tilt] --seed S
            (defaults otherwise: drift random walk 0.3 px + trend + jumps,
            curtains, shading, gain drift, shot + read noise, 5 % slice
            thickness jitter, PSF 0.7 px; 8-bit TIFF with vendor metadata)
  cryofib   cryofib recon --input slices --slice-nm T (defaults: pixel size
            and tilt from the metadata); its drift.csv and volume.mrc
  peer      skimage.registration.phase_cross_correlation on consecutive
            slices (upsample_factor 20, normalization None), cumulative sum,
            zero mean; the shifts and the 1/sin(tilt) stretch applied with
            scipy.ndimage.map_coordinates (order 1, bilinear as cryofib)
  oracle    the true shifts (drift_true.csv) applied the same way
Scores (fidelity_score.py): position error = RMS over slices of
(estimated - true applied shift) after removing the constant offset, per
axis; step error = RMS of the per-slice step differences; Dice per phase
after multi-Otsu (skimage.filters.threshold_multiotsu, classes = number of
phases, classes matched to the truth labels by grey order) against
truth_labels.mrc, on the region every method covers (a border of the
largest applied shift plus 2 px is left out for all three).

usage: fidelity_run.py CRYOFIB WORKDIR OUT.md   (also writes OUT.json: every
score of every case, for comparing runs)
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

import fidelity_score as fs

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("FIB_SHARED_DIR",
                        os.path.join(HERE, "..", "..", "shared"))
DATA = os.path.join(SHARED, "data")


def structures(nz):
    """(name, simulate source arguments) for every microstructure."""
    out = []
    nrel = os.path.join(DATA, "nrel-nmc-electrode-segmented",
                        "nmc-1-cal_generatedCBD_bridge.tif")
    tau = os.path.join(DATA, "taufactor-electrode", "electrode.tiff")
    if os.path.exists(nrel):
        out.append(("nrel-nmc (3 ph, 20 nm)", [nrel, "--voxel-nm", "20"]))
    if os.path.exists(tau):
        out.append(("taufactor (3 ph, 20 nm)", [tau, "--voxel-nm", "20"]))
    size = os.environ.get("FID_PHANTOM_SIZE", "224x224")
    out.append(("dendrites (4 ph, 10 nm)",
                ["--phantom", "dendrites", "--size", f"{size}x{nz + 8}"]))
    out.append(("coating (4 ph, 10 nm)",
                ["--phantom", "coating", "--size", f"{size}x{nz + 8}"]))
    return out


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def read_cfg(path):
    vals = {}
    with open(path) as f:
        for line in f:
            line = line.split("#")[0].strip().rstrip(";")
            if "=" in line:
                k, v = line.split("=", 1)
                vals[k.strip()] = v.strip().strip('"')
    return vals


def one_case(cli, work, name, src, seed, vendor, tilt, nz):
    d = os.path.join(work, "case")
    subprocess.run(["rm", "-rf", d, d + "-r"], check=True)
    cmd = [cli, "simulate"] + src + ["--out", d, "--seed", str(seed),
                                     "--vendor", vendor, "--slices", str(nz),
                                     "--quiet"]
    if not tilt:
        cmd.append("--no-tilt")
    run(cmd)
    cfg = read_cfg(os.path.join(d, "recon.cfg"))
    slice_nm = float(cfg["slice_nm"])
    tilt_deg = float(cfg["tilt_deg"])
    t0 = time.perf_counter()
    # --z-positions nominal: the twin's truth labels are per milled face
    # (one per slice file), so the volume is kept on that grid; resampling
    # to uniform z from the names' measured depths (the default) is checked
    # in tests/test_recon_z.c and tests/cli_recon_z.sh
    run([cli, "recon", "--input", os.path.join(d, "slices"), "--out",
         d + "-r", "--slice-nm", f"{slice_nm:.10g}", "--no-crop-valid",
         "--z-positions", "nominal", "--quiet"])
    t_c = time.perf_counter() - t0
    truth_shift = fs.read_shifts(os.path.join(d, "drift_true.csv"))
    c_shift = fs.read_shifts(os.path.join(d + "-r", "drift.csv"))
    slices = fs.read_series(os.path.join(d, "slices"))
    t0 = time.perf_counter()
    p_shift = fs.peer_shifts(slices)
    t_p = time.perf_counter() - t0
    truth = fs.read_mrc(os.path.join(d, "truth_labels.mrc"))
    y_scale = 1.0 / np.sin(np.radians(tilt_deg)) if tilt_deg > 0 else 1.0
    vols = {
        "cryofib": fs.read_mrc(os.path.join(d + "-r", "volume.mrc")),
        "peer": fs.apply(slices, p_shift, y_scale, truth.shape[1]),
        "oracle": fs.apply(slices, truth_shift, y_scale, truth.shape[1]),
    }
    shifts = {"cryofib": c_shift, "peer": p_shift, "oracle": truth_shift}
    margin = max(np.abs(s).max() for s in shifts.values()) + 2
    res = {"case": name, "seed": seed, "vendor": vendor,
           "tilt": tilt_deg, "t_cryofib": t_c, "t_peer": t_p}
    # content floor: the same consecutive-pair correlation run on the truth
    # labels themselves (drift-free, no artifacts), whose true shifts are
    # all zero: the apparent motion of the microstructure from slice to
    # slice, which no aligner that uses the content alone can tell from
    # drift (y converted back to raw image pixels)
    floor = fs.peer_shifts([t.astype(np.float64) for t in truth])
    floor[:, 1] /= y_scale
    res["content_floor"] = {
        "pos": fs.position_errors(floor, np.zeros_like(floor))[0]}
    for m in ("cryofib", "peer", "oracle"):
        pe, se = fs.position_errors(shifts[m], truth_shift)
        dice = fs.dice_multiotsu(vols[m], truth, margin, y_scale)
        res[m] = {"pos": pe, "step": se, "dice": dice}
    return res


def fiducial_case(cli, work, seed, nz):
    """The TauFactor electrode (whose microstructure moves by itself from
    slice to slice: the content floor) with a protective cap on top, as a
    real slice-and-view acquisition has it: 30 voxel rows of cap (600 nm)
    above the top surface, with tracking marks (vertical notches 2 voxels
    wide, rows 6-22, every 40 voxels) milled into it, the same in every
    slice.  Thermo 52 deg, every default artifact.  cryofib recon with its
    defaults (the whole field) and with --fiducial on the cap rows, and
    the peer on the whole field; position error against the true drift."""
    import tifffile
    tau = os.path.join(DATA, "taufactor-electrode", "electrode.tiff")
    lab = tifffile.imread(tau)
    nzl, ny, nx = lab.shape
    cap = np.full((nzl, 30, nx), 255, np.uint8)
    for x0 in range(20, nx - 2, 40):
        cap[:, 6:22, x0:x0 + 2] = 220
    vol = np.concatenate([cap, lab], axis=1)
    src = os.path.join(work, "tau-cap.tif")
    tifffile.imwrite(src, vol)
    d = os.path.join(work, "fid")
    subprocess.run(["rm", "-rf", d, d + "-r", d + "-f"], check=True)
    run([cli, "simulate", src, "--voxel-nm", "20", "--out", d, "--seed",
         str(seed), "--vendor", "thermo", "--slices", str(nz), "--quiet"])
    cfg = read_cfg(os.path.join(d, "recon.cfg"))
    slice_nm = float(cfg["slice_nm"])
    tilt = float(cfg["tilt_deg"])
    slices = fs.read_series(os.path.join(d, "slices"))
    w = slices[0].shape[1]
    rows = int(30 * np.sin(np.radians(tilt))) - 3  # the cap, in image rows
    common = [cli, "recon", "--input", os.path.join(d, "slices"),
              "--slice-nm", f"{slice_nm:.10g}", "--no-crop-valid",
              "--z-positions", "nominal", "--quiet"]
    run(common + ["--out", d + "-r"])
    run(common + ["--out", d + "-f", "--fiducial", f"0,0,{w},{rows}"])
    truth = fs.read_shifts(os.path.join(d, "drift_true.csv"))
    res = {"seed": seed, "rows": rows}
    for m, sh in (("defaults", fs.read_shifts(os.path.join(d + "-r",
                                                           "drift.csv"))),
                  ("fiducial", fs.read_shifts(os.path.join(d + "-f",
                                                           "drift.csv"))),
                  ("peer", fs.peer_shifts(slices))):
        res[m] = fs.position_errors(sh, truth)
    return res


def fmt_row(r):
    cells = [r["case"], str(r["seed"]), r["vendor"], f"{r['tilt']:g}"]
    for m in ("cryofib", "peer", "oracle"):
        x = r[m]
        if m != "oracle":
            cells.append(f"{x['pos'][0]:.2f} / {x['pos'][1]:.2f}")
            cells.append(f"{x['step'][0]:.3f} / {x['step'][1]:.3f}")
        cells.append(" ".join("-" if v is None else f"{v:.3f}"
                              for v in x["dice"]) +
                     f" (**{fs.mean_dice(x['dice']):.3f}**)")
    return "| " + " | ".join(cells) + " |"


def main():
    cli, work, out = sys.argv[1], sys.argv[2], sys.argv[3]
    full = os.environ.get("FID_FULL", "0") == "1"
    nz = int(os.environ.get("FID_SLICES", "96" if full else "64"))
    seeds = [int(s) for s in os.environ.get("FID_SEEDS", "1,2,3").split(",")]
    vendors = [("thermo", True), ("zeiss", True), ("thermo", False),
               ("zeiss", False)]
    rows, results = [], []
    t_all = time.perf_counter()
    if os.environ.get("FID_ONLY", "") == "destripe":
        destripe = fs.destripe_section(cli, work, structures(nz), nz)
        destripe += fs.destripe_real(cli, work, DATA)
        ver = run([cli, "version"]).strip()
        with open(out, "w") as f:
            f.write("# Destriping on rendered and real slices\n\n"
                    f"`FID_ONLY=destripe bench/run_fidelity.sh` ({ver}; "
                    f"{nz} slices rendered); the destriping section of "
                    "bench/results/fidelity.md alone, then held-out "
                    "curtains.\n\n")
            f.write("\n".join(fs.destripe_md(destripe)) + "\n")
            ho = fs.destripe_heldout(cli, work, structures(nz), DATA)
            f.write("\n".join(fs.heldout_md(ho)) + "\n")
        print(f"wrote {out}")
        return
    for name, src in structures(nz):
        for seed in seeds:
            for vendor, tilt in vendors:
                r = one_case(cli, work, name, src, seed, vendor, tilt, nz)
                results.append(r)
                rows.append(fmt_row(r))
                print(rows[-1], flush=True)
    frame = []
    fstr = os.environ.get("FID_FRAME_STRIPES", "0.05")
    for name, src in structures(nz)[:1]:
        for seed in seeds:
            r = one_case(cli, work, name, src + ["--frame-stripes", fstr],
                         seed, "thermo", True, nz)
            frame.append(fmt_row(r))
            print(frame[-1], flush=True)
    static = []
    for name, src in structures(nz)[:1]:
        for seed in seeds:
            r = one_case(cli, work, name, src + ["--static"], seed, "thermo",
                         True, nz)
            static.append(fmt_row(r))
            print(static[-1], flush=True)
    fid = []
    if os.path.exists(os.path.join(DATA, "taufactor-electrode",
                                   "electrode.tiff")):
        for seed in seeds:
            fid.append(fiducial_case(cli, work, seed, nz))
            print(fid[-1], flush=True)
    destripe = fs.destripe_section(cli, work, structures(nz), nz)
    destripe += fs.destripe_real(cli, work, DATA)
    elapsed = time.perf_counter() - t_all
    ver = run([cli, "version"]).strip()

    def plain(x):
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple, np.ndarray)):
            return [plain(v) for v in x]
        if isinstance(x, (np.floating, np.integer)):
            return x.item()
        return x
    with open(os.path.splitext(out)[0] + ".json", "w") as f:
        json.dump({"version": ver, "slices": nz, "seeds": seeds,
                   "cases": plain(results), "destripe": plain(destripe),
                   "fiducial": plain(fid)},
                  f, indent=1)
    with open(out, "w") as f:
        f.write(fs.report(results, rows, destripe, ver, nz, seeds, elapsed,
                          frame, fstr, static, fid))
    print(f"wrote {out} ({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
