"""Marker centres along each line: which lines carry markers, and where each marker is.

    from linegroup.markers import find_markers, polyline
    found = find_markers(image, mask)   # image (H, W, 3) RGB uint8; mask (H, W) uint16, k = line k
    found[k] -> {"markers": [[x, y], ...] ordered by x (image pixels, sub-pixel), "marker":
                 {"size": px, "filled": bool, "shape": "circle"/"square"/.../None} or None}
    polyline(points) -> the per-column points simplified to within 0.5 px (Douglas-Peucker)

The stage sees only the grouping's output (the label mask) and the image. Per line:
1. Its ink: near its pixels (BAND px), every pixel is written as background + alpha x
   (line colour - background), alpha read by projection on that colour axis (pixels off
   the axis, another colour, get 0). alpha >= 0.5 is the line's ink; the anti-aliased rim
   of a thin stroke and of a marker falls out the same way in every renderer.
2. Blobs: holes in the ink up to a marker's area are filled (hollow markers, rings cut by
   the connector), and the distance transform measures how far each pixel is inside.
   The stroke's half-width is the lower quartile of the per-column maxima; blobs are the
   parts deeper than it by CORE_MARGIN and CORE_RATIO. A line carries markers when at
   least MIN_MARKERS compact blobs of one size (SIZE_SPREAD) are found.
3. The line's own marker: the mean of the alpha patches around its typical blobs. Every
   instance is then found by normalised cross-correlation of the alpha map with that
   template, local maxima at least SEPARATION marker radii apart, near the line's path;
   the centre is the correlation peak refined by a parabola, plus the template's own
   area centroid. Touching or overlapping markers keep separate peaks (the template has
   background around the marker), markers partly hidden or on a crossing still match.
4. A marker claimed by two lines (same colour, or one series' marker on another's path)
   goes to the line whose template matches it best (its shape and colour), nearer paths
   breaking ties.
"""

from __future__ import annotations

import cv2
import numpy as np

from .labels import label_slices

BAND = 14  # px around a line's pixels where its markers are looked for (a marker's radius and more)
INK_ALPHA = 0.5  # share of the way from background to the line's colour that makes a pixel its ink
MAX_ALPHA = 1.8  # pixels past the line's colour by more than this are another, darker ink
OFF_AXIS = 0.45  # colour distance off the background->line axis, as a share of |line - background|
MIN_CONTRAST = 25.0  # a line whose colour is this close (RGB) to the background gets no markers
CORE_MARGIN = 1.0  # a blob is deeper than the stroke's half-width by this many px...
CORE_RATIO = 1.5  # ...and by this factor
MIN_RADIUS = 1.8  # and its inscribed radius is at least this (px): markers under ~4 px are not found
MIN_MARKERS = 3  # a line carries markers when it has at least this many typical blobs
SIZE_SPREAD = 0.35  # typical blobs: inscribed radius within this share of the median
ELONGATION = 2.5  # a blob's core longer than this many times its inscribed radius is no marker
MATCH = 0.55  # least normalised correlation of an instance with the line's template
SEPARATION = 0.9  # two instances of one line are at least this many marker radii apart
NEAR_PATH = 3.0  # px: an instance lies within its radius plus this of the line's own pixels
POLY_TOL = 0.5  # px: the polyline stays within this of the per-column points
SHAPE_IOU = 0.8  # a shape class is named when the marker fits it with at least this IoU


def polyline(points, tol: float = POLY_TOL) -> list:
    """An ordered point series simplified to within tol px (cv2.approxPolyDP), first and last kept."""
    if len(points) < 3:
        return [[float(v) for v in p] for p in points]
    arr = np.asarray(points, np.float32).reshape(-1, 1, 2)
    return np.asarray(cv2.approxPolyDP(arr, tol, False)).reshape(-1, 2).astype(float).tolist()


