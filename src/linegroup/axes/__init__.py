"""Axis calibration: read a chart's tick labels and map pixels to data units.

    from linegroup.axes import read_axes, OCRUnavailable
    ax = read_axes(image_rgb)                  # (H, W, 3) uint8; plot_area=(x0, y0, x1, y1) optional
    ax.x.status, ax.y.status                   # "calibrated" / "not calibrated" (+ .reason)
    ax.to_data(points)                         # (n, 2) pixel (x, y) -> data units; an axis that is
                                               # not calibrated stays in pixels
    ax.to_dict()                               # the JSON "axes" block: maps, ticks read, residuals

Steps: the plot area (the axes' corner, `candidates.plotarea.find_plot_area`, if not
given); OCR of the whole image (`ocr.get_engine`, the optional extra
`linegroup[axes]`); each text parsed as a number (`numbers.parse_label`; "10" followed
by raised digits is a power of ten); numeric labels grouped into rows under the plot
(x axis) and columns beside it (y axis) (`ticks.label_groups`); each label's pixel
snapped to the nearest tick mark or grid line (`ticks.tick_marks`); per axis, a robust
linear or log fit of pixel -> value on every candidate group, the group whose fit
agrees with the most labels kept (`fit.fit_axis`). An axis-wide multiplier printed
near the axis end ("1e-3", "×10⁻³") scales its labels. An axis without enough
consistent numeric labels (dates, categories, unreadable text) is not calibrated.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..candidates.plotarea import find_plot_area
from .fit import AxisFit, fit_axis
from .numbers import parse_label, parse_multiplier
from .ocr import INSTALL_HINT, OCRUnavailable, TextBox, available, get_engine, raised_tail
from .ticks import anchor_positions, label_groups, snap, tick_marks

__all__ = ["AxesResult", "AxisFit", "OCRUnavailable", "INSTALL_HINT", "TextBox", "available", "read_axes"]

# a label moves onto a tick mark within this share of the label spacing...
SNAP_SHARE = 0.3
# ... and within this many text heights
SNAP_HEIGHTS = 2.0
# OCR texts that may be a power of ten drawn with a superscript exponent ("103" for 10³)
POWER_TEXT = re.compile(r"^10[-−+]?\d{1,2}$")


@dataclass
class AxesResult:
    x: AxisFit
    y: AxisFit
    plot_area: tuple | None = None
    ocr_ms: float = 0.0
    texts: list = field(default_factory=list)  # every text read: {"text", "box": [x0, y0, x1, y1]}

    @property
    def calibrated(self) -> bool:
        """Both axes calibrated."""
        return self.x.calibrated and self.y.calibrated

    def to_data(self, points) -> np.ndarray:
        """(n, 2) pixel (x, y) -> (n, 2) in data units; an uncalibrated axis stays in pixels."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        out = p.copy()
        for k, fit in enumerate((self.x, self.y)):
            if fit.calibrated:
                out[:, k] = fit.to_value(p[:, k])
        return out

    def to_dict(self) -> dict:
        return {"x": self.x.to_dict(), "y": self.y.to_dict(),
                "units": {"x": "data" if self.x.calibrated else "pixels",
                          "y": "data" if self.y.calibrated else "pixels"},
                "plot_area": list(self.plot_area) if self.plot_area else None, "ocr_ms": round(self.ocr_ms, 1)}


def _multipliers(boxes: list, factors: list, xs_pos: np.ndarray, ys_pos: np.ndarray, shape) -> tuple:
    """Axis-wide factors (x, y) printed once: above the y labels' top, or right of the x labels."""
    fx = fy = 1.0
    for b, f in zip(boxes, factors):
        cx, cy = b.centre
        if len(ys_pos) and cy < ys_pos.min() and cx < shape[1] / 2:
            fy = f
        elif len(xs_pos) and cx > xs_pos.max() and cy > shape[0] / 2:
            fx = f
    return fx, fy


def _fit_groups(axis: str, groups: list, boxes: list, labels: list, marks, factor: float) -> AxisFit:
    """The best fit over candidate label groups: calibrated with the most agreeing labels."""
    best = None
    for g in groups:
        bs = [boxes[i] for i in g]
        pos = anchor_positions(bs, axis)
        if marks is not None and len(pos) > 1:
            spacing = float(np.median(np.diff(np.unique(pos)))) if len(np.unique(pos)) > 1 else 0.0
            tol = min(SNAP_SHARE * spacing, SNAP_HEIGHTS * float(np.median([b.height for b in bs])))
            pos = snap(pos, marks, tol)
        labs = [labels[i] for i in g]
        units = [lab.unit for lab in labs]
        fit = fit_axis(axis, pos, [lab.value * factor for lab in labs], texts=[b.text for b in bs],
                       powers=[lab.power for lab in labs], unit=max(set(units), key=units.count))
        key = (fit.calibrated, sum(t["used"] for t in fit.ticks), len(g))
        if best is None or key > best[0]:
            best = (key, fit)
    if best is None:
        return AxisFit(axis, "not calibrated", reason="no row/column of numeric tick labels found")
    return best[1]


def read_axes(image: np.ndarray, plot_area: tuple | None = None, engine=None) -> AxesResult:
    """Read both axes of an RGB uint8 chart image (H, W, 3). engine: an OCR callable
    image -> [TextBox]; default the RapidOCR engine (raises OCRUnavailable without the extra)."""
    engine = engine or get_engine()
    area = plot_area if plot_area is not None else find_plot_area(image)
    t0 = time.perf_counter()
    boxes = engine(image)
    ocr_ms = 1000 * (time.perf_counter() - t0)
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    nums, labels, mult_boxes, factors = [], [], [], []
    for b in boxes:
        text = b.text.strip()
        lab = parse_label(text, superscript=bool(POWER_TEXT.match(text)) and raised_tail(gray, b))
        if lab is not None:
            nums.append(b)
            labels.append(lab)
        elif (f := parse_multiplier(text)) is not None:
            mult_boxes.append(b)
            factors.append(f)
    rows, cols = label_groups(nums, area)
    xs_pos = np.array([nums[i].centre[0] for g in rows for i in g])
    ys_pos = np.array([nums[i].centre[1] for g in cols for i in g])
    fx, fy = _multipliers(mult_boxes, factors, xs_pos, ys_pos, image.shape)
    marks_x = tick_marks(image, "x", area) if area is not None else None
    marks_y = tick_marks(image, "y", area) if area is not None else None
    texts = [{"text": b.text, "box": [round(float(v), 1) for v in (*b.quad.min(0), *b.quad.max(0))]} for b in boxes]
    return AxesResult(_fit_groups("x", rows, nums, labels, marks_x, fx),
                      _fit_groups("y", cols, nums, labels, marks_y, fy), area, ocr_ms, texts)
