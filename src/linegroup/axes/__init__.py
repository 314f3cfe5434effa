"""Axis calibration: read a chart's tick labels and map pixels to data units.

    from linegroup.axes import read_axes, OCRUnavailable
    ax = read_axes(image_rgb)                  # (H, W, 3) uint8; plot_area=(x0, y0, x1, y1) optional
    ax.x.status, ax.y.status                   # "calibrated" / "not calibrated" (+ .reason)
    ax.to_data(points)                         # (n, 2) pixel (x, y) -> data units; an axis that is
                                               # not calibrated stays in pixels
    ax.to_dict()                               # the JSON "axes" block: maps, ticks read, residuals

Steps: the plot area (the axes' corner, else a panel of its own colour, else a faint
grid: `candidates.plotarea.find_area`, if not given); OCR of the whole image
(`ocr.get_engine`, the optional extra `linegroup[axes]`), plus small labels the
detector missed, proposed from the ink and read by the recogniser alone
(`proposals.text_proposals`); each text parsed as a number (`numbers.parse_label`;
"10" + digits is also tried as a power of ten whose superscript OCR flattened); numeric
labels grouped into rows under the plot (x axis) and columns beside it (y axis)
(`ticks.label_groups`); each label's pixel taken as read and snapped
to the nearest tick mark or grid line (`ticks.tick_marks`); per axis, a robust linear or
log fit of pixel -> value on every candidate group, the fit that agrees with the most
labels kept (`fit.fit_axis`). A skewed scan (label column and row drifting) is turned
upright first. An axis-wide multiplier printed near the axis end ("1e-3", "×10⁻³")
scales its values. An axis without enough consistent numeric labels (dates,
categories, unreadable text) is not calibrated.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..candidates.plotarea import find_area
from .fit import AxisFit, fit_axis
from .numbers import Label, parse_label, parse_multiplier
from .ocr import INSTALL_HINT, OCRUnavailable, TextBox, available, get_engine, raised_tail
from .proposals import text_proposals, uncovered
from .ticks import anchor_positions, label_groups, snap, tick_marks

__all__ = ["AxesResult", "AxisFit", "OCRUnavailable", "INSTALL_HINT", "TextBox", "available", "read_axes"]

# a label moves onto a tick mark within this share of the label spacing...
SNAP_SHARE = 0.3
# ... and within this many text heights
SNAP_HEIGHTS = 2.0
# a tilt (slope of a label column or row) below this is noise; above TILT_MAX it is not a scan's skew
TILT_MIN, TILT_MAX = 0.004, 0.1
# the x-row and y-column estimates of the tilt must agree within this to be used together
TILT_AGREE = 0.01
# OCR texts that may be a power of ten drawn with a superscript exponent ("103" for 10³)
POWER_TEXT = re.compile(r"^10([-+]?\d{1,2}|[°ºª])$")


@dataclass
class AxesResult:
    x: AxisFit
    y: AxisFit
    plot_area: tuple | None = None
    ocr_ms: float = 0.0
    texts: list = field(default_factory=list)  # every text read: {"text", "box": [x0, y0, x1, y1]}
    tilt: float = 0.0  # the chart's skew (radians) undone before mapping; 0 for an upright chart
    centre: tuple = (0.0, 0.0)  # the point the skew turns about

    @property
    def calibrated(self) -> bool:
        """Both axes calibrated."""
        return self.x.calibrated and self.y.calibrated

    def to_data(self, points) -> np.ndarray:
        """(n, 2) pixel (x, y) -> (n, 2) in data units; an uncalibrated axis stays in pixels."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        out = p.copy()
        if self.tilt:
            p = upright(p, self.tilt, self.centre)
        for k, fit in enumerate((self.x, self.y)):
            if fit.calibrated:
                out[:, k] = fit.to_value(p[:, k])
        return out

    def annotate(self, lines: list) -> list:
        """Give each line dict (with "points" in pixels) its "data": the points in data units
        (an uncalibrated axis stays in pixels; see to_dict()["units"]). Returns the lines."""
        for ln in lines:
            pts = self.to_data(ln["points"]) if len(ln["points"]) else np.zeros((0, 2))
            ln["data"] = [[float(f"{v:.7g}") for v in p] for p in pts]
        return lines

    def to_dict(self) -> dict:
        return {"x": self.x.to_dict(), "y": self.y.to_dict(),
                "units": {"x": "data" if self.x.calibrated else "pixels",
                          "y": "data" if self.y.calibrated else "pixels"},
                "plot_area": list(self.plot_area) if self.plot_area else None, "ocr_ms": round(self.ocr_ms, 1),
                "tilt_deg": round(float(np.degrees(self.tilt)), 3), "tilt": self.tilt, "centre": list(self.centre)}

    @classmethod
    def from_dict(cls, d: dict) -> AxesResult:
        """The result a to_dict() block was written from (a chart reopened from its document)."""
        return cls(AxisFit.from_dict("x", d["x"]), AxisFit.from_dict("y", d["y"]),
                   tuple(d["plot_area"]) if d.get("plot_area") else None, d.get("ocr_ms", 0.0),
                   tilt=d.get("tilt", 0.0), centre=tuple(d.get("centre", (0.0, 0.0))))


