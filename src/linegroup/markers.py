"""Marker centres along each line: which lines carry markers, and where each marker is.

    from linegroup.markers import find_markers, polyline
    found = find_markers(image, mask)   # image (H, W, 3) RGB uint8; mask (H, W) uint16, k = line k
    found[k] -> {"markers": [[x, y], ...] ordered by x (image pixels, sub-pixel), "marker":
                 {"size": px, "filled": bool, "shape": "circle"/"square"/.../None} or None}
    polyline(points) -> the per-column points simplified to within 0.5 px (Douglas-Peucker)

The stage sees only the grouping's output (the label mask) and the image. Per line:
1. Its ink: near its pixels (BAND px), every pixel is written as background + alpha x
   (line colour - background), alpha read by projection on that colour axis (pixels off
   the axis by over OFF_AXIS, another colour, get 0); the background is the commonest
   colour of the lines' box. alpha >= 0.5 is the line's ink; the anti-aliased rim of a
   thin stroke and of a marker falls out the same way in every renderer.
2. Blobs: every region the ink encloses is filled (hollow markers, rings cut by the
   connector), and the distance transform measures how far each pixel is inside. The
   stroke's half-width is the STROKE_PCT percentile of the per-column maxima (a band
   wider than THICK everywhere is touching markers over a thin connector). A blob's core
   is the pixels within PROMINENCE of the deepest point near them, so touching markers
   joined by a shallower neck come apart; blobs must be compact (ELONGATION) and have at
   most two strokes leaving them (a crossing of strokes has four), and no other line's
   pixel within OTHERS_PX of their centre (two same-colour strokes crossing at a shallow
   angle overlap in a blob with two arms) to count towards the decision below. A line carries markers
   when at least MIN_MARKERS blobs of one size (SIZE_SPREAD) are wider than the stroke
   by WIDER px a side, or by NARROW px when at least twice as many are one glyph repeated
   (CONSISTENT: joints, whose strokes leave at the path's angles, differ from one another).
3. The line's own marker: the mean of the patches around its typical blobs of the ink
   opened past the stroke (the marker without its connector). Every instance is then
   found by normalised cross-correlation with that template (score >= MATCH), local
   maxima SEPARATION radii apart, near the line's own pixels (scored only on the
   TILE-square tiles that hold such pixels, not on the line's whole box); the centre is
   the correlation peak refined by a parabola, plus the template's own area centroid.
   An instance must be deeper than the stroke by DEPTH_SHARE of the way to the marker's
   radius (not a stretch of a thick stroke that the template matches).
   Markers that overlap, are partly hidden or sit on a crossing still match. When the
   mean patch is wider than MERGED radii (its neighbours touch it), plain discs, squares
   and diamonds of the blobs' width are tried too.
   Markers that overlap into a continuous band (a dense series, or a crowded stretch of
   one: no neck between them) are counted by the band's period instead
   (`markerbands.py`): a line whose columns are mostly deeper than BAND_DEPTH is tried
   for bands, and in each band its markers replace the template's instances when those
   are fewer than BAND_GAIN of their number.
4. A marker claimed by two lines (same colour, or one series' marker on another's path)
   goes to the line whose template matches it best, less PATH_WEIGHT per radius its path
   passes off the marker's centre.
Vectorised over pixels (OpenCV and numpy); Python loops run over lines and detections.
The per-line statistics (percentiles, medians, connected components) take shortcuts that
give numpy's and OpenCV's exact answers without their per-call overhead.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from .labels import components, label_slices
from .markerbands import band_markers
from .orderstats import above_percentile, ceil_percentile, median, percentile

BAND = 14  # px around a line's pixels where its markers are looked for (a marker's radius and more)
INK_ALPHA = 0.5  # share of the way from background to the line's colour that makes a pixel its ink
MAX_ALPHA = 1.8  # pixels past the line's colour by more than this are another, darker ink
OFF_AXIS = 0.3  # colour distance off the background->line axis, as a share of |line - background|
MIN_CONTRAST = 25.0  # a line whose colour is this close (RGB) to the background gets no markers
STROKE_PCT = 10  # the stroke's half-width: this percentile of the per-column depth maxima
THICK = 2.5  # px: ink whose narrowest columns are over twice this is a band of markers, not a stroke
CORE_MARGIN = 1.0  # a blob is deeper than the stroke's half-width by this many px...
WIDER = 2.0  # px: a line's markers are wider than its stroke by at least twice this
NARROW = 1.5  # px: markers narrower than WIDER but wider than this (a side) count when at least
#   2 x MIN_MARKERS blobs are one glyph repeated (CONSISTENT)
CONSISTENT = 0.9  # one glyph: the blobs' median normalised correlation with their mean
MIN_RADIUS = 1.8  # and its inscribed radius is at least this (px): markers under ~4 px are not found
PROMINENCE = 1.0  # px: a blob's core lies within this (or PROM_SHARE of its depth) of its deepest point,
PROM_SHARE = 0.25  # so touching markers, joined by a shallower neck, come apart
MIN_MARKERS = 3  # a line carries markers when it has at least this many typical blobs
SIZE_SPREAD = 0.35  # typical blobs: inscribed radius within this share of the median
ARM_SAMPLES = 48  # points on the circle around a blob where the strokes leaving it are counted
OTHERS_PX = 1.5  # px: a blob with another line's pixel this close to its centre is at a crossing
ELONGATION = 2.5  # a blob's core longer than this many times its inscribed radius is no marker
MERGED = 4.5  # a mean marker wider than this many inscribed radii holds its touching neighbours too
DEPTH_SHARE = 0.5  # an instance's ink is deeper than the stroke by this share of the way to the marker's radius
MATCH = 0.3  # least normalised correlation of an instance with the line's template
SEPARATION = 0.9  # two instances of one line are at least this many marker radii apart
NEAR_PATH = 3.0  # px: an instance lies within its radius plus this of the line's own pixels
PATH_WEIGHT = 0.5  # a claimed marker's score loses this much per radius its line's path is off its centre
TILE = 64  # px: template scores are computed on the tiles of this side that hold the line's path
BAND_DEPTH = 2.5  # px: lines whose columns are mostly deeper than this are tried as a dense band too
BAND_GAIN = 0.6  # a dense band's markers replace the template's instances there when those are fewer than this share
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
    pts = cv2.findNonZero((mask > 0).view(np.uint8))  # x, y in row-major order, as np.nonzero
    out = {}
    if pts is None:
        return out
    xs, ys = pts.reshape(-1, 2).T
    lab = mask[ys, xs].astype(np.int64)
    k = int(lab.max())
    order, bounds = label_slices(lab, k)
    y0, x0 = max(int(ys.min()) - BAND, 0), max(int(xs.min()) - BAND, 0)  # work in the lines' box
    img = image[y0:int(ys.max()) + BAND + 1, x0:int(xs.max()) + BAND + 1]
    img = img if img.dtype == np.uint8 else img.astype(np.float32)
    ys, xs = ys - y0, xs - x0
    bg = background_colour(img)
    lines = np.zeros(img.shape[:2], np.uint8)  # every line's pixels, for the crossings
    lines[ys, xs] = 1
    v = cv2.subtract(img, (*map(float, bg), 0.0), dtype=cv2.CV_32F)  # every pixel's colour less the background's
    vv = cv2.transform(v * v, np.ones((1, 3), np.float32))  # and its squared length
    found = []  # per line: (id, detections (n, 4): x, y, score, path distance; radius, info)
    for c in range(1, k + 1):
        idx = order[bounds[c]:bounds[c + 1]]
        if len(idx) == 0:
            continue
        out[c] = {"markers": [], "marker": None}
        det = _line_markers(v, vv, ys[idx], xs[idx], lines)
        if det is not None:
            det[0][:, :2] += (x0, y0)
            found.append((c, *det))
    for c, pts, info in _resolve(found):
        if len(pts) >= MIN_MARKERS:
            pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
            out[c] = {"markers": np.round(pts, 2).tolist(), "marker": info}
    return out


def background_colour(img: np.ndarray) -> np.ndarray:
    """The plot's background colour: the commonest colour (16 levels a channel) of the lines'
    box and its margin, every third pixel each way."""
    box = img[::3, ::3].reshape(-1, 3)
    if box.dtype == np.uint8:
        q = (box >> 4).astype(np.intp)
    else:
        box = box.astype(np.float32)
        q = (box // 16).astype(np.intp)
    key = (q[:, 0] * 16 + q[:, 1]) * 16 + q[:, 2]
    sel = key == np.bincount(key).argmax()
    if box.dtype == np.uint8:
        total = sel.astype(np.float64) @ box  # exact channel sums of the commonest bin's pixels
        if total.max() < 2 ** 24:  # then float32 sums are exact in any order too: numpy's float32 mean
            return (total / np.count_nonzero(sel)).astype(np.float32)
    return box[sel].astype(np.float32).mean(0).astype(np.float32)


def _line_markers(v, vv, ys, xs, lines):
    """Detections of one line (its pixels ys, xs; v, vv: the image less its background and its
    squared length; lines: 1 at every line's pixels): ((n, 4) x, y, score, path distance;
    radius; marker info) or None."""
    h, w = vv.shape
    x0, y0 = max(int(xs.min()) - BAND, 0), max(int(ys.min()) - BAND, 0)
    x1, y1 = min(int(xs.max()) + BAND + 1, w), min(int(ys.max()) + BAND + 1, h)
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    own[ys - y0, xs - x0] = 1
    near = cv2.dilate(own, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * BAND + 1,) * 2))
    alpha = _alpha(v[y0:y1, x0:x1], vv[y0:y1, x0:x1], v[ys, xs], near)
    if alpha is None:
        return None
    filled = _fill_holes((alpha >= INK_ALPHA).astype(np.uint8))
    dt = cv2.distanceTransform(filled, cv2.DIST_L2, 5)
    colmax = dt.max(0)
    deep = colmax[colmax > 0]
    if len(deep) == 0:
        return None
    half = stroke = float(percentile(deep, STROKE_PCT))  # the stroke's half-width
    wide = colmax >= max(half + CORE_MARGIN, MIN_RADIUS)
    band = band_markers(filled, own, alpha) if median(deep) >= BAND_DEPTH else None
    # fewer than MIN_MARKERS stretches of columns where the ink is wider than the stroke: no separate markers
    few = half <= THICK and np.count_nonzero(np.diff(wide.astype(np.int8)) == 1) + wide[0] < MIN_MARKERS
    if half > THICK:  # no stroke is that thick: a band of touching markers over a thin connector
        half = 1.0
    got = None if few else _templated(alpha, filled, dt, deep, own, lines[y0:y1, x0:x1], half, stroke)
    if band is not None:
        got = _with_bands(got, *band)
    if got is None:
        return None
    det, r, info = got
    det[:, 0] += x0
    det[:, 1] += y0
    return det, r, info


def _with_bands(got, centres, ranges, r):
    """The template's detections (got: ((n, 4), radius, info) or None), with the markers of
    each dense band (markerbands.py; centres (m, 2), ranges (k, 2) their x ranges) in
    place of the template's there when it found fewer than BAND_GAIN of their number."""
    det = got[0] if got is not None else np.zeros((0, 4))
    inside = (centres[:, None, 0] >= ranges[None, :, 0]) & (centres[:, None, 0] <= ranges[None, :, 1])
    hit = (det[:, None, 0] >= ranges[None, :, 0]) & (det[:, None, 0] <= ranges[None, :, 1])
    use = hit.sum(0) < BAND_GAIN * inside.sum(0)  # per band: its period's count wins
    if not use.any():
        return got
    keep = ~(hit & use[None]).any(1)
    new = centres[(inside & use[None]).any(1)]
    det = np.concatenate([det[keep], np.column_stack([new, np.full(len(new), MATCH), np.zeros(len(new))])])
    if got is not None:
        return det, got[1], got[2]
    return det, r, {"size": 2 * int(round(r)) + 1, "filled": True, "shape": None}


