"""Known answers of the default grouping (fragments, links, leftovers) on small drawn charts.

Each chart's candidates are its drawn line pixels; the shipped network gives the
embeddings and the shipped link models the costs, as `linegroup predict --candidates` does.
"""

import numpy as np
import pytest

from cases import Line, draw
from linegroup.predict import LineGrouper

X = np.arange(20, 341, 8).astype(float)


@pytest.fixture(scope="module")
def grouper():
    return LineGrouper.load()


def separate(grouper, lines, **kw):
    img, truth = draw(lines, **kw)
    res = grouper.predict(img, candidates=truth != 0)
    return res.mask.astype(np.int64), truth


def assert_lines(pred, truth, n, purity=0.95):
    """n predicted lines, each true line mostly (purity) in its own predicted line."""
    cand = truth != 0
    assert (pred[cand] > 0).all(), "every candidate pixel must be in a line"
    assert (pred[~cand] == 0).all()
    found = []
    for k in range(1, int(truth.max()) + 1):
        lab = pred[truth == k]
        best = np.bincount(lab).argmax()
        share = (lab == best).mean()
        assert share >= purity, f"true line {k}: only {share:.2f} of its pixels in one line"
        found.append(best)
    assert len(set(found)) == len(found), f"true lines merged: {found}"
    assert int(pred.max()) == n, f"{int(pred.max())} lines for {n}"


def continuous(pred, label, x0, x1, max_gap=3):
    cols = np.unique(np.nonzero(pred == label)[1])
    cols = cols[(cols >= x0) & (cols <= x1)]
    return len(cols) and np.diff(cols).max(initial=0) <= max_gap and cols[0] <= x0 + 3 and cols[-1] >= x1 - 3


def test_two_same_colour_lines_crossing_in_an_x(grouper):
    a = Line(X, 40 + 0.5 * (X - 20), color=(30, 30, 200))
    b = Line(X, 200 - 0.5 * (X - 20), color=(30, 30, 200))
    pred, truth = separate(grouper, [a, b])
    assert_lines(pred, truth, 2)
    for k in (1, 2):  # each continuous through the crossing
        lab = np.bincount(pred[truth == k]).argmax()
        assert continuous(pred, lab, 20, 340)


def test_three_black_lines_solid_dashed_dotted(grouper):
    lines = [Line(X, 50 + 20 * np.sin(X / 40), dash="solid"),
             Line(X, 120 + 20 * np.sin(X / 50 + 1), dash="dash"),
             Line(X, 190 + 15 * np.sin(X / 30 + 2), dash="dot")]
    pred, truth = separate(grouper, lines)
    assert_lines(pred, truth, 3)


KNOWN_MISS = ("known miss, see the README's grouping results: lines told apart only by marker shape are "
              "broken and swapped where they cross; the link costs do not yet see marker shape")


@pytest.mark.xfail(strict=True, reason=KNOWN_MISS)
def test_three_grey_lines_told_apart_by_marker_shape(grouper):
    grey = (110, 110, 110)
    xm = np.arange(20, 341, 32).astype(float)
    lines = [Line(xm, 60 + 0.4 * (xm - 20), color=grey, width=1, marker="square", marker_size=4),
             Line(xm, 190 - 0.4 * (xm - 20), color=grey, width=1, marker="circle", marker_size=4),
             Line(xm, 125 + 40 * np.sin(xm / 50), color=grey, width=1, marker="triangle", marker_size=5)]
    pred, truth = separate(grouper, lines)
    assert_lines(pred, truth, 3, purity=0.9)


def test_two_step_lines_with_steps_at_the_same_x(grouper):
    xs = np.repeat(np.arange(20, 341, 40), 2)[1:-1].astype(float)
    ya = np.repeat([60, 90, 70, 110, 80, 120, 100, 90], 2).astype(float)
    lines = [Line(xs, ya, color=(200, 40, 40)), Line(xs, ya + 80, color=(40, 40, 200))]
    pred, truth = separate(grouper, lines)
    assert_lines(pred, truth, 2)


