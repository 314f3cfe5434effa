"""Label arrays shared by the stages: labels (N,) of pixels, 0 = none, 1..K = line K.

    labels = renumber(labels)               # 1..K by decreasing size, 0 stays 0
    order, bounds = label_slices(labels, k) # the pixels of label c: order[bounds[c]:bounds[c + 1]]
"""

from __future__ import annotations

import numpy as np


def renumber(labels: np.ndarray) -> np.ndarray:
    """Labels 1..K by decreasing size (0 stays 0), int32."""
    labels = np.asarray(labels, np.int64)
    if len(labels) == 0 or labels.max() == 0:
        return labels.astype(np.int32)
    sizes = np.bincount(labels)
    sizes[0] = 0
    order = np.argsort(-sizes, kind="stable")
    order = order[sizes[order] > 0]
    remap = np.zeros(len(sizes), np.int64)
    remap[order] = np.arange(1, len(order) + 1)
    return remap[labels].astype(np.int32)


def label_slices(labels: np.ndarray, k: int):
    """(order, bounds): the indices of label c are order[bounds[c]:bounds[c + 1]], c = 0..k.
    One sort instead of a `labels == c` scan per label."""
    order = np.argsort(labels, kind="stable")
    return order, np.searchsorted(labels[order], np.arange(k + 2))
