"""Training: SmallUNet + discriminative loss (+ line-pixel head) on COCO-like polylines.

    python main.py --train_json data/train.json --train_img_dir data/train \\
                   --val_json data/val.json --val_img_dir data/val --epochs 20 --batch_size 4
    linegroup train ...                                   # the same
    torchrun --nproc_per_node 2 main.py ...               # DistributedDataParallel

Every --save_every epochs ckpt_last.pt is written, ckpt_best.pt whenever val_loss
improves, ckpt_epochNNN.pt every --keep_every epochs (if set), and ckpt_final.pt at the
end; all atomically. --resume PATH continues from a
checkpoint's epoch, step, optimizer, scheduler and best val_loss. Under torchrun, the
gloo backend is used on CPU and nccl on GPU; only rank 0 writes files.

Per-epoch losses go to SAVE_DIR/log.csv and SAVE_DIR/loss_curves.png. The log also
records the share of step time spent waiting for data and computing the loss.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import os
import random
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler

from .checkpoint import load_checkpoint, save_checkpoint
from .data import TARGETS, Augment, DataError, LineDataset, collate
from .loss import discriminative_loss, foreground_loss
from .model import SmallUNet, UNetConfig

log = logging.getLogger("linegroup.train")


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(
        prog="main.py", description="Train SmallUNet line embeddings with the discriminative loss.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("data")
    g.add_argument("--train_json", required=True, help="COCO-like JSON with the training polylines")
    g.add_argument("--train_img_dir", required=True, help="folder of the training images")
    g.add_argument("--val_json", required=True, help="COCO-like JSON with the validation polylines")
    g.add_argument("--val_img_dir", required=True, help="folder of the validation images")
    g.add_argument("--thickness", type=int, default=2, help="raster thickness of the target polylines (px)")
    g.add_argument("--targets", choices=TARGETS, default="polylines",
                   help="polylines: the targets are the JSON polylines drawn at --thickness (the stroke width where "
                        "larger); exact: a chart's exact drawn pixels from its label mask (image field 'label_mask', "
                        "written by linegroup synth --exact_masks), so the network learns the ink itself, 1 px lines "
                        "and dash gaps included; charts without one fall back to polylines")
    g.add_argument("--line_category_id", type=int, default=2, help="category_id of line annotations")
    g.add_argument("--crop_size", type=int, default=256, help="side of the random training crops (px)")
    g.add_argument("--p_fade", type=float, default=0.0,
                   help="share of training crops faded toward their background (pale and pastel series)")
    g.add_argument("--num_workers", type=int, default=2, help="DataLoader worker processes")
    g.add_argument("--debug", action="store_true",
                   help="log the traceback of a training sample that fails unexpectedly (it is skipped either way)")
    g.add_argument("--max_val_images", type=int, default=0, help="validate on at most N images (0 = all)")
    g = p.add_argument_group("schedule")
    g.add_argument("--epochs", type=int, default=10, help="number of epochs")
    g.add_argument("--batch_size", type=int, default=2, help="images per step (per process under torchrun)")
    g.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (AdamW, cosine decay)")
    g.add_argument("--weight_decay", type=float, default=1e-4, help="AdamW weight decay")
    g.add_argument("--max_steps", type=int, default=0, help="at most N steps per epoch (0 = a full epoch)")
    g.add_argument("--seed", type=int, default=0, help="random seed for weights, sampling and augmentation")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    g = p.add_argument_group("checkpoints")
    g.add_argument("--save_dir", default="./checkpoints", help="folder for checkpoints, log.csv and curves")
    g.add_argument("--save_every", type=int, default=1, help="write ckpt_last.pt every N epochs")
    g.add_argument("--keep_every", type=int, default=0,
                   help="also keep ckpt_epochNNN.pt every N epochs, for quality-vs-training-time curves (0 = none)")
    g.add_argument("--eval_every", type=int, default=1, help="compute val_loss every N epochs")
    g.add_argument("--resume", default="", help="checkpoint to continue from")
    g.add_argument("--init", default="", help="start from these weights (new optimizer and counters)")
    g = p.add_argument_group("model")
    g.add_argument("--emb_dim", type=int, default=8, help="embedding dimensions D")
    g.add_argument("--base", type=int, default=8, help="channels of the first U-Net level")
    g.add_argument("--depth", type=int, default=5, help="number of U-Net downsamplings")
    g.add_argument("--widths", default="",
                   help="channels per U-Net level, comma-separated, depth + 1 of them (default: --base doubled "
                        "at each level); the shipped v2 network: 16,16,32,64,128 with --depth 4 --stem_stride 2")
    g.add_argument("--stem_stride", type=int, default=1, choices=[1, 2],
                   help="2 runs the U-Net at half resolution behind a strided stem with a PixelShuffle head "
                        "(about 3x faster on a CPU); 1 is the seed's full-resolution network")
    g.add_argument("--no_fg_head", action="store_true", help="train without the line-pixel head")
    g = p.add_argument_group("loss")
    g.add_argument("--delta_v", type=float, default=0.5, help="variance hinge: pull margin around a centroid")
    g.add_argument("--delta_d", type=float, default=1.5, help="distance hinge: centroids pushed 2*delta_d apart")
    g.add_argument("--alpha", type=float, default=1.0, help="weight of the variance term")
    g.add_argument("--beta", type=float, default=1.0, help="weight of the distance term")
    g.add_argument("--gamma", type=float, default=0.001, help="weight of the regularisation term")
    g.add_argument("--fg_weight", type=float, default=1.0, help="weight of the line-pixel BCE+Dice loss")
    return p


# ---------------------------------------------------------------------------------


def setup_distributed(device_arg: str):
    """Returns (rank, world_size, device). Initialises torch.distributed under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_arg == "cuda" or (device_arg == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise SystemExit("--device cuda was asked for, but no CUDA device is available")
    if world > 1:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
        if not use_cuda:  # share the cores between processes rather than oversubscribe
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    device = torch.device(f"cuda:{local}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    return rank, world, device


def make_loader(ds, batch_size: int, num_workers: int, device_type: str = "cpu", **kw) -> DataLoader:
    """DataLoader with `collate`. Workers are not persistent: each epoch's workers get a
    fresh copy of the dataset, so its set_epoch() changes the augmentation of every sample."""
    return DataLoader(ds, batch_size, collate_fn=collate, num_workers=num_workers,
                      pin_memory=device_type == "cuda", **kw)


def compute_losses(model, batch, args, device):
    out = model(batch["image"].to(device, non_blocking=True).contiguous(memory_format=torch.channels_last))
    core = model.module if hasattr(model, "module") else model
    emb, fg = core.split(out)
    t0 = time.perf_counter()
    inst = batch["instance_mask"].to(device)
    valid = batch["valid_mask"].to(device)
    total, terms = discriminative_loss(emb, inst, valid, args.delta_v, args.delta_d, args.alpha, args.beta, args.gamma)
    if fg is not None and args.fg_weight > 0:
        lf = foreground_loss(fg, batch["line_mask"].to(device), batch["pixel_mask"].to(device))
        total = total + args.fg_weight * lf
        terms["fg"] = lf.detach()
    terms["loss"] = total.detach()
    return total, terms, time.perf_counter() - t0


@torch.no_grad()
def evaluate_loss(model, loader, args, device) -> dict:
    model.eval()
    sums, n = {}, 0
    for batch in loader:
        if "image" not in batch:
            continue
        _, terms, _ = compute_losses(model, batch, args, device)
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v)
        n += 1
    model.train()
    if dist.is_initialized():
        t = torch.tensor([sums.get(k, 0.0) for k in ("loss", "var", "dist", "reg", "fg")] + [n], dtype=torch.float64)
        dist.all_reduce(t)
        sums = dict(zip(("loss", "var", "dist", "reg", "fg"), t[:5].tolist()))
        n = int(t[5])
    return {k: v / max(n, 1) for k, v in sums.items()}


def plot_curves(csv_path: str, png_path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ep = [int(r["epoch"]) for r in rows]
    for key, ax in (("loss", axes[0]), ("var", axes[1]), ("dist", axes[1]), ("fg", axes[1])):
        for split, style in (("train", "-"), ("val", "--")):
            pts = [(e, float(r[f"{split}_{key}"])) for e, r in zip(ep, rows) if r.get(f"{split}_{key}") not in ("", None)]
            if pts:
                ax.plot(*zip(*pts), style, marker=".", label=f"{split} {key}")
    axes[0].set_title("total loss")
    axes[1].set_title("loss terms")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = png_path + ".tmp.png"
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, png_path)


LOG_FIELDS = ["epoch", "step", "lr", "train_loss", "train_var", "train_dist", "train_reg", "train_fg",
              "val_loss", "val_var", "val_dist", "val_reg", "val_fg", "images_per_s", "data_share", "loss_share",
              "skipped", "wall_s"]


def train(args) -> dict:
    """Run training as described by the parsed `args`. Returns the final state summary."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    rank, world, device = setup_distributed(args.device)
    is_main = rank == 0
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)

    try:
        train_ds = LineDataset(args.train_json, args.train_img_dir, args.thickness, args.line_category_id,
                               Augment(crop_size=args.crop_size, p_fade=args.p_fade), seed=args.seed, debug=args.debug,
                               targets=args.targets)
        val_ds = LineDataset(args.val_json, args.val_img_dir, args.thickness, args.line_category_id, None,
                             debug=args.debug, targets=args.targets)
    except DataError as e:
        raise SystemExit(f"error: {e}") from None
    if args.max_val_images and len(val_ds) > args.max_val_images:
        val_ds.records = val_ds.records[: args.max_val_images]
    if is_main:
        log.info("train: %d images (%s); val: %d images (%s)", len(train_ds), train_ds.report.summary(),
                 len(val_ds), val_ds.report.summary())

    train_sampler = DistributedSampler(train_ds, world, rank, shuffle=True, seed=args.seed) if world > 1 else None
    val_sampler = DistributedSampler(val_ds, world, rank, shuffle=False) if world > 1 else None
    g = torch.Generator().manual_seed(args.seed)
    train_loader = make_loader(train_ds, args.batch_size, args.num_workers, device.type,
                               shuffle=train_sampler is None, sampler=train_sampler,
                               drop_last=len(train_ds) >= args.batch_size * world, generator=g)
    val_loader = make_loader(val_ds, 1, args.num_workers, device.type, shuffle=False, sampler=val_sampler)

    try:
        widths = tuple(int(v) for v in args.widths.split(",")) if args.widths else None
        cfg = UNetConfig(emb_dim=args.emb_dim, base=args.base, depth=args.depth, fg_head=not args.no_fg_head,
                         widths=widths, stem_stride=args.stem_stride)
        cfg.level_widths()
    except ValueError as e:
        raise SystemExit(f"error: --widths {args.widths!r}: {e}") from None
    model = SmallUNet(cfg).to(device, memory_format=torch.channels_last)  # ~30% faster convs on CPU
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = len(train_loader) if not args.max_steps else min(args.max_steps, len(train_loader))
    total_steps = max(1, steps_per_epoch * args.epochs)
    warmup = min(200, total_steps // 20 + 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total_steps)))))

    start_epoch, step, best = 0, 0, float("inf")
    if args.resume:
        ckpt = load_checkpoint(args.resume, map_location=device)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        if ckpt.get("scheduler"):
            sched.load_state_dict(ckpt["scheduler"])
        start_epoch, step, best = ckpt["epoch"] + 1, ckpt["global_step"], ckpt["best_val_loss"]
        if is_main:
            log.info("resumed %s at epoch %d, step %d, best val_loss %.4f", args.resume, start_epoch, step, best)
    elif args.init:
        model.load_state_dict(load_checkpoint(args.init, map_location=device)["model"])

    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    os.makedirs(args.save_dir, exist_ok=True)
    csv_path = os.path.join(args.save_dir, "log.csv")

    def state(epoch):
        return {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "epoch": epoch, "global_step": step, "best_val_loss": best, "model_config": cfg.to_dict(),
                "args": {k: v for k, v in vars(args).items() if isinstance(v, (int, float, str, bool, type(None)))}}

    from tqdm import tqdm

    t_start = time.time()
    last_val = {}
    for epoch in range(start_epoch, args.epochs):
        train_ds.set_epoch(epoch)
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        net.train()
        sums, n_steps, n_img, skipped = {}, 0, 0, 0
        t_data = t_loss = 0.0
        t_epoch = time.perf_counter()
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch + 1}/{args.epochs}", disable=not is_main, leave=False)
        t0 = time.perf_counter()
        for batch in train_loader:
            t_data += time.perf_counter() - t0
            skipped += batch["skipped"]
            if "image" not in batch:  # every sample of the batch was unusable
                t0 = time.perf_counter()
                continue
            loss, terms, tl = compute_losses(net, batch, args, device)
            t_loss += tl
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            step += 1
            n_steps += 1
            n_img += batch["image"].shape[0]
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            bar.set_postfix({k: f"{sums[k] / n_steps:.3f}" for k in ("loss", "var", "dist", "reg", "fg") if k in sums})
            bar.update()
            t0 = time.perf_counter()
            if n_steps >= steps_per_epoch:
                break
        bar.close()
        if n_img == 0 and skipped:  # every sample failed to load (each was named in a warning)
            raise SystemExit(f"error: {args.train_json}: no usable training sample in epoch {epoch + 1} "
                             f"({skipped} skipped); nothing is left to train on")
        dt = time.perf_counter() - t_epoch
        train_terms = {k: v / max(n_steps, 1) for k, v in sums.items()}

        val = {}
        if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
            val = last_val = evaluate_loss(net, val_loader, args, device)
        if is_main:
            row = {"epoch": epoch + 1, "step": step, "lr": f"{sched.get_last_lr()[0]:.6g}",
                   "images_per_s": f"{n_img * world / dt:.2f}", "data_share": f"{t_data / dt:.3f}",
                   "loss_share": f"{t_loss / dt:.3f}", "skipped": skipped, "wall_s": f"{time.time() - t_start:.1f}"}
            row.update({f"train_{k}": f"{v:.5f}" for k, v in train_terms.items() if k != "skipped"})
            row.update({f"val_{k}": f"{v:.5f}" for k, v in val.items()})
            new = not os.path.exists(csv_path) or os.path.getsize(csv_path) == 0
            with open(csv_path, "a", newline="") as f:
                w = csv.DictWriter(f, LOG_FIELDS, extrasaction="ignore")
                if new:
                    w.writeheader()
                w.writerow(row)
            plot_curves(csv_path, os.path.join(args.save_dir, "loss_curves.png"))
            msg = " ".join(f"{k}={v:.4f}" for k, v in train_terms.items())
            vmsg = f" val_loss={val['loss']:.4f}" if val else ""
            log.info("epoch %d step %d: %s%s (%.1f img/s, data %.0f%%, loss %.0f%%, %d skipped)", epoch + 1, step,
                     msg, vmsg, n_img * world / dt, 100 * t_data / dt, 100 * t_loss / dt, skipped)
        if val and val["loss"] < best:
            best = val["loss"]
            if is_main:
                save_checkpoint(os.path.join(args.save_dir, "ckpt_best.pt"), state(epoch))
        if is_main and (epoch + 1) % args.save_every == 0:
            save_checkpoint(os.path.join(args.save_dir, "ckpt_last.pt"), state(epoch))
        if is_main and args.keep_every and (epoch + 1) % args.keep_every == 0:
            save_checkpoint(os.path.join(args.save_dir, f"ckpt_epoch{epoch + 1:03d}.pt"), state(epoch))

    final_epoch = max(start_epoch, args.epochs) - 1
    if is_main:
        save_checkpoint(os.path.join(args.save_dir, "ckpt_last.pt"), state(final_epoch))
        save_checkpoint(os.path.join(args.save_dir, "ckpt_final.pt"), state(final_epoch))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return {"epoch": final_epoch, "global_step": step, "best_val_loss": best, "last_val": last_val}


def main(argv=None):
    args = build_parser().parse_args(argv)
    train(args)


if __name__ == "__main__":
    main()
