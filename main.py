"""Seed-compatible training entry point; the same as `linegroup train`.

    python main.py --train_json data/train.json --train_img_dir data/train \
                   --val_json data/val.json --val_img_dir data/val --epochs 20 --batch_size 4
    torchrun --nproc_per_node 2 main.py ...     # DistributedDataParallel (gloo on CPU, nccl on GPU)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from linegroup.train import main  # noqa: E402

if __name__ == "__main__":
    main()
