"""Quality tables: linegroup against the colour and connected-component baselines.

    python benchmarks/quality.py [--checkpoint CKPT] [--num 100] [--work runs/quality]

1. generates the hard validation set (seed 7, a seed never used for training):
   6-12 lines, >= 40% same-colour or grayscale charts, every image degraded;
2. scores the model and both baselines in oracle and e2e mode, per group;
3. ablation: the same without column tracing, without any geometric pass, and (e2e)
   without the plot-area crop, the swatch/tick removal, the core clustering, the stray-piece
   removal, or all four;
4. scores the CHART-Info samples in ../shared/fixtures/chartinfo (if present).
Reports go to benchmarks/results/*.json; the markdown tables are printed.
"""

import argparse
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.cluster import GroupParams  # noqa: E402
from linegroup.evaluate import evaluate_dataset, write_report  # noqa: E402
from linegroup.formats import convert_chartinfo  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.synth import SynthConfig, write_split  # noqa: E402

COLS = [("ari", "ARI"), ("pq", "PQ"), ("count", "count acc"), ("s6a", "6a"), ("s6b", "6b"),
        ("pix_p", "pixel P"), ("pix_r", "pixel R")]


def table(summary: dict, title: str) -> str:
    cols = [(k, n) for k, n in COLS if any(k in r for g in summary.values() for r in g.values())]
    out = [f"**{title}**", "", "| method | group | charts | " + " | ".join(n for _, n in cols) + " |",
           "|---|---|---|" + "---|" * len(cols)]
    for method, groups in summary.items():
        for g, row in groups.items():
            out.append(f"| {method} | {g} | {row['n']} | " + " | ".join(
                f"{row[k]:.3f}" if k in row else "-" for k, _ in cols) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="default: the shipped weights")
    ap.add_argument("--num", type=int, default=100, help="charts in the hard validation set")
    ap.add_argument("--work", default="runs/quality")
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results"))
    a = ap.parse_args()
    os.makedirs(a.results, exist_ok=True)
    val_json = os.path.join(a.work, "val.json")
    if not os.path.exists(val_json):
        write_split(a.work, "val", a.num, seed=7, workers=2, cfg=SynthConfig(hard=True))
    img_dir = os.path.join(a.work, "val")
    g = LineGrouper.load(a.checkpoint)
    tables, abl = [], {}
    g_raw = LineGrouper.load(a.checkpoint, params=GroupParams(postprocess=False))
    g_notrace = LineGrouper.load(a.checkpoint, params=GroupParams(trace=False))
    g_nocrop = LineGrouper.load(a.checkpoint, plot_area=False)
    # e2e only: the steps that act on the model's own candidates
    e2e_ablations = {
        "no plot-area crop": g_nocrop,
        "no swatch/tick removal": LineGrouper.load(a.checkpoint, drop_marks=False),
        "no core clustering": LineGrouper.load(a.checkpoint, core_threshold=1.0),
        "no stray-piece removal": LineGrouper.load(a.checkpoint, drop_strays=False),
        "none of crop, swatch/tick removal, core, strays": LineGrouper.load(
            a.checkpoint, plot_area=False, drop_marks=False, core_threshold=1.0, drop_strays=False),
    }
    for mode in ("oracle", "e2e"):
        r = evaluate_dataset(val_json, img_dir, g, mode, ("model", "color", "cc"))
        write_report(os.path.join(a.results, f"quality_{mode}.json"), r)
        tables.append(table(r["summary"], f"Hard synthetic validation set ({a.num} charts), {mode} mode"))
        abl[f"with post-processing, {mode}"] = r["summary"]["model"]["all"]
        r = evaluate_dataset(val_json, img_dir, g_notrace, mode, ("model",))
        abl[f"no column tracing, {mode}"] = r["summary"]["model"]["all"]
        r = evaluate_dataset(val_json, img_dir, g_raw, mode, ("model",))
        abl[f"no post-processing at all, {mode}"] = r["summary"]["model"]["all"]
        if mode == "e2e":
            for name, ga in e2e_ablations.items():
                r = evaluate_dataset(val_json, img_dir, ga, mode, ("model",))
                abl[f"{name}, e2e"] = r["summary"]["model"]["all"]
    write_report(os.path.join(a.results, "ablation_postprocess.json"), abl)
    tables.append(table({"model": abl}, "Ablation: geometric post-processing, column tracing, and the e2e steps "
                        "on the model's own candidates (all charts)"))

    fixtures = os.path.join(ROOT, "..", "shared", "fixtures", "chartinfo")
    if os.path.isdir(fixtures):
        coco = os.path.join(a.work, "chartinfo.json")
        convert_chartinfo(fixtures, fixtures, coco)
        for mode in ("oracle", "e2e"):
            r = evaluate_dataset(coco, fixtures, g, mode, ("model", "color", "cc"), progress=False)
            if mode == "e2e":
                extra = {}
                for name, ga in e2e_ablations.items():
                    r2 = evaluate_dataset(coco, fixtures, ga, mode, ("model",), progress=False)
                    extra[f"model, {name}"] = r2["summary"]["model"]
                    r["per_chart"] += [dict(c, method=f"model, {name}") for c in r2["per_chart"]]
                r["summary"] = {"model": r["summary"]["model"], **extra,
                                **{k: v for k, v in r["summary"].items() if k != "model"}}
            write_report(os.path.join(a.results, f"chartinfo_{mode}.json"), r)
            per = [f"{c['image'][:24]}:{c['method']} n={c['n_true']}/{c['n_pred']} ARI={c['ari']:.2f} "
                   f"PQ={c['pq']:.2f} 6b={c['s6b']:.2f}" for c in r["per_chart"]]
            tables.append(table(r["summary"], f"CHART-Info samples, {mode} mode") + "\n\n" + "\n".join(
                f"    {p}" for p in per))
    print("\n\n".join(tables))
    with open(os.path.join(a.results, "quality_tables.md"), "w") as f:
        f.write("\n\n".join(tables) + "\n")


if __name__ == "__main__":
    main()
