"""Axis calibration benchmark: how often the axes are read, and how wrong the values are.

    linegroup synth runs/axes_synth --num 0 --val 200 --seed 11 --axes_variety
    python benchmarks/foreign.py --out runs/foreign --num 180 --seed 0
    python benchmarks/axes.py --synth runs/axes_synth/val.json --foreign runs/foreign/foreign.json \\
        --chartinfo ../shared/fixtures/chartinfo --report runs/axes_report.json

Needs the OCR extra (pip install "linegroup[axes]"). Every chart is read with
`linegroup.axes.read_axes` (OCR, label grouping, fits) and compared with the truth at
the true data points of its lines: their true pixel positions are mapped through the
fitted maps and compared with their true values. This isolates the calibration from
the line extraction (the lines are the true ones). Truth per set:
  synth      each annotation's polyline (pixels of the data vertices) and "data" (values);
  foreign    each line's drawn centre path (pixels) and the values the renderer's own
             pixel -> value maps give there (plotly: the ranges it chose and the measured
             plot box; pygal: fitted on its tick labels);
  chartinfo  the task-6 "data series" (values) and pixel -> value maps fitted on the
             annotated ticks (task-4 tick positions, task-2 label texts); numeric axes only.
Error of a value: |f(read) - f(true)| / (f(max) - f(min)) with f = log10 on log axes and
identity otherwise, max/min over the chart's true values of that axis (the data range,
a little narrower than the axis range, so the error is slightly overstated). Per chart:
the mean over its points. "wrong" = a calibrated axis whose error exceeds 5%.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from linegroup.axes import read_axes  # noqa: E402
from linegroup.images import read_image  # noqa: E402

WRONG = 0.05  # a calibrated axis with a mean error over 5% of the data range is a wrong calibration
READABLE_PX = 10  # synthetic tick labels drawn smaller than this (font size, pixels) count as unreadable


def _by_image(coco: dict) -> dict:
    anns = {}
    for a in coco["annotations"]:
        anns.setdefault(a["image_id"], []).append(a)
    return anns


def synth_charts(path: str, limit: int = 0):
    """(name, image path, group, truth (n, 4) px_x, px_y, val_x, val_y, log_y) per chart."""
    coco = json.load(open(path))
    anns, img_dir = _by_image(coco), os.path.join(os.path.dirname(path), os.path.splitext(os.path.basename(path))[0])
    for im in coco["images"][:limit or None]:
        rows = []
        for k, a in enumerate(anns.get(im["id"], [])):
            px = np.asarray(a["segmentation"][0], np.float64).reshape(-1, 2)
            rows.append(np.column_stack([px, np.asarray(a["data"], np.float64), np.full(len(px), k)]))
        ax = im["axes"]
        group = ax["tick_style"] if ax.get("label_px", READABLE_PX) >= READABLE_PX else "unreadable"
        yield im["file_name"], os.path.join(img_dir, im["file_name"]), group, np.vstack(rows), ax["y_scale"] == "log"


def foreign_charts(path: str, limit: int = 0):
    coco = json.load(open(path))
    anns, img_dir = _by_image(coco), os.path.join(os.path.dirname(path), "images")
    for im in coco["images"][:limit or None]:
        ax = im.get("axes") or {}
        if "y_map" not in ax:
            continue
        # each line's drawn centre path (pixels; exact whatever the line shape: spline, steps)
        # and the values the renderer's maps give there
        parts = []
        for k, a in enumerate(anns.get(im["id"], [])):
            for piece in a["segmentation"]:
                p = np.asarray(piece, np.float64).reshape(-1, 2)
                parts.append(np.column_stack([p, np.full(len(p), k)]))
        px = np.vstack(parts)
        (ay, by), (axx, bx) = ax["y_map"], ax.get("x_map", [np.nan, np.nan])
        truth = np.column_stack([px[:, :2], axx + bx * px[:, 0], ay + by * px[:, 1], px[:, 2]])
        yield im["file_name"], os.path.join(img_dir, im["file_name"]), im["renderer"], truth, False


def _tick_map(ticks: list, texts: dict, coord: str):
    """[a, b] of value = a + b * pixel fitted on annotated ticks (task 4 tick_pt + task 2 text), or None."""
    pts = []
    for t in ticks:
        try:
            pts.append((t["tick_pt"][coord], float(texts.get(t["id"], "").replace(",", ""))))
        except ValueError:
            return None  # a category or date axis
    if len({v for _, v in pts}) < 2:
        return None
    b, a = np.polyfit([p for p, _ in pts], [v for _, v in pts], 1)
    return float(a), float(b)


def chartinfo_charts(folder: str, limit: int = 0):
    """Truth from the annotations: the pixel -> value maps fitted on the annotated ticks
    (task 4 positions, task 2 texts), and the task-6 data series' values."""
    for jpath in sorted(glob.glob(os.path.join(folder, "*.json")))[:limit or None]:
        doc = json.load(open(jpath))
        stem = os.path.splitext(jpath)[0]
        img = next((stem + e for e in (".png", ".jpg", ".jpeg") if os.path.exists(stem + e)), None)
        texts = {t["id"]: t["text"] for t in doc["task2"]["output"]["text_blocks"]}
        axes = doc["task4"]["output"]["axes"]
        ymap, xmap = _tick_map(axes["y-axis"], texts, "y"), _tick_map(axes["x-axis"], texts, "x")
        if img is None or ymap is None:
            continue
        rows = []
        for k, series in enumerate(doc["task6"]["output"]["data series"]):
            for d in series["data"]:
                try:
                    x = float(d["x"])
                except (TypeError, ValueError):
                    x = np.nan  # categorical x
                y = float(d["y"])
                px = (x - xmap[0]) / xmap[1] if xmap else np.nan
                rows.append([px, (y - ymap[0]) / ymap[1], x if xmap else np.nan, y, k])
        if rows:
            yield os.path.basename(img), img, "chartinfo", np.asarray(rows, np.float64), False


