"""Scoring line instances against ground-truth polylines, and the two baselines.

    linegroup evaluate --json val.json --img_dir val/ --mode oracle --baselines --report report.json

Modes: `oracle` gives every method the ground-truth line pixels (rasterised at
--thickness) as candidates, so only the grouping is scored; `e2e` lets the model find
its own candidates (the baselines then group the model's candidates).

Metrics, per chart and as means per group (the image field "group", if any):
  ari      adjusted Rand index on pixels that belong to exactly one true line
  pq       panoptic quality: one-to-one matches at IoU > 0.5, sum(IoU) / (TP + FP/2 + FN/2)
           (in e2e, IoU of the masks after a 2-px dilation)
  count    1 if the number of predicted lines equals the number of true lines
  s6a/s6b  CHART-Info 2022 line scores in pixel space: each line a series ordered by x;
           a pair is scored by the F-score of interval-weighted recall and precision with
           error min(1, |y - y'| / (|y| + eps)), eps = 1% of the true line's y range;
           Hungarian matching; 6a divides by #true, 6b by max(#true, #predicted)
  pix_p/r  (e2e) precision and recall of "is a line pixel" with a 2-px tolerance

Truth: each line's polyline rasterised at --thickness, or the exact drawn pixels where an
image names a label mask (`label_mask`). A series drawn as markers only (an annotation with
style.markers_only and its "markers", as `linegroup synth` writes them) is its drawn
markers (`data.marker_truth`): the polyline through them is not drawn, and a method that
finds the markers has found all of the series.

Baselines: `color` (what a colour-picking digitiser does: DBSCAN on the Lab colour of
the candidates) and `cc` (8-connected components of the candidate mask).
"""

from __future__ import annotations

import json
import os
import traceback
from collections import defaultdict

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from .data import drawn_masks, load_coco_lines, rasterize, read_label_mask
from .grouping.dbscan import GroupParams, absorb_small, group_pixels
from .images import ImageError, LinegroupError, read_image
from .predict import lines_from_mask

METRICS = ["ari", "pq", "count", "s6a", "s6b", "pix_p", "pix_r"]


# ---------------------------------------------------------------------------------
# CHART-Info task-6 line score


def _interval_weights(xs: np.ndarray) -> np.ndarray:
    if len(xs) == 1:
        return np.ones(1)
    w = np.empty(len(xs))
    w[0] = (xs[1] - xs[0]) / 2
    w[-1] = (xs[-1] - xs[-2]) / 2
    w[1:-1] = (xs[2:] - xs[:-2]) / 2
    return w


def _cont_recall(p_xs, p_ys, g_xs, g_ys, eps: float) -> float:
    w = _interval_weights(g_xs)
    err = np.minimum(1.0, np.abs(g_ys - np.interp(g_xs, p_xs, p_ys)) / (np.abs(g_ys) + eps))
    tot = w.sum()
    return float(((1 - err) * w).sum() / tot) if tot > 0 else 0.0


def line_pair_score(pred: np.ndarray, gt: np.ndarray) -> float:
    """F-score of interval-weighted recall and precision of two (n, 2) point series."""
    if len(pred) == 0 or len(gt) == 0:
        return float(len(pred) == len(gt))
    pred = pred[np.argsort(pred[:, 0], kind="stable")]
    gt = gt[np.argsort(gt[:, 0], kind="stable")]
    eps = np.ptp(gt[:, 1]) / 100.0
    r = _cont_recall(pred[:, 0], pred[:, 1], gt[:, 0], gt[:, 1], eps)
    p = _cont_recall(gt[:, 0], gt[:, 1], pred[:, 0], pred[:, 1], eps)
    return 2 * p * r / (p + r) if p + r else 0.0


def chartinfo_line_scores(pred_lines: list, gt_lines: list) -> tuple[float, float]:
    """(6a, 6b) for lists of (n, 2) series."""
    if not gt_lines:
        return (1.0, 1.0) if not pred_lines else (0.0, 0.0)
    if not pred_lines:
        return 0.0, 0.0
    s = np.array([[line_pair_score(p, g) for p in pred_lines] for g in gt_lines])
    r, c = linear_sum_assignment(-s)
    total = s[r, c].sum()
    return total / len(gt_lines), total / max(len(gt_lines), len(pred_lines))


