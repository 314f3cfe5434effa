"""Order statistics as numpy computes them, without its per-call overhead.

    percentile(x, q)        == np.percentile(x, q)           (1-d x)
    ceil_percentile(x, q)   == int(np.ceil(np.percentile(x, q)))
    above_percentile(x, q)  == (x >= np.percentile(x, q))    (x >= 0)
    median(x)               == np.median(x, axis=0)          (values; float64 for integers)

np.percentile and np.median cost about a tenth of a millisecond a call, more on long
arrays, and the marker stage and the line summaries call them per line, many times per
chart. These take the one or two order statistics numpy interpolates between from
np.partition, answer directly where those settle numpy's answer in every numpy version,
and call numpy otherwise (tests/test_markers.py checks them against numpy).
"""

from __future__ import annotations

import numpy as np


def order_pair(x: np.ndarray, q: float):
    """The two order statistics of a 1-d array that np.percentile(x, q) (linear) interpolates
    between, and the weight of the upper one."""
    n = len(x)
    at = (n - 1) * (q / 100)  # numpy's virtual index
    lo = min(int(np.floor(at)), n - 1)
    hi = min(lo + 1, n - 1)
    part = np.partition(x, (lo, hi))
    return part[lo], part[hi], at - lo


def percentile(x: np.ndarray, q: float):
    """np.percentile(x, q) of a 1-d array: the order statistic, where both are equal."""
    a, b, _ = order_pair(x, q)
    return a if a == b else np.percentile(x, q)


def ceil_percentile(x: np.ndarray, q: float) -> int:
    """ceil(np.percentile(x, q)) of a 1-d array: it lies between the two order statistics."""
    a, b, _ = order_pair(x, q)
    return int(np.ceil(a)) if np.ceil(a) == np.ceil(b) else int(np.ceil(np.percentile(x, q)))


def above_percentile(x: np.ndarray, q: float) -> np.ndarray:
    """x >= np.percentile(x, q) for a 1-d array x >= 0. No value lies between the two order
    statistics a < b: the answer is x >= a where the percentile is a, else x >= b; it is
    a with no weight on b, and above a when the weight times b - a is over two float32
    steps of b (whatever the float arithmetic of the interpolation)."""
    a, b, t = order_pair(x, q)
    if a == b or t == 0:
        return x >= a
    if float(b - a) * min(t, 1 - t) >= 2 * float(np.spacing(np.float32(b))):
        return x >= b
    return x >= np.percentile(x, q)


def median(x: np.ndarray):
    """np.median(x, axis=0) of a non-empty array without NaN, as numpy computes it (the middle
    value or row, or the mean of the two middle ones), without its overhead."""
    k = len(x) // 2
    if len(x) % 2:
        return np.partition(x, k, axis=0)[k]
    part = np.partition(x, (k - 1, k), axis=0)
    lo = part[k - 1].astype(np.float64) if np.issubdtype(x.dtype, np.integer) else part[k - 1]
    return (lo + part[k]) / 2  # integers in float64 (no uint8 overflow), floats in their own type
