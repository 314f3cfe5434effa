"""Geometric rules applied after the embedding clustering: what the embeddings may miss.

Small groups ("every candidate ends up in a line unless clearly isolated"): groups
smaller than `min_line_pixels` join the line with the spatially nearest pixel if it is
within `merge_radius` px; otherwise they are isolated specks and get 0.

Splitting (`split_merged`): a line chart's series has one y per x, so a group that has
two or more separate vertical runs of pixels in at least `split_share` of its columns
(and 20 columns or more) holds several lines. It is split in two by k-means on its
embeddings (2-means from the ends of the principal axis), and the split is kept only if each part has markedly fewer such columns;
the parts are examined again (up to 3 levels).

Joining (`join_fragments`): fragments of one line that the embedding split at a gap, a
dash or a crossing are rejoined when their x-ranges do not overlap, the gap between
their ends is at most `max_gap` px, and each end, extrapolated along its local slope,
lands within `join_tol` px (+ 10% of the gap) of the other, or the two ends touch
(within 3 px: a peak or a sharp turn); only mutual best matches are joined, repeatedly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from sklearn.neighbors import NearestNeighbors

if TYPE_CHECKING:
    from .cluster import GroupParams

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


def label_slices(labels: np.ndarray, k: int):
    """(order, bounds): the indices of label c are order[bounds[c]:bounds[c + 1]], c = 0..k.
    One sort instead of a `labels == c` scan per label."""
    order = np.argsort(labels, kind="stable")
    return order, np.searchsorted(labels[order], np.arange(k + 2))


def column_runs(xy: np.ndarray, gap: float = 3.0):
    """Vertical runs of pixels: (order, run id per sorted pixel, run x, y0, y1, centre)."""
    x = np.round(xy[:, 0]).astype(np.int64)
    y = xy[:, 1]
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    start = np.r_[True, (xs[1:] != xs[:-1]) | (np.diff(ys) > gap)]
    rid = np.cumsum(start) - 1
    end = np.r_[start[1:], True]
    cnt = np.bincount(rid)
    centre = np.bincount(rid, weights=ys) / cnt
    return order, rid, xs[start], ys[start], ys[end], centre


def multi_run_share(xy: np.ndarray, gap: float = 3.0, min_columns: int = 20) -> float:
    """Share of a group's columns holding two or more separate vertical runs of pixels."""
    if len(xy) == 0:
        return 0.0
    runs_per_col = np.unique(column_runs(xy, gap)[2], return_counts=True)[1]
    if len(runs_per_col) < min_columns:
        return 0.0
    return float((runs_per_col >= 2).mean())


def _two_means(fit: np.ndarray, allf: np.ndarray, iters: int = 10) -> np.ndarray:
    """2-means (Lloyd), started from the two ends of the principal axis; labels of allf."""
    mu = fit.mean(0)
    centred = fit - mu
    _, vecs = np.linalg.eigh(centred.T @ centred)  # D x D: cheap, unlike an SVD of the points
    proj = centred @ vecs[:, -1]
    c = np.stack([fit[proj <= np.median(proj)].mean(0), fit[proj > np.median(proj)].mean(0)]) \
        if np.ptp(proj) > 0 else np.stack([mu, mu])
    for _ in range(iters):
        lab = ((fit[:, None] - c[None]) ** 2).sum(-1).argmin(1)
        if lab.min() == lab.max():
            break
        c = np.stack([fit[lab == 0].mean(0), fit[lab == 1].mean(0)])
    return ((allf[:, None] - c[None]) ** 2).sum(-1).argmin(1)


def split_merged(labels: np.ndarray, feats: np.ndarray, xy: np.ndarray, p, depth: int = 3) -> np.ndarray:
    """Split groups that hold several lines (see module docstring)."""
    labels = labels.copy()
    queue = [(c, depth) for c in range(1, int(labels.max()) + 1)]
    rng = np.random.default_rng(p.seed)
    while queue:
        c, d = queue.pop()
        idx = np.flatnonzero(labels == c)
        if d == 0 or len(idx) < 2 * p.min_line_pixels:
            continue
        share = multi_run_share(xy[idx])
        if share < p.split_share:
            continue
        fit = idx if len(idx) <= 2000 else rng.choice(idx, 2000, replace=False)
        part = _two_means(feats[fit], feats[idx])
        a, b = idx[part == 0], idx[part == 1]
        if min(len(a), len(b)) < p.min_line_pixels:
            continue
        if max(multi_run_share(xy[a]), multi_run_share(xy[b])) > 0.6 * share:
            continue
        new = int(labels.max()) + 1
        labels[b] = new
        queue += [(c, d - 1), (new, d - 1)]
    return _renumber(labels)


