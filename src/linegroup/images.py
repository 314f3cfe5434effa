"""Read any chart image as RGB uint8, and the one error type for bad input.

    from linegroup.images import ImageError, read_image, read_pages, to_rgb8

    rgb = read_image("chart.png")                 # (H, W, 3) uint8, RGB
    for page in read_pages("figure.pdf", dpi=200):  # PDF/SVG with the `pdf` extra
        page.image, page.page, page.dpi

Raster files (PNG, JPEG, TIFF, BMP, GIF, WebP) are decoded by OpenCV; grayscale,
alpha (composited over white), palette, 16-bit and float images all come out as RGB
uint8. PDF pages are rasterised with pypdfium2 and SVG with cairosvg, both from the
optional extra (`pip install "linegroup[pdf]"`); without it such a file gets an
ImageError that says how to install it.

Every problem is an ImageError whose message names the file and says what is wrong in
our own words: missing, empty, a folder, truncated, corrupt, an unsupported format,
larger than MAX_PIXELS. What the C libraries print while decoding (libpng's "PNG input
buffer is incomplete", libjpeg's "Premature end of JPEG file", OpenCV's warnings) is
kept off the user's terminal.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

MAX_PIXELS = 64_000_000  # default refusal limit: 8000 x 8000; a 60-megapixel scan still passes
PDF_DPI = 200  # default rasterisation of PDF pages (points are 1/72 inch)
SVG_DPI = 96  # an SVG's own pixel (the CSS px) is 1/96 inch: at 96 dpi it renders at its own size
EXTRA_HINT = 'install the extra: pip install "linegroup[pdf]"'
RASTER_EXTS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")
DOCUMENT_EXTS = (".pdf", ".svg", ".svgz")
INPUT_EXTS = RASTER_EXTS + DOCUMENT_EXTS


class LinegroupError(Exception):
    """An input linegroup cannot use; the message names the file and the problem."""


class ImageError(LinegroupError):
    """An image that cannot be used; the message names the file and the problem."""


@dataclass
class Page:
    """One picture of an input file: the whole of a raster image, or one page of a PDF."""
    image: np.ndarray | None  # (H, W, 3) uint8 RGB; None when the page could not be drawn
    page: int | None = None  # 1-based page of a PDF, None for other files
    pages: int = 1  # the file's number of pages
    dpi: float | None = None  # rasterisation resolution of a PDF or SVG, None for raster images
    error: str = ""  # why this page could not be drawn (the file's other pages may still be fine)


# ---------------------------------------------------------------------------------
# pixels


def to_rgb8(img: np.ndarray, name: str = "image", bgr: bool = True) -> np.ndarray:
    """Any image (gray, gray+alpha, colour, colour+alpha; bool, 8-bit, 16-bit or float)
    -> RGB uint8, alpha over white. bgr: colour channels in OpenCV's order (an image cv2
    decoded); False for an array a caller passes, which is RGB(A). Floats are read as
    0..1 when none exceeds 1, else as 0..255; NaN is black."""
    img = np.asarray(img)
    if img.size == 0:
        raise ImageError(f"{name}: empty image (shape {img.shape})")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 2, 3, 4)):
        raise ImageError(f"{name}: unsupported shape {img.shape} (expected H x W with 1 to 4 channels)")
    if img.dtype == np.bool_:
        img = img.astype(np.uint8) * 255
    elif img.dtype == np.uint16:
        img = (img / 257.0).round().astype(np.uint8)
    elif np.issubdtype(img.dtype, np.floating):
        f = np.nan_to_num(img.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        if f.max() <= 1.0:
            f = f * 255.0
        img = np.clip(f, 0, 255).round().astype(np.uint8)
    elif img.dtype != np.uint8:
        raise ImageError(f"{name}: unsupported pixel type {img.dtype} (expected uint8, uint16, float or bool)")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_GRAY2RGB)
    ch = img.shape[2]
    if ch in (2, 4):  # with alpha: composite over white
        color = img[..., :-1].astype(np.float32)
        alpha = img[..., -1:].astype(np.float32) / 255.0
        img = (color * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
        if ch == 2:
            return cv2.cvtColor(np.ascontiguousarray(img[..., 0]), cv2.COLOR_GRAY2RGB)
    img = np.ascontiguousarray(img[..., :3])
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if bgr else img


# ---------------------------------------------------------------------------------
# sizes from headers, before anything is decoded (decompression bombs)


def _tiff_size(d: bytes):
    order = "<" if d[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", d[4:8])
    (n,) = struct.unpack(order + "H", d[ifd:ifd + 2])
    w = h = None
    for i in range(n):
        tag, typ, _, val = struct.unpack(order + "HHI4s", d[ifd + 2 + 12 * i: ifd + 14 + 12 * i])
        v = struct.unpack(order + ("H" if typ == 3 else "I"), val[:2] if typ == 3 else val)[0]
        if tag == 256:
            w = v
        elif tag == 257:
            h = v
    return (w, h) if w is not None and h is not None else None


def _jpeg_size(d: bytes):
    i = 2
    while i + 9 < len(d):
        if d[i] != 0xFF:
            return None
        marker = d[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        (length,) = struct.unpack(">H", d[i + 2:i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            h, w = struct.unpack(">HH", d[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def _webp_size(d: bytes):
    kind = d[12:16]
    if kind == b"VP8 ":
        w, h = struct.unpack("<HH", d[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L":
        b = int.from_bytes(d[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if kind == b"VP8X":
        return int.from_bytes(d[24:27], "little") + 1, int.from_bytes(d[27:30], "little") + 1
    return None


def header_size(data: bytes) -> tuple[str, tuple[int, int] | None]:
    """(format, (width, height) or None) read from a file's first bytes; format is
    'png', 'jpeg', 'gif', 'bmp', 'webp', 'tiff', 'pdf', 'svg' or '' (not recognised)."""
    d = bytes(data[:65536])
    try:
        if d[:8] == b"\x89PNG\r\n\x1a\n":
            return "png", struct.unpack(">II", d[16:24]) if len(d) >= 24 else None
        if d[:3] == b"\xff\xd8\xff":
            return "jpeg", _jpeg_size(d)
        if d[:6] in (b"GIF87a", b"GIF89a"):
            return "gif", struct.unpack("<HH", d[6:10])
        if d[:2] == b"BM":
            w, h = struct.unpack("<ii", d[18:26])
            return "bmp", (abs(w), abs(h))
        if d[:4] == b"RIFF" and d[8:12] == b"WEBP":
            return "webp", _webp_size(d)
        if d[:4] in (b"II*\x00", b"MM\x00*"):
            return "tiff", _tiff_size(d)
    except (struct.error, IndexError):
        return "", None
    if d[:5] == b"%PDF-" or b"%PDF-" in d[:1024]:
        return "pdf", None
    if d[:2] == b"\x1f\x8b" or b"<svg" in d[:4096].lower():  # svgz is gzip
        return "svg", None
    return "", None


# ---------------------------------------------------------------------------------
# quiet decoding


@contextlib.contextmanager
def quiet_native():
    """Keep what C libraries print to stderr (libpng, libjpeg, libtiff, OpenCV's log) off
    the terminal while decoding; restores everything afterwards."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (captured by a test, an IDE)
        fd = None
    saved = None
    if fd is not None:
        try:
            sys.stderr.flush()
            saved = os.dup(fd)
            sink = os.open(os.devnull, os.O_WRONLY)  # what they print is not used: our message says it
            os.dup2(sink, fd)
            os.close(sink)
        except OSError:
            saved = None
    try:
        yield
    finally:
        if saved is not None:
            os.dup2(saved, fd)
            os.close(saved)
        cv2.utils.logging.setLogLevel(level)


def decode_raster(data: np.ndarray, name: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Encoded raster bytes -> RGB uint8; ImageError naming `name` for anything wrong."""
    return to_rgb8(decode_raw(data, name, max_pixels), name)


def decode_raw(data: np.ndarray, name: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Encoded raster bytes -> the array as stored (any depth and channels, BGR order);
    ImageError naming `name` for anything wrong."""
    fmt, size = header_size(data[:65536].tobytes())
    if size is not None:
        w, h = size
        if w <= 0 or h <= 0:
            raise ImageError(f"{name}: {fmt.upper()} header gives a size of {w}x{h}")
        if w * h > max_pixels:
            raise ImageError(f"{name}: image is {w}x{h} = {w * h / 1e6:.0f} megapixels, over the limit of "
                             f"{max_pixels / 1e6:.0f} (raise it with --max_pixels)")
    with quiet_native():
        try:
            img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        except cv2.error:
            img = None
    if img is None:
        if fmt:
            raise ImageError(f"{name}: damaged {fmt.upper()} file (truncated or corrupt image data)")
        raise ImageError(f"{name}: not an image linegroup can read (expected PNG, JPEG, TIFF, BMP, GIF, "
                         "WebP, PDF or SVG)")
    if size is None and img.shape[0] * img.shape[1] > max_pixels:
        raise ImageError(f"{name}: image is {img.shape[1]}x{img.shape[0]}, over the limit of "
                         f"{max_pixels / 1e6:.0f} megapixels (raise it with --max_pixels)")
    return img


def read_bytes(path: str) -> np.ndarray:
    if os.path.isdir(path):
        raise ImageError(f"{path}: is a folder, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise ImageError(f"{path}: file not found") from None
    except OSError as e:
        raise ImageError(f"{path}: cannot be read ({e.strerror or e})") from None
    if data.size == 0:
        raise ImageError(f"{path}: file is empty")
    return data


def iter_pages(path: str, dpi: float | None = None, page: int | None = None,
               max_pixels: int = MAX_PIXELS) -> Iterator[Page]:
    """Every picture in a file, one at a time: one Page for a raster image or an SVG, one
    per PDF page (only `page`, 1-based, when given). dpi: rasterisation of PDF (default
    PDF_DPI) and SVG (default SVG_DPI, the SVG's own size). A problem with the whole file
    raises ImageError; a PDF page that cannot be drawn comes with `error` set."""
    data = read_bytes(path)
    fmt, _ = header_size(data[:65536].tobytes())
    if fmt == "pdf" or (not fmt and path.lower().endswith(".pdf")):
        from .documents import render_pdf

        yield from render_pdf(data.tobytes(), path, dpi or PDF_DPI, page, max_pixels)
    elif fmt == "svg" or (not fmt and path.lower().endswith(DOCUMENT_EXTS)):
        from .documents import render_svg

        if page not in (None, 1):
            raise ImageError(f"{path}: an SVG has one page, not page {page}")
        yield render_svg(data.tobytes(), path, dpi or SVG_DPI, max_pixels)
    else:
        if page not in (None, 1):
            raise ImageError(f"{path}: an image has one page, not page {page}")
        yield Page(decode_raster(data, path, max_pixels))


def read_pages(path: str, dpi: float | None = None, page: int | None = None,
               max_pixels: int = MAX_PIXELS) -> list[Page]:
    """iter_pages as a list; the first page that could not be drawn raises its ImageError."""
    pages = list(iter_pages(path, dpi, page, max_pixels))
    for p in pages:
        if p.error:
            raise ImageError(p.error)
    return pages


def read_image(path: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as RGB uint8 (H, W, 3) (a PDF: its first page). Raises
    ImageError naming the file and the problem."""
    return read_pages(path, page=1, max_pixels=max_pixels)[0].image
