"""Grouping known answers: partitions, the small-cluster rule, fragment joining."""

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score

from linegroup.grouping.dbscan import GroupParams, absorb_small, cluster_embeddings, dbscan_weighted, group_pixels


def _blobs(n=3000, k=5, d=8, spread=0.1, seed=0):
    rng = np.random.default_rng(seed)
    cent = rng.normal(0, 1, (k, d))
    cent *= 3.0 / np.linalg.norm(cent, axis=1, keepdims=True)  # well apart
    cent[1] = -cent[0]
    lab = rng.integers(0, k, n)
    return cent[lab] + rng.normal(0, spread, (n, d)), lab, rng


def test_well_separated_embeddings_give_the_true_partition():
    f, lab, _ = _blobs()
    out = cluster_embeddings(f)
    assert adjusted_rand_score(lab, out) == 1.0 and out.min() == 1


def test_subsampled_path_gives_the_same_partition():
    f, lab, _ = _blobs(n=20000, spread=0.2)
    out = cluster_embeddings(f, GroupParams(max_points=500))
    assert adjusted_rand_score(lab, out) > 0.999


def test_noise_near_a_line_is_merged_far_noise_is_dropped():
    f, lab, rng = _blobs(n=2000, k=3)
    centres = np.stack([f[lab == i].mean(0) for i in range(3)])
    step = rng.normal(0, 1, (5, f.shape[1]))
    near = centres[0] + step / np.linalg.norm(step, axis=1, keepdims=True)  # 5 stray pixels, 1.0 away
    far = np.full((3, f.shape[1]), 40.0) + rng.normal(0, 5, (3, f.shape[1]))  # scattered, isolated
    out = cluster_embeddings(np.concatenate([f, near, far]))
    main = out[:2000]
    assert out[2000:2005].tolist() == [main[lab == 0][0]] * 5
    assert (out[2005:] == 0).all()
    assert out.max() == 3


def test_small_clusters_join_the_spatially_nearest_line():
    xy = np.array([[x, 10] for x in range(100)] + [[x, 50] for x in range(100)] + [[100, 11], [101, 11]]
                  + [[300, 300]], float)
    labels = np.array([1] * 100 + [2] * 100 + [3, 3] + [4])
    out = absorb_small(labels, xy, GroupParams(min_line_pixels=5, merge_radius=5))
    assert out[200] == out[201] == out[0]  # joined line 1
    assert out[202] == 0  # isolated speck dropped
    assert out.max() == 2


def test_empty_input_and_group_pixels_end_to_end():
    assert group_pixels(np.zeros((0, 8)), np.zeros((0, 2))).shape == (0,)
    f, lab, rng = _blobs(n=500, k=2)
    xy = np.column_stack([rng.uniform(0, 300, 500), lab * 100 + rng.normal(0, 1, 500)])
    out = group_pixels(f, xy)
    assert adjusted_rand_score(lab, out) == 1.0


def test_dbscan_weighted_known_answer():
    # two weighted cores far apart, a border point beside the first, an isolated point
    pts = np.array([[0.0], [0.1], [0.5], [10.0], [10.2], [30.0]])
    w = np.array([50, 50, 1, 40, 40, 5])
    lab = dbscan_weighted(pts, w, eps=0.45, min_weight=80)
    assert lab[0] == lab[1] == lab[2] >= 0  # 0.5 is within eps of the core at 0.1 only: a border point
    assert lab[3] == lab[4] >= 0 and lab[3] != lab[0]
    assert lab[5] == -1  # isolated and light: noise
    assert (dbscan_weighted(pts, w, eps=0.45, min_weight=1000) == -1).all()  # no core at all


def test_dbscan_weighted_matches_sklearn():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(600, 4)) * 0.6 + rng.integers(0, 5, (600, 1)) * 3.0
    w = rng.integers(1, 20, 600)
    ref = DBSCAN(eps=0.7, min_samples=80).fit(pts, sample_weight=w).labels_
    lab = dbscan_weighted(pts, w, 0.7, 80)
    assert ((ref >= 0) == (lab >= 0)).all()  # the same noise points
    assert adjusted_rand_score(ref, lab) > 0.99  # the same clusters, up to border tie-breaking


