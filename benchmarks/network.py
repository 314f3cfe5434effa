"""The network: speed of the layouts we considered, and line-pixel quality of trained
checkpoints on the hard set and the foreign set, as drawn and inverted to a dark theme.

    python benchmarks/network.py speed                      # ms at 800x600, 2 threads, per layout
    python benchmarks/network.py quality --checkpoint A.pt [B.pt ...] [--sets hard foreign] [--limit N]

speed: every layout below, BatchNorm folded and channels-last as `predict` runs it; the
median of ROUNDS forward passes after a warm-up, the layouts interleaved round by round so
that a busy machine slows them alike. Untrained weights: speed does not depend on them.

quality: end to end (the model finds its own candidates; the whole predict pipeline, so
the line pixels are those it reports), line-pixel precision and recall with the 2-px
tolerance of `linegroup evaluate`, overall and per stratum, and ARI / PQ for reference.
"inverted" scores the same charts as 255 minus the image (a dark theme); the inverted
copies are written once under runs/inverted/. Sets: `hard` = the hard synthetic
validation set (runs/quality, `linegroup synth --hard`, seed 7), `foreign` = the report
split of the foreign-renderer set (runs/foreign; never trained or tuned on).
Results: benchmarks/results/network_speed.md, network_quality.json and network_quality.md.
"""

import argparse
import json
import os
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from linegroup.model import SmallUNet, UNetConfig, fuse_conv_bn, num_parameters  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "results")
ROUNDS = 15
LAYOUTS = {  # name: (config, what it is)
    "v1 (seed layout)": (UNetConfig(base=8, depth=5), "DoubleConv at full resolution, widths 8-256, depth 5"),
    "v2 (shipped)": (UNetConfig(depth=4, widths=(16, 16, 32, 64, 128), stem_stride=2),
                     "strided stem, half-resolution U-Net 16-128, depth 4, PixelShuffle head"),
    "v2 narrow stem": (UNetConfig(depth=4, widths=(8, 16, 32, 64, 128), stem_stride=2),
                       "as v2 with 8 stem channels (head fed by 8 features)"),
    "v2 deeper": (UNetConfig(depth=5, widths=(16, 16, 32, 48, 64, 96), stem_stride=2),
                  "as v2 with one more level (1/64), widths 16-96"),
    "v1 halved": (UNetConfig(base=4, depth=5), "the seed layout with half the channels (4-128)"),
}
SETS = {"hard": ("runs/quality/val.json", "runs/quality/val", ""),
        "foreign": ("runs/foreign/foreign.json", "runs/foreign/images", "report")}


def speed(threads: int = 2, h: int = 600, w: int = 800) -> str:
    from torch.utils.flop_counter import FlopCounterMode

    torch.set_num_threads(threads)
    x = torch.rand(1, 3, h, w).contiguous(memory_format=torch.channels_last)
    models, gmac = {}, {}
    for name, (cfg, _) in LAYOUTS.items():
        m = fuse_conv_bn(SmallUNet(cfg).eval()).to(memory_format=torch.channels_last)
        with torch.inference_mode(), FlopCounterMode(display=False) as fc:
            m(x)
        models[name], gmac[name] = m, fc.get_total_flops() / 2e9
    times = {name: [] for name in models}
    with torch.inference_mode():
        for m in models.values():  # warm-up
            m(x)
        for _ in range(ROUNDS):
            for name, m in models.items():
                t = time.perf_counter()
                m(x)
                times[name].append(1000 * (time.perf_counter() - t))
    out = [f"Forward pass at {w}x{h}, {threads} threads, BatchNorm folded, channels-last; median (min) of "
           f"{ROUNDS} rounds; load average {os.getloadavg()[0]:.1f} at the end.", "",
           "| layout | what it is | parameters | GMAC | ms median | ms min |", "|---|---|---|---|---|---|"]
    for name, (cfg, what) in LAYOUTS.items():
        t = np.asarray(times[name])
        out.append(f"| {name} | {what} | {num_parameters(models[name]):,} | {gmac[name]:.2f} | "
                   f"{np.median(t):.0f} | {t.min():.0f} |")
    return "\n".join(out)


