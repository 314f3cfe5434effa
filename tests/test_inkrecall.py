"""Ink recall: the pixels of a sure series' ink that the network missed join the candidates."""

import cv2
import numpy as np

from linegroup.candidates.inkrecall import INK_TOL, _cie, ink_recall, near_inks, series_inks
from linegroup.predict import background_lab

PALE = (225, 215, 120)  # pygal-like pale yellow on white: Lab about 20 from the page


def _wave(img, y0, amp, colour, thick=1, dash=0):
    xs = np.arange(40, 380)
    ys = np.round(y0 + amp * np.sin(xs / 35.0)).astype(np.int32)
    pts = np.column_stack([xs, ys]).astype(np.int32)
    if dash:  # dots or dashes: `dash` px drawn, `dash` px left out
        for i in range(0, len(pts) - dash, 2 * dash):
            cv2.polylines(img, [pts[i:i + dash].reshape(-1, 1, 2)], False, colour, thick)
    else:
        cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, colour, thick)
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.polylines(mask, [pts.reshape(-1, 1, 2)], False, 1, thick)
    return mask > 0


def _recall(img, cand, area=None):
    h, w = cand.shape
    return ink_recall(cand, img, area or (0, 0, w - 1, h - 1), [background_lab(img)])


def test_a_pale_series_missed_whole_is_added_from_the_ink_of_its_twin():
    img = np.full((260, 420, 3), 255, np.uint8)
    found = _wave(img, 80, 30, PALE, thick=2)
    missed = _wave(img, 180, 25, PALE, thick=2)
    out = _recall(img, found.copy())
    drawn = (np.abs(img.astype(int) - PALE).sum(2) < 12)  # the missed line's own ink
    assert (out & missed & drawn).sum() >= 0.95 * (missed & drawn).sum()
    near = cv2.dilate((found | missed).view(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert not (out & ~near).any()  # nothing off the lines: the page is no ink


def test_a_dotted_line_in_the_ink_of_a_solid_one_is_added_but_not_a_grid_a_box_or_a_glyph():
    img = np.full((300, 420, 3), 255, np.uint8)
    for y in range(30, 300, 40):  # a dashed black grid, evenly spaced rows
        for x in range(20, 400, 8):
            cv2.line(img, (x, y), (x + 3, y), (0, 0, 0), 1)
    solid = _wave(img, 95, 20, (0, 0, 0), thick=2)
    dotted = _wave(img, 215, 25, (0, 0, 0), thick=2, dash=2)
    cv2.putText(img, "a", (300, 160), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)  # a short glyph
    cv2.rectangle(img, (300, 40), (380, 70), (0, 0, 0), -1)  # a filled box in the ink (a legend's)
    out = _recall(img, solid.copy())
    ink = img.sum(2) < 200
    grid_rows = np.zeros_like(out)
    grid_rows[np.arange(30, 300, 40)] = True
    off_grid = cv2.dilate(grid_rows.view(np.uint8), np.ones((7, 1), np.uint8)) == 0  # the grid's rows +- 3 px
    assert (out & dotted & ink & off_grid).sum() >= 0.95 * (dotted & ink & off_grid).sum()
    far = cv2.dilate((solid | dotted).view(np.uint8), np.ones((7, 7), np.uint8)) == 0
    assert not (out & grid_rows & far).any()  # the grid stays out
    assert not out[145:165, 295:315].any()  # the glyph stays out
    assert not out[40:71, 300:381].any()  # and the filled box


def test_only_the_plot_area_is_searched_and_no_ink_leaves_the_candidates_as_they_are():
    img = np.full((260, 420, 3), 255, np.uint8)
    found = _wave(img, 80, 30, PALE, thick=2)
    missed = _wave(img, 180, 25, PALE, thick=2)
    out = _recall(img, found.copy(), area=(0, 0, 419, 130))
    assert not (out & missed).any()  # outside the area
    assert (_recall(img, np.zeros_like(found)) == 0).all()  # no candidates: nothing to take an ink from
    blank = np.full_like(img, 255)
    same = found.copy()
    assert _recall(blank, same) is same  # candidates of the page's colour: no ink, the mask itself back


def test_series_inks_are_the_crowded_colours_far_from_the_background():
    rng = np.random.default_rng(0)
    bg = np.array([100.0, 0.0, 0.0])  # CIE Lab white
    ink = np.array([40.0, 50.0, 20.0])
    lab8 = lambda c: np.clip(np.round([c[0] * 255 / 100, c[1] + 128, c[2] + 128]), 0, 255)  # noqa: E731
    px = [lab8(ink + rng.normal(0, 0.5, 3)) for _ in range(300)]  # the ink
    px += [lab8(bg + rng.normal(0, 0.5, 3)) for _ in range(300)]  # page-coloured band pixels
    px += [lab8(rng.uniform([0, -80, -80], [100, 80, 80])) for _ in range(100)]  # blends, spread thin
    inks = series_inks(np.array(px, np.uint8), [bg])
    assert len(inks) >= 1
    assert np.linalg.norm(inks - ink, axis=1).max() < 3.0


def test_near_inks_agrees_with_the_distance_measured_pixel_by_pixel():
    rng = np.random.default_rng(1)
    lab8 = rng.integers(0, 256, (200, 300, 3)).astype(np.uint8)
    inks = _cie(rng.integers(0, 256, (5, 3)).astype(np.uint8))
    lab8[:50] = np.clip(np.round(np.array([inks[0][0] * 255 / 100, inks[0][1] + 128, inks[0][2] + 128])
                                 + rng.normal(0, 3, (50, 300, 3))), 0, 255).astype(np.uint8)  # near one ink
    want = (((_cie(lab8)[..., None, :] - inks) ** 2).sum(-1) <= INK_TOL ** 2).any(-1)
    assert want.sum() > 1000
    assert (near_inks(lab8, inks) == want).all()


def test_short_stretches_between_found_ones_are_added_but_not_short_pieces_alone():
    """A zigzag whose peaks the network missed (pygal's and plotly's sharp turns): each
    missed tip is far shorter than SPAN, but it carries on the strokes found beside it; a
    lone dash of the same ink far from every candidate stays out."""
    img = np.full((260, 420, 3), 255, np.uint8)
    pts = np.array([[40 + 30 * i, 100 if i % 2 else 160] for i in range(12)], np.int32)
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (60, 60, 60), 2)
    line = np.zeros((260, 420), np.uint8)
    cv2.polylines(line, [pts.reshape(-1, 1, 2)], False, 1, 2)
    line = line > 0
    tips = np.zeros_like(line)
    tips[:108] = True  # the top peaks' last 8 rows
    tips[152:] = True  # and the bottom ones'
    cv2.line(img, (200, 30), (210, 31), (60, 60, 60), 2)  # a lone dash of the same ink
    out = _recall(img, line & ~tips)
    assert (out & line & tips).sum() >= 0.9 * (line & tips).sum()
    assert not out[25:37, 195:215].any()