# ---------------------------------------------------------------------------------
# mask metrics


def _masks(label: np.ndarray, k: int, dilate: int = 0) -> np.ndarray:
    """(k, H*W) float32 binary masks of labels 1..k."""
    out = np.zeros((k, label.size), np.float32)
    ker = np.ones((2 * dilate + 1,) * 2, np.uint8) if dilate else None
    for i in range(k):
        m = (label == i + 1).astype(np.uint8)
        if ker is not None:
            m = cv2.dilate(m, ker)
        out[i] = m.reshape(-1)
    return out


def panoptic_quality(gt_masks: np.ndarray, pred_masks: np.ndarray) -> float:
    """PQ with one-to-one matching at IoU > 0.5 (unique by construction)."""
    ng, npred = len(gt_masks), len(pred_masks)
    if ng == 0 and npred == 0:
        return 1.0
    if ng == 0 or npred == 0:
        return 0.0
    inter = gt_masks @ pred_masks.T
    union = gt_masks.sum(1)[:, None] + pred_masks.sum(1)[None] - inter
    iou = inter / np.maximum(union, 1)
    tp = iou > 0.5
    n_tp = int(tp.sum())
    return float(iou[tp].sum() / (n_tp + 0.5 * (npred - n_tp) + 0.5 * (ng - n_tp)))


def truth_masks(gt_lines: list, height: int, width: int, thickness: int = 2, e2e: bool = False,
                drawn: list | None = None) -> dict:
    """Rasters of the true lines, made once per chart and shared by every method scored:
    inst/valid/line (as data.rasterize gives them) and `full`, each line's own (k, H*W) mask
    with its overlaps (dilated by 2 px in e2e). drawn: per line None (its polyline rasterised
    at `thickness`) or its own bool mask (a markers-only series' markers: data.marker_truth)."""
    drawn = drawn or [None] * len(gt_lines)
    masks = [rasterize([p], height, width, thickness)[2] if d is None else d for p, d in zip(gt_lines, drawn)]
    inst, valid, line = rasterize(gt_lines, height, width, thickness, drawn=masks)  # each line drawn once
    return {"inst": inst, "valid": valid, "line": line, "full": _stack(masks, len(masks), e2e), "e2e": e2e}


def _stack(masks, n: int, e2e: bool) -> np.ndarray:
    """(n, H*W) float32 of n bool masks, each dilated by 2 px in e2e."""
    ker = np.ones((5, 5), np.uint8)
    rows = [(cv2.dilate(m.astype(np.uint8), ker) if e2e else m.astype(np.uint8)).reshape(-1) for m in masks]
    return np.array(rows, np.float32).reshape(n, -1)


def truth_from_label_mask(path: str, n_lines: int, height: int, width: int, e2e: bool = False) -> dict:
    """truth_masks() from an exact label image (k = line k's pixel, 65535 = two or more
    lines'): the candidates are the drawn pixels themselves, overlaps excluded from ARI."""
    lab = read_label_mask(path, height, width).astype(np.int64)
    line = lab > 0
    valid = line & (lab <= n_lines)
    inst = np.where(valid, lab, 0).astype(np.int32)
    full = _stack((inst == k for k in range(1, n_lines + 1)), n_lines, e2e)
    return {"inst": inst, "valid": valid, "line": line, "full": full, "e2e": e2e}


def record_truth(rec, e2e: bool, thickness: int = 2, image: np.ndarray | None = None) -> dict:
    """truth_masks() of a dataset record: from its exact label image where it names one
    (truth_from_label_mask), else from its polylines rasterised at `thickness`; with the chart
    `image`, a series drawn as markers only is its drawn markers (data.marker_truth), not the
    undrawn polyline through them."""
    if rec.label_mask:
        return truth_from_label_mask(rec.label_mask, len(rec.lines), rec.height, rec.width, e2e)
    drawn = drawn_masks(getattr(rec, "marker_only", []), image)
    return truth_masks(rec.lines, rec.height, rec.width, thickness, e2e=e2e, drawn=drawn)


