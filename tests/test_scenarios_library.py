"""The built-in scenario library: every scenario loads, says what it is, runs, and tells
its story where that is cheap to check (a year, or a few seeds of a short horizon)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.run import simulate
from sim.scenario import builtin_scenarios, load_scenario

LIBRARY = [
    "baseline",
    "axelrod_norms",
    "axelrod_metanorms",
    "critical_infrastructure_crisis",
    "false_flag",
    "private_sector_accord",
    "osce_hotline",
    "osce_hotline_without_cbm",
    "sovereignty_blocs",
    "capacity_building",
    "cybercrime_treaty",
    "zero_day_market",
    "rivalries_2000_2020",
    "un_process_2004_2021",
]
YEAR = 52


def state_incidents(result) -> list[dict]:
    """Incident records of operations by states (not crime)."""
    return [e for e in result.events if e.get("kind") == "incident" and e["type"] != "crime"]


def test_library_is_complete():
    """All the scenarios the docs describe are built in (and at least ten besides the three)."""
    builtins = builtin_scenarios()
    missing = [name for name in LIBRARY if name not in builtins]
    assert not missing
    assert len(builtins) >= 13


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_scenario_has_metadata(name):
    """Each file names itself and tells the class what it asks, the story and its sources."""
    meta = load_scenario(name).scenario
    assert meta.name == name
    assert meta.description and "\n" not in meta.description.strip()
    assert len(meta.narrative.split()) >= 30
    assert len(meta.teaching_note.split()) >= 15
    assert meta.sources
    assert meta.steps >= 1


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_scenario_runs_a_year(name):
    """A year (or a few generations of the classic game) runs and gives finite metrics."""
    scen = load_scenario(name)
    if scen.scenario.kind == "norms_game":
        result = simulate(name, seed=1, steps=5)
        assert len(result.timeseries) == 5
        return
    result = simulate(name, seed=1, steps=YEAR)
    ts = result.timeseries
    assert len(ts) == YEAR
    for col in ("incidents", "damage", "mean_trust", "gdp_index", "norms_adopted_share"):
        assert np.isfinite(ts[col].astype(float)).all(), col


def test_crisis_has_a_grid_attack_of_severity_5():
    """The scripted grid attack (week 20) is a severity-5 attack on critical infrastructure."""
    result = simulate("critical_infrastructure_crisis", seed=1, steps=YEAR)
    grave = [e for e in state_incidents(result) if e["severity"] >= 5]
    assert any(
        e["type"] == "critical_infrastructure" and e["target"] == "Borderland" for e in grave
    )


def test_false_flag_points_at_the_rival():
    """The planted evidence makes Hostland name Northland, not the real attacker."""
    result = simulate("false_flag", seed=1, steps=YEAR)
    attack = [
        e
        for e in state_incidents(result)
        if e["step"] == 6 and e["initiator"] == "Eastland" and e["target"] == "Hostland"
    ]
    assert attack and attack[0]["false_flag"]
    assert attack[0]["attributed_to"] == "Northland"
    assert attack[0]["correct"] is False


def test_accord_grows():
    """Companies join the tech accord over the year."""
    ts = simulate("private_sector_accord", seed=1, steps=YEAR).timeseries
    assert ts["accord_members"].iloc[-1] > ts["accord_members"].iloc[0] + 10


def test_cbms_cut_escalation():
    """Over a few seeds the crisis escalates less with OSCE CBMs and a hotline than without."""
    with_cbm = sum(
        simulate("osce_hotline", seed=s, steps=156).timeseries["escalations"].sum()
        for s in range(3)
    )
    without = sum(
        simulate("osce_hotline_without_cbm", seed=s, steps=156).timeseries["escalations"].sum()
        for s in range(3)
    )
    assert with_cbm < without


def test_zero_day_market_brings_operations():
    """A growing exploit market gives more state operations than a static one."""

    def operations(growth: float) -> int:
        return sum(
            len(
                state_incidents(
                    simulate(
                        "zero_day_market", {"operations.market_growth": growth}, seed=s, steps=156
                    )
                )
            )
            for s in range(2)
        )

    assert operations(0.5) > operations(0.0)


def test_cybercrime_treaty_is_a_treaty_on_c_and_d():
    """The convention is a treaty body whose agenda is norms 13(c) and 13(d)."""
    (body,) = load_scenario("cybercrime_treaty").organizations.bodies
    assert body.kind == "treaty" and body.agenda == ["c", "d"]


def test_osce_variants_differ_only_in_cbms():
    """The two OSCE files describe the same world; only the CBM programme and hotline differ."""
    a, b = load_scenario("osce_hotline"), load_scenario("osce_hotline_without_cbm")
    assert a.organizations.bodies[0].cbm and not b.organizations.bodies[0].cbm
    assert a.states == b.states
    assert [e for e in a.events if e.intervention != "hotline"] == b.events


def test_rivalries_cover_forty_dyads_and_rivals_only():
    """The DCID scenario: real state names, 40 rival dyads, no operations outside rivalries."""
    scen = load_scenario("rivalries_2000_2020")
    names = {s.name for s in scen.states.list}
    for state in ("United States", "China", "Russia", "Iran", "North Korea", "Estonia"):
        assert state in names
    dyads = {frozenset((s.name, r)) for s in scen.states.list for r in s.rivals}
    assert len(dyads) == 40
    assert scen.operations.nonrival_rate == 0
    assert scen.states.rival_blocs == []
    assert scen.scenario.steps == 1092 and scen.scenario.start_year == 2000
