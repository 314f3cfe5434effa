"""Candidate pixels -> lines. The default grouping links one-line fragments; the seed's
DBSCAN on embeddings stays available (`dbscan.py`).

    from linegroup.grouping import group_lines, load_link_models
    labels = group_lines(xs, ys, image=rgb, feats=emb_at_pixels)   # (N,) int32, 1..K, 0 = none

The pipeline, one file a step:
  fragments.py  column runs -> fragments that are almost surely one line (a marker's
                pieces made one), and shared pieces where lines cross or run together
  describe.py   each fragment's ink colour (from the stroke's core), mean embedding,
                width, length, ends and end slopes
  link.py       learned link costs (trees.py: a gradient-boosted model stored as arrays)
                and a global assignment of fragment ends to fragment starts, in two
                rounds: fragments across short gaps, then chains across any gap
  ink.py        with the model's own candidates (bands around the lines), the ones that
                are ink: the linking runs on them, the rest go to a line after
  interleave.py chains that take turns along one path -> one line
  crossings.py  two lines swapped where they cross -> each goes on the way it came
  inks.py       lines of one ink that share no columns -> one series
  leftovers.py  shared pieces, marker outlines and specks -> the nearest line's path,
                where lines differ in colour the one of the pixel's own colour
  recolour.py   a pixel of one line's colour given to a line of another colour -> back
                to its own, where the two inks plainly differ
  coincide.py   a line drawn on another's stroke (the outlines of touching hollow
                markers along their connector), or ringing its markers, -> part of it
  pieces.py     in `predict`, before the series judge and last: lines that a learned
                pair score calls one series -> one line, never two that hold a second
                value per column
The number of lines is whatever the linking leaves. The link models are fitted offline
on synthetic charts (`learn.py`, `scripts/fit_links.py`) and shipped as
`weights/links.npz`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..labels import dense_stretch, label_columns, label_slices, renumber
from .coincide import merge_coincident, merge_outlines, one_ink
from .crossings import repair_crossings
from .describe import describe, pixels_lab
from .fragments import build_fragments, column_runs
from .ink import ink_core
from .inks import merge_by_ink
from .interleave import merge_interleaved
from .leftovers import assign_leftovers, line_paths, path_distance
from .link import GAP1, MIN_PIX, MIN_SPAN, OVERLAP2, REACH1, aggregate, chains, link_round
from .recolour import recolour
from .trees import TreeEnsemble

LINKS_FILE = "links.npz"
REACH2 = 0.25  # round 2: largest |dy| between chain ends, as a share of the candidates' height
HOST_D = 8.0  # px: a gappy chain this close to a larger line along most of its length is part of it
HOST_D_SOLID = 3.0  # px: the same for a chain without gaps (a piece of the line's own stroke)
HOST_SHARE = 0.8  # ... for this share of its pixels
HOST_COVER = 0.7  # gappy: it has pixels in less than this share of the columns it spans
SAMPLE = 256  # pixels of a chain sampled for the host test
OWN_MIN_SPAN = 0.1  # with the model's own candidates a line spans at least this share of their width
WIDE_D = 12.0  # px: ... or this close, for WIDE_SHARE of its pixels, to a line
WIDE_SHARE = 0.7  # of its own ink (within HOST_INK): the outlines of big markers lie farther out
HOST_INK = 20.0  # CIE Lab distance of a chain's ink from a line's under which the wide test applies
REACH = max(HOST_D, WIDE_D)  # px: the farthest the host test measures a chain's pixels from a line's
ROUNDS2 = 3  # round 2 is repeated on its own chains at most this often
SECOND_COVER = 0.5  # _second_pass: a new line has pixels in this share of the columns it spans


@dataclass
class LinkModels:
    r1: TreeEnsemble  # fragment -> fragment
    r2: TreeEnsemble  # chain -> chain
    series: TreeEnsemble | None = None  # group -> is it a data series (candidates/series.py); optional
    pieces: TreeEnsemble | None = None  # two finished lines -> one series (pieces.py); optional

    @classmethod
    def load(cls, path: str) -> "LinkModels":
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: link model file not found")
        with np.load(path, allow_pickle=False) as z:
            files = set(z.files)
        series = TreeEnsemble.load(path, "s_") if "s_roots" in files else None
        pieces = TreeEnsemble.load(path, "p_") if "p_roots" in files else None
        return cls(TreeEnsemble.load(path, "r1_"), TreeEnsemble.load(path, "r2_"), series, pieces)

    def save(self, path: str) -> None:
        arrays = {f"r1_{k}": v for k, v in self.r1.to_arrays().items()}
        arrays.update({f"r2_{k}": v for k, v in self.r2.to_arrays().items()})
        for prefix, model in (("s_", self.series), ("p_", self.pieces)):
            if model is not None:
                arrays.update({f"{prefix}{k}": v for k, v in model.to_arrays().items()})
        tmp = path + ".tmp.npz"
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)


_CACHE: dict = {}


def bundled_links_path() -> str:
    return str(resources.files("linegroup").joinpath("weights", LINKS_FILE))


def load_link_models(path: str | None = None) -> LinkModels:
    """The link models at `path`, or the ones shipped in the package (cached)."""
    path = path or bundled_links_path()
    if path not in _CACHE:
        _CACHE[path] = LinkModels.load(path)
    return _CACHE[path]


@dataclass
class Stages:
    """What each step made, for inspection and for fitting the link models."""
    frag: object
    desc: object
    pairs1: tuple
    chain1: np.ndarray
    desc1: object
    pairs2: tuple
    line: np.ndarray  # (F,) line id per fragment after both rounds, -1 = not linked


def link_fragments(xs, ys, image=None, feats=None, models: LinkModels | None = None, bias: float = 0.0,
                   upto: int = 2, lab: np.ndarray | None = None) -> Stages:
    """Fragments, descriptions, round 1, round 2 (repeated while it links, at most ROUNDS2
    times) and the merge of interleaved chains; `upto` = 1 stops after round 1. lab: the
    pixels' Lab colour, if the caller has it (else taken from image)."""
    frag = build_fragments(column_runs(xs, ys))
    d = describe(frag, xs, ys, image, feats, lab)
    width = float(xs.max() - xs.min() + 1)
    height = float(ys.max() - ys.min() + 1)
    items = np.flatnonzero(~d.shared)
    pairs1 = link_round(d, items, models.r1, width, GAP1, REACH1, bias) if models else None
    if pairs1 is None:
        return Stages(frag, d, None, None, None, None, None)
    i, j, take = pairs1
    cid = chains(d.n, i[take], j[take], items)
    cd = cd1 = aggregate(d, cid)
    if upto < 2:
        return Stages(frag, d, pairs1, cid, cd1, None, None)
    line = cid
    for _ in range(ROUNDS2):  # chains of chains: repeated until nothing links
        citems = np.arange(cd.n)
        pairs2 = link_round(cd, citems, models.r2, width, width, REACH2 * height, bias, OVERLAP2)
        i2, j2, take2 = pairs2
        if not take2.any():
            break
        cid2 = chains(cd.n, i2[take2], j2[take2], citems)
        line = np.where(line >= 0, cid2[np.maximum(line, 0)], -1)
        cd = aggregate(d, line)
    if cd.n > 1:  # chains that take turns along one path
        new = merge_interleaved(xs, ys, line[frag.pix_frag], cd, MIN_SPAN * width)
        line = np.where(line >= 0, new[np.maximum(line, 0)], -1)
    return Stages(frag, d, pairs1, cid, cd1, pairs2, line)


