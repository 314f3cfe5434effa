"""Pixels of a series' own ink that the network missed.

    cand = ink_recall(cand, image, area, backgrounds)   # cleaned candidates + the rest of their inks

The network finds a line's pixels from the stroke around them; where a series is pale
(pygal's light palettes: pale yellow on white), light on a dark theme, dotted, or thin,
it marks only stretches of it, or none, while a darker series of the same ink is found
whole. The image still states the ink outright. So the inks of the cleaned candidates are
taken as the chart's series inks, and the other pixels of the plot area drawn in one of
them join the candidates where they make a stroke:

  1. inks: the candidates' colours at least INK_FAR (CIE Lab) from the page's and the
     plot panel's colour, in bins of about 4 CIE units each way (BIN_L, BIN_AB levels of
     OpenCV's 8-bit Lab); a bin holding at least INK_SHARE of them (and INK_MIN) gives an
     ink, its mean colour: a series' ink gathers in a few bins, the anti-aliased blends of
     its rim spread thin over many;
  2. the plot area's pixels within INK_TOL of an ink, not yet candidates (a table of the
     bins decides most pixels; only those of bins part within INK_TOL are measured);
  3. not on a grid: a grid drawn in a series' ink (black dashes beside black lines)
     shows as evenly spaced rows or columns of those pixels (`gridrows.grid_rows`), and
     the pixels within GRID_TOL of them stay out;
  4. strokes: pieces of them (dots and dashes joined by a CLOSE px closing) that either
     carry on a candidate's stroke (joined to the candidates by that same closing: the
     tips, dashes and stretches between the ones the network found, however short) or
     span at least SPAN of the plot area's width and are more than THIN px each way (not
     one row of a ruling); and not filled (a legend box in a series' grey: DEEP_SHARE of
     its pixels DEEP px inside). A glyph away from every line is too short.

Only with a plot area: without one a chart's panel, noise or blur may pass for a pale
ink. `predict` then removes legend swatches, tick marks and rulings from the whole again,
and the grouping, the judge of series and the trim to the ink see the added pixels as
any others. Given candidates (the user's) are never extended.

Measured (`linegroup evaluate --json runs/foreign/foreign.json --img_dir
runs/foreign/images --split tune --mode e2e`, with and without `--no_ink_recall`), ARI /
PQ / count, pixel P / R: 0.734 / 0.719 / 0.750, 0.986 / 0.920 without it, 0.783 / 0.766
/ 0.767, 0.991 / 0.946 with it (0.758 / 0.749 / 0.767, 0.988 / 0.937 with long strokes
only). The README (Grouping rules) has the report split, the
hard set and what was tried. What it costs at 800x600 (`python
benchmarks/bench_inkrecall.py`, 28 foreign charts with a plot area): 13 ms a chart alone
(median; 19 ms p90, 40 ms at most), and predict's grouping time, which then has more
pixels to link, 99 -> 129 ms (median of 30 charts).
"""

from __future__ import annotations

import cv2
import numpy as np

from .gridrows import grid_rows

BIN_L, BIN_AB = 10, 4  # 8-bit Lab levels per bin (about 4 CIE units each way)
INK_FAR = 12.0  # CIE Lab: a candidate this far from the page and the panel is ink
INK_SHARE = 0.02  # share of the ink candidates a bin must hold to be a series' ink ...
INK_MIN = 40  # ... and at least this many
INK_TOL = 8.0  # CIE Lab: a pixel this close to an ink is drawn in it
GRID_TOL = 2  # px: a pixel this close to a grid row or column of an ink is the grid's
SPAN = 0.08  # share of the plot area's width a recovered piece must span (its longer side)
THIN = 1  # px: a recovered piece one row high (or one column wide) is a stretch of a ruling
DEEP, DEEP_SHARE = 3.0, 0.3  # a recovered piece with this share of its pixels this deep inside is filled
CLOSE = 5  # px: the closing that joins a dotted or dashed stroke's pieces

