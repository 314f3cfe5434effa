"""A line drawn on another line's stroke is part of it.

    labels = merge_coincident(xs, ys, labels, ink, bg)   # labels (N,) 0..K, after the leftovers

A series is a function of x: two series over the same columns are told apart by being
at different heights. So where a line's pixels, column after column, lie on another
line's pixels, the two are one line drawn twice over: the outlines of hollow markers
that touch one another (linked from marker to marker into a chain of their own) and
the connector running through them. Two real series meet where they cross or touch,
and on stretches where their values agree, not along most of their length.

For lines c and h, c's pixels in column x span [lo_c, hi_c]; h's span over columns
x - SLACK_COLS .. x + SLACK_COLS is [lo_h, hi_h] (a marker's outline and the connector
do not always share a column). They meet at x where the spans overlap or are at most
SLACK_PX apart. When they meet in COINCIDE of c's columns and their inks are one (or
one is a paler tint of the other: a thin outline's anti-aliased ink), c goes to the
larger line it meets most; merges chain (c into h into g). The test is made on whole
lines, after every pixel has its line, so both lines' full strokes are seen.

`merge_outlines`, last before it with the caller's candidates: a gappy line that rings
a larger line of its ink (markers' outlines linked from marker to marker, whose chain was
of no one ink while it still held pieces of other series) is part of it. Foreign tune
split, oracle: PQ 0.799 -> 0.807, count 0.800 -> 0.817; hard set oracle PQ 0.617 ->
0.619, count 0.44 -> 0.45 (without the two-sides test: tune PQ 0.808, but hard lost
series that ran beside one another, 6a 0.936 -> 0.931; with it, 0.935).

merge_coincident was chosen on the foreign set's tune split, oracle mode: PQ 0.783 ->
0.787, count accuracy 0.767 -> 0.783 at COINCIDE 0.8; 0.5 gave 0.795 / 0.800 there but
merged series of the hard set that run together over half their length (count 0.44 ->
0.40).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from ..labels import label_slices
from .leftovers import segment_distance

COINCIDE = 0.8  # share of a line's columns in which it meets another line: drawn on its stroke
SLACK_COLS = 2  # columns either side over which the other line's span is taken
SLACK_PX = 1.0  # px between two spans that still meet
TINT_CHROMA = 15.0  # Lab chroma of an ink for its paler tints to count as it (one_ink)
INK_D = 20.0  # CIE Lab: a line's ink this close to another's (or to a paler tint of it) is the same ink
# merge_outlines, with the values of select_lines' test of a chain's markers' outlines (HOST_COVER,
# WIDE_D, WIDE_SHARE in grouping/__init__.py):
OUTLINE_COVER = 0.7  # a line with pixels in less than this share of the columns it spans is gappy ...
OUTLINE_D = 12.0  # px: ... and, within this of a larger line of its ink ...
OUTLINE_SHARE = 0.7  # ... for this share of its pixels, is that line's markers' outlines,
OUTLINE_SIDES = 0.1  # when at least this share of those lie on either side of it (a series beside it: one side)
MAX_LINES = 64  # more lines than this are compared in blocks (bounds the (K, K, W) test)


def column_spans(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, k: int, w: int):
    """(lo, hi): (k, w) least and greatest y of line l + 1's pixels in each column (+inf and
    -inf where it has none)."""
    on = labels > 0
    key = (labels[on].astype(np.int64) - 1) * w + xs[on]
    y = ys[on].astype(np.float64)
    lo = np.full(k * w, np.inf)
    hi = np.full(k * w, -np.inf)
    np.minimum.at(lo, key, y)
    np.maximum.at(hi, key, y)
    return lo.reshape(k, w), hi.reshape(k, w)


def coincidence(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(K, K) float: entry [c, h] is the share of line c + 1's columns in which its span
    meets line h + 1's (widened by SLACK_COLS columns); the diagonal is 0."""
    k = int(labels.max()) if len(labels) else 0
    if k < 2:
        return np.zeros((k, k))
    w = int(xs.max()) + 1
    lo, hi = column_spans(xs, ys, labels, k, w)
    size = 2 * SLACK_COLS + 1
    lo_w = minimum_filter1d(lo, size, axis=1, mode="constant", cval=np.inf)
    hi_w = maximum_filter1d(hi, size, axis=1, mode="constant", cval=-np.inf)
    has = np.isfinite(lo)
    ncols = np.maximum(has.sum(1), 1)
    out = np.zeros((k, k))
    for a in range(0, k, MAX_LINES):  # rows c in blocks: (block, K, W) booleans at a time
        c = slice(a, min(a + MAX_LINES, k))
        meet = (has[c, None, :] & (lo[c, None, :] <= hi_w[None, :, :] + SLACK_PX)
                & (lo_w[None, :, :] <= hi[c, None, :] + SLACK_PX))
        out[c] = meet.sum(2) / ncols[c, None]
    np.fill_diagonal(out, 0.0)
    return out


def one_ink_pairs(ink_a, bg_a, ink_b, bg_b, d: float = INK_D) -> np.ndarray:
    """(n, m) bool: ink_a[i] (n, 3) and ink_b[j] (m, 3) are one ink: within d (Lab) of each
    other or, when ink_a[i] is a colour (chroma at least TINT_CHROMA), one a paler tint of
    the other (either lies within d of the segment from the other to its background, bg_a
    or bg_b: a thin outline's anti-aliased ink). Near-greys lie near every segment to a
    background, so for them only the plain distance counts."""
    ink_a, bg_a, ink_b, bg_b = (np.atleast_2d(v) for v in (ink_a, bg_a, ink_b, bg_b))
    plain = np.linalg.norm(ink_a[:, None] - ink_b[None], axis=2) <= d
    tint = ((segment_distance(ink_a[:, None], ink_b[None], bg_b[None]) <= d)
            | (segment_distance(ink_b[None], ink_a[:, None], bg_a[:, None]) <= d))
    colour = np.hypot(ink_a[:, 1], ink_a[:, 2]) >= TINT_CHROMA
    return plain | (colour[:, None] & tint)


