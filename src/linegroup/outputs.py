"""One chart's document and exports, shared by `linegroup predict` and `linegroup serve`.

    from linegroup.outputs import chart_document, chart_exports
    doc = chart_document("chart.png", w, h, res.lines, res.plot_area, axes=axes, calib="", log_x=False)
    json.dumps(doc)                                   # NAME.json
    files = chart_exports(doc, ["chartinfo", "csv"], axes=axes, calib="")  # {".chartinfo.json": text, ".csv": text}

The CLI writes NAME.json and the exports from these two functions and the server answers
with them, so the two cannot drift. With axes read (`--axes auto`), each line gains
"data" (its points in axis units) and the document an "axes" block; with a calibration
by hand (`--calib`, or the page's tick clicks) or both axes read, lines with markers gain
"marker_data". The CSV is in data units when both axes were read, unless a calibration
by hand is given, which wins; the CHART-Info export gains "data series" when both axes
were read.
"""

from __future__ import annotations

import json

from .formats import add_data_series, add_marker_data, calibrate_points, csv_text, to_chartinfo


def chart_document(name: str, width: int, height: int, lines: list, plot_area=None, page: int | None = None,
                   dpi: float | None = None, axes=None, calib: str = "", log_x: bool = False,
                   log_y: bool = False) -> dict:
    """The NAME.json document of one chart. `lines` (dicts of lines_from_mask + markers) gain
    "data" (axes) and "marker_data" (calibration) in place. axes: an AxesResult or None."""
    if axes:  # each line's points in data units too
        axes.annotate(lines)
    if calib or (axes and axes.calibrated):  # marker points in data units: the calibration by hand first
        add_marker_data(lines, (lambda p: calibrate_points(p, calib, log_x, log_y)) if calib else axes.to_data)
    doc = {"image": name, "width": int(width), "height": int(height), "page": page, "dpi": dpi, "lines": lines,
           "plot_area": list(plot_area) if plot_area else None}
    if axes:
        doc["axes"] = axes.to_dict()
    return doc


def chart_exports(doc: dict, formats, axes=None, calib: str = "", log_x: bool = False, log_y: bool = False,
                  csv_points: str = "markers") -> dict:
    """The exports of a chart_document asked for in `formats` ("chartinfo", "csv"), as
    {suffix: text}: ".chartinfo.json" (CHART-Info task 6) and ".csv" (digitiser CSV)."""
    lines = doc["lines"]
    in_units = axes is not None and axes.calibrated  # both axes read
    out = {}
    if "chartinfo" in formats:
        ci = to_chartinfo(lines)
        out[".chartinfo.json"] = json.dumps(add_data_series(ci, axes.to_data) if in_units else ci)
    if "csv" in formats:
        units = in_units and not calib  # a calibration by hand overrides the axes read
        csv_lines = [{**ln, "points": ln["data"], "markers": ln.get("marker_data", [])}
                     for ln in lines] if units else lines
        out[".csv"] = csv_text(csv_lines, calib, log_x, log_y, csv_points)
    return out
