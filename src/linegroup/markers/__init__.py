"""Marker centres along each line: which lines carry markers, and where each marker is.

    from linegroup.markers import find_markers, polyline
    found = find_markers(image, mask)   # image (H, W, 3) RGB uint8; mask (H, W) uint16, k = line k
    found[k] -> {"markers": [[x, y], ...] ordered by x (image pixels, sub-pixel), "marker":
                 {"size": px, "filled": bool, "shape": "circle"/"square"/.../None} or None}
    polyline(points) -> the per-column points simplified to within 0.5 px (Douglas-Peucker)

The stage sees only the grouping's output (the label mask) and the image; this file runs
it per line, one step per file:
1. Its ink (`ink.py`): near its pixels (BAND px), every pixel is written as background +
   alpha x (line colour - background), alpha read by projection on that colour axis
   (pixels off the axis, another colour, get 0); the background is the commonest colour
   of the lines' box. alpha >= INK_ALPHA is the line's ink; the anti-aliased rim of a
   thin stroke and of a marker falls out the same way in every renderer. Every region the
   ink encloses is filled (hollow markers, rings cut by the connector); for the blobs and
   the template, not where other lines' pixels make much of its rim (a loop of two
   same-colour lines).
2. Blobs (`blobs.py`): the distance transform measures how far each pixel is inside. The
   stroke's half-width is the STROKE_PCT percentile of the per-column maxima (a band
   wider than THICK everywhere is touching markers over a thin connector). A blob's core
   is the pixels near the deepest point near them, so touching markers joined by a
   shallower neck come apart; blobs must be compact, have at most two strokes leaving
   them (a crossing of strokes has four), and no other line's pixel at their centre (two
   same-colour strokes crossing at a shallow angle) to count towards the decision. A line
   carries markers when at least MIN_MARKERS blobs of one size (SIZE_SPREAD) are wider
   than the stroke by WIDER px a side, or by NARROW px when at least twice as many are
   one glyph repeated (CONSISTENT: joints, whose strokes leave at the path's angles,
   differ from one another).
3. The line's own marker (`template.py`): the mean of the patches around its typical
   blobs of the ink opened past the stroke (the marker without its connector). Every
   instance is then found by normalised cross-correlation with that template, near the
   line's own pixels; the centre is the correlation peak refined by a parabola, plus the
   template's own area centroid. An instance must be deeper than the stroke by a share of
   the way to the marker's radius (not a stretch of a thick stroke that the template
   matches). Markers that overlap, are partly hidden or sit on a crossing still match.
   When the mean patch is wider than MERGED radii (its neighbours touch it), plain discs,
   squares and diamonds of the blobs' width are tried too (a shape's instances under
   0.8 of its side apart count once: it may fit a marker at both its sides).
   A blob of marker ink that holds more markers than were found in it (its area over
   the line's own one-marker blobs' area; points measured at close x values) gets one
   centre per marker, by k-means of its pixels (`piles.py`).
   Markers that overlap into a continuous band (a dense series, or a crowded stretch of
   one: no neck between them) are counted by the band's period instead (`bands.py`): a
   line whose columns are deeper than BAND_DEPTH in their BAND_PCT percentile is tried
   for bands, and in each band its markers replace the template's instances when those
   are fewer than BAND_GAIN of their number.
4. A marker claimed by two lines (same colour, or one series' marker on another's path)
   goes to the line whose template matches it best, less a weight per radius its path
   passes off the marker's centre (`template.resolve`).
Each file's constants are documented where they are defined.
Vectorised over pixels (OpenCV and numpy); Python loops run over lines and detections.
The per-line statistics (percentiles, medians, connected components) take shortcuts that
give numpy's and OpenCV's exact answers without their per-call overhead.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..labels import label_slices
from ..orderstats import ceil_percentile, median, percentile
from .bands import band_markers
from .blobs import MIN_MARKERS, MIN_RADIUS, arms, body_of, consistency, deep_enough, find_blobs, on_others
from .ink import INK_ALPHA, background_colour, fill_holes, line_alpha, open_loops
from .piles import split_piles
from .template import MATCH, dense_template, learn_template, match, prepare, resolve

__all__ = ["find_markers", "polyline", "background_colour"]

BAND = 14  # px around a line's pixels where its markers are looked for (a marker's radius and more)
STROKE_PCT = 10  # the stroke's half-width: this percentile of the per-column depth maxima
THICK = 2.5  # px: ink whose narrowest columns are over twice this is a band of markers, not a stroke
CORE_MARGIN = 1.0  # a blob is deeper than the stroke's half-width by this many px...
WIDER = 2.0  # px: a line's markers are wider than its stroke by at least twice this
NARROW = 1.5  # px: markers narrower than WIDER but wider than this (a side) count when at least
#   2 x MIN_MARKERS blobs are one glyph repeated (CONSISTENT)
CONSISTENT = 0.9  # one glyph: the blobs' median normalised correlation with their mean
SIZE_SPREAD = 0.35  # typical blobs: inscribed radius within this share of the median
MERGED = 4.5  # a mean marker wider than this many inscribed radii holds its touching neighbours too
BAND_DEPTH = 2.5  # px: lines whose columns are deeper than this (in their BAND_PCT percentile) are tried
BAND_PCT = 75  # as a dense band too: touching triangles are shallower than a disc between their tips
BAND_GAIN = 0.6  # a dense band's markers replace the template's instances there when those are fewer than this share
POLY_TOL = 0.5  # px: the polyline stays within this of the per-column points


def polyline(points, tol: float = POLY_TOL) -> list:
    """An ordered point series simplified to within tol px (cv2.approxPolyDP), first and last kept."""
    if len(points) < 3:
        return [[float(v) for v in p] for p in points]
    arr = np.asarray(points, np.float32).reshape(-1, 1, 2)
    kept = np.asarray(cv2.approxPolyDP(arr, tol, False)).reshape(-1, 2).astype(float)
    return np.round(kept, 2).tolist()  # the input's values, not their float32 neighbours (259.8, not 259.79998779)


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
    for c, pts, info in resolve(found):
        if len(pts) >= MIN_MARKERS:
            pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
            out[c] = {"markers": np.round(pts, 2).tolist(), "marker": info}
    return out


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
    alpha = line_alpha(v[y0:y1, x0:x1], vv[y0:y1, x0:x1], v[ys, xs], near)
    if alpha is None:
        return None
    ink = (alpha >= INK_ALPHA).astype(np.uint8)
    whole = fill_holes(ink)
    filled = open_loops(whole, ink, lines[y0:y1, x0:x1], own)
    dt = cv2.distanceTransform(filled, cv2.DIST_L2, 5)
    colmax = dt.max(0)
    deep = colmax[colmax > 0]
    if len(deep) == 0:
        return None
    half = stroke = float(percentile(deep, STROKE_PCT))  # the stroke's half-width
    wide = colmax >= max(half + CORE_MARGIN, MIN_RADIUS)
    band = band_markers(whole, own, alpha) if percentile(deep, BAND_PCT) >= BAND_DEPTH else None
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
    each dense band (bands.py; centres (m, 2), ranges (k, 2) their x ranges) in
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
    blobs = find_blobs(dt, half + CORE_MARGIN, reach)
    blobs = blobs[arms(filled, blobs) <= 2]  # a crossing of strokes has four arms, a marker on its line two
    blobs = blobs[~on_others(others, own, blobs)]  # where another line crosses
    if len(blobs) < MIN_MARKERS:
        return None
    r = float(median(blobs[:, 2]))
    typical = blobs[np.abs(blobs[:, 2] - r) <= SIZE_SPREAD * r]
    if len(typical) < MIN_MARKERS:
        return None
    r = float(median(typical[:, 2]))
    if r < half + WIDER and (r < half + NARROW or len(typical) < 2 * MIN_MARKERS
                             or consistency(alpha, typical[:, :2], r) < CONSISTENT):
        return None  # blobs hardly wider than the stroke, and not one glyph repeated: its joints and crossings
    t = int(np.ceil(2 * r)) + 2  # template half-size: a triangle's corners lie 2 inscribed radii out
    body = body_of(filled, half, r).astype(np.float32)
    tmpl, shift, info = learn_template(alpha, body, typical[:, :2], t)
    if tmpl is None:
        return None
    ctx = prepare(body, own, t, r)
    det = match(ctx, tmpl)
    if info["size"] > MERGED * r:  # the mean patch holds neighbours too: a dense series of touching markers
        det, tmpl, shift, info = dense_template(ctx, body, det, tmpl, shift, info)
    det = det[deep_enough(dt, det, stroke, r)]
    if len(det) == 0:
        return None
    det = split_piles(body, det, ctx)  # markers drawn over one another: one blob, several markers
    det[:, 0] += shift[0]
    det[:, 1] += shift[1]
    return det, r, info
