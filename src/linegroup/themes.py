"""Chart themes for `linegroup synth --themes`: the looks users meet that plain matplotlib
defaults never draw.

    linegroup synth OUT --num 4000 --seed 3 --variety --themes

Each chart drawn with --themes picks a few of the themes below from its own random stream
(seed, split, index, 4), so charts without the option stay exactly as they were:

- dark        dark background, light or neon series (and sometimes the whole chart inverted,
              255 minus the image, as a dark-mode screenshot of a light chart);
- panel       a grey or coloured plot panel with white grid lines (ggplot, seaborn darkgrid);
- thin_light  some series 0.4-0.7 px wide, or pale (mixed with the background);
- dotted      some series dotted;
- own_grid    grid lines in one series' own colour;
- own_text    labels in a series' own colour next to it, and arrows pointing at lines;
- connectors  series drawn as markers (filled, hollow, star, triangle) joined by thin or
              dotted connectors;
- scanned     paper tint and uneven lighting, then always blurred, noised, rotated or JPEG'd;
- margins     the chart pasted on a page with margins and lines of text around it.

Text, arrows and grid lines are not lines: they stay out of the targets, so the network
learns to leave them out however they are coloured.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, fields

import cv2
import numpy as np

MOVED = ("points", "mpoints")  # an annotation's point arrays (its line, its drawn markers) that move with the image


def move_points(a: dict, m: np.ndarray) -> None:
    """Apply the 2 x 3 affine map m (x, y image pixels) to annotation a's point arrays (MOVED)."""
    for key in MOVED:
        if key in a:
            a[key] = a[key] @ m[:, :2].T + m[:, 2]

# probability that a chart drawn with --themes gets each theme (independent draws)
THEME_P = {"dark": 0.2, "panel": 0.2, "thin_light": 0.25, "dotted": 0.2, "own_grid": 0.15,
           "own_text": 0.3, "connectors": 0.25, "scanned": 0.2, "margins": 0.15}
INVERT_P = 0.35  # a dark chart drawn as the inverse of a light one
LINE_P = 0.45  # share of a chart's series restyled by thin_light, dotted and connectors
PANELS = [(0.92, 0.92, 0.92), (0.918, 0.918, 0.949), (0.898, 0.898, 0.898), (0.93, 0.95, 0.98)]
CONNECTOR_MARKERS = ["o", "s", "^", "v", "*", "D", "p"]


@dataclass(frozen=True)
class Themes:
    dark: bool = False
    panel: bool = False
    thin_light: bool = False
    dotted: bool = False
    own_grid: bool = False
    own_text: bool = False
    connectors: bool = False
    scanned: bool = False
    margins: bool = False
    inverted: bool = False

    def names(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]


NONE = Themes()


def pick(hrng) -> Themes:
    """The themes of one chart. dark and panel exclude each other, and an inverted chart is
    drawn light (the inversion makes it dark)."""
    on = {name: bool(hrng.random() < p) for name, p in THEME_P.items()}
    if on["dark"] and on["panel"]:
        on["panel"] = False
    inverted = on["dark"] and hrng.random() < INVERT_P
    if inverted:
        on["dark"] = False
    return Themes(**on, inverted=inverted)


def dark_colors(hrng, colors: list, group_mode: str) -> tuple[tuple, list]:
    """A dark background and series that read on it: neon hues for distinct colours, light
    greys or one light colour for same-colour charts."""
    bg = tuple(float(v) for v in hrng.uniform(0.0, 0.16, 3))
    if group_mode in ("same", "gray"):  # keep which series share a colour
        uniq = {c: i for i, c in enumerate(dict.fromkeys(tuple(np.round(c, 3)) for c in colors))}
        levels = hrng.uniform(0.55, 1.0, len(uniq))
        hue = float(hrng.random())
        sat = 0.0 if group_mode == "gray" else float(hrng.uniform(0.3, 0.9))
        table = [colorsys.hsv_to_rgb(hue, sat, float(v)) for v in levels]
        return bg, [table[uniq[tuple(np.round(c, 3))]] for c in colors]
    hues = (hrng.random() + np.arange(len(colors)) / max(len(colors), 1)) % 1.0
    return bg, [colorsys.hsv_to_rgb(float(h), float(hrng.uniform(0.5, 1.0)), float(hrng.uniform(0.8, 1.0)))
                for h in hues]


def style_panel(hrng, ax, px: float) -> None:
    """A grey (or faintly coloured) panel with white grid lines and no spines."""
    ax.set_facecolor(PANELS[int(hrng.integers(len(PANELS)))])
    ax.set_axisbelow(True)
    ax.grid(True, color="white", linestyle="-", linewidth=float(hrng.uniform(0.8, 2.0)) * px)
    for sp in ax.spines.values():
        sp.set_visible(False)


def style_own_grid(hrng, ax, colors: list, px: float) -> None:
    """Grid lines in the colour of one of the series."""
    c = colors[int(hrng.integers(len(colors)))]
    ax.grid(True, color=c, linestyle=str(hrng.choice(["-", "--", ":"])), alpha=float(hrng.uniform(0.3, 1.0)),
            linewidth=float(hrng.uniform(0.4, 1.0)) * px)


