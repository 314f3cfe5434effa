"""Synthetic line charts with exact polylines, for training and evaluation.

    linegroup synth OUT --num 2000 --val 200 --seed 0 --workers 2
    linegroup synth OUT --num 0 --val 300 --seed 7 --hard     # the hard validation set
    linegroup synth OUT --num 6000 --val 100 --seed 1 --hard_frac 0.3 --variety   # the training mix

writes OUT/train.json + OUT/train/*.png and OUT/val.json + OUT/val/*.png in the
COCO-like format that main.py reads (category 2 = line). Every chart is drawn with
matplotlib (Agg); each line's polyline is its data mapped through the axes
transform into pixel coordinates of the written image (integer = pixel centre), so it
lies exactly on the drawn line, also after the degradations (scaling and rotation
move the polylines with the same affine map).

Chart i of a split depends only on (seed, split, i): the output is identical for any
number of workers. Each annotation carries its drawing style ("style": colour,
linestyle, marker, markers_only) and "stroke_width" in pixels; each image a "group":
"distinct", "same_colour" or "grayscale" (how the lines can be told apart by colour).
Each annotation also records its drawn markers' centres ("markers", pixels, one per
markevery-th point, where Agg really draws them: rounded to the pixel grid, see
markersnap.py; [] for a line without markers) and their data values
("marker_data"); the style its "markevery", "marker_px" (size) and "hollow"; each image
its "plot_box" (x0, y0, x1, y1 of the axes in pixels). --marker_variety restyles half
the lines as marker series of one kind each: dense (touching markers), hollow, markers
only, markers every k-th point (from its own random stream: other charts stay the same).
--level_frac draws that share of the series near-level (values within LEVEL_BAND of the
chart's value band, beside series that span much of it), from its own stream too.
--legend_boxes draws that share of the legends with filled boxes in the series' colours
(as pygal, Excel and ggplot's fills do) instead of line samples, from its own stream.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass
from multiprocessing import get_context

import cv2
import numpy as np

from . import themes
from .labels import OVERLAP
from .markersnap import drawn_centres

LINE_CATEGORY = 2
MASK_DIFF = 24  # a pixel is a line's if drawing the line changes a channel by more than this
PALETTES = ["tab10", "Set1", "Dark2", "tab20", "Paired", "viridis", "plasma", "hsv", "random"]
DASHES = ["--", ":", "-.", (0, (5, 2)), (0, (1, 1)), (0, (8, 3, 2, 3)), (0, (3, 5, 1, 5, 1, 5))]
MARKERS = ["o", "s", "^", "v", "D", "x", "+", "*", "d", "p", "h", "."]
FONTS = ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"]
WORDS = "time rate value signal ratio index mean error loss dose yield temp pressure count score gain".split()


# matplotlib style sheets that change the chart furniture (background, grid, spines, fonts)
# the way other plotting tools do; dark_background is left out (our own dark mode covers it)
STYLE_SHEETS = ["ggplot", "seaborn-v0_8-darkgrid", "seaborn-v0_8-whitegrid", "seaborn-v0_8-ticks", "bmh",
                "fivethirtyeight", "Solarize_Light2", "classic", "seaborn-v0_8-poster", "seaborn-v0_8-paper"]


@dataclass
class SynthConfig:
    hard: bool = False  # 6-12 lines, >= 40% same-colour / grayscale, every image degraded
    min_size: int = 300  # figure width and height range in pixels
    max_size: int = 1200
    hard_frac: float = 0.0  # with hard=False: share of charts drawn with the hard setting anyway
    variety: bool = False  # style sheets (ggplot, seaborn, bmh, ...) and aliased lines on some charts
    exact_masks: bool = False  # also write each line's exact drawn pixels (SPLIT_masks/NAME.png)
    axes_variety: bool = False  # tick labels of many kinds (log, negative, scientific, %, comma, units, rotated)
    marker_variety: bool = False  # marker series of many kinds (dense touching, hollow, markers only, every k-th)
    themes: bool = False  # dark, panels, thin/pale, dotted, own-colour grid and text, scans, page margins (themes.py)
    level_frac: float = 0.0  # share of series drawn near-level (small values beside large ones)
    legend_boxes: float = 0.0  # share of legends drawn with filled boxes instead of line samples


# ---------------------------------------------------------------------------------
# data shapes


def _shape(rng, x: np.ndarray, kind: str) -> np.ndarray:
    n = len(x)
    t = (x - x.min()) / max(np.ptp(x), 1e-9)
    if kind == "walk":
        return np.cumsum(rng.normal(0, 1, n)) + rng.normal(0, 3)
    if kind == "smooth":
        y = sum(rng.normal(0, 1 / (k + 1)) * np.sin(2 * np.pi * (k + 1) * t * rng.uniform(0.3, 1.2) + rng.uniform(0, 6))
                for k in range(4))
        return y * rng.uniform(1, 5) + rng.normal(0, 2)
    if kind == "step":
        levels = np.cumsum(rng.normal(0, 1, rng.integers(3, 10)))
        return levels[np.minimum((t * len(levels)).astype(int), len(levels) - 1)]
    if kind == "exp":
        return rng.uniform(0.5, 2) * np.exp(rng.uniform(-3, 3) * t) + rng.uniform(0, 0.5)
    if kind == "periodic":
        return rng.uniform(0.5, 3) * np.sin(2 * np.pi * rng.uniform(1, 6) * t + rng.uniform(0, 6)) + rng.normal(0, 1)
    if kind == "noisy":
        base = rng.uniform(-2, 2) * t + rng.uniform(-1, 1) * t**2
        return base + rng.normal(0, rng.uniform(0.05, 0.4), n) + rng.normal(0, 2)
    if kind == "linear":
        return rng.uniform(-3, 3) * t + rng.normal(0, 2)
    raise ValueError(kind)


def _colors(rng, n: int, mode: str):
    if mode == "same":
        c = _palette_colors(rng, 1)[0]
        return [c] * n
    if mode == "gray":
        g = rng.uniform(0, 0.6, n) if rng.random() < 0.5 else np.full(n, rng.uniform(0, 0.5))
        return [(v, v, v) for v in g]
    if mode == "few":
        base = _palette_colors(rng, int(rng.integers(2, 4)))
        return [base[i % len(base)] for i in rng.permutation(n)]
    return _palette_colors(rng, n)


def _palette_colors(rng, n: int):
    import matplotlib

    name = PALETTES[int(rng.integers(len(PALETTES)))]
    if name == "random":
        hsv = np.stack([rng.uniform(0, 1, n), rng.uniform(0.5, 1, n), rng.uniform(0.4, 0.9, n)], 1)
        return [tuple(c) for c in matplotlib.colors.hsv_to_rgb(hsv)]
    cmap = matplotlib.colormaps[name]
    if getattr(cmap, "N", 256) < 50:  # qualitative
        idx = rng.permutation(max(cmap.N, n))[:n] % cmap.N
        return [cmap(int(i))[:3] for i in idx]
    return [cmap(v)[:3] for v in rng.permutation(np.linspace(0.05, 0.95, n))]


# ---------------------------------------------------------------------------------
# one chart


# ---------------------------------------------------------------------------------
# tick-label variety (axes_variety): the data rescaled and the labels formatted the ways
# charts print them; the true values stay in each line's "data"

TICK_STYLES = ["log", "negative", "scientific", "percent", "comma", "units", "rotated", "thousands"]
UNITS = [" kg", "°C", " m", " s", "%", "$"]  # "$" is written before the number


LABEL_MARGIN = 3.0  # px: tick labels of --axes_variety charts are kept this far inside the image


def _restyle_data(trng, xs: list, ys: list, style: str, log_y: bool):
    """Rescale every line's y (and for some styles x) to the range the style needs."""
    lo, hi = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
    u = [(y - lo) / max(hi - lo, 1e-9) for y in ys]  # all lines together in [0, 1]
    if style == "log":
        a, span = float(trng.uniform(-4, 2)), float(trng.uniform(1.5, 5))
        return xs, [10.0 ** (a + span * y) for y in u], True
    scale = {"negative": 10 ** trng.uniform(-1, 3), "scientific": 10.0 ** int(trng.choice([-7, -6, -5, -4, 6, 7])),
             "percent": trng.uniform(20, 100), "comma": 10 ** trng.uniform(-1, 1.5), "units": 10 ** trng.uniform(0, 3),
             "rotated": 10 ** trng.uniform(0, 2), "thousands": 10 ** trng.uniform(4, 6.5)}[style]
    shift = float(trng.uniform(0.4, 1.3)) if style == "negative" else 0.0
    ys = [(y - shift) * scale for y in u]
    if style == "rotated":  # years or large counts on x, labels turned
        x_lo = float(trng.choice([1900.0, 1990.0, 2000.0, 0.0]))
        xs = [x_lo + (x - xs[0][0]) * float(trng.uniform(0.02, 0.1)) for x in xs]
    return xs, ys, log_y and style == "log"


