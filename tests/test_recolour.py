"""Known answers of recolour: a pixel of one line's colour, given to a line of another
colour, goes back to its own."""

import numpy as np

from linegroup.grouping.recolour import NEAR_PATH, recolour

RED = (50.0, 70.0, 55.0)
BLUE = (35.0, 20.0, -70.0)
WHITE = (100.0, 0.0, 0.0)


def _chart(blue_y=60):
    """A red line at y = 50 and a blue one at y = blue_y, x 0-99, one pixel per column each;
    the red line's pixels at x 40-59 were given to the blue line."""
    x = np.arange(100)
    xs = np.r_[x, x]
    ys = np.r_[np.full(100, 50), np.full(100, blue_y)]
    lab = np.array([RED] * 100 + [BLUE] * 100)
    labels = np.r_[np.ones(100, np.int64), np.full(100, 2)]
    labels[40:60] = 2
    return xs, ys, labels, lab


def test_pixels_of_the_other_lines_colour_near_its_path_go_to_it():
    xs, ys, labels, lab = _chart()
    ink, bg = np.array([RED, BLUE]), np.array([WHITE, WHITE])
    out = recolour(xs, ys, labels, lab, ink, bg)
    assert (out[:100] == 1).all() and (out[100:] == 2).all()


def test_lines_of_one_colour_and_blends_of_two_stay():
    xs, ys, labels, lab = _chart()
    same = recolour(xs, ys, labels, lab, np.array([RED, RED]), np.array([WHITE, WHITE]))
    assert (same == labels).all()  # colour cannot tell them apart
    blend = lab.copy()
    blend[40:60] = (np.array(RED) + np.array(BLUE)) / 2  # where two strokes overlap
    out = recolour(xs, ys, labels, blend, np.array([RED, BLUE]), np.array([WHITE, WHITE]))
    assert (out == labels).all()


def test_a_pixel_far_from_every_line_of_its_colour_stays():
    """The red line's own pixels lie at y = 50, except the 20 given to blue: put those far
    from the red line's path (a marker face, a word in red): they stay blue's."""
    xs, ys, labels, lab = _chart(blue_y=50 + 3 * NEAR_PATH)
    ys = ys.copy()
    ys[40:60] = 50 + 3 * NEAR_PATH
    out = recolour(xs, ys, labels, lab, np.array([RED, BLUE]), np.array([WHITE, WHITE]))
    assert (out == labels).all()
