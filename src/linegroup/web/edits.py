"""Corrections of a chart's label mask, as pure numpy functions, with undo and redo.

    from linegroup.web.edits import History, apply_op
    change = apply_op(mask, {"op": "merge", "lines": [1, 3]})    # mask edited in place
    change.ids                                                   # the lines whose pixels changed
    hist = History(); hist.push(op, change)
    hist.undo(mask); hist.redo(mask)                             # each returns the step (or None)

The mask is (H, W) uint16, 0 = no line, k = line k, as `linegroup predict` writes it as
NAME_mask.png. Operations (each a JSON object, as POST /api/edit receives it):

    {"op": "merge", "lines": [a, b, ...]}          every pixel of b, ... becomes line a
    {"op": "split", "line": k, "x": X}             line k's pixels at columns >= X become a new line
    {"op": "delete", "lines": [a, ...]}            the lines' pixels become background
    {"op": "reassign", "polygon": [[x, y], ...], "to": k | "new" | 0, "from": [a, ...] (optional)}
                                                   line pixels inside the polygon (of the lines in
                                                   "from", or of any line) move to line k, to a new
                                                   line, or (0) to the background
    {"op": "calibrate", "calib": "X1PX=V,X2PX=V;Y1PX=V,Y2PX=V", "log_x": false, "log_y": false}
                                                   the axes' calibration by hand (as --calib); no
                                                   pixel changes (the History keeps it beside the mask)

A change is the flat indices of the pixels it touched with their labels before and
after, so undo and redo are one fancy-index assignment each, whatever the edit was.
Every operation works on the line pixels only (np.flatnonzero once), never per pixel in
Python. A new line (split, lasso to "new") takes the id the caller passes; the session
passes the next above any id it ever used, so an id is never given to two different lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

OPS = ("merge", "split", "delete", "reassign", "calibrate")  # what apply_op knows
MAX_POLYGON = 10_000  # vertices a lasso may have (the page sends one per mouse move)


class EditError(ValueError):
    """An edit that cannot be applied (unknown line, nothing to split, bad polygon); the
    message says why in the user's words."""


@dataclass
class Change:
    idx: np.ndarray  # flat indices of the pixels changed (int64)
    before: np.ndarray  # their labels before (uint16)
    after: np.ndarray  # and after

    @property
    def ids(self) -> set:
        """The lines whose pixels changed (0, the background, left out)."""
        return {int(v) for v in np.union1d(self.before, self.after) if v}

    def apply(self, mask: np.ndarray, forward: bool = True) -> None:
        mask.reshape(-1)[self.idx] = self.after if forward else self.before


def _change(flat: np.ndarray, idx: np.ndarray, new) -> Change:
    before = flat[idx].copy()
    after = np.broadcast_to(np.asarray(new, np.uint16), idx.shape).copy()
    flat[idx] = after
    return Change(idx.astype(np.int64), before, after)


def _ids(value, what: str) -> list:
    vals = value if isinstance(value, list) else [value]
    try:
        ids = [int(v) for v in vals]
    except (TypeError, ValueError):
        raise EditError(f"{what} must be line ids, not {value!r}") from None
    if not ids or min(ids) < 1 or max(ids) > 65535:
        raise EditError(f"{what} must be line ids between 1 and 65535, not {value!r}")
    return ids


def _present(lab: np.ndarray, ids: list) -> None:
    missing = sorted(set(ids) - set(np.unique(lab).tolist()))
    if missing:
        raise EditError(f"no line {', '.join(map(str, missing))} in this chart")


def merge(mask: np.ndarray, lines: list) -> Change:
    """Every pixel of lines[1:] becomes lines[0]."""
    lines = _ids(lines, "merge: lines")
    if len(set(lines)) < 2:
        raise EditError("merge needs two different lines")
    flat = mask.reshape(-1)
    nz = np.flatnonzero(flat)
    lab = flat[nz]
    _present(lab, lines)
    return _change(flat, nz[np.isin(lab, lines[1:])], lines[0])


