"""Which text boxes are an axis's tick labels, where each one points, and the tick marks.

    rows, cols = label_groups(boxes, labels, area)     # candidate x-axis rows, y-axis columns
    pos = anchor_positions(rows[0], "x")               # pixel each label belongs to, along the axis
    marks = tick_marks(image, "x", area)               # tick-mark / grid-line pixels along the axis
    pos = snap(pos, marks, tol)                        # labels moved onto their tick marks

x-axis labels share a row (their tops, the side facing the axis, line up); y-axis
labels share a column (right-aligned on a left axis, left-aligned on a right one). A
label's pixel is its centre along the axis, except for rotated x labels, whose end
nearest the axis (the topmost corner) points at the tick. Tick marks are short strokes
across the axis line (just outside or just inside it) or grid lines across the plot
area: columns (rows) where most pixels of those bands are ink. Snapping moves a label
onto the nearest mark within `tol`, which removes the offsets of rotated or
unevenly drawn labels.
"""

from __future__ import annotations

import numpy as np

from ..candidates.plotarea import background_diff

# a label is in a row (column) when its anchor lies within this many text heights of the group's
ALIGN = 0.6
# labels more rotated than this (degrees) point at their tick with their top corner
ROTATED = 10.0
# ink threshold (levels from the background) for tick marks and grid lines
INK_DIFF = 40
# depth of the bands beside the axis line searched for tick marks, pixels
TICK_BAND = (2, 7)
# share of a band's pixels that must be ink for a tick mark; of the plot's for a grid line
TICK_FILL, GRID_FILL = 0.8, 0.6
# widest tick mark or grid line, pixels
MAX_TICK_WIDTH = 5


def _groups(key: np.ndarray, scale: np.ndarray) -> list[np.ndarray]:
    """Indices grouped by 1-D key: sorted keys split where the gap exceeds ALIGN * scale."""
    if len(key) == 0:
        return []
    order = np.argsort(key)
    gaps = np.diff(key[order]) > ALIGN * np.maximum(scale[order][1:], scale[order][:-1])
    return [g for g in np.split(order, np.flatnonzero(gaps) + 1) if len(g) >= 2]


def label_groups(boxes: list, area: tuple | None = None) -> tuple[list, list]:
    """Candidate tick-label groups: (x rows, y columns), lists of index arrays into boxes.
    With a plot area (x0, y0, x1, y1), x rows lie below it and y columns beside it."""
    if not boxes:
        return [], []
    q = np.stack([b.quad for b in boxes])  # (n, 4, 2)
    h = np.array([b.height for b in boxes])
    top, left, right = q[:, :, 1].min(1), q[:, :, 0].min(1), q[:, :, 0].max(1)
    cy = q[:, :, 1].mean(1)
    idx = np.arange(len(boxes))
    xs_ok = ys_left = ys_right = np.ones(len(boxes), bool)
    if area is not None:
        x0, _, x1, y1 = area
        xs_ok = top > y1 - 0.5 * h
        ys_left = right < x0 + 0.5 * h
        ys_right = left > x1 - 0.5 * h
    rows = [idx[xs_ok][g] for g in _groups(top[xs_ok], h[xs_ok])]
    cols = [idx[ys_left][g] for g in _groups(right[ys_left], h[ys_left])]
    cols += [idx[ys_right][g] for g in _groups(left[ys_right], h[ys_right])]
    # a column of labels sits at different heights; a row's labels at different x
    rows = [g for g in rows if np.ptp(q[g, :, 0].mean(1)) > 0]
    cols = [g for g in cols if np.ptp(cy[g]) > 0]
    return rows, cols


def anchor_positions(boxes: list, axis: str) -> np.ndarray:
    """The pixel along the axis that each label names (x for the x axis, y for the y axis)."""
    out = []
    for b in boxes:
        if axis == "x" and abs(b.angle) > ROTATED:
            top = b.quad[np.argmin(b.quad[:, 1])]
            out.append(top[0])
        else:
            out.append(b.centre[0 if axis == "x" else 1])
    return np.asarray(out, np.float64)


def _runs_centres(on: np.ndarray) -> np.ndarray:
    """Centres of the runs of True in a 1-D bool array that are at most MAX_TICK_WIDTH long."""
    d = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = (ends - starts) <= MAX_TICK_WIDTH
    return (starts[keep] + ends[keep] - 1) / 2.0


def tick_marks(image: np.ndarray, axis: str, area: tuple) -> np.ndarray:
    """Pixel positions along the axis of its tick marks and grid lines (may be empty)."""
    ink = background_diff(image) > INK_DIFF
    x0, y0, x1, y1 = (int(v) for v in area)
    if axis == "x":  # axis line = row y1, outside = below it, positions = columns
        m, line, out, span, inner = ink, y1, 1, (x0, x1), (y0, y1)
    else:  # axis line = column x0, outside = left of it, positions = rows
        m, line, out, span, inner = ink.T, x0, -1, (y0, y1), (x0, x1)
    a, b = TICK_BAND
    found = np.zeros(m.shape[1], bool)
    for lo, hi in sorted([(line + out * a, line + out * b)]) + sorted([(line - out * b, line - out * a)]):
        lo, hi = max(0, min(lo, hi)), min(m.shape[0], max(lo, hi))
        if hi - lo >= 3:
            found |= m[lo:hi].mean(0) >= TICK_FILL
    lo, hi = inner[0] + b, inner[1] - b
    if hi - lo >= 3:
        grid = m[lo:hi].mean(0) >= GRID_FILL
        grid[max(0, span[0] - 2):span[0] + 3] = False  # the frame's own sides are not grid lines
        grid[max(0, span[1] - 2):span[1] + 3] = False
        found |= grid
    found[:max(0, span[0] - 1)] = False
    found[span[1] + 2:] = False
    return _runs_centres(found)


def snap(pos: np.ndarray, marks: np.ndarray, tol: float) -> np.ndarray:
    """Each label position moved onto its nearest tick mark when one lies within tol."""
    if len(marks) == 0 or len(pos) == 0:
        return pos
    d = np.abs(pos[:, None] - marks[None, :])
    j = d.argmin(1)
    near = d[np.arange(len(pos)), j] <= tol
    return np.where(near, marks[j], pos)
