"""Plot area: known answers on drawn frames, and the cases where nothing may be cropped."""

import cv2
import numpy as np

from conftest import draw_chart
from linegroup.candidates.plotarea import commonest_grey, crop_to, find_plot_area
from linegroup.predict import LineGrouper


def framed(h=300, w=400, gap_at=None, grey=0):
    """White chart with an L frame: y axis x=50 (y 20..250), x axis y=250 (x 50..380),
    a data line inside and text-like blocks outside."""
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.line(img, (50, 20), (50, 250), (grey,) * 3, 1)
    cv2.line(img, (50, 250), (380, 250), (grey,) * 3, 1)
    if gap_at is not None:
        img[gap_at, 50] = 200  # a faint pixel in the axis
    cv2.polylines(img, [np.array([[60, 200], [200, 60], [370, 150]], np.int32).reshape(-1, 1, 2)], False, (200, 0, 0), 2)
    img[260:272, 100:130] = 0  # "tick labels" below the x axis
    img[100:140, 10:22] = 0  # "axis title" left of the y axis
    return img


def test_finds_the_rectangle_the_axes_enclose():
    assert find_plot_area(framed()) == (50, 20, 380, 250)
    assert find_plot_area(framed(gap_at=120)) == (50, 20, 380, 250)  # a 1-px gap in a faint axis
    assert find_plot_area(framed(grey=120)) == (50, 20, 380, 250)  # grey axes
    assert find_plot_area(framed()[..., 0]) == (50, 20, 380, 250)  # grayscale input
    assert find_plot_area(framed().astype(np.uint16) * 257) == (50, 20, 380, 250)  # 16-bit input


def test_an_axis_that_steps_a_row_up_spans_its_whole_length():
    """A scan tilted by a fraction of a degree draws the x axis over two rows: the plot area
    ends where the axis does, not where its lowest row stops (the series beyond would be cut)."""
    img = np.full((300, 400, 3), 255, np.uint8)
    img[20:251, 50] = 0  # y axis
    img[250, 50:260] = 0  # x axis, its left part on row 250 ...
    img[249, 200:381] = 0  # ... its right part a row higher (each row over 40% of the width)
    assert find_plot_area(img) == (50, 20, 380, 250)
    img[20:151, 51] = 0  # a y axis drawn over two columns, its top part one column right
    img[20:120, 50] = 255
    assert find_plot_area(img) == (50, 20, 380, 250)


def test_a_y_axis_bridged_into_the_label_under_its_outward_tick_still_makes_a_corner():
    """Origin-style axes: the y axis runs on past the corner as an outward tick, and the "0"
    under it lies within the gap an axis's run bridges; the axis ends at its tick (the real
    CHART-Info chart's plot area was not found)."""
    img = np.full((300, 400, 3), 255, np.uint8)
    img[20:256, 50] = 0  # y axis, with a 5 px tick below the x axis
    img[250, 50:381] = 0  # x axis
    img[258:268, 47:54] = 0  # the "0" under the tick, 2 px below its end
    assert find_plot_area(img) == (50, 20, 380, 250)
    img[256:258, 50] = 0  # the axis itself running on through the label, 18 px past the corner: no corner
    img[268:290, 50] = 0
    assert find_plot_area(img) is None


def test_no_crop_without_a_corner():
    assert find_plot_area(draw_chart(200, 300)[0]) is None  # no axes at all
    img = np.full((300, 400, 3), 255, np.uint8)  # axes crossing at an origin inside the plot
    cv2.line(img, (20, 200), (380, 200), (0, 0, 0), 1)
    cv2.line(img, (150, 20), (150, 280), (0, 0, 0), 1)
    assert find_plot_area(img) is None
    img = np.full((300, 400, 3), 255, np.uint8)  # gridlines only: the lowest one does not meet a y axis end
    for y in (60, 160, 260):
        cv2.line(img, (40, y), (380, y), (0, 0, 0), 1)
    cv2.line(img, (40, 20), (40, 290), (0, 0, 0), 1)
    assert find_plot_area(img) is None


