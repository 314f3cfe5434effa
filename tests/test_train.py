"""Training end to end on tiny data: checkpoints, resume, atomic saves, DDP."""

import csv
import os
import socket
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, SRC, write_dataset, write_dataset_with_label_masks
from linegroup.checkpoint import load_checkpoint, save_checkpoint
from linegroup.train import build_parser, train

TINY_ARGS = ["--base", "4", "--depth", "2", "--emb_dim", "4", "--crop_size", "48", "--batch_size", "2",
             "--num_workers", "0", "--max_steps", "2", "--seed", "1"]


def _args(tmp_path, *extra):
    path, img_dir = write_dataset(str(tmp_path / "data"), n=4)
    return build_parser().parse_args(["--train_json", path, "--train_img_dir", img_dir, "--val_json", path,
                                      "--val_img_dir", img_dir, "--save_dir", str(tmp_path / "ck"),
                                      *TINY_ARGS, *extra])


def test_tiny_run_writes_all_checkpoints_and_logs(tmp_path):
    args = _args(tmp_path, "--epochs", "2", "--keep_every", "2")
    out = train(args)
    ck = tmp_path / "ck"
    assert sorted(p.name for p in ck.glob("ckpt_epoch*.pt")) == ["ckpt_epoch002.pt"]
    for name in ("ckpt_last.pt", "ckpt_best.pt", "ckpt_final.pt", "ckpt_epoch002.pt"):
        c = torch.load(ck / name, weights_only=True)  # plain dict, safe loader
        assert set(c) >= {"model", "optimizer", "scheduler", "epoch", "global_step", "best_val_loss",
                          "model_config", "args"}
    final = load_checkpoint(str(ck / "ckpt_final.pt"))
    assert final["global_step"] == 4 and final["epoch"] == 1
    assert final["model_config"]["base"] == 4 and final["args"]["crop_size"] == 48
    assert final["best_val_loss"] == out["best_val_loss"] < float("inf")
    rows = list(csv.DictReader(open(ck / "log.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2"] and float(rows[0]["val_loss"]) > 0
    assert (ck / "loss_curves.png").stat().st_size > 1000


def test_a_run_on_exact_targets_trains_and_records_them(tmp_path):
    path, img_dir = write_dataset_with_label_masks(str(tmp_path / "data"), n=4)
    args = build_parser().parse_args(["--train_json", path, "--train_img_dir", img_dir, "--val_json", path,
                                      "--val_img_dir", img_dir, "--save_dir", str(tmp_path / "ck"),
                                      "--targets", "exact", "--epochs", "1", *TINY_ARGS])
    out = train(args)
    final = load_checkpoint(str(tmp_path / "ck" / "ckpt_final.pt"))
    assert final["args"]["targets"] == "exact" and final["global_step"] == 2
    assert 0 < out["best_val_loss"] < float("inf")


def test_resume_continues_the_counters(tmp_path):
    train(_args(tmp_path, "--epochs", "1"))
    first = load_checkpoint(str(tmp_path / "ck" / "ckpt_last.pt"))
    out = train(_args(tmp_path, "--epochs", "3", "--resume", str(tmp_path / "ck" / "ckpt_last.pt")))
    last = load_checkpoint(str(tmp_path / "ck" / "ckpt_final.pt"))
    assert first["global_step"] == 2 and last["global_step"] == 6 and last["epoch"] == 2
    assert out["best_val_loss"] <= first["best_val_loss"]
    # the optimizer state went on from the checkpoint (Adam's step count)
    steps = [s["step"] for s in last["optimizer"]["state"].values()]
    assert all(float(s) == 6 for s in steps)
    assert [r["epoch"] for r in csv.DictReader(open(tmp_path / "ck" / "log.csv"))] == ["1", "2", "3"]


def test_a_save_killed_half_way_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    p = str(tmp_path / "ckpt_last.pt")
    save_checkpoint(p, {"model": {"w": torch.ones(3)}, "model_config": {}, "epoch": 1})

    def dying_save(obj, f):
        f.write(b"partial bytes")
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(torch, "save", dying_save)  # checkpoint.py imports torch where it saves
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(p, {"model": {"w": torch.zeros(3)}, "model_config": {}, "epoch": 2})
    monkeypatch.undo()
    c = load_checkpoint(p)
    assert c["epoch"] == 1 and c["model"]["w"].sum() == 3
    assert [f for f in os.listdir(tmp_path) if f.startswith(".tmp_")] == []


def test_main_py_rejects_an_empty_dataset(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text('{"images": [], "annotations": []}')
    r = subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), "--train_json", str(empty),
                        "--train_img_dir", str(tmp_path), "--val_json", str(empty), "--val_img_dir",
                        str(tmp_path), "--save_dir", str(tmp_path / "ck")], capture_output=True, text=True)
    assert r.returncode != 0 and "empty.json: empty dataset" in r.stderr
    assert "Traceback" not in r.stderr


def test_two_process_ddp_on_cpu(tmp_path):
    path, img_dir = write_dataset(str(tmp_path / "data"), n=8)
    env = dict(os.environ, PYTHONPATH=SRC, OMP_NUM_THREADS="1")
    with socket.socket() as sock:  # a free port: a fixed one can still be held by the last run's sockets
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", port,
           os.path.join(ROOT, "main.py"), "--train_json", path, "--train_img_dir", img_dir, "--val_json", path,
           "--val_img_dir", img_dir, "--save_dir", str(tmp_path / "ck"), "--epochs", "1", "--device", "cpu",
           *TINY_ARGS]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    c = load_checkpoint(str(tmp_path / "ck" / "ckpt_final.pt"))
    assert c["global_step"] == 2  # 8 images / (2 processes x batch 2) = 2 steps
    assert not any(k.startswith("module.") for k in c["model"])
    assert len(open(tmp_path / "ck" / "log.csv").read().splitlines()) == 2  # header + 1 row, rank 0 only


def test_cli_train_forwards_its_flags_and_other_commands_start_without_torch(tmp_path):
    from linegroup.cli import main

    path, img_dir = write_dataset(str(tmp_path / "data"), n=2)
    assert main(["train", "--train_json", path, "--train_img_dir", img_dir, "--val_json", path, "--val_img_dir",
                 img_dir, "--save_dir", str(tmp_path / "ck"), "--epochs", "1", *TINY_ARGS]) == 0
    assert (tmp_path / "ck" / "ckpt_final.pt").exists()
    code = ("import sys\nfrom linegroup.cli import main\ntry:\n    main(['predict', '--help'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=SRC), cwd=ROOT)
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stderr
