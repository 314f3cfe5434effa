"""The web app of `linegroup serve`: one page and a small JSON API (Starlette).

    from linegroup.web.server import create_app
    app = create_app(grouper, store="/tmp/lg-sessions")   # grouper: a loaded LineGrouper
    uvicorn.run(app, host="127.0.0.1", port=8765)

Routes (README, "Checking and correcting lines in the browser"):

    GET  /                        the page; GET /static/{app.js,style.css} its script and style
    POST /api/predict             multipart: image (+ candidates, axes=auto, calib, log_x, log_y, page)
                                  -> the NAME.json document of `linegroup predict`, plus session and state
    POST /api/edit                JSON {"session", "op": merge|split|delete|reassign|calibrate|undo|redo, ...}
                                  -> the updated document
    GET  /api/session/{id}        the document as it was left (reopen)
    GET  /api/mask/{id}           the label mask as runs: {"width", "height", "runs": [start, length, label, ...]}
    GET  /api/image/{id}          the picture the model saw (PNG)
    GET  /api/export/{id}.{csv|json|chartinfo.json}   the CLI's exports

Refusals: a body over max_upload bytes 413, an upload that is not multipart or not an
image/PDF/SVG 415 (a PDF or SVG without the pdf extra too), an image that cannot be
decoded 422, a bad edit 400, an unknown or expired session, or any other path, 404.
The model runs one chart at a time (a lock) in a worker thread; edits of one session
run one at a time too.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from importlib import resources

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..images import EXTRA_HINT, ImageError, LinegroupError, decode_raw, header_size, iter_pages
from .edits import EditError
from .sessions import EXPORTS, SessionStore

MAX_UPLOAD = 50 * 1024 * 1024  # bytes: a larger request body gets 413
MAX_EDIT = 1024 * 1024  # bytes: an edit's JSON body (a long lasso) is far below this
UPLOAD_TYPES = {"image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif", "image/webp", "image/x-ms-bmp",
                "image/svg+xml", "application/pdf", "application/octet-stream", ""}  # declared types let through
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}  # the page's files; nothing else is served
EXPORT_NAME = re.compile(r"([A-Za-z0-9_-]{22})\.(csv|json|chartinfo\.json)")  # /api/export/{id}.{kind}
MEDIA = {"csv": "text/csv", "json": "application/json", "chartinfo.json": "application/json"}  # of the exports
# on every answer: no type sniffing, no caching, the page's scripts from this server only, no framing
HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
           "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status, headers=HEADERS)


def _json(doc: dict) -> Response:
    return Response(json.dumps(doc), media_type="application/json", headers=HEADERS)


class TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (TooLarge) past `limit` bytes, before reading if the
    declared length says so, else as soon as the stream passes it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, n = [], 0
    async for chunk in request.stream():
        n += len(chunk)
        if n > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def display_name(filename: str | None) -> str:
    """The client's file name, for display only: its last path part, printable, at most 120
    characters. It never becomes a path."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(c for c in base if c.isprintable()).strip()[:120]
    return base or "chart"


def download_name(name: str, suffix: str) -> str:
    stem = os.path.splitext(name)[0]
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "chart") + suffix


def mask_runs(mask: np.ndarray) -> list:
    """The label mask in row-major runs of one label: [start, length, label, ...], label > 0."""
    flat = mask.reshape(-1)
    if flat.size == 0:
        return []
    starts = np.r_[0, np.flatnonzero(flat[1:] != flat[:-1]) + 1]
    lengths = np.diff(np.r_[starts, flat.size])
    labels = flat[starts]
    keep = labels > 0
    return np.column_stack([starts[keep], lengths[keep], labels[keep]]).reshape(-1).tolist()