def test_crop_to_clears_outside_the_grown_area():
    mask = np.ones((10, 12), bool)
    out = crop_to(mask, (3, 2, 8, 6), margin=1)
    assert out[1:8, 2:10].all() and out.sum() == 7 * 8
    assert crop_to(mask, None) is mask


def test_predict_leaves_out_pixels_outside_the_axes(tiny_ckpt):
    img = framed()
    # every pixel is a candidate of the tiny model (one blob: keep it, rulings filter off)
    g = LineGrouper.load(tiny_ckpt, fg_threshold=0.0, drop_rulings=False)
    res = g.predict(img)
    assert res.plot_area == (50, 20, 380, 250)
    ys, xs = np.nonzero(res.mask)
    assert len(ys) > 0 and xs.min() >= 48 and ys.max() <= 252
    off = LineGrouper.load(tiny_ckpt, fg_threshold=0.0, drop_rulings=False, plot_area=False).predict(img)
    assert off.plot_area is None and np.nonzero(off.mask)[1].min() < 48
    # given candidates are kept as they are, outside the axes too
    cand = np.zeros(img.shape[:2], bool)
    cand[265, 100:130] = True
    assert LineGrouper.load(tiny_ckpt).predict(img, candidates=cand).mask[265].any()


def test_predict_keeps_everything_when_most_pixels_lie_outside(tiny_ckpt):
    img = np.full((300, 400, 3), 255, np.uint8)  # a small frame in a corner: most candidates outside
    cv2.line(img, (190, 160), (190, 290), (0, 0, 0), 1)
    cv2.line(img, (190, 290), (390, 290), (0, 0, 0), 1)
    cv2.line(img, (20, 40), (150, 90), (0, 0, 0), 1)  # ink outside the frame (a line's pixels are its ink)
    assert find_plot_area(img) == (190, 160, 390, 290)
    res = LineGrouper.load(tiny_ckpt, fg_threshold=0.0, drop_rulings=False).predict(img)
    assert res.plot_area is None and np.nonzero(res.mask)[1].min() < 188


def test_faint_axes_on_a_grey_panel_are_found_on_the_second_try():
    img = framed(grey=205)  # light-grey axes: 50 levels from white, under ink_diff
    assert find_plot_area(img) == (50, 20, 380, 250)
    assert find_plot_area(img, faint_diff=None) is None  # the first try alone misses them


