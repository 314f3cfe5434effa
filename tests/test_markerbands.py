"""Dense marker series: markers that overlap into one band are counted by the band's period."""

import cv2
import numpy as np
import pytest

from linegroup.markers.bands import band_markers
from linegroup.markers import find_markers

S = 16  # cv2 drawing with 4 fractional bits: sub-pixel centres
BLUE = (40, 90, 200)


def _path_mask(shape, pts):
    """The candidates of oracle mode for a line: its path at 2 px."""
    mask = np.zeros(shape[:2], np.uint16)
    cv2.polylines(mask, [np.round(pts).astype(np.int32).reshape(-1, 1, 2)], False, 1, 2)
    return mask


def _nearest(found, truth):
    found = np.asarray(found, float).reshape(-1, 2)
    return np.sqrt(((found[:, None] - truth[None]) ** 2).sum(-1)).min(0)


def dense_series(shape="disc", spacing=6.0, size=12, slope=0.3, n=40, hollow=False):
    """n markers `size` px wide, `spacing` px apart (overlapping), on a 2 px connector."""
    img = np.full((240, 420, 3), 255, np.uint8)
    i = np.arange(n)
    pts = np.column_stack([30 + spacing * i + 0.3, 120 + slope * spacing * (i - n / 2) + 8 * np.sin(i / 9) + 0.4])
    cv2.polylines(img, [np.round(pts * S).astype(np.int32)], False, BLUE, 2, cv2.LINE_AA, 4)
    r = size / 2
    for p in pts:
        if shape == "disc":
            cv2.circle(img, tuple(np.round(p * S).astype(int)), int(r * S), BLUE, 2 if hollow else -1, cv2.LINE_AA, 4)
        elif shape == "diamond":
            q = np.round(np.array([[p[0], p[1] - r], [p[0] + r, p[1]], [p[0], p[1] + r], [p[0] - r, p[1]]]) * S)
            q = q.astype(np.int32)
            if hollow:
                cv2.polylines(img, [q], True, BLUE, 2, cv2.LINE_AA, 4)
            else:
                cv2.fillPoly(img, [q], BLUE, cv2.LINE_AA, 4)
        else:
            a, b = np.round((p - r) * S).astype(int), np.round((p + r - 0.1) * S).astype(int)
            cv2.rectangle(img, tuple(a), tuple(b), BLUE, -1, cv2.LINE_AA, 4)
    return img, pts


@pytest.mark.parametrize("kind", [
    dict(shape="disc"),
    dict(shape="disc", slope=0.0),
    dict(shape="disc", hollow=True, spacing=7.0),
    dict(shape="diamond", hollow=True),
    dict(shape="square", spacing=8.0),
    dict(shape="disc", slope=1.0, spacing=5.0),
])
def test_every_marker_of_a_band_of_overlapping_markers_is_found(kind):
    img, pts = dense_series(**kind)
    got = find_markers(img, _path_mask(img.shape, pts))[1]
    assert len(got["markers"]) == len(pts)
    assert _nearest(got["markers"], pts).max() <= 2.5  # under half the spacing: each true one has its own
    assert np.median(_nearest(got["markers"], pts)) <= 1.0


def test_fifty_markers_count_fifty():
    """The period is read on its multiples: 50 markers 5.8 px apart give 50, not 49 or 52."""
    img = np.full((160, 420, 3), 255, np.uint8)
    pts = np.column_stack([40 + 5.8 * np.arange(50) + 0.2, 80 + 0.12 * 5.8 * np.arange(50)])
    for p in pts:
        cv2.circle(img, tuple(np.round(p * S).astype(int)), 6 * S, BLUE, -1, cv2.LINE_AA, 4)
    ink = (img.min(2) < 200).astype(np.uint8)
    alpha = (255 - img[:, :, 0].astype(np.float32)) / (255 - BLUE[0])
    centres, ranges, r = band_markers(ink, ink, np.clip(alpha, 0, 1))
    assert len(centres) == 50 and 5.5 <= r <= 7.0  # 6 px discs and their anti-aliased rim
    assert _nearest(centres, pts).max() <= 1.0


@pytest.mark.parametrize("dash", [None, (30, 8)])
def test_a_thick_line_without_markers_is_no_band(dash):
    img = np.full((240, 420, 3), 255, np.uint8)
    xs = np.arange(30, 390, 2.0)
    pts = np.column_stack([xs, 120 + 50 * np.sin(xs / 45)])
    if dash is None:
        cv2.polylines(img, [np.round(pts * S).astype(np.int32)], False, BLUE, 10, cv2.LINE_AA, 4)
    else:  # a dashed thick line: its dashes repeat, but the gaps between them are no band
        on, off = dash
        d = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
        keep = (d % (on + off)) < on
        for a, b, k in zip(pts[:-1], pts[1:], keep[:-1]):
            if k:
                cv2.line(img, tuple(np.round(a * S).astype(int)), tuple(np.round(b * S).astype(int)), BLUE, 10,
                         cv2.LINE_AA, 4)
    got = find_markers(img, _path_mask(img.shape, pts))[1]
    assert got["markers"] == []


