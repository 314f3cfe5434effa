"""Time of the grid-pieces step (`candidates/gridrows.drop_grid_pieces`) inside `predict`, per chart.

    python benchmarks/bench_grid.py [--images runs/foreign/images] [--num 30]

Runs `predict` (the model's own candidates, default settings) on the first NUM charts of a
folder, sorted by name, and times the step where predict calls it; prints the median,
mean and largest time per chart and how many groups it dropped.
"""

import argparse
import glob
import os
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
import linegroup.predict as P  # noqa: E402
from linegroup.images import read_image  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default=os.path.join(ROOT, "runs", "foreign", "images"),
                    help="folder of chart images (PNG)")
    ap.add_argument("--num", type=int, default=30, help="how many charts (the first by name)")
    a = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(a.images, "*.png")))[:a.num]
    if not paths:
        sys.exit(f"{a.images}: no PNG charts (make the foreign set with benchmarks/foreign.py)")
    times, dropped = [], 0
    step = P.drop_grid_pieces

    def timed(labels, xy, image):
        nonlocal dropped
        t = time.perf_counter()
        out = step(labels, xy, image)
        times.append(1000 * (time.perf_counter() - t))
        dropped += int(labels.max()) - int(out.max())
        return out
    P.drop_grid_pieces = timed
    grouper = P.LineGrouper.load()
    for p in paths:
        grouper.predict(read_image(p))
    print(f"drop_grid_pieces on {len(times)} charts: median {np.median(times):.1f} ms, mean {np.mean(times):.1f}, "
          f"max {np.max(times):.1f}; {dropped} groups dropped")


if __name__ == "__main__":
    main()
