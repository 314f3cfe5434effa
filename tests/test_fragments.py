"""Known answers of the grouping's parts: runs, fragments, descriptions, assignment, trees."""

import numpy as np
import pytest

from linegroup.grouping.describe import describe
from linegroup.grouping.fragments import build_fragments, column_runs
from linegroup.grouping.leftovers import assign_leftovers, grow_into, mix_distance
from linegroup.grouping.link import match
from linegroup.grouping.trees import TreeEnsemble


def _pixels(mask):
    ys, xs = np.nonzero(mask)
    return xs, ys


def test_column_runs_known_answer():
    xs = np.array([0, 0, 0, 0, 1, 1])
    ys = np.array([5, 1, 2, 7, 3, 4])
    r = column_runs(xs, ys)
    assert r.x.tolist() == [0, 0, 0, 1]
    assert list(zip(r.y0.tolist(), r.y1.tolist())) == [(1, 2), (5, 5), (7, 7), (3, 4)]
    # every pixel knows its run
    assert [(r.y0[k] <= y <= r.y1[k]) for k, y in zip(r.pix_run, ys)] == [True] * 6


def test_an_x_crossing_gives_four_arms_and_one_shared_piece():
    m = np.zeros((41, 41), bool)
    t = np.arange(41)
    m[t, t] = m[40 - t, t] = True
    m[t[:-1] + 1, t[:-1]] = m[39 - t[:-1], t[:-1]] = True  # 2 px thick
    frag = build_fragments(column_runs(*_pixels(m)))
    d = describe(frag, *_pixels(m))
    big = d.ncols >= 10
    assert big.sum() == 4 and not d.shared[big].any()
    assert d.shared.sum() == 1  # the middle, where the strokes merge and split
    mid = np.flatnonzero(d.shared)[0]
    assert 15 <= d.x0[mid] <= 20 <= d.x1[mid] <= 25


def test_description_slopes_widths_and_colour():
    m = np.zeros((60, 100), bool)
    x = np.arange(10, 90)
    y = np.round(10 + 0.5 * x).astype(int)
    for dy in range(3):  # 3 px thick
        m[y + dy, x] = True
    img = np.full((60, 100, 3), 255, np.uint8)
    img[m] = (200, 0, 0)
    frag = build_fragments(column_runs(*_pixels(m)))
    d = describe(frag, *_pixels(m), image=img)
    assert d.n == 1
    assert d.x0[0] == 10 and d.x1[0] == 89
    assert d.sa_l[0] == pytest.approx(0.5, abs=0.1) and d.sb_l[0] == pytest.approx(0.5, abs=0.1)
    assert d.width[0] == pytest.approx(3 / np.sqrt(1.25), rel=0.15)
    assert d.lab[0, 1] > 50  # red: large a*


def test_match_is_a_global_assignment_not_greedy():
    # greedy would take the best pair (0 -> 0, 5) and leave 1 without a partner (0 -> 1: 4, 1 -> 0: 4)
    i = np.array([0, 0, 1])
    j = np.array([0, 1, 0])
    s = np.array([5.0, 4.0, 4.0])
    assert match(i, j, s).tolist() == [False, True, True]
    assert match(i, j, -s).tolist() == [False, False, False]  # no link is worth taking


