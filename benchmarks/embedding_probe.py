"""How well the embedding separates lines: spreads and distances on the true line pixels.

    python benchmarks/embedding_probe.py [--checkpoint CKPT] [--work runs/quality] [--limit 30]

For the first `limit` charts of a set (default: the hard set of benchmarks/quality.py),
on the pixels that belong to exactly one line:
  - spread: distance of a pixel to its line's centroid (the loss asks for <= delta_v = 0.5);
  - centroid gap: distance from each line's centroid to the nearest other line's
    (the loss asks for >= 2 delta_d = 3.0);
  - neighbours: embedding distance between 8-adjacent pixels of the same line, and of
    two different lines (where lines touch or cross).
Medians over charts of per-chart medians (and the 90th percentile for neighbours).
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.data import load_coco_lines  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.evaluate import truth_masks  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402


def probe(emb: np.ndarray, inst: np.ndarray) -> dict:
    """emb (D, H, W) at image resolution; inst (H, W): line id per pixel, 0 none / ambiguous."""
    ys, xs = np.nonzero(inst > 0)
    lab, f = inst[ys, xs], emb[:, ys, xs].T
    ids, inv = np.unique(lab, return_inverse=True)
    cent = np.stack([f[inv == i].mean(0) for i in range(len(ids))])
    spread = np.linalg.norm(f - cent[inv], axis=1)
    gaps = np.linalg.norm(cent[:, None] - cent[None], axis=-1) + np.eye(len(ids)) * 1e9
    same, diff = [], []
    h, w = inst.shape
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        # pixel p and its neighbour p + (dy, dx), as two aligned views of the image
        sa = (slice(max(0, -dy), h - max(0, dy)), slice(max(0, -dx), w - max(0, dx)))
        sb = (slice(max(0, dy), h + min(0, dy)), slice(max(0, dx), w + min(0, dx)))
        a, b, ea, eb = inst[sa], inst[sb], emb[(slice(None),) + sa], emb[(slice(None),) + sb]
        both = (a > 0) & (b > 0)
        d = np.linalg.norm(ea[:, both] - eb[:, both], axis=0)
        same.append(d[a[both] == b[both]])
        diff.append(d[a[both] != b[both]])
    same, diff = np.concatenate(same), np.concatenate(diff)
    return {"spread": np.median(spread), "gap": np.median(gaps.min(1)) if len(ids) > 1 else np.nan,
            "same50": np.median(same), "same90": np.percentile(same, 90),
            "diff50": np.median(diff) if len(diff) else np.nan}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="default: the shipped weights")
    ap.add_argument("--work", default="runs/quality", help="folder with val.json and val/")
    ap.add_argument("--limit", type=int, default=30)
    ap.add_argument("--thickness", type=int, default=2)
    a = ap.parse_args()
    g = LineGrouper.load(a.checkpoint)
    recs, _ = load_coco_lines(os.path.join(a.work, "val.json"), os.path.join(a.work, "val"))
    rows, skipped = [], 0
    for r in recs[:a.limit]:
        img = read_image(r.path)
        emb, _, scale = g.embed(img)
        if scale < 1.0:  # the probe compares pixels at the image's resolution
            skipped += 1
            continue
        t = truth_masks(r.lines, r.height, r.width, a.thickness)
        rows.append(probe(emb, np.where(t["valid"], t["inst"], 0)))
    med = {k: float(np.nanmedian([x[k] for x in rows])) for k in rows[0]}
    print(f"{len(rows)} charts ({skipped} larger than max_side skipped), {g.source}")
    print("| spread to centroid | nearest centroid | neighbours, same line (median / p90) | neighbours, two lines |")
    print("|---|---|---|---|")
    print(f"| {med['spread']:.2f} | {med['gap']:.2f} | {med['same50']:.2f} / {med['same90']:.2f} | {med['diff50']:.2f} |")
