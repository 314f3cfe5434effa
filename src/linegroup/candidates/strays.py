"""Pieces of a model's own line candidates that are not series, judged after grouping.

    labels = drop_strays(labels, xy)          # text glyphs and arrow heads far from their line
    labels = drop_arrows(labels, xy)          # annotation arrows side by side, linked into a "line"
    labels = drop_rulings(labels, xy, width)  # groups that are grid lines or axes

A model that finds its own line pixels also finds text, arrows, grid lines and axes;
some of them are only recognisable once grouped: a stray piece far from the rest of its
line, a line that is one straight ruling. Labels (N,) in 1..K (0 = none) for the
candidate pixels xy (N, 2); both return renumbered labels (1..K by size), dropped pixels 0.
Given candidates (the user's) are never judged.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..labels import drop_groups, label_columns, label_slices, renumber


TEXT_SPAN = 0.5  # drop_text: a group spanning this share of the candidates' width or more is not text
# drop_arrows: a group of ARROW_PIECES or more pieces (runs of occupied columns),
# each of ARROW_MIN_PX pixels or more, ARROW_MIN_LEN px long or more and straight (its pixels'
# spread across its line, a standard deviation, at most ARROW_SPREAD px: an arrow head's
# barbs included), all within ARROW_PARALLEL degrees of one direction that is not level
# (ARROW_LEVEL degrees from horizontal or more), and no piece on another's line (each at
# least ARROW_OFFSET px off it)
ARROW_PIECES, ARROW_MIN_PX, ARROW_MIN_LEN = 2, 30, 25
ARROW_SPREAD, ARROW_PARALLEL, ARROW_LEVEL, ARROW_OFFSET = 1.6, 8.0, 10.0, 6.0


def _column_runs(xy: np.ndarray, gap: float = 3.0):
    """Vertical runs of pixels (y gaps up to `gap` bridged): (run id per pixel in (x, y)
    order, run x, y0, y1)."""
    x = np.round(xy[:, 0]).astype(np.int64)
    y = xy[:, 1]
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    start = np.r_[True, (xs[1:] != xs[:-1]) | (np.diff(ys) > gap)]
    rid = np.cumsum(start) - 1
    end = np.r_[start[1:], True]
    return rid, xs[start], ys[start], ys[end]


def drop_rulings(labels: np.ndarray, xy: np.ndarray, width: int, min_share: float = 0.3,
                 flat: float = 3.0, max_drift: float = 1.5) -> np.ndarray:
    """Remove groups that are grid or axis rulings rather than data series: vertical ones
    (70% of the pixels in vertical runs 20 px or taller, in at most 30% of the columns the
    group spans or 10 columns; a series has one y per x and is a few px thick, several
    series stacked in one group make several short runs, and a 2-D blob fills its columns),
    and horizontal ones with 90% of their pixels within `flat` px of their median y, over
    at least `min_share` of the image width (axes with their ticks), and level: the line
    fitted to those pixels rises or falls by at most `max_drift` px across them (a ruling
    is drawn along one pixel row; a nearly flat series that drifts by a few px over the
    plot is data, not a ruling). Used on the model's
    own candidates, where grid lines, axes and frames are the usual false positives."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0:
        return labels
    order, bounds = label_slices(labels, k)
    drop = np.zeros(k + 1, bool)
    for c in range(1, k + 1):
        pts = xy[order[bounds[c]:bounds[c + 1]]]
        if len(pts) == 0:
            continue
        rid, rx, y0, y1 = _column_runs(pts)
        # most pixels in vertical runs 20+ px tall, in few of the columns the group spans
        # (rulings are thin; a 2-D blob of merged lines or background texture is not one)
        span = int(rx[-1] - rx[0]) + 1
        thin = len(np.unique(rx)) <= max(10, 0.3 * span)
        vertical = thin and ((y1 - y0 + 1)[rid] >= 20).mean() >= 0.7
        # 90% of the pixels within `flat` px of one y (an axis keeps its ticks and any text
        # that joined it), over min_share of the width
        near = np.abs(pts[:, 1] - np.median(pts[:, 1])) <= flat
        horizontal = near.mean() >= 0.9 and np.ptp(pts[:, 0]) >= min_share * width and _drift(pts[near]) <= max_drift
        drop[c] = vertical or horizontal
    return drop_groups(labels, drop)


def _drift(pts: np.ndarray) -> float:
    """How far the least-squares line through the points rises or falls across their x-range (px)."""
    x = pts[:, 0] - pts[:, 0].mean()
    sxx = float((x * x).sum())
    if sxx == 0:
        return 0.0
    slope = float((x * (pts[:, 1] - pts[:, 1].mean())).sum()) / sxx
    return abs(slope) * float(np.ptp(pts[:, 0]))


