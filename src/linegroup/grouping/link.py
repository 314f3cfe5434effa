"""Fragments -> lines: learned link costs, a global assignment in two rounds, leftovers.

    i, j, taken = link_round(desc, items, model, width, max_gap, reach)   # one round
    chain = chains(desc.n, i[taken], j[taken], items)                      # (F,) chain id, -1 = none

A line is a chain of fragments ordered by x. Choosing all the chains at once is an
assignment of fragment *ends* (rows) to fragment *starts* (columns), as in the
hierarchical association of tracklets (Huang, Wu and Nevatia, ECCV 2008) and u-track's
gap closing (Jaqaman et al. 2008):
  - a pair (i, j) is a candidate when j starts after i ends (OVERLAP columns of overlap
    allowed; where both ends are steep, up to the stroke's width more, since a steep
    stroke is about its width wide in x and the dashes of a steep dashed line overlap
    so) within the round's gap window, and j's start is within reach of i's end;
  - its score is the log-odds that i and j are consecutive pieces of one line, from a
    gradient-boosted model of the pair's features (`pair_features`: the miss of each
    end's extrapolation measured across the line, the change of direction, the ink
    colour difference, the embedding distance, widths, lengths, gap, competitors);
  - the assignment maximises the summed log-odds of the links it takes, each end and
    each start used at most once; a link scoring below `bias` is never worth taking
    (the price of one more line). The number of lines is whatever the optimum leaves.
Round 1 links fragments across short gaps (crossings, dashes, dots, markers). Round 2
links the resulting chains across any gap, where appearance must agree (a legend box
over a line, a line hidden behind another). Two chains that overlap over a real x-range
are never linked: a series is a function of x.

What is left unlinked goes to the nearest line afterwards (leftovers.py).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from .describe import Description

OVERLAP = 2  # columns two consecutive fragments of one line may overlap
OVERLAP2 = 6  # ... and two consecutive chains (a chain may end in a stub or a marker's edge)
STEEP_OVERLAP = 4  # ... and, at most this much more, two steep pieces (slope over 1) by their stroke width
GAP1 = 40  # px: round 1 gap window (crossings, dashes, dots, markers)
REACH1 = 40.0  # px: round 1 largest |dy| between an end and a start beyond the slope's prediction
MIN_SPAN = 0.05  # a chain spanning less than this share of the candidates' width is a leftover
MIN_PIX = 12  # ... or with fewer pixels

TOP_K = 5  # candidate links kept per end and per start, the best continuations first

FEATURES = ("gap", "gap_rel", "dy", "miss_f", "miss_b", "miss_rel", "turn", "d_color", "d_light",
            "chroma", "light", "d_emb", "d_width", "width", "len_i", "len_j", "len_ratio", "span_min",
            "cover_i", "cover_j", "free_i", "free_j", "steep", "n_starts", "n_ends", "rank_f", "rank_b")


# ---------------------------------------------------------------------------------
# candidate pairs and their features


def candidate_pairs(d: Description, items: np.ndarray, max_gap: float, reach: float, overlap: int = OVERLAP):
    """(i, j) index arrays into d of candidate links: end of i -> start of j."""
    items = np.asarray(items, np.int64)
    if len(items) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    st = items[np.argsort(d.x0[items], kind="stable")]
    sx = d.x0[st]
    lo = np.searchsorted(sx, d.x1[items] - overlap - STEEP_OVERLAP, side="left")
    hi = np.searchsorted(sx, d.x1[items] + max_gap, side="right")
    cnt = np.maximum(hi - lo, 0)
    i = np.repeat(items, cnt)
    off = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    j = st[np.repeat(lo, cnt) + off]
    ok = (i != j) & (d.x1[j] > d.x1[i]) & (d.x0[j] > d.x0[i])
    # a steep stroke is about its width wide in x, so consecutive pieces of a steep dashed
    # line overlap in x by up to that width: allowed where both ends are steep
    ov = d.x1[i] - d.x0[j]
    steep = (np.abs(d.sb_l[i]) > 1) & (np.abs(d.sa_l[j]) > 1)
    ok &= (ov <= overlap) | (steep & (ov <= overlap + np.minimum(np.ceil(d.width[i]), STEEP_OVERLAP)))
    i, j = i[ok], j[ok]
    gap = np.maximum(d.x0[j] - d.x1[i], 0)
    pred = d.yb[i] + d.sb_l[i] * gap
    near = (np.abs(d.ya[j] - pred) <= reach + 0.5 * gap) | (np.abs(d.ya[j] - d.yb[i]) <= reach)
    i, j = i[near], j[near]
    # the TOP_K best continuations of each end and of each start (the others never win)
    cost = _continuation(d, i, j)
    keep = (_rank(i, cost) <= TOP_K) | (_rank(j, cost) <= TOP_K)
    return i[keep], j[keep]


def _continuation(d: Description, i, j) -> np.ndarray:
    """A cheap continuation cost: the better extrapolation miss plus a tenth of the gap."""
    dx = d.x0[j] - d.x1[i]
    miss = np.minimum(_miss(d.yb[i], d.sb_l[i], dx, d.ya[j]), _miss(d.ya[j], d.sa_l[j], -dx, d.yb[i]))
    return miss + 0.1 * np.maximum(dx, 0)


def _miss(y0, s, dx, y1):
    """Distance across the line from (x + dx, y1) to the line through (x, y0) of slope s."""
    return np.abs(y1 - (y0 + s * dx)) / np.sqrt(1.0 + s * s)


def _rank(key_group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Rank (1 = smallest value) of each entry within its group."""
    if len(value) == 0:
        return np.zeros(0)
    by_value = np.argsort(value, kind="stable")  # np.lexsort((value, key_group)), as two stable sorts:
    key = key_group[by_value]  # the second on 16-bit keys where they fit (a radix sort)
    if key.min() >= 0 and key.max() < 1 << 16:
        key = key.astype(np.uint16)
    order = by_value[np.argsort(key, kind="stable")]
    g = key_group[order]
    first = np.zeros(len(order), np.int64)  # per sorted entry, where its group starts
    first[1:] = np.where(g[1:] != g[:-1], np.arange(1, len(order)), 0)
    rank = np.empty(len(order))
    rank[order] = np.arange(1, len(order) + 1) - np.maximum.accumulate(first)
    return rank