def test_a_band_wider_than_any_marker_is_lines_run_together():
    """Several same-colour lines run into one 40 px ribbon: no marker band, whatever its edges do."""
    img = np.full((240, 420, 3), 255, np.uint8)
    xs = np.arange(30, 390, 1.0)
    for k in range(6):
        pts = np.column_stack([xs, 100 + 6 * k + 4 * np.sin(xs / 3 + k)])
        cv2.polylines(img, [np.round(pts * S).astype(np.int32)], False, BLUE, 3, cv2.LINE_AA, 4)
    mask = (img.min(2) < 200).astype(np.uint16)
    assert find_markers(img, mask)[1]["markers"] == []


def test_crowded_markers_on_the_flats_of_a_step_line_are_each_found():
    """A step line whose points crowd on three flats (12 overlapping discs each, 6 px apart),
    joined by thin risers: three bands, one period."""
    img = np.full((240, 420, 3), 255, np.uint8)
    pts, path = [], []
    for k, (x0, y) in enumerate([(30, 60.4), (150, 120.4), (270, 180.4)]):
        flat = np.column_stack([x0 + 6.0 * np.arange(12) + 0.3, np.full(12, y)])
        pts.append(flat)
        path += [flat[0], flat[-1]] + ([[flat[-1][0] + 50, y], [flat[-1][0] + 50, y + 60]] if k < 2 else [])
    pts, path = np.concatenate(pts), np.array(path)
    cv2.polylines(img, [np.round(path * S).astype(np.int32)], False, BLUE, 2, cv2.LINE_AA, 4)
    for p in pts:
        cv2.circle(img, tuple(np.round(p * S).astype(int)), 6 * S, BLUE, -1, cv2.LINE_AA, 4)
    got = find_markers(img, _path_mask(img.shape, path))[1]
    assert len(got["markers"]) == len(pts)
    assert _nearest(got["markers"], pts).max() <= 2.0


def test_a_band_and_separate_markers_on_one_line_are_all_found():
    """The first half of a series crowded into a band, the second half spread out: the band's
    markers by its period, the others by the template."""
    img = np.full((200, 420, 3), 255, np.uint8)
    xs = np.concatenate([30 + 6.0 * np.arange(20), 170 + 22.0 * np.arange(10)]) + 0.3
    pts = np.column_stack([xs, 100 + 0.15 * (xs - 200) + 0.4])
    cv2.polylines(img, [np.round(pts * S).astype(np.int32)], False, BLUE, 2, cv2.LINE_AA, 4)
    for p in pts:
        cv2.circle(img, tuple(np.round(p * S).astype(int)), 6 * S, BLUE, -1, cv2.LINE_AA, 4)
    got = find_markers(img, _path_mask(img.shape, pts))[1]
    assert len(pts) - 1 <= len(got["markers"]) <= len(pts)  # a 20-marker band's period is read to 2%: 19 or 20
    assert (_nearest(got["markers"], pts) <= 3.0).sum() >= len(pts) - 1


def test_a_band_beside_a_band_of_a_near_colour_is_counted_alone():
    """A second dense series of a near colour runs just above the first over half its length
    (touching it where it begins, then drawing away): its ink reads as the first line's too,
    but is not part of the first band's columns."""
    img, pts = dense_series(slope=0.0)
    near = (70, 110, 215)
    other = np.column_stack([pts[20:, 0] + 3.0, pts[20:, 1] - 11.0 - 0.5 * np.arange(20)])
    for p in other:
        cv2.circle(img, tuple(np.round(p * S).astype(int)), 6 * S, near, -1, cv2.LINE_AA, 4)
    mask = _path_mask(img.shape, pts)
    cv2.polylines(mask, [np.round(other).astype(np.int32).reshape(-1, 1, 2)], False, 2, 2)
    got = find_markers(img, mask)[1]
    assert len(got["markers"]) == len(pts)
    assert _nearest(got["markers"], pts).max() <= 2.5


def test_a_band_of_touching_triangles_is_counted():
    """Triangles of 8 px, 6.5 px apart, no connector: a saw-tooth band whose columns are mostly
    shallower than BAND_DEPTH between the tips, but deeper in a quarter of them."""
    img = np.full((240, 420, 3), 255, np.uint8)
    i = np.arange(40)
    pts = np.column_stack([30 + 6.5 * i + 0.3, 120 + 0.3 * 6.5 * (i - 20) + 0.4])
    for p in pts:
        q = np.round(np.array([[p[0], p[1] - 4], [p[0] + 4, p[1] + 2.8], [p[0] - 4, p[1] + 2.8]]) * S)
        cv2.fillPoly(img, [q.astype(np.int32)], BLUE, cv2.LINE_AA, 4)
    got = find_markers(img, _path_mask(img.shape, pts))[1]
    assert len(got["markers"]) == len(pts)
    assert _nearest(got["markers"], pts).max() <= 2.5