def drop_strays(labels: np.ndarray, xy: np.ndarray, radius: int = 10, max_share: float = 0.05) -> np.ndarray:
    """Remove the stray pieces of each group: pieces (pixels within 2 x `radius` px of each
    other count as one piece, so a dashed or dotted line stays whole) that hold under
    `max_share` of the group's pixels. On the model's own candidates these are text
    glyphs, arrow heads and specks that joined a line by their embedding, far from it;
    each adds points to the line's series where it has none. Pixels go to 0."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0:
        return labels
    xi = np.asarray(xy, np.int64)
    order, bounds = label_slices(labels, k)
    out = labels.copy()
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    for c in range(1, k + 1):
        idx = order[bounds[c]:bounds[c + 1]]
        if len(idx) < 2:
            continue
        p = xi[idx]
        x0, y0 = p.min(0) - radius
        m = np.zeros((int(np.ptp(p[:, 1])) + 2 * radius + 1, int(np.ptp(p[:, 0])) + 2 * radius + 1), np.uint8)
        m[p[:, 1] - y0, p[:, 0] - x0] = 1
        n, comp = cv2.connectedComponents(cv2.dilate(m, ker))
        if n <= 2:
            continue
        piece = comp[p[:, 1] - y0, p[:, 0] - x0]
        size = np.bincount(piece, minlength=n)
        stray = size < max_share * len(idx)
        out[idx[stray[piece]]] = 0
    return renumber(out)


def drop_text(labels: np.ndarray, xy: np.ndarray, max_share: float = 0.3, gap: float = 2.0,
              max_span: float = TEXT_SPAN) -> np.ndarray:
    """Remove groups that are text, not series: a series has one stroke per column (a
    marker adds a few columns with two), a word has two or more separate strokes in most
    of its columns. Groups with separate runs (y gaps over `gap` px) in more than
    `max_share` of their columns are dropped (pixels to 0), if they span under `max_span`
    of the candidates' width: a word or a legend entry is short, and a wide group with two
    strokes in its columns is two series linked into one (a pair of dotted series, a dense
    tangle: on the hard set, all of the widest groups this dropped were series), left to
    the series judge (on the foreign tune split, end to end, nothing changed; hard set
    pixel recall 0.942 -> 0.948, precision 0.952 -> 0.953)."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0:
        return labels
    sel = labels > 0
    w = int(np.round(xy[:, 0]).max()) + 1
    own = np.column_stack([labels[sel] * w + np.round(xy[sel, 0]), xy[sel, 1]])  # a column per group
    _, rx, _, _ = _column_runs(own, gap)
    cols, runs = np.unique(rx, return_counts=True)
    lab = cols // w
    n_cols = np.bincount(lab, minlength=k + 1)
    n_multi = np.bincount(lab[runs >= 2], minlength=k + 1)
    drop = n_multi > max_share * np.maximum(n_cols, 1)
    span, _ = label_columns(labels, np.round(xy[:, 0]), k)
    drop &= span < max_span * (np.ptp(np.round(xy[:, 0])) + 1)  # text is short
    return drop_groups(labels, drop)


def drop_arrows(labels: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Remove groups that are annotation arrows side by side, not a series: several straight
    strokes, parallel and slanted, none on another's line (the ARROW_* constants). A
    series' pieces carry on from one another (a dashed line's dashes lie on one path), and
    a series does not step sideways between parallel strokes with nothing joining them;
    arrows pointing from labels at lines do, and the linking may still string them
    together (the real CHART-Info chart: three arrows came out as one "line"). A group's
    pieces are its runs of occupied columns (side by side: a column or more apart); each
    piece's line is its pixels' principal axis, its straightness their spread across it
    (standard deviation), all from per-piece sums at once."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0:
        return labels
    sel = np.flatnonzero(labels > 0)
    lab = labels[sel].astype(np.int64)
    p = np.round(np.asarray(xy)[sel]).astype(np.float64)
    order = np.lexsort((p[:, 0], lab))
    lab, p = lab[order], p[order]
    new = np.r_[True, (lab[1:] != lab[:-1]) | (np.diff(p[:, 0]) > 1)]  # a new piece: another group, or a gap in x
    piece = np.cumsum(new) - 1
    n = np.bincount(piece).astype(np.float64)
    group = lab[new]
    big = n >= ARROW_MIN_PX
    cand = np.bincount(group[big], minlength=k + 1) >= ARROW_PIECES
    if not cand.any():
        return labels
    mx, my = np.bincount(piece, p[:, 0]) / n, np.bincount(piece, p[:, 1]) / n
    dx, dy = p[:, 0] - mx[piece], p[:, 1] - my[piece]
    sxx, syy, sxy = np.bincount(piece, dx * dx) / n, np.bincount(piece, dy * dy) / n, np.bincount(piece, dx * dy) / n
    theta = 0.5 * np.arctan2(2 * sxy, sxx - syy)  # each piece's principal axis
    c, s = np.cos(theta), np.sin(theta)
    along = np.sqrt(np.maximum(c * c * sxx + 2 * c * s * sxy + s * s * syy, 0))
    across = np.sqrt(np.maximum(s * s * sxx - 2 * c * s * sxy + c * c * syy, 0))
    stroke = big & (along * np.sqrt(12) >= ARROW_MIN_LEN) & (across <= ARROW_SPREAD)  # (uniform: length = sqrt(12) sd)
    ang = np.degrees(theta) % 180
    drop = np.zeros(k + 1, bool)
    for g in np.flatnonzero(cand):
        j = np.flatnonzero((group == g) & big)
        if not stroke[j].all():
            continue
        a = ang[j]
        if np.ptp(a) > ARROW_PARALLEL or np.min(np.minimum(a, 180 - a)) < ARROW_LEVEL:
            continue
        ox, oy = mx[j][None] - mx[j][:, None], my[j][None] - my[j][:, None]  # [i, m]: centre m from centre i
        off = np.abs(ox * s[j][:, None] - oy * c[j][:, None])  # distance of centre m from piece i's line
        np.fill_diagonal(off, np.inf)
        drop[g] = bool(off.min() >= ARROW_OFFSET)  # none on another's line (a dashed line's dashes are)
    return drop_groups(labels, drop)
