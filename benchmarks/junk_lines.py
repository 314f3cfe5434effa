"""Lines found on no true line: what end-to-end `predict` adds that is not a series.

    python benchmarks/junk_lines.py [--foreign runs/foreign] [--split report] [--sheet runs/junk.png]

For each chart of a foreign-renderer split (benchmarks/foreign.py), `predict` with the
model's own candidates; a line found is junk when under half its pixels lie within 2 px
of a true line's drawn pixels (the split's label masks). Prints each junk line (chart,
line id, pixels, share on a true line, share inside the renderer's plot box, its box)
and the count; with --sheet, a contact sheet of them (each in red on its crop of the
chart), for looking at what they are (legends, grid dashes, arrows, text).
"""

import argparse
import json
import os
import sys

import cv2
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402

NEAR = 2  # px: a found pixel this close to a true line's pixel is on it
ON_SHARE = 0.5  # a line with less than this share of its pixels on true lines is junk
TILE = 220  # px: a contact-sheet tile's side
PER_ROW = 8


def junk_lines(charts: list, folder: str, grouper) -> tuple[list, list]:
    """([{image, line, pixels, on, inside, box}], tiles) over the charts (foreign.json image records)."""
    rows, tiles = [], []
    ker = np.ones((2 * NEAR + 1, 2 * NEAR + 1), np.uint8)
    for im in charts:
        img = read_image(os.path.join(folder, "images", im["file_name"]))
        truth = cv2.imread(os.path.join(folder, im["label_mask"]), cv2.IMREAD_UNCHANGED)
        near = cv2.dilate((truth > 0).astype(np.uint8), ker) > 0
        mask = grouper.predict(img).mask
        x0, y0, x1, y1 = im["plot_box"]
        for k in range(1, int(mask.max()) + 1):
            ys, xs = np.nonzero(mask == k)
            if len(xs) == 0:
                continue
            on = float(near[ys, xs].mean())
            if on >= ON_SHARE:
                continue
            box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
            inside = float(((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)).mean())
            rows.append({"image": im["file_name"], "line": k, "pixels": len(xs), "on": round(on, 2),
                         "inside": round(inside, 2), "box": box})
            tiles.append(_tile(img, mask == k, box, f"{im['file_name'][:-4]} {k}"))
    return rows, tiles


def _tile(img: np.ndarray, sel: np.ndarray, box: tuple, title: str) -> np.ndarray:
    X0, Y0 = max(box[0] - 20, 0), max(box[1] - 20, 0)
    crop = img[Y0:box[3] + 21, X0:box[2] + 21].copy()
    m = sel[Y0:box[3] + 21, X0:box[2] + 21]
    crop[m] = (crop[m] * 0.3 + np.array([255, 0, 0]) * 0.7).astype(np.uint8)
    s = (TILE - 20) / max(crop.shape[:2])
    crop = cv2.resize(crop, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    t = np.full((TILE, TILE, 3), 255, np.uint8)
    t[:crop.shape[0], :crop.shape[1]] = crop
    cv2.putText(t, title, (2, TILE - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (0, 0, 0), 1, cv2.LINE_AA)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign-renderer set (benchmarks/foreign.py)")
    ap.add_argument("--split", default="report", choices=["tune", "report", "all"], help="which split to run")
    ap.add_argument("--checkpoint", default=None, help="default: the shipped weights")
    ap.add_argument("--sheet", default=None, help="write a contact sheet of the junk lines here (PNG)")
    a = ap.parse_args()
    with open(os.path.join(a.foreign, "foreign.json")) as f:
        doc = json.load(f)
    charts = [im for im in doc["images"] if a.split == "all" or im.get("split") == a.split]
    rows, tiles = junk_lines(charts, a.foreign, LineGrouper.load(a.checkpoint))
    for r in rows:
        print(r)
    print(f"{len(rows)} lines on no true line, on {len({r['image'] for r in rows})} of {len(charts)} charts "
          f"({a.split} split)")
    if a.sheet and tiles:
        tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % PER_ROW)
        sheet = np.vstack([np.hstack(tiles[i:i + PER_ROW]) for i in range(0, len(tiles), PER_ROW)])
        cv2.imwrite(a.sheet, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        print(f"wrote {a.sheet}")


if __name__ == "__main__":
    main()
