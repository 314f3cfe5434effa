"""Fit the series judge (candidates/series.py) on synthetic charts and add it to links.npz.

    linegroup synth runs/series/a --num 500 --val 0 --seed 131 --hard_frac 0.3 --variety \\
        --themes --marker_variety --exact_masks
    python scripts/fit_series.py --data runs/series/a --out src/linegroup/weights/links.npz

1. runs `predict` (the network's own candidates, cleaned and grouped, the judge itself
   off) on every chart of each --data folder (train.json with exact per-line masks);
2. labels each group: 1 = series (at least half of its pixels on one true line, dilated
   by 2 px as end-to-end scoring does, and the largest group of that line), 0 = not a
   series (under half of its pixels on any line); pieces of a line that the grouping
   left apart are not labelled (see the module docstring of candidates/series.py);
3. fits a gradient-boosted tree model (grouping/learn.py's settings) on the group
   features, reports its held-out AUC (the last 15% of charts) and the share of groups
   it would drop at --bias in each class;
4. writes the link models of --links with the judge added (fitted on all charts) to
   --out, atomically.
No foreign-renderer chart is used here: those only measure (and tune SERIES_BIAS).
"""

import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.candidates.series import FEATURES, SERIES_BIAS, group_features  # noqa: E402
from linegroup.evaluate import record_truth  # noqa: E402
from linegroup.grouping import LinkModels, load_link_models  # noqa: E402
from linegroup.grouping.learn import (collect_samples, fit_arguments, fit_tree_model, group_owners,  # noqa: E402
                                      held_out)
from linegroup.images import read_image  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402

MAIN_SHARE = 0.5  # a group is a line's when this share of its pixels lie on it


def chart_samples(g: LineGrouper, rec) -> tuple[np.ndarray, np.ndarray]:
    """(features (K, F), labels (K,) in 1 / 0 / -1 = left out) of one chart's groups."""
    img = read_image(rec.path)
    t = record_truth(rec, e2e=True)
    full = t["full"].reshape(len(rec.lines), rec.height, rec.width) > 0
    res = g.predict(img, keep_embedding=True)  # the network once: its probability comes back too
    small, scale = g.network_image(img)
    ys, xs = np.nonzero(res.mask)
    if scale < 1.0 or len(xs) == 0:  # the judge sees the network's resolution; keep to charts at 1:1
        return np.zeros((0, len(FEATURES))), np.zeros(0, np.int64)
    labels = res.mask[ys, xs].astype(np.int64)
    xy = np.column_stack([xs, ys]).astype(np.float32)
    F = group_features(labels, xy, small, res.probability, res.plot_area)
    k = len(F)
    owner, share, n = group_owners(full, xs, ys, labels, k)
    is_line = share >= MAIN_SHARE
    y = np.where(is_line, -1, 0)
    for line in np.unique(owner[is_line]):
        mine = np.flatnonzero(is_line & (owner == line))
        y[mine[np.argmax(n[mine])]] = 1
    return F, y


def main(argv=None):
    a = fit_arguments(__doc__, "judge", SERIES_BIAS).parse_args(argv)

    g = LineGrouper.load(a.checkpoint, links=a.links)
    models = load_link_models(a.links)
    g.links = LinkModels(models.r1, models.r2, None, models.pieces)  # the judge off while its samples are
    # made; the pieces step on, as it runs before the judge in predict
    Xs, ys = collect_samples(a.data, lambda rec: chart_samples(g, rec), a.limit)
    X_tr, y_tr, X_te, y_te = held_out(Xs, ys)
    y_all = np.concatenate(ys)
    print(f"groups: {int((y_all == 1).sum())} series, {int((y_all == 0).sum())} not, "
          f"{int((y_all == -1).sum())} pieces left out")
    from sklearn.metrics import roc_auc_score

    held = fit_tree_model(X_tr[y_tr >= 0], y_tr[y_tr >= 0], names=FEATURES)
    s = held.logit(X_te[y_te >= 0])
    yt = y_te[y_te >= 0]
    print(f"held-out AUC {roc_auc_score(yt, s):.3f}; at bias {a.bias}: series dropped "
          f"{(s[yt == 1] < a.bias).mean():.3f}, non-series dropped {(s[yt == 0] < a.bias).mean():.3f}")
    sp = held.logit(X_te[y_te == -1])
    if len(sp):  # (a small --limit may hold none)
        print(f"  pieces left out (held-out): dropped {(sp < a.bias).mean():.3f}")
    sel = y_all >= 0
    judge = fit_tree_model(np.concatenate(Xs)[sel], y_all[sel], names=FEATURES)
    LinkModels(models.r1, models.r2, judge, models.pieces).save(a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
