"""Pictures: line overlays and embedding PCA images.

    overlay = draw_overlay(image, mask, lines)     # RGB uint8, each line in its own colour + id label
    pca = embedding_pca_image(emb)                 # (D, h, w) -> RGB uint8 of the first 3 components
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np


def distinct_colors(n: int) -> np.ndarray:
    """n well separated, saturated RGB colours (golden-ratio hue steps)."""
    out = []
    for i in range(n):
        h = (0.05 + i * 0.618033988749895) % 1.0
        s, v = (0.95, 0.9) if i % 2 == 0 else (0.75, 0.7)
        out.append([int(255 * c) for c in colorsys.hsv_to_rgb(h, s, v)])
    return np.array(out, np.uint8).reshape(-1, 3)


def draw_overlay(image: np.ndarray, mask: np.ndarray, lines: list | None = None, fade: float = 0.6,
                 thicken: int = 1) -> np.ndarray:
    """The chart faded towards white, each line's pixels in a distinct colour, its id
    written near its first point."""
    img = image.astype(np.float32)
    out = (img * (1 - fade) + 255 * fade).astype(np.uint8)
    k = int(mask.max())
    if k == 0:
        return out
    colors = distinct_colors(k + 1)
    lab = mask.astype(np.int32)
    if thicken > 0:  # make thin lines visible: grow labels into their background neighbours
        grown = cv2.dilate(lab.astype(np.float32), np.ones((2 * thicken + 1,) * 2, np.uint8)).astype(np.int32)
        lab = np.where(lab > 0, lab, grown)
    on = lab > 0
    out[on] = colors[lab[on] - 1]
    h, w = mask.shape
    scale = max(0.4, min(h, w) / 700)
    for ln in lines or []:
        if not ln["points"]:
            continue
        pts = np.asarray(ln["points"])
        x, y = pts[len(pts) // 10]  # a little way in from the left end
        pos = (int(np.clip(x + 4, 0, w - 20)), int(np.clip(y - 6, 12, h - 2)))
        c = tuple(int(v) for v in colors[ln["id"] - 1])
        cv2.putText(out, str(ln["id"]), pos, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 4, cv2.LINE_AA)
        cv2.putText(out, str(ln["id"]), pos, cv2.FONT_HERSHEY_SIMPLEX, scale, c, 2, cv2.LINE_AA)
    return out


def embedding_pca_image(emb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """First three principal components of a (D, h, w) embedding as an RGB image,
    each stretched to 0..255 (1st-99th percentile). With a mask, other pixels are white."""
    d, h, w = emb.shape
    x = emb.reshape(d, -1).T.astype(np.float32)
    sel = mask.reshape(-1) > 0 if mask is not None and mask.shape == (h, w) and mask.any() else slice(None)
    mu = x[sel].mean(0)
    _, _, vt = np.linalg.svd(x[sel][:: max(1, len(x[sel]) // 20000)] - mu, full_matrices=False)
    comps = np.zeros((3, d), np.float32)
    comps[: min(3, len(vt))] = vt[:3]
    y = (x - mu) @ comps.T
    lo, hi = np.percentile(y[sel], 1, axis=0), np.percentile(y[sel], 99, axis=0)
    y = np.clip((y - lo) / np.maximum(hi - lo, 1e-6), 0, 1)
    img = (y * 255).astype(np.uint8).reshape(h, w, 3)
    if mask is not None and mask.shape == (h, w):
        img[mask == 0] = 255
    return img


def save_rgb(path: str, rgb: np.ndarray) -> None:
    if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: could not write image")
