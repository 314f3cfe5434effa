"""Marker tables: the data points found at markers, against the markers the renderers drew.

    python benchmarks/markers.py [--sets hard variety foreign] [--modes oracle e2e]
                                 [--foreign runs/foreign] [--foreign_split report] [--num 100]

Sets:
  hard     the hard synthetic validation set (linegroup synth --hard, seed 7, never trained
           on), drawn again with each marker's centre recorded; marker series as the
           generator makes them (any matplotlib marker, 2-15 px)
  variety  the same charts with --marker_variety: half the lines restyled as dense
           (touching), hollow, markers-only or every-k-th marker series
  foreign  plotly and pygal charts (benchmarks/foreign.py, its markers recorded); the
           `tune` split is the one thresholds were looked at on, tables report `report`
Modes as in benchmarks/quality.py: oracle (the true line pixels are the candidates; the
marker stage still reads the markers from the image) and e2e (the model's own candidates).

Scoring, per chart: predicted lines are matched one-to-one to true lines by mask IoU
(Hungarian, IoU > MIN_IOU); within each matched pair the predicted marker points are
matched one-to-one to the true centres (Hungarian on distance) when both |dx| <= 2% of
the plot area's width and |dy| <= 2% of its height. Marker series are true lines with
visible blob markers (not the stroke-drawn x, +, 1-4 and "," of matplotlib, and at
least VISIBLE px and 1.5 strokes wide: smaller ones are under the stroke); for them:
point precision, recall, F1 (summed over all their points; a marker series that no
predicted line matches counts its points as missed) and the mean centre error of the
matches in px; "pooled F1" matches all predicted markers to all true ones whatever
line each is on (what the grouping's mistakes cost, left out). Marker-less lines: the share of the matched ones that report none.
Time: the marker stage's time per chart (`predict.add_markers`: marker finding and polylines),
the least of --repeat runs on the same inputs (this VM's speed moves by a third between
phases; the least of three is steadier than one run). Writes benchmarks/results/markers_SET_MODE.json
and markers_tables.md (every set and mode measured so far).
"""

import argparse
import glob
import json
import os
import sys
import time
from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.data import drawn_masks, marker_only_of  # noqa: E402
from linegroup.evaluate import _masks, truth_from_label_mask, truth_masks  # noqa: E402
from linegroup.images import read_image  # noqa: E402
import linegroup.predict as predict_module  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.synth import SynthConfig, write_split  # noqa: E402

TOL = 0.02  # a point matches within this share of the plot area's width and of its height
MIN_IOU = 0.1  # least mask IoU of a matched (true, predicted) line pair
VISIBLE = 4.0  # px: smaller markers are not counted as marker series
STROKE_MARKERS = {"x", "+", "1", "2", "3", "4", ",", "|", "_"}  # matplotlib markers drawn as strokes


def load_truth(json_path: str, img_dir: str, split: str = "") -> list:
    """Per chart: {path, width, height, group, label_mask, plot_box, lines: [{pieces, markers, kind, width,
    marker_only}]} (marker_only: data.marker_only_of, the markers of a series drawn as markers only)."""
    with open(json_path) as f:
        doc = json.load(f)
    by_image = defaultdict(list)
    for a in doc["annotations"]:
        by_image[a["image_id"]].append(a)
    charts = []
    for im in doc["images"]:
        if split and im.get("split") != split:
            continue
        lines = []
        for a in by_image[im["id"]]:
            seg = a["segmentation"]
            pieces = [np.asarray(p, float).reshape(-1, 2) for p in seg] if isinstance(seg[0], list) else \
                [np.asarray(seg, float).reshape(-1, 2)]
            lines.append({"pieces": pieces, "markers": np.asarray(a.get("markers", []), float).reshape(-1, 2),
                          "kind": _kind(a), "width": float(a.get("stroke_width", 0) or 0),
                          "marker_only": marker_only_of(a, float(a.get("stroke_width", 0) or 0))})
        lm = os.path.join(os.path.dirname(os.path.abspath(json_path)), im["label_mask"]) if im.get("label_mask") else ""
        charts.append({"path": os.path.join(img_dir, im["file_name"]), "width": im["width"], "height": im["height"],
                       "group": im.get("group", ""), "label_mask": lm, "plot_box": im["plot_box"], "lines": lines})
    return charts


def _kind(a: dict) -> str:
    """'markers' (visible blob markers), 'other' (markers too small or drawn as strokes) or 'none'."""
    st = a.get("style") or {}
    if "marker_style" in a:  # foreign set: every marker is a filled or open polygon wider than the stroke
        return "markers" if a["markers"] else "none"
    if not st.get("marker"):
        return "none"
    size = st.get("marker_px", 0) * (0.5 if st["marker"] == "." else 1)
    if st["marker"] in STROKE_MARKERS or size < max(VISIBLE, 1.5 * a.get("stroke_width", 0)) or not a.get("markers"):
        return "other"
    return "markers"


