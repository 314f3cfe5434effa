"""Training throughput at batch 4 on 256x256 crops, and the share of a step spent on data and loss.

    python benchmarks/bench_train.py DATA_DIR [--steps 60]     # DATA_DIR from `linegroup synth`
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
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d_ = a.data
        args = build_parser().parse_args([
            "--train_json", f"{d_}/train.json", "--train_img_dir", f"{d_}/train", "--val_json", f"{d_}/val.json",
            "--val_img_dir", f"{d_}/val", "--max_val_images", "1", "--epochs", "1", "--max_steps", str(a.steps),
            "--batch_size", "4", "--crop_size", "256", "--num_workers", str(a.num_workers), "--save_dir", d])
        train(args)
        row = list(csv.DictReader(open(os.path.join(d, "log.csv"))))[-1]
    print("| batch | crop | images/s | data share | loss share |\n|---|---|---|---|---|")
    print(f"| 4 | 256 | {float(row['images_per_s']):.2f} | {100 * float(row['data_share']):.1f}% "
          f"| {100 * float(row['loss_share']):.1f}% |")
