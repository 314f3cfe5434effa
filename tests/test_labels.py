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


def test_dense_stretch_finds_a_long_enough_stretch_with_enough_occupied_columns():
    from linegroup.labels import dense_stretch

    every_other = np.arange(0, 40, 2)  # columns 0, 2, ..., 38: half of 39 columns
    assert dense_stretch(every_other, 39, 0.5)
    assert not dense_stretch(every_other, 39, 0.6)
    assert not dense_stretch(every_other, 41, 0.5)  # no stretch that long
    scattered = np.r_[np.arange(10), np.arange(100, 110)]  # two short runs far apart
    assert not dense_stretch(scattered, 50, 0.5)
    assert dense_stretch(scattered, 10, 1.0)
    assert dense_stretch(np.repeat([5, 6, 7], 4), 3, 1.0)  # several pixels per column count once
    assert not dense_stretch(np.zeros(0, int), 1, 0.5)
