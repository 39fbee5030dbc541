"""Validation subject ``dcid``: the 2000-2020 rivalries against the real record, with the
figures the scenario was fitted to kept apart from the ones it predicts."""

from __future__ import annotations

import argparse
import json

import pytest

from sim.errors import UserError
from sim.scenario import load_scenario
from sim.validation import dcid, record
from sim.validation.measures import MEASURES, RunRecord, evaluate
from sim.validation.targets import load_targets, parse_targets
from tests.helpers import ROOT, cli

TARGETS = ROOT / "scenarios" / "rivalries_2000_2020.targets.toml"


@pytest.fixture(scope="module")
def result():
    """Three runs of the full 21-year scenario (posterior draws when it is calibrated)."""
    args = argparse.Namespace(runs=3, steps=None, seed=0, overrides=[], json=True)
    return dcid.run("dcid", args)


def test_result_shape(result):
    """Fitted figures are in-sample, the others out-of-sample, each with an interval."""
    json.dumps(result)
    assert result["target"] == "dcid"
    t = load_targets(TARGETS)
    assert [f["name"] for f in result["in_sample"]] == [x.name for x in t.by_role("calibration")]
    assert [f["name"] for f in result["out_of_sample"]] == [x.name for x in t.by_role("validation")]
    assert {"incident_growth", "mutual_initiation", "dwell_fall"} <= {
        f["name"] for f in result["out_of_sample"]
    }
    for f in result["in_sample"] + result["out_of_sample"]:
        lo, hi = f["band"]
        assert lo <= f["observed"] <= hi
        assert f["interval"][0] <= f["median"] <= f["interval"][1]
        assert f["passed"] == (lo <= f["median"] <= hi)  # a miss is a miss
    text = dcid.table(result)
    assert "in-sample fit" in text and "out-of-sample prediction" in text


def test_shipped_scenario_is_calibrated_and_says_to_what(result):
    scen = load_scenario("rivalries_2000_2020")
    cal = scen.calibration
    assert cal.fitted and cal.posterior and result["posterior"]
    t = load_targets(TARGETS)
    assert set(cal.fitted) == {x.name for x in t.by_role("calibration")}
    assert not set(cal.fitted) & {x.name for x in t.by_role("validation")}


def _fake_targets(role_of_rate: str) -> str:
    text = TARGETS.read_text()
    return text.replace(
        'measure = "incidents_per_year"\nobserved = 20.43\nlow = 16.0\nhigh = 25.0\n'
        'source = "DCID 2.0 (Maness, Valeriano, Hedgecock, Macias & Jensen 2023, Cyber '
        'Defense Review 8(2)): 429 incidents, 2000-2020"\nrole = "calibration"',
        'measure = "incidents_per_year"\nobserved = 20.43\nlow = 16.0\nhigh = 25.0\n'
        f'source = "DCID 2.0"\nrole = "{role_of_rate}"',
    )


def test_validate_refuses_a_fitted_target_as_validation(tmp_path):
    """A targets file that calls a figure the scenario was fitted to a prediction is refused."""
    scen = load_scenario("rivalries_2000_2020")
    assert "incidents_per_year" in scen.calibration.fitted
    fake = tmp_path / "fake.targets.toml"
    fake.write_text(_fake_targets("validation"))
    assert load_targets(fake).by_role("validation")[0].name == "incidents_per_year"
    with pytest.raises(UserError, match="fitted to this figure"):
        record.split(scen, load_targets(fake))
    res = cli("validate", "dcid", "--targets", str(fake), "--runs", "1")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert "incidents_per_year" in line and "cannot be reported as validation" in line


def _target(name: str, role: str, **changes: object) -> dict:
    """A targets-file row measuring dwell_weeks (observed 8, band 3-29), with changes."""
    row = {
        "name": name,
        "measure": "dwell_weeks",
        "observed": 8,
        "low": 3,
        "high": 29,
        "source": "x",
        "role": role,
    }
    return {**row, **changes}


