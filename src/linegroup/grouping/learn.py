"""Fitting the link models on charts whose lines are known (offline; see scripts/fit_links.py).

    X1, y1 = round_samples(st.desc, st.pairs1, frag_truth(...))      # per chart, round 1
    models = fit_models(samples)                                       # -> LinkModels

Each candidate link (i, j) a round produces on a training chart is labelled:
  1  i and j belong to the same true line and j is the first piece of that line among
     i's candidates (the consecutive piece, not one further along the line);
  0  they belong to different lines;
  -  otherwise left out: a piece mixing two lines (purity < PURE), or a later piece of
     the same line (linking it would skip a piece, which is neither right nor wrong).
Round 2 is fitted on the pairs that round 1's fitted model really leaves, so that each
model sees the inputs it will meet. The model is scikit-learn's
HistGradientBoostingClassifier; it is stored as arrays (trees.py).
"""

from __future__ import annotations

import os
import time

import numpy as np

from .link import FEATURES, pair_features
from .trees import TreeEnsemble

PURE = 0.9  # a piece counts as one line's when this share of its labelled pixels is


def piece_truth(piece_of_pixel: np.ndarray, truth: np.ndarray, n: int):
    """(majority true line per piece, 0 if none; purity). truth: (N,) 0 = unknown."""
    sel = (truth > 0) & (piece_of_pixel >= 0)
    if not sel.any():
        return np.zeros(n, np.int64), np.zeros(n)
    k = int(truth.max()) + 1
    key = piece_of_pixel[sel] * k + truth[sel]
    cnt = np.bincount(key, minlength=n * k).reshape(n, k)
    best = cnt.argmax(1)
    tot = cnt.sum(1)
    purity = np.where(tot > 0, cnt[np.arange(n), best] / np.maximum(tot, 1), 0.0)
    return np.where(tot > 0, best, 0), purity


def pair_labels(d, i: np.ndarray, j: np.ndarray, line: np.ndarray, purity: np.ndarray) -> np.ndarray:
    """1 / 0 / -1 (left out) per candidate pair, as in the module docstring."""
    li, lj = line[i], line[j]
    ok = (li > 0) & (lj > 0) & (purity[i] >= PURE) & (purity[j] >= PURE)
    same = ok & (li == lj)
    y = np.where(ok, 0, -1)
    y[ok & ~same] = 0
    if same.any():
        # among i's same-line candidates, the one starting first is the consecutive piece
        idx = np.flatnonzero(same)
        order = idx[np.lexsort((d.x0[j[idx]], i[idx]))]
        firsts = order[np.r_[True, i[order][1:] != i[order][:-1]]]
        y[idx] = -1
        y[firsts] = 1
    return y


def round_samples(d, pairs, line, purity, width: float):
    """(X, y) of one round's labelled candidate pairs."""
    if pairs is None or len(pairs[0]) == 0:
        return np.zeros((0, len(FEATURES))), np.zeros(0, np.int64)
    i, j = pairs[0], pairs[1]
    y = pair_labels(d, i, j, line, purity)
    keep = y >= 0
    return pair_features(d, i[keep], j[keep], width), y[keep]


def fit_tree_model(X: np.ndarray, y: np.ndarray, seed: int = 0, names=FEATURES, **kw) -> TreeEnsemble:
    """A HistGradientBoostingClassifier fitted on (X, y), as arrays; names: X's columns."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    params = dict(max_iter=100, learning_rate=0.15, max_depth=5, max_leaf_nodes=16, min_samples_leaf=40,
                  l2_regularization=1.0, early_stopping=True, validation_fraction=0.15,
                  n_iter_no_change=20, random_state=seed)
    params.update(kw)
    clf = HistGradientBoostingClassifier(**params).fit(X, y)
    return TreeEnsemble.from_sklearn(clf, names=names, meta={"n_samples": len(y), "n_pos": int(y.sum())})


def collect_samples(folders, chart_samples, limit: int = 0):
    """Per chart of the `linegroup synth` folders (train.json beside train/; at most `limit`
    per folder, 0 = all) in order, chart_samples(rec) -> (X, y). Returns (Xs, ys) lists."""
    from tqdm import tqdm

    from ..data import load_coco_lines

    recs = []
    for folder in folders:
        r = load_coco_lines(os.path.join(folder, "train.json"), os.path.join(folder, "train"))[0]
        recs += r[:limit] if limit else r
    t0 = time.time()
    Xs, ys = [], []
    for rec in tqdm(recs, desc="charts", unit="chart"):
        X, y = chart_samples(rec)
        Xs.append(X)
        ys.append(y)
    print(f"{len(recs)} charts in {time.time() - t0:.0f} s")
    return Xs, ys


def held_out(Xs, ys, share: float = 0.85):
    """(X_train, y_train, X_test, y_test): the first `share` of the charts against the rest."""
    cut = int(share * len(Xs))
    return np.concatenate(Xs[:cut]), np.concatenate(ys[:cut]), np.concatenate(Xs[cut:]), np.concatenate(ys[cut:])


def fit_arguments(doc: str, what: str, bias: float):
    """The command line of a script that fits one model on `predict`'s output and adds it to
    links.npz (scripts/fit_series.py, scripts/fit_pieces.py): an argparse parser."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--data", nargs="+", required=True, help="synth folders with train.json and exact masks")
    ap.add_argument("--checkpoint", default=None, help="network checkpoint; default: the shipped weights")
    ap.add_argument("--links", default=None, help=f"link models to add the {what} to; default: the shipped ones")
    ap.add_argument("--out", required=True, help="links.npz to write")
    ap.add_argument("--bias", type=float, default=bias, help="log-odds threshold to report rates at")
    ap.add_argument("--limit", type=int, default=0, help="at most this many charts per folder (0 = all)")
    return ap


def group_owners(full: np.ndarray, xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, k: int):
    """For groups 1..k of pixels (xs, ys) labelled `labels`: (owner (k,), share (k,), size (k,)),
    the true line holding most of each group's pixels (full: (lines, H, W) bool, the true
    lines' masks), the share of the group's pixels on it, and the group's pixel count."""
    hit = full[:, ys, xs]  # (lines, N): each pixel on each true line
    on = np.stack([np.bincount(labels, weights=h, minlength=k + 1)[1:k + 1] for h in hit], 1)  # (k, lines)
    n = np.bincount(labels, minlength=k + 1)[1:k + 1]
    owner = on.argmax(1)
    return owner, on[np.arange(k), owner] / np.maximum(n, 1), n