def test_find_panel_known_rectangle_and_refusals():
    import cv2

    from linegroup.candidates.plotarea import find_panel

    img = np.full((300, 400, 3), 255, np.uint8)
    img[40:251, 60:371] = (229, 236, 246)  # a plotly-like panel, x 60..370, y 40..250
    for y in range(60, 250, 40):  # white grid lines across it
        img[y, 60:371] = 255
    cv2.line(img, (70, 200), (360, 60), (30, 90, 200), 2)  # a series
    cv2.putText(img, "title", (150, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    assert find_panel(img) == (60, 40, 370, 250)
    assert find_panel(np.full((300, 400, 3), 255, np.uint8)) is None  # no panel of its own colour
    small = np.full((300, 400, 3), 255, np.uint8)
    small[100:150, 100:200] = (229, 236, 246)  # a coloured box, 4% of the image: not a panel
    assert find_panel(small) is None
    faint = img.copy()
    faint[40:251, 60:371] = (253, 254, 255)  # within PANEL_TOL of the page: not told apart
    assert find_panel(faint) is None


def gridded(h=300, w=400):
    """A white page with plotly's white-template grid: faint lines (235, 240, 248) at y
    60..240 step 60 over x 60..370, and at x 60..360 step 100 over y 40..250; tick labels
    ending 3 px left of the horizontal lines, a title above, a legend right, a series."""
    img = np.full((h, w, 3), 255, np.uint8)
    for y in range(60, 241, 60):
        img[y, 60:371] = (235, 240, 248)
        img[y - 4:y + 5, 40:57] = 60  # a tick label, 3 px before its grid line
    for x in range(60, 361, 100):
        img[40:251, x] = (235, 240, 248)
    cv2.line(img, (70, 200), (360, 60), (30, 90, 200), 2)
    cv2.putText(img, "title", (150, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    cv2.line(img, (375, 80), (395, 80), (30, 90, 200), 2)  # a legend entry
    return img


def test_find_grid_known_rectangle_and_refusals():
    from linegroup.candidates.plotarea import find_grid, find_panel

    img = gridded()
    assert find_plot_area(img) is None and find_panel(img) is None  # no axes, no panel
    assert find_grid(img) == (60, 40, 370, 250)
    assert find_grid(img[..., 1]) == (60, 40, 370, 250)  # grayscale input
    assert find_grid(np.full((300, 400, 3), 255, np.uint8)) is None  # no grid
    one_way = img.copy()
    one_way[40:251, 60:361:100] = 255  # horizontal lines only
    assert find_grid(one_way) is None
    ragged = img.copy()
    for i, y in enumerate(range(60, 241, 60)):  # lines that agree on no start: not one grid
        ragged[y, 60:371] = 255
        ragged[y, 60 + 40 * i:371 - 40 * i] = 235
    assert find_grid(ragged) is None
    zero = np.full((300, 400, 3), 255, np.uint8)  # no grid: a faint zero line each way (plotly_white)
    zero[180, 60:371] = 235
    zero[40:251, 60] = 235  # meeting at the left edge
    assert find_grid(zero) == (60, 40, 370, 250)
    zero[40:251, 60] = 255
    zero[180, 60] = 235
    zero[40:251, 200] = 235  # or crossing in the middle
    assert find_grid(zero) == (60, 40, 370, 250)
    apart = np.full((300, 400, 3), 255, np.uint8)
    apart[180, 60:200] = 235  # two long lines that do not meet are no frame
    apart[40:160, 300] = 235
    assert find_grid(apart) is None
    yy, xx = np.mgrid[0:300, 0:400]
    for shaded in (xx < 200, yy > 150):  # uneven lighting: a block of long runs is no line
        img = np.full((300, 400, 3), 255, np.uint8)
        img[shaded] = 240
        assert find_grid(img) is None
    corner = np.full((300, 400, 3), 255, np.uint8)
    corner[20:60:20, 10:180] = 235
    corner[10:130, 20:80:30] = 235  # a grid over less than a quarter of the image
    assert find_grid(corner) is None


def test_predict_crops_to_the_grid_where_there_are_no_axes_or_panel():
    """The title and legend entry outside a faint grid are not candidates once the grid
    gives the plot area."""
    img = gridded()
    g = LineGrouper.load()
    cand = np.zeros(img.shape[:2], bool)
    cand[12:24, 150:200] = True  # the title's pixels, as a network might mark them
    cand[78:83, 375:396] = True  # the legend entry's
    cand[100:104, 70:360] = True  # a line inside (most of the candidates: the crop is kept)
    out, area = g.clean_candidates(cand, img)
    assert area == (60, 40, 370, 250)
    assert not out[:38].any() and not out[:, 373:].any()
    assert out[100:104, 70:360].all()


def test_commonest_grey_answers_as_bincount():
    """OpenCV's histogram (uint8) and numpy's bincount (any other depth) give the same level,
    the first of tied ones too."""
    rng = np.random.default_rng(3)
    gray = rng.integers(0, 256, (600, 800)).astype(np.uint8)
    gray[:100, :100] = 77  # 10,000 pixels of one level: the commonest
    assert commonest_grey(gray) == 77 == int(np.argmax(np.bincount(gray.ravel(), minlength=256)))
    tie = np.array([[5, 5, 9, 9]], np.uint8)
    assert commonest_grey(tie) == 5
    assert commonest_grey(gray.astype(np.uint16)) == 77
    assert commonest_grey(gray[::3, ::2]) == int(np.argmax(np.bincount(gray[::3, ::2].ravel(), minlength=256)))
