"""Inference: chart image (+ optional candidate mask) -> line instances.

    from linegroup import LineGrouper
    g = LineGrouper.load(path=None, device="cpu")    # None: the weights shipped in the package
    res = g.predict("chart.png", candidates=None)    # or an RGB array; candidates: mask path/array
    res.mask       # (H, W) uint16: 0 = no line, k = line k
    res.lines      # [{"id", "num_pixels", "color", "points", "segments", "polyline", "markers", "marker"}, ...]
    res.timings    # {"network_ms", "grouping_ms", "markers_ms"}

Flow: the network (run by ONNX Runtime from the shipped weights' ONNX export, without
importing torch; or by torch for any checkpoint: runtime.py) gives a D x H x W
embedding (and a line-pixel probability; a chart on a dark background is shown to it
inverted, `is_dark`); the
candidate pixels (given, or the model's own: probability > fg_threshold, and > fg_low
where they touch those, `own_candidates`) are grouped
into lines by `grouping.group_lines` (default: one-line fragments linked by continuation
and appearance, the embedding one cue among several) or, with grouping="dbscan", by the
seed's DBSCAN on the embeddings (`grouping.dbscan`); each line gets one point per column.
With the model's own candidates, the `candidates` stage cleans them first: pixels
outside the plot area (the rectangle the x and y axes enclose, `find_plot_area`: tick
labels, axis titles, the chart title) are left out unless that would drop over half of
them (then the frame found is not the axes; with no axes meeting at a corner, a plot
panel of its own colour, `find_panel`, is the plot area, and without a panel the extent of
a faint grid, `find_grid`); legend entries (`candidates/legend.py`: a swatch with a text
label, repeated in a column or a row, found in the image), legend swatches and tick marks
(`find_marks`: short strokes repeated in a column or a row) and grid rulings
(`find_rulings`: evenly spaced horizontal runs over 60% of the width, vertical ones over
60% of the height) are removed before grouping; after grouping, each line's stray pieces
(`drop_strays`: text glyphs, arrow heads far from its body), then groups that are
rulings (`drop_rulings`); lines that a learned pair score calls pieces of one series are
merged (`grouping/pieces.py`, so that the judge sees a series whole), and groups a
learned judge takes for legend entries, labels, grid dashes or background
(`candidates/series.py`) are dropped. Then a line's pixels
are its ink: the network marks a band around each line, 4-5 px wide for a 1 px stroke,
and the band's pixels off the ink core whose colour is within TRIM_LAB of the background
beside the band, and of the chart's background colour, are left out of the line (after
the judge, which was fitted on whole bands; where the band stops short of a big
marker's edge, the pixel beside it is the marker's colour, and the marker's inside
stays). Then a group that lies on the image's grid (`drop_grid_pieces`: 60% of its ink
within 2 px of evenly spaced grid rows or columns that the image shows across the plot)
is a stretch of a dotted grid line the network marked, and goes. Last, with any
candidates, the pieces are merged again, on the lines' ink, and a line made of parallel
slanted strokes side by side is annotation arrows (`drop_arrows`) and goes. On the foreign set's
report split end to end the first test took PQ from 0.505 to 0.585
and pixel precision from 0.959 to 0.979, for pixel recall 0.902 -> 0.890 and ARI 0.631
-> 0.602 (ARI counts the faintest anti-aliased true pixels left out); chosen on the
tune split (PQ 0.528 -> 0.610 at 4, 0.615 at 8, with recall 0.880 and 0.876). Given
candidates are kept as they are, and every one of them ends in a line.

Huge images: the network sees the image downscaled so that its longer side is at most
`max_side` px (default 2048), and the grouping runs at that resolution too (a cell is a
candidate if any of its full-resolution pixels is; the geometric rules' pixel thresholds
are meant for charts of about that size). Each full-resolution candidate pixel then takes
the label of its cell; outputs keep the input's size. Memory stays bounded (a
6000 x 4000 chart runs in about 1.2 GB of RSS, see benchmarks/).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from importlib import resources

import cv2
import numpy as np

from .candidates.gridrows import drop_grid_pieces
from .candidates.inkrecall import ink_recall
from .candidates.legend import drop_legend, legend_mask
from .candidates.marks import find_marks, find_rulings
from .candidates.plotarea import commonest_grey, crop_to, find_area
from .candidates.strays import drop_arrows, drop_rulings, drop_strays, drop_text
from .candidates.series import SERIES_BIAS, drop_nonseries, group_features
from .checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from .grouping import group_lines, load_link_models
from .grouping.coincide import merge_outlines
from .grouping.dbscan import GroupParams, group_pixels
from .grouping.describe import pixels_lab
from .grouping.ink import ink_core
from .grouping.leftovers import grow_into
from .grouping.pieces import PIECES_BIAS, merge_pieces
from .images import ImageError, decode_raw, read_bytes, read_image, to_rgb8
from .labels import label_slices, renumber
from .markers import background_colour, find_markers, polyline
from .orderstats import median
from .runtime import OnnxNet, OpenCVNet, OrtNet, TorchNet, matching_onnx

GROUPINGS = ("links", "dbscan")
RUNTIMES = ("auto", "torch", "onnxruntime", "opencv")
ONNX_RUNNERS = {"onnxruntime": OrtNet, "opencv": OpenCVNet}
DEFAULT_LINK_BIAS = -1.0  # log-odds a link must beat; chosen on the foreign set's tune split (0, -0.5, -1, -2)
# line-pixel probability above which a pixel is one of the model's own candidates. Lower
# keeps more of pale and thin series and more text and background: on the foreign report
# split 0.25 (with the series judge at 0) raised ARI and count but not PQ, and cost 0.03
# precision (README "Line-pixel threshold")
FG_THRESHOLD = 0.5
FG_LOW = 0.25  # hysteresis: pixels above this probability join a candidate above FG_THRESHOLD they touch;
#   chosen on the foreign set's tune split (0.5 = off, 0.3, 0.25, 0.2) for its end-to-end PQ
TRIM_LAB = 4.0  # Lab: a candidate off its line's ink core whose colour is this close to the background
#   beside its band and to the chart's commonest colour is background, and is left out of the
#   line after the series judge
GROW_STEPS = 6  # px: after the series judge, the model's own candidates that the grouping left
#   (far from every line's path) join a kept line they connect to within this many steps, if
#   of its ink (leftovers.grow_into): a spike's tip lies far from the line's column centres.
#   On the foreign tune split 6 and 12 steps gave the same scores (README "Spikes' tips")
LEGEND = True  # the model's own candidates lose the legend's entries, found in the image (candidates/legend.py)
DARK = 128  # grey level: a chart whose commonest grey is darker is dark (is_dark)

DEFAULT_WEIGHTS = "linegroup_default.pt"


def bundled_weights_path() -> str | None:
    """Path of the weights shipped inside the package, or None if there are none."""
    ref = resources.files("linegroup").joinpath("weights", DEFAULT_WEIGHTS)
    return str(ref) if ref.is_file() else None


@dataclass
class PredictResult:
    mask: np.ndarray  # (H, W) uint16
    lines: list  # list of dicts, see lines_from_mask
    candidates: int = 0
    timings: dict = field(default_factory=dict)
    embedding: np.ndarray | None = None  # (D, h, w) at network resolution, if asked for
    plot_area: tuple | None = None  # (x0, y0, x1, y1) the model's own candidates were kept to
    probability: np.ndarray | None = None  # (h, w) line-pixel probability at network resolution, if asked for


def lines_from_mask(mask: np.ndarray, image: np.ndarray | None = None, seg_gap: int | None = None) -> list[dict]:
    """Per line: pixel count, median colour and its series (one point per column, at the
    centre of the line's pixels in that column, ordered by x). The series is split into
    "segments" where the line has no pixel for more than seg_gap columns."""
    h, w = mask.shape
    nz = cv2.findNonZero((mask > 0).view(np.uint8))  # x, y in row-major order, as np.nonzero (4x faster)
    if nz is None:
        return []
    xs, ys = nz.reshape(-1, 2).T.astype(np.int64)
    lab = mask[ys, xs].astype(np.int64)
    k = int(lab.max())
    seg_gap = seg_gap if seg_gap is not None else max(10, w // 50)
    key = lab * w + xs
    cnt = np.bincount(key, minlength=(k + 1) * w).reshape(k + 1, w)
    ysum = np.bincount(key, weights=ys, minlength=(k + 1) * w).reshape(k + 1, w)
    if image is not None:
        order, bounds = label_slices(lab, k)
        rgb = image[ys[order], xs[order]]  # the lines' pixels' colours, one run per line
    lines = []
    for c in range(1, k + 1):
        cols = np.flatnonzero(cnt[c])
        if len(cols) == 0:
            continue
        yc = ysum[c, cols] / cnt[c, cols]
        pts = np.column_stack([cols, np.round(yc, 2)])
        cuts = np.flatnonzero(np.diff(cols) > seg_gap) + 1
        segs = [s.tolist() for s in np.split(pts, cuts)]
        color = None
        if image is not None:
            color = [int(v) for v in median(rgb[bounds[c]:bounds[c + 1]])]
        lines.append({"id": c, "num_pixels": int(cnt[c].sum()), "color": color,
                      "points": pts.tolist(), "segments": segs})
    return lines


def background_lab(image: np.ndarray) -> np.ndarray:
    """(3,) the chart's background colour (markers.background_colour, its commonest) in Lab,
    on the scale of grouping.describe.pixels_lab."""
    rgb = (background_colour(image) / 255.0).reshape(1, 1, 3).astype(np.float32)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(3)


def is_dark(image: np.ndarray) -> bool:
    """Whether a chart is drawn on a dark background: its commonest grey (of every other
    pixel) is below DARK. The network finds line pixels better on light charts (end to end,
    on the hard and foreign sets inverted to a dark theme, pixel recall 0.847 and 0.835
    shown as they are, 0.884 and 0.871 shown inverted: benchmarks/network.py quality
    --dark_as_light off / on), so `embed` shows it dark charts inverted; the grouping
    still reads the colours of the chart as it is."""
    gray = cv2.cvtColor(np.ascontiguousarray(image[::2, ::2, :3]), cv2.COLOR_RGB2GRAY)
    return commonest_grey(gray) < DARK


class LineGrouper:
    def __init__(self, model, device="cpu", params: GroupParams | None = None,
                 max_side: int = 2048, fg_threshold: float = FG_THRESHOLD, fg_low: float = FG_LOW, source: str = "",
                 drop_rulings: bool = True, plot_area: bool = True, max_outside: float = 0.5,
                 drop_marks: bool = True, drop_strays: bool = True, grouping: str = "links",
                 link_bias: float = DEFAULT_LINK_BIAS, links: str | None = None, series_bias: float = SERIES_BIAS,
                 dark_as_light: bool = True, pieces_bias: float = PIECES_BIAS, ink_recall: bool = True):
        if grouping not in GROUPINGS:
            raise ValueError(f"unknown grouping {grouping!r} ({', '.join(GROUPINGS)})")
        # model: a SmallUNet (run by torch on `device`) or an ONNX runtime net (runtime.OnnxNet)
        self.net = model if isinstance(model, OnnxNet) else TorchNet(model, device)
        self.model = getattr(self.net, "model", None)  # the torch module, if torch runs it
        self.device = str(getattr(self.net, "device", "cpu"))
        self.params = params or GroupParams()
        self.max_side = max_side
        self.fg_threshold = fg_threshold
        self.fg_low = fg_low
        self.drop_rulings = drop_rulings
        self.plot_area = plot_area
        self.max_outside = max_outside
        self.drop_marks = drop_marks
        self.drop_strays = drop_strays
        self.grouping = grouping
        self.link_bias = link_bias
        self.series_bias = series_bias
        self.pieces_bias = pieces_bias
        self.dark_as_light = dark_as_light
        self.ink_recall = ink_recall
        try:
            self.links = load_link_models(links) if grouping == "links" else None
        except FileNotFoundError:
            raise CheckpointError(f"{links}: link model file not found") from None
        except (OSError, ValueError, KeyError) as e:  # not an npz, or an npz without the models' arrays
            raise CheckpointError(f"{links}: not a link model file ({type(e).__name__})") from None
        self.source = source

    @property
    def has_fg_head(self) -> bool:
        return bool(self.net.config.fg_head)

    @classmethod
    def load(cls, path: str | None = None, device: str = "cpu", runtime: str = "auto", **kw) -> "LineGrouper":
        """Load a checkpoint (path) or, with path=None, the weights shipped in the package.
        runtime: "torch"; "onnxruntime" or "opencv" (the checkpoint's ONNX export beside it,
        CPU only, no torch import; runtime.py); "auto": on the CPU, the export where there is
        one, run by ONNX Runtime, or by OpenCV where onnxruntime is not installed."""
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r} ({', '.join(RUNTIMES)})")
        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        if path is None:
            path = bundled_weights_path()
            if path is None:
                raise CheckpointError("no weights are bundled with this installation of linegroup; "
                                      "pass a checkpoint (--checkpoint PATH) trained with `linegroup train`")
        if runtime != "torch":
            if device != "cpu" and runtime != "auto":
                raise CheckpointError(f"{path}: --runtime {runtime} runs on the CPU only (--device cpu)")
            onnx = matching_onnx(path) if device == "cpu" and os.path.isfile(path) else None
            if onnx is None and runtime != "auto":
                raise CheckpointError(f"{path}: no ONNX export of this checkpoint beside it "
                                      f"(make one with scripts/export_onnx.py), so --runtime {runtime} cannot run it")
            errors = []
            names = [] if onnx is None else (list(ONNX_RUNNERS) if runtime == "auto" else [runtime])
            for name in names:
                try:
                    return cls(ONNX_RUNNERS[name].load(onnx), source=path, **kw)
                except Exception as e:  # noqa: BLE001 - not installed, or cannot read the graph: the next one
                    errors.append(f"{name}: {type(e).__name__}: {e}")
            if errors and runtime != "auto":
                raise CheckpointError(f"{onnx}: {runtime} cannot run this network ({errors[0]})")
        ckpt = load_checkpoint(path)
        model = model_from_checkpoint(ckpt).float()
        return cls(model, device, source=path, **kw)

    # -----------------------------------------------------------------------------

    def network_image(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """The image at the network's resolution (longer side <= max_side) and its scale."""
        h, w = image.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        if scale < 1.0:
            image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        return image, scale

    def embed(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, float]:
        """RGB uint8 (H, W, 3) -> (embedding (D, h, w), line probability (h, w) or None, scale).
        The embedding is an array, or with the ONNX runtimes a `runtime.SubpixelEmbedding`
        that reads like one (emb[:, ys, xs]; np.asarray(emb) lays it out in full)."""
        image, scale = self.network_image(image)
        if self.dark_as_light and is_dark(image):  # the network sees a dark chart as a light one
            image = 255 - image
        emb, prob = self.net(image)
        return emb, prob, scale

    def own_candidates(self, prob: np.ndarray) -> np.ndarray:
        """The model's own line pixels from its line probability (h, w): above fg_threshold,
        and, by hysteresis, above fg_low where 8-connected to those (the pale or thin stretch
        of a series whose darker or steeper stretches the network is sure of: pale flat runs
        score 0.2-0.5 where a grid's dashes beside them score higher, a one-off look at
        pygal's light palettes). A faint piece touching no sure pixel stays out."""
        sure = prob > self.fg_threshold
        if self.fg_low >= self.fg_threshold:
            return sure
        n, lab = cv2.connectedComponents((prob > self.fg_low).view(np.uint8), connectivity=8)
        keep = np.zeros(n, bool)
        keep[lab[sure]] = True
        keep[0] = False
        return keep[lab]

    def clean_candidates(self, cand: np.ndarray, img: np.ndarray):
        """The model's own candidates (H, W) bool, cleaned: kept inside the axes, legend
        swatches, tick marks and grid rulings removed, and the pixels of the plot area
        drawn in the remaining candidates' inks added (`ink_recall`, then cleaned again).
        Returns (mask, plot area or None)."""
        return self._clean(cand, img)[:2]

    def _clean(self, cand: np.ndarray, img: np.ndarray):
        """clean_candidates, and the Lab of the page and of the plot panel where the ink
        recall measured them (else None), for `predict` to use again."""
        area = backgrounds = None
        if self.plot_area:  # inside the axes only
            area = find_area(img)  # the axes' corner, else a panel of its own colour, else a faint grid
            inner = crop_to(cand, area)
            n, n_in = int(cand.sum()), int(inner.sum())
            if n == 0 or n_in >= (1 - self.max_outside) * n:
                cand = inner
            else:  # most line pixels outside: a frame found in the wrong place, not the axes
                area = None
        legend = None
        if self.drop_marks and LEGEND and cand.any():  # legend entries: swatch and label, found in the image
            legend = legend_mask(img, area)
            cand = drop_legend(cand, legend)
        cand = self._drop_marks_and_rulings(cand, img, area)
        if self.ink_recall and area is not None and cand.any():  # the rest of the series' inks, in the
            # plot area (without one, a chart's panel, noise or blur may pass for a pale ink)
            ax0, ay0, ax1, ay1 = area  # never ink: the page's colour and the plot panel's
            backgrounds = [background_lab(img), background_lab(img[ay0:ay1 + 1, ax0:ax1 + 1])]
            more = ink_recall(cand, img, area, backgrounds)
            if more is not cand:  # pixels were added: clean the whole again
                cand = self._drop_marks_and_rulings(more if legend is None else drop_legend(more, legend), img, area)
        return cand, area, backgrounds

    def _drop_marks_and_rulings(self, cand: np.ndarray, img: np.ndarray, area) -> np.ndarray:
        if self.drop_marks:  # legend swatches and tick marks
            cand = cand & ~find_marks(cand, img)
        if self.drop_rulings:  # grid lines and axes would chain the lines together
            cand = cand & ~find_rulings(cand, area=area)
        return cand

    def _merge_pieces(self, labels, xs, ys, lab, feats, bg) -> np.ndarray:
        """labels with the lines that the pieces model calls one series merged (grouping/pieces.py),
        renumbered; unchanged without a pieces model (an older links file) or lines. lab: the
        pixels' Lab colour, bg: the chart's background Lab (background_lab)."""
        if self.links is None or self.links.pieces is None or len(xs) == 0:
            return labels
        return renumber(merge_pieces(xs, ys, labels, lab, feats, bg, self.links.pieces, self.pieces_bias))

    def predict(self, image, candidates=None, keep_embedding: bool = False, name: str | None = None) -> PredictResult:
        """image: path or array (gray, RGB, RGBA; bool, 8-, 16-bit or float). candidates: None
        (the model finds line pixels), or a path/array of the same H x W where non-zero =
        candidate. keep_embedding: also return the network's outputs (embedding, line
        probability) at its resolution. name: what error messages call the image (default: its path, or "image").
        Bad input raises ImageError with a message naming it."""
        name = name or (image if isinstance(image, str) else "image")
        img = read_image(image) if isinstance(image, str) else to_rgb8(np.asarray(image), name, bgr=False)
        h, w = img.shape[:2]
        cand = None
        if candidates is not None:
            cand = _load_candidates(candidates, name)
            if cand.shape != (h, w):
                what = f"{candidates} (candidate mask)" if isinstance(candidates, str) else "candidate mask"
                raise ImageError(f"{name}: {what} is {cand.shape[1]}x{cand.shape[0]}, but the image is {w}x{h}; "
                                 f"sizes must match")
        elif not self.has_fg_head:
            raise ValueError("this checkpoint has no line-pixel head: pass a candidate mask (--candidates)")

        t0 = time.perf_counter()
        small_img, scale = self.network_image(img)
        emb, prob, _ = self.embed(small_img)
        t1 = time.perf_counter()
        eh, ew = emb.shape[1:]
        if scale < 1.0:  # full-resolution pixel -> its pixel at the network's resolution
            ry = np.minimum((np.arange(h) * scale).astype(np.int64), eh - 1)
            rx = np.minimum((np.arange(w) * scale).astype(np.int64), ew - 1)
        if cand is None:  # the model's own candidates, upsampled by nearest neighbour
            own = self.own_candidates(prob)
            cand = own[ry[:, None], rx[None, :]] if scale < 1.0 else own
        area = known = None
        if candidates is None:
            cand, area, known = self._clean(cand, img)
        if scale < 1.0:  # the page's and the panel's colours were read on the full image: read again below
            known = None
        small_area = None if area is None else tuple(int(round(v * scale)) for v in area)  # at the network's resolution
        # group at the network's resolution: a cell is a candidate if any of its pixels is
        fy, fx = np.nonzero(cand)
        if scale < 1.0:
            small = np.zeros((eh, ew), bool)
            small[ry[fy], rx[fx]] = True
            ys, xs = np.nonzero(small)
        else:
            ys, xs = fy, fx
        xy = np.column_stack([xs, ys]).astype(np.float32)
        feats = emb[:, ys, xs].T
        core = strength = lab = bg = None
        if self.grouping == "links":
            if len(xs):  # each candidate's Lab (the linking, the pieces, the trim) and the background's, once
                lab = pixels_lab(small_img, xs, ys)
                bg = background_lab(small_img) if known is None else known[0]
            if candidates is None and len(xs):  # the ink core, linked first
                core, strength = ink_core(xs, ys, small_img, lab, strength=True)
            labels = group_lines(xs, ys, small_img, feats, self.links, own=candidates is None, bias=self.link_bias,
                                 core=core, lab=lab)
        else:
            labels = group_pixels(feats, xy, self.params)
        unplaced = labels == 0  # the model's own candidates far from every line's path
        if candidates is None and self.drop_strays:  # text and arrow heads that joined a line far from it
            labels = drop_strays(labels, xy)
            if self.grouping == "links":  # a line is then one stroke per column; a word is not
                labels = drop_text(labels, xy)
        if candidates is None and self.drop_rulings:  # the model's own candidates: no grid or axis lines
            labels = drop_rulings(labels, xy, ew)
        if candidates is None:  # a series' pieces merged, so that the judge below sees the series whole
            labels = self._merge_pieces(labels, xs, ys, lab, feats, bg)
        if candidates is None and self.drop_strays and self.links is not None and self.links.series is not None:
            # legend entries, labels, grid dashes, background texture: groups that are not series
            feats_s = group_features(labels, xy, small_img, prob, small_area)
            labels = drop_nonseries(labels, feats_s, self.links.series, self.series_bias)
        if candidates is None and self.grouping == "links" and len(xs):  # a spike's band, joined to a kept line's ink
            labels = grow_into(xs, ys, labels, unplaced, GROW_STEPS, lab, bg, core)
            if labels.max() > 1:  # a line of markers beside its connector (as the grouping does with
                # given candidates; here after the judge, which would drop the merged line as a whole)
                labels = merge_outlines(xs, ys, labels, lab, np.tile(bg, (int(labels.max()), 1)))
        if core is not None:  # a line's pixels are its ink: the band's background pixels go
            pale = ((lab - bg) ** 2).sum(1) < TRIM_LAB ** 2  # and the chart's background (not a marker's inside
            # where the band stops short of the marker's edge, and so looks like its own colour beside it)
            if small_area is not None:  # or the plot panel's, where it has a colour of its own
                ax0, ay0, ax1, ay1 = small_area
                panel = background_lab(small_img[ay0:ay1 + 1, ax0:ax1 + 1]) if known is None else known[1]
                pale |= ((lab - panel) ** 2).sum(1) < TRIM_LAB ** 2
            labels = np.where((strength < TRIM_LAB) & pale & ~core, 0, labels)
            if self.drop_rulings:  # stretches of a grid line the network marked, now cut to their ink
                labels = drop_grid_pieces(labels, xy, small_img)
        labels = self._merge_pieces(labels, xs, ys, lab, feats, bg)  # (again, on the lines' ink)
        if candidates is None and self.drop_strays:  # annotation arrows side by side, strung into a "line"
            labels = drop_arrows(labels, xy)
        mask = np.zeros((eh, ew), np.uint16)
        mask[ys, xs] = labels
        small_mask = mask
        if scale < 1.0:  # each full-resolution candidate takes the label of its cell
            full = np.zeros((h, w), np.uint16)
            full[fy, fx] = mask[ry[fy], rx[fx]]
            mask = full
        t2 = time.perf_counter()
        lines = lines_from_mask(mask, img)
        t3 = time.perf_counter()
        # marker centres along each line (at the network's resolution above max_side), and its polyline
        add_markers(lines, small_img, small_mask, scale)
        return PredictResult(mask, lines, int(len(fy)),
                             {"network_ms": 1000 * (t1 - t0), "grouping_ms": 1000 * (t2 - t1),
                              "markers_ms": 1000 * (time.perf_counter() - t3)},
                             np.asarray(emb) if keep_embedding else None, area, prob if keep_embedding else None)


def add_markers(lines: list, image: np.ndarray, mask: np.ndarray, scale: float = 1.0) -> list:
    """Each line dict gains "markers" ([[x, y], ...] ordered along it, [] when it has none),
    "marker" (size, filled, shape, or None) and "polyline" (its points within 0.5 px).
    image and mask may be the chart at the network's resolution (scale < 1, as for charts
    larger than max_side): centres and sizes are then mapped back to full resolution."""
    found = find_markers(image, mask)
    for ln in lines:
        got = found.get(ln["id"], {"markers": [], "marker": None})
        ln["markers"], ln["marker"] = got["markers"], got["marker"]
        if scale < 1.0 and ln["markers"]:
            ln["markers"] = np.round((np.asarray(ln["markers"]) + 0.5) / scale - 0.5, 2).tolist()
            ln["marker"] = {**ln["marker"], "size": int(round(ln["marker"]["size"] / scale))}
        ln["polyline"] = [p for seg in ln["segments"] for p in polyline(seg)]
    return lines


def _load_candidates(candidates, name: str) -> np.ndarray:
    """A candidate mask (path or array; any depth, any channels) -> (H, W) bool, non-zero = candidate."""
    if isinstance(candidates, str):
        try:
            m = decode_raw(read_bytes(candidates), candidates)
        except ImageError as e:
            raise ImageError(f"{name}: candidate mask {e}") from None
        where = candidates
    else:
        m = np.asarray(candidates)
        where = f"{name}: candidate mask"
    if m.ndim == 3 and m.shape[2] in (1, 2, 3, 4):
        m = m[..., :3].max(axis=2) if m.shape[2] != 2 else m[..., 0]  # any colour channel, not alpha
    if m.ndim != 2 or m.size == 0:
        raise ImageError(f"{where}: unsupported shape {m.shape} (expected H x W, or H x W x channels)")
    if not (np.issubdtype(m.dtype, np.number) or m.dtype == np.bool_):
        raise ImageError(f"{where}: unsupported pixel type {m.dtype}")
    return m != 0
