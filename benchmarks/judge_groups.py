"""What the series judge drops and keeps, group by group, on the foreign-renderer set.

    python benchmarks/judge_groups.py [--links A.npz [B.npz ...]] [--foreign runs/foreign] [--out judge_groups]

For every foreign chart, `predict` runs with the model's own candidates and the judge off
(the groups it would judge, as `scripts/fit_series.py` samples them), each group is
labelled as `fit_series.py` labels it (series: most of its pixels on one true line and that
line's largest group; not a series: most of its pixels on no line; a piece: the rest), and
each links file's judge scores it at SERIES_BIAS. Per split and links file: true series
dropped, groups that are not series kept, pieces kept. The samples do not depend on the
judge, so every links file scores the same groups (the link models and the pieces model of
the first file make them). To compare with an earlier judge:
`git show REV:src/linegroup/weights/links.npz > old.npz` and pass both.
Writes benchmarks/results/OUT.md and prints it.
"""

import argparse
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from fit_series import chart_samples  # noqa: E402

from linegroup.candidates.series import SERIES_BIAS  # noqa: E402
from linegroup.data import load_coco_lines  # noqa: E402
from linegroup.grouping import LinkModels, load_link_models  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402


def samples(folder: str, links: str | None) -> dict:
    """{split: (features (K, F), labels (K,))} over the foreign set's charts, judge off."""
    g = LineGrouper.load(links=links)
    m = load_link_models(links)
    g.links = LinkModels(m.r1, m.r2, None, m.pieces)
    recs = load_coco_lines(os.path.join(folder, "foreign.json"), os.path.join(folder, "images"))[0]
    out = {}
    for rec in recs:
        F, y = chart_samples(g, rec)
        Fs, ys = out.setdefault(rec.split, ([], []))
        Fs.append(F)
        ys.append(y)
    return {s: (np.concatenate(F), np.concatenate(y)) for s, (F, y) in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--links", nargs="+", default=[None], help="links files whose judges to score (default: shipped)")
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--out", default="judge_groups", help="name of the markdown file in benchmarks/results")
    a = ap.parse_args()
    data = samples(a.foreign, a.links[0])
    rows = [f"Groups the judge sees on the foreign set (judge at bias {SERIES_BIAS:g}):", "",
            "| links | split | true series dropped | not series kept | pieces kept |", "|---|---|---|---|---|"]
    for links in a.links:
        judge = load_link_models(links).series
        for split, (F, y) in sorted(data.items()):
            drop = judge.logit(F[:, :judge.n_features]) < SERIES_BIAS  # an older judge reads its first cues only
            cell = [f"{int((drop & (y == c)).sum() if c == 1 else (~drop & (y == c)).sum())} of {int((y == c).sum())}"
                    for c in (1, 0, -1)]
            rows.append(f"| {os.path.basename(links) if links else 'shipped'} | {split} | " + " | ".join(cell) + " |")
    text = "\n".join(rows) + "\n"
    with open(os.path.join(ROOT, "benchmarks", "results", f"{a.out}.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
