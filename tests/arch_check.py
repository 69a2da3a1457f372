#!/usr/bin/env python3
"""arch_check.py -- the shape rules of issue 14, checked on the tree.

    tests/arch_check.py SOURCE_DIR BUILD_DIR [--report]

Rules (architecture-review.md; house-style-anchors.md sections 7-8):
  1. no C file over 800 lines in the library modules and cli/ (tables and
     generated tables excepted: files listed in TABLE_FILES);
  2. no function over 120 lines (a function runs from a line that opens a
     definition at column 0 to the next '}' at column 0);
  3. no cycle between the object files of one module: file A uses a symbol
     that file B defines and B (transitively) uses one of A's (read with
     `nm` from BUILD_DIR/CMakeFiles/fib_<module>.dir);
  4. cli/ under 2500 lines in all.
Exit 0 when every rule holds; 1 and one line per breach otherwise (with
--report: every breach listed, exit 0).
"""
import os
import re
import subprocess
import sys

MODULES = ["core", "draw", "geometry", "planner", "recon", "analysis",
           "formats", "pipeline"]
MAX_FILE = 800
MAX_FUNC = 120
MAX_CLI = 2500
# Files that are data tables (one row per line), not code.
TABLE_FILES = {"analysis/src/mesh_mc_lewiner.h", "draw/src/font.c"}

DEF_RE = re.compile(r"^(?!static\s+const\b)(?:[A-Za-z_][\w \*]*?[\s\*])"
                    r"([A-Za-z_]\w*)\s*\([^;]*$")


def c_files(src):
    out = []
    for top in MODULES + ["cli"]:
        for root, _, files in os.walk(os.path.join(src, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(root, f), src))
    return sorted(out)


def functions(lines):
    """(name, first line, length) of each function definition."""
    out, i = [], 0
    while i < len(lines):
        m = DEF_RE.match(lines[i])
        if m and not lines[i].startswith(("#", " ", "\t", "}", "typedef")):
            # the body opens at the first line that is exactly '{'
            j = i
            while j < len(lines) and lines[j].rstrip() != "{" and \
                    not lines[j].rstrip().endswith(";"):
                j += 1
            if j < len(lines) and lines[j].rstrip() == "{":
                k = j + 1
                while k < len(lines) and not lines[k].startswith("}"):
                    k += 1
                out.append((m.group(1), i + 1, k - i + 1))
                i = k + 1
                continue
        i += 1
    return out


def symbol_cycles(build):
    """Cycles between object files of each module, from nm."""
    found = []
    for mod in MODULES:
        d = os.path.join(build, "CMakeFiles", "fib_%s.dir" % mod)
        if not os.path.isdir(d):
            continue
        objs = []
        for root, _, files in os.walk(d):
            objs += [os.path.join(root, f) for f in files if f.endswith(".o")]
        defs, uses = {}, {}
        for o in objs:
            r = subprocess.run(["nm", o], capture_output=True, text=True)
            name = os.path.relpath(o, d).replace(".c.o", ".c")
            uses[name] = set()
            for ln in r.stdout.splitlines():
                p = ln.split()
                if len(p) == 3 and p[1] in "TDBR":
                    defs[p[2]] = name
                elif len(p) == 2 and p[0] == "U":
                    uses[name].add(p[1])
        graph = {a: {defs[s] for s in u if s in defs and defs[s] != a}
                 for a, u in uses.items()}
        # Tarjan's strongly connected components
        index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]

        def strong(v):
            index[v] = low[v] = n[0]
            n[0] += 1
            stack.append(v)
            on.add(v)
            for w in graph[v]:
                if w not in index:
                    strong(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
        sys.setrecursionlimit(10000)
        for v in graph:
            if v not in index:
                strong(v)
        for c in comps:
            found.append("%s: %s" % (mod, " <-> ".join(c)))
    return found


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    src, build = sys.argv[1], sys.argv[2]
    report = "--report" in sys.argv
    bad = []
    cli_lines = 0
    for f in c_files(src):
        with open(os.path.join(src, f), encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        if f.startswith("cli/"):
            cli_lines += n
        if f in TABLE_FILES:
            continue
        if f.endswith(".c") and n > MAX_FILE:
            bad.append("file %s: %d lines (limit %d)" % (f, n, MAX_FILE))
        for name, first, length in functions(lines):
            if length > MAX_FUNC:
                bad.append("function %s:%d %s: %d lines (limit %d)" %
                           (f, first, name, length, MAX_FUNC))
    if cli_lines > MAX_CLI:
        bad.append("cli/: %d lines (limit %d)" % (cli_lines, MAX_CLI))
    for c in symbol_cycles(build):
        bad.append("cycle %s" % c)
    for b in bad:
        print(b)
    print("%d breaches" % len(bad))
    return 0 if report or not bad else 1


if __name__ == "__main__":
    sys.exit(main())
