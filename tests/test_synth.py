"""The generator draws what it annotates, and is deterministic."""

import hashlib
import json
import os

import cv2
import numpy as np
import pytest
from conftest import run_cli

from linegroup.data import rasterize
from linegroup.images import read_image
from linegroup.synth import SynthConfig, render_chart, write_split


def _on_ink_fraction(img, pts):
    """Share of the 1-px raster of pts lying within 1 px of a pixel that differs from the background."""
    h, w = img.shape[:2]
    _, _, line = rasterize([[pts]], h, w, thickness=1)
    corners = np.concatenate([img[:3, :3].reshape(-1, 3), img[-3:, -3:].reshape(-1, 3)])
    bg = np.median(corners, axis=0)
    ink = (np.abs(img.astype(int) - bg).max(-1) > 20).astype(np.uint8)
    ink = cv2.dilate(ink, np.ones((3, 3), np.uint8)).astype(bool)
    inside = line.copy()
    return ink[inside].mean() if inside.any() else 1.0


@pytest.mark.parametrize("cfg", [SynthConfig(), SynthConfig(hard=True), SynthConfig(hard_frac=0.5, variety=True),
                                 SynthConfig(themes=True)],
                         ids=["default", "hard", "variety", "themes"])
def test_annotations_lie_on_drawn_pixels(cfg):
    checked_solid = checked_dashed = 0
    for i in range(10):
        img, annots, group = render_chart(3, "val", i, cfg)
        assert group in ("distinct", "same_colour", "grayscale")
        for a in annots:
            st = a["style"]
            if st["markers_only"]:
                continue
            frac = _on_ink_fraction(img, a["points"])
            if st["linestyle"] == "-":
                assert frac >= 0.95, (i, st, frac)
                checked_solid += 1
            else:  # dashes, dots: the drawn dashes still cover a good part of the line
                assert frac >= 0.3, (i, st, frac)
                checked_dashed += 1
    assert checked_solid >= 5


def test_hard_setting_is_hard():
    groups, counts = [], []
    for i in range(12):
        _, annots, group = render_chart(5, "val", i, SynthConfig(hard=True))
        groups.append(group)
        counts.append(len(annots))
    assert min(counts) >= 6 and max(counts) <= 12
    assert sum(g != "distinct" for g in groups) >= 3  # same-colour or grayscale


def test_same_seed_same_output(tmp_path):
    def digest(folder):
        write_split(str(folder), "val", 3, seed=11, workers=1, progress=False)
        h = hashlib.sha256(open(folder / "val.json", "rb").read())
        for f in sorted(os.listdir(folder / "val")):
            h.update(open(folder / "val" / f, "rb").read())
        return h.hexdigest()

    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    doc = json.load(open(tmp_path / "a" / "val.json"))
    assert len(doc["images"]) == 3 and all(a["category_id"] == 2 for a in doc["annotations"])
    im = doc["images"][0]
    assert read_image(str(tmp_path / "a" / "val" / im["file_name"])).shape[:2] == (im["height"], im["width"])


def test_options_leave_other_charts_unchanged_and_mix_in_hard_charts():
    """hard_frac and variety draw from their own random stream: a chart they do not touch is
    byte-identical to the plain setting's, so the hard validation set stays the same."""
    plain = [render_chart(2, "train", i, SynthConfig())[0] for i in range(6)]
    mixed = [render_chart(2, "train", i, SynthConfig(hard_frac=0.5)) for i in range(6)]
    styled = [render_chart(2, "train", i, SynthConfig(variety=True))[0] for i in range(6)]
    xr = [np.random.default_rng([2, 0, i, 1]) for i in range(6)]
    hard = [r.random() < 0.5 for r in xr]
    assert 0 < sum(hard) < 6
    for i in range(6):
        if not hard[i]:
            assert np.array_equal(plain[i], mixed[i][0])
        else:
            assert len(mixed[i][1]) >= 6  # the hard setting draws 6-12 lines
    assert sum(not np.array_equal(a, b) for a, b in zip(plain, styled)) >= 1


def test_level_series_are_level_and_leave_the_rest_of_the_chart_unchanged():
    """level_frac draws near-level series (values within 4% of the chart's value band) from
    its own stream: a chart with none drawn level is byte-identical to the plain one."""
    for i in range(4):
        info = {}
        _, lines, _ = render_chart(6, "train", i, SynthConfig(level_frac=1.0), info)
        if info["axes"]["y_scale"] == "log":
            continue
        lo, hi = info["axes"]["y"]
        assert len(lines) >= 1
        for ln in lines:
            y = np.asarray(ln["data"])[:, 1]
            assert np.ptp(y) <= 0.04 + 1e-9 and np.ptp(y) < 0.2 * (hi - lo)
    plain = render_chart(6, "train", 0, SynthConfig())[0]
    assert np.array_equal(plain, render_chart(6, "train", 0, SynthConfig(level_frac=1e-12))[0])
    assert not np.array_equal(plain, render_chart(6, "train", 0, SynthConfig(level_frac=1.0))[0])


def test_box_legends_change_only_the_legend():
    """legend_boxes draws legends with a filled box per series from its own stream: a chart
    with none drawn that way is byte-identical to the plain one; one drawn that way differs
    only inside its legend (the lines and their masks stay the same)."""
    cfg = dict(variety=True, themes=True)
    changed = 0
    for i in range(6):
        plain, lines, _ = render_chart(131, "train", i, SynthConfig(**cfg))
        boxed, lines_b, _ = render_chart(131, "train", i, SynthConfig(legend_boxes=1.0, **cfg))
        assert all(np.array_equal(a["data"], b["data"]) for a, b in zip(lines, lines_b)) and len(lines) == len(lines_b)
        if np.array_equal(plain, boxed):
            continue
        changed += 1
        ys, xs = np.nonzero((plain != boxed).any(-1))
        assert np.ptp(ys) < 0.5 * plain.shape[0] and np.ptp(xs) < 0.6 * plain.shape[1]  # one box: the legend
    assert changed >= 2
    assert np.array_equal(render_chart(131, "train", 0, SynthConfig(**cfg))[0],
                          render_chart(131, "train", 0, SynthConfig(legend_boxes=1e-12, **cfg))[0])


