"""Column tracing: split a group of same-looking lines by following each line along x.

A line chart's series has one y per x. When the embeddings cannot tell lines apart
(same colour, same style), their pixels land in one group, and each column of that group
holds several separate vertical runs of pixels, one per line. `trace_split` follows the
runs from column to column, left to right, the way a tracker follows targets:

  1. the group's pixels are cut into runs (per column, y-gaps over `gap` px);
  2. each live track predicts its y in the next column from its last y and slope;
  3. a run takes the tracks whose prediction falls inside it (within `tol` px);
     a track inside two runs takes the nearer; a run that takes no track starts one;
  4. a run taken by one track moves the track to the run's centre and updates its
     slope (secant over its last `window` columns, robust to pixel staircases); a run
     taken by several tracks (lines crossing or touching) lets them coast on their
     slopes, and its pixels go to the track whose prediction is nearest; a track that
     loses its prediction at a sharp turn keeps an unclaimed run touching its last one;
  5. a track that meets no run for more than `max_gap` columns (a dash gap, the end
     of a line) ends.

Then tracks shorter than `min_cols` columns (marker outlines, text specks), and tracks
that mostly coasted on other tracks' runs (one line seen twice), join the track with the
nearest pixel if within `merge_radius`. Fragments of one line that
a tracker leaves at a crossing are rejoined afterwards by `geometry.join_fragments`.

The loop runs over columns (hundreds), never over pixels; within a column it works on
the few runs and tracks there in plain Python, cheaper than numpy calls at that size.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
from sklearn.neighbors import NearestNeighbors

from .geometry import _renumber, column_runs, join_fragments, label_slices, multi_run_share


def _slope(h: list, window: int) -> float:
    """Secant slope over the last `window` points of the track history h ((x, y) pairs):
    robust to the one-pixel staircase of a rasterised line, and O(1)."""
    (xa, ya), (xb, yb) = h[max(0, len(h) - window)], h[-1]
    return (yb - ya) / (xb - xa) if xb > xa else 0.0


def trace_split(xy: np.ndarray, gap: float = 3.0, tol: float = 3.0, max_gap: int = 40,
                min_cols: int = 12, merge_radius: float = 12.0, window: int = 16) -> np.ndarray:
    """Labels 0..T-1 for the pixels xy (N, 2) of one group, one per traced line."""
    n = len(xy)
    if n == 0:
        return np.zeros(0, np.int64)
    order, rid, rx, ry0, ry1, rc = column_runs(xy, gap)
    nruns = len(rx)
    thick = float(np.median(ry1 - ry0 + 1))
    # plain Python lists: a column holds a handful of runs and tracks, where numpy's
    # per-call overhead would dominate
    RX, Y0, Y1, C = rx.tolist(), ry0.tolist(), ry1.tolist(), rc.tolist()
    run_track = [-1] * nruns  # the run's track; -1 while shared (see `shared`)
    shared = {}  # run index -> (track ids, their predicted y)
    # track state, grown as tracks start
    last_x, last_y, slope, hits, alone, hist, last_y0, last_y1 = [], [], [], [], [], [], [], []
    live = []  # tracks that met a run within the last max_gap columns
    col_start = np.flatnonzero(np.r_[True, rx[1:] != rx[:-1]])
    col_end = np.r_[col_start[1:], nruns]
    for s, e in zip(col_start.tolist(), col_end.tolist()):
        x = RX[s]
        live = [k for k in live if x - last_x[k] <= max_gap]
        owner = [[] for _ in range(e - s)]
        lost = []
        for k in live:  # each track takes the run its prediction falls in (the nearest centre)
            dx = x - last_x[k]
            p = last_y[k] + slope[k] * dx
            t = tol + 0.05 * dx
            # the runs whose [y0 - t, y1 + t] holds p: runs are sorted and disjoint, so
            # they sit just below the first run starting past p + t (a binary search)
            best, bd = -1, float("inf")
            r = bisect_right(Y0, p + t, s, e) - 1
            while r >= s and Y1[r] + t >= p:
                if abs(p - C[r]) <= bd:  # ties go to the upper run, as in a forward scan
                    best, bd = r - s, abs(p - C[r])
                r -= 1
            if best >= 0:
                owner[best].append((k, p))
            elif dx == 1:
                lost.append(k)
        # a track that lost its prediction (a sharp turn, a peak) keeps a run that touches
        # its run in the previous column, if nothing else claimed that run
        for k in lost:
            touch = [r - s for r in range(s, e) if Y0[r] <= last_y1[k] + 1 and Y1[r] >= last_y0[k] - 1
                     and not owner[r - s]]
            if len(touch) == 1:
                owner[touch[0]].append((k, C[s + touch[0]]))
        for j in range(e - s):
            r = s + j
            if not owner[j]:  # a new track
                last_x.append(x), last_y.append(C[r]), slope.append(0.0), hits.append(1), alone.append(1)
                hist.append([(x, C[r])]), last_y0.append(Y0[r]), last_y1.append(Y1[r])
                run_track[r] = len(last_x) - 1
                live.append(run_track[r])
            elif len(owner[j]) == 1:
                k, _ = owner[j][0]
                hist[k].append((x, C[r]))
                slope[k] = _slope(hist[k], window)
                last_x[k], last_y[k], last_y0[k], last_y1[k] = x, C[r], Y0[r], Y1[r]
                hits[k] += 1
                alone[k] += 1
                run_track[r] = k
            else:  # crossing or touching lines: coast, share the pixels by predicted y
                if Y1[r] - Y0[r] + 1 <= 1.5 * thick:  # a thin run cannot hold two lines: nearest keeps it
                    k, _ = min(owner[j], key=lambda o: abs(o[1] - C[r]))
                    run_track[r] = k
                else:
                    shared[r] = (np.array([o[0] for o in owner[j]]), np.array([o[1] for o in owner[j]]))
                for k, p in owner[j]:
                    last_x[k], last_y[k], last_y0[k], last_y1[k] = x, p, p, p
                    hits[k] += 1
    run_track = np.asarray(run_track, np.int64)
    # pixels -> tracks
    lab_sorted = run_track[rid]
    if shared:  # a run's pixels are contiguous in sorted order
        ys = xy[order, 1]
        first = np.searchsorted(rid, np.arange(nruns + 1))
        for r, (ks, ps) in shared.items():
            sl = slice(first[r], first[r + 1])
            lab_sorted[sl] = ks[np.abs(ys[sl, None] - ps[None]).argmin(1)]
    labels = np.empty(n, np.int64)
    labels[order] = lab_sorted
    return _clean(labels, xy, min_cols, merge_radius, alone, hits)


def _adopt(labels: np.ndarray, xy: np.ndarray, weak: np.ndarray, max_dist: float,
           per_track: int = 64, max_ref: int = 20000) -> np.ndarray:
    """Each weak track (weak[label] True) takes, as a whole, the label of the strong pixel
    nearest to it if within max_dist. Distances come from up to `per_track` pixels of each
    weak track and `max_ref` strong pixels, so the cost stays bounded on huge groups."""
    is_weak = weak[labels]
    if not is_weak.any() or is_weak.all():
        return labels
    rng = np.random.default_rng(0)
    ref = np.flatnonzero(~is_weak)
    if len(ref) > max_ref:
        ref = rng.choice(ref, max_ref, replace=False)
    src = np.flatnonzero(is_weak)
    wl = labels[src]
    order = np.lexsort((rng.random(len(src)), wl))  # random order within each weak track
    starts = np.flatnonzero(np.r_[True, wl[order][1:] != wl[order][:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    src = src[order[rank < per_track]]
    dist, idx = NearestNeighbors(n_neighbors=1).fit(xy[ref]).kneighbors(xy[src])
    dist, target, wl = dist[:, 0], labels[ref][idx[:, 0]], labels[src]
    # one decision per weak track: the target of its closest sampled pixel
    order = np.lexsort((dist, wl))
    first = order[np.r_[True, wl[order][1:] != wl[order][:-1]]]
    dest = np.arange(len(weak))
    ok = dist[first] <= max_dist
    dest[wl[first][ok]] = target[first][ok]
    return dest[labels]


def _clean(labels, xy, min_cols, merge_radius, alone, hits) -> np.ndarray:
    """Short tracks, and tracks that mostly coasted on others' runs, join the nearest
    other track within merge_radius."""
    k = labels.max() + 1
    x = np.round(xy[:, 0]).astype(np.int64)
    xmin = np.full(k, np.iinfo(np.int64).max)
    xmax = np.full(k, np.iinfo(np.int64).min)
    np.minimum.at(xmin, labels, x)
    np.maximum.at(xmax, labels, x)
    present = np.bincount(labels, minlength=k) > 0
    span = np.where(present, xmax - xmin + 1, 0)
    solo = np.asarray(alone, np.float64) / np.maximum(np.asarray(hits, np.float64), 1)
    weak = present & ((span < min_cols) | (solo < 0.3))
    strong = present & ~weak
    if not strong.any():
        return np.zeros_like(labels)
    labels = _adopt(labels, xy, weak, merge_radius)
    _, labels = np.unique(labels, return_inverse=True)
    return labels.ravel()


def trace_merged(labels: np.ndarray, xy: np.ndarray, p) -> np.ndarray:
    """Trace-split every group that still has two or more runs in `p.split_share` of its
    columns. The split (after rejoining aligned fragments) is kept if its parts have
    markedly fewer such columns and are long: at least 75% of the pixels lie in tracks
    spanning `p.trace_min_span` of the group's width; the pixels of the short tracks then
    join the nearest long one. Zigzag lines that a tracker breaks into short pieces are
    left as the embeddings grouped them."""
    labels = labels.copy()
    k = int(labels.max())
    order, bounds = label_slices(labels, k)
    for c in range(1, k + 1):
        idx = order[bounds[c]:bounds[c + 1]]
        if len(idx) < 2 * p.min_line_pixels:
            continue
        share = multi_run_share(xy[idx])
        if share < p.split_share:
            continue
        pts = xy[idx]
        sub = join_fragments(trace_split(pts, max_gap=int(p.max_gap), merge_radius=p.merge_radius) + 1,
                             pts, p) - 1
        if sub.max() == 0:
            continue
        parts = [multi_run_share(pts[sub == t]) for t in range(sub.max() + 1)]
        if max(parts) > 0.5 * share:
            continue
        # trust the tracks only if they are long: most pixels in tracks over a quarter of the group's width
        x = pts[:, 0]
        lo = np.full(sub.max() + 1, np.inf)
        hi = np.full(sub.max() + 1, -np.inf)
        np.minimum.at(lo, sub, x)
        np.maximum.at(hi, sub, x)
        long_ = (hi - lo) >= p.trace_min_span * max(np.ptp(x), 1.0)
        if long_.sum() < 2 or long_[sub].mean() < 0.75:
            continue
        sub = _adopt(sub, pts, ~long_, np.inf)  # short tracks join the nearest long one
        _, sub = np.unique(sub, return_inverse=True)
        new = np.where(sub == 0, c, labels.max() + sub)
        labels[idx] = new
    return _renumber(labels)
