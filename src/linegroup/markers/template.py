"""A line's own marker, learned from its typical blobs, and every instance of it.

    from linegroup.markers.template import learn_template, prepare, match, dense_template, resolve

Step 3 and 4 of the marker stage (`markers/__init__.py`). The template is the mean of the
patches around the line's typical blobs of its ink opened past the stroke (the marker
without its connector; `learn_template`, which also names its size, fill and shape).
Every instance is found by normalised cross-correlation with it (score >= MATCH), local
maxima SEPARATION radii apart, near the line's own pixels (scored only on the TILE-square
tiles that hold such pixels; `prepare`, `match`); the centre is the correlation peak
refined by a parabola, plus the template's own area centroid. When the mean patch holds
its touching neighbours too, plain discs, squares and diamonds are tried beside it
(`dense_template`). A marker claimed by two lines goes to the one whose template matches
it best, less PATH_WEIGHT per radius its path passes off the marker's centre (`resolve`).
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from ..orderstats import median
from .blobs import MIN_MARKERS

MATCH = 0.3  # least normalised correlation of an instance with the line's template
SEPARATION = 0.9  # two instances of one line are at least this many marker radii apart
SPACED = 0.8  # a plain shape tried on a dense series counts instances at least this many sides apart
NEAR_PATH = 3.0  # px: an instance lies within its radius plus this of the line's own pixels
PATH_WEIGHT = 0.5  # a claimed marker's score loses this much per radius its line's path is off its centre
TILE = 64  # px: template scores are computed on the tiles of this side that hold the line's path
SHAPE_IOU = 0.8  # a shape class is named when the marker fits it with at least this IoU


def learn_template(alpha, body, centres, t):
    """Mean marker-body patch (2t+1 square) around the typical blobs, the offset of its area
    centroid from the patch centre, and the marker's description (alpha tells filled from hollow)."""
    size = (2 * t + 1, 2 * t + 1)
    pa = np.mean([cv2.getRectSubPix(alpha, size, (float(x), float(y))) for x, y in centres], axis=0)
    pb = np.mean([cv2.getRectSubPix(body, size, (float(x), float(y))) for x, y in centres], axis=0)
    n, lab, stats, _ = cv2.connectedComponentsWithStats((pb > 0.5).astype(np.uint8), connectivity=8)
    if n <= 1 or lab[t, t] == 0 or pb.std() < 1e-3:
        return None, None, None
    j = lab[t, t]
    wgt = pb * (lab == j)
    yy, xx = np.mgrid[:2 * t + 1, :2 * t + 1]
    shift = (float((wgt * xx).sum() / wgt.sum() - t), float((wgt * yy).sum() / wgt.sum() - t))
    bx, by, bw, bh = stats[j, :4]
    shape = (lab[by:by + bh, bx:bx + bw] == j).astype(np.uint8)
    inner = cv2.erode(shape, np.ones((3, 3), np.uint8), iterations=max(1, min(bw, bh) // 5))
    filled_marker = bool(inner.any() and pa[by:by + bh, bx:bx + bw][inner > 0].mean() >= 0.6)
    info = {"size": int(max(bw, bh)), "filled": filled_marker, "shape": shape_class(shape)}
    return pb.astype(np.float32), shift, info


def dense_template(ctx, body, det, tmpl, shift, info):
    """A dense series: plain discs, squares and diamonds about as wide as the blobs tried as
    templates beside the learned one; the one with the most instances times their median score
    is kept, a plain shape's instances counted once per SPACED sides (`spaced`: on a level row of
    touching discs a diamond fitted each disc at both its sides, and won on its doubled count).
    Returns (detections, template, shift, info)."""
    t, r = ctx["t"], ctx["r"]
    best = len(det) * float(median(det[:, 2])) if len(det) else 0.0
    info = {**info, "size": 2 * int(round(r)) + 1, "shape": None}  # the merged patch's size is not a marker's
    for side, name in itertools.product(range(2 * int(r) - 3, 2 * int(r) + 3, 2), ("circle", "square", "diamond")):
        ideal = ideal_shapes(side, side)[name]
        pad = t - ideal.shape[0] // 2
        cand = cv2.copyMakeBorder(ideal.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        got = spaced(match(ctx, cand), SPACED * side)  # a plain shape fits a marker once, not at both its sides
        fit = len(got) * float(median(got[:, 2])) if len(got) else 0.0
        if fit > best:
            best, det, tmpl, shift = fit, got, cand, (0.0, 0.0)
            info = {"size": int(ideal.shape[0]), "filled": info["filled"], "shape": name}
    if shift == (0.0, 0.0) and len(det) >= MIN_MARKERS:  # a plain shape won: learn the real one where it matched
        size = (2 * t + 1, 2 * t + 1)
        cand = np.mean([cv2.getRectSubPix(body, size, (float(x), float(y))) for x, y in det[:, :2]], axis=0)
        got = spaced(match(ctx, cand), SPACED * info["size"])  # counted as the plain shapes were
        if len(got) and len(got) * float(median(got[:, 2])) > best:
            det, tmpl = got, cand
    return det, tmpl, shift, info


def spaced(det: np.ndarray, gap: float) -> np.ndarray:
    """The detections (n, 4) with any closer than gap px to a better-scoring one left out
    (greedy, best first; ties by position): touching markers are a side apart."""
    if len(det) < 2:
        return det
    order = np.lexsort((det[:, 1], det[:, 0], -det[:, 2]))
    d2 = ((det[:, None, :2] - det[None, :, :2]) ** 2).sum(-1)
    return det[_greedy(order, d2 < gap * gap)]


def _greedy(order: np.ndarray, clash: np.ndarray) -> np.ndarray:
    """(n,) bool: each detection in `order` kept unless it clashes (clash (n, n) bool) with
    one kept before it. One pass over the detections (a few hundred), not over pixels."""
    keep = np.zeros(len(order), bool)
    for i in order:
        keep[i] = not (clash[i] & keep).any()
    return keep


def shape_class(shape: np.ndarray):
    """circle, square, diamond, triangle-up or triangle-down where one fits with IoU >= SHAPE_IOU."""
    h, w = shape.shape
    if min(h, w) < 5:
        return None
    ideal = ideal_shapes(h, w)
    s = shape > 0
    iou = {n: (s & (m > 0)).sum() / max((s | (m > 0)).sum(), 1) for n, m in ideal.items()}
    best = sorted(iou, key=iou.get, reverse=True)
    if iou[best[0]] >= SHAPE_IOU and iou[best[0]] - iou[best[1]] >= 0.05:
        return best[0]
    return None


def ideal_shapes(h: int, w: int) -> dict:
    """{name: (h, w) uint8 0/1} circle, square, diamond, triangle-up, triangle-down filling an h x w box."""
    ideal = {name: np.zeros((h, w), np.uint8) for name in ("circle", "square", "diamond", "triangle-up",
                                                            "triangle-down")}
    cv2.ellipse(ideal["circle"], (((w - 1) / 2, (h - 1) / 2), (float(w), float(h)), 0.0), 1, -1)
    ideal["square"][:] = 1
    polys = {"diamond": [(w / 2, 0), (w, h / 2), (w / 2, h), (0, h / 2)],
             "triangle-up": [(w / 2, 0), (w, h), (0, h)], "triangle-down": [(0, 0), (w, 0), (w / 2, h)]}
    for name, pts in polys.items():
        cv2.fillPoly(ideal[name], [np.round(np.array(pts) - 0.5).astype(np.int32)], 1)
    return ideal


def prepare(body, own, t, r):
    """What every template tried on one line shares: the padded body, the distance to the
    line's own pixels, the candidate centres (body pixels near the path) and
    the runs of TILE-square tiles holding them, where alone the scores are computed."""
    h, w = body.shape
    padded = cv2.copyMakeBorder(body, t, t, t, t, cv2.BORDER_CONSTANT, value=0)
    path = cv2.distanceTransform((1 - own).astype(np.uint8), cv2.DIST_L2, 3)
    cand = (body > 0) & (path <= r + NEAR_PATH)
    gh, gw = -(-h // TILE), -(-w // TILE)
    occ = np.zeros((gh * TILE, gw * TILE), bool)
    occ[:h, :w] = cv2.dilate(cand.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    occ = occ.reshape(gh, TILE, gw, TILE).any((1, 3))
    runs = []
    for i in np.nonzero(occ.any(1))[0]:  # a few tile rows; in each, runs of occupied tiles
        row = np.concatenate([[0], occ[i].astype(np.int8), [0]])
        starts, ends = np.nonzero(np.diff(row) == 1)[0], np.nonzero(np.diff(row) == -1)[0]
        runs += [(i * TILE, min((i + 1) * TILE, h), j0 * TILE, min(j1 * TILE, w)) for j0, j1 in zip(starts, ends)]
    return {"padded": padded, "path": path, "cand": cand, "runs": runs, "t": t, "r": r}


def _tiled(ctx, tmpl):
    """cv2.matchTemplate (normalised correlation) of the template with the body, centred on each
    crop pixel, computed on the occupied tiles only (0 elsewhere)."""
    t, src = ctx["t"], ctx["padded"]
    out = np.zeros(ctx["cand"].shape, np.float32)
    for ya, yb, xa, xb in ctx["runs"]:
        out[ya:yb, xa:xb] = cv2.matchTemplate(src[ya:yb + 2 * t, xa:xb + 2 * t], tmpl, cv2.TM_CCOEFF_NORMED)
    return out


def match(ctx, tmpl):
    """(n, 4) x, y, score, path distance (crop pixels, patch centres) of the template's instances:
    normalised correlation >= MATCH, local maxima SEPARATION radii apart, near the line's path."""
    r = ctx["r"]
    score = _tiled(ctx, tmpl)
    score[~np.isfinite(score)] = 0.0  # a flat patch's correlation
    sep = max(1, int(round(SEPARATION * r)))
    peak = (score >= MATCH) & (score >= cv2.dilate(score, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                                       (2 * sep + 1,) * 2)))
    cy, cx = np.nonzero(peak & ctx["cand"])
    sh, sw = score.shape
    up, down = np.maximum(cy - 1, 0), np.minimum(cy + 1, sh - 1)  # the neighbours, kept inside
    left, right = np.maximum(cx - 1, 0), np.minimum(cx + 1, sw - 1)
    s0 = score[cy, cx]
    fx = _parabola(score[cy, left], s0, score[cy, right])
    fy = _parabola(score[up, cx], s0, score[down, cx])
    return np.column_stack([cx + fx, cy + fy, s0, ctx["path"][cy, cx]])


def _parabola(a, b, c):
    """Sub-pixel offset (-0.5..0.5) of the peak of a parabola through (-1, a), (0, b), (1, c)."""
    den = a - 2 * b + c
    return np.clip(np.where(den < -1e-9, 0.5 * (a - c) / np.where(den < -1e-9, den, -1), 0.0), -0.5, 0.5)


def resolve(found):
    """[(line id, (n, 2) centres, marker info)]: each marker claimed by several lines kept by
    the line whose template matches it best, less PATH_WEIGHT x its path's distance in radii
    (a marker sits on its own line's path; another path crosses it off centre). Two
    detections of one line closer than half a radius (a plateau of the score) are one."""
    if not found:
        return []
    ids = np.concatenate([np.full(len(d), i) for i, (_, d, _, _) in enumerate(found)])
    det = np.concatenate([d for _, d, _, _ in found])
    rad = np.array([found[i][2] for i in ids])
    quality = det[:, 2] - PATH_WEIGHT * det[:, 3] / rad
    order = np.argsort(-quality, kind="stable")
    xy = det[:, :2]
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    same = ids[:, None] == ids[None, :]
    clash = np.where(same, d2 < (0.5 * rad[:, None]) ** 2, d2 < np.minimum(rad[:, None], rad[None, :]) ** 2)
    keep = _greedy(order, clash)
    return [(c, det[keep & (ids == i), :2], info) for i, (c, _, _, info) in enumerate(found)]
