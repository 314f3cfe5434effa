"""SmallUNet shapes and checkpoint round trips."""

import pytest
import torch

from linegroup.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint, save_checkpoint
from linegroup.model import SmallUNet, UNetConfig


@pytest.mark.parametrize("h,w", [(37, 53), (64, 64), (17, 101), (1, 1)])
def test_output_has_input_size(h, w):
    m = SmallUNet(UNetConfig(emb_dim=5, base=4, depth=3)).eval()
    out = m(torch.rand(2, 3, h, w))
    assert out.shape == (2, 6, h, w)
    emb, fg = m.split(out)
    assert emb.shape == (2, 5, h, w) and fg.shape == (2, h, w)


def test_without_fg_head():
    m = SmallUNet(UNetConfig(base=4, depth=2, fg_head=False)).eval()
    emb, fg = m.split(m(torch.rand(1, 3, 30, 30)))
    assert emb.shape[1] == 8 and fg is None


def test_checkpoint_rebuilds_model_from_its_config(tmp_path):
    cfg = UNetConfig(emb_dim=6, base=4, depth=2, fg_head=False)
    m = SmallUNet(cfg).eval()
    p = str(tmp_path / "c.pt")
    save_checkpoint(p, {"model": m.state_dict(), "model_config": cfg.to_dict(), "epoch": 3})
    ckpt = torch.load(p, weights_only=True)
    assert ckpt["model_config"] == cfg.to_dict()
    m2 = model_from_checkpoint(load_checkpoint(p)).eval()
    x = torch.rand(1, 3, 20, 24)
    torch.testing.assert_close(m(x), m2(x))


def test_broken_checkpoints_are_reported(tmp_path):
    p = tmp_path / "bad.pt"
    p.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="bad.pt"):
        load_checkpoint(str(p))
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(str(tmp_path / "none.pt"))
    torch.save({"x": 1}, str(p))
    with pytest.raises(CheckpointError, match="lacks"):
        load_checkpoint(str(p))


def test_folding_batchnorm_keeps_the_outputs():
    from linegroup.model import fuse_conv_bn

    torch.manual_seed(0)
    m = SmallUNet(UNetConfig(base=4, depth=2))
    m.train()
    for _ in range(3):  # non-trivial running statistics
        m(torch.rand(2, 3, 32, 32) * 3)
    m.eval()
    x = torch.rand(1, 3, 29, 31)
    ref = m(x)
    fused = fuse_conv_bn(m)
    assert not any(isinstance(mod, torch.nn.BatchNorm2d) for mod in fused.modules())
    torch.testing.assert_close(fused(x), ref, atol=1e-4, rtol=1e-4)