def split(mask: np.ndarray, line: int, x: float, new_id: int) -> Change:
    """Line `line`'s pixels at columns >= x become line new_id."""
    (line,) = _ids(line, "split: line")
    flat = mask.reshape(-1)
    nz = np.flatnonzero(flat)
    lab = flat[nz]
    _present(lab, [line])
    own = nz[lab == line]
    right = own[own % mask.shape[1] >= float(x)]
    if len(right) == 0 or len(right) == len(own):
        raise EditError(f"split: line {line} has no pixels on one side of x = {float(x):.0f}")
    return _change(flat, right, new_id)


def delete(mask: np.ndarray, lines: list) -> Change:
    """The lines' pixels become background."""
    lines = _ids(lines, "delete: lines")
    flat = mask.reshape(-1)
    nz = np.flatnonzero(flat)
    lab = flat[nz]
    _present(lab, lines)
    return _change(flat, nz[np.isin(lab, lines)], 0)


def reassign(mask: np.ndarray, polygon: list, to: int, sources: list | None = None) -> Change:
    """Line pixels inside the polygon (image pixels, closed) of the lines in `sources` (or
    of any line) become line `to` (0: background)."""
    try:
        poly = np.asarray(polygon, np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise EditError("reassign: polygon must be a list of [x, y] points") from None
    if not 3 <= len(poly) <= MAX_POLYGON or not np.isfinite(poly).all():
        raise EditError(f"reassign: polygon needs 3 to {MAX_POLYGON} finite points, got {len(poly)}")
    h, w = mask.shape
    x0, y0 = np.clip(np.floor(poly.min(0)).astype(int), 0, [w, h])
    x1, y1 = np.clip(np.ceil(poly.max(0)).astype(int) + 1, 0, [w, h])
    if x1 <= x0 or y1 <= y0:
        raise EditError("reassign: the polygon lies outside the chart")
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)  # rasterised over its bounding box only
    cv2.fillPoly(inside, [np.round(poly - [x0, y0]).astype(np.int32).reshape(-1, 1, 2)], 1)
    box = mask[y0:y1, x0:x1]
    sel = (inside > 0) & (box > 0) & (box != to)
    if sources:
        sel &= np.isin(box, _ids(sources, "reassign: from"))
    ys, xs = np.nonzero(sel)
    if len(ys) == 0:
        raise EditError("reassign: no line pixels inside the lasso")
    return _change(mask.reshape(-1), (ys + y0) * w + (xs + x0), to)


def apply_op(mask: np.ndarray, op: dict, next_id: int) -> Change | None:
    """Apply one operation (module docstring) to mask in place. next_id: the id a new line
    takes. Returns the Change, or None for an operation without pixel changes (calibrate)."""
    kind = op.get("op")
    if kind == "merge":
        return merge(mask, op.get("lines"))
    if kind == "split":
        if not isinstance(op.get("x"), (int, float)):
            raise EditError("split needs a column x")
        return split(mask, op.get("line"), op["x"], next_id)
    if kind == "delete":
        return delete(mask, op.get("lines"))
    if kind == "reassign":
        to = op.get("to")
        to = next_id if to == "new" else 0 if to in (0, None) else _ids(to, "reassign: to")[0]
        if to and to != next_id:
            _present(mask[mask > 0], [to])
        return reassign(mask, op.get("polygon"), to, op.get("from"))
    if kind == "calibrate":
        return None
    raise EditError(f"unknown edit {kind!r} (one of {', '.join(OPS)}, or undo/redo)")


@dataclass
class Step:
    op: dict  # the operation as received (replayed when a chart is reopened)
    change: Change | None  # its pixel changes, None for calibrate
    state_before: dict = field(default_factory=dict)  # non-pixel state (calibration) before and after
    state_after: dict = field(default_factory=dict)


@dataclass
class History:
    """Steps done (undo pops from here) and undone (redo pops from here); a new step
    clears the redo stack."""
    done: list = field(default_factory=list)
    undone: list = field(default_factory=list)

    def push(self, step: Step) -> None:
        self.done.append(step)
        self.undone.clear()

    def undo(self, mask: np.ndarray) -> Step | None:
        return self._move(self.done, self.undone, mask, forward=False)

    def redo(self, mask: np.ndarray) -> Step | None:
        return self._move(self.undone, self.done, mask, forward=True)

    @staticmethod
    def _move(src: list, dst: list, mask: np.ndarray, forward: bool) -> Step | None:
        if not src:
            return None
        step = src.pop()
        if step.change is not None:
            step.change.apply(mask, forward)
        dst.append(step)
        return step