def test_synth_cli_options_and_bad_hard_frac(tmp_path):
    r = run_cli("synth", tmp_path / "d", "--num", "2", "--val", "0", "--seed", "4", "--workers", "1",
                "--hard_frac", "0.5", "--variety")
    assert r.returncode == 0, r.stderr
    info = json.load(open(tmp_path / "d" / "train.json"))["info"]
    assert info["hard_frac"] == 0.5 and info["variety"] is True
    r = run_cli("synth", tmp_path / "e", "--num", "1", "--hard_frac", "2")
    assert r.returncode == 2 and "--hard_frac must lie in [0, 1]" in r.stderr
    r = run_cli("synth", tmp_path / "f", "--num", "1", "--level_frac", "-0.1")
    assert r.returncode == 2 and "--level_frac must lie in [0, 1]" in r.stderr
    r = run_cli("synth", tmp_path / "g", "--num", "1", "--legend_boxes", "1.5")
    assert r.returncode == 2 and "--legend_boxes must lie in [0, 1]" in r.stderr


def test_exact_masks_cover_each_drawn_line_and_leave_the_chart_unchanged(tmp_path):
    from linegroup.synth import OVERLAP

    write_split(str(tmp_path / "a"), "train", 2, seed=5, progress=False)
    exact = write_split(str(tmp_path / "b"), "train", 2, seed=5, cfg=SynthConfig(exact_masks=True), progress=False)
    doc = json.load(open(exact))
    for im in doc["images"]:
        a = read_image(str(tmp_path / "a" / "train" / im["file_name"]))
        b = read_image(str(tmp_path / "b" / "train" / im["file_name"]))
        np.testing.assert_array_equal(a, b)  # the extra renders change nothing
        lab = cv2.imread(str(tmp_path / "b" / im["label_mask"]), cv2.IMREAD_UNCHANGED)
        assert lab.dtype == np.uint16 and lab.shape == (im["height"], im["width"])
        anns = [x for x in doc["annotations"] if x["image_id"] == im["id"]]
        k = len(anns)
        assert set(np.unique(lab)) <= set(range(k + 1)) | {OVERLAP}
        for i, ann in enumerate(anns, start=1):  # each line's polyline lies on its own mask
            pts = np.asarray(ann["segmentation"][0], float).reshape(-1, 2)
            _, _, line = rasterize([[pts]], im["height"], im["width"], thickness=1)
            mine = cv2.dilate(((lab == i) | (lab == OVERLAP)).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
            assert mine[line].mean() > 0.8


def test_themes_draw_their_looks_and_leave_charts_without_a_theme_unchanged():
    from linegroup import themes

    picked = [themes.pick(np.random.default_rng([2, 0, i, 4])) for i in range(6)]
    assert any(p == themes.NONE for p in picked) and any(p != themes.NONE for p in picked)
    for i, p in enumerate(picked):
        info = {}
        img, annots, _ = render_chart(2, "train", i, SynthConfig(themes=True), info)
        assert info["themes"] == p.names()
        if p == themes.NONE:
            plain, plain_annots, _ = render_chart(2, "train", i, SynthConfig())
            assert np.array_equal(img, plain)
            assert [a["stroke_width"] for a in annots] == [a["stroke_width"] for a in plain_annots]


def _first_chart_with(theme: str, cfg: SynthConfig):
    from linegroup import themes

    for i in range(200):
        if getattr(themes.pick(np.random.default_rng([5, 1, i, 4])), theme):
            info = {}
            img, annots, _ = render_chart(5, "val", i, cfg, info)
            return img, annots, info
    raise AssertionError(f"no chart with {theme} in 200")


@pytest.mark.parametrize("theme", ["dark", "inverted"])
def test_dark_themes_have_dark_backgrounds_and_light_lines(theme):
    img, annots, _ = _first_chart_with(theme, SynthConfig(themes=True))
    gray = img.mean(-1)
    assert np.median(gray) < 80  # most of the chart is dark
    h, w = gray.shape
    on_line = [gray[int(round(y)), int(round(x))] for a in annots if not a["style"]["markers_only"]
               for x, y in a["points"] if 0 <= round(x) < w and 0 <= round(y) < h]
    assert np.median(on_line) > np.median(gray) + 40  # the series are lighter than the background


def test_page_margins_move_the_polylines_with_the_chart():
    cfg = SynthConfig(themes=True, exact_masks=True)
    img, annots, info = _first_chart_with("margins", cfg)
    x0, y0 = info["plot_box"][:2]
    assert x0 > 0.04 * img.shape[1] and y0 > 0.04 * img.shape[0]  # the plot area sits inside a margin
    h, w = img.shape[:2]
    checked = 0
    for a in annots:  # the exact drawn pixels stay on the moved polylines
        st = a["style"]
        if st["marker"] or st["linestyle"] != "-":
            continue
        _, _, near = rasterize([[a["points"]]], h, w, thickness=int(round(a["stroke_width"])) + 4)
        drawn = a["mask"] > 80
        assert near[drawn].mean() > 0.9
        checked += 1
    assert checked
