"""Known answers of the shared label helpers (labels.py)."""

import numpy as np

from linegroup.labels import label_columns


def test_label_columns_counts_span_and_occupied_columns():
    labels = np.array([1, 1, 1, 2, 2, 0, 1])
    x = np.array([3, 3, 9, 5, 6, 100, 4])  # label 1: columns 3, 4, 9; label 2: 5, 6; label 0 ignored
    span, ncols = label_columns(labels, x, 3)
    assert span.tolist() == [0, 7, 2, 0]  # label 3 has no pixel
    assert ncols.tolist() == [0, 3, 2, 0]
    span, ncols = label_columns(np.zeros(0, int), np.zeros(0), 0)
    assert span.tolist() == [0] and ncols.tolist() == [0]
