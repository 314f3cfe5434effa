"""How fast `linegroup serve` answers, with the shipped weights, and the README's screenshot.

    python benchmarks/serve.py                                   # timings -> benchmarks/results/serve.md
    python benchmarks/serve.py --screenshot docs/img/serve.png   # also timed in Chromium, and the screenshot

Upload: POST /api/predict of an 800x600 chart with 3 lines, then GET /api/mask and
/api/image, which is what the page waits for before it draws the lines (the median of
--repeat uploads after one warm-up). Edits: POST /api/edit and GET /api/mask for merge,
split, delete and a lasso, each followed by an undo, timed the same way. All through
Starlette's TestClient in this process (no network), on the CPU threads torch takes. With
--browser (or --screenshot) the upload is also timed in Chromium against a live server:
from the file chosen to its lines listed and drawn.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SIZE = (800, 600)  # the chart's width and height in pixels
COLORS = ["tab:blue", "tab:red", "tab:green"]  # its three lines
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def draw_chart(path: str) -> None:
    fig = plt.figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
    ax = fig.add_subplot(111)
    x = np.linspace(0, 10, 50)
    for k, c in enumerate(COLORS):
        ax.plot(x, 2 * np.sin(x / 2 + k) + 3 * k, color=c, lw=2)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("signal")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, 1000 * (time.perf_counter() - t)


def measure(client, png: bytes, repeat: int) -> dict:
    def upload():
        doc = client.post("/api/predict", files={"image": ("chart.png", png, "image/png")}).json()
        client.get(f"/api/mask/{doc['session']}")
        client.get(f"/api/image/{doc['session']}")
        return doc

    upload()  # warm-up
    runs = [timed(upload) for _ in range(repeat)]
    doc = runs[-1][0]
    sid, lines = doc["session"], [ln["id"] for ln in doc["lines"]]
    mid = int(np.median([p[0] for p in doc["lines"][0]["points"]]))
    ops = {"merge": {"op": "merge", "lines": lines[:2]}, "split": {"op": "split", "line": lines[0], "x": mid},
           "delete": {"op": "delete", "lines": lines[:1]},
           "lasso": {"op": "reassign", "polygon": [[0, 0], [mid, 0], [mid, SIZE[1]], [0, SIZE[1]]], "to": "new"}}
    edits = {k: [] for k in [*ops, "undo"]}

    def edit(op):
        r = client.post("/api/edit", json={"session": sid, **op})
        assert r.status_code == 200, r.text
        client.get(f"/api/mask/{sid}")

    for _ in range(repeat):
        for name, op in ops.items():
            edits[name].append(timed(lambda: edit(op))[1])
            edits["undo"].append(timed(lambda: edit({"op": "undo"}))[1])
    return {"lines": len(lines), "upload_ms": [t for _, t in runs],
            "inside": client.app.state.store.get(sid).meta["timings"], "edits_ms": edits}


def browser_run(app, chart: str, out: str, repeat: int) -> list:
    """In Chromium: the time from choosing the file to its lines listed (ms, `repeat` times);
    with `out`, the page with the chart open and the axes read, saved there."""
    import uvicorn
    from playwright.sync_api import expect, sync_playwright

    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8791, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 820})
        page.goto("http://127.0.0.1:8791/")
        for k in range(repeat):
            t = time.perf_counter()
            page.set_input_files("#files", chart)
            expect(page.locator("#charts button")).to_have_count(k + 1, timeout=60_000)
            expect(page.locator("#lines li")).to_have_count(len(COLORS))
            times.append(1000 * (time.perf_counter() - t))
        if out:
            page = browser.new_context(viewport={"width": 1400, "height": 820}).new_page()  # no charts open
            page.goto("http://127.0.0.1:8791/")
            page.click("#options summary")
            page.check("#axesAuto")  # the ticks read are drawn over the chart
            page.click("#options summary")
            page.set_input_files("#files", chart)
            expect(page.locator("#lines li")).to_have_count(len(COLORS), timeout=120_000)
            page.locator("#lines li").nth(1).click()
            os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
            page.screenshot(path=out)
            print(f"wrote {out}")
        browser.close()
    srv.should_exit = True
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="uploads and edits timed (medians reported)")
    ap.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "results", "serve.md"))
    ap.add_argument("--browser", action="store_true", help="also time the upload in Chromium (playwright)")
    ap.add_argument("--screenshot", default="", help="also save the page with the chart open to this PNG "
                                                     "(implies --browser)")
    a = ap.parse_args()
    from starlette.testclient import TestClient

    from linegroup.predict import LineGrouper
    from linegroup.web.server import create_app

    load0 = os.getloadavg()[0]
    tmp = tempfile.mkdtemp(prefix="lg-serve-bench-")  # the chart and the sessions; removed at the end
    chart = os.path.join(tmp, "chart.png")
    draw_chart(chart)
    (grouper, load_ms) = timed(LineGrouper.load)
    app = create_app(grouper, store=os.path.join(tmp, "store"))
    with TestClient(app) as client:
        r = measure(client, open(chart, "rb").read(), a.repeat)
        browser = browser_run(app, chart, a.screenshot, a.repeat) if a.browser or a.screenshot else []
    med = statistics.median
    rows = [f"| API: upload -> document, mask and image (what the page waits for) | {med(r['upload_ms']):.0f} | "
            f"{max(r['upload_ms']):.0f} |"]
    if browser:
        rows += [f"| in Chromium: file chosen -> lines listed and drawn | {med(browser):.0f} | {max(browser):.0f} |"]
    rows += [f"| (inside the last upload: {k.replace('_ms', '')}) | {v:.0f} | |" for k, v in r["inside"].items()]
    rows += [f"| edit: {k} (+ mask) | {med(v):.1f} | {max(v):.1f} |" for k, v in r["edits_ms"].items()]
    cmd = " ".join(["python benchmarks/serve.py"] + sys.argv[1:])
    text = (f"# linegroup serve: speed\n\n`{cmd}`: an {SIZE[0]}x{SIZE[1]} "
            f"chart, {r['lines']} lines found, shipped weights (loaded once in {load_ms:.0f} ms), "
            f"{os.cpu_count()} CPUs, load average {load0:.1f} at the start and {os.getloadavg()[0]:.1f} at the end "
            f"(other jobs on the machine).\n\n"
            "| step | median ms | max ms |\n|---|---|---|\n" + "\n".join(rows) + "\n")
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
    with open(a.results, "w") as f:
        f.write(text)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
