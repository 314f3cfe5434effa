"""Where short texts such as tick labels may be, from the ink alone (no OCR model).

    boxes = text_proposals(image_rgb, area=None)    # (n, 4) int x0, y0, x1, y1

A text detector trained on documents misses many tick labels: one or two small glyphs
("0", "-1") next to a tick mark or a dashed grid line. Here glyphs are the connected
components of ink (pixels away from the background colour) of text size, outside the
plot area when it is known; glyphs closer than GAP text heights along a row join into
one word. Each word's box is widened to the left, where a thin minus sign (too flat to
pass as a glyph) may stand. The OCR engine reads these boxes with its recogniser alone.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..candidates.plotarea import background_diff

# ink: pixels this many levels away from the background colour
INK_DIFF = 60
# glyph height range in pixels, and widest glyph in heights
GLYPH_H = (5, 40)
GLYPH_MAX_ASPECT = 1.6
# glyphs join into a word when the gap between them is under this many text heights
GAP = 0.6
# a word is at most this many heights wide (longer runs are titles or legends, read by the detector)
MAX_WORD_ASPECT = 10.0
# the box grows by these many heights: left (a minus sign), right, top and bottom
PAD_LEFT, PAD_RIGHT, PAD_Y = 0.9, 0.15, 0.25
# at most this many proposals per image (the recogniser reads each), nearest the left and bottom edges first
MAX_PROPOSALS = 48
# a component this thin and at least 4 times as tall is a dash of a grid line, not a glyph
DASH_W = 2


def text_proposals(image: np.ndarray, area: tuple | None = None) -> np.ndarray:
    """Word boxes (n, 4) int x0, y0, x1, y1 of small texts, outside the plot area if given."""
    ink = (background_diff(image) > INK_DIFF).astype(np.uint8)
    _, lab, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h = (stats[:, k] for k in range(4))
    glyph = (h >= GLYPH_H[0]) & (h <= GLYPH_H[1]) & (w <= GLYPH_MAX_ASPECT * h)
    glyph &= ~((w <= DASH_W) & (h >= 4 * w))  # dashes of vertical grid lines
    glyph[0] = False
    if area is not None:  # tick labels lie outside the axes
        x0, y0, x1, y1 = area
        cx, cy = x + w / 2, y + h / 2
        glyph &= ~((cx > x0 + 2) & (cx < x1 - 2) & (cy > y0 + 2) & (cy < y1 - 2))
    if not glyph.any():
        return np.zeros((0, 4), int)
    text_h = float(np.median(h[glyph]))
    gm = glyph[lab].astype(np.uint8)
    k = max(1, int(round(GAP * text_h)))
    words = cv2.dilate(gm, np.ones((1, 2 * k + 1), np.uint8))
    _, _, ws, _ = cv2.connectedComponentsWithStats(words, connectivity=8)
    wx, wy, ww, wh = (ws[1:, j] for j in range(4))
    wx, ww = wx + k, ww - 2 * k  # undo the dilation's growth
    keep = (wh >= GLYPH_H[0]) & (wh <= 2.5 * text_h) & (ww <= MAX_WORD_ASPECT * wh) & (ww > 0)
    wx, wy, ww, wh = wx[keep], wy[keep], ww[keep], wh[keep]
    H, W = ink.shape
    boxes = np.column_stack([np.maximum(0, wx - PAD_LEFT * wh), np.maximum(0, wy - PAD_Y * wh),
                             np.minimum(W, wx + ww + PAD_RIGHT * wh), np.minimum(H, wy + wh + PAD_Y * wh)])
    edge = np.minimum(boxes[:, 0] / W, (H - boxes[:, 3]) / H)  # tick labels sit near the left and bottom
    return np.round(boxes[np.argsort(edge, kind="stable")]).astype(int)[:MAX_PROPOSALS]


def uncovered(proposals: np.ndarray, quads: list) -> np.ndarray:
    """The proposals that overlap none of the detected text quads' bounding boxes."""
    if len(proposals) == 0 or not quads:
        return proposals
    q = np.stack(quads)
    lo, hi = q.min(1), q.max(1)  # (m, 2)
    hit = ((proposals[:, None, :2] < hi[None]) & (proposals[:, None, 2:] > lo[None])).all(2).any(1)
    return proposals[~hit]
