"""Inference speed: network and grouping at 800x600, grouping vs number of candidates, peak RSS.

    python benchmarks/bench_predict.py [--checkpoint CKPT] [--threads 2] [--out benchmarks/results/predict.json]

Prints markdown tables (the README's) and writes the figures as JSON.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np
import torch
from sklearn.cluster import DBSCAN

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.data import rasterize  # noqa: E402
from linegroup.grouping import group_lines  # noqa: E402
from linegroup.grouping.dbscan import cells_to_cluster, dbscan_weighted, group_pixels, min_core_weight  # noqa: E402
from linegroup.model import num_parameters  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.synth import SynthConfig, render_chart  # noqa: E402


def chart_800x600(seed=0):
    img, annots, _ = render_chart(seed, "bench", 0, SynthConfig(hard=True))
    h, w = img.shape[:2]
    fx, fy = 800 / w, 600 / h
    img = cv2.resize(img, (800, 600), interpolation=cv2.INTER_AREA)
    lines = [[a["points"] * [fx, fy]] for a in annots]
    return img, lines


def line_px(s):
    return max(1, round(2 * s))


def scaled_mask(lines, n):
    """(s, mask): the 800x600 chart's lines drawn at scale s, line_px(s) thick, with about n pixels."""
    def draw(s):
        big = [[seg * s for seg in segs] for segs in lines]
        return rasterize(big, round(600 * s), round(800 * s), line_px(s))[2]
    lo, hi = 0.2, 12.0
    for _ in range(14):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if draw(mid).sum() < n else (lo, mid)
    a, b = draw(lo), draw(hi)  # the line width steps by whole px: take the closer count
    return (lo, a) if abs(int(a.sum()) - n) < abs(int(b.sum()) - n) else (hi, b)


def timed(fn, repeat):
    fn()  # warm-up
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(1000 * (time.perf_counter() - t))
    return statistics.median(ts)


def rss_huge(checkpoint):
    """Peak RSS (MB) of one predict call on a 6000x4000 chart, in a fresh process."""
    code = f"""
import resource, sys, numpy as np, cv2
sys.path.insert(0, {os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")!r})
from linegroup.predict import LineGrouper
img = np.full((4000, 6000, 3), 255, np.uint8)
for k in range(8):
    xs = np.linspace(100, 5900, 60); ys = 2000 + 1500 * np.sin(xs / 700 + k) * (0.3 + k / 10)
    cv2.polylines(img, [np.column_stack([xs, ys]).astype(np.int32).reshape(-1, 1, 2)], False, (40 * k, 0, 200), 6)
g = LineGrouper.load({checkpoint!r})
res = g.predict(img)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, res.candidates, len(res.lines))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="default: the shipped weights")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--runtime", default="auto", choices=["auto", "torch", "onnxruntime", "opencv"],
                    help="what runs the network")
    ap.add_argument("--out", default="benchmarks/results/predict.json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cv2.setNumThreads(a.threads)  # the OpenCV runtime
    g = LineGrouper.load(a.checkpoint, runtime=a.runtime)
    img, lines = chart_800x600()
    _, _, gt_line = rasterize(lines, 600, 800, 2)
    res = {"threads": a.threads, "torch": torch.__version__, "cpu_count": os.cpu_count(), "runtime": g.net.name,
           "parameters": num_parameters(g.model) if g.model is not None else None}
    res["network_ms"] = timed(lambda: g.embed(img), a.repeat)
    res["predict_oracle_ms"] = timed(lambda: g.predict(img, candidates=gt_line), a.repeat)
    res["predict_e2e_ms"] = timed(lambda: g.predict(img), a.repeat)
    emb, _, _ = g.embed(img)

    # grouping time vs number of candidates: the same chart drawn larger (lines scaled by s,
    # line_px(s) thick; s found by bisection), every pixel reading the 800x600 embedding at
    # its scaled position; whole lines, as a real candidate mask has them
    scaling = []
    for n in (5_000, 20_000, 50_000, 100_000, 200_000):
        s, cand = scaled_mask(lines, n)
        ys, xs = np.nonzero(cand)
        hh, ww = cand.shape
        feats = emb[:, np.minimum((ys / s).astype(int), 599), np.minimum((xs / s).astype(int), 799)].T.copy()
        xy = np.column_stack([xs, ys])
        big = cv2.resize(img, (ww, hh), interpolation=cv2.INTER_LINEAR)
        ms = timed(lambda: group_lines(xs, ys, big, feats, g.links), max(3, a.repeat // 2))
        ms_db = timed(lambda: group_pixels(feats, xy, g.params), max(3, a.repeat // 2))
        scaling.append({"candidates": int(len(ys)), "chart_px": f"{ww}x{hh}", "line_px": line_px(s),
                        "lines_found": int(group_lines(xs, ys, big, feats, g.links).max()),
                        "lines_found_dbscan": int(group_pixels(feats, xy, g.params).max()),
                        "grouping_ms": ms, "grouping_ms_dbscan": ms_db})
        if n == 20_000:  # the weighted DBSCAN on this chart's cells: scikit-learn's and ours
            cells, counts, _, sub = cells_to_cluster(feats, g.params)
            ms_w = min_core_weight(counts[sub], g.params)
            res["dbscan_cells"] = int(len(sub))
            res["dbscan_sklearn_ms"] = timed(lambda: DBSCAN(eps=g.params.eps, min_samples=ms_w).fit(
                cells[sub], sample_weight=counts[sub]), a.repeat)
            res["dbscan_weighted_ms"] = timed(lambda: dbscan_weighted(
                cells[sub], counts[sub], g.params.eps, ms_w), a.repeat)
    res["grouping_scaling"] = scaling
    res["peak_rss_mb_6000x4000"], res["huge_candidates"], res["huge_lines"] = rss_huge(
        a.checkpoint or g.source)
    res["peak_rss_mb_this_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    n = res["parameters"]
    print(f"model: {n:,} parameters (BatchNorm folded)" if n else f"model: the ONNX export ({res['runtime']})", "\n")
    print(f"| step (800x600, {a.threads} threads) | median ms |\n|---|---|")
    print(f"| network | {res['network_ms']:.0f} |")
    print(f"| predict, candidates given (network + grouping + series) | {res['predict_oracle_ms']:.0f} |")
    print(f"| predict, model's own candidates | {res['predict_e2e_ms']:.0f} |")
    print(f"\n| candidates | chart (px) | line width (px) | lines found (of {len(lines)}), links / dbscan "
          "| grouping ms, links | grouping ms, dbscan |\n|---|---|---|---|---|---|")
    for s in scaling:
        print(f"| {s['candidates']:,} | {s['chart_px']} | {s['line_px']} | {s['lines_found']} / "
              f"{s['lines_found_dbscan']} | {s['grouping_ms']:.1f} | {s['grouping_ms_dbscan']:.1f} |")
    print(f"\nweighted DBSCAN on the {res['dbscan_cells']:,} cells of the ~20k row: scikit-learn "
          f"{res['dbscan_sklearn_ms']:.1f} ms, dbscan_weighted {res['dbscan_weighted_ms']:.1f} ms")
    print(f"\npeak RSS, 6000x4000 chart: {res['peak_rss_mb_6000x4000']:.0f} MB "
          f"({res['huge_candidates']:,} candidates, {res['huge_lines']} lines)")


if __name__ == "__main__":
    main()