def pair_features(d: Description, i: np.ndarray, j: np.ndarray, width: float) -> np.ndarray:
    """(P, len(FEATURES)) features of the candidate links i -> j (names in FEATURES)."""
    gap = d.x0[j] - d.x1[i]  # negative where the two overlap
    g = np.maximum(gap, 0)
    miss_f = np.minimum(_miss(d.yb[i], d.sb_s[i], gap, d.ya[j]), _miss(d.yb[i], d.sb_l[i], gap, d.ya[j]))
    miss_b = np.minimum(_miss(d.ya[j], d.sa_s[j], -gap, d.yb[i]), _miss(d.ya[j], d.sa_l[j], -gap, d.yb[i]))
    turn = np.abs(np.arctan(d.sb_l[i]) - np.arctan(d.sa_l[j]))
    lab_i, lab_j = d.lab[i], d.lab[j]
    d_color = np.linalg.norm(lab_i - lab_j, axis=1)
    d_emb = np.nan_to_num(np.linalg.norm(d.emb[i] - d.emb[j], axis=1), nan=-1.0)  # -1: no embeddings
    wi, wj = np.maximum(d.width[i], 0.5), np.maximum(d.width[j], 0.5)
    span_i = d.x1[i] - d.x0[i] + 1
    span_j = d.x1[j] - d.x0[j] + 1
    n_starts = np.bincount(i, minlength=d.n)[i] if len(i) else np.zeros(0)
    n_ends = np.bincount(j, minlength=d.n)[j] if len(j) else np.zeros(0)
    cols = {
        "gap": gap, "gap_rel": g / max(width, 1.0), "dy": np.abs(d.ya[j] - d.yb[i]),
        "miss_f": miss_f, "miss_b": miss_b, "miss_rel": np.minimum(miss_f, miss_b) / (g + 2.0),
        "turn": turn, "d_color": d_color, "d_light": np.abs(lab_i[:, 0] - lab_j[:, 0]),
        "chroma": np.hypot(lab_i[:, 1], lab_i[:, 2]), "light": lab_i[:, 0],
        "d_emb": d_emb, "d_width": np.abs(np.log(wi / wj)), "width": np.minimum(wi, wj),
        "len_i": d.ncols[i], "len_j": d.ncols[j], "len_ratio": np.abs(np.log(d.ncols[i] / d.ncols[j])),
        "span_min": np.minimum(span_i, span_j) / max(width, 1.0),
        "cover_i": d.ncols[i] / span_i, "cover_j": d.ncols[j] / span_j,
        "free_i": d.free_b[i].astype(float), "free_j": d.free_a[j].astype(float),
        "steep": np.abs(np.arctan(d.sb_l[i])), "n_starts": n_starts, "n_ends": n_ends,
        "rank_f": _rank(i, miss_f + 0.1 * g), "rank_b": _rank(j, miss_b + 0.1 * g),
    }
    return np.column_stack([cols[k] for k in FEATURES]).astype(np.float64)


