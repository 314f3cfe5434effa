"""The plot area of a chart: the rectangle its axes enclose.

    area = find_plot_area(image)            # (x0, y0, x1, y1) or None
    area = find_panel(image)                # the same from a plot panel's own colour
    area = find_grid(image)                 # the same from a faint grid on the page
    area = find_area(image)                 # the first of the three that finds one
    mask = crop_to(mask, area, margin=2)    # clear the pixels outside

Data series are drawn inside the axes (plotting tools clip them there); outside lie the
tick labels, axis titles, the chart title and outward ticks, which are the usual false
line pixels of a model that finds its own candidates. A standard chart frame has an
x axis (a long straight horizontal line in the lower half) and a y axis (a long straight
vertical line in the left half) meeting at a corner. The rule:

  1. ink = pixels that differ from the background (the image's commonest grey) by more
     than `ink_diff` levels;
  2. axis lines = rows (columns) whose longest run of ink covers at least `min_len`
     of the image width (height); gaps of up to 1% of the length within a run are
     bridged (faint, anti-aliased or JPEG-damaged axes);
  3. the x axis is the lowest such row in the lower half, the y axis the leftmost such
     column in the left half; each spans the union of its own run and those of the long
     rows (columns) next to it without a gap (a thick axis, or one tilted by a scan, is
     drawn over a few rows, each holding part of it);
  4. they must form the corner of an L: the x axis starts within `tol` px of the
     y axis, and the y axis ends within `tol` px of the x axis. Axes crossing at an
     origin inside the plot, charts without axes (seaborn's whitegrid, ggplot), and
     tilted scans fail this test, and then nothing is cropped (None);
  5. if no corner is found at `ink_diff`, the search is repeated once at `faint_diff`:
     light-grey axes on a grey panel (ggplot-like themes, many PDF exports) differ from
     the background by less than 60 levels. The L-corner test guards this second try.

The plot area spans from the y axis to the x axis's right end and from the y axis's top
end to the x axis. The cost is a few numpy passes over the image (a few ms at 800x600).

Many plotting tools draw no axis lines but a plot panel of its own colour (plotly's
light blue, ggplot's and seaborn darkgrid's grey, pygal's styles): `find_panel` takes the
commonest colour of the image's middle, if it differs from the commonest colour of its
border, and the rows and columns where that colour dominates as the panel. `predict`
tries it where the axes rule finds no corner (on the 180 foreign-renderer charts the axes
rule finds 18 plot areas and the panel rule 127 more: `python benchmarks/series_judge.py`).

Others draw neither axis lines nor a panel, only a faint grid on the page's own colour
(plotly's white template, seaborn's whitegrid, many journal styles): `find_grid` takes
the plot area from the grid itself. Every horizontal grid line spans the plot area's
width and every vertical one its height, so the rows and columns holding a long run of
faint ink (over `GRID_DIFF` levels from the background, `GRID_LEN` of the image or more)
give the area's sides where at least two lines each way agree on where they start and
end. No gap is bridged within a line: plotly's tick labels end 2 px from their grid
line. A chart with no grid but a faint zero line each way (plotly's white template without
grid lines) has one horizontal and one vertical such line; where they meet or cross,
they give the sides too (a zero line spans the plot area as a grid line does). A line is
thin (GRID_THICK rows, blurred): a block of long runs is a shaded region (uneven lighting
of a scan, a band of colour), which would otherwise pass for a line.
`predict` tries it where the other two rules find nothing: 30 of the 35 foreign charts
they miss, within 2 px of the renderer's own box on 26 of them, 5.5 px wider on 4.
"""

from __future__ import annotations

import cv2
import numpy as np

