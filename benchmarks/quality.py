"""Quality tables: the default grouping (links) against the seed's DBSCAN grouping and
the colour and connected-component baselines, on three sets.

    python benchmarks/quality.py [--checkpoint CKPT] [--sets hard foreign chartinfo] [--modes oracle e2e]

Sets:
  hard       the hard synthetic validation set (matplotlib, seed 7, never trained on):
             6-12 lines, >= 40% same-colour or grayscale charts, every image degraded;
             truth = the polylines rasterised at 2 px
  foreign    charts drawn by plotly and pygal (benchmarks/foreign.py; never trained
             on), truth = each line's exact drawn pixels; its "tune" split is the one
             thresholds were looked at on, the tables report the "report" split
             (--foreign_split tune to see the other)
  chartinfo  the CHART-Info samples in ../shared/fixtures/chartinfo, if present
Modes: oracle (the true line pixels are the candidates: only the grouping is scored) and
e2e (the model finds its own candidates). Reports go to benchmarks/results/*.json, the
markdown tables to benchmarks/results/quality_tables.md and the terminal.
"""

import argparse
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.evaluate import evaluate_dataset, summarise, write_report  # noqa: E402
from linegroup.formats import convert_chartinfo  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.synth import SynthConfig, write_split  # noqa: E402

COLS = [("ari", "ARI"), ("pq", "PQ"), ("count", "count acc"), ("s6a", "6a"), ("s6b", "6b"),
        ("pix_p", "pixel P"), ("pix_r", "pixel R"), ("grouping_ms", "grouping ms")]


def table(summary: dict, title: str) -> str:
    cols = [(k, n) for k, n in COLS if any(k in r for g in summary.values() for r in g.values())]
    out = [f"**{title}**", "", "| method | group | charts | " + " | ".join(n for _, n in cols) + " |",
           "|---|---|---|" + "---|" * len(cols)]
    groups = sorted({g for m in summary.values() for g in m}, key=lambda g: (g == "all", g))
    for g in groups:
        for method, rows in summary.items():
            if g in rows:
                row = rows[g]
                out.append(f"| {method} | {g} | {row['n']} | " + " | ".join(
                    (f"{row[k]:.1f}" if k == "grouping_ms" else f"{row[k]:.3f}") if k in row else "-"
                    for k, _ in cols) + " |")
    return "\n".join(out)


def compare(json_path, img_dir, groupers: dict, mode: str, split: str = "", progress: bool = True) -> dict:
    """Every grouper ('links', 'dbscan') and both baselines on one set; one report."""
    per_chart, errors = [], []
    first = True
    for name, g in groupers.items():
        methods = ("model", "color", "cc") if first else ("model",)
        r = evaluate_dataset(json_path, img_dir, g, mode, methods, split=split, progress=progress)
        for c in r["per_chart"]:
            if c["method"] == "model":
                c["method"] = name
        per_chart += r["per_chart"]
        errors += r["errors"]
        first = False
    return {"mode": mode, "json": json_path, "split": split, "per_chart": per_chart,
            "summary": summarise(per_chart), "errors": errors}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="default: the shipped weights")
    ap.add_argument("--sets", nargs="+", default=["hard", "foreign", "chartinfo"],
                    choices=["hard", "foreign", "chartinfo"])
    ap.add_argument("--modes", nargs="+", default=["oracle", "e2e"], choices=["oracle", "e2e"])
    ap.add_argument("--num", type=int, default=100, help="charts in the hard validation set")
    ap.add_argument("--work", default="runs/quality", help="where the hard set is drawn")
    ap.add_argument("--foreign", default="runs/foreign", help="the foreign set (benchmarks/foreign.py --out)")
    ap.add_argument("--foreign_split", default="report", help="split of the foreign set to score")
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results"))
    a = ap.parse_args()
    os.makedirs(a.results, exist_ok=True)
    groupers = {"links": LineGrouper.load(a.checkpoint), "dbscan": LineGrouper.load(a.checkpoint, grouping="dbscan")}
    sets = {}
    if "hard" in a.sets:
        val_json = os.path.join(a.work, "val.json")
        if not os.path.exists(val_json):
            write_split(a.work, "val", a.num, seed=7, workers=2, cfg=SynthConfig(hard=True))
        sets["hard"] = (val_json, os.path.join(a.work, "val"), "", f"Hard synthetic set ({a.num} charts)")
    if "foreign" in a.sets:
        fj = os.path.join(a.foreign, "foreign.json")
        if not os.path.exists(fj):
            sys.exit(f"{fj}: no foreign set; draw it with: python benchmarks/foreign.py --out {a.foreign}")
        sets["foreign"] = (fj, os.path.join(a.foreign, "images"), a.foreign_split,
                           f"Foreign renderers (plotly, pygal), split '{a.foreign_split}'")
    fixtures = os.path.join(ROOT, "..", "shared", "fixtures", "chartinfo")
    if "chartinfo" in a.sets and os.path.isdir(fixtures):
        coco = os.path.join(a.work, "chartinfo.json")
        os.makedirs(a.work, exist_ok=True)
        convert_chartinfo(fixtures, fixtures, coco)
        sets["chartinfo"] = (coco, fixtures, "", "CHART-Info samples (3 charts)")
    tables = []
    for key, (js, img_dir, split, title) in sets.items():
        for mode in a.modes:
            r = compare(js, img_dir, groupers, mode, split)
            tag = f"{key}_{split}" if split else key
            write_report(os.path.join(a.results, f"quality_{tag}_{mode}.json"), r)
            tables.append(table(r["summary"], f"{title}, {mode} mode"))
            print(tables[-1] + "\n", flush=True)
    with open(os.path.join(a.results, "quality_tables.md"), "w") as f:
        f.write("\n\n".join(tables) + "\n")


if __name__ == "__main__":
    main()
