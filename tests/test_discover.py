"""Scenario discovery (``run.py discover``): PRIM and CART find a box planted in a batch.

The batches here are real batch folders written by :func:`experiments.batch.run_batch`, but
with an evaluator that computes each run's outcome from its parameters instead of running
the model: the region where the cases lie is known, and nothing takes long.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from experiments import storage
from experiments.batch import run_batch
from experiments.discover import discover
from experiments.runner import RunConfig, Task, timeseries_bytes
from sim.cli import main

EXP = """# Where do the many-escalation runs lie?
[experiment]
name = "planted"
steps = 2
seed = 4
[design]
method = "lhs"
samples = {samples}
[parameters]
"states.attribution_skill" = {{ low = 0.0, high = 1.0 }}
"companies.engagement" = {{ low = 0.0, high = 1.0 }}
"organizations.decision_rule" = ["consensus", "qualified_majority", "silence"]
"norms.metanorms" = [false, true]
[outcomes]
escalations = "sum"
incidents = "sum"
"""


def planted(p: dict[str, Any], rng: np.random.Generator) -> float:
    """Many escalations inside the box skill >= 0.5, engagement <= 0.4, rule != silence."""
    inside = (
        p["states.attribution_skill"] >= 0.5
        and p["companies.engagement"] <= 0.4
        and p["organizations.decision_rule"] != "silence"
    )
    if rng.uniform() < 0.01:  # a little noise: a few runs on the wrong side
        inside = not inside
    return float(10 + rng.integers(0, 5) if inside else rng.integers(0, 5))


class Planted:
    """An evaluator that makes up each run's outcomes from its parameters."""

    description = "synthetic outcomes"

    def imap(self, tasks: Iterable[Task], config: RunConfig) -> Iterator[tuple[dict, bytes]]:
        """Rows and one-step series, as a real run would give."""
        for t in tasks:
            params = dict(t.params)
            rng = np.random.default_rng(t.run_id)
            esc = planted(params, rng)
            inc = 3.0 * esc + params["companies.engagement"]
            row = {"run_id": t.run_id, "point": t.point, "replicate": t.replicate, "seed": t.seed}
            row.update(params, status="ok", error="", wall_seconds=0.0, escalations=esc)
            row["incidents"] = inc
            ts = pd.DataFrame({"step": [0], "escalations": [esc], "incidents": [inc]})
            yield row, timeseries_bytes(t.run_id, ts, config.series)

    def close(self) -> None:
        """Nothing to release."""


def make_batch(folder: Path, samples: int = 400) -> Path:
    """A batch folder of made-up runs (no fsync: a test needs no crash safety, only speed)."""
    exp = folder.parent / f"{folder.name}.toml"
    exp.write_text(EXP.format(samples=samples))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(storage.os, "fsync", lambda fd: None)
        run_batch(exp, folder, quiet=True, report=False, evaluator=Planted())
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    return make_batch(tmp_path_factory.mktemp("discover") / "planted")


@pytest.fixture(scope="module")
def prim_result(batch) -> dict[str, Any]:
    return discover(batch, "escalations", above=8, method="prim")


@pytest.fixture(scope="module")
def cart_result(batch) -> dict[str, Any]:
    return discover(batch, "escalations", above=8, method="cart")


def limits(box: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["parameter"]: d for d in box["limits"]}


def test_prim_recovers_the_planted_box(prim_result):
    (box,) = prim_result["boxes"]
    lim = limits(box)
    assert set(lim) == {
        "states.attribution_skill",
        "companies.engagement",
        "organizations.decision_rule",
    }
    skill, engagement = lim["states.attribution_skill"], lim["companies.engagement"]
    assert abs(skill["low"] - 0.5) < 0.06 and not skill["high_restricted"]
    assert abs(engagement["high"] - 0.4) < 0.06 and not engagement["low_restricted"]
    assert box["density"] >= 0.9 and box["coverage"] >= 0.8
    traj = box["trajectory"]
    assert traj[0]["res_dim"] == 0 and traj[0]["coverage"] == 1.0
    assert box["chosen"] < len(traj) and traj[box["chosen"]]["density"] == box["density"]


def test_prim_keeps_categories_as_categories(prim_result):
    (box,) = prim_result["boxes"]
    rule = limits(box)["organizations.decision_rule"]
    assert rule["type"] == "categorical"
    assert rule["allowed"] == ["consensus", "qualified_majority"]
    assert rule["excluded"] == ["silence"]
    kinds = {p["name"]: p for p in prim_result["parameters"]}
    assert kinds["norms.metanorms"]["levels"] == ["false", "true"]  # booleans as labels


