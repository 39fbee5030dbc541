"""`run.py calibrate`: ABC-SMC recovers a known posterior, reproducibly, and bad input is
refused in one line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration import (
    Param,
    TargetDistance,
    dump_toml,
    parse_params,
    run_abc,
    weighted_quantile,
)
from sim.errors import UserError
from sim.scenario import _set_dotted, load_scenario, read_toml, scenario_path
from sim.validation.targets import Target, Targets
from tests.helpers import ROOT, cli

DRAWS = 20  # the toy model's sample size: posterior sd of the mean is 1/sqrt(20) = 0.224


def toy(pars: dict[str, float]) -> dict[str, float]:
    """The mean of DRAWS normal draws around theta, and one more draw (a 'prediction')."""
    draws = np.random.normal(pars["p0"], 1.0, DRAWS + 1)
    return {"mean": float(draws[:DRAWS].mean()), "next": float(draws[DRAWS])}


def toy_targets(label: str = "mean of 20 draws") -> Targets:
    return Targets(
        "toy.targets.toml",
        "toy",
        "",
        (
            Target("mean", label, "mean", 1.0, 0.5, 1.5, 0.2, "toy", "calibration"),
            Target("next", "next draw", "next", 1.0, -1.0, 3.0, 1.0, "toy", "validation"),
        ),
    )


def _moments(result) -> tuple[float, float]:
    f = result.final
    m = float(np.average(f["theta"], weights=f["weight"]))
    return m, float(np.sqrt(np.average((f["theta"] - m) ** 2, weights=f["weight"])))


def test_toy_model_recovers_the_posterior_of_a_normal_mean(tmp_path):
    """Uniform prior, y = mean of 20 N(theta, 1) draws observed at 1.0: the posterior is
    N(1.0, 0.224^2); ABC-SMC adds its tolerance, so the sd may be somewhat wider."""
    r = run_abc(
        toy,
        [Param("theta", -5.0, 5.0)],
        toy_targets(),
        tmp_path,
        population=150,
        generations=6,
        workers=1,
        seed=11,
        progress=False,
    )
    mean, sd = _moments(r)
    assert abs(mean - 1.0) < 0.12, mean
    assert 0.15 < sd < 0.40, sd  # the prior's sd is 2.9
    assert r.generations["epsilon"].is_monotonic_decreasing
    assert len(r.generations) == 6 and r.simulations >= 6 * 150
    # the validation target is measured on every particle but never fitted
    assert set(r.predictive.columns) == {"weight", "mean", "next"}
    for name in ("posterior.parquet", "history.db", "report.html"):
        assert (tmp_path / name).stat().st_size > 0


def test_a_generation_whose_weights_degenerate_keeps_the_ones_before(tmp_path, monkeypatch):
    """pyabc raises when a generation's importance weights degenerate (NaN total weight, as
    13 keys with 40 particles did): the generations completed are kept and said so."""
    import pyabc

    real = pyabc.ABCSMC.run

    def two_then_nan(self, *args, **kwargs):
        real(self, max_nr_populations=2)
        raise AssertionError("The population total weight nan is not normalized.")

    monkeypatch.setattr(pyabc.ABCSMC, "run", two_then_nan)
    r = run_abc(
        toy,
        [Param("theta", -5.0, 5.0)],
        toy_targets(),
        tmp_path,
        population=20,
        generations=5,
        workers=1,
        seed=3,
        progress=False,
    )
    assert list(r.generations["generation"]) == [0, 1]
    assert "stopped after generation 1" in r.extra["stopped"]
    assert (r.generations["ess"] > 1).all() and (r.generations["ess"] <= 20 + 1e-9).all()
    assert "Stopped early" in (tmp_path / "report.html").read_text()


def test_same_seed_same_posterior_on_any_number_of_workers(tmp_path):
    """Particles are seeded by (seed, generation, index): 1 and 2 workers agree bit for bit;
    another seed gives another posterior."""

    def calib(workers: int, seed: int, folder: str) -> pd.DataFrame:
        out = tmp_path / folder
        out.mkdir()
        r = run_abc(
            toy,
            [Param("theta", -5.0, 5.0)],
            toy_targets(),
            out,
            population=20,
            generations=3,
            workers=workers,
            seed=seed,
            progress=False,
        )
        return pd.read_parquet(out / "posterior.parquet"), r.simulations

    one, n1 = calib(1, 5, "one")
    two, n2 = calib(2, 5, "two")
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert n1 == n2
    other, _ = calib(2, 6, "other")
    assert not one["theta"].equals(other["theta"])


def test_distance_uses_calibration_targets_only():
    d = TargetDistance(list(toy_targets().targets))
    assert d({"mean": 1.2, "next": 99.0}, {"mean": 1.0, "next": 1.0}) == pytest.approx(1.0)
    assert d({"mean": float("nan"), "next": 1.0}, {"mean": 1.0, "next": 1.0}) == np.inf


def test_report_escapes_every_name(tmp_path):
    evil = "<script>alert(1)</script>"
    run_abc(
        toy,
        [Param("theta", -5.0, 5.0)],
        toy_targets(label=evil),
        tmp_path,
        population=10,
        generations=2,
        workers=1,
        seed=1,
        progress=False,
    )
    text = (tmp_path / "report.html").read_text()
    assert evil not in text and "&lt;script&gt;alert(1)" in text
    assert "<script src=" not in text  # plotly.js is inside the file: no network


def test_weighted_quantile():
    assert weighted_quantile([3, 1, 2], [1, 1, 1], 0.5) == 2
    assert weighted_quantile([1, 2], [0.1, 0.9], 0.5) == 2


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("operations.no_such_key=0:1", "unknown key"),
        ("operations.opportunity_rate=0.5:0.1", "LOW below HIGH"),
        ("operations.opportunity_rate=0.1:0.1", "LOW below HIGH"),
        ("operations.opportunity_rate=0:2", "inside the key's bounds [0, 1]"),
        ("states.count=2:10", "not a numeric key (it holds an integer)"),
        ("organizations.decision_rule=0:1", "not a numeric key"),
        ("norms.metanorms=0:1", "not a numeric key"),
        ("operations.opportunity_rate", "expected KEY=LOW:HIGH"),
        ("operations.opportunity_rate=0.1", "expected LOW:HIGH"),
        ("operations.opportunity_rate=a:b", "expected two numbers"),
    ],
)
def test_bad_params_are_refused(item, expected):
    with pytest.raises(UserError, match=re.escape(expected)):
        parse_params([item])


def test_params_parse():
    (p,) = parse_params(["operations.opportunity_rate=0.002:0.02"])
    assert (p.key, p.low, p.high) == ("operations.opportunity_rate", 0.002, 0.02)


def test_a_listed_state_is_a_parameter():
    (p,) = parse_params(["states.list.China.activity=0.5:4"])
    assert (p.key, p.low, p.high) == ("states.list.China.activity", 0.5, 4.0)
    data = read_toml(scenario_path("rivalries_2000_2020"))
    _set_dotted(data, p.key, 3.25)
    china = [x for x in data["states"]["list"] if x["name"] == "China"]
    assert [x["activity"] for x in china] == [3.25]
    derived = {"scenario": {"base": "rivalries_2000_2020"}}  # its list comes from the base
    _set_dotted(derived, p.key, 3.25, add_missing=True)
    assert derived["states"]["list"] == [{"name": "China", "activity": 3.25}]


def test_calibrated_scenario_writer_round_trips():
    raw = read_toml(scenario_path("rivalries_2000_2020"))
    assert tomllib.loads(dump_toml(raw)) == raw


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--params", "operations.nope=0:1"], "unknown key"),
        (["--params", "operations.opportunity_rate=0.02:0.01"], "LOW below HIGH"),
        (["--params", "states.count=2:5"], "not a numeric key"),
        (["--params", "operations.opportunity_rate=-1:0.5"], "inside the key's bounds"),
        (["--params", "states.list.Atlantis.activity=0:2"], "expected a state listed"),
        (["--params", "states.list.China.bloc=0:2"], "not a numeric key"),
        (["--params", "operations.opportunity_rate=0:0.1", "--population", "0"], "--population"),
        (["--params", "operations.opportunity_rate=0:0.1", "--workers", "0"], "--workers"),
        # generation 0 accepts every prior draw (tolerance inf): nothing fitted to write
        (["--params", "operations.opportunity_rate=0:0.1", "--generations", "1"], "at least 2"),
        # a malformed address was a ValueError traceback from Dask
        (["--params", "operations.opportunity_rate=0:0.1", "--scheduler", "nope"], "tcp://HOST"),
        (["--params", "operations.opportunity_rate=0:0.1", "--scheduler", "tcp://"], "tcp://HOST"),
    ],
)
def test_bad_command_lines_exit_2_in_one_line(args, expected, tmp_path):
    res = cli("calibrate", "rivalries_2000_2020", "--out", str(tmp_path), *args)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and expected in res.stderr, res.stderr


def test_targets_file_naming_an_unknown_measure_exits_2(tmp_path):
    text = (ROOT / "scenarios" / "rivalries_2000_2020.targets.toml").read_text()
    bad = tmp_path / "bad.targets.toml"
    bad.write_text(text.replace('measure = "share_iran"', 'measure = "share_atlantis"'))
    res = cli(
        "calibrate",
        "rivalries_2000_2020",
        "--targets",
        str(bad),
        "--params",
        "operations.opportunity_rate=0.002:0.02",
        "--out",
        str(tmp_path / "out"),
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert "bad.targets.toml" in line and "share_atlantis" in line and "unknown measure" in line


@pytest.mark.slow
def test_small_calibration_of_rivalries_writes_every_output(tmp_path):
    """Three particles, two generations of the 21-year scenario: every output is written,
    the calibrated scenario loads and records what it was fitted to."""
    out = tmp_path / "calib"
    res = cli(
        "calibrate",
        "rivalries_2000_2020",
        "--params",
        "operations.opportunity_rate=0.003:0.012",
        "attribution.dwell_trend=0:0.3",
        "states.list.North Korea.activity=1:6",
        "--population",
        "3",
        "--generations",
        "2",
        "--workers",
        "2",
        "--seed",
        "4",
        "--quiet",
        "--out",
        str(out),
        timeout=900,
    )
    assert res.returncode == 0, res.stderr
    for name in ("posterior.parquet", "history.db", "report.html", "rivalries_2000_2020.toml"):
        assert (out / name).stat().st_size > 0, name
    post = pd.read_parquet(out / "posterior.parquet")
    assert set(post["generation"]) == {0, 1}
    scen = load_scenario(out / "rivalries_2000_2020.toml")
    cal = scen.calibration
    assert "incidents_per_year" in cal.fitted and "incident_growth" not in cal.fitted
    assert set(cal.parameters) == {
        "operations.opportunity_rate",
        "attribution.dwell_trend",
        "states.list.North Korea.activity",
    }
    assert scen.operations.opportunity_rate == cal.parameters["operations.opportunity_rate"]
    nk = {x.name: x for x in scen.states.list}["North Korea"]
    assert nk.activity == cal.parameters["states.list.North Korea.activity"]
    assert cal.seed == 4 and cal.versions["pyabc"].startswith("0.13")
    assert len(cal.posterior["attribution.dwell_trend"]) == 3
    report = (out / "report.html").read_text()
    assert "validation targets (never fitted" in report.lower()
    # the calibrated scenario validates with posterior predictive intervals
    res = cli(
        "validate",
        "dcid",
        "--scenario",
        str(out / "rivalries_2000_2020.toml"),
        "--runs",
        "2",
        "--workers",
        "2",
    )
    assert res.returncode == 0, res.stderr
    assert "posterior predictive interval" in res.stdout
    assert "out-of-sample prediction" in res.stdout
    assert Path(out / "rivalries_2000_2020.toml").read_text().startswith("# Calibrated")


def test_calibration_runs_on_a_dask_cluster(tmp_path):
    """--scheduler: pyabc's Dask sampler on an in-process cluster (not reproducible, so
    only that it runs and narrows the prior is checked)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        r = run_abc(
            toy,
            [Param("theta", -5.0, 5.0)],
            toy_targets(),
            tmp_path,
            population=20,
            generations=3,
            scheduler=cluster.scheduler_address,
            seed=1,
            progress=False,
        )
    assert "dask" in r.sampler and len(r.generations) == 3
    mean, sd = _moments(r)
    assert abs(mean - 1.0) < 1.5 and sd < 2.0  # the prior: mean 0, sd 2.9


def test_a_calibration_that_fits_nothing_is_one_line_and_writes_no_scenario(tmp_path):
    """Runs too short to measure a calibration figure (NaN): every particle at infinite
    distance, final tolerance inf. Exit 2 in one line, no calibrated scenario (whose
    epsilon could not be written) -- it was a traceback."""
    scen = tmp_path / "short.toml"
    text = (ROOT / "scenarios" / "rivalries_2000_2020.toml").read_text()
    scen.write_text(re.sub(r"(?m)^steps = 1092$", "steps = 4", text))
    (tmp_path / "rivalries_2000_2020.targets.toml").write_text(
        (ROOT / "scenarios" / "rivalries_2000_2020.targets.toml").read_text()
    )
    out = tmp_path / "out"
    res = cli(
        "calibrate",
        str(scen),
        "--params",
        "operations.opportunity_rate=0.003:0.012",
        "--population",
        "2",
        "--generations",
        "2",
        "--workers",
        "1",
        "--quiet",
        "--out",
        str(out),
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert "finite distance" in line
    assert not list(out.glob("*.toml")) and (out / "history.db").exists()
