"""Legend entries: a swatch with its label, repeated in a column or a row.

    boxes = find_legend(image, area)      # (k, 4) x0, y0, x1, y1 of each entry (swatch and label)
    cand = drop_legend(cand, legend_mask(image, area))   # the candidates' pieces that lie in the legend go

A network that finds line pixels also finds a legend's swatches (drawn with the series'
own pens) and often its labels; grouped, they come out as an extra "line" strung across
the legend, or join a series that passes near. On the foreign-renderer report split, 13
of the 16 lines found end to end on no true line were legends (pygal's boxes and labels
inside the plot, plotly's legend row under it). `marks.find_marks` catches line swatches
that the network marks as clean strokes; this finds the entries in the image itself,
whatever the network made of them, by what a legend is:

  * a swatch: a small filled box (SWATCH_BOX px a side, about square) or a short level
    stroke (SWATCH_LINE px long, at least LINE_ASPECT times longer than tall, a marker in
    its middle allowed) of ink, that is, pixels off both the page's and the plot panel's
    colour by more than INK in some RGB channel;
  * its label: text right of it, starting within LABEL_GAP swatch heights (at least
    LABEL_GAP_MIN px): ink pieces no taller than TEXT_TALL times the row's height, chained
    left to right with gaps under WORD_GAP row heights, at least LABEL_MIN px long;
  * repeated: at least MIN_ENTRIES entries whose swatches are of one kind and size
    (SIZE_TOL px), left-aligned in a column or centred on one row. A data series of
    square markers has no text beside each marker, and its markers are not stacked at one
    x or strung at one y with labels between them.

A column of entries then goes on by its pitch over rows that look like entries (ink in
the swatch's columns and the label's first ones, little in the gap between: EXTEND_*),
for entries not found on their own (a swatch touched by a series). A legend with a single
entry is not found (nothing to tell it from a labelled marker). The mask covers each
entry's box grown by PAD px; `drop_legend` takes the candidates' pieces that lie half or
more in it (INSIDE), and leaves whole a series that passes through the legend. Vectorised over pixels; Python loops run
over the swatches found (a handful).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.sparse.csgraph import connected_components

from ..labels import components
from .marks import end_tilt

INK = 24  # a pixel differing from the page's and the panel's colour by more than this in a channel is ink
SWATCH_BOX = (7, 30)  # px: a box swatch's side
BOX_SQUARE = 0.25  # a box's sides differ by at most this share of the longer
BOX_FILL = 0.8  # and its ink fills this share of its bounding box
SWATCH_LINE = (10, 70)  # px: a line swatch's length
LINE_ASPECT = 2.0  # a line swatch is this many times longer than tall
LINE_TALL = 18  # px: at most this tall (a marker in its middle)
END_THICK = 5  # px: a line swatch's end columns are thin runs...
END_LEVEL = 1.5  # px: ... on about one row; or it is a solid bar (a thick line's sample):
SOLID = 0.9  # its ink fills this share of its box (a word closed along its rows has holes and ascenders)
LINE_CLOSE = 4  # px: gaps along a dashed or dotted line swatch up to this are closed
LABEL_GAP = 2.5  # the label starts within this many swatch heights right of the swatch...
LABEL_GAP_MIN = 12  # ... or this many px
LABEL_GAP_LO = 2  # px: and more than this (a word's letters are closer to one another)
TEXT_TALL = 2.0  # a label's pieces are at most this many row heights tall
ROW_MIN = 12  # px: the row height assumed for a thin line swatch (its text is taller)
TEXT_MIN = 5  # px: and at least this tall, and TEXT_SHARE of the row (a dash of a grid line is no letter)
TEXT_SHARE = 0.4
PIECE_WIDE = 6.0  # and at most this many row heights long (a word whose letters touch; not a series' stroke)
WORD_GAP = 1.5  # pieces of a label are at most this many row heights apart
LABEL_MIN = 6  # px: a label is at least this long
WORD_ASPECT = 1.5  # a label of one piece is a word: this many times longer than tall
BASELINE = 1  # px: the label's pieces end within this of their median bottom row...
BASELINE_SHARE = 0.6  # ... this share of them at least (letters on a baseline; a series' dashes are not)
PITCH = 3.0  # rows: entries of a column legend are at most this far apart, centre to centre
APART = 0.8  # rows: ... and at least this far (entries do not overlap)
ROW_GAP = 0.8  # rows: in a row legend a label ends this far before the next entry's swatch or farther
EXTEND_SWATCH = 0.6  # a column of entries goes on to the next row of its pitch when the row has ink in this
EXTEND_LABEL = 0.3  # share of the swatch's columns, this share of the label's first ones,
EXTEND_GAP = 0.34  # and at most this share of the columns between them
MIN_ENTRIES = 2  # entries needed for a legend
SIZE_TOL = 2  # px: swatches of one legend agree in size (and left end, or centre row) within this
LINE_TOL = 0.2  # line swatches of one legend are as long within this share
PAD = 2  # px: each entry's box grows by this in the mask
CHUNK = 1 << 21  # swatch x piece pairs compared at once (bounds the memory on a huge page)
INSIDE = 0.5  # a piece of candidates goes with the legend when this share of its pixels lies in it


def ink_mask(image: np.ndarray, area: tuple | None) -> np.ndarray:
    """(H, W) uint8 0/1: pixels off the page's commonest colour, and the plot panel's when
    `area` (x0, y0, x1, y1) is given, by more than INK in some channel (the colours read on
    every other pixel each way)."""
    from ..markers.ink import background_colour

    img = np.ascontiguousarray(image[..., :3])
    out = _far(img, background_colour(img[::2, ::2]))
    if area is not None:
        x0, y0, x1, y1 = area
        panel = img[y0:y1 + 1, x0:x1 + 1]
        if panel.size:
            out &= _far(img, background_colour(panel[::2, ::2]))
    return out


def _far(img: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """uint8 0/1: pixels whose RGB differs from `colour` by more than INK in some channel."""
    c = np.round(colour).astype(np.int64)
    lo, hi = np.clip(c - INK, 0, 255), np.clip(c + INK, 0, 255)
    return 1 - cv2.inRange(img, lo.astype(np.uint8), hi.astype(np.uint8)) // 255


def find_legend(image: np.ndarray, area: tuple | None = None) -> np.ndarray:
    """(k, 4) int64 boxes x0, y0, x1, y1 (inclusive) of the legend entries found (module
    docstring); (0, 4) when there is no legend of MIN_ENTRIES or more."""
    ink = ink_mask(image, area)
    none = np.zeros((0, 4), np.int64)
    if not ink.any():
        return none
    n, lab, stats, _ = components(ink)
    if n <= 2:
        return none
    x, y, w, h, _ = stats.T
    # box swatches: the ink opened past a thin stroke, so that a box touched by a grid line or
    # a series stands alone (text and 1-2 px lines open away)
    _, _, bst, _ = components(cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))
    bx, by, bw, bh, ba = bst.T
    box = ((bw >= SWATCH_BOX[0]) & (bw <= SWATCH_BOX[1]) & (bh >= SWATCH_BOX[0]) & (bh <= SWATCH_BOX[1])
           & (np.abs(bw - bh) <= BOX_SQUARE * np.maximum(bw, bh)) & (ba >= BOX_FILL * bw * bh))
    # line swatches: the ink closed along rows, so that a dashed swatch is one piece
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, LINE_CLOSE), np.uint8))
    _, lab2, st2, _ = components(closed)
    lx, ly, lw, lh, _ = st2.T
    line = np.flatnonzero((lw >= SWATCH_LINE[0]) & (lw <= SWATCH_LINE[1]) & (lh <= LINE_TALL) & (lw >= LINE_ASPECT * lh))
    sw = np.concatenate([np.column_stack([bx, by, bw, bh])[box], np.column_stack([lx, ly, lw, lh])[line]])
    kind = np.r_[np.zeros(box.sum(), int), np.ones(len(line), int)]
    pieces = np.column_stack([x, y, x + w - 1, y + h - 1])
    # only swatches with a text-like piece starting at a label's distance right of them go on
    sx, sy, sww, sh = sw.T
    rows = np.where(kind == 1, np.maximum(sh, ROW_MIN), sh).astype(np.float64)
    right, cy = sx + sww - 1, sy + sh / 2
    start = np.empty(len(sw), np.int64)  # each swatch's nearest text-like piece right of it, in
    step = max(1, CHUNK // max(len(pieces), 1))  # blocks of swatches (a page of text has thousands of pieces)
    for i in range(0, len(sw), step):
        near = _texty(pieces, right[i:i + step], cy[i:i + step], rows[i:i + step])
        start[i:i + step] = np.where(near, pieces[None, :, 0], np.iinfo(np.int64).max).min(1)
    start -= right
    ok = (start > LABEL_GAP_LO) & (start <= np.maximum(LABEL_GAP * sh, LABEL_GAP_MIN))
    at = np.flatnonzero(ok & (kind == 1))  # line swatches: a level stroke's ends, or a solid bar (a thick
    li = line[at - box.sum()]  # line's sample), not a word closed along its rows
    ok[at] = _level_ends(lab2, st2, li) | (st2[li, 4] >= SOLID * st2[li, 2] * st2[li, 3])
    if np.count_nonzero(ok) < MIN_ENTRIES:
        return none
    entries = []  # (swatch index, label box, row height) for swatches with a label
    for i in np.flatnonzero(ok):
        lb = _label(pieces, lab, stats, right[i], cy[i], rows[i], max(LABEL_GAP * sh[i], LABEL_GAP_MIN))
        if lb is not None:
            entries.append((i, lb, max(rows[i], lb[3] - lb[1] + 1)))  # the row: the swatch's or its text's height
    if len(entries) < MIN_ENTRIES:
        return none
    idx = np.array([e[0] for e in entries])
    labels = np.array([e[1] for e in entries])
    rows = np.array([e[2] for e in entries], np.float64)
    s = sw[idx]
    k = kind[idx]
    # one kind and size: boxes within SIZE_TOL each way; line swatches as long within LINE_TOL
    # (a dashed pattern may stop short of the handle's end), of any height (markers differ)
    dw = np.abs(s[:, None, 2] - s[None, :, 2])
    same = (k[:, None] == k[None]) & np.where(
        k[:, None] == 1, dw <= np.maximum(SIZE_TOL, LINE_TOL * np.maximum(s[:, None, 2], s[None, :, 2])),
        (dw <= SIZE_TOL) & (np.abs(s[:, None, 3] - s[None, :, 3]) <= SIZE_TOL))
    # a column: swatches and labels left-aligned, the next entry within PITCH rows and not
    # over this one (APART)
    centre = s[:, 1] + s[:, 3] / 2
    column = ((np.abs(s[:, None, 0] - s[None, :, 0]) <= SIZE_TOL) & (np.abs(labels[:, None, 0] - labels[None, :, 0]) <= SIZE_TOL)
              & (np.abs(centre[:, None] - centre[None]) <= PITCH * np.maximum(rows[:, None], rows[None]))
              & (np.abs(centre[:, None] - centre[None]) >= APART * np.maximum(rows[:, None], rows[None])))
    # a row: centred on one line, a label ending ROW_GAP rows or more before the next swatch
    gap = np.maximum(s[None, :, 0] - labels[:, None, 2], s[:, None, 0] - labels[None, :, 2])
    row = (np.abs(centre[:, None] - centre[None]) <= SIZE_TOL) & (gap >= ROW_GAP * np.maximum(rows[:, None], rows[None]))
    np.fill_diagonal(same, False)
    keep = (same & (column | row)).sum(1) >= MIN_ENTRIES - 1
    if not keep.any():
        return none
    s, labels, col = s[keep], labels[keep], (same & column)[keep][:, keep]
    out = np.column_stack([np.minimum(s[:, 0], labels[:, 0]), np.minimum(s[:, 1], labels[:, 1]),
                           np.maximum(s[:, 0] + s[:, 2] - 1, labels[:, 2]), np.maximum(s[:, 1] + s[:, 3] - 1, labels[:, 3])])
    return np.concatenate([out, _extend_columns(ink, out, s, labels, centre[keep], col)]).astype(np.int64)


def _extend_columns(ink: np.ndarray, boxes: np.ndarray, sw: np.ndarray, labels: np.ndarray, centre: np.ndarray,
                    col: np.ndarray) -> np.ndarray:
    """Entries of the columns of `boxes` (col: pairs in one column) that were not found on
    their own (a swatch touched by a series, a label run into a grid line): each column goes
    on up and down by its pitch while the next row looks like an entry (`_entry_like`).
    sw: the swatches (x, y, w, h), labels: their labels' boxes. (k, 4) boxes added."""
    added = []
    h = ink.shape[0]
    _, comp = connected_components(col, directed=False)  # the columns: entries chained pitch by pitch
    for c in np.unique(comp):
        members = np.flatnonzero(comp == c)
        if len(members) < 2:
            continue
        order = members[np.argsort(centre[members])]
        pitch = float(np.median(np.diff(centre[order])))
        if pitch < TEXT_MIN:
            continue
        zones = (int(sw[members, 0].min()), int((sw[members, 0] + sw[members, 2] - 1).max()), int(labels[members, 0].min()))
        x1 = int(boxes[members, 2].max())
        half = max(1, int(round(float(np.median(sw[members, 3])) / 2)))
        for step, start in ((-pitch, centre[order[0]]), (pitch, centre[order[-1]])):
            c = start + step
            while half <= c < h - half:
                y0 = int(round(c)) - half
                if not _entry_like(ink[y0:y0 + 2 * half + 1], *zones):
                    break
                added.append((zones[0], y0, x1, y0 + 2 * half))
                c += step
    return np.array(added, np.int64).reshape(-1, 4)


