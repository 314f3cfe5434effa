"""Groups of the model's own candidates that are not series: rulings and stray pieces."""

import numpy as np


def _band(xs, ys, label, half=1):
    """A 2*half+1 px thick band around y(x), with its true label."""
    pts = [np.column_stack([xs, np.round(ys) + d, np.full(len(xs), label)]) for d in range(-half, half + 1)]
    return np.concatenate(pts)


def _lines(*curves):
    p = np.concatenate([_band(xs, ys, k) for k, (xs, ys) in enumerate(curves)])
    return p[:, :2].astype(np.float32), p[:, 2].astype(int)


def test_drop_rulings_removes_grid_and_axis_lines_and_keeps_series():
    from linegroup.candidates.strays import drop_rulings

    xs = np.arange(20, 380)
    series = _band(xs, 100 + 40 * np.sin(xs / 30), 0)[:, :2]
    flat_long = _band(xs, np.full(len(xs), 150.0), 0)[:, :2]  # a horizontal grid line, 90% of the width
    flat_short = _band(np.arange(20, 80), np.full(60, 170.0), 0)[:, :2]  # 15% of the width: kept
    vys = np.arange(10, 190)
    verticals = np.concatenate([np.column_stack([np.full(len(vys), x0 + d), vys])  # two vertical grid lines
                                for x0 in (100, 300) for d in (0, 1)])
    parts = [series, flat_long, flat_short, verticals]
    xy = np.concatenate(parts).astype(np.float32)
    labels = np.concatenate([np.full(len(p), k + 1) for k, p in enumerate(parts)])
    out = drop_rulings(labels, xy, width=400)
    assert out.max() == 2
    assert (out[labels == 1] > 0).all() and (out[labels == 3] > 0).all()
    assert (out[labels == 2] == 0).all() and (out[labels == 4] == 0).all()


def test_drop_rulings_on_no_candidates():
    from linegroup.candidates.strays import drop_rulings

    assert len(drop_rulings(np.zeros(0, np.int32), np.zeros((0, 2), np.float32), width=100)) == 0


def test_drop_rulings_keeps_stacked_series_of_one_group():
    """Eight same-colour series merged in one group fill each column with 48 px, in eight
    short runs: that is not a vertical ruling."""
    from linegroup.candidates.strays import drop_rulings

    xs = np.arange(600)
    xy = np.concatenate([_band(xs, 100 + 40 * k + 10 * np.sin(xs / 50), 0, half=3)[:, :2]
                         for k in range(8)]).astype(np.float32)
    assert drop_rulings(np.ones(len(xy), np.int32), xy, width=600).max() == 1


def test_drop_rulings_keeps_a_blob_that_fills_its_columns():
    """A 2-D blob (lines merged with background texture) has tall runs in every column
    it spans: it is not a thin ruling, and dropping it would drop the lines inside."""
    from linegroup.candidates.strays import drop_rulings

    ys, xs = np.mgrid[100:200, 50:350]
    xy = np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float32)
    assert drop_rulings(np.ones(len(xy), np.int32), xy, width=400).max() == 1


def test_drop_rulings_keeps_a_nearly_flat_series_that_drifts():
    from linegroup.candidates.strays import drop_rulings

    xs = np.arange(20, 380)
    level = _band(xs, np.full(len(xs), 150.0), 0)[:, :2]  # a ruling: one row (3 px band) across
    drifting = _band(xs, 100 + 3.0 * (xs - 20) / 360, 0)[:, :2]  # a series that falls 3 px over the plot
    xy = np.concatenate([level, drifting]).astype(np.float32)
    labels = np.r_[np.full(len(level), 1), np.full(len(drifting), 2)]
    out = drop_rulings(labels, xy, width=400)
    assert (out[labels == 1] == 0).all() and (out[labels == 2] > 0).all()
    assert (drop_rulings(labels, xy, width=400, max_drift=4.0) == 0).all()  # both, with more leeway


def test_drop_rulings_removes_an_axis_with_ticks_and_keeps_a_series_with_a_rise():
    from linegroup.candidates.strays import drop_rulings

    xs = np.arange(50, 650)
    axis = [np.column_stack([xs, np.full(len(xs), 500)])]
    axis += [np.column_stack([np.full(6, x), np.arange(501, 507)]) for x in range(50, 650, 100)]  # ticks
    axis = np.concatenate(axis)
    ys = np.where(xs < 500, 300.0, 300.0 - 2.0 * (xs - 500))  # flat, then a steep rise over 150 columns
    series = np.concatenate([np.column_stack([xs, np.round(ys) + d]) for d in (0, 1)])
    extra = np.concatenate([np.column_stack([np.full(2, x), 300 - 2 * (x - 500) + np.arange(2, 4)])
                            for x in range(500, 650)])  # the steep part fills 3-4 px per column
    series = np.concatenate([series, extra])
    xy = np.concatenate([axis, series]).astype(np.float32)
    labels = np.r_[np.full(len(axis), 1), np.full(len(series), 2)]
    out = drop_rulings(labels, xy, width=700)
    assert (out[labels == 1] == 0).all() and (out[labels == 2] > 0).all()


