"""What a user waits for: `linegroup predict` on one chart, and per chart in a batch.

    python benchmarks/bench_cli.py [--num 40] [--repeats 3] [--checkpoint CKPT] [--workers N] [--out NAME]

Draws NUM + 1 charts of 800x600 (`linegroup synth`, seed 5, resized), then times, as
subprocesses with the default outputs (mask, JSON, overlay):
  single   `linegroup predict one.png --out DIR`: start-up, imports, weights, one chart;
  batch    `linegroup predict FOLDER --out DIR` over NUM + 1 charts.
Per chart beyond the first = (batch - single) / NUM. Each is the median of REPEATS runs.
--workers is passed to predict (0, its default: one worker per core for the batch; 1: one
process). Writes benchmarks/results/NAME.md (default bench_cli.md).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
import cv2  # noqa: E402

from linegroup.synth import SynthConfig, render_chart  # noqa: E402


def charts(folder: str, n: int) -> None:
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        img, _, _ = render_chart(5, "bench", i, SynthConfig(variety=True))
        img = cv2.resize(img, (800, 600), interpolation=cv2.INTER_AREA)
        cv2.imwrite(os.path.join(folder, f"chart_{i:03d}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def timed(args: list) -> float:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "linegroup.cli", *args], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))
    if r.returncode:
        raise SystemExit(f"linegroup {' '.join(args)} failed:\n{r.stderr[-2000:]}")
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--num", type=int, default=40, help="charts beyond the first in the batch")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each command (the median is reported)")
    ap.add_argument("--checkpoint", default=None, help="default: the shipped weights")
    ap.add_argument("--workers", type=int, default=0, help="predict's --workers (0: its default, auto)")
    ap.add_argument("--out", default="bench_cli", help="name of the result file in benchmarks/results")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench_cli_")
    try:
        folder = os.path.join(work, "charts")
        charts(folder, a.num + 1)
        extra = (["--checkpoint", a.checkpoint] if a.checkpoint else []) + ["--workers", str(a.workers)]
        one = os.path.join(folder, "chart_000.png")
        single = statistics.median(timed(["predict", one, "--out", os.path.join(work, f"s{r}")] + extra)
                                   for r in range(a.repeats))
        batch = statistics.median(timed(["predict", folder, "--out", os.path.join(work, f"b{r}")] + extra)
                                  for r in range(a.repeats))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per = (batch - single) / a.num
    text = "\n".join([
        f"`linegroup predict --workers {a.workers}`, default outputs (mask, JSON, overlay), 800x600 charts, "
        f"median of {a.repeats} runs; "
        f"load average {os.getloadavg()[0]:.1f} at the end.", "",
        "| run | seconds |", "|---|---|",
        f"| single chart, in all (start-up, imports, weights, one chart) | {single:.2f} |",
        f"| batch of {a.num + 1} charts | {batch:.2f} |",
        f"| per chart beyond the first | {per:.3f} |"])
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks", "results", f"{a.out}.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
