"""Quality against training time: oracle scores of several checkpoints on the hard set.

    python benchmarks/quality_curve.py CKPT [CKPT ...] [--work runs/quality] [--limit 30]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.checkpoint import load_checkpoint, model_from_checkpoint  # noqa: E402
from linegroup.evaluate import evaluate_dataset  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--work", default="runs/quality", help="folder with the hard set (benchmarks/quality.py)")
    ap.add_argument("--limit", type=int, default=30)
    a = ap.parse_args()
    print("| step | ARI | PQ | count acc | 6b |\n|---|---|---|---|---|")
    for ck in a.checkpoints:
        ckpt = load_checkpoint(ck)  # read once: the weights and the step they were saved at
        g = LineGrouper(model_from_checkpoint(ckpt).float(), source=ck)
        r = evaluate_dataset(os.path.join(a.work, "val.json"), os.path.join(a.work, "val"), g,
                             "oracle", ("model",), limit=a.limit, progress=False)
        step = ckpt.get("global_step")
        s = r["summary"]["model"]["all"]
        print(f"| {step} | {s['ari']:.3f} | {s['pq']:.3f} | {s['count']:.3f} | {s['s6b']:.3f} |")
