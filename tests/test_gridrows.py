"""Grid pieces: flat stretches of a dotted grid line that the network marked, dropped after grouping."""

import cv2
import numpy as np

from linegroup.candidates.gridrows import drop_grid_pieces, grid_ink, grid_rows, lattice


def _chart(grid_step=30, rows=True):
    """A dark-panel chart with a dotted grid every grid_step px and one sine series."""
    img = np.full((300, 420, 3), (20, 60, 60), np.uint8)
    for y in range(30, 300, grid_step):
        if rows:
            for x in range(20, 400, 6):  # dots 3 px long every 6 px
                cv2.line(img, (x, y), (x + 2, y), (90, 110, 110), 1)
    for x in range(40, 400, 60):
        for y in range(20, 290, 6):
            cv2.line(img, (x, y), (x, y + 2), (90, 110, 110), 1)
    xs = np.arange(20, 400)
    ys = np.round(150 + 80 * np.sin(xs / 40.0)).astype(int)
    pts = np.column_stack([xs, ys]).astype(np.int32)
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (240, 200, 80), 2)
    return img, pts


def _labels(img, pts, grid_y):
    """Candidates: the series (label 1), a stretch of one grid row's dots (label 2), and a
    flat stretch of series-like ink between grid rows (label 3)."""
    series = np.column_stack([pts[:, 0], pts[:, 1]])
    piece = np.array([[x, grid_y] for x in range(100, 220) if (x - 20) % 6 < 3])
    flat = np.array([[x, grid_y + 14] for x in range(250, 330)])
    xy = np.concatenate([series, piece, flat]).astype(np.float64)
    labels = np.concatenate([np.full(len(series), 1), np.full(len(piece), 2), np.full(len(flat), 3)])
    return xy, labels


def test_the_grid_rows_of_a_dotted_grid_are_found_evenly_spaced():
    img, _ = _chart()
    rows = grid_rows(grid_ink(img, (20, 0, 400, 299))[:, 20:401])
    assert np.allclose(rows, np.arange(30, 300, 30), atol=1.0)


def test_a_stretch_of_a_grid_row_is_dropped_and_the_series_kept():
    img, pts = _chart()
    xy, labels = _labels(img, pts, 120)
    out = drop_grid_pieces(labels, xy, img)
    assert set(np.unique(out[labels == 1])) == {out[labels == 1][0]} and out[labels == 1][0] > 0
    assert (out[labels == 2] == 0).all()  # the grid piece
    assert (out[labels == 3] > 0).all()  # a flat stretch between grid rows is not on one
    assert out.max() == 2


def test_without_evenly_spaced_rows_nothing_is_dropped():
    img, pts = _chart(rows=False)  # only the vertical grid: no row is a grid row
    xy, labels = _labels(img, pts, 120)
    assert (drop_grid_pieces(labels, xy, img) > 0).all()


def test_on_a_fine_grid_nothing_is_dropped():
    """Grid rows 12 px apart: any line has half its pixels near one by chance."""
    img, pts = _chart(grid_step=12)
    xy, labels = _labels(img, pts, 126)
    assert (drop_grid_pieces(labels, xy, img) > 0).all()


def test_a_flat_band_of_markers_off_the_grid_does_not_hide_it():
    """A crowded band of markers near the bottom covers rows too: its thin edge lies off the
    grid's step and is left out, instead of making the whole grid uneven."""
    img, pts = _chart()
    cv2.rectangle(img, (20, 244), (400, 256), (240, 200, 80), -1)  # a band of touching markers
    cv2.line(img, (20, 262), (400, 262), (240, 200, 80), 1)  # its thin lower edge, off the grid
    rows = grid_rows(grid_ink(img, (20, 0, 400, 299))[:, 20:401])
    assert np.allclose(rows, np.arange(30, 300, 30), atol=1.0)
    xy, labels = _labels(img, pts, 120)
    out = drop_grid_pieces(labels, xy, img)
    assert (out[labels == 2] == 0).all() and (out[labels != 2] > 0).all()


