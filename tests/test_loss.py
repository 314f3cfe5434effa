"""Known answers for the discriminative loss and the line-pixel loss."""

import pytest
import torch

from linegroup.loss import discriminative_loss, foreground_loss


def _setup(centroids, spread=0.0, n=50, h=10):
    """Image with one vertical stripe of n pixels per instance at the given embedding centroids."""
    k = len(centroids)
    d = len(centroids[0])
    emb = torch.zeros(1, d, h, k * 5)
    inst = torch.zeros(1, h, k * 5, dtype=torch.long)
    for i, c in enumerate(centroids):
        emb[0, :, :, i * 5:(i + 1) * 5] = torch.tensor(c, dtype=torch.float).view(d, 1, 1)
        inst[0, :, i * 5:(i + 1) * 5] = i + 1
    if spread:
        emb = emb + spread * torch.randn_like(emb)
    return emb, inst, inst > 0


def test_tight_and_far_apart_is_zero():
    emb, inst, valid = _setup([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]], spread=0.01)
    total, t = discriminative_loss(emb, inst, valid, gamma=0.0)
    assert total.item() == pytest.approx(0.0, abs=1e-6)
    assert t["var"].item() == 0 and t["dist"].item() == 0


def test_shared_centroid_gives_full_push():
    emb, inst, valid = _setup([[1.0, 0.0], [1.0, 0.0]])
    _, t = discriminative_loss(emb, inst, valid, delta_d=1.5)
    assert t["dist"].item() == pytest.approx((2 * 1.5) ** 2, rel=1e-5)


def test_known_variance_and_regularisation():
    # one instance: half its pixels at +1, half at -1 along x -> centroid 0, distance 1
    emb = torch.zeros(1, 2, 2, 2)
    emb[0, 0, 0, :] = 1.0
    emb[0, 0, 1, :] = -1.0
    inst = torch.ones(1, 2, 2, dtype=torch.long)
    total, t = discriminative_loss(emb, inst, inst > 0, delta_v=0.5, gamma=1.0)
    assert t["var"].item() == pytest.approx(0.25)  # (1 - 0.5)^2
    assert t["reg"].item() == pytest.approx(0.0, abs=1e-6)
    assert t["dist"].item() == 0.0  # a single instance has no pairs
    emb2 = emb + torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)
    _, t2 = discriminative_loss(emb2, inst, inst > 0, gamma=1.0)
    assert t2["reg"].item() == pytest.approx(5.0)


def test_no_instances_is_zero_with_gradient():
    emb = torch.randn(2, 3, 8, 8, requires_grad=True)
    inst = torch.zeros(2, 8, 8, dtype=torch.long)
    total, _ = discriminative_loss(emb, inst, inst > 0)
    assert total.item() == 0.0
    total.backward()
    assert emb.grad is not None


def test_invalid_pixels_are_ignored():
    emb, inst, valid = _setup([[0.0, 0.0], [1.0, 0.0]], spread=0.3)
    valid[0, :, 0] = False  # drop one column of instance 1
    a, _ = discriminative_loss(emb, inst, valid)
    emb2 = emb.clone()
    emb2[0, :, :, 0] = 100.0  # anything at the invalid pixels
    b, _ = discriminative_loss(emb2, inst, valid)
    assert a.item() == pytest.approx(b.item())


def test_batch_is_mean_of_images_and_gradients_flow():
    torch.manual_seed(0)
    emb = torch.randn(2, 4, 6, 6, requires_grad=True)
    inst = torch.randint(0, 4, (2, 6, 6))
    inst[1] = torch.where(inst[1] > 1, 1, inst[1])  # image 2 has one line only
    valid = torch.rand(2, 6, 6) > 0.2
    total, t = discriminative_loss(emb, inst, valid)
    parts = [discriminative_loss(emb[i:i + 1], inst[i:i + 1], valid[i:i + 1])[1] for i in range(2)]
    assert t["var"].item() == pytest.approx((parts[0]["var"] + parts[1]["var"]).item() / 2, rel=1e-5)
    assert t["dist"].item() == pytest.approx(parts[0]["dist"].item(), rel=1e-5)  # only image 1 has pairs
    total.backward()
    assert emb.grad.abs().sum() > 0
    assert torch.isfinite(emb.grad).all()


def test_foreground_loss_prefers_the_right_answer():
    line = torch.zeros(1, 8, 8, dtype=torch.bool)
    line[0, 3] = True
    inside = torch.ones_like(line)
    good = foreground_loss(torch.where(line, 8.0, -8.0), line, inside)
    bad = foreground_loss(torch.where(line, -8.0, 8.0), line, inside)
    assert good.item() < 0.05 < bad.item()
    # padding pixels do not count
    outside = inside.clone()
    outside[0, 6:] = False
    logit = torch.where(line, 8.0, -8.0)
    logit[0, 6:] = 8.0  # wrong, but outside the image
    assert foreground_loss(logit, line, outside).item() == pytest.approx(good.item(), abs=0.05)
