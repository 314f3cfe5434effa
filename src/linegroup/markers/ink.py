"""A line's ink around it: every pixel written as background + alpha x (line colour - background).

    from linegroup.markers.ink import background_colour, line_alpha, fill_holes, open_loops

Step 1 of the marker stage (`markers/__init__.py`): near a line's pixels, every pixel's
share alpha of the way from the background to the line's colour, read by projection on
that colour axis (pixels off the axis by over OFF_AXIS, another colour, get 0); the
background is the commonest colour of the lines' box. alpha >= INK_ALPHA is the line's
ink, and `fill_holes` fills what the ink encloses (hollow markers, rings cut by the
connector), so the anti-aliased rim of a thin stroke and of a marker falls out the same
way in every renderer. For the blobs and the template, `open_loops` opens again a region
whose rim is OTHERS_RIM or more other lines' pixels: two same-colour lines that cross
twice enclose it together, and it is no marker of either, unless most of the line's holes
are of its size (its hollow markers, whose outlines the grouping gave partly to a
same-colour line); holes that a thin stroke cuts apart are judged as one. Dense bands
keep every hole filled: inside a band of markers overlapping another series' markers, the
gaps are small and their rims mixed.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..orderstats import above_percentile, median

INK_ALPHA = 0.5  # share of the way from background to the line's colour that makes a pixel its ink
MAX_ALPHA = 1.8  # pixels past the line's colour by more than this are another, darker ink
OFF_AXIS = 0.3  # colour distance off the background->line axis, as a share of |line - background|
MIN_CONTRAST = 25.0  # a line whose colour is this close (RGB) to the background gets no markers
MIN_INKED = 0.05  # ...and so does one whose pixels are under this share farther from it (no ink to read)
OTHERS_RIM = 0.3  # a hole whose rim is this share of other lines' pixels is theirs and this line's loop, not a marker,
SAME_HOLES = 3  # unless at least this many other holes of the line, and SAME_SHARE of its holes of MIN_HOLE
SAME_SHARE = 0.5  # px or more, are of its area (within HOLE_SPREAD): loops differ in size, a series' hollow
HOLE_SPREAD = 0.15  # markers (whose outline the grouping gave partly to a same-colour line) do not
MIN_HOLE = 8  # px


def background_colour(img: np.ndarray) -> np.ndarray:
    """The plot's background colour: the commonest colour (16 levels a channel) of the lines'
    box and its margin, every third pixel each way."""
    box = img[::3, ::3].reshape(-1, 3)
    if box.dtype == np.uint8:
        q = (box >> 4).astype(np.intp)
    else:
        box = box.astype(np.float32)
        q = (box // 16).astype(np.intp)
    key = (q[:, 0] * 16 + q[:, 1]) * 16 + q[:, 2]
    sel = key == np.bincount(key).argmax()
    if box.dtype == np.uint8:
        total = sel.astype(np.float64) @ box  # exact channel sums of the commonest bin's pixels
        if total.max() < 2 ** 24:  # then float32 sums are exact in any order too: numpy's float32 mean
            return (total / np.count_nonzero(sel)).astype(np.float32)
    return box[sel].astype(np.float32).mean(0).astype(np.float32)


def line_alpha(v: np.ndarray, vv: np.ndarray, mine: np.ndarray, near: np.ndarray):
    """(h, w) float32: per pixel of the band, its share of the way from the background to the
    line's colour (0 off the band, and for pixels of another colour). None: no contrast.
    v, vv: the crop less the background and its squared length; mine: the line's own pixels' v."""
    dist = np.einsum("ij,ij->i", mine, mine)
    inked = dist >= MIN_CONTRAST ** 2  # candidates may hold background too (a loose mask, a hollow marker's inside)
    if np.count_nonzero(inked) < MIN_INKED * len(dist):
        return None
    if not inked.all():
        mine, dist = mine[inked], dist[inked]
    colour = median(mine[above_percentile(dist, 70)])  # the stroke's core, not its rim
    dn = float(np.dot(colour, colour))
    if dn < MIN_CONTRAST ** 2:
        return None
    a = cv2.transform(v, (colour / dn).reshape(1, 3).astype(np.float32))
    off2 = a * a
    off2 *= dn
    np.subtract(vv, off2, out=off2)  # squared colour distance off the background -> line axis
    ok = off2 <= (OFF_AXIS * np.sqrt(dn) + 12) ** 2
    ok &= a <= MAX_ALPHA
    ok &= near.view(bool)  # near: 0/1
    np.clip(a, 0, 1, out=a)
    a[~ok] = 0
    return a


def fill_holes(ink: np.ndarray) -> np.ndarray:
    """ink (uint8 0/1) with every background region it encloses filled (rings, hollow squares)."""
    h, w = ink.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = ink
    cv2.floodFill(pad, None, (0, 0), 2)  # the background reachable from outside
    return (pad[1:-1, 1:-1] != 2).astype(np.uint8)


def open_loops(filled: np.ndarray, ink: np.ndarray, lines: np.ndarray, own: np.ndarray) -> np.ndarray:
    """filled (fill_holes of ink, uint8 0/1) with the regions whose rim is OTHERS_RIM or more
    other lines' pixels (lines and not own, both uint8 0/1, read in the holes' box only) open
    again: the loop two same-colour lines make where they cross twice; not a region of the
    size of most of the line's (a series' hollow markers). Holes that a thin stroke cuts
    apart (the connector, a same-colour line through a hollow marker) are judged as one."""
    holes = filled - ink
    if not holes.any():
        return filled
    x, y, w, h = cv2.boundingRect(holes)  # work in the holes' box, and 8 px round it: all a rim can reach
    y0, x0, y1, x1 = max(y - 8, 0), max(x - 8, 0), y + h + 8, x + w + 8
    others = lines[y0:y1, x0:x1] & (1 - own[y0:y1, x0:x1])
    if not others.any():
        return filled
    holes, ink = holes[y0:y1, x0:x1], ink[y0:y1, x0:x1]
    cut = cv2.morphologyEx(holes, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)) & (holes | ink)
    n, lab = cv2.connectedComponents(cut, connectivity=4)
    ry, rx = np.nonzero((cv2.dilate(cut, np.ones((3, 3), np.uint8)) > cut) & (ink > 0))  # the holes' rims
    pad = np.pad(lab, 1)
    near = np.zeros(len(ry), lab.dtype)  # the label of the hole next to each rim pixel (the largest, as a dilation)
    for dy in range(3):
        for dx in range(3):
            np.maximum(near, pad[ry + dy, rx + dx], out=near)
    total = np.bincount(near, minlength=n)
    other = np.bincount(near[others[ry, rx] > 0], minlength=n)
    shut = other >= OTHERS_RIM * np.maximum(total, 1)
    area = np.bincount(lab[holes > 0], minlength=n).astype(np.float64)
    ranked = np.sort(area[1:][area[1:] >= MIN_HOLE])  # a hole of the size of most of the line's holes is a
    alike = (np.searchsorted(ranked, area * (1 + HOLE_SPREAD), "right")
             - np.searchsorted(ranked, area * (1 - HOLE_SPREAD)))
    shut &= (alike <= SAME_HOLES) | (alike < SAME_SHARE * len(ranked))  # repeated hollow marker, not a loop
    shut[0] = False
    if not shut.any():
        return filled
    out = filled.copy()
    out[y0:y1, x0:x1][shut[lab] & (holes > 0)] = 0
    return out
