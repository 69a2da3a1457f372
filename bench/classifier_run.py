"""classifier_run.py -- the trainable pixel classifier (`cryofib segment
--train/--model`, issue 19) against multi-Otsu and the oracle threshold, on
rendered slice-and-view acquisitions whose truth is known (the digital
twin, `cryofib simulate`).  Driven by bench/run_classifier.sh.

Per structure (the demo's dendrite phantom as `cryofib phantom` renders
it, its truth put on the reconstruction's grid by `cryofib phantom
--truth-for`; the dendrites, coating and particles phantoms and the NREL
NMC electrode from ../shared/data, when present, as the digital twin
`cryofib simulate` renders them):
  train     simulate seed 1 -> cryofib recon -> truth_labels.mrc (the truth
            on the reconstruction grid) + 1 as training labels, on every
            section ("full") and on one section in 8 ("1/8")
  test      simulate seeds 2 and 3 (other samples of the same kind, other
            drift, curtains and noise) -> cryofib recon
  methods   classifier  cryofib segment VOLUME --model M.json (trained on
                        seed 1, 1/8 and full)
            multi-Otsu  cryofib segment VOLUME --multi-otsu K
            oracle      K - 1 thresholds chosen with the truth: each the
                        grey level that misclassifies the fewest voxels
                        between two phases adjacent in mean grey
  score     Dice per phase on the region every slice covers (the largest
            drift plus 2 px left out at each side), phases named by truth
            label; multi-Otsu and oracle classes are matched to phases by
            mean grey.
Also: the time and peak memory of features + prediction on a 256 x 256 x
64 volume (`cryofib segment --model`, 2 threads), and its output with 1
and 2 threads compared byte for byte.
"""
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
NZ = int(os.environ.get("CLS_SLICES", "64"))
TEST_SEEDS = [int(s) for s in os.environ.get("CLS_SEEDS", "2,3").split(",")]