def test_the_lattice_wants_more_rows_when_some_lie_off_it():
    assert np.allclose(lattice(np.array([10.0, 40, 70])), [10, 40, 70])  # all on it: three do
    assert len(lattice(np.array([176.0, 241, 274, 405]))) == 0  # 33 px apart but mostly 2-4 steps
    assert len(lattice(np.array([10.0, 40, 55, 70, 100]))) == 0  # four on it, one off: too few
    on = lattice(np.array([10.0, 40, 55, 70, 100, 130]))  # five on it, one off
    assert np.allclose(on, [10, 40, 70, 100, 130])
    assert len(lattice(np.array([10.0, 25, 40]))) == 0  # closer than MIN_STEP: a fine grid


def _polyline_pixels(img, pts, colour):
    """Draw a 1 px polyline on img; return its pixels (x, y) as float."""
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.polylines(mask, [np.array(pts, np.int32).reshape(-1, 1, 2)], False, 255, 1)
    img[mask > 0] = colour
    ys, xs = np.nonzero(mask)
    return np.column_stack([xs, ys]).astype(np.float64)


def test_a_grid_piece_linked_into_a_series_of_another_ink_is_taken_out_of_it():
    img, pts = _chart()
    series = np.column_stack([pts[:, 0], pts[:, 1]]).astype(np.float64)
    piece = np.array([[x, 60] for x in range(100, 220) if (x - 20) % 6 < 3], np.float64)  # grid row 60's dots
    xy = np.concatenate([series, piece])
    labels = np.ones(len(xy), np.int64)  # the linking joined them
    out = drop_grid_pieces(labels, xy, img)
    assert (out[len(series):] == 0).all() and (out[:len(series)] == 1).all()


def test_a_series_along_a_grid_row_keeps_its_stroke():
    """A flat stretch of a series on a grid row is connected to the rest of it: not a piece."""
    img, _ = _chart()
    xy = _polyline_pixels(img, [(20, 200), (100, 200), (120, 90), (300, 90), (330, 160), (400, 160)], (240, 200, 80))
    labels = np.ones(len(xy), np.int64)
    assert (drop_grid_pieces(labels, xy, img) == 1).all()


def _step_chart():
    """A dashed grid every 40 px (rows and columns) under step series whose flat stretches,
    each over 40% of the width, lie between the grid rows: as many flat rows of ink as grid rows."""
    img = np.full((320, 420, 3), 255, np.uint8)
    for y in range(40, 300, 40):
        for x in range(20, 400, 8):  # dashes 4 px long every 8 px
            cv2.line(img, (x, y), (x + 3, y), (60, 60, 60), 1)
    for x in range(40, 400, 60):
        for y in range(20, 300, 8):
            cv2.line(img, (x, y), (x, y + 3), (60, 60, 60), 1)
    flats = [(55, 20, 180), (105, 200, 380), (145, 20, 180), (185, 200, 380), (225, 60, 220), (265, 230, 390)]
    for y, x0, x1 in flats:
        cv2.line(img, (x0, y), (x1, y), (200, 60, 30), 2)
    return img, flats


def test_the_grid_under_a_step_chart_is_found_where_its_flat_stretches_hide_it():
    """The flat stretches cover as much of a row as the dashed grid does, but in a few tenths
    of the width: only rows whose ink runs the whole width are tried as grid rows."""
    img, _ = _step_chart()
    ink = grid_ink(img, (20, 0, 400, 319))[:, 20:401]
    assert len(grid_rows(ink)) == 0  # every row of ink tried: no lattice holds 60% of them
    assert np.allclose(grid_rows(ink, spread=True), np.arange(40, 300, 40), atol=1.0)


def test_a_grid_row_of_a_step_chart_is_dropped_and_its_steps_kept():
    img, flats = _step_chart()
    step = np.array([[x, y] for y, x0, x1 in flats for x in range(x0, x1 + 1)], np.float64)
    row = np.array([[x, 120] for x in range(20, 400) if (x - 20) % 8 < 4], np.float64)  # the grid row at 120
    xy = np.concatenate([step, row])
    labels = np.r_[np.ones(len(step), int), np.full(len(row), 2)]
    out = drop_grid_pieces(labels, xy, img)
    assert (out[:len(step)] == 1).all() and (out[len(step):] == 0).all()
