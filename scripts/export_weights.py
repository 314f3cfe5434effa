"""Strip a training checkpoint down to the shipped weights (fp16 tensors, config, provenance).

    python scripts/export_weights.py runs/weights/ckpt/ckpt_best.pt src/linegroup/weights/linegroup_default.pt
"""

import os
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402


def main(src: str, dst: str) -> None:
    ckpt = load_checkpoint(src)
    model = {k: (v.half() if v.is_floating_point() else v) for k, v in ckpt["model"].items()}
    keep = ("epoch", "global_step", "best_val_loss", "model_config", "args")
    save_checkpoint(dst, {"model": model, **{k: ckpt[k] for k in keep if k in ckpt}})
    print(f"{dst}: {os.path.getsize(dst) / 1e6:.2f} MB, step {ckpt.get('global_step')}, "
          f"best val_loss {ckpt.get('best_val_loss')}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
