"""Charts being checked in `linegroup serve`: one session per chart, kept on disk.

    store = SessionStore("/tmp/lg-sessions", ttl_s=86400)
    s = store.create(name, image, mask, meta, lines)   # after the model ran
    s = store.get(sid)                                 # KeyError: unknown, malformed or expired
    s.edit({"op": "merge", "lines": [1, 2]}); s.undo(); s.redo()
    s.document()                                       # the NAME.json document, as predict writes it
    s.exports("csv")                                   # the same CSV as predict --format csv

A session is a folder STORE/ID, ID = 22 random URL-safe characters (secrets.token_urlsafe,
128 bits); nothing a client sends is ever part of a path except an ID that matches that
pattern exactly. It holds image.png (the picture the model saw: a PDF page drawn,
an image as RGB), mask0.png (the model's label mask, 16-bit) and edits.json (the sidecar:
name, page, dpi, plot area, axes read, and every edit done and undone). Reopening a
session replays the sidecar's edits on mask0, so a chart opens where it was left, after
a restart too. A session not touched for ttl_s seconds is removed.

After an edit only the lines it touched are described again: their per-column points
come from the whole mask (`lines_from_mask`, one pass), their markers from the mask
restricted to them (so a marker is not arbitrated against untouched lines as a fresh
`predict` would); the others keep theirs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict

import cv2
import numpy as np

from ..batch import encode_png
from ..outputs import chart_document, chart_exports
from ..predict import add_markers, lines_from_mask
from .edits import EditError, History, Step, apply_op

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16): the only thing a path is made of
TTL_S = 24 * 3600  # a session not touched for this long is removed
CACHED = 16  # sessions kept decoded in memory (the rest are read back from disk when asked for)
EXPIRE_EVERY_S = 60.0  # the store is swept for expired sessions at most this often
OP_KEYS = ("op", "lines", "line", "x", "polygon", "to", "from", "calib", "log_x", "log_y", "new_id")  # kept of an edit
EXPORTS = {"csv": ".csv", "json": ".json", "chartinfo.json": ".chartinfo.json"}  # export name -> suffix


class Session:
    """One chart: its image, the model's mask, the edited mask and the edit history."""

    def __init__(self, sid: str, folder: str, image: np.ndarray, mask0: np.ndarray, meta: dict,
                 lines: list | None = None):
        self.id, self.folder, self.image, self.meta = sid, folder, image, meta
        self.mask = mask0.copy()
        self.history = History()
        self.state = _calibration(meta.get("calibration") or {})  # the calibration by hand
        self.axes = _axes(meta.get("axes"))
        self.max_id = int(mask0.max())  # the largest line id ever used: a new line takes the next one
        self.lock = threading.Lock()
        self.lines = lines if lines is not None else self._describe(None, [])  # the model's, or found again

    # -- lines and the document ---------------------------------------------------

    def _describe(self, changed: set | None, old: list) -> list:
        """Lines of the current mask; those not in `changed` (None: all changed) keep the
        markers of `old`."""
        lines = lines_from_mask(self.mask, self.image)
        prev = {ln["id"]: ln for ln in old}
        redo = [ln for ln in lines if changed is None or ln["id"] in changed or ln["id"] not in prev]
        if redo:
            ids = np.array([ln["id"] for ln in redo])
            sub = self.mask if changed is None else np.where(np.isin(self.mask, ids), self.mask, 0)
            add_markers(redo, self.image, sub)
        redone = {ln["id"] for ln in redo}
        for ln in lines:
            if ln["id"] not in redone:
                ln.update({k: prev[ln["id"]][k] for k in ("markers", "marker", "polyline")})
        return lines

    def document(self) -> dict:
        """The NAME.json document of the chart as it is now (same code as `linegroup predict`)."""
        m, s = self.meta, self.state
        lines = [dict(ln) for ln in self.lines]  # chart_document adds data and marker_data to its lines
        return chart_document(m["name"], self.mask.shape[1], self.mask.shape[0], lines, m.get("plot_area"),
                              m.get("page"), m.get("dpi"), self.axes, s["calib"], s["log_x"], s["log_y"])

    def export(self, kind: str) -> str:
        """kind: "csv", "json" or "chartinfo.json", as `linegroup predict --format json chartinfo csv`."""
        doc, s = self.document(), self.state
        if kind == "json":
            return json.dumps(doc)
        return chart_exports(doc, ["chartinfo" if kind == "chartinfo.json" else kind], self.axes, s["calib"],
                             s["log_x"], s["log_y"])[EXPORTS[kind]]

    def summary(self) -> dict:
        return {"undo": len(self.history.done), "redo": len(self.history.undone), **self.state,
                "name": self.meta["name"], "pages": self.meta.get("pages", 1)}

    # -- edits ---------------------------------------------------------------------

    def edit(self, op: dict, replay: bool = False) -> None:
        """Apply one operation (edits.apply_op), record it, describe the lines it touched.
        replay: an operation read back from the sidecar, which brings the id it gave a new line."""
        op = {k: op[k] for k in OP_KEYS if k in op and (replay or k != "new_id")}
        if op.get("op") == "calibrate":
            new = _calibration(op)
            step = Step(dict(op), None, dict(self.state), new)
            self.state = dict(new)
        else:
            next_id = int(op.get("new_id") or self.max_id + 1)  # replayed ops bring the id they gave
            change = apply_op(self.mask, op, next_id)
            if next_id in change.after:
                op = {**op, "new_id": next_id}
                self.max_id = max(self.max_id, next_id)
            step = Step(dict(op), change)
            self.lines = self._describe(change.ids, self.lines)
        self.history.push(step)

    def undo(self) -> bool:
        return self._move(self.history.undo(self.mask), back=True)

    def redo(self) -> bool:
        return self._move(self.history.redo(self.mask), back=False)

    def _move(self, step: Step | None, back: bool) -> bool:
        if step is None:
            return False
        if step.change is None:
            self.state = dict(step.state_before if back else step.state_after)
        else:
            self.lines = self._describe(step.change.ids, self.lines)
        return True

    def save(self) -> None:
        """The sidecar edits.json: meta, the edits done, and those undone (redo order)."""
        side = {"version": 1, "meta": self.meta, "done": [s.op for s in self.history.done],
                "undone": [s.op for s in reversed(self.history.undone)]}
        _write(os.path.join(self.folder, "edits.json"), json.dumps(side).encode())


