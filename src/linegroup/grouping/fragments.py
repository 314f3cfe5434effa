"""Candidate pixels -> one-line fragments (the tracklets of a left-to-right tracker).

    runs = column_runs(xs, ys)                 # vertical runs of touching pixels per column
    frag = build_fragments(runs)               # chains of runs linked one-to-one

A line chart read from left to right is a tracking problem: each column's vertical runs
of candidate pixels are the detections, and a run touches (8-connectivity: the y ranges
overlap or meet) the runs of the next column that continue it. Two runs of adjacent
columns are linked only where the link is one-to-one: the left run touches no other run
on its right and the right run no other on its left. A fragment is a maximal chain of
such links, so it never passes a junction; where two lines cross or run together, the
runs merge and split and the fragment there starts and ends at a junction.

A fragment is *shared* when both of its ends are junctions of two or more strokes (a
merge on its left, a split on its right): the piece where two lines cross or run side by
side. Shared fragments are not linked into lines; their pixels go, column by column, to
the line whose path is nearest (`link.assign_leftovers`).

Everything here is vectorised over pixels and runs (sorts, searchsorted, bincount);
nothing loops in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

_BIG = 1 << 32  # key = x * _BIG + y sorts pixels (and runs) by column, then by y


@dataclass
class Runs:
    """Vertical runs of candidate pixels, sorted by (x, y0).

    order:  (N,) pixel indices sorted by (x, y); run r holds order[start[r]:start[r + 1]]
    pix_run: (N,) run id of each input pixel
    x, y0, y1: (R,) column and inclusive y range of each run
    start: (R + 1,) offsets into `order`
    """

    order: np.ndarray
    pix_run: np.ndarray
    x: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    start: np.ndarray

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def centre(self) -> np.ndarray:
        return (self.y0 + self.y1) / 2.0

    @property
    def height(self) -> np.ndarray:
        return (self.y1 - self.y0 + 1).astype(np.float64)


def column_runs(xs: np.ndarray, ys: np.ndarray, gap: int = 1) -> Runs:
    """Runs of pixels in one column whose y values are at most `gap` apart (1 = touching)."""
    xs = np.asarray(xs, np.int64)
    ys = np.asarray(ys, np.int64)
    order = np.argsort(xs * _BIG + ys, kind="stable")
    sx, sy = xs[order], ys[order]
    new = np.ones(len(sx), bool)
    if len(sx) > 1:
        new[1:] = (sx[1:] != sx[:-1]) | (sy[1:] - sy[:-1] > gap)
    first = np.flatnonzero(new)
    rid_sorted = np.cumsum(new) - 1
    last = np.r_[first[1:] - 1, len(sx) - 1] if len(first) else first
    pix_run = np.empty(len(xs), np.int64)
    pix_run[order] = rid_sorted
    return Runs(order, pix_run, sx[first], sy[first], sy[last], np.r_[first, len(sx)])


def touching_ranges(runs: Runs, step: int = 1):
    """For each run, the range [lo, hi) of runs in column x + step whose y range touches
    its own (overlapping or adjacent y). Runs of one column are disjoint and sorted, so
    the touching runs of the next column are contiguous."""
    key0 = runs.x * _BIG + runs.y0
    key1 = runs.x * _BIG + runs.y1
    nx = (runs.x + step) * _BIG
    lo = np.searchsorted(key1, nx + runs.y0 - 1, side="left")
    hi = np.searchsorted(key0, nx + runs.y1 + 1, side="right")
    return lo, np.maximum(hi, lo)


@dataclass
class Fragments:
    """One-line pieces: chains of runs.

    run_frag: (R,) fragment id of each run
    run_order: (R,) run ids sorted by (fragment, x); fragment f's runs are
               run_order[fstart[f]:fstart[f + 1]]
    shared: (F,) bool, a merge at the left end and a split at the right end
    open_left / open_right: (F,) bool, the end touches no other run (a free end)
    """

    runs: Runs
    run_frag: np.ndarray
    run_order: np.ndarray
    fstart: np.ndarray
    shared: np.ndarray
    junction_left: np.ndarray
    junction_right: np.ndarray

    @property
    def n(self) -> int:
        return len(self.fstart) - 1

    @property
    def pix_frag(self) -> np.ndarray:
        return self.run_frag[self.runs.pix_run]

    def first_run(self) -> np.ndarray:
        return self.run_order[self.fstart[:-1]]

    def last_run(self) -> np.ndarray:
        return self.run_order[self.fstart[1:] - 1]


def build_fragments(runs: Runs) -> Fragments:
    """Link runs one-to-one across adjacent columns; each connected chain is a fragment."""
    r = runs.n
    lo, hi = touching_ranges(runs, +1)
    out_deg = hi - lo
    plo, phi = touching_ranges(runs, -1)
    in_deg = phi - plo
    src = np.flatnonzero(out_deg == 1)
    dst = lo[src]
    keep = in_deg[dst] == 1
    src, dst = src[keep], dst[keep]
    graph = coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(r, r))
    nf, run_frag = connected_components(graph, directed=False)
    run_frag = run_frag.astype(np.int64)
    # fragments numbered by their first run (left to right), runs sorted by (fragment, x)
    first = np.full(nf, r, np.int64)
    np.minimum.at(first, run_frag, np.arange(r))
    rank = np.empty(nf, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(nf)
    run_frag = rank[run_frag]
    run_order = np.lexsort((runs.x, run_frag))
    fstart = np.r_[0, np.cumsum(np.bincount(run_frag, minlength=nf))]
    f_first = run_order[fstart[:-1]]
    f_last = run_order[fstart[1:] - 1]
    j_left = in_deg[f_first] >= 1  # the left end continues into other strokes
    j_right = out_deg[f_last] >= 1
    shared = (in_deg[f_first] >= 2) & (out_deg[f_last] >= 2)
    return Fragments(runs, run_frag, run_order, fstart, shared, j_left, j_right)
