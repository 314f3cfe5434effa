"""What `linegroup predict` does with every kind of input a user's folder really holds.

    python benchmarks/bad_inputs.py [--out runs/bad_inputs] [--big]   # --big adds 60- and 65-megapixel images

Builds a folder of good charts in every file type, degenerate sizes, broken files, PDF
and SVG figures (with the `pdf` extra), and candidate masks (empty, full, wrong size,
broken); runs `linegroup predict` on it in a subprocess with the shipped weights and
writes a table (input, what it is, what it got) to benchmarks/results/bad_inputs.md,
with the run's exit code, wall time and peak memory. Nothing here is timed in tests.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def chart(h=300, w=400, thick=2):
    img = np.full((h, w, 3), 255, np.uint8)
    x = np.linspace(0.05 * w, 0.95 * w, 60)
    for k, c in enumerate([(200, 40, 40), (40, 40, 200)]):
        y = h * (0.35 + 0.3 * k) + 0.15 * h * np.sin(x / w * 6 + k)
        cv2.polylines(img, [np.column_stack([x, y]).astype(np.int32).reshape(-1, 1, 2)], False, c, thick, cv2.LINE_AA)
    return img


def build(d: str, big: bool) -> dict:
    """Write the inputs; returns {file name: what it is}."""
    os.makedirs(d, exist_ok=True)
    bgr = chart()
    kinds = {}

    def put(name, what, img=None, data=None):
        path = os.path.join(d, name)
        if img is not None:
            assert cv2.imwrite(path, img), name
        elif data is not None:
            with open(path, "wb") as f:
                f.write(data)
        kinds[name] = what

    put("chart.png", "ordinary chart (PNG)", bgr)
    put("gray.png", "grayscale PNG", cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    put("rgba16.png", "16-bit RGBA PNG", np.dstack([bgr.astype(np.uint16) * 257, np.full(bgr.shape[:2], 65535, np.uint16)]))
    put("photo.jpg", "JPEG", bgr)
    put("jpeg_named.png", "JPEG saved with a .png name", data=cv2.imencode(".jpg", bgr)[1].tobytes())
    put("scan.tif", "TIFF", bgr)
    put("chart.bmp", "BMP, same stem as chart.png", bgr)
    put("pal.gif", "GIF (palette)", data=_gif(bgr))
    put("web.webp", "WebP", bgr)
    put("blank.png", "blank page", np.full((300, 400, 3), 255, np.uint8))
    put("black.png", "black image", np.zeros((300, 400, 3), np.uint8))
    put("my chart é.png", "file name with a space and an accent", bgr)
    put("one.png", "1x1 image", np.zeros((1, 1, 3), np.uint8))
    put("row.png", "1x500 image", np.zeros((1, 500, 3), np.uint8))
    put("col.png", "500x1 image", np.zeros((500, 1, 3), np.uint8))
    put("strip.png", "3x4000 strip", np.full((3, 4000, 3), 255, np.uint8))
    put("tiny.png", "7x9 image, smaller than the network's stride", bgr[::40, ::40][:7, :9])
    good = cv2.imencode(".png", bgr)[1].tobytes()
    put("empty.png", "empty file", data=b"")
    put("truncated.png", "truncated PNG", data=good[: len(good) // 2])
    put("truncated.jpg", "truncated JPEG", data=cv2.imencode(".jpg", bgr)[1].tobytes()[:3000])
    put("text.png", "text file with a .png name", data=b"not an image\n")
    put("random.png", "random bytes", data=np.random.default_rng(0).bytes(5000))
    bomb = bytearray(good)
    bomb[16:24] = (100_000).to_bytes(4, "big") * 2
    put("bomb.png", "PNG header claiming 100000x100000", data=bytes(bomb))
    put("notes.txt", "a text file in the folder")
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("notes")
    os.makedirs(os.path.join(d, "sub.png"), exist_ok=True)
    kinds["sub.png"] = "a folder named like an image"
    _figures(d, kinds)
    put("broken.pdf", "damaged PDF", data=b"%PDF-1.4\n garbage")
    put("broken.svg", "malformed SVG", data=b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed")
    if big:
        h, w = 6700, 9000  # 60.3 megapixels
        put("chart60mp.png", "60-megapixel chart", cv2.resize(chart(300, 400, 1), (w, h), interpolation=cv2.INTER_NEAREST))
        put("over64mp.png", "65-megapixel image (over the default limit)", np.full((8100, 8000), 255, np.uint8))
    return kinds


def _gif(bgr):
    ok, buf = cv2.imencode(".gif", bgr) if hasattr(cv2, "IMWRITE_GIF_QUALITY") else (False, None)
    return buf.tobytes() if ok else b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def _figures(d, kinds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 10, 60)
    ax.plot(x, np.sin(x))
    ax.plot(x, np.cos(x), "--")
    fig.savefig(os.path.join(d, "figure.svg"))
    with PdfPages(os.path.join(d, "paper.pdf")) as pdf:
        pdf.savefig(fig)
        pdf.savefig(fig)
    plt.close(fig)
    kinds["figure.svg"] = "SVG figure (matplotlib)"
    kinds["paper.pdf"] = "two-page PDF (matplotlib)"


def masks(d: str, img_dir: str) -> dict:
    """Candidate masks for chart.png-like inputs of img_dir; returns {file name: what it is}."""
    os.makedirs(d, exist_ok=True)
    kinds = {}
    for name, what, m in [("c_empty.png", "candidate mask with no candidate", np.zeros((300, 400), np.uint8)),
                          ("c_full.png", "candidate mask covering everything", np.full((300, 400), 255, np.uint8)),
                          ("c_wrong.png", "candidate mask of the wrong size", np.full((30, 40), 255, np.uint8))]:
        shutil.copy(os.path.join(img_dir, "chart.png"), os.path.join(img_dir, name))
        cv2.imwrite(os.path.join(d, name), m)
        kinds[name] = what
    shutil.copy(os.path.join(img_dir, "chart.png"), os.path.join(img_dir, "c_broken.png"))
    with open(os.path.join(d, "c_broken.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n broken")
    kinds["c_broken.png"] = "broken candidate mask"
    shutil.copy(os.path.join(img_dir, "chart.png"), os.path.join(img_dir, "c_missing.png"))
    kinds["c_missing.png"] = "no candidate mask for this input"
    return kinds


def run(args: list[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "linegroup.cli", "predict", *args], capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return r, time.perf_counter() - t, peak


def outcome(name: str, folder: str, r: subprocess.CompletedProcess) -> str:
    path = os.path.join(folder, name)
    errs = [ln[len("error: "):] for ln in r.stderr.splitlines() if ln.startswith(f"error: {path}")]
    oks = [ln[len(path):].lstrip(":") for ln in r.stdout.splitlines() + r.stderr.splitlines() if ln.startswith(path)]
    if name in r.stdout and "skipped:" in r.stdout and f"{name} (" in r.stdout:
        return "skipped, named in the summary"
    got = [re.sub(r" -> .*?\.\* \(", " (", ln).strip() for ln in oks] + [e.replace(path, "").lstrip(" :") for e in errs]
    return "; ".join(got) or "(not reported)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="runs/bad_inputs", help="work folder")
    ap.add_argument("--big", action="store_true", help="add 60- and 65-megapixel images (slow, ~3 GB)")
    ap.add_argument("--table", default=os.path.join(HERE, "results", "bad_inputs.md"), help="markdown table to write")
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    folder, cands = os.path.join(a.out, "in"), os.path.join(a.out, "masks")
    kinds = build(folder, a.big)
    r, wall, peak = run([folder, "--out", os.path.join(a.out, "pred")])
    rows = [(name, what, outcome(name, folder, r)) for name, what in kinds.items()]
    mfolder = os.path.join(a.out, "in_masks")
    os.makedirs(mfolder)
    shutil.copy(os.path.join(folder, "chart.png"), os.path.join(mfolder, "chart.png"))
    mkinds = masks(cands, mfolder)
    os.remove(os.path.join(mfolder, "chart.png"))
    rm, wall_m, _ = run([mfolder, "--out", os.path.join(a.out, "pred_masks"), "--candidates", cands])
    rows += [(name, what, outcome(name, mfolder, rm)) for name, what in mkinds.items()]
    lines = ["| input | what it is | what it gets |", "|---|---|---|"]
    lines += [f"| `{n}` | {w} | {o.replace('|', '/')} |" for n, w, o in rows]
    summary = [ln for ln in r.stdout.splitlines() if " done, " in ln]
    lines += ["", f"Folder run: exit code {r.returncode}, {wall:.1f} s wall, peak RSS {peak:.0f} MB; "
                  f"summary line: `{summary[0] if summary else '?'}`",
              f"Candidate-mask run: exit code {rm.returncode}, {wall_m:.1f} s wall.",
              f"Tracebacks printed: {'Traceback' in r.stderr + rm.stderr}; library messages printed: "
              f"{any(k in r.stderr + rm.stderr for k in ('libpng', 'WARN', 'Premature end', 'PNG input buffer'))}."]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.table), exist_ok=True)
    with open(a.table, "w") as f:
        f.write(f"<!-- python benchmarks/bad_inputs.py{' --big' if a.big else ''} -->\n" + text)


if __name__ == "__main__":
    main()
