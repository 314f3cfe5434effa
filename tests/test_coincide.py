"""Known answers of merge_coincident: a line drawn on another line's stroke is part of it."""

import numpy as np

from linegroup.grouping.coincide import COINCIDE, INK_D, coincidence, merge_coincident, merge_outlines, one_ink_pairs

RED = (50.0, 70.0, 55.0)
PALE_RED = (75.0, 35.0, 27.0)  # red half-way to white: a thin outline's anti-aliased ink
BLUE = (35.0, 20.0, -70.0)
WHITE = (100.0, 0.0, 0.0)


def _rows(*pieces):
    """xs, ys, labels from (label, x0, x1, y(x)) pieces, one pixel per column each."""
    xs, ys, labels = [], [], []
    for lab, x0, x1, f in pieces:
        x = np.arange(x0, x1 + 1)
        xs.append(x)
        ys.append(np.round(f(x)).astype(np.int64))
        labels.append(np.full(len(x), lab))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(labels)


def test_the_rims_of_markers_along_a_line_merge_into_it():
    """Line 1 along y = 50; line 2 the outlines of touching markers on it (rows 44 and 56
    in every column): its span holds line 1's, so the two are one line (the larger id)."""
    xs, ys, labels = _rows((1, 0, 199, lambda x: 50 + 0 * x), (2, 0, 199, lambda x: 44 + 0 * x),
                           (2, 0, 199, lambda x: 56 + 0 * x), (3, 0, 199, lambda x: 120 + 0.2 * x))
    out = merge_coincident(xs, ys, labels)
    assert set(out[labels == 1]) == set(out[labels == 2]) == {2}
    assert set(out[labels == 3]) == {3}


def test_a_line_running_beside_or_crossing_another_stays_apart():
    """Line 2 runs 6 px below line 1 (they never meet); line 3 crosses line 1 at x = 100."""
    xs, ys, labels = _rows((1, 0, 199, lambda x: 50 + 0 * x), (2, 0, 150, lambda x: 56 + 0 * x),
                           (3, 0, 199, lambda x: 50 + 0.5 * (x - 100)))
    share = coincidence(xs, ys, labels)
    assert share[1, 0] == 0.0 and share[2, 0] < 0.1
    assert (merge_coincident(xs, ys, labels) == labels).all()


def test_only_lines_of_one_ink_or_a_paler_tint_of_it_merge():
    xs, ys, labels = _rows((1, 0, 199, lambda x: 50 + 0 * x), (2, 0, 199, lambda x: 49 + 0 * x))
    bg = np.array([WHITE, WHITE])
    assert (merge_coincident(xs, ys, labels, np.array([RED, BLUE]), bg) == labels).all()
    assert set(merge_coincident(xs, ys, labels, np.array([RED, PALE_RED]), bg)[labels == 2]) == {1}


def test_a_piece_on_two_lines_goes_to_the_one_it_meets_most_and_they_stay_two():
    """Lines 1 and 2 run 10 px apart; piece 3 (x 0-59) lies on line 1 for 50 columns and
    on line 2 for the last 10: it joins line 1 and does not join 1 and 2 together."""
    xs, ys, labels = _rows((1, 0, 199, lambda x: 50 + 0 * x), (2, 0, 199, lambda x: 60 + 0 * x),
                           (3, 0, 49, lambda x: 50 + 0 * x), (3, 50, 59, lambda x: 60 + 0 * x))
    share = coincidence(xs, ys, labels)
    assert share[2, 0] >= COINCIDE > share[2, 1]
    out = merge_coincident(xs, ys, labels)
    assert set(out[labels == 3]) == {1} and set(out[labels == 2]) == {2}


def test_a_paler_tint_of_an_ink_is_that_ink_and_another_hue_is_not():
    red, white = np.array(RED), np.array(WHITE)
    pale_red = np.array(PALE_RED)
    assert np.linalg.norm(pale_red - red) > INK_D  # not close: only the tint rule joins them
    assert one_ink_pairs(pale_red, white, red, white).all()  # on the way from red to white
    assert one_ink_pairs(red, white, pale_red, white).all()  # either way round
    assert not one_ink_pairs(np.array(BLUE), white, red, white).any()
    pale_blue = np.array((80.0, -5.0, -30.0))  # paler than red but of another hue
    assert not one_ink_pairs(pale_blue, white, red, white).any()


def test_greys_are_one_ink_only_when_close():
    """A mid grey lies on the way from a dark grey to white, like a paler tint, but greys
    carry no hue to tell a tint from another series: two grey lines over one stroke merge
    only when their inks are within INK_D."""
    xs, ys, labels = _rows((1, 0, 199, lambda x: 50 + 0 * x), (2, 0, 199, lambda x: 49 + 0 * x))
    bg = np.array([WHITE, WHITE])
    dark, mid = (30.0, 0.0, 0.0), (30.0 + INK_D + 15, 0.0, 0.0)
    assert (merge_coincident(xs, ys, labels, np.array([dark, mid]), bg) == labels).all()
    near = (30.0 + INK_D - 5, 0.0, 0.0)
    assert set(merge_coincident(xs, ys, labels, np.array([dark, near]), bg)[labels == 2]) == {1}


def _outline_chart(ring_ink, beside_ink):
    """Line 1: a connector along y = 60 with filled markers (radius 5) every 40 px; line 2:
    the rings (radius 9, upper and lower arcs) around its markers, linked into a line of their
    own; line 3: a dotted series 10 px below line 1. Returns xs, ys, labels, lab, bg."""
    pts, labels, inks = [], [], []
    for x in range(0, 400):
        pts.append((x, 60)); labels.append(1); inks.append(RED)
    for cx in range(20, 400, 40):
        for dx in range(-5, 6):
            for dy in range(-5, 6):
                if dx * dx + dy * dy <= 25 and dy != 0:
                    pts.append((cx + dx, 60 + dy)); labels.append(1); inks.append(RED)
        for a in np.linspace(0, 2 * np.pi, 56, endpoint=False):
            if abs(np.cos(a)) < 0.9:  # the connector cuts the ring where it enters and leaves
                pts.append((int(round(cx + 9 * np.cos(a))), int(round(60 + 9 * np.sin(a)))))
                labels.append(2); inks.append(ring_ink)
    for x in range(0, 400, 4):
        pts.append((x, 70)); labels.append(3); inks.append(beside_ink)
    xy = np.array(pts)
    lab = np.array(inks, float)
    return xy[:, 0], xy[:, 1], np.array(labels), lab, np.array([WHITE] * 3)


def test_marker_outlines_linked_into_a_line_of_their_own_go_to_their_line():
    xs, ys, labels, lab, bg = _outline_chart(RED, RED)
    out = merge_outlines(xs, ys, labels, lab, bg)
    assert set(out[labels == 2]) == {1}  # the rings ring line 1's markers: its outlines
    assert set(out[labels == 3]) == {3}  # a dotted series beside it keeps to one side: its own


def test_outlines_of_another_ink_stay_apart():
    xs, ys, labels, lab, bg = _outline_chart(BLUE, RED)
    assert set(merge_outlines(xs, ys, labels, lab, bg)[labels == 2]) == {2}
