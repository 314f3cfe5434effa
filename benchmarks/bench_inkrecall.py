"""What the ink recall costs (`candidates/inkrecall.py`): its own time, and predict's grouping time with and without it.

    python benchmarks/bench_inkrecall.py [--foreign runs/foreign] [--every 6] [--size 800x600]

On every `--every`-th chart of the foreign-renderer set (benchmarks/foreign.py), resized
to `--size`: `ink_recall` alone on the chart's cleaned candidates (the least of 3 runs,
on the charts with a plot area, where it runs), and `predict`'s grouping_ms (which holds
the candidate cleaning) with the recall on and off, interleaved twice so that the
machine's speed moves both alike. Prints the median, p90 and largest time of the recall
alone, and the median grouping time each way.
"""

import argparse
import glob
import os
import sys
import time

import cv2
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.candidates.inkrecall import ink_recall  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper, background_lab  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--every", type=int, default=6, help="take every N-th chart, sorted by name")
    ap.add_argument("--size", default="800x600", help="WxH each chart is resized to")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))
    files = sorted(glob.glob(os.path.join(a.foreign, "images", "*.png")))[::a.every]
    if not files:
        raise SystemExit(f"{a.foreign}/images: no charts (make them with benchmarks/foreign.py)")
    g = LineGrouper.load(ink_recall=False)
    alone, on, off = [], [], []
    for f in files:
        img = cv2.resize(read_image(f), (w, h), interpolation=cv2.INTER_AREA)
        _, prob, _ = g.embed(img)
        cand, area = g.clean_candidates(g.own_candidates(np.asarray(prob)), img)
        if area is not None:
            x0, y0, x1, y1 = area
            bgs = [background_lab(img), background_lab(img[y0:y1 + 1, x0:x1 + 1])]
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                ink_recall(cand, img, area, bgs)
                runs.append(time.perf_counter() - t)
            alone.append(1000 * min(runs))
        for way in (True, False, True, False):
            g.ink_recall = way
            (on if way else off).append(g.predict(img).timings["grouping_ms"])
        g.ink_recall = False
    t = np.array(alone)
    print(f"{len(files)} charts at {w}x{h}, {len(t)} with a plot area")
    print(f"ink_recall alone: median {np.median(t):.1f} ms, p90 {np.percentile(t, 90):.1f} ms, max {t.max():.1f} ms")
    print(f"predict grouping_ms, median: with {np.median(on):.1f}, without {np.median(off):.1f}")


if __name__ == "__main__":
    main()
