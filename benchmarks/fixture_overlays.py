"""Overlays of the CHART-Info samples (../shared/fixtures/chartinfo) for the README.

    python benchmarks/fixture_overlays.py [--checkpoint CKPT] [--out docs/img]

Each picture: left the chart, right linegroup's lines (model's own candidates, shipped
weights), downscaled to 900 px wide. Prints the line counts against the truth.
"""

import argparse
import glob
import json
import os
import sys

import cv2
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.images import read_image  # noqa: E402
from linegroup.formats import chartinfo_lines  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.viz import draw_overlay, save_rgb  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "img"))
    a = ap.parse_args()
    src = os.path.join(ROOT, "..", "shared", "fixtures", "chartinfo")
    if not os.path.isdir(src):
        sys.exit(f"CHART-Info samples not found at {src}")
    os.makedirs(a.out, exist_ok=True)
    g = LineGrouper.load(a.checkpoint)
    print("| chart | true lines | predicted lines | network ms | grouping ms |\n|---|---|---|---|---|")
    for js in sorted(glob.glob(os.path.join(src, "*.json"))):
        stem = os.path.splitext(os.path.basename(js))[0]
        img_path = next(p for p in glob.glob(os.path.join(src, stem + ".*")) if not p.endswith(".json"))
        img = read_image(img_path)
        res = g.predict(img)
        both = np.concatenate([img, draw_overlay(img, res.mask, res.lines)], axis=1)
        scale = 900 / both.shape[1]
        both = cv2.resize(both, (900, round(both.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        save_rgb(os.path.join(a.out, f"chartinfo_{stem.split('___')[0]}.png"), both)
        n_true = len(chartinfo_lines(json.load(open(js))))
        print(f"| {stem} | {n_true} | {len(res.lines)} | {res.timings['network_ms']:.0f} | "
              f"{res.timings['grouping_ms']:.0f} |")
