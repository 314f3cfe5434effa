"""Bad input of every kind: named in one line, the rest of the batch goes on, nothing partial is left."""

import json
import os
import struct

import cv2
import numpy as np
import pytest

from conftest import draw_chart, run_cli, write_dataset
from linegroup.batch import OutputSet, Tally, collect_inputs, unique_stem
from linegroup.data import LineDataset, collate, load_coco_lines
from linegroup.images import MAX_PIXELS, ImageError, header_size, read_image, to_rgb8


def _png(img):
    return cv2.imencode(".png", img)[1].tobytes()


@pytest.mark.parametrize("ext,fmt", [(".png", "png"), (".jpg", "jpeg"), (".bmp", "bmp"), (".tif", "tiff"),
                                     (".webp", "webp")])
def test_header_size_reads_width_and_height_without_decoding(ext, fmt):
    img = np.random.default_rng(0).integers(0, 255, (23, 37, 3)).astype(np.uint8)
    ok, buf = cv2.imencode(ext, img)
    assert ok
    assert header_size(buf.tobytes()) == (fmt, (37, 23))


def test_an_oversized_header_is_refused_before_decoding(tmp_path):
    data = bytearray(_png(np.zeros((4, 4, 3), np.uint8)))
    data[16:24] = struct.pack(">II", 100_000, 100_000)  # IHDR claims 10 gigapixels
    p = tmp_path / "bomb.png"
    p.write_bytes(bytes(data))
    with pytest.raises(ImageError, match=r"bomb.png: image is 100000x100000 .* over the limit of 64"):
        read_image(str(p))
    with pytest.raises(ImageError, match="over the limit of 0"):  # the limit is the caller's
        read_image(str(p), max_pixels=10)


def test_cli_max_pixels_default_is_the_library_limit():
    from linegroup import cli

    assert cli.MAX_PIXELS == MAX_PIXELS


@pytest.mark.parametrize("arr,expect", [
    (np.array([[True, False]]), [255, 0]),
    (np.array([[0.0, 1.0]], np.float32), [0, 255]),  # 0..1 floats
    (np.array([[0.0, 128.0]], np.float64), [0, 128]),  # 0..255 floats
    (np.array([[np.nan, np.inf]]), [0, 255]),
    (np.array([[0, 65535]], np.uint16), [0, 255]),
    (np.array([[[10, 0], [10, 255]]], np.uint8), [255, 10]),  # gray + alpha over white
])
def test_pixel_types_come_in_as_rgb8(arr, expect):
    rgb = to_rgb8(arr, bgr=False)
    assert rgb.dtype == np.uint8 and rgb.shape == arr.shape[:2] + (3,)
    assert rgb[0, :, 0].tolist() == expect


@pytest.mark.parametrize("arr,msg", [
    (np.zeros((0, 5), np.uint8), "empty image"),
    (np.zeros((4, 4, 5), np.uint8), "unsupported shape"),
    (np.zeros((4,), np.uint8), "unsupported shape"),
    (np.zeros((4, 4), np.int64), "unsupported pixel type int64"),
])
def test_unusable_arrays_get_our_error(arr, msg):
    with pytest.raises(ImageError, match=msg):
        to_rgb8(arr, "arr")