def score_chart(pred_mask: np.ndarray, pred_lines: list, gt_lines: list, height: int, width: int,
                thickness: int = 2, e2e: bool = False, truth: dict | None = None) -> dict:
    """All metrics of one chart. gt_lines: per line a list of (n, 2) pieces; truth: their
    truth_masks(), if already made."""
    if truth is None or truth["e2e"] != e2e:
        truth = truth_masks(gt_lines, height, width, thickness, e2e)
    inst, valid, line, gt_full = truth["inst"], truth["valid"], truth["line"], truth["full"]
    k = len(gt_lines)
    npred = int(pred_mask.max())
    pred_masks = _masks(pred_mask, npred, 2 if e2e else 0)
    res = {"n_true": k, "n_pred": npred, "count": float(npred == k),
           "pq": panoptic_quality(gt_full, pred_masks)}
    res["ari"] = float(adjusted_rand_score(inst[valid], pred_mask[valid])) if valid.any() else float("nan")
    gt_series = [np.concatenate(p) for p in gt_lines]
    pred_series = [np.asarray(ln["points"], np.float64).reshape(-1, 2) for ln in pred_lines]
    res["s6a"], res["s6b"] = chartinfo_line_scores(pred_series, gt_series)
    if e2e:
        ker = np.ones((5, 5), np.uint8)
        pm = pred_mask > 0
        res["pix_p"] = float((pm & cv2.dilate(line.astype(np.uint8), ker).astype(bool)).sum() / max(pm.sum(), 1))
        res["pix_r"] = float((line & cv2.dilate(pm.astype(np.uint8), ker).astype(bool)).sum() / max(line.sum(), 1))
    return res


# ---------------------------------------------------------------------------------
# baselines


def group_baseline(method: str, image: np.ndarray, cand: np.ndarray, min_line_pixels: int = 25) -> np.ndarray:
    """Label mask (uint16) of the candidates by colour clustering or connected components."""
    h, w = cand.shape
    ys, xs = np.nonzero(cand)
    mask = np.zeros((h, w), np.uint16)
    if len(ys) == 0:
        return mask
    xy = np.column_stack([xs, ys]).astype(np.float32)
    if method == "color":
        # as a user of a colour picker would: ignore background-coloured candidates (the
        # page behind a thin line), cluster the rest by Lab colour, then give each ignored
        # pixel the label of the spatially nearest line
        lab_img = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
        q = (lab_img.reshape(-1, 3) // 8).astype(np.int64)
        keys, counts = np.unique(q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2], return_counts=True)
        bg_key = keys[np.argmax(counts)]
        bg = lab_img.reshape(-1, 3)[(q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2]) == bg_key].mean(0)
        lab = lab_img[ys, xs]
        ink = np.linalg.norm(lab - bg, axis=1) > 15
        p = GroupParams(eps=6.0, min_samples=10, noise_dist=20.0, min_line_pixels=min_line_pixels)
        labels = np.zeros(len(ys), np.int32)
        if ink.any():
            labels[ink] = group_pixels(lab[ink], xy[ink], p)
            if (~ink).any() and labels.max() > 0:
                from sklearn.neighbors import NearestNeighbors

                nn = NearestNeighbors(n_neighbors=1).fit(xy[labels > 0])
                labels[~ink] = labels[labels > 0][nn.kneighbors(xy[~ink])[1][:, 0]]
    elif method == "cc":
        _, cc = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
        labels = absorb_small(cc[ys, xs].astype(np.int32), xy, GroupParams(min_line_pixels=min_line_pixels))
    else:
        raise ValueError(f"unknown baseline {method!r} (color, cc)")
    mask[ys, xs] = labels
    return mask


# ---------------------------------------------------------------------------------


