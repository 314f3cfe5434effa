"""Each fragment's appearance and geometry: what the linking compares.

    desc = describe(frag, xs, ys, image=rgb, feats=emb_at_pixels)

Per fragment (arrays of length F):
  x0, x1        first and last column
  ya, yb        centre y at the left and the right end
  sa_s, sa_l    slope at the left end, fitted over its first SHORT and LONG columns
  sb_s, sb_l    the same at the right end
  ncols, npix   columns spanned (runs) and pixels
  width         stroke width across the line: pixels / path length
  lab (F, 3)    ink colour in CIE Lab, from the stroke's core: in each run, the pixel
                farthest in colour from the local background (the pixels just above and
                below the run), so that the anti-aliased rim does not wash it out
  bg (F, 3)     the local background in CIE Lab: the mean of those pixels above and below
  emb (F, D)    mean learned embedding of its pixels (NaN when there is none)
  shared        see fragments.py
  free_a/free_b the left / right end touches no other stroke (a dash's ends are free; a
                piece cut at a crossing or a marker is not)
Slopes are dy/dx in image coordinates (y down).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .fragments import Fragments

SHORT = 4  # columns of the short end fit (follows a bend)
LONG = 12  # columns of the long end fit (steady through pixel staircases)


@dataclass
class Description:
    x0: np.ndarray
    x1: np.ndarray
    ya: np.ndarray
    yb: np.ndarray
    sa_s: np.ndarray
    sa_l: np.ndarray
    sb_s: np.ndarray
    sb_l: np.ndarray
    ncols: np.ndarray
    npix: np.ndarray
    width: np.ndarray
    lab: np.ndarray
    emb: np.ndarray
    shared: np.ndarray
    bg: np.ndarray
    free_a: np.ndarray  # the left end touches no other stroke (a gap follows: dash, dot, end)
    free_b: np.ndarray  # the same at the right end

    @property
    def n(self) -> int:
        return len(self.x0)


def pixels_lab(image: np.ndarray | None, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(N, 3) float32 CIE Lab (L 0-100, a and b about -128..127) of the given pixels."""
    if image is None:
        return np.zeros((len(xs), 3), np.float32)
    rgb = image[ys, xs].reshape(1, -1, 3).astype(np.float32) / 255.0  # one row: OpenCV works row by row
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3)


def run_borders_lab(runs, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, 3) Lab of the pixel just above each column run and (R, 3) of the one just below
    it (clipped to the image): the run's local background on either side."""
    h = image.shape[0]
    return (pixels_lab(image, runs.x, np.clip(runs.y0 - 1, 0, h - 1)),
            pixels_lab(image, runs.x, np.clip(runs.y1 + 1, 0, h - 1)))


def core_lab(frag: Fragments, xs, ys, image: np.ndarray | None, lab: np.ndarray | None = None):
    """(R, 3) Lab of each run's core pixel, the one farthest from the run's local background,
    and (R, 3) that background (the mean of the pixels just above and below the run).
    lab: the pixels' Lab if the caller has it already (pixels_lab(image, xs, ys))."""
    runs = frag.runs
    if image is None:
        return np.zeros((runs.n, 3), np.float32), np.zeros((runs.n, 3), np.float32)
    lab = pixels_lab(image, xs, ys) if lab is None else lab
    above, below = run_borders_lab(runs, image)
    bg = (above + below) / 2
    rid = runs.pix_run
    dist = np.abs(lab - bg[rid]).sum(1)
    order = np.lexsort((dist, rid))  # per run, the farthest pixel comes last
    last = order[np.r_[np.flatnonzero(np.diff(rid[order])), len(order) - 1]]
    return lab[last], bg


def _window_slopes(x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Least-squares slope of y on x over index ranges [lo, hi) of the arrays (0 if < 2)."""
    c = lambda v: np.r_[0.0, np.cumsum(v)]  # noqa: E731
    sx, sy, sxx, sxy = c(x), c(y), c(x * x), c(x * y)
    n = (hi - lo).astype(np.float64)
    mx = (sx[hi] - sx[lo]) / np.maximum(n, 1)
    my = (sy[hi] - sy[lo]) / np.maximum(n, 1)
    vxx = (sxx[hi] - sxx[lo]) - n * mx * mx
    vxy = (sxy[hi] - sxy[lo]) - n * mx * my
    return np.where(vxx > 1e-9, vxy / np.maximum(vxx, 1e-9), 0.0)


def describe(frag: Fragments, xs: np.ndarray, ys: np.ndarray, image: np.ndarray | None = None,
             feats: np.ndarray | None = None, lab: np.ndarray | None = None) -> Description:
    """Describe every fragment; xs, ys: the candidate pixels; feats: (N, D) embeddings or None."""
    runs = frag.runs
    nf = frag.n
    # one point per (fragment, column): the pixel-weighted centre of its runs there (a
    # fragment has one run per column, a marker blob may have several)
    ro = frag.run_order
    rf = frag.run_frag[ro]
    npix_run = np.diff(runs.start).astype(np.float64)[ro]
    new = np.r_[True, (rf[1:] != rf[:-1]) | (runs.x[ro][1:] != runs.x[ro][:-1])] if len(ro) else np.zeros(0, bool)
    cell = np.flatnonzero(new)
    cnt = np.add.reduceat(npix_run, cell) if len(cell) else np.zeros(0)
    ry = np.add.reduceat(runs.centre[ro] * npix_run, cell) / cnt if len(cell) else np.zeros(0)
    rx = runs.x[ro][cell].astype(np.float64)
    cf = rf[cell]
    fs = np.searchsorted(cf, np.arange(nf + 1))
    first, last = fs[:-1], fs[1:]
    ncols = (last - first).astype(np.float64)
    npix = np.bincount(cf, weights=cnt, minlength=nf)
    # path length along the column centres
    step = np.hypot(1.0, np.diff(ry)) if len(ry) > 1 else np.zeros(0)
    same = cf[1:] == cf[:-1] if len(cf) > 1 else np.zeros(0, bool)
    path = np.bincount(cf[1:][same], weights=step[same], minlength=nf) + 1.0
    width = npix / path
    d = Description(
        x0=rx[first], x1=rx[last - 1], ya=ry[first], yb=ry[last - 1],
        sa_s=_window_slopes(rx, ry, first, np.minimum(first + SHORT, last)),
        sa_l=_window_slopes(rx, ry, first, np.minimum(first + LONG, last)),
        sb_s=_window_slopes(rx, ry, np.maximum(last - SHORT, first), last),
        sb_l=_window_slopes(rx, ry, np.maximum(last - LONG, first), last),
        ncols=ncols, npix=npix, width=width,
        lab=np.zeros((nf, 3)), emb=np.full((nf, 1), np.nan), shared=frag.shared.copy(), bg=np.zeros((nf, 3)),
        free_a=~frag.junction_left, free_b=~frag.junction_right)
    cl, bg = core_lab(frag, xs, ys, image, lab)
    nrun = np.maximum(np.bincount(frag.run_frag, minlength=nf), 1)[:, None]
    d.lab = np.stack([np.bincount(frag.run_frag, weights=cl[:, c], minlength=nf) for c in range(3)], 1) / nrun
    d.bg = np.stack([np.bincount(frag.run_frag, weights=bg[:, c], minlength=nf) for c in range(3)], 1) / nrun
    if feats is not None and len(feats):
        pf = frag.pix_frag
        d.emb = np.stack([np.bincount(pf, weights=feats[:, c], minlength=nf) for c in range(feats.shape[1])], 1)
        d.emb /= np.maximum(npix, 1)[:, None]
    return d
