"""Losses: the discriminative embedding loss and the line-pixel (foreground) loss.

Discriminative loss (De Brabandere, Neven, Van Gool, 2017), per image with C instances:

    L_var  = 1/C sum_c 1/N_c sum_{i in c} [ ||mu_c - x_i|| - delta_v ]_+^2
    L_dist = 1/(C(C-1)) sum_{a != b} [ 2 delta_d - ||mu_a - mu_b|| ]_+^2
    L_reg  = 1/C sum_c ||mu_c||
    L      = alpha L_var + beta L_dist + gamma L_reg

averaged over the images of the batch that have at least one (L_var, L_reg) or two
(L_dist) instances. Defaults follow the paper: delta_v = 0.5, delta_d = 1.5,
alpha = beta = 1, gamma = 0.001.

The implementation is fully vectorised: instances of all images in the batch are
given one global index, and centroids, per-instance means and per-image means are
computed with index_add / scatter, so there is no loop over pixels or images.

    total, terms = discriminative_loss(emb, instance_mask, valid_mask)
    terms -> {"var": ..., "dist": ..., "reg": ...}
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _group_mean(values: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    """Mean of `values` (N, ...) grouped by `index` (N,) into n groups; empty groups -> 0."""
    total = values.new_zeros((n,) + values.shape[1:]).index_add_(0, index, values)
    count = values.new_zeros(n).index_add_(0, index, torch.ones_like(index, dtype=values.dtype))
    return total / count.clamp_min(1).view((n,) + (1,) * (values.dim() - 1))


def discriminative_loss(
    emb: torch.Tensor,
    instance_mask: torch.Tensor,
    valid_mask: torch.Tensor,
    delta_v: float = 0.5,
    delta_d: float = 1.5,
    alpha: float = 1.0,
    beta: float = 1.0,
    gamma: float = 0.001,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Discriminative loss.

    emb:           (B, D, H, W) float embeddings.
    instance_mask: (B, H, W) int, 0 = background, 1..K = line id within its image.
    valid_mask:    (B, H, W) bool, pixels that take part (exactly one line).
    Returns (total, {"var", "dist", "reg"}), all scalar tensors; zero (with a graph)
    when no image has a valid instance.
    """
    b, d = emb.shape[:2]
    sel = valid_mask & (instance_mask > 0)
    zero = emb.sum() * 0.0  # keeps the graph (and DDP) happy when nothing is valid
    if not bool(sel.any()):
        return zero, {"var": zero, "dist": zero, "reg": zero}

    # gather the valid pixels: (N, D) embeddings, their image and global instance key
    bi, yi, xi = sel.nonzero(as_tuple=True)
    x = emb.permute(0, 2, 3, 1)[bi, yi, xi]  # (N, D)
    key = bi * (int(instance_mask.max()) + 1) + instance_mask[bi, yi, xi].long()
    uniq, inst = torch.unique(key, return_inverse=True)  # inst: (N,) in 0..C-1
    c = uniq.numel()
    img_of_inst = torch.zeros(c, dtype=torch.long, device=emb.device).scatter_(0, inst, bi)

    mu = _group_mean(x, inst, c)  # (C, D) centroids
    # variance: per-pixel hinge -> mean per instance -> mean per image -> mean over images
    pull = F.relu(torch.linalg.vector_norm(x - mu[inst], dim=1) - delta_v) ** 2
    var_inst = _group_mean(pull, inst, c)
    var_img = _group_mean(var_inst, img_of_inst, b)
    n_inst_img = torch.bincount(img_of_inst, minlength=b)
    has1 = n_inst_img > 0
    l_var = var_img[has1].mean()

    reg_img = _group_mean(torch.linalg.vector_norm(mu, dim=1), img_of_inst, b)
    l_reg = reg_img[has1].mean()

    # distance: all pairs of distinct instances within the same image
    has2 = n_inst_img > 1
    if bool(has2.any()):
        diff = mu.unsqueeze(0) - mu.unsqueeze(1)  # (C, C, D)
        # safe norm: no NaN gradient on the zero diagonal
        dist = torch.sqrt((diff**2).sum(-1) + 1e-12)
        same = img_of_inst.unsqueeze(0) == img_of_inst.unsqueeze(1)
        pair = same & ~torch.eye(c, dtype=torch.bool, device=emb.device)
        push = (F.relu(2 * delta_d - dist) ** 2) * pair
        pair_sum = push.sum(1)  # per instance, over its partners
        img_sum = emb.new_zeros(b).index_add_(0, img_of_inst, pair_sum)
        n_pairs = (n_inst_img * (n_inst_img - 1)).to(emb.dtype)
        l_dist = (img_sum[has2] / n_pairs[has2]).mean()
    else:
        l_dist = zero

    total = alpha * l_var + beta * l_dist + gamma * l_reg
    return total, {"var": l_var.detach(), "dist": l_dist.detach(), "reg": l_reg.detach()}


def foreground_loss(
    logit: torch.Tensor, line_mask: torch.Tensor, pixel_mask: torch.Tensor, pos_weight: float = 3.0
) -> torch.Tensor:
    """BCE + soft Dice on the line-pixel logit.

    logit:      (B, H, W) raw line-pixel scores.
    line_mask:  (B, H, W) bool, pixels drawn by any line (overlaps included).
    pixel_mask: (B, H, W) bool, pixels inside the real image (False on batch padding).
    """
    target = line_mask.float()
    w = pixel_mask.float()
    bce = F.binary_cross_entropy_with_logits(
        logit, target, weight=w, pos_weight=logit.new_tensor(pos_weight), reduction="sum"
    ) / w.sum().clamp_min(1)
    p = torch.sigmoid(logit) * w
    inter = (p * target).sum()
    dice = 1 - (2 * inter + 1) / (p.sum() + (target * w).sum() + 1)
    return bce + dice
