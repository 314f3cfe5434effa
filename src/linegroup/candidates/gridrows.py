"""Pieces of a grid line taken for a series: groups that lie on the grid the image shows.

    labels = drop_grid_pieces(labels, xy, image)   # the model's own candidates, cut to their ink

The network marks a few stretches of a dashed or dotted grid line, not the whole of it, so
`find_rulings` (which wants a run of candidates over most of the plot) does not see a
ruling there, and each stretch comes out of the grouping as a short flat "line"
(pygal's dotted grids on dark themes gave 4-6 such lines a chart). The image still shows
the whole grid line. Ink is a pixel GRID_INK or more (Lab) from the commonest colour of
the box the candidates span (`series.background_lab`). A grid row is an image row (with
the rows above and below) whose ink covers GRID_COVER of the candidates' x-extent; a
chart's grid rows are the thin bands (GRID_THICK rows at most) that lie on one evenly
spaced lattice (`lattice`), MIN_STEP px apart or more (on a finer grid any line is near
one by chance), at least MIN_ROWS of them. Thin bands off the lattice (a series' flat
stretch, the edge of a crowded band of markers) are left out rather than taken as proof
that there is no grid: on pygal's dark themes they hid the grid of marker charts. Here
(not in `inkrecall.py`, which asks grid_rows too) a row is only tried when its ink runs
the whole extent (SPREAD): on a step chart the series' flat stretches made as many thin
rows as the grid, no lattice held most of them, and the dashed grid lines the network
had marked came out as series (`pygal_distinct_0121`). Grid
columns likewise over the candidates' y-extent. A group with GRID_SHARE of its pixels
within ROW_TOL px of a grid row or column is pieces of the grid (a series crossing a
30 px grid has about a third of its pixels that close by chance; a stretch of a grid
line, nearly all). A stretch of the grid that the linking joined to a series of another
ink is taken out of it (`grid_pieces`): on the foreign tune split, e2e, PQ 0.608 ->
0.618 and precision 0.984 -> 0.988, the hard set unchanged. Run after the trim, so that
a group is its ink, not the network's band. Vectorised: one Lab conversion of the image
and one of the candidates, row and column means, connected components, `bincount` over
the groups and their pieces.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..grouping.describe import pixels_lab
from ..labels import drop_groups, label_slices
from .series import background_lab

GRID_INK = 12.0  # Lab: a pixel this far from the chart's commonest colour is ink
GRID_COVER = 0.3  # share of the candidates' x-extent a grid row's ink covers (dashed and dotted rows too)
GRID_THICK = 3  # rows: a grid line is at most this thick (thicker bands of ink are not rulings)
SPREAD_BINS, SPREAD, SPREAD_FILL = 10, 0.8, 0.15  # a grid row has ink over SPREAD_FILL of the columns of this
#   share of the extent's tenths or more (a legend may hide a piece of it); a series' flat stretch that
#   covers GRID_COVER of the extent lies in a few of them (the crossings of a grid's columns fill 1-3 px a tenth)
MIN_ROWS = 3  # grid rows a chart must have, evenly spaced
MIN_STEP = 20  # px: grid lines at least this far apart (on a finer grid a line is on it by chance:
#   within ROW_TOL of a row or a column, 2 x 5 / 20 = half of a series' pixels)
ROW_TOL = 2.0  # px: a pixel this close to a grid row or column is on the grid
GRID_SHARE = 0.6  # a group with this share of its pixels on the grid is pieces of the grid
PIECE_INK = 20.0  # Lab: a piece on the grid this far from its group's ink is the grid's, not the series'
LATTICE_TOL = 0.1  # share of the grid's step a row may lie off it (as `marks.is_grid`) ...
LATTICE_PX = 3.0  # ... and at most this many px
LATTICE_SHARE = 0.6  # share of the thin rows of ink that must lie on the grid
LATTICE_MIN = 5  # grid rows needed when other thin rows lie off the grid (3 of them fall on
#   a lattice by chance: a same-colour chart's flat series, at two steps of its neighbours)


def grid_ink(image: np.ndarray, box: tuple) -> np.ndarray:
    """(H, W) bool: the image's pixels GRID_INK or more (OpenCV's 8-bit Lab, close to CIE Lab
    for this test) from the commonest colour of the box (x0, y0, x1, y1) the candidates span."""
    x0, y0, x1, y1 = box
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2Lab)
    bg = np.round(background_lab(image[y0:y1 + 1, x0:x1 + 1], step=7))
    d = cv2.absdiff(lab, (*map(float, bg), 0.0))  # uint8 arithmetic in OpenCV against a scalar: no float image
    sq = cv2.transform(cv2.multiply(d, d, dtype=cv2.CV_32F), np.ones((1, 3), np.float32))
    return sq >= GRID_INK ** 2


def grid_rows(ink: np.ndarray, spread: bool = False) -> np.ndarray:
    """Centres (y) of the evenly spaced grid rows of an ink mask (its columns: the extent
    they must cover), or an empty array; pass the mask transposed for the grid columns.
    spread: only rows whose ink runs the whole extent (SPREAD) are tried."""
    if len(ink) < 3:
        return np.zeros(0)
    cover = (ink[:-2] | ink[1:-1] | ink[2:]).mean(1)  # entry j: row j + 1 with the rows above and below
    d = np.diff(np.r_[False, cover >= GRID_COVER, False].astype(np.int8))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = ends - starts <= GRID_THICK + 2  # a line's rows, widened by one on each side
    starts, ends = starts[keep], ends[keep]
    if spread and len(starts) and ink.shape[1] >= SPREAD_BINS:  # a grid line runs the whole extent; a
        # series' flat stretch covers part of it
        bands = np.logical_or.reduceat(ink, np.c_[starts, ends + 1].ravel(), axis=0)[::2]
        bins = np.linspace(0, ink.shape[1], SPREAD_BINS + 1).astype(np.int64)[:-1]
        fill = np.add.reduceat(bands.astype(np.int32), bins, axis=1) / np.diff(np.r_[bins, ink.shape[1]])
        whole = (fill >= SPREAD_FILL).mean(1) >= SPREAD
        starts, ends = starts[whole], ends[whole]
    return lattice((starts + ends - 1) / 2.0 + 1)


def lattice(centres: np.ndarray) -> np.ndarray:
    """The centres that lie on one evenly spaced grid, or an empty array. The grid's step
    and phase are those of two neighbouring centres (at least MIN_STEP apart) that put the
    most centres on a lattice that passes the tests below, within LATTICE_TOL of the step
    (at most LATTICE_PX): a series' flat stretch or the edge of a crowded band also covers
    a row, but not at a grid step.
    It is a grid when at least LATTICE_SHARE of the centres lie on it, most of the gaps
    between them are one step (a grid line may hide under a legend), and there are at
    least MIN_ROWS of them, or LATTICE_MIN when some centres lie off it."""
    c = np.sort(np.asarray(centres, np.float64))
    best = np.zeros(0)
    for a in range(len(c) - 1):
        for b in (a + 1, a + 2):  # the next centre, or the one after an off-grid one between
            if b >= len(c) or c[b] - c[a] < MIN_STEP:
                continue
            step = c[b] - c[a]
            k = np.round((c - c[a]) / step)
            on = np.abs(c - c[a] - k * step) <= min(LATTICE_TOL * step, LATTICE_PX)
            n = int(on.sum())
            least = MIN_ROWS if n == len(c) else LATTICE_MIN  # rows off it: more evidence needed
            one_step = np.mean(np.diff(np.unique(k[on])) == 1) >= 0.5
            if n > len(best) and n >= max(least, LATTICE_SHARE * len(c)) and one_step:
                best = c[on]
    return best


def drop_grid_pieces(labels: np.ndarray, xy: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Labels with the groups that lie on the grid's rows and columns dropped, and the
    grid's pieces linked into a series (`grid_pieces`) taken out of it (renumbered)."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0 or image is None or image.ndim != 3:
        return labels
    kept = xy[labels > 0]
    x0, x1 = int(kept[:, 0].min()), int(kept[:, 0].max())
    y0, y1 = int(kept[:, 1].min()), int(kept[:, 1].max())
    ink = grid_ink(image, (x0, y0, x1, y1))
    rows = grid_rows(ink[:, x0:x1 + 1], spread=True)
    cols = grid_rows(ink[y0:y1 + 1].T, spread=True)
    if len(rows) == 0 and len(cols) == 0:
        return labels
    on = np.zeros(len(xy), bool)
    for centres, v in ((rows, xy[:, 1]), (cols, xy[:, 0])):
        if len(centres):
            i = np.clip(np.searchsorted(centres, v), 1, len(centres) - 1)
            on |= np.minimum(np.abs(v - centres[i - 1]), np.abs(v - centres[i])) <= ROW_TOL
    share = np.bincount(labels, weights=on, minlength=k + 1) / np.maximum(np.bincount(labels, minlength=k + 1), 1)
    labels = np.where(grid_pieces(labels, xy, on, image), 0, labels)
    return drop_groups(labels, share >= GRID_SHARE)


def grid_pieces(labels: np.ndarray, xy: np.ndarray, on: np.ndarray, image: np.ndarray) -> np.ndarray:
    """(N,) bool: the candidates in a group's connected pieces (8-connected, within the
    group) that lie on the grid (GRID_SHARE of their pixels `on` it) and whose mean colour
    is PIECE_INK (Lab) or more from their group's median colour: stretches of a grid line
    that the linking joined to a series of another ink. A series' own stroke where it runs
    along a grid row is connected to the rest of it, and a dashed series' dash has its ink."""
    xi, yi = xy[:, 0].astype(np.int64), xy[:, 1].astype(np.int64)
    k = int(labels.max())
    grid = np.zeros(image.shape[:2], np.uint8)
    grid[yi, xi] = labels > 0
    _, comp = cv2.connectedComponents(grid, connectivity=8)
    piece = np.unique(comp[yi, xi].astype(np.int64) * (k + 1) + labels, return_inverse=True)[1]
    piece = piece.reshape(-1)  # each candidate's piece: a connected component within one group
    n = np.bincount(piece)
    share = np.bincount(piece, weights=on) / n
    c = pixels_lab(image, xi, yi).astype(np.float64)
    mean = np.stack([np.bincount(piece, weights=c[:, j]) / n for j in range(3)], 1)
    med = np.zeros((k + 1, 3))
    order, bounds = label_slices(labels, k)
    for g in range(1, k + 1):  # one median a group
        if bounds[g + 1] > bounds[g]:
            med[g] = np.median(c[order[bounds[g]:bounds[g + 1]]], 0)
    first = np.zeros(len(n), np.int64)
    first[piece] = np.arange(len(piece))
    far = np.linalg.norm(mean - med[labels[first]], axis=1) >= PIECE_INK
    return (labels > 0) & (share >= GRID_SHARE)[piece] & far[piece]
