"""Every behavioural coefficient is a scenario key with a unit, bounds and a source, and
the model's code holds almost no other numbers (issue: every coefficient a key)."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from sim import interventions
from sim.errors import UserError
from sim.scenario import (
    INTERVENTIONS,
    RENAMED,
    ScriptedEvent,
    describe_keys,
    load_scenario,
    numeric_keys,
)

ROOT = Path(__file__).resolve().parent.parent
BEHAVIOUR = [ROOT / "sim/model.py", ROOT / "sim/world.py"] + sorted(
    [*(ROOT / "sim/mechanics").glob("*.py"), *(ROOT / "sim/agents").glob("*.py")]
)
ALLOWED = {0, 1, 2, -1, 0.5, 52}  # numbers that are not coefficients
MAX_LITERALS = 15


def literals(path: Path) -> list[tuple[int, float]]:
    """Numbers in a module's code (not docstrings) other than the allowed ones."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if node.value in ALLOWED or abs(node.value) < 1e-5:
                continue
            out.append((node.lineno, node.value))
    return out


def test_numeric_keys_have_unit_bounds_source_and_meaning():
    keys = [k for k in describe_keys() if k.type in ("a number", "an integer")]
    assert len(keys) >= 150
    for k in keys:
        assert k.unit, k.key
        assert k.min is not None and k.max is not None, k.key
        assert k.source, k.key
        assert k.help, k.key
        if not k.key.startswith("states.list."):
            assert k.min <= k.default <= k.max, k.key


def test_at_most_fifteen_literals_each_with_a_comment():
    found = []
    for path in BEHAVIOUR:
        lines = path.read_text().splitlines()
        for lineno, value in literals(path):
            here, above = lines[lineno - 1], lines[lineno - 2] if lineno > 1 else ""
            assert "#" in here or above.strip().startswith("#"), (
                f"{path.name}:{lineno}: {value} is not a key and says not why"
            )
            found.append((path.name, lineno, value))
    assert len(found) <= MAX_LITERALS, found


def test_literal_counter_sees_numbers():
    # the check above can fail: a coefficient written as a number is found
    tmp = ROOT / "sim" / "__literal_probe__.py"
    try:
        tmp.write_text('"""Doc 0.7."""\nx = 0.35 * y\nz = 52 * 0.5\n')
        assert literals(tmp) == [(2, 0.35)]
    finally:
        tmp.unlink()


def test_every_numeric_key_is_read_by_the_model():
    code = "\n".join(
        p.read_text()
        for p in (ROOT / "sim").rglob("*.py")
        if p.name != "scenario.py" and "app" not in p.parts
    )
    unread = [
        k.key for k in numeric_keys() if not re.search(rf"\.{k.key.rsplit('.', 1)[1]}\b", code)
    ]
    assert not unread


@pytest.mark.parametrize("old", sorted(k for k in RENAMED if not k.startswith("events.")))
def test_renamed_keys_point_to_their_new_name(old):
    with pytest.raises(UserError, match=f"renamed: use {RENAMED[old]}"):
        load_scenario("baseline", {old: 0.5})
    assert RENAMED[old] in {k.key for k in describe_keys()}


def test_renamed_event_field_in_a_file(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[[events]]\nweek = 2\nkind = "hotline"\na = "State 1"\nb = "State 2"\n')
    with pytest.raises(UserError, match=r"events\.0\.kind: renamed: use events\.intervention"):
        load_scenario(f)


def test_one_registry_of_interventions():
    assert tuple(interventions.REGISTRY) == INTERVENTIONS
    fields = {f.name for f in dataclasses.fields(ScriptedEvent)}
    for spec in interventions.REGISTRY.values():
        assert set(spec.fields) <= fields
    assert interventions.defaults("attack")["severity"] == ScriptedEvent().severity


def test_bloc_and_norm_roles_come_from_data(tmp_path):
    # renaming the non-aligned bloc without saying so is an error, not silent alliances
    with pytest.raises(UserError, match="states.nonaligned"):
        load_scenario("baseline", {"states.blocs": ["West", "East", "Neutral"]})
    s = load_scenario(
        "baseline", {"states.blocs": ["West", "East", "Neutral"], "states.nonaligned": ["Neutral"]}
    )
    assert s.states.nonaligned == ["Neutral"]


def test_keys_page_is_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location("keys_doc", ROOT / "scripts/keys_doc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "docs/keys.md").read_text() == mod.render(), "run scripts/keys_doc.py"