PANEL_TOL = 3  # grey levels: a panel's colour differs from the page's by more; its pixels are within this of it
PANEL_MIN_SHARE = 0.25  # a panel covers at least this share of the image
PANEL_ROW_SHARE = 0.3  # ... and spans the rows and columns where over this share of the pixels are its colour
PANEL_FILL = 0.6  # ... and this share of the rectangle is its colour (grid lines and series are the rest)
GRID_DIFF = 4  # grey levels: grid ink differs from the background by more (plotly's white template: about 15)
GRID_LEN = 0.4  # a grid line's longest run covers at least this share of the image's width (height)
GRID_GAP = 0  # px: gaps within a grid line bridged (none: a tick label 2 px from its line stays apart)
AXIS_COLS = 3  # columns of a thick y axis looked at for its unbroken end below the corner (_corner)
GRID_THICK = 5  # rows: a grid line is at most this thick, blurred (adjacent rows of long runs beyond it are a shaded block)


def _longest_runs(ink: np.ndarray, rows: np.ndarray, gap: int):
    """For each given row of a bool image: (start, end) of its longest run of True, runs
    separated by at most `gap` False pixels counting as one (faint or anti-aliased axes)."""
    out = []
    for r in rows:
        d = np.diff(np.r_[False, ink[r], False].astype(np.int8))
        starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        keep = np.r_[True, starts[1:] - ends[:-1] > gap]  # a run that starts after a real gap
        starts, ends = starts[keep], ends[np.r_[keep[1:], True]]
        j = int(np.argmax(ends - starts))
        out.append((int(starts[j]), int(ends[j]) - 1))
    return out


def _axis_lines(ink: np.ndarray, min_len: float):
    """Rows whose longest ink run is at least min_len of the width: [(row, start, end)]."""
    w = ink.shape[1]
    need = int(np.ceil(min_len * w))
    gap = max(2, round(0.01 * w))
    rows = np.flatnonzero(ink.sum(1) >= need - 2 * gap)  # a necessary condition, cheap
    return [(int(r), s, e) for r, (s, e) in zip(rows, _longest_runs(ink, rows, gap)) if e - s + 1 >= need]


def commonest_grey(gray: np.ndarray) -> int:
    """The commonest grey level (0..255) of a uint8 grey image: its background."""
    if gray.dtype == np.uint8 and gray.size < 1 << 24:  # OpenCV's histogram, 3x numpy's bincount (exact float32 counts)
        return int(np.argmax(cv2.calcHist([np.ascontiguousarray(gray)], [0], None, [256], [0, 256]).ravel()))
    return int(np.argmax(np.bincount(gray.ravel(), minlength=256)))


def background_diff(image: np.ndarray) -> np.ndarray:
    """|grey level - background| per pixel (int16, 0..255), the background being the
    image's commonest grey; ink is where this exceeds a threshold. Any dtype or channels."""
    img = np.asarray(image)
    if img.dtype != np.uint8:  # 16-bit or float input: to 0..255
        img = np.clip(img * (255.0 / max(float(img.max()), 1e-9)), 0, 255).astype(np.uint8)
    gray = cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
    return np.abs(gray.astype(np.int16) - commonest_grey(gray))


