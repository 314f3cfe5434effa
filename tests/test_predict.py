"""Prediction: the Python API and `linegroup predict` end to end, including bad input."""

import json
import os

import cv2
import numpy as np
import pytest

from conftest import draw_chart, run_cli
from linegroup.images import ImageError
from linegroup.predict import LineGrouper, lines_from_mask


def test_lines_from_mask_series_and_gaps():
    mask = np.zeros((20, 60), np.uint16)
    mask[5, 0:20] = 1
    mask[5:7, 40:60] = 1  # gap of 20 columns, 2 px thick
    mask[15, 10:30] = 2
    img = np.zeros((20, 60, 3), np.uint8)
    img[mask == 1] = (10, 20, 30)
    lines = lines_from_mask(mask, img, seg_gap=10)
    assert [ln["id"] for ln in lines] == [1, 2]
    a = lines[0]
    assert a["num_pixels"] == 60 and a["color"] == [10, 20, 30]
    assert len(a["points"]) == 40 and a["points"][0] == [0, 5.0] and a["points"][-1] == [59, 5.5]
    assert len(a["segments"]) == 2
    assert all(p[0] < q[0] for p, q in zip(a["points"], a["points"][1:]))  # ordered by x


def test_api_sizes_and_empty_candidates(tiny_ckpt):
    g = LineGrouper.load(tiny_ckpt)
    img, _ = draw_chart(45, 67)
    res = g.predict(img)
    assert res.mask.shape == (45, 67) and res.mask.dtype == np.uint16
    res = g.predict(img, candidates=np.zeros((45, 67), np.uint8))
    assert res.lines == [] and res.mask.max() == 0
    with pytest.raises(ImageError, match="but the image is .* sizes must match"):
        g.predict(img, candidates=np.ones((10, 10), np.uint8))


@pytest.mark.parametrize("kind", ["gray", "rgba", "16bit"])
def test_api_accepts_other_image_modes(tiny_ckpt, kind):
    img, _ = draw_chart(40, 50)
    arr = {"gray": img[..., 0], "rgba": np.dstack([img, np.full(img.shape[:2], 255, np.uint8)]),
           "16bit": img.astype(np.uint16) * 257}[kind]
    res = LineGrouper.load(tiny_ckpt).predict(arr, candidates=img[..., 0] < 128)
    assert res.mask.shape == (40, 50) and res.candidates == int((img[..., 0] < 128).sum())


def test_downscale_rule_keeps_full_resolution_outputs(tiny_ckpt):
    g = LineGrouper.load(tiny_ckpt, max_side=32)
    img, _ = draw_chart(60, 90)
    cand = img[..., 0] < 128
    res = g.predict(img, candidates=cand)
    assert res.mask.shape == (60, 90) and ((res.mask > 0) <= cand).all()


def test_predict_cli_end_to_end(tmp_path, tiny_ckpt):
    img, _ = draw_chart(48, 64)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    cv2.imwrite(str(tmp_path / "b.png"), img[..., 0])  # grayscale file
    cand = tmp_path / "cand"
    cand.mkdir()
    cv2.imwrite(str(cand / "a.png"), (img[..., 0] < 128).astype(np.uint8) * 255)
    cv2.imwrite(str(cand / "b.png"), np.zeros((48, 64), np.uint8))  # empty mask -> zero lines
    out = tmp_path / "out"
    r = run_cli("predict", tmp_path / "a.png", tmp_path / "b.png", "--out", out, "--checkpoint", tiny_ckpt,
                "--candidates", cand, "--format", "json", "chartinfo", "csv", "--embedding_png")
    assert r.returncode == 0, r.stderr
    for stem in ("a", "b"):
        m = cv2.imread(str(out / f"{stem}_mask.png"), cv2.IMREAD_UNCHANGED)
        assert m.dtype == np.uint16 and m.shape == (48, 64)
        doc = json.load(open(out / f"{stem}.json"))
        assert set(doc) == {"image", "width", "height", "page", "dpi", "lines", "plot_area"} and (doc["width"], doc["height"]) == (64, 48)
        for ln in doc["lines"]:
            assert set(ln) >= {"id", "num_pixels", "color", "points"} and len(ln["color"]) == 3
            assert all(len(p) == 2 for p in ln["points"])
        ov = cv2.imread(str(out / f"{stem}_overlay.png"))
        assert ov.shape == (48, 64, 3)
        assert os.path.exists(out / f"{stem}_embedding.png") and os.path.exists(out / f"{stem}.csv")
        ci = json.load(open(out / f"{stem}.chartinfo.json"))
        assert isinstance(ci["task6"]["output"]["visual elements"]["lines"], list)
    assert json.load(open(out / "b.json"))["lines"] == []


