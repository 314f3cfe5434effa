"""Grouping known answers: partitions, the small-cluster rule, fragment joining."""

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score

from linegroup.cluster import GroupParams, cluster_embeddings, dbscan_weighted, group_pixels
from linegroup.geometry import absorb_small, join_fragments, multi_run_share, split_merged


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


def test_fragments_of_one_line_rejoin_but_parallel_lines_do_not():
    x1 = np.arange(0, 100)
    x2 = np.arange(115, 200)  # a 15-px gap (a dash, a crossing)
    y = lambda x: 0.3 * x + 20  # noqa: E731
    a = np.column_stack([x1, y(x1)])
    b = np.column_stack([x2, y(x2)])
    c = np.column_stack([np.arange(0, 200), y(np.arange(0, 200)) + 40])  # a parallel line
    xy = np.concatenate([a, b, c])
    labels = np.array([1] * len(a) + [2] * len(b) + [3] * len(c))
    p = GroupParams()
    out = join_fragments(labels, xy, p)
    assert out.max() == 2
    assert len(set(out[: len(a) + len(b)])) == 1 and out[-1] != out[0]
    # with the wrong slope the fragment is not joined
    b_off = np.column_stack([x2, y(x2) + 25])
    out2 = join_fragments(labels, np.concatenate([a, b_off, c]), p)
    assert out2.max() == 3


def test_empty_input_and_group_pixels_end_to_end():
    assert group_pixels(np.zeros((0, 8)), np.zeros((0, 2))).shape == (0,)
    f, lab, rng = _blobs(n=500, k=2)
    xy = np.column_stack([rng.uniform(0, 300, 500), lab * 100 + rng.normal(0, 1, 500)])
    out = group_pixels(f, xy)
    assert adjusted_rand_score(lab, out) == 1.0


def test_other_methods_run():
    f, lab, _ = _blobs(n=800, k=3)
    for m in ("hdbscan", "meanshift"):
        out = cluster_embeddings(f, GroupParams(method=m))
        assert adjusted_rand_score(lab, out) > 0.95, m


def test_multi_run_share_tells_one_line_from_two():
    x = np.arange(0, 100, dtype=float)
    one = np.column_stack([np.repeat(x, 3), np.repeat(0.5 * x, 3) + np.tile([0, 1, 2], 100)])
    assert multi_run_share(one) == 0.0
    steep = np.column_stack([np.repeat(np.arange(30.0), 10), np.arange(300.0)])  # one long run per column
    assert multi_run_share(steep) == 0.0
    two = np.concatenate([one, one + [0, 40]])
    assert multi_run_share(two) == 1.0


def test_a_group_holding_two_lines_is_split_by_its_embeddings():
    rng = np.random.default_rng(0)
    x = np.arange(0, 200, dtype=float)
    a = np.column_stack([x, 0.2 * x + 10])
    b = np.column_stack([x, 80 - 0.2 * x])  # crosses a
    xy = np.concatenate([a, b])
    feats = np.concatenate([rng.normal(0, 0.1, (200, 4)), rng.normal(0, 0.1, (200, 4)) + [1.2, 0, 0, 0]])
    labels = np.ones(400, np.int32)  # DBSCAN chained them into one group
    out = split_merged(labels, feats.astype(np.float32), xy, GroupParams())
    assert out.max() == 2 and adjusted_rand_score(np.repeat([0, 1], 200), out) > 0.95
    # one line with two embedding modes (a receptive-field seam) stays one group
    one = split_merged(np.ones(200, np.int32), feats[:200] + np.repeat([[0, 0, 0, 0], [2, 0, 0, 0]], 100, 0),
                       a, GroupParams())
    assert one.max() == 1


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


def test_core_grouping_ignores_bridging_rim_pixels():
    """Two lines 8 px apart whose rims hold embeddings spread between theirs: DBSCAN on
    all pixels chains them into one group; clustering the core alone keeps two, and each
    rim pixel takes the label of the line it touches."""
    rng = np.random.default_rng(0)
    x = np.arange(0, 300, dtype=np.float32)
    a = np.column_stack([x, np.full_like(x, 50)])
    b = np.column_stack([x, np.full_like(x, 58)])
    rim = np.concatenate([np.column_stack([x, np.full_like(x, 51)]), np.column_stack([x, np.full_like(x, 57)])])
    xy = np.concatenate([a, b, rim])
    ea = np.zeros((300, 8), np.float32) + rng.normal(0, 0.05, (300, 8))
    eb = np.full((300, 8), 0.5, np.float32) + rng.normal(0, 0.05, (300, 8))  # 1.4 from line a
    t = rng.uniform(0, 1, 600)[:, None]  # rim embeddings anywhere between the two lines
    feats = np.concatenate([ea, eb, (t * 0.5 + rng.normal(0, 0.05, (600, 8))).astype(np.float32)])
    truth = np.r_[np.zeros(300), np.ones(300), np.zeros(300), np.ones(300)]
    p = GroupParams(postprocess=False)
    assert group_pixels(feats, xy, p).max() == 1  # chained through the rim
    core = np.r_[np.ones(600, bool), np.zeros(600, bool)]
    lab = group_pixels(feats, xy, p, core)
    assert lab.max() == 2 and adjusted_rand_score(truth, lab) == 1.0
    # a candidate far from every core pixel is grouped with the core, not lost
    far = np.array([[150.0, 200.0]], np.float32)
    lab2 = group_pixels(np.concatenate([feats, ea[:1]]), np.concatenate([xy, far]), p, np.r_[core, False])
    assert lab2[-1] == lab2[0] != 0  # clustered with the core: it joins line a by its embedding
