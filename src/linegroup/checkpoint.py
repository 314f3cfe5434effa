"""Checkpoints: plain dicts of tensors and Python scalars, written atomically.

    save_checkpoint("ckpt_last.pt", {"model": model.state_dict(), "model_config": cfg.to_dict(), ...})
    ckpt = load_checkpoint("ckpt_last.pt")          # torch.load(weights_only=True)
    model = model_from_checkpoint(ckpt)

A write goes to a temporary file in the same folder, is flushed to disk, and then
replaces the target with os.replace, so a run killed during a save leaves the
previous checkpoint intact and readable.
"""

from __future__ import annotations

import os
import tempfile

# torch is imported where it is used: CheckpointError and the rest of the package load
# without it (the shipped weights run through OpenCV, runtime.py)


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message names the file."""


def save_checkpoint(path: str, state: dict) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    import torch

    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".pt", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_checkpoint(path: str, map_location="cpu") -> dict:
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: checkpoint not found")
    import torch

    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated file, not a torch file, unsafe pickle...
        raise CheckpointError(f"{path}: not a readable linegroup checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "model_config" not in ckpt:
        raise CheckpointError(f"{path}: checkpoint lacks 'model' or 'model_config'")
    return ckpt


def model_from_checkpoint(ckpt: dict):
    """Rebuild SmallUNet from the stored config. A checkpoint saved without the
    line-pixel head (fg_head False, or no head weights) still loads."""
    from .model import SmallUNet

    cfg = dict(ckpt["model_config"])
    model = SmallUNet.from_config_dict(cfg)
    state = {k.removeprefix("module."): v for k, v in ckpt["model"].items()}
    model.load_state_dict(state)
    return model
