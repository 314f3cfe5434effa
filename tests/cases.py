"""Small synthetic charts with known lines, drawn with OpenCV, for the grouping's known-answer tests.

    img, truth = draw([Line(xs, ys, color=(0, 0, 0), dash="dot"), ...], size=(360, 240))

`truth` is an (H, W) int32 label image: k = pixel of line k only, -1 = two or more lines
(a crossing), 0 = background. The candidates of a test are `truth != 0`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DASHES = {"solid": None, "dash": (10, 6), "dot": (2, 4), "dashdot": (10, 4, 2, 4)}


@dataclass
class Line:
    xs: np.ndarray
    ys: np.ndarray
    color: tuple = (0, 0, 0)  # RGB
    width: int = 2
    dash: str = "solid"
    marker: str = ""  # square, circle, triangle, or "" for none
    hollow: bool = False
    marker_size: int = 5  # half size in px
    marker_gap: int = 0  # px of connector left out around each marker (R's type = "b")


def _dense(xs, ys):
    """The polyline sampled every 0.5 px of arc length: (points (n, 2), arc length (n,))."""
    p = np.column_stack([xs, ys]).astype(np.float64)
    seg = np.hypot(*np.diff(p, axis=0).T)
    s = np.r_[0, np.cumsum(seg)]
    t = np.arange(0, s[-1], 0.5)
    return np.column_stack([np.interp(t, s, p[:, 0]), np.interp(t, s, p[:, 1])]), t


def _marker(layer, x, y, kind, r, hollow, w):
    c = (int(round(x)), int(round(y)))
    t = w if hollow else -1
    if kind == "square":
        cv2.rectangle(layer, (c[0] - r, c[1] - r), (c[0] + r, c[1] + r), 255, t)
    elif kind == "circle":
        cv2.circle(layer, c, r, 255, t)
    elif kind == "triangle":
        pts = np.array([[c[0], c[1] - r], [c[0] - r, c[1] + r], [c[0] + r, c[1] + r]], np.int32)
        if hollow:
            cv2.polylines(layer, [pts], True, 255, w)
        else:
            cv2.fillPoly(layer, [pts], 255)


def line_layer(ln: Line, shape) -> np.ndarray:
    """uint8 mask of one line as drawn."""
    layer = np.zeros(shape, np.uint8)
    pts, t = _dense(ln.xs, ln.ys)
    on = np.ones(len(t), bool)
    if DASHES[ln.dash]:
        pat = np.asarray(DASHES[ln.dash], float)
        pos = np.mod(t, pat.sum())
        edges = np.cumsum(pat)
        on = (np.searchsorted(edges, pos, side="right") % 2) == 0
    if ln.marker and ln.marker_gap:
        d = np.min(np.hypot(pts[:, None, 0] - np.asarray(ln.xs)[None], pts[:, None, 1] - np.asarray(ln.ys)[None]), 1)
        on &= d > ln.marker_size + ln.marker_gap
    # draw each "on" stretch as a polyline
    idx = np.flatnonzero(on)
    if len(idx):
        cuts = np.flatnonzero(np.diff(idx) > 1) + 1
        for piece in np.split(idx, cuts):
            q = np.round(pts[piece] * 16).astype(np.int32).reshape(-1, 1, 2)
            if len(piece) == 1:
                q = np.concatenate([q, q])
            cv2.polylines(layer, [q], False, 255, ln.width, cv2.LINE_8, shift=4)
    if ln.marker:
        for x, y in zip(ln.xs, ln.ys):
            _marker(layer, x, y, ln.marker, ln.marker_size, ln.hollow, max(1, ln.width - 1))
    return layer


def draw(lines: list, size=(360, 240), background=(255, 255, 255), box=None):
    """RGB image and truth labels; `box` (x0, y0, x1, y1): a filled legend box drawn over the lines."""
    w, h = size
    img = np.full((h, w, 3), background, np.uint8)
    truth = np.zeros((h, w), np.int32)
    count = np.zeros((h, w), np.int32)
    for k, ln in enumerate(lines, start=1):
        m = line_layer(ln, (h, w)) > 0
        img[m] = ln.color
        truth[m] = k
        count += m
    truth[count > 1] = -1
    if box is not None:
        x0, y0, x1, y1 = box
        img[y0:y1, x0:x1] = (250, 250, 250)
        cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), (0, 0, 0), 1)
        truth[y0:y1, x0:x1] = 0
    return img, truth


def work_or_die(path: str):
    """A batch worker's task (runner._work) that ends its process on inputs named *die*:
    what the kernel does to a worker out of memory."""
    import os

    from linegroup import runner

    if "die" in os.path.basename(path):
        os._exit(9)
    return runner._work(path)
