"""Real-chart formats: CHART-Info (ICPR 2022) annotations in, task-6 JSON and digitiser CSV out.

    linegroup convert chartinfo JSON_DIR IMG_DIR out.json     # CHART-Info -> COCO-like
    linegroup predict chart.png --out res/ --format json chartinfo csv --calib "100=0,700=10;500=0,50=1"

CHART-Info layout (UB-PMC and Adobe synthetic): task1.output.chart_type is "line"/"Line";
task6.output["visual elements"].lines is a list of lines, each a list of {"x", "y"}
points in image pixels. The image has the JSON's stem and any image extension.

CSV: one x,y column pair per line (line1_x, line1_y, line2_x, ...), one row per point,
shorter columns left empty, as WebPlotDigitizer and spreadsheet tools import. Values
are pixels, or data units with --calib "X1PX=X1VAL,X2PX=X2VAL;Y1PX=Y1VAL,Y2PX=Y2VAL"
(two reference points per axis) and --log_x / --log_y for logarithmic axes.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import logging
import os
import traceback
from collections import Counter

import numpy as np

from .images import RASTER_EXTS, ImageError, read_image
from .markers import polyline

log = logging.getLogger("linegroup.formats")
IMAGE_EXTS = RASTER_EXTS  # what find_image looks for beside a stem


class FormatError(Exception):
    """Input that cannot be converted; the message names the file."""


def find_image(img_dir: str, stem: str) -> str | None:
    for ext in IMAGE_EXTS:
        for cand in (ext, ext.upper()):
            p = os.path.join(img_dir, stem + cand)
            if os.path.isfile(p):
                return p
    return None


def chartinfo_lines(doc: dict) -> list:
    """The task-6 visual-element lines of a CHART-Info document as lists of (n, 2) arrays."""
    lines = doc["task6"]["output"]["visual elements"]["lines"]
    return [np.array([[float(p["x"]), float(p["y"])] for p in line], np.float64) for line in lines]


def chartinfo_chart_type(doc: dict) -> str:
    return str(doc.get("task1", {}).get("output", {}).get("chart_type", "")).strip().lower()


def convert_chartinfo(json_dir: str, img_dir: str, out_json: str, line_category_id: int = 2,
                      debug: bool = False) -> dict:
    """CHART-Info JSON folder -> one COCO-like JSON. Returns counts of what was kept and skipped."""
    files = sorted(glob.glob(os.path.join(json_dir, "*.json")))
    if not files:
        raise FormatError(f"{json_dir}: no *.json files")
    counts = Counter()
    images, anns = [], []
    for path in files:
        try:  # one file's problem, expected or not, is counted under its name and the rest go on
            _convert_one(path, img_dir, line_category_id, counts, images, anns)
        except Exception as e:  # noqa: BLE001
            detail = f"\n{traceback.format_exc().rstrip()}" if debug else " (--debug shows the traceback)"
            log.error("%s: unexpected %s: %s%s", path, type(e).__name__, e, detail)
            counts[f"failed ({type(e).__name__})"] += 1
    out = {"info": {"source": "CHART-Info", "json_dir": json_dir}, "images": images, "annotations": anns,
           "categories": [{"id": line_category_id, "name": "line"}]}
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    tmp = out_json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, out_json)
    return dict(counts)


def _convert_one(path: str, img_dir: str, line_category_id: int, counts: Counter, images: list, anns: list):
    """One CHART-Info file into `images` and `anns`; what is skipped is counted in `counts`."""
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        log.warning("%s: broken JSON (%s), skipped", path, e)
        counts["broken JSON"] += 1
        return
    ctype = chartinfo_chart_type(doc) if isinstance(doc, dict) else ""
    if ctype != "line":
        counts[f"not a line chart ({ctype or 'no type'})"] += 1
        return
    try:
        lines = chartinfo_lines(doc)
    except (KeyError, TypeError, ValueError) as e:
        log.warning("%s: no usable task6 lines (%s: %s), skipped", path, type(e).__name__, e)
        counts["no task6 lines"] += 1
        return
    img_path = find_image(img_dir, stem)
    if img_path is None:
        log.warning("%s: image %s.* not found in %s, skipped", path, stem, img_dir)
        counts["image missing"] += 1
        return
    try:
        img = read_image(img_path)
    except ImageError as e:
        log.warning("%s, skipped", e)
        counts["image unreadable"] += 1
        return
    iid = len(images) + 1
    images.append({"id": iid, "file_name": os.path.relpath(img_path, img_dir),
                   "width": int(img.shape[1]), "height": int(img.shape[0]), "group": "chartinfo"})
    for pts in lines:
        if len(pts) < 2:
            counts["line with < 2 points"] += 1
            continue
        if not np.isfinite(pts).all():
            counts["line with non-finite points"] += 1
            continue
        anns.append({"id": len(anns) + 1, "image_id": iid, "category_id": line_category_id,
                     "segmentation": [pts.ravel().tolist()]})
    counts["converted"] += 1


def simplify(points: list, tol: float = 1.0) -> list:
    """Douglas-Peucker (cv2.approxPolyDP) of a point series, keeping its order."""
    return polyline(points, tol)


def to_chartinfo(lines: list, tol: float = 1.0) -> dict:
    """Predicted lines as a CHART-Info task-6 document (visual elements, pixel space).
    A line with markers is its marker points; any other line's segments each become their
    own simplified run of points, concatenated."""
    out_lines = []
    for ln in lines:
        pts = [list(map(float, p)) for p in ln.get("markers") or []]
        for seg in (ln.get("segments") or [ln["points"]]) if not pts else []:
            pts.extend(simplify(seg, tol))
        out_lines.append([{"x": round(x, 2), "y": round(y, 2)} for x, y in pts])
    return {"task1": {"output": {"chart_type": "line"}},
            "task6": {"output": {"visual elements": {"lines": out_lines}}}}


def add_data_series(doc: dict, to_data, names: list | None = None) -> dict:
    """Fill task 6 "data series" of a to_chartinfo document: each line's visual-element
    points mapped to data units by to_data ((n, 2) pixels -> (n, 2) values)."""
    out = doc["task6"]["output"]
    series = []
    for k, pts in enumerate(out["visual elements"]["lines"]):
        vals = to_data([[p["x"], p["y"]] for p in pts]) if pts else []
        series.append({"name": names[k] if names else f"line {k + 1}",
                       "data": [{"x": float(f"{x:.7g}"), "y": float(f"{y:.7g}")} for x, y in vals]})
    out["data series"] = series
    return doc


def add_marker_data(lines: list, to_data) -> list:
    """Each line with markers gains "marker_data": its marker points mapped by to_data
    ((n, 2) pixels -> (n, 2) data units)."""
    for ln in lines:
        if ln.get("markers"):
            ln["marker_data"] = [[float(f"{v:.7g}") for v in p] for p in np.asarray(to_data(ln["markers"]))]
    return lines


# ---------------------------------------------------------------------------------
# CSV with optional axis calibration


def parse_calib(text: str) -> tuple:
    """"x1px=x1val,x2px=x2val;y1px=y1val,y2px=y2val" -> ((x1px, x1val, x2px, x2val), (y...)).
    Either axis may be empty ("" before or after the ';')."""
    parts = text.split(";")
    if len(parts) != 2:
        raise ValueError(f"--calib {text!r}: expected 'X1PX=X1VAL,X2PX=X2VAL;Y1PX=Y1VAL,Y2PX=Y2VAL'")
    axes = []
    for axis, part in zip("xy", parts):
        part = part.strip()
        if not part:
            axes.append(None)
            continue
        try:
            pairs = [tuple(float(v) for v in kv.split("=")) for kv in part.split(",")]
            assert len(pairs) == 2 and all(len(p) == 2 for p in pairs)
        except (ValueError, AssertionError):
            raise ValueError(f"--calib {text!r}: axis {axis} needs two PX=VALUE pairs") from None
        (p1, v1), (p2, v2) = pairs
        if p1 == p2:
            raise ValueError(f"--calib {text!r}: axis {axis} reference pixels must differ")
        axes.append((p1, v1, p2, v2))
    return tuple(axes)


def calibrate(px: np.ndarray, ref, log_axis: bool = False) -> np.ndarray:
    """Map pixel coordinates to data units through two reference points (linear or log axis)."""
    if ref is None:
        return px
    p1, v1, p2, v2 = ref
    if log_axis:
        if v1 <= 0 or v2 <= 0:
            raise ValueError("log axis calibration values must be positive")
        l1, l2 = np.log10(v1), np.log10(v2)
        return 10 ** (l1 + (px - p1) * (l2 - l1) / (p2 - p1))
    return v1 + (px - p1) * (v2 - v1) / (p2 - p1)


CSV_POINTS = ("markers", "columns", "both")  # what --csv_points writes of a line that has markers


def calibrate_points(points, calib: str = "", log_x: bool = False, log_y: bool = False) -> np.ndarray:
    """(n, 2) pixel points -> data units through --calib (pixels where an axis has none)."""
    refs = parse_calib(calib) if calib else (None, None)
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    return np.column_stack([calibrate(pts[:, 0], refs[0], log_x), calibrate(pts[:, 1], refs[1], log_y)])


def csv_text(lines: list, calib: str = "", log_x: bool = False, log_y: bool = False, points: str = "markers") -> str:
    """The lines as digitiser CSV: one x,y column pair per line, pixels or calibrated units.
    points: "markers" writes a line's marker points where it has them (else its per-column
    points), "columns" the per-column points, "both" a second pair (lineK_marker_x, ...)."""
    if points not in CSV_POINTS:
        raise ValueError(f"points must be one of {CSV_POINTS}, not {points!r}")
    cols, names = [], []
    for ln in lines:
        marks = ln.get("markers") or []
        series = [("", ln["points"])] if points == "columns" or not marks else \
            [("", marks)] if points == "markers" else [("", ln["points"]), ("_marker", marks)]
        for suffix, pts in series:
            xy = calibrate_points(pts, calib, log_x, log_y)
            cols.append((xy[:, 0], xy[:, 1]))
            names += [f"line{ln['id']}{suffix}_{a}" for a in "xy"]
    n = max((len(c[0]) for c in cols), default=0)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for i in range(n):
        row = []
        for xs, ys in cols:
            row += [f"{xs[i]:.6g}", f"{ys[i]:.6g}"] if i < len(xs) else ["", ""]
        w.writerow(row)
    return buf.getvalue()

