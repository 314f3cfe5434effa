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


@pytest.mark.parametrize("cfg", [UNetConfig(base=4, depth=2), UNetConfig(depth=2, widths=(8, 8, 16), stem_stride=2)],
                         ids=["seed", "half_resolution"])
def test_folding_batchnorm_keeps_the_outputs(cfg):
    from linegroup.model import fuse_conv_bn

    torch.manual_seed(0)
    m = SmallUNet(cfg)
    m.train()
    for _ in range(3):  # non-trivial running statistics
        m(torch.rand(2, 3, 32, 32) * 3)
    m.eval()
    x = torch.rand(1, 3, 29, 31)
    ref = m(x)
    fused = fuse_conv_bn(m)
    assert not any(isinstance(mod, torch.nn.BatchNorm2d) for mod in fused.modules())
    torch.testing.assert_close(fused(x), ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("h,w", [(37, 53), (64, 64), (1, 1), (3, 200)])
def test_half_resolution_network_gives_full_resolution_outputs(h, w):
    cfg = UNetConfig(emb_dim=4, depth=2, widths=(8, 8, 16), stem_stride=2)
    m = SmallUNet(cfg).eval()
    out = m(torch.rand(2, 3, h, w))
    assert out.shape == (2, 5, h, w)
    # no convolution sees the full resolution: the first one is strided
    first = next(mod for mod in m.modules() if isinstance(mod, torch.nn.Conv2d))
    assert first.stride == (2, 2)


def test_half_resolution_head_places_each_output_on_its_own_pixel():
    """PixelShuffle: the four sub-pixel outputs of one half-resolution cell land on the four
    full-resolution pixels of that cell, so a one-pixel change in the image can change the
    output at that very pixel, not only at its 2x2 block."""
    torch.manual_seed(0)
    m = SmallUNet(UNetConfig(emb_dim=2, depth=1, widths=(4, 8), stem_stride=2)).eval()
    x = torch.rand(1, 3, 8, 8)
    out = m(x)[0, 0]
    assert not torch.allclose(out[0::2, 0::2], out[1::2, 1::2])


def test_widths_must_match_the_depth_and_round_trip_through_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="depth 3 needs 4"):
        SmallUNet(UNetConfig(depth=3, widths=(8, 16)))
    with pytest.raises(ValueError, match="stem_stride"):
        SmallUNet(UNetConfig(stem_stride=4))
    cfg = UNetConfig(depth=2, widths=(8, 8, 16), stem_stride=2)
    m = SmallUNet(cfg).eval()
    p = str(tmp_path / "v2.pt")
    save_checkpoint(p, {"model": m.state_dict(), "model_config": cfg.to_dict()})
    ckpt = torch.load(p, weights_only=True)
    assert ckpt["model_config"]["widths"] == [8, 8, 16] and ckpt["model_config"]["stem_stride"] == 2
    x = torch.rand(1, 3, 21, 19)
    torch.testing.assert_close(model_from_checkpoint(load_checkpoint(p)).eval()(x), m(x))


def test_a_seed_network_checkpoint_without_the_v2_fields_still_loads(tmp_path):
    """Checkpoints written before widths and stem_stride existed rebuild the seed's network."""
    cfg = UNetConfig(emb_dim=8, base=4, depth=2)
    m = SmallUNet(cfg).eval()
    old = {k: v for k, v in cfg.to_dict().items() if k not in ("widths", "stem_stride")}
    p = str(tmp_path / "old.pt")
    save_checkpoint(p, {"model": m.state_dict(), "model_config": old})
    m2 = model_from_checkpoint(load_checkpoint(p)).eval()
    assert m2.config.stem_stride == 1 and "head.conv.weight" in m2.state_dict()
    x = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(m2(x), m(x))

