"""The `linegroup` command line: synth, train, predict, evaluate, convert.

    linegroup synth OUT --num 2000 --val 200          # synthetic training data
    linegroup train --train_json ... (see main.py)    # train SmallUNet
    linegroup predict chart.png --out results/        # separate the lines of charts
    linegroup evaluate --json val.json --img_dir val/ # score a model against ground truth
    linegroup convert chartinfo JSON_DIR IMG_DIR out.json
    linegroup demo                                    # generate, predict, evaluate
    linegroup serve                                   # a local page to check, correct and export lines

Each subcommand's --help explains its flags.
"""

from __future__ import annotations

import argparse
import sys

HELP = argparse.ArgumentDefaultsHelpFormatter
DEMO_HARD_SHARE = 0.33  # share of the demo's charts drawn with the hard setting (6-12 look-alike lines)
MAX_PIXELS = 64_000_000  # images.MAX_PIXELS, repeated here so that --help needs no image library


def _add_debug(p):
    p.add_argument("--debug", action="store_true",
                   help="show the Python traceback of an unexpected error (the batch goes on either way)")


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
    p.add_argument("--hard_frac", type=float, default=0.0,
                   help="without --hard: share of charts drawn with the hard setting anyway (training mixes)")
    p.add_argument("--variety", action="store_true",
                   help="draw about a third of the charts with other tools' looks (ggplot, seaborn, bmh, "
                        "fivethirtyeight, ... style sheets) and some with aliased lines")
    p.add_argument("--exact_masks", action="store_true",
                   help="also write each chart's exact drawn line pixels as a label mask (SPLIT_masks/NAME.png, "
                        "k = line k, 65535 = overlap), rendered line by line; slower")
    p.add_argument("--axes_variety", action="store_true",
                   help="tick labels of many kinds, one per chart: log y axes, negative ranges, scientific "
                        "notation, percentages, comma decimals, units, thousands separators, rotated x labels "
                        "(every chart's JSON records its true data values and axis ranges in any case)")
    p.add_argument("--marker_variety", action="store_true",
                   help="restyle half the lines as marker series: dense touching markers, hollow markers, markers "
                        "only, markers every k-th point (every chart's JSON records its marker centres in any case)")
    p.add_argument("--themes", action="store_true",
                   help="the looks users meet: dark and inverted charts, grey panels with white grids, very thin or "
                        "pale series, dotted series, grids and labels in a series' own colour, arrows pointing at "
                        "lines, markers on thin or dotted connectors, scanned pages, charts pasted on a page with "
                        "margins (a few per chart; the image field 'themes' names them)")
    p.add_argument("--level_frac", type=float, default=0.0,
                   help="share of series drawn near-level: values that vary by under 4%% of the chart's range, "
                        "beside series that span much of it (small values beside large ones)")
    p.add_argument("--legend_boxes", type=float, default=0.0,
                   help="share of legends drawn with a filled box in each series' colour instead of a line "
                        "sample (as pygal and Excel draw them)")

    def run(a):
        from .synth import SynthConfig, write_split

        for name in ("hard_frac", "level_frac", "legend_boxes"):
            if not 0.0 <= getattr(a, name) <= 1.0:
                print(f"error: --{name} must lie in [0, 1], got {getattr(a, name)}", file=sys.stderr)
                return 2
        cfg = SynthConfig(hard=a.hard, min_size=a.size[0], max_size=a.size[1], hard_frac=a.hard_frac,
                          variety=a.variety, exact_masks=a.exact_masks, axes_variety=a.axes_variety,
                          marker_variety=a.marker_variety, themes=a.themes, level_frac=a.level_frac,
                          legend_boxes=a.legend_boxes)
        for split, n in (("train", a.num), ("val", a.val)):
            if n > 0:
                path = write_split(a.out, split, n, a.seed, a.workers, cfg)
                print(f"wrote {path} ({n} charts)")
        return 0

    p.set_defaults(func=run)


