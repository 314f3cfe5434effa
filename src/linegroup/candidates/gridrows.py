"""Pieces of a grid line taken for a series: flat groups that lie on a grid row of the image.

    labels = drop_grid_pieces(labels, xy, image)   # the model's own candidates, after grouping

The network marks a few stretches of a dashed or dotted grid line, not the whole of it, so
`find_rulings` (which wants a run of candidates over most of the plot) does not see a
ruling there, and each stretch comes out of the grouping as a short flat "line"
(pygal's dotted grids on dark themes gave 4-6 such lines a chart). The image still shows
the whole grid line. A grid row is an image row (with the row above and below) where ink
(Lab distance GRID_INK or more from the chart's commonest colour) covers GRID_COVER of the
candidates' x-extent; the grid rows of a chart are thin bands (GRID_THICK rows at most)
evenly spaced (`marks._is_grid`: every gap a whole multiple of the smallest, most of them
one step), at least MIN_ROWS of them. A group is a grid piece when FLAT_SHARE of its pixels
lie within FLAT px of their median y, it is level (rises or falls by at most MAX_DRIFT px
across its length, as `drop_rulings` asks of a ruling) and that median y is within
ROW_TOL px of a grid row. A series that runs flat along a grid line over the whole plot
was already taken for a ruling; a flat stretch of a series between grid rows is not on
one. Vectorised: one Lab conversion of the image, row sums; a loop over groups.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..labels import drop_groups
from .marks import _is_grid

GRID_INK = 12.0  # Lab: a pixel this far from the chart's commonest colour is ink
GRID_COVER = 0.3  # share of the candidates' x-extent a grid row's ink covers (dashed and dotted rows too)
GRID_THICK = 3  # rows: a grid line is at most this thick (thicker bands of ink are not rulings)
MIN_ROWS = 3  # grid rows a chart must have, evenly spaced
MIN_STEP = 20  # px: grid lines at least this far apart (on a finer grid a line is on it by chance:
#   within ROW_TOL of a row or a column, 2 x 5 / 20 = half of a series' pixels)
ROW_TOL = 2.0  # px: a pixel this close to a grid row or column is on the grid
GRID_SHARE = 0.6  # a group with this share of its pixels on the grid is pieces of the grid


def grid_rows(image: np.ndarray, x0: int, x1: int) -> np.ndarray:
    """Centres (y) of the image's evenly spaced grid rows over columns x0..x1, or an empty
    array (pass the image transposed, and a row range, for the grid columns)."""
    lab = cv2.cvtColor(np.ascontiguousarray(image[:, x0:x1 + 1]), cv2.COLOR_RGB2Lab).astype(np.float32)
    flat = lab.reshape(-1, 3)[::7]
    q = (flat // 8).astype(np.int64)
    key = (q[:, 0] * 32 + q[:, 1]) * 32 + q[:, 2]
    bg = flat[key == np.bincount(key).argmax()].mean(0)
    # OpenCV's 8-bit Lab: L scaled to 0-255; distances in it are close to CIE Lab's for this test
    ink = ((lab - bg) ** 2).sum(2) >= GRID_INK ** 2
    if len(ink) < 3:
        return np.zeros(0)
    cover = (ink[:-2] | ink[1:-1] | ink[2:]).mean(1)  # entry j: image row j + 1 with the rows above and below
    d = np.diff(np.r_[False, cover >= GRID_COVER, False].astype(np.int8))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = ends - starts <= GRID_THICK + 2  # a line's rows, widened by one on each side
    centres = (starts[keep] + ends[keep] - 1) / 2.0 + 1
    if len(centres) < MIN_ROWS or not _is_grid(centres) or np.diff(centres).min() < MIN_STEP:
        return np.zeros(0)
    return centres


def drop_grid_pieces(labels: np.ndarray, xy: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Labels with the groups that lie on the grid's rows and columns dropped (renumbered)."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0 or image is None or image.ndim != 3:
        return labels
    kept = xy[labels > 0]
    x0, x1 = int(kept[:, 0].min()), int(kept[:, 0].max())
    y0, y1 = int(kept[:, 1].min()), int(kept[:, 1].max())
    rows = grid_rows(image, x0, x1)
    cols = grid_rows(np.ascontiguousarray(image.transpose(1, 0, 2)), y0, y1)
    if len(rows) == 0 and len(cols) == 0:
        return labels
    on = np.zeros(len(xy), bool)
    for centres, v in ((rows, xy[:, 1]), (cols, xy[:, 0])):
        if len(centres):
            i = np.clip(np.searchsorted(centres, v), 1, len(centres) - 1)
            on |= np.minimum(np.abs(v - centres[i - 1]), np.abs(v - centres[i])) <= ROW_TOL
    share = np.bincount(labels, weights=on, minlength=k + 1) / np.maximum(np.bincount(labels, minlength=k + 1), 1)
    drop = share >= GRID_SHARE
    return drop_groups(labels, drop)
