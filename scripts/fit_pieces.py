"""Fit the pieces model (grouping/pieces.py) on synthetic charts and add it to links.npz.

    python scripts/fit_pieces.py --data runs/series_131 runs/series_132 --out src/linegroup/weights/links.npz

1. runs `predict` (the network's own candidates, the pieces step itself off) on every
   chart of each --data folder (`linegroup synth ... --exact_masks`: train.json with exact
   per-line masks);
2. describes every pair of the lines found (`pieces.piece_pairs`, the inputs `predict`
   gives the step) and labels it: 1 = one series (both lines lie mostly, MAIN_SHARE of
   their pixels, on the same true line, dilated by 2 px as end-to-end scoring does),
   0 = two (mostly on different true lines); pairs with a line on no true line are left out;
3. fits a gradient-boosted tree model (grouping/learn.py's settings), reports its held-out
   AUC (the last 15% of charts) and the share of each class at or above --bias;
4. writes the models of --links with the pieces model added (fitted on all charts) to
   --out, atomically.
No foreign-renderer chart is used here: those only measure (and tune PIECES_BIAS).
"""

import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.evaluate import record_truth  # noqa: E402
from linegroup.grouping import LinkModels, load_link_models  # noqa: E402
from linegroup.grouping.describe import pixels_lab  # noqa: E402
from linegroup.grouping.learn import (collect_samples, fit_arguments, fit_tree_model, group_owners,  # noqa: E402
                                      held_out)
from linegroup.grouping.pieces import FEATURES, PIECES_BIAS, piece_pairs  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper, background_lab  # noqa: E402

MAIN_SHARE = 0.6  # a line is a true line's when this share of its pixels lie on it


def chart_samples(g: LineGrouper, rec) -> tuple[np.ndarray, np.ndarray]:
    """(features (P, F), labels (P,) 1 / 0) of one chart's pairs of lines."""
    img = read_image(rec.path)
    t = record_truth(rec, e2e=True)
    small, scale = g.network_image(img)
    res = g.predict(img, keep_embedding=True)
    ys, xs = np.nonzero(res.mask)
    empty = np.zeros((0, len(FEATURES))), np.zeros(0, np.int64)
    if scale < 1.0 or len(xs) == 0 or len(rec.lines) == 0:  # predict's step sees the network's resolution
        return empty
    labels = res.mask[ys, xs].astype(np.int64)
    lab = pixels_lab(small, xs, ys)
    bg = background_lab(small)
    feats = res.embedding[:, ys, xs].T
    F, i, j, _, _ = piece_pairs(xs, ys, labels, lab, feats, bg)
    if len(i) == 0:
        return empty
    k = int(labels.max())
    full = t["full"].reshape(len(rec.lines), rec.height, rec.width) > 0
    owner, share, _ = group_owners(full, xs, ys, labels, k)
    sure = share >= MAIN_SHARE
    keep = sure[i] & sure[j]
    return F[keep], (owner[i] == owner[j])[keep].astype(np.int64)


def main(argv=None):
    a = fit_arguments(__doc__, "pieces model", PIECES_BIAS).parse_args(argv)
    from sklearn.metrics import roc_auc_score

    g = LineGrouper.load(a.checkpoint, links=a.links)
    models = load_link_models(a.links)
    g.links = LinkModels(models.r1, models.r2, models.series, None)  # the step off while its samples are made
    Xs, ys = collect_samples(a.data, lambda rec: chart_samples(g, rec), a.limit)
    X_tr, y_tr, X_te, y_te = held_out(Xs, ys)
    y_all = np.concatenate(ys)
    print(f"pairs: {int(y_all.sum())} one series, {int((y_all == 0).sum())} two")
    held = fit_tree_model(X_tr, y_tr, names=FEATURES)
    s = held.logit(X_te)
    print(f"held-out AUC {roc_auc_score(y_te, s):.3f}; at bias {a.bias}: one-series pairs merged "
          f"{(s[y_te == 1] >= a.bias).mean():.3f}, two-series pairs merged {(s[y_te == 0] >= a.bias).mean():.4f}")
    pieces = fit_tree_model(np.concatenate(Xs), y_all, names=FEATURES)
    LinkModels(models.r1, models.r2, models.series, pieces).save(a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