def test_predict_cli_bad_inputs_are_reported_and_the_rest_continue(tmp_path, tiny_ckpt):
    img, _ = draw_chart(48, 64)
    cv2.imwrite(str(tmp_path / "good.png"), img)
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG nonsense")
    cand = tmp_path / "cand"
    cand.mkdir()
    cv2.imwrite(str(cand / "good.png"), np.ones((48, 64), np.uint8))
    cv2.imwrite(str(cand / "wrongsize.png"), np.ones((10, 10), np.uint8))
    cv2.imwrite(str(tmp_path / "wrongsize.png"), img)
    out = tmp_path / "out"
    r = run_cli("predict", tmp_path / "corrupt.png", tmp_path / "missing.png", tmp_path / "wrongsize.png",
                tmp_path / "good.png", "--out", out, "--checkpoint", tiny_ckpt, "--candidates", cand, "--grouping", "dbscan", "--keep_rulings")
    assert r.returncode == 1
    assert "corrupt.png" in r.stderr and "missing.png" in r.stderr and "wrongsize.png: " in r.stderr and "sizes must match" in r.stderr
    assert "Traceback" not in r.stderr
    assert os.path.exists(out / "good.json")
    assert "1 of 4 charts done, 3 failed" in r.stdout


def test_predict_cli_reports_a_bad_checkpoint(tmp_path):
    img, _ = draw_chart(20, 20)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    (tmp_path / "bad.pt").write_bytes(b"x")
    r = run_cli("predict", tmp_path / "a.png", "--out", tmp_path / "o", "--checkpoint", tmp_path / "bad.pt")
    assert r.returncode == 2 and "bad.pt" in r.stderr and "Traceback" not in r.stderr


def test_link_models_are_chosen_with_links_and_a_bad_file_is_named(tmp_path, tiny_ckpt):
    """--links loads the link models fitted for a checkpoint's network; a missing or
    unreadable file is reported by name, without a traceback."""
    from linegroup.checkpoint import CheckpointError
    from linegroup.grouping import bundled_links_path

    g = LineGrouper.load(tiny_ckpt, links=str(bundled_links_path()))
    assert g.links is not None
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    for path, what in ((tmp_path / "bad.npz", "not a link model file"), (tmp_path / "none.npz", "not found")):
        with pytest.raises(CheckpointError, match=what):
            LineGrouper.load(tiny_ckpt, links=str(path))
    img, _ = draw_chart(20, 20)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    r = run_cli("predict", tmp_path / "a.png", "--out", tmp_path / "o", "--links", tmp_path / "bad.npz")
    assert r.returncode == 2 and "bad.npz: not a link model file" in r.stderr and "Traceback" not in r.stderr


def test_load_without_bundled_weights_says_so(monkeypatch):
    from linegroup import predict
    from linegroup.checkpoint import CheckpointError

    monkeypatch.setattr(predict, "bundled_weights_path", lambda: None)
    with pytest.raises(CheckpointError, match="no weights are bundled"):
        LineGrouper.load()


