"""Markers piled on one another: a blob of marker ink holding more markers than were found in it.

    from linegroup.markers.piles import split_piles
    det = split_piles(body, det, ctx)   # (n, 4) -> (m, 4), m >= n

Points measured at close x values (a scatter of repeated measurements, a series sampled
unevenly) draw markers over one another. Their union is one blob of the line's marker
ink, with no neck between them, and the template's correlation has one broad peak there:
one marker found where two or three were drawn. On the foreign set's tune split, oracle
mode, 219 of the 306 markers missed lay closer than a marker's size to another marker
(a one-off count).

A blob's area tells how many markers it holds: its area over the area of one marker,
rounded. One marker's area is the line's own: the median area of its blobs that hold one
detection (at least MIN_MARKERS of them, and at least MIN_AREA px: the area of a smaller
marker is mostly its anti-aliased rim and blur, and counting by it split single markers
of the hard set end to end). The mean template is no measure of it: it is
blurred where markers differ (hollow crosses with their connector's stubs), and a first
version that took its footprint split single markers (foreign tune point precision
0.964 -> 0.928). Two discs half a radius apart cover 1.3 marker areas (one marker: they
are within the benchmark's tolerance of each other anyway); a radius apart, 1.6 (two).
Where a blob holds more markers than there are detections in it (and at most MAX_PILE: a
longer one is a dense band, `bands.py`), its detections are replaced by the centres of
that many k-means clusters of its pixels, started from the detections and from its
pixels farthest from them. The clusters' centres lie a little inside the markers' true
centres (the overlap is shared; foreign tune centre error 0.66 -> 0.67 px).

Blobs of marker ink are the body (the ink opened past the stroke: no connector) within
a marker's radius plus NEAR_PATH of the line's own pixels (`template.prepare`); a pile's
blob is at least OWN_SHARE the line's own pixels, since where series share a colour the
body also holds another series' markers and strokes (the synthetic sets' same-colour
charts).
"""

from __future__ import annotations

import cv2
import numpy as np

from .blobs import MIN_MARKERS

MAX_PILE = 4  # a blob of more markers than this is a dense band, counted by its period
PILE_AREA = 1.5  # a blob must cover at least this many marker areas to be split (two markers a radius apart)
KMEANS_ITERS = 20  # Lloyd's iterations at most (a pile of 2-4 markers settles in a few)
MIN_AREA = 40  # px: smaller markers (under ~7 px) are not split: their areas are mostly rim and blur
OWN_SHARE = 0.6  # a pile's blob is this much the line's own pixels (the grouping's), not only its colour


def split_piles(body: np.ndarray, det: np.ndarray, ctx: dict) -> np.ndarray:
    """det (n, 4) x, y, score, path distance (crop pixels) with the detections of each pile of
    markers replaced by one per marker it holds (module docstring)."""
    if len(det) < MIN_MARKERS:
        return det
    n, comp, stats, _ = cv2.connectedComponentsWithStats(((body > 0.5) & ctx["cand"]).astype(np.uint8), connectivity=8)
    at = _at(comp, det[:, :2])
    count = np.bincount(at, minlength=n)
    single = np.flatnonzero(count[1:] == 1) + 1
    if len(single) < MIN_MARKERS:
        return det
    area = float(np.median(stats[single, cv2.CC_STAT_AREA]))  # one marker's blob, as this line draws it
    if area < MIN_AREA:
        return det
    big = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= PILE_AREA * area) + 1
    if len(big) == 0:
        return det
    keep = np.ones(len(det), bool)
    new = []
    for j in big:
        holds = int(np.round(stats[j, cv2.CC_STAT_AREA] / area))
        mine = np.flatnonzero(at == j)
        if holds > MAX_PILE or holds <= len(mine) or len(mine) == 0:
            continue
        x0, y0, bw, bh = stats[j, :4]
        inside = comp[y0:y0 + bh, x0:x0 + bw] == j
        if (ctx["path"][y0:y0 + bh, x0:x0 + bw][inside] == 0).mean() < OWN_SHARE:
            continue  # ink of the line's colour, not the line's own: another series' marker or stroke
        yy, xx = np.nonzero(inside)
        pts = np.column_stack([xx + x0, yy + y0]).astype(np.float32)
        centres = _kmeans(pts, det[mine, :2].astype(np.float32), holds)
        score = float(det[mine, 2].min())
        new.append(np.column_stack([centres, np.full(len(centres), score), _at(ctx["path"], centres)]))
        keep[mine] = False
    if not new:
        return det
    return np.concatenate([det[keep]] + new)


def _at(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """img's values at the points xy (n, 2) x, y, rounded and kept inside it."""
    h, w = img.shape
    return img[np.clip(np.round(xy[:, 1]).astype(int), 0, h - 1), np.clip(np.round(xy[:, 0]).astype(int), 0, w - 1)]


def _kmeans(pts: np.ndarray, seeds: np.ndarray, k: int) -> np.ndarray:
    """(k, 2) centres of k-means on pts (cv2.kmeans), started from the seeds and, for the
    rest, from the pixels farthest from the centres so far."""
    centres = list(seeds)
    while len(centres) < k:
        d = np.min(((pts[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), 1)
        centres.append(pts[int(np.argmax(d))])
    start = np.argmin(((pts[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), 1).astype(np.int32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, KMEANS_ITERS, 1e-3)
    _, _, c = cv2.kmeans(np.ascontiguousarray(pts, np.float32), k, start.reshape(-1, 1), criteria, 1,
                         cv2.KMEANS_USE_INITIAL_LABELS)
    return c.astype(np.float64)