def test_drop_strays_removes_far_specks_and_keeps_dashes():
    from linegroup.candidates.strays import drop_strays

    x = np.arange(20, 380)
    line = np.column_stack([x, 100 + 0.1 * x])
    dashed = np.column_stack([x, np.full(len(x), 200)])[(x // 8) % 2 == 0]  # 8 px dashes, 8 px gaps
    glyph = np.array([[50 + i, 30 + j] for i in range(4) for j in range(4)])  # 16 px far above
    occluded = np.column_stack([x, np.full(len(x), 300)])[(x < 150) | (x > 230)]  # two long pieces
    xy = np.concatenate([line, glyph, dashed, occluded]).astype(np.float32)
    labels = np.r_[np.ones(len(line) + len(glyph)), np.full(len(dashed), 2), np.full(len(occluded), 3)].astype(np.int32)
    out = drop_strays(labels, xy)
    assert (out[len(line):len(line) + len(glyph)] == 0).all()  # the glyph is gone
    assert (out[:len(line)] > 0).all() and (out[len(line) + len(glyph):] > 0).all()  # all else kept
    assert out.max() == 3


def test_drop_text_removes_words_and_keeps_series_with_markers():
    from linegroup.candidates.strays import drop_text

    xs = np.arange(10, 300)
    series = _band(xs, 100 + 30 * np.sin(xs / 25), 0)[:, :2]
    # a square marker every 40 columns on the series: a few columns with two strokes
    marks = [np.column_stack([np.full(7, x), y + np.arange(-3, 4)]) for x in range(20, 300, 40)
             for y in (96, 104)]
    # a "word": columns with two or three separate strokes (letter bars at three heights)
    wx = np.arange(40, 90)
    word = np.concatenate([np.column_stack([wx, np.full(len(wx), y)]) for y in (20, 26, 32)])
    xy = np.concatenate([series, *marks, word]).astype(np.float32)
    labels = np.r_[np.ones(len(series) + 14 * 7, np.int32), np.full(len(word), 2, np.int32)]
    out = drop_text(labels, xy)
    assert (out[: len(series)] == 1).all()
    assert (out[-len(word):] == 0).all()
    assert (drop_text(np.zeros(0, np.int32), np.zeros((0, 2), np.float32)) == 0).all()


def test_drop_text_keeps_two_series_linked_into_one_group_across_the_plot():
    """Two dotted series taken for one group have two strokes in most columns, as a word has;
    but they span the plot, and no word does: the group stays (for the series judge), while a
    word of the same make-up, short, goes."""
    from linegroup.candidates.strays import TEXT_SPAN, drop_text

    xs = np.arange(10, 400)
    pair = np.concatenate([_band(xs, 100 + 0 * xs, 0)[:, :2], _band(xs, 112 + 0 * xs, 0)[:, :2]])
    wx = np.arange(40, 40 + int(0.4 * TEXT_SPAN * 390))
    word = np.concatenate([np.column_stack([wx, np.full(len(wx), y)]) for y in (200, 206)])
    xy = np.concatenate([pair, word]).astype(np.float32)
    labels = np.r_[np.ones(len(pair), np.int32), np.full(len(word), 2, np.int32)]
    out = drop_text(labels, xy)
    assert (out[: len(pair)] == 1).all() and (out[len(pair):] == 0).all()
    assert (drop_text(labels, xy, max_span=1.01)[: len(pair)] == 0).all()  # without the span test it went


def _segment(x0, y0, x1, y1, width=2):
    """Pixels (x, y) of a straight stroke, `width` px thick across y."""
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    t = np.linspace(0, 1, n)
    x, y = np.round(x0 + t * (x1 - x0)), np.round(y0 + t * (y1 - y0))
    return np.concatenate([np.column_stack([x, y + d]) for d in range(width)])


def test_drop_arrows_removes_parallel_offset_arrows_and_keeps_dashed_and_zigzag_series():
    from linegroup.candidates.strays import drop_arrows

    arrows = np.concatenate([_segment(100 + 80 * i, 200, 140 + 80 * i, 160) for i in range(3)])  # side by side
    dashed = np.concatenate([_segment(20 + 60 * i, 100 - 30 * i, 50 + 60 * i, 85 - 30 * i) for i in range(3)])  # one path
    zigzag = np.concatenate([_segment(300 + 40 * i, 300 - 40 * (i % 2), 340 + 40 * i, 260 + 40 * (i % 2))
                             for i in range(4)])  # joined strokes: one piece
    xy = np.concatenate([arrows, dashed, zigzag]).astype(np.float32)
    labels = np.concatenate([np.full(len(arrows), 1), np.full(len(dashed), 2), np.full(len(zigzag), 3)])
    out = drop_arrows(labels, xy)
    assert (out[:len(arrows)] == 0).all()
    kept = out[len(arrows):]
    assert (kept > 0).all() and len(np.unique(kept)) == 2
    level = np.concatenate([_segment(100 + 80 * i, 50 + 10 * i, 160 + 80 * i, 50 + 10 * i) for i in range(3)])
    assert (drop_arrows(np.ones(len(level), int), level.astype(np.float32)) == 1).all()  # level steps: a series