def upright(points: np.ndarray, tilt: float, centre) -> np.ndarray:
    """(n, 2) pixels of a chart skewed by `tilt` (a vertical axis runs dx/dy = tan(tilt)) ->
    where they would be in the upright chart, turning about centre."""
    c, s = np.cos(tilt), np.sin(tilt)
    d = np.asarray(points, np.float64) - centre
    return np.column_stack([c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1]]) + centre


def _tilt(gx: list, gy: list) -> float:
    """The skew from the labels: a y-label column's right edges drift in x along y
    (dx/dy = tilt), an x-label row's tops drift in y along x (dy/dx = -tilt)."""
    est = []
    if len(gy) >= 3:
        est.append(np.polyfit([b.centre[1] for b in gy], [b.quad[:, 0].max() for b in gy], 1)[0])
    if len(gx) >= 3:
        est.append(-np.polyfit([b.centre[0] for b in gx], [b.quad[:, 1].min() for b in gx], 1)[0])
    if not est or (len(est) == 2 and abs(est[0] - est[1]) > TILT_AGREE):
        return 0.0
    t = float(np.arctan(np.mean(est)))
    return t if TILT_MIN < abs(t) < TILT_MAX else 0.0


def _power_alternative(text: str) -> Label | None:
    """"10" + exponent digits read without the superscript ("102", "10-3", "10°") as a power of ten."""
    m = POWER_TEXT.match(text.replace("−", "-"))
    if not m:
        return None
    return Label(10.0 ** (0 if m[1] in "°ºª" else int(m[1])), "", True)


def _fit_group(axis: str, bs: list, labs: list, marks) -> AxisFit:
    """Fit one group of labels, at their own positions and snapped onto the tick marks;
    the better fit wins (snapping can pick a log axis's minor tick beside the major one)."""
    raw = anchor_positions(bs, axis)
    tries = [raw]
    if marks is not None and len(np.unique(raw)) > 1:
        spacing = float(np.median(np.diff(np.unique(raw))))
        tol = min(SNAP_SHARE * spacing, SNAP_HEIGHTS * float(np.median([b.height for b in bs])))
        tries.append(snap(raw, marks, tol))
    units = [lab.unit for lab in labs]
    fits = [fit_axis(axis, pos, [lab.value for lab in labs], texts=[b.text for b in bs],
                     powers=[lab.power for lab in labs], unit=max(set(units), key=units.count)) for pos in tries]
    fit = max(fits, key=lambda f: (f.calibrated, sum(t["used"] for t in f.ticks),
                                   -f.residual_px if f.calibrated else 0.0))
    for t, b in zip(fit.ticks, bs):  # where the label was read, for overlays
        t["box"] = [round(float(v), 1) for v in (*b.quad.min(0), *b.quad.max(0))]
    return fit


