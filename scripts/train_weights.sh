#!/usr/bin/env bash
# Reproduce the shipped weights (src/linegroup/weights/linegroup_default.pt): data, training, export.
#   bash scripts/train_weights.sh [WORK_DIR]
# All seeded. Wall time on the 2-core CPU reference machine: WORK_DIR/ckpt/log.csv, column
# wall_s (the README's model card quotes it).
#
# Data: 6000 charts, seed 1; 30% of them drawn with the hard setting (6-12 lines, mostly
# same-colour/grayscale, degraded) and about a third with other tools' looks (--variety).
# The hard validation set of benchmarks/quality.py uses seed 7 and no --variety: it is not
# part of training.
#
# The shipped run: its first 3 epochs ran under --epochs 50; it was then resumed
# (--resume ckpt_last.pt, step 750) with --epochs 44 as below, so the cosine schedule was
# recomputed there (lr 1.98e-3 -> 1.99e-3, under 1%). 11,000 steps in 6133 s of wall time
# (618 s + 5515 s, log.csv wall_s restarts at the resume), on the 2-core CPU while it
# was shared with development work (8.3-8.7 images/s in its last epochs, log.csv).
# --keep_every 4 keeps the snapshots that benchmarks/quality_curve.py scores; the shipped
# run kept its snapshots (epochs 4, 12, 21, 30, 40, 44) by copying ckpt_last.pt by hand.
set -euo pipefail
WORK=${1:-runs/v2}
linegroup synth "$WORK/data" --num 6000 --val 100 --seed 1 --hard_frac 0.3 --variety --workers 2
python main.py --train_json "$WORK/data/train.json" --train_img_dir "$WORK/data/train" \
  --val_json "$WORK/data/val.json" --val_img_dir "$WORK/data/val" --max_val_images 40 --eval_every 4 \
  --epochs 44 --max_steps 250 --batch_size 4 --crop_size 320 --lr 2e-3 --seed 0 --num_workers 2 \
  --base 8 --depth 5 --keep_every 4 --save_dir "$WORK/ckpt"
python scripts/export_weights.py "$WORK/ckpt/ckpt_final.pt" src/linegroup/weights/linegroup_default.pt
