"""Where end-to-end line-pixel recall goes: the share of the true line pixels each step of
`predict` loses, from the network's own candidates to the final mask.

    python benchmarks/recall_stages.py [--sets foreign_tune foreign_report hard] [--out recall_stages]

Recall is `linegroup evaluate`'s (a true line pixel counts as found when a kept pixel lies
within 2 px), pooled over the set's pixels (the losses add up); the last column gives the
mean over charts too, as `linegroup evaluate` reports it. Steps, in `predict`'s order: the
network's candidates (`LineGrouper.own_candidates`: probability > 0.5, and > 0.25 where
touching those), candidate cleaning (plot area, tick marks,
swatches, rulings), the grouping (candidates of the model's own farther than 12 px from
every line stay unassigned), drop_strays, drop_text, drop_rulings, the series judge
(drop_nonseries), the spikes' tips joined to their lines (leftovers.grow_into; a negative
loss, a gain), the trim of the band's background (predict.TRIM_LAB) and the grid pieces
(drop_grid_pieces). Each step's loss is the recall of what went in less the recall of what
came out. The steps are observed by wrapping the functions `predict` calls (the results
are the same as an unwrapped run). Writes benchmarks/results/OUT.json and OUT.md.
"""

import argparse
import json
import os
import sys
from collections import defaultdict

import cv2
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
import linegroup.predict as P  # noqa: E402
from linegroup.data import drawn_masks  # noqa: E402
from linegroup.evaluate import truth_from_label_mask, truth_masks  # noqa: E402
from linegroup.images import read_image  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from markers import load_truth  # noqa: E402

STEPS = ["cleaning", "grouping", "drop_strays", "drop_text", "drop_rulings", "series judge", "grow", "trim",
         "grid pieces"]
KERNEL = np.ones((5, 5), np.uint8)  # the 2-px tolerance of linegroup evaluate


class Recorder:
    """Wraps the functions predict calls and keeps, per step, the candidate pixels before and after."""

    def __init__(self):
        self.steps = []
        self.xy = None
        self.cand = None
        for name, step in (("drop_strays", "drop_strays"), ("drop_text", "drop_text"),
                           ("drop_rulings", "drop_rulings"), ("drop_nonseries", "series judge"),
                           ("drop_grid_pieces", "grid pieces")):
            setattr(P, name, self._wrap(getattr(P, name), step))
        grouping = P.group_lines

        def group(xs, ys, *a, **k):
            out = grouping(xs, ys, *a, **k)
            self.xy = (xs, ys)
            self.steps.append(("grouping", np.ones(len(xs), bool), out > 0))
            return out
        P.group_lines = group
        grow = P.grow_into

        def grown(xs, ys, labels, *a, **k):
            out = grow(xs, ys, labels, *a, **k)
            self.steps.append(("grow", labels > 0, out > 0))
            return out
        P.grow_into = grown
        clean = P.LineGrouper._clean  # what predict calls (clean_candidates is its public face)

        def cleaning(grouper, cand, img):
            out = clean(grouper, cand, img)
            self.cand = (cand.copy(), out[0].copy())
            return out
        P.LineGrouper._clean = cleaning

    def _wrap(self, fn, step):
        def wrapped(labels, *a, **k):
            out = fn(labels, *a, **k)
            self.steps.append((step, labels > 0, out > 0))
            return out
        return wrapped

    def reset(self):
        self.steps, self.xy, self.cand = [], None, None


