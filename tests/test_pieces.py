"""The pieces step (grouping/pieces.py): its pair cues, its merge and blocking rule (its storage:
test_series.py's round trip of the link models)."""

import numpy as np
import pytest

from linegroup.grouping.pieces import BLOCK_DY, FEATURES, merge_pieces, piece_pairs

BG = np.array([100.0, 0.0, 0.0])  # Lab of a white background
RED = np.array([50.0, 60.0, 40.0])
BLUE = np.array([40.0, 20.0, -60.0])


def _stroke(x0, x1, y0, slope, thick=2):
    """Pixels (x, y) of a straight stroke thick px tall from column x0 to x1."""
    xs = np.arange(x0, x1 + 1)
    yc = np.round(y0 + slope * (xs - x0)).astype(int)
    return np.concatenate([np.column_stack([xs, yc + d]) for d in range(thick)])


def _chart(parts, inks):
    xy = np.concatenate(parts)
    labels = np.concatenate([np.full(len(p), k + 1) for k, p in enumerate(parts)])
    lab = np.concatenate([np.repeat(ink[None], len(p), 0) for p, ink in zip(parts, inks)])
    return xy[:, 0], xy[:, 1], labels, lab


class _Stub:
    """A pieces model scoring one named feature against a threshold."""

    def __init__(self, fn):
        self.fn = fn

    def logit(self, F):
        return self.fn({name: F[:, i] for i, name in enumerate(FEATURES)})


def test_pair_cues_known_answers():
    """A line cut in two at x = 200 (pieces 1, 2: one ink, one slope, a 10 px gap) and a
    parallel line of another ink 40 px below over the same columns (3)."""
    left = _stroke(20, 199, 50, 0.25)
    right = _stroke(210, 379, 50 + 0.25 * 190, 0.25)
    below = _stroke(20, 379, 90, 0.25)
    xs, ys, labels, lab = _chart([left, right, below], [RED, RED, BLUE])
    F, i, j, share, dy = piece_pairs(xs, ys, labels, lab, None, BG)
    f = {name: F[:, k] for k, name in enumerate(FEATURES)}
    pair = {(int(a) + 1, int(b) + 1): p for p, (a, b) in enumerate(zip(i, j))}
    assert set(pair) == {(3, 1), (3, 2), (1, 2)}  # the larger line first
    p = pair[(1, 2)]
    assert f["ink_d"][p] == 0.0 and f["share_b"][p] == 0.0
    assert f["gap_x"][p] == pytest.approx(11 / 380)  # columns 199 -> 210
    assert f["cont"][p] <= 1.0 and f["gap_y"][p] == pytest.approx(2.75, abs=1.0)  # the slope carries on
    q = pair[(3, 1)]
    assert f["share_b"][q] == 1.0 and f["dy_med"][q] == pytest.approx(40.0, abs=1.0)
    assert f["ink_d"][q] == pytest.approx(np.linalg.norm(RED - BLUE))
    assert share[pair[(3, 1)]] == 1.0 and dy[pair[(3, 1)]] == pytest.approx(40.0, abs=1.0)
    assert (f["n_lines"] == 3).all() and f["cover_a"][p] == 1.0


def test_merge_joins_what_the_model_accepts_and_blocks_a_second_value_per_column():
    """Pieces 1 and 2 of one line, and line 3 running under both at 40 px: a model that
    merges every pair of one ink joins 1 and 2, and a model that merges every pair would
    still leave 3 apart, since it shares its columns with them at other heights."""
    left = _stroke(20, 199, 50, 0.0)
    right = _stroke(205, 379, 50, 0.0)
    below = _stroke(20, 379, 50 + BLOCK_DY + 20, 0.0)
    xs, ys, labels, lab = _chart([left, right, below], [RED, RED, RED])
    same_ink = _Stub(lambda f: np.where(f["share_b"] == 0, 5.0, -5.0))
    out = merge_pieces(xs, ys, labels, lab, None, BG, same_ink)
    line = {k: set(np.unique(out[labels == k]).tolist()) for k in (1, 2, 3)}
    assert line[1] == line[2] and len(line[1]) == 1 and line[3] != line[1]
    everything = _Stub(lambda f: np.full(len(f["ink_d"]), 5.0))
    out = merge_pieces(xs, ys, labels, lab, None, BG, everything)
    line = {k: set(np.unique(out[labels == k]).tolist()) for k in (1, 2, 3)}
    assert line[1] == line[2] and line[3] != line[1]
    nothing = _Stub(lambda f: np.full(len(f["ink_d"]), -5.0))
    assert (merge_pieces(xs, ys, labels, lab, None, BG, nothing) == labels).all()


def test_one_line_or_none_is_left_as_it_is():
    xs, ys, labels, lab = _chart([_stroke(20, 100, 30, 0.1)], [RED])
    stub = _Stub(lambda f: np.full(len(f["ink_d"]), 5.0))
    assert (merge_pieces(xs, ys, labels, lab, None, BG, stub) == labels).all()
    F, i, j, _, _ = piece_pairs(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), np.zeros((0, 3)), None, BG)
    assert F.shape == (0, len(FEATURES)) and len(i) == 0
