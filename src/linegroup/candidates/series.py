"""Which groups of a model's own candidates are data series: a learned judge, after grouping.

    F = group_features(labels, xy, image, prob, area)   # (K, len(FEATURES)), one row per group
    labels = drop_nonseries(labels, F, model, bias)      # groups judged not a series -> 0

A network that finds its own line pixels also fires on what is drawn with the same pens
as the data or looks like it: legend entries and their labels, tick labels, titles,
dashed grid lines, annotation arrows, the texture of a dark or scanned background. The
grouping puts those pixels in groups of their own, and each comes out as an extra "line"
(on the foreign-renderer tune split, 229 such groups on 60 charts against 275 true
lines). The rules of `strays.py` (words, rulings, stray pieces) each catch one kind;
what is left is told apart from a series by many weak cues together, so a small
gradient-boosted tree model judges each group from them:

  * extent: pixels, x and y span against the plot area (or the candidates' extent when
    no axes were found) and against the chart's longest group; where it lies;
  * shape: share of its columns it covers between its ends (a dashed or dotted series
    covers a third or more, a scatter of glyphs far less), thickness, columns holding
    two or more separate runs (text), flatness, vertical runs, smoothness of its path,
    number of pieces along x;
  * ink: the network's mean and low line probability over it, contrast with the
    background, chroma and colour spread (a series has one ink);
  * context: the number of groups, the group's rank by size, the share of its pixels
    outside the plot area;
  * level: how far its path rises (px, RISE_PCT of its column centres), the ink's own
    contrast (INK_PCT of its pixels'; the median is the network's band around the ink),
    and how many other level groups the chart has (LEVEL; grid lines come in families,
    a level series is alone).

The model is fitted on synthetic charts drawn with `linegroup synth --themes
--level_frac 0.15` (never on the foreign-renderer set) by `scripts/fit_series.py`, which
labels each group as series (most of its pixels on one true line, and the largest group
of that line) or not (most of its pixels on no line); the remaining groups, pieces of a
line that the grouping did not join, are left out of the fit. Near-level series (small
values beside large ones) must be in those charts: fitted on charts without them (5 of
5,015 series level, against 112 of 2,188 other groups), the judge learnt that a long
level group is a grid line and dropped 8 of the 263 true series it saw on the foreign
tune split (a dashed series near the axis, coloured series of small values) and 16 of 501
on the report split; fitted with them, 3 and 6, keeping 7 of 24 and 26 of 70 groups that
are not series (6 and 24 before; `benchmarks/judge_groups.py`). It is stored with the link models (`links.npz`,
prefix `s_`) as plain arrays (`grouping/trees.py`). A group is dropped when its
log-odds of being a series are below `bias` (SERIES_BIAS, chosen on the foreign
set's tune split). Given candidates (the user's) are never judged.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..labels import label_slices, renumber

FEATURES = ("log_n", "share_n", "rank_n", "x_span", "x_span_rel", "y_span", "cover", "thick", "multi_runs",
            "flat", "vertical", "smooth", "pieces", "prob_mean", "prob_low", "contrast", "chroma", "colour_spread",
            "n_groups", "rank", "outside", "x_centre", "y_centre", "has_area",
            "rise", "contrast_hi", "level_mates")
SERIES_BIAS = -1.0  # log-odds below which a group is not a series (chosen on the foreign tune split: -3..1)
RUN_GAP = 2  # px: a y gap over this in a column separates two runs
PIECE_GAP = 4  # px: an x gap over this separates two pieces of a group along x
RISE_PCT = (5, 95)  # the rise of a group's path: these percentiles of its column centres, apart (px)
LEVEL = (0.8, 0.3)  # a level group: this share "flat" or more, spanning this share of the plot's width or more
INK_PCT = 90  # the ink's contrast: this percentile of the group's contrast (its median is the band's)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """(n, 3) uint8 RGB -> (n, 3) float32 OpenCV Lab (0..255 each)."""
    return cv2.cvtColor(np.ascontiguousarray(rgb, np.uint8).reshape(1, -1, 3), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)


def background_lab(image: np.ndarray, step: int = 3) -> np.ndarray:
    """The commonest colour of the image (its background; Lab in bins of 8, every `step`-th
    pixel each way), in Lab."""
    lab = _lab(image[::step, ::step].reshape(-1, 3))
    q = (lab // 8).astype(np.int64)
    key = q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2]
    return lab[key == np.bincount(key).argmax()].mean(0)


def _group_shape(xi: np.ndarray, yi: np.ndarray) -> tuple:
    """Shape cues of one group's pixels (int x, y): columns, multi-run share, vertical
    share, smoothness, pieces along x, rise (px)."""
    order = np.lexsort((yi, xi))
    xs, ys = xi[order], yi[order]
    new_col = np.r_[True, xs[1:] != xs[:-1]]
    new_run = new_col | np.r_[False, np.diff(ys) > RUN_GAP]
    cols = xs[new_col]
    col_id = np.cumsum(new_col) - 1
    runs_per_col = np.bincount(col_id[new_run], minlength=len(cols))
    run_id = np.cumsum(new_run) - 1
    run_len = np.bincount(run_id)
    vertical = float((run_len[run_id] >= 20).mean())
    centre = np.bincount(col_id, ys) / np.bincount(col_id)
    steps = np.abs(np.diff(centre)) / np.maximum(np.diff(cols), 1)
    smooth = float(np.median(steps)) if len(steps) else 0.0
    pieces = 1 + int((np.diff(cols) > PIECE_GAP).sum())
    lo, hi = np.percentile(centre, RISE_PCT)
    return len(cols), float((runs_per_col >= 2).mean()), vertical, smooth, pieces, float(hi - lo)


def group_features(labels: np.ndarray, xy: np.ndarray, image: np.ndarray, prob: np.ndarray | None,
                   area: tuple | None) -> np.ndarray:
    """(K, len(FEATURES)) float64: the cues of the module docstring for groups 1..K of the
    candidate pixels xy (N, 2) with labels (N,) (0 = none); image (h, w, 3) RGB and prob
    (h, w) at the same resolution as xy; area: the plot area (x0, y0, x1, y1) there, or None."""
    k = int(labels.max()) if len(labels) else 0
    out = np.zeros((k, len(FEATURES)))
    if k == 0:
        return out
    xi = np.round(xy[:, 0]).astype(np.int64)
    yi = np.round(xy[:, 1]).astype(np.int64)
    sel = labels > 0
    if area is not None:
        ax0, ay0, ax1, ay1 = area
    else:  # the candidates' own extent
        ax0, ay0, ax1, ay1 = xi[sel].min(), yi[sel].min(), xi[sel].max(), yi[sel].max()
    aw, ah = max(ax1 - ax0, 1), max(ay1 - ay0, 1)
    bg = background_lab(image)
    lab = _lab(image[yi, xi])
    contrast = np.linalg.norm(lab - bg, axis=1)
    chroma = np.hypot(lab[:, 1] - 128, lab[:, 2] - 128)
    p = prob[yi, xi] if prob is not None else np.ones(len(xi))
    outside = (xi < ax0 - 2) | (xi > ax1 + 2) | (yi < ay0 - 2) | (yi > ay1 + 2)
    order, bounds = label_slices(labels, k)
    n = np.diff(bounds)[1:].astype(np.float64)
    for c in range(1, k + 1):
        idx = order[bounds[c]:bounds[c + 1]]
        if len(idx) == 0:
            continue
        gx, gy = xi[idx], yi[idx]
        xspan, yspan = np.ptp(gx) + 1, np.ptp(gy) + 1
        cols, multi, vertical, smooth, pieces, rise = _group_shape(gx, gy)
        r = out[c - 1]
        r[:] = (np.log(len(idx)), 0, 0, xspan / aw, xspan, yspan / ah, cols / xspan, len(idx) / cols, multi,
                (np.abs(gy - np.median(gy)) <= 3).mean(), vertical, smooth, pieces,
                p[idx].mean(), np.percentile(p[idx], 10), np.median(contrast[idx]), np.median(chroma[idx]),
                lab[idx].std(0).mean(), k, 0, outside[idx].mean(), (gx.mean() - ax0) / aw, (gy.mean() - ay0) / ah,
                float(area is not None), rise, np.percentile(contrast[idx], INK_PCT), 0)
    col = FEATURES.index  # the chart-wide cues, filled in once every group is measured
    out[:, col("share_n")] = n / n.sum()
    out[:, col("rank_n")] = n / n.max()
    out[:, col("x_span_rel")] /= max(out[:, col("x_span_rel")].max(), 1)
    out[:, col("rank")] = np.argsort(np.argsort(-n)) / max(k - 1, 1)
    level = (out[:, col("flat")] >= LEVEL[0]) & (out[:, col("x_span")] >= LEVEL[1])
    out[:, col("level_mates")] = level.sum() - level  # grid lines come in families; a level series alone
    return out


def drop_nonseries(labels: np.ndarray, feats: np.ndarray, model, bias: float = SERIES_BIAS) -> np.ndarray:
    """Labels with the groups whose series log-odds (model.logit(feats)) are below `bias`
    set to 0, renumbered 1..K by size. The largest group is always kept."""
    k = len(feats)
    if k == 0 or model is None:
        return labels
    drop = model.logit(feats) < bias
    drop[np.argmax(feats[:, 0])] = False
    if not drop.any():
        return labels
    keep = np.r_[False, ~drop]
    out = np.where(keep[labels], labels, 0)
    return renumber(out)