def losses(rec: Recorder, line: np.ndarray, final: np.ndarray) -> dict:
    """Found true pixels after the network and the share each step loses (counts, not shares)."""
    def found(mask):
        return int((line & cv2.dilate(mask.astype(np.uint8), KERNEL).astype(bool)).sum())

    xs, ys = rec.xy

    def mask_of(sel):
        m = np.zeros(line.shape, bool)
        m[ys[sel], xs[sel]] = True
        return m
    out = {"true": int(line.sum()), "network": found(rec.cand[0])}
    out["cleaning"] = out["network"] - found(rec.cand[1])
    trimmed = None
    for step, before, after in rec.steps:
        if step == "grid pieces":  # the trim ran between the series judge and this step
            trimmed = found(mask_of(before))
        out[step] = out.get(step, 0) + found(mask_of(before)) - found(mask_of(after))
    judged = found(mask_of(next(a for s, _, a in reversed(rec.steps) if s != "grid pieces")))
    out["final"] = found(final)
    out["trim"] = judged - (trimmed if trimmed is not None else out["final"])
    return out


def run(charts: list, grouper, rec: Recorder) -> dict:
    from tqdm import tqdm

    tot, per = defaultdict(int), []
    for ch in tqdm(charts, unit="chart"):
        rec.reset()
        img = read_image(ch["path"])
        if ch["label_mask"]:
            truth = truth_from_label_mask(ch["label_mask"], len(ch["lines"]), ch["height"], ch["width"], True)
        else:
            truth = truth_masks([ln["pieces"] for ln in ch["lines"]], ch["height"], ch["width"], 2, True,
                                drawn_masks([ln["marker_only"] for ln in ch["lines"]], img))
        res = grouper.predict(img)
        if rec.xy is None:  # no candidates at all
            continue
        r = losses(rec, truth["line"], res.mask > 0)
        per.append({"image": os.path.basename(ch["path"]), "group": ch["group"], **r})
        for k, v in r.items():
            tot[k] += v
    t = tot["true"] or 1
    mean = {k: float(np.mean([r[k] / max(r["true"], 1) for r in per])) if per else 0.0 for k in ("network", "final")}
    summary = {"charts": len(per), "network_recall": tot["network"] / t, "final_recall": tot["final"] / t,
               "network_recall_chart_mean": mean["network"], "final_recall_chart_mean": mean["final"],
               "lost": {s: tot[s] / t for s in STEPS}}
    return {"summary": summary, "per_chart": per}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", nargs="+", default=["foreign_tune", "foreign_report", "hard"],
                    choices=["foreign_tune", "foreign_report", "hard"],
                    help="foreign_tune / foreign_report: the foreign set's splits; hard: the hard synthetic set")
    ap.add_argument("--foreign", default=os.path.join(ROOT, "runs", "foreign"), help="the foreign set's folder")
    ap.add_argument("--hard", default=os.path.join(ROOT, "runs", "quality"),
                    help="the hard set's folder (val.json, val/)")
    ap.add_argument("--out", default="recall_stages", help="results name under benchmarks/results")
    a = ap.parse_args()
    rec = Recorder()
    grouper = P.LineGrouper.load()
    results = {}
    for name in a.sets:
        if name.startswith("foreign"):
            charts = load_truth(os.path.join(a.foreign, "foreign.json"), os.path.join(a.foreign, "images"),
                                name.split("_")[1])
        else:
            charts = load_truth(os.path.join(a.hard, "val.json"), os.path.join(a.hard, "val"))
        results[name] = run(charts, grouper, rec)
        print(name, json.dumps(results[name]["summary"], indent=1))
    rows = ["| set | charts | network's candidates | " + " | ".join(f"lost at {s}" for s in STEPS)
            + " | final | chart mean: network, final |", "|---" * (len(STEPS) + 5) + "|"]
    for name, r in results.items():
        s = r["summary"]
        rows.append(f"| {name.replace('_', ' ')} | {s['charts']} | {s['network_recall']:.3f} | "
                    + " | ".join(f"{s['lost'][k]:.3f}" for k in STEPS) + f" | {s['final_recall']:.3f} | "
                    f"{s['network_recall_chart_mean']:.3f}, {s['final_recall_chart_mean']:.3f} |")
    table = "\n".join(rows)
    print(table)
    res_dir = os.path.join(ROOT, "benchmarks", "results")
    with open(os.path.join(res_dir, a.out + ".json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(res_dir, a.out + ".md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
