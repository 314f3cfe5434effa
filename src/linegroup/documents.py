"""PDF and SVG figures as RGB rasters, with the optional extra `pip install "linegroup[pdf]"`.

    from linegroup.images import read_pages
    pages = read_pages("figure.pdf", dpi=200)      # one Page per PDF page
    pages = read_pages("figure.pdf", page=2)       # only page 2 (1-based)
    pages = read_pages("chart.svg")                # the SVG at its own size (96 dpi)

PDF pages are rasterised with pypdfium2 (PDFium, Apache-2.0/BSD) on a white page at
`dpi` (a PDF point is 1/72 inch). SVG is rasterised with cairosvg (LGPL) over white at
dpi / 96 times its own pixel size; external files and entities are not loaded. Page sizes
are checked against the pixel limit before anything is drawn. Every problem, the extra
missing included, is an ImageError naming the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np

from .images import EXTRA_HINT, SVG_DPI, ImageError, Page, decode_raster, quiet_native


def _pixels_check(path: str, what: str, w: float, h: float, dpi: float, max_pixels: int) -> None:
    if w * h > max_pixels:
        raise ImageError(f"{path}: {what} at {dpi:g} dpi would be {w:.0f}x{h:.0f} = {w * h / 1e6:.0f} megapixels, "
                         f"over the limit of {max_pixels / 1e6:.0f}; lower --dpi or raise --max_pixels")


def render_pdf(data: bytes, path: str, dpi: float, page: int | None, max_pixels: int) -> Iterator[Page]:
    """PDF bytes -> one Page per page (or only `page`, 1-based), drawn one at a time. A
    page that cannot be drawn comes as a Page with `error` set, and the next pages follow."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise ImageError(f"{path}: a PDF; reading PDF figures needs pypdfium2: {EXTRA_HINT}") from None
    if dpi <= 0:
        raise ImageError(f"{path}: --dpi must be positive, got {dpi:g}")
    try:
        with quiet_native():
            doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise ImageError(f"{path}: damaged or encrypted PDF ({e})") from None
    try:
        n = len(doc)
        if n == 0:
            raise ImageError(f"{path}: PDF has no pages")
        if page is not None and not 1 <= page <= n:
            raise ImageError(f"{path}: PDF has {n} page{'s' * (n > 1)}, there is no page {page}")
        for k in [page] if page is not None else range(1, n + 1):
            try:
                pg = doc[k - 1]
                w, h = pg.get_size()
                scale = dpi / 72.0
                _pixels_check(path, f"page {k}", w * scale, h * scale, dpi, max_pixels)
                with quiet_native():
                    bitmap = pg.render(scale=scale, rev_byteorder=True, fill_color=(255, 255, 255, 255))
                    rgb = np.array(bitmap.to_numpy()[..., :3])
                yield Page(rgb, page=k, pages=n, dpi=float(dpi))
            except (ImageError, pdfium.PdfiumError) as e:
                msg = str(e) if isinstance(e, ImageError) else f"{path}: page {k} could not be drawn ({e})"
                yield Page(None, page=k, pages=n, dpi=float(dpi), error=msg)
    finally:
        doc.close()


def render_svg(data: bytes, path: str, dpi: float, max_pixels: int) -> Page:
    """SVG (or gzip-compressed SVGZ) bytes -> one Page drawn at dpi / 96 of its own size."""
    try:
        import cairosvg
        from cairosvg.parser import Tree
    except (ImportError, OSError):  # OSError: the cairo system library is missing
        raise ImageError(f"{path}: an SVG; reading SVG figures needs cairosvg and the cairo library: "
                         f"{EXTRA_HINT}") from None
    if dpi <= 0:
        raise ImageError(f"{path}: --dpi must be positive, got {dpi:g}")
    scale = dpi / SVG_DPI
    try:
        with quiet_native():
            tree = Tree(bytestring=data, unsafe=False)
            # the drawing's own size, as cairosvg will lay it out (viewBox, units, defaults)
            unit = SimpleNamespace(context_width=0, context_height=0, font_size=12, dpi=SVG_DPI)
            w, h, _ = cairosvg.helpers.node_format(unit, tree, reference=False)
    except Exception as e:  # malformed XML, bad units: cairosvg raises many kinds
        raise ImageError(f"{path}: not a readable SVG ({type(e).__name__}: {e})") from None
    if not (w and h) or w <= 0 or h <= 0:
        raise ImageError(f"{path}: SVG has no size (width/height or viewBox missing or zero)")
    _pixels_check(path, "the drawing", w * scale, h * scale, dpi, max_pixels)
    try:
        with quiet_native():
            png = cairosvg.svg2png(bytestring=data, scale=scale, background_color="white", unsafe=False)
    except Exception as e:
        raise ImageError(f"{path}: SVG could not be drawn ({type(e).__name__}: {e})") from None
    return Page(decode_raster(np.frombuffer(png, np.uint8), path, max_pixels), dpi=float(dpi))