def _train(sub):
    # The training flags live in train.build_parser, which needs torch: they are parsed only
    # when this command runs, so that every other command (and --help) starts without torch.
    p = sub.add_parser("train", help="train SmallUNet (same flags as main.py; `linegroup train --help` lists them)",
                       add_help=False, description="Train SmallUNet line embeddings with the discriminative loss.")

    def run(a):
        from .train import build_parser, train

        parser = argparse.ArgumentParser(prog="linegroup train", formatter_class=HELP, description=p.description)
        train(build_parser(parser).parse_args(a.rest))
        return 0

    p.set_defaults(func=run, takes_rest=True)


def _add_model_args(p):
    g = p.add_argument_group("network")
    g.add_argument("--checkpoint", default=None,
                   help="model checkpoint; default: the weights shipped with the package")
    g.add_argument("--links", default=None,
                   help="the grouping's link models (links.npz) fitted for --checkpoint's network with "
                        "scripts/fit_links.py; default: the ones shipped for the shipped weights")
    g.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"], help="where to run the network")
    g.add_argument("--runtime", default="auto", choices=["auto", "torch", "onnxruntime", "opencv"],
                   help="what runs the network: onnxruntime (or opencv, slower, needing no extra package) runs "
                        "the checkpoint's ONNX export (shipped for the shipped weights; scripts/export_onnx.py "
                        "for others) on the CPU without importing torch (about 1.6 s less start-up, same "
                        "outputs); torch runs any checkpoint on any device; auto: the export where one exists "
                        "and --device is cpu, by onnxruntime if installed, else opencv; torch otherwise")
    g.add_argument("--max_side", type=int, default=2048,
                   help="larger images are downscaled to this longer side for the network and the grouping; "
                        "each full-resolution candidate pixel then takes the label of its cell")
    g.add_argument("--fg_threshold", type=float, default=0.5,
                   help="line-pixel probability above which a pixel is a candidate (no --candidates); higher "
                        "keeps fewer pixels of text and background, lower more of pale and thin series")
    g.add_argument("--fg_low", type=float, default=0.25,
                   help="hysteresis: pixels above this probability are candidates too where they touch one "
                        "above --fg_threshold (the pale stretches of a series found elsewhere); set it to "
                        "--fg_threshold's value to turn it off")
    g = p.add_argument_group("grouping")
    g.add_argument("--grouping", default="links", choices=["links", "dbscan"],
                   help="links (default): cut the candidates into one-line fragments and link them by "
                        "continuation, ink colour, embedding and stroke, with learned link costs and a global "
                        "assignment; dbscan: the seed's method, DBSCAN on the learned embeddings")
    g.add_argument("--link_bias", type=float, default=-1.0,
                   help="links: log-odds a link must beat to be taken; raise it if lines come out merged, "
                        "lower it if one line comes out in pieces")
    g.add_argument("--eps", type=float, default=0.5, help="dbscan: radius in embedding space")
    g.add_argument("--min_samples", type=int, default=10, help="dbscan: core weight in pixels")
    g.add_argument("--min_line_pixels", type=int, default=25,
                   help="dbscan: smaller groups join the nearest line within 12 px, or are dropped")
    g = p.add_argument_group("the model's own candidates (ignored with --candidates)")
    g.add_argument("--keep_rulings", action="store_true",
                   help="keep grid and axis lines: by default, evenly spaced "
                        "horizontal rulings over 60%% of the width and vertical ones over 60%% of the height are "
                        "removed before grouping, and lines that look like rulings (thin vertical ones, or "
                        "straight horizontal ones over 30%% of the width) are dropped after it")
    g.add_argument("--keep_outside_axes", action="store_true",
                   help="keep pixels outside the plot area (the rectangle "
                        "the x and y axes enclose: tick labels, titles); left out by default when both axes "
                        "are found meeting at a corner")
    g.add_argument("--keep_marks", action="store_true",
                   help="keep legend entries and tick marks: by default, a legend's entries (a swatch with a "
                        "text label, repeated in a column or a row) and short strokes repeated in a column or a "
                        "row (a legend's line samples, ticks along an axis) are removed before grouping")
    g.add_argument("--no_ink_recall", action="store_true",
                   help="take the network's line pixels only: by default, the plot area's other pixels drawn "
                        "in the ink of a series it found (within 8 Lab units) join them, in strokes off the grid "
                        "that are long or lie within 5 px of its pixels (the pale, light or dotted stretches "
                        "and the sharp tips it missed)")
    g.add_argument("--keep_strays", action="store_true",
                   help="keep a line's stray pieces and whatever the series judge doubts: by default, pieces "
                        "of a line (pixels within 20 px of each other) holding under 5%% of its pixels are removed "
                        "(text glyphs, arrow heads that joined the line far from it), and so are lines that a "
                        "learned judge of extent, shape and ink takes for legend entries, labels, grid dashes "
                        "or background (candidates/series.py), or that are annotation arrows side by side")