@pytest.mark.parametrize("case", ["dotted", "legend_box", "hollow_markers"])
def test_one_line_stays_one(grouper, case):
    ys = 120 + 60 * np.sin(X / 45)
    kw = {}
    if case == "dotted":
        ln = Line(X, ys, dash="dot", color=(0, 90, 0))
    elif case == "legend_box":
        ln = Line(X, ys, color=(0, 90, 0))
        kw["box"] = (150, 40, 230, 200)
    else:
        xm = X[::4]
        ln = Line(xm, 120 + 60 * np.sin(xm / 45), color=(0, 90, 0), marker="circle", hollow=True, marker_size=5)
    pred, truth = separate(grouper, [ln], **kw)
    assert_lines(pred, truth, 1)


def test_a_steep_dashed_line_beside_a_solid_one_is_one_line(grouper):
    """Consecutive dashes of a steep line overlap in x by about the stroke's width: they
    must still link (and chains that take turns along it must merge), as in a dashed
    cosine drawn by matplotlib and read from a PDF at 200 dpi."""
    xs = np.arange(20, 341, 2).astype(float)
    lines = [Line(xs, 120 + 100 * np.sin(xs / 25), color=(30, 110, 180), width=4),
             Line(xs, 120 + 100 * np.cos(xs / 25), color=(250, 130, 30), width=4, dash="dash")]
    pred, truth = separate(grouper, lines, size=(360, 240))
    assert_lines(pred, truth, 2, purity=0.9)


def test_markers_with_gaps_beside_two_same_colour_lines(grouper):
    xm = np.arange(20, 341, 30).astype(float)
    lines = [Line(xm, 60 + 25 * np.sin(xm / 40), marker="circle", marker_gap=3, marker_size=4),
             Line(xm, 130 + 25 * np.sin(xm / 40 + 1), marker="square", marker_size=4),
             Line(xm, 200 + 15 * np.sin(xm / 40 + 2), marker="triangle", marker_size=5)]
    pred, truth = separate(grouper, lines)
    assert_lines(pred, truth, 3, purity=0.9)


def test_every_candidate_pixel_is_labelled_even_specks(grouper):
    a = Line(X, 60 + 0.3 * X, color=(200, 0, 0))
    img, truth = draw([a])
    cand = truth != 0
    cand[200:202, 300:302] = True  # a speck far from the line
    res = grouper.predict(img, candidates=cand)
    assert (res.mask[cand] > 0).all() and (res.mask[~cand] == 0).all()


def test_repair_crossings_exchanges_swapped_halves_of_straight_lines():
    """Two straight lines crossing in an X, labelled as a V and a caret (each line's left
    half joined to the other's right half): each arm keeps its direction, so the right
    halves are exchanged back. Bent arms (a data point at the meeting) are left alone."""
    from linegroup.grouping.crossings import repair_crossings

    x = np.arange(0, 201)
    ya, yb = np.round(20 + 0.5 * x).astype(int), np.round(120 - 0.5 * x).astype(int)
    xs, ys = np.r_[x, x], np.r_[ya, yb]
    truth = np.r_[np.ones(201), np.full(201, 2)].astype(int)
    swapped = np.where(xs > 100, 3 - truth, truth)
    assert (repair_crossings(xs, ys, swapped) == truth).all()
    # zigzags with a data point every 10 px (a random walk): their arms bend, so they say
    # nothing of the way through, and a V meeting a caret stays as it is
    vx = np.arange(0, 201, 10)
    yv = np.round(np.interp(x, vx, 70 - np.abs(vx - 100) * 0.4 + 6 * (vx % 20 == 0))).astype(int)
    yc = np.round(np.interp(x, vx, 74 + np.abs(vx - 100) * 0.4 - 6 * (vx % 20 == 0))).astype(int)
    xs2, ys2 = np.r_[x, x], np.r_[yv, yc]
    lab2 = np.r_[np.ones(201), np.full(201, 2)].astype(int)
    assert (repair_crossings(xs2, ys2, lab2) == lab2).all()


def test_a_dotted_and_a_dashdot_line_crossing_at_an_angle_stay_apart(grouper):
    lines = [Line(X, 40 + 0.5 * (X - 20), dash="dot"), Line(X, 200 - 0.5 * (X - 20), dash="dashdot")]
    pred, truth = separate(grouper, lines)
    assert_lines(pred, truth, 2, purity=0.9)