# ---------------------------------------------------------------------------------
# the assignment


def match(i: np.ndarray, j: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Bool mask of the links taken: each end and each start at most once, maximising
    the summed score over links with score > 0 (an augmented minimum-cost matching)."""
    take = np.zeros(len(i), bool)
    pos = np.flatnonzero(score > 0)
    if len(pos) == 0:
        return take
    ends, ie = np.unique(i[pos], return_inverse=True)
    starts, js = np.unique(j[pos], return_inverse=True)
    n, m = len(ends), len(starts)
    big = 1.0 + float(score[pos].max())
    # rows: ends 0..n-1, births n..n+m-1; columns: starts 0..m-1, terminations m..m+n-1
    r = np.concatenate([ie, np.arange(n), n + np.arange(m), n + js])
    c = np.concatenate([js, m + np.arange(n), np.arange(m), m + ie])
    w = np.concatenate([big - score[pos], np.full(n + m + len(pos), big)])
    graph = csr_matrix((w, (r, c)), shape=(n + m, n + m))
    rows, cols = min_weight_full_bipartite_matching(graph)
    col_of_row = np.empty(n + m, np.int64)
    col_of_row[rows] = cols
    take[pos] = col_of_row[ie] == js
    return take


def chains(n: int, i: np.ndarray, j: np.ndarray, items: np.ndarray) -> np.ndarray:
    """(n,) chain id per item (0..C-1, numbered by first x), -1 for items not in `items`."""
    g = csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    out = np.full(n, -1, np.int64)
    _, out[items] = np.unique(comp[items], return_inverse=True)
    return out


def aggregate(d: Description, cid: np.ndarray) -> Description:
    """Describe each chain (cid >= 0) from its fragments: ends from its first and last one."""
    ok = cid >= 0
    k = int(cid.max()) + 1 if ok.any() else 0
    idx = np.flatnonzero(ok)
    c = cid[idx]
    first = idx[np.lexsort((d.x0[idx], c))][np.r_[0, np.flatnonzero(np.diff(np.sort(c))) + 1]]
    last = idx[np.lexsort((-d.x1[idx], c))][np.r_[0, np.flatnonzero(np.diff(np.sort(c))) + 1]]
    sum_ = lambda v: np.bincount(c, weights=v, minlength=k)  # noqa: E731
    npix, ncols = sum_(d.npix[idx]), sum_(d.ncols[idx])
    lab = np.stack([sum_(d.lab[idx, q] * d.ncols[idx]) for q in range(3)], 1) / np.maximum(ncols, 1)[:, None]
    bg = np.stack([sum_(d.bg[idx, q] * d.ncols[idx]) for q in range(3)], 1) / np.maximum(ncols, 1)[:, None]
    emb = np.stack([sum_(d.emb[idx, q] * d.npix[idx]) for q in range(d.emb.shape[1])], 1) / np.maximum(npix, 1)[:, None]
    x0 = np.full(k, np.inf)
    np.minimum.at(x0, c, d.x0[idx])
    x1 = np.full(k, -np.inf)
    np.maximum.at(x1, c, d.x1[idx])
    return Description(
        x0=x0, x1=x1, ya=d.ya[first], yb=d.yb[last], sa_s=d.sa_s[first], sa_l=d.sa_l[first],
        sb_s=d.sb_s[last], sb_l=d.sb_l[last], ncols=ncols, npix=npix,
        width=sum_(d.width[idx] * d.npix[idx]) / np.maximum(npix, 1), lab=lab, emb=emb,
        shared=np.zeros(k, bool), bg=bg, free_a=d.free_a[first], free_b=d.free_b[last])


def link_round(d: Description, items: np.ndarray, model, width: float, max_gap: float, reach: float,
               bias: float = 0.0, overlap: int = OVERLAP):
    """One round: candidate pairs, learned scores, assignment. Returns (i, j, taken)."""
    i, j = candidate_pairs(d, items, max_gap, reach, overlap)
    if len(i) == 0:
        return i, j, np.zeros(0, bool)
    score = model.logit(pair_features(d, i, j, width)) - bias
    return i, j, match(i, j, score)
