#!/usr/bin/python3
"""affine_run.py -- the transformation models of `cryofib recon --model`
(issue 16 item 1) on rendered acquisitions with a known slow affine
distortion (the digital twin, `cryofib simulate --scale-drift S
--shear-drift H --rotation-drift-deg R`).

For every case (phantom x seed x static/moving content x distortion):
  render    cryofib simulate --phantom P --size NXxNYxNZ --seed S
            [--static] [--scale-drift ... ] (twin defaults otherwise:
            drift, curtains, shading, gain drift, noise, PSF, tilt 52)
  recon     cryofib recon --input slices --model M --no-crop-valid
            --z-positions nominal --threads 1 (time: wall seconds)
Scores:
  corner    the mapping output -> input of each slice, c + A_i (u - c) -
            s_i (report.json "a", "dx", "dy"), against the truth's, c +
            A_k (u - c) - a_k (drift_true.csv), at the four corners of the
            frame: max and RMS over slices and corners, px
  dice      mean Dice per phase after multi-Otsu against truth_labels.mrc
            (fidelity_score.dice_multiotsu; margin: the largest shift plus
            the largest corner displacement of the distortion plus 2 px)

usage: affine_run.py CRYOFIB WORKDIR OUT.md
"""
import csv
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fidelity_score as fs  # noqa: E402

DIST = ["--scale-drift", "0.01", "--rotation-drift-deg", "0.5",
        "--shear-drift", "0.005"]
MODELS = ["translation", "affine", "regularized-affine"]


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def truth_rows(d):
    with open(os.path.join(d, "drift_true.csv")) as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))


def corner_residual(rows, slices, w, h):
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    cor = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [-0.5, h - 0.5],
                    [w - 0.5, h - 0.5]]) - c
    e = []
    for s, t in zip(slices, rows):
        ar = np.array(s["a"]).reshape(2, 2)
        at = (np.array([float(t[k]) for k in ("a11", "a12", "a21", "a22")])
              .reshape(2, 2) if "a11" in t else np.eye(2))
        d = (cor @ (ar - at).T
             - (np.array([s["dx"], s["dy"]])
                - np.array([float(t["dx"]), float(t["dy"])])))
        e.extend(np.hypot(d[:, 0], d[:, 1]))
    e = np.array(e)
    return float(e.max()), float(np.sqrt(np.mean(e ** 2)))


def case(cli, work, phantom, size, seed, static, dist):
    name = f"{phantom}-{size}-s{seed}{'-static' if static else ''}" + \
        ("-aff" if dist else "-none")
    d = os.path.join(work, name)
    if not os.path.exists(os.path.join(d, "drift_true.csv")):
        cmd = [cli, "simulate", "--phantom", phantom, "--size", size,
               "--seed", str(seed), "--quiet", "--out", d] + \
            (["--static"] if static else []) + (DIST if dist else [])
        run(cmd)
    rows = truth_rows(d)
    truth = fs.read_mrc(os.path.join(d, "truth_labels.mrc"))
    sl0 = fs.read_series(os.path.join(d, "slices"))
    h, w = sl0[0].shape
    y_scale = 1.0 / np.sin(np.radians(52.0))
    res = {"case": name, "models": {}}
    for m in MODELS:
        out = f"{d}-{m}"
        t0 = time.perf_counter()
        run([cli, "recon", "--input", os.path.join(d, "slices"), "--out",
             out, "--slice-nm", "10", "--no-crop-valid", "--z-positions",
             "nominal", "--model", m, "--threads", "1", "--quiet"])
        t = time.perf_counter() - t0
        rep = json.load(open(os.path.join(out, "report.json")))
        cmax, crms = corner_residual(rows, rep["slices"], w, h)
        vol = fs.read_mrc(os.path.join(out, "volume.mrc"))
        res["models"][m] = {"corner_max": cmax, "corner_rms": crms,
                            "vol": vol, "time_s": t, "slices": rep["slices"]}
    shift = max(max(abs(s["dx"]), abs(s["dy"])) for m in MODELS
                for s in res["models"][m]["slices"])
    margin = shift + 0.01 * 0.5 * max(w, h) + 2
    for m in MODELS:
        r = res["models"][m]
        r["dice"] = fs.mean_dice(fs.dice_multiotsu(r.pop("vol"), truth,
                                                   margin, y_scale))
        r.pop("slices")
    return res


def main():
    cli, work, out_md = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    size = os.environ.get("AFF_SIZE", "256x256x48")
    seeds = [int(s) for s in os.environ.get("AFF_SEEDS", "1,2").split(",")]
    results = []
    for phantom in ("particles", "coating"):
        for seed in seeds:
            for static in (True, False):
                for dist in (True, False):
                    results.append(case(cli, work, phantom, size, seed,
                                        static, dist))
                    print(json.dumps(results[-1]), flush=True)
    with open(out_md, "w") as f:
        f.write("| case | model | corner max px | corner RMS px | Dice | "
                "recon s (1 thread) |\n|---|---|---|---|---|---|\n")
        for r in results:
            for m in MODELS:
                v = r["models"][m]
                f.write(f"| {r['case']} | {m} | {v['corner_max']:.3f} | "
                        f"{v['corner_rms']:.3f} | {v['dice']:.4f} | "
                        f"{v['time_s']:.2f} |\n")
    json.dump(results, open(os.path.splitext(out_md)[0] + ".json", "w"),
              indent=1)


if __name__ == "__main__":
    main()
