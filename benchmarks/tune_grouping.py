"""Compare grouping settings on cached embeddings (oracle candidates), on the training
distribution's own validation split -- never on the hard evaluation set.

    python benchmarks/tune_grouping.py --checkpoint CKPT --json runs/weights/data/val.json \\
        --img_dir runs/weights/data/val [--limit 40]
"""

import argparse
import os
import sys
import time
from dataclasses import replace

import numpy as np
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.cluster import GroupParams, group_pixels  # noqa: E402
from linegroup.data import load_coco_lines, rasterize, read_image  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402

VARIANTS = {
    "default (dbscan eps=0.5, ms=1%)": {},
    "dbscan eps=0.35": {"eps": 0.35},
    "dbscan eps=0.75": {"eps": 0.75},
    "dbscan ms=0.5%": {"min_samples_frac": 0.005},
    "dbscan ms=2%": {"min_samples_frac": 0.02},
    "dbscan ms=1% eps=0.35": {"min_samples_frac": 0.01, "eps": 0.35},
    "dbscan ms=10 px only": {"min_samples_frac": 0.0},
    "dbscan ms=1%, no postprocess": {"postprocess": False},
    "dbscan ms=1%, split_share 0.15": {"split_share": 0.15},
    "dbscan ms=1%, split_share 0.4": {"split_share": 0.4},
    "hdbscan": {"method": "hdbscan"},
    "meanshift": {"method": "meanshift"},
}

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--img_dir", required=True)
    ap.add_argument("--limit", type=int, default=40)
    a = ap.parse_args()
    g = LineGrouper.load(a.checkpoint)
    recs, _ = load_coco_lines(a.json, a.img_dir)
    cache = []
    for rec in recs[: a.limit]:
        img = read_image(rec.path)
        inst, valid, line = rasterize(rec.lines, rec.height, rec.width, 2)
        emb, _, _ = g.embed(img)
        ys, xs = np.nonzero(line)
        cache.append((emb[:, ys, xs].T.copy(), np.column_stack([xs, ys]), inst[ys, xs], valid[ys, xs],
                      len(rec.lines)))
    print("| variant | ARI | count acc | mean abs count error | ms/chart |\n|---|---|---|---|---|")
    for name, kw in VARIANTS.items():
        p = replace(GroupParams(), **kw)
        aris, hits, errs, t = [], [], [], 0.0
        for feats, xy, gt, valid, k in cache:
            t0 = time.perf_counter()
            lab = group_pixels(feats, xy, p)
            t += time.perf_counter() - t0
            aris.append(adjusted_rand_score(gt[valid], lab[valid]))
            hits.append(lab.max() == k)
            errs.append(abs(int(lab.max()) - k))
        print(f"| {name} | {np.mean(aris):.3f} | {np.mean(hits):.3f} | {np.mean(errs):.2f} | "
              f"{1000 * t / len(cache):.0f} |")
