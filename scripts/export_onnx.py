"""Export a checkpoint's network to ONNX for the torch-free runtime (linegroup/runtime.py).

    pip install -e ".[export]"  # the onnx package, needed by torch's exporter at export time only
    python scripts/export_onnx.py src/linegroup/weights/linegroup_default.pt

Writes NAME.onnx beside the checkpoint (BatchNorms folded, float32, input (1, 3, H, W) in
0..1 with H and W multiples of the network's stride, any size) and NAME.onnx.json (the
network's config and the checkpoint's SHA-256: `predict` uses the graph only beside
exactly that checkpoint). A network with a sub-pixel head (stem_stride 2) is exported
without the head's PixelShuffle: the graph gives (C * 4, H / 2, W / 2) and the runtime
reads the embedding from it at the candidate pixels only (`runtime.SubpixelEmbedding`;
at 800x600 the shuffle and the split of its output took 18 of ONNX Runtime's 68 ms). Then checks that ONNX Runtime's and OpenCV's runs of the graph
equal torch's run of the checkpoint on two chart-sized random images, and fails if not.
"""

import json
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.checkpoint import load_checkpoint, model_from_checkpoint  # noqa: E402
from linegroup.runtime import NetConfig, OpenCVNet, OrtNet, TorchNet, file_sha256  # noqa: E402

TOLERANCE = 1e-3  # largest difference allowed between the two runtimes' outputs


def _BeforeShuffle(net):
    """The network up to its sub-pixel head's PixelShuffle (inputs already padded)."""
    import torch

    class BeforeShuffle(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net.head[:-1](self.net.trunk(x))

    return BeforeShuffle()


def main(src: str) -> None:
    import torch

    model = model_from_checkpoint(load_checkpoint(src)).float().eval()
    tnet = TorchNet(model, "cpu")  # folds the BatchNorms
    cfg = NetConfig.from_model_config(model.config)
    graph = tnet.model.to(memory_format=torch.contiguous_format)
    head = graph.head
    if isinstance(head, torch.nn.Sequential) and isinstance(head[-1], torch.nn.PixelShuffle):
        cfg.subpixel = head[-1].upscale_factor
        graph = _BeforeShuffle(graph)
    m = cfg.multiple
    dst = os.path.splitext(src)[0] + ".onnx"
    tmp = dst + ".tmp"
    x = torch.rand(1, 3, 10 * m, 12 * m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, x, tmp, dynamo=False,
                          opset_version=17, input_names=["image"], output_names=["out"],
                          dynamic_axes={"image": {2: "height", 3: "width"}, "out": {2: "height", 3: "width"}})
    os.replace(tmp, dst)
    with open(dst + ".json", "w") as f:
        json.dump({"config": cfg.to_dict(), "checkpoint": os.path.basename(src),
                   "checkpoint_sha256": file_sha256(src)}, f, indent=1)
    rng = np.random.default_rng(0)
    for runner in (OrtNet, OpenCVNet):
        onet = runner.load(dst)
        for h, w in ((600, 800), (333, 517)):
            img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            (e1, p1), (e2, p2) = tnet(img), onet(img)
            diff = max(np.abs(e1 - np.asarray(e2)).max(), np.abs(p1 - p2).max() if p1 is not None else 0.0)
            print(f"{w}x{h}: largest difference torch - {onet.name} {diff:.2e}")
            if not diff <= TOLERANCE:
                os.remove(dst)
                sys.exit(f"{dst}: {onet.name}'s outputs differ from torch's by {diff:.3g} (> {TOLERANCE}); removed")
    print(f"{dst}: {os.path.getsize(dst) / 1e6:.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1])
