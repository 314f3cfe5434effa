"""Pixel -> value maps of one axis, fitted robustly on the tick labels read.

    fit = fit_axis("y", pixels=[300, 200, 100, 0], values=[0, 10, 20, 30])
    fit.status         # "calibrated" or "not calibrated" (fit.reason says why)
    fit.scale          # "linear" or "log" (decided by the labels: equal ratios at equal spacing)
    fit.to_value([150])  # -> [15.0]; NaN everywhere when the axis is not calibrated
    fit.to_dict()      # JSON-ready: map, residual, ticks read (pixel, text, value, used)

The map is f(value) = a + b * pixel with f = identity (linear) or log10 (log). Each model
is fitted by RANSAC over every pair of labels (all pairs at once, vectorised): the pair
whose line agrees with the most labels within `tol` px wins, then a least-squares refit
on those labels. A label that disagrees (a misread digit, a dropped minus sign, a
decimal point lost) is left out and marked unused. The axis is calibrated only when at
least MIN_TICKS distinct labels agree and they are at least MIN_SHARE of the labels:
an axis whose labels do not agree is reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# fewest labels that must agree on a map
MIN_TICKS = 3
# share of the labels read that must agree (the others count as misread)
MIN_SHARE = 0.6
# a label agrees when it lies within this share of the median label spacing of the map...
TOL_SHARE = 0.06
# ... clipped to these bounds in pixels (a label's centre is read to a pixel or two)
TOL_MIN, TOL_MAX = 2.0, 6.0
# values must grow in this pixel direction (+1: rightwards on x; -1: upwards on y, rows grow
# downwards); inverted axes are rare, and a map that runs backwards is more often a misreading
DIRECTION = {"x": 1.0, "y": -1.0}
# a log map must beat the linear one by this factor in residual to win a tie in agreeing labels
LOG_MARGIN = 0.5
# and its labels must span at least this ratio (max / min)
LOG_MIN_RATIO = 10.0


@dataclass
class AxisFit:
    axis: str  # "x" or "y"
    status: str  # "calibrated" or "not calibrated"
    reason: str = ""  # why not calibrated
    scale: str = ""  # "linear" or "log"
    a: float = float("nan")  # f(value) = a + b * pixel
    b: float = float("nan")
    residual_px: float = float("nan")  # RMS distance of the agreeing labels to the map, pixels
    ticks: list = field(default_factory=list)  # [{"pixel", "text", "value", "used"}, ...]
    unit: str = ""  # unit printed with the labels ("%", "kg"), if any
    multiplier: float = 1.0  # axis-wide factor printed once near the axis ("1e-3"), applied to the values

    @property
    def calibrated(self) -> bool:
        return self.status == "calibrated"

    def to_value(self, pixels) -> np.ndarray:
        """Pixel coordinates along this axis -> data values (NaN if not calibrated)."""
        f = self.a + self.b * np.asarray(pixels, dtype=np.float64)
        return 10.0 ** f if self.scale == "log" else f

    def to_pixel(self, values) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.log10(v) if self.scale == "log" else v
        return (f - self.a) / self.b

    def scale_values(self, factor: float) -> None:
        """Multiply every value by an axis-wide factor (a multiplier printed once, "×10⁻³")."""
        for t in self.ticks:
            t["value"] *= factor
        if self.scale == "log":
            self.a += float(np.log10(factor))
        else:
            self.a, self.b = self.a * factor, self.b * factor
        self.multiplier *= factor

    @classmethod
    def from_dict(cls, axis: str, d: dict) -> AxisFit:
        """The fit a to_dict() block was written from."""
        fit = cls(axis, d["status"], d.get("reason", ""), d.get("scale", ""), ticks=d.get("ticks", []),
                  unit=d.get("unit", ""), multiplier=d.get("multiplier", 1.0))
        if "a" in d:
            fit.a, fit.b, fit.residual_px = d["a"], d["b"], d.get("residual_px", float("nan"))
        return fit

    def to_dict(self) -> dict:
        d = {"status": self.status, "reason": self.reason, "scale": self.scale, "unit": self.unit,
             "multiplier": self.multiplier, "ticks": self.ticks}
        if self.calibrated:
            d.update({"map": f"{'log10(value)' if self.scale == 'log' else 'value'} = a + b * pixel",
                      "a": self.a, "b": self.b, "residual_px": round(self.residual_px, 3)})
        return d


def _ransac(p: np.ndarray, f: np.ndarray, tol: float, sign: float):
    """Best (inlier mask, a, b, rms) of f = a + b * p over all label pairs whose slope b has
    the given sign; f may hold NaN (unusable)."""
    i, j = np.triu_indices(len(p), 1)
    ok = np.isfinite(f[i]) & np.isfinite(f[j]) & (f[i] != f[j]) & (np.abs(p[i] - p[j]) > 1)
    with np.errstate(invalid="ignore"):
        ok &= np.sign((f[j] - f[i]) * (p[j] - p[i])) == sign
    i, j = i[ok], j[ok]
    if len(i) == 0:
        return None
    b = (f[j] - f[i]) / (p[j] - p[i])
    a = f[i] - b * p[i]
    with np.errstate(invalid="ignore"):
        res = np.abs((f[None, :] - a[:, None]) / b[:, None] - p[None, :])  # (pairs, labels) in pixels
    res = np.where(np.isfinite(res), res, np.inf)
    inl = res < tol
    score = inl.sum(1) - np.minimum(res, tol).sum(1) / (tol * len(p) + 1)
    best = inl[int(np.argmax(score))]
    for _ in range(2):  # least-squares refit on the agreeing labels, then re-select them
        if len(np.unique(f[best])) < 2:
            return None
        b1, a1 = np.polyfit(p[best], f[best], 1)
        r = np.abs((f - a1) / b1 - p)
        best = np.isfinite(r) & (r < tol)
    if len(np.unique(f[best])) < 2:
        return None
    b1, a1 = np.polyfit(p[best], f[best], 1)
    rms = float(np.sqrt(np.mean(((f[best] - a1) / b1 - p[best]) ** 2)))
    return best, float(a1), float(b1), rms


def fit_axis(axis: str, pixels, values, texts=None, powers=None, unit: str = "") -> AxisFit:
    """Fit the map of one axis. pixels: (n,) label positions along the axis (x for the
    x axis, y for the y axis); values: (n,) parsed numbers; texts: what was read (for the
    report); powers: (n,) bool, labels written as powers of ten (favour a log map)."""
    p = np.asarray(pixels, dtype=np.float64).reshape(-1)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    texts = list(texts) if texts is not None else [str(x) for x in v]
    ticks = [{"pixel": round(float(a), 2), "text": t, "value": float(b), "used": False}
             for a, t, b in zip(p, texts, v)]
    out = AxisFit(axis, "not calibrated", ticks=ticks, unit=unit)
    if len(np.unique(v)) < MIN_TICKS:
        out.reason = f"{len(p)} numeric tick labels read, {MIN_TICKS} distinct needed"
        return out
    up = np.unique(p)
    spacing = float(np.median(np.diff(up))) if len(up) > 1 else 0.0
    tol = float(np.clip(TOL_SHARE * spacing, TOL_MIN, TOL_MAX))
    fits = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for scale, f in (("linear", v), ("log", np.where(v > 0, np.log10(v), np.nan))):
            r = _ransac(p, f, tol, DIRECTION[axis])
            if r is not None:
                fits[scale] = r
    if not fits:
        out.reason = "no two tick labels give a usable map (values must grow rightwards on x, upwards on y)"
        return out
    scale = max(fits, key=lambda s: fits[s][0].sum())
    if "log" in fits and "linear" in fits and fits["log"][0].sum() == fits["linear"][0].sum():
        used = fits["log"][0]
        ratio = v[used].max() / v[used].min()
        better = fits["log"][3] < LOG_MARGIN * fits["linear"][3] or bool(np.any(powers if powers is not None else 0))
        scale = "log" if better and ratio >= LOG_MIN_RATIO else "linear"
    used, a, b, rms = fits[scale]
    n_used = int(used.sum())
    for t, u in zip(ticks, used):
        t["used"] = bool(u)
    need = max(MIN_TICKS, int(np.ceil(MIN_SHARE * len(p))))
    if n_used < need or len(np.unique(v[used])) < MIN_TICKS:
        out.reason = (f"tick labels disagree: only {n_used} of {len(p)} fit one {scale} map "
                      f"within {tol:.1f} px ({need} needed)")
        return out
    out.status, out.scale, out.a, out.b, out.residual_px = "calibrated", scale, a, b, rms
    return out