_SHAPE = (256 // BIN_L + 1, 256 // BIN_AB, 256 // BIN_AB)
_SIZE = int(np.prod(_SHAPE))
_LUTS = tuple(np.arange(256, dtype=np.int32) // k * m for k, m in
              ((BIN_L, _SHAPE[1] * _SHAPE[2]), (BIN_AB, _SHAPE[2]), (BIN_AB, 1)))  # channel -> its part of a bin


def _bins(lab8: np.ndarray) -> np.ndarray:
    """Bin of each 8-bit Lab pixel (..., 3) -> (...) int32 (an index into the flat _SHAPE)."""
    return _LUTS[0][lab8[..., 0]] + _LUTS[1][lab8[..., 1]] + _LUTS[2][lab8[..., 2]]


def _cie(lab8: np.ndarray) -> np.ndarray:
    """CIE Lab (float32) of 8-bit OpenCV Lab values (..., 3)."""
    return (lab8.astype(np.float32) - np.float32([0, 128, 128])) * np.float32([100 / 255, 1, 1])


def series_inks(lab8: np.ndarray, backgrounds: list, bins: np.ndarray | None = None) -> np.ndarray:
    """(K, 3) CIE Lab of the series inks among the candidates' 8-bit Lab colours (N, 3)
    (bins: their `_bins`, if made already): the mean colour of each bin that holds
    INK_SHARE (and INK_MIN) of the candidates at least INK_FAR from every background colour."""
    cie = _cie(lab8)
    far = np.ones(len(cie), bool)
    for bg in backgrounds:
        far &= np.linalg.norm(cie - np.asarray(bg, np.float32), axis=1) >= INK_FAR
    if not far.any():
        return np.zeros((0, 3), np.float32)
    b = (_bins(lab8) if bins is None else bins)[far]
    counts = np.bincount(b, minlength=_SIZE)
    ok = np.flatnonzero(counts >= max(INK_MIN, INK_SHARE * far.sum()))
    mean = [np.bincount(b, weights=cie[far][:, j], minlength=_SIZE)[ok] for j in range(3)]
    return (np.stack(mean, 1) / counts[ok, None]).astype(np.float32)


def near_inks(lab8: np.ndarray, inks: np.ndarray, bins: np.ndarray | None = None) -> np.ndarray:
    """(...) bool: the 8-bit Lab pixels (..., 3) within INK_TOL (CIE Lab) of an ink (bins:
    their `_bins`, if made already). Bins wholly within INK_TOL of an ink are taken whole,
    bins wholly beyond every ink left out, and the pixels of the bins in between are
    measured against the ink nearest their bin."""
    if len(inks) == 0:
        return np.zeros(lab8.shape[:-1], bool)
    step = np.float32([BIN_L * 100 / 255, BIN_AB, BIN_AB])  # a bin's size in CIE units
    shift = np.float32([0, 128, 128])
    r = [int(np.ceil(INK_TOL / v)) + 1 for v in step]
    off = np.stack(np.meshgrid(*[np.arange(-k, k + 1) for k in r], indexing="ij"), -1).reshape(-1, 3)
    own = np.floor((inks + shift) / step).astype(np.int64)
    n_off = len(off)
    nb = np.clip((own[:, None, :] + off[None]).reshape(-1, 3), 0, np.array(_SHAPE) - 1)  # the bins around
    ink = np.repeat(inks, n_off, 0)  # each ink's own (clipped at the edges: bins met twice)
    lo = nb * step - shift  # each bin's box in CIE Lab
    hi = lo + step
    nearest = np.linalg.norm(np.clip(ink, lo, hi) - ink, axis=1)  # the box's nearest and farthest points
    farthest = np.linalg.norm(np.maximum(np.abs(ink - lo), np.abs(hi - ink)), axis=1)
    idx = np.ravel_multi_index(tuple(nb.T), _SHAPE)
    state = np.zeros(_SIZE, np.uint8)  # 0 beyond, 1 measure each pixel, 2 within
    which = np.zeros(_SIZE, np.int32)  # the ink a bin's pixels are measured against: its nearest
    part = np.flatnonzero(nearest <= INK_TOL)
    part = part[np.lexsort((nearest[part], idx[part]))]  # by bin, nearest ink first
    part = part[np.r_[True, idx[part][1:] != idx[part][:-1]]]  # one (the nearest) ink per bin
    state[idx[part]] = 1
    which[idx[part]] = part // n_off
    state[idx[farthest <= INK_TOL]] = 2
    bins = _bins(lab8) if bins is None else bins
    s = state[bins]
    out = s == 2
    maybe = np.flatnonzero(s == 1)
    c = _cie(lab8.reshape(-1, 3)[maybe]) - inks[which[bins.reshape(-1)[maybe]]]
    out.reshape(-1)[maybe] = np.einsum("ij,ij->i", c, c) <= INK_TOL ** 2
    return out


def _on_grid(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels within GRID_TOL of the evenly spaced rows or columns of mask."""
    h, w = mask.shape
    on = np.zeros((h, w), bool)
    rows, cols = grid_rows(mask), grid_rows(mask.T)
    if len(rows):
        on |= (np.abs(np.arange(h)[:, None] - rows[None, :]).min(1) <= GRID_TOL)[:, None]
    if len(cols):
        on |= (np.abs(np.arange(w)[:, None] - cols[None, :]).min(1) <= GRID_TOL)[None, :]
    return on


def _touching(joined: np.ndarray, sub: np.ndarray, cc: np.ndarray, n: int) -> np.ndarray:
    """(n,) bool per component `cc` of the closed added pixels `joined`: within CLOSE px of a
    candidate, as near as the dots of one stroke (the tips, dashes and stretches between
    the ones the network found, however short)."""
    near = cv2.dilate(sub.view(np.uint8), np.ones((CLOSE, CLOSE), np.uint8)) > 0
    return np.bincount(cc[near & (joined > 0)], minlength=n) > 0


def _strokes(joined: np.ndarray, cc: np.ndarray, n: int) -> np.ndarray:
    """(n,) bool per component of the closed mask: a stroke, not a filled region (under
    DEEP_SHARE of its pixels DEEP px or more from its edge: a legend box or a shaded band
    in a series' ink)."""
    ys, xs = np.nonzero(joined)
    lab = cc[ys, xs]
    deep = cv2.distanceTransform(joined, cv2.DIST_L2, 3)[ys, xs] >= DEEP
    return np.bincount(lab, weights=deep, minlength=n) < DEEP_SHARE * np.bincount(lab, minlength=n)


def ink_recall(cand: np.ndarray, image: np.ndarray, area: tuple, backgrounds: list) -> np.ndarray:
    """cand (H, W) bool, the model's own candidates after cleaning, with the pixels of the
    plot area (x0, y0, x1, y1) drawn in their series' inks added (see
    the module docstring). image: (H, W, 3) uint8 RGB; backgrounds: CIE Lab colours (3,)
    that are never ink (the page's, the panel's). Returns cand itself when nothing is
    added, else a new mask holding more pixels."""
    x0, y0, x1, y1 = area
    box = (slice(y0, y1 + 1), slice(x0, x1 + 1))
    sub = cand[box]
    if not sub.any():
        return cand
    lab8 = cv2.cvtColor(np.ascontiguousarray(image[box][..., :3]), cv2.COLOR_RGB2Lab)
    bins = _bins(lab8)
    inks = series_inks(lab8[sub], backgrounds, bins[sub])
    if len(inks) == 0:
        return cand
    drawn = near_inks(lab8, inks, bins)
    add = drawn & ~sub
    add &= ~_on_grid(drawn | sub)
    if not add.any():
        return cand
    joined = cv2.morphologyEx(add.view(np.uint8), cv2.MORPH_CLOSE, np.ones((CLOSE, CLOSE), np.uint8))
    n, cc, st, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    bw, bh = st[:, cv2.CC_STAT_WIDTH], st[:, cv2.CC_STAT_HEIGHT]
    keep = (np.maximum(bw, bh) >= SPAN * (x1 - x0 + 1)) & (np.minimum(bw, bh) > THIN)  # long strokes
    keep |= _touching(joined, sub, cc, n)  # and what carries on a candidate's stroke
    keep[0] = False
    if not keep.any():
        return cand
    keep &= _strokes(joined, cc, n)
    if not keep.any():
        return cand
    out = cand.copy()
    out[box] |= add & keep[cc]
    return out