def _tick_labels(trng, ax, style: str):
    """Format the tick labels the style prints (matplotlib's own formatter, then rewritten)."""
    from matplotlib.ticker import PercentFormatter, ScalarFormatter

    def rewrite(fn, offset=False):
        class Rewritten(ScalarFormatter):
            def __call__(self, x, pos=None):
                return fn(super().__call__(x, pos))

        f = Rewritten(useMathText=True)
        f.set_useOffset(offset)
        return f

    if style == "scientific":
        if trng.random() < 0.5:  # one multiplier for the axis (1e-5 / ×10⁻⁵ at its top)
            ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0), useMathText=bool(trng.random() < 0.5))
        else:  # every label in e-notation
            ax.yaxis.set_major_formatter(lambda v, pos: f"{v:.1e}")
    elif style == "percent":
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    elif style == "comma":
        ax.yaxis.set_major_formatter(rewrite(lambda t: t.replace(".", ",")))
    elif style == "units":
        unit = str(trng.choice(UNITS))
        ax.yaxis.set_major_formatter(rewrite(lambda t: unit + t if unit == "$" else t + unit))
    elif style == "thousands":
        ax.yaxis.set_major_formatter(lambda v, pos: f"{v:,.0f}")
    elif style == "rotated":
        ax.tick_params(axis="x", labelrotation=float(trng.choice([30, 45, 60, 90])))


