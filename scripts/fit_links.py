"""Fit the grouping's link models on synthetic charts and write weights/links.npz.

    python scripts/fit_links.py --work runs/links runs/links_b --num 300 --seed 101

1. draws `--num` training charts in each `--work` folder with `linegroup synth` (matplotlib, the training mix:
   a share of hard charts, other style sheets, exact per-line masks; seeds 101, 102, ...,
   never used for validation);
2. takes three kinds of candidates per chart, each labelled with its true lines: the
   exact drawn pixels (markers, anti-aliasing, real widths), the polylines rasterised at
   2 px (as the hard set's oracle mode gives them), and the network's own candidates,
   cleaned as `predict` cleans them (each takes the line of the nearest drawn pixel
   within 3 px; text, grid and the like are unlabelled);
3. runs the shipped network once per chart for the embeddings;
4. round 1: labels the candidate links between fragments (learn.py) and fits a model;
   round 2: runs round 1 with that model, labels the candidate links between the chains
   it leaves, fits the second model;
5. reports each model's held-out scores (the last 15% of charts) and saves both models
   (fitted on all charts) to src/linegroup/weights/links.npz (or --out).
No foreign-renderer chart is used here: those only measure.
"""

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))
from linegroup.data import load_coco_lines, rasterize  # noqa: E402
from linegroup.images import read_image  # noqa: E402
from linegroup.evaluate import truth_from_label_mask  # noqa: E402
from linegroup.grouping import GAP1, OVERLAP2, REACH1, REACH2, LinkModels, link_fragments  # noqa: E402
from linegroup.grouping.describe import describe  # noqa: E402
from linegroup.grouping.fragments import build_fragments, column_runs  # noqa: E402
from linegroup.grouping.learn import fit_tree_model, piece_truth, round_samples  # noqa: E402
from linegroup.grouping.link import candidate_pairs  # noqa: E402
from linegroup.predict import LineGrouper  # noqa: E402
from linegroup.synth import SynthConfig, write_split  # noqa: E402
from scipy.ndimage import distance_transform_edt  # noqa: E402

OWN_TRUTH_PX = 3  # px: a model's own candidate belongs to the true line this near


def charts(a):
    """--num charts per folder of --work, folder k drawn with seed --seed + k."""
    recs = []
    for k, work in enumerate(a.work):
        js = os.path.join(work, "train.json")
        if not os.path.exists(js):
            write_split(work, "train", a.num, seed=a.seed + k, workers=a.workers,
                        cfg=SynthConfig(hard_frac=0.4, variety=True, exact_masks=True))
        recs += load_coco_lines(js, os.path.join(work, "train"))[0][: a.num]
    return recs


def inputs_of(recs, g, cache: str = ""):
    """Per chart: (image, [(xs, ys, truth, feats) for each candidate kind]), the network run
    once (its embeddings kept in `cache`, a folder, if given)."""
    from tqdm import tqdm

    out = []
    for rec in tqdm(recs, desc="embeddings", unit="chart"):
        img = read_image(rec.path)
        cpath = os.path.join(cache, os.path.basename(os.path.dirname(os.path.dirname(rec.path))) + "_" +
                             os.path.basename(rec.path) + ".npz") if cache else ""
        if cpath and os.path.exists(cpath):
            with np.load(cpath) as z:
                kinds = [(z[f"xs{k}"], z[f"ys{k}"], z[f"t{k}"], z[f"f{k}"].astype(np.float32))
                         for k in range(int(z["n"]))]
            out.append((img, kinds))
            continue
        emb, prob, _ = g.embed(img)
        exact = truth_from_label_mask(rec.label_mask, len(rec.lines), rec.height, rec.width)
        inst, valid, line = rasterize(rec.lines, rec.height, rec.width, 2)
        # the model's own candidates, cleaned as predict does; each takes the line of the
        # nearest exact line pixel within OWN_TRUTH_PX (0 where that pixel is an overlap)
        own, _ = g.clean_candidates(g.own_candidates(prob), img)
        dist, (iy, ix) = distance_transform_edt(~exact["line"], return_indices=True)
        own_truth = np.where(dist <= OWN_TRUTH_PX, exact["inst"][iy, ix], 0)
        kinds = []
        for truth_img, cand in ((exact["inst"], exact["line"]), (np.where(valid, inst, 0), line),
                                (own_truth, own)):
            ys, xs = np.nonzero(cand)
            if len(xs) >= 10:
                feats = emb[:, ys, xs].T.astype(np.float16).astype(np.float32)  # as kept in the cache
                kinds.append((xs, ys, truth_img[ys, xs].astype(np.int64), feats))
        if cpath:
            arrays = {"n": len(kinds)}
            for k, (xs, ys, t, f) in enumerate(kinds):
                arrays.update({f"xs{k}": xs, f"ys{k}": ys, f"t{k}": t, f"f{k}": f.astype(np.float16)})
            np.savez(cpath, **arrays)
        out.append((img, kinds))
    return out


