"""Generator speed: charts per second with N workers.

    python benchmarks/bench_synth.py [--num 200] [--workers 2]
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.synth import write_split  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--num", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        write_split(d, "train", a.num, seed=0, workers=a.workers, progress=False)
        dt = time.perf_counter() - t
    print(f"| workers | charts | seconds | charts/s |\n|---|---|---|---|\n| {a.workers} | {a.num} | {dt:.1f} | {a.num / dt:.1f} |")