def render_chart(seed: int, split: str, index: int, cfg: SynthConfig = SynthConfig(), info: dict | None = None):
    """Draw one chart. Returns (RGB uint8 image, list of line dicts, group). Each line dict
    holds "data": its true (x, y) values; info, if given, receives the axes' ranges, scales
    and tick-label style ("axes")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    split_id = {"train": 0, "val": 1}.get(split, 2)
    rng = np.random.default_rng([seed, split_id, index])
    # the options below draw from their own stream, so charts without them stay unchanged
    xrng = np.random.default_rng([seed, split_id, index, 1])
    hard = cfg.hard or xrng.random() < cfg.hard_frac
    sheet = str(xrng.choice(STYLE_SHEETS)) if cfg.variety and xrng.random() < 0.35 else None
    aliased = cfg.variety and xrng.random() < 0.15
    # tick-label styles draw from a third stream (and only with axes_variety)
    trng = np.random.default_rng([seed, split_id, index, 2]) if cfg.axes_variety else None
    # marker styles draw from a fourth stream (and only with marker_variety)
    mrng = np.random.default_rng([seed, split_id, index, 3]) if cfg.marker_variety else None
    # themes draw from a fifth stream (and only with themes); a dark or panel theme replaces the style sheet
    hrng = np.random.default_rng([seed, split_id, index, 4]) if cfg.themes else None
    th = themes.pick(hrng) if hrng is not None else themes.NONE
    # near-level series draw from a sixth stream (and only with level_frac > 0)
    lrng = np.random.default_rng([seed, split_id, index, 5]) if cfg.level_frac > 0 else None
    # box legends draw from a seventh stream (and only with legend_boxes > 0)
    brng = np.random.default_rng([seed, split_id, index, 6]) if cfg.legend_boxes > 0 else None
    if th.dark or th.panel:
        sheet = None
    info = info if info is not None else {}
    info["themes"] = th.names()
    with plt.style.context(sheet) if sheet else contextlib.nullcontext():
        return _draw(plt, rng, cfg, hard, sheet, aliased, trng, info, mrng, hrng, th, lrng, brng)


# level_frac: a near-level series spans this share of the chart's value band (the others
# span 0.15-1): small values beside large ones, level within a few pixels, as grid lines
# are but alone and in a series' ink
LEVEL_BAND = (0.0, 0.04)

# marker_variety: the share of lines restyled, and the kinds drawn
MARKER_SHARE = 0.5
MARKER_KINDS = ["dense", "hollow", "markers_only", "every_k", "plain"]
BLOB_MARKERS = ["o", "s", "^", "v", "D", "d", "p", "h", "*"]  # filled shapes (not strokes like x, +)


def _marker_style(mrng, kw: dict, n_pts: int, plot_px: float, dpi: float) -> dict:
    """kw (one ax.plot call's keywords) restyled as one kind of marker series. Only dense
    series have markers closer than 1.3 marker sizes (a series of hundreds of points gets
    every k-th marked, as plots of such data do)."""
    kind = str(mrng.choice(MARKER_KINDS))
    kw = {**kw, "marker": str(mrng.choice(BLOB_MARKERS)), "markevery": 1}
    size_px = float(mrng.uniform(5, 13))
    step = plot_px / max(n_pts - 1, 1)  # px between data points
    spaced = max(1, int(np.ceil(1.3 * size_px / step)))  # every k-th point, k for markers apart
    if kind == "dense":  # markers touching or overlapping along the line
        every = max(1, int(np.ceil(5 / step)))
        kw["markevery"] = every
        size_px = float(np.clip(every * step * mrng.uniform(1.0, 1.4), 5, 16))
    elif kind == "hollow":
        kw["markerfacecolor"] = "none"
        kw["markeredgewidth"] = float(mrng.uniform(1, 2)) * 72 / dpi
        kw["markevery"] = spaced
    elif kind == "markers_only":
        kw["linestyle"] = "None"
        kw["markevery"] = spaced
    elif kind == "every_k":
        kw["markevery"] = max(int(mrng.integers(2, 7)), spaced)
    else:
        kw["markevery"] = spaced
    kw["markersize"] = size_px * 72 / dpi
    if kind != "hollow":
        kw.pop("markerfacecolor", None)
    return kw


def _labels_inside(fig, ax) -> None:
    """Move the axes' left (bottom) edge in until every y (x) tick label lies LABEL_MARGIN px
    inside the image: long labels ("2,500,000", rotated dates) would otherwise be cut."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [[t.get_window_extent(r) for t in ticks if t.get_visible() and t.get_text()]
             for ticks in (ax.get_yticklabels(), ax.get_xticklabels())]
    left = min((b.x0 for b in boxes[0]), default=LABEL_MARGIN)
    bottom = min((b.y0 for b in boxes[1]), default=LABEL_MARGIN)
    pos = ax.get_position()
    dx = max(0.0, LABEL_MARGIN - left) / fig.bbox.width
    dy = max(0.0, LABEL_MARGIN - bottom) / fig.bbox.height
    if dx or dy:
        ax.set_position([pos.x0 + dx, pos.y0 + dy, pos.width - dx, pos.height - dy])


