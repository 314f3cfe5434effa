"""Legend entries found in the image (candidates/legend.py): known answers on drawn charts."""

import cv2
import numpy as np

from linegroup.candidates.legend import drop_legend, find_legend, legend_mask

WHITE = (255, 255, 255)
COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]


def _canvas(h=300, w=400):
    return np.full((h, w, 3), 255, np.uint8)


def _text(img, s, x, y):
    cv2.putText(img, s, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (40, 40, 40), 1, cv2.LINE_AA)


def _box_legend(img, x=40, y=30, n=4, pitch=20):
    """pygal's look: a filled box, then the label, one entry per row."""
    for i in range(n):
        yy = y + i * pitch
        cv2.rectangle(img, (x, yy), (x + 11, yy + 11), COLOURS[i % 4], -1)
        _text(img, f"series {i + 1}", x + 18, yy + 10)
    return (x, y, x + 90, y + (n - 1) * pitch + 11)


def _line_legend(img, x=250, y=200, n=3, pitch=18, dashed=False):
    """matplotlib's and plotly's look: a short level stroke, then the label."""
    for i in range(n):
        yy = y + i * pitch
        if dashed and i == 1:
            for a in range(x, x + 24, 8):
                cv2.line(img, (a, yy), (a + 4, yy), COLOURS[i], 2)
        else:
            cv2.line(img, (x, yy), (x + 24, yy), COLOURS[i], 2)
        _text(img, f"run {i + 1}", x + 32, yy + 4)
    return (x, y - 6, x + 90, y + (n - 1) * pitch + 6)


def _inside(box, outer):
    x0, y0, x1, y1 = box
    return x0 >= outer[0] - 3 and y0 >= outer[1] - 4 and x1 <= outer[2] + 3 and y1 <= outer[3] + 4


def test_a_column_of_box_swatches_with_labels_is_a_legend():
    img = _canvas()
    outer = _box_legend(img)
    boxes = find_legend(img)
    assert len(boxes) == 4
    assert all(_inside(b, outer) for b in boxes)


def test_a_column_of_line_swatches_one_dashed_is_a_legend_found_whole():
    img = _canvas()
    outer = _line_legend(img, dashed=True)
    mask = legend_mask(img)
    assert mask.any()
    ys, xs = np.nonzero(mask)
    assert _inside((xs.min(), ys.min(), xs.max(), ys.max()), outer)
    for i in range(3):  # every entry's swatch is covered, the dashed one too
        assert mask[200 + 18 * i, 262]


def test_a_row_legend_under_the_plot_is_found():
    img = _canvas(200, 500)
    for i, x in enumerate((40, 160, 280)):
        cv2.line(img, (x, 170), (x + 28, 170), COLOURS[i], 3)
        _text(img, f"dose {i + 1}", x + 36, 174)
    boxes = find_legend(img)
    assert len(boxes) == 3
    assert (boxes[:, 1] >= 160).all() and (boxes[:, 3] <= 180).all()


def test_dashed_series_square_markers_and_a_lone_entry_are_not_legends():
    img = _canvas()
    for a in range(20, 380, 30):  # a level dashed series of long thick dashes
        cv2.line(img, (a, 60), (a + 20, 60), (60, 60, 60), 4)
    for i, x in enumerate(range(30, 370, 40)):  # a series of filled square markers on a connector
        y = 150 + 8 * (i % 3)
        cv2.rectangle(img, (x - 5, y - 5), (x + 5, y + 5), COLOURS[0], -1)
    cv2.polylines(img, [np.array([[x, 150 + 8 * (i % 3)] for i, x in enumerate(range(30, 370, 40))], np.int32)],
                  False, COLOURS[0], 1)
    cv2.rectangle(img, (40, 250), (51, 261), COLOURS[1], -1)  # one entry alone
    _text(img, "only one", 58, 260)
    assert len(find_legend(img)) == 0


def test_drop_legend_takes_the_entries_and_leaves_a_series_through_the_legend_whole():
    img = _canvas()
    _box_legend(img)
    cand = np.zeros(img.shape[:2], bool)
    for i in range(4):  # the swatches, as a network would mark them
        cand[30 + 20 * i:42 + 20 * i, 40:52] = True
    cand[45:47, 0:400] = True  # a series running through the legend, between its entries
    out = drop_legend(cand, legend_mask(img))
    for i in range(4):
        assert not out[30 + 20 * i:42 + 20 * i, 40:52].any()
    assert out[45:47].all()
    assert np.array_equal(drop_legend(cand, np.zeros_like(cand)), cand)


def test_a_chart_without_ink_has_no_legend():
    assert len(find_legend(_canvas())) == 0
    assert not legend_mask(_canvas()).any()


def test_thick_line_samples_with_large_labels_are_a_legend():
    """The real CHART-Info chart's look: 7 px thick samples, labels twice as tall."""
    img = _canvas()
    for i in range(3):
        y = 30 + 30 * i
        cv2.line(img, (20, y), (80, y), COLOURS[i], 7)
        cv2.putText(img, f"AgBC {i + 1}0 ppm", (90, y + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    mask = legend_mask(img)
    for i in range(3):  # every sample and its label covered, nothing outside the legend
        assert mask[30 + 30 * i, 20:80].all() and mask[30 + 30 * i - 3, 95:200].any()
    ys, xs = np.nonzero(mask)
    assert xs.min() >= 14 and ys.min() >= 20 and ys.max() <= 106
