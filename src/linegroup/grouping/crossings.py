"""Where two lines cross, each goes on the way it came: repairing swapped crossings.

    labels = repair_crossings(xs, ys, labels, lab=pixel_lab)

The links are chosen piece by piece, and the piece just past a crossing often says
little about which line it belongs to: a dot, a dash, a marker's edge. So two lines can
come out swapped at a crossing: A's left half joined to B's right half. Each line's
whole course near the crossing says more: a series keeps its direction through it, and
its dash pattern, stroke width and ink stay the same.

For each pair of lines whose paths cross (the difference of their column centres
changes sign where both are drawn), the four arms are measured over WINDOW columns on
each side, leaving out MARGIN columns around the crossing where the strokes overlap:
  - direction: the least-squares slope of the arm's column centres, as an angle;
  - dash pattern: the share of the window's columns the arm has pixels in (a solid
    line covers them all, a dashed line some, a dotted line few);
  - stroke: pixels per column; ink: mean CIE Lab of its pixels.
The cost of joining a left arm to a right arm is the change of direction (radians)
plus the difference of dash coverage, plus half the log ratio of the strokes, plus the
ink difference beyond INK_NOISE / INK_SCALE. The two lines' right halves are exchanged
when the crossed pairing costs at most SWAP_MAX (both run straight on, in one style) and
less than the pairing they came with, by SWAP_MARGIN and by the factor SWAP_RATIO. Arms
that bend within their window (a data point near the meeting) are not compared. A loop over
crossings (a few per pair of lines), vectorised over pixels.
"""

from __future__ import annotations

import numpy as np

from .leftovers import line_paths

WINDOW = 20  # columns on each side of a crossing that describe an arm
MARGIN = 3  # columns either side of the meeting left out (the strokes overlap there)
TOUCH = 3.0  # px: two paths whose centres come this close meet there
MIN_COLS = 4  # an arm needs pixels in at least this many columns of its window
STRAIGHT = 1.5  # px: an arm must be this straight (RMS off its fitted line) to be compared
INK_SCALE = 50.0  # Lab distance that costs as much as a radian of turn
INK_NOISE = 8.0  # Lab distance between two stretches of one thin line's anti-aliased ink
SWAP_MARGIN = 0.3  # the crossed pairing must be cheaper by this much
SWAP_RATIO = 0.5  # ... and cost at most this share of the pairing the lines came with
SWAP_MAX = 0.5  # ... and at most this: both lines run straight on (two lines that touch where
                # each has a data point, a V meeting a caret, are told apart by nothing else)


def _arm(cols, yc, npc, lab_c, lo, hi, occ):
    """(angle, dash coverage, stroke, ink) of a path over columns [lo, hi], or None.
    Coverage counts the columns it has pixels in against those plus the columns where
    its path crosses background (a gap of its own), not another line's pixels (where it
    is hidden)."""
    a, b = np.searchsorted(cols, [lo, hi + 1])
    if b - a < MIN_COLS:
        return None
    c, y = cols[a:b].astype(np.float64), yc[a:b]
    cm, ym = c.mean(), y.mean()
    vxx = ((c - cm) ** 2).sum()
    slope = ((c - cm) * (y - ym)).sum() / vxx if vxx > 0 else 0.0
    if np.sqrt(np.mean((y - ym - slope * (c - cm)) ** 2)) > STRAIGHT:
        return None  # it bends here (a data point): its direction says nothing
    grid = np.arange(max(lo, cols[0]), min(hi, cols[-1]) + 1)
    gy = np.clip(np.round(np.interp(grid, cols, yc)).astype(np.int64), 1, occ.shape[0] - 2)
    gx = np.clip(grid, 0, occ.shape[1] - 1)
    gaps = ~(occ[gy, gx] | occ[gy - 1, gx] | occ[gy + 1, gx])
    return (np.arctan(slope), (b - a) / (b - a + gaps.sum()), npc[a:b].mean(), lab_c[a:b].mean(0))


