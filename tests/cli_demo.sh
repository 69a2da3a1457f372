#!/bin/bash
# cli_demo.sh -- `cryofib demo` runs end to end without any input file and
# leaves every promised output; its accuracy lines hold real values.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; failn=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; failn=$((failn+1)); }
cd "$tmp" || exit 1
"$FIB_CLI" demo --out d > out.txt 2> err.txt
rc=$?
[ $rc -eq 0 ] && ok || { bad "demo exit $rc"; cat err.txt; }
for f in plan/plan.json plan/timeline.png plan/site-Ga.png plan/site-Xe.png \
         phantom/labels.mrc phantom/true_drift.csv recon/volume.mrc \
         recon/drift.csv recon/drift.png recon/ortho.png recon/report.json \
         measure/labels.mrc measure/report.json measure/objects.csv \
         measure/lithium.ply measure/pictures/surface_1.png; do
  [ -s "d/$f" ] && ok || bad "missing d/$f"
done
ls d/*/*.tmp-* >/dev/null 2>&1 && bad "temporary files left" || ok
# Drift error after removing the constant offset, both axes under 1 px.
read -r ex ey < <(sed -n 's/.*offset \([0-9.]*\) px (x) \([0-9.]*\) px (y).*/\1 \2/p' out.txt)
awk -v a="${ex:-9}" -v b="${ey:-9}" 'BEGIN{exit !(a < 1.0 && b < 1.0)}' \
  && ok || bad "drift error ${ex:-?} ${ey:-?} px"
# The aligner's own error (drifted minus drift-free reconstruction against
# the known drift) under the 0.1 px on both axes.
read -r gx gy < <(sed -n 's/.*drift-free reconstruction) \([0-9.]*\) px (x) \([0-9.]*\) px (y).*/\1 \2/p' out.txt)
awk -v a="${gx:-9}" -v b="${gy:-9}" 'BEGIN{exit !(a < 0.1 && b < 0.1)}' \
  && ok || bad "aligner error ${gx:-?} ${gy:-?} px"
[ -s d/recon-still/drift.csv ] && ok || bad "missing d/recon-still/drift.csv"
# Segmented lithium fraction within a factor 2 of the truth; the trained
# classifier's Dice >= 0.8 (issue 19) and no lithium in the cap's grooves.
read -r fs ft dice < <(sed -n 's/.*fraction \([0-9.]*\) segmented, \([0-9.]*\) true; Dice overlap \([0-9.]*\).*/\1 \2 \3/p' out.txt)
awk -v s="${fs:-0}" -v t="${ft:-1}" -v d="${dice:-0}" \
  'BEGIN{exit !(s > t/2 && s < 2*t && d >= 0.8)}' \
  && ok || bad "lithium fraction ${fs:-?} vs ${ft:-?}, dice ${dice:-?}"
read -r capo capc < <(sed -n 's/.*grooves): multi-Otsu \([0-9]*\), trained classifier \([0-9]*\).*/\1 \2/p' out.txt)
awk -v o="${capo:-0}" -v c="${capc:-999999}" 'BEGIN{exit !(c < 100 && o > 10 * c)}' \
  && ok || bad "lithium in the cap rows: multi-Otsu ${capo:-?}, classifier ${capc:-?}"
grep -q '"plans"' d/plan/plan.json && grep -q '"workflow"' d/plan/plan.json \
  && ok || bad "plan.json keys"
echo "$pass passed, $failn failed"
[ $failn -eq 0 ]
