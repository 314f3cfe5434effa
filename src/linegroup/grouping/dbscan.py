"""The seed's grouping: DBSCAN on the learned embeddings (`--grouping dbscan`).

    labels = group_pixels(feats, xy, GroupParams())   # feats (N, D), xy (N, 2) -> labels (N,), 0 = none

Every decision is taken by the embedding: pixels whose embeddings lie within `eps` of
each other (the loss pulls a line's pixels within delta_v = 0.5 of its centroid) form a
line. It stays available beside the default grouping by fragments and links.

Why it is fast. Plain DBSCAN on pixel embeddings is quadratic: every pixel of a well
trained line lies within eps of every other. Instead
  1. embeddings are quantised on a grid of side eps/2 and identical cells merged
     (a 64-bit hash of the cell index, np.unique), each cell weighted by its count;
  2. if more than `max_points` cells remain, a subset of them drawn by weight is
     clustered and the rest are assigned to the nearest cluster;
  3. DBSCAN runs on the cells with weights = counts (`dbscan_weighted`: the radius graph's
     connected components); labels go back to pixels through the inverse index.
The cost is linear in the number of candidates plus a bounded DBSCAN.

DBSCAN noise cells (and cells left out of the subset) take the label of the nearest
cluster centroid in embedding space if it is within `noise_dist` (= delta_d, half the
distance the loss keeps between centroids); farther ones are clearly isolated and get 0.
The DBSCAN core weight is at least `min_samples_frac` of all candidates, so that a few
ambiguous pixels where lines cross cannot chain two lines into one. Groups under
`min_line_pixels` join the line with the spatially nearest pixel within `merge_radius`
px, or are dropped as isolated specks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components

from ..labels import renumber as _renumber


@dataclass
class GroupParams:
    eps: float = 0.5  # DBSCAN radius in embedding space (delta_v = 0.5 at training)
    min_samples: int = 10  # DBSCAN core weight, in pixels
    min_samples_frac: float = 0.01  # core weight at least this share of all candidates
    max_points: int = 4000  # cells clustered directly (drawn by weight); the rest go to the nearest cluster
    noise_dist: float = 1.5  # noise farther than this from any cluster is dropped
    min_line_pixels: int = 25  # smaller clusters are merged into a neighbouring line
    merge_radius: float = 12.0  # px: how far a small cluster may be from the line it joins
    seed: int = 0  # the cell subset is drawn with it


def _quantise(feats: np.ndarray, cell: float):
    """Unique grid cells of side `cell`: (cell centres, counts, inverse index)."""
    q = np.floor(feats / cell).astype(np.int64)
    mult = np.random.default_rng(12345).integers(1 << 20, 1 << 40, q.shape[1]) * 2 + 1
    key = (q * mult).sum(1)  # wraps on overflow: a 64-bit hash of the cell index
    _, first, inv, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    # the cell centre of the first member is exact for the cell; good enough as its position
    centres = (q[first] + 0.5) * cell
    return centres.astype(np.float32), counts, inv.ravel()


def dbscan_weighted(pts: np.ndarray, w: np.ndarray, eps: float, min_weight: float) -> np.ndarray:
    """DBSCAN with sample weights: labels 0..K-1, -1 for noise. A point is a core point if
    the weights within eps (itself included) sum to min_weight; cores within eps of each
    other share a cluster; a border point joins the cluster of a core within eps (the one
    with the lowest index). Same partition as sklearn's DBSCAN up to the border points'
    tie-breaking, and faster on the <= max_points cells clustered here (benchmarks/
    bench_predict.py times both): the radius graph is built once (brute force) and the
    clusters are its connected components."""
    from sklearn.neighbors import NearestNeighbors  # here: the default grouping starts without scikit-learn

    graph = NearestNeighbors(radius=eps, algorithm="brute").fit(pts).radius_neighbors_graph(pts, mode="connectivity")
    core = graph @ np.asarray(w, np.float64) >= min_weight
    labels = np.full(len(pts), -1, np.int64)
    ci = np.flatnonzero(core)
    if len(ci) == 0:
        return labels
    _, labels[ci] = connected_components(graph[ci][:, ci], directed=False)
    border = np.flatnonzero(~core)
    to_core = graph[border][:, ci].tocsr()
    to_core.sort_indices()  # each row's first column is then its lowest-index core
    has = np.diff(to_core.indptr) > 0
    labels[border[has]] = labels[ci[to_core.indices[to_core.indptr[:-1][has]]]]
    return labels


def min_core_weight(w: np.ndarray, p: GroupParams) -> int:
    """DBSCAN core weight: min_samples pixels, and at least min_samples_frac of all."""
    return max(p.min_samples, int(p.min_samples_frac * float(w.sum())))


def _cluster_cells(pts: np.ndarray, w: np.ndarray, p: GroupParams) -> np.ndarray:
    return dbscan_weighted(pts, w, p.eps, min_core_weight(w, p))


def cells_to_cluster(feats: np.ndarray, p: GroupParams):
    """(cells, counts, inverse index, subset): the quantised embeddings and the indices of
    the cells clustered directly (all, or `max_points` drawn by weight)."""
    cells, counts, inv = _quantise(feats, p.eps / 2)
    m = len(cells)
    if m <= p.max_points:
        return cells, counts, inv, np.arange(m)
    # a draw weighted by pixel count, so that every line keeps cells in proportion to its
    # size. (Taking the heaviest cells instead leaves a lighter line no cell at all when
    # one line's cells fill the budget: a 1280x960 chart of three dotted lines came out
    # as one group.)
    rng = np.random.default_rng(p.seed)
    return cells, counts, inv, np.sort(rng.choice(m, p.max_points, replace=False, p=counts / counts.sum()))


def cluster_embeddings(feats: np.ndarray, p: GroupParams = GroupParams()) -> np.ndarray:
    """Labels (N,) in 1..K, 0 for isolated noise, from embeddings alone."""
    n = len(feats)
    if n == 0:
        return np.zeros(0, np.int32)
    feats = np.asarray(feats, np.float32)
    cells, counts, inv, sub = cells_to_cluster(feats, p)
    m = len(cells)
    lab_sub = _cluster_cells(cells[sub], counts[sub], p)
    cell_lab = np.full(m, -1, np.int64)
    cell_lab[sub] = lab_sub
    # unclustered cells (not in the subset, or DBSCAN noise) -> nearest cluster centroid,
    # if within noise_dist (the loss pulls a line's pixels within delta_v of its centroid)
    known = cell_lab >= 0
    if known.any() and (~known).any():
        k = cell_lab.max() + 1
        wk = counts[known].astype(np.float64)
        cent = np.zeros((k, cells.shape[1]))
        np.add.at(cent, cell_lab[known], cells[known] * wk[:, None])
        cent /= np.bincount(cell_lab[known], weights=wk, minlength=k)[:, None]
        rest = np.flatnonzero(~known)
        d2 = ((cells[rest, None, :] - cent[None].astype(np.float32)) ** 2).sum(-1)  # (R, K)
        j = d2.argmin(1)
        near = d2[np.arange(len(rest)), j] <= p.noise_dist**2
        cell_lab[rest[near]] = j[near]
    out = cell_lab[inv]
    # renumber 1..K by size
    good = out >= 0
    if not good.any():
        return np.zeros(n, np.int32)
    ids, sizes = np.unique(out[good], return_counts=True)
    order = ids[np.argsort(-sizes, kind="stable")]
    remap = np.zeros(out.max() + 1, np.int32)
    remap[order] = np.arange(1, len(order) + 1)
    res = np.zeros(n, np.int32)
    res[good] = remap[out[good]]
    return res


def group_pixels(feats: np.ndarray, xy: np.ndarray, p: GroupParams = GroupParams()) -> np.ndarray:
    """DBSCAN on the embeddings, then the small-group rule.

    feats: (N, D) embeddings of the candidate pixels; xy: (N, 2) their (x, y).
    Returns int32 labels (N,): 1..K by decreasing size, 0 = isolated noise.
    """
    labels = cluster_embeddings(feats, p)
    if len(labels) == 0:
        return labels
    return absorb_small(labels, np.asarray(xy, np.float32), p).astype(np.int32)


def absorb_small(labels: np.ndarray, xy: np.ndarray, p: GroupParams = GroupParams()) -> np.ndarray:
    """Merge clusters under min_line_pixels into the spatially nearest larger line."""
    labels = labels.copy()
    k = labels.max()
    if k == 0:
        return labels
    sizes = np.bincount(labels, minlength=k + 1)
    small = np.flatnonzero((sizes > 0) & (sizes < p.min_line_pixels))
    small = small[small > 0]
    big = np.flatnonzero(sizes >= p.min_line_pixels)
    big = big[big > 0]
    if len(small) == 0:
        return labels
    is_small = np.isin(labels, small)
    if len(big) == 0:
        labels[is_small] = 0
        return _renumber(labels)
    big_pix = np.isin(labels, big)
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=1).fit(xy[big_pix])
    dist, idx = nn.kneighbors(xy[is_small])
    target = labels[big_pix][idx[:, 0]]
    # one decision per small cluster: the target of its closest pixel
    sl = labels[is_small]
    for s in small:
        mine = sl == s
        j = np.argmin(dist[mine, 0])
        labels[np.flatnonzero(is_small)[mine]] = target[mine][j] if dist[mine, 0][j] <= p.merge_radius else 0
    return _renumber(labels)
