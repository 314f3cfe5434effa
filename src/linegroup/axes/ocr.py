"""Offline text reading for tick labels: a thin wrapper around RapidOCR (ONNX models).

    from linegroup.axes.ocr import get_engine, OCRUnavailable
    engine = get_engine()            # raises OCRUnavailable (with the install hint) without the extra
    boxes = engine(image_rgb)        # [TextBox(quad (4, 2) px, text, score), ...]

The engine is `rapidocr` (3.x, Apache-2.0) on `onnxruntime`, installed by the optional
extra `pip install "linegroup[axes]"`. Unlike `rapidocr-onnxruntime` 1.4.x, which
requires `opencv-python` and so clashes with our `opencv-python-headless` (both install
the `cv2` package, and whichever is installed last wins), rapidocr 3.x requires
`opencv-python-headless` itself. Its detection and recognition models ship inside the
wheel (rapidocr/models/*.onnx); we pass their paths explicitly, so the library's
download-on-first-use code is never reached, and the recogniser's character list is
read from the ONNX file's own metadata. Nothing is fetched at run time.

Any engine is a callable image -> list[TextBox]; tests and benchmarks can pass their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

INSTALL_HINT = ('automatic axis reading (--axes auto) needs the OCR extra: pip install "linegroup[axes]" '
                '(rapidocr and onnxruntime; the OCR models ship inside the wheel, nothing is downloaded)')
# model files inside the rapidocr wheel: text detection, text recognition (with its character list)
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
# images are read at their own size up to this longer side (larger ones are shrunk by the detector)
MAX_SIDE = 2000
# images whose longer side is below this are doubled first: tick labels are small text
UPSCALE_BELOW = 1000
# the recogniser's lowest confidence kept
MIN_SCORE = 0.5
# height the recogniser reads text at (its input height)
REC_HEIGHT = 48


class OCRUnavailable(RuntimeError):
    """The OCR extra is not installed."""


@dataclass
class TextBox:
    quad: np.ndarray  # (4, 2) float corners, pixels of the input image
    text: str
    score: float

    @property
    def centre(self) -> np.ndarray:
        return self.quad.mean(0)

    @property
    def height(self) -> float:
        """Text height: the shorter side of the quad."""
        sides = np.linalg.norm(np.diff(np.vstack([self.quad, self.quad[:1]]), axis=0), axis=1)
        return float(min(sides[0] + sides[2], sides[1] + sides[3]) / 2)

    @property
    def angle(self) -> float:
        """Angle of the baseline in degrees (0 = horizontal)."""
        d = self.quad[1] - self.quad[0]
        a = float(np.degrees(np.arctan2(d[1], d[0])))
        return (a + 90) % 180 - 90


class RapidEngine:
    """RapidOCR with the models of its wheel, no direction classifier (tick labels are upright)."""

    def __init__(self):
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as e:
            raise OCRUnavailable(INSTALL_HINT) from e
        models = os.path.join(os.path.dirname(rapidocr.__file__), "models")
        det, rec = os.path.join(models, DET_MODEL), os.path.join(models, REC_MODEL)
        for m in (det, rec):
            if not os.path.isfile(m):
                raise OCRUnavailable(f"{m}: OCR model missing from the rapidocr installation; {INSTALL_HINT}")
        self.ocr = RapidOCR(params={
            "Global.log_level": "error", "Global.use_cls": False, "Global.text_score": MIN_SCORE,
            "Global.max_side_len": MAX_SIDE, "Det.model_path": det, "Rec.model_path": rec,
            "Det.limit_type": "max", "Det.limit_side_len": MAX_SIDE,
            "EngineConfig.onnxruntime.intra_op_num_threads": max(1, min(4, os.cpu_count() or 1))})

    def __call__(self, image: np.ndarray) -> list[TextBox]:
        f = 2.0 if max(image.shape[:2]) < UPSCALE_BELOW else 1.0
        img = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC) if f != 1 else image
        r = self.ocr(np.ascontiguousarray(img[..., ::-1]))  # the engine expects BGR
        if r.boxes is None or r.txts is None:
            return []
        return [TextBox(np.asarray(q, np.float64) / f, str(t), float(s)) for q, t, s in zip(r.boxes, r.txts, r.scores)]


    def recognise(self, image: np.ndarray, boxes: np.ndarray) -> list[TextBox]:
        """Read given axis-aligned boxes (n, 4) x0, y0, x1, y1 with the recogniser alone."""
        crops, kept = [], []
        for x0, y0, x1, y1 in boxes:
            crop = image[y0:y1, x0:x1]
            if crop.shape[0] >= 4 and crop.shape[1] >= 4:
                f = REC_HEIGHT / crop.shape[0]
                crops.append(np.ascontiguousarray(cv2.resize(crop, None, fx=f, fy=f,
                                                             interpolation=cv2.INTER_CUBIC)[..., ::-1]))
                kept.append((x0, y0, x1, y1))
        if not crops:
            return []
        r = self.ocr.recognize_txt(crops)
        out = []
        for (x0, y0, x1, y1), t, s in zip(kept, r.txts or (), r.scores):
            if s >= MIN_SCORE and t.strip():
                out.append(TextBox(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64), str(t), float(s)))
        return out


def available() -> bool:
    """Whether the OCR extra is installed (imports it; the models load later, in get_engine)."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def get_engine() -> RapidEngine:
    """The shared engine (models load once, about a second)."""
    if not available():
        raise OCRUnavailable(INSTALL_HINT)
    return RapidEngine()


def raised_tail(gray: np.ndarray, box: TextBox) -> bool:
    """Whether the glyphs after the first two of an upright label sit raised above their
    baseline (10³ drawn as a superscript, which OCR reads as "103")."""
    x0, y0 = np.floor(box.quad.min(0)).astype(int)
    x1, y1 = np.ceil(box.quad.max(0)).astype(int)
    crop = gray[max(0, y0):y1 + 1, max(0, x0):x1 + 1]
    if crop.size == 0 or crop.shape[0] < 6:
        return False
    ink = crop < cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    if ink.mean() > 0.5:  # light text on a dark background
        ink = ~ink
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    stats = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 2]
    if len(stats) < 3:
        return False
    stats = stats[np.argsort(stats[:, cv2.CC_STAT_LEFT])]
    bottom = stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT]
    base, tall = bottom[:2].max(), stats[:2, cv2.CC_STAT_HEIGHT].max()
    return bool(np.all(bottom[2:] < base - 0.3 * tall))