def test_cart_finds_the_splits(cart_result):
    splits = [n for n in cart_result["nodes"] if not n["leaf"]]
    by_param = {}
    for n in splits:
        by_param.setdefault(n["parameter"], []).append(n)
    # a greedy first split on one parameter sits a little inside the box's edge
    assert abs(by_param["states.attribution_skill"][0]["threshold"] - 0.5) < 0.07
    assert abs(by_param["companies.engagement"][0]["threshold"] - 0.4) < 0.07
    assert by_param["organizations.decision_rule"][0]["feature"] in {
        "organizations.decision_rule=silence",
        "organizations.decision_rule=consensus",
        "organizations.decision_rule=qualified_majority",
    }
    best = cart_result["leaves"][0]
    assert best["density"] >= 0.9 and best["coverage"] >= 0.4
    assert {d["parameter"]: d for d in best["limits"]}["organizations.decision_rule"][
        "allowed"
    ] == ["consensus", "qualified_majority"]
    assert "one-hot" in cart_result["settings"]["encoding"]
    assert "organizations.decision_rule" in cart_result["text"]
    assert sum(lf["n"] for lf in cart_result["leaves"]) == cart_result["runs_used"]
    assert sum(lf["n_cases"] for lf in cart_result["leaves"]) == cart_result["n_cases"]


def test_same_inputs_same_output(batch):
    for method in ("prim", "cart"):
        path = batch / f"discovery-escalations-{method}.json"
        discover(batch, "escalations", above=8, method=method)
        first = path.read_text()
        discover(batch, "escalations", above=8, method=method)
        assert path.read_text() == first


def test_partial_batch_uses_the_finished_ok_runs(batch, tmp_path, capsys):
    part = tmp_path / "partial"
    shutil.copytree(batch, part)
    lines = (part / "journal.jsonl").read_text().splitlines(keepends=True)
    failed = json.loads(lines[0])
    failed.update(status="failed", error="Traceback: boom", escalations=None, incidents=None)
    kept = [json.dumps(failed) + "\n", *lines[1:300]]
    (part / "journal.jsonl").write_text("".join(kept))
    assert (
        main(
            ["discover", str(part), "--outcome", "escalations", "--above", "8", "--method", "cart"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "of 299 runs" in out and "partial batch: 300 of 400 runs finished" in out
    data = json.loads((part / "discovery-escalations-cart.json").read_text())
    assert data["runs_finished"] == 300 and data["runs_ok"] == 299 and data["runs_used"] == 299


def test_cli_writes_json_html_and_the_report_lists_it(batch, cart_result, capsys):
    assert main(["discover", str(batch), "--outcome", "escalations", "--top", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "density" in out and "organizations.decision_rule" in out
    data = json.loads((batch / "discovery-escalations-prim.json").read_text())
    assert data["case"]["kind"] == "top" and 0 < data["case_share"] <= 0.1
    assert data["boxes"][0]["trajectory"]
    page = (batch / "discovery-escalations-prim.html").read_text()
    assert "Peeling trajectory" in page and "plotly" in page
    assert main(["report", str(batch)]) == 0
    report = (batch / "report.html").read_text()
    assert "Scenario discovery" in report and 'href="discovery-escalations-prim.html"' in report
    assert 'href="discovery-escalations-cart.html"' in report


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--outcome", "escalations"], "exactly one of --above X, --below X or --top Q"),
        (["--outcome", "escalations", "--above", "3", "--top", "0.1"], "got --above, --top"),
        (["--outcome", "escalations", "--top", "1.5"], "between 0 and 1"),
        (["--outcome", "damage", "--above", "3"], "expected one of escalations, incidents"),
        (["--outcome", "escalations", "--above", "1000"], "no run has escalations > 1000"),
        (["--outcome", "escalations", "--below", "1000"], "every run has escalations < 1000"),
        (["--outcome", "escalations", "--above", "3", "--method", "forest"], "prim or cart"),
        (["--above", "3"], "--outcome"),
        (["--outcome", "escalations", "--above", "3", "--method", "cart", "--box", "2"], "PRIM"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(batch, capsys, argv, says):
    assert main(["discover", str(batch), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and err.count("\n") == 1


def test_not_a_batch_or_nothing_to_discover(tmp_path, capsys):
    assert main(["discover", str(tmp_path / "nowhere"), "--outcome", "x", "--above", "1"]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["discover", str(tmp_path), "--outcome", "x", "--above", "1"]) == 2
    assert "not a batch folder" in capsys.readouterr().err
    # a batch with no finished run yet
    folder = make_batch(tmp_path / "empty", samples=4)
    (folder / "journal.jsonl").write_text("")
    assert main(["discover", str(folder), "--outcome", "escalations", "--above", "1"]) == 2
    err = capsys.readouterr().err
    assert "no finished runs" in err and err.count("\n") == 1
