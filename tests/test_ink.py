"""Known answers of the ink core (grouping/ink.py): with the model's own candidates, a band
around the lines, the grouping links the ink and places the rest after."""

import cv2
import numpy as np

from cases import Line, draw
from linegroup.grouping import group_lines
from linegroup.grouping.ink import CORE_LAB, ink_core, ink_strength

X = np.arange(20, 341, 8).astype(float)


def band(mask: np.ndarray, r: int) -> np.ndarray:
    """The candidates a network trained on thick rasters gives: the lines widened by r px."""
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0


def test_the_core_of_a_band_is_the_drawn_line():
    img, truth = draw([Line(X, 120 + 0 * X, width=1)])
    ys, xs = np.nonzero(band(truth > 0, 3))
    core = ink_core(xs, ys, img)
    drawn = truth[ys, xs] > 0
    assert core[drawn].all()
    assert not core[~drawn].any()


def test_ink_strength_known_answer():
    img = np.full((9, 3, 3), 255, np.uint8)
    img[4] = 0  # a black row on white: Lab distance 100 from the white above and below
    ys, xs = np.mgrid[2:7, 0:3].reshape(2, -1)  # a candidate band of rows 2-6
    d = ink_strength(xs, ys, img)
    assert np.allclose(d[ys == 4], 100, atol=0.5)
    assert np.allclose(d[ys != 4], 0, atol=1e-3)


def test_a_pale_series_on_its_own_keeps_its_ink():
    pale = (235, 235, 235)  # Lab distance about 7 from white, under CORE_LAB
    img, truth = draw([Line(X, 120 + 0 * X, width=2, color=pale)])
    ys, xs = np.nonzero(band(truth > 0, 3))
    assert ink_strength(xs, ys, img).max() < CORE_LAB
    core = ink_core(xs, ys, img)
    drawn = truth[ys, xs] > 0
    assert core[drawn].mean() > 0.95 and not core[~drawn].any()


def test_a_background_patch_joined_to_a_dark_line_is_not_ink():
    img, truth = draw([Line(X, 120 + 0 * X, width=2)])
    cand = band(truth > 0, 2)
    cand[122:140, 100:140] = True  # background the network took for line, touching the line
    ys, xs = np.nonzero(cand)
    core = ink_core(xs, ys, img)
    assert not core[(ys >= 125) & (xs >= 100) & (xs < 140)].any()


def test_two_close_lines_in_one_band_come_out_as_two_with_every_candidate_labelled():
    a = Line(X, 100 + 20 * np.sin(X / 50), width=1)
    b = Line(X, 106 + 20 * np.sin(X / 50), width=1)
    img, truth = draw([a, b])
    cand = band(truth != 0, 2)  # one band 10 px wide over both
    ys, xs = np.nonzero(cand)
    _, cc = cv2.connectedComponents(cand.astype(np.uint8))
    assert cc.max() == 1, "the band must join the two lines"
    lab = group_lines(xs, ys, img, own=True)
    assert lab.max() == 2
    assert (lab > 0).all()
    for k in (1, 2):
        on = truth[ys, xs] == k
        assert np.bincount(lab[on]).max() / on.sum() > 0.95
    assert lab[truth[ys, xs] == 1][0] != lab[truth[ys, xs] == 2][0]


def test_a_series_without_ink_core_is_linked_from_what_is_left_but_a_few_specks_are_not():
    """A series whose band has no ink core (here: its core taken away) is left far from every
    line by the first linking; the second pass makes it a line of its own. A handful of specks
    strung across the plot (legend glyphs, marker outlines) is no series and stays out."""
    a = Line(X, 60 + 0 * X, width=2)
    b = Line(X, 160 + 15 * np.sin(X / 40), width=2)
    img, truth = draw([a, b])
    cand = band(truth != 0, 2)
    for x in range(30, 330, 60):  # specks: 3x3 blobs every 60 px along y = 215
        cand[214:217, x:x + 3] = True
    ys, xs = np.nonzero(cand)
    core = ink_core(xs, ys, img)
    on_b = np.abs(ys - (160 + 15 * np.sin(xs / 40))) < 8
    core[on_b] = False  # series b: no ink core
    core[ys >= 214] = False  # nor the specks (linked in the first pass, core pixels would be a line there)
    lab = group_lines(xs, ys, img, own=True, core=core)
    assert lab.max() == 2
    assert np.bincount(lab[on_b]).argmax() > 0 and np.bincount(lab[on_b]).max() / on_b.sum() > 0.95
    assert np.bincount(lab[on_b]).argmax() != np.bincount(lab[truth[ys, xs] == 1]).argmax()
    assert (lab[ys >= 214] == 0).all()