def test_a_validation_target_measuring_a_fitted_figure_is_refused():
    """Even without provenance: a second name for a fitted measure is not a prediction."""
    scen = load_scenario("baseline")
    data = {"target": [_target("a", "calibration"), _target("b", "validation")]}
    with pytest.raises(UserError, match="cannot be reported as validation"):
        record.split(scen, parse_targets(data, "t.toml"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('measure = "share_iran"', 'measure = "share_mars"'), "unknown measure"),
        (('\nrole = "validation"', '\nrole = "prediction"'), "expected one of calibration"),
        (("low = 16.0", "low = 26.0"), "expected low <= high"),
        (('name = "share_iran"', 'name = "share_china"'), "duplicate target name"),
        (("observed = 3.05", 'observed = "high"'), "expected a number"),
        (('label = "mean severity (1-10)"', 'colour = "red"'), "unknown key"),
    ],
)
def test_bad_targets_files_are_refused_in_one_line(tmp_path, change, expected):
    bad = tmp_path / "bad.targets.toml"
    bad.write_text(TARGETS.read_text().replace(*change, 1))
    with pytest.raises(UserError, match=expected) as exc:
        load_targets(bad)
    assert str(bad) in str(exc.value) and "\n" not in str(exc.value)


def test_seeds_are_spawned_and_distinct():
    """Run seeds come from one SeedSequence: reproducible and distinct."""
    assert dcid.seeds(0, 3) == dcid.seeds(0, 3)
    assert len(set(dcid.seeds(0, 5))) == 5


def _incident(step, initiator, target, **kw):
    e = {
        "kind": "incident",
        "type": "espionage",
        "initiator": initiator,
        "target": target,
        "severity": 3,
        "retaliation_of": None,
        "step": step,
        "detected_step": step + 4,
        "attributed_step": step + 20,
        "response": "public",
    }
    e.update(kw)
    return e


def test_measures_count_states_only():
    """Crime is not a state incident; shares are of state incidents."""
    events = [
        _incident(
            1,
            "Crime group 1",
            "China",
            type="crime",
            severity=2,
            attributed_step=None,
            response="none",
            detected_step=2,
        ),
        _incident(1, "China", "United States", attributed_step=20),
    ]
    m = evaluate(list(MEASURES), RunRecord(events, steps=104))
    assert m["incidents_per_year"] == pytest.approx(0.5)
    assert m["share_china"] == 1.0 and m["target_united_states"] == 1.0
    assert m["attribution_lag_weeks"] == 19 and m["dwell_weeks"] == 4


def test_dynamic_measures_on_a_known_record():
    """Growth, mutual initiation and the fall of dwell times on a record built by hand."""
    week = lambda year: int((year - 2000) * 52) + 1  # noqa: E731
    events = [_incident(week(2005), "China", "United States") for _ in range(12)]
    events += [_incident(week(2015), "China", "United States") for _ in range(27)]
    events += [_incident(week(2005), "United States", "China") for _ in range(4)]
    # detected 2012 after 40 weeks; detected 2019 after 4 weeks
    events += [_incident(week(2011.2), "Iran", "Israel", detected_step=week(2011.2) + 40)]
    events += [_incident(week(2019), "Iran", "Israel", detected_step=week(2019) + 4)]
    m = evaluate(
        ["incident_growth", "mutual_initiation", "dwell_fall"],
        RunRecord(events, steps=21 * 52, start_year=2000),
    )
    # 2000-11: 12 + 4 + 1 in 12 years; 2012-20: 27 + 1 in 9 years
    assert m["incident_growth"] == pytest.approx((28 / 9) / (17 / 12))
    # US-China 12/4 and Israel-Iran 0/1 in 2001-11: minority 4 of 17
    assert m["mutual_initiation"] == pytest.approx(4 / 17)
    assert m["dwell_fall"] == pytest.approx(40.5 / 4.5)


def test_exposure_growth_raises_the_incident_rate():
    """operations.exposure_growth: more moments worth an operation every year, so the later
    years see more incidents; at 0 (the default everywhere else) the rate stays flat."""
    from sim.run import simulate

    def late_over_early(growth: float) -> float:
        # three seeds pooled: a few dozen incidents in five years, so one seed is noisy
        steps = []
        for seed in (3, 4, 5):
            r = simulate(
                "rivalries_2000_2020", {"operations.exposure_growth": growth}, seed=seed, steps=520
            )
            steps += [
                e["step"] for e in r.events if e.get("kind") == "incident" and e["type"] != "crime"
            ]
        early = sum(s <= 260 for s in steps)
        return (len(steps) - early) / max(early, 1)

    flat, growing = late_over_early(0.0), late_over_early(0.25)
    assert 0.7 < flat < 1.4
    assert growing > 2.0 * flat


@pytest.mark.parametrize("value", [10**400, float("inf"), float("nan")])
def test_a_target_figure_beyond_any_float_is_refused_in_one_line(value):
    """The CLI fuzz found an integer too large for a float (OverflowError, a traceback)."""
    data = {"target": [_target("a", "calibration", high=value)]}
    with pytest.raises(UserError, match="expected a finite number"):
        parse_targets(data, "t.toml")
