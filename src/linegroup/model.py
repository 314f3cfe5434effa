"""SmallUNet: a compact U-Net that maps a chart image to per-pixel embeddings.

The network predicts, for every pixel, a D-dimensional embedding (default D = 8)
in which pixels of the same line lie close together and pixels of different lines
lie far apart. An optional extra channel is a line-pixel ("foreground") logit, so
that a user with only an image still gets candidate pixels.

    from linegroup.model import SmallUNet, UNetConfig
    model = SmallUNet(UNetConfig(emb_dim=8, base=8, depth=5))
    out = model(images)                 # (B, emb_dim + fg, H, W), same H, W as input
    emb, fg_logit = model.split(out)    # fg_logit is None without the head

Two layouts share the class. stem_stride=1 is the seed's network: a DoubleConv at
full resolution, then MaxPool levels. stem_stride=2 (the shipped v2 network) runs the
whole U-Net at half resolution: a strided Conv-BN-ReLU stem takes the image down, and a
sub-pixel head (1x1 conv to 4x the outputs, PixelShuffle) gives full-resolution
outputs back. No convolution runs over all the pixels, which is where the seed spent
most of its time on a CPU:

    model = SmallUNet(UNetConfig(stem_stride=2, depth=4, widths=(16, 16, 32, 64, 128)))

Any H x W works: the input is padded to a multiple of 2**depth * stem_stride inside
forward() and the output is cropped back, so callers never trim their targets.

The hyper-parameters live in `UNetConfig`, a dataclass that is stored (as a plain
dict) in every checkpoint; `SmallUNet.from_config_dict` rebuilds the model from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class UNetConfig:
    in_channels: int = 3
    emb_dim: int = 8  # embedding dimensions D
    base: int = 8  # channels of the first encoder block; doubled at each level
    depth: int = 5  # number of MaxPool downsamplings
    fg_head: bool = True  # extra 1-channel line-pixel logit
    widths: tuple | None = None  # channels per level (depth + 1 of them); None = base * 2**level
    stem_stride: int = 1  # 2: the U-Net runs at half resolution (strided stem, PixelShuffle head)

    def level_widths(self) -> list[int]:
        if self.widths is not None:
            if len(self.widths) != self.depth + 1:
                raise ValueError(f"widths has {len(self.widths)} entries; depth {self.depth} needs {self.depth + 1}")
            return [int(w) for w in self.widths]
        return [self.base * 2**i for i in range(self.depth + 1)]

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["widths"] is not None:
            d["widths"] = [int(w) for w in d["widths"]]  # plain list: loads with weights_only=True
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# ---------------------------------------------------------------------------------
# Parts (in the manner of Pytorch-UNet's unet_parts.py)


class DoubleConv(nn.Module):
    """(Conv3x3 -> BN -> ReLU) x 2"""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.block(x)


class Down(nn.Module):
    """MaxPool 2x2, then DoubleConv."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = DoubleConv(in_ch, out_ch)

    def forward(self, x):
        return self.conv(self.pool(x))


class Up(nn.Module):
    """ConvTranspose 2x2 (stride 2), concatenate the encoder skip, then DoubleConv."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_ch, in_ch // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_ch // 2 + out_ch, out_ch)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


def conv_bn_relu(in_ch: int, out_ch: int, stride: int = 1) -> nn.Sequential:
    """Conv3x3 -> BN -> ReLU (stride 2 halves the resolution)."""
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class OutConv(nn.Module):
    """1x1 convolution head."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=1)

    def forward(self, x):
        return self.conv(x)


# ---------------------------------------------------------------------------------


class SmallUNet(nn.Module):
    def __init__(self, config: UNetConfig | None = None):
        super().__init__()
        self.config = config = config or UNetConfig()
        widths = config.level_widths()
        if config.stem_stride not in (1, 2):
            raise ValueError(f"stem_stride must be 1 or 2, not {config.stem_stride}")
        out_ch = config.emb_dim + int(config.fg_head)
        if config.stem_stride == 1:  # the seed's network: every level a DoubleConv, the first at full resolution
            self.inc = DoubleConv(config.in_channels, widths[0])
            self.head = OutConv(widths[0], out_ch)
        else:  # half resolution inside: a strided stem in, a sub-pixel head out (no full-resolution convolution)
            self.inc = nn.Sequential(conv_bn_relu(config.in_channels, widths[0], stride=2),
                                     conv_bn_relu(widths[0], widths[0]))
            self.head = nn.Sequential(nn.Conv2d(widths[0], out_ch * 4, kernel_size=1), nn.PixelShuffle(2))
        # encoder levels 1..depth-1, then the bottleneck at the deepest level
        self.downs = nn.ModuleList(Down(widths[i], widths[i + 1]) for i in range(config.depth - 1))
        self.bottleneck = Down(widths[-2], widths[-1])
        self.ups = nn.ModuleList(Up(widths[i + 1], widths[i]) for i in reversed(range(config.depth)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        m = 2**self.config.depth * self.config.stem_stride
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:  # replicate padding keeps chart borders free of fake black edges
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        return self.head(self.trunk(x))[..., :h, :w]

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder, bottleneck and decoder: the features the head reads (x already padded)."""
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        y = self.bottleneck(skips[-1])
        for up, skip in zip(self.ups, reversed(skips)):
            y = up(y, skip)
        return y

    def split(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Split the raw output into (embedding, line-pixel logit or None)."""
        d = self.config.emb_dim
        return out[:, :d], (out[:, d] if self.config.fg_head else None)

    @classmethod
    def from_config_dict(cls, d: dict) -> "SmallUNet":
        return cls(UNetConfig.from_dict(d))


@torch.no_grad()
def fuse_conv_bn(model: SmallUNet) -> SmallUNet:
    """For inference: fold every BatchNorm into the convolution before it (eval mode only).
    The outputs are unchanged up to float rounding; it saves a few percent on CPU."""
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            conv, bn = seq[i], seq[i + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                                  conv.padding, bias=True).to(conv.weight.device)
                fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
                bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
                fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
                seq[i], seq[i + 1] = fused, nn.Identity()
    return model


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
