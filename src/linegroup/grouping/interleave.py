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


class _Path:
    """A chain's path: columns, centre y per column, and |slope| there (made on first use)."""

    def __init__(self, cols: np.ndarray, ys: np.ndarray):
        self.cols, self.ys, self._slope = cols, ys, None

    @property
    def slope(self) -> np.ndarray:
        if self._slope is None:
            self._slope = _slopes(self.cols, self.ys)
        return self._slope


def _shared(ca: np.ndarray, cb: np.ndarray):
    """(columns, ia, ib) of two sorted, unique column arrays: np.intersect1d's answer
    with return_indices, by one binary search instead of a sort of both."""
    pos = np.searchsorted(cb, ca)
    if len(cb) == 0:
        return cb, pos[:0], pos[:0]
    hit = cb[np.minimum(pos, len(cb) - 1)] == ca
    ia = np.flatnonzero(hit)
    return ca[ia], ia, pos[ia]


def _compatible(pa: _Path, pb: _Path, width: float = 0.0) -> bool:
    """Do two chains' paths take turns along one path? Pieces that follow each other along
    a steep path share a few columns (a steep stroke is about `width` columns wide) far
    apart in y; a longer run of shared columns is side by side."""
    ca, ya = pa.cols, pa.ys
    cb, yb = pb.cols, pb.ys
    both, ia, ib = _shared(ca, cb)
    if len(both) > MAX_SHARED_STEEP * min(len(ca), len(cb)):
        return False
    if len(both):
        run = np.cumsum(np.concatenate([[True], np.diff(both) > 1]))  # runs of consecutive shared columns
        side = (np.bincount(run) > 2 * width + 2)[run]  # longer than a hand-over between steep pieces
        if side.sum() > MAX_SHARED * min(len(ca), len(cb)):
            return False
        if side.any() and np.median(np.abs(ya[ia] - yb[ib])[side]) > NEAR:
            return False
    cols = np.concatenate([ca, cb])
    src = np.zeros(len(cols), bool)
    src[len(ca):] = True
    o = np.argsort(cols, kind="stable")  # a's column before b's: merging two sorted runs
    cols, ys, src, slope = cols[o], np.concatenate([ya, yb])[o], src[o], np.concatenate([pa.slope, pb.slope])[o]
    hand = np.flatnonzero(src[1:] != src[:-1])
    if len(hand) == 0:
        return False
    dx = np.maximum(cols[hand + 1] - cols[hand], 1)
    dy = np.abs(ys[hand + 1] - ys[hand])
    s = np.maximum(slope[hand], slope[hand + 1])
    return bool(np.mean(dy <= NEAR + np.maximum(MAX_SLOPE, s) * dx + s * width) >= 0.9)


def _partners(ld: Description, order: np.ndarray, b: int) -> np.ndarray:
    """The chains of `order` (largest first) that b may join: not smaller, overlapping it
    by MIN_OVERLAP columns, with ink within MAX_DCOLOR (tested exactly, as one norm per
    pair, where a vectorised distance is not clearly over it)."""
    cand = order[::-1]
    ov = np.minimum(ld.x1[cand], ld.x1[b]) - np.maximum(ld.x0[cand], ld.x0[b])
    dc = np.sqrt(((ld.lab[cand] - ld.lab[b]) ** 2).sum(1))
    cand = cand[(cand != b) & (ld.npix[cand] >= ld.npix[b]) & (ov >= MIN_OVERLAP) & (dc <= MAX_DCOLOR * (1 + 1e-6))]
    return [a for a in cand if not np.linalg.norm(ld.lab[a] - ld.lab[b]) > MAX_DCOLOR]


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

    order = np.argsort(ld.npix, kind="stable")  # smallest first: pieces join the body
    order = order[ld.x1[order] - ld.x0[order] + 1 >= max(min_cols, MIN_OVERLAP)]
    paths = [_Path(cols, yc) for cols, yc in line_paths(xs, ys, line_of_pixel + 1)]  # slopes once per chain
    for b in order:
        for a in _partners(ld, order, b):
            ra, rb = root(a), root(b)
            if ra != rb and _compatible(paths[a], paths[b], float(max(ld.width[a], ld.width[b]))):
                parent[rb] = ra
                break
    roots = np.array([root(a) for a in range(n)])
    return np.unique(roots, return_inverse=True)[1]
