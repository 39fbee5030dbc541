"""The command line under generated and mutated inputs (scripts/fuzz_cli.py, a lean sample).

Scenario files, experiment files, flags and damaged batch folders go through ``run.py``'s
``main`` in this process, and every sixth case through a real ``python run.py``
subprocess as well: each must run, or exit 2 with one line, never a traceback. The full
campaign (10,000 cases) is ``make fuzz-cli``.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from fuzz.fuzz_strategies import ROOT, SCALE

CASES = 30 * SCALE


def _campaign():
    spec = importlib.util.spec_from_file_location("fuzz_cli", ROOT / "scripts" / "fuzz_cli.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_cli"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def campaign():
    here = os.getcwd()
    yield _campaign()
    os.chdir(here)


def test_a_sample_of_the_campaign_gives_no_crash(campaign, tmp_path, capsys):
    code = campaign.main_campaign(
        [
            "--cases",
            str(CASES),
            "--seed",
            "13",
            "--subprocess-every",
            "6",
            "--findings",
            str(tmp_path / "findings"),
            "--progress",
            "0",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{CASES} cases" in out
    assert "agree" in out and "0 of 0" not in out  # the subprocess sample ran


def test_the_verdicts_can_fail(campaign):
    case = campaign.Case("run-file", ["run", "x.toml"])
    crash = campaign.Outcome(1, "", "Traceback (most recent call last):\n  ...\nKeyError: 1\n", 0.1)
    assert campaign.verdict(case, crash) == "traceback"
    two = campaign.Outcome(2, "", "error: x\nusage: ...\n", 0.1)
    assert campaign.verdict(case, two) == "refusal-not-one-line"
    sweep = campaign.Case("sweep", ["sweep", "e.toml"])
    failed = campaign.Outcome(0, "runs/x: 4 runs (4 now, 0 before), 4 failed; report: r", "", 1.0)
    assert campaign.verdict(sweep, failed) == "every-run-failed"
    assert campaign.verdict(case, campaign.Outcome(2, "", "error: x.toml: k: expected\n", 0)) == (
        "refused"
    )


def test_invoke_keeps_exit_codes_and_stderr(campaign, tmp_path):
    os.chdir(tmp_path)
    o = campaign.invoke(["run", "--steps", "x"])
    assert o.code == 2 and o.err.count("\n") == 1 and "--steps" in o.err
    o = campaign.invoke(["scenarios"])
    assert o.code == 0 and "baseline" in o.out