def samples_of(inputs, r1=None):
    """Per chart and candidate kind: round 1's (X, y), or, given r1, round 2's."""
    out = []
    for img, kinds in inputs:
        per = []
        for xs, ys, truth, feats in kinds:
            width = float(xs.max() - xs.min() + 1)
            if r1 is None:
                frag = build_fragments(column_runs(xs, ys))
                d = describe(frag, xs, ys, img, feats)
                pairs = candidate_pairs(d, np.flatnonzero(~d.shared), GAP1, REACH1)
                lt, pur = piece_truth(frag.pix_frag, truth, d.n)
                per.append(round_samples(d, pairs, lt, pur, width))
            else:
                st = link_fragments(xs, ys, img, feats, LinkModels(r1, r1), upto=1)
                cd = st.desc1
                pairs = candidate_pairs(cd, np.arange(cd.n), width, REACH2 * float(ys.max() - ys.min() + 1), OVERLAP2)
                lt, pur = piece_truth(st.chain1[st.frag.pix_frag], truth, cd.n)
                per.append(round_samples(cd, pairs, lt, pur, width))
        out.append(per)
    return out


def stack(per_chart):
    xs = [x for per in per_chart for x, _ in per]
    ys = [y for per in per_chart for _, y in per]
    return np.concatenate(xs), np.concatenate(ys)


def held_out(model, X, y, name):
    from sklearn.metrics import log_loss, roc_auc_score

    p = np.clip(model.proba(X), 1e-6, 1 - 1e-6)
    acc = float(((p > 0.5) == (y == 1)).mean())
    print(f"{name}: {len(y)} held-out pairs ({int(y.sum())} links), AUC {roc_auc_score(y, p):.4f}, "
          f"log loss {log_loss(y, p):.4f}, accuracy {acc:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", nargs="+", default=["runs/links"], help="folders for the training charts")
    ap.add_argument("--num", type=int, default=300, help="training charts per folder")
    ap.add_argument("--seed", type=int, default=101, help="synth seed of the training charts")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--checkpoint", default=None, help="network for the embeddings (default: shipped)")
    ap.add_argument("--cache", default="", help="folder to keep the embeddings in between fits")
    ap.add_argument("--out", default=os.path.join(ROOT, "src", "linegroup", "weights", "links.npz"))
    a = ap.parse_args()
    t0 = time.time()
    recs = charts(a)
    g = LineGrouper.load(a.checkpoint)
    cut = int(len(recs) * 0.85)
    if a.cache:
        os.makedirs(a.cache, exist_ok=True)
    inputs = inputs_of(recs, g, a.cache)
    s1 = samples_of(inputs)
    X, y = stack(s1[:cut])
    r1 = fit_tree_model(X, y)
    held_out(r1, *stack(s1[cut:]), "round 1")
    r1 = fit_tree_model(*stack(s1))
    s2 = samples_of(inputs, r1)
    r2 = fit_tree_model(*stack(s2[:cut]))
    held_out(r2, *stack(s2[cut:]), "round 2")
    r2 = fit_tree_model(*stack(s2))
    LinkModels(r1, r2).save(a.out)
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e3:.0f} kB) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