def _axes(block: dict | None):
    """The AxesResult of a document's "axes" block (the axes read at upload), or None."""
    if not block:
        return None
    from ..axes import AxesResult

    return AxesResult.from_dict(block)


def _calibration(op: dict) -> dict:
    from ..formats import parse_calib

    calib = str(op.get("calib") or "")
    if calib:
        try:
            parse_calib(calib)
        except ValueError as e:
            raise EditError(str(e).replace("--calib", "calibration")) from None
    return {"calib": calib, "log_x": bool(op.get("log_x")), "log_y": bool(op.get("log_y"))}


def _write(path: str, data: bytes) -> None:
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class SessionStore:
    """Sessions on disk under `root`, the most recent CACHED of them decoded in memory."""

    def __init__(self, root: str, ttl_s: float = TTL_S, cached: int = CACHED):
        self.root, self.ttl_s, self.cached = os.path.abspath(root), ttl_s, cached
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        self._mem: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self._swept = 0.0

    def _folder(self, sid: str) -> str:
        if not isinstance(sid, str) or not SESSION_ID.fullmatch(sid):
            raise KeyError(sid)
        return os.path.join(self.root, sid)

    def create(self, name: str, image: np.ndarray, mask: np.ndarray, meta: dict, lines: list | None = None) -> Session:
        """A new session for a chart the model just read (lines: its PredictResult.lines)."""
        self.expire()
        sid = secrets.token_urlsafe(16)
        folder = self._folder(sid)
        os.makedirs(folder, mode=0o700)
        _write(os.path.join(folder, "image.png"), encode_png(image))
        _write(os.path.join(folder, "mask0.png"), encode_png(mask, rgb=False))
        s = Session(sid, folder, image, mask, {**meta, "name": name}, lines)
        s.save()
        self._remember(s)
        return s

    def get(self, sid: str) -> Session:
        """The session; KeyError if the id is malformed, unknown or expired."""
        folder = self._folder(sid)
        self.expire()
        with self._lock:
            s = self._mem.get(sid)
            if s is not None:
                self._mem.move_to_end(sid)
        try:
            stale = time.time() - os.path.getmtime(folder) > self.ttl_s
        except OSError:  # no such session (or removed meanwhile)
            with self._lock:
                self._mem.pop(sid, None)
            raise KeyError(sid) from None
        if stale:
            self.expire(now=time.time())
            raise KeyError(sid)
        if s is None:
            with self._loading:  # one Session object per id, even when two requests reopen it at once
                with self._lock:
                    s = self._mem.get(sid)
                if s is None:
                    s = self._load(sid, folder)
                    self._remember(s)
        os.utime(folder)  # touched: expiry counts from the last use
        return s

    def _load(self, sid: str, folder: str) -> Session:
        try:
            with open(os.path.join(folder, "edits.json"), encoding="utf-8") as f:
                side = json.load(f)
            image = cv2.cvtColor(cv2.imread(os.path.join(folder, "image.png"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            mask0 = cv2.imread(os.path.join(folder, "mask0.png"), cv2.IMREAD_UNCHANGED)
            s = Session(sid, folder, image, mask0, side["meta"])
            for op in side["done"] + side["undone"]:  # replay, then step back over those undone
                s.edit(op, replay=True)
            for _ in side["undone"]:
                s.undo()
        except (OSError, ValueError, KeyError, TypeError, cv2.error):  # a damaged session is no session
            raise KeyError(sid) from None
        return s

    def _remember(self, s: Session) -> None:
        with self._lock:
            self._mem[s.id] = s
            self._mem.move_to_end(s.id)
            while len(self._mem) > self.cached:
                self._mem.popitem(last=False)

    def expire(self, now: float | None = None) -> int:
        """Remove sessions not touched for ttl_s; returns how many. Runs at most every
        EXPIRE_EVERY_S unless `now` is given."""
        t = time.time() if now is None else now
        if now is None and t - self._swept < EXPIRE_EVERY_S:
            return 0
        self._swept = t
        gone = 0
        for sid in os.listdir(self.root):
            folder = os.path.join(self.root, sid)
            try:
                old = SESSION_ID.fullmatch(sid) and t - os.path.getmtime(folder) > self.ttl_s
            except OSError:
                continue
            if old:
                with self._lock:
                    self._mem.pop(sid, None)
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        return gone