def axis_error(fit, px: np.ndarray, true: np.ndarray, log: bool) -> float:
    ok = np.isfinite(true) & np.isfinite(px)
    if not fit.calibrated or ok.sum() < 2 or np.ptp(true[ok]) == 0:
        return float("nan")
    got = fit.to_value(px[ok])
    f = np.log10 if log else (lambda v: v)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(f(got) - f(true[ok])) / np.ptp(f(true[ok]))
    return float(np.nanmean(np.where(np.isfinite(err), err, 1.0)))


def e2e_error(res, lines: list, truth: np.ndarray, log: bool) -> tuple[float, float]:
    """End to end: each true line matched to the found line nearest it in pixels (over the
    columns both cover, at least half the true line's); the found line's points mapped to
    data units and compared with the true values interpolated at the same x. Returns (mean
    relative y error over matched lines, share of true lines matched); NaN if y is not calibrated."""
    if not res.y.calibrated or not lines:
        return float("nan"), 0.0
    f = np.log10 if log else (lambda v: v)
    span = np.ptp(f(truth[:, 3]))
    errs, found = [], 0
    for k in np.unique(truth[:, 4]):
        t = truth[truth[:, 4] == k]
        t = t[np.argsort(t[:, 0])]
        best = None
        for ln in lines:
            p = np.asarray(ln["points"], np.float64).reshape(-1, 2)
            on = (p[:, 0] >= t[0, 0]) & (p[:, 0] <= t[-1, 0])
            if not on.any() or on.sum() < 0.5 * (t[-1, 0] - t[0, 0]):
                continue
            d = np.mean(np.abs(p[on, 1] - np.interp(p[on, 0], t[:, 0], t[:, 1])))
            if best is None or d < best[0]:
                best = (d, p[on])
        if best is None:
            continue
        found += 1
        got = res.to_data(best[1])[:, 1]
        want = np.interp(best[1][:, 0], t[:, 0], f(t[:, 3]))
        with np.errstate(invalid="ignore", divide="ignore"):
            errs.append(float(np.mean(np.abs(f(got) - want))) / span)
    n = len(np.unique(truth[:, 4]))
    return (float(np.mean(errs)) if errs else float("nan")), found / max(n, 1)


def run(charts, grouper=None) -> list:
    rows = []
    for name, path, group, truth, log_y in charts:
        img = read_image(path)
        t0 = time.perf_counter()
        res = read_axes(img)
        ms = 1000 * (time.perf_counter() - t0)
        if grouper is not None:  # the shipped model's lines, end to end
            e2e, matched = e2e_error(res, grouper.predict(img).lines, truth, log_y)
        rows.append({**({"e2e_err": e2e, "e2e_matched": matched} if grouper is not None else {}),"name": name, "group": group, "ms": ms, "ocr_ms": res.ocr_ms,
                     "x": res.x.status, "y": res.y.status, "x_reason": res.x.reason, "y_reason": res.y.reason,
                     "y_scale": res.y.scale, "x_err": axis_error(res.x, truth[:, 0], truth[:, 2], False),
                     "y_err": axis_error(res.y, truth[:, 1], truth[:, 3], log_y),
                     "has_x": bool(np.isfinite(truth[:, 2]).any())})
    return rows