def _score_record(rec, grouper, mode: str, methods, thickness: int) -> list[dict]:
    """One chart's rows, one per method; raises for a chart that cannot be scored."""
    img = read_image(rec.path)
    if img.shape[:2] != (rec.height, rec.width):
        raise ImageError(f"{rec.path}: image is {img.shape[1]}x{img.shape[0]} but its JSON entry "
                         f"says {rec.width}x{rec.height}")
    truth = record_truth(rec, mode == "e2e", thickness, img)
    gt_line = truth["line"]
    model_res = None
    if "model" in methods or mode == "e2e":
        model_res = grouper.predict(img, candidates=gt_line if mode == "oracle" else None)
    rows = []
    for method in methods:
        if method == "model":
            mask, lines, t = model_res.mask, model_res.lines, model_res.timings
        else:
            cand = gt_line if mode == "oracle" else model_res.mask > 0
            mask = group_baseline(method, img, cand)
            lines, t = lines_from_mask(mask), {}
        s = score_chart(mask, lines, rec.lines, rec.height, rec.width, thickness, mode == "e2e", truth)
        rows.append({"image": os.path.basename(rec.path), "group": rec.group or "all", "method": method, **s, **t})
    return rows


def evaluate_dataset(json_path: str, img_dir: str, grouper=None, mode: str = "oracle", methods=("model",),
                     thickness: int = 2, line_category_id: int = 2, limit: int = 0, progress: bool = True,
                     split: str = "", debug: bool = False) -> dict:
    """Run each method over the dataset. Returns {"per_chart": [...], "summary": {...}, "errors": [...],
    "scored": charts scored, "skipped": {reason: count}}. A chart that cannot be scored is
    named in "errors" (with the traceback when `debug`) and the others go on.
    Charts whose entry names a `label_mask` are scored against it (exact drawn pixels);
    `split` keeps only the charts of that named split."""
    from tqdm import tqdm

    if mode not in ("oracle", "e2e"):
        raise ValueError(f"mode must be oracle or e2e, not {mode!r}")
    records, report = load_coco_lines(json_path, img_dir, line_category_id)
    if split:
        records = [r for r in records if r.split == split]
    if limit:
        records = records[:limit]
    per_chart, errors = [], []
    for rec in tqdm(records, desc=f"evaluate ({mode})", unit="chart", disable=not progress):
        try:  # one chart's problem, expected or not, is reported under its name and the rest go on
            per_chart += _score_record(rec, grouper, mode, methods, thickness)
        except LinegroupError as e:
            errors.append(str(e))
        except Exception as e:  # noqa: BLE001
            errors.append(f"{rec.path}: unexpected {type(e).__name__}: {e}"
                          + (f"\n{traceback.format_exc().rstrip()}" if debug else " (--debug shows the traceback)"))
    return {"mode": mode, "json": json_path, "per_chart": per_chart, "summary": summarise(per_chart),
            "errors": errors, "skipped": dict(report.skipped), "scored": len(records) - len(errors)}


def summarise(per_chart: list) -> dict:
    """{method: {group: {metric: mean, "n": count}}}, with an "all" group."""
    acc = defaultdict(lambda: defaultdict(list))
    for r in per_chart:
        for g in {r["group"], "all"}:
            acc[r["method"]][g].append(r)
    out = {}
    for method, groups in acc.items():
        out[method] = {}
        for g, rows in sorted(groups.items()):
            row = {"n": len(rows)}
            for m in METRICS + ["network_ms", "grouping_ms"]:
                vals = [r[m] for r in rows if m in r and r[m] == r[m]]  # skip NaN
                if vals:
                    row[m] = float(np.mean(vals))
            out[method][g] = row
    return out


def format_table(summary: dict) -> str:
    cols = [m for m in METRICS if any(m in row for g in summary.values() for row in g.values())]
    head = f"{'method':<8} {'group':<12} {'n':>4} " + " ".join(f"{c:>6}" for c in cols)
    lines = [head, "-" * len(head)]
    for method, groups in summary.items():
        for g, row in groups.items():
            vals = " ".join(f"{row[c]:6.3f}" if c in row else f"{'-':>6}" for c in cols)
            lines.append(f"{method:<8} {g:<12} {row['n']:>4} {vals}")
    return "\n".join(lines)


def write_report(path: str, result: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, path)