def create_app(grouper, store: str | None = None, max_upload: int = MAX_UPLOAD, ttl_s: float | None = None,
               allowed_hosts: list | None = None) -> Starlette:
    """The app around a loaded LineGrouper. store: the session folder (default: a folder in
    the temporary directory). allowed_hosts: Host headers accepted (None: any)."""
    store = SessionStore(store or os.path.join(tempfile.gettempdir(), "linegroup-sessions"),
                         **({"ttl_s": ttl_s} if ttl_s else {}))
    model_lock = threading.Lock()

    def page(request):
        return Response(_static("index.html"), media_type="text/html", headers=HEADERS)

    def static(request):
        name = request.path_params["name"]
        if name not in STATIC:
            return _error(404, "not found")
        return Response(_static(name), media_type=STATIC[name], headers=HEADERS)

    def run_model(data: bytes, name: str, cand: bytes | None, form: dict):
        """Upload bytes -> a new session (the same reading as `linegroup predict`)."""
        with tempfile.TemporaryDirectory(dir=store.root, prefix=".upload-") as tmp:
            path = os.path.join(tmp, "upload")  # our own name; the client's is for display only
            with open(path, "wb") as f:
                f.write(data)
            try:
                page_no = int(form.get("page") or 1)
                pg = next(iter_pages(path, None, page_no))
            except ImageError as e:
                raise ImageError(str(e).replace(path, name)) from None
            except ValueError:
                raise EditError("page must be a whole number") from None
        if pg.error:
            raise ImageError(pg.error.replace(path, name))
        mask = None
        if cand:
            mask = decode_raw(np.frombuffer(cand, np.uint8), f"{name}: candidate mask")
        axes = None
        with model_lock:
            res = grouper.predict(pg.image, candidates=mask, name=name)
            if form.get("axes") == "auto":
                from ..axes import read_axes

                axes = read_axes(pg.image, plot_area=res.plot_area)
        meta = {"page": pg.page, "pages": pg.pages, "dpi": pg.dpi, "plot_area": list(res.plot_area) if res.plot_area else None,
                "axes": axes.to_dict() if axes else None, "timings": res.timings,
                "calibration": {"calib": form.get("calib") or "", "log_x": form.get("log_x") in ("1", "true", "on"),
                                "log_y": form.get("log_y") in ("1", "true", "on")}}
        return store.create(name, pg.image, res.mask, meta, res.lines)

    async def predict(request: Request):
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error(415, "send the image as multipart/form-data (field 'image')")
        try:
            body = await _body(request, max_upload)
        except TooLarge:
            return _error(413, f"upload over the limit of {max_upload / 2 ** 20:.0f} MB")

        async def replay():
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=2, max_fields=10)
        except Exception as e:  # noqa: BLE001 - a malformed multipart body
            return _error(400, f"malformed form: {e}")
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            return _error(400, "no image: send the chart as the multipart file field 'image'")
        name = display_name(upload.filename)
        data = await upload.read()
        ctype = (upload.content_type or "").split(";")[0].strip().lower()
        fmt, _ = header_size(data[:65536])
        if ctype not in UPLOAD_TYPES or not fmt:
            await form.close()
            return _error(415, f"{name}: not a chart file linegroup reads (PNG, JPEG, TIFF, BMP, GIF, WebP; "
                               f"PDF and SVG with the pdf extra), got {ctype or 'no type'}")
        cand = form.get("candidates")
        cand = await cand.read() if cand is not None and not isinstance(cand, str) else None
        await form.close()  # the spooled parts
        fields = {k: form.get(k) for k in ("axes", "calib", "log_x", "log_y", "page") if isinstance(form.get(k), str)}
        if fields.get("axes") == "auto":
            from ..axes import INSTALL_HINT, available

            if not available():
                return _error(400, INSTALL_HINT)
        try:
            if fields.get("calib"):
                from ..formats import parse_calib

                parse_calib(fields["calib"])
            session = await run_in_threadpool(run_model, data, name, cand, fields)
        except ImageError as e:
            return _error(415 if EXTRA_HINT in str(e) else 422, str(e))
        except (LinegroupError, EditError, ValueError) as e:
            return _error(400, str(e))
        return _json(answer(session))

    def answer(session) -> dict:
        return {**session.document(), "session": session.id, "state": session.summary()}

    def get_session(sid):
        try:
            return store.get(sid)
        except KeyError:
            return None

    def do_edit(session, op: dict) -> dict:
        with session.lock:
            kind = op.get("op")
            if kind in ("undo", "redo"):
                if not (session.undo() if kind == "undo" else session.redo()):
                    raise EditError(f"nothing to {kind}")
            else:
                session.edit(op)
            session.save()
            return answer(session)

    async def edit(request: Request):
        if not request.headers.get("content-type", "").startswith("application/json"):
            return _error(415, "send the edit as application/json")
        try:
            op = json.loads(await _body(request, MAX_EDIT))
        except TooLarge:
            return _error(413, "edit too large")
        except ValueError:
            return _error(400, "the edit is not JSON")
        if not isinstance(op, dict):
            return _error(400, "the edit must be a JSON object")
        session = get_session(op.get("session"))
        if session is None:
            return _error(404, "no such session (unknown or expired)")
        try:
            return _json(await run_in_threadpool(do_edit, session, op))
        except EditError as e:
            return _error(400, str(e))

    def with_session(handler):
        def route(request):
            session = get_session(request.path_params["sid"])
            if session is None:
                return _error(404, "no such session (unknown or expired)")
            with session.lock:  # not while an edit changes the mask
                return handler(session)
        return route

    def export(request: Request):
        m = EXPORT_NAME.fullmatch(request.path_params["name"])
        session = get_session(m[1]) if m else None
        if session is None:
            return _error(404, "no such export")
        with session.lock:
            text = session.export(m[2])
        fname = download_name(session.meta["name"], EXPORTS[m[2]])
        return Response(text, media_type=MEDIA[m[2]],
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{fname}"'})

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/api/predict", predict, methods=["POST"]),
        Route("/api/edit", edit, methods=["POST"]),
        Route("/api/session/{sid}", with_session(lambda s: _json(answer(s)))),
        Route("/api/mask/{sid}", with_session(lambda s: _json({"width": s.mask.shape[1], "height": s.mask.shape[0],
                                                                "runs": mask_runs(s.mask)}))),
        Route("/api/image/{sid}", with_session(lambda s: FileResponse(os.path.join(s.folder, "image.png"),
                                                                      media_type="image/png", headers=HEADERS))),
        Route("/api/export/{name}", export),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)] if allowed_hosts else []
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={404: lambda r, e: _error(404, "not found"),
                                        405: lambda r, e: _error(405, "method not allowed")})
    app.state.store = store
    return app


def _static(name: str) -> bytes:
    return resources.files("linegroup.web").joinpath("static", name).read_bytes()
