"""Legend swatches, tick marks and grid rulings among a model's own candidate pixels.

    cand &= ~find_marks(cand, image)        # legend samples, ticks: short repeated strokes
    cand &= ~find_rulings(cand, area)       # grid lines and axes: long straight runs

A model that finds its own line pixels also marks, correctly at the pixel level, the
short line samples of a legend and an axis's tick marks: they are drawn with the same
pens as the data. Grouped with the data they add a second y at their x's to a line
(legend swatches sit inside the axes, beside the series of their colour), or come out
as extra lines. What tells them apart from data is their arrangement, not their look:

  * a legend's swatches are short horizontal strokes of the same length, stacked one
    above the other with the same left and right ends; y-axis ticks likewise;
  * x-axis ticks are short vertical strokes with the same top and bottom, in a row.

The rule, on the connected components of the candidate mask (after a closing along the
stroke, so that a dotted or dashed swatch with a marker is one piece):

  1. a stroke is at most `max_len` of the image's size along it, and at least twice as
     long as its mean thickness (pixels / length; `min_aspect`), so that a swatch with
     a marker in its middle still counts; and it is straight along the axis: the centres
     of its first and last columns (rows) are within `max_tilt` px across it (a tilted
     dash of a steep dashed series is not a tick, even where two dashes happen to share
     their top and bottom rows);
  2. it is isolated along its direction: no other candidate pixel within `gap` x its
     length beyond at least one of its ends (a dash inside a dashed line has the next
     dash on both sides);
  3. its two ends coincide (within `tol` px) with those of at least `min_repeat` - 1
     other such strokes (a column of swatches, ticks along an axis); or, given the
     image, it has label ink (text that is not a candidate) within one length to its
     right, as have min_repeat - 1 other strokes on the same centre line, of about the
     same length (a legend laid out in one row).

Pixels of the strokes found are removed. Data strokes that match by chance (two short
flat pieces of different lines over exactly the same x range, each with no neighbour
beyond one end) are rare; a legend with a single entry is not found. Grid rulings are
`find_rulings`' (its docstring). Strokes are looked for in the candidates' bounding box
(a closing along them reaches no farther), runs of rulings only in rows long enough.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..labels import components
from .plotarea import background_diff


def _strokes(mask: np.ndarray, size: int, max_len: float, min_aspect: float, gap: float, tol: int,
             min_repeat: int, close: int, label_ink=None, at: tuple = (0, 0), max_tilt: float = 0.75) -> np.ndarray:
    """Horizontal strokes of a bool mask that repeat in a column (or, with `label_ink`,
    in a row with a label beside each): bool mask of their pixels. The mask may be a crop
    of the image, its top-left pixel at `at` (x, y); `size` is the image's width (max_len
    is a share of it); label_ink, a function giving the image's label ink (bool, H x W),
    is called only when there are strokes to look beside."""
    m8 = mask.view(np.uint8)
    joined = cv2.morphologyEx(m8, cv2.MORPH_CLOSE, np.ones((1, close), np.uint8)) if close > 1 else m8
    n, lab, stats, _ = components(joined)
    if n <= 2:
        return np.zeros_like(mask)
    x0, y0, bw, bh, area = stats.T
    # 1. short, and long for its mean thickness (a swatch may carry a marker in its middle)
    idx = np.flatnonzero((bw <= max(8, max_len * size)) & (bw * bw >= min_aspect * area) & (bw >= 4))
    if len(idx) < min_repeat:
        return np.zeros_like(mask)
    # ... and straight along the axis: its first and last columns centred on one row (a
    # tilted dash of a dashed or dotted series is not a swatch or a tick)
    idx = idx[end_tilt(lab, stats, idx)[0] <= max_tilt]
    if len(idx) < min_repeat:
        return np.zeros_like(mask)
    # 2. free of other candidates within gap x its length beyond at least one end
    count = _box_counter(joined)
    x0, y0, bw, bh = x0[idx], y0[idx], bw[idx], bh[idx]
    x1 = x0 + bw
    reach = np.maximum(3, np.ceil(gap * bw)).astype(np.int64)
    ya, yb = y0 - 1, y0 + bh + 1
    free = (count(x0 - reach, x0, ya, yb) == 0) | (count(x1, x1 + reach, ya, yb) == 0)
    # 3. repeated: the same left and right ends as min_repeat - 1 others (a column), or,
    #    for strokes with label ink within one length to their right, the same top,
    #    bottom and length as others with a label (a one-row legend)
    labelled = np.zeros(len(idx), bool)
    if label_ink is not None:
        th = np.maximum(bh, 8)  # a label's height: text is taller than the stroke
        xa, ya = x1 + 1 + at[0], y0 + at[1]  # in the image
        labelled = _box_counter(label_ink())(xa, xa + np.maximum(bw, 8), ya - th, ya + bh + th) > 0
    reps = np.zeros(len(idx), np.int64)
    cand = np.flatnonzero(free)
    for s in range(0, len(cand), 1024):
        i = cand[s:s + 1024, None]
        j = cand[None]
        column = (np.abs(x0[i] - x0[j]) <= tol) & (np.abs(x1[i] - x1[j]) <= tol)
        # a row: the same centre line and about the same length (markers differ in size)
        row = ((np.abs(2 * y0[i] + bh[i] - 2 * y0[j] - bh[j]) <= 2 * tol)
               & (np.abs(bw[i] - bw[j]) <= np.maximum(tol, 0.25 * np.maximum(bw[i], bw[j])))
               & labelled[i] & labelled[j])
        reps[i[:, 0]] = (column | row).sum(1)  # itself included
    sel = reps >= min_repeat
    out = np.zeros_like(mask)
    if not sel.any():
        return out
    is_mark = np.zeros(n, bool)
    is_mark[idx[sel] + 1] = True  # component labels
    box = slice(y0[sel].min(), (y0 + bh)[sel].max()), slice(x0[sel].min(), x1[sel].max())  # all the marks
    out[box] = is_mark[lab[box]] & mask[box]
    return out


def end_tilt(lab: np.ndarray, stats: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per component idx (rows of stats, label idx + 1): (tilt, thick). tilt: how far it is
    from a straight axis-parallel stroke, in px: |row centre of its last column - row centre
    of its first column|, or infinity where an end column is not one run (the two legs of a
    dash on a peak); thick: the longer of its two end columns' runs, in px (a stroke's ends
    are thin, a word's are a letter's upright: legend.py). Vectorised over the components'
    pixels."""
    x0, y0, bw, bh = (stats[idx, k] for k in range(4))
    box = slice(int(y0.min()), int((y0 + bh).max())), slice(int(x0.min()), int((x0 + bw).max()))
    ys, xs = np.nonzero(lab[box])
    ls = lab[box][ys, xs]
    xs = xs + box[1].start
    where = np.full(len(stats) + 1, -1, np.int64)
    where[idx + 1] = np.arange(len(idx))
    k = where[ls]
    on = k >= 0
    ys, xs, k = ys[on], xs[on], k[on]
    n = len(idx)
    tilt, thick, centres = np.zeros(n), np.zeros(n, np.int64), []
    for sel in (xs == x0[k], xs == x0[k] + bw[k] - 1):  # first and last column
        cnt = np.bincount(k[sel], None, n)
        np.maximum(thick, cnt, out=thick)
        lo, hi = np.full(n, np.iinfo(np.int64).max), np.full(n, -1)
        np.minimum.at(lo, k[sel], ys[sel])
        np.maximum.at(hi, k[sel], ys[sel])
        tilt[hi - lo + 1 > cnt] = np.inf  # a gap in the end column
        centres.append(np.bincount(k[sel], ys[sel], n) / np.maximum(cnt, 1))
    return np.maximum(tilt, np.abs(centres[1] - centres[0])), thick


