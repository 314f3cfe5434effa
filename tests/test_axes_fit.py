"""Pixel -> value fits on known tick positions: linear, log, a misread label, disagreement."""

import numpy as np
import pytest

from linegroup.axes.fit import fit_axis


def test_linear_y_axis_pixels_grow_downwards():
    fit = fit_axis("y", [300, 200, 100, 0], [0, 10, 20, 30])
    assert fit.calibrated and fit.scale == "linear"
    assert np.allclose(fit.to_value([300, 150, 0]), [0, 15, 30])
    assert np.allclose(fit.to_pixel([5]), [250])
    assert fit.residual_px < 1e-6


def test_log_axis_from_equal_ratios():
    fit = fit_axis("y", [400, 300, 200, 100, 0], [0.01, 0.1, 1, 10, 100])
    assert fit.calibrated and fit.scale == "log"
    assert np.allclose(fit.to_value([250, 50]), [10 ** -0.5, 10 ** 1.5])


def test_one_misread_label_is_rejected():
    # "15" read as "19" (or a lost minus sign): the other labels agree, the map ignores it
    fit = fit_axis("x", [10, 60, 110, 160, 210], [0, 5, 19, 15, 20])
    assert fit.calibrated and fit.scale == "linear"
    assert [t["used"] for t in fit.ticks] == [True, True, False, True, True]
    assert np.allclose(fit.to_value([85]), [7.5])


def test_lost_minus_signs_do_not_bend_the_map():
    fit = fit_axis("y", [0, 50, 100, 150, 200], [10, 5, 0, 5, 10])  # true: 10, 5, 0, -5, -10
    assert fit.calibrated
    assert np.allclose(fit.to_value([150, 200]), [-5, -10])


@pytest.mark.parametrize("pixels,values", [
    ([10, 60, 110], [0, 5, 19]),  # three labels, one wrong: too few agree
    ([10, 60, 110, 160], [7, 3, 9, 1]),  # no consistent map
    ([10, 60], [0, 5]),  # two labels
    ([10, 60, 110], [5, 5, 5]),  # one value repeated
])
def test_disagreeing_labels_are_not_calibrated(pixels, values):
    fit = fit_axis("x", pixels, values)
    assert not fit.calibrated and fit.reason
    assert np.isnan(fit.to_value([50])).all()


def test_report_is_json_ready():
    import json

    d = fit_axis("x", [0, 100, 200], [1, 2, 3], texts=["1", "2", "3"]).to_dict()
    assert d["status"] == "calibrated" and d["scale"] == "linear" and len(d["ticks"]) == 3
    json.dumps(d)
