"""The torch-free runtime (runtime.py): the shipped ONNX export equals the checkpoint."""

import os
import subprocess
import sys

import numpy as np
import pytest

from linegroup.predict import LineGrouper, bundled_weights_path
from linegroup.runtime import NetConfig, OnnxNet, OrtNet, SubpixelEmbedding, _split, matching_onnx

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_shipped_onnx_matches_the_shipped_checkpoint():
    assert matching_onnx(bundled_weights_path()) is not None, \
        "weights/linegroup_default.onnx must be re-exported (scripts/export_onnx.py) after the .pt changes"


def test_subpixel_embedding_reads_like_the_pixel_shuffled_array():
    import torch

    rng = np.random.default_rng(0)
    raw = rng.normal(size=(8 * 4, 5, 7)).astype(np.float32)
    full = torch.nn.functional.pixel_shuffle(torch.from_numpy(raw)[None], 2)[0].numpy()  # (8, 10, 14)
    emb = SubpixelEmbedding(raw, 8, 2, 9, 13)  # cropped to 9 x 13, as an odd-sized chart is
    assert emb.shape == (8, 9, 13)
    np.testing.assert_array_equal(np.asarray(emb), full[:, :9, :13])
    ys, xs = rng.integers(0, 9, 50), rng.integers(0, 13, 50)
    np.testing.assert_array_equal(emb[:, ys, xs], full[:, ys, xs])
    np.testing.assert_array_equal(emb[:, :, 3], full[:, :9, 3])  # anything else: from the full array


def test_a_graph_before_its_pixel_shuffle_gives_what_the_shuffled_graph_gives():
    """Graphs exported before the shuffle was left out (no "subpixel" in their .onnx.json)
    still load: both output layouts give the same embedding and probability."""
    import torch

    rng = np.random.default_rng(2)
    raw = rng.normal(size=(1, 9 * 4, 6, 8)).astype(np.float32)
    dense = torch.nn.functional.pixel_shuffle(torch.from_numpy(raw), 2).numpy()
    e1, p1 = _split(dense, NetConfig(8, True, 32), 11, 15)
    e2, p2 = _split(raw, NetConfig(8, True, 32, subpixel=2), 11, 15)
    assert isinstance(e2, SubpixelEmbedding) and e1.shape == e2.shape == (8, 11, 15)
    np.testing.assert_array_equal(e1, np.asarray(e2))
    np.testing.assert_allclose(p1, p2, rtol=1e-6)
    np.testing.assert_allclose(p1, 1 / (1 + np.exp(-dense[0, 8, :11, :15])), rtol=1e-6)


@pytest.mark.parametrize("runtime", ["onnxruntime", "opencv"])
@pytest.mark.parametrize("h,w", [(97, 131), (64, 64)])
def test_onnx_runtimes_and_torch_give_the_same_outputs(runtime, h, w):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    o = LineGrouper.load(runtime=runtime)
    t = LineGrouper.load(runtime="torch")
    assert isinstance(o.net, OnnxNet) and o.net.name == runtime and o.model is None and t.model is not None
    (e1, p1, _), (e2, p2, _) = o.embed(img), t.embed(img)
    assert e1.shape == e2.shape == (t.model.config.emb_dim, h, w)
    assert np.abs(e1 - e2).max() < 1e-3 and np.abs(p1 - p2).max() < 1e-3


def test_auto_runtime_is_onnxruntime_on_cpu_and_torch_for_a_checkpoint_without_export(tmp_path, tiny_ckpt):
    assert isinstance(LineGrouper.load().net, OrtNet)
    g = LineGrouper.load(tiny_ckpt)
    assert g.model is not None
    from linegroup.checkpoint import CheckpointError

    for runtime in ("onnxruntime", "opencv"):
        with pytest.raises(CheckpointError, match="no ONNX export"):
            LineGrouper.load(tiny_ckpt, runtime=runtime)


def test_auto_runtime_falls_back_to_opencv_without_onnxruntime(monkeypatch):
    import linegroup.predict as P

    def missing(path):
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(P.OrtNet, "load", classmethod(lambda cls, path: missing(path)))
    assert LineGrouper.load().net.name == "opencv"


def test_a_stale_export_is_not_used(tmp_path):
    import shutil

    src = bundled_weights_path()
    ckpt = tmp_path / "w.pt"
    shutil.copy(src, ckpt)
    shutil.copy(os.path.splitext(src)[0] + ".onnx", tmp_path / "w.onnx")
    shutil.copy(os.path.splitext(src)[0] + ".onnx.json", tmp_path / "w.onnx.json")
    assert matching_onnx(str(ckpt)) == str(tmp_path / "w.onnx")
    with open(ckpt, "ab") as f:  # the checkpoint changed after the export
        f.write(b"\0")
    assert matching_onnx(str(ckpt)) is None


def test_predict_cli_does_not_import_torch(tmp_path):
    import cv2

    from conftest import draw_chart

    chart_png = str(tmp_path / "chart.png")
    cv2.imwrite(chart_png, draw_chart(120, 160)[0])
    code = ("import sys; from linegroup.cli import main; rc = main(['predict', sys.argv[1], '--out', sys.argv[2]]); "
            "print('TORCH' if 'torch' in sys.modules else 'NO_TORCH'); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, chart_png, str(tmp_path / "out")], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))
    assert r.returncode == 0, r.stderr
    assert "NO_TORCH" in r.stdout
    assert (tmp_path / "out" / (os.path.splitext(os.path.basename(chart_png))[0] + ".json")).is_file()


def test_a_dark_chart_is_shown_to_the_network_inverted():
    from linegroup.predict import is_dark

    rng = np.random.default_rng(3)
    light = np.full((64, 96, 3), 250, np.uint8)
    light[20:23, :] = rng.integers(0, 120, (3, 96, 3), dtype=np.uint8)  # a dark stroke
    dark = 255 - light
    assert is_dark(dark) and not is_dark(light)
    g = LineGrouper.load()
    (e1, p1, _), (e2, p2, _) = g.embed(dark), g.embed(light)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(np.asarray(e1), np.asarray(e2))
    g.dark_as_light = False
    assert not np.array_equal(g.embed(dark)[1], p2)
