"""Where matplotlib's Agg renderer really draws a marker, for the synthetic charts' truth.

    from linegroup.markersnap import drawn_centres
    xy = drawn_centres(artist, disp, height)   # (n, 2) image pixels (integer = pixel centre)

Agg does not draw a marker at its data point's exact display position: it rounds the
position to the pixel grid, and for some marker paths (squares, diamonds, triangles,
stars, ...) it also snaps the path's vertices, shifting the glyph by a further half
pixel. The drawn origin of a marker whose display position is (xd, yd) in a canvas
`height` px tall is therefore

    (floor(xd + 0.5), floor(height - yd + 0.5)) + c

in image pixels, c a constant of the marker's style (shape, size, edge width, fill,
antialiasing, dpi). Recording the unrounded position instead put the hard set's truth
0.37 px left of and 0.37 px above the drawn markers on average (up to a pixel off), as
much as a good centre estimate's own error.

c is measured once per style on a scratch canvas: the style's marker is drawn at a known
position (FRACTION past a pixel corner), and its ink's centroid less the glyph's own
centroid offset gives its drawn origin. The glyph's offset (the ink
centroid of a triangle or a hollow outline is not its origin) comes from the same marker
drawn SUPER times larger, where the grid's rounding is SUPER times smaller. The origin
is the marker path's (0, 0): the centre of a circle, square or star, the box centre of
matplotlib's triangles.
"""

from __future__ import annotations

import functools

import numpy as np

SUPER = 16  # the glyph's own centroid offset is measured on a marker this many times larger
FRACTION = 0.25  # the scratch marker's display position lies this far past a pixel corner


def drawn_centres(artist, disp: np.ndarray, height: int) -> np.ndarray:
    """(n, 2) image pixels where Agg draws the markers of Line2D `artist` whose display
    positions are disp (n, 2); height: the canvas' height in px."""
    disp = np.asarray(disp, float).reshape(-1, 2)
    base = np.column_stack([np.floor(disp[:, 0] + 0.5), np.floor(height - disp[:, 1] + 0.5)])
    if len(disp) == 0 or not artist.get_marker() or artist.get_marker() == "None":
        return base
    dpi = float(artist.figure.dpi)
    return base + np.asarray(_offset(*_style(artist), dpi))


def _style(artist) -> tuple:
    """The properties that decide how a marker is drawn, as a hashable key (sizes in points)."""
    face = artist.get_markerfacecolor()
    hollow = isinstance(face, str) and face == "none"
    return (str(artist.get_marker()), round(float(artist.get_markersize()), 4),
            round(float(artist.get_markeredgewidth()), 4), hollow, bool(artist.get_antialiased()),
            str(artist.get_fillstyle()))


@functools.lru_cache(maxsize=512)
def _offset(marker: str, size: float, edge: float, hollow: bool, aa: bool, fill: str, dpi: float) -> tuple:
    """c of the module docstring for one marker style: the drawn origin less the rounded position."""
    side = int(np.ceil(2 * (size + edge) * dpi / 72)) + 8  # px: the scratch canvas, twice the marker
    big = _centroid(marker, size * SUPER, edge * SUPER, hollow, aa, fill, dpi, side * SUPER)
    at = side * SUPER / 2 + FRACTION
    own = (big - (at - 0.5, at - 0.5)) / SUPER  # the glyph's ink centroid less its origin, in px
    drawn = _centroid(marker, size, edge, hollow, aa, fill, dpi, side)
    at = side / 2 + FRACTION
    c = drawn - own - (np.floor(at + 0.5), np.floor(side - at + 0.5))
    return float(c[0]), float(c[1])


def _centroid(marker, size, edge, hollow, aa, fill, dpi, side) -> np.ndarray:
    """Ink centroid (x, y image pixels) of one marker drawn in black on a white canvas side px
    square, at display position side / 2 + FRACTION on both axes (no axes: the line is the
    figure's own artist, in display pixels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import IdentityTransform

    fig = Figure(figsize=(side / dpi, side / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    at = side / 2 + FRACTION
    fig.add_artist(Line2D([at], [at], transform=IdentityTransform(), linestyle="None", marker=marker,
                          markersize=size, markeredgewidth=edge, color="k",
                          markerfacecolor="none" if hollow else "k", fillstyle=fill, antialiased=aa))
    fig.canvas.draw()
    ink = 255 - np.asarray(fig.canvas.buffer_rgba())[..., 0]  # black on white: one channel says it all
    ys, xs = np.nonzero(ink)
    w = ink[ys, xs].astype(float)
    return np.array([xs @ w, ys @ w]) / max(w.sum(), 1e-9)
