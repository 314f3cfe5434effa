"""Legend swatches, tick marks and grid rulings among the candidates: known answers on
drawn charts, and the data strokes that must stay."""

import cv2
import numpy as np

from linegroup.candidates.marks import is_grid, find_marks, find_rulings


def _curve(mask, y0, amp, x0=20, x1=380, thick=2):
    xs = np.arange(x0, x1)
    pts = np.column_stack([xs, y0 + amp * np.sin(xs / 40.0)]).astype(np.int32)
    cv2.polylines(mask, [pts.reshape(-1, 1, 2)], False, 1, thick)


def _text(img, x, y):
    cv2.putText(img, "series", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)


def test_a_legend_column_is_found_and_the_data_kept():
    cand = np.zeros((300, 400), np.uint8)
    _curve(cand, 200, 30)
    _curve(cand, 230, -20)
    swatches = np.zeros_like(cand)
    for y in (30, 45, 60):  # three stacked line samples, 30 px long, 2 px thick
        cv2.line(swatches, (40, y), (70, y), 1, 2)
    marks = find_marks((cand | swatches) > 0)
    assert marks[swatches > 0].all()
    assert not marks[cand > 0].any()


def test_a_one_row_legend_needs_its_labels():
    cand = np.zeros((300, 400), np.uint8)
    _curve(cand, 200, 30)
    img = np.full((300, 400, 3), 255, np.uint8)
    swatches = np.zeros_like(cand)
    for x in (40, 150, 260):  # three line samples in one row, each followed by its label
        cv2.line(swatches, (x, 40), (x + 30, 40), 1, 2)
        cv2.circle(swatches, (x + 15, 40), 5, 1, -1)  # with a marker in the middle
        _text(img, x + 36, 45)
    allc = (cand | swatches) > 0
    img[allc] = (200, 0, 0)
    marks = find_marks(allc, img)
    assert marks[swatches > 0].all() and not marks[cand > 0].any()
    assert not find_marks(allc).any()  # without the image there are no labels to see


def test_dashes_of_a_flat_dashed_line_are_not_marks():
    cand = np.zeros((300, 400), np.uint8)
    for x in range(20, 380, 20):  # one horizontal dashed series: 12 px dashes, 8 px gaps
        cv2.line(cand, (x, 150), (x + 11, 150), 1, 2)
    _curve(cand, 80, 20)
    img = np.full((300, 400, 3), 255, np.uint8)
    img[cand > 0] = (0, 0, 200)
    assert not find_marks(cand > 0, img).any()


def test_ticks_along_an_axis_are_marks():
    cand = np.zeros((300, 400), np.uint8)
    _curve(cand, 150, 40)
    ticks = np.zeros_like(cand)
    for y in range(30, 280, 25):  # y-axis ticks: 6 px long, same left and right ends
        cv2.line(ticks, (10, y), (15, y), 1, 1)
    for x in range(40, 380, 40):  # x-axis ticks: vertical, same top and bottom
        cv2.line(ticks, (x, 285), (x, 291), 1, 1)
    marks = find_marks((cand | ticks) > 0)
    assert marks[ticks > 0].all() and not marks[cand > 0].any()


def test_an_evenly_spaced_grid_is_removed_and_the_series_kept():
    cand = np.zeros((300, 400), np.uint8)
    _curve(cand, 150, 60)
    grid = np.zeros_like(cand)
    for y in (50, 100, 150, 200, 250):  # dashed horizontal grid lines
        for x in range(10, 390, 9):
            cv2.line(grid, (x, y), (x + 5, y), 1, 1)
    allc = (cand | grid) > 0
    rul = find_rulings(allc)
    assert rul[grid > 0].mean() > 0.99
    series = (cand > 0) & (grid == 0)
    assert rul[series].mean() < 0.1  # only where the series crosses the grid
    assert (series & ~rul).any(0)[20:380].mean() > 0.9  # it keeps a pixel in most columns


def test_a_marker_on_a_grid_row_is_not_cut_in_two():
    """A ruling's pixels stay where the candidates' run across it is taller than a ruling
    (a 13 px marker sitting on the row); the rest of the row goes."""
    cand = np.zeros((300, 400), np.uint8)
    grid = np.zeros_like(cand)
    for y in (50, 100, 150, 200, 250):  # solid grid rows (a dashed grid whose gaps the network filled)
        cv2.line(grid, (10, y), (390, y), 1, 1)
    for x in range(40, 380, 60):  # filled square markers centred on the row y = 150
        cand[144:157, x - 6:x + 7] = 1
    allc = (cand | grid) > 0
    rul = find_rulings(allc)
    assert rul[(grid > 0) & (cand == 0)].mean() > 0.99  # the grid goes...
    assert not rul[cand > 0].any()  # ...and no marker loses a row


def test_flat_series_and_filled_areas_are_not_rulings():
    cand = np.zeros((300, 400), np.uint8)
    cv2.line(cand, (10, 100), (390, 100), 1, 3)  # two flat series and an axis: not evenly spaced
    cv2.line(cand, (10, 130), (390, 130), 1, 3)
    cv2.line(cand, (10, 290), (390, 290), 1, 1)
    assert not find_rulings(cand > 0).any()
    block = np.zeros((300, 400), bool)
    block[50:200, 20:380] = True  # a filled area (a dark background taken for line pixels)
    assert not find_rulings(block).any()