def inverted_copy(json_path: str, img_dir: str, name: str) -> str:
    """runs/inverted/NAME/: every image of img_dir as 255 minus itself (written once)."""
    out = os.path.join(ROOT, "runs", "inverted", name)
    os.makedirs(out, exist_ok=True)
    for im in json.load(open(json_path))["images"]:
        dst = os.path.join(out, im["file_name"])
        if not os.path.exists(dst):
            cv2.imwrite(dst, 255 - cv2.imread(os.path.join(img_dir, im["file_name"]), cv2.IMREAD_COLOR))
    return out


def quality(checkpoints: list, sets: list, limit: int, dark_as_light: bool = True) -> dict:
    from linegroup.evaluate import evaluate_dataset
    from linegroup.predict import LineGrouper

    rows = []
    for ckpt in checkpoints:
        grouper = LineGrouper.load(ckpt, dark_as_light=dark_as_light)
        for s in sets:
            json_path, img_dir, split = SETS[s]
            json_path, img_dir = os.path.join(ROOT, json_path), os.path.join(ROOT, img_dir)
            for theme in ("as drawn", "inverted"):
                d = img_dir if theme == "as drawn" else inverted_copy(json_path, img_dir, s)
                r = evaluate_dataset(json_path, d, grouper, "e2e", split=split, limit=limit)
                summ = r["summary"]["model"]
                strata = {g: v for g, v in summ.items() if g != "all"}
                worst = min(strata, key=lambda g: strata[g].get("pix_r", 1.0)) if strata else "all"
                rows.append({"checkpoint": ckpt, "set": s, "theme": theme, "charts": summ["all"]["n"],
                             **{k: summ["all"].get(k) for k in ("pix_p", "pix_r", "ari", "pq", "count", "network_ms")},
                             "worst_stratum": worst, "worst_recall": strata.get(worst, summ["all"]).get("pix_r"),
                             "strata": {g: {k: v.get(k) for k in ("n", "pix_p", "pix_r")} for g, v in strata.items()},
                             "errors": r["errors"]})
                print(rows[-1]["set"], theme, {k: rows[-1][k] for k in ("pix_p", "pix_r", "worst_stratum",
                                                                          "worst_recall")}, flush=True)
    return {"rows": rows}


def quality_table(res: dict) -> str:
    out = ["| checkpoint | set | theme | charts | pixel P | pixel R | lowest stratum R | ARI | PQ | count acc |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        out.append(f"| {os.path.basename(r['checkpoint'] or 'shipped')} | {r['set']} | {r['theme']} | {r['charts']} | "
                   f"{r['pix_p']:.3f} | {r['pix_r']:.3f} | {r['worst_recall']:.3f} ({r['worst_stratum']}) | "
                   f"{r['ari']:.3f} | {r['pq']:.3f} | {r['count']:.3f} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("speed", help="ms, parameters and GMAC of each layout")
    sp.add_argument("--threads", type=int, default=2, help="torch threads")
    q = sub.add_parser("quality", help="line-pixel precision and recall of checkpoints, as drawn and inverted")
    q.add_argument("--checkpoint", nargs="+", default=[None], help="checkpoints to score (default: the shipped weights)")
    q.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    q.add_argument("--limit", type=int, default=0, help="at most N charts per set (0 = all)")
    q.add_argument("--out", default="network_quality", help="name of the result files in benchmarks/results")
    q.add_argument("--dark_as_light", default="on", choices=["on", "off"],
                   help="off: show dark charts to the network as they are (predict.is_dark), to measure what it adds")
    t = sub.add_parser("table", help="one markdown table from several quality results (benchmarks/results/NAME.json)")
    t.add_argument("names", nargs="+")
    t.add_argument("--out", default="network_quality", help="name of the markdown file in benchmarks/results")
    a = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    if a.cmd == "speed":
        text = speed(a.threads)
        open(os.path.join(RESULTS, "network_speed.md"), "w").write(text + "\n")
    elif a.cmd == "table":
        rows = [r for n in a.names for r in json.load(open(os.path.join(RESULTS, f"{n}.json")))["rows"]]
        text = quality_table({"rows": rows})
        open(os.path.join(RESULTS, f"{a.out}.md"), "w").write(text + "\n")
    else:
        res = quality(a.checkpoint, a.sets, a.limit, a.dark_as_light == "on")
        json.dump(res, open(os.path.join(RESULTS, f"{a.out}.json"), "w"), indent=1)
        text = quality_table(res)
        open(os.path.join(RESULTS, f"{a.out}.md"), "w").write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
