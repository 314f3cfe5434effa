"""Grouping candidate pixels into lines: fast density clustering of their embeddings,
then a geometric pass.

    labels = group_pixels(feats, xy, GroupParams())   # feats (N, D), xy (N, 2) -> labels (N,), 0 = none

Why it is fast. Plain DBSCAN on pixel embeddings is quadratic: every pixel of a well
trained line lies within eps of every other. Instead
  1. embeddings are quantised on a grid of side eps/2 and identical cells merged
     (a 64-bit hash of the cell index, np.unique), each cell weighted by its count;
  2. if more than `max_points` cells remain, a random subset of them is clustered and
     the rest are assigned to the nearest clustered cell;
  3. DBSCAN runs on the cells with sample_weight = counts; labels go back to pixels
     through the inverse index.
The cost is linear in the number of candidates plus a bounded DBSCAN.

Rule for small groups ("every candidate ends up in a line unless clearly isolated"):
  - DBSCAN noise cells (and cells left out of the subset) take the label of the nearest
    cluster centroid in embedding space if it is within `noise_dist` (= delta_d, half
    the distance the loss keeps between centroids); farther ones are clearly isolated
    and get 0;
  - clusters smaller than `min_line_pixels` are merged into the line with the spatially
    nearest pixel if it is within `merge_radius` px; otherwise they are isolated specks
    and get 0.

Geometric pass (`postprocess`): fragments of one line that the embedding split at a
gap, a dash or a crossing are rejoined when their x-ranges do not overlap, the gap
between their ends is at most `max_gap` px, and each end, extrapolated along its local
slope, lands within `join_tol` px (+ 10% of the gap) of the other; only mutual best
matches are joined, repeatedly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import DBSCAN, HDBSCAN, MeanShift
from sklearn.neighbors import NearestNeighbors


@dataclass
class GroupParams:
    method: str = "dbscan"  # dbscan | hdbscan | meanshift
    eps: float = 0.5  # DBSCAN radius in embedding space (delta_v = 0.5 at training)
    min_samples: int = 10  # DBSCAN core weight, in pixels
    min_samples_frac: float = 0.01  # core weight at least this share of all candidates
    normalize: bool = False  # L2-normalise embeddings first
    max_points: int = 4000  # cells clustered directly; the rest are assigned to the nearest
    noise_dist: float = 1.5  # noise farther than this from any cluster is dropped
    min_line_pixels: int = 25  # smaller clusters are merged into a neighbouring line
    merge_radius: float = 12.0  # px: how far a small cluster may be from the line it joins
    postprocess: bool = True  # geometric fragment joining
    max_gap: float = 60.0  # px between fragment ends
    join_tol: float = 4.0  # px of extrapolation error allowed
    seed: int = 0


def _quantise(feats: np.ndarray, cell: float):
    """Unique grid cells of side `cell`: (cell centres, counts, inverse index)."""
    q = np.floor(feats / cell).astype(np.int64)
    mult = np.random.default_rng(12345).integers(1 << 20, 1 << 40, q.shape[1]) * 2 + 1
    key = (q * mult).sum(1)  # wraps on overflow: a 64-bit hash of the cell index
    _, first, inv, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    # the cell centre of the first member is exact for the cell; good enough as its position
    centres = (q[first] + 0.5) * cell
    return centres.astype(np.float32), counts, inv.ravel()


def _cluster_cells(pts: np.ndarray, w: np.ndarray, p: GroupParams) -> np.ndarray:
    if p.method == "dbscan":
        ms = max(p.min_samples, int(p.min_samples_frac * float(w.sum())))
        return DBSCAN(eps=p.eps, min_samples=ms).fit(pts, sample_weight=w).labels_
    if p.method == "hdbscan":
        if len(pts) < 3:
            return np.zeros(len(pts), np.int64)
        return HDBSCAN(min_cluster_size=min(len(pts), 5), min_samples=1, copy=True).fit(pts).labels_
    if p.method == "meanshift":
        return MeanShift(bandwidth=2 * p.eps, bin_seeding=True, cluster_all=False).fit(pts).labels_
    raise ValueError(f"unknown clustering method {p.method!r} (dbscan, hdbscan, meanshift)")


def cluster_embeddings(feats: np.ndarray, p: GroupParams = GroupParams()) -> np.ndarray:
    """Labels (N,) in 1..K, 0 for isolated noise, from embeddings alone."""
    n = len(feats)
    if n == 0:
        return np.zeros(0, np.int32)
    feats = np.asarray(feats, np.float32)
    if p.normalize:
        feats = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-6)
    cells, counts, inv = _quantise(feats, p.eps / 2)
    m = len(cells)
    rng = np.random.default_rng(p.seed)
    sub = np.arange(m) if m <= p.max_points else np.sort(rng.choice(m, p.max_points, replace=False, p=counts / n))
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


def absorb_small(labels: np.ndarray, xy: np.ndarray, p: GroupParams) -> np.ndarray:
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


def _renumber(labels: np.ndarray) -> np.ndarray:
    if labels.max() == 0:
        return labels
    sizes = np.bincount(labels)
    sizes[0] = 0
    order = np.argsort(-sizes, kind="stable")
    order = order[sizes[order] > 0]
    remap = np.zeros(len(sizes), labels.dtype)
    remap[order] = np.arange(1, len(order) + 1)
    return remap[labels]


def _ends(xy: np.ndarray, labels: np.ndarray, k: int, window: float = 12.0):
    """Per cluster: x-range and (x, y, slope) at the left and right ends."""
    out = {}
    for c in range(1, k + 1):
        pts = xy[labels == c]
        if len(pts) < 2:
            continue
        x0, x1 = pts[:, 0].min(), pts[:, 0].max()
        ends = []
        for xe, side in ((x0, 1), (x1, -1)):
            sel = pts[np.abs(pts[:, 0] - xe) <= window]
            ye = np.median(sel[np.abs(sel[:, 0] - xe) <= 1.5][:, 1])
            slope = np.polyfit(sel[:, 0], sel[:, 1], 1)[0] if np.ptp(sel[:, 0]) >= 3 else 0.0
            ends.append((xe, ye, slope))
        out[c] = (x0, x1, ends[0], ends[1])
    return out


def join_fragments(labels: np.ndarray, xy: np.ndarray, p: GroupParams) -> np.ndarray:
    """Rejoin fragments of one line whose ends line up (see module docstring)."""
    labels = labels.copy()
    for _ in range(32):
        k = labels.max()
        if k < 2:
            break
        info = _ends(xy, labels, k)
        best_right, best_left = {}, {}  # a -> (err, b): a's right end continues into b's left end
        for a, (ax0, ax1, _, (rx, ry, rs)) in info.items():
            for b, (bx0, bx1, (lx, ly, ls), _) in info.items():
                if a == b or bx0 < ax1 - 2 or bx1 <= ax1:  # b must start after a ends
                    continue
                gap = bx0 - ax1
                if gap > p.max_gap:
                    continue
                err = min(abs(ry + rs * gap - ly), abs(ly - ls * gap - ry))
                if err > p.join_tol + 0.1 * gap:
                    continue
                if err < best_right.get(a, (np.inf,))[0]:
                    best_right[a] = (err, b)
                if err < best_left.get(b, (np.inf,))[0]:
                    best_left[b] = (err, a)
        pairs = [(a, b) for a, (_, b) in best_right.items() if best_left.get(b, (0, None))[1] == a]
        if not pairs:
            break
        remap = np.arange(k + 1)
        for a, b in pairs:
            ra, rb = remap[a], remap[b]
            remap[remap == rb] = ra
        labels = _renumber(remap[labels].astype(labels.dtype))
    return labels


def group_pixels(feats: np.ndarray, xy: np.ndarray, p: GroupParams = GroupParams()) -> np.ndarray:
    """Full grouping: clustering, small-cluster rule, optional geometric joining.

    feats: (N, D) embeddings of the candidate pixels; xy: (N, 2) their (x, y).
    Returns int32 labels (N,): 1..K by decreasing size, 0 = isolated noise.
    """
    labels = cluster_embeddings(feats, p)
    if len(labels) == 0:
        return labels
    xy = np.asarray(xy, np.float32)
    labels = absorb_small(labels, xy, p)
    if p.postprocess:
        labels = join_fragments(labels, xy, p)
    return labels.astype(np.int32)