def one_ink(ink_a, bg_a, ink_b, bg_b, d: float) -> np.ndarray:
    """(m,) bool: one_ink_pairs for one ink ink_a (3,) against each ink_b[j] (m, 3)."""
    return one_ink_pairs(ink_a, bg_a, ink_b, bg_b, d)[0]


def same_ink(ink: np.ndarray, bg: np.ndarray, d: float = INK_D) -> np.ndarray:
    """(K, K) bool: one_ink_pairs for every pair of lines, either way round."""
    same = one_ink_pairs(ink, bg, ink, bg, d)
    return same | same.T


def merge_coincident(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, ink: np.ndarray | None = None,
                     bg: np.ndarray | None = None) -> np.ndarray:
    """labels (N,) 0..K with every line that meets a larger line in COINCIDE of its columns
    merged into the one it meets most (see the module docstring). ink, bg: (K, 3) Lab of
    each line's ink and background, if known: then only lines of one ink merge (same_ink,
    as one_ink decides it for a pair).
    Line ids are not renumbered."""
    labels = np.asarray(labels)
    share = coincidence(xs, ys, labels)
    k = len(share)
    if k < 2:
        return labels
    if ink is not None and len(ink) >= k:
        share = np.where(same_ink(ink[:k], bg[:k]), share, 0.0)
    npix = np.bincount(labels, minlength=k + 1)[1:]
    order = np.argsort(-npix, kind="stable")  # largest first
    rank = np.empty(k, np.int64)
    rank[order] = np.arange(k)
    root = np.arange(k)
    for c in order[1:]:  # each line goes to the larger line it meets most (its root, if merged)
        cand = np.where((rank < rank[c]) & (share[c] >= COINCIDE), share[c], 0.0)
        if cand.max() > 0:
            root[c] = root[int(np.argmax(cand))]
    return _relabel(labels, root)


def _relabel(labels: np.ndarray, root: np.ndarray) -> np.ndarray:
    """labels with line c + 1 renamed root[c] + 1 (unchanged when root is the identity)."""
    if (root == np.arange(len(root))).all():
        return labels
    out = labels.copy()
    on = labels > 0
    out[on] = root[labels[on] - 1] + 1
    return out


def merge_outlines(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, lab: np.ndarray,
                   bg: np.ndarray) -> np.ndarray:
    """labels (N,) 0..K with each gappy line (pixels in less than OUTLINE_COVER of the
    columns it spans) that lies, for OUTLINE_SHARE of its pixels, within OUTLINE_D px of
    the pixels of a larger line of one ink (one_ink_pairs, each line's ink the median Lab
    of its pixels now) merged into it, when at least OUTLINE_SIDES of those pixels lie
    above its nearest pixel of that line and as many below: the outlines of that line's
    markers, linked from marker to marker, ring them; a series running beside it keeps
    to one side. The linking's own test (`select_lines`) sees a chain's ink before
    `recolour` has handed the pixels of other colours back to their lines; a chain of two
    series' outlines is then of neither ink, and only afterwards one line's. Smallest
    first, each into the larger line holding most of its pixels. lab: (N, 3) the pixels'
    Lab; bg: (K, 3) each line's background. Line ids are not renumbered."""
    labels = np.asarray(labels)
    k = int(labels.max()) if len(labels) else 0
    if k < 2:
        return labels
    from scipy.spatial import cKDTree

    order, bounds = label_slices(labels, k)
    pix = [order[bounds[c]:bounds[c + 1]] for c in range(1, k + 1)]
    npix = np.array([len(p) for p in pix])
    ink = np.array([np.median(lab[p], 0) if len(p) else np.zeros(3) for p in pix])
    same = one_ink_pairs(ink, bg[:k], ink, bg[:k])
    same |= same.T
    root = np.arange(k)
    trees = {}
    for c in np.argsort(npix, kind="stable"):
        p = pix[c]
        if len(p) == 0:
            continue
        cols = np.unique(xs[p])
        if len(cols) >= OUTLINE_COVER * (cols[-1] - cols[0] + 1):
            continue
        q = np.column_stack([xs[p], ys[p]]).astype(float)
        best, best_share = -1, OUTLINE_SHARE
        for h in np.flatnonzero(same[c] & (npix > npix[c])):
            if h not in trees:
                trees[h] = cKDTree(np.column_stack([xs[pix[h]], ys[pix[h]]]).astype(float))
            d, j = trees[h].query(q, distance_upper_bound=OUTLINE_D)
            near = d <= OUTLINE_D
            share = float(near.mean())
            dy = q[near, 1] - ys[pix[h][j[near]]]  # outlines ring the markers: above and below the line
            sides = min(float((dy < 0).mean()), float((dy > 0).mean())) if near.any() else 0.0
            if share >= best_share and sides >= OUTLINE_SIDES:
                best, best_share = h, share
        if best >= 0:
            root[c] = best
    for c in range(k):  # follow chains of merges to their end
        while root[root[c]] != root[c]:
            root[c] = root[root[c]]
    return _relabel(labels, root)
