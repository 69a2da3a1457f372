#!/usr/bin/env python3
"""Independent Yamamura-Tawara (1996) yield, written from the equations in
shared/reference/planner-physics.md 2.1 (Table-I parameters), as a peer for
bench/run_physics.sh.  Usage: yt_peer.py ION TARGET KEV."""
import math
import sys

IONS = {"Ga": (31, 69.723), "Xe": (54, 131.293), "Ar": (18, 39.948)}
# Z, M, Us, Q, W, s  (Li: YT defaults with U_s = heat of sublimation)
TARGETS = {"Si": (14, 28.086, 4.63, 0.66, 2.32, 2.5),
           "Cu": (29, 63.546, 3.49, 1.00, 0.73, 2.5),
           "Au": (79, 196.97, 3.81, 1.08, 1.64, 2.8),
           "C": (6, 12.011, 7.37, 1.70, 1.84, 2.5),
           "Li": (3, 6.941, 1.65, 1.0, 0.35 * 1.65, 2.5)}


def yt(ion, tgt, e_ev):
    z1, m1 = IONS[ion]
    z2, m2, us, q, w, s = TARGETS[tgt]
    gamma = 4 * m1 * m2 / (m1 + m2) ** 2
    if m1 <= m2:
        alpha = 0.249 * (m2 / m1) ** 0.56 + 0.0035 * (m2 / m1) ** 1.5
        eth = us * (1 + 5.7 * m1 / m2) / gamma
    else:
        alpha = 0.0875 * (m2 / m1) ** -0.15 + 0.165 * m2 / m1
        eth = 6.7 * us / gamma
    if e_ev <= eth:
        return 0.0
    zz = (z1 ** (2 / 3) + z2 ** (2 / 3)) ** 0.5
    eps = 0.03255 / (z1 * z2 * zz) * m2 / (m1 + m2) * e_ev
    sn = 3.441 * eps ** 0.5 * math.log(eps + 2.718) / (
        1 + 6.355 * eps ** 0.5 + eps * (6.882 * eps ** 0.5 - 1.708))
    Sn = 84.78 * z1 * z2 / zz * m1 / (m1 + m2) * sn
    ke = (0.079 * (m1 + m2) ** 1.5 / (m1 ** 1.5 * m2 ** 0.5) *
          z1 ** (2 / 3) * z2 ** 0.5 / (z1 ** (2 / 3) + z2 ** (2 / 3)) ** 0.75)
    Gam = w / (1 + (m1 / 7) ** 3)
    return (0.042 * q * alpha / us * Sn / (1 + Gam * ke * eps ** 0.3) *
            (1 - (eth / e_ev) ** 0.5) ** s)


if __name__ == "__main__":
    print("%.6g" % yt(sys.argv[1], sys.argv[2], float(sys.argv[3]) * 1000))
