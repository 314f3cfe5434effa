"""The last step of the grouping: every pixel not yet in a line goes to the nearest line.

    labels = assign_leftovers(xs, ys, labels, drop_far=False, lab=lab, ink=ink, bg=bg, unit=unit)

`labels` (N,) holds 1..K for the pixels of the lines the linking made and 0 for the
rest: shared fragments (where lines cross or run together), marker outlines, specks,
chains too small to be a series. Each line's path is its column centres, linearly
interpolated across its gaps. A leftover pixel at column x is as far from a line as
its path at x is in y; from a line that does not reach x, as the Euclidean distance to
its nearer end. At a crossing, both lines are interpolated through the shared piece
from both sides, so each keeps the half of the pixels on its own path and both stay
continuous.

Where lines differ in colour, the pixel's own colour decides what the paths cannot: a
thin line running along a thick one shares its runs, and there both paths are within a
pixel or two. With the pixels' Lab colour and each line's ink and background, a pixel's
cost for a line is its path distance plus COLOUR_PX px per unit of Lab distance from the
line's colours (the segment from its ink to its background: an anti-aliased rim pixel
is a mix of the two), that distance capped at COLOUR_CAP so that a pixel of no line's
colour (a marker's outline in another colour) is placed by its path alone. Lines of one
colour cost the same, and the path decides.

`unit` (N,) groups leftover pixels that go to one line together (a chain too small to be
a series, a run of marker outlines): the line with the least summed cost takes them all.
Pixels with unit -1 (shared pieces, which two lines split between them) go one by one.

With the model's own candidates (`drop_far`), leftovers farther than `far` px from
every line's path stay 0 (text, arrows); with the user's candidates no pixel is dropped.

`grow_into`, after the series judge in `predict`: those far leftovers that connect to a
kept line through one another within a few pixels of its own, and are of its ink, join
it. A jagged series' spike rises far above the centre of its columns, so the tip's
pixels are far from the path but beside the line's ink.
"""

from __future__ import annotations

import cv2
import numpy as np

CHUNK = 1 << 16  # leftover pixels scored per block (bounds the (lines, pixels) cost matrix)
COLOUR_PX = 1.0  # px of path distance one unit of Lab colour distance costs
COLOUR_CAP = 40.0  # Lab distance beyond which a colour tells nothing more
INK_SHARE = 0.75  # grow_into: a pixel joins a line only if its blend position from the line's ink
#   (0) to the background (1) is at most this: a faint grid line beside it stays out
GROW_MIX = 20.0  # grow_into: Lab distance from the blends of a line's ink with the background
#   beyond which a pixel is another colour (INK_SHARE and GROW_MIX chosen on the foreign tune
#   split, end to end: 0.5 / 10, 0.75 / 10, 0.5 / 20 and 0.75 / 20 gave ARI 0.784, 0.786, 0.787
#   and 0.789, PQ 0.768 in all; without the colour test the hard set's precision fell 0.952 -> 0.947)


def line_paths(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray):
    """Per line 1..K: (columns, mean y per column), sorted by column."""
    k = int(labels.max()) if len(labels) else 0
    sel = labels > 0
    w = int(xs.max()) + 1 if len(xs) else 1
    key = labels[sel].astype(np.int64) * w + xs[sel]
    uk, inv = np.unique(key, return_inverse=True)
    cnt = np.bincount(inv)
    ysum = np.bincount(inv, weights=ys[sel])
    lab, col = uk // w, uk % w
    ymean = ysum / cnt
    bounds = np.searchsorted(lab, np.arange(1, k + 2))
    return [(col[bounds[c]:bounds[c + 1]], ymean[bounds[c]:bounds[c + 1]]) for c in range(k)]


