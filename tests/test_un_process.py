"""The UN process 2004-2021 (scenarios/un_process_2004_2021.toml, validate un-process):
outcomes come from the mechanisms, never from a script.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from sim.validation import un_process
from sim.world import CATALOGUE_DIR
from tests.helpers import cli

UNTIL_2017 = 915  # weeks: the end of the GGE 2016-17 mandate


def _outcomes(overrides, seeds=(1, 2)):
    return [un_process.outcomes(un_process.SCENARIO, overrides, s, UNTIL_2017) for s in seeds]


def _agreed(runs, body):
    return [r[body]["agreed"] for r in runs]


@pytest.fixture(scope="module")
def reference():
    return _outcomes({})


@pytest.mark.slow
def test_outcomes_follow_the_items_sovereignty_costs(reference, tmp_path):
    # the 2016-17 group failed over the cost of its items; make every item cost nothing
    text = (CATALOGUE_DIR / "un_agenda.toml").read_text()
    free = tmp_path / "free.toml"
    free.write_text(re.sub(r"(?m)^constraint = .*$", "constraint = 0.0", text))
    runs = _outcomes({"norms.catalogue": str(free)})
    assert sum(_agreed(runs, "GGE 2016-17")) > sum(_agreed(reference, "GGE 2016-17"))
    total = sum(sum(r[b]["agreed"] for b in r) for r in runs)
    assert total > sum(sum(r[b]["agreed"] for b in r) for r in reference)


@pytest.mark.slow
def test_outcomes_follow_the_contested_item_and_the_incident_background(reference, tmp_path):
    # 2004-05 and 2016-17 failed over how law applies: take away what makes it contested
    text = (CATALOGUE_DIR / "un_agenda.toml").read_text()
    calm_law = tmp_path / "calm_law.toml"
    calm_law.write_text(re.sub(r"(?m)^contested = .*$", "contested = 0.0", text))
    runs = _outcomes({"norms.catalogue": str(calm_law)})
    failed = ("GGE 2004-05", "GGE 2016-17")
    assert sum(sum(_agreed(runs, b)) for b in failed) > 0
    assert sum(sum(_agreed(reference, b)) for b in failed) == 0
    # a busier background with wide windows: fresh shocks make the law worth more to all
    busy = _outcomes({"operations.opportunity_rate": 0.02, "negotiation.shock_gain": 10.0})
    assert sum(sum(_agreed(busy, b)) for b in failed) > 0


@pytest.mark.slow
def test_outcomes_follow_trust_between_blocs():
    # the 2019-21 bodies meet after a decade of lost trust: rivalry hardens positions
    def record(overrides):
        runs = [un_process.outcomes(un_process.SCENARIO, overrides, s, None) for s in (1, 2)]
        return [[r[b]["agreed"] for b in sorted(r)] for r in runs]

    reference = record({})
    assert record({"negotiation.rivalry_hardening": 0.0}) != reference
    assert record({"trust.between_blocs": 0.05, "trust.rivals": 0.0}) != reference


def test_a_chairs_summary_keeps_what_is_not_contested():
    from sim.model import CyberDiplomacyModel

    def session(summary):
        body = {"name": "G", "agenda": ["law_detail", "capacity"], "first_session": 1000}
        m = CyberDiplomacyModel(
            "baseline",
            {
                "negotiation.red_line": 0.05,
                "negotiation.accommodation": 3.0,
                "organizations.bodies": [body | {"chair_summary": summary}],
            },
            rng=1,
            metrics=[],
        )
        return m, next(iter(m.organizations)).convene()

    _, plain = session(False)
    assert not plain["agreed"]
    assert {o["item"] for o in plain["objections"]} == {"law_detail"}
    m, summary = session(True)
    assert summary["agreed"] and summary["items"] == ["capacity"]
    moved = [e for e in m.events if e["kind"] == "chair_summary"]
    assert moved and moved[0]["items"] == ["law_detail"] and moved[0]["kept"] == ["capacity"]


def test_a_report_reaffirms_what_was_agreed_when_nothing_new_is_left():
    from sim.model import CyberDiplomacyModel

    body = {"name": "G", "agenda": ["law_detail"], "first_session": 1000, "chair_summary": True}
    m = CyberDiplomacyModel(
        "baseline",
        {"negotiation.red_line": 0.05, "organizations.bodies": [body]},
        rng=1,
        metrics=[],
    )
    org = next(iter(m.organizations))
    assert not org.convene()["agreed"]  # nothing was agreed before: nothing to reaffirm
    cap = m.catalogue.ids.index("capacity")
    m.world.agreed[cap] = 0.4
    org.agenda = np.array([m.catalogue.ids.index("law_detail"), cap])  # law_detail fails again
    m.world.adopted[:, cap] = 0.4  # everyone adopted it: restating costs no one
    record = org.convene()
    assert record["agreed"] and record["reaffirmed"] == ["capacity"]
    assert org.close() == "report"


def test_the_record_and_the_scenario_name_the_same_bodies():
    from sim.scenario import load_scenario

    bodies = [b.name for b in load_scenario(un_process.SCENARIO).organizations.bodies]
    assert bodies == list(un_process.RECORD)


def test_summary_counts_matches_against_the_record():
    agreed_all = {b: {"agreed": True, "contested": None} for b in un_process.RECORD}
    perfect = {b: {"agreed": a, "contested": None} for b, a in un_process.RECORD.items()}
    s = un_process.summarise([agreed_all, perfect])
    assert s["matched_min"] == 5 and s["matched_max"] == 7 and s["matched_mean"] == 6.0
    assert s["passed"] is True
    gge05 = next(b for b in s["bodies"] if b["body"] == "GGE 2004-05")
    assert gge05["p_agreement"] == 0.5 and gge05["matched_share"] == 0.5


def test_summary_gives_the_fitted_and_the_predicted_bodies_apart():
    agreed_all = {b: {"agreed": True, "contested": None} for b in un_process.RECORD}
    fitted = {"GGE 2004-05", "GGE 2009-10", "GGE 2012-13", "GGE 2014-15", "GGE 2016-17"}
    s = un_process.summarise([agreed_all], fitted=fitted)
    assert s["split"]["fitted"] == {"bodies": 5, "matched_mean": 3.0}  # 2004-05, 2016-17 missed
    assert s["split"]["predicted"] == {"bodies": 2, "matched_mean": 2.0}
    assert [b["role"] for b in s["bodies"]] == ["fitted"] * 5 + ["predicted"] * 2
    assert "fitted bodies matched: mean 3.00 of 5" in un_process.table(s)
    unfitted = un_process.summarise([agreed_all])
    assert unfitted["split"]["predicted"]["bodies"] == 7
    assert "fitted bodies matched" not in un_process.table(unfitted)


def test_the_shipped_scenario_reports_every_body_as_fitted():
    # its values were tuned knowing all seven outcomes: no body may pass for a prediction
    from sim.scenario import load_scenario

    scen = load_scenario(un_process.SCENARIO)
    assert un_process.roles(scen) == set(un_process.RECORD)
    agreed_all = {b: {"agreed": True, "contested": None} for b in un_process.RECORD}
    s = un_process.summarise([agreed_all], fitted=un_process.roles(scen))
    assert s["split"]["predicted"]["bodies"] == 0
    assert "no body is held out" in un_process.table(s)
    assert all(b["role"] == "fitted" for b in s["bodies"])


def test_a_bodys_outcome_is_measured_from_its_mandate_ending():
    from sim.validation.measures import MEASURES, RunRecord, report_measure

    events = [
        {"kind": "mandate_ended", "organization": "GGE 2004-05", "outcome": "failure"},
        {"kind": "mandate_ended", "organization": "GGE 2009-10", "outcome": "report"},
    ]
    record = RunRecord(events, 1144)
    fn = {b: MEASURES[report_measure(b)][0] for b in un_process.RECORD}
    assert report_measure("OEWG 2019-21") == "report_oewg_2019_21"
    assert fn["GGE 2004-05"](record) == 0.0 and fn["GGE 2009-10"](record) == 1.0
    assert fn["GGE 2012-13"](record) != fn["GGE 2012-13"](record)  # NaN: not ended


def test_a_scenario_without_the_un_bodies_is_refused_in_one_line():
    r = cli("validate", "un-process", "--scenario", "baseline", "--runs", "1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert "--scenario" in line and "GGE 2004-05" in line


def test_the_targets_split_the_record_in_time():
    """The five GGEs of 2004-2017 may be fitted; the bodies of 2019-21 never are."""
    from sim.validation.measures import report_measure
    from sim.validation.targets import load_targets

    root = Path(__file__).resolve().parent.parent / "scenarios"
    t = load_targets(root / "un_process_2004_2021.targets.toml")
    by_name = {x.name: x for x in t.targets}
    for body, agreed in un_process.RECORD.items():
        target = by_name[report_measure(body)]
        assert target.observed == (1.0 if agreed else 0.0)
        assert target.role == ("validation" if body.endswith("2019-21") else "calibration")


@pytest.mark.slow
def test_validate_un_process_has_a_json_form():
    r = cli("validate", "un-process", "--runs", "1", "--steps", "300", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["target"] == "un-process" and data["runs"] == 1
    assert [b["body"] for b in data["bodies"]] == list(un_process.RECORD)


def test_the_scenario_file_scripts_no_outcome():
    text = Path(__file__).resolve().parent.parent / "scenarios" / "un_process_2004_2021.toml"
    assert "[[events]]" not in text.read_text()
