"""Running the network: with PyTorch, or from an ONNX export with ONNX Runtime or OpenCV.

    net = TorchNet(model, device)                    # any checkpoint, CPU or GPU
    net = OrtNet.load("linegroup_default.onnx")      # the shipped weights, CPU, without torch
    net = OpenCVNet.load("linegroup_default.onnx")   # the same with OpenCV's DNN module
    emb, prob = net(image)                           # RGB uint8 (H, W, 3) -> (D, H, W), (H, W) or None

Importing torch takes about two seconds on a 2-core machine, more than the rest of a
one-chart `predict` put together, and the network itself is a plain stack of
convolutions. So the package ships the same weights twice: `linegroup_default.pt`, the
checkpoint (training, fine-tuning, GPUs), and `linegroup_default.onnx`, its inference
graph with the BatchNorms folded in, exported by `scripts/export_onnx.py`, which stops
before the sub-pixel head's PixelShuffle (`SubpixelEmbedding`). ONNX Runtime runs the
graph on the CPU faster than torch runs the checkpoint (45 against 54 ms at 800x600 on 2
threads, outputs included: benchmarks/bench_predict.py --runtime R) and imports in 0.16 s
against 1.8 s; OpenCV's DNN module, the fallback where onnxruntime is not installed,
needs no extra package and took 73 ms.
`predict` uses them for the shipped weights unless `--runtime torch` is given, and torch
is then never imported. Their outputs equal the torch network's up to float rounding
(tested).

The ONNX graph is traced at a size that needs no padding, so it has none: the padding
to a multiple of the network's stride (replicate, as `SmallUNet.forward` does) is done
here, in numpy, and the outputs cropped back. Beside the graph, `NAME.onnx.json` holds
the network's config and the SHA-256 of the checkpoint it was exported from; a graph
that does not match the checkpoint beside it is not used (`matching_onnx`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def matching_onnx(checkpoint: str) -> str | None:
    """The ONNX export beside `checkpoint` (same stem, .onnx), if its sidecar says it was
    exported from exactly this file; else None."""
    onnx = os.path.splitext(checkpoint)[0] + ".onnx"
    meta = onnx + ".json"
    if not (os.path.isfile(onnx) and os.path.isfile(meta)):
        return None
    try:
        with open(meta) as f:
            info = json.load(f)
        return onnx if info.get("checkpoint_sha256") == file_sha256(checkpoint) else None
    except (OSError, ValueError):
        return None


THREADS = 0  # intra-op threads of the runtimes; 0: each one's default (every core). set_threads()


def set_threads(n: int) -> None:
    """Run the network on n threads (a batch's worker processes share the cores): ONNX
    Runtime sessions opened from now on, OpenCV, and torch if it is imported."""
    global THREADS
    THREADS = max(1, int(n))
    import cv2

    cv2.setNumThreads(THREADS)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(THREADS)


class NetConfig:
    """What the runtime needs to know of a network: outputs and stride. subpixel: 1, the
    graph gives full-resolution outputs; r > 1, it stops before its sub-pixel head's
    PixelShuffle and gives (C * r * r, H / r, W / r), rearranged here (`SubpixelEmbedding`)."""

    def __init__(self, emb_dim: int, fg_head: bool, multiple: int, subpixel: int = 1):
        self.emb_dim = int(emb_dim)
        self.fg_head = bool(fg_head)
        self.multiple = int(multiple)  # input sides are padded to a multiple of this
        self.subpixel = int(subpixel)

    @classmethod
    def from_model_config(cls, c) -> "NetConfig":
        return cls(c.emb_dim, c.fg_head, 2**c.depth * c.stem_stride)

    def to_dict(self) -> dict:
        return {"emb_dim": self.emb_dim, "fg_head": self.fg_head, "multiple": self.multiple,
                "subpixel": self.subpixel}


class SubpixelEmbedding:
    """The embedding (D, H, W) as a sub-pixel head computes it, before its PixelShuffle:
    raw (D * r * r, H / r, W / r), where pixel (y, x) of channel c is raw[c * r * r +
    (y % r) * r + x % r, y // r, x // r]. Grouping reads the embedding at the candidate
    pixels only, so it is never laid out at full resolution unless asked for
    (`np.asarray(emb)`): at 800x600 that rearrangement cost more than a fifth of the
    network's time. Indexing as emb[:, ys, xs] gives (D, n) like the array would."""

    ndim = 3
    dtype = np.dtype(np.float32)

    def __init__(self, raw: np.ndarray, dim: int, r: int, height: int, width: int):
        self.raw, self.dim, self.r = raw, dim, r
        self.shape = (dim, height, width)

    def at(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """(D, n) the embedding at pixels (ys, xs)."""
        ys, xs = np.asarray(ys, np.int64), np.asarray(xs, np.int64)
        r = self.r
        ch = np.arange(self.dim)[:, None] * (r * r) + ((ys % r) * r + xs % r)[None]
        return self.raw[ch, (ys // r)[None], (xs // r)[None]]

    def __getitem__(self, key):
        if (isinstance(key, tuple) and len(key) == 3 and key[0] == slice(None)
                and all(isinstance(k, np.ndarray) and k.dtype.kind in "iu" for k in key[1:])):
            return self.at(key[1], key[2])
        return np.asarray(self)[key]

    def __array__(self, dtype=None, copy=None):
        d, r = self.dim, self.r
        _, hh, ww = self.raw.shape
        full = self.raw.reshape(d, r, r, hh, ww).transpose(0, 3, 1, 4, 2).reshape(d, hh * r, ww * r)
        full = np.ascontiguousarray(full[:, :self.shape[1], :self.shape[2]])
        return full if dtype is None else full.astype(dtype)


def _shuffled(x: np.ndarray, r: int) -> np.ndarray:
    """(r * r, h, w) -> (h * r, w * r): one channel's PixelShuffle."""
    _, h, w = x.shape
    return x.reshape(r, r, h, w).transpose(2, 0, 3, 1).reshape(h * r, w * r)


def _split(out: np.ndarray, cfg: NetConfig, h: int, w: int):
    """(1, C, Hp, Wp) raw outputs, padded -> (embedding (D, h, w), line probability (h, w) or None).
    With a sub-pixel graph (cfg.subpixel = r > 1) out is (1, C * r * r, Hp / r, Wp / r) and
    the embedding a `SubpixelEmbedding`."""
    d, r = cfg.emb_dim, cfg.subpixel
    if r > 1:
        emb = SubpixelEmbedding(out[0, :d * r * r], d, r, h, w)
        logit = _shuffled(out[0, d * r * r:(d + 1) * r * r], r)[:h, :w] if cfg.fg_head else None
    else:
        emb = np.ascontiguousarray(out[0, :d, :h, :w], np.float32)
        logit = out[0, d, :h, :w] if cfg.fg_head else None
    prob = None if logit is None else (1.0 / (1.0 + np.exp(-logit.astype(np.float32)))).astype(np.float32)
    return emb, prob


class OnnxNet:
    """The ONNX export of a network, run on the CPU by ONNX Runtime (`OrtNet`) or by
    OpenCV's DNN module (`OpenCVNet`); subclasses say how to run the graph."""

    name = "onnx"

    def __init__(self, config: NetConfig, source: str = ""):
        self.config = config
        self.source = source

    @classmethod
    def load(cls, path: str) -> "OnnxNet":
        with open(path + ".json") as f:
            info = json.load(f)
        net = cls(NetConfig(**info["config"]), path)
        net._open(path)
        net(np.zeros((net.config.multiple, net.config.multiple, 3), np.uint8))  # fails here, not on a chart
        return net

    def _open(self, path: str) -> None:
        raise NotImplementedError

    def _run(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, image: np.ndarray):
        h, w = image.shape[:2]
        m = self.config.multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:  # replicate padding, as SmallUNet.forward
            image = np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="edge")
        x = image.transpose(2, 0, 1)[None].astype(np.float32) * np.float32(1 / 255)
        out = self._run(np.ascontiguousarray(x))
        return _split(out, self.config, h, w)


class OrtNet(OnnxNet):
    """ONNX Runtime (about as fast as torch on the CPU; imports in a tenth of the time)."""

    name = "onnxruntime"

    def _open(self, path: str) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.inter_op_num_threads = 1
        if THREADS:
            opts.intra_op_num_threads = THREADS
        self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def _run(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input: x})[0]


class OpenCVNet(OnnxNet):
    """OpenCV's DNN module (a dependency already; about 2.5x slower than ONNX Runtime here)."""

    name = "opencv"

    def _open(self, path: str) -> None:
        import cv2

        self.net = cv2.dnn.readNetFromONNX(path)

    def _run(self, x: np.ndarray) -> np.ndarray:
        self.net.setInput(x)
        return self.net.forward()


class TorchNet:
    """A SmallUNet run by PyTorch (BatchNorms folded, channels-last), on any device."""

    name = "torch"

    def __init__(self, model, device="cpu"):
        import torch

        from .model import fuse_conv_bn

        if THREADS:
            torch.set_num_threads(THREADS)
        self.torch = torch
        self.device = torch.device(device)
        self.model = fuse_conv_bn(model.to(self.device).eval()).to(memory_format=torch.channels_last)
        self.config = NetConfig.from_model_config(model.config)

    def __call__(self, image: np.ndarray):
        torch = self.torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).to(self.device)
            x = x.unsqueeze(0).float().div_(255).contiguous(memory_format=torch.channels_last)
            out = self.model(x)
            emb, fg = self.model.split(out)
            emb = emb[0].float().cpu().numpy()
            prob = torch.sigmoid(fg[0]).float().cpu().numpy() if fg is not None else None
        return emb, prob