def _box_counter(mask: np.ndarray):
    """count(xa, xb, ya, yb): True pixels of the mask in [xa, xb) x [ya, yb), vectorised
    over arrays of boxes and clipped to the image (an integral image)."""
    h, w = mask.shape
    m8 = np.ascontiguousarray(mask).view(np.uint8)
    ii = cv2.integral(m8, sdepth=cv2.CV_32S if mask.size < 2 ** 31 else cv2.CV_64F)

    def count(xa, xb, ya, yb):
        xa, xb = np.clip(xa, 0, w), np.clip(xb, 0, w)
        ya, yb = np.clip(ya, 0, h), np.clip(yb, 0, h)
        return ii[yb, xb] - ii[ya, xb] - ii[yb, xa] + ii[ya, xa]

    return count


def _padded_box(mask: np.ndarray, pad: int) -> tuple[slice, slice]:
    """The rows and columns of the mask's True pixels' bounding box grown by pad px (within
    the image): a closing with a kernel up to pad long gives the same pixels there as on
    the whole mask, and none outside."""
    x, y, bw, bh = cv2.boundingRect(mask.view(np.uint8))
    h, w = mask.shape
    return slice(max(0, y - pad), min(h, y + bh + pad)), slice(max(0, x - pad), min(w, x + bw + pad))


