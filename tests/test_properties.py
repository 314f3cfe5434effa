"""Property-based tests (Hypothesis): whatever comes in, a result of the right size or our own error.

Bounded to a few dozen examples each so that the suite stays fast on 2 cores.
"""

import json
import os
import tempfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="property tests need hypothesis: pip install -e '.[test]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from linegroup.data import DataError, load_coco_lines  # noqa: E402
from linegroup.images import ImageError, LinegroupError, read_image  # noqa: E402

FAST = settings(max_examples=40, deadline=None, derandomize=True,  # the same examples on every run (CI)
                suppress_health_check=[HealthCheck.function_scoped_fixture])
MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBP",
         b"%PDF-1.4\n", b"<svg xmlns='http://www.w3.org/2000/svg'"]


@FAST
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=400))
def test_random_bytes_read_as_an_image_or_our_error(prefix, body):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.png")
        with open(path, "wb") as f:
            f.write(prefix + body)
        try:
            img = read_image(path)
        except ImageError as e:
            assert path in str(e)
        else:
            assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


DTYPES = st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.bool_])


@st.composite
def images(draw):
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    shape = draw(st.sampled_from([(h, w), (h, w, 1), (h, w, 2), (h, w, 3), (h, w, 4)]))
    dtype = draw(DTYPES)
    elements = st.one_of(st.floats(-2, 300, width=32), st.sampled_from([np.nan, np.inf, -np.inf])) \
        if dtype in (np.float32, np.float64) else None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def masks(draw, shape):
    kind = draw(st.sampled_from(["none", "random", "all", "empty", "wrong_size", "channels"]))
    if kind == "none":
        return None
    if kind == "wrong_size":
        return np.ones((shape[0] + 1, shape[1]), np.uint8)
    if kind == "all":
        return np.ones(shape, bool)
    if kind == "empty":
        return np.zeros(shape, np.uint16)
    m = draw(hnp.arrays(np.uint8, shape, elements=st.integers(0, 1)))
    return np.dstack([m, m, m]) if kind == "channels" else m


@pytest.fixture(scope="module")
def groupers(tiny_ckpt):
    from linegroup import LineGrouper

    return [LineGrouper.load(tiny_ckpt), LineGrouper.load(tiny_ckpt, grouping="dbscan")]


@FAST
@given(data=st.data())
def test_random_arrays_and_masks_give_a_mask_of_the_input_size_or_our_error(groupers, data):
    img = data.draw(images())
    cand = data.draw(masks(img.shape[:2]))
    g = groupers[data.draw(st.integers(0, 1))]
    try:
        res = g.predict(img, candidates=cand)
    except ImageError as e:
        assert str(e)
        assert cand is not None and cand.shape[:2] != img.shape[:2]  # the only bad input here
    else:
        assert res.mask.shape == img.shape[:2] and res.mask.dtype == np.uint16
        assert len(res.lines) == len(np.unique(res.mask[res.mask > 0]))
        if cand is not None:  # lines only on given candidates; with links, every one of them in a line
            c = (cand.max(axis=2) if cand.ndim == 3 else cand) != 0
            assert not (res.mask[~c] > 0).any()
            if g.grouping == "links":  # the seed's DBSCAN drops groups under min_line_pixels far from lines
                np.testing.assert_array_equal(res.mask > 0, c)


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                      st.text(max_size=6))
JSON = st.recursive(JSON_LEAF, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), kids, max_size=4)),
                    max_leaves=12)
COORD = st.one_of(st.floats(-1e6, 1e6), st.floats(allow_nan=True, allow_infinity=True), st.integers(-50, 100),
                  st.text(max_size=3), st.none())
ANNOTATION = st.fixed_dictionaries(
    {"image_id": st.one_of(st.integers(0, 3), JSON_LEAF), "category_id": st.sampled_from([2, 2, 1, "2", None])},
    optional={"segmentation": st.one_of(st.lists(st.lists(COORD, max_size=8), max_size=3), st.lists(COORD, max_size=8),
                                        JSON),
              "points": st.one_of(st.lists(st.lists(COORD, min_size=2, max_size=2), max_size=5), JSON),
              "stroke_width": st.one_of(COORD, JSON)})
IMAGE = st.fixed_dictionaries(
    {"id": st.one_of(st.integers(0, 3), JSON_LEAF)},
    optional={"file_name": st.sampled_from(["c0.png", "c1.png", "missing.png", "", "../c0.png"]) | JSON_LEAF,
              "width": st.sampled_from([80, 0, -5, 10**9]) | JSON_LEAF,
              "height": st.sampled_from([64, 1]) | JSON_LEAF, "label_mask": JSON_LEAF})
DOCS = st.one_of(JSON, st.fixed_dictionaries({"images": st.lists(IMAGE, max_size=4)},
                                             optional={"annotations": st.lists(ANNOTATION, max_size=6) | JSON}))


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    from conftest import write_dataset

    d = tmp_path_factory.mktemp("coco")
    _, img_dir = write_dataset(str(d), n=2)
    return img_dir


@FAST
@given(doc=DOCS)
def test_random_coco_documents_load_or_raise_our_error(image_folder, doc):
    from linegroup.data import rasterize

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "doc.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        try:
            records, rep = load_coco_lines(path, image_folder)
        except DataError as e:
            assert path in str(e)
            return
    for rec in records:  # what loads is usable: finite points, sane sizes, drawable
        assert rec.width > 0 and rec.height > 0
        for pieces in rec.lines:
            assert all(np.isfinite(p).all() and len(p) >= 2 for p in pieces)
        rasterize(rec.lines, rec.height, rec.width, 2, rec.widths)
    assert isinstance(rep.summary(), str)


def test_our_errors_share_one_base_class():
    assert issubclass(ImageError, LinegroupError) and issubclass(DataError, LinegroupError)
