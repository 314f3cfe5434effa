"""Pieces of one series left as lines of their own -> one line: a learned pair score over
the finished lines, merged under the rule that a series is a function of x.

    F, i, j, share, dy = piece_pairs(xs, ys, labels, lab, feats, bg)   # F (P, len(FEATURES)): lines i + 1, j + 1
    labels = merge_pieces(xs, ys, labels, lab, feats, bg, model)

After the linking and the leftovers, a series the linking could not hold together comes
out as two or more lines: a pale stretch the network found apart, a
dashed series cut where it crossed another, the connector of a marker series beside its
markers. End to end on the foreign-renderer set's tune split, before this step, those
pieces held 11% of the true line pixels, and merging every piece with its line's main
part would have lifted PQ from 0.655 to 0.702 (one-off counts against the truth; the
README's "Why they miss").

Each pair of lines (A the larger, B the smaller) is described by what tells one series
from two: their inks (Lab, from each line's strongest half of pixels) and mean learned
embeddings; how much of their columns they share, and how far apart their centres are
there; how far B's column spans lie inside A's; where they do not overlap, the gap
between their facing ends and how well each end's slope carries on to the other; their
sizes, stroke widths and how gappy they are (FEATURES). A gradient-boosted model
(`learn.fit_tree_model`), fitted on synthetic charts by `scripts/fit_pieces.py` on
`predict`'s own output, scores each pair (log-odds of "one series"). `predict` merges
twice: with its own candidates before the series judge, so that the judge sees a series
whole and keeps it, and after the trim, on the lines' ink. Pairs at or above
the bias are merged, best first, into groups; two groups are not merged where a member
of one shares at least BLOCK_SHARE of its columns with a member of the other at centres
more than BLOCK_DY px apart: a series has one value per x.

Vectorised over pairs and columns; Python loops run over lines (tens) and merges.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from ..labels import label_slices
from .coincide import column_spans

FEATURES = ("ink_d", "ink_dl", "chroma_a", "emb_d", "share_a", "share_b", "dy_med", "inside_b", "gap_x", "gap_y",
            "cont", "log_npix_a", "log_npix_b", "cols_a", "cols_b", "thick_a", "thick_b", "cover_a", "cover_b",
            "n_lines")
PIECES_BIAS = 0.0  # log-odds at or above which two lines are one series
BLOCK_SHARE = 0.2  # two lines sharing this share of the smaller one's columns ...
BLOCK_DY = 20.0  # ... at centres farther apart than this (px) are two series: never merged
END_COLS = 12  # columns at a line's end over which its end slope is fitted
SLACK = 1.0  # px: B's span lies inside A's span widened by this


def _line_stats(xs, ys, labels, k, w, lab, feats, bg):
    """Per line: column counts, centres, spans, ink, embedding and shape numbers."""
    on = labels > 0
    key = (labels[on] - 1) * w + xs[on]
    cnt = np.bincount(key, minlength=k * w).reshape(k, w)
    ysum = np.bincount(key, weights=ys[on].astype(np.float64), minlength=k * w).reshape(k, w)
    has = cnt > 0
    yc = np.where(has, ysum / np.maximum(cnt, 1), np.nan)
    lo, hi = column_spans(xs, ys, labels, k, w)
    npix = cnt.sum(1)
    cols = has.sum(1)
    x0 = np.argmax(has, 1)
    x1 = w - 1 - np.argmax(has[:, ::-1], 1)
    order, bounds = label_slices(labels, k)
    ink = np.zeros((k, 3))
    emb = np.zeros((k, feats.shape[1] if feats is not None else 1))
    slope = np.zeros((k, 2))  # at the left and the right end
    for c in range(k):
        idx = order[bounds[c + 1]:bounds[c + 2]]
        if len(idx) == 0:
            continue
        d = np.linalg.norm(lab[idx] - bg, axis=1)
        ink[c] = np.median(lab[idx][d >= np.median(d)], 0)
        if feats is not None:
            emb[c] = feats[idx].mean(0)
        cx = np.flatnonzero(has[c])
        for e, part in enumerate((cx[:END_COLS], cx[-END_COLS:])):
            if len(part) >= 3 and part[-1] > part[0]:
                slope[c, e] = np.polyfit(part.astype(np.float64), yc[c, part], 1)[0]
    return dict(has=has, yc=yc, lo=lo, hi=hi, npix=npix, cols=cols, x0=x0, x1=x1, ink=ink, emb=emb, slope=slope)


def piece_pairs(xs, ys, labels, lab, feats=None, bg=None):
    """(F, i, j, share, dy): every pair of lines i + 1, j + 1 (i the larger), its features
    F (P, len(FEATURES)), and for the blocking rule the share of line j + 1's columns the two
    share and the median distance of their centres there, each (P,). Without embeddings
    (feats None) the embedding distance is 0."""
    xs = np.asarray(xs, np.int64)
    ys = np.asarray(ys, np.int64)
    labels = np.asarray(labels, np.int64)
    k = int(labels.max()) if len(labels) else 0
    empty = np.zeros(0, np.int64)
    if k < 2:
        return np.zeros((0, len(FEATURES))), empty, empty, np.zeros(0), np.zeros(0)
    w = int(xs.max()) + 1
    bg = np.median(lab, 0) if bg is None else np.asarray(bg, np.float64)
    s = _line_stats(xs, ys, labels, k, w, np.asarray(lab, np.float64), feats, bg)
    i, j = np.triu_indices(k, 1)
    swap = s["npix"][j] > s["npix"][i]  # i the larger
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    has, yc = s["has"], s["yc"]
    both = has[i] & has[j]  # (P, W)
    shared = both.sum(1)
    cols = np.maximum(s["cols"], 1)
    dy = np.abs(yc[i] - yc[j])
    dy_med = np.zeros(len(i))
    some = shared > 0
    if some.any():
        dy_med[some] = np.nanmedian(np.where(both[some], dy[some], np.nan), 1)
    lo_a = minimum_filter1d(s["lo"][i], 3, axis=1, mode="constant", cval=np.inf)  # A's span, a column either side
    hi_a = maximum_filter1d(s["hi"][i], 3, axis=1, mode="constant", cval=-np.inf)
    inside = (has[j] & (s["lo"][j] >= lo_a - SLACK) & (s["hi"][j] <= hi_a + SLACK)).sum(1) / cols[j]
    # facing ends: the left line's right end against the right line's left end
    a_left = s["x0"][i] <= s["x0"][j]
    left, right = np.where(a_left, i, j), np.where(a_left, j, i)
    xl, xr = s["x1"][left], s["x0"][right]
    gap = xr - xl
    yl, yr = yc[left, xl], yc[right, xr]
    cont = np.minimum(np.abs(yl + s["slope"][left, 1] * gap - yr), np.abs(yr - s["slope"][right, 0] * gap - yl))
    apart = gap > 0
    gap_y = np.where(apart, np.abs(yr - yl), dy_med)
    cont = np.where(apart, cont, dy_med)
    npix = s["npix"].astype(np.float64)
    thick = npix / cols
    cover = s["cols"] / np.maximum(s["x1"] - s["x0"] + 1, 1)
    ink_a, ink_b = s["ink"][i], s["ink"][j]
    F = np.column_stack([
        np.linalg.norm(ink_a - ink_b, axis=1), np.abs(ink_a[:, 0] - ink_b[:, 0]), np.hypot(ink_a[:, 1], ink_a[:, 2]),
        np.linalg.norm(s["emb"][i] - s["emb"][j], axis=1), shared / cols[i], shared / cols[j], dy_med, inside,
        np.maximum(gap, 0) / w, gap_y, cont, np.log1p(npix[i]), np.log1p(npix[j]), s["cols"][i] / w,
        s["cols"][j] / w, thick[i], thick[j], cover[i], cover[j], np.full(len(i), float(k))])
    return F, i, j, shared / cols[j], dy_med


def merge_pieces(xs, ys, labels, lab, feats, bg, model, bias: float = PIECES_BIAS) -> np.ndarray:
    """labels (N,) 0..K with the pairs of lines the model scores at or above bias merged
    (best first, never across the blocking rule; see the module docstring). Line ids are
    not renumbered."""
    labels = np.asarray(labels)
    F, i, j, share, dy = piece_pairs(xs, ys, labels, lab, feats, bg)
    if len(i) == 0:
        return labels
    score = model.logit(F)
    k = int(labels.max())
    block = np.zeros((k, k), bool)
    b = (share >= BLOCK_SHARE) & (dy > BLOCK_DY)
    block[i[b], j[b]] = block[j[b], i[b]] = True
    root = np.arange(k)
    members = {c: [c] for c in range(k)}
    for p in np.argsort(-score, kind="stable"):
        if score[p] < bias:
            break
        a, c = root[i[p]], root[j[p]]
        if a == c or block[np.ix_(members[a], members[c])].any():
            continue
        for m in members[c]:
            root[m] = a
        members[a] += members.pop(c)
    if (root == np.arange(k)).all():
        return labels
    out = labels.copy()
    on = labels > 0
    out[on] = root[labels[on] - 1] + 1
    return out
