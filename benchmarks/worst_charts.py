"""Pictures of the worst charts per stratum of a quality report: chart | truth | result.

    python benchmarks/worst_charts.py [--report benchmarks/results/quality_foreign_report_oracle.json]
                                      [--foreign runs/foreign] [--out docs/img/foreign_worst.png] [--per 1]

For each stratum (image field "group") the `--per` charts with the lowest ARI of the
default grouping ("links") are drawn again in oracle mode: the chart, its true lines
(one colour each, white where two overlap) and the lines found, with their scores.
"""

import argparse
import json
import os
import sys

import cv2
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.viz import distinct_colors, draw_overlay  # noqa: E402

WIDTH = 1500  # px of each row of the sheet


def truth_picture(lab: np.ndarray) -> np.ndarray:
    out = np.zeros(lab.shape + (3,), np.uint8)
    k = int(lab[lab < 65535].max()) if (lab < 65535).any() else 0
    cols = distinct_colors(k + 1)
    for i in range(1, k + 1):
        out[lab == i] = cols[i]
    out[lab == 65535] = 255
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", default=os.path.join(ROOT, "benchmarks", "results",
                                                     "quality_foreign_report_oracle.json"))
    ap.add_argument("--foreign", default="runs/foreign")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "img", "foreign_worst.png"))
    ap.add_argument("--per", type=int, default=1, help="charts per stratum")
    a = ap.parse_args()
    rep = json.load(open(a.report))
    rows = [c for c in rep["per_chart"] if c["method"] == "links"]
    g = LineGrouper.load()
    sheet = []
    for group in sorted({c["group"] for c in rows}):
        worst = sorted((c for c in rows if c["group"] == group), key=lambda c: c["ari"])[: a.per]
        for c in worst:
            img = read_image(os.path.join(a.foreign, "images", c["image"]))
            lab = cv2.imread(os.path.join(a.foreign, "masks", c["image"]), cv2.IMREAD_UNCHANGED)
            res = g.predict(img, candidates=lab > 0)
            row = np.concatenate([img, truth_picture(lab), draw_overlay(img, res.mask, res.lines)], 1)
            row = cv2.resize(row, (WIDTH, round(row.shape[0] * WIDTH / row.shape[1])), interpolation=cv2.INTER_AREA)
            title = np.full((28, WIDTH, 3), 255, np.uint8)
            cv2.putText(title, f"{group}: {c['image']}  lines {c['n_true']} -> {c['n_pred']}  ARI {c['ari']:.2f}  "
                        f"PQ {c['pq']:.2f}", (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
            sheet += [title, row]
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    cv2.imwrite(a.out, cv2.cvtColor(np.concatenate(sheet, 0), cv2.COLOR_RGB2BGR))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
