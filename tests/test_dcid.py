"""Validation target ``dcid``: the 2000-2020 rivalries land inside the real-world bands."""

from __future__ import annotations

import argparse
import json

import pytest

from sim.validation import dcid


@pytest.fixture(scope="module")
def result():
    """Three seeds of the full 21-year scenario (about 10 s)."""
    args = argparse.Namespace(runs=3, steps=None, seed=0, overrides=[], json=True)
    return dcid.run("dcid", args)


def test_result_shape(result):
    """The JSON result names every figure with its observed value, band and measurement."""
    json.dumps(result)
    assert result["target"] == "dcid"
    names = [f["name"] for f in result["figures"]]
    assert names == [f.name for f in dcid.FIGURES]
    for f in result["figures"]:
        lo, hi = f["band"]
        assert lo <= f["observed"] <= hi
        assert f["measured_min"] <= f["measured_mean"] <= f["measured_max"]
    assert "mean severity" in dcid.table(result)


@pytest.mark.slow
@pytest.mark.parametrize("name", [f.name for f in dcid.FIGURES])
def test_figure_inside_band(result, name):
    """Each calibrated figure's mean over seeds lies inside its band."""
    (fig,) = [f for f in result["figures"] if f["name"] == name]
    assert fig["passed"], fig


def test_seeds_are_spawned_and_distinct():
    """Run seeds come from one SeedSequence: reproducible and distinct."""
    assert dcid.seeds(0, 3) == dcid.seeds(0, 3)
    assert len(set(dcid.seeds(0, 5))) == 5


def test_measure_counts_states_only():
    """Crime is not a state incident; shares are of state incidents."""
    events = [
        {
            "kind": "incident",
            "type": "crime",
            "initiator": "Crime group 1",
            "target": "China",
            "severity": 2,
            "retaliation_of": None,
            "step": 1,
            "detected_step": 2,
            "attributed_step": None,
            "response": "none",
        },
        {
            "kind": "incident",
            "type": "espionage",
            "initiator": "China",
            "target": "United States",
            "severity": 3,
            "retaliation_of": None,
            "step": 1,
            "detected_step": 5,
            "attributed_step": 20,
            "response": "public",
        },
    ]
    m = dcid.measure(events, steps=104)
    assert m["incidents_per_year"] == pytest.approx(0.5)
    assert m["share_china"] == 1.0 and m["target_united_states"] == 1.0
    assert m["attribution_lag_weeks"] == 19 and m["dwell_weeks"] == 4
