"""Synthetic truth: a marker's recorded centre is where matplotlib's Agg really draws it."""

import numpy as np
import pytest

from linegroup.markersnap import drawn_centres


def _drawn(marker, size_px, dpi, hollow=False, antialiased=True):
    """Markers at random sub-pixel positions: (the artist, display positions, image, canvas height)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(300 / dpi, 200 / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    rng = np.random.default_rng(3)
    xs = np.arange(8) * 11 + 10 + rng.uniform(0, 1, 8)
    ys = 50 + (np.arange(8) % 2) * 20 + rng.uniform(0, 1, 8)
    (artist,) = ax.plot(xs, ys, linestyle="None", marker=marker, markersize=size_px * 72 / dpi, color="k",
                        markerfacecolor="none" if hollow else "k", antialiased=antialiased)
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    return artist, ax.transData.transform(np.column_stack([xs, ys])), img, img.shape[0]


def _ink_centroids(img, centres, half=10):
    ink = 255.0 - img.mean(2)
    out = []
    for x, y in np.round(centres).astype(int):
        win = ink[y - half:y + half + 1, x - half:x + half + 1]
        yy, xx = np.mgrid[y - half:y + half + 1, x - half:x + half + 1]
        out.append(((win * xx).sum() / win.sum(), (win * yy).sum() / win.sum()))
    return np.array(out)


@pytest.mark.parametrize("marker,size,dpi,hollow,aa", [("o", 9, 100, False, True), ("s", 7, 72, False, True),
                                                       ("D", 11, 150, True, True), ("h", 8, 100, False, False),
                                                       ("*", 10, 100, False, True)])
def test_drawn_centres_are_the_drawn_glyphs_centres(marker, size, dpi, hollow, aa):
    """Point-symmetric glyphs (or nearly: a star's ink centroid is its origin): the ink's centroid
    is the drawn centre. Agg rounds the position to the pixel grid, so the unrounded display
    position (less half a pixel) is up to a pixel off; drawn_centres is within 0.1 px."""
    artist, disp, img, height = _drawn(marker, size, dpi, hollow, aa)
    got = drawn_centres(artist, disp, height)
    ink = _ink_centroids(img, got)
    assert np.abs(ink - got).max() <= 0.1
    naive = np.column_stack([disp[:, 0] - 0.5, height - disp[:, 1] - 0.5])
    assert np.abs(ink - naive).mean() >= 0.2  # the rounding this corrects is there to be seen


def test_triangles_are_centred_on_their_box_not_their_ink():
    """matplotlib's triangles have their origin at the middle of their box: the ink's centroid lies
    a sixth of the height below it (^) or above it (v)."""
    for marker, sign in (("^", 1), ("v", -1)):
        artist, disp, img, height = _drawn(marker, 12, 100)
        got = drawn_centres(artist, disp, height)
        dy = _ink_centroids(img, got)[:, 1] - got[:, 1]
        assert np.all(sign * dy > 1.2) and np.all(sign * dy < 2.8)  # 12 px / 6 = 2, less the rim's blur


def test_lines_without_markers_keep_the_rounded_positions():
    artist, disp, _, height = _drawn("o", 9, 100)
    artist.set_marker("None")
    got = drawn_centres(artist, disp, height)
    assert np.allclose(got, np.floor(np.column_stack([disp[:, 0] + 0.5, height - disp[:, 1] + 0.5])))
