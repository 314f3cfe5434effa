"""The torch-free runtime (runtime.py): the shipped ONNX export equals the checkpoint."""

import os
import subprocess
import sys

import numpy as np
import pytest

from linegroup.predict import LineGrouper, bundled_weights_path
from linegroup.runtime import OnnxNet, OrtNet, matching_onnx

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_shipped_onnx_matches_the_shipped_checkpoint():
    assert matching_onnx(bundled_weights_path()) is not None, \
        "weights/linegroup_default.onnx must be re-exported (scripts/export_onnx.py) after the .pt changes"


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
