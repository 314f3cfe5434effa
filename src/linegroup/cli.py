"""The `linegroup` command line: synth, train, predict, evaluate, convert.

    linegroup synth OUT --num 2000 --val 200          # synthetic training data
    linegroup train --train_json ... (see main.py)    # train SmallUNet
    linegroup predict chart.png --out results/        # separate the lines of charts
    linegroup evaluate --json val.json --img_dir val/ # score a model against ground truth
    linegroup convert chartinfo JSON_DIR IMG_DIR out.json
    linegroup demo                                    # generate, predict, evaluate

Each subcommand's --help explains its flags.
"""

from __future__ import annotations

import argparse
import sys

HELP = argparse.ArgumentDefaultsHelpFormatter


def _synth(sub):
    p = sub.add_parser("synth", help="write a synthetic COCO-like line-chart dataset", formatter_class=HELP,
                       description="Render line charts with matplotlib and write OUT/train.json, OUT/train/*.png, "
                                   "OUT/val.json and OUT/val/*.png with exact polylines (category 2 = line).")
    p.add_argument("out", help="output folder")
    p.add_argument("--num", type=int, default=1000, help="number of training charts")
    p.add_argument("--val", type=int, default=100, help="number of validation charts")
    p.add_argument("--seed", type=int, default=0, help="random seed; the output depends only on it")
    p.add_argument("--workers", type=int, default=2, help="parallel rendering processes")
    p.add_argument("--size", type=int, nargs=2, default=[300, 1200], metavar=("MIN", "MAX"),
                   help="range of figure width/height in pixels")
    p.add_argument("--hard", action="store_true",
                   help="hard setting: 6-12 lines, >=40%% same-colour/grayscale charts, every image degraded")

    def run(a):
        from .synth import SynthConfig, write_split

        cfg = SynthConfig(hard=a.hard, min_size=a.size[0], max_size=a.size[1])
        for split, n in (("train", a.num), ("val", a.val)):
            if n > 0:
                path = write_split(a.out, split, n, a.seed, a.workers, cfg)
                print(f"wrote {path} ({n} charts)")
        return 0

    p.set_defaults(func=run)


def _train(sub):
    from .train import build_parser, train

    p = sub.add_parser("train", help="train SmallUNet (same flags as main.py)", formatter_class=HELP,
                       description="Train SmallUNet line embeddings with the discriminative loss.")
    build_parser(p)
    p.set_defaults(func=lambda a: (train(a), 0)[1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="linegroup", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in ADDERS:
        add(sub)
    args = parser.parse_args(argv)
    return args.func(args) or 0


ADDERS = [_synth, _train]

if __name__ == "__main__":
    sys.exit(main())