def find_marks(cand: np.ndarray, image: np.ndarray | None = None, max_len: float = 0.15, min_aspect: float = 2.0,
               gap: float = 0.5, tol: int = 2, min_repeat: int = 2, close: int = 5, ink_diff: int = 60) -> np.ndarray:
    """Bool mask of the candidate pixels that are legend swatches or tick marks (see the
    module docstring): horizontal strokes repeated in a column, vertical ones in a row,
    and, given the image, labelled horizontal strokes repeated in a row."""
    cand = np.asarray(cand, bool)
    out = np.zeros(cand.shape, bool)
    if cand.ndim != 2 or not cand.any():
        return out
    h, w = cand.shape
    box = _padded_box(cand, close)  # strokes are looked for where the candidates are
    sub = cand[box]
    label_ink = None
    if image is not None:  # ink that is not a candidate: text

        def label_ink():
            return (background_diff(image) > ink_diff) & ~cand
    kw = dict(max_len=max_len, min_aspect=min_aspect, gap=gap, tol=tol, min_repeat=min_repeat, close=close)
    horiz = _strokes(np.ascontiguousarray(sub), w, label_ink=label_ink, at=(box[1].start, box[0].start), **kw)
    vert = _strokes(np.ascontiguousarray(sub.T), h, **kw).T
    out[box] = horiz | vert
    return out


