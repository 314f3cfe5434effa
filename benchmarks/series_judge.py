"""The series judge's and the pieces step's biases, and the plot-panel rule, measured on the
foreign-renderer set.

    python benchmarks/series_judge.py [--split tune] [--biases -2 -1 0 1] [--pieces_biases -2 -1 0 1 2]
                                      [--foreign runs/foreign]

1. Plot areas: on every foreign chart, whether the axes rule (`find_plot_area`) finds the
   plot area, whether the panel rule (`find_panel`) does where it does not, and the grid
   rule (`find_grid`) where neither does (and how many of its areas lie within 2 px of
   the renderer's own plot box).
2. End to end on one split (default `tune`, the one SERIES_BIAS was chosen on): ARI, PQ,
   count accuracy and pixel precision and recall with the judge off and at each bias
   (`linegroup evaluate --mode e2e` with `LineGrouper.series_bias` set).
3. The same with the pieces step (grouping/pieces.py) off and at each of its biases
   (`LineGrouper.pieces_bias`), the judge at its default.
Writes benchmarks/results/series_judge.md and prints it.
"""

import argparse
import glob
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.candidates.plotarea import find_grid, find_panel, find_plot_area  # noqa: E402
from linegroup.evaluate import evaluate_dataset  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402

METRICS = ("ari", "pq", "count", "pix_p", "pix_r")


def plot_areas(folder: str) -> str:
    """How many foreign charts each plot-area rule finds (in `find_area`'s order), and how
    far the grid rule's areas lie from the renderer's own plot box."""
    with open(os.path.join(folder, "foreign.json")) as f:
        box = {im["file_name"]: im["plot_box"] for im in json.load(f)["images"]}
    paths = sorted(glob.glob(os.path.join(folder, "images", "*.png")))
    axes = panel = grid = close = 0
    for p in paths:
        img = read_image(p)
        if find_plot_area(img) is not None:
            axes += 1
        elif find_panel(img) is not None:
            panel += 1
        elif (area := find_grid(img)) is not None:
            grid += 1
            close += max(abs(a - b) for a, b in zip(area, box[os.path.basename(p)])) <= 2
    return (f"plot area on {len(paths)} foreign charts: axes rule {axes}, panel rule {panel} more, grid rule "
            f"{grid} more ({axes + panel + grid} in all; the grid rule's within 2 px of the renderer's box on "
            f"{close})")


def bias_table(folder: str, split: str, biases: list, model: str = "series") -> str:
    """Rows of the end-to-end scores with the links file's `model` ("series": the judge,
    "pieces": the pieces step) off and at each bias."""
    g = LineGrouper.load()
    shipped = getattr(g.links, model)
    name = {"series": "judge", "pieces": "pieces step"}[model]
    rows = [f"| {name} | ARI | PQ | count acc | pixel P | pixel R |", "|---|---|---|---|---|---|"]
    for b in [None] + biases:
        setattr(g.links, model, None if b is None else shipped)
        setattr(g, f"{model}_bias", 0.0 if b is None else b)
        r = evaluate_dataset(os.path.join(folder, "foreign.json"), os.path.join(folder, "images"), grouper=g,
                             mode="e2e", split=split, progress=False)
        s = r["summary"]["model"]["all"]
        rows.append(f"| {'off' if b is None else f'bias {b:g}'} | " + " | ".join(f"{s[m]:.3f}" for m in METRICS) + " |")
        print(rows[-1], flush=True)
    setattr(g.links, model, shipped)
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--split", default="tune")
    ap.add_argument("--biases", nargs="+", type=float, default=[-2.0, -1.0, 0.0, 1.0], help="the judge's")
    ap.add_argument("--pieces_biases", nargs="+", type=float, default=[-2.0, -1.0, 0.0, 1.0, 2.0],
                    help="the pieces step's")
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "series_judge.md"))
    a = ap.parse_args()
    areas = plot_areas(a.foreign)
    print(areas)
    table = bias_table(a.foreign, a.split, a.biases)
    pieces = bias_table(a.foreign, a.split, a.pieces_biases, "pieces")
    text = f"{areas}\n\nEnd to end, foreign split '{a.split}':\n\n{table}\n\n{pieces}\n"
    with open(a.out, "w") as f:
        f.write(text)
    print(f"\n{text}")


if __name__ == "__main__":
    main()
