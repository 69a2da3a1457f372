#!/usr/bin/python3
"""summarize.py -- bench/results/summary.md from the reports of one
bench/run_all.sh run.

usage: summarize.py RESULTS_DIR LOAD_AT_START ELAPSED_S SCRIPTS...

For every report the scripts wrote, the summary keeps its title, its
header lines (machine, load, peers) and the table rows that carry the
issue-18 figures (chosen by the row's first cells, listed below), verbatim:
the numbers are the report's own, nothing is recomputed here.  A report
that a script did not write in this run (missing, or older than the run)
is named as such rather than summarised.
"""
import os
import re
import sys
import time

# report -> (script, row patterns): a table row is kept when any pattern
# matches it (regular expressions on the whole row)
PICK = {
    "recon_files.md": ("run_recon_files.sh", [r"."]),
    "recon.md": ("run_recon.sh", [r"^\| cryofib K=3", r"^\| scikit-image",
                                  r"^`mem "]),
    "shared.md": ("run_shared.sh", [r"."]),
    "measure.md": ("run_measure.sh",
                   [r"label \d+-conn", r"\| EDT", r"marching cubes",
                    r"skeleton", r"multi-Otsu", r"^\| [xyz] \|",
                    r"all three", r"\d ms \| \d+\.\d+ ms \| \d"]),
    "correct.md": ("run_correct.sh",
                   [r"destripe_fw_L4_stream", r"destripe_fw_db5_L4 vs "
                    r"destripe_fw_db5_L4", r"median_3x3", r"median_5x5",
                    r"nlm"]),
}


def table_rows(lines, pats):
    """Header rows of every table holding a picked row, and the rows."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and \
                re.match(r"^\|[-:| ]+\|$", lines[i + 1].strip()):
            head, sep = lines[i], lines[i + 1]
            j, rows = i + 2, []
            while j < len(lines) and lines[j].startswith("|"):
                if any(re.search(p, lines[j]) for p in pats):
                    rows.append(lines[j])
                j += 1
            if rows:
                out += ["", head, sep] + rows
            i = j
        else:
            if lines[i].startswith("`mem ") and \
                    any(re.search(p, lines[i]) for p in pats):
                out += ["", lines[i]]
            i += 1
    return out


def main():
    res, load0, elapsed = sys.argv[1], sys.argv[2], float(sys.argv[3])
    scripts = sys.argv[4:]
    t_start = time.time() - elapsed
    md = ["# Benchmark summary (`bench/run_all.sh`)", "",
          f"One run of {', '.join('`' + s + '`' for s in scripts)} on "
          f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d', time.gmtime())}"
          f"; load average (1, 5, 15 min) at the start: {load0}; "
          f"{elapsed / 60:.1f} min in all.  Each section below is the "
          "head and the key rows of that script's own report (the full "
          "report is the linked file; numbers are copied, not recomputed).",
          ""]
    for name, (script, pats) in PICK.items():
        if script not in scripts:
            continue
        path = os.path.join(res, name)
        md.append(f"## [{name}]({name}) -- `{script}`")
        if not os.path.exists(path) or os.path.getmtime(path) < t_start:
            md += ["", f"Not written in this run ({script} failed or was "
                   "skipped).", ""]
            continue
        lines = open(path).read().splitlines()
        # the report's introduction: up to its first table or section
        intro = []
        for ln in lines[1:]:
            if ln.startswith("|") or ln.startswith("## ") or \
                    (not ln.strip() and len(intro) >= 3):
                break
            if ln.strip():
                intro.append(ln)
        md += intro[:12]
        md += table_rows(lines, pats)
        # the report's verdict paragraphs (those with bold figures)
        paras = [pa.strip() for pa in "\n".join(lines).split("\n\n")]
        verdict = [pa for pa in paras if "**" in pa and
                   not pa.startswith(("|", "#"))]
        for pa in verdict[:3]:
            md += ["", pa]
        md.append("")
    open(os.path.join(res, "summary.md"), "w").write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
