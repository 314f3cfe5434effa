"""Markers drawn over one another (points at close x values): one blob, several markers."""

import cv2
import numpy as np

from linegroup.markers import find_markers
from linegroup.markers.piles import split_piles

S = 16  # cv2 drawing with 4 fractional bits: sub-pixel centres


def _chart(piles=((150.0, 7.0), (290.0, 8.0))):
    """A line of filled discs (radius 6) every 36 px, and at each (x, dx) of piles a second
    disc dx px to the right of the one drawn at x: two points measured close together."""
    img = np.full((200, 440, 3), 255, np.uint8)
    xs = np.arange(30.0, 420.0, 36.0) + 0.3
    pts = np.column_stack([xs, 100 + 40 * np.sin(xs / 60) + 0.4])
    for x, dx in piles:
        i = int(np.argmin(np.abs(pts[:, 0] - x)))
        pts = np.vstack([pts, pts[i] + (dx, 1.5)])
    pts = pts[np.argsort(pts[:, 0])]
    cv2.polylines(img, [np.round(pts * S).astype(np.int32).reshape(-1, 1, 2)], False, (40, 90, 180), 1, cv2.LINE_AA, 4)
    for p in pts:
        cv2.circle(img, (int(round(p[0] * S)), int(round(p[1] * S))), 6 * S, (40, 90, 180), -1, cv2.LINE_AA, 4)
    mask = np.zeros(img.shape[:2], np.uint16)  # the line's pixels, as oracle candidates: every pixel of its ink
    ink = (np.abs(img.astype(int) - 255).sum(2) > 60)
    mask[ink] = 1
    return img, pts, mask


def _nearest(found, truth):
    found = np.asarray(found, float).reshape(-1, 2)
    return np.sqrt(((found[:, None] - truth[None]) ** 2).sum(-1)).min(0)


def test_two_markers_a_radius_apart_are_two_points():
    img, pts, mask = _chart()
    got = find_markers(img, mask)[1]["markers"]
    assert len(got) == len(pts) == 13
    assert _nearest(got, pts).max() <= 3.0  # a pile's centres lie a little inside the true ones


def test_separate_markers_are_not_split():
    img, pts, mask = _chart(piles=())
    got = find_markers(img, mask)[1]["markers"]
    assert len(got) == len(pts) == 11
    assert _nearest(got, pts).max() <= 0.5


def _ctx(body, own):
    path = cv2.distanceTransform((1 - own).astype(np.uint8), cv2.DIST_L2, 3)
    return {"cand": body > 0, "path": path}


def test_a_blob_that_is_not_the_lines_own_is_not_split():
    """The line's colour, not its pixels (another series of that colour): left as found."""
    body = np.zeros((60, 200), np.float32)
    centres = [(20.0, 30.0), (60.0, 30.0), (100.0, 30.0)]
    for x, y in centres:
        cv2.circle(body, (int(x), int(y)), 6, 1.0, -1)
    cv2.circle(body, (140, 30), 6, 1.0, -1)
    cv2.circle(body, (148, 30), 6, 1.0, -1)  # a pile of two at 140-148
    det = np.array([[x, y, 0.9, 0.0] for x, y in centres + [(144.0, 30.0)]])
    own = (body > 0).astype(np.uint8)
    assert len(split_piles(body, det, _ctx(body, own))) == 5  # its own pile: two markers
    own[:, 130:] = 0
    own[30, 130:] = 1  # only a connector through the pile is the line's
    assert len(split_piles(body, det, _ctx(body, own))) == 4


def test_piles_of_small_markers_are_left_as_found():
    """Markers under MIN_AREA px: their area is mostly rim and blur, no count to trust."""
    body = np.zeros((40, 200), np.float32)
    centres = [(20.0, 20.0), (50.0, 20.0), (80.0, 20.0)]
    for x, y in centres:
        cv2.circle(body, (int(x), int(y)), 3, 1.0, -1)  # about 29 px each
    cv2.circle(body, (120, 20), 3, 1.0, -1)
    cv2.circle(body, (124, 20), 3, 1.0, -1)  # a pile of two
    det = np.array([[x, y, 0.9, 0.0] for x, y in centres + [(122.0, 20.0)]])
    own = (body > 0).astype(np.uint8)
    assert len(split_piles(body, det, _ctx(body, own))) == 4
