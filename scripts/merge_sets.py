"""Merge COCO-like line sets (each a JSON beside its image folder) into one training set.

    python scripts/merge_sets.py --out runs/v3/exact runs/v3/series_131/train.json runs/v3/series_132/train.json \\
        --val_last 40

Writes OUT/train.json (and OUT/val.json with --val_last N: the last N charts of the last set,
held out). Images are not copied: each entry's file_name becomes a path relative to OUT
(train with --train_img_dir OUT), and label_mask is rewritten the same way. Image and
annotation ids are renumbered; the first set's categories and info are kept.
"""

from __future__ import annotations

import argparse
import json
import os


def load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"error: {path}: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise SystemExit(f"error: {path}: expected an object with an 'images' list")
    return data


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sets", nargs="+", help="COCO-like JSON files; each one's images lie in the folder named by "
                                           "--img_dir_name beside it")
    p.add_argument("--out", required=True, help="output folder for train.json (and val.json)")
    p.add_argument("--img_dir_name", default="train", help="image folder beside each JSON")
    p.add_argument("--val_last", type=int, default=0, help="hold out the last N charts of the last set as val.json")
    a = p.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    out = os.path.abspath(a.out)
    merged, ann_id = [], 0
    info, cats = {}, [{"id": 2, "name": "line"}]
    for i, path in enumerate(a.sets):
        data = load(path)
        if i == 0:
            info, cats = data.get("info", {}), data.get("categories", cats)
        base = os.path.dirname(os.path.abspath(path))
        anns = {}
        for ann in data.get("annotations", []):
            anns.setdefault(ann.get("image_id"), []).append(ann)
        for im in data["images"]:
            im = dict(im)
            own = anns.get(im["id"], [])
            im["file_name"] = os.path.relpath(os.path.join(base, a.img_dir_name, im["file_name"]), out)
            if im.get("label_mask"):
                im["label_mask"] = os.path.relpath(os.path.join(base, im["label_mask"]), out)
            merged.append((i, im, own))
    n_val = a.val_last if a.val_last > 0 else 0
    last = [j for j, (i, _, _) in enumerate(merged) if i == len(a.sets) - 1]
    val_idx = set(last[-n_val:]) if n_val else set()
    for name, keep in (("train", lambda j: j not in val_idx), ("val", lambda j: j in val_idx)):
        if name == "val" and not n_val:
            continue
        images, annotations = [], []
        for j, (_, im, own) in enumerate(merged):
            if not keep(j):
                continue
            new_id = len(images) + 1
            for ann in own:
                ann_id += 1
                annotations.append({**ann, "id": ann_id, "image_id": new_id})
            images.append({**im, "id": new_id})
        with open(os.path.join(out, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump({"info": info, "images": images, "annotations": annotations, "categories": cats}, f)
        print(f"{name}: {len(images)} charts, {len(annotations)} lines -> {os.path.join(a.out, name + '.json')}")


if __name__ == "__main__":
    main()
