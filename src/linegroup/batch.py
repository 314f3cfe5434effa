"""Batches where one bad input never stops the rest: inputs, isolation, atomic outputs.

    from linegroup.batch import Tally, collect_inputs, OutputSet, unique_stem

    files, skipped = collect_inputs(["chart.png", "figures/"])   # folders listed, non-images skipped
    tally = Tally(skipped=skipped)
    for path in files:
        with tally.item(path, debug=False):      # any error: one line under the input's name
            out = OutputSet("results/", "chart")
            out.add("_mask.png", encode_png(mask))
            out.add(".json", json.dumps(doc).encode())
            out.commit()                         # every file appears at once, or none does
    print(tally.summary()); exit(tally.exit_code())

An input's outputs are written under temporary names in the output folder and moved into
place with os.replace only when all of them are ready, so a failed input leaves no
partial files (an earlier complete set from a previous run is kept). Errors of our own
(LinegroupError: bad image, bad mask, bad data) are reported as they are; any other
exception is reported as "unexpected" with its type, and `--debug` adds the traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from .images import INPUT_EXTS, LinegroupError

SHOW_SKIPPED = 5  # skipped files named in the summary; the rest are counted


def collect_inputs(inputs: list[str]) -> tuple[list[str], list[str]]:
    """Files named directly, and the chart files of named folders (sorted, not recursive).
    Returns (files, skipped): skipped are the folders' other files (hidden files are
    ignored), each as 'path (reason)'."""
    files, skipped = [], []
    for inp in inputs:
        if os.path.isdir(inp):
            found = 0
            for name in sorted(os.listdir(inp)):
                path = os.path.join(inp, name)
                if name.startswith("."):
                    continue
                if os.path.isdir(path):
                    skipped.append(f"{path} (a folder: folders inside folders are not searched)")
                elif name.lower().endswith(INPUT_EXTS):
                    files.append(path)
                    found += 1
                else:
                    skipped.append(f"{path} (not a chart file type)")
            if not found:
                print(f"warning: {inp}: no chart files in this folder", file=sys.stderr)
        else:
            files.append(inp)  # named directly: read it whatever its name, the content decides
    return files, skipped


def unique_stem(path: str, used: set, page: int | None = None, pages: int = 1) -> str:
    """The output stem of an input: its file name without extension, `_p{k}` for a page of
    a PDF of several pages, and the extension kept when another input took the stem
    (chart.png and chart.jpg in one batch)."""
    base, ext = os.path.splitext(os.path.basename(path))
    suffix = f"_p{page}" if page is not None and pages > 1 else ""
    stem = base + suffix
    if stem in used:
        stem = f"{base}_{ext.lstrip('.').lower() or 'noext'}{suffix}"
    k = 2
    while stem in used:
        stem, k = f"{base}_{k}{suffix}", k + 1
    used.add(stem)
    return stem


# PNG: zlib's fastest level, rows unfiltered (charts are flat colour runs): lossless, and quicker and
# about as small as OpenCV's default for the overlay; OpenCV's default where it cannot set the filter
PNG_PARAMS = ([cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]
              if hasattr(cv2, "IMWRITE_PNG_FILTER") else [])


def encode_png(arr: np.ndarray, rgb: bool = True) -> bytes:
    """An RGB (or single-channel 8/16-bit) array as PNG bytes."""
    if rgb and arr.ndim == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", arr, PNG_PARAMS)
    if not ok:
        raise OSError(f"could not encode a {arr.shape} {arr.dtype} image as PNG")
    return buf.tobytes()


class OutputSet:
    """The files of one input, written all at once or not at all."""

    def __init__(self, out_dir: str, stem: str):
        self.out_dir, self.stem = out_dir, stem
        self.files: dict[str, bytes] = {}

    def add(self, suffix: str, data: bytes | str) -> None:
        self.files[suffix] = data.encode() if isinstance(data, str) else data

    def commit(self) -> list[str]:
        """Write every file under a temporary name, then move them all into place. If a
        move fails, the files already moved are removed too: none of the set is left."""
        staged, moved = [], []
        try:
            for suffix, data in self.files.items():
                final = os.path.join(self.out_dir, self.stem + suffix)
                tmp = os.path.join(self.out_dir, f".{self.stem}{suffix}.{os.getpid()}.tmp")
                staged.append((tmp, final))
                with open(tmp, "wb") as f:
                    f.write(data)
            for tmp, final in staged:
                os.replace(tmp, final)
                moved.append(final)
        except BaseException:
            for path in [tmp for tmp, _ in staged] + moved:
                with contextlib.suppress(OSError):
                    os.remove(path)
            raise
        return moved


def _to_stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


@dataclass
class Tally:
    """Counts of a batch: inputs done and failed (each failure printed in one line), and
    files skipped."""
    done: int = 0
    failed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    write: Callable[[str], None] = field(default=_to_stderr, repr=False)  # tqdm.write inside a progress bar

    @contextlib.contextmanager
    def item(self, name: str, debug: bool = False, count: bool = True):
        """Run one input; its error (any Exception) is reported under `name` and counted.
        count=False: a success is not counted (a file whose pages are counted one by one)."""
        try:
            yield
        except LinegroupError as e:
            self.fail(name, str(e) if name in str(e) else f"{name}: {e}", debug)
        except MemoryError:
            self.fail(name, f"{name}: out of memory (try a smaller --max_side or --dpi)", debug)
        except Exception as e:  # noqa: BLE001 - isolation is the point: the batch goes on
            self.fail(name, f"{name}: unexpected {type(e).__name__}: {e}"
                            + ("" if debug else " (run with --debug for the traceback)"), debug)
        else:
            self.done += count

    def fail(self, name: str, msg: str, debug: bool = False) -> None:
        self.failed.append(name)
        self.write(f"error: {msg}")
        if debug:
            self.write(traceback.format_exc().rstrip())

    def summary(self, what: str = "inputs") -> str:
        total = self.done + len(self.failed)
        text = f"{self.done} of {total} {what} done, {len(self.failed)} failed, {len(self.skipped)} skipped"
        if self.skipped:
            shown = ", ".join(self.skipped[:SHOW_SKIPPED])
            more = f" and {len(self.skipped) - SHOW_SKIPPED} more" if len(self.skipped) > SHOW_SKIPPED else ""
            text += f" (skipped: {shown}{more})"
        return text

    def exit_code(self) -> int:
        """1 if any input failed or nothing was done, else 0."""
        return 1 if self.failed or not self.done else 0
