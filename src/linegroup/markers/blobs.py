"""Blobs along a line's ink: the places wider than its stroke that may be markers.

    from linegroup.markers.blobs import find_blobs, arms, on_others, consistency, body_of, deep_enough

Step 2 of the marker stage (`markers/__init__.py`). The distance transform of the filled
ink measures how far each pixel is inside; a blob's core is the pixels within PROMINENCE
(or PROM_SHARE of its depth) of the deepest point near them, so touching markers joined
by a shallower neck come apart. A blob must be compact (ELONGATION), have at most two
strokes leaving it (`arms`: a crossing of strokes has four), and have no other line's
pixel within OTHERS_PX of its centre (`on_others`: two same-colour strokes crossing at a
shallow angle overlap in a blob with two arms) to count towards deciding that a line
carries markers; `consistency` tells one glyph repeated (markers) from a path's joints.
`body_of` opens the connector away; `deep_enough` keeps instances deeper than the stroke.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..labels import components
from ..orderstats import median

MIN_RADIUS = 1.8  # and its inscribed radius is at least this (px): markers under ~4 px are not found
PROMINENCE = 1.0  # px: a blob's core lies within this (or PROM_SHARE of its depth) of its deepest point,
PROM_SHARE = 0.25  # so touching markers, joined by a shallower neck, come apart
ARM_SAMPLES = 48  # points on the circle around a blob where the strokes leaving it are counted
OTHERS_PX = 1.5  # px: a blob with another line's pixel this close to its centre is at a crossing
ELONGATION = 2.5  # a blob's core longer than this many times its inscribed radius is no marker
MIN_MARKERS = 3  # a line carries markers when it has at least this many typical blobs
DEPTH_SHARE = 0.5  # an instance's ink is deeper than the stroke by this share of the way to the marker's radius


_R = int(OTHERS_PX)
_DISC = np.array([(dy, dx) for dy in range(-_R, _R + 1) for dx in range(-_R, _R + 1)
                  if dx * dx + dy * dy <= OTHERS_PX * OTHERS_PX]).T  # (2, k): the offsets within OTHERS_PX


def find_blobs(dt: np.ndarray, depth: float, reach: int) -> np.ndarray:
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


def arms(filled: np.ndarray, blobs: np.ndarray) -> np.ndarray:
    """Per blob: how many ink strokes leave it, counted on a circle of twice its radius."""
    if len(blobs) == 0:
        return np.zeros(0, int)
    ang = np.linspace(0, 2 * np.pi, ARM_SAMPLES, endpoint=False)
    rad = 2 * blobs[:, 2:3] + 1
    x = np.clip(np.round(blobs[:, :1] + rad * np.cos(ang)), 0, filled.shape[1] - 1).astype(int)
    y = np.clip(np.round(blobs[:, 1:2] + rad * np.sin(ang)), 0, filled.shape[0] - 1).astype(int)
    ring = filled[y, x] > 0
    return (ring & ~np.roll(ring, 1, axis=1)).sum(1)


def on_others(lines: np.ndarray, own: np.ndarray, blobs: np.ndarray) -> np.ndarray:
    """Per blob: does another line's pixel (lines and not own, both the line's box) lie
    within OTHERS_PX of its centre. Such a blob may be where the two strokes cross (thick
    where they overlap, and at a shallow angle with two arms on the ring), so it does not
    count towards deciding that the line carries markers; once it does, its markers there
    are still found by the template. (A marker touching another series' marker or
    connector has that line's pixels about a radius from its centre, not at it.)"""
    if len(blobs) == 0:
        return np.zeros(0, bool)
    h, w = own.shape
    y = np.minimum(np.maximum(np.round(blobs[:, 1:2]).astype(int) + _DISC[0], 0), h - 1)  # (n, k): each
    x = np.minimum(np.maximum(np.round(blobs[:, :1]).astype(int) + _DISC[1], 0), w - 1)  # blob's disc
    return ((lines[y, x] > 0) & (own[y, x] == 0)).any(1)


def consistency(alpha, centres, r):
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


def body_of(filled: np.ndarray, half: float, r: float) -> np.ndarray:
    """The filled ink opened by a disc wider than the stroke (half-width `half`) and narrower
    than the marker (inscribed radius `r`): the markers without their connector."""
    k = 2 * int(np.ceil(min(half, 0.4 * r) + 1)) + 1
    return cv2.morphologyEx(filled, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))


def deep_enough(dt: np.ndarray, det: np.ndarray, stroke: float, r: float) -> np.ndarray:
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
