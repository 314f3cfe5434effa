"""Axis calibration end to end: charts with known data come back in data units; unreadable
or inconsistent labels are reported as not calibrated; a clear message without the extra.

Most tests read the labels with a stand-in OCR (the texts and boxes matplotlib drew), so
they check label grouping, tick snapping, fitting and multipliers without the OCR extra;
the test marked `ocr` runs the real engine and is skipped when the extra is missing."""

import json

import numpy as np
import pytest

from linegroup.axes import INSTALL_HINT, OCRUnavailable, TextBox, read_axes
from linegroup.axes import ocr as ocr_mod

NEEDS_OCR = pytest.mark.skipif(not ocr_mod.available(),
                               reason='OCR extra not installed: pip install "linegroup[axes]"')


def chart(log=False, sci=False, size=(6, 4), dpi=100):
    """A matplotlib chart with known data: (RGB image, true pixel points (n, 2), true values (n, 2),
    stand-in OCR engine returning the tick labels matplotlib drew)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=dpi)
    x = np.linspace(-3, 47, 30)
    y = 10 ** (x / 15) if log else np.sin(x / 7) * 40 - 10
    if sci:
        y = y * 1e-4
        ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
    ax.plot(x, y)
    if log:
        ax.set_yscale("log")
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    h = img.shape[0]
    disp = ax.transData.transform(np.column_stack([x, y]))
    pts = np.column_stack([disp[:, 0] - 0.5, h - disp[:, 1] - 0.5])
    renderer = fig.canvas.get_renderer()
    boxes = []
    texts = list(ax.get_xticklabels()) + list(ax.get_yticklabels()) + [ax.yaxis.get_offset_text()]
    for t in texts:
        s = t.get_text().replace("$\\mathdefault{", "").replace("}$", "").replace("^{", "^").replace("}", "")
        s = s.replace("\\times", "×").replace("\\mathdefault{", "").replace("$", "")
        if not s or not t.get_visible():
            continue
        bb = t.get_window_extent(renderer)
        if bb.x1 < 0 or bb.x0 > img.shape[1] or bb.y1 < 0 or bb.y0 > h:
            continue
        quad = np.array([[bb.x0, h - bb.y1], [bb.x1, h - bb.y1], [bb.x1, h - bb.y0], [bb.x0, h - bb.y0]])
        boxes.append(TextBox(quad, s, 1.0))
    plt.close(fig)
    return img, pts, np.column_stack([x, y]), (lambda image: list(boxes))


def rel_error(got, true, log=False):
    f = np.log10 if log else (lambda v: v)
    return np.abs(f(got) - f(true)).max() / np.ptp(f(true))


def test_linear_chart_values_within_one_percent():
    img, pts, true, engine = chart()
    res = read_axes(img, engine=engine)
    assert res.calibrated, (res.x.reason, res.y.reason)
    data = res.to_data(pts)
    assert rel_error(data[:, 1], true[:, 1]) < 0.01
    assert rel_error(data[:, 0], true[:, 0]) < 0.01
    d = res.to_dict()
    assert d["units"] == {"x": "data", "y": "data"} and d["y"]["scale"] == "linear"
    assert any(t["text"].startswith("−") and t["value"] < 0 for t in d["y"]["ticks"])  # Unicode minus read


def test_log_chart_is_fitted_in_log_space():
    img, pts, true, engine = chart(log=True)
    res = read_axes(img, engine=engine)
    assert res.y.calibrated and res.y.scale == "log", res.y.reason
    assert rel_error(res.to_data(pts)[:, 1], true[:, 1], log=True) < 0.01


def test_axis_multiplier_scales_the_labels():
    img, pts, true, engine = chart(sci=True)
    assert any("10^" in b.text or "e" in b.text for b in engine(img))  # the offset text is read
    res = read_axes(img, engine=engine)
    assert res.y.calibrated and res.y.multiplier == pytest.approx(1e-3)  # labels -5..4, "1e-3" on top
    assert rel_error(res.to_data(pts)[:, 1], true[:, 1]) < 0.01
    # the detector may join the multiplier and the title beside it into one text
    joined = [TextBox(b.quad, b.text + " Growth Rate", 1.0) if "e" in b.text else b for b in engine(img)]
    res = read_axes(img, engine=lambda image: joined)
    assert res.y.multiplier == pytest.approx(1e-3)


def test_unreadable_labels_are_not_calibrated():
    img, pts, _, engine = chart()
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "elit", "sed", "do"]
    garbled = [TextBox(b.quad, words[i % len(words)], 0.6) for i, b in enumerate(engine(img))]
    res = read_axes(img, engine=lambda image: garbled)
    assert not res.x.calibrated and not res.y.calibrated
    assert "no row/column of numeric tick labels" in res.y.reason
    assert np.array_equal(res.to_data(pts), pts)  # uncalibrated axes stay in pixels
    assert res.to_dict()["units"] == {"x": "pixels", "y": "pixels"}


def test_misread_labels_that_disagree_are_not_guessed():
    img, _, _, engine = chart()
    rng = np.random.default_rng(0)
    shuffled = [TextBox(b.quad, str(int(rng.integers(0, 1000))), 0.9) for b in engine(img)]
    res = read_axes(img, engine=lambda image: shuffled)
    assert not res.x.calibrated and not res.y.calibrated
    assert res.y.reason


def test_without_the_extra_a_clear_message(monkeypatch):
    monkeypatch.setattr(ocr_mod, "available", lambda: False)
    ocr_mod.get_engine.cache_clear()
    try:
        with pytest.raises(OCRUnavailable, match=r'pip install "linegroup\[axes\]"'):
            read_axes(np.full((50, 50, 3), 255, np.uint8))
    finally:
        ocr_mod.get_engine.cache_clear()
    assert "linegroup[axes]" in INSTALL_HINT


@NEEDS_OCR
def test_real_ocr_reads_a_chart_within_one_percent():
    img, pts, true, _ = chart(size=(7, 5))
    res = read_axes(img)
    assert res.calibrated, (res.x.reason, res.y.reason)
    data = res.to_data(pts)
    assert rel_error(data[:, 1], true[:, 1]) < 0.01 and rel_error(data[:, 0], true[:, 0]) < 0.01


def test_text_proposals_find_small_labels_not_grid_dashes():
    import cv2

    from linegroup.axes.proposals import text_proposals, uncovered

    img = np.full((200, 300, 3), 255, np.uint8)
    cv2.putText(img, "-12", (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "3.5", (10, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for y in range(10, 190, 12):  # a dashed vertical grid line
        img[y:y + 6, 200] = 0
    boxes = text_proposals(img)
    assert len(boxes) == 2, boxes.tolist()
    top = boxes[np.argmin(boxes[:, 1])]
    assert top[0] <= 10 and top[2] >= 30 and top[1] <= 50 <= top[3]  # the minus sign is inside the box
    quad = np.array([[0, 40], [60, 40], [60, 70], [0, 70]], float)
    assert len(uncovered(boxes, [quad])) == 1  # the one a detector already read is left out


def test_a_skewed_scan_is_turned_upright_before_fitting():
    import cv2

    img, pts, true, engine = chart(size=(7, 5))
    h, w = img.shape[:2]
    rot = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 1.5, 1.0)  # 1.5 degrees, like a skewed scan
    skewed = cv2.warpAffine(img, rot, (w, h), borderValue=(255, 255, 255))
    moved = lambda q: q @ rot[:, :2].T + rot[:, 2]  # noqa: E731
    boxes = [TextBox(moved(b.quad), b.text, 1.0) for b in engine(img)]
    res = read_axes(skewed, engine=lambda image: boxes)
    assert res.calibrated, (res.x.reason, res.y.reason)
    assert abs(abs(res.to_dict()["tilt_deg"]) - 1.5) < 0.3
    data = res.to_data(moved(pts))
    assert rel_error(data[:, 1], true[:, 1]) < 0.01 and rel_error(data[:, 0], true[:, 0]) < 0.01
    # the JSON block gives back the same maps, skew included
    again = type(res).from_dict(json.loads(json.dumps(res.to_dict())))
    assert np.allclose(again.to_data(moved(pts)), data)


@NEEDS_OCR
def test_the_engine_fetches_nothing(monkeypatch):
    import socket

    def refuse(*args, **kw):
        raise AssertionError(f"network access attempted: {args[1:]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    ocr_mod.get_engine.cache_clear()  # load the models again, with the network refused
    try:
        img, _, _, _ = chart()
        assert read_axes(img).y.calibrated
    finally:
        ocr_mod.get_engine.cache_clear()


def test_without_axis_lines_the_plot_area_comes_from_the_grid():
    """A chart with neither axis lines nor a panel (plotly's white template): the labels are
    grouped around the area its faint grid spans, as `predict` crops to it."""
    img = np.full((300, 400, 3), 255, np.uint8)
    img[60:241:60, 60:371] = (235, 240, 248)
    img[40:251, 60:361:100] = (235, 240, 248)
    res = read_axes(img, engine=lambda image: [])
    assert res.plot_area == (60, 40, 370, 250)
