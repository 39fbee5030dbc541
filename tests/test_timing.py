import json

import numpy as np
import pytest

from sim.mechanics.timing import optimal_threshold, uniform_threshold_closed_form, value
from tests.helpers import cli


@pytest.mark.parametrize(
    "s, p, w",
    [(0.1, 0.9, 0.9), (0.5, 0.99, 0.99), (0.3, 0.7, 0.5), (0.9, 0.5, 0.9), (0.0, 1.0, 0.95)],
)
def test_threshold_matches_closed_form(s, p, w):
    assert optimal_threshold(s, p, w) == pytest.approx(
        uniform_threshold_closed_form(s, p, w), abs=1e-5
    )


def test_threshold_maximises_value():
    t = float(optimal_threshold(0.4, 0.95, 0.98, 1.0, 2.0))
    grid = np.linspace(0, 1, 10001)
    assert (
        value(t, 0.4, 0.95, 0.98, 1.0, 2.0) >= value(grid, 0.4, 0.95, 0.98, 1.0, 2.0).max() - 1e-9
    )


def test_comparative_statics_of_axelrod_iliev():
    # persistent resources are worth waiting with; stealthy ones are used sooner
    assert optimal_threshold(0.5, 0.99, 0.95) > optimal_threshold(0.5, 0.7, 0.95)
    assert optimal_threshold(0.8, 0.95, 0.95) < optimal_threshold(0.2, 0.95, 0.95)
    # a resource lost as fast by waiting as by using is used at once
    assert optimal_threshold(0.9, 0.5, 0.9) == 0.0


def test_validate_axelrod_iliev_json():
    res = cli("validate", "axelrod-iliev", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["target"] == "axelrod-iliev"
    assert len(data["cases"]) >= 10
    for case in data["cases"]:
        assert set(case) >= {"stealth", "persistence", "discount", "threshold"}
        exact = uniform_threshold_closed_form(
            case["stealth"], case["persistence"], case["discount"]
        )
        assert case["threshold"] == pytest.approx(exact, abs=1e-4)