def select_lines(xs, ys, st: Stages, width: float, min_span: float = MIN_SPAN, wide: bool = True) -> np.ndarray:
    """(L,) bool: which linked chains are series. Not: chains too small to be one (MIN_SPAN
    of the width, MIN_PIX pixels), and chains that run along a larger line: gappy ones
    within HOST_D px of its pixels or its path (the outlines of its markers, linked across
    the gaps between them) or, for WIDE_SHARE of their pixels, within WIDE_D px of the
    pixels of a line of their own ink (the outlines of big markers; for a chain of a colour,
    also a paler tint of the line's, `coincide.one_ink`: a thin outline's anti-aliased ink, so
    hollow markers' outlines linked into chains go to their line; on the foreign tune
    split, oracle, markers PQ 0.692 -> 0.720, all 0.789 -> 0.793, hard set unchanged;
    without the chroma floor a grey series on a dark background counted as a tint of a
    teal one and dense charts lost 0.02 PQ); solid ones within
    HOST_D_SOLID px of its path. wide=False leaves out the WIDE_D test (for the model's
    own candidates, bands around the ink, where it cost series' pieces)."""
    ld = aggregate(st.desc, st.line)
    span = ld.x1 - ld.x0 + 1
    keep = (span >= min_span * width) & (ld.npix >= MIN_PIX)
    if len(keep) and not keep.any():
        keep[np.argmax(ld.npix)] = True
    pix_line = st.line[st.frag.pix_frag]
    paths = line_paths(xs, ys, pix_line + 1)
    order, bounds = label_slices(pix_line + 1, ld.n)  # chain c's pixels: order[bounds[c + 1]:bounds[c + 2]]
    hosts = _Hosts(xs, ys, lambda c: order[bounds[c + 1]:bounds[c + 2]])
    accepted = []
    rng = np.random.default_rng(0)
    for c in np.argsort(-ld.npix, kind="stable"):
        if not keep[c]:
            continue
        if accepted:
            idx = hosts.pixels_of(c)
            if len(idx) > SAMPLE:
                idx = rng.choice(idx, SAMPLE, replace=False)
            px, py = xs[idx].astype(float), ys[idx].astype(float)
            d = path_distance([paths[h] for h in accepted], px, py)
            gappy = ld.ncols[c] / span[c] < HOST_COVER
            near = HOST_D if gappy else HOST_D_SOLID
            if gappy:  # near the host's path or its pixels
                q = hosts.near_pixels(d, accepted, idx, *((WIDE_SHARE, REACH) if wide else (HOST_SHARE, HOST_D)))
            host = (d <= near).mean(1) >= HOST_SHARE
            if gappy and wide:  # the outlines of big markers lie farther out, in the line's own
                # ink (near its pixels, not its path: that is interpolated across its gaps)
                same = one_ink(ld.lab[c], ld.bg[c], ld.lab[accepted], ld.bg[accepted], HOST_INK)
                host |= same & ((q <= WIDE_D).mean(1) >= WIDE_SHARE)
            if host.any():
                keep[c] = False
                continue
        accepted.append(c)
    return keep


