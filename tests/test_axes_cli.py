"""`linegroup predict --axes auto`: outputs in data units, --calib overriding the CSV, and
the message without the OCR extra."""

import csv
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import SRC
from linegroup.axes import ocr as ocr_mod
from test_axes import chart


def _write_chart(tmp_path):
    img, pts, true, _ = chart(size=(7, 5))
    path = str(tmp_path / "chart.png")
    cv2.imwrite(path, img[..., ::-1])
    return path, pts, true


def _cli(code: str):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_without_the_extra_predict_says_how_to_install_it(tmp_path):
    path, _, _ = _write_chart(tmp_path)
    r = _cli("import sys; sys.modules['rapidocr'] = None\n"  # as if the extra were not installed
             "from linegroup.cli import main\n"
             f"sys.exit(main(['predict', {path!r}, '--out', {str(tmp_path / 'out')!r}, '--axes', 'auto']))")
    assert r.returncode == 2, r.stderr
    assert 'pip install "linegroup[axes]"' in r.stderr


@pytest.mark.skipif(not ocr_mod.available(), reason='OCR extra not installed: pip install "linegroup[axes]"')
def test_predict_axes_auto_writes_data_units(tmp_path):
    path, _, true = _write_chart(tmp_path)
    out = tmp_path / "out"
    args = f"[{path!r}, '--out', {str(out)!r}, '--axes', 'auto', '--format', 'json', 'chartinfo', 'csv']"
    # one process, two runs: --axes auto alone, then with --calib by hand (its CSV kept aside first)
    r = _cli("import os, sys\nfrom linegroup.cli import main\n"
             f"rc = main(['predict', *{args}])\n"
             f"os.replace({str(out / 'chart.csv')!r}, {str(out / 'auto.csv')!r})\n"
             f"rc = rc or main(['predict', *{args}, '--calib', '0=0,100=1;0=0,100=1'])\n"
             "sys.exit(rc)")
    assert r.returncode == 0, r.stderr
    doc = json.load(open(out / "chart.json"))
    ax = doc["axes"]
    assert ax["x"]["status"] == ax["y"]["status"] == "calibrated" and ax["units"] == {"x": "data", "y": "data"}
    assert all(len(ln["data"]) == len(ln["points"]) for ln in doc["lines"])
    # the extracted line, in data units, lies on the true curve within 2% of the y range
    longest = max(doc["lines"], key=lambda ln: len(ln["data"]))
    d = np.asarray(longest["data"])
    inside = (d[:, 0] > true[0, 0]) & (d[:, 0] < true[-1, 0])
    y_true = np.interp(d[inside, 0], true[:, 0], true[:, 1])
    assert np.median(np.abs(d[inside, 1] - y_true)) / np.ptp(true[:, 1]) < 0.02
    ci = json.load(open(out / "chart.chartinfo.json"))
    assert len(ci["task6"]["output"]["data series"]) == len(doc["lines"])
    rows = list(csv.reader(open(out / "auto.csv")))
    first = longest["id"]
    col = [k for k, name in enumerate(rows[0]) if name == f"line{first}_y"][0]
    assert float(rows[1][col]) == pytest.approx(longest["data"][0][1], rel=1e-4)
    # --calib by hand sets the CSV's units, whatever the axes read
    rows = list(csv.reader(open(out / "chart.csv")))
    assert float(rows[1][col]) == pytest.approx(longest["points"][0][1] / 100, rel=1e-3)