def summary(rows: list) -> dict:
    n = len(rows)
    out = {"charts": n, "ms_per_chart": float(np.median([r["ms"] for r in rows])) if rows else float("nan")}
    for ax in ("y", "x"):
        pool = [r for r in rows if ax == "y" or r["has_x"]]
        cal = [r for r in pool if r[ax] == "calibrated"]
        err = np.array([r[f"{ax}_err"] for r in cal], np.float64)
        err = err[np.isfinite(err)]
        out[ax] = {"charts": len(pool), "calibrated": len(cal) / max(len(pool), 1),
                   "median_err": float(np.median(err)) if len(err) else float("nan"),
                   "p95_err": float(np.percentile(err, 95)) if len(err) else float("nan"),
                   "wrong": float((err > WRONG).sum() / max(len(pool), 1))}
    if rows and "e2e_err" in rows[0]:
        e2e = np.array([r["e2e_err"] for r in rows if r["y"] == "calibrated"], np.float64)
        e2e = e2e[np.isfinite(e2e)]
        out["e2e"] = {"median_err": float(np.median(e2e)) if len(e2e) else float("nan"),
                      "p95_err": float(np.percentile(e2e, 95)) if len(e2e) else float("nan"),
                      "over_5pct": float((e2e > WRONG).mean()) if len(e2e) else float("nan"),
                      "lines_matched": float(np.mean([r["e2e_matched"] for r in rows if r["y"] == "calibrated"]))}
    return out


def table(results: dict) -> str:
    head = ("| set | charts | y calibrated | y median err | y p95 err | y wrong | x calibrated | x median err "
            "| x wrong | time/chart |\n|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for name, s in results.items():
        y, x = s["y"], s["x"]
        lines.append(f"| {name} | {s['charts']} | {y['calibrated']:.1%} | {y['median_err']:.2%} | {y['p95_err']:.2%} "
                     f"| {y['wrong']:.1%} | {x['calibrated']:.1%} (of {x['charts']}) | {x['median_err']:.2%} "
                     f"| {x['wrong']:.1%} | {s['ms_per_chart']:.0f} ms |")
    if any("e2e" in s for s in results.values()):
        lines += ["", "| set | end to end (shipped model's lines): y median err | y p95 err | charts over 5% "
                      "| true lines matched |", "|---|---|---|---|---|"]
        for name, s in results.items():
            e = s.get("e2e")
            if e:
                lines.append(f"| {name} | {e['median_err']:.2%} | {e['p95_err']:.2%} | {e['over_5pct']:.1%} "
                             f"| {e['lines_matched']:.1%} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synth", default="", help="COCO-like JSON written by `linegroup synth --axes_variety`")
    ap.add_argument("--foreign", default="", help="foreign.json written by benchmarks/foreign.py")
    ap.add_argument("--chartinfo", default="", help="folder of CHART-Info JSON + images")
    ap.add_argument("--limit", type=int, default=0, help="at most N charts per set (0 = all)")
    ap.add_argument("--e2e", action="store_true",
                    help="also run the shipped model and measure the y error of the lines it finds")
    ap.add_argument("--report", default="", help="write per-chart rows and summaries to this JSON")
    a = ap.parse_args(argv)
    sets = {"synthetic": (synth_charts, a.synth), "foreign": (foreign_charts, a.foreign),
            "CHART-Info": (chartinfo_charts, a.chartinfo)}
    results, per_chart = {}, {}
    grouper = None
    if a.e2e:
        from linegroup.predict import LineGrouper

        grouper = LineGrouper.load()
    for name, (load, src) in sets.items():
        if not src:
            continue
        per_chart[name] = run(load(src, a.limit), grouper)
        results[name] = summary(per_chart[name])
        readable = [r for r in per_chart[name] if r["group"] != "unreadable"]
        if len(readable) < len(per_chart[name]):
            results[f"{name}, readable labels"] = summary(readable)
        groups = sorted({r["group"] for r in per_chart[name]})
        if len(groups) > 1:
            for g in groups:
                results[f"{name}: {g}"] = summary([r for r in per_chart[name] if r["group"] == g])
    print(table(results))
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"summary": results, "charts": per_chart}, f, indent=1)
        print(f"report: {a.report}")


if __name__ == "__main__":
    main()