def _templated(alpha, filled, dt, deep, own, others, half, stroke):
    """Detections of the line's separate markers, in its box (deep: its columns' depths): blobs,
    its template, every instance of it (steps 2 and 3 of the module docstring): ((n, 4),
    radius, info) or None."""
    reach = max(2, ceil_percentile(deep, 90))  # about a marker's radius
    blobs = _blobs(dt, half + CORE_MARGIN, reach)
    blobs = blobs[_arms(filled, blobs) <= 2]  # a crossing of strokes has four arms, a marker on its line two
    blobs = blobs[~_on_others(others, own, blobs)]  # where another line crosses
    if len(blobs) < MIN_MARKERS:
        return None
    r = float(median(blobs[:, 2]))
    typical = blobs[np.abs(blobs[:, 2] - r) <= SIZE_SPREAD * r]
    if len(typical) < MIN_MARKERS:
        return None
    r = float(median(typical[:, 2]))
    if r < half + WIDER and (r < half + NARROW or len(typical) < 2 * MIN_MARKERS
                             or _consistency(alpha, typical[:, :2], r) < CONSISTENT):
        return None  # blobs hardly wider than the stroke, and not one glyph repeated: its joints and crossings
    t = int(np.ceil(2 * r)) + 2  # template half-size: a triangle's corners lie 2 inscribed radii out
    body = _body(filled, half, r).astype(np.float32)
    tmpl, shift, info = _template(alpha, body, typical[:, :2], t)
    if tmpl is None:
        return None
    ctx = _prepare(body, own, t, r)
    det = _match(ctx, tmpl)
    if info["size"] > MERGED * r:  # the mean patch holds neighbours too: a dense series of touching markers
        det, tmpl, shift, info = _dense(ctx, body, det, tmpl, shift, info)
    det = det[_deep_enough(dt, det, stroke, r)]
    if len(det) == 0:
        return None
    det[:, 0] += shift[0]
    det[:, 1] += shift[1]
    return det, r, info