def find_plot_area(image: np.ndarray, ink_diff: int = 60, min_len: float = 0.4,
                   tol: int | None = None, faint_diff: int | None = 30) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the rectangle the chart's axes enclose, axes included, or None
    when there is no clear x and y axis meeting at a corner (see module docstring)."""
    diff = background_diff(image)
    h, w = diff.shape
    if h < 20 or w < 20:
        return None
    tol = tol if tol is not None else max(6, round(0.015 * max(h, w)))
    for level in (ink_diff,) if faint_diff is None else (ink_diff, faint_diff):
        area = _corner(diff > level, min_len, tol)
        if area is not None:
            return area
    return None


def _axis_band(lines: list, lowest: bool) -> tuple[int, int, int]:
    """The axis among long rows (columns) [(row, start, end)]: the lowest row (leftmost
    column), spanning the union of the runs of the rows next to it without a gap. A thick or
    slightly tilted axis (a scanned chart rotated by a fraction of a degree) is drawn over
    two or three rows, each holding only part of its length: the lowest alone would end the
    plot area where the axis steps to the row above (cutting off the series beyond)."""
    by_row = {r: (s, e) for r, s, e in lines}
    r0 = max(by_row) if lowest else min(by_row)
    step = -1 if lowest else 1
    s, e = by_row[r0]
    r = r0 + step
    while r in by_row:
        s, e = min(s, by_row[r][0]), max(e, by_row[r][1])
        r += step
    return r0, s, e


def _corner(ink: np.ndarray, min_len: float, tol: int) -> tuple[int, int, int, int] | None:
    """The L-shaped x and y axes of a bool ink image, as (x0, y0, x1, y1), or None."""
    h, w = ink.shape
    horiz = [r for r in _axis_lines(ink, min_len) if r[0] >= h // 2]
    vert = [c for c in _axis_lines(ink.T, min_len) if c[0] < w // 2]
    if not horiz or not vert:
        return None
    yb, xa, xb = _axis_band(horiz, lowest=True)  # the lowest long row: the x axis (its last row if it is thick)
    xl, ya, yc = _axis_band(vert, lowest=False)  # the leftmost long column: the y axis (its first column)
    # a y axis that runs on below the x axis may have been bridged into the tick label under
    # its outward tick (the "0" under the corner): its own unbroken ink ends at the tick.
    # (The same for an x axis running on left of the y axis found pygal's zero line and a
    # guide inside the panel as a corner: not done.)
    if yc - yb > tol:
        yc = _run_end(ink[yb:, xl:xl + AXIS_COLS].any(1)) + yb
    if abs(xa - xl) > tol or abs(yc - yb) > tol:  # no L-shaped corner
        return None
    return xl, ya, xb, yb


def _run_end(on: np.ndarray) -> int:
    """The index of the last True of the run of True that starts at on[0] (-1 if on[0] is False)."""
    off = np.flatnonzero(~on)
    return int(off[0]) - 1 if len(off) else len(on) - 1


def _mode_colour(pixels: np.ndarray) -> np.ndarray:
    """The commonest exact colour of (n, 3) uint8 pixels."""
    key = (pixels[:, 0].astype(np.int64) << 16) | (pixels[:, 1].astype(np.int64) << 8) | pixels[:, 2]
    vals, counts = np.unique(key, return_counts=True)
    k = int(vals[np.argmax(counts)])
    return np.array([(k >> 16) & 255, (k >> 8) & 255, k & 255], np.int16)


def find_panel(image: np.ndarray, tol: int = PANEL_TOL, min_share: float = PANEL_MIN_SHARE,
               row_share: float = PANEL_ROW_SHARE, fill: float = PANEL_FILL) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the chart's plot panel, when the panel has a background colour of
    its own (plotly, ggplot, seaborn darkgrid, pygal): the commonest colour of the image's
    middle, if it differs from the commonest colour of its border by over `tol` levels in a
    channel. The panel spans the rows (columns) where over `row_share` of the pixels have
    that colour (within `tol`); it must cover `min_share` of the image, and `fill` of it must
    have the colour (grid lines and series cover the rest). None otherwise."""
    img = np.asarray(image)
    if img.ndim != 3 or img.dtype != np.uint8 or min(img.shape[:2]) < 20:
        return None
    img = img[..., :3]
    h, w = img.shape[:2]
    b = 3
    border = np.concatenate([img[:b].reshape(-1, 3), img[-b:].reshape(-1, 3), img[:, :b].reshape(-1, 3),
                             img[:, -b:].reshape(-1, 3)])
    page = _mode_colour(border)
    panel = _mode_colour(img[h // 4:3 * h // 4:2, w // 4:3 * w // 4:2].reshape(-1, 3))  # every 2nd pixel
    if np.abs(panel - page).max() <= tol:
        return None
    m = cv2.inRange(np.ascontiguousarray(img), np.clip(panel - tol, 0, 255).astype(np.uint8),
                    np.clip(panel + tol, 0, 255).astype(np.uint8)) > 0
    rows, cols = np.flatnonzero(m.mean(1) > row_share), np.flatnonzero(m.mean(0) > row_share)
    if len(rows) == 0 or len(cols) == 0:
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    if (y1 - y0 + 1) * (x1 - x0 + 1) < min_share * h * w or m[y0:y1 + 1, x0:x1 + 1].mean() < fill:
        return None
    return x0, y0, x1, y1


def _grid_lines(ink: np.ndarray, min_len: float, gap: int):
    """Grid lines along the rows of a bool ink image: (row, start, end) of the longest run of
    each line, ordered by row. Adjacent rows are one line, which must be thin (at most
    GRID_THICK rows): a thicker block of long runs is a shaded region (uneven lighting, a
    band of colour), not a line."""
    need = int(np.ceil(min_len * ink.shape[1]))
    rows = np.flatnonzero(ink.sum(1) >= need)
    if len(rows) == 0:
        return []
    runs = [(int(r), s, e) for r, (s, e) in zip(rows, _longest_runs(ink, rows, gap)) if e - s + 1 >= need]
    blocks = []  # [first row, last row, (row, start, end) of the longest run]
    for r, s, e in runs:
        if blocks and r - blocks[-1][1] <= 1:  # the next row of the same line
            blocks[-1][1] = r
            if e - s > blocks[-1][2][2] - blocks[-1][2][1]:
                blocks[-1][2] = (r, s, e)
        else:
            blocks.append([r, r, (r, s, e)])
    return [best for first, last, best in blocks if last - first + 1 <= GRID_THICK]


def _agreed(lines: list, tol: int):
    """(start, end) that at least two of the lines and half of them share within tol, or
    None."""
    if len(lines) < 2:
        return None
    s = np.array([(a, b) for _, a, b in lines], np.float64)
    a, b = np.median(s[:, 0]), np.median(s[:, 1])
    ok = (np.abs(s[:, 0] - a) <= tol) & (np.abs(s[:, 1] - b) <= tol)
    if ok.sum() < max(2, 0.5 * len(s)):
        return None
    return int(round(np.median(s[ok, 0]))), int(round(np.median(s[ok, 1])))


def find_grid(image: np.ndarray, diff: int = GRID_DIFF, min_len: float = GRID_LEN,
              gap: int = GRID_GAP, min_share: float = PANEL_MIN_SHARE) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the plot area a faint grid spans (see the module docstring): the
    horizontal grid lines' common start and end give x0, x1 and the vertical ones' y0, y1.
    None without two agreeing grid lines each way (or one line each way that meet or
    cross: zero lines), or when the area covers under `min_share` of the image."""
    d = background_diff(image)
    h, w = d.shape
    if h < 20 or w < 20:
        return None
    ink = d > diff
    tol = max(3, round(0.005 * max(h, w)))
    rows, cols = _grid_lines(ink, min_len, gap), _grid_lines(ink.T, min_len, gap)
    xs, ys = _agreed(rows, tol), _agreed(cols, tol)
    if (xs is None or ys is None) and len(rows) == 1 and len(cols) == 1:  # no grid, but a zero line each way
        (yr, x0, x1), (xc, y0, y1) = rows[0], cols[0]
        if y0 - tol <= yr <= y1 + tol and x0 - tol <= xc <= x1 + tol:  # that meet or cross
            xs, ys = (x0, x1), (y0, y1)
    if xs is None or ys is None:
        return None
    (x0, x1), (y0, y1) = xs, ys
    if (x1 - x0 + 1) * (y1 - y0 + 1) < min_share * h * w:
        return None
    return x0, y0, x1, y1


def find_area(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """The plot area by the first rule that finds one: the axes' corner (`find_plot_area`),
    a panel of its own colour (`find_panel`), a faint grid (`find_grid`); None if none does."""
    for rule in (find_plot_area, find_panel, find_grid):
        area = rule(image)
        if area is not None:
            return area
    return None


def crop_to(mask: np.ndarray, area: tuple[int, int, int, int] | None, margin: int = 2) -> np.ndarray:
    """The bool mask with the pixels outside the area grown by margin px cleared (a copy;
    the mask itself if area is None)."""
    if area is None:
        return mask
    x0, y0, x1, y1 = area
    out = np.zeros_like(mask)
    ys, xs = slice(max(0, y0 - margin), y1 + margin + 1), slice(max(0, x0 - margin), x1 + margin + 1)
    out[ys, xs] = mask[ys, xs]
    return out
