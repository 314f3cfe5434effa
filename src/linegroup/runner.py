"""`linegroup predict` over a batch: each chart's outputs, made here or by worker processes.

    from linegroup.runner import chart_outputs, freeze_heap, run_parallel, worker_count
    files, summary, timing = chart_outputs(grouper, args, path, page, name)   # one chart
    run_parallel(args, paths, workers, emit)                                   # a batch

A chart's outputs (mask PNG, JSON, overlay, the exports) are made from the chart alone,
so a batch runs in several processes at once. On a CPU this pays even with the network
already using every core: the network is about a third of a chart's time, and the rest
(grouping, markers, drawing, encoding) is numpy on one core. Each of N workers runs the
network on cores / N threads; at 800x600 on 2 cores a batch takes about 0.6 of one
process's time (benchmarks/bench_cli.py with and without --workers 1).

The workers make the outputs and send them back; this process names them, writes them
(atomically, `batch.OutputSet`) and reports, in input order, so that a batch gives the
same files, names and messages whatever the number of workers. Workers are spawned,
not forked (START), and each opens its own network. A worker's failure on one input is
that input's error, as in a single process; one that cannot load the model ends the
batch with the loading error; one that dies (killed, out of memory) leaves the inputs
not yet reported to this process, which runs them itself.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
from collections.abc import Callable

MIN_FILES = 4  # a batch of fewer inputs runs in this process (workers start in about half a second)
MAX_AUTO = 8  # workers chosen automatically at most (each holds its own network and chart in memory)
START = "spawn"  # fresh worker processes: forking a process whose OpenCV or ONNX Runtime threads
#   have run (`linegroup demo` draws its charts first) leaves their thread pools locked in the child


def freeze_heap() -> None:
    """Take what is loaded once (modules, the network and its weights) out of the garbage
    collector's rounds (`gc.freeze`): a chart makes many short-lived objects, and each full
    collection would walk the loaded ones again (one every 20 charts, 5 ms a chart on
    average at 800x600: a one-off measurement, in the README's speed section)."""
    import gc

    gc.collect()
    gc.freeze()


def worker_count(requested: int, n_files: int, args) -> int:
    """Workers for a batch: `requested` if over 0, else (auto) one per CPU core (at most
    MAX_AUTO) where the batch has MIN_FILES or more inputs and runs on the CPU, without a folder of candidate
    masks (looked up by output name, which only this process decides). 1 = no workers."""
    if requested > 0:
        return max(1, min(requested, n_files))
    if n_files < MIN_FILES or args.device != "cpu" or args.candidates:
        return 1
    return max(1, min(os.cpu_count() or 1, n_files, MAX_AUTO))


def chart_outputs(grouper, a, path: str, page, where: str, cand=None) -> tuple[dict, str, str]:
    """The output files of one chart (suffix -> bytes or text), what was found, and the
    timings, for `linegroup predict`'s arguments `a`."""
    import json

    from .batch import encode_png
    from .outputs import chart_document, chart_exports
    from .viz import draw_axes, draw_overlay, embedding_pca_image

    res = grouper.predict(page.image, candidates=cand, keep_embedding=a.embedding_png, name=where)
    h, w = res.mask.shape
    axes = None
    if a.axes == "auto":
        from .axes import read_axes

        axes = read_axes(page.image, plot_area=res.plot_area)
    doc = chart_document(os.path.basename(path), w, h, res.lines, res.plot_area, page.page, page.dpi, axes,
                         a.calib, a.log_x, a.log_y)  # the same document `linegroup serve` answers with
    files = {"_mask.png": encode_png(res.mask, rgb=False), ".json": json.dumps(doc)}
    overlay = draw_overlay(page.image, res.mask, res.lines)
    files["_overlay.png"] = encode_png(draw_axes(overlay, doc["axes"]) if axes else overlay)
    files.update(chart_exports(doc, a.format, axes, a.calib, a.log_x, a.log_y, a.csv_points))
    if a.embedding_png:
        files["_embedding.png"] = encode_png(embedding_pca_image(res.embedding))
    n = len(res.lines)
    found = f"{n} line{'s' * (n != 1)}, {res.candidates} candidate pixels"
    timing = f"(network {res.timings['network_ms']:.0f} ms, grouping {res.timings['grouping_ms']:.0f} ms)"
    return files, found, timing


# ---------------------------------------------------------------------------------
# worker processes

_WORKER: dict = {}


def _init(a, threads: int) -> None:
    """In each worker: the network on `threads` threads, the grouper loaded once."""
    from .runtime import set_threads

    set_threads(threads)
    try:  # numpy's BLAS too: its threads spin, and two workers' pools would fight for the cores
        from threadpoolctl import threadpool_limits  # scikit-learn's dependency

        _WORKER["limits"] = threadpool_limits(threads)
    except ImportError:
        pass
    try:
        from .cli import _grouper

        _WORKER["grouper"] = _grouper(a)
        freeze_heap()
    except Exception as e:  # noqa: BLE001 - reported by the first task, where the batch can stop on it
        _WORKER["error"] = e
    _WORKER["args"] = a


def _work(path: str) -> tuple[list, list]:
    """One input file, every page of it: (events, failed). events, in order: ("chart",
    page, pages, name, files, found, timing) for each chart done and ("message", text)
    for each line a single process would have printed of a failure; failed: the names
    that failed."""
    from .batch import Tally
    from .images import ImageError, iter_pages

    if "error" in _WORKER:
        raise _WORKER["error"]
    a, grouper = _WORKER["args"], _WORKER["grouper"]
    events: list = []
    tally = Tally(write=lambda msg: events.append(("message", msg)))
    with tally.item(path, a.debug, count=False):
        for page in iter_pages(path, a.dpi, a.page, a.max_pixels):
            name = f"{path} page {page.page}" if page.pages > 1 else path
            with tally.item(name, a.debug, count=False):
                if page.error:
                    raise ImageError(page.error)
                files, found, timing = chart_outputs(grouper, a, path, page, name)
                events.append(("chart", page.page, page.pages, name, files, found, timing))
    return events, tally.failed


def run_parallel(a, paths: list, workers: int, emit: Callable[[str, list, list], None], work=None) -> list:
    """Run the inputs on `workers` processes; emit(path, events, failed) for each input, in
    input order, as it comes back (see _work). A worker that cannot load the model raises
    its error here. Returns the inputs left undone because a worker process died (killed,
    out of memory): the caller runs them itself. work: what a worker runs per input
    (default `_work`; a module-level function, for tests)."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context(START)
    threads = max(1, (os.cpu_count() or 1) // workers)
    args = argparse.Namespace(**{k: v for k, v in vars(a).items() if not callable(v)})  # no `func`: picklable
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init, initargs=(args, threads)) as pool:
        futures = [pool.submit(work or _work, p) for p in paths]
        for k, (path, fut) in enumerate(zip(paths, futures)):
            try:
                events, failed = fut.result()
            except BrokenProcessPool:
                for f in futures[k:]:
                    f.cancel()
                return paths[k:]
            emit(path, events, failed)
    return []