def find_rulings(cand: np.ndarray, min_len: float = 0.6, gap: float = 0.015, band: int = 1,
                 max_thick: int = 5, min_bands: tuple = (3, 1), area: tuple | None = None,
                 axis_tol: int = 4) -> np.ndarray:
    """Bool mask of the candidate pixels on grid lines and axes: rows (columns) holding a
    run of candidates over `min_len` of the candidates' overall width (height), gaps of
    up to `gap` of it bridged (a dashed or dotted grid line is one run).

    Removed before grouping: a grid line drawn in the lines' colour touches every series
    it crosses and would chain them all into one group. A data series that is flat at
    one y over most of the plot could pass for a ruling, so horizontal rulings are
    removed only as a grid: at least `min_bands[0]` such rows, evenly spaced (`is_grid`).
    One vertical run over `min_len` of the height is enough (`min_bands[1]`): a series
    never has one, a marker line (`axvline`) does. Where a series crosses a ruling, the
    ruling's pixels stay when the candidates' run across the ruling there is taller than
    a ruling (`max_thick` and its `band`): a marker or a steep stroke on a grid row is not
    cut in two (a stroke crossing at a shallow angle loses the pixels it shares with the
    ruling, a gap the grouping bridges). The candidates right above
    and below a ruling's pixels (within `band` px) go with it, so that a ruling drawn
    anti-aliased over two or three rows goes whole. Over `max_thick` adjacent rows with
    such runs are a filled area (a dark background taken for line pixels), not a ruling.
    Given the plot area (x0, y0, x1, y1) the axes enclose, rulings within `axis_tol` px of
    its edges are the axes (or the frame) and go whatever the grid rule says."""
    cand = np.asarray(cand, bool)
    out = np.zeros(cand.shape, bool)
    if cand.ndim != 2 or not cand.any():
        return out
    for axis in (1, 0):  # rows (horizontal rulings), then columns
        m = cand if axis == 1 else cand.T
        occupied = np.flatnonzero(m.any(0))
        span = occupied[-1] - occupied[0] + 1  # the candidates' extent along the lines
        need = min_len * span
        bridge = max(2, round(gap * span))
        # runs along each row with gaps up to `bridge` closed (a dashed or dotted ruling is one run)
        closed = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, bridge + 1), np.uint8))
        hit = _long_runs(closed, m, need)
        rows = hit.any(1)  # a ruling is thin: a block of over max_thick such rows is a blob, not a ruling
        d = np.diff(np.r_[False, rows, False].astype(np.int8))
        starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        thin = ends - starts <= max_thick
        for a, b in zip(starts[~thin], ends[~thin]):
            hit[a:b] = False
        centres = (starts[thin] + ends[thin] - 1) / 2
        if len(centres) < min_bands[0 if axis == 1 else 1] or (axis == 1 and not is_grid(centres)):
            if area is None:
                continue
            edges = (area[1], area[3]) if axis == 1 else (area[0], area[2])
            at_edge = np.zeros(len(rows), bool)
            for e in edges:
                at_edge[max(0, e - axis_tol):e + axis_tol + 1] = True
            hit[~at_edge] = False  # not a grid: only the axes go
        if band and hit.any():  # a ruling anti-aliased over two or three rows: its pixels' neighbours across it
            hit = cv2.dilate(hit.astype(np.uint8), np.ones((2 * band + 1, 1), np.uint8)).astype(bool) & m
        if hit.any():  # where a series' stroke or marker crosses it, the column's run is taller than a ruling
            hit &= _across(m) <= max_thick + 2 * band
        out |= hit if axis == 1 else hit.T
    return out


def _across(m: np.ndarray) -> np.ndarray:
    """Per pixel of m (bool, H x W): the length of its run of True along its column (0 off m)."""
    cols = np.pad(m.T, ((0, 0), (1, 1)))  # a False either end of each column: runs never join
    d = np.diff(cols.ravel().view(np.int8))
    lens = np.flatnonzero(d == -1) - np.flatnonzero(d == 1)
    out = np.zeros(cols.shape, np.int64)
    out.ravel()[np.flatnonzero(cols.ravel())] = np.repeat(lens, lens)
    return out[:, 1:-1].T


def _long_runs(closed: np.ndarray, m: np.ndarray, need: float) -> np.ndarray:
    """The pixels of m on runs of `closed` (along its rows) at least `need` long. Only rows
    with that many pixels are searched for runs (a handful: the rulings)."""
    hit = np.zeros(m.shape, bool)
    rows = np.flatnonzero(np.count_nonzero(closed, axis=1) >= need)
    if len(rows) == 0:
        return hit
    d = np.diff(np.pad(closed[rows], ((0, 0), (1, 1))).astype(np.int8), axis=1)
    (sr, sc), (_, ec) = np.nonzero(d == 1), np.nonzero(d == -1)  # row-major: starts and ends pair up
    long = ec - sc >= need
    for r, a, b in zip(rows[sr[long]], sc[long], ec[long]):  # the few long runs
        hit[r, a:b] = m[r, a:b]
    return hit


def is_grid(centres: np.ndarray, tol: float = 0.1) -> bool:
    """Whether ruling positions are evenly spaced: every gap a whole multiple (within tol)
    of the smallest, most of them one step (a grid line may hide under a legend)."""
    if len(centres) < 3:
        return True
    gaps = np.diff(np.sort(centres))
    step = float(gaps.min())
    if step <= 0:
        return False
    ratio = gaps / step
    return bool(np.all(np.abs(ratio - np.round(ratio)) <= tol) and np.mean(np.round(ratio) == 1) >= 0.5)