def restyle_line(hrng, th: Themes, kw: dict, px: float, bg, n_pts: int) -> dict:
    """One series' ax.plot keywords with the per-line themes applied (each to about LINE_P
    of the series)."""
    kw = dict(kw)
    if th.thin_light and hrng.random() < LINE_P:
        if hrng.random() < 0.5:
            kw["linewidth"] = float(hrng.uniform(0.4, 0.7)) * px
        else:  # pale: mixed with the background
            base = np.asarray(bg if isinstance(bg, tuple) else (1.0, 1.0, 1.0))
            t = float(hrng.uniform(0.35, 0.65))
            kw["color"] = tuple(float(v) for v in t * base + (1 - t) * np.asarray(kw["color"]))
    if th.dotted and kw["linestyle"] != "None" and hrng.random() < LINE_P:
        kw["linestyle"] = ":" if hrng.random() < 0.5 else (0, (1, float(hrng.uniform(1, 3))))
    if th.connectors and hrng.random() < LINE_P:
        kw["marker"] = str(hrng.choice(CONNECTOR_MARKERS))
        kw["markersize"] = float(hrng.uniform(4, 11)) * px
        kw["markevery"] = max(1, n_pts // int(hrng.integers(6, 20)))
        kw["linewidth"] = float(hrng.uniform(0.5, 1.2)) * px
        kw["linestyle"] = "-" if hrng.random() < 0.5 else str(hrng.choice([":", "--"]))
        if hrng.random() < 0.4:
            kw["markerfacecolor"] = "none"
            kw["markeredgewidth"] = float(hrng.uniform(0.8, 1.8)) * px
        else:
            kw.pop("markerfacecolor", None)
    return kw


def annotate_lines(hrng, ax, xs: list, ys: list, colors: list, fs: float, px: float, text_color,
                   words: list) -> None:
    """Labels (drawn from words) in a series' own colour beside it, and arrows whose heads
    touch a line."""
    for _ in range(int(hrng.integers(1, 4))):
        k = int(hrng.integers(len(xs)))
        if len(xs[k]) == 0:
            continue
        i = int(hrng.integers(len(xs[k])))
        x, y = float(xs[k][i]), float(ys[k][i])
        word = " ".join(hrng.choice(words, int(hrng.integers(1, 3))))
        if hrng.random() < 0.6:  # a label beside the line, in its colour
            ax.annotate(word, xy=(x, y), xytext=(float(hrng.uniform(-10, 10)), float(hrng.choice([-1, 1]) *
                        hrng.uniform(3, 10))), textcoords="offset points", color=colors[k],
                        fontsize=fs * float(hrng.uniform(0.7, 1.1)))
        else:  # an arrow pointing at the line
            c = colors[k] if hrng.random() < 0.5 else text_color
            ax.annotate(word, xy=(x, y), xytext=(float(hrng.uniform(-60, 60)), float(hrng.uniform(-50, 50))),
                        textcoords="offset points", color=c, fontsize=fs * 0.8,
                        arrowprops=dict(arrowstyle=str(hrng.choice(["->", "-|>", "simple", "-"])), color=c,
                                        lw=float(hrng.uniform(0.6, 1.5)) * px))


def scan_look(hrng, img: np.ndarray) -> np.ndarray:
    """Paper tint and uneven lighting (a smooth gradient and a soft shadow), as a scan or a
    photo of a printed page; degrade() then blurs, noises, rotates and compresses it."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = float(hrng.uniform(0, 2 * np.pi))
    ramp = (np.cos(ang) * xx / max(w, 1) + np.sin(ang) * yy / max(h, 1))
    light = 1.0 - float(hrng.uniform(0.05, 0.25)) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    cx, cy = hrng.uniform(0, w), hrng.uniform(0, h)
    r2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (float(hrng.uniform(0.3, 1.0)) * max(h, w)) ** 2
    light *= 1.0 - float(hrng.uniform(0.0, 0.15)) * np.exp(-r2)
    tint = np.array([1.0, float(hrng.uniform(0.95, 1.0)), float(hrng.uniform(0.86, 0.98))], np.float32)
    out = img.astype(np.float32) * light[..., None] * tint
    return np.clip(out, 0, 255).astype(np.uint8)


def page_margins(hrng, img: np.ndarray, annots: list) -> tuple[np.ndarray, list]:
    """The chart pasted on a page: margins of 4-25% a side in a paper colour, with lines of
    text-like marks in them; polylines (and masks) move with the chart."""
    h, w = img.shape[:2]
    top, bottom = (int(hrng.uniform(0.04, 0.25) * h) for _ in range(2))
    left, right = (int(hrng.uniform(0.04, 0.25) * w) for _ in range(2))
    paper = [int(v) for v in hrng.integers(235, 256, 3)]
    page = np.empty((h + top + bottom, w + left + right, 3), np.uint8)
    page[:] = paper
    page[top:top + h, left:left + w] = img
    scale = float(hrng.uniform(0.3, 0.6))
    ink = (int(hrng.integers(0, 60)),) * 3
    for y0, y1 in ((0, top), (top + h, page.shape[0])):  # text above and below the chart
        for y in range(y0 + 14, y1 - 4, int(hrng.integers(16, 24))):
            x = int(hrng.integers(2, max(3, left + 1)))
            while x < page.shape[1] - 40:
                word = "".join(hrng.choice(list("abcdefghijklmnopqrstuvwxyz"), int(hrng.integers(2, 9))))
                cv2.putText(page, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, ink, 1, cv2.LINE_AA)
                x += int(len(word) * 18 * scale) + int(hrng.integers(6, 14))
    shift = np.array([[1.0, 0.0, left], [0.0, 1.0, top]])
    for a in annots:
        move_points(a, shift)
        if "mask" in a:
            a["mask"] = cv2.copyMakeBorder(a["mask"], top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    return page, annots