def _entry_like(band: np.ndarray, sx0: int, sx1: int, lx0: int) -> bool:
    """Whether a row band of ink (the swatches' height) holds an entry: ink over EXTEND_SWATCH of
    the swatch's columns, over EXTEND_LABEL of the label's first columns (its width again), and
    in at most EXTEND_GAP of the columns between them (a series crossing the legend fills them)."""
    occ = band.any(0)
    sw = occ[sx0:sx1 + 1].mean() if sx1 >= sx0 else 0.0
    gap = occ[sx1 + 1:lx0].mean() if lx0 > sx1 + 1 else 0.0
    lab = occ[lx0:lx0 + (sx1 - sx0 + 1)].mean() if lx0 < len(occ) else 0.0
    return bool(sw >= EXTEND_SWATCH and gap <= EXTEND_GAP and lab >= EXTEND_LABEL)


def _level_ends(lab: np.ndarray, stats: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per component idx (rows of stats, label idx + 1): whether its first and last columns
    are each one thin run (at most END_THICK px) on about the same row (within END_LEVEL px):
    a stroke's ends; text closed along its rows ends in a letter's upright (`marks.end_tilt`)."""
    if len(idx) == 0:
        return np.zeros(0, bool)
    tilt, thick = end_tilt(lab, stats, idx)
    return (tilt <= END_LEVEL) & (thick <= END_THICK)


def _texty(pieces: np.ndarray, right, cy, row) -> np.ndarray:
    """(len(right), len(pieces)) bool: the pieces that may be letters of the label of each
    swatch (right end, centre row cy, row height): in its row, right of it, of a text's size."""
    x0, y0, x1, y1 = (v[None] for v in pieces.T)
    right, cy, row = (np.asarray(v, np.float64).reshape(-1, 1) for v in (right, cy, row))
    tall, wide = y1 - y0 + 1, x1 - x0 + 1
    return ((y0 <= cy + row) & (y1 >= cy - row) & (tall <= TEXT_TALL * row) & (tall >= np.maximum(TEXT_MIN, TEXT_SHARE * row))
            & (wide <= PIECE_WIDE * row) & (x0 > right))


def _label(pieces: np.ndarray, lab: np.ndarray, stats: np.ndarray, right: int, cy: float, row: float, gap: float):
    """The box (x0, y0, x1, y1) of the text right of a swatch whose right end is `right`
    and centre row cy, row: the row's height; lab, stats: the ink's components (pieces are
    their boxes); None when there is none (module docstring)."""
    x0, y0, x1, y1 = pieces.T
    tall = y1 - y0 + 1
    wide = x1 - x0 + 1
    near = _texty(pieces, right, cy, row)[0]
    idx = np.flatnonzero(near)
    if len(idx) == 0:
        return None
    idx = idx[np.argsort(x0[idx], kind="stable")]
    if x0[idx[0]] - right > gap or x0[idx[0]] - right <= LABEL_GAP_LO:  # letters of one word are closer
        return None
    end, last = x1[idx[0]], 0
    for j in range(1, len(idx)):  # the pieces chained left to right
        if x0[idx[j]] - end > WORD_GAP * row:
            break
        end, last = max(end, x1[idx[j]]), j
    chain = idx[:last + 1]
    if end - x0[idx[0]] + 1 < LABEL_MIN or y1[chain].max() - y0[chain].min() + 1 < TEXT_MIN:
        return None
    if len(chain) < 2 and (wide[chain[0]] < WORD_ASPECT * tall[chain[0]]  # one piece: a word, not a dot
                           or _level_ends(lab, stats, chain)[0]):  # or the next dash of a dashed series
        return None
    base = y1[chain]  # letters stand on one baseline (descenders below it)
    if np.mean(np.abs(base - np.median(base)) <= BASELINE) < BASELINE_SHARE:
        return None
    return x0[chain].min(), y0[chain].min(), end, y1[chain].max()


def drop_legend(cand: np.ndarray, legend: np.ndarray) -> np.ndarray:
    """cand (bool) without its connected pieces (8-connected) that lie INSIDE or more in the
    legend mask: a swatch and its label go; a series that passes through the legend, a
    piece mostly outside it, stays whole (its pixels in the legend too)."""
    inside = cand & legend
    if not inside.any():
        return cand
    n, lab = cv2.connectedComponents(cand.view(np.uint8), connectivity=8)
    total = np.bincount(lab[cand], minlength=n)
    within = np.bincount(lab[inside], minlength=n)
    gone = within >= INSIDE * np.maximum(total, 1)
    gone[0] = False
    return cand & ~gone[lab]


def legend_mask(image: np.ndarray, area: tuple | None = None) -> np.ndarray:
    """(H, W) bool: the legend entries' boxes (find_legend) grown by PAD px."""
    h, w = image.shape[:2]
    out = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in find_legend(image, area):
        out[max(0, y0 - PAD):y1 + PAD + 1, max(0, x0 - PAD):x1 + PAD + 1] = True
    return out
