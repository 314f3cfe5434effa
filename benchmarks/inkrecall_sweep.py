"""How the ink recall's settings (`candidates/inkrecall.py`) move the end-to-end scores, one at a time.

    python benchmarks/inkrecall_sweep.py [--foreign runs/foreign] [--split tune] [--out inkrecall_sweep]
        [--settings INK_TOL=4 INK_TOL=10 ...]

Scores the foreign-renderer set's `--split` (the tune split: the settings are chosen
there, never on the report split) end to end, as `linegroup evaluate --mode e2e` does,
with the recall off, with the shipped settings, and with each `NAME=VALUE` in turn (one
module constant changed, the others as shipped). Writes the table (ARI, PQ, count
accuracy, pixel precision and recall) to benchmarks/results/OUT.md and prints it.
"""

import argparse
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
import linegroup.candidates.inkrecall as IR  # noqa: E402
from linegroup.evaluate import evaluate_dataset  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402

SETTINGS = ["INK_TOL=4", "INK_TOL=6", "INK_TOL=10", "INK_SHARE=0.01", "INK_SHARE=0.04", "SPAN=0.05",
            "SPAN=0.12", "INK_FAR=8", "INK_FAR=16", "CLOSE=3"]


def score(g, json_path, img_dir, split):
    s = evaluate_dataset(json_path, img_dir, grouper=g, mode="e2e", split=split, progress=False)["summary"]
    row = s["model"]["all"]
    return [row[k] for k in ("ari", "pq", "count", "pix_p", "pix_r")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--split", default="tune", help="split of the foreign set to score")
    ap.add_argument("--settings", nargs="*", default=SETTINGS, help="NAME=VALUE module constants, one run each")
    ap.add_argument("--out", default="inkrecall_sweep", help="name of the table in benchmarks/results")
    a = ap.parse_args()
    json_path, img_dir = os.path.join(a.foreign, "foreign.json"), os.path.join(a.foreign, "images")
    if not os.path.exists(json_path):
        raise SystemExit(f"{json_path}: not found (make the set with benchmarks/foreign.py)")
    g = LineGrouper.load()
    rows = []
    g.ink_recall = False
    rows.append(("off (`--no_ink_recall`)", score(g, json_path, img_dir, a.split)))
    g.ink_recall = True
    rows.append(("shipped", score(g, json_path, img_dir, a.split)))
    for kv in a.settings:
        name, value = kv.split("=")
        shipped = getattr(IR, name)
        setattr(IR, name, type(shipped)(float(value)) if isinstance(shipped, (int, float)) else value)
        try:
            rows.append((f"{name} = {value} (shipped {shipped})", score(g, json_path, img_dir, a.split)))
        finally:
            setattr(IR, name, shipped)
        print(rows[-1][0], " / ".join(f"{v:.3f}" for v in rows[-1][1]), flush=True)
    lines = [f"Foreign split '{a.split}', end to end, {len(rows)} runs (`python benchmarks/inkrecall_sweep.py`).", "",
             "| setting | ARI | PQ | count acc | pixel P | pixel R |", "|---|---|---|---|---|---|"]
    lines += [f"| {name} | " + " | ".join(f"{v:.3f}" for v in vals) + " |" for name, vals in rows]
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks", "results", a.out + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
