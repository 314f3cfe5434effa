"""linegroup serve in a real browser: Playwright drives Debian's Chromium (no browser
download) against a live server. Open the page, upload a chart, see its lines listed,
click two lines on the chart and merge them, undo and redo, export the CSV and check it,
lasso part of a line into a new one, calibrate x by clicking a tick, reload (the chart
reopens as it was left), open its link in another profile, save a screenshot. Skips with a message when Chromium or playwright is missing."""

import os
import shutil
import socket
import threading
import time

import pytest

pytest.importorskip("starlette", reason='the web extra is not installed: pip install "linegroup[web]"')
uvicorn = pytest.importorskip("uvicorn", reason='the web extra is not installed: pip install "linegroup[web]"')
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install playwright); the browser test skips")

from test_web_api import H, ROWS, W, chart_files  # noqa: E402

from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.web.server import create_app  # noqa: E402

CHROMIUM = os.environ.get("LINEGROUP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(tiny_ckpt, tmp_path):
    """A live server on a free local port; yields its URL."""
    app = create_app(LineGrouper.load(tiny_ckpt), store=str(tmp_path / "store"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    t0 = time.time()
    while not srv.started and time.time() - t0 < 20:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def page():
    if not os.path.isfile(CHROMIUM):
        pytest.skip(f"no browser: Chromium not found at {CHROMIUM} (apt-get install chromium, or set "
                    f"LINEGROUP_CHROMIUM); the browser test skips")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 800}, accept_downloads=True)
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        yield pg
        browser.close()
        assert not errors, f"script errors on the page: {errors}"


def click_image(page, x, y, **kw):
    """Click the chart at image pixel (x, y)."""
    box = page.locator("#overCanvas").bounding_box()
    page.locator("#overCanvas").click(position={"x": (x + 0.5) * box["width"] / W,
                                                "y": (y + 0.5) * box["height"] / H}, **kw)


def test_page_upload_merge_export(server, page, tmp_path):
    expect = sync_api.expect
    _, png, cand = chart_files()
    (tmp_path / "chart.png").write_bytes(png)
    (tmp_path / "cand.png").write_bytes(cand)
    page.goto(server)
    page.set_input_files("#candidates", str(tmp_path / "cand.png"))  # the tiny test model needs the line pixels
    page.set_input_files("#files", str(tmp_path / "chart.png"))
    items = page.locator("#lines li")
    expect(items).to_have_count(3, timeout=30_000)
    expect(page.locator("#status")).to_contain_text("chart.png: 3 lines")
    assert items.all_inner_texts()[0].startswith("line 1")
    swatch = items.first.locator(".swatch").evaluate("e => getComputedStyle(e).backgroundColor")
    drawn = page.locator("#overCanvas").evaluate(  # the overlay's pixel on line 1, at x = 20
        f"c => Array.from(c.getContext('2d').getImageData(20, {ROWS[0] + 1}, 1, 1).data)")
    assert swatch == f"rgb({drawn[0]}, {drawn[1]}, {drawn[2]})" and drawn[3] == 255  # drawn in its colour

    click_image(page, 20, ROWS[0] + 1)  # the first line, then the second with shift: both selected
    click_image(page, 20, ROWS[1] + 1, modifiers=["Shift"])
    expect(page.locator("#lines li.sel")).to_have_count(2)
    page.click("#merge")
    expect(items).to_have_count(2)
    assert [t.split("\n")[0] for t in items.all_inner_texts()] == ["line 1", "line 3"]

    page.click("#undo")
    expect(items).to_have_count(3)
    page.click("#redo")
    expect(items).to_have_count(2)

    with page.expect_download() as dl:
        page.click("#expCsv")
    assert dl.value.suggested_filename == "chart.csv"
    rows = open(dl.value.path()).read().strip().split("\n")
    assert rows[0] == "line1_x,line1_y,line3_x,line3_y"
    x1, y1, x3, y3 = (float(v) for v in rows[1].split(","))
    assert x1 == x3 == 3 and abs(y1 - (ROWS[0] + ROWS[1]) / 2) <= 1.5 and abs(y3 - ROWS[2]) <= 1.5

    # lasso the left half of line 3 into a new line
    page.click("button[data-mode=lasso]")
    box = page.locator("#overCanvas").bounding_box()
    sx, sy = box["width"] / W, box["height"] / H
    corners = [(0, ROWS[2] - 8), (40, ROWS[2] - 8), (40, ROWS[2] + 8), (0, ROWS[2] + 8), (0, ROWS[2] - 7)]
    page.mouse.move(box["x"] + corners[0][0] * sx, box["y"] + corners[0][1] * sy)
    page.mouse.down()
    for x, y in corners[1:]:
        page.mouse.move(box["x"] + x * sx, box["y"] + y * sy, steps=4)
    page.mouse.up()
    expect(items).to_have_count(3)
    assert [t.split("\n")[0] for t in items.all_inner_texts()] == ["line 1", "line 3", "line 4"]

    # calibrate x by hand: pick tick 1 on the chart at x = 0.5 (value 0), type tick 2 (x = 80.5 is 8)
    page.locator("#calib tr[data-axis=x][data-k='1'] .pick").click()
    click_image(page, 0, 40)
    page.fill("#calib tr[data-axis=x][data-k='1'] .val", "0")
    page.fill("#calib tr[data-axis=x][data-k='2'] .px", "80.5")
    page.fill("#calib tr[data-axis=x][data-k='2'] .val", "8")
    page.click("#applyCalib")
    expect(page.locator("#axesInfo")).to_contain_text("calibration by hand: 0.5=0,80.5=8;")
    with page.expect_download() as dl:
        page.click("#expCsv")
    x1 = float(open(dl.value.path()).read().split("\n")[1].split(",")[0])
    assert x1 == pytest.approx(0.25)  # pixel 3 in data units

    # a reload reopens the chart where it was left, its edits undoable
    page.reload()
    expect(items).to_have_count(3)
    expect(page.locator("#axesInfo")).to_contain_text("calibration by hand: 0.5=0,80.5=8;")
    expect(page.locator("#charts button")).to_have_count(1)
    page.click("#undo")  # the calibration
    expect(page.locator("#axesInfo")).to_contain_text("no calibration by hand")
    other = page.context.browser.new_context().new_page()  # another browser profile, given the chart's link
    other.goto(page.url)
    expect(other.locator("#lines li")).to_have_count(3)
    other.close()

    shot = tmp_path / "serve.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