class _Hosts:
    """The accepted lines' pixels, for the distance of a gappy chain's pixels to them:
    a KD-tree per line, built and asked only where it can decide the test."""

    def __init__(self, xs, ys, pixels_of):
        self.xs, self.ys, self.pixels_of = xs, ys, pixels_of
        self.w = int(xs.max()) + 1
        self.trees, self.bands = {}, {}

    def _band(self, h):
        """(lo, hi) per column x: the least and greatest y of line h's pixels in columns
        x - HOST_D .. x + HOST_D (+inf, -inf where it has none)."""
        if h not in self.bands:
            from scipy.ndimage import maximum_filter1d, minimum_filter1d

            hi = self.pixels_of(h)
            x, y = self.xs[hi], self.ys[hi].astype(np.float64)  # one dtype: ufunc.at's fast path
            lo, up = np.full(self.w, np.inf), np.full(self.w, -np.inf)
            np.minimum.at(lo, x, y)
            np.maximum.at(up, x, y)
            size = 2 * int(REACH) + 1
            self.bands[h] = (minimum_filter1d(lo, size, mode="constant", cval=np.inf),
                             maximum_filter1d(up, size, mode="constant", cval=-np.inf))
        return self.bands[h]

    def near_pixels(self, d: np.ndarray, accepted: list, idx: np.ndarray, share: float = HOST_SHARE,
                    reach: float = HOST_D) -> np.ndarray:
        """d[k] (path distances of pixels idx to line accepted[k]) lowered to the distance
        to its nearest pixel, for the lines where that can bring `share` of them within
        `reach` (at most REACH): a pixel within that of one of the line's lies in its band
        +- reach. Returns those pixel distances (inf beyond reach + 1 and for the other lines)."""
        px, py = self.xs[idx], self.ys[idx]
        out = np.full(d.shape, np.inf)
        for k, h in enumerate(accepted):
            lo, up = self._band(h)
            maybe = (d[k] <= reach) | ((py >= lo[px] - reach) & (py <= up[px] + reach))
            if maybe.mean() < share:
                continue  # the test fails for this line whatever the pixel distances
            if h not in self.trees:
                from scipy.spatial import cKDTree

                hi = self.pixels_of(h)
                self.trees[h] = cKDTree(np.column_stack([self.xs[hi], self.ys[hi]]))
            q = self.trees[h].query(np.column_stack([px.astype(float), py.astype(float)]), distance_upper_bound=reach + 1)[0]
            d[k] = np.minimum(d[k], q)
            out[k] = q
        return out


