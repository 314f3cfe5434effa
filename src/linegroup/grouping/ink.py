"""The ink core of the model's own candidates: what the grouping links.

    core = ink_core(xs, ys, image, lab)   # (N,) bool

The network marks a band around each line, not the line's ink: it learned from polylines
drawn at one thickness, so a 1 px line comes out 4-5 px wide, two lines 3 px apart come
out as one band, and the band covers the gaps of a dash pattern, the inside of hollow
markers and patches of background beside a line. Fed the bands, the linking joins
lines that run close together. So with the model's own candidates the grouping links the
core, the candidates that stand off the background, and the other candidates go to the
nearest line afterwards (`leftovers.py`; like every leftover of the model's own
candidates, those farther than 12 px from every line stay unassigned).

A candidate stands off the background when its CIE Lab colour is at least CORE_LAB from
both pixels just above and just below its column's run of candidates (the background on
either side of the band; a pixel of another line there is farther still). The test is
relative where a series is faint: in a connected piece of candidates whose strongest
pixel is under CORE_LAB / CORE_SHARE, the threshold is CORE_SHARE of that strongest, so
a pale series on its own keeps its ink, while a patch of background joined to a darker
line does not.

Vectorised: one connected-components pass and per-pixel arithmetic.
"""

from __future__ import annotations

import cv2
import numpy as np

from .describe import pixels_lab, run_borders_lab
from .fragments import column_runs

CORE_LAB = 16.0  # Lab distance from the background on both sides that makes a candidate ink
CORE_SHARE = 0.5  # in a faint piece, a candidate at least this share of its strongest is ink


def ink_strength(xs: np.ndarray, ys: np.ndarray, image: np.ndarray, lab: np.ndarray | None = None) -> np.ndarray:
    """(N,) each candidate's Lab distance from the nearer of the two pixels just above and
    just below its column's run of candidates."""
    lab = pixels_lab(image, xs, ys) if lab is None else lab
    runs = column_runs(xs, ys)
    above, below = run_borders_lab(runs, image)
    rid = runs.pix_run
    da = lab - above[rid]
    db = lab - below[rid]
    return np.sqrt(np.minimum(np.einsum("ij,ij->i", da, da), np.einsum("ij,ij->i", db, db)))


def ink_core(xs: np.ndarray, ys: np.ndarray, image: np.ndarray, lab: np.ndarray | None = None,
             strength: bool = False):
    """(N,) bool: the candidates that are ink (see the module docstring); with strength=True,
    (core, ink_strength) from the one pass."""
    from scipy import ndimage

    xs = np.asarray(xs, np.int64)
    ys = np.asarray(ys, np.int64)
    if len(xs) == 0:
        return (np.zeros(0, bool), np.zeros(0)) if strength else np.zeros(0, bool)
    d = ink_strength(xs, ys, image, lab)
    x0, y0 = xs.min(), ys.min()
    m = np.zeros((int(ys.max() - y0) + 1, int(xs.max() - x0) + 1), np.uint8)
    m[ys - y0, xs - x0] = 1
    n, cc = cv2.connectedComponents(m, connectivity=8)
    c = cc[ys - y0, xs - x0]
    strongest = np.asarray(ndimage.maximum(d, c, np.arange(n)), np.float64)  # per piece; 0 is background
    core = d >= np.minimum(CORE_LAB, CORE_SHARE * strongest[c])
    return (core, d) if strength else core
