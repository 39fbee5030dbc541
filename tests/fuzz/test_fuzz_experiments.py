"""Bad experiment files and catalogues never crash: only UserError escapes their readers,
and absurd design sizes are refused before anything is drawn."""

from __future__ import annotations

import copy
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.spec import load_experiment
from fuzz.fuzz_strategies import HOSTILE, NASTY_TEXTS, ROOT, check_user_error, examples, toml_dumps
from sim.errors import UserError
from sim.run import simulate
from sim.scenario import load_scenario
from sim.world import load_catalogue

EXAMPLES = sorted((ROOT / "experiments" / "examples").glob("*.toml"))
CATALOGUES = sorted((ROOT / "sim" / "catalogues").glob("*.toml"))
DOCS = {p.name: tomllib.loads(p.read_text()) for p in EXAMPLES}


def _paths(doc, prefix=()):
    for k, v in doc.items():
        yield (*prefix, k)
        if isinstance(v, dict):
            yield from _paths(v, (*prefix, k))


@st.composite
def mutated_experiment(draw):
    name = draw(st.sampled_from(sorted(DOCS)))
    doc = copy.deepcopy(DOCS[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc)) + [("design", "samples"), ("experiment", "replicates")]
        path = draw(st.sampled_from(paths))
        node = doc
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else {}
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["hostile", "delete", "huge"]))
        if action == "delete":
            node.pop(path[-1], None)
        elif action == "huge":
            node[path[-1]] = draw(st.sampled_from([10**9, 10**6, 2**63, 10**30]))
        else:
            node[path[-1]] = draw(HOSTILE.filter(lambda v: not isinstance(v, str) or len(v) < 999))
    return toml_dumps(doc).encode()


def _load_experiment(raw: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.toml"
        path.write_bytes(raw)
        try:
            return load_experiment(path)
        except UserError as exc:
            check_user_error(exc)
            return None


@examples(80)
@given(raw=mutated_experiment())
def test_mutated_experiments_give_user_errors(raw):
    _load_experiment(raw)


@examples(40)
@given(example=st.sampled_from(EXAMPLES), cut=st.floats(0, 1), junk=st.binary(max_size=30))
def test_damaged_experiment_files_give_user_errors(example, cut, junk):
    raw = example.read_bytes()
    at = int(len(raw) * cut)
    _load_experiment(raw[:at] + junk + raw[at:])


@pytest.mark.parametrize("text", NASTY_TEXTS, ids=range(len(NASTY_TEXTS)))
def test_nasty_experiment_files_give_user_errors(text):
    _load_experiment(text)


@pytest.mark.parametrize(
    "section, key, value",
    [
        ("experiment", "replicates", 10**9),
        ("design", "samples", 10**9),
        ("design", "points", 10**9),
        ("experiment", "seed", 10**30),
        ("experiment", "steps", 10**12),
    ],
)
def test_absurd_design_sizes_are_refused(section, key, value):
    doc = copy.deepcopy(DOCS["screening-morris.toml"])
    doc.setdefault(section, {})[key] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.toml"
        path.write_text(toml_dumps(doc))
        with pytest.raises(UserError) as err:
            load_experiment(path)
    check_user_error(err.value)


def test_too_many_runs_is_one_line():
    doc = copy.deepcopy(DOCS["screening-morris.toml"])
    doc["design"]["samples"] = 900_000
    doc["experiment"]["replicates"] = 1000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.toml"
        path.write_text(toml_dumps(doc))
        with pytest.raises(UserError, match="runs"):
            load_experiment(path)


# ----------------------------------------------------------------------------- catalogues


@examples(60)
@given(catalogue=st.sampled_from(CATALOGUES), cut=st.floats(0, 1), junk=st.binary(max_size=30))
def test_damaged_catalogues_give_user_errors(catalogue, cut, junk):
    raw = catalogue.read_bytes()
    at = int(len(raw) * cut)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cat.toml"
        path.write_bytes(raw[:at] + junk + raw[at:])
        try:
            load_catalogue(str(path))
        except UserError as exc:
            check_user_error(exc)


@examples(40)
@given(
    key=st.sampled_from(["security", "constraint", "id", "title", "violated_by", "roles"]),
    value=HOSTILE,
)
def test_hostile_catalogue_values_give_user_errors(key, value):
    doc = tomllib.loads(CATALOGUES[0].read_text())
    doc["norm"][0][key] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cat.toml"
        text = "".join("[[norm]]\n" + toml_dumps(n) for n in doc["norm"])
        path.write_text(text)
        try:
            load_catalogue(str(path))
        except UserError as exc:
            check_user_error(exc)


def test_catalogue_path_is_relative_to_the_scenario_file():
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "mine"
        folder.mkdir()
        (folder / "cat.toml").write_bytes(CATALOGUES[0].read_bytes())
        (folder / "scen.toml").write_text('[norms]\ncatalogue = "cat.toml"\n')
        scen = load_scenario(folder / "scen.toml")
        simulate(scen, seed=0, steps=1)  # from any working folder