def _ends(xy: np.ndarray, labels: np.ndarray, k: int, window: float = 12.0):
    """Per cluster: x-range and (x, y, slope) at the left and right ends: y is the median
    y within 1.5 px of the end column, the slope a least-squares fit over `window` px
    (0 if those pixels span under 3 columns). Vectorised over clusters."""
    order, bounds = label_slices(labels, k)
    sizes = np.diff(bounds)[1:]  # clusters 1..k
    ok = np.flatnonzero(sizes >= 2) + 1
    if len(ok) == 0:
        return {}
    idx = order[bounds[1]:]
    lab = labels[idx].astype(np.int64)
    x, y = xy[idx, 0].astype(np.float64), xy[idx, 1].astype(np.float64)
    starts = bounds[1:-1] - bounds[1]
    nonempty = sizes > 0
    x0 = np.full(k + 1, np.inf)
    x1 = np.full(k + 1, -np.inf)
    x0[1:][nonempty] = np.minimum.reduceat(x, starts[nonempty])
    x1[1:][nonempty] = np.maximum.reduceat(x, starts[nonempty])
    out_ends = []
    for xe in (x0, x1):
        d = np.abs(x - xe[lab])
        sel = d <= window
        ls, xs_, ys_ = lab[sel], x[sel], y[sel]
        n = np.bincount(ls, minlength=k + 1).astype(np.float64)
        mx = np.bincount(ls, weights=xs_, minlength=k + 1) / np.maximum(n, 1)
        my = np.bincount(ls, weights=ys_, minlength=k + 1) / np.maximum(n, 1)
        dx = xs_ - mx[ls]
        v = np.bincount(ls, weights=dx * dx, minlength=k + 1)
        cov = np.bincount(ls, weights=dx * (ys_ - my[ls]), minlength=k + 1)
        lo = np.full(k + 1, np.inf)
        hi = np.full(k + 1, -np.inf)
        np.minimum.at(lo, ls, xs_)
        np.maximum.at(hi, ls, xs_)
        slope = np.where(hi - lo >= 3, cov / np.where(v > 0, v, 1), 0.0)
        # median y of the pixels within 1.5 px of the end column (the two middle values of
        # each cluster's sorted y, averaged, as np.median does)
        near = d <= 1.5
        ln, yn = lab[near], y[near]
        o = np.lexsort((yn, ln))
        ln, yn = ln[o], yn[o]
        m = np.bincount(ln, minlength=k + 1)
        first = np.r_[0, np.cumsum(m)[:-1]]
        mid_lo = first + np.maximum(m - 1, 0) // 2
        mid_hi = first + m // 2
        ye = np.zeros(k + 1)
        has = m > 0
        ye[has] = (yn[mid_lo[has]] + yn[np.minimum(mid_hi[has], len(yn) - 1)]) / 2
        out_ends.append((xe, ye, slope))
    (lx, ly, lsl), (rx, ry, rsl) = out_ends
    return {int(c): (x0[c], x1[c], (lx[c], ly[c], float(lsl[c])), (rx[c], ry[c], float(rsl[c]))) for c in ok}


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
                if np.hypot(gap, ly - ry) <= 3.0:  # ends that touch (a peak, a sharp turn)
                    err = 0.0
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


def drop_rulings(labels: np.ndarray, xy: np.ndarray, width: int, min_share: float = 0.3,
                 flat: float = 3.0) -> np.ndarray:
    """Remove groups that are grid or axis rulings rather than data series: vertical ones
    (70% of the pixels in vertical runs 20 px or taller, in at most 30% of the columns the
    group spans or 10 columns; a series has one y per x and is a few px thick, several
    series stacked in one group make several short runs, and a 2-D blob fills its columns),
    and horizontal ones with 90% of their pixels within `flat` px of their median y, over
    at least `min_share` of the image width (axes with their ticks). Used on the model's
    own candidates, where grid lines, axes and frames are the usual false positives."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0:
        return labels
    order, bounds = label_slices(labels, k)
    drop = np.zeros(k + 1, bool)
    for c in range(1, k + 1):
        pts = xy[order[bounds[c]:bounds[c + 1]]]
        if len(pts) == 0:
            continue
        _, rid, rx, y0, y1, _ = column_runs(pts)
        # most pixels in vertical runs 20+ px tall, in few of the columns the group spans
        # (rulings are thin; a 2-D blob of merged lines or background texture is not one)
        span = int(rx[-1] - rx[0]) + 1
        thin = len(np.unique(rx)) <= max(10, 0.3 * span)
        vertical = thin and ((y1 - y0 + 1)[rid] >= 20).mean() >= 0.7
        # 90% of the pixels within `flat` px of one y (an axis keeps its ticks and any text
        # that joined it), over min_share of the width
        straight = (np.abs(pts[:, 1] - np.median(pts[:, 1])) <= flat).mean() >= 0.9
        horizontal = straight and np.ptp(pts[:, 0]) >= min_share * width
        drop[c] = vertical or horizontal
    if not drop.any():
        return labels
    out = labels.copy()
    out[drop[labels]] = 0
    return _renumber(out)


def drop_strays(labels: np.ndarray, xy: np.ndarray, radius: int = 10, max_share: float = 0.05) -> np.ndarray:
    """Remove the stray pieces of each group: pieces (pixels within 2 x `radius` px of each
    other count as one piece, so a dashed or dotted line stays whole) that hold under
    `max_share` of the group's pixels. On the model's own candidates these are text
    glyphs, arrow heads and specks that joined a line by their embedding, far from it;
    each adds points to the line's series where it has none. Pixels go to 0."""
    k = int(labels.max()) if len(labels) else 0
    if k == 0:
        return labels
    xi = np.asarray(xy, np.int64)
    order, bounds = label_slices(labels, k)
    out = labels.copy()
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    for c in range(1, k + 1):
        idx = order[bounds[c]:bounds[c + 1]]
        if len(idx) < 2:
            continue
        p = xi[idx]
        x0, y0 = p.min(0) - radius
        m = np.zeros((int(np.ptp(p[:, 1])) + 2 * radius + 1, int(np.ptp(p[:, 0])) + 2 * radius + 1), np.uint8)
        m[p[:, 1] - y0, p[:, 0] - x0] = 1
        n, comp = cv2.connectedComponents(cv2.dilate(m, ker))
        if n <= 2:
            continue
        piece = comp[p[:, 1] - y0, p[:, 0] - x0]
        size = np.bincount(piece, minlength=n)
        stray = size < max_share * len(idx)
        out[idx[stray[piece]]] = 0
    return _renumber(out)