def test_tree_ensemble_equals_sklearn_and_round_trips(tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = ((X[:, 0] + X[:, 1] ** 2) > 0.5).astype(int)
    clf = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    t = TreeEnsemble.from_sklearn(clf, names=("a", "b", "c", "d"))
    np.testing.assert_allclose(t.logit(X), clf.decision_function(X), atol=1e-9)
    np.savez(tmp_path / "t.npz", **t.to_arrays())
    t2 = TreeEnsemble.load(str(tmp_path / "t.npz"))
    np.testing.assert_allclose(t2.logit(X), t.logit(X))
    assert t2.names == ("a", "b", "c", "d")


def test_leftovers_follow_the_nearest_path_and_far_ones_drop_on_request():
    xs = np.r_[np.arange(0, 50), np.arange(0, 50), 25, 25, 200]
    ys = np.r_[np.full(50, 10), np.full(50, 30), 12, 28, 100]
    lab = np.r_[np.ones(50), np.full(50, 2), 0, 0, 0].astype(int)
    out = assign_leftovers(xs, ys, lab)
    # (25, 12) lies on line 1's side, (25, 28) on line 2's; (200, 100) is beyond both ends,
    # nearer line 2's right end (49, 30) than line 1's (49, 10)
    assert out[-3:].tolist() == [1, 2, 2]
    assert assign_leftovers(xs, ys, lab, drop_far=True)[-1] == 0


def test_grow_into_follows_connected_free_pixels_up_to_its_steps():
    # line 1 along y = 20 (x 0..29); a spike's band rising from (15, 19) to (15, 10), free;
    # a free speck at (40, 20), not joined to the line; a pixel the judge dropped, at (16, 19):
    # beside the line but not free
    xs = np.r_[np.arange(30), np.full(10, 15), 40, 16]
    ys = np.r_[np.full(30, 20), np.arange(19, 9, -1), 20, 19]
    labels = np.r_[np.ones(30), np.zeros(12)].astype(int)
    free = np.r_[np.zeros(30, bool), np.ones(11, bool), False]
    out = grow_into(xs, ys, labels, free, steps=4)
    assert out[30:34].tolist() == [1] * 4 and out[34:40].tolist() == [0] * 6  # 4 steps up the spike
    assert out[40] == 0 and out[41] == 0  # not connected; not free
    assert grow_into(xs, ys, labels, free, steps=20)[30:40].tolist() == [1] * 10
    assert (grow_into(xs, ys, labels, free, steps=0) == labels).all()
    # two lines meeting a free pixel in the same step: it takes the greater label
    xs2, ys2 = np.array([0, 2, 1]), np.array([0, 0, 0])
    assert grow_into(xs2, ys2, np.array([1, 2, 0]), np.array([False, False, True]), 1).tolist() == [1, 2, 2]


def test_grow_into_keeps_other_colours_and_faint_pixels_out():
    # a red line (Lab 50, 60, 40; core) along y = 5 on white; above it at x = 10 a column of
    # free pixels: a paler blend of the red (a quarter of the way to white), a grey pixel
    # (another colour), then red again (joined only through the grey: stays out); at x = 20
    # a faint blend (nine tenths white)
    bg = np.array([100.0, 0, 0])
    red = np.array([50.0, 60, 40])
    xs = np.r_[np.arange(30), 10, 10, 10, 20]
    ys = np.r_[np.full(30, 5), 4, 3, 2, 4]
    lab = np.vstack([np.tile(red, (30, 1)), red + 0.25 * (bg - red), [70.0, 0, 0], red, red + 0.9 * (bg - red)])
    labels = np.r_[np.ones(30), np.zeros(4)].astype(int)
    free = np.r_[np.zeros(30, bool), np.ones(4, bool)]
    core = np.r_[np.ones(30, bool), np.zeros(4, bool)]
    out = grow_into(xs, ys, labels, free, 6, lab, bg, core)
    assert out[30:].tolist() == [1, 0, 0, 0]
    assert grow_into(xs, ys, labels, free, 6)[30:].tolist() == [1, 1, 1, 1]  # without colours: all


def test_mix_distance_known_answers():
    ink = np.array([[20.0, 0, 0], [50.0, 60, 0]])
    bg = np.array([[100.0, 0, 0], [100.0, 0, 0]])
    lab = np.array([[60.0, 0, 0], [20.0, 0, 0], [75.0, 30, 0], [100.0, 0, 40]])
    d = mix_distance(lab, ink, bg)
    assert d.shape == (2, 4)
    # grey L 60 is a blend of black ink and white: 0 from line 1; from line 2's segment
    # (50, 60, 0)-(100, 0, 0) its nearest point is (50 + 50t, 60 - 60t) at t = 41/61
    assert d[0, 0] == 0 and d[0, 1] == 0
    t = (10 * 50 + 60 * 60) / (50 ** 2 + 60 ** 2)
    assert np.isclose(d[1, 0], np.hypot(60 - (50 + 50 * t), 60 - 60 * t))
    assert np.isclose(d[1, 2], 0) and np.isclose(d[0, 2], 30)  # halfway from red ink to white
    assert np.isclose(d[0, 3], 40) and np.isclose(d[1, 3], 40)  # beyond the background's end


def test_leftovers_go_by_colour_where_paths_agree_and_units_go_whole():
    # two lines along y = 10 and y = 12; leftovers at y = 11 (equally near both paths)
    xs = np.r_[np.arange(50), np.arange(50), 20, 21, 30, 31]
    ys = np.r_[np.full(50, 10), np.full(50, 12), 11, 11, 11, 11]
    labels = np.r_[np.ones(50), np.full(50, 2), 0, 0, 0, 0].astype(int)
    red, blue, white = [50.0, 70, 50], [30.0, 60, -100], [100.0, 0, 0]
    lab = np.array([red] * 50 + [blue] * 50 + [blue, blue, red, blue])
    ink, bg = np.array([red, blue]), np.array([white, white])
    out = assign_leftovers(xs, ys, labels, lab=lab, ink=ink, bg=bg)
    assert out[-4:].tolist() == [2, 2, 1, 2]
    unit = np.r_[np.full(100, -1), -1, -1, 7, 7]  # the last two (one red, one blue) go together
    out = assign_leftovers(xs, ys, labels, lab=lab, ink=ink, bg=bg, unit=unit)
    assert out[-2] == out[-1]


def _draw(lines, size=(200, 120)):
    from cases import draw

    img, truth = draw(lines, size=size)
    ys, xs = np.nonzero(truth != 0)
    return img, truth, xs, ys


def test_a_line_through_hollow_markers_is_one_fragment():
    """Each hollow marker cuts its line into short parallel pieces (outline above, below,
    the connector inside); the blob they form touches only the line entering and the
    line leaving it, so it is one line's: the whole line is one unshared fragment."""
    from cases import Line

    xm = np.arange(20, 181, 20).astype(float)
    _, _, xs, ys = _draw([Line(xm, 60 + 0.1 * xm, marker="square", hollow=True, marker_size=5)])
    frag = build_fragments(column_runs(xs, ys))
    assert frag.n == 1 and not frag.shared.any()


def test_a_dash_across_a_solid_line_is_no_crossing_but_touching_dashes_stay_apart():
    """Where a steep dash crosses a solid line, the dash's pieces and the piece they share
    with the line are short, and the only long pieces touching them are the line's two
    halves: no stroke passes on, so it is not a crossing of two lines (nothing is shared)
    and the line runs on through it. Two short strokes of different lines that touch at
    their tips (nothing long about them, no outline closing on itself) are not merged."""
    m = np.zeros((100, 200), bool)
    m[58:62, 10:190] = True  # a solid line 4 px thick
    t = np.arange(0, 40)
    m[40 + t, 95 + t // 4] = m[40 + t, 96 + t // 4] = True  # a steep dash across it
    frag = build_fragments(column_runs(*_pixels(m)))
    assert frag.n == 3 and not frag.shared.any()  # left half, the dash's blob, right half
    # two dashes of different lines crossing in a small X: nothing long about it and no
    # outline closing on itself, so its middle stays shared between two lines
    x = np.zeros((40, 40), bool)
    s = np.arange(11)
    x[10 + s, 10 + s] = x[20 - s, 10 + s] = True
    x[11 + s, 10 + s] = x[21 - s, 10 + s] = True
    assert build_fragments(column_runs(*_pixels(x))).shared.sum() == 1


def test_rank_within_groups_equals_a_lexsort_and_breaks_ties_by_position():
    from linegroup.grouping.link import _rank

    rng = np.random.default_rng(1)
    for big in (False, True):  # 16-bit keys (radix sort) and keys beyond them
        key = rng.integers(0, 20, 500) + (70000 if big else 0)
        value = rng.integers(0, 5, 500).astype(float)  # many ties
        order = np.lexsort((value, key))
        want = np.empty(500)
        for q, p in enumerate(order):
            want[p] = q + 1 - np.searchsorted(key[order], key[p])
        assert np.array_equal(_rank(key, value), want)
    assert _rank(np.zeros(0, int), np.zeros(0)).shape == (0,)


def test_shared_columns_equal_intersect1d():
    from linegroup.grouping.interleave import _shared

    rng = np.random.default_rng(2)
    for _ in range(20):
        ca = np.unique(rng.integers(0, 60, 30))
        cb = np.unique(rng.integers(0, 60, rng.integers(0, 30)))
        got, want = _shared(ca, cb), np.intersect1d(ca, cb, return_indices=True)
        assert all(np.array_equal(g, w) for g, w in zip(got, want))


def test_path_distance_inside_across_and_beyond_the_ends():
    from linegroup.grouping.leftovers import path_distance

    path = (np.array([10, 20]), np.array([0.0, 10.0]))
    d = path_distance([path, (np.zeros(0, int), np.zeros(0))], np.array([15.0, 7.0, 24.0]), np.array([8.0, 4.0, 7.0]))
    assert np.allclose(d[0], [3.0, 5.0, 5.0])  # across the path at x = 15; to (10, 0) and to (20, 10)
    assert np.isinf(d[1]).all()


def test_tree_logit_equals_a_walk_down_each_tree():
    rng = np.random.default_rng(3)
    # two trees: a stump on feature 1 and a depth-2 tree on features 0 then 2; a lone leaf
    t = TreeEnsemble(feature=[1, 0, 0, 0, 2, 0, 0, 0, 0], threshold=[0.0, 0, 0, 0.5, -0.2, 0, 0, 0, 0],
                     left=[1, 0, 0, 4, 5, 0, 0, 0, 0], right=[2, 0, 0, 7, 6, 0, 0, 0, 0],
                     value=[0, -1.0, 2.0, 0, 0, 0.25, -0.5, 3.0, 0.125],
                     is_leaf=[0, 1, 1, 0, 0, 1, 1, 1, 1], roots=[0, 3, 8], baseline=0.1)
    X = rng.normal(size=(50, 3))
    want = []
    for x in X:
        s = t.baseline
        for r in t.roots:
            n = r
            while not t.is_leaf[n]:
                n = t.left[n] if x[t.feature[n]] <= t.threshold[n] else t.right[n]
            s += t.value[n]
        want.append(s)
    np.testing.assert_allclose(t.logit(X), want, rtol=0, atol=1e-12)
