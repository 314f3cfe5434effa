"""A pixel of one line's colour, given to a line of another colour, goes back to its own.

    labels = recolour(xs, ys, labels, lab, ink, bg)   # after the leftovers

Where series differ in colour, the image states outright which series a pixel belongs
to. The linking decides piece by piece, mostly by continuation, and where two lines of
different colours run close together (or the network's band around them merges them)
it can hand a stretch of one to the other. So, at the end, every pixel whose colour is
no blend of its line's ink with the background (farther than OWN_FAR in Lab from that
segment) but is one of another line's (within NEAR of its segment) moves to that line,
when the two lines' inks are plainly different (DISTINCT apart). Anti-aliased pixels
where two strokes meet are a blend of both inks, near neither segment, and stay; so do
pixels farther than NEAR_PATH from the other line's path (a marker's face or a word in
that colour elsewhere).

Measured (`linegroup evaluate ... --split tune`, ARI / PQ / count): foreign tune oracle
0.851 / 0.793 / 0.800 -> 0.859 / 0.799 / 0.800, end to end 0.591 / 0.522 / 0.583 ->
0.600 / 0.528 / 0.567 (a dense chart lost its count); without the path condition, end
to end PQ 0.525 and count 0.550 (marker faces and lines' pixels moved to far lines).
"""

from __future__ import annotations

import numpy as np

from .leftovers import line_paths, mix_distance, path_distance, segment_distance

OWN_FAR = 20.0  # Lab: a pixel this far from every blend of its line's ink and background is not its colour
NEAR = 8.0  # Lab: ... and this close to another line's is that line's
DISTINCT = 30.0  # Lab distance between two lines' inks for colour to decide between them
NEAR_PATH = 10.0  # px: ... and the pixel lies this close to that line's path
CHUNK = 1 << 16  # pixels scored at a time (bounds the (K, n) distance matrix)


def recolour(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, lab: np.ndarray, ink: np.ndarray,
             bg: np.ndarray) -> np.ndarray:
    """labels (N,) 0..K with the pixels of another line's colour moved to it (see the module
    docstring); lab (N, 3) the pixels' Lab; ink, bg (K, 3) Lab of line k + 1's ink and
    background. Line ids are not renumbered."""
    labels = np.asarray(labels, np.int64)
    k = len(ink)
    if k < 2 or len(labels) == 0 or labels.max() > k:
        return labels
    distinct = np.linalg.norm(ink[:, None] - ink[None], axis=2) >= DISTINCT  # (K, K)
    if not distinct.any():
        return labels
    out = labels.copy()
    on = np.flatnonzero(labels > 0)
    paths = None
    own = segment_distance(lab[on], ink[labels[on] - 1], bg[labels[on] - 1])
    maybe = on[own > OWN_FAR]  # pixels not of their own line's colour: few
    for s in range(0, len(maybe), CHUNK):
        idx = maybe[s:s + CHUNK]
        d = mix_distance(lab[idx], ink, bg)  # (K, n)
        d[~distinct[labels[idx] - 1].T] = np.inf
        near = np.flatnonzero((d <= NEAR).any(0))
        if len(near) == 0:
            continue
        if paths is None:  # measured only where a pixel may move
            paths = line_paths(xs, ys, labels)
            paths += [(np.zeros(0, np.int64), np.zeros(0))] * (k - len(paths))  # lines merged away have none
        sub = idx[near]
        dm = d[:, near]
        dm[path_distance(paths, xs[sub].astype(np.float64), ys[sub].astype(np.float64)) > NEAR_PATH] = np.inf
        best = dm.argmin(0)
        move = dm[best, np.arange(len(sub))] <= NEAR
        out[sub[move]] = best[move] + 1
    return out

