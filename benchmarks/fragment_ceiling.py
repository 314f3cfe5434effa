"""The fragments' ceiling: the ARI the grouping would reach if every fragment were linked
to its true line (its majority label), with shared pieces and leftovers assigned as usual.

    python benchmarks/fragment_ceiling.py [--foreign runs/foreign] [--split tune]

The gap between this and the measured ARI is what the link costs and the assignment
lose; the gap between this and 1 is what the fragments themselves lose (pieces that mix
two lines, crossings split by nearest path).
"""

import argparse
import json
import os
import sys

import cv2
import numpy as np
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.grouping.fragments import build_fragments, column_runs  # noqa: E402
from linegroup.grouping.learn import piece_truth  # noqa: E402
from linegroup.grouping.leftovers import assign_leftovers  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foreign", default="runs/foreign", help="benchmarks/foreign.py --out")
    ap.add_argument("--split", default="tune")
    a = ap.parse_args()
    doc = json.load(open(os.path.join(a.foreign, "foreign.json")))
    per = {}
    for im in doc["images"]:
        if im["split"] != a.split:
            continue
        lab = cv2.imread(os.path.join(a.foreign, im["label_mask"]), cv2.IMREAD_UNCHANGED)
        ys, xs = np.nonzero(lab > 0)
        truth = lab[ys, xs].astype(np.int64)
        truth[truth == 65535] = 0
        frag = build_fragments(column_runs(xs, ys))
        line, _ = piece_truth(frag.pix_frag, truth, frag.n)
        labels = assign_leftovers(xs, ys, np.where(frag.shared, 0, line)[frag.pix_frag])
        ok = truth > 0
        per.setdefault(im["group"], []).append(adjusted_rand_score(truth[ok], labels[ok]))
    print("| stratum | charts | ARI with perfect links |\n|---|---|---|")
    for g, v in sorted(per.items()):
        print(f"| {g} | {len(v)} | {np.mean(v):.3f} |")
    allv = [x for v in per.values() for x in v]
    print(f"| all | {len(allv)} | {np.mean(allv):.3f} |")
