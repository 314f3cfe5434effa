"""The last step of the grouping: every pixel not yet in a line goes to the nearest line.

    labels = assign_leftovers(xs, ys, labels, drop_far=False)

`labels` (N,) holds 1..K for the pixels of the lines the linking made and 0 for the
rest: shared fragments (where lines cross or run together), marker outlines, specks,
chains too small to be a series. Each line's path is its column centres, linearly
interpolated across its gaps. A leftover pixel at column x goes to the line whose path
at x is nearest in y; a line that does not reach x is as far as the Euclidean distance
to its nearer end. At a crossing, both lines are interpolated through the shared piece
from both sides, so each keeps the half of the pixels on its own path and both stay
continuous. With the model's own candidates (`drop_far`), leftovers farther than `far`
px from every line stay 0 (text, arrows); with the user's candidates no pixel is dropped.
"""

from __future__ import annotations

import numpy as np

CHUNK = 1 << 16  # leftover pixels scored per block (bounds the (lines, pixels) distance matrix)


def line_paths(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray):
    """Per line 1..K: (columns, mean y per column), sorted by column."""
    k = int(labels.max()) if len(labels) else 0
    sel = labels > 0
    w = int(xs.max()) + 1 if len(xs) else 1
    key = labels[sel].astype(np.int64) * w + xs[sel]
    uk, inv = np.unique(key, return_inverse=True)
    cnt = np.bincount(inv)
    ysum = np.bincount(inv, weights=ys[sel])
    lab, col = uk // w, uk % w
    ymean = ysum / cnt
    bounds = np.searchsorted(lab, np.arange(1, k + 2))
    return [(col[bounds[c]:bounds[c + 1]], ymean[bounds[c]:bounds[c + 1]]) for c in range(k)]


def path_distance(paths, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """(K, n) distance of each pixel to each line's path."""
    out = np.empty((len(paths), len(px)))
    for c, (cols, yc) in enumerate(paths):
        if len(cols) == 0:
            out[c] = np.inf
            continue
        out[c] = np.abs(py - np.interp(px, cols, yc))
        o = np.flatnonzero((px < cols[0]) | (px > cols[-1]))  # beyond its ends: to the nearer end
        if len(o):
            left = np.hypot(px[o] - cols[0], py[o] - yc[0])
            right = np.hypot(px[o] - cols[-1], py[o] - yc[-1])
            out[c, o] = np.minimum(left, right)
    return out


def assign_leftovers(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, drop_far: bool = False,
                     far: float = 12.0) -> np.ndarray:
    """Labels with every 0 replaced by its nearest line (see the module docstring)."""
    labels = np.asarray(labels).astype(np.int64).copy()
    rest = np.flatnonzero(labels == 0)
    if len(rest) == 0 or labels.max() == 0:
        return labels
    paths = line_paths(xs, ys, labels)
    for s in range(0, len(rest), CHUNK):
        idx = rest[s:s + CHUNK]
        d = path_distance(paths, xs[idx].astype(np.float64), ys[idx].astype(np.float64))
        best = d.argmin(0)
        ok = d[best, np.arange(len(idx))] <= far if drop_far else np.ones(len(idx), bool)
        labels[idx[ok]] = best[ok] + 1
    return labels
