"""Lines of one ink that never share a column are one series.

    labels = merge_by_ink(xs, labels, ink)   # xs: the pixels' columns; ink: (K, 3) Lab of lines 1..K

A series is a function of x, and on a chart whose series differ in colour its ink is
its identity. So where the linking left a series in pieces (a pale line the network
found only in stretches, a gap it could not bridge), the pieces are put back together
when their ink agrees (Lab distance within SAME_INK of each other, as a chain) and no
two of them share more than SHARED_COLS columns: then nothing on the chart tells them
apart. Where lines of that ink run over the same columns (a same-colour chart), the
pieces are taken largest first: a piece joins the one line of that ink it shares no
columns with, starts a line where it overlaps them all, and stays alone where it could
join several (the ink cannot say whose it is; that is the linking's work).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

SAME_INK = 10.0  # CIE Lab distance under which two lines' inks are one
SHARED_COLS = 6  # columns two pieces of one series may share (a stub, an anti-aliased end)


def merge_by_ink(xs: np.ndarray, labels: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """labels (N,) 0..K with the lines of each ink group merged where they share no columns
    (see the module docstring); ink: (K, 3) Lab of line k + 1. Line ids are not renumbered."""
    k = len(ink)
    if k < 2:
        return labels
    d = np.linalg.norm(ink[:, None, :] - ink[None, :, :], axis=2)
    i, j = np.nonzero(np.triu(d <= SAME_INK, 1))
    if len(i) == 0:
        return labels
    _, comp = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(k, k)), directed=False)
    # columns each line occupies: (K, W) bool
    on = labels > 0
    w = int(xs.max()) + 1
    occ = np.zeros((k, w), bool)
    occ[labels[on] - 1, xs[on]] = True
    occ = occ.astype(np.float32)  # a float product runs in BLAS; counts up to 2^24 stay exact
    shared = (occ @ occ.T).astype(np.int64)  # (K, K) columns both occupy
    np.fill_diagonal(shared, 0)
    new = np.arange(k)
    size = occ.sum(1)
    for c in np.unique(comp):
        members = np.flatnonzero(comp == c)
        if len(members) < 2:
            continue
        if shared[np.ix_(members, members)].max() <= SHARED_COLS:
            new[members] = members[0]
        else:  # lines of this ink overlap: a piece goes where only one line can take it
            groups = []
            for m in members[np.argsort(-size[members], kind="stable")]:
                fits = [g for g in groups if shared[m, g].max() <= SHARED_COLS]
                if not fits:
                    groups.append([m])
                elif len(fits) == 1:
                    fits[0].append(m)
            for g in groups:
                new[g] = g[0]
    out = labels.copy()
    out[on] = new[labels[on] - 1] + 1
    return out
