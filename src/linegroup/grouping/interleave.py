"""Chains that take turns along one path are one line.

    line = merge_interleaved(xs, ys, line_of_pixel, desc_of_lines)

The path cover links each piece to one successor, so a line cut into many pieces (a
zigzag series through big markers, a dashed line crossing others) can come out as two
or three chains that take turns: A holds pieces 1, 3, 5 and B pieces 2, 4, 6. They
overlap in x, so no later link may join them, yet they are one line: where one has
pixels the other mostly has none, and where the path passes from one to the other, it
does not jump. Two different lines that overlap in x either share many columns at
different y (they run side by side) or jump where they alternate.

For each pair of chains overlapping in x by at least MIN_OVERLAP columns, with
similar ink (colour difference under MAX_DCOLOR):
  - shared: columns where both have pixels, at most MAX_SHARED_STEEP of the smaller
    chain's columns. Pieces that follow each other along a steep path (a steep dashed
    line) share a few columns, about the stroke's width, far apart in y; runs of shared
    columns longer than twice the width are side by side: at most MAX_SHARED of the
    smaller chain's columns, and there within NEAR px of each other (the same path);
  - hand-overs: consecutive columns of the union where the path passes from one chain
    to the other; each within NEAR + max(MAX_SLOPE, slope) x (column step) px in y
    (plus slope x stroke width).
Pairs that pass are merged, smallest first. A loop over pairs of chains (tens), not
pixels.
"""

from __future__ import annotations

import numpy as np

from .describe import Description
from .leftovers import line_paths

MIN_OVERLAP = 10  # columns
MAX_DCOLOR = 20.0  # Lab distance between the chains' inks
MAX_SHARED = 0.15  # share of the smaller chain's columns that the other also covers, side by side
MAX_SHARED_STEEP = 0.5  # ... and at all, counting the columns where steep pieces follow each other
NEAR = 3.0  # px
MAX_SLOPE = 1.5  # px of y per column allowed at a hand-over


def _slopes(cols: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """|dy/dx| of a path at each of its columns (central differences across its gaps)."""
    return np.abs(np.gradient(ys, cols)) if len(cols) > 1 else np.zeros(len(cols))


def _compatible(pa, pb, width: float = 0.0) -> bool:
    """Do two chains' paths (columns, centre y) take turns along one path? Pieces that
    follow each other along a steep path share a few columns (a steep stroke is about
    `width` columns wide) far apart in y; a longer run of shared columns is side by side."""
    ca, ya = pa
    cb, yb = pb
    both, ia, ib = np.intersect1d(ca, cb, return_indices=True)
    if len(both) > MAX_SHARED_STEEP * min(len(ca), len(cb)):
        return False
    if len(both):
        run = np.cumsum(np.r_[True, np.diff(both) > 1])  # runs of consecutive shared columns
        side = (np.bincount(run) > 2 * width + 2)[run]  # longer than a hand-over between steep pieces
        if side.sum() > MAX_SHARED * min(len(ca), len(cb)):
            return False
        if side.any() and np.median(np.abs(ya[ia] - yb[ib])[side]) > NEAR:
            return False
    cols = np.r_[ca, cb]
    ys = np.r_[ya, yb]
    slope = np.r_[_slopes(ca, ya), _slopes(cb, yb)]
    src = np.r_[np.zeros(len(ca), bool), np.ones(len(cb), bool)]
    o = np.lexsort((src, cols))
    cols, ys, src, slope = cols[o], ys[o], src[o], slope[o]
    hand = np.flatnonzero(src[1:] != src[:-1])
    if len(hand) == 0:
        return False
    dx = np.maximum(cols[hand + 1] - cols[hand], 1)
    dy = np.abs(ys[hand + 1] - ys[hand])
    s = np.maximum(slope[hand], slope[hand + 1])
    return bool(np.mean(dy <= NEAR + np.maximum(MAX_SLOPE, s) * dx + s * width) >= 0.9)


def merge_interleaved(xs: np.ndarray, ys: np.ndarray, line_of_pixel: np.ndarray, ld: Description,
                      min_cols: float = 0.0) -> np.ndarray:
    """(L,) new line id (0..L'-1) of each line 0..L-1; line_of_pixel: (N,) -1 = none. Only
    chains spanning at least `min_cols` columns take part (the rest are leftovers anyway)."""
    n = ld.n
    parent = np.arange(n)
    if n < 2:
        return parent

    def root(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    paths = line_paths(xs, ys, line_of_pixel + 1)
    order = np.argsort(ld.npix, kind="stable")  # smallest first: pieces join the body
    order = order[ld.x1[order] - ld.x0[order] + 1 >= max(min_cols, MIN_OVERLAP)]
    for b in order:
        for a in order[::-1]:
            if a == b or ld.npix[a] < ld.npix[b]:
                continue
            ov = min(ld.x1[a], ld.x1[b]) - max(ld.x0[a], ld.x0[b])
            if ov < MIN_OVERLAP or np.linalg.norm(ld.lab[a] - ld.lab[b]) > MAX_DCOLOR:
                continue
            ra, rb = root(a), root(b)
            if ra != rb and _compatible(paths[a], paths[b], float(max(ld.width[a], ld.width[b]))):
                parent[rb] = ra
                break
    roots = np.array([root(a) for a in range(n)])
    return np.unique(roots, return_inverse=True)[1]