def _cost(p, q) -> float:
    return (abs(p[0] - q[0]) + abs(p[1] - q[1])
            + max(np.linalg.norm(p[3] - q[3]) - INK_NOISE, 0.0) / INK_SCALE)


def _meetings(pa, pb):
    """(start, end) column ranges where two paths' centres come within TOUCH px: where
    they cross, touch (a crossing already swapped looks like a V meeting a caret), or run
    together."""
    ca, ya = pa
    cb, yb = pb
    lo, hi = max(ca[0], cb[0]), min(ca[-1], cb[-1])
    if hi - lo < 2 * WINDOW:
        return []
    grid = np.arange(lo, hi + 1)
    d = np.interp(grid, ca, ya) - np.interp(grid, cb, yb)
    near = np.abs(d) <= TOUCH
    near[1:] |= np.sign(d[1:]) * np.sign(d[:-1]) < 0  # crossed between two columns
    if not near.any():
        return []
    edges = np.flatnonzero(np.diff(np.r_[0, near.astype(np.int8), 0]))
    return [(int(grid[s]), int(grid[e - 1])) for s, e in zip(edges[::2], edges[1::2])]


def repair_crossings(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, lab: np.ndarray | None = None) -> np.ndarray:
    """labels (N,) 0 = none, 1..K; lab (N, 3) the pixels' Lab colour (None: not used).
    Returns the labels with swapped halves exchanged back."""
    labels = np.asarray(labels, np.int64).copy()
    k = int(labels.max()) if len(labels) else 0
    if k < 2:
        return labels
    if lab is None:
        lab = np.zeros((len(xs), 3))
    occ = np.zeros((int(ys.max()) + 2, int(xs.max()) + 1), bool)  # every candidate pixel
    occ[ys, xs] = True
    for _ in range(2):  # a repair can reveal another at the next crossing of the same pair
        changed = False
        paths = _described_paths(xs, ys, labels, lab, k)
        for a in range(k):
            for b in range(a + 1, k):
                if paths[a] is None or paths[b] is None:
                    continue
                for x0, x1 in _meetings(paths[a][:2], paths[b][:2]):
                    xc = (x0 + x1) // 2
                    arms = [_arm(*paths[c], lo, hi, occ) for c in (a, b)
                            for lo, hi in ((x0 - MARGIN - WINDOW, x0 - MARGIN), (x1 + MARGIN, x1 + MARGIN + WINDOW))]
                    if any(m is None for m in arms):
                        continue
                    al, ar, bl, br = arms
                    keep, swap = _cost(al, ar) + _cost(bl, br), _cost(al, br) + _cost(bl, ar)
                    if swap <= SWAP_MAX and swap + SWAP_MARGIN < keep and swap < SWAP_RATIO * keep:
                        ia = (labels == a + 1) & (xs > xc)
                        ib = (labels == b + 1) & (xs > xc)
                        labels[ia], labels[ib] = b + 1, a + 1
                        paths = _described_paths(xs, ys, labels, lab, k)
                        changed = True
        if not changed:
            break
    return labels


def _described_paths(xs, ys, labels, lab, k):
    """Per line: (columns, centre y, pixels per column, mean Lab per column), or None."""
    out = []
    w = int(xs.max()) + 1
    sel = labels > 0
    key = labels[sel] * w + xs[sel]
    uk, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    labc = np.stack([np.bincount(inv, weights=lab[sel][:, q]) for q in range(3)], 1) / cnt[:, None]
    paths = line_paths(xs, ys, labels)
    bounds = np.searchsorted(uk // w, np.arange(1, k + 2))
    for c in range(k):
        cols, yc = paths[c]
        if len(cols) == 0:
            out.append(None)
            continue
        s = slice(bounds[c], bounds[c + 1])
        out.append((cols, yc, cnt[s].astype(np.float64), labc[s]))
    return out