def _deep_enough(dt: np.ndarray, det: np.ndarray, stroke: float, r: float) -> np.ndarray:
    """(n,) bool: the detections whose filled ink, within a third of a radius of their centre,
    is deeper than the stroke's half-width by DEPTH_SHARE of the way to the marker's inscribed
    radius. A marker is wider than its stroke; a stretch of the stroke the template happens
    to match (a thick line under markers hardly wider than it) is not."""
    if len(det) == 0 or r <= stroke:
        return np.ones(len(det), bool)
    k = 2 * max(1, int(round(r / 3))) + 1
    near = cv2.dilate(dt, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    h, w = dt.shape
    x = np.clip(np.round(det[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(det[:, 1]).astype(int), 0, h - 1)
    return near[y, x] >= stroke + DEPTH_SHARE * (r - stroke)


def _alpha(v: np.ndarray, vv: np.ndarray, mine: np.ndarray, near: np.ndarray):
    """(h, w) float32: per pixel of the band, its share of the way from the background to the
    line's colour (0 off the band, and for pixels of another colour). None: no contrast.
    v, vv: the crop less the background and its squared length; mine: the line's own pixels' v."""
    dist = np.einsum("ij,ij->i", mine, mine)
    colour = median(mine[above_percentile(dist, 70)])  # the stroke's core, not its rim
    dn = float(np.dot(colour, colour))
    if dn < MIN_CONTRAST ** 2:
        return None
    a = cv2.transform(v, (colour / dn).reshape(1, 3).astype(np.float32))
    off2 = a * a
    off2 *= dn
    np.subtract(vv, off2, out=off2)  # squared colour distance off the background -> line axis
    ok = off2 <= (OFF_AXIS * np.sqrt(dn) + 12) ** 2
    ok &= a <= MAX_ALPHA
    ok &= near.view(bool)  # near: 0/1
    np.clip(a, 0, 1, out=a)
    a[~ok] = 0
    return a


def _fill_holes(ink: np.ndarray) -> np.ndarray:
    """ink (uint8 0/1) with every background region it encloses filled (rings, hollow squares)."""
    h, w = ink.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = ink
    cv2.floodFill(pad, None, (0, 0), 2)  # the background reachable from outside
    return (pad[1:-1, 1:-1] != 2).astype(np.uint8)


def _on_others(lines: np.ndarray, own: np.ndarray, blobs: np.ndarray) -> np.ndarray:
    """Per blob: does another line's pixel (lines and not own, both the line's box) lie
    within OTHERS_PX of its centre. Such a blob may be where the two strokes cross (thick
    where they overlap, and at a shallow angle with two arms on the ring), so it does not
    count towards deciding that the line carries markers; once it does, its markers there
    are still found by the template. (A marker touching another series' marker or
    connector has that line's pixels about a radius from its centre, not at it.)"""
    h, w = own.shape
    cx = np.round(blobs[:, 0]).astype(int)
    cy = np.round(blobs[:, 1]).astype(int)
    r = int(OTHERS_PX)
    hit = np.zeros(len(blobs), bool)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy <= OTHERS_PX * OTHERS_PX:
                y, x = np.clip(cy + dy, 0, h - 1), np.clip(cx + dx, 0, w - 1)
                hit |= (lines[y, x] > 0) & (own[y, x] == 0)
    return hit


def _arms(filled: np.ndarray, blobs: np.ndarray) -> np.ndarray:
    """Per blob: how many ink strokes leave it, counted on a circle of twice its radius."""
    if len(blobs) == 0:
        return np.zeros(0, int)
    ang = np.linspace(0, 2 * np.pi, ARM_SAMPLES, endpoint=False)
    rad = 2 * blobs[:, 2:3] + 1
    x = np.clip(np.round(blobs[:, :1] + rad * np.cos(ang)), 0, filled.shape[1] - 1).astype(int)
    y = np.clip(np.round(blobs[:, 1:2] + rad * np.sin(ang)), 0, filled.shape[0] - 1).astype(int)
    ring = filled[y, x] > 0
    return (ring & ~np.roll(ring, 1, axis=1)).sum(1)


def _blobs(dt: np.ndarray, depth: float, reach: int) -> np.ndarray:
    """(n, 3) x, y, inscribed radius of the ink's compact blobs deeper than `depth`: the core
    of each is the pixels within PROMINENCE of the deepest one within `reach`; its centre is
    the core's centroid."""
    top = cv2.dilate(dt, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1,) * 2))
    level = top * PROM_SHARE  # the core's floor: top - max(PROMINENCE, PROM_SHARE * top), at least depth
    np.maximum(level, PROMINENCE, out=level)
    np.subtract(top, level, out=level)
    np.maximum(level, max(depth, MIN_RADIUS - PROMINENCE), out=level)
    n, _, stats, cents = components((dt > level).view(np.uint8))
    if n <= 1:
        return np.zeros((0, 3))
    cx, cy = cents[:, 0], cents[:, 1]
    peak = top[np.round(cy).astype(int), np.round(cx).astype(int)]  # the deepest point near the core
    length = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    ok = (peak >= MIN_RADIUS) & (length <= ELONGATION * peak)  # compact, not a stretch of a thick line
    return np.column_stack([cx, cy, peak])[ok]


def _consistency(alpha, centres, r):
    """Median normalised correlation of the ink within r + 1 px of each blob's centre with the
    mean of them: near 1 when every blob is one glyph (markers), lower for joints, whose strokes
    leave at the angles of the path."""
    q = int(np.ceil(r)) + 1
    size = (2 * q + 1, 2 * q + 1)
    yy, xx = np.mgrid[-q:q + 1, -q:q + 1]
    disc = (xx * xx + yy * yy <= (r + 1) ** 2).ravel()
    pat = np.stack([cv2.getRectSubPix(alpha, size, (float(x), float(y))).ravel()[disc] for x, y in centres])
    pat = pat - pat.mean(1, keepdims=True)
    mean = pat.mean(0)
    num = pat @ mean
    den = np.sqrt((pat * pat).sum(1) * (mean @ mean)) + 1e-9
    return float(median(num / den))


def _body(filled: np.ndarray, half: float, r: float) -> np.ndarray:
    """The filled ink opened by a disc wider than the stroke (half-width `half`) and narrower
    than the marker (inscribed radius `r`): the markers without their connector."""
    k = 2 * int(np.ceil(min(half, 0.4 * r) + 1)) + 1
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


def _dense(ctx, body, det, tmpl, shift, info):
    """A dense series: plain discs, squares and diamonds about as wide as the blobs tried as
    templates beside the learned one; the one with the most instances times their median score
    is kept. Returns (detections, template, shift, info)."""
    t, r = ctx["t"], ctx["r"]
    best = len(det) * float(median(det[:, 2])) if len(det) else 0.0
    info = {**info, "size": 2 * int(round(r)) + 1, "shape": None}  # the merged patch's size is not a marker's
    for side, name in itertools.product(range(2 * int(r) - 3, 2 * int(r) + 3, 2), ("circle", "square", "diamond")):
        ideal = _ideal_shapes(side, side)[name]
        pad = t - ideal.shape[0] // 2
        cand = np.pad(ideal.astype(np.float32), pad)
        got = _match(ctx, cand)
        fit = len(got) * float(median(got[:, 2])) if len(got) else 0.0
        if fit > best:
            best, det, tmpl, shift = fit, got, cand, (0.0, 0.0)
            info = {"size": int(ideal.shape[0]), "filled": info["filled"], "shape": name}
    if shift == (0.0, 0.0) and len(det) >= MIN_MARKERS:  # a plain shape won: learn the real one where it matched
        size = (2 * t + 1, 2 * t + 1)
        cand = np.mean([cv2.getRectSubPix(body, size, (float(x), float(y))) for x, y in det[:, :2]], axis=0)
        got = _match(ctx, cand)
        if len(got) and len(got) * float(median(got[:, 2])) > best:
            det, tmpl = got, cand
    return det, tmpl, shift, info


def _shape_class(shape: np.ndarray):
    """circle, square, diamond, triangle-up or triangle-down where one fits with IoU >= SHAPE_IOU."""
    h, w = shape.shape
    if min(h, w) < 5:
        return None
    ideal = _ideal_shapes(h, w)
    s = shape > 0
    iou = {n: (s & (m > 0)).sum() / max((s | (m > 0)).sum(), 1) for n, m in ideal.items()}
    best = sorted(iou, key=iou.get, reverse=True)
    if iou[best[0]] >= SHAPE_IOU and iou[best[0]] - iou[best[1]] >= 0.05:
        return best[0]
    return None


def _ideal_shapes(h: int, w: int) -> dict:
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


def _prepare(body, own, t, r):
    """What every template tried on one line shares: the padded body, the distance to the line's own pixels, the candidate centres (body pixels near the path) and
    the runs of TILE-square tiles holding them, where alone the scores are computed."""
    h, w = body.shape
    padded = np.pad(body, ((t, t), (t, t)))
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


def _match(ctx, tmpl):
    """(n, 4) x, y, score, path distance (crop pixels, patch centres) of the template's instances:
    normalised correlation >= MATCH, local maxima SEPARATION radii apart, near the line's path."""
    r = ctx["r"]
    score = np.nan_to_num(_tiled(ctx, tmpl), nan=0.0, posinf=0.0, neginf=0.0)
    sep = max(1, int(round(SEPARATION * r)))
    peak = (score >= MATCH) & (score >= cv2.dilate(score, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                                       (2 * sep + 1,) * 2)))
    cy, cx = np.nonzero(peak & ctx["cand"])
    sh, sw = score.shape

    def at(dy, dx):
        return score[np.clip(cy + dy, 0, sh - 1), np.clip(cx + dx, 0, sw - 1)]
    s0 = at(0, 0)
    fx = _parabola(at(0, -1), s0, at(0, 1))
    fy = _parabola(at(-1, 0), s0, at(1, 0))
    return np.column_stack([cx + fx, cy + fy, s0, ctx["path"][cy, cx]])


def _parabola(a, b, c):
    """Sub-pixel offset (-0.5..0.5) of the peak of a parabola through (-1, a), (0, b), (1, c)."""
    den = a - 2 * b + c
    return np.clip(np.where(den < -1e-9, 0.5 * (a - c) / np.where(den < -1e-9, den, -1), 0.0), -0.5, 0.5)


def _resolve(found):
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
    keep = np.zeros(len(det), bool)
    xy = det[:, :2]
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    same = ids[:, None] == ids[None, :]
    clash = np.where(same, d2 < (0.5 * rad[:, None]) ** 2, d2 < np.minimum(rad[:, None], rad[None, :]) ** 2)
    np.fill_diagonal(clash, False)
    for i in order:  # one pass over detections (a few hundred), not over pixels
        if not (clash[i] & keep).any():
            keep[i] = True
    return [(c, det[keep & (ids == i), :2], info) for i, (c, _, _, info) in enumerate(found)]