def _grouper(a):
    from .grouping.dbscan import GroupParams
    from .predict import LineGrouper

    params = GroupParams(eps=a.eps, min_samples=a.min_samples, min_line_pixels=a.min_line_pixels)
    return LineGrouper.load(a.checkpoint, device=a.device, runtime=a.runtime, params=params, max_side=a.max_side,
                            fg_threshold=a.fg_threshold, fg_low=a.fg_low, drop_rulings=not a.keep_rulings,
                            plot_area=not a.keep_outside_axes, drop_marks=not a.keep_marks,
                            drop_strays=not a.keep_strays, grouping=a.grouping, link_bias=a.link_bias,
                            links=a.links, ink_recall=not a.no_ink_recall)


def _predict(sub):
    from .runner import MAX_AUTO, MIN_FILES
    p = sub.add_parser("predict", help="separate the lines of chart images", formatter_class=HELP,
                       description="For each image write NAME_mask.png (16-bit, 0 = none, k = line k), NAME.json "
                                   "(lines with colour and points), NAME_overlay.png, and on request the "
                                   "CHART-Info task-6 JSON and a digitiser CSV.")
    p.add_argument("inputs", nargs="+", help="chart images and/or folders of images")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--candidates", default=None,
                   help="candidate line-pixel mask (non-zero = candidate): a PNG for one input, or a folder "
                        "holding a mask with the same stem as each input; default: the model's own")
    p.add_argument("--format", nargs="+", default=["json"], choices=["json", "chartinfo", "csv"],
                   help="extra outputs: chartinfo -> NAME.chartinfo.json, csv -> NAME.csv")
    p.add_argument("--calib", default="", help="CSV axis calibration 'X1PX=X1VAL,X2PX=X2VAL;Y1PX=Y1VAL,Y2PX=Y2VAL'")
    p.add_argument("--log_x", action="store_true", help="the x axis is logarithmic (CSV calibration)")
    p.add_argument("--log_y", action="store_true", help="the y axis is logarithmic (CSV calibration)")
    p.add_argument("--csv_points", default="markers", choices=["markers", "columns", "both"],
                   help="CSV points of a line with markers: its marker points, its per-column points, or both "
                        "(a second column pair lineK_marker_x, lineK_marker_y); other lines: per-column points")
    p.add_argument("--embedding_png", action="store_true", help="also write NAME_embedding.png (PCA of the embedding)")
    p.add_argument("--axes", default="none", choices=["none", "auto"],
                   help="auto: read each chart's tick labels (OCR, needs pip install \"linegroup[axes]\") and map "
                        "the lines to axis units: NAME.json gains per line 'data' and an 'axes' block (maps, ticks "
                        "read, residuals, status); the CSV is in data units and the CHART-Info export gains 'data "
                        "series' when both axes are calibrated; an axis whose labels do not agree stays in pixels. "
                        "--calib still sets the CSV's units")
    g = p.add_argument_group("inputs", "PDF and SVG figures need the extra: pip install \"linegroup[pdf]\"")
    g.add_argument("--dpi", type=float, default=None,
                   help="rasterisation of PDF and SVG inputs in dots per inch; default 200 for PDF, 96 for SVG "
                        "(its own size); the outputs are in the rasterised pixels")
    g.add_argument("--page", type=int, default=None,
                   help="only this page (1-based) of each PDF; default: every page, as NAME_p1, NAME_p2, ...")
    g.add_argument("--workers", type=int, default=0,
                   help=f"processes that predict charts side by side; 0 (auto): one per CPU core (at most {MAX_AUTO}) "
                        f"for a batch of {MIN_FILES} or more inputs on the CPU without a --candidates folder, else 1 "
                        "(this process). "
                        "Each runs the network on cores / workers threads and needs its own memory "
                        "(about 0.8 GB for a 6000x4000 chart)")
    g.add_argument("--max_pixels", type=int, default=MAX_PIXELS,
                   help="refuse images (and PDF/SVG renderings) larger than this many pixels")
    _add_debug(p)
    _add_model_args(p)

    def run(a):
        import contextlib
        import os

        from tqdm import tqdm

        from .batch import OutputSet, Tally, collect_inputs, unique_stem
        from .checkpoint import CheckpointError
        from .formats import find_image, parse_calib
        from .images import ImageError, iter_pages
        from .runner import chart_outputs, freeze_heap, run_parallel, worker_count

        if a.calib:
            try:
                parse_calib(a.calib)
            except ValueError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
        if a.workers < 0:
            print(f"error: --workers must be 0 (auto) or more, got {a.workers}", file=sys.stderr)
            return 2
        for flag, value in (("--dpi", a.dpi), ("--page", a.page), ("--max_pixels", a.max_pixels)):
            if value is not None and value <= 0:
                print(f"error: {flag} must be positive, got {value}", file=sys.stderr)
                return 2
        if a.axes == "auto":
            from .axes import INSTALL_HINT, available

            if not available():
                print(f"error: {INSTALL_HINT}", file=sys.stderr)
                return 2
        files, skipped = collect_inputs(a.inputs)
        if a.candidates and not os.path.isdir(a.candidates) and len(files) > 1:
            print("error: --candidates is a single file but there are several inputs; pass a folder",
                  file=sys.stderr)
            return 2
        workers = worker_count(a.workers, len(files), a)
        grouper = None
        if workers == 1:  # else each worker loads its own
            try:
                grouper = _grouper(a)
            except CheckpointError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            if len(files) > 1:
                freeze_heap()
        os.makedirs(a.out, exist_ok=True)
        tally, used = Tally(skipped=skipped, write=lambda m: tqdm.write(m, file=sys.stderr)), set()

        @contextlib.contextmanager
        def named(path, page_no, pages):
            """The output stem of a chart, taken back if the chart fails (so that names do not
            depend on whether workers ran the batch: they report only the charts done)."""
            stem = unique_stem(path, used, page_no, pages)
            try:
                yield stem
            except BaseException:
                used.discard(stem)
                raise

        def write(stem, where, outputs, found, timing):
            out = OutputSet(a.out, stem)
            for suffix, data in outputs.items():
                out.add(suffix, data)
            out.commit()
            tqdm.write(f"{where}: {found} -> {os.path.join(a.out, stem)}.* {timing}")

        def one(path, page, where):
            with named(path, page.page, page.pages) as stem:
                cand = None
                if a.candidates:
                    cand = find_image(a.candidates, stem) if os.path.isdir(a.candidates) else a.candidates
                    if cand is None:
                        raise ImageError(f"{path}: no candidate mask named {stem}.* in {a.candidates}")
                write(stem, where, *chart_outputs(grouper, a, path, page, where, cand))

        bar = tqdm(total=len(files), desc="predict", unit="file", disable=len(files) < 2)
        if workers > 1:  # worker processes make the outputs; here they are written and reported in order
            def emit(path, events, failed):
                for kind, *rest in events:
                    if kind == "message":
                        tally.write(rest[0])
                        continue
                    page_no, pages, where, outputs, found, timing = rest
                    with tally.item(where, a.debug), named(path, page_no, pages) as stem:  # writing can fail too
                        write(stem, where, outputs, found, timing)
                tally.failed.extend(failed)
                bar.update()

            try:
                files = run_parallel(a, files, workers, emit)
            except CheckpointError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            if files:  # a worker died (killed, out of memory): the rest here, one by one
                tally.write(f"warning: a worker process ended unexpectedly; the remaining {len(files)} "
                            f"input(s) run in this process, from {files[0]}")
                grouper = _grouper(a)
        for path in files:  # here, one by one: the whole batch, or what a dead worker left
            with tally.item(path, a.debug, count=False):  # the file itself: missing, damaged, not an image
                for page in iter_pages(path, a.dpi, a.page, a.max_pixels):
                    name = f"{path} page {page.page}" if page.pages > 1 else path
                    with tally.item(name, a.debug):  # each page of a PDF on its own
                        if page.error:
                            raise ImageError(page.error)
                        one(path, page, name)
            bar.update()
        bar.close()
        print(tally.summary("charts") + f"; outputs in {a.out}")
        return tally.exit_code()

    p.set_defaults(func=run)


