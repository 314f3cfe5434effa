"""A gradient-boosted tree ensemble as plain arrays: the learned link costs, without pickle.

    model = TreeEnsemble.from_sklearn(clf)             # a fitted HistGradientBoostingClassifier
    arrays = model.to_arrays(); np.savez(path, **arrays)
    model = TreeEnsemble.load(path)                    # np.load(allow_pickle=False)
    logit = model.logit(X)                             # (n,) log-odds of "same line"

The links between fragments are scored by scikit-learn's `HistGradientBoostingClassifier`,
fitted offline (`linegroup.grouping.learn`). Shipping a pickle would tie the installed
scikit-learn version to the one that fitted it and run arbitrary code on load; instead
the trees are stored as arrays (feature, threshold, children, leaf value) and evaluated
here, vectorised over samples and trees: one step per tree level. The features must be
finite (the link features have no missing values). The result equals the classifier's
`decision_function` (tested).
"""

from __future__ import annotations

import numpy as np

_FIELDS = ("feature", "threshold", "left", "right", "value", "is_leaf")


class TreeEnsemble:
    def __init__(self, feature, threshold, left, right, value, is_leaf, roots, baseline, names=(), meta=None):
        self.feature = np.asarray(feature, np.int64)
        self.threshold = np.asarray(threshold, np.float64)
        self.left = np.asarray(left, np.int64)
        self.right = np.asarray(right, np.int64)
        self.value = np.asarray(value, np.float64)
        self.is_leaf = np.asarray(is_leaf, bool)
        self.roots = np.asarray(roots, np.int64)
        self.baseline = float(baseline)
        self.names = tuple(names)
        self.meta = dict(meta or {})

    @classmethod
    def from_sklearn(cls, clf, names=(), meta=None) -> "TreeEnsemble":
        """Flatten a fitted binary HistGradientBoostingClassifier (numerical features only)."""
        parts, roots, off = [], [], 0
        for stage in clf._predictors:
            nodes = stage[0].nodes
            if np.any(nodes["is_categorical"]):
                raise ValueError("categorical splits are not supported")
            roots.append(off)
            parts.append((nodes["feature_idx"], nodes["num_threshold"], nodes["left"] + off,
                          nodes["right"] + off, nodes["value"], nodes["is_leaf"]))
            off += len(nodes)
        cols = [np.concatenate([p[k] for p in parts]) for k in range(6)]
        base = float(np.ravel(clf._baseline_prediction)[0])
        return cls(*cols, roots=roots, baseline=base, names=names, meta=meta)

    def to_arrays(self) -> dict:
        d = {k: getattr(self, k) for k in _FIELDS}
        d["roots"] = self.roots
        d["baseline"] = np.array(self.baseline)
        d["names"] = np.array(self.names, dtype="U64")
        for k, v in self.meta.items():
            d["meta_" + k] = np.asarray(v)
        return d

    @classmethod
    def from_arrays(cls, d) -> "TreeEnsemble":
        meta = {k[5:]: d[k].tolist() for k in d if k.startswith("meta_")}
        return cls(*(d[k] for k in _FIELDS), roots=d["roots"], baseline=float(d["baseline"]),
                   names=[str(s) for s in d["names"]], meta=meta)

    @classmethod
    def load(cls, path: str, prefix: str = "") -> "TreeEnsemble":
        with np.load(path, allow_pickle=False) as z:
            d = {k[len(prefix):]: z[k] for k in z.files if k.startswith(prefix)}
        return cls.from_arrays(d)

    @property
    def n_features(self) -> int:
        return len(self.names) if self.names else int(self.feature[~self.is_leaf].max()) + 1

    def _prepare(self):
        """The trees laid out for stepping: nodes renumbered breadth-first so that a
        node's right child directly follows its left child, and leaves made self-loops
        (threshold +inf), so that every sample takes the same number of steps (the
        ensemble's depth) with one comparison and three gathers each."""
        if hasattr(self, "_flat"):
            return self._flat
        feat, thr, child, roots, old_of_new = [], [], [], [], []
        depth = 0
        for root in self.roots:
            order, level = [int(root)], {int(root): 0}
            base = len(old_of_new)
            k = 0
            while k < len(order):  # breadth-first, children in pairs
                n = order[k]
                if not self.is_leaf[n]:
                    for c in (int(self.left[n]), int(self.right[n])):
                        level[c] = level[n] + 1
                        order.append(c)
                k += 1
            new = {n: base + q for q, n in enumerate(order)}
            roots.append(base)
            for n in order:
                old_of_new.append(n)
                depth = max(depth, level[n])
                if self.is_leaf[n]:
                    feat.append(0)
                    thr.append(np.inf)
                    child.append(new[n])
                else:
                    feat.append(int(self.feature[n]))
                    thr.append(float(self.threshold[n]))
                    child.append(new[int(self.left[n])])
        self._flat = (np.array(feat, np.int64), np.array(thr), np.array(child, np.int64),
                      np.array(roots, np.int64), self.value[np.array(old_of_new, np.int64)], depth)
        return self._flat

    def logit(self, X: np.ndarray) -> np.ndarray:
        """(n, n_features) finite features -> (n,) raw score (log-odds)."""
        X = np.asarray(X, np.float64)
        n = len(X)
        if n == 0:
            return np.zeros(0)
        if not np.isfinite(X).all():
            raise ValueError("link features must be finite")
        feat, thr, child, roots, value, depth = self._prepare()
        flat = np.ascontiguousarray(X.T).ravel()  # feature-major: X[i, f] = flat[f * n + i]
        featn, samples = feat * n, np.arange(n)
        # (trees, samples): the first level straight from the roots' columns, then one
        # gather per array and level
        node = child[roots][:, None] + (X[:, feat[roots]] > thr[roots]).T
        for _ in range(depth - 1):
            node = child[node] + (flat[featn[node] + samples] > thr[node])
        return self.baseline + np.ascontiguousarray(value[node].T).sum(1)  # summed per sample in tree order

    def proba(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(X)))
