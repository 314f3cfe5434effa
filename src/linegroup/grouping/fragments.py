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
BLOB_COLS = 12  # columns: a fragment this short may be a piece of a marker
BLOB_EXTENT = 24  # px: a marker is at most this tall in every column
REDUCE_ROUNDS = 4  # bubble reductions (markers nest at most a few levels: outline, connector)


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
    """Link runs one-to-one across adjacent columns; each connected chain is a fragment;
    then each marker blob becomes one fragment (`_merge_blobs`)."""
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
    run_frag = _merge_blobs(runs, run_frag.astype(np.int64), lo, hi)
    return _assemble(runs, run_frag, lo, hi)


def _touching_pairs(lo: np.ndarray, hi: np.ndarray):
    """(left run, right run) of every pair of touching runs in adjacent columns."""
    cnt = hi - lo
    left = np.repeat(np.arange(len(lo)), cnt)
    right = np.repeat(lo, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    return left, right


def _fragment_pairs(run_frag: np.ndarray, nf: int, lo: np.ndarray, hi: np.ndarray):
    """(left fragment, right fragment) of every pair of different fragments that touch, once."""
    a, b = _touching_pairs(lo, hi)
    g, f = run_frag[a], run_frag[b]
    key = np.unique(g[g != f] * nf + f[g != f])
    return key // nf, key % nf


def _merge_blobs(runs: Runs, run_frag: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A marker cuts its line into many short pieces: the outline above and below the
    connector, the connector inside it, the connector between two close markers. Short
    fragments (at most BLOB_COLS columns) that touch each other form a blob; a blob that
    touches at most two longer fragments (the line entering and leaving it: a crossing of
    two strokes has four) and is at most BLOB_EXTENT px tall in every column is one
    line's, so it becomes one fragment. Returns the new fragment id of each run."""
    nf = int(run_frag.max()) + 1 if runs.n else 0
    ncols = np.bincount(run_frag, minlength=nf)
    short = ncols <= BLOB_COLS
    g, f = _fragment_pairs(run_frag, nf, lo, hi)
    both = short[g] & short[f]
    graph = coo_matrix((np.ones(both.sum(), np.int8), (g[both], f[both])), shape=(nf, nf))
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp, minlength=nf)
    # longer fragments touching each blob
    one = short[g] != short[f]
    sb = np.where(short[g], g, f)[one]
    lg = np.where(short[g], f, g)[one]
    att = np.bincount(np.unique(comp[sb] * nf + lg) // nf, minlength=nf)
    enter = np.bincount(np.unique(comp[f[one & short[f]]] * nf + g[one & short[f]]) // nf, minlength=nf)
    leave = np.bincount(np.unique(comp[g[one & short[g]]] * nf + f[one & short[g]]) // nf, minlength=nf)
    loop = np.bincount(comp[g[both]], minlength=nf) - size + 1 > 0  # an outline closes on itself
    # the blob's height in each column
    rs = np.flatnonzero(short[run_frag])
    key = comp[run_frag[rs]] * (int(runs.x.max()) + 1) + runs.x[rs]
    o = np.argsort(key, kind="stable")
    rs, key = rs[o], key[o]
    first = np.r_[0, np.flatnonzero(np.diff(key)) + 1] if len(key) else np.zeros(0, np.int64)
    ext = np.zeros(nf)
    if len(first):
        h = np.maximum.reduceat(runs.y1[rs], first) - np.minimum.reduceat(runs.y0[rs], first) + 1
        np.maximum.at(ext, comp[run_frag[rs[first]]], h.astype(np.float64))  # ext's dtype: ufunc.at's fast path
    blob = (size >= 2) & (att <= 2) & (ext <= BLOB_EXTENT) & (loop | ((enter == 1) & (leave == 1)))
    member = short & blob[comp]
    return np.where(member[run_frag], nf + comp[run_frag], run_frag)


def _assemble(runs: Runs, run_frag: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Fragments:
    """Fragments numbered by their first run (left to right), runs sorted by (fragment, x),
    and each fragment's neighbours at its two ends."""
    r = runs.n
    _, run_frag = np.unique(run_frag, return_inverse=True)
    nf = int(run_frag.max()) + 1 if r else 0
    first = np.full(nf, r, np.int64)
    np.minimum.at(first, run_frag, np.arange(r))
    rank = np.empty(nf, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(nf)
    run_frag = rank[run_frag]
    run_order = np.lexsort((runs.y0, runs.x, run_frag))
    fstart = np.r_[0, np.cumsum(np.bincount(run_frag, minlength=nf))]
    g, f = _fragment_pairs(run_frag, nf, lo, hi)
    n_left = np.bincount(f, minlength=nf)  # other fragments touching it on its left
    n_right = np.bincount(g, minlength=nf)
    shared = (n_left >= 2) & (n_right >= 2)
    return Fragments(runs, run_frag, run_order, fstart, shared, n_left >= 1, n_right >= 1)
