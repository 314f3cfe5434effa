"""linegroup serve's API through Starlette's TestClient: predict, edits with undo/redo,
exports against the CLI's own writers, reopening a session, and the refusals (413, 415,
404 on traversal, expiry)."""

import json
import os
import socket
import subprocess
import sys
import warnings

import cv2
import numpy as np
import pytest

pytest.importorskip("starlette", reason='the web extra is not installed: pip install "linegroup[web]"')
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():  # Starlette 1.x asks for httpx2 instead of httpx; both work
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from conftest import draw_chart, run_cli  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.web.edits import EditError, History, Step, apply_op  # noqa: E402
from linegroup.web.server import create_app, mask_runs  # noqa: E402

H, W = 64, 80
ROWS = (10, 30, 52)  # y of the three straight lines (RGB red, green, blue)
COLORS = [(220, 0, 0), (0, 150, 0), (0, 0, 220)]


def chart_files():
    """A 3-line chart as PNG bytes, with its line pixels as a candidate mask (PNG bytes)."""
    lines = [np.array([[4, y], [40, y + 3], [75, y]], float) for y in ROWS]
    img, _ = draw_chart(H, W, lines, COLORS)
    png = cv2.imencode(".png", img[..., ::-1])[1].tobytes()
    cand = cv2.imencode(".png", (img.min(2) < 128).astype(np.uint8) * 255)[1].tobytes()
    return img, png, cand


@pytest.fixture(scope="module")
def grouper(tiny_ckpt):
    return LineGrouper.load(tiny_ckpt)


@pytest.fixture
def client(grouper, tmp_path):
    app = create_app(grouper, store=str(tmp_path / "store"), max_upload=200_000)
    with TestClient(app) as c:
        yield c


def upload(client, png, cand, name="chart.png", **fields):
    files = {"image": (name, png, "image/png"), "candidates": ("cand.png", cand, "image/png")}
    return client.post("/api/predict", files=files, data=fields)


def edit(client, sid, **op):
    r = client.post("/api/edit", json={"session": sid, **op})
    assert r.status_code == 200, r.text
    return r.json()


def ids(doc):
    return [ln["id"] for ln in doc["lines"]]


def test_predict_merge_split_delete_undo_export(client, tmp_path, tiny_ckpt):
    img, png, cand = chart_files()
    r = upload(client, png, cand)
    assert r.status_code == 200, r.text
    doc = r.json()
    sid = doc["session"]
    assert ids(doc) == [1, 2, 3] and doc["state"]["undo"] == 0
    assert [ln["color"] for ln in doc["lines"]] == [list(c) for c in COLORS]

    # the document is the one `linegroup predict` writes for the same chart and candidates
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "chart.png").write_bytes(png)
    (tmp_path / "cand.png").write_bytes(cand)
    out = tmp_path / "out"
    rc = run_cli("predict", tmp_path / "in" / "chart.png", "--out", out, "--checkpoint", tiny_ckpt,
                 "--candidates", tmp_path / "cand.png", "--format", "json", "csv", "chartinfo")
    assert rc.returncode == 0, rc.stderr
    cli_doc = json.loads((out / "chart.json").read_text())
    assert {k: v for k, v in doc.items() if k not in ("session", "state")} == cli_doc
    assert client.get(f"/api/export/{sid}.csv").text == (out / "chart.csv").read_text()
    chartinfo = json.loads((out / "chart.chartinfo.json").read_text())
    assert client.get(f"/api/export/{sid}.chartinfo.json").json() == chartinfo
    assert client.get(f"/api/export/{sid}.json").json() == cli_doc

    doc = edit(client, sid, op="merge", lines=[1, 2])
    assert ids(doc) == [1, 3] and doc["lines"][0]["num_pixels"] == sum(ln["num_pixels"] for ln in cli_doc["lines"][:2])
    doc = edit(client, sid, op="split", line=3, x=40)
    assert ids(doc) == [1, 3, 4]
    assert max(p[0] for p in doc["lines"][1]["points"]) < 40 <= min(p[0] for p in doc["lines"][2]["points"])
    doc = edit(client, sid, op="delete", lines=[1])
    assert ids(doc) == [3, 4] and doc["state"]["undo"] == 3

    rows = client.get(f"/api/export/{sid}.csv").text.strip().split("\n")
    assert rows[0] == "line3_x,line3_y,line4_x,line4_y"
    first = [float(v) for v in rows[1].split(",")[:2]]
    assert first[0] == 3 and abs(first[1] - ROWS[2]) <= 1.5  # the blue line, left of the cut, in pixels
    n3, n4 = (sum(1 for r in rows[1:] if r.split(",")[k]) for k in (0, 2))
    assert n3 == len(doc["lines"][0]["points"]) and n4 == len(doc["lines"][1]["points"])

    # undo twice, redo once: the split line is back in one piece, then cut again
    doc = edit(client, sid, op="undo")
    assert ids(doc) == [1, 3, 4]
    doc = edit(client, sid, op="undo")
    assert ids(doc) == [1, 3] and doc["state"] == {**doc["state"], "undo": 1, "redo": 2}
    doc = edit(client, sid, op="redo")
    assert ids(doc) == [1, 3, 4]
    runs = client.get(f"/api/mask/{sid}").json()
    lab = np.zeros(H * W, np.int64)
    for s, n, v in np.array(runs["runs"]).reshape(-1, 3):
        lab[s:s + n] = v
    assert sorted(set(lab.tolist()) - {0}) == [1, 3, 4] and (lab.reshape(H, W)[:, 40:] != 3).all()


