"""Label arrays shared by the stages: labels (N,) of pixels, 0 = none, 1..K = line K.

    labels = renumber(labels)               # 1..K by decreasing size, 0 stays 0
    order, bounds = label_slices(labels, k) # the pixels of label c: order[bounds[c]:bounds[c + 1]]
    span, ncols = label_columns(labels, x, k)  # per label: columns from first to last, columns with pixels
    n, lab, stats, centroids = components(mask8)  # connected components of a mask, as OpenCV's
"""

from __future__ import annotations

import cv2
import numpy as np

OVERLAP = 65535  # in an exact label image (uint16: k = line k's pixel): a pixel drawn by two or more lines


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


def drop_groups(labels: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """Labels with the groups flagged in drop ((K + 1,) bool, by label) set to 0 and the
    rest renumbered; the labels unchanged when none is flagged."""
    drop = np.asarray(drop, bool).copy()
    drop[0] = False
    if not drop.any():
        return labels
    return renumber(np.where(drop[labels], 0, labels))


def label_slices(labels: np.ndarray, k: int):
    """(order, bounds): the indices of label c are order[bounds[c]:bounds[c + 1]], c = 0..k.
    One sort instead of a `labels == c` scan per label."""
    order = np.argsort(labels, kind="stable")
    return order, np.searchsorted(labels[order], np.arange(k + 2))


def label_columns(labels: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per label 0..k, over the pixels with label > 0 (x: their int columns): (span, ncols),
    the columns from its first to its last (0 for a label with no pixel) and the columns
    holding one of its pixels."""
    sel = labels > 0
    lab, xs = np.asarray(labels)[sel].astype(np.int64), np.asarray(x)[sel].astype(np.int64)
    x0, x1 = np.full(k + 1, np.iinfo(np.int64).max), np.full(k + 1, -1)
    np.minimum.at(x0, lab, xs)
    np.maximum.at(x1, lab, xs)
    span = np.where(x1 >= 0, x1 - x0 + 1, 0)
    w = int(xs.max()) + 1 if len(xs) else 1
    ncols = np.bincount(np.unique(lab * w + xs) // w, minlength=k + 1)
    return span, ncols


def dense_stretch(x: np.ndarray, min_len: float, cover: float) -> bool:
    """Whether some stretch of columns at least min_len long has pixels (x: their int
    columns) in at least `cover` of its columns: exactly, by prefix sums over the columns
    (the occupied count less cover x length, its rise over at least min_len columns)."""
    x = np.asarray(x, np.int64)
    if len(x) == 0:
        return False
    x = x - x.min()
    occupied = np.zeros(int(x.max()) + 1)
    occupied[x] = 1
    q = np.r_[0.0, np.cumsum(occupied - cover)]  # q[j] - q[i]: occupied - cover x (j - i) over columns i..j-1
    n = max(1, int(np.ceil(min_len)))
    if len(q) <= n:
        return False
    return bool((q[n:] - np.minimum.accumulate(q[:len(q) - n])).max() >= -1e-9)


def components(mask: np.ndarray, connectivity: int = 8):
    """cv2.connectedComponentsWithStats of a uint8 mask, the stats and centroids of the
    components only (not of the background, label 0): (n, labels, stats (n - 1, 5) int64:
    x, y, width, height, area, centroids (n - 1, 2) float64). The same labels, stats and
    centroids (sums of coordinates over the area, in double) as OpenCV's, which take its
    statistics pass over every pixel: several times its labelling on a mostly empty mask;
    these come from the mask's own pixels."""
    n, labels = cv2.connectedComponents(mask, connectivity=connectivity)
    if n <= 1:
        return n, labels, np.zeros((0, 5), np.int64), np.zeros((0, 2))
    x, y = cv2.findNonZero(mask).reshape(-1, 2).T.astype(np.int64)
    c = labels[y, x] - 1
    area = np.bincount(c, minlength=n - 1)
    centroids = np.column_stack([np.bincount(c, weights=x, minlength=n - 1),
                                 np.bincount(c, weights=y, minlength=n - 1)]) / area[:, None]
    lo = np.full((2, n - 1), np.iinfo(np.int64).max)
    hi = np.full((2, n - 1), -1)
    for i, v in enumerate((x, y)):
        np.minimum.at(lo[i], c, v)
        np.maximum.at(hi[i], c, v)
    stats = np.column_stack([lo[0], lo[1], hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, area])
    return n, labels, stats, centroids
