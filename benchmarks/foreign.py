"""Foreign-renderer validation set: line charts drawn by plotly and pygal, not matplotlib.

Used only to measure the model on charts from other plotting libraries, never to train.

    pip install plotly==5.24.1 kaleido==0.2.1 pygal cairosvg    # as tested: pygal 3.1.3, cairosvg 2.9.1
    python benchmarks/foreign.py --out runs/foreign --num 180 --seed 0 [--workers 2]

kaleido 0.2.1 ships its own Chromium and renders offline; cairosvg needs the cairo
library. Not a project dependency: a measuring tool only. Writes OUT/images/NAME.png
(RGB chart), OUT/masks/NAME.png (uint16 label mask: 0 = no line, k = line k alone,
65535 = two or more lines) and OUT/foreign.json (COCO-like, category 2 = line; image
fields group, split, renderer and label_mask, relative to OUT). NAME is like
plotly_crossing_0012. Evaluate with img_dir=OUT/images.

Chart i: renderer = plotly for even i, pygal for odd i; group = STRATA[(i // 2) % 6];
split "tune" for every third chart of a (renderer, group) pair, else "report". Chart i
depends only on (seed, i), so the output does not depend on --workers.

Exact ground truth: the chart is rendered once with every line, once with every line
transparent (the background), and once per line k with only line k visible; all renders
share one layout (plotly: the other traces stay in the figure with transparent colours;
pygal: one SVG whose other series groups get opacity 0). Line k's pixels are those where
its render differs from the background by more than DIFF_THRESHOLD in some channel,
inside the plot rectangle and outside the legend's box (plotly) or with the legend's
swatches hidden (pygal). Each annotation's segmentation is the line's centre path: per
column the mean row of its pixels, in pieces split at column gaps over GAP_COLS.
Markers: each annotation records "markers" (the drawn markers' centres in pixels: pygal's
own dot positions, plotly's data points through the measured value -> pixel maps),
"marker_data" (their values) and "marker_style"; each image its "plot_box" (pixel edges).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
from multiprocessing import get_context

import cv2
import numpy as np

try:
    import cairosvg
    import kaleido  # noqa: F401  (plotly's PNG export)
    import plotly.graph_objects as go
    import plotly.io as pio
    import pygal
    import pygal.style
    from plotly.colors import qualitative
except (ImportError, OSError) as e:  # OSError: cairocffi without the cairo library (apt-get install libcairo2)
    sys.exit(f"foreign.py needs {getattr(e, 'name', None) or e}: "
             "pip install plotly==5.24.1 kaleido==0.2.1 pygal cairosvg")

STRATA = ["distinct", "same_color", "grayscale_dash", "markers", "dense", "crossing"]
PLOTLY_THEMES = ["plotly", "plotly_white", "simple_white", "ggplot2", "seaborn", "plotly_dark",
                 "plotly_white+presentation", "plotly+presentation"]
PYGAL_THEMES = ["DefaultStyle", "LightStyle", "DarkStyle", "CleanStyle", "NeonStyle", "LightColorizedStyle",
                "DarkColorizedStyle", "LightSolarizedStyle", "DarkSolarizedStyle", "TurquoiseStyle",
                "LightGreenStyle", "BlueStyle", "RedBlueStyle", "SolidColorStyle"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash"]
PYGAL_DASH = {"solid": None, "dash": (6, 4), "dot": (1.5, 3), "dashdot": (6, 3, 1.5, 3), "longdash": (14, 5)}
MARKERS = ["circle", "square", "triangle-up", "diamond", "cross", "star"]
SHAPES = ["walk", "sine", "exp", "step", "linear", "noisy"]
WORDS = ["time", "rate", "value", "signal", "ratio", "index", "mean", "error", "loss", "dose", "yield", "temperature",
         "pressure", "count", "score"]
CLEAR = "rgba(0,0,0,0)"
PROBES = ("rgb(255,0,255)", "rgb(0,255,0)")  # plot and legend backgrounds that find their boxes (plotly)
MIN_CONTRAST = 0.4  # least max-channel difference (0..1) of a line colour from the plot background
DIFF_THRESHOLD = 24  # max channel abs difference that makes a pixel part of a line
GAP_COLS = 3  # a segmentation piece ends where the next column with pixels is over this far
SIZE_W, SIZE_H = (500, 900), (350, 650)


# ---------------------------------------------------------------------------------
# chart specification (renderer-independent apart from themes and palettes)


def _rgb(c: str) -> tuple:
    m = re.match(r"rgba?\(([^)]*)\)", c.replace(" ", ""))
    if m:  # rgb(r,g,b) or rgba(r,g,b,a), composited on white
        v = [float(q) for q in m.group(1).split(",")] + [1.0]
        return tuple(ch / 255 * v[3] + 1 - v[3] for ch in v[:3])
    import matplotlib.colors

    return matplotlib.colors.to_rgb(c) if c != "transparent" else (1.0, 1.0, 1.0)


def _theme(renderer: str, theme: str) -> tuple[list, bool]:
    """(palette, dark background?) of a plotly template or pygal style; colours too close
    to the plot background are left out."""
    if renderer == "plotly":
        lay = pio.templates[theme.split("+")[0]].layout
        palette, bg = list(lay.colorway or qualitative.Plotly), lay.plot_bgcolor or "white"
    else:
        st = getattr(pygal.style, theme)
        palette, bg = list(st.colors), st.plot_background
    palette += [c for c in qualitative.Dark24 if c not in palette]
    contrast = [c for c in palette if np.abs(np.subtract(_rgb(c), _rgb(bg))).max() > MIN_CONTRAST]
    return contrast, sum(_rgb(bg)) < 1.2


def _series(rng, x: np.ndarray, kind: str) -> np.ndarray:
    t = (x - x[0]) / (x[-1] - x[0])
    n = len(x)
    if kind == "walk":
        return np.cumsum(rng.normal(0, 1, n)) + rng.normal(0, 3)
    if kind == "sine":
        return rng.uniform(1, 3) * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t + rng.uniform(0, 6)) + rng.normal(0, 1.5)
    if kind == "exp":
        return rng.uniform(0.5, 2) * np.exp(rng.uniform(-3, 3) * t) + rng.uniform(0, 1)
    if kind == "step":
        levels = np.cumsum(rng.normal(0, 1, rng.integers(3, 9)))
        return levels[np.minimum((t * len(levels)).astype(int), len(levels) - 1)]
    if kind == "linear":
        return rng.uniform(-3, 3) * t + rng.normal(0, 1.5)
    return rng.uniform(-2, 2) * t + rng.normal(0, rng.uniform(0.1, 0.5), n) + rng.normal(0, 1.5)


def _crossing(rng, x: np.ndarray, k: int) -> list:
    t = (x - x[0]) / (x[-1] - x[0])
    mode = rng.integers(3)
    if mode == 0:  # sines with phase shifts
        f, a = rng.uniform(0.7, 2.5), rng.uniform(1, 3)
        return [a * np.sin(2 * np.pi * f * t + j * rng.uniform(0.5, 2)) for j in range(k)], "sine"
    if mode == 1:  # straight or curved lines through one point
        t0, c = rng.uniform(0.2, 0.8), rng.normal(0, 1)
        return [c + rng.uniform(-4, 4) * (t - t0) + rng.uniform(-2, 2) * (t - t0) ** 2 for _ in range(k)], "linear"
    base = np.cumsum(rng.normal(0, 0.6, len(x)))  # walks around one trend, swapping places
    return [base + rng.uniform(-3, 3) * (t - rng.uniform(0.3, 0.7)) + np.cumsum(rng.normal(0, 0.3, len(x)))
            for _ in range(k)], "walk"


def _colours(rng, group: str, k: int, palette: list, dark: bool, same: bool) -> list:
    if same:
        return [palette[int(rng.integers(len(palette)))]] * k
    if group == "grayscale_dash":
        greys = ["#ffffff", "#d0d0d0", "#a8a8a8", "#888888"] if dark else ["#000000", "#333333", "#555555", "#777777"]
        return [greys[0]] * k if rng.random() < 0.5 else [greys[int(rng.integers(4))] for _ in range(k)]
    start = int(rng.integers(len(palette) // 2)) if rng.random() < 0.4 else 0  # the theme's order, or from further on
    colours = [palette[(start + j) % len(palette)] for j in range(k)]
    if group == "dense":  # a few repeated colours
        for j in rng.choice(k, int(rng.integers(0, 3)), replace=False):
            colours[j] = colours[int(rng.integers(k))]
    return colours


def _lines(rng, group: str, x: np.ndarray, ys: list, colours: list, same: bool) -> list:
    k, width = len(ys), float(rng.uniform(1, 4))
    dashes = ["solid"] * k
    if group == "grayscale_dash":  # distinct dash styles, solid first half the time
        dashes = [str(d) for d in rng.permutation(DASHES)[:k]]
        if rng.random() < 0.5:
            dashes = ["solid"] + [d for d in dashes if d != "solid"][:k - 1]
    lines = []
    for j in range(k):
        uniform = group in ("same_color", "grayscale_dash") or rng.random() < 0.6
        ln = {"name": f"{rng.choice(WORDS)} {j + 1}", "x": x, "y": ys[j], "color": colours[j], "dash": dashes[j],
              "width": width if uniform else float(rng.uniform(1, 4)), "marker": None, "open": False, "every": 1,
              "msize": 0}
        if group == "markers" or (group in ("distinct", "crossing") and rng.random() < 0.15):
            ln.update(marker=str(rng.choice(MARKERS)), open=bool(rng.random() < 0.35),
                      msize=int(rng.integers(5, 11) + 1.5 * ln["width"]),
                      every=1 if len(x) < 30 or rng.random() < 0.5 else int(rng.integers(3, 8)))
        lines.append(ln)
    if group == "markers" and same:  # one colour: the marker shapes tell the lines apart
        for ln, shape in zip(lines, list(rng.permutation(MARKERS)) * 2):
            ln["marker"] = str(shape)
    return lines


def make_spec(seed: int, i: int) -> dict:
    """Everything that chart i shows, drawn from (seed, i)."""
    rng = np.random.default_rng([seed, i])
    renderer, group = ("plotly", "pygal")[i % 2], STRATA[(i // 2) % len(STRATA)]
    theme = str(rng.choice(PLOTLY_THEMES if renderer == "plotly" else PYGAL_THEMES))
    palette, dark = _theme(renderer, theme)
    w = int(rng.integers(*SIZE_W))
    h = int(min(rng.integers(*SIZE_H), w * rng.uniform(0.6, 0.95)))
    k = int(rng.integers(6, 13) if group == "dense" else rng.integers(2, 5 if group == "crossing" else 6))
    n = int(rng.integers(10, 61))
    span, x0 = float(rng.choice([1, 10, 50, 100])), float(rng.choice([0, 0, 1990]))
    uniform = rng.random() < 0.8
    x = x0 + (np.linspace(0, span, n) if uniform else np.sort(rng.uniform(0, span, n)))
    kind = rng.choice(SHAPES) if rng.random() < 0.6 else None  # one shape for all lines, or mixed
    if group == "crossing":
        ys, kind = _crossing(rng, x, k)
    else:
        ys = [_series(rng, x, kind or rng.choice(SHAPES)) for _ in range(k)]
    same = group == "same_color" or (group in ("markers", "crossing") and rng.random() < 0.35)
    lines = _lines(rng, group, x, ys, _colours(rng, group, k, palette, dark, same), same)
    title = f"{rng.choice(WORDS).title()} by {rng.choice(WORDS)}" if rng.random() < 0.6 else ""
    word = lambda: str(rng.choice(WORDS)) if rng.random() < 0.6 else ""  # noqa: E731
    legend = str(rng.choice(["none", "outside", "inside", "bottom"], p=[0.25, 0.35, 0.25, 0.15]))
    legend = "outside" if legend == "inside" and k > 6 else legend  # a long legend inside would hide the chart
    return {"index": i, "renderer": renderer, "group": group, "theme": theme, "width": w, "height": h,
            "lines": lines, "title": title, "xlabel": word(), "ylabel": word(), "grid": bool(rng.random() < 0.7),
            "legend": legend,
            "legend_pos": (float(rng.uniform(0.01, 0.6)), float(rng.uniform(0.55, 0.99))),
            "step": kind == "step" and not any(ln["marker"] for ln in lines),
            "smooth": bool(uniform and kind in ("sine", "exp", "linear") and rng.random() < 0.4),
            "margin": {"l": int(rng.integers(45, 90)), "r": int(rng.integers(15, 60)), "b": int(rng.integers(35, 70)),
                       "t": int(rng.integers(50, 90) if title else rng.integers(15, 45))}}


# ---------------------------------------------------------------------------------
# plotly


def _decode(png: bytes) -> np.ndarray:
    """PNG bytes -> BGR uint8, alpha composited on white."""
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        a = img[:, :, 3:4].astype(np.float32) / 255
        img = np.round(img[:, :, :3] * a + 255 * (1 - a)).astype(np.uint8)
    return img


def plotly_render(spec: dict, show: set, probe: bool = False, figure: bool = False):
    fig = go.Figure()
    for j, ln in enumerate(spec["lines"]):
        col = ln["color"] if j in show else CLEAR
        marker = {"size": 0}
        if ln["marker"]:
            sizes = [ln["msize"] if m % ln["every"] == 0 else 0 for m in range(len(ln["x"]))]
            marker = {"symbol": ln["marker"] + ("-open" if ln["open"] else ""), "size": sizes, "color": col,
                      "line": {"color": col, "width": 1.5 if ln["open"] else 0}}
        fig.add_trace(go.Scatter(
            x=ln["x"], y=ln["y"], name=ln["name"], mode="lines+markers" if ln["marker"] else "lines",
            marker=marker, line={"color": col, "width": ln["width"], "dash": ln["dash"],
                                 "shape": "hv" if spec["step"] else "spline" if spec["smooth"] else "linear"}))
    legend, lx, ly = {}, *spec["legend_pos"]
    if spec["legend"] == "bottom":
        legend = {"orientation": "h", "x": 0, "y": -0.12 - 0.08 * bool(spec["xlabel"]), "yanchor": "top"}
    elif spec["legend"] == "inside":
        legend = {"x": lx, "y": ly, "xanchor": "left", "yanchor": "top", "borderwidth": 1}
    if probe:
        legend["bgcolor"] = PROBES[1]
    fig.update_layout(template=spec["theme"], width=spec["width"], height=spec["height"], margin=spec["margin"],
                      legend=legend, plot_bgcolor=PROBES[0] if probe else None,
                      showlegend=spec["legend"] != "none", title=spec["title"] or None,
                      xaxis_title=spec["xlabel"] or None, yaxis_title=spec["ylabel"] or None)
    fig.update_xaxes(showgrid=spec["grid"])
    fig.update_yaxes(showgrid=spec["grid"])
    return fig if figure else _decode(fig.to_image(format="png", scale=1))


def plotly_layers(spec: dict) -> tuple:
    """(chart, background, per-line renders, keep-mask: the plot area less the legend's box).

    The boxes come from one more render that paints the plot and legend backgrounds in
    probe colours (margins grow automatically, so the plot area is measured, not computed)."""
    k = len(spec["lines"])
    full, bg, probe = plotly_render(spec, set(range(k))), plotly_render(spec, set()), plotly_render(spec, set(), True)
    keep = np.zeros(bg.shape[:2], bool)
    axes = None
    box = None
    for j, colour in enumerate(PROBES):
        bgr = np.array(_rgb(colour)[::-1]) * 255
        ys, xs = np.nonzero(np.abs(probe - bgr).max(2) < 40)
        if ys.size and j == 0:
            keep[max(ys.min() - 1, 0):ys.max() + 2, max(xs.min() - 1, 0):xs.max() + 2] = True  # + anti-aliased edge
            box = (xs.min() - 0.5, ys.min() - 0.5, xs.max() + 0.5, ys.max() + 0.5)
            axes = _plotly_axes(spec, box)
        elif ys.size:  # the legend (with its border)
            keep[max(ys.min() - 3, 0):ys.max() + 4, max(xs.min() - 3, 0):xs.max() + 4] = False
    dots = {}  # every data point's pixel, through the true value -> pixel maps
    if axes:
        (ax, bx), (ay, by) = axes["x_map"], axes["y_map"]
        dots = {j: np.column_stack([(ln["x"] - ax) / bx, (ln["y"] - ay) / by]) for j, ln in enumerate(spec["lines"])}
    extra = {"plot_box": [round(float(v), 2) for v in box] if box else None, "dots": dots}
    return full, bg, [plotly_render(spec, {j}) for j in range(k)], keep, axes, extra


def _plotly_axes(spec: dict, box: tuple) -> dict:
    """True pixel -> value maps from the ranges plotly chose and the measured plot box
    (x0, y0, x1, y1, pixel edges): value = a + b * pixel, per axis."""
    lay = plotly_render(spec, set(), figure=True).full_figure_for_development(warn=False).layout
    (xl, xh), (yl, yh) = lay.xaxis.range, lay.yaxis.range
    x0, y0, x1, y1 = (float(v) for v in box)
    bx, by = (xh - xl) / (x1 - x0), (yl - yh) / (y1 - y0)
    return {"x_map": [xl - bx * x0, bx], "y_map": [yh - by * y0, by], "x": [xl, xh], "y": [yl, yh]}


# ---------------------------------------------------------------------------------
# pygal


def _marker_path(shape: str, x: float, y: float, r: float) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{r:.2f}"'
    if shape == "square":
        pts = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    elif shape == "diamond":
        pts = [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)]
    elif shape == "triangle-up":
        pts = [(0, -1.2), (1.1, 0.8), (-1.1, 0.8)]
    elif shape == "cross":
        a = 0.35
        pts = [(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1), (-a, a), (-1, a), (-1, -a),
               (-a, -a)]
    else:  # star: 5 outer and 5 inner points
        radius = [1.3 if q % 2 == 0 else 0.6 for q in range(10)]
        pts = [(rq * np.sin(q * np.pi / 5), -rq * np.cos(q * np.pi / 5)) for q, rq in enumerate(radius)]
    return '<path d="M' + " L".join(f"{x + r * px:.2f} {y + r * py:.2f}" for px, py in pts) + ' Z"'


def _pygal_svg(spec: dict, show_legend: bool) -> str:
    palette = [ln["color"] for ln in spec["lines"]]
    style = getattr(pygal.style, spec["theme"])(colors=tuple(palette))
    x = spec["lines"][0]["x"]
    xy = spec["step"] or not np.allclose(np.diff(x), x[1] - x[0])  # pygal.Line spaces the points evenly
    cls = pygal.XY if xy else pygal.Line
    chart = cls(width=spec["width"], height=spec["height"], style=style, show_legend=show_legend,
                legend_at_bottom=spec["legend"] == "bottom", title=spec["title"] or None,
                x_title=spec["xlabel"] or None, y_title=spec["ylabel"] or None, show_x_guides=spec["grid"],
                show_y_guides=spec["grid"], interpolate="cubic" if spec["smooth"] and not spec["step"] else None,
                show_minor_x_labels=xy, truncate_legend=20, truncate_label=-1, js=[])
    if not xy:
        digits = 0 if x[-1] - x[0] >= 20 else 1 if x[-1] - x[0] >= 2 else 2
        chart.x_labels = [f"{v:.{digits}f}" for v in x]
        chart.x_labels_major_every = int(np.ceil(len(x) / 8))
    for ln in spec["lines"]:
        pts = list(zip(x.tolist(), ln["y"].tolist()))
        if spec["step"]:
            pts = [p for a, b in zip(pts, pts[1:]) for p in (a, (b[0], a[1]))] + pts[-1:]
        dash = PYGAL_DASH[ln["dash"]]
        stroke = {"width": ln["width"]}
        if dash:
            stroke["dasharray"] = ",".join(f"{d * max(1, ln['width'] / 1.5):.1f}" for d in dash)
        chart.add(ln["name"], pts if xy else ln["y"].tolist(), stroke_style=stroke, show_dots=bool(ln["marker"]),
                  dots_size=ln["msize"] / 2)
    return chart.render(is_unicode=True)


def _pygal_markers(svg: str, spec: dict) -> str:
    """Draw the chosen marker shapes (pygal draws only circles), hollow or filled, on every n-th point."""
    def series(mo):
        ln, count = spec["lines"][int(mo.group(1))], itertools.count()

        def dot(md):
            if next(count) % ln["every"]:
                return ""
            fill = ' style="fill:none;stroke-width:1.5"' if ln["open"] else ""
            x, y, r = (float(v) for v in md.groups()[:3])
            return _marker_path(ln["marker"], x, y, r) + fill + md.group(4)
        return re.sub(r'<circle cx="([-\d.e]+)" cy="([-\d.e]+)" r="([\d.]+)"( class="dot[^"]*" />)', dot, mo.group(0))
    # the dots of series j are in the overlay group <g class="series serie-j color-j"><g class="dots">...
    return re.sub(r'<g class="series serie-(\d+) color-\d+"><g class="dots">.*?</g></g>(?=<g class="series|</g>)',
                  series, svg, flags=re.DOTALL)


def pygal_layers(spec: dict) -> tuple:
    """(chart, background, per-line renders, keep-mask: the plot area). All renders come from one
    SVG: a hidden series gets opacity 0, and the per-line renders hide the legend swatches."""
    raw = _pygal_svg(spec, spec["legend"] in ("outside", "bottom"))
    svg = _pygal_markers(raw, spec)
    m = re.search(r'translate\(([\d.]+), ([\d.]+)\)" class="plot"><rect x="0" y="0" width="([\d.]+)" '
                  r'height="([\d.]+)"', svg)
    px, py, pw, ph = map(float, m.groups())
    if spec["legend"] == "inside":  # pygal has no inside legend: move one drawn at the left into the plot
        leg = re.search(r'<g transform="translate\([^)]*\)" class="legends">(?:<g [^>]*>.*?</g>)*</g>',
                        _pygal_svg(spec, True), re.DOTALL).group(0)
        lx, ly = spec["legend_pos"]
        at = f"translate({px + 10 + lx * pw * 0.5:.1f}, {py + 10 + (1 - ly) * ph * 0.3:.1f})"
        svg = svg.replace("</g></svg>", re.sub(r"translate\([^)]*\)", at, leg, count=1) + "</g></svg>")

    def render(show: set, swatches: bool = True) -> np.ndarray:
        def hide(mo):
            return mo.group(0) if int(mo.group(1)) in show else mo.group(0).replace("<g ", '<g opacity="0" ')
        s = re.sub(r'<g class="series serie-(\d+) ', hide, svg)
        if not swatches:
            s = re.sub(r'<rect ([^>]*class="color-\d+ reactive")', r'<rect opacity="0" \1', s)
        return _decode(cairosvg.svg2png(bytestring=s.encode("utf-8")))

    k = len(spec["lines"])
    full, bg = render(set(range(k))), render(set(), False)
    keep = np.zeros(bg.shape[:2], bool)
    keep[max(int(py) - 3, 0):int(np.ceil(py + ph)) + 3, max(int(px) - 3, 0):int(np.ceil(px + pw)) + 3] = True
    font = getattr(pygal.style, spec["theme"])().label_font_size
    extra = {"plot_box": [round(v, 2) for v in (px - 0.5, py - 0.5, px + pw - 0.5, py + ph - 0.5)],
             "dots": _pygal_dots(raw, px, py)}
    return full, bg, [render({j}, False) for j in range(k)], keep, _pygal_axes(svg, px, py, font), extra


def _pygal_dots(svg: str, px: float, py: float) -> dict:
    """{series j: (n, 2) pixel centres of its dots, in order} (pixel = SVG coordinate - 0.5)."""
    out = {}
    for mo in re.finditer(r'<g class="series serie-(\d+) color-\d+"><g class="dots">(.*?)</g></g>(?=<g class="series|</g>)',
                          svg, flags=re.DOTALL):
        pts = re.findall(r'<circle cx="([-\d.e]+)" cy="([-\d.e]+)" r="[\d.]+" class="dot', mo.group(2))
        out[int(mo.group(1))] = np.array([[px + float(x) - 0.5, py + float(y) - 0.5] for x, y in pts]).reshape(-1, 2)
    return out


def _pygal_axes(svg: str, px: float, py: float, font: float) -> dict:
    """True pixel -> value maps fitted on pygal's own tick labels: a y label's text sits
    0.35 font sizes below its tick, an x label's text is centred on it; pixel = SVG
    coordinate - 0.5 (cairosvg draws 1 unit = 1 px). value = a + b * pixel, per axis."""
    out = {}
    for axis, off in (("x", px), ("y", py)):
        block = re.search(r'<g class="axis %s[ "].*?(?=<g class="axis|<g class="series|$)' % axis, svg, re.DOTALL)
        pts = []
        for x, y, text in re.findall(r'<text x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)</text>',
                                     block.group(0) if block else ""):
            try:
                value = float(text.replace(",", "").replace("\u2212", "-"))
            except ValueError:
                continue
            pts.append((off + (float(x) if axis == "x" else float(y) - 0.35 * font) - 0.5, value))
        if len({v for _, v in pts}) >= 2:
            b, a = np.polyfit([p for p, _ in pts], [v for _, v in pts], 1)
            out[f"{axis}_map"] = [float(a), float(b)]
            out[axis] = [min(v for _, v in pts), max(v for _, v in pts)]
    return out


# ---------------------------------------------------------------------------------
# ground truth and output


def centre_path(mask: np.ndarray, alone: np.ndarray) -> list:
    """Pieces [[x, y], ...]: per column the mean row of the line's pixels (of those only this line
    has, where the column has any), split at column gaps over GAP_COLS; 1-point pieces dropped."""
    rows = np.arange(mask.shape[0])[:, None]
    n_alone, n_all = alone.sum(0), mask.sum(0)
    mean = np.where(n_alone > 0, (alone * rows).sum(0) / np.maximum(n_alone, 1),
                    (mask * rows).sum(0) / np.maximum(n_all, 1))
    cols = np.nonzero(n_all)[0]
    pts = np.stack([cols, np.round(mean[cols], 2)], 1)
    pieces = np.split(pts, np.nonzero(np.diff(cols) > GAP_COLS)[0] + 1)
    return [p.tolist() for p in pieces if len(p) >= 2]


def make_chart(args) -> tuple:
    out, seed, i = args
    spec = make_spec(seed, i)
    full, bg, alone, keep, axes, extra = (plotly_layers if spec["renderer"] == "plotly" else pygal_layers)(spec)
    masks = [(np.abs(a.astype(np.int16) - bg).max(2) > DIFF_THRESHOLD) & keep for a in alone]
    kept = [j for j, m in enumerate(masks) if centre_path(m, m)]  # drop hidden lines (and specks of under 2 columns)
    masks = [masks[j] for j in kept]
    data = [np.column_stack([spec["lines"][j]["x"], spec["lines"][j]["y"]]).round(6).tolist() for j in kept]
    count = np.sum(masks, 0) if masks else np.zeros(bg.shape[:2], int)
    label = np.zeros(bg.shape[:2], np.uint16)
    for k, m in enumerate(masks, 1):
        label[m & (count == 1)] = k
    label[count >= 2] = 65535
    name = f"{spec['renderer']}_{spec['group']}_{i:04d}"
    cv2.imwrite(os.path.join(out, "images", name + ".png"), full)
    cv2.imwrite(os.path.join(out, "masks", name + ".png"), label)
    paths = [centre_path(m, m & (count == 1)) for m in masks]
    image = {"file_name": name + ".png", "width": int(full.shape[1]), "height": int(full.shape[0]),
             "group": spec["group"], "split": "tune" if (i // (2 * len(STRATA))) % 3 == 0 else "report",
             "renderer": spec["renderer"], "label_mask": f"masks/{name}.png", "axes": axes,
             "plot_box": extra["plot_box"]}
    return i, image, paths, data, [_marker_truth(spec["lines"][j], extra["dots"].get(j)) for j in kept]


def _marker_truth(ln: dict, dots) -> dict:
    """A line's drawn markers (every ln["every"]-th point): centres in pixels and data units, and style."""
    if not ln["marker"] or dots is None or len(dots) != len(ln["x"]):
        return {"markers": [], "marker_data": [], "marker_style": None}
    sel = np.arange(len(ln["x"])) % ln["every"] == 0
    return {"markers": np.round(dots[sel], 2).tolist(),
            "marker_data": np.column_stack([ln["x"], ln["y"]])[sel].round(6).tolist(),
            "marker_style": {"marker": ln["marker"], "open": ln["open"], "size": ln["msize"], "every": ln["every"]}}


def main(argv=None) -> None:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="runs/foreign")
    ap.add_argument("--num", type=int, default=180)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    for sub in ("images", "masks"):
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
    jobs = [(a.out, a.seed, i) for i in range(a.num)]
    with get_context("spawn").Pool(max(a.workers, 1)) as pool:
        results = sorted(tqdm(pool.imap_unordered(make_chart, jobs), total=a.num, desc="foreign", unit="chart"),
                         key=lambda r: r[0])
    images, anns = [], []
    for i, image, paths, data, marks in results:
        images.append({"id": i + 1, **image})
        anns += [{"id": len(anns) + 1, "image_id": i + 1, "category_id": 2, "segmentation": p, "data": d, **mk}
                 for p, d, mk in zip(paths, data, marks)]
    with open(os.path.join(a.out, "foreign.json"), "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": [{"id": 2, "name": "line"}]}, f)
    print(f"wrote {len(images)} charts, {len(anns)} lines to {a.out}")


if __name__ == "__main__":
    main()