def _fit_groups(axis: str, groups: list, boxes: list, labels: list, alts: list, marks):
    """The best fit over candidate label groups (and, where labels may be powers of ten read
    without their superscript, over that reading too): calibrated with the most agreeing
    labels. Returns (fit, indices of the group's boxes)."""
    best = None
    for g in groups:
        bs, labs = [boxes[i] for i in g], [labels[i] for i in g]
        readings = [labs]
        if any(alts[i] is not None for i in g):
            readings.append([alts[i] or labels[i] for i in g])
        for k, reading in enumerate(readings):
            fit = _fit_group(axis, bs, reading, marks)
            explicit = any(labels[i].power for i in g)
            key = (fit.calibrated, sum(t["used"] for t in fit.ticks), len(g), (k == 1) == explicit)
            if best is None or key > best[0]:
                best = (key, fit, g)
    if best is None:
        return AxisFit(axis, "not calibrated", reason="no row/column of numeric tick labels found"), []
    return best[1], best[2]


def _apply_multipliers(fx: AxisFit, fy: AxisFit, gx: list, gy: list, factors: list, shape) -> None:
    """Scale each axis by a factor printed once (matplotlib's offset text "1e-3", "×10⁶"):
    at or above the top y label and in the left half for y; right of the x labels and not
    above them for x. Texts that are the axis's own tick labels are not factors."""
    ys = [b.centre[1] for b in gy]
    xs = [b.centre for b in gx]
    for box, f in factors:
        if any(box is b for b in gx + gy):  # one of the axis's own tick labels
            continue
        cx, cy = box.centre
        if fy.calibrated and ys and cy < min(ys) + box.height and cx < shape[1] / 2 and fy.multiplier == 1:
            fy.scale_values(f)
        elif fx.calibrated and xs and cx > max(c[0] for c in xs) and cy > min(c[1] for c in xs) - 2 * box.height \
                and fx.multiplier == 1:
            fx.scale_values(f)


def read_axes(image: np.ndarray, plot_area: tuple | None = None, engine=None) -> AxesResult:
    """Read both axes of an RGB uint8 chart image (H, W, 3). engine: an OCR callable
    image -> [TextBox]; default the RapidOCR engine (raises OCRUnavailable without the extra)."""
    engine = engine or get_engine()
    area = plot_area if plot_area is not None else find_area(image)
    t0 = time.perf_counter()
    boxes = engine(image)
    if hasattr(engine, "recognise"):  # small labels the text detector missed, found from the ink
        boxes += engine.recognise(image, uncovered(text_proposals(image, area), [b.quad for b in boxes]))
    ocr_ms = 1000 * (time.perf_counter() - t0)
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    nums, labels, alts, factors = [], [], [], []  # factors: (box, axis-wide multiplier) candidates
    for b in boxes:
        text = b.text.strip()
        alt = _power_alternative(text)
        lab = parse_label(text, superscript=alt is not None and raised_tail(gray, b))
        if lab is not None or alt is not None:
            nums.append(b)
            labels.append(lab or alt)
            alts.append(alt if lab is not None and alt is not None and alt.value != lab.value else None)
        words = text.split()  # the detector may join the multiplier to a title beside it
        f = next((m for w in {text, words[0], words[-1]} if (m := parse_multiplier(w)) is not None), None) \
            if words else None
        if f is not None:
            factors.append((b, f))
    rows, cols = label_groups(nums, area)
    marks_x = tick_marks(image, "x", area) if area is not None else None
    marks_y = tick_marks(image, "y", area) if area is not None else None
    fx, gx = _fit_groups("x", rows, nums, labels, alts, marks_x)
    fy, gy = _fit_groups("y", cols, nums, labels, alts, marks_y)
    tilt, centre = _tilt([nums[i] for i in gx], [nums[i] for i in gy]), (image.shape[1] / 2, image.shape[0] / 2)
    if tilt:  # a skewed scan: group and fit again on the labels turned upright
        nums = [TextBox(upright(b.quad, tilt, centre), b.text, b.score) for b in nums]
        factors = [(TextBox(upright(b.quad, tilt, centre), b.text, b.score), f) for b, f in factors]
        rows, cols = label_groups(nums)
        fx, gx = _fit_groups("x", rows, nums, labels, alts, None)
        fy, gy = _fit_groups("y", cols, nums, labels, alts, None)
    _apply_multipliers(fx, fy, [nums[i] for i in gx], [nums[i] for i in gy], factors, image.shape)
    texts = [{"text": b.text, "box": [round(float(v), 1) for v in (*b.quad.min(0), *b.quad.max(0))]} for b in boxes]
    return AxesResult(fx, fy, area, ocr_ms, texts, tilt, centre)