def test_a_full_height_vertical_line_is_a_ruling():
    series = np.zeros((300, 400), np.uint8)
    _curve(series, 150, 60)
    line = np.zeros_like(series)
    cv2.line(line, (200, 20), (200, 280), 1, 1)  # an axvline-like marker line through the series
    rul = find_rulings((series | line) > 0)
    on_line = np.zeros_like(rul)
    on_line[25:275, 200] = True
    near = cv2.dilate(series, np.ones((7, 7), np.uint8)) > 0
    assert rul[on_line & ~near].all()  # the line goes...
    assert not rul[series > 0].any()  # ...but where the series crosses it, the series keeps its pixels
    assert (on_line & near & ~rul).sum() <= 10  # and so do a few of the line's own beside it
    assert rul.sum() < 280 + 20


def test_grid_spacing_rule():
    assert is_grid(np.array([10.0, 50, 90, 130]))
    assert is_grid(np.array([10.0, 50, 130]))  # one grid line hidden
    assert not is_grid(np.array([10.0, 50, 70, 130]))
    assert is_grid(np.array([10.0, 60]))  # two: no spacing to check


def test_empty_input():
    assert not find_marks(np.zeros((50, 60), bool)).any()
    assert not find_rulings(np.zeros((50, 60), bool)).any()


def test_the_axes_of_a_known_plot_area_are_rulings_without_a_grid():
    cand = np.zeros((300, 400), np.uint8)
    _curve(cand, 150, 60)
    cv2.line(cand, (20, 250), (380, 250), 1, 1)  # the x axis, alone: no grid
    cv2.line(cand, (20, 200), (380, 200), 1, 1)  # a flat series inside the plot
    assert not find_rulings(cand > 0).any()
    rul = find_rulings(cand > 0, area=(20, 30, 380, 250))
    assert rul[250, 25:375].all() and not rul[200, 25:375].any()


def test_components_are_opencvs():
    """labels.components: OpenCV's labels, and its stats and centroids of every component."""
    from linegroup.labels import components

    rng = np.random.default_rng(5)
    for i in range(300):
        h, w = rng.integers(1, 120, 2)
        m = (rng.random((h, w)) < [0.002, 0.05, 0.4][i % 3]).astype(np.uint8)
        if i % 2:
            m = cv2.dilate(m, np.ones((3, 5), np.uint8))
        n, lab, stats, cents = cv2.connectedComponentsWithStats(m, connectivity=8)
        n2, lab2, stats2, cents2 = components(m)
        assert n2 == n and np.array_equal(lab2, lab)
        assert np.array_equal(stats2, stats[1:]) and np.array_equal(cents2, cents[1:])


def test_marks_are_found_where_the_candidates_are_cropped_away_from_the_origin():
    """find_marks works on the candidates' bounding box: a legend near the far corner of a big
    image, its labels beyond that box, comes out as on a small image holding only it."""
    small = np.zeros((120, 200), np.uint8)
    img_small = np.full((120, 200, 3), 255, np.uint8)
    for x in (20, 80, 140):  # a one-row legend, each swatch followed by its label
        cv2.line(small, (x, 60), (x + 20, 60), 1, 2)
        _text(img_small, x + 24, 64)
    for y in (20, 30, 40):  # and a column of swatches
        cv2.line(small, (10, y), (30, y), 1, 2)
    img_small[small > 0] = (0, 0, 200)
    cand = np.zeros((700, 900), bool)
    img = np.full((700, 900, 3), 255, np.uint8)
    cand[563:683, 671:871] = small > 0
    img[563:683, 671:871] = img_small
    want = find_marks(small > 0, img_small)
    assert want.sum() > 0
    got = find_marks(cand, img)
    assert np.array_equal(got[563:683, 671:871], want) and got.sum() == want.sum()


def test_tilted_dashes_of_a_steep_dashed_series_are_not_marks():
    # a sawtooth dashed series: steep dashes, many of which share their top and bottom rows
    # (the same dash length on repeated slopes), as x-axis ticks would
    cand = np.zeros((300, 400), np.uint8)
    xs = np.arange(20, 380, 0.25)
    t = (xs / 40) % 1
    ys = np.where(t < 0.4, 100 + 250 * t, 200 - 100 * (t - 0.4) / 0.6 * 1.0)  # slopes 6.25 and -4.2
    pts = np.column_stack([xs, ys])
    arc = np.r_[0, np.cumsum(np.hypot(*np.diff(pts, axis=0).T))]
    on = (arc % 20) < 12  # 12 px dashes, 8 px gaps
    for a, b in zip(pts[:-1][on[:-1] & on[1:]], pts[1:][on[:-1] & on[1:]]):
        cv2.line(cand, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), 1, 2)
    ticks = np.zeros_like(cand)
    for x in range(40, 380, 50):  # and real ticks below it
        cv2.line(ticks, (x, 280), (x, 288), 1, 1)
    marks = find_marks((cand | ticks) > 0)
    assert marks[ticks > 0].all()
    assert not marks[cand > 0].any()