def path_distance(paths, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """(K, n) distance of each pixel to each line's path."""
    out = np.empty((len(paths), len(px)))
    for c, (cols, yc) in enumerate(paths):
        if len(cols) == 0:
            out[c] = np.inf
            continue
        out[c] = np.abs(py - np.interp(px, cols, yc))
        o = np.flatnonzero((px < cols[0]) | (px > cols[-1]))  # beyond its ends: to the nearer end
        if len(o):
            left = np.hypot(px[o] - cols[0], py[o] - yc[0])
            right = np.hypot(px[o] - cols[-1], py[o] - yc[-1])
            out[c, o] = np.minimum(left, right)
    return out


def segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lab distance of colours p (..., 3) from the segments a -> b (..., 3), broadcast over
    the leading axes: how far each is from every blend of a with b (an ink with its
    background, an anti-aliased pixel or a thin stroke's paler core)."""
    seg, rel = b - a, p - a
    ss = np.einsum("...j,...j->...", seg, seg)
    rs = np.einsum("...j,...j->...", rel, seg)
    t = np.clip(rs / np.maximum(ss, 1e-6), 0.0, 1.0)
    return np.sqrt(np.maximum(np.einsum("...j,...j->...", rel, rel) - 2 * t * rs + t * t * ss, 0.0))


def mix_distance(lab: np.ndarray, ink: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """(K, n) Lab distance of each colour lab (n, 3) to each line's segment from its ink
    (K, 3) to its background (K, 3): how far the pixel is from any blend of the two.
    Written with (K, 3) x (3, n) products in float32, not (K, n, 3) arrays."""
    lab = np.asarray(lab, np.float32)
    ink = np.asarray(ink, np.float32)
    seg = np.asarray(bg, np.float32) - ink  # (K, 3)
    ss = np.maximum((seg * seg).sum(1), np.float32(1e-6))[:, None]
    u_seg = seg @ lab.T - (ink * seg).sum(1)[:, None]  # (c - ink) . seg
    u_u = (lab * lab).sum(1)[None] - 2 * ink @ lab.T + (ink * ink).sum(1)[:, None]  # |c - ink|^2
    t = np.clip(u_seg / ss, np.float32(0), np.float32(1))
    return np.sqrt(np.maximum(u_u - 2 * t * u_seg + t * t * ss, np.float32(0)))


def assign_leftovers(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, drop_far: bool = False,
                     far: float = 12.0, lab: np.ndarray | None = None, ink: np.ndarray | None = None,
                     bg: np.ndarray | None = None, unit: np.ndarray | None = None) -> np.ndarray:
    """Labels with every 0 replaced by its nearest line (see the module docstring).
    lab: (N, 3) the pixels' Lab; ink, bg: (K, 3) line k + 1's ink and background (all
    three or none: without them the path alone decides); unit: (N,) ids >= 0 of pixels
    that go together, -1 for one by one."""
    labels = np.asarray(labels).astype(np.int64).copy()
    rest = np.flatnonzero(labels == 0)
    if len(rest) == 0 or labels.max() == 0:
        return labels
    paths = line_paths(xs, ys, labels)
    colour = lab is not None and ink is not None and bg is not None and len(ink) == len(paths)
    best = np.empty(len(rest), np.int64)
    dmin = np.empty(len(rest))
    cost = np.empty((len(paths), len(rest)), np.float32) if unit is not None else None
    for s in range(0, len(rest), CHUNK):
        idx = rest[s:s + CHUNK]
        d = path_distance(paths, xs[idx].astype(np.float64), ys[idx].astype(np.float64))
        dmin[s:s + len(idx)] = d.min(0)
        if colour:
            d += COLOUR_PX * np.minimum(mix_distance(lab[idx], ink, bg), COLOUR_CAP)
        best[s:s + len(idx)] = d.argmin(0)
        if cost is not None:
            cost[:, s:s + len(idx)] = d
    if unit is not None:
        u = np.asarray(unit)[rest]
        grouped = np.flatnonzero(u >= 0)
        if len(grouped):
            _, inv = np.unique(u[grouped], return_inverse=True)
            total = np.stack([np.bincount(inv, weights=cost[k, grouped]) for k in range(len(paths))])
            best[grouped] = total.argmin(0)[inv]
    ok = dmin <= far if drop_far else np.ones(len(rest), bool)
    labels[rest[ok]] = best[ok] + 1
    return labels


def grow_into(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, free: np.ndarray, steps: int,
              lab: np.ndarray | None = None, bg: np.ndarray | None = None, core: np.ndarray | None = None,
              max_mix: float = GROW_MIX) -> np.ndarray:
    """Labels with the pixels `free` (N,) bool (labels 0) that connect to a line through
    other free pixels, at most `steps` 8-neighbour steps away, given that line: each step
    a free pixel beside a line's pixel takes its label (the greater, where two lines meet
    it in one step). The network's band around a spike's tip lies far from the line's path
    (its column centres), which the leftovers' test measures, but joined to its ink.

    With lab (N, 3), bg (3,) and core (N,) bool, a free pixel joins a line only if its
    colour is within max_mix Lab of a blend of the line's ink (the mean of its core pixels)
    with the background, no more than INK_SHARE of the way to the background: grid lines,
    arrows and text of another colour that touch the line stay out, and so do faint pixels."""
    labels = np.asarray(labels).copy()
    go = np.flatnonzero(free & (labels == 0))
    k = int(labels.max()) if len(labels) else 0
    if steps <= 0 or len(go) == 0 or k == 0:
        return labels
    x0, y0 = int(xs.min()) - 1, int(ys.min()) - 1  # a border of one pixel: neighbours stay inside
    h, w = int(ys.max()) - y0 + 2, int(xs.max()) - x0 + 2
    at = np.full((h, w), -1, np.int32)  # grid -> the free pixel's index, while it is open
    at[ys[go] - y0, xs[go] - x0] = go
    ink = None
    if lab is not None and bg is not None and core is not None:  # each line's ink: its core's mean
        own = (labels > 0) & core
        n = np.maximum(np.bincount(labels[own], minlength=k + 1), 1)
        ink = np.stack([np.bincount(labels[own], weights=lab[own, j], minlength=k + 1) / n for j in range(3)], 1)
        bgv = np.asarray(bg, np.float64)[None]
    near = np.zeros((h, w), np.uint8)
    near[ys[go] - y0, xs[go] - x0] = 1
    near = cv2.dilate(near, np.ones((3, 3), np.uint8))
    front = np.flatnonzero((labels > 0) & near[ys - y0, xs - x0].astype(bool))  # lines' pixels beside free ones
    fy, fx, fl = ys[front] - y0, xs[front] - x0, labels[front]
    dy, dx = np.array([-1, -1, -1, 0, 0, 1, 1, 1]), np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    for _ in range(steps):  # one 8-neighbour step from the front
        ny, nx = (fy[:, None] + dy).ravel(), (fx[:, None] + dx).ravel()
        pix, to = at[ny, nx], np.repeat(fl, 8)
        m = pix >= 0
        pix, to = pix[m], to[m]
        if len(pix) == 0:
            break
        reached = np.unique(pix)
        if ink is not None:  # of the line's ink, or a blend of it with the background
            c, a = lab[pix].astype(np.float64), ink[to]
            sg = bgv - a
            t = ((c - a) * sg).sum(1) / np.maximum((sg * sg).sum(1), 1e-6)  # 0 at the ink, 1 at the background
            ok = (segment_distance(c, a, bgv) <= max_mix) & (t <= INK_SHARE)
            pix, to = pix[ok], to[ok]
        o = np.lexsort((to, pix))  # by pixel, then label: the last of each pixel's run has the greatest
        last = np.r_[pix[o][1:] != pix[o][:-1], True] if len(o) else np.zeros(0, bool)
        pix, to = pix[o][last], to[o][last]
        labels[pix] = to
        at[ys[reached] - y0, xs[reached] - x0] = -1  # taken, or of no reaching line's colour: closed
        fy, fx, fl = ys[pix] - y0, xs[pix] - x0, to
    return labels
