"""Quality against training time: scores of several checkpoints on a hard synthetic set.

    python benchmarks/quality_curve.py CKPT [CKPT ...] [--work runs/quality] [--limit 30]
                                       [--seed 7] [--mode oracle|e2e]

The default set is benchmarks/quality.py's (seed 7). To choose between checkpoints
without looking at the reported set, draw another: --work runs/select11 --seed 11
(the set is generated there, 100 hard charts, if the folder has none).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from linegroup.checkpoint import load_checkpoint, model_from_checkpoint  # noqa: E402
from linegroup.evaluate import evaluate_dataset  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.synth import SynthConfig, write_split  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--work", default="runs/quality", help="folder with the hard set (benchmarks/quality.py)")
    ap.add_argument("--limit", type=int, default=30, help="first N charts (0 = all)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the hard set, if --work has none yet")
    ap.add_argument("--mode", choices=("oracle", "e2e"), default="oracle")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.work, "val.json")):
        write_split(a.work, "val", 100, seed=a.seed, workers=2, cfg=SynthConfig(hard=True))
    print("| step | ARI | PQ | count acc | 6b |\n|---|---|---|---|---|")
    for ck in a.checkpoints:
        ckpt = load_checkpoint(ck)  # read once: the weights and the step they were saved at
        g = LineGrouper(model_from_checkpoint(ckpt).float(), source=ck)
        r = evaluate_dataset(os.path.join(a.work, "val.json"), os.path.join(a.work, "val"), g,
                             a.mode, ("model",), limit=a.limit, progress=False)
        step = ckpt.get("global_step")
        s = r["summary"]["model"]["all"]
        print(f"| {step} | {s['ari']:.3f} | {s['pq']:.3f} | {s['count']:.3f} | {s['s6b']:.3f} |")