def test_ragged_owner_and_rank():
    from linegroup.grouping.crossings import _ragged

    owner, rank = _ragged(np.array([2, 0, 3]))
    assert owner.tolist() == [0, 0, 2, 2, 2] and rank.tolist() == [0, 1, 0, 1, 2]


def _paths_of(xs, ys, labels, lab=None):
    from linegroup.grouping.crossings import _paths

    labels = np.asarray(labels, np.int64)
    lab = np.zeros((len(xs), 3)) if lab is None else lab
    return _paths(xs, ys, labels, lab, int(labels.max()))


def test_meetings_of_an_x_and_of_lines_apart():
    """Two lines crossing in an X at column 100 (rows 20 + x // 2 and 120 - x // 2:
    within 3 px of each other over columns 98..103); a third line far from both meets
    neither."""
    from linegroup.grouping.crossings import _meetings

    x = np.arange(0, 201)
    xs = np.r_[x, x, x]
    ys = np.r_[20 + x // 2, 120 - x // 2, np.full(201, 300)]
    labels = np.repeat([1, 2, 3], 201)
    a, b, x0, x1 = _meetings(_paths_of(xs, ys, labels))
    assert (a.tolist(), b.tolist(), x0.tolist(), x1.tolist()) == ([0], [1], [98], [103])


def test_arms_measure_direction_dash_coverage_and_ink():
    """A solid horizontal line (angle 0, covers all 21 columns of a window), a dashed
    one at 45 degrees (pixels in 4 columns of every 8: 12 of the 21 columns 16..36, gaps
    in the other 9), a window with too few columns (2) and one on a bent stretch: not ok."""
    from linegroup.grouping.crossings import _arms

    x = np.arange(0, 101)
    dash = x[(x % 8) < 4]
    bent = np.where(x < 50, 250, 250 + 3 * (x - 50))
    xs = np.r_[x, dash, x]
    ys = np.r_[np.full(101, 50), 100 + dash, bent]
    labels = np.repeat([1, 2, 3], [101, len(dash), 101])
    lab = np.repeat([[40.0, 10, -10], [60.0, 0, 0], [20.0, 0, 0]], [101, len(dash), 101], axis=0)
    p = _paths_of(xs, ys, labels, lab)
    occ = np.zeros((int(ys.max()) + 2, 101), bool)
    occ[ys, xs] = True
    line, lo, hi = np.array([0, 1, 1, 2]), np.array([10, 16, 98, 40]), np.array([30, 36, 118, 60])
    ok, ang, cov, ink = _arms(p, line, lo, hi, occ)
    assert ok.tolist() == [True, True, False, False]
    assert ang[0] == 0 and np.isclose(ang[1], np.pi / 4)
    assert cov[0] == 1 and cov[1] == 12 / 21
    assert np.allclose(ink[0], [40, 10, -10]) and np.allclose(ink[1], [60, 0, 0])


def test_repair_crossings_repairs_two_crossings_of_one_pair_in_turn():
    """Two lines crossing twice (an X at 100 and one at 300), their middles swapped: the
    repair at 100 exchanges everything right of it, which swaps the right ends; the second
    meeting of the same pair, measured on the new paths, exchanges those back."""
    from linegroup.grouping.crossings import repair_crossings

    x = np.arange(0, 401)
    d = 0.4 * (100 - np.abs(x - 200))  # 0 at columns 100 and 300
    ya, yb = np.round(100 + d).astype(int), np.round(100 - d).astype(int)
    xs, ys = np.r_[x, x], np.r_[ya, yb]
    truth = np.repeat([1, 2], 401)
    swapped = np.where((xs > 100) & (xs <= 300), 3 - truth, truth)
    assert (repair_crossings(xs, ys, swapped) == truth).all()


def test_a_thin_line_running_along_a_thick_one_of_another_colour_keeps_its_pixels(grouper):
    """Where a thin red line runs along a thick blue one's edge their runs are shared and
    both paths lie within two pixels: each pixel goes to the line of its own colour."""
    x = np.arange(20, 341, 4).astype(float)
    y_thin = np.where((x > 110) & (x < 250), 118.0, 60 + 0.2 * x)
    thick = Line(x, np.full(len(x), 120.0), color=(30, 60, 220), width=5)
    thin = Line(x, y_thin, color=(220, 40, 40), width=1)
    pred, truth = separate(grouper, [thick, thin])
    assert int(pred.max()) == 2
    red = truth == 2
    own = np.bincount(pred[red]).argmax()
    assert (pred[red] == own).mean() >= 0.97
    assert (pred[truth == 1] != own).mean() >= 0.97


@pytest.mark.parametrize("kind, size, seed", [("square", 7, 0), ("circle", 9, 0), ("triangle", 9, 2)])
def test_a_zigzag_line_of_big_hollow_markers_is_one_line(grouper, kind, size, seed):
    """A 1 px zigzag through hollow markers 15-19 px wide, beside a red line: the pieces of
    the markers' outlines, linked across the gaps between markers, lie up to 10-13 px from
    the line's path, in its ink; they are its markers, not a line beside it (4-6 lines
    before the wider host test for chains of the line's own ink)."""
    rng = np.random.default_rng(seed)
    xm = np.arange(30, 560, 40).astype(float)
    lines = [Line(xm, 150 + rng.uniform(-100, 100, len(xm)), color=(40, 40, 40), width=1, marker=kind,
                  hollow=True, marker_size=size),
             Line(xm, 150 + 0.2 * (xm - 300) + 20 * np.sin(xm / 30), color=(200, 40, 40), width=2)]
    pred, truth = separate(grouper, lines, size=(600, 300))
    assert_lines(pred, truth, 2, purity=0.95)


def test_pieces_of_a_series_far_apart_in_y_are_one_line_by_their_ink(grouper):
    """A red series interrupted between x = 150 and 200, where it falls by 130 px (a
    stretch the candidates miss), beside a blue one: no continuation links the two red
    pieces, but their ink is one and they share no column."""
    xa, xb = np.arange(20, 151, 8).astype(float), np.arange(200, 341, 8).astype(float)
    lines = [Line(xa, 40 + 0.1 * xa, color=(210, 40, 40)), Line(xb, 170 + 0.1 * xb, color=(210, 40, 40)),
             Line(X, 120 + 30 * np.sin(X / 40), color=(40, 60, 200))]
    img, truth = draw(lines)
    res = grouper.predict(img, candidates=truth != 0)
    pred = res.mask.astype(np.int64)
    assert int(pred.max()) == 2
    red = np.bincount(pred[(truth == 1) | (truth == 2)]).argmax()
    assert (pred[(truth == 1) | (truth == 2)] == red).mean() >= 0.95
    assert (pred[truth == 3] != red).mean() >= 0.95


def test_a_straight_solid_line_goes_on_through_a_jagged_dashed_one_of_its_colour(grouper):
    """A grey solid straight line and a grey dashed zigzag that touches it and crosses it:
    at one meeting the linking continued each into the other (purity 0.53). The solid
    line's arms on both sides run straight on into each other, the dashed line's arm it
    was given does not, and the given pairing changes dash style: the halves go back."""
    rng = np.random.default_rng(3)
    xs = np.arange(20, 581, 4).astype(float)
    xb = np.arange(20, 581, 25).astype(float)
    lines = [Line(xs, 200 - 0.2 * (xs - 20), color=(90, 90, 90), width=1),
             Line(xb, 150 + rng.uniform(-50, 50, len(xb)), color=(90, 90, 90), width=1, dash="dash")]
    pred, truth = separate(grouper, lines, size=(600, 300))
    assert_lines(pred, truth, 2, purity=0.95)


@pytest.mark.xfail(strict=True, reason="known miss: dash and dash-dot cover about the same share of columns, so "
                   "where the zigzag touches the straight line nothing but direction tells them apart, and "
                   "the jagged line's arms bend (purity 0.52)")
def test_a_straight_dash_dot_line_goes_on_through_a_jagged_dashed_one_of_its_grey(grouper):
    rng = np.random.default_rng(3)
    xs = np.arange(20, 581, 4).astype(float)
    xb = np.arange(20, 581, 25).astype(float)
    lines = [Line(xs, 200 - 0.2 * (xs - 20), color=(90, 90, 90), width=1, dash="dashdot"),
             Line(xb, 150 + rng.uniform(-50, 50, len(xb)), color=(90, 90, 90), width=1, dash="dash")]
    pred, truth = separate(grouper, lines, size=(600, 300))
    assert_lines(pred, truth, 2, purity=0.95)
