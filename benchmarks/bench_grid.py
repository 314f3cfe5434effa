"""Time of predict's cleaning steps per chart: the grid-pieces step
(`candidates/gridrows.drop_grid_pieces`) by default, or any function `predict` calls by its
name in `linegroup.predict` (`grow_into`, the spikes' tips; `merge_outlines`, markers beside
their connector; `drop_nonseries`, the series judge; ...), or any function of a linegroup module
that looks it up by name when called, as MODULE.NAME (`grouping._second_pass`, the second
linking of the model's own candidates left far from every line).

    python benchmarks/bench_grid.py [--images runs/foreign/images] [--num 30] [--steps drop_grid_pieces ...]

Runs `predict` (the model's own candidates, default settings) on the first NUM charts of a
folder, sorted by name, and times each step where predict calls it; prints the median,
mean and largest time per chart, and for drop_grid_pieces how many groups it dropped.
"""

import argparse
import glob
import importlib
import os
import sys
import time
from collections import defaultdict

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
    ap.add_argument("--steps", nargs="+", default=["drop_grid_pieces"],
                    help="functions to time: names in linegroup.predict, or MODULE.NAME in linegroup.MODULE")
    a = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(a.images, "*.png")))[:a.num]
    if not paths:
        sys.exit(f"{a.images}: no PNG charts (make the foreign set with benchmarks/foreign.py)")
    times, dropped = defaultdict(list), 0

    def timed(name, step):
        def run(*args, **kw):
            nonlocal dropped
            t = time.perf_counter()
            out = step(*args, **kw)
            times[name].append(1000 * (time.perf_counter() - t))
            if name == "drop_grid_pieces":  # (labels, xy, image)
                dropped += int(args[0].max()) - int(out.max())
            return out
        return run
    for name in a.steps:
        mod, _, fn = name.rpartition(".")  # "grouping._second_pass": a function of linegroup.grouping
        module = importlib.import_module(f"linegroup.{mod}") if mod else P
        if not callable(getattr(module, fn, None)):
            sys.exit(f"{name}: not a function of linegroup.{mod or 'predict'}")
        setattr(module, fn, timed(name, getattr(module, fn)))
    grouper = P.LineGrouper.load()
    for p in paths:
        grouper.predict(read_image(p))
    for name in a.steps:
        t = times[name]
        extra = f"; {dropped} groups dropped" if name == "drop_grid_pieces" else ""
        print(f"{name} on {len(t)} charts: median {np.median(t):.1f} ms, mean {np.mean(t):.1f}, "
              f"max {np.max(t):.1f}{extra}" if t else f"{name}: not called")


if __name__ == "__main__":
    main()