def test_demo_runs_end_to_end(tmp_path, tiny_ckpt):
    # the shipped weights, 6 charts, 4 of them typical: their predict batch runs on worker
    # processes started after the demo has drawn the charts in this process (forked
    # workers hung there, in ONNX Runtime or OpenCV thread pools left locked)
    r = run_cli("demo", "--out", tmp_path / "demo", "--num", "6", timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    found = [ln for ln in r.stdout.splitlines() if " found / " in ln and "==" not in ln]  # one per chart
    assert len(found) == 6 and sum(ln.startswith("typical/") for ln in found) == 4
    sheet = cv2.imread(str(tmp_path / "demo" / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[0] > 440 and sheet.shape[1] > 440  # 6 charts, each beside its lines
    assert len(list((tmp_path / "demo" / "predictions").glob("*/*_overlay.png"))) == 6
    assert "== evaluation" not in r.stdout and not list((tmp_path / "demo").glob("report_*.json"))
    r = run_cli("demo", "--out", tmp_path / "demo", "--num", "1", "--checkpoint", tiny_ckpt, "--evaluate")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "== evaluation, typical charts, e2e ==" in r.stdout and "color" in r.stdout
    assert (tmp_path / "demo" / "report_typical_oracle.json").exists()


def test_large_images_are_grouped_at_the_network_resolution(tiny_ckpt):
    """Above max_side, each full-resolution candidate takes the label of its cell at the
    network's resolution: pixels that share a cell share a label."""
    g = LineGrouper.load(tiny_ckpt, max_side=40)
    rng = np.random.default_rng(0)  # three crossing lines: grouped at full resolution, some cells get two labels
    img, _ = draw_chart(60, 80, [np.column_stack([np.linspace(2, 77, 6), rng.uniform(5, 55, 6)]) for _ in range(3)])
    cand = img[..., 0] < 128
    res = g.predict(img, candidates=cand)
    scale = 40 / 80
    ys, xs = np.nonzero(res.mask)
    cell = (ys * scale).astype(int) * 1000 + (xs * scale).astype(int)
    for c in np.unique(cell):
        assert len(np.unique(res.mask[ys[cell == c], xs[cell == c]])) == 1
    assert res.mask.shape == (60, 80) and ((res.mask > 0) <= cand).all() and res.candidates == int(cand.sum())


def test_an_rgb_array_and_its_file_give_the_same_result(tiny_ckpt, tmp_path):
    """The API takes RGB arrays (as read_image returns them): the network must see the
    same pixels as when it reads the file itself, not the channels swapped."""
    from linegroup.images import read_image

    img, _ = draw_chart(60, 80)
    img[..., 0] = 250  # red and blue differ everywhere, so a swap changes the input
    img[..., 2] = 10
    path = str(tmp_path / "c.png")
    cv2.imwrite(path, img[..., ::-1])
    g = LineGrouper.load(tiny_ckpt)
    cand = np.ones((60, 80), np.uint8)
    from_file = g.predict(path, candidates=cand, keep_embedding=True)
    from_array = g.predict(read_image(path), candidates=cand, keep_embedding=True)
    np.testing.assert_array_equal(read_image(path), img)
    np.testing.assert_allclose(from_array.embedding, from_file.embedding)


def test_predict_cli_own_candidate_flags(tiny_ckpt, tmp_path):
    """The switches for the steps on the model's own candidates reach LineGrouper."""
    img, _ = draw_chart(48, 64)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    for flags in ([], ["--keep_marks", "--keep_strays", "--keep_rulings", "--keep_outside_axes",
                       "--grouping", "dbscan", "--fg_threshold", "0"]):
        out = tmp_path / ("off" if flags else "on")
        r = run_cli("predict", tmp_path / "a.png", "--out", out, "--checkpoint", tiny_ckpt, *flags)
        assert r.returncode == 0, r.stderr
        assert os.path.exists(out / "a.json")
    # and they set the grouper's switches
    import argparse

    from linegroup.cli import _grouper, _predict

    sub = argparse.ArgumentParser().add_subparsers(dest="command")
    _predict(sub)
    a = sub.choices["predict"].parse_args(["x.png", "--out", "o", "--checkpoint", tiny_ckpt, "--keep_marks",
                                           "--keep_strays", "--link_bias", "0.5"])
    g = _grouper(a)
    assert (g.drop_marks, g.drop_strays, g.link_bias, g.drop_rulings, g.plot_area) == (False, False, 0.5, True, True)
    assert g.grouping == "links"
    from linegroup.predict import DEFAULT_LINK_BIAS, FG_LOW, FG_THRESHOLD  # the CLI's defaults are the library's

    d = sub.choices["predict"].parse_args(["x.png", "--out", "o"])
    assert (d.link_bias, d.fg_threshold, d.fg_low) == (DEFAULT_LINK_BIAS, FG_THRESHOLD, FG_LOW)
    assert _grouper(sub.choices["predict"].parse_args(["x.png", "--out", "o", "--checkpoint", tiny_ckpt,
                                                        "--fg_low", "0.4"])).fg_low == 0.4


def test_own_candidates_take_faint_pixels_only_where_they_touch_sure_ones(tiny_ckpt):
    """Hysteresis on the line probability: a pale flat stretch (0.3) joined to a sure stretch
    (0.9) is a candidate; a faint piece on its own (0.3) and the background (0.1) are not."""
    prob = np.full((20, 40), 0.1, np.float32)
    prob[5, 0:10] = 0.9  # a sure stretch of a series...
    prob[6, 10:25] = 0.3  # ...and its pale flat run, touching it diagonally at (5, 9)-(6, 10)
    prob[15, 5:30] = 0.3  # a faint piece touching nothing sure
    g = LineGrouper.load(tiny_ckpt)
    own = g.own_candidates(prob)
    want = np.zeros_like(own)
    want[5, 0:10] = want[6, 10:25] = True
    assert (own == want).all()
    off = LineGrouper.load(tiny_ckpt, fg_low=0.5).own_candidates(prob)  # fg_low = fg_threshold: plain threshold
    assert (off == (prob > 0.5)).all()


def test_markers_of_a_large_image_are_found_at_the_network_resolution_in_full_resolution_pixels(tiny_ckpt,
                                                                                                monkeypatch):
    """Above max_side the marker stage works on the image the network saw (its cost stays
    bounded on a 6000x4000 page) and reports centres and sizes in the input's pixels."""
    img = np.full((300, 1200, 3), 255, np.uint8)
    cv2.line(img, (40, 150), (1160, 150), (0, 0, 0), 4)
    centres = [(x, 150) for x in range(80, 1160, 100)]
    for c in centres:
        cv2.circle(img, c, 16, (0, 0, 0), -1)
    cand = img[..., 0] < 128
    import linegroup.predict as P

    seen = []
    real = P.find_markers
    monkeypatch.setattr(P, "find_markers", lambda image, mask: seen.append(image.shape) or real(image, mask))
    small = LineGrouper.load(tiny_ckpt, max_side=600).predict(img, candidates=cand)
    assert seen == [(150, 600, 3)]
    (line,) = small.lines
    got = np.asarray(line["markers"])
    assert len(got) == len(centres)
    assert np.abs(got - np.asarray(centres, float)).max() < 2.0  # within 2 px: 1 px at the network's scale
    assert 28 <= line["marker"]["size"] <= 38  # the 33 px discs, not their half-size images


def test_overlay_and_pngs_are_what_the_plain_formulas_give():
    """draw_overlay's fading table and sparse painting, and encode_png's settings, change
    nothing: the overlay equals the plain float fade with dilated labels painted, and both
    PNGs decode to the arrays encoded."""
    from linegroup.batch import encode_png
    from linegroup.viz import distinct_colors, draw_overlay

    rng = np.random.default_rng(6)
    img = rng.integers(0, 256, (90, 120, 3)).astype(np.uint8)
    mask = np.zeros((90, 120), np.uint16)
    mask[10, 5:100] = 1
    mask[40:43, 20:90] = 2
    mask[41, 60:110] = 3  # touching line 2: its neighbours take the larger label
    mask[88:, 118:] = 1  # at the border
    for thicken in (0, 1, 2):
        want = (img.astype(np.float32) * (1 - 0.6) + 255 * 0.6).astype(np.uint8)
        lab = mask.astype(np.int32)
        if thicken:
            grown = cv2.dilate(lab.astype(np.float32), np.ones((2 * thicken + 1,) * 2, np.uint8)).astype(np.int32)
            lab = np.where(lab > 0, lab, grown)
        want[lab > 0] = distinct_colors(4)[lab[lab > 0] - 1]
        assert np.array_equal(draw_overlay(img, mask, thicken=thicken), want)
        assert np.array_equal(draw_overlay(img, mask.astype(np.int32), thicken=thicken), want)
    overlay = draw_overlay(img, mask)
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(encode_png(overlay), np.uint8), cv2.IMREAD_UNCHANGED),
                       cv2.COLOR_BGR2RGB)
    assert np.array_equal(rgb, overlay)
    back = cv2.imdecode(np.frombuffer(encode_png(mask * 1000, rgb=False), np.uint8), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint16 and np.array_equal(back, mask * 1000)
