"""Shared test helpers: tiny hand-drawn datasets and a tiny model checkpoint."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

from linegroup.checkpoint import save_checkpoint  # noqa: E402
from linegroup.model import SmallUNet, UNetConfig  # noqa: E402

CHARTINFO = os.path.join(ROOT, "..", "shared", "fixtures", "chartinfo")
TINY = UNetConfig(emb_dim=4, base=4, depth=2, fg_head=True)


def run_cli(*args, timeout=300):
    """Run `python -m linegroup.cli ARGS` in a subprocess; returns CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "linegroup.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=ROOT)


def draw_chart(h=64, w=80, lines=None, colors=None):
    """A white image with polylines drawn 2 px wide; returns (RGB image, list of (n,2) arrays)."""
    if lines is None:
        lines = [np.array([[4, 10], [40, 20], [75, 12]], float), np.array([[4, 50], [40, 30], [75, 45]], float)]
    colors = colors or [(0, 0, 0)] * len(lines)
    img = np.full((h, w, 3), 255, np.uint8)
    for pts, c in zip(lines, colors):
        cv2.polylines(img, [np.round(pts).astype(np.int32).reshape(-1, 1, 2)], False, c, 2, cv2.LINE_8)
    return img, lines


def write_dataset(folder, n=4, h=64, w=80, extra_images=(), extra_anns=(), seed=0):
    """Write n tiny charts and a COCO-like JSON into folder; returns (json_path, img_dir)."""
    rng = np.random.default_rng(seed)
    img_dir = os.path.join(folder, "img")
    os.makedirs(img_dir, exist_ok=True)
    images, anns = [], []
    for i in range(n):
        k = 1 + i % 3
        lines = []
        for j in range(k):
            xs = np.linspace(2, w - 3, 5)
            ys = np.clip((j + 1) * h / (k + 1) + rng.normal(0, 4, 5), 2, h - 3)
            lines.append(np.column_stack([xs, ys]))
        img, _ = draw_chart(h, w, lines, [tuple(int(v) for v in rng.integers(0, 200, 3)) for _ in lines])
        name = f"c{i}.png"
        cv2.imwrite(os.path.join(img_dir, name), img)
        images.append({"id": i + 1, "file_name": name, "width": w, "height": h, "group": "g%d" % (i % 2)})
        for pts in lines:
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 2,
                         "segmentation": [pts.ravel().tolist()]})
    images += list(extra_images)
    anns += list(extra_anns)
    path = os.path.join(folder, "data.json")
    with open(path, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": [{"id": 2, "name": "line"}]}, f)
    return path, img_dir


def write_dataset_with_label_masks(folder, n=3, h=64, w=80):
    """write_dataset plus an exact label mask per chart (image field label_mask): its dark pixels as line 1,
    and one overlap pixel."""
    path, img_dir = write_dataset(folder, n=n, h=h, w=w)
    with open(path) as f:
        data = json.load(f)
    os.makedirs(os.path.join(folder, "masks"), exist_ok=True)
    for im in data["images"]:
        img = cv2.imread(os.path.join(img_dir, im["file_name"]))
        ink = img.max(2) < 230
        lab = np.zeros((h, w), np.uint16)
        lab[ink] = 1
        lab[0, 0] = 65535  # one overlap pixel
        name = f"masks/{im['file_name']}"
        cv2.imwrite(os.path.join(folder, name), lab)
        im["label_mask"] = name
    with open(path, "w") as f:
        json.dump(data, f)
    return path, img_dir


@pytest.fixture(scope="session")
def tiny_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    model = SmallUNet(TINY)
    path = str(tmp_path_factory.mktemp("ckpt") / "tiny.pt")
    save_checkpoint(path, {"model": model.state_dict(), "model_config": TINY.to_dict()})
    return path


@pytest.fixture
def chartinfo_dir():
    if not os.path.isdir(CHARTINFO):
        pytest.skip(f"CHART-Info fixtures not found at {CHARTINFO} (they live in ../shared beside the checkout)")
    return CHARTINFO
