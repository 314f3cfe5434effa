"""Where end-to-end PQ goes on the lines that are found: the matched pairs' IoU, split.

    python benchmarks/match_quality.py [--foreign runs/foreign] [--hard runs/quality]
                                       [--splits tune report] [--hard_limit 0] [--out match_quality]

PQ is the mean IoU of the matched (true, found) line pairs (IoU > 0.5) times the share of
lines matched. This benchmark scores the first factor, end to end, as `linegroup evaluate
--mode e2e` does (masks dilated 2 px): per matched pair, the share of the found line's
pixels that are its true line's (precision) and of the true line's that the found line
holds (recall), and each line's thickness, undilated, in pixels per column it occupies
(the found line against its truth: a found line thicker than its truth loses precision
whatever the grouping). Sets: the foreign-renderer splits (truth: each line's exact drawn
pixels) and the hard set (truth: the polylines rasterised at 2 px, thinner than many of
its drawn strokes). Writes benchmarks/results/OUT.md and OUT.json.
"""

import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.data import load_coco_lines  # noqa: E402
from linegroup.evaluate import _masks, record_truth  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402

MIN_IOU = 0.5  # PQ's match


def thickness(mask: np.ndarray) -> float:
    """Pixels per occupied column of an (H, W) 0/1 mask."""
    cols = int((mask.sum(0) > 0).sum())
    return float(mask.sum()) / max(cols, 1)


def score_set(records, grouper, name: str) -> dict:
    from tqdm import tqdm

    rows = []
    n_true = n_found = 0
    for rec in tqdm(records, desc=name, unit="chart"):
        img = read_image(rec.path)
        h, w = img.shape[:2]
        truth, thin = record_truth(rec, e2e=True), record_truth(rec, e2e=False)["full"]
        res = grouper.predict(img)
        k = int(res.mask.max())
        found, found_thin, gt = _masks(res.mask, k, 2), _masks(res.mask, k, 0), truth["full"]
        n_true += len(gt)
        n_found += k
        if k == 0 or len(gt) == 0:
            continue
        inter = gt @ found.T
        iou = inter / np.maximum(gt.sum(1)[:, None] + found.sum(1)[None] - inter, 1)
        for a, b in zip(*np.nonzero(iou > MIN_IOU)):  # one-to-one by construction
            rows.append({"image": os.path.basename(rec.path), "iou": float(iou[a, b]),
                         "precision": float(inter[a, b] / found[b].sum()), "recall": float(inter[a, b] / gt[a].sum()),
                         "true_px_per_col": thickness(thin[a].reshape(h, w)),
                         "found_px_per_col": thickness(found_thin[b].reshape(h, w))})
    mean = {key: float(np.mean([r[key] for r in rows])) if rows else float("nan")
            for key in ("iou", "precision", "recall", "true_px_per_col", "found_px_per_col")}
    return {"set": name, "charts": len(records), "true_lines": n_true, "found_lines": n_found, "matched": len(rows),
            **mean, "pairs": rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foreign", default="runs/foreign", help="folder of benchmarks/foreign.py's output")
    ap.add_argument("--hard", default="runs/quality", help="folder holding the hard set's val.json and val/")
    ap.add_argument("--splits", nargs="+", default=["tune", "report"], help="foreign-set splits to score")
    ap.add_argument("--hard_limit", type=int, default=0, help="score only the first N hard charts (0: all)")
    ap.add_argument("--out", default="match_quality", help="name of the result files in benchmarks/results/")
    a = ap.parse_args()
    grouper = LineGrouper.load()
    results = []
    fj = os.path.join(a.foreign, "foreign.json")
    if os.path.isfile(fj):
        recs, _ = load_coco_lines(fj, os.path.join(a.foreign, "images"), 2)
        for split in a.splits:
            results.append(score_set([r for r in recs if r.split == split], grouper, f"foreign {split}"))
    else:
        print(f"{fj}: not found, foreign set skipped (make it with benchmarks/foreign.py)")
    hj = os.path.join(a.hard, "val.json")
    if os.path.isfile(hj):
        recs, _ = load_coco_lines(hj, os.path.join(a.hard, "val"), 2)
        results.append(score_set(recs[: a.hard_limit] if a.hard_limit else recs, grouper, "hard"))
    else:
        print(f"{hj}: not found, hard set skipped (benchmarks/quality.py makes it)")
    lines = ["End to end, `predict` as shipped; matched pairs: IoU > 0.5 of masks dilated 2 px (as PQ).", "",
             "| set | charts | true lines | found lines | matched pairs | mean IoU | precision | recall "
             "| true px/column | found px/column |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['set']} | {r['charts']} | {r['true_lines']} | {r['found_lines']} | {r['matched']} | "
                     f"{r['iou']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['true_px_per_col']:.2f} | "
                     f"{r['found_px_per_col']:.2f} |")
    table = "\n".join(lines)
    print(table)
    out = os.path.join(ROOT, "benchmarks", "results", a.out)
    with open(out + ".md", "w") as f:
        f.write(table + "\n")
    with open(out + ".json", "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
