"""Metric known answers and `linegroup evaluate` on tiny data."""

import json

import numpy as np
import pytest

from conftest import run_cli, write_dataset
from linegroup.data import rasterize
from linegroup.evaluate import chartinfo_line_scores, group_baseline, line_pair_score, score_chart
from linegroup.predict import lines_from_mask


def test_line_pair_score_known_answers():
    g = np.array([[0, 100], [10, 110], [20, 120]], float)
    assert line_pair_score(g, g) == pytest.approx(1.0)
    far = g + [0, 1000]
    assert line_pair_score(far, g) == pytest.approx(0.0)
    # every predicted y 1% too high relative to |y| + eps -> recall ~0.99
    eps = 20 / 100
    off = g.copy()
    off[:, 1] += 0.01 * (np.abs(g[:, 1]) + eps)
    assert line_pair_score(off, g) == pytest.approx(0.99, abs=2e-3)


def test_6a_and_6b_count_missing_and_extra_lines():
    a = np.array([[0, 10], [50, 10]], float)
    b = np.array([[0, 50], [50, 60]], float)
    assert chartinfo_line_scores([a, b], [a, b]) == pytest.approx((1.0, 1.0))
    s6a, s6b = chartinfo_line_scores([a, b, a + [0, 500]], [a, b])  # one extra line
    assert s6a == pytest.approx(1.0) and s6b == pytest.approx(2 / 3)
    s6a, s6b = chartinfo_line_scores([a], [a, b])  # one missing
    assert s6a == pytest.approx(0.5) and s6b == pytest.approx(0.5)
    assert chartinfo_line_scores([], []) == (1.0, 1.0)


def test_perfect_prediction_scores_one_and_merged_lines_do_not():
    gt = [[np.array([[2, 10], [60, 12]], float)], [np.array([[2, 30], [60, 40]], float)],
          [np.array([[2, 50], [60, 45]], float)]]
    inst, valid, line = rasterize(gt, 64, 64, 2)
    mask = inst.astype(np.uint16)
    s = score_chart(mask, lines_from_mask(mask), gt, 64, 64, 2)
    assert s["ari"] == pytest.approx(1.0) and s["pq"] == pytest.approx(1.0) and s["count"] == 1.0
    assert s["s6a"] > 0.98
    merged = (mask > 0).astype(np.uint16)
    s2 = score_chart(merged, lines_from_mask(merged), gt, 64, 64, 2)
    assert s2["ari"] == pytest.approx(0.0) and s2["count"] == 0.0 and s2["pq"] < 0.5
    s3 = score_chart(mask, lines_from_mask(mask), gt, 64, 64, 2, e2e=True)
    assert s3["pix_p"] == 1.0 and s3["pix_r"] == 1.0 and s3["pq"] == pytest.approx(1.0)


def test_baselines_on_colour_and_connectivity():
    img = np.full((40, 60, 3), 255, np.uint8)
    cand = np.zeros((40, 60), bool)
    cand[10, 5:55] = cand[11, 5:55] = True
    cand[30, 5:55] = cand[31, 5:55] = True
    img[10:12, 5:55] = (255, 0, 0)
    img[30:32, 5:55] = (255, 0, 0)  # same colour, separate: colour merges, cc separates
    assert group_baseline("color", img, cand).max() == 1
    assert group_baseline("cc", img, cand).max() == 2
    img[30:32, 5:55] = (0, 0, 255)
    assert group_baseline("color", img, cand).max() == 2


def test_evaluate_cli_writes_a_report(tmp_path, tiny_ckpt):
    path, img_dir = write_dataset(str(tmp_path / "d"), n=3)
    rep = tmp_path / "rep.json"
    r = run_cli("evaluate", "--json", path, "--img_dir", img_dir, "--checkpoint", tiny_ckpt, "--baselines",
                "--report", rep)
    assert r.returncode == 0, r.stderr
    assert "method" in r.stdout and "color" in r.stdout and "cc" in r.stdout
    doc = json.load(open(rep))
    assert {c["method"] for c in doc["per_chart"]} == {"model", "color", "cc"}
    assert set(doc["summary"]["model"]) == {"all", "g0", "g1"}
    assert doc["summary"]["model"]["all"]["n"] == 3
    r = run_cli("evaluate", "--json", path, "--img_dir", img_dir, "--checkpoint", tiny_ckpt, "--mode", "e2e")
    assert r.returncode == 0 and "pix_p" in r.stdout


