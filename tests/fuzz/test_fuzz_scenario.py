"""Bad input never crashes: only UserError escapes the scenario loader, and every scenario
it accepts runs (3 weeks, or 3 generations of the classic game)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fuzz.fuzz_strategies import (
    HOSTILE,
    NASTY_TEXTS,
    ROOT,
    WORLD_SECTIONS,
    check_user_error,
    examples,
    flatten,
    hostile_doc,
    leaf_value,
    section,
    toml_dumps,
)
from sim.errors import UserError
from sim.run import simulate
from sim.scenario import NormsGame, all_keys, load_scenario, parse_assignments

KEYS = sorted(k for k, _, _ in all_keys())
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.toml"))


def load_and_run(source, overrides=None):
    """Load; if accepted, run 3 steps. Only UserError may come out.

    Building the world may still refuse what needs the drawn states (scripted events that
    name a state that does not exist, a catalogue file and norm ids), with a UserError,
    before week 1.
    """
    try:
        scen = load_scenario(source, overrides)
    except UserError as exc:
        check_user_error(exc)
        return None
    try:
        return simulate(scen, seed=0, steps=3)
    except UserError as exc:
        check_user_error(exc)
        assert exc.key and exc.key.startswith(("events.", "norms.", "norm.", "organizations.")), exc
        return None


def load_file_and_run(text: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.toml"
        path.write_bytes(text)
        return load_and_run(path)


@examples(80)
@given(doc=WORLD_SECTIONS)
def test_valid_world_documents_run(doc):
    load_and_run("baseline", flatten(doc))


@examples(30)
@given(doc=section(NormsGame))
def test_valid_norms_game_documents_run(doc):
    load_and_run("axelrod_metanorms", {f"norms_game.{k}": v for k, v in doc.items()})


@examples(150)
@given(doc=hostile_doc())
@example(doc={"states": {"attribution_skill": float("nan")}})
@example(doc={"states": {"gdp_mean": float("inf")}})
@example(doc={"states": {"bloc_shares": [float("inf"), 1.0, 1.0]}})
@example(doc={"states": {"gdp_mean": 10**400}})
@example(doc={"think_tanks": {"spread": -0.0}})
def test_hostile_overrides_give_user_errors(doc):
    load_and_run("baseline", flatten(doc))


@examples(60)
@given(doc=hostile_doc(), as_file=st.booleans())
def test_hostile_files_give_user_errors(doc, as_file):
    load_file_and_run(toml_dumps(doc).encode())


@examples(80)
@given(
    scenario=st.sampled_from(SCENARIO_FILES),
    cut=st.floats(0, 1),
    junk=st.binary(max_size=40),
    where=st.floats(0, 1),
)
def test_mutated_scenario_files_give_user_errors(scenario, cut, junk, where):
    raw = scenario.read_bytes()
    raw = raw[: int(len(raw) * cut)] if cut < 0.5 else raw
    at = int(len(raw) * where)
    load_file_and_run(raw[:at] + junk + raw[at:])


@pytest.mark.parametrize("text", NASTY_TEXTS, ids=range(len(NASTY_TEXTS)))
def test_nasty_files_give_user_errors(text):
    load_file_and_run(text)


def test_big_file_gives_user_error():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.toml"
        path.write_bytes(b"# " + b"x" * 2_000_000)
        with pytest.raises(UserError, match="too large"):
            load_scenario(path)


def _values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            ["nan", "inf", "-inf", "+inf", "1e999", "9" * 5000, "[" * 5000, "[nan]", "{a=nan}"]
        ),
        st.sampled_from(["10000000", "-1", "0", "1e30", "true", '"x"', "[]", "x" * 200_001]),
        HOSTILE.filter(lambda v: isinstance(v, str)),
        st.floats().map(repr),
        st.integers().map(str),
    )


@examples(150)
@given(
    key=st.one_of(st.sampled_from(KEYS), st.text(max_size=20)),
    value=_values(),
    base=st.sampled_from(["baseline", "axelrod_norms"]),
)
@example(key="states.attribution_skill", value="nan", base="baseline")
@example(key="states.gdp_mean", value="inf", base="baseline")
@example(key="norms_game.opportunities", value="1000", base="axelrod_metanorms")
@example(key="norms_game.population", value="100000", base="axelrod_norms")
def test_set_values_give_user_errors(key, value, base):
    try:
        overrides = parse_assignments([f"{key}={value}"])
    except UserError as exc:
        check_user_error(exc)
        return
    load_and_run(base, overrides)


@examples(60)
@given(key=st.sampled_from(KEYS), data=st.data())
def test_set_valid_values(key, data):
    tp, f = next((tp, f) for k, tp, f in all_keys() if k == key)
    value = data.draw(leaf_value(tp, f))
    base = "axelrod_metanorms" if key.startswith("norms_game.") else "baseline"
    load_and_run(base, {key: value})


def test_long_values_are_cut_in_messages():
    with pytest.raises(UserError) as err:
        load_scenario("baseline", {"scenario.steps": "x" * 10_000_000})
    assert len(str(err.value)) < 300
    with pytest.raises(UserError) as err:
        load_scenario("baseline", {"scenario.name": "x" * 10_000_000})
    assert len(str(err.value)) < 300


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "[nan, 1.0, 1.0]"])
def test_non_finite_numbers_are_refused(value):
    key = "states.bloc_shares" if value.startswith("[") else "states.attribution_skill"
    with pytest.raises(UserError, match="finite"):
        load_scenario("baseline", parse_assignments([f"{key}={value}"]))
    with pytest.raises(UserError, match="finite"):
        load_scenario("baseline", {key: parse_value_raw(value)})


def parse_value_raw(text):
    import tomllib

    return tomllib.loads(f"v = {text}")["v"]


@pytest.mark.parametrize("members", [[], ["state_99"]])
def test_a_body_without_members_is_refused_before_week_one(members):
    """Found by test_set_valid_values: a body whose members resolve to no state held a
    session of nobody and failed with an IndexError."""
    body = {"name": "x", "members": members}
    with pytest.raises(UserError, match=r"organizations\.bodies\.0\.members: expected at least"):
        simulate(load_scenario("baseline", {"organizations.bodies": [body]}), seed=0, steps=3)
