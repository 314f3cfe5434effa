"""COCO-like line annotations -> (image, instance_mask, valid_mask) training samples.

The JSON format (see README, "Data format"):

    {"images": [{"id": 1, "file_name": "a.png", "width": 640, "height": 480}, ...],
     "annotations": [{"image_id": 1, "category_id": 2, "segmentation": [[x1, y1, x2, y2, ...]]}, ...]}

A line's polyline may also be given as "points": [[x, y], ...] or as
[{"x": .., "y": ..}, ...] (under "points" or "segmentation"). Each inner list of
"segmentation" is one piece of the same line. Only annotations whose category_id
equals `line_category_id` are lines. An optional per-annotation "stroke_width"
(pixels) widens that line's raster to max(thickness, round(stroke_width)).

Targets: every line is rasterised with cv2.polylines (LINE_8, no anti-aliasing);
instance_mask holds 0 for background and 1..K for the lines; valid_mask is True where
exactly one line is drawn (overlaps are ambiguous and left out of the loss);
line_mask is True where any line is drawn (the line-pixel target).

    ds = LineDataset("train.json", "train/", thickness=2, augment=Augment(crop_size=256))
    loader = DataLoader(ds, batch_size=4, collate_fn=collate)
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .images import MAX_PIXELS, ImageError, LinegroupError, read_image
from .labels import OVERLAP

log = logging.getLogger("linegroup.data")
FAR_OUTSIDE = 10  # polylines reaching beyond this many times (width + height) are skipped: wrong units or image


class DataError(LinegroupError):
    """A dataset problem that stops loading; the message names the file."""


# ---------------------------------------------------------------------------------
# annotations


def parse_polyline(ann: dict) -> list[np.ndarray]:
    """Return the pieces of one line annotation as float arrays of shape (n, 2).

    Raises ValueError for non-numeric values or a piece with fewer than 2 points.
    """
    raw = ann.get("segmentation", ann.get("points"))
    if raw is None:
        raise ValueError("no 'segmentation' or 'points'")
    if not isinstance(raw, list) or not raw:
        raise ValueError("empty polyline")
    if isinstance(raw[0], dict):  # [{"x":..,"y":..}, ...]
        pieces = [[[p["x"], p["y"]] for p in raw]]
    elif isinstance(raw[0], (int, float)):  # flat [x1, y1, x2, y2, ...]
        pieces = [raw]
    elif isinstance(raw[0], list) and raw[0] and isinstance(raw[0][0], dict):
        pieces = [[[p["x"], p["y"]] for p in piece] for piece in raw]
    elif isinstance(raw[0], list) and raw[0] and isinstance(raw[0][0], list):  # [[[x,y],..],..]
        pieces = raw
    elif len(raw) >= 2 and all(isinstance(p, list) and len(p) == 2 for p in raw):  # [[x, y], ...]
        pieces = [raw]  # a COCO reading would give 1-point pieces, which are never valid
    else:  # COCO: [[x1, y1, ...], ...]
        pieces = raw
    out = []
    for piece in pieces:
        try:
            arr = np.asarray(piece, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("non-numeric coordinates") from None
        if arr.ndim == 1:
            if arr.size % 2:
                raise ValueError("odd number of coordinates")
            arr = arr.reshape(-1, 2)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"bad polyline shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("non-finite coordinates")
        if len(arr) < 2:
            raise ValueError("fewer than 2 points")
        out.append(arr)
    return out


@dataclass
class Record:
    path: str
    width: int
    height: int
    lines: list  # per line: list of (n, 2) float arrays (pieces)
    widths: list  # per line: stroke width in px or 0
    group: str = ""
    label_mask: str = ""  # path of the exact per-line label image (uint16: k = line k, 65535 = overlap), if any
    split: str = ""  # a benchmark set's named split ("tune", "report"), if any
    # per line: None, or for a series drawn as markers only (no connecting line; the annotation's
    # style.markers_only with its "markers" centres) (centres (n, 2) px, marker size px): what is
    # drawn of it is its markers, not the polyline through them (marker_truth)
    marker_only: list = field(default_factory=list)


@dataclass
class LoadReport:
    skipped: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)

    def skip(self, reason: str, what: str):
        self.skipped[reason] += 1
        self.examples.setdefault(reason, what)
        log.warning("skipped (%s): %s", reason, what)

    def summary(self) -> str:
        if not self.skipped:
            return "nothing skipped"
        return "; ".join(f"{n} x {r} (e.g. {self.examples[r]})" for r, n in self.skipped.items())


def _key(v):
    """An id usable as a dict key (ints, strings), or None for anything else (lists, objects)."""
    return v if isinstance(v, (int, str)) and not isinstance(v, bool) else None


def load_coco_lines(json_path: str, img_dir: str, line_category_id: int = 2) -> tuple[list[Record], LoadReport]:
    """Parse a COCO-like JSON of line polylines. Raises DataError for unusable files."""
    rep = LoadReport()
    try:
        with open(json_path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise DataError(f"{json_path}: annotation file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{json_path}: malformed JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise DataError(f"{json_path}: expected an object with an 'images' list")
    anns = data.get("annotations", [])
    if not isinstance(anns, list):
        raise DataError(f"{json_path}: 'annotations' must be a list")

    images = {}
    all_ids = {_key(im.get("id")) for im in data["images"] if isinstance(im, dict)}
    for i, im in enumerate(data["images"]):
        try:
            iid, fn = _key(im["id"]), im["file_name"]
            w, h = int(im["width"]), int(im["height"])
            if not isinstance(fn, str) or not fn or iid is None:
                raise TypeError
        except (KeyError, TypeError, ValueError, OverflowError):
            rep.skip("image entry missing id/file_name/width/height", f"{json_path} images[{i}]")
            continue
        if w <= 0 or h <= 0 or w * h > MAX_PIXELS:
            rep.skip("image entry with an impossible size", f"{json_path} images[{i}] ({w}x{h})")
            continue
        path = os.path.join(img_dir, fn)
        if not os.path.isfile(path):
            rep.skip("image file missing", path)
            continue
        lm = im.get("label_mask") or ""
        if lm:  # relative to the annotation file's folder
            lm = os.path.join(os.path.dirname(os.path.abspath(json_path)), str(lm))
            if not os.path.isfile(lm):
                rep.skip("label mask missing", lm)
                continue
        images[iid] = Record(path, w, h, [], [], str(im.get("group", "")), lm, str(im.get("split", "")))

    for j, ann in enumerate(anns):
        if not isinstance(ann, dict) or ann.get("category_id") != line_category_id:
            continue
        image_id = _key(ann.get("image_id"))
        rec = images.get(image_id)
        where = f"{json_path} annotations[{j}] (image_id={ann.get('image_id')!r:.40})"
        if rec is None:
            if image_id is None or image_id not in all_ids:
                rep.skip("annotation names an unknown image", where)
            continue  # image known but skipped already: counted there
        try:
            pieces = parse_polyline(ann)
        except (ValueError, KeyError, TypeError) as e:
            rep.skip(f"bad polyline: {e}", where)
            continue
        try:
            width = float(ann.get("stroke_width", 0) or 0)
            if not 0 <= width < max(rec.width, rec.height):
                raise ValueError
        except (TypeError, ValueError):
            rep.skip("bad stroke_width", where)
            continue
        allpts = np.concatenate(pieces)
        lo, hi = allpts.min(axis=0), allpts.max(axis=0)
        far = FAR_OUTSIDE * (rec.width + rec.height)
        if (lo < -far).any() or (hi > far).any():
            rep.skip("polyline points far outside the image", where)  # a wrong image or wrong units
            continue
        if (lo < -0.5).any() or hi[0] > rec.width - 0.5 or hi[1] > rec.height - 0.5:
            rep.skip("polyline points outside the image (clipped)", where)  # kept, and counted
        rec.lines.append(pieces)
        rec.widths.append(width)
        rec.marker_only.append(marker_only_of(ann, width))

    records = list(images.values())
    if not records:
        raise DataError(f"{json_path}: empty dataset (no usable images; {rep.summary()})")
    return records, rep


def marker_only_of(ann: dict, width: float):
    """(centres (n, 2), marker size px) of an annotation whose series is drawn as markers only
    (style.markers_only, as `linegroup synth` records it, with its "markers"), else None. The
    size is style.marker_px, else three stroke widths (at least 6 px). Values that do not read
    as numbers leave the line to its polyline."""
    style = ann.get("style")
    if not isinstance(style, dict) or style.get("markers_only") is not True:
        return None
    try:
        c = np.asarray(ann.get("markers") or [], np.float64).reshape(-1, 2)
        size = float(style.get("marker_px") or 0) or max(6.0, 3 * width)
    except (TypeError, ValueError):
        return None
    if len(c) == 0 or not np.isfinite(c).all() or not 0 < size < 200:
        return None
    return c, size


MARKER_INK_LAB = 12.0  # Lab: a markers-only series' drawn pixels differ from the chart's background by more


def marker_truth(centres: np.ndarray, size: float, image: np.ndarray) -> np.ndarray:
    """The drawn pixels of a series drawn as markers only (no connecting line): within its
    markers' radius (size / 2 + 1 px) of a recorded centre, the pixels whose colour differs
    from the chart's background (its commonest colour) by over MARKER_INK_LAB. A hollow
    marker's inside and the background between a cross's arms are not the series; its
    polyline, which is not drawn at all, is not either. (h, w) bool."""
    from .grouping.describe import pixels_lab  # (the grouping's colour scale; imported only when needed)
    from .predict import background_lab

    h, w = image.shape[:2]
    disc = np.zeros((h, w), np.uint8)
    r = max(1, int(round(size / 2)) + 1)
    for cx, cy in np.round(centres).astype(np.int64):  # one disc per marker (tens a line)
        cv2.circle(disc, (int(cx), int(cy)), r, 1, -1)
    ys, xs = np.nonzero(disc)
    ink = ((pixels_lab(image, xs, ys) - background_lab(image)) ** 2).sum(1) > MARKER_INK_LAB ** 2
    out = np.zeros((h, w), bool)
    out[ys[ink], xs[ink]] = True
    return out


def drawn_masks(marker_only: list, image: np.ndarray | None) -> list | None:
    """rasterize's (and evaluate.truth_masks') `drawn` from a record's per-line marker_only
    entries (None, or (centres, size)): None where there is no image or no markers-only series."""
    if image is None or not any(m is not None for m in marker_only):
        return None
    return [None if m is None else marker_truth(m[0], m[1], image) for m in marker_only]


def rasterize(lines: list, height: int, width: int, thickness: int = 2, widths: list | None = None,
              drawn: list | None = None):
    """Draw each line's pieces with cv2.polylines; drawn: per line None, or its own (H, W)
    bool mask to use instead (a markers-only series' markers, marker_truth).

    Returns (instance_mask int32 (H, W): 0 or 1..K, valid_mask bool: exactly one line,
    line_mask bool: any line).
    """
    inst = np.zeros((height, width), np.int32)
    count = np.zeros((height, width), np.uint8)
    layer = np.zeros((height, width), np.uint8)
    for k, pieces in enumerate(lines, start=1):
        if drawn is not None and drawn[k - 1] is not None:
            on = drawn[k - 1]
            inst[on] = k
            count += on
            continue
        t = thickness
        if widths and widths[k - 1]:
            t = max(thickness, int(round(widths[k - 1])))
        layer[:] = 0
        pts = [np.round(p * 16).astype(np.int32).reshape(-1, 1, 2) for p in pieces]
        cv2.polylines(layer, pts, False, 1, thickness=max(1, t), lineType=cv2.LINE_8, shift=4)
        on = layer.astype(bool)
        inst[on] = k
        count += layer
    line = count > 0
    valid = count == 1
    inst[~line] = 0
    return inst, valid, line


TARGETS = ("polylines", "exact")  # what the training targets are drawn from (LineDataset's targets)
EXACT_SHARE = 0.3  # a warped exact-mask pixel is line k's when line k covers at least this share of it


def read_label_mask(path: str, height: int, width: int) -> np.ndarray:
    """A chart's exact per-line label image (uint16: 0 none, k line k, 65535 overlap), checked."""
    lab = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if lab is None:
        raise ImageError(f"{path}: label mask missing or unreadable")
    if lab.ndim != 2 or lab.shape != (height, width):
        what = f"{lab.shape[1]}x{lab.shape[0]}" + ("" if lab.ndim == 2 else f"x{lab.shape[2]} (not one channel)")
        raise ImageError(f"{path}: label mask is {what}, its chart {width}x{height}")
    return lab


def warp_label_mask(lab: np.ndarray, m: np.ndarray | None, height: int, width: int):
    """Targets from an exact label mask, moved by the 2x3 affine m (None: as it is).

    Each line's indicator is warped bilinearly, as the image is, and kept where it covers
    EXACT_SHARE of a pixel: a 1 px line shrunk by half stays where the warped image still
    shows it, where a nearest-neighbour warp of the labels can miss it whole. Returns what
    `rasterize` does:
    (instance int32 0..K, valid bool: exactly one line, line bool: any line).
    """
    ids = [int(k) for k in np.unique(lab) if k != 0]
    inst = np.zeros((height, width), np.int32)
    count = np.zeros((height, width), np.uint8)
    for k in ids:
        on = (lab == k).astype(np.float32)
        if m is not None:
            on = cv2.warpAffine(on, m, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        on = on >= EXACT_SHARE
        count += on
        if k != OVERLAP:
            inst[on] = k
        else:
            count += on  # two or more lines: never valid
    line = count > 0
    valid = count == 1
    inst[~valid] = 0
    return inst, valid, line


# ---------------------------------------------------------------------------------
# augmentation (numpy + OpenCV; masks stay aligned because polylines are transformed
# and re-rasterised rather than resampled)


@dataclass
class Augment:
    crop_size: int = 256
    scale: tuple = (0.5, 1.5)
    p_color: float = 0.8
    p_gray: float = 0.15
    p_invert: float = 0.03
    p_jpeg: float = 0.3
    p_blur: float = 0.2
    p_noise: float = 0.2
    p_fade: float = 0.0  # pale series: every colour drawn toward the background (train.py: --p_fade)
    fade: tuple = (0.25, 0.7)  # ... keeping this share of its difference from it

    def geometry(self, rng: np.random.Generator, h: int, w: int):
        """A 2x3 affine: random scale, then a random crop of crop_size x crop_size."""
        s = math.exp(rng.uniform(math.log(self.scale[0]), math.log(self.scale[1])))
        c = self.crop_size
        sw, sh = w * s, h * s
        tx = -rng.uniform(0, max(0.0, sw - c)) if sw > c else rng.uniform(0, c - sw)
        ty = -rng.uniform(0, max(0.0, sh - c)) if sh > c else rng.uniform(0, c - sh)
        return np.array([[s, 0, tx], [0, s, ty]], np.float64)

    def photometric(self, rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
        img = img.astype(np.float32)
        if rng.random() < self.p_color:
            hsv = cv2.cvtColor(img / 255.0, cv2.COLOR_RGB2HSV)
            hsv[..., 0] = (hsv[..., 0] + rng.uniform(0, 360)) % 360
            hsv[..., 1] *= rng.uniform(0.6, 1.3)
            img = cv2.cvtColor(np.clip(hsv, 0, [360, 1, 1]).astype(np.float32), cv2.COLOR_HSV2RGB) * 255.0
            img = img * rng.uniform(0.75, 1.25) + rng.uniform(-30, 30)  # contrast, brightness
            img = img[..., rng.permutation(3)]
        if rng.random() < self.p_gray:
            img = np.repeat(img.mean(-1, keepdims=True), 3, -1)
        if rng.random() < self.p_invert:
            img = 255.0 - img
        if rng.random() < self.p_fade:  # light or pastel palettes: lines a little darker than the paper
            bg = np.median(img[::4, ::4].reshape(-1, 3), 0)
            img = bg + rng.uniform(*self.fade) * (img - bg)
        if rng.random() < self.p_blur:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
        if rng.random() < self.p_noise:
            img = img + rng.normal(0, rng.uniform(2, 12), img.shape).astype(np.float32)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if rng.random() < self.p_jpeg:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
            img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        return img


# ---------------------------------------------------------------------------------


class LineDataset(Dataset):
    """Samples {image (3,H,W) float in [0,1], instance_mask, valid_mask, line_mask}.

    A sample that cannot be used (unreadable image, size differs from its JSON entry, any
    unexpected error while building it) is returned as None with a warning naming the
    file (and the traceback with debug=True); `collate` drops and counts it.
    """

    def __init__(self, json_path, img_dir, thickness=2, line_category_id=2, augment: Augment | None = None, seed=0,
                 debug: bool = False, targets: str = "polylines"):
        if targets not in TARGETS:
            raise ValueError(f"targets must be one of {TARGETS}, not {targets!r}")
        self.records, self.report = load_coco_lines(json_path, img_dir, line_category_id)
        self.debug = debug  # log the traceback of a sample that fails unexpectedly
        self.thickness = thickness
        self.targets = targets
        self.augment = augment
        self.seed = seed
        self.epoch = 0

    def __len__(self):
        return len(self.records)

    def set_epoch(self, epoch: int):
        self.epoch = epoch

    def __getitem__(self, i):
        rec = self.records[i]
        try:
            return self._sample(i, rec)
        except ImageError as e:
            log.warning("skipped sample: %s", e)
        except Exception as e:  # anything else about one sample must not stop training
            log.warning("skipped sample: %s: unexpected %s: %s", rec.path, type(e).__name__, e, exc_info=self.debug)
        return None

    def _sample(self, i: int, rec: Record):
        img = read_image(rec.path)
        h, w = img.shape[:2]
        if (w, h) != (rec.width, rec.height):
            log.warning("skipped sample: %s: image is %dx%d but its JSON entry says %dx%d",
                        rec.path, w, h, rec.width, rec.height)
            return None
        lines = rec.lines
        exact = self.targets == "exact" and rec.label_mask
        lab = read_label_mask(rec.label_mask, h, w) if exact else None
        drawn = None
        if not exact:  # a markers-only series: its drawn markers are its line pixels, not the polyline
            drawn = drawn_masks(rec.marker_only, img)
        m = None
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, self.epoch, i])
            m = self.augment.geometry(rng, h, w)
            c = self.augment.crop_size
            img = cv2.warpAffine(img, m, (c, c), flags=cv2.INTER_AREA if m[0, 0] < 1 else cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
            lines = [[p @ m[:, :2].T + m[:, 2] for p in pieces] for pieces in lines]
            if drawn is not None:
                drawn = [None if d is None else cv2.warpAffine(d.view(np.uint8), m, (c, c), flags=cv2.INTER_NEAREST) > 0
                         for d in drawn]
            h = w = c
            img = self.augment.photometric(rng, img)
        if exact:
            inst, valid, line = warp_label_mask(lab, m, h, w)
        else:
            inst, valid, line = rasterize(lines, h, w, self.thickness, rec.widths, drawn)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div_(255),
            "instance_mask": torch.from_numpy(inst).long(),
            "valid_mask": torch.from_numpy(valid),
            "line_mask": torch.from_numpy(line),
        }


def collate(samples: list) -> dict:
    """Pad samples to the largest H, W of the batch; drop (and count) None samples."""
    good = [s for s in samples if s is not None]
    out = {"skipped": len(samples) - len(good)}
    if not good:
        return out
    hh = max(s["image"].shape[1] for s in good)
    ww = max(s["image"].shape[2] for s in good)
    n = len(good)
    out["image"] = torch.ones(n, 3, hh, ww)
    out["instance_mask"] = torch.zeros(n, hh, ww, dtype=torch.long)
    for key in ("valid_mask", "line_mask", "pixel_mask"):
        out[key] = torch.zeros(n, hh, ww, dtype=torch.bool)
    for j, s in enumerate(good):
        h, w = s["image"].shape[1:]
        out["image"][j, :, :h, :w] = s["image"]
        out["instance_mask"][j, :h, :w] = s["instance_mask"]
        out["valid_mask"][j, :h, :w] = s["valid_mask"]
        out["line_mask"][j, :h, :w] = s["line_mask"]
        out["pixel_mask"][j, :h, :w] = True
    return out