def test_a_label_mask_is_the_truth_when_an_image_names_one(tmp_path):
    """Exact drawn pixels as truth: the true mask itself scores 1, two lines merged do not."""
    import cv2

    from linegroup.evaluate import evaluate_dataset

    img = np.full((40, 60, 3), 255, np.uint8)
    lab = np.zeros((40, 60), np.uint16)
    lab[10:13, 5:55] = 1
    lab[25:28, 5:55] = 2
    lab[10:28, 30] = 65535  # drawn by both
    cv2.imwrite(str(tmp_path / "a.png"), img)
    cv2.imwrite(str(tmp_path / "a_lab.png"), lab)
    doc = {"images": [{"id": 1, "file_name": "a.png", "width": 60, "height": 40, "label_mask": "a_lab.png",
                       "split": "report"}],
           "annotations": [{"image_id": 1, "category_id": 2, "segmentation": [[5, 11, 54, 11]]},
                           {"image_id": 1, "category_id": 2, "segmentation": [[5, 26, 54, 26]]}]}
    (tmp_path / "a.json").write_text(json.dumps(doc))

    class Truth:  # a grouper that returns the given candidates' true labels, or all merged
        def __init__(self, merge):
            self.merge = merge

        def predict(self, image, candidates=None):
            from types import SimpleNamespace

            mask = np.where(candidates, 1, 0).astype(np.uint16) if self.merge else \
                np.where(lab == 65535, 1, lab).astype(np.uint16)
            return SimpleNamespace(mask=mask, lines=lines_from_mask(mask), timings={})

    r = evaluate_dataset(str(tmp_path / "a.json"), str(tmp_path), Truth(False), progress=False)
    assert r["summary"]["model"]["all"]["ari"] == pytest.approx(1.0)
    assert r["summary"]["model"]["all"]["count"] == 1.0
    r = evaluate_dataset(str(tmp_path / "a.json"), str(tmp_path), Truth(True), progress=False)
    assert r["summary"]["model"]["all"]["ari"] == pytest.approx(0.0) and r["summary"]["model"]["all"]["count"] == 0
    assert evaluate_dataset(str(tmp_path / "a.json"), str(tmp_path), Truth(False), split="tune",
                            progress=False)["per_chart"] == []


def test_a_markers_only_series_is_scored_on_its_markers_not_the_undrawn_line(tmp_path):
    """A series drawn as markers only (synth's style.markers_only): its truth is its drawn
    markers, so a prediction of the markers alone finds all of it, and the undrawn polyline
    between them is not counted as missed. Hollow markers' insides are not truth either."""
    import cv2

    from linegroup.data import load_coco_lines
    from linegroup.evaluate import evaluate_dataset, record_truth, truth_masks

    img = np.full((60, 120, 3), 255, np.uint8)
    cv2.line(img, (5, 10), (115, 10), (0, 0, 200), 2)  # a solid line
    centres = [(15, 40), (45, 40), (75, 40), (105, 40)]
    for c in centres:
        cv2.circle(img, c, 5, (200, 0, 0), 1)  # hollow circles, nothing between them
    cv2.imwrite(str(tmp_path / "m.png"), img[..., ::-1])
    style = {"markers_only": True, "marker_px": 11.0}
    doc = {"images": [{"id": 1, "file_name": "m.png", "width": 120, "height": 60}],
           "annotations": [{"image_id": 1, "category_id": 2, "segmentation": [[5, 10, 115, 10]]},
                           {"image_id": 1, "category_id": 2, "segmentation": [[15, 40, 105, 40]],
                            "markers": [list(c) for c in centres], "style": style}]}
    (tmp_path / "m.json").write_text(json.dumps(doc))
    recs, _ = load_coco_lines(str(tmp_path / "m.json"), str(tmp_path))
    assert recs[0].marker_only[0] is None and recs[0].marker_only[1][1] == 11.0
    t = record_truth(recs[0], e2e=False, image=img)
    ring = np.zeros((60, 120), np.uint8)
    for c in centres:
        cv2.circle(ring, c, 5, 1, 1)
    assert (t["inst"] == 2).sum() > 0 and not t["line"][40, 30]  # nothing between the markers ...
    assert not t["line"][40, 15] and t["line"][ring > 0].all()  # ... nor inside a ring; the ring is truth
    plain = truth_masks(recs[0].lines, 60, 120, 2)  # without the image: the polyline, as before
    assert plain["line"][40, 30] and np.array_equal(plain["inst"], rasterize(recs[0].lines, 60, 120, 2)[0])

    class Drawn:  # a grouper that finds exactly what is drawn
        def predict(self, image, candidates=None):
            from types import SimpleNamespace

            mask = np.zeros((60, 120), np.uint16)
            mask[t["inst"] == 1] = 1
            mask[(ring > 0)] = 2
            return SimpleNamespace(mask=mask, lines=lines_from_mask(mask), timings={})

    r = evaluate_dataset(str(tmp_path / "m.json"), str(tmp_path), Drawn(), mode="e2e", progress=False)
    s = r["summary"]["model"]["all"]
    assert s["pix_r"] == pytest.approx(1.0) and s["pix_p"] == pytest.approx(1.0) and s["count"] == 1.0