def group_lines(xs: np.ndarray, ys: np.ndarray, image: np.ndarray | None = None, feats: np.ndarray | None = None,
                models: LinkModels | None = None, own: bool = False, bias: float = 0.0,
                core: np.ndarray | None = None, lab: np.ndarray | None = None) -> np.ndarray:
    """Label the candidate pixels (xs, ys: (N,) int) with lines 1..K, largest first.

    image: (H, W, 3) uint8 RGB, for the ink colour; feats: (N, D) embeddings of the
    pixels (None: not used). own: the candidates are the model's own, so their ink core
    is linked and the rest placed after (`ink.py`), and leftovers far from every line
    (text, arrows) are dropped; otherwise every pixel gets a line.
    bias: log-odds a link must beat (higher: fewer links, more lines). core: (N,) bool, the
    ink core of the model's own candidates, and lab: (N, 3) the pixels' Lab colour
    (`describe.pixels_lab`), if the caller has them."""
    xs = np.asarray(xs, np.int64)
    ys = np.asarray(ys, np.int64)
    if len(xs) == 0:
        return np.zeros(0, np.int32)
    models = models or load_link_models()
    if lab is None and image is not None:  # once: for the ink and the crossings
        lab = pixels_lab(image, xs, ys)
    if own and image is not None:
        core = ink_core(xs, ys, image, lab) if core is None else np.asarray(core, bool)
        if not core.all():  # every connected piece has ink (its strongest pixel), so the core is never empty
            labels = np.zeros(len(xs), np.int64)
            labels[core] = _link_lines(xs[core], ys[core], image, None if feats is None else feats[core],
                                       models, own, bias, lab[core])
            labels = assign_leftovers(xs, ys, labels, drop_far=True)
            return renumber(_second_pass(xs, ys, labels, image, feats, models, bias, lab))
    return _link_lines(xs, ys, image, feats, models, own, bias, lab)


def _second_pass(xs, ys, labels, image, feats, models: LinkModels, bias: float, lab) -> np.ndarray:
    """The model's own candidates that the first linking left far from every line (labels 0),
    linked again on their own: where a series has no ink core (a pale series beside darker
    ones, a jagged series whose band is wider than its stroke), its band's pixels are all
    that is left of it. A chain they form is a new line if it looks like a whole series of
    its own stroke: it spans OWN_MIN_SPAN of the candidates' width or more, as every line of
    the model's own candidates does, with pixels in SECOND_COVER of the columns it spans (a
    stroke, not a few legend glyphs or marker outlines strung across the plot). Labels of
    the new lines follow the others'."""
    far = labels == 0
    if far.sum() < MIN_PIX:
        return labels
    width = float(xs.max() - xs.min() + 1)
    need = SECOND_COVER * OWN_MIN_SPAN * width  # the fewest columns a new line can hold
    if far.sum() < need or not dense_stretch(xs[far], OWN_MIN_SPAN * width, SECOND_COVER):  # (cheap: no stretch
        return labels  # of columns as long as a line holds enough of them, so none can be one)
    sub = _link_lines(xs[far], ys[far], image, None if feats is None else feats[far], models, True, bias,
                      lab[far], width)
    k = int(sub.max())
    if k == 0:
        return labels
    span, ncols = label_columns(sub, xs[far], k)
    keep = (span >= OWN_MIN_SPAN * width) & (ncols >= SECOND_COVER * span)
    keep[0] = False
    new = np.zeros(k + 1, np.int64)
    new[keep] = np.arange(1, keep.sum() + 1) + labels.max()
    out = labels.copy()
    out[far] = new[sub]
    return out


def _link_lines(xs, ys, image, feats, models: LinkModels, own: bool, bias: float, lab,
                width: float | None = None) -> np.ndarray:
    """group_lines on the pixels given, all of which take part in the linking. width: the
    candidates' width that a line's span is measured against (default: these pixels')."""
    st = link_fragments(xs, ys, image, feats, models, bias, lab=lab)
    width = float(xs.max() - xs.min() + 1) if width is None else width
    big = select_lines(xs, ys, st, width, OWN_MIN_SPAN if own else MIN_SPAN, wide=not own)
    lab_of_line = np.zeros(len(big) + 1, np.int64)  # the last entry: fragments in no line
    lab_of_line[np.flatnonzero(big)] = np.arange(1, big.sum() + 1)
    pix_line = st.line[st.frag.pix_frag]
    labels = lab_of_line[pix_line]  # line -1 reads the last entry
    labels = repair_crossings(xs, ys, labels, lab)
    ink = bg = None
    if lab is not None:  # each line's colours, for the leftovers' own colour
        ld = aggregate(st.desc, st.line)
        ink, bg = ld.lab[big], ld.bg[big]
        labels = merge_by_ink(xs, labels, ink)  # a series' pieces, told by their ink
    unit = np.where((pix_line >= 0) & ~big[np.maximum(pix_line, 0)], pix_line, -1)  # chains left out go whole
    labels = assign_leftovers(xs, ys, labels, drop_far=own, lab=lab, ink=ink, bg=bg, unit=unit)
    if ink is not None:
        labels = recolour(xs, ys, labels, lab, ink, bg)
        if not own:  # every pixel given is a line's: its colour is its line's ink
            labels = merge_outlines(xs, ys, labels, lab, bg)
    return renumber(merge_coincident(xs, ys, labels, ink, bg))
