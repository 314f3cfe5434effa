"""What the ink core costs: `predict`'s grouping time with and without it, and the core alone.

    python benchmarks/bench_ink.py [--foreign runs/foreign] [--every 6] [--num 30]

On every `--every`-th chart of the foreign-renderer set (benchmarks/foreign.py), up to
`--num` charts, `predict` with the model's own candidates runs twice with the ink core
(`grouping/ink.py`) and twice with it switched off (every candidate counted as ink, so
the linking runs on the whole band, as before the core), interleaved so that the
machine's speed moves both alike. Prints the median and mean of predict's grouping_ms
each way, and the median time of `ink_core` alone on each chart's cleaned candidates
with their count.
"""

import argparse
import glob
import os
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
import linegroup.grouping as grouping  # noqa: E402
from linegroup.grouping.describe import pixels_lab  # noqa: E402
from linegroup.grouping.ink import ink_core  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402


def no_core(xs, ys, image, lab=None):
    return np.ones(len(xs), bool)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--every", type=int, default=6, help="take every N-th chart, sorted by name")
    ap.add_argument("--num", type=int, default=30, help="at most this many charts")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.foreign, "images", "*.png")))[::a.every][:a.num]
    if not files:
        raise SystemExit(f"{a.foreign}/images: no charts (make them with benchmarks/foreign.py)")
    g = LineGrouper.load()
    with_core, without, alone, counts = [], [], [], []
    for f in files:
        img = read_image(f)
        for way in ("core", "none", "core", "none"):
            grouping.ink_core = ink_core if way == "core" else no_core
            ms = g.predict(img).timings["grouping_ms"]
            (with_core if way == "core" else without).append(ms)
        grouping.ink_core = ink_core
        _, prob, _ = g.embed(img)
        cand, _ = g.clean_candidates(g.own_candidates(prob), img)
        ys, xs = np.nonzero(cand)
        lab = pixels_lab(img, xs, ys)
        t = []
        for _ in range(5):
            t0 = time.perf_counter()
            ink_core(xs, ys, img, lab)
            t.append(1000 * (time.perf_counter() - t0))
        alone.append(float(np.median(t)))
        counts.append(len(xs))
    print(f"{len(files)} foreign charts, predict's grouping_ms (2 runs each way, interleaved):")
    print(f"  with the ink core:    median {np.median(with_core):.1f}, mean {np.mean(with_core):.1f}")
    print(f"  without (whole band): median {np.median(without):.1f}, mean {np.mean(without):.1f}")
    k = int(np.argmax(counts))
    print(f"ink_core alone: median {np.median(alone):.1f} ms over the charts (median {int(np.median(counts))} "
          f"candidates); {alone[k]:.1f} ms on the largest ({counts[k]} candidates)")


if __name__ == "__main__":
    main()