def test_reassign_calibrate_and_reopen(client, grouper, tmp_path):
    _, png, cand = chart_files()
    sid = upload(client, png, cand).json()["session"]
    box = [[0, 0], [30, 0], [30, H], [0, H]]  # the left part of every line
    doc = edit(client, sid, op="reassign", polygon=box, to="new", **{"from": [2]})
    assert ids(doc) == [1, 2, 3, 4] and max(p[0] for p in doc["lines"][3]["points"]) <= 30
    doc = edit(client, sid, op="calibrate", calib="0=0,80=8;64=0,0=64", log_y=False)
    assert doc["state"]["calib"] == "0=0,80=8;64=0,0=64"
    row = client.get(f"/api/export/{sid}.csv").text.split("\n")[1].split(",")
    assert float(row[0]) == pytest.approx(0.3) and float(row[1]) == pytest.approx(64 - ROWS[0], abs=1.5)
    r = client.post("/api/edit", json={"session": sid, "op": "calibrate", "calib": "1=2"})
    assert r.status_code == 400 and "calibration" in r.json()["error"]
    edit(client, sid, op="undo")  # the calibration
    assert client.get(f"/api/export/{sid}.csv").text.split("\n")[1].split(",")[0] == "3"  # pixels again

    # a new server on the same store reopens the chart where it was left (undo history too)
    app2 = create_app(grouper, store=str(tmp_path / "store"))
    with TestClient(app2) as c2:
        doc2 = c2.get(f"/api/session/{sid}").json()
        assert ids(doc2) == [1, 2, 3, 4] and doc2["state"]["undo"] == 1 and doc2["state"]["redo"] == 1
        assert doc2["lines"] == client.get(f"/api/session/{sid}").json()["lines"]
        assert ids(edit(c2, sid, op="undo")) == [1, 2, 3]
        assert edit(c2, sid, op="redo")["state"]["calib"] == ""  # redo the reassign, not the calibration


def test_bad_edits_are_400(client):
    _, png, cand = chart_files()
    sid = upload(client, png, cand).json()["session"]
    for op in ({"op": "merge", "lines": [1]}, {"op": "merge", "lines": [1, 9]}, {"op": "split", "line": 1, "x": 0},
               {"op": "delete", "lines": ["a"]}, {"op": "reassign", "polygon": [[0, 0], [1, 1]], "to": "new"},
               {"op": "reassign", "polygon": [[200, 200], [300, 200], [300, 300]], "to": 1}, {"op": "fly"},
               {"op": "redo"}):
        r = client.post("/api/edit", json={"session": sid, **op})
        assert r.status_code == 400 and r.json()["error"], op
    assert ids(client.get(f"/api/session/{sid}").json()) == [1, 2, 3]