def _evaluate(sub):
    p = sub.add_parser("evaluate", help="score a model (and baselines) against ground truth", formatter_class=HELP,
                       description="Adjusted Rand index, panoptic quality, line-count accuracy and the CHART-Info "
                                   "6a/6b line scores, per chart and per group (image field 'group').")
    p.add_argument("--json", required=True, help="COCO-like ground truth")
    p.add_argument("--img_dir", required=True, help="folder of its images")
    p.add_argument("--mode", default="oracle", choices=["oracle", "e2e"],
                   help="oracle: candidates are the true line pixels; e2e: the model finds its own")
    p.add_argument("--baselines", action="store_true",
                   help="also score colour clustering (DBSCAN on Lab) and connected components")
    p.add_argument("--only_baselines", action="store_true", help="score the baselines alone (oracle mode, no model)")
    p.add_argument("--report", default="", help="write the per-chart and summary report to this JSON file")
    p.add_argument("--thickness", type=int, default=2, help="raster thickness of the true polylines (px)")
    p.add_argument("--line_category_id", type=int, default=2, help="category_id of line annotations")
    p.add_argument("--limit", type=int, default=0, help="evaluate at most N charts (0 = all)")
    p.add_argument("--split", default="", help="evaluate only the charts of this named split (image field "
                                                "'split', e.g. 'tune' or 'report' of the foreign-renderer set)")
    _add_debug(p)
    _add_model_args(p)

    def run(a):
        from .checkpoint import CheckpointError
        from .data import DataError
        from .evaluate import evaluate_dataset, format_table, write_report

        methods = ["color", "cc"] if a.only_baselines else (["model", "color", "cc"] if a.baselines else ["model"])
        try:
            grouper = None if a.only_baselines and a.mode == "oracle" else _grouper(a)
            result = evaluate_dataset(a.json, a.img_dir, grouper, a.mode, methods, a.thickness,
                                      a.line_category_id, a.limit, split=a.split, debug=a.debug)
        except (CheckpointError, DataError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(format_table(result["summary"]))
        for err in result["errors"]:
            print(f"error: {err}", file=sys.stderr)
        skipped = sum(result["skipped"].values())
        print(f"{result['scored']} of {result['scored'] + len(result['errors'])} charts scored, "
              f"{len(result['errors'])} failed, {skipped} annotation entries skipped"
              + "".join(f"\n  skipped: {n} x {r}" for r, n in result["skipped"].items()))
        if a.report:
            write_report(a.report, result)
            print(f"report: {a.report}")
        return 1 if result["errors"] else 0

    p.set_defaults(func=run)


def _convert(sub):
    p = sub.add_parser("convert", help="convert annotations from other formats to the COCO-like format",
                       formatter_class=HELP)
    csub = p.add_subparsers(dest="source", required=True, metavar="SOURCE")
    c = csub.add_parser("chartinfo", help="CHART-Info (ICPR 2022, UB-PMC, Adobe synthetic) -> COCO-like",
                        formatter_class=HELP,
                        description="Keep line charts (task1 chart_type 'line'), take task6 visual-element "
                                    "lines as polylines, and write one COCO-like JSON (category 2 = line).")
    c.add_argument("json_dir", help="folder of CHART-Info *.json files")
    c.add_argument("img_dir", help="folder of the chart images (same stem as each JSON)")
    c.add_argument("out_json", help="COCO-like JSON to write")
    c.add_argument("--line_category_id", type=int, default=2, help="category_id to give the lines")
    _add_debug(c)

    def run(a):
        from .formats import FormatError, convert_chartinfo

        try:
            counts = convert_chartinfo(a.json_dir, a.img_dir, a.out_json, a.line_category_id, debug=a.debug)
        except FormatError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"wrote {a.out_json}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
        failed = sum(v for k, v in counts.items() if k.startswith("failed"))
        return 0 if counts.get("converted") and not failed else 1

    c.set_defaults(func=run)


def _demo(sub):
    p = sub.add_parser("demo", help="generate charts, separate their lines with the shipped weights, show them",
                       formatter_class=HELP,
                       description="Generate a handful of charts a user would meet (about a third of them hard: "
                                   "same-colour, grayscale, dashed, 6-12 lines; the others in other tools' styles "
                                   "and themes: dark, grey panels, pale or dotted series, scans, page margins), "
                                   "predict them, print lines found against lines drawn per chart, and write "
                                   "OUT/contact_sheet.png: each chart beside its separated lines.")
    p.add_argument("--out", default="demo_out", help="output folder")
    p.add_argument("--num", type=int, default=6, help="number of charts to generate")
    p.add_argument("--seed", type=int, default=2026, help="generator seed")
    p.add_argument("--checkpoint", default=None, help="model checkpoint; default: the shipped weights")
    p.add_argument("--evaluate", action="store_true",
                   help="also print the full evaluation tables (oracle and end to end, with the colour-clustering "
                        "and connected-components baselines) and write OUT/report_*.json")

    def run(a):
        import itertools
        import json
        import os

        from .batch import encode_png
        from .images import read_image
        from .viz import contact_sheet

        base = ["--checkpoint", a.checkpoint] if a.checkpoint else []
        sets = [("typical", a.num - round(a.num * DEMO_HARD_SHARE), ["--variety", "--themes"]),
                ("hard", round(a.num * DEMO_HARD_SHARE), ["--hard"])]
        rows, lines, rc = [], [], 0  # contact-sheet rows; one printed line per chart
        for kind, n, flags in sets:
            if n <= 0:
                continue
            data, pred = os.path.join(a.out, "charts", kind), os.path.join(a.out, "predictions", kind)
            rc = rc or main(["synth", data, "--num", "0", "--val", str(n), "--seed", str(a.seed), "--workers", "1",
                             *flags])
            rc = rc or main(["predict", os.path.join(data, "val"), "--out", pred, "--format", "json", "chartinfo",
                             "csv"] + base)
            if rc:
                return rc
            with open(os.path.join(data, "val.json")) as f:
                truth = json.load(f)
            drawn = {im["id"]: 0 for im in truth["images"]}
            for ann in truth["annotations"]:
                drawn[ann["image_id"]] += ann.get("category_id") == 2
            for im in truth["images"]:
                stem = os.path.splitext(im["file_name"])[0]
                with open(os.path.join(pred, stem + ".json")) as f:
                    found = len(json.load(f)["lines"])
                what = f"{kind}, {str(im.get('group', '')).replace('_', ' ')}"  # distinct, same colour, grayscale
                caption = f"{kind}/{stem}: {found} found / {drawn[im['id']]} drawn ({what})"
                rows.append((caption, [read_image(os.path.join(data, "val", im["file_name"])),
                                       read_image(os.path.join(pred, stem + "_overlay.png"))]))
                lines.append(caption + ("" if found == drawn[im["id"]] else "  <- differs"))
        print("\n== lines found / drawn ==\n" + "\n".join(lines))
        sheet = os.path.join(a.out, "contact_sheet.png")
        with open(sheet, "wb") as f:
            f.write(encode_png(contact_sheet(rows)))
        print(f"{sum(not ln.endswith('differs') for ln in lines)} of {len(lines)} charts with the right number "
              f"of lines")
        if a.evaluate:
            for (kind, n, _), mode in itertools.product(sets, ("oracle", "e2e")):
                if n <= 0:
                    continue
                data = os.path.join(a.out, "charts", kind)
                print(f"\n== evaluation, {kind} charts, {mode} ==")
                rc = rc or main(["evaluate", "--json", os.path.join(data, "val.json"), "--img_dir",
                                 os.path.join(data, "val"), "--mode", mode, "--baselines", "--report",
                                 os.path.join(a.out, f"report_{kind}_{mode}.json")] + base)
        print(f"\ncontact sheet: {sheet}\noutputs (mask, JSON, overlay, CHART-Info, CSV): "
              f"{os.path.join(a.out, 'predictions')}")
        return rc

    p.set_defaults(func=run)


def _serve(sub):
    p = sub.add_parser("serve", help="a local web page to check, correct and export the lines of charts",
                       formatter_class=HELP,
                       description="Serve a page (and its JSON API) where charts are dropped, their lines shown over "
                                   "them, corrected (merge, split, delete, lasso, each with undo) and exported as "
                                   "predict writes them; the axes can be calibrated by clicking ticks. Needs "
                                   "pip install \"linegroup[web]\".")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on; another than this machine's own "
                                                       "needs --allow_remote")
    p.add_argument("--port", type=int, default=8765, help="port to listen on")
    p.add_argument("--allow_remote", action="store_true",
                   help="let --host be an address other machines reach (anyone who reaches it can upload images "
                        "and read the sessions: there are no accounts)")
    p.add_argument("--store", default=None,
                   help="folder of the sessions (image, mask, edits); default: linegroup-sessions in the "
                        "temporary folder")
    p.add_argument("--max_upload_mb", type=float, default=50, help="larger uploads are refused (413)")
    p.add_argument("--session_hours", type=float, default=24,
                   help="a session not used for this long is removed")
    _add_model_args(p)

    def run(a):
        local = a.host in ("127.0.0.1", "localhost", "::1")
        if not local and not a.allow_remote:
            print(f"error: --host {a.host} lets other machines reach the server; pass --allow_remote to mean it",
                  file=sys.stderr)
            return 2
        try:
            import uvicorn

            from .web.server import create_app
        except ImportError:
            from .web import INSTALL_HINT

            print(f"error: {INSTALL_HINT}", file=sys.stderr)
            return 2
        from .checkpoint import CheckpointError

        try:
            grouper = _grouper(a)  # loaded once, kept for every chart
        except CheckpointError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        hosts = None if not local else ["127.0.0.1", "localhost", "[::1]", "::1"]  # no DNS rebinding
        app = create_app(grouper, a.store, int(a.max_upload_mb * 2 ** 20), a.session_hours * 3600, hosts)
        if not local:
            print(f"warning: serving on {a.host}: anyone who can reach this machine on port {a.port} can upload "
                  f"images and read every session", file=sys.stderr)
        print(f"linegroup serve: http://{a.host if ':' not in a.host else f'[{a.host}]'}:{a.port}/ "
              f"(sessions in {app.state.store.root}; Ctrl+C stops)", flush=True)
        uvicorn.run(app, host=a.host, port=a.port, log_level="warning")
        return 0

    p.set_defaults(func=run)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="linegroup", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in ADDERS:
        add(sub)
    args, rest = parser.parse_known_args(argv)
    if getattr(args, "takes_rest", False):  # `train`: its own parser reads the rest
        args.rest = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.func(args) or 0


ADDERS = [_synth, _train, _predict, _evaluate, _convert, _demo, _serve]

if __name__ == "__main__":
    sys.exit(main())
