"""CHART-Info import/export, digitiser CSV and calibration."""

import csv
import glob
import io
import json
import os
import shutil

import numpy as np
import pytest

from conftest import run_cli
from linegroup.data import load_coco_lines
from linegroup.formats import calibrate, chartinfo_lines, convert_chartinfo, csv_text, parse_calib, to_chartinfo


def test_calibration_linear_and_log():
    x, y = parse_calib("100=0,500=10;400=1,100=1000")
    np.testing.assert_allclose(calibrate(np.array([100, 300, 500.0]), x), [0, 5, 10])
    np.testing.assert_allclose(calibrate(np.array([400, 300, 200, 100.0]), y, log_axis=True), [1, 10, 100, 1000])
    assert parse_calib(";10=0,20=1")[0] is None
    for bad in ("100=0", "1=0,1=5;", "a=b,c=d;", "100=0,200=1;5=0"):
        with pytest.raises(ValueError):
            parse_calib(bad)


def test_csv_has_one_column_pair_per_line():
    lines = [{"id": 1, "points": [[0, 10], [1, 11], [2, 12]]}, {"id": 2, "points": [[5, 40]]}]
    rows = list(csv.reader(io.StringIO(csv_text(lines, calib="0=0,10=1;10=0,0=1"))))
    assert rows[0] == ["line1_x", "line1_y", "line2_x", "line2_y"]
    assert len(rows) == 4 and rows[1][:2] == ["0", "0"] and rows[2][2:] == ["", ""]
    assert float(rows[1][2]) == pytest.approx(0.5) and float(rows[1][3]) == pytest.approx(-3.0)


def test_to_chartinfo_simplifies_and_keeps_shape():
    pts = [[x, 2.0 * x] for x in range(100)]
    doc = to_chartinfo([{"id": 1, "points": pts, "segments": [pts]}])
    out = doc["task6"]["output"]["visual elements"]["lines"]
    assert doc["task1"]["output"]["chart_type"] == "line"
    assert out[0][0] == {"x": 0.0, "y": 0.0} and out[0][-1] == {"x": 99.0, "y": 198.0} and len(out[0]) == 2


def test_convert_skips_other_charts_and_broken_json(tmp_path, chartinfo_dir):
    src = tmp_path / "src"
    shutil.copytree(chartinfo_dir, src)
    (src / "broken.json").write_text("{oops")
    bar = json.load(open(src / "58961.json"))
    bar["task1"]["output"]["chart_type"] = "vertical bar"
    json.dump(bar, open(src / "bar.json", "w"))
    shutil.copy(src / "58961.png", src / "bar.png")
    (src / "noimage.json").write_text(json.dumps(json.load(open(src / "40767.json"))))
    counts = convert_chartinfo(str(src), str(src), str(tmp_path / "out.json"))
    assert counts == {"converted": 3, "broken JSON": 1, "not a line chart (vertical bar)": 1, "image missing": 1}


def test_round_trip_chartinfo_to_coco_gives_the_same_polylines(tmp_path, chartinfo_dir):
    out = str(tmp_path / "coco.json")
    counts = convert_chartinfo(chartinfo_dir, chartinfo_dir, out)
    assert counts == {"converted": 3}
    records, rep = load_coco_lines(out, chartinfo_dir)
    assert len(records) == 3
    for rec in records:
        stem = os.path.splitext(os.path.basename(rec.path))[0]
        truth = chartinfo_lines(json.load(open(os.path.join(chartinfo_dir, stem + ".json"))))
        assert len(rec.lines) == len(truth)
        for pieces, t in zip(rec.lines, truth):
            np.testing.assert_allclose(pieces[0], t)


def test_predict_and_evaluate_on_the_chartinfo_samples(tmp_path, chartinfo_dir, tiny_ckpt):
    coco = str(tmp_path / "coco.json")
    r = run_cli("convert", "chartinfo", chartinfo_dir, chartinfo_dir, coco)
    assert r.returncode == 0 and "3 converted" in r.stdout
    imgs = sorted(glob.glob(os.path.join(chartinfo_dir, "*.png")) + glob.glob(os.path.join(chartinfo_dir, "*.jpg")))
    r = run_cli("predict", *imgs, "--out", tmp_path / "pred", "--checkpoint", tiny_ckpt, "--format", "chartinfo")
    assert r.returncode == 0, r.stderr
    for img in imgs:
        stem = os.path.splitext(os.path.basename(img))[0]
        doc = json.load(open(tmp_path / "pred" / f"{stem}.chartinfo.json"))
        for line in doc["task6"]["output"]["visual elements"]["lines"]:
            assert all(set(p) == {"x", "y"} and all(isinstance(v, float) for v in p.values()) for p in line)
    r = run_cli("evaluate", "--json", coco, "--img_dir", chartinfo_dir, "--checkpoint", tiny_ckpt,
                "--report", tmp_path / "rep.json")
    assert r.returncode == 0, r.stderr
    assert json.load(open(tmp_path / "rep.json"))["summary"]["model"]["chartinfo"]["n"] == 3