def find_markers(image: np.ndarray, mask: np.ndarray) -> dict:
    """{line id: {"markers": [[x, y], ...], "marker": {...} or None}} for every label in mask."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    out = {}
    if len(ys) == 0:
        return out
    lab = mask[ys, xs].astype(np.int64)
    k = int(lab.max())
    order, bounds = label_slices(lab, k)
    img = image.astype(np.float32)
    found = []  # per line: (id, detections (n, 4): x, y, score, path distance; radius, info)
    for c in range(1, k + 1):
        idx = order[bounds[c]:bounds[c + 1]]
        if len(idx) == 0:
            continue
        out[c] = {"markers": [], "marker": None}
        det = _line_markers(img, mask, c, ys[idx], xs[idx])
        if det is not None:
            found.append((c, *det))
    for c, pts, info in _resolve(found):
        if len(pts) >= MIN_MARKERS:
            pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
            out[c] = {"markers": np.round(pts, 2).tolist(), "marker": info}
    return out


def _line_markers(img, mask, c, ys, xs):
    """Detections of line c: ((n, 4) x, y, score, path distance; radius; marker info) or None."""
    h, w = mask.shape
    x0, y0 = max(int(xs.min()) - BAND, 0), max(int(ys.min()) - BAND, 0)
    x1, y1 = min(int(xs.max()) + BAND + 1, w), min(int(ys.max()) + BAND + 1, h)
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    own[ys - y0, xs - x0] = 1
    near = cv2.dilate(own, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * BAND + 1,) * 2))
    alpha = _alpha(img[y0:y1, x0:x1], own, near)
    if alpha is None:
        return None
    ink = (alpha >= INK_ALPHA).astype(np.uint8)
    filled = _fill_holes(ink, int(np.pi * BAND ** 2))
    dt = cv2.distanceTransform(filled, cv2.DIST_L2, 5)
    colmax = dt.max(0)
    if not (colmax > 0).any():
        return None
    half = float(np.percentile(colmax[colmax > 0], 25))  # the stroke's half-width
    blobs = _blobs(dt, max(half + CORE_MARGIN, half * CORE_RATIO, MIN_RADIUS))
    if len(blobs) < MIN_MARKERS:
        return None
    r = float(np.median(blobs[:, 2]))
    typical = blobs[np.abs(blobs[:, 2] - r) <= SIZE_SPREAD * r]
    if len(typical) < MIN_MARKERS:
        return None
    r = float(np.median(typical[:, 2]))
    t = int(np.ceil(2 * r)) + 2  # template half-size: a triangle's corners lie 2 inscribed radii out
    body = _body(filled, half).astype(np.float32)
    tmpl, shift, info = _template(alpha, body, typical[:, :2], t)
    if tmpl is None:
        return None
    det = _match(body, own, tmpl, t, r)
    if len(det) == 0:
        return None
    det[:, 0] += x0 + shift[0]
    det[:, 1] += y0 + shift[1]
    return det, r, info


def _alpha(crop: np.ndarray, own: np.ndarray, near: np.ndarray):
    """(h, w) float32: per pixel of the band, its share of the way from the background to the
    line's colour (0 off the band, and for pixels of another colour). None: no contrast."""
    band = np.nonzero(near)
    pix = crop[band]
    is_own = own[band] > 0
    q = (pix // 16).astype(np.int64)
    key = (q[:, 0] * 16 + q[:, 1]) * 16 + q[:, 2]
    others = key[~is_own] if (~is_own).any() else key
    bg_key = np.bincount(others).argmax()
    bg = pix[key == bg_key].mean(0)
    mine = pix[is_own]
    dist = np.linalg.norm(mine - bg, axis=1)
    core = mine[dist >= np.percentile(dist, 70)]  # the stroke's core, not its anti-aliased rim
    colour = np.median(core, axis=0)
    d = colour - bg
    dn = float(np.dot(d, d))
    if dn < MIN_CONTRAST ** 2:
        return None
    v = pix - bg
    a = v @ d / dn
    off = np.linalg.norm(v - a[:, None] * d[None, :], axis=1)
    a = np.where((off <= OFF_AXIS * np.sqrt(dn) + 12) & (a <= MAX_ALPHA), np.clip(a, 0, 1), 0)
    alpha = np.zeros(own.shape, np.float32)
    alpha[band] = a
    return alpha


def _fill_holes(ink: np.ndarray, max_area: int) -> np.ndarray:
    """ink (uint8 0/1) with its enclosed background regions up to max_area px filled."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(1 - ink, connectivity=4)
    border = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    fill = stats[:, cv2.CC_STAT_AREA] <= max_area
    fill[border] = False
    fill[0] = fill[0] and 0 not in border
    return (ink.astype(bool) | fill[lab]).astype(np.uint8)


def _blobs(dt: np.ndarray, depth: float) -> np.ndarray:
    """(n, 3) x, y, inscribed radius of the compact parts of the ink deeper than `depth`:
    each core's centroid weighted by its depth past `depth`."""
    core = (dt > depth).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    if n <= 1:
        return np.zeros((0, 3))
    yy, xx = np.nonzero(lab)
    ll = lab[yy, xx]
    wgt = dt[yy, xx] - depth
    sw = np.bincount(ll, wgt, n)
    cx = np.bincount(ll, wgt * xx, n) / np.maximum(sw, 1e-9)
    cy = np.bincount(ll, wgt * yy, n) / np.maximum(sw, 1e-9)
    peak = np.zeros(n)
    np.maximum.at(peak, ll, dt[yy, xx])
    length = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    ok = np.arange(n) > 0
    ok &= length + 2 * depth <= ELONGATION * 2 * peak  # the whole blob is compact, not a long band
    return np.column_stack([cx, cy, peak])[ok]


def _body(filled: np.ndarray, half: float) -> np.ndarray:
    """The filled ink opened by a disc wider than the stroke: markers without their connector."""
    k = 2 * int(np.ceil(half + 1)) + 1
    return cv2.morphologyEx(filled, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))