def test_refusals(client):
    _, png, cand = chart_files()
    big = png + b"\0" * 200_001
    assert upload(client, big, cand).status_code == 413
    r = client.post("/api/predict", content=b"x" * 300_000, headers={"content-type": "multipart/form-data; b=x"})
    assert r.status_code == 413
    chunks = iter([b"x" * 100_000] * 3)  # no Content-Length: refused while streaming
    r = client.post("/api/predict", content=chunks, headers={"content-type": "multipart/form-data; b=x"})
    assert r.status_code == 413 and "content-length" not in r.request.headers
    r = client.post("/api/predict", files={"image": ("a.txt", b"hello, not an image", "text/plain")})
    assert r.status_code == 415 and "a.txt" in r.json()["error"]
    r = client.post("/api/predict", files={"image": ("a.png", b"hello, not an image", "image/png")})
    assert r.status_code == 415
    r = client.post("/api/predict", json={"image": "chart.png"})
    assert r.status_code == 415
    r = client.post("/api/predict", files={"image": ("a.png", png[:60], "image/png")})
    assert r.status_code == 422 and "a.png: damaged PNG" in r.json()["error"]
    r = client.post("/api/edit", content=b"{}", headers={"content-type": "text/plain"})
    assert r.status_code == 415

    sid = upload(client, png, cand, name="../../etc/passwd").json()["session"]
    assert client.get(f"/api/session/{sid}").json()["image"] == "passwd"  # the client's name is display only
    for path in ("/api/export/../../etc/passwd.csv", "/api/export/%2e%2e%2f%2e%2e%2fetc%2fpasswd.csv",
                 "/api/export/..%2F..%2Fedits.json", f"/api/export/{sid}.txt", f"/api/export/{sid[:-1]}.csv",
                 "/api/session/..%2F..%2Fetc", "/api/image/....%2F%2F", "/static/..%2Fserver.py",
                 "/static/../web/server.py", "/static/index.html.bak", "/api/mask/" + "A" * 22, "/etc/passwd"):
        r = client.get(path)
        assert r.status_code == 404, path
    assert client.get(f"/api/image/{sid}").headers["content-type"] == "image/png"
    assert client.get("/").status_code == 200 and client.get("/static/app.js").status_code == 200


def test_sessions_expire(client, tmp_path):
    _, png, cand = chart_files()
    sid = upload(client, png, cand).json()["session"]
    store = client.app.state.store
    folder = os.path.join(store.root, sid)
    os.utime(folder, (1, 1))  # untouched since 1970
    assert client.get(f"/api/session/{sid}").status_code == 404 and not os.path.exists(folder)

    sid = upload(client, png, cand).json()["session"]  # a damaged sidecar: no session, not a crash
    with open(os.path.join(store.root, sid, "edits.json"), "w") as f:
        f.write('{"meta": {}, "done": [{"op": "merge", "lines": [1, 99]}], "undone": []}')
    store._mem.clear()
    assert client.get(f"/api/session/{sid}").status_code == 404


def test_edits_are_pure_numpy_with_undo():
    mask = np.zeros((6, 8), np.uint16)
    mask[1, :] = 1
    mask[4, :] = 2
    orig = mask.copy()
    hist = History()
    for op, new in (({"op": "merge", "lines": [2, 1]}, 3), ({"op": "split", "line": 2, "x": 5}, 3),
                    ({"op": "reassign", "polygon": [[0, 0], [2, 0], [2, 6], [0, 6]], "to": 0}, 4)):
        hist.push(Step(op, apply_op(mask, op, new)))
    assert mask[1].tolist() == mask[4].tolist() == [0, 0, 0, 2, 2, 3, 3, 3]  # merged, cut at x = 5, lassoed off
    while hist.undo(mask):
        pass
    assert (mask == orig).all()
    while hist.redo(mask):
        pass
    assert mask[4].tolist() == [0, 0, 0, 2, 2, 3, 3, 3]
    with pytest.raises(EditError, match="no line 7"):
        apply_op(mask, {"op": "delete", "lines": [7]}, 9)
    assert mask_runs(mask) == [11, 2, 2, 13, 3, 3, 35, 2, 2, 37, 3, 3]