def _draw(plt, rng, cfg: SynthConfig, hard: bool, sheet: str | None, aliased: bool, trng=None,
          info: dict | None = None, mrng=None, hrng=None, th: themes.Themes = themes.NONE, lrng=None, brng=None):
    tick_style = str(trng.choice(TICK_STYLES)) if trng is not None else "plain"
    W = int(rng.integers(cfg.min_size, cfg.max_size + 1))
    H = int(np.clip(W * rng.uniform(0.5, 1.0), cfg.min_size * 0.75, cfg.max_size))
    dpi = float(rng.choice([50, 72, 80, 100, 120, 150]))
    px = 72.0 / dpi  # points per pixel

    n_lines = int(rng.integers(6, 13)) if hard else int(min(12, 1 + rng.geometric(0.22)))
    p_mode = rng.random()
    if hard:
        mode = "distinct" if p_mode < 0.5 else ("same" if p_mode < 0.7 else ("gray" if p_mode < 0.85 else "few"))
    else:
        mode = "distinct" if p_mode < 0.55 else ("same" if p_mode < 0.7 else ("gray" if p_mode < 0.85 else "few"))
    colors = _colors(rng, n_lines, mode)
    identical = rng.random() < 0.15  # every line drawn in an identical style

    bg = "white"
    r = rng.random()
    if sheet:  # the style sheet decides background, grid, spines and text colours
        r = 1.0
    if r < 0.15:
        bg = tuple(rng.uniform(0.85, 1.0, 3))
    elif r < 0.2:
        bg = tuple(rng.uniform(0.0, 0.2, 3))
        colors = [tuple(1 - 0.6 * (1 - np.asarray(c))) for c in colors]
    if th.dark:
        bg, colors = themes.dark_colors(hrng, colors, mode)
    plt.rcParams["font.family"] = FONTS[int(rng.integers(len(FONTS)))]
    fs = float(rng.uniform(6, 14))
    fig_bg = bg if rng.random() < 0.5 else "white"
    fig = plt.figure(figsize=(W / dpi, H / dpi), dpi=dpi, **({} if sheet else {"facecolor": fig_bg}))
    legend_out = rng.random() < 0.2
    left, bottom = rng.uniform(0.08, 0.18), rng.uniform(0.08, 0.18)
    right = rng.uniform(0.6, 0.75) if legend_out else rng.uniform(0.88, 0.98)
    ax = fig.add_axes([left, bottom, right - left, rng.uniform(0.78, 0.9) - bottom])
    text_color = "white" if isinstance(bg, tuple) and np.mean(bg) < 0.5 else "black"
    if sheet:
        text_color = plt.rcParams["text.color"]
        ax.tick_params(labelsize=fs * 0.8)
    else:
        ax.set_facecolor(bg)
        for sp in ax.spines.values():
            sp.set_color(text_color)
        ax.tick_params(colors=text_color, labelsize=fs * 0.8)
    if rng.random() < 0.3:
        ax.spines[["top", "right"]].set_visible(False)
    if rng.random() < 0.5 and not sheet:
        ax.grid(True, linestyle=str(rng.choice(["-", "--", ":"])), alpha=float(rng.uniform(0.2, 0.8)),
                linewidth=float(rng.uniform(0.3, 1.2)) * px, color=str(rng.choice(["gray", "lightgray", "black"])))
    if th.panel:
        themes.style_panel(hrng, ax, px)
    if th.own_grid:
        themes.style_own_grid(hrng, ax, colors, px)

    # x grid shared by all lines (sometimes dates-like integers, sometimes dense)
    n_pts = int(rng.choice([int(rng.integers(4, 15)), int(rng.integers(15, 60)), int(rng.integers(60, 400))]))
    x0 = float(rng.uniform(-100, 100))
    x = np.linspace(x0, x0 + float(rng.uniform(1, 1000)), n_pts)
    log_y = rng.random() < 0.12
    kinds = ["walk", "smooth", "step", "exp", "periodic", "noisy", "linear"]
    shared_kind = str(rng.choice(kinds)) if rng.random() < 0.3 else None

    ys, xs = [], []
    for k in range(n_lines):
        kind = shared_kind or str(rng.choice(kinds))
        if k > 0 and rng.random() < 0.15:  # near-parallel to the previous line
            y = ys[-1] + (np.ptp(ys[-1]) + 1e-3) * rng.uniform(0.03, 0.1) * rng.choice([-1, 1])
            xx = xs[-1]
        else:
            xx = x
            if rng.random() < 0.2 and n_pts >= 8:  # starts or ends mid-chart
                a = int(rng.integers(0, n_pts // 2))
                b = int(rng.integers(a + max(2, n_pts // 4), n_pts + 1))
                xx = x[a:b]
            y = _shape(rng, xx, kind)
            # each line gets its own vertical band, comparable across lines, so lines cross
            lo, hi = np.sort(rng.uniform(0, 1, 2))
            hi = max(hi, lo + 0.15)
            if lrng is not None and lrng.random() < cfg.level_frac:  # a near-level series: a thin band
                hi = lo + lrng.uniform(*LEVEL_BAND)
            y = lo + (y - y.min()) / max(np.ptp(y), 1e-9) * (hi - lo)
        if log_y:
            y = np.exp((y - y.min()) / max(np.ptp(y), 1e-6) * rng.uniform(1, 6)) * rng.uniform(0.1, 10)
        ys.append(y)
        xs.append(xx)
    if tick_style != "plain":
        xs, ys, log_y = _restyle_data(trng, xs, ys, tick_style, log_y)

    # styles
    base_lw = float(rng.uniform(0.5, 4))
    lines_out = []
    for k in range(n_lines):
        lw = base_lw if identical else float(rng.uniform(0.5, 4))
        ls = "-"
        if (mode in ("same", "gray") and rng.random() < 0.6) or rng.random() < 0.2:
            ls = DASHES[int(rng.integers(len(DASHES)))]
        marker = None
        if (mode in ("same", "gray") and rng.random() < 0.4) or rng.random() < 0.15:
            marker = MARKERS[int(rng.integers(len(MARKERS)))]
        markers_only = marker is not None and rng.random() < 0.15 and len(xs[k]) <= 60
        if identical:
            ls, marker, markers_only = "-", None, False
        ms = float(rng.uniform(3, 9)) * px * dpi / 72 * 0.8
        every = max(1, len(xs[k]) // int(rng.integers(8, 30))) if marker and len(xs[k]) > 40 else 1
        kw = dict(color=colors[k], linewidth=lw * px, linestyle="None" if markers_only else ls,
                  marker=marker, markersize=ms if marker else 0, markevery=every, label=f"series {k + 1}",
                  antialiased=not aliased)
        if marker and rng.random() < 0.3:
            kw["markerfacecolor"] = "none"
        if mrng is not None and mrng.random() < MARKER_SHARE:
            plot_px = W * (right - left) * len(xs[k]) / max(n_pts, 1)
            kw = _marker_style(mrng, kw, len(xs[k]), plot_px, dpi)
            marker, markers_only = kw["marker"], kw["linestyle"] == "None"
        if th.thin_light or th.dotted or th.connectors:
            kw = themes.restyle_line(hrng, th, kw, px, bg, len(xs[k]))
            marker, markers_only, lw = kw["marker"], kw["linestyle"] == "None", kw["linewidth"] / px
            ls = ls if markers_only else kw["linestyle"]
            if not marker:
                kw["markersize"] = 0
        (artist,) = ax.plot(xs[k], ys[k], **kw)
        artist.set_zorder(2 + rng.random())
        lines_out.append({"artist": artist, "width_px": lw, "style": {
            "color": [round(float(c), 3) for c in kw["color"]], "linestyle": str(ls), "marker": marker or "",
            "markers_only": bool(markers_only), "dashed": ls != "-",
            "markevery": int(kw["markevery"]) if marker else 0,
            "marker_px": round(float(kw["markersize"]) * dpi / 72, 2) if marker else 0.0,
            "hollow": bool(marker) and kw.get("markerfacecolor") == "none"}})
    if log_y:
        ax.set_yscale("log")
    _tick_labels(trng, ax, tick_style)
    ax.margins(x=float(rng.uniform(0, 0.08)), y=float(rng.uniform(0.02, 0.15)))

    # furniture: titles, labels, legend, overlapping text and arrows
    if rng.random() < 0.7:
        ax.set_title(" ".join(rng.choice(WORDS, int(rng.integers(1, 5)))).title(), fontsize=fs, color=text_color)
    if rng.random() < 0.8:
        ax.set_xlabel(str(rng.choice(WORDS)), fontsize=fs * 0.9, color=text_color)
        ax.set_ylabel(str(rng.choice(WORDS)), fontsize=fs * 0.9, color=text_color)
    if rng.random() < 0.6 and n_lines > 1:
        kw = dict(fontsize=fs * 0.75, framealpha=float(rng.uniform(0.0, 0.6)), ncol=int(rng.integers(1, 3)))
        if brng is not None and brng.random() < cfg.legend_boxes:  # a box per series, in its colour
            from matplotlib.patches import Patch

            alpha = float(brng.uniform(0.5, 1.0))
            kw["handles"] = [Patch(facecolor=ln["artist"].get_color(), edgecolor=ln["artist"].get_color(),
                                   alpha=alpha, label=ln["artist"].get_label()) for ln in lines_out]
            kw["handlelength"] = kw["handleheight"] = float(brng.uniform(0.7, 1.2))
        if legend_out:
            ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), **kw)
        else:
            ax.legend(loc=int(rng.integers(1, 11)), **kw)
    for _ in range(int(rng.integers(0, 3))):
        tx, ty = rng.uniform(0.1, 0.9, 2)
        if rng.random() < 0.5:
            ax.annotate(str(rng.choice(WORDS)), xy=(rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)),
                        xytext=(tx, ty), xycoords="axes fraction", textcoords="axes fraction", fontsize=fs * 0.8,
                        color=text_color, arrowprops=dict(arrowstyle="->", color=text_color, lw=0.8 * px))
        else:
            ax.text(tx, ty, str(rng.choice(WORDS)), transform=ax.transAxes, fontsize=fs, color=text_color)

    if th.own_text:
        themes.annotate_lines(hrng, ax, xs, ys, colors, fs, px, text_color, WORDS)

    if trng is not None:  # tick labels of many kinds can be long: keep them inside the image
        _labels_inside(fig, ax)
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    Hc, Wc = img.shape[:2]
    annots = []
    for k, lo in enumerate(lines_out):
        disp = ax.transData.transform(np.column_stack([xs[k], ys[k]]))
        pts = np.column_stack([disp[:, 0] - 0.5, Hc - disp[:, 1] - 0.5])
        annots.append({"points": pts, "stroke_width": lo["width_px"], "style": lo["style"],
                       "data": np.column_stack([xs[k], ys[k]])})
        if lo["style"]["marker"]:  # where Agg draws each point's marker (rounded to the pixel grid)
            annots[-1]["mpoints"] = drawn_centres(lo["artist"], disp, Hc)
    box = ax.get_window_extent()  # the plot area's corners, moved by the degradations like the lines
    annots.append({"points": np.array([[box.x0, Hc - box.y1], [box.x1, Hc - box.y1], [box.x1, Hc - box.y0],
                                       [box.x0, Hc - box.y0]]) - 0.5, "stroke_width": 1.0, "box": True})
    info["axes"] = {"x": [float(v) for v in ax.get_xlim()], "y": [float(v) for v in ax.get_ylim()],
                    "x_scale": ax.get_xscale(), "y_scale": ax.get_yscale(), "tick_style": tick_style,
                    "label_px": round(fs * 0.8 / px, 1)}  # tick-label font size in pixels (before degrading)
    if cfg.exact_masks:
        for a, m in zip(annots, _exact_masks(fig, [lo["artist"] for lo in lines_out])):
            a["mask"] = m
    plt.close(fig)

    n_colors = len({tuple(np.round(c, 3)) for c in colors})
    group = "distinct" if n_colors == n_lines else ("grayscale" if mode == "gray" else "same_colour")
    if n_lines == 1:
        group = "distinct"

    if th.scanned:
        img = themes.scan_look(hrng, img)
    img, annots = degrade(rng, img, annots, always=hard or th.scanned)
    if th.margins:
        img, annots = themes.page_margins(hrng, img, annots)
    if th.inverted:
        img = 255 - img
    corners = annots.pop()["points"]
    info["plot_box"] = [round(float(v), 2) for v in (*corners.min(0), *corners.max(0))]
    for a, lo in zip(annots, lines_out):  # markers sit on every markevery-th data point
        every = a["style"]["markevery"]
        drawn = a.pop("mpoints", a["points"])
        a["markers"] = drawn[::every] if every else drawn[:0]
        a["marker_data"] = a["data"][::every] if every else a["data"][:0]
        a["style"]["marker_px"] = round(a["style"]["marker_px"] * a["stroke_width"] / lo["width_px"], 2)  # as scaled
    return img, annots, group


def _render(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(np.int16)


def _exact_masks(fig, artists: list) -> list:
    """Each line's drawn pixels (uint8 0/255): where the chart with that line alone differs
    from the chart with no line (hidden artists keep the layout; legend swatches are
    separate artists, drawn in both, so they are not part of any line)."""
    for a in artists:
        a.set_visible(False)
    empty = _render(fig)
    masks = []
    for a in artists:
        a.set_visible(True)
        masks.append(((np.abs(_render(fig) - empty).max(2) > MASK_DIFF) * 255).astype(np.uint8))
        a.set_visible(False)
    for a in artists:
        a.set_visible(True)
    return masks


def label_mask(masks: list) -> np.ndarray:
    """uint16 label image of per-line masks: k = line k alone, OVERLAP = two or more lines."""
    lab = np.zeros(masks[0].shape, np.uint16) if masks else np.zeros((1, 1), np.uint16)
    cnt = np.zeros(lab.shape, np.uint8)
    for k, m in enumerate(masks, start=1):
        on = m > 80
        lab[on] = k
        cnt += on
    lab[cnt > 1] = OVERLAP
    return lab


def degrade(rng, img: np.ndarray, annots: list, always: bool = False):
    """Down/up-scaling, slight rotation, blur, noise and JPEG; polylines (and exact masks,
    if any) move with the image."""
    if not always and rng.random() < 0.4:
        return img, annots
    h, w = img.shape[:2]
    m = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    if rng.random() < 0.5:
        f = float(rng.uniform(0.6, 1.4))
        nw, nh = max(32, round(w * f)), max(32, round(h * f))
        fx, fy = nw / w, nh / h
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
        for a in annots:
            if "mask" in a:
                a["mask"] = cv2.resize(a["mask"], (nw, nh), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
        m = np.array([[fx, 0, 0.5 * fx - 0.5], [0, fy, 0.5 * fy - 0.5]])
        for a in annots:
            a["stroke_width"] *= math.sqrt(fx * fy)
        h, w = nh, nw
    if rng.random() < 0.3:
        rot = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), float(rng.uniform(-2, 2)), 1.0)
        border = tuple(int(v) for v in img[0, 0])
        img = cv2.warpAffine(img, rot, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)
        for a in annots:
            if "mask" in a:
                a["mask"] = cv2.warpAffine(a["mask"], rot, (w, h), flags=cv2.INTER_LINEAR)
        m = rot @ np.vstack([m, [0, 0, 1]])
    for a in annots:
        themes.move_points(a, m)
    if rng.random() < 0.4:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.3, 1.0)))
    if rng.random() < 0.4:
        img = np.clip(img + rng.normal(0, rng.uniform(2, 10), img.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return img, annots


# ---------------------------------------------------------------------------------
# datasets


def _work(job):
    seed, split, index, out_dir, cfg = job
    info = {}
    img, annots, group = render_chart(seed, split, index, cfg, info)
    name = f"{split}_{index:06d}.png"
    cv2.imwrite(os.path.join(out_dir, split, name), cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_PNG_COMPRESSION, 3])
    h, w = img.shape[:2]
    entry = {"id": index + 1, "file_name": name, "width": w, "height": h, "group": group, "axes": info["axes"],
             "plot_box": info["plot_box"], **({"themes": info["themes"]} if info["themes"] else {})}
    if annots and "mask" in annots[0]:
        entry["label_mask"] = f"{split}_masks/{name}"
        os.makedirs(os.path.join(out_dir, f"{split}_masks"), exist_ok=True)
        cv2.imwrite(os.path.join(out_dir, entry["label_mask"]), label_mask([a.pop("mask") for a in annots]))
    return entry, [
        {"category_id": LINE_CATEGORY, "segmentation": [np.round(a["points"], 2).ravel().tolist()],
         "stroke_width": round(float(a["stroke_width"]), 2), "style": a["style"],
         "data": [[float(f"{v:.7g}") for v in p] for p in a["data"]],
         "markers": np.round(a["markers"], 2).tolist(),
         "marker_data": [[float(f"{v:.7g}") for v in p] for p in a["marker_data"]]} for a in annots]


def write_split(out_dir: str, split: str, num: int, seed: int = 0, workers: int = 1,
                cfg: SynthConfig = SynthConfig(), progress: bool = True) -> str:
    """Render `num` charts into out_dir/split/ and write out_dir/split.json. Returns the JSON path."""
    from tqdm import tqdm

    os.makedirs(os.path.join(out_dir, split), exist_ok=True)
    jobs = [(seed, split, i, out_dir, cfg) for i in range(num)]
    images, anns = [], []
    bar = tqdm(total=num, desc=f"synth {split}", unit="chart", disable=not progress)
    if workers > 1:
        with get_context("spawn").Pool(workers) as pool:
            results = pool.imap(_work, jobs, chunksize=4)
            for im, a in results:
                images.append(im)
                anns.append(a)
                bar.update()
    else:
        for job in jobs:
            im, a = _work(job)
            images.append(im)
            anns.append(a)
            bar.update()
    bar.close()
    annotations = []
    for im, a in zip(images, anns):
        for ann in a:
            annotations.append({"id": len(annotations) + 1, "image_id": im["id"], **ann})
    coco = {"info": {"generator": "linegroup synth", "seed": seed, "hard": cfg.hard,
                     "hard_frac": cfg.hard_frac, "variety": cfg.variety, "exact_masks": cfg.exact_masks,
                     "axes_variety": cfg.axes_variety, "marker_variety": cfg.marker_variety,
                     "themes": cfg.themes, "level_frac": cfg.level_frac, "legend_boxes": cfg.legend_boxes},
            "images": images, "annotations": annotations,
            "categories": [{"id": LINE_CATEGORY, "name": "line"}]}
    path = os.path.join(out_dir, f"{split}.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(coco, f)
    os.replace(tmp, path)
    return path
