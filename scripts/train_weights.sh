#!/usr/bin/env bash
# Reproduce the shipped weights: data, training and export, all seeded.
#   bash scripts/train_weights.sh [WORK_DIR]
# Wall time on the 2-core CPU reference machine is logged in WORK_DIR/ckpt/log.csv (wall_s).
set -euo pipefail
WORK=${1:-runs/weights}
mkdir -p "$WORK"
linegroup synth "$WORK/data" --num 4000 --val 100 --seed 0 --workers 2
python main.py --train_json "$WORK/data/train.json" --train_img_dir "$WORK/data/train" \
  --val_json "$WORK/data/val.json" --val_img_dir "$WORK/data/val" --max_val_images 100 \
  --epochs 45 --max_steps 200 --batch_size 4 --crop_size 256 --lr 2e-3 --seed 0 \
  --num_workers 2 --save_dir "$WORK/ckpt" "${@:2}"
python scripts/export_weights.py "$WORK/ckpt/ckpt_best.pt" src/linegroup/weights/linegroup_default.pt
