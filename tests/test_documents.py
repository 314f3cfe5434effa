"""PDF and SVG figures as inputs (the `pdf` extra): the same lines as their PNG rendering."""

import json
import os
import sys

import numpy as np
import pytest

from conftest import run_cli
from linegroup.images import ImageError, read_image, read_pages

DPI = 100


def _figure(path_stem, pages=1):
    """A two-line matplotlib chart saved as PDF (pages copies), SVG and PNG at DPI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 10, 60)
    ax.plot(x, np.sin(x), color="tab:blue", lw=2)
    ax.plot(x, 0.5 * x / 10 - 0.9, color="tab:red", lw=2)
    with PdfPages(f"{path_stem}.pdf") as pdf:
        for _ in range(pages):
            pdf.savefig(fig)
    fig.savefig(f"{path_stem}.svg")
    fig.savefig(f"{path_stem}.png", dpi=DPI)
    plt.close(fig)


def _need(module):
    try:
        __import__(module)
    except (ImportError, OSError):  # cairosvg raises OSError when the cairo library is missing
        pytest.skip(f"{module} is not installed: PDF/SVG inputs need the extra, pip install -e '.[pdf]'")


@pytest.mark.parametrize("ext,module", [(".pdf", "pypdfium2"), (".svg", "cairosvg")])
def test_a_pdf_or_svg_chart_gives_the_lines_of_its_png_rendering(tmp_path, ext, module):
    _need(module)
    from linegroup import LineGrouper

    stem = str(tmp_path / "fig")
    _figure(stem)
    png = read_image(stem + ".png")
    page = read_pages(stem + ext, dpi=DPI)[0]
    assert page.image.shape == png.shape and page.dpi == DPI
    assert np.abs(page.image.astype(int) - png.astype(int)).mean() < 8  # another renderer, the same picture
    g = LineGrouper.load()
    a, b = g.predict(png), g.predict(page.image)
    assert len(a.lines) == len(b.lines) == 2
    for la in a.lines:  # each line of the PNG has a twin in the document within a pixel or two
        pa = np.asarray(la["points"])
        best = min(np.median(np.abs(np.interp(pa[:, 0], *np.asarray(lb["points"]).T) - pa[:, 1])) for lb in b.lines)
        assert best < 2.0


def test_pdf_pages_are_predicted_one_by_one_with_page_and_dpi_recorded(tmp_path, tiny_ckpt, capsys):
    _need("pypdfium2")
    _figure(str(tmp_path / "fig"), pages=2)
    out = tmp_path / "out"
    r = run_cli("predict", tmp_path / "fig.pdf", "--out", out, "--checkpoint", tiny_ckpt, "--dpi", "50")
    assert r.returncode == 0, r.stderr
    assert "2 of 2 charts done" in r.stdout
    for k in (1, 2):
        doc = json.load(open(out / f"fig_p{k}.json"))
        assert (doc["page"], doc["dpi"], doc["width"], doc["height"]) == (k, 50.0, 200, 150)
    from linegroup.cli import main  # in this process: quicker than a third subprocess

    args = [str(tmp_path / "fig.pdf"), "--checkpoint", tiny_ckpt, "--dpi", "50", "--page"]
    assert main(["predict", "--out", str(tmp_path / "one"), *args, "2"]) == 0
    assert sorted(os.listdir(tmp_path / "one")) == ["fig_p2.json", "fig_p2_mask.png", "fig_p2_overlay.png"]
    assert main(["predict", "--out", str(tmp_path / "o3"), *args, "3"]) == 1
    assert "fig.pdf: PDF has 2 pages, there is no page 3" in capsys.readouterr().err


def test_damaged_and_oversized_documents_are_named(tmp_path):
    _need("pypdfium2")
    _need("cairosvg")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4\n garbage")
    (tmp_path / "bad.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><unclosed")
    (tmp_path / "huge.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg' width='100000' height='100000'/>")
    with pytest.raises(ImageError, match="bad.pdf: damaged or encrypted PDF"):
        read_image(str(tmp_path / "bad.pdf"))
    with pytest.raises(ImageError, match="bad.svg: not a readable SVG"):
        read_image(str(tmp_path / "bad.svg"))
    with pytest.raises(ImageError, match="huge.svg: the drawing at 96 dpi would be 100000x100000"):
        read_image(str(tmp_path / "huge.svg"))


def test_without_the_extra_a_pdf_says_how_to_install_it(tmp_path, monkeypatch):
    (tmp_path / "fig.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "fig.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    with pytest.raises(ImageError, match=r'fig.pdf: a PDF; reading PDF figures needs pypdfium2: install the extra: '
                                         r'pip install "linegroup\[pdf\]"'):
        read_image(str(tmp_path / "fig.pdf"))
    with pytest.raises(ImageError, match=r'fig.svg: an SVG; .*pip install "linegroup\[pdf\]"'):
        read_image(str(tmp_path / "fig.svg"))