def match_points(pred: np.ndarray, true: np.ndarray, tx: float, ty: float) -> np.ndarray:
    """Distances (px) of the one-to-one matches within the (tx, ty) box."""
    if len(pred) == 0 or len(true) == 0:
        return np.zeros(0)
    dx = np.abs(pred[:, None, 0] - true[None, :, 0])
    dy = np.abs(pred[:, None, 1] - true[None, :, 1])
    ok = (dx <= tx) & (dy <= ty)
    cost = np.where(ok, np.hypot(dx / tx, dy / ty), 1e6)
    r, c = linear_sum_assignment(cost)
    keep = ok[r, c]
    return np.hypot(dx[r, c], dy[r, c])[keep]


def score_chart(chart: dict, res, e2e: bool, truth: dict) -> dict:
    """Point counts and line counts of one chart (see the module docstring)."""
    lines = chart["lines"]
    n_pred = int(res.mask.max())
    pm = _masks(res.mask, n_pred, 2 if e2e else 0)
    gm = truth["full"]
    pairs = {}
    if n_pred and len(lines):
        inter = gm @ pm.T
        iou = inter / np.maximum(gm.sum(1)[:, None] + pm.sum(1)[None] - inter, 1)
        r, c = linear_sum_assignment(-iou)
        pairs = {int(i): int(j) for i, j in zip(r, c) if iou[i, j] > MIN_IOU}
    by_id = {ln["id"]: ln for ln in res.lines}
    x0, y0, x1, y1 = chart["plot_box"]
    tx, ty = TOL * (x1 - x0), TOL * (y1 - y0)
    out = defaultdict(float)
    errs = []
    for i, ln in enumerate(lines):
        pred = by_id.get(pairs[i] + 1) if i in pairs else None
        got = np.asarray(pred["markers"], float).reshape(-1, 2) if pred else np.zeros((0, 2))
        if ln["kind"] == "markers":
            d = match_points(got, ln["markers"], tx, ty)
            out["series"] += 1
            out["tp"] += len(d)
            out["fp"] += len(got) - len(d)
            out["fn"] += len(ln["markers"]) - len(d)
            errs += d.tolist()
        elif ln["kind"] == "none" and pred is not None:
            out["plain"] += 1
            out["plain_none"] += float(len(got) == 0)
    out["err_sum"], out["err_n"] = float(np.sum(errs)), len(errs)
    # pooled: every predicted marker against every true one, whichever line each is on
    every = np.concatenate([np.asarray(ln["markers"], float).reshape(-1, 2) for ln in res.lines] + [np.zeros((0, 2))])
    true = np.concatenate([ln["markers"] for ln in lines if ln["kind"] == "markers"] + [np.zeros((0, 2))])
    near_other = np.concatenate([ln["markers"] for ln in lines if ln["kind"] == "other"] + [np.zeros((0, 2))])
    if len(near_other) and len(every):  # markers on lines of the other kind are neither right nor wrong
        d = np.abs(every[:, None] - near_other[None]).max(-1)
        every = every[~(d <= max(tx, ty)).any(1)]
    d = match_points(every, true, tx, ty)
    out["pool_tp"], out["pool_fp"], out["pool_fn"] = len(d), len(every) - len(d), len(true) - len(d)
    return dict(out)


class _Timed:
    """predict's add_markers run `repeat` times on the same inputs (it only sets keys of the
    line dicts, so a rerun gives the same lines); `best` is the least time of the last call's runs."""

    def __init__(self, repeat: int):
        self.repeat, self.best = max(1, repeat), 0.0
        self.inner = predict_module.add_markers

    def __call__(self, *a, **k):
        best = float("inf")
        for _ in range(self.repeat):
            t0 = time.perf_counter()
            out = self.inner(*a, **k)
            best = min(best, time.perf_counter() - t0)
        self.best = 1000 * best
        return out


def run_set(charts: list, grouper, mode: str, repeat: int = 3) -> dict:
    from tqdm import tqdm

    timed = _Timed(repeat)
    predict_module.add_markers = timed
    rows = []
    for ch in tqdm(charts, desc=f"markers ({mode})", unit="chart"):
        img = read_image(ch["path"])
        e2e = mode == "e2e"
        if ch["label_mask"]:
            truth = truth_from_label_mask(ch["label_mask"], len(ch["lines"]), ch["height"], ch["width"], e2e)
        else:
            truth = truth_masks([ln["pieces"] for ln in ch["lines"]], ch["height"], ch["width"], 2, e2e,
                                drawn_masks([ln["marker_only"] for ln in ch["lines"]], img))
        res = grouper.predict(img, candidates=None if e2e else truth["line"])
        rows.append({"image": os.path.basename(ch["path"]), "group": ch["group"], **score_chart(ch, res, e2e, truth),
                     "ms": timed.best})
    predict_module.add_markers = timed.inner
    return {"mode": mode, "per_chart": rows, "summary": summarise(rows)}


