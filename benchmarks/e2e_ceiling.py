"""What end to end loses where: the network's candidates against the grouping of them.

    python benchmarks/e2e_ceiling.py [--foreign runs/foreign] [--split tune] [--limit N]

On the foreign-renderer set (benchmarks/foreign.py), per chart, scored as `linegroup
evaluate --mode e2e` scores (PQ on masks dilated 2 px, ARI on the true pixels, count,
pixel recall), three groupings of the network's cleaned candidates (`predict`'s own:
plot area, swatches, rulings removed):
  perfect   each candidate takes the true line within 2 px of it, the others are dropped:
            the most any grouping of these candidates can score (the candidates' ceiling)
  true_only the default grouping run on the candidates within 2 px of a true line, as
            user candidates (`--candidates`): the grouping alone, without false positives
  default   `linegroup predict` as shipped
Writes benchmarks/results/e2e_ceiling_SPLIT.json (per chart) and prints the means.
"""

import argparse
import json
import os
import sys
from collections import defaultdict

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.data import load_coco_lines  # noqa: E402
from linegroup.evaluate import score_chart, truth_from_label_mask  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper, lines_from_mask  # noqa: E402

NEAR = 2  # px: a candidate this close to a true line is one of its pixels (e2e truth's dilation)
METRICS = ("pq", "ari", "count", "pix_r")
WAYS = ("perfect", "true_only", "default")


def nearest_truth(truth: dict) -> np.ndarray:
    """(H*W,) the true line within NEAR px of each pixel (0: none; the lower id where two
    are), from the e2e truth's per-line masks, which are dilated by NEAR px already."""
    full = truth["full"]
    on = full.any(0)
    return np.where(on, full.argmax(0) + 1, 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--split", default="tune", help="named split of the set to run on")
    ap.add_argument("--limit", type=int, default=0, help="first N charts only (0: all)")
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results"))
    a = ap.parse_args()
    recs, _ = load_coco_lines(os.path.join(a.foreign, "foreign.json"), os.path.join(a.foreign, "images"), 2)
    recs = [r for r in recs if r.split == a.split][:a.limit or None]
    g = LineGrouper.load()
    rows = []
    for r in recs:
        img = read_image(r.path)
        truth = truth_from_label_mask(r.label_mask, len(r.lines), r.height, r.width, True)
        shipped = g.predict(img, keep_embedding=True)  # its line probability: the network runs once for both
        cand, _ = g.clean_candidates(g.own_candidates(shipped.probability), img)
        near = nearest_truth(truth).reshape(r.height, r.width)
        masks = {"perfect": np.where(cand, near, 0).astype(np.uint16),
                 "true_only": g.predict(img, candidates=cand & (near > 0)).mask,
                 "default": shipped.mask}
        row = {"image": os.path.basename(r.path), "group": r.group, "n_true": len(r.lines),
               "false_share": float((cand & (near == 0)).sum() / max(cand.sum(), 1))}
        for way, m in masks.items():
            s = score_chart(m, lines_from_mask(m), r.lines, r.height, r.width, 2, True, truth)
            row[way] = {k: s[k] for k in METRICS + ("n_pred",)}
        rows.append(row)
        print(row["image"], *(f"{w} {row[w]['pq']:.2f}/{row[w]['n_pred']}" for w in WAYS), flush=True)
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, f"e2e_ceiling_{a.split}.json"), "w") as f:
        json.dump(rows, f, indent=1)
    by = defaultdict(list)
    for row in rows:
        by[row["group"]].append(row)
        by["all"].append(row)
    print(f"\n| group | charts | " + " | ".join(f"{w} PQ / ARI / count" for w in WAYS) + " | pixel R |")
    print("|---|---|" + "---|" * (len(WAYS) + 1))
    for grp in sorted(by, key=lambda k: (k == "all", k)):
        rs = by[grp]
        cells = [" / ".join(f"{np.nanmean([x[w][m] for x in rs]):.3f}" for m in METRICS[:3]) for w in WAYS]
        print(f"| {grp} | {len(rs)} | " + " | ".join(cells) + f" | {np.mean([x['perfect']['pix_r'] for x in rs]):.3f} |")


if __name__ == "__main__":
    main()
