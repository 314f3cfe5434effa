"""The series judge (candidates/series.py): its cues, its drop rule, its storage, its effect."""

import numpy as np
import pytest

from linegroup.candidates.series import FEATURES, drop_nonseries, group_features


def _groups():
    """A sine series 3 px thick over 360 columns (group 1), a two-stroke 'word' (group 2),
    and a sparse scatter of specks (group 3), on a white 200x400 image."""
    xs = np.arange(20, 380)
    ys = np.round(100 + 40 * np.sin(xs / 30)).astype(int)
    series = np.concatenate([np.column_stack([xs, ys + d]) for d in (-1, 0, 1)])
    wx = np.arange(50, 80)
    word = np.concatenate([np.column_stack([wx, np.full(30, 170)]), np.column_stack([wx, np.full(30, 178)])])
    specks = np.column_stack([np.arange(30, 370, 40), np.full(9, 20)])
    parts = [series, word, specks]
    xy = np.concatenate(parts).astype(np.float32)
    labels = np.concatenate([np.full(len(p), k + 1) for k, p in enumerate(parts)])
    image = np.full((200, 400, 3), 255, np.uint8)
    image[xy[:, 1].astype(int), xy[:, 0].astype(int)] = (200, 30, 30)
    return labels, xy, image


def test_group_features_known_answers():
    labels, xy, image = _groups()
    prob = np.full(image.shape[:2], 0.8, np.float32)
    F = group_features(labels, xy, image, prob, area=(10, 10, 390, 190))
    f = {name: F[:, i] for i, name in enumerate(FEATURES)}
    assert F.shape == (3, len(FEATURES))
    assert f["x_span"][0] == pytest.approx(360 / 380)  # the series spans 360 of the area's 380 px
    assert f["x_span_rel"][0] == 1.0 and f["rank"][0] == 0.0 and f["rank_n"][0] == 1.0
    assert f["cover"][0] == 1.0 and f["thick"][0] == 3.0 and f["multi_runs"][0] == 0.0
    assert f["multi_runs"][1] == 1.0  # two strokes in every column: text
    assert f["cover"][2] == pytest.approx(9 / 321)  # 9 specks over 321 columns
    assert f["pieces"][2] == 9
    assert np.allclose(f["prob_mean"], 0.8) and (f["contrast"] > 50).all()
    assert f["outside"].sum() == 0 and (f["has_area"] == 1).all() and (f["n_groups"] == 3).all()
    assert f["share_n"].sum() == pytest.approx(1.0)


def test_rise_ink_contrast_and_level_mates_known_answers():
    """The path's rise in px, the ink's contrast (not the band's), and how many other level
    groups a group has: grid lines come in families, a level series is alone."""
    labels, xy, image = _groups()
    F = group_features(labels, xy, image, None, area=(10, 10, 390, 190))
    f = {name: F[:, i] for i, name in enumerate(FEATURES)}
    centre = np.round(100 + 40 * np.sin(np.arange(20, 380) / 30))  # the sine's column centres
    assert f["rise"][0] == pytest.approx(np.percentile(centre, 95) - np.percentile(centre, 5))
    assert f["rise"][1] == 0.0 and f["rise"][2] == 0.0  # the word's two strokes, the specks' one row
    assert np.allclose(f["contrast_hi"], f["contrast"])  # one ink, no band
    assert f["level_mates"].tolist() == [1, 1, 0]  # the specks are the one level group
    # three more level rows (a grid): each level group now has three mates
    rows = np.concatenate([np.column_stack([np.arange(20, 380), np.full(360, y)]) for y in (60, 120, 150)])
    xy2 = np.concatenate([xy, rows.astype(np.float32)])
    labels2 = np.concatenate([labels, np.repeat([4, 5, 6], 360)])
    F2 = group_features(labels2, xy2, image, None, area=(10, 10, 390, 190))
    assert F2[:, FEATURES.index("level_mates")].tolist() == [4, 4, 3, 3, 3, 3]
    # a band of background pixels around the ink: the median contrast is the band's, the ink's is kept
    band = np.column_stack([np.arange(20, 380), np.round(100 + 40 * np.sin(np.arange(20, 380) / 30)) + 5])
    xy3 = np.concatenate([xy, np.concatenate([band, band + [0, 1], band + [0, 2], band + [0, 3]]).astype(np.float32)])
    labels3 = np.concatenate([labels, np.ones(4 * 360, int)])
    F3 = group_features(labels3, xy3, image, None, area=(10, 10, 390, 190))
    c, c_hi = FEATURES.index("contrast"), FEATURES.index("contrast_hi")
    assert F3[0, c] == 0.0 and F3[0, c_hi] == F[0, c]


def test_group_features_without_area_or_groups():
    labels, xy, image = _groups()
    F = group_features(labels, xy, image, None, area=None)
    assert (F[:, FEATURES.index("has_area")] == 0).all()
    assert group_features(np.zeros(0, int), np.zeros((0, 2), np.float32), image, None, None).shape == (0, len(FEATURES))


class _Judge:
    """A stand-in model: log-odds = 10 x cover - 5 (a series covers its columns)."""

    def logit(self, F):
        return 10 * F[:, FEATURES.index("cover")] - 5


def test_drop_nonseries_drops_low_scores_and_renumbers():
    labels, xy, image = _groups()
    F = group_features(labels, xy, image, None, None)
    out = drop_nonseries(labels, F, _Judge(), bias=0.0)
    assert (out[labels == 1] == 1).all()
    assert (out[labels == 2] == 2).all()  # the word covers its columns: kept by this judge
    assert (out[labels == 3] == 0).all()  # the sparse specks go
    assert drop_nonseries(labels, F, None) is labels  # no model: nothing judged


def test_drop_nonseries_keeps_the_largest_group():
    labels, xy, image = _groups()
    F = group_features(labels, xy, image, None, None)
    out = drop_nonseries(labels, F, _Judge(), bias=100.0)  # every group below the bias
    assert (out[labels == 1] == 1).all() and out.max() == 1


def test_link_models_round_trip_with_and_without_the_judge_and_the_pieces_model(tmp_path):
    from linegroup.grouping import LinkModels, load_link_models
    from linegroup.grouping.pieces import FEATURES as PIECES

    shipped = load_link_models()
    assert shipped.series is not None, "the shipped links.npz carries the series judge"
    assert shipped.pieces is not None, "the shipped links.npz carries the pieces model"
    path = str(tmp_path / "links.npz")
    shipped.save(path)
    back = LinkModels.load(path)
    rng = np.random.default_rng(0)
    for name, n in (("series", len(FEATURES)), ("pieces", len(PIECES))):
        X = rng.normal(size=(50, n))
        assert np.allclose(getattr(back, name).logit(X), getattr(shipped, name).logit(X))
    LinkModels(shipped.r1, shipped.r2, shipped.series).save(path)  # an older file: no pieces model
    assert LinkModels.load(path).pieces is None and LinkModels.load(path).series is not None
    LinkModels(shipped.r1, shipped.r2).save(path)  # older still: no judge
    assert LinkModels.load(path).series is None