def summarise(rows: list) -> dict:
    t = defaultdict(float)
    for r in rows:
        for k, v in r.items():
            if isinstance(v, (int, float)):
                t[k] += v
    p = t["tp"] / max(t["tp"] + t["fp"], 1)
    r = t["tp"] / max(t["tp"] + t["fn"], 1)
    ms = np.array([row["ms"] for row in rows]) if rows else np.zeros(1)
    pp = t["pool_tp"] / max(t["pool_tp"] + t["pool_fp"], 1)
    pr = t["pool_tp"] / max(t["pool_tp"] + t["pool_fn"], 1)
    return {"charts": len(rows), "series": int(t["series"]), "points": int(t["tp"] + t["fn"]), "precision": p,
            "recall": r, "f1": 2 * p * r / max(p + r, 1e-9), "centre_err": t["err_sum"] / max(t["err_n"], 1),
            "plain": int(t["plain"]), "plain_none": t["plain_none"] / max(t["plain"], 1),
            "pooled_f1": 2 * pp * pr / max(pp + pr, 1e-9), "ms_mean": float(ms.mean()), "ms_p95": float(np.percentile(ms, 95)), "ms_max": float(ms.max())}


def table(results: list) -> str:
    out = ["| set | mode | charts | marker series (points) | point P | point R | point F1 | centre err px | "
           "marker-less lines reporting none | pooled F1 | ms/chart mean (p95, max) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, mode, s in results:
        out.append(f"| {name} | {mode} | {s['charts']} | {s['series']} ({s['points']}) | {s['precision']:.3f} | "
                   f"{s['recall']:.3f} | {s['f1']:.3f} | {s['centre_err']:.2f} | {s['plain_none']:.3f} of "
                   f"{s['plain']} | {s['pooled_f1']:.3f} | {s['ms_mean']:.1f} ({s['ms_p95']:.1f}, {s['ms_max']:.1f}) |")
    return "\n".join(out)


def worst(rows: list, n: int = 5) -> list:
    """The charts with the most missed plus wrong points."""
    return sorted(rows, key=lambda r: -(r.get("fn", 0) + r.get("fp", 0)))[:n]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="default: the shipped weights")
    ap.add_argument("--sets", nargs="+", default=["hard", "variety", "foreign"], choices=["hard", "variety", "foreign"])
    ap.add_argument("--modes", nargs="+", default=["oracle", "e2e"], choices=["oracle", "e2e"])
    ap.add_argument("--num", type=int, default=100, help="charts in each synthetic set")
    ap.add_argument("--work", default="runs/markers", help="where the synthetic sets are drawn")
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--foreign_split", default="report")
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results"))
    ap.add_argument("--tag", default="", help="suffix of the result files")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the marker stage per chart; the least time counts")
    a = ap.parse_args()
    grouper = LineGrouper.load(a.checkpoint)
    sets = {}
    for key, cfg in (("hard", SynthConfig(hard=True)), ("variety", SynthConfig(hard=True, marker_variety=True))):
        if key in a.sets:
            work = os.path.join(a.work, key)
            if not os.path.exists(os.path.join(work, "val.json")):
                write_split(work, "val", a.num, seed=7, workers=2, cfg=cfg)
            sets[key] = load_truth(os.path.join(work, "val.json"), os.path.join(work, "val"))
    if "foreign" in a.sets:
        fj = os.path.join(a.foreign, "foreign.json")
        sets[f"foreign {a.foreign_split}"] = load_truth(fj, os.path.join(a.foreign, "images"), a.foreign_split)
    os.makedirs(a.results, exist_ok=True)
    results = []
    for name, charts in sets.items():
        for mode in a.modes:
            r = run_set(charts, grouper, mode, a.repeat)
            results.append((name, mode, r["summary"]))
            tag = name.replace(" ", "_") + f"_{mode}" + (f"_{a.tag}" if a.tag else "")
            with open(os.path.join(a.results, f"markers_{tag}.json"), "w") as f:
                json.dump({"set": name, **r, "worst": worst(r["per_chart"])}, f, indent=1)
            print(table(results[-1:]), flush=True)
            for w in worst(r["per_chart"]):
                print(f"  worst: {w['image']} tp {w.get('tp', 0):.0f} fp {w.get('fp', 0):.0f} fn {w.get('fn', 0):.0f}")
    print("\n" + table(results))
    if not a.tag:  # the table of every set and mode measured so far (this run's and earlier ones')
        rows = []
        for path in sorted(glob.glob(os.path.join(a.results, "markers_*_oracle.json")) +
                           glob.glob(os.path.join(a.results, "markers_*_e2e.json"))):
            with open(path) as f:
                r = json.load(f)
            if "set" in r:
                rows.append((r["set"], r["mode"], r["summary"]))
        with open(os.path.join(a.results, "markers_tables.md"), "w") as f:
            f.write(table(sorted(rows, key=lambda x: (x[0], x[1] != "oracle"))) + "\n")


if __name__ == "__main__":
    main()