def test_pdf_upload_and_foreign_host(grouper, tmp_path):
    pytest.importorskip("pypdfium2", reason='PDF uploads need the pdf extra: pip install "linegroup[pdf]"')
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(tmp_path / "fig.pdf") as pdf:  # two pages
        for k in range(2):
            fig = plt.figure(figsize=(1.2 + 0.5 * k, 0.9))
            fig.add_subplot(111).plot([0, 1, 2], [0, 2, 1], "k-")
            pdf.savefig(fig)
            plt.close(fig)
    app = create_app(grouper, store=str(tmp_path / "store"), allowed_hosts=["127.0.0.1", "testserver"])
    with TestClient(app) as c:
        pdf = (tmp_path / "fig.pdf").read_bytes()
        r = c.post("/api/predict", files={"image": ("fig.pdf", pdf, "application/pdf")})
        assert r.status_code == 200, r.text
        doc = r.json()
        assert (doc["page"], doc["dpi"], doc["state"]["pages"]) == (1, 200, 2)
        assert abs(doc["width"] - 240) <= 1 and abs(doc["height"] - 180) <= 1  # 1.2 x 0.9 inches drawn at 200 dpi
        assert c.get(f"/api/image/{doc['session']}").content[:4] == b"\x89PNG"
        doc = c.post("/api/predict", files={"image": ("fig.pdf", pdf, "application/pdf")}, data={"page": "2"}).json()
        assert doc["page"] == 2 and abs(doc["width"] - 340) <= 1
        r = c.post("/api/predict", files={"image": ("fig.pdf", pdf, "application/pdf")}, data={"page": "3"})
        assert r.status_code == 422 and "fig.pdf" in r.json()["error"]
        assert c.get("/", headers={"host": "evil.example:8765"}).status_code == 400  # DNS rebinding
        with pytest.MonkeyPatch.context() as mp:  # as if the pdf extra were not installed
            mp.setitem(sys.modules, "pypdfium2", None)
            r = c.post("/api/predict", files={"image": ("fig.pdf", pdf, "application/pdf")})
        assert r.status_code == 415 and 'pip install "linegroup[pdf]"' in r.json()["error"]


def test_serve_listens_on_localhost_unless_told(tiny_ckpt, tmp_path):
    r = run_cli("serve", "--host", "0.0.0.0", "--checkpoint", tiny_ckpt)
    assert r.returncode == 2 and "--allow_remote" in r.stderr
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    code = "import sys; sys.modules['starlette'] = None\nfrom linegroup.cli import main\nsys.exit(main(['serve']))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and 'pip install "linegroup[web]"' in r.stderr  # as if the extra were missing
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "linegroup.cli", "serve", "--host", "0.0.0.0", "--allow_remote",
                             "--port", str(port), "--checkpoint", tiny_ckpt, "--store", str(tmp_path)],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        warning = proc.stderr.readline()
        assert warning.startswith("warning: serving on 0.0.0.0") and "anyone" in warning
        assert proc.stdout.readline().startswith(f"linegroup serve: http://0.0.0.0:{port}/")
    finally:
        proc.terminate()
        proc.wait(10)


def test_axes_auto_gives_data_units_that_survive_a_reopen(grouper, tmp_path):
    from linegroup.axes import available

    if not available():
        pytest.skip('OCR extra not installed: pip install "linegroup[axes]"')
    from test_axes import chart

    img, _, true, _ = chart(size=(7, 5))
    line = np.abs(img.astype(int) - [31, 119, 180]).sum(2) < 90  # matplotlib's blue: the line's pixels
    png = cv2.imencode(".png", img[..., ::-1])[1].tobytes()
    cand = cv2.imencode(".png", line.astype(np.uint8) * 255)[1].tobytes()
    store = str(tmp_path / "store")
    with TestClient(create_app(grouper, store=store)) as c:
        doc = upload(c, png, cand, axes="auto").json()
        assert doc["axes"]["units"] == {"x": "data", "y": "data"} and all("data" in ln for ln in doc["lines"])
        text = c.get(f"/api/export/{doc['session']}.csv").text
    xs = [float(r.split(",")[0]) for r in text.strip().split("\n")[1:] if r.split(",")[0]]
    assert true[0, 0] - 2 < min(xs) < max(xs) < true[-1, 0] + 2  # axis units (-3 .. 47), not pixels
    with TestClient(create_app(grouper, store=store)) as c2:  # a new server: the axes come back from the sidecar
        assert c2.get(f"/api/export/{doc['session']}.csv").text == text
        assert c2.get(f"/api/session/{doc['session']}").json()["lines"] == doc["lines"]
