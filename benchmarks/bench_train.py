"""Training throughput at batch 4, and the share of a step spent on data and loss.

    python benchmarks/bench_train.py DATA_DIR [--steps 60] [--crop 320 --base 8 --depth 5]
    # DATA_DIR from `linegroup synth`; the defaults are the shipped model's settings
"""

import argparse
import csv
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.train import build_parser, train  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--num_workers", type=int, default=2)
    ap.add_argument("--crop", type=int, default=320, help="crop side (px)")
    ap.add_argument("--base", type=int, default=8, help="channels of the first U-Net level")
    ap.add_argument("--depth", type=int, default=5, help="U-Net downsamplings")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d_ = a.data
        args = build_parser().parse_args([
            "--train_json", f"{d_}/train.json", "--train_img_dir", f"{d_}/train", "--val_json", f"{d_}/val.json",
            "--val_img_dir", f"{d_}/val", "--max_val_images", "1", "--epochs", "1", "--max_steps", str(a.steps),
            "--batch_size", "4", "--crop_size", str(a.crop), "--num_workers", str(a.num_workers),
            "--base", str(a.base), "--depth", str(a.depth), "--save_dir", d])
        train(args)
        row = list(csv.DictReader(open(os.path.join(d, "log.csv"))))[-1]
    print("| batch | crop | base/depth | images/s | data share | loss share |\n|---|---|---|---|---|---|")
    print(f"| 4 | {a.crop} | {a.base}/{a.depth} | {float(row['images_per_s']):.2f} | {100 * float(row['data_share']):.1f}% "
          f"| {100 * float(row['loss_share']):.1f}% |")