def run(cmd, env=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def structures():
    out = [("dendrites (`cryofib phantom`, demo-like, 4 ph)",
            ["phantom", "dendrites"]),
           ("dendrites (twin, 4 ph)",
            ["--phantom", "dendrites", "--size", f"256x256x{NZ + 8}"]),
           ("coating (twin, 4 ph)",
            ["--phantom", "coating", "--size", f"256x256x{NZ + 8}"]),
           ("particles (twin, 4 ph)",
            ["--phantom", "particles", "--size", f"256x256x{NZ + 8}"])]
    nrel = os.path.join(DATA, "nrel-nmc-electrode-segmented",
                        "nmc-1-cal_generatedCBD_bridge.tif")
    if os.path.exists(nrel):
        out.append(("NREL NMC electrode (3 ph, 20 nm)",
                    [nrel, "--voxel-nm", "20"]))
    return out


def acquire(cli, work, src, seed):
    """Render and reconstruct one acquisition; (volume path, truth, shifts
    margin)."""
    d = os.path.join(work, f"s{seed}")
    subprocess.run(["rm", "-rf", d, d + "-r"], check=True)
    if src[0] == "phantom":
        # the quick phantom series (`cryofib phantom`), reconstructed as in
        # the README's tour (destripe, normalise; cropped to the region
        # every slice covers), its truth put on that grid exactly
        # (`cryofib phantom --truth-for`, the recon's constant offset
        # removed)
        kind = ["--kind", src[1], "--seed", str(seed)]
        run([cli, "phantom"] + kind + ["--out", d])
        run([cli, "recon", "--input", d, "--out", d + "-r",
             "--pixel-size-nm", "10", "--slice-nm", "10", "--destripe",
             "--normalize", "--quiet"])
        t = os.path.join(d + "-r", "truth.mrc")
        run([cli, "phantom"] + kind + ["--truth-for", d + "-r", "--out", t])
        return os.path.join(d + "-r", "volume.mrc"), fs.read_mrc(t), 0
    run([cli, "simulate"] + src + ["--out", d, "--seed", str(seed),
                                   "--slices", str(NZ), "--no-tilt",
                                   "--quiet"])
    slice_nm = None
    with open(os.path.join(d, "recon.cfg")) as f:
        for line in f:
            if line.strip().startswith("slice_nm"):
                slice_nm = float(line.split("=")[1].strip().rstrip(";"))
    run([cli, "recon", "--input", os.path.join(d, "slices"), "--out",
         d + "-r", "--slice-nm", f"{slice_nm:.10g}", "--no-crop-valid",
         "--z-positions", "nominal", "--quiet"])
    truth = fs.read_mrc(os.path.join(d, "truth_labels.mrc"))
    shifts = fs.read_shifts(os.path.join(d + "-r", "drift.csv"))
    margin = int(np.ceil(np.abs(shifts).max() + 2))
    return os.path.join(d + "-r", "volume.mrc"), truth, margin


def write_labels(path, lab):
    import mrcfile
    with mrcfile.new(path, overwrite=True) as m:
        m.set_data(lab.astype(np.uint8))
        m.voxel_size = 10.0


def region(a, m):
    return a[:, m:a.shape[1] - m, m:a.shape[2] - m] if m else a


def dice_per_phase(seg, truth, phases):
    """seg holds truth label values already."""
    out = []
    for lab in phases:
        a, b = seg == lab, truth == lab
        den = a.sum() + b.sum()
        out.append(2.0 * np.logical_and(a, b).sum() / den if den else np.nan)
    return out


def grey_order(vol, truth, phases):
    means = [vol[truth == lab].mean() for lab in phases]
    return [phases[i] for i in np.argsort(means)]


def oracle(vol, truth, phases, bins=1024, sweeps=4):
    """Thresholds chosen with the truth: the K - 1 grey levels that give
    the largest mean Dice over the phases, classes assigned to phases in
    ascending mean grey (so a small phase such as lithium counts as much
    as the background).  Per-phase histograms on `bins` bins over the grey
    range; coordinate ascent (each threshold searched between its
    neighbours in turn, `sweeps` times) from evenly spaced levels."""
    order = grey_order(vol, truth, phases)
    lo, hi = float(vol.min()), float(vol.max())
    edges = np.linspace(lo, hi, bins + 1)
    cum, tot = {}, {}
    for p in phases:
        h, _ = np.histogram(vol[truth == p], bins=edges)
        cum[p] = np.concatenate([[0], np.cumsum(h)])
        tot[p] = cum[p][-1]
    allc = sum(cum[p] for p in phases)
    k = len(order)
    t = [int(round(bins * (i + 1) / k)) for i in range(k - 1)]

    def mean_dice(tt):
        b = [0] + list(tt) + [bins]
        d = 0.0
        for i in range(k):
            p = order[i]
            tp = cum[p][b[i + 1]] - cum[p][b[i]]
            seg = allc[b[i + 1]] - allc[b[i]]
            d += 2.0 * tp / (seg + tot[p]) if seg + tot[p] else 0.0
        return d / k
    for _ in range(sweeps):
        for i in range(k - 1):
            a = t[i - 1] if i > 0 else 0
            z = t[i + 1] if i + 1 < k - 1 else bins
            best, arg = -1.0, t[i]
            for c in range(a, z + 1):
                v = mean_dice(t[:i] + [c] + t[i + 1:])
                if v > best:
                    best, arg = v, c
            t[i] = arg
    return np.array(order)[np.digitize(vol, edges[t])]


def by_grey(classes, vol, truth, phases):
    """multi-Otsu classes 0..K-1 (ascending grey) -> phases by mean
    grey."""
    order = grey_order(vol, truth, phases)
    return np.array(order)[classes]


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    rss_kb = int(r.stderr.strip().splitlines()[-1])
    return time.perf_counter() - t0, rss_kb / 1024.0


def main():
    cli, work, out_md = sys.argv[1], sys.argv[2], sys.argv[3]
    rows, speed = [], None
    t_start = time.time()
    for name, src in structures():
        tv, ttruth, tm = acquire(cli, work, src, 1)
        phases = [int(p) for p in np.unique(ttruth)]
        models = {}
        for tag, every in (("full", 1), ("1/8", 8)):
            lab = ttruth.astype(np.int32) + 1
            if every > 1:
                keep = np.zeros(lab.shape[0], bool)
                keep[every // 2::every] = True
                lab[~keep] = 0
            # leave the zero-filled border (no data) out of the training
            if tm:
                lab[:, :tm, :] = 0
                lab[:, -tm:, :] = 0
                lab[:, :, :tm] = 0
                lab[:, :, -tm:] = 0
            lp = os.path.join(work, "train.mrc")
            write_labels(lp, lab)
            mp = os.path.join(work, f"model-{every}.json")
            run([cli, "segment", tv, "--train", lp, "--model", mp,
                 "--out", os.path.join(work, "train-seg.mrc"), "--quiet"])
            models[tag] = mp
        for seed in TEST_SEEDS:
            vp, truth, m = acquire(cli, work, src, seed)
            vol = fs.read_mrc(vp).astype(np.float64)
            res = {}
            for tag, mp in models.items():
                sp = os.path.join(work, "seg.mrc")
                if speed is None and tag == "full":
                    env1 = dict(os.environ, OMP_NUM_THREADS="1")
                    env2 = dict(os.environ, OMP_NUM_THREADS="2")
                    t2, rss2 = timed([cli, "segment", vp, "--model", mp,
                                      "--out", sp, "--quiet"], env2)
                    s1 = os.path.join(work, "seg1.mrc")
                    t1, _ = timed([cli, "segment", vp, "--model", mp,
                                   "--out", s1, "--quiet"], env1)
                    same = open(sp, "rb").read() == open(s1, "rb").read()
                    speed = (vol.shape, t2, rss2, t1, same)
                else:
                    run([cli, "segment", vp, "--model", mp, "--out", sp,
                         "--quiet"])
                seg = fs.read_mrc(sp).astype(np.int32) - 1
                res[tag] = dice_per_phase(region(seg, m), region(truth, m),
                                          phases)
            mo = os.path.join(work, "otsu.mrc")
            run([cli, "segment", vp, "--multi-otsu", str(len(phases)),
                 "--out", mo, "--quiet"])
            seg = by_grey(fs.read_mrc(mo).astype(np.int32), vol, truth,
                          phases)
            res["multi-Otsu"] = dice_per_phase(region(seg, m),
                                               region(truth, m), phases)
            seg = oracle(region(vol, m), region(truth, m), phases)
            res["oracle threshold"] = dice_per_phase(seg, region(truth, m),
                                                     phases)
            rows.append((name, seed, phases, res))
            print(name, seed, {k: np.round(v, 3).tolist()
                               for k, v in res.items()}, flush=True)
    elapsed = time.time() - t_start
    with open(out_md, "w") as f:
        f.write("# Trainable pixel classifier vs multi-Otsu vs the oracle "
                "threshold\n\n")
        f.write("`bench/run_classifier.sh` (bench/classifier_run.py): "
                "models trained on seed 1 (its truth on the reconstruction "
                "grid as labels: every section, and one section in 8), "
                "applied to seeds "
                f"{', '.join(map(str, TEST_SEEDS))} (other samples of the "
                "same kind, other drift, curtains and noise).  The demo-like "
                "case: `cryofib phantom` (256 x 256 x 64), `cryofib recon "
                "--destripe --normalize` (cropped), truth by `cryofib "
                "phantom --truth-for`; the twins: `cryofib simulate` "
                f"({NZ} slices, orthogonal SEM), `cryofib recon` defaults "
                "with --no-crop-valid, the twin's truth_labels.mrc.  "
                "Dice per phase (truth label: 0 pore/background, then the "
                "phases; the phantoms' 3 is the protective cap) on the "
                "region every slice covers; mean over the phases.  Oracle: "
                "the thresholds that maximise the mean Dice, chosen with "
                "the truth.  Multi-Otsu: `cryofib segment --multi-otsu K`, "
                "classes matched to phases by mean grey.\n\n")
        f.write("| structure | seed | method | " +
                " | ".join(f"phase {p}" for p in range(4)) + " | mean |\n")
        f.write("|---|---|---|" + "---|" * 5 + "\n")
        for name, seed, phases, res in rows:
            for meth in ("full", "1/8", "multi-Otsu", "oracle threshold"):
                d = res[meth]
                cells = []
                for p in range(4):
                    cells.append(f"{d[phases.index(p)]:.3f}"
                                 if p in phases else "")
                label = {"full": "classifier (all sections)",
                         "1/8": "classifier (1 section in 8)"}.get(meth, meth)
                f.write(f"| {name} | {seed} | {label} | " +
                        " | ".join(cells) + f" | {np.nanmean(d):.3f} |\n")
        if speed:
            shape, t2, rss2, t1, same = speed
            f.write(f"\nFeatures + prediction (`cryofib segment VOLUME "
                    f"--model M.json`, 67 features, default rounds) on a "
                    f"{shape[2]} x {shape[1]} x {shape[0]} volume: "
                    f"{t2:.2f} s with 2 threads ({rss2:.0f} MiB peak), "
                    f"{t1:.2f} s with 1 thread; outputs "
                    f"{'identical' if same else 'DIFFERENT'} byte for "
                    f"byte.\n")
        f.write(f"\nWhole run {elapsed:.0f} s.\n")


if __name__ == "__main__":
    main()
