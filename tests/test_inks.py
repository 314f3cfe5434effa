"""Known answers of merge_by_ink: pieces of one ink that share no columns are one series."""

import numpy as np

from linegroup.grouping.inks import SAME_INK, merge_by_ink

RED = (50.0, 70.0, 55.0)
BLUE = (35.0, 20.0, -70.0)


def _pieces(spans):
    """One pixel per column for each (label, x0, x1): xs, labels."""
    xs, labels = [], []
    for lab, x0, x1 in spans:
        x = np.arange(x0, x1 + 1)
        xs.append(x)
        labels.append(np.full(len(x), lab))
    return np.concatenate(xs), np.concatenate(labels)


def test_pieces_of_one_ink_that_share_no_columns_merge():
    xs, labels = _pieces([(1, 0, 99), (2, 110, 199), (3, 0, 199), (4, 205, 260)])
    ink = np.array([RED, RED, BLUE, (50.0, 72.0, 53.0)])  # line 4: red again, within SAME_INK
    out = merge_by_ink(xs, labels, ink)
    assert set(out[labels == 2]) == {1} and set(out[labels == 4]) == {1}
    assert set(out[labels == 3]) == {3}


def test_pieces_of_one_ink_over_the_same_columns_stay_apart():
    """Two red lines over x 0-199 and a third red piece: the ink cannot say whose it is."""
    xs, labels = _pieces([(1, 0, 199), (2, 0, 199), (3, 220, 260)])
    out = merge_by_ink(xs, labels, np.array([RED, RED, RED]))
    assert (out == labels).all()


def test_a_few_shared_columns_are_allowed_and_other_inks_never_merge():
    xs, labels = _pieces([(1, 0, 104), (2, 100, 199), (3, 210, 260)])
    far = (RED[0] + SAME_INK + 1, RED[1], RED[2])
    out = merge_by_ink(xs, labels, np.array([RED, RED, far]))
    assert set(out[labels == 2]) == {1}  # 5 shared columns: an anti-aliased end
    assert set(out[labels == 3]) == {3}
    out = merge_by_ink(xs, labels, np.array([RED, BLUE, RED]))  # 1 and 3 are red, 2 between them blue
    assert set(out[labels == 3]) == {1} and set(out[labels == 2]) == {2}


def test_where_lines_of_one_ink_overlap_a_piece_goes_to_the_only_line_that_can_take_it():
    """Red lines 1 (x 0-199) and 2 (x 0-99) overlap; piece 3 (x 120-199) overlaps line 1,
    so it can only be line 2's; piece 4 (x 210-260) fits both and stays its own."""
    xs, labels = _pieces([(1, 0, 199), (2, 0, 99), (3, 120, 199), (4, 210, 260)])
    out = merge_by_ink(xs, labels, np.array([RED, RED, RED, RED]))
    assert set(out[labels == 3]) == {2}
    assert set(out[labels == 1]) == {1} and set(out[labels == 4]) == {4}