def _template(alpha, body, centres, t):
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
    info = {"size": int(max(bw, bh)), "filled": filled_marker, "shape": _shape_class(shape)}
    return pb.astype(np.float32), shift, info


def _shape_class(shape: np.ndarray):
    """circle, square, diamond, triangle-up or triangle-down where one fits with IoU >= SHAPE_IOU."""
    h, w = shape.shape
    if min(h, w) < 5:
        return None
    ideal = {name: np.zeros((h, w), np.uint8) for name in ("circle", "square", "diamond", "triangle-up",
                                                            "triangle-down")}
    cv2.ellipse(ideal["circle"], (((w - 1) / 2, (h - 1) / 2), (float(w), float(h)), 0.0), 1, -1)
    ideal["square"][:] = 1
    polys = {"diamond": [(w / 2, 0), (w, h / 2), (w / 2, h), (0, h / 2)],
             "triangle-up": [(w / 2, 0), (w, h), (0, h)], "triangle-down": [(0, 0), (w, 0), (w / 2, h)]}
    for name, pts in polys.items():
        cv2.fillPoly(ideal[name], [np.round(np.array(pts) - 0.5).astype(np.int32)], 1)
    s = shape > 0
    iou = {n: (s & (m > 0)).sum() / max((s | (m > 0)).sum(), 1) for n, m in ideal.items()}
    best = sorted(iou, key=iou.get, reverse=True)
    if iou[best[0]] >= SHAPE_IOU and iou[best[0]] - iou[best[1]] >= 0.05:
        return best[0]
    return None


def _match(body, own, tmpl, t, r):
    """(n, 4) x, y, score, path distance (crop pixels, patch centres) of the template's instances."""
    pad = ((t, t), (t, t))
    score = cv2.matchTemplate(np.pad(body, pad), tmpl, cv2.TM_CCOEFF_NORMED)  # centred on each crop pixel
    score = np.nan_to_num(score, nan=0.0, posinf=0.0, neginf=0.0)
    sep = max(1, int(round(SEPARATION * r)))
    peak = (score >= MATCH) & (score >= cv2.dilate(score, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                                       (2 * sep + 1,) * 2)))
    peak &= body > 0
    path = cv2.distanceTransform((1 - own).astype(np.uint8), cv2.DIST_L2, 3)
    peak &= path <= r + NEAR_PATH
    cy, cx = np.nonzero(peak)
    sh, sw = score.shape

    def at(dy, dx):
        return score[np.clip(cy + dy, 0, sh - 1), np.clip(cx + dx, 0, sw - 1)]
    s0 = at(0, 0)
    fx = _parabola(at(0, -1), s0, at(0, 1))
    fy = _parabola(at(-1, 0), s0, at(1, 0))
    return np.column_stack([cx + fx, cy + fy, s0, path[cy, cx]])


def _parabola(a, b, c):
    """Sub-pixel offset (-0.5..0.5) of the peak of a parabola through (-1, a), (0, b), (1, c)."""
    den = a - 2 * b + c
    return np.clip(np.where(den < -1e-9, 0.5 * (a - c) / np.where(den < -1e-9, den, -1), 0.0), -0.5, 0.5)


def _resolve(found):
    """[(line id, (n, 2) centres, marker info)]: each marker claimed by several lines kept by
    the line whose template matches it best (ties: the nearer path)."""
    if not found:
        return []
    ids = np.concatenate([np.full(len(d), i) for i, (_, d, _, _) in enumerate(found)])
    det = np.concatenate([d for _, d, _, _ in found])
    rad = np.array([found[i][2] for i in ids])
    quality = det[:, 2] - 0.02 * det[:, 3]
    order = np.argsort(-quality, kind="stable")
    keep = np.zeros(len(det), bool)
    xy = det[:, :2]
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    clash = (d2 < np.minimum(rad[:, None], rad[None, :]) ** 2) & (ids[:, None] != ids[None, :])
    for i in order:  # one pass over detections (a few hundred), not over pixels
        if not (clash[i] & keep).any():
            keep[i] = True
    return [(c, det[keep & (ids == i), :2], info) for i, (c, _, _, info) in enumerate(found)]