def test_files_that_are_not_images_are_named_with_the_problem(tmp_path):
    good = _png(np.zeros((8, 8, 3), np.uint8))
    cases = {"empty.png": b"", "truncated.png": good[: len(good) // 2], "text.png": b"hello",
             "header_only.jpg": b"\xff\xd8\xff\xe0" + bytes(20)}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.png").mkdir()
    expect = {"empty.png": "file is empty", "truncated.png": "damaged PNG file", "text.png": "not an image",
              "header_only.jpg": "damaged JPEG file", "folder.png": "is a folder", "none.png": "file not found"}
    for name, msg in expect.items():
        with pytest.raises(ImageError, match=f"{name}: {msg}"):
            read_image(str(tmp_path / name))


def test_degenerate_sizes_decode(tmp_path):
    for shape in [(1, 1, 3), (1, 300), (300, 1), (3, 4000, 3)]:
        p = tmp_path / f"{shape[0]}x{shape[1]}.png"
        p.write_bytes(_png(np.full(shape, 200, np.uint8)))
        assert read_image(str(p)).shape == shape[:2] + (3,)


def test_an_output_set_is_written_whole_or_not_at_all(tmp_path):
    out = OutputSet(str(tmp_path), "chart")
    out.add("_mask.png", b"m")
    out.add(".json", "{}")
    assert sorted(os.listdir(tmp_path)) == []  # nothing before the commit
    assert [os.path.basename(p) for p in out.commit()] == ["chart_mask.png", "chart.json"]
    assert sorted(os.listdir(tmp_path)) == ["chart.json", "chart_mask.png"]

    (tmp_path / "other.json").mkdir()  # the second move will fail
    (tmp_path / "other.json" / "x").write_text("x")
    bad = OutputSet(str(tmp_path), "other")
    bad.add("_mask.png", b"m")
    bad.add(".json", "{}")
    with pytest.raises(OSError):
        bad.commit()
    assert sorted(os.listdir(tmp_path)) == ["chart.json", "chart_mask.png", "other.json"]  # no other_mask.png, no tmp


def test_tally_reports_unexpected_errors_in_one_line_and_tracebacks_on_debug():
    lines = []
    t = Tally(write=lines.append)
    with t.item("a.png"):
        pass
    with t.item("b.png"):
        raise ImageError("b.png: file is empty")
    with t.item("c.png"):
        raise KeyError("boom")
    assert lines == ["error: b.png: file is empty",
                     "error: c.png: unexpected KeyError: 'boom' (run with --debug for the traceback)"]
    with t.item("d.png", debug=True):
        raise RuntimeError("bad")
    assert lines[2] == "error: d.png: unexpected RuntimeError: bad" and "Traceback" in lines[3]
    assert t.summary() == "1 of 4 inputs done, 3 failed, 0 skipped" and t.exit_code() == 1


def test_inputs_collect_chart_files_and_count_the_rest(tmp_path):
    for name in ("b.png", "a.JPG", "c.pdf", "notes.txt", ".hidden.png"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    files, skipped = collect_inputs([str(tmp_path), str(tmp_path / "notes.txt")])
    assert [os.path.basename(f) for f in files] == ["a.JPG", "b.png", "c.pdf", "notes.txt"]
    assert skipped == [f"{tmp_path / 'notes.txt'} (not a chart file type)",
                       f"{tmp_path / 'sub'} (a folder: folders inside folders are not searched)"]
    used = set()
    assert [unique_stem(p, used) for p in ("x/chart.png", "y/chart.jpg", "z/chart.jpg")] == \
        ["chart", "chart_jpg", "chart_2"]
    assert unique_stem("fig.pdf", used, page=2, pages=3) == "fig_p2"
    assert unique_stem("one.pdf", used, page=1, pages=1) == "one"


def _user_folder(d):
    """What a user's folder really holds: charts in every file type, and broken files."""
    img, _ = draw_chart(120, 160)
    bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(d / "chart.png"), bgr)
    cv2.imwrite(str(d / "chart.jpg"), bgr)  # same stem as chart.png: sorted first, it keeps "chart"
    cv2.imwrite(str(d / "gray.png"), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(d / "rgba16.png"), np.dstack([bgr.astype(np.uint16) * 257, np.full(bgr.shape[:2], 65535, np.uint16)]))
    cv2.imwrite(str(d / "scan.tif"), bgr)
    (d / "jpeg_named.png").write_bytes(cv2.imencode(".jpg", bgr)[1].tobytes())
    cv2.imwrite(str(d / "blank.png"), np.full((120, 160, 3), 255, np.uint8))
    cv2.imwrite(str(d / "black.png"), np.zeros((120, 160, 3), np.uint8))
    cv2.imwrite(str(d / "my chart é.png"), bgr)
    cv2.imwrite(str(d / "one.png"), np.zeros((1, 1, 3), np.uint8))
    cv2.imwrite(str(d / "strip.png"), np.full((3, 4000, 3), 255, np.uint8))
    good = _png(bgr)
    bad = {"empty.png": b"", "truncated.png": good[: len(good) // 2], "text.png": b"not an image\n",
           "random.png": np.random.default_rng(0).bytes(3000)}
    for name, data in bad.items():
        (d / name).write_bytes(data)
    (d / "notes.txt").write_text("a note")
    return ["chart", "chart_png", "gray", "rgba16", "scan", "jpeg_named", "blank", "black", "my chart é", "one",
            "strip"], list(bad)


def test_predict_on_a_users_folder_names_every_bad_file_and_completes_every_good_one(tmp_path, tiny_ckpt):
    d = tmp_path / "in"
    d.mkdir()
    good, bad = _user_folder(d)
    out = tmp_path / "out"
    r = run_cli("predict", d, "--out", out, "--checkpoint", tiny_ckpt)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "libpng" not in r.stderr and "WARN" not in r.stderr
    assert "PNG input buffer" not in r.stderr
    for name in bad:
        assert sum(f"error: {d / name}:" in ln for ln in r.stderr.splitlines()) == 1, name
    for stem in good:
        assert {f"{stem}.json", f"{stem}_mask.png", f"{stem}_overlay.png"} <= set(os.listdir(out)), stem
        doc = json.load(open(out / f"{stem}.json"))
        mask = cv2.imread(str(out / f"{stem}_mask.png"), cv2.IMREAD_UNCHANGED)
        assert mask.shape == (doc["height"], doc["width"])
    assert not [f for f in os.listdir(out) if f.startswith(".") or f.endswith(".tmp")]
    assert not [f for f in os.listdir(out) if f.split("_")[0].split(".")[0] in ("empty", "truncated", "text", "random")]
    assert f"{len(good)} of {len(good) + len(bad)} charts done, {len(bad)} failed, 1 skipped" in r.stdout
    assert "notes.txt (not a chart file type)" in r.stdout


def test_predict_in_worker_processes_writes_and_reports_what_one_process_does(tmp_path, tiny_ckpt):
    """A batch on two workers: the same files, byte for byte, the same names, the same error
    lines in the same order and the same summary as in this process alone."""
    d = tmp_path / "in"
    d.mkdir()
    _user_folder(d)
    runs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        r = run_cli("predict", d, "--out", out, "--checkpoint", tiny_ckpt, "--workers", workers)
        errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
        files = {f: (out / f).read_bytes() for f in sorted(os.listdir(out))}
        runs[workers] = (r.returncode, errors, r.stdout.splitlines()[-1].replace(str(out), "OUT"), files)
    assert runs["1"][0] == runs["2"][0] == 1
    assert runs["1"][1] == runs["2"][1] and len(runs["1"][1]) == 4
    assert runs["1"][2] == runs["2"][2]
    assert runs["1"][3].keys() == runs["2"][3].keys()
    assert runs["1"][3] == runs["2"][3]


def test_predict_workers_that_cannot_load_the_model_stop_the_batch_with_its_error(tmp_path):
    img, _ = draw_chart(60, 80)
    for k in range(4):
        cv2.imwrite(str(tmp_path / f"c{k}.png"), img)
    r = run_cli("predict", tmp_path, "--out", tmp_path / "o", "--checkpoint", tmp_path / "missing.pt", "--workers", "2")
    assert r.returncode == 2 and "error:" in r.stderr and "missing.pt" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_failed_chart_leaves_its_name_to_the_next(tmp_path, tiny_ckpt, workers):
    """chart.jpg (sorted first) is broken: chart.png then takes the plain name, with one
    process or several."""
    img, _ = draw_chart(60, 80)
    (tmp_path / "chart.jpg").write_bytes(b"not an image")
    for name in ("chart.png", "other.png", "third.png"):
        cv2.imwrite(str(tmp_path / name), img)
    out = tmp_path / "o"
    r = run_cli("predict", tmp_path, "--out", out, "--checkpoint", tiny_ckpt, "--workers", workers)
    assert r.returncode == 1 and "chart.jpg" in r.stderr
    assert {"chart.json", "other.json", "third.json"} <= set(os.listdir(out))
    assert not [f for f in os.listdir(out) if f.startswith(("chart_png", "chart_jpg"))]


def test_a_dead_worker_leaves_its_inputs_to_this_process(tmp_path, tiny_ckpt):
    import argparse

    from cases import work_or_die
    from linegroup import cli, runner

    img, _ = draw_chart(60, 80)
    paths = []
    for name in ("a.png", "b_die.png", "c.png", "d.png"):
        cv2.imwrite(str(tmp_path / name), img)
        paths.append(str(tmp_path / name))
    parser = argparse.ArgumentParser()
    cli._predict(parser.add_subparsers(dest="command"))
    a = parser.parse_args(["predict", str(tmp_path), "--out", str(tmp_path / "o"), "--checkpoint", tiny_ckpt])
    done = []
    left = runner.run_parallel(a, paths, 2, lambda path, events, failed: done.append(path), work=work_or_die)
    # in input order, up to the dead worker's input at most (one still running beside it
    # when the pool broke is left too): the rest comes back to be run here
    assert done + left == paths and paths[1] in left


def test_worker_count_known_answers():
    from types import SimpleNamespace

    from linegroup.runner import MAX_AUTO, MIN_FILES, worker_count

    cpu = SimpleNamespace(device="cpu", candidates=None)
    cores = os.cpu_count() or 1
    assert worker_count(0, MIN_FILES - 1, cpu) == 1  # a small batch: this process
    assert worker_count(0, 100, cpu) == min(cores, MAX_AUTO)
    assert worker_count(0, 100, SimpleNamespace(device="cuda", candidates=None)) == 1
    assert worker_count(0, 100, SimpleNamespace(device="cpu", candidates="masks/")) == 1
    assert worker_count(3, 2, cpu) == 2  # never more workers than inputs
    assert worker_count(1, 100, cpu) == 1


def test_predict_refuses_an_image_over_the_pixel_limit_by_name(tmp_path, tiny_ckpt):
    img, _ = draw_chart(60, 80)
    cv2.imwrite(str(tmp_path / "big.png"), img)
    cv2.imwrite(str(tmp_path / "small.png"), img[:20, :20])
    r = run_cli("predict", tmp_path / "big.png", tmp_path / "small.png", "--out", tmp_path / "o",
                "--checkpoint", tiny_ckpt, "--max_pixels", "1000")
    assert r.returncode == 1 and "big.png: image is 80x60 = 0 megapixels, over the limit" in r.stderr
    assert os.path.exists(tmp_path / "o" / "small.json") and not os.path.exists(tmp_path / "o" / "big.json")


def test_training_data_problems_are_counted_by_name_and_training_goes_on(tmp_path, caplog):
    extra_images = [{"id": 50, "file_name": "c0.png", "width": 0, "height": 64},  # impossible size
                    {"id": [1], "file_name": "c1.png", "width": 80, "height": 64},  # id not usable
                    {"id": 51, "file_name": 7, "width": 80, "height": 64}]  # file name not a string
    extra_anns = [{"image_id": 1, "category_id": 2, "segmentation": [[0, 0, float("nan"), 5]]},
                  {"image_id": 1, "category_id": 2, "segmentation": [[0, 0, 1e300, 5]]},
                  {"image_id": 1, "category_id": 2, "segmentation": [[0, 0, 5, 5]], "stroke_width": "wide"},
                  {"image_id": {"x": 1}, "category_id": 2, "segmentation": [[0, 0, 5, 5]]}]
    path, img_dir = write_dataset(str(tmp_path), n=3, extra_images=extra_images, extra_anns=extra_anns)
    records, rep = load_coco_lines(path, img_dir)
    assert len(records) == 3
    assert rep.skipped["image entry with an impossible size"] == 1
    assert rep.skipped["image entry missing id/file_name/width/height"] == 2
    assert rep.skipped["bad polyline: non-finite coordinates"] == 1
    assert rep.skipped["polyline points far outside the image"] == 1
    assert rep.skipped["bad stroke_width"] == 1
    assert rep.skipped["annotation names an unknown image"] == 1

    ds = LineDataset(path, img_dir)
    ds.records[1].lines = [[np.zeros((3, 3))]]  # a sample that fails in an unexpected way
    samples = [ds[i] for i in range(len(ds))]
    assert samples[1] is None and samples[0] is not None
    assert "c1.png: unexpected ValueError" in caplog.text
    assert collate(samples)["skipped"] == 1 and collate(samples)["image"].shape[0] == 2


def test_training_stops_with_a_message_when_no_sample_is_usable(tmp_path):
    from test_train import TINY_ARGS

    from linegroup.train import build_parser, train

    path, img_dir = write_dataset(str(tmp_path / "data"), n=2)
    for name in os.listdir(img_dir):
        (tmp_path / "data" / "img" / name).write_bytes(b"\x89PNG broken")
    args = build_parser().parse_args(["--train_json", path, "--train_img_dir", img_dir, "--val_json", path,
                                      "--val_img_dir", img_dir, "--save_dir", str(tmp_path / "ck"), *TINY_ARGS])
    with pytest.raises(SystemExit, match="no usable training sample in epoch 1 .2 skipped."):
        train(args)


def test_evaluate_and_convert_go_on_past_a_bad_chart(tmp_path, tiny_ckpt, chartinfo_dir):
    path, img_dir = write_dataset(str(tmp_path / "d"), n=3)
    (tmp_path / "d" / "img" / "c1.png").write_bytes(b"\x89PNG broken")
    r = run_cli("evaluate", "--json", path, "--img_dir", img_dir, "--checkpoint", tiny_ckpt, "--grouping", "dbscan")
    assert r.returncode == 1 and "c1.png: not an image" in r.stderr and "Traceback" not in r.stderr
    assert "2 of 3 charts scored, 1 failed" in r.stdout

    jdir = tmp_path / "ci"
    jdir.mkdir()
    for name in os.listdir(chartinfo_dir):
        if name.endswith(".json"):
            (jdir / name).write_bytes((open(os.path.join(chartinfo_dir, name), "rb")).read())
    (jdir / "broken.json").write_text("{")
    doc = json.load(open(jdir / "40767.json"))
    doc["task6"]["output"]["visual elements"]["lines"] = [[{"x": 1, "y": "nan"}, {"x": 2, "y": 3}]]
    (jdir / "nanline.json").write_text(json.dumps(doc))
    (tmp_path / "ci_img").mkdir()
    for name in os.listdir(chartinfo_dir):
        if not name.endswith((".json", ".md")):
            (tmp_path / "ci_img" / name).write_bytes(open(os.path.join(chartinfo_dir, name), "rb").read())
    (tmp_path / "ci_img" / "nanline.png").write_bytes(open(os.path.join(chartinfo_dir, "40767.png"), "rb").read())
    r = run_cli("convert", "chartinfo", jdir, tmp_path / "ci_img", tmp_path / "ci.json")
    assert r.returncode == 0, r.stderr
    assert "4 converted" in r.stdout and "1 broken JSON" in r.stdout and "1 line with non-finite points" in r.stdout
