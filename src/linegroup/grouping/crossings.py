"""Where two lines cross, each goes on the way it came: repairing swapped crossings.

    labels = repair_crossings(xs, ys, labels, lab=pixel_lab)

The links are chosen piece by piece, and the piece just past a crossing often says
little about which line it belongs to: a dot, a dash, a marker's edge. So two lines can
come out swapped at a crossing: A's left half joined to B's right half. Each line's
whole course near the crossing says more: a series keeps its direction through it, and
its dash pattern and ink stay the same.

For each pair of lines whose paths meet (their column centres come within TOUCH px, or
their difference changes sign, where both are drawn), the four arms are measured over
WINDOW columns on each side, leaving out MARGIN columns around the meeting where the
strokes overlap:
  - direction: the least-squares slope of the arm's column centres, as an angle;
  - dash pattern: the share of the window's columns the arm has pixels in (a solid
    line covers them all, a dashed line some, a dotted line few);
  - ink: mean CIE Lab of its pixels.
The cost of joining a left arm to a right arm is the change of direction (radians)
plus the difference of dash coverage, plus the ink difference beyond INK_NOISE /
INK_SCALE. The two lines' right halves are exchanged when the crossed pairing costs at
most SWAP_MAX (both run straight on, in one style) and less than the pairing they came
with, by SWAP_MARGIN and by the factor SWAP_RATIO. Arms that bend within their window
(a data point near the meeting) are not compared.

One line alone can also tell: a smooth line (a fitted curve, a straight trend) crossing
a jagged one (the data) keeps its direction, while the jagged line's arms bend. So the
halves are also exchanged when a straight arm of one line continues a straight arm of
the other at a cost of at most THROUGH, every pairing the lines came with costs more
by SWAP_MARGIN (or cannot be measured, its arms bending), and one of the lines as it
came changes dash style at the meeting (coverage differing by over STYLE_GAP). Without
that last condition, same-colour solid random walks, whose arms line up by chance,
were swapped wrongly (foreign tune split, same colour ARI 0.765 -> 0.736 at THROUGH 0.15).

The meetings are taken in order (pair by pair, left to right), as an exchange changes
the paths the later ones are measured on. All of them are measured at once, in arrays;
after an exchange only those after it are measured again, on the new paths (exchanges
are rare, a few per chart). The paths are the lines' column centres (as in
`leftovers.line_paths`), kept as one array over all lines (`_Paths`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

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
THROUGH = 0.15  # a straight arm continued by a straight arm of the other line at most this cost
STYLE_GAP = 0.2  # dash coverage that differs by this between a line's two arms is another style
CHUNK = 1 << 20  # columns of pairs of paths compared at a time (bounds _meetings' memory)


class _Paths(NamedTuple):
    """Every line's path, one entry per (line, column) it has pixels in, sorted by line
    then column: line l (1..K) is entries bounds[l - 1]:bounds[l]."""
    key: np.ndarray  # (M,) line * w + column
    cols: np.ndarray  # (M,) column
    yc: np.ndarray  # (M,) mean y of the line's pixels in the column
    ink: np.ndarray  # (M, 3) their mean Lab
    bounds: np.ndarray  # (K + 1,)
    dense: np.ndarray  # (K, w) each path's centre at every column (interpolated; NaN: no path)
    w: int  # columns: xs.max() + 1


def _paths(xs, ys, labels, lab, k) -> _Paths:
    """The paths of lines 1..k of labels; lab (N, 3) the pixels' Lab."""
    w = int(xs.max()) + 1
    sel = labels > 0
    key, inv, cnt = np.unique(labels[sel] * w + xs[sel], return_inverse=True, return_counts=True)
    cols = key % w
    yc = np.bincount(inv, weights=ys[sel]) / cnt
    lab = lab[sel]
    ink = np.stack([np.bincount(inv, weights=lab[:, q]) for q in range(3)], 1) / cnt[:, None]
    bounds = np.searchsorted(key // w, np.arange(1, k + 2))
    dense = np.full((k, w), np.nan)
    grid = np.arange(w)
    for c in np.flatnonzero(np.diff(bounds)):  # one np.interp a line
        s = slice(bounds[c], bounds[c + 1])
        dense[c] = np.interp(grid, cols[s], yc[s])
    return _Paths(key, cols, yc, ink, bounds, dense, w)


def _ragged(n: np.ndarray):
    """(owner, rank): for counts n, each item's owner and its rank within the owner's."""
    owner = np.repeat(np.arange(len(n)), n)
    return owner, np.arange(len(owner)) - np.repeat(np.cumsum(n) - n, n)


def _meetings(p: _Paths):
    """(a, b, x0, x1): lines a < b (0-based) and the column ranges [x0, x1] where their
    paths' centres come within TOUCH px or cross between two columns (a crossing, a
    touch -- a crossing already swapped looks like a V meeting a caret -- or a stretch run
    together), ordered by a, b, x0. Only pairs drawn together over 2 * WINDOW columns;
    about CHUNK of their columns at a time."""
    k = len(p.bounds) - 1
    drawn = np.diff(p.bounds) > 0
    first = np.where(drawn, p.cols[np.minimum(p.bounds[:-1], len(p.cols) - 1)], 0)
    last = np.where(drawn, p.cols[np.maximum(p.bounds[1:] - 1, 0)], 0)
    a, b = np.triu_indices(k, 1)
    lo, hi = np.maximum(first[a], first[b]), np.minimum(last[a], last[b])
    ok = drawn[a] & drawn[b] & (hi - lo >= 2 * WINDOW)
    pairs = a[ok], b[ok], lo[ok], hi[ok]
    cuts = np.flatnonzero(np.diff(np.cumsum(pairs[3] - pairs[2] + 1) // CHUNK)) + 1
    parts = [_meet(p, *block) for block in zip(*(np.split(t, cuts) for t in pairs))]
    return tuple(np.concatenate(t) for t in zip(*parts))


def _meet(p: _Paths, a, b, lo, hi):
    """_meetings of the pairs (a, b) drawn together over columns [lo, hi]."""
    pair, rank = _ragged(hi - lo + 1)  # every column both are drawn over, pair by pair
    col = lo[pair] + rank
    d = p.dense[a[pair], col] - p.dense[b[pair], col]
    near = np.abs(d) <= TOUCH
    head, tail = col == lo[pair], col == hi[pair]
    near[1:] |= (np.sign(d[1:]) * np.sign(d[:-1]) < 0) & ~head[1:]  # crossed between two columns
    start = near & (head | ~np.r_[False, near[:-1]])
    end = near & (tail | ~np.r_[near[1:], False])
    s, e = np.flatnonzero(start), np.flatnonzero(end)
    return a[pair[s]], b[pair[s]], col[s], col[e]


def _arms(p: _Paths, line, lo, hi, occ):
    """(ok, angle, coverage, ink) of each path `line` (0-based) over columns [lo, hi]:
    ok = it has pixels in MIN_COLS of them and runs straight there. Coverage counts the
    columns it has pixels in against those plus the columns where its path crosses
    background (a gap of its own), not another line's pixels (where it is hidden)."""
    base = (line + 1) * p.w
    i0 = np.searchsorted(p.key, base + np.maximum(lo, 0))
    n = np.searchsorted(p.key, base + np.minimum(hi, p.w - 1) + 1) - i0
    slot = np.arange(WINDOW + 1)
    m = slot < n[:, None]  # (A, WINDOW + 1): the arm's entries
    idx = np.where(m, i0[:, None] + slot, 0)
    nn = np.maximum(n, 1)
    c = np.where(m, p.cols[idx], 0).astype(np.float64)
    y = np.where(m, p.yc[idx], 0.0)
    dc = np.where(m, c - (c.sum(1) / nn)[:, None], 0.0)
    dy = np.where(m, y - (y.sum(1) / nn)[:, None], 0.0)
    vxx = (dc ** 2).sum(1)
    slope = np.where(vxx > 0, (dc * dy).sum(1) / np.where(vxx > 0, vxx, 1.0), 0.0)
    rms = np.sqrt(((dy - slope[:, None] * dc) ** 2).sum(1) / nn)
    ok = (n >= MIN_COLS) & (rms <= STRAIGHT)
    ink = np.where(m[:, :, None], p.ink[idx], 0.0).sum(1) / nn[:, None]
    return ok, np.arctan(slope), n / np.maximum(n + _gaps(p, line, lo, hi, occ), 1), ink


def _gaps(p: _Paths, line, lo, hi, occ):
    """(A,) columns of [lo, hi] within the path's own extent where the path (rounded to
    a row) and the rows next to it hold no candidate pixel."""
    g0 = np.maximum(lo, p.cols[p.bounds[line]])
    g1 = np.minimum(hi, p.cols[p.bounds[line + 1] - 1])
    gx = g0[:, None] + np.arange(WINDOW + 1)
    inside = gx <= g1[:, None]
    gx = np.where(inside, gx, 0)  # (an arm without pixels has no extent here)
    gy = np.clip(np.round(p.dense[line[:, None], gx]).astype(np.int64), 1, occ.shape[0] - 2)
    hit = occ[gy, gx] | occ[gy - 1, gx] | occ[gy + 1, gx]
    return (inside & ~hit).sum(1)


def _cost(p, q):
    """Cost of joining arm p to arm q, each (angle, coverage, ink), over arrays of arms."""
    ink = np.sqrt(((p[2] - q[2]) ** 2).sum(-1))
    return np.abs(p[0] - q[0]) + np.abs(p[1] - q[1]) + np.maximum(ink - INK_NOISE, 0.0) / INK_SCALE


def _swapped(p: _Paths, a, b, x0, x1, occ) -> np.ndarray:
    """(n,) bool: at which meetings the lines a and b are swapped (see the module docstring)."""
    line = np.stack([a, a, b, b], 1).ravel()  # arms: a left, a right, b left, b right
    right = np.tile([False, True], 2 * len(a))
    lo = np.where(right, np.repeat(x1, 4) + MARGIN, np.repeat(x0, 4) - MARGIN - WINDOW)
    ok, ang, cov, ink = _arms(p, line, lo, lo + WINDOW, occ)
    al, ar, bl, br = ((ang[s::4], cov[s::4], ink[s::4]) for s in range(4))
    a_a, b_b, a_b, b_a = _cost(al, ar), _cost(bl, br), _cost(al, br), _cost(bl, ar)  # arm left -> arm right
    keep, swap = a_a + b_b, a_b + b_a
    oks = ok.reshape(-1, 4)
    both = oks.all(1) & (swap <= SWAP_MAX) & (swap + SWAP_MARGIN < keep) & (swap < SWAP_RATIO * keep)
    # one line runs straight on through the crossing, into the other line's arm; the arm it
    # has now does not continue it (it bends, or turns away)
    def measured(i, j, cost):  # the cost of joining arm i to arm j where both run straight
        return np.where(oks[:, i] & oks[:, j], cost, np.inf)

    c_keep = np.minimum(measured(0, 1, a_a), measured(2, 3, b_b))
    c_swap = np.minimum(measured(0, 3, a_b), measured(2, 1, b_a))
    mixed = np.maximum(np.abs(al[1] - ar[1]), np.abs(bl[1] - br[1])) > STYLE_GAP  # a line now changes dash style here
    one = mixed & (c_swap <= THROUGH) & (c_keep > c_swap + SWAP_MARGIN)
    return both | one


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
        p = _paths(xs, ys, labels, lab, k)
        todo, changed = _meetings(p), False
        while len(todo[0]):
            hit = np.flatnonzero(_swapped(p, *todo, occ))
            if not len(hit):
                break
            i = hit[0]
            a, b, x0, x1 = (int(t[i]) for t in todo)
            right = xs > (x0 + x1) // 2
            ia, ib = (labels == a + 1) & right, (labels == b + 1) & right
            labels[ia], labels[ib] = b + 1, a + 1
            p, changed = _paths(xs, ys, labels, lab, k), True
            todo = _after(todo, i, _meetings(p))
        if not changed:
            break
    return labels


def _after(todo, i, new):
    """What is left to look at after an exchange at todo's meeting i: the rest of that
    pair's meetings (found on the paths before it) and the later pairs' meetings on the
    new paths."""
    a, b = todo[0][i], todo[1][i]
    same = (todo[0] == a) & (todo[1] == b) & (np.arange(len(todo[0])) > i)
    later = (new[0] > a) | ((new[0] == a) & (new[1] > b))
    return tuple(np.r_[t[same], u[later]] for t, u in zip(todo, new))
