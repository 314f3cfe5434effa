"""Pictures: line overlays, embedding PCA images and contact sheets.

    overlay = draw_overlay(image, mask, lines)     # RGB uint8, each line in its own colour + id label
    pca = embedding_pca_image(emb)                 # (D, h, w) -> RGB uint8 of the first 3 components
    sheet = contact_sheet([("a.png: 3 of 3", [chart, overlay]), ...])  # many charts in one picture
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
    written near its first point, each of its marker centres (if any) as a black cross
    with a dot in its colour."""
    out = _faded(image, fade)
    k = int(mask.max())
    if k == 0:
        return out
    colors = distinct_colors(k + 1)
    ys, xs, lab = _painted(mask, thicken)
    out[ys, xs] = colors[lab - 1]
    h, w = mask.shape
    scale = max(0.4, min(h, w) / 700)
    for ln in lines or []:  # each detected marker centre: a cross in the line's colour, outlined in black
        c = tuple(int(v) for v in colors[ln["id"] - 1])
        for mx, my in ln.get("markers") or []:
            at = (int(round(mx * 16)), int(round(my * 16)))
            cv2.drawMarker(out, (int(round(mx)), int(round(my))), (0, 0, 0), cv2.MARKER_CROSS, 9, 3)
            cv2.circle(out, at, 16, c, -1, cv2.LINE_AA, 4)
    for ln in lines or []:
        if not ln["points"]:
            continue
        x, y = ln["points"][len(ln["points"]) // 10]  # a little way in from the left end
        pos = (int(np.clip(x + 4, 0, w - 20)), int(np.clip(y - 6, 12, h - 2)))
        c = tuple(int(v) for v in colors[ln["id"] - 1])
        cv2.putText(out, str(ln["id"]), pos, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 4, cv2.LINE_AA)
        cv2.putText(out, str(ln["id"]), pos, cv2.FONT_HERSHEY_SIMPLEX, scale, c, 2, cv2.LINE_AA)
    return out


def _faded(image: np.ndarray, fade: float) -> np.ndarray:
    """image * (1 - fade) + 255 * fade in float32, truncated to uint8: for uint8 images a
    256-entry table of the same sums, looked up (cv2.LUT)."""
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] <= 4 and 0 <= fade <= 1:
        table = (np.arange(256, dtype=np.float32) * (1 - fade) + 255 * fade).astype(np.uint8)
        return cv2.LUT(image, table)
    return (image.astype(np.float32) * (1 - fade) + 255 * fade).astype(np.uint8)


def _painted(mask: np.ndarray, thicken: int):
    """(ys, xs, labels) of the pixels the overlay paints: each line's own, and with thicken > 0
    its background neighbours within thicken px, which take the largest label near them."""
    if mask.dtype not in (np.uint8, np.uint16):
        mask = mask.astype(np.int32)  # labels as integers, as they are drawn
    if thicken <= 0:
        ys, xs = _nonzero(mask > 0)
        return ys, xs, mask[ys, xs].astype(np.int64)
    src = mask if mask.dtype != np.int32 else mask.astype(np.float32)  # cv2 dilates no int32; exact below 2**24
    grown = cv2.dilate(src, np.ones((2 * thicken + 1,) * 2, np.uint8))
    ys, xs = _nonzero(grown > 0)  # the pixel itself is in its window: every labelled pixel is here
    own = mask[ys, xs].astype(np.int64)
    return ys, xs, np.where(own > 0, own, grown[ys, xs].astype(np.int64))


def _nonzero(on: np.ndarray):
    """np.nonzero of a 2-d bool array, by cv2.findNonZero (a few times faster)."""
    pts = cv2.findNonZero(on.view(np.uint8))
    return (np.zeros(0, np.int32),) * 2 if pts is None else pts.reshape(-1, 2).T[::-1]


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


def draw_axes(image: np.ndarray, axes: dict) -> np.ndarray:
    """Mark the tick labels read by axis calibration (the "axes" block of NAME.json): a
    green box and the value read for labels the map uses, red for labels it rejected or
    on an axis left uncalibrated; each axis's status written at the top left."""
    out = image.copy()
    scale = max(0.35, min(out.shape[:2]) / 1500)
    for row, name in enumerate(("x", "y")):
        ax = axes[name]
        for t in ax["ticks"]:
            if "box" not in t:
                continue
            ok = t["used"] and ax["status"] == "calibrated"
            c = (0, 160, 0) if ok else (220, 0, 0)
            x0, y0, x1, y1 = (int(round(v)) for v in t["box"])
            cv2.rectangle(out, (x0 - 1, y0 - 1), (x1 + 1, y1 + 1), c, 1)
            cv2.putText(out, f"{t['value']:.4g}", (x0, max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, scale, c, 1,
                        cv2.LINE_AA)
        note = f"{name}: {ax['status']}" + (f" ({ax['scale']})" if ax["status"] == "calibrated" else
                                            f": {ax['reason']}")
        cv2.putText(out, note[:90], (4, int(14 + 16 * row * scale / 0.35)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 160, 0) if ax["status"] == "calibrated" else (220, 0, 0), 1, cv2.LINE_AA)
    return out


def contact_sheet(rows: list, height: int = 220, cols: int = 2, pad: int = 8) -> np.ndarray:
    """One picture of many charts: rows of (caption, [RGB images]), each image scaled to
    `height` px, the images of a row side by side under its caption; `cols` rows per line
    of the sheet. Returns RGB uint8 on white."""
    cells = []
    for caption, images in rows:
        scaled = [cv2.resize(im, (max(1, round(im.shape[1] * height / im.shape[0])), height),
                             interpolation=cv2.INTER_AREA) for im in images]
        body = np.full((height, sum(s.shape[1] for s in scaled) + pad * (len(scaled) - 1), 3), 255, np.uint8)
        x = 0
        for s in scaled:
            body[:, x:x + s.shape[1]] = s
            x += s.shape[1] + pad
        head = np.full((26, body.shape[1], 3), 255, np.uint8)
        cv2.putText(head, caption, (2, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
        cells.append(np.vstack([head, body]))
    if not cells:
        return np.full((height, height, 3), 255, np.uint8)
    cw, ch = max(c.shape[1] for c in cells), max(c.shape[0] for c in cells)
    nr = -(-len(cells) // cols)
    sheet = np.full((nr * (ch + pad) + pad, min(cols, len(cells)) * (cw + pad) + pad, 3), 255, np.uint8)
    for i, c in enumerate(cells):
        y, x = pad + (i // cols) * (ch + pad), pad + (i % cols) * (cw + pad)
        sheet[y:y + c.shape[0], x:x + c.shape[1]] = c
    return sheet
