"""Targets, polyline formats, image decoding, augmentation alignment and bad input."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, write_dataset, write_dataset_with_label_masks
from linegroup.data import (Augment, DataError, LineDataset, collate, load_coco_lines, parse_polyline, rasterize,
                            warp_label_mask)
from linegroup.images import ImageError, read_image


def test_overlap_pixels_are_excluded_from_valid():
    a = [np.array([[0, 10], [39, 10]], float)]
    b = [np.array([[20, 0], [20, 19]], float)]
    inst, valid, line = rasterize([a, b], 20, 40, thickness=1)
    assert line[10, 20] and not valid[10, 20]  # the crossing
    assert valid[10, 5] and inst[10, 5] == 1
    assert valid[3, 20] and inst[3, 20] == 2
    assert line.sum() - valid.sum() == 1
    assert not (inst[~line]).any()


# cv2.polylines draws thickness t as a band of 2 * (t // 2) + 1 pixels (1, 3, 5, 5, 7, ...)
@pytest.mark.parametrize("t,px", [(1, 1), (2, 3), (3, 5), (5, 7)])
def test_thickness_is_respected(t, px):
    inst, valid, line = rasterize([[np.array([[5, 20], [35, 20]], float)]], 40, 40, thickness=t)
    assert line[:, 20].sum() == px
    assert line[20, 5:36].all() and not line[20, :5 - px // 2].any()  # round caps of radius px // 2


def test_stroke_width_widens_the_raster():
    _, _, line = rasterize([[np.array([[5, 20], [35, 20]], float)]], 40, 40, thickness=1, widths=[3.2])
    assert line[:, 20].sum() == 5  # round(3.2) = 3 -> 5 px, wider than thickness 1


@pytest.mark.parametrize("ann", [
    {"segmentation": [[0, 0, 10, 5, 20, 0]]},
    {"points": [[0, 0], [10, 5], [20, 0]]},
    {"points": [{"x": 0, "y": 0}, {"x": 10, "y": 5}, {"x": 20, "y": 0}]},
    {"segmentation": [{"x": 0, "y": 0}, {"x": 10, "y": 5}, {"x": 20, "y": 0}]},
])
def test_polyline_formats(ann):
    pieces = parse_polyline(ann)
    assert len(pieces) == 1
    np.testing.assert_allclose(pieces[0], [[0, 0], [10, 5], [20, 0]])


def test_polyline_with_several_pieces():
    pieces = parse_polyline({"segmentation": [[0, 0, 5, 5], [10, 10, 20, 20, 30, 30]]})
    assert [len(p) for p in pieces] == [2, 3]


@pytest.mark.parametrize("ann,msg", [
    ({"segmentation": [[0, 0]]}, "fewer than 2"),
    ({"points": [["a", 1], [2, 3]]}, "non-numeric"),
    ({"segmentation": [[0, 0, 1]]}, "odd"),
    ({"foo": 1}, "no 'segmentation'"),
    ({"segmentation": [[0, float("nan"), 1, 1]]}, "non-finite"),
])
def test_bad_polylines_raise(ann, msg):
    with pytest.raises(ValueError, match=msg):
        parse_polyline(ann)


def test_image_modes_come_in_as_rgb(tmp_path):
    gray = np.full((10, 12), 100, np.uint8)
    rgba = np.zeros((10, 12, 4), np.uint8)  # fully transparent -> white
    rgba[0, 0] = (0, 0, 255, 255)  # opaque red (BGRA)
    deep = np.full((10, 12, 3), 65535, np.uint16)
    for name, arr in [("g.png", gray), ("a.png", rgba), ("d.png", deep)]:
        cv2.imwrite(str(tmp_path / name), arr)
    g = read_image(str(tmp_path / "g.png"))
    assert g.shape == (10, 12, 3) and g.dtype == np.uint8 and (g == 100).all()
    a = read_image(str(tmp_path / "a.png"))
    assert tuple(a[0, 0]) == (255, 0, 0) and tuple(a[5, 5]) == (255, 255, 255)
    d = read_image(str(tmp_path / "d.png"))
    assert d.dtype == np.uint8 and (d == 255).all()
    # palette PNG (written through matplotlib's Pillow dependency)
    from PIL import Image

    Image.fromarray(np.arange(120, dtype=np.uint8).reshape(10, 12)).convert("P").save(tmp_path / "p.png")
    assert read_image(str(tmp_path / "p.png")).shape == (10, 12, 3)


def test_unreadable_and_missing_images_name_the_file(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    with pytest.raises(ImageError, match="bad.png"):
        read_image(str(bad))
    with pytest.raises(ImageError, match="nope.png: file not found"):
        read_image(str(tmp_path / "nope.png"))


def test_bad_dataset_entries_are_counted_skips(tmp_path):
    extra_images = [{"id": 99, "file_name": "missing.png", "width": 80, "height": 64}]
    extra_anns = [
        {"image_id": 12345, "category_id": 2, "segmentation": [[0, 0, 5, 5]]},  # unknown image
        {"image_id": 1, "category_id": 2, "segmentation": [[0, 0]]},  # 1 point
        {"image_id": 1, "category_id": 2, "points": [["x", 0], [1, 1]]},  # non-numeric
        {"image_id": 1, "category_id": 2, "segmentation": [[-50, 0, 500, 30]]},  # outside: clipped
        {"image_id": 1, "category_id": 1, "segmentation": [[0, 0, 5, 5]]},  # not a line: ignored
    ]
    path, img_dir = write_dataset(str(tmp_path), n=2, extra_images=extra_images, extra_anns=extra_anns)
    records, rep = load_coco_lines(path, img_dir)
    assert len(records) == 2
    assert rep.skipped["image file missing"] == 1
    assert rep.skipped["annotation names an unknown image"] == 1
    assert rep.skipped["bad polyline: fewer than 2 points"] == 1
    assert rep.skipped["bad polyline: non-numeric coordinates"] == 1
    assert rep.skipped["polyline points outside the image (clipped)"] == 1
    assert len(records[0].lines) == 2  # 1 original + the clipped one
    assert "missing.png" in rep.summary()


def test_malformed_and_empty_datasets_raise(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text("{not json")
    with pytest.raises(DataError, match="broken.json: malformed JSON"):
        load_coco_lines(str(p), str(tmp_path))
    p.write_text(json.dumps({"images": [], "annotations": []}))
    with pytest.raises(DataError, match="empty dataset"):
        load_coco_lines(str(p), str(tmp_path))
    p.write_text(json.dumps([1, 2]))
    with pytest.raises(DataError, match="'images' list"):
        load_coco_lines(str(p), str(tmp_path))
    with pytest.raises(DataError, match="not found"):
        load_coco_lines(str(tmp_path / "none.json"), str(tmp_path))


def test_wrong_size_and_corrupt_images_are_dropped_and_counted(tmp_path):
    path, img_dir = write_dataset(str(tmp_path), n=3)
    cv2.imwrite(os.path.join(img_dir, "c1.png"), np.zeros((10, 10, 3), np.uint8))  # JSON says 80x64
    with open(os.path.join(img_dir, "c2.png"), "wb") as f:
        f.write(b"\x89PNG broken")
    ds = LineDataset(path, img_dir)
    assert ds[1] is None and ds[2] is None
    batch = collate([ds[0], ds[1], ds[2]])
    assert batch["skipped"] == 2 and batch["image"].shape[0] == 1
    assert "image" not in collate([None, None]) and collate([None])["skipped"] == 1


def test_augmentation_keeps_masks_aligned(tmp_path):
    path, img_dir = write_dataset(str(tmp_path), n=3)
    aug = Augment(crop_size=48, p_color=0, p_gray=0, p_invert=0, p_jpeg=0, p_blur=0, p_noise=0)
    ds = LineDataset(path, img_dir, thickness=1, augment=aug)
    for i in range(3):
        for epoch in range(3):
            ds.set_epoch(epoch)
            s = ds[i]
            assert s["image"].shape == (3, 48, 48) and s["instance_mask"].shape == (48, 48)
            dark = s["image"].mean(0) < 0.9
            on = s["line_mask"]
            if on.sum() > 5:  # the 1-px target must sit on the drawn (2-px) line
                assert dark[on].float().mean() > 0.9


def test_collate_pads_and_marks_real_pixels():
    a = {"image": torch.zeros(3, 4, 5), "instance_mask": torch.ones(4, 5, dtype=torch.long),
         "valid_mask": torch.ones(4, 5, dtype=torch.bool), "line_mask": torch.ones(4, 5, dtype=torch.bool)}
    b = {k: v[..., :3, :2] for k, v in a.items()}
    out = collate([a, b])
    assert out["image"].shape == (2, 3, 4, 5)
    assert out["pixel_mask"][1].sum() == 6 and out["valid_mask"][1].sum() == 6
    assert out["image"][1, :, 3, 4].eq(1).all()  # padding is white


def test_augmentation_changes_between_epochs_in_worker_processes(tmp_path):
    from linegroup.train import make_loader

    path, img_dir = write_dataset(str(tmp_path), n=2)
    ds = LineDataset(path, img_dir, augment=Augment(crop_size=32))
    loader = make_loader(ds, 2, 1)  # as train() builds its loaders
    seen = []
    for epoch in range(2):
        ds.set_epoch(epoch)
        seen.append(next(iter(loader))["image"])
    assert not torch.equal(seen[0], seen[1])
    ds.set_epoch(0)
    assert torch.equal(next(iter(loader))["image"], seen[0])  # and it is reproducible


# ---------------------------------------------------------------------------------
# exact targets (--targets exact): a chart's label mask instead of its polylines


def test_exact_label_mask_known_answer():
    lab = np.zeros((6, 8), np.uint16)
    lab[1, 1:7] = 1
    lab[4, 1:7] = 2
    lab[4, 3] = 65535
    inst, valid, line = warp_label_mask(lab, None, 6, 8)
    assert line.sum() == 12 and valid.sum() == 11
    assert (inst[1, 1:7] == 1).all() and inst[4, 3] == 0 and not valid[4, 3] and line[4, 3]
    assert (inst[4, [1, 2, 4, 5, 6]] == 2).all() and inst.max() == 2


def test_a_thin_exact_line_shrunk_by_half_stays_where_the_image_shows_it():
    lab = np.zeros((40, 80), np.uint16)
    lab[20, :] = 1  # 1 px line
    m = np.array([[0.5, 0, 0], [0, 0.5, -0.3]])  # output row 10 samples input row 20.6
    inst, valid, line = warp_label_mask(lab, m, 20, 40)
    assert line[10, :39].all() and line.sum() == line[10].sum()  # the line, 1 px thin
    img = cv2.warpAffine(np.where(lab > 0, 0, 255).astype(np.uint8), m, (40, 20), flags=cv2.INTER_LINEAR)
    assert (img[10, :39] < 200).all()  # where the warped image shows it (at 40% ink)
    nearest = cv2.warpAffine(lab, m, (40, 20), flags=cv2.INTER_NEAREST)
    assert not (nearest > 0).any()  # a nearest-neighbour warp of the labels would have lost it


def test_exact_targets_are_the_label_mask_and_polylines_the_fallback(tmp_path):
    path, img_dir = write_dataset_with_label_masks(str(tmp_path))
    exact = LineDataset(path, img_dir, thickness=5, targets="exact")
    drawn = LineDataset(path, img_dir, thickness=5)
    lab = cv2.imread(os.path.join(str(tmp_path), "masks", "c0.png"), cv2.IMREAD_UNCHANGED)
    s = exact[0]
    assert (s["line_mask"].numpy() == (lab > 0)).all()
    assert (s["valid_mask"].numpy() == (lab == 1)).all()
    assert drawn[0]["line_mask"].sum() > s["line_mask"].sum()  # 5 px polylines are wider than the ink
    with open(path) as f:
        data = json.load(f)
    del data["images"][1]["label_mask"]
    with open(path, "w") as f:
        json.dump(data, f)
    mixed = LineDataset(path, img_dir, thickness=5, targets="exact")
    assert (mixed[1]["line_mask"] == drawn[1]["line_mask"]).all()  # no label mask: the polylines
    with pytest.raises(ValueError, match="targets"):
        LineDataset(path, img_dir, targets="ink")


def test_exact_targets_move_with_the_augmentation(tmp_path):
    path, img_dir = write_dataset_with_label_masks(str(tmp_path))
    aug = Augment(crop_size=48, p_color=0, p_gray=0, p_invert=0, p_jpeg=0, p_blur=0, p_noise=0)
    ds = LineDataset(path, img_dir, augment=aug, targets="exact")
    lab = cv2.imread(os.path.join(str(tmp_path), "masks", "c2.png"), cv2.IMREAD_UNCHANGED)
    for epoch in range(3):
        ds.set_epoch(epoch)
        s = ds[2]
        m = aug.geometry(np.random.default_rng([ds.seed, epoch, 2]), *lab.shape)  # the sample's own crop
        inst, valid, line = warp_label_mask(lab, m, 48, 48)
        assert (s["line_mask"].numpy() == line).all() and (s["valid_mask"].numpy() == valid).all()
        on = s["line_mask"] & s["valid_mask"]
        assert on.sum() > 5 and (s["image"].mean(0)[on] < 0.95).float().mean() > 0.9  # on the drawn ink


def test_a_bad_label_mask_skips_the_sample_naming_it(tmp_path, caplog):
    path, img_dir = write_dataset_with_label_masks(str(tmp_path))
    bad = os.path.join(str(tmp_path), "masks", "c1.png")
    cv2.imwrite(bad, np.zeros((10, 10), np.uint16))
    ds = LineDataset(path, img_dir, targets="exact")
    assert ds[1] is None and ds[0] is not None
    assert "c1.png: label mask is 10x10, its chart 80x64" in caplog.text
    os.remove(bad)
    assert ds[1] is None and "label mask missing or unreadable" in caplog.text


def test_merge_sets_joins_folders_and_holds_out_the_last_charts(tmp_path):
    a = write_dataset_with_label_masks(str(tmp_path / "a"), n=3)[0]
    b = write_dataset_with_label_masks(str(tmp_path / "b"), n=4)[0]
    out = tmp_path / "merged"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "merge_sets.py"), "--out", str(out), a, b,
                        "--img_dir_name", "img", "--val_last", "2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    train = LineDataset(str(out / "train.json"), str(out), targets="exact")
    val = LineDataset(str(out / "val.json"), str(out), targets="exact")
    assert len(train) == 5 and len(val) == 2 and not train.report.skipped and not val.report.skipped
    assert [len(rec.lines) for rec in val.records] == [3, 1]  # b's charts 2 and 3 (1 + i % 3 lines)
    assert val.records[1].label_mask.endswith(os.path.join("b", "masks", "c3.png"))
    assert val[1]["line_mask"].any()


def test_fading_keeps_the_background_and_shrinks_the_lines_contrast():
    img = np.full((40, 60, 3), 250, np.uint8)
    img[20, :] = (30, 60, 200)  # a line
    aug = Augment(p_color=0, p_gray=0, p_invert=0, p_jpeg=0, p_blur=0, p_noise=0, p_fade=1.0)
    out = aug.photometric(np.random.default_rng(0), img).astype(float)
    assert np.abs(out[5] - 250).max() <= 1  # the paper stays
    share = (250 - out[20, 0]) / (250 - img[20, 0].astype(float))
    assert np.allclose(share, share[0], atol=0.02) and 0.25 - 0.02 <= share[0] <= 0.7 + 0.02
    plain = Augment(p_color=0, p_gray=0, p_invert=0, p_jpeg=0, p_blur=0, p_noise=0)
    assert (plain.photometric(np.random.default_rng(0), img) == img).all()  # off unless asked for


def test_a_markers_only_series_trains_on_its_markers_not_the_undrawn_polyline(tmp_path):
    """The target of a series drawn as markers only is its drawn markers, also through the
    augmentation's warp; a line drawn as a line keeps its polyline."""
    img = np.full((64, 96, 3), 255, np.uint8)
    cv2.line(img, (4, 12), (92, 12), (0, 0, 0), 2)
    centres = [(12, 44), (36, 44), (60, 44), (84, 44)]
    for c in centres:
        cv2.circle(img, c, 4, (200, 0, 0), -1)
    cv2.imwrite(str(tmp_path / "m.png"), img[..., ::-1])
    doc = {"images": [{"id": 1, "file_name": "m.png", "width": 96, "height": 64}],
           "annotations": [{"image_id": 1, "category_id": 2, "segmentation": [[4, 12, 92, 12]]},
                           {"image_id": 1, "category_id": 2, "segmentation": [[12, 44, 84, 44]],
                            "markers": [list(c) for c in centres],
                            "style": {"markers_only": True, "marker_px": 9.0}}]}
    (tmp_path / "m.json").write_text(json.dumps(doc))
    s = LineDataset(str(tmp_path / "m.json"), str(tmp_path), thickness=2)[0]
    inst = s["instance_mask"].numpy()
    assert (inst[44, [12, 36, 60, 84]] == 2).all() and (inst[44, [24, 48, 72]] == 0).all()
    assert (inst[12, 10:90] == 1).all()
    aug = Augment(crop_size=48, p_color=0, p_gray=0, p_invert=0, p_jpeg=0, p_blur=0, p_noise=0)
    ds = LineDataset(str(tmp_path / "m.json"), str(tmp_path), thickness=2, augment=aug)
    checked = 0
    for epoch in range(4):
        ds.set_epoch(epoch)
        s = ds[0]
        on = s["instance_mask"].numpy() == 2
        if on.sum() > 5:  # the markers' target sits on the drawn markers
            red = (s["image"][0] - s["image"][2]).numpy() > 0.3
            assert red[on].mean() > 0.8
            checked += 1
    assert checked >= 2  # crops that show markers were looked at
