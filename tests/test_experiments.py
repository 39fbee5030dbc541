"""Experiment runner: files, designs, seeds, analysis (fast, in-process)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import analysis
from experiments.batch import plan, run_batch
from experiments.designs import morris_trajectories, saltelli_matrices
from experiments.seeds import replicate_seeds
from experiments.spec import load_experiment
from experiments.storage import BatchStore
from sim.cli import build_parser, main
from sim.errors import UserError

EXAMPLES = Path(__file__).resolve().parent.parent / "experiments" / "examples"


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GRID = """
# does better attribution deter?
[experiment]
name = "grid-test"
steps = 8
replicates = 3
seed = 42
[design]
method = "grid"
[parameters]
"states.attribution_skill" = [0.2, 0.8]
"norms.metanorms" = [false, true]
"states.count" = { low = 4, high = 6, points = 2 }
[outcomes]
incidents = "sum"
mean_trust = "final"
worst_week = { metric = "damage", aggregate = "max" }
"""


# ----------------------------------------------------------------------------- files


BAD = {
    "unknown parameter path": ('"attribution.skil" = [0.1, 0.2]', "attribution.skil"),
    "empty levels": ('"states.attribution_skill" = []', "empty"),
    "low above high": ('"states.attribution_skill" = { low = 0.9, high = 0.1 }', "low <= high"),
    "level out of range": ('"states.attribution_skill" = [0.5, 1.5]', "<= 1.0"),
    "bad categorical": ('"organizations.decision_rule" = ["consensus", "vote"]', "vote"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_parameters_exit_2_with_one_line(tmp_path, capsys, case):
    line, needle = BAD[case]
    text = f"""[experiment]\nsteps = 5\n[parameters]\n{line}\n[outcomes]\nincidents = "sum"\n"""
    path = write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert str(path) in err and needle in err
    assert not out.exists()  # nothing started


@pytest.mark.parametrize(
    "text,needle",
    [
        (
            '[experiment]\nsteps = 5\n[design]\nmethod = "factorial"\n'
            '[outcomes]\nincidents = "sum"\n',
            "unknown design",
        ),
        ('[experiment]\nsteps = 5\n[outcomes]\nincidents = "total"\n', "unknown aggregate"),
        ('[experiment]\nsteps = 5\n[outcomes]\nincidentz = "sum"\n', "unknown metric"),
        ("[experiment\nsteps = 5\n", "malformed TOML"),
        ('[experiment]\nsteps = 5\nreplicas = 3\n[outcomes]\nincidents = "sum"\n', "unknown key"),
        ("[experiment]\nsteps = 5\n[outcomes]\n", "at least one outcome"),
        (
            '[experiment]\nscenario = "nowhere.toml"\n[outcomes]\nincidents = "sum"\n',
            "no such file",
        ),
        (
            '[design]\nmethod = "sobol"\nsamples = 10\n[parameters]\n"states.attribution_skill" = '
            '{ low = 0.1, high = 0.9 }\n[outcomes]\nincidents = "sum"\n',
            "power of 2",
        ),
        (
            '[parameters]\n"states.attribution_skill" = { low = 0.1, high = 0.9 }\n[outcomes]\n'
            'incidents = "sum"\n',
            "a grid needs levels",
        ),
    ],
)
def test_bad_files_are_one_clear_line(tmp_path, capsys, text, needle):
    path = write(tmp_path, text)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}") and "\n" not in err and needle in err, err


def test_scenario_path_is_relative_to_the_experiment_file(tmp_path, monkeypatch):
    sub = tmp_path / "study"
    sub.mkdir()
    (sub / "small.toml").write_text("[states]\ncount = 5\n")
    path = write(sub, '[experiment]\nscenario = "small.toml"\n[outcomes]\nincidents = "sum"\n')
    monkeypatch.chdir(tmp_path)  # not the experiment's folder
    exp = load_experiment(path)
    assert exp.scenario == str((sub / "small.toml").resolve())


def test_examples_are_valid_and_ask_a_question():
    files = sorted(EXAMPLES.glob("*.toml"))
    assert len(files) >= 4
    for f in files:
        first = f.read_text().splitlines()[0]
        assert first.startswith("#") and first.rstrip().endswith("?"), f
        exp = load_experiment(f)
        assert plan(exp).total <= 400, f  # runnable in minutes on a laptop


# ----------------------------------------------------------------------------- designs


def test_grid_is_full_factorial_with_rounded_integers(tmp_path):
    exp = load_experiment(write(tmp_path, GRID))
    p = plan(exp)
    assert len(p.design) == 2 * 2 * 2 and p.total == 24
    pts = pd.DataFrame(p.design.points)
    assert set(pts["states.count"]) == {4, 6} and pts["states.count"].dtype.kind == "i"
    assert set(pts["norms.metanorms"]) == {False, True}
    assert len(pts.drop_duplicates()) == 8


def _ranges(method: str, samples: int, extra: str = "") -> str:
    return f"""[experiment]\nsteps = 5\nseed = 3\n[design]\nmethod = "{method}"
samples = {samples}\n{extra}[parameters]\n"states.attribution_skill" = {{ low = 0.2, high = 0.6 }}
"states.count" = {{ low = 3, high = 9 }}
"organizations.decision_rule" = ["consensus", "qualified_majority", "silence"]
[outcomes]\nincidents = "sum"\n"""


def test_lhs_shape_bounds_and_strata(tmp_path):
    exp = load_experiment(write(tmp_path, _ranges("lhs", 30)))
    pts = pd.DataFrame(plan(exp).design.points)
    assert pts.shape == (30, 3)
    s = pts["states.attribution_skill"]
    assert s.between(0.2, 0.6).all()
    # Latin hypercube: exactly one sample in each of the 30 strata
    strata = np.floor((s - 0.2) / 0.4 * 30).clip(0, 29).astype(int)
    assert sorted(strata) == list(range(30))
    assert pts["states.count"].between(3, 9).all() and pts["states.count"].dtype.kind == "i"
    assert pts["organizations.decision_rule"].value_counts().to_dict() == {
        "consensus": 10,
        "qualified_majority": 10,
        "silence": 10,
    }


def test_sobol_is_saltelli_shaped(tmp_path):
    exp = load_experiment(write(tmp_path, _ranges("sobol", 16)))
    p = plan(exp)
    assert len(p.design) == 16 * (3 + 2)
    u = saltelli_matrices(3, 16, np.random.default_rng(0))
    a, b = u[:16], u[16:32]
    for i in range(3):
        ab = u[(2 + i) * 16 : (3 + i) * 16]
        assert np.array_equal(ab[:, i], b[:, i])
        assert np.array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
    skill = pd.DataFrame(p.design.points)["states.attribution_skill"]
    assert skill.between(0.2, 0.6).all()


def test_morris_trajectories_move_one_factor_by_delta(tmp_path):
    exp = load_experiment(write(tmp_path, _ranges("morris", 5, "points = 4\n")))
    assert len(plan(exp).design) == 5 * (3 + 1)
    pts, order, steps = morris_trajectories(3, 5, 4, np.random.default_rng(1))
    assert pts.shape == (20, 3) and ((pts >= 0) & (pts <= 1)).all()
    for t in range(5):
        traj = pts[t * 4 : (t + 1) * 4]
        diff = np.diff(traj, axis=0)
        assert ((np.abs(diff) > 1e-12).sum(axis=1) == 1).all()
        assert np.allclose(np.abs(diff).sum(axis=1), 2 / 3)
        assert sorted(order[t]) == [0, 1, 2]


def test_seeds_are_common_across_design_points_and_spawned_from_root(tmp_path):
    exp = load_experiment(write(tmp_path, GRID))
    p = plan(exp)
    tasks = list(p.tasks())
    by_rep: dict[int, set[int]] = {}
    for t in tasks:
        by_rep.setdefault(t.replicate, set()).add(t.seed)
    assert all(len(s) == 1 for s in by_rep.values())
    seeds = [by_rep[r].pop() for r in range(3)]
    assert len(set(seeds)) == 3
    ss = np.random.SeedSequence(42).spawn(3)
    assert seeds == [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in ss]
    assert replicate_seeds(42, 5)[:3] == seeds  # more replicates keep the old seeds


# ----------------------------------------------------------------------------- analysis


def _toy_runs() -> pd.DataFrame:
    # two levels of x, three replicates; y at x=1 is y at x=0 plus (1, 2, 6)
    y0 = [1.0, 4.0, 7.0]
    y1 = [2.0, 6.0, 13.0]
    rows = []
    for point, (x, ys) in enumerate([(0, y0), (1, y1)]):
        for r, y in enumerate(ys):
            rows.append(
                {
                    "run_id": point * 3 + r,
                    "point": point,
                    "replicate": r,
                    "x": x,
                    "status": "ok",
                    "y": y,
                }
            )
    rows.append(
        {"run_id": 6, "point": 2, "replicate": 0, "x": 2, "status": "failed", "y": float("nan")}
    )
    return pd.DataFrame(rows)


def test_point_summary_matches_hand_computation():
    s = analysis.point_summary(_toy_runs(), ["x"], ["y"])
    assert list(s["point"]) == [0, 1]  # the failed point has no ok run
    row = s.iloc[0]
    assert row["n"] == 3 and row["mean"] == pytest.approx(4.0)
    assert row["sd"] == pytest.approx(3.0)
    half = 4.302652729911275 * 3.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert row["ci_low"] == pytest.approx(4.0 - half) and row["ci_high"] == pytest.approx(4 + half)


def test_paired_differences_match_hand_computation():
    d = analysis.paired_differences(_toy_runs(), ["x"], ["y"])
    row = d[(d["level"] == 1)].iloc[0]
    # differences 1, 2, 6: mean 3, sd sqrt(7)
    assert row["n"] == 3 and row["mean"] == pytest.approx(3.0)
    assert row["sd"] == pytest.approx(math.sqrt(7))
    half = 4.302652729911275 * math.sqrt(7) / math.sqrt(3)
    assert row["ci_low"] == pytest.approx(3 - half)
    # the unpaired CI would be much wider: pairing on seeds is what the test is about
    assert row["ci_high"] - row["ci_low"] < 2 * 4.302652729911275 * 5.5 / math.sqrt(3)


def test_sobol_indices_of_ishigami_near_analytic():
    n, d = 1024, 3
    u = saltelli_matrices(d, n, np.random.default_rng(7))
    x = -np.pi + 2 * np.pi * u
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    r = analysis.sobol_from_values(y, n, d, n_resamples=200)
    assert r["S1"] == pytest.approx([0.3139, 0.4424, 0.0], abs=0.06)
    assert r["ST"] == pytest.approx([0.5576, 0.4424, 0.2437], abs=0.06)
    assert (r["S1_low"] <= r["S1"]).all() and (r["S1"] <= r["S1_high"]).all()


def test_morris_of_linear_function_recovers_slopes():
    pts, order, steps = morris_trajectories(3, 10, 4, np.random.default_rng(3))
    y = 3 * pts[:, 0] - 2 * pts[:, 1] + 0 * pts[:, 2]
    m = analysis.morris_from_values(y, order, steps)
    assert m["mu"] == pytest.approx([3, -2, 0])
    assert m["mu_star"] == pytest.approx([3, 2, 0])
    assert m["sigma"] == pytest.approx([0, 0, 0], abs=1e-9)


# ----------------------------------------------------------------------------- batch


def _comparable(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.read_parquet(out / "runs.parquet").drop(columns=["wall_seconds"])
    ts = pd.read_parquet(out / "timeseries.parquet")
    return runs, ts


def test_batch_identical_for_1_and_2_workers_and_rerun_matches(tmp_path, capsys):
    path = write(tmp_path, GRID)
    r1 = run_batch(path, tmp_path / "w1", workers=1, quiet=True, report=False)
    r2 = run_batch(path, tmp_path / "w2", workers=2, quiet=True, report=True, png=False)
    assert r1.total == r2.total == 24 and r1.failed == 0
    a, ta = _comparable(tmp_path / "w1")
    b, tb = _comparable(tmp_path / "w2")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(ta, tb, check_exact=True)
    assert list(a["run_id"]) == list(range(24)) and (a["status"] == "ok").all()
    assert sorted(ta["run_id"].unique()) == list(range(24)) and len(ta) == 24 * 8
    # outcomes come from the run's own series
    run5 = ta[ta["run_id"] == 5]
    assert a.loc[5, "incidents"] == run5["incidents"].sum()
    assert a.loc[5, "worst_week"] == run5["damage"].max()
    csv = pd.read_csv(tmp_path / "w2" / "runs.csv")
    assert list(csv.columns) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "states.attribution_skill",
        "norms.metanorms",
        "states.count",
        "status",
        "error",
        "wall_seconds",
        "incidents",
        "mean_trust",
        "worst_week",
    ]
    manifest = json.loads((tmp_path / "w2" / "manifest.json").read_text())
    for key in (
        "experiment",
        "design",
        "root_seed",
        "versions",
        "git_commit",
        "start",
        "end",
        "sessions",
    ):
        assert key in manifest
    assert manifest["sessions"][0]["command"]
    report = (tmp_path / "w2" / "report.html").read_text()
    assert "Paired differences" in report and "plotly" in report.lower()
    assert "<script src=" not in report  # plotly.js is inside: opens with no network

    capsys.readouterr()
    assert main(["rerun", str(tmp_path / "w2"), "17"]) == 0
    assert "match" in capsys.readouterr().out
    # a tampered stored outcome is a mismatch: exit 1
    journal = tmp_path / "w2" / "journal.jsonl"
    lines = journal.read_text().splitlines()
    rows = [json.loads(x) for x in lines]
    for row in rows:
        if row["run_id"] == 17:
            row["incidents"] += 1
    journal.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["rerun", str(tmp_path / "w2"), "17"]) == 1
    assert "mismatch" in capsys.readouterr().out


def test_out_dir_with_a_batch_needs_resume(tmp_path, capsys):
    path = write(tmp_path, GRID.replace("replicates = 3", "replicates = 1"))
    run_batch(path, tmp_path / "o", workers=1, quiet=True, report=False)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    # resuming a finished batch repeats nothing
    res = run_batch(path, tmp_path / "o", workers=1, quiet=True, resume=True, report=False)
    assert res.ran == 0 and res.skipped == 8
    changed = write(tmp_path, GRID.replace("replicates = 3", "replicates = 2"))
    with pytest.raises(UserError, match="differs"):
        run_batch(changed, tmp_path / "o", workers=1, quiet=True, resume=True)


class _Serial:
    """Runs tasks in this process, so a monkeypatched model reaches them."""

    description = "serial (test)"

    def imap(self, tasks, config):
        from experiments.runner import execute

        for t in tasks:
            yield execute(t, config)

    def close(self):
        pass


def test_failing_run_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    import sim.run

    real = sim.run.simulate

    def flaky(scenario, overrides=None, **kw):  # a fault the checks cannot foresee
        if (overrides or {}).get("states.vengefulness") == 0.8:
            raise RuntimeError("at least one fault in the model")
        return real(scenario, overrides, **kw)

    monkeypatch.setattr(sim.run, "simulate", flaky)
    text = """[experiment]\nsteps = 6\nreplicates = 2\n[parameters]
"states.vengefulness" = [0.2, 0.8]\n"states.attribution_skill" = [0.3, 0.7]
[outcomes]\nincidents = "sum"\n"""
    res = run_batch(
        write(tmp_path, text), tmp_path / "o", evaluator=_Serial(), quiet=True, png=False
    )
    assert res.total == 8 and res.failed == 4
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    failed = runs[runs["status"] == "failed"]
    assert set(failed["states.vengefulness"]) == {0.8}
    assert failed["error"].str.contains("Traceback").all()
    assert failed["error"].str.contains("at least one").all()
    assert failed["incidents"].isna().all()
    ok = runs[runs["status"] == "ok"]
    assert len(ok) == 4 and ok["incidents"].notna().all()


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('"norms.catalogue" = ["gge2015", "nope"]', "norms.catalogue: expected a built-in"),
        ('"norms.adopted.zz" = [0.5]', "norms.adopted.zz: expected a norm id"),
        ('"scenario.kind" = ["world", "norms_game"]', "scenario.kind: expected 'world'"),
        ('"states.gdp_mean" = [1.0, inf]', "expected a finite number"),
        ('"norms.catalogue" = ["gge2015", "EMPTY"]', "expected at least one [[norm]]"),
    ],
)
def test_a_design_point_that_cannot_run_stops_the_sweep_before_any_run(
    tmp_path, capsys, line, needle
):
    empty = tmp_path / "empty_catalogue.toml"
    empty.write_text("# a catalogue with no norms\n")
    text = f"""[experiment]\nsteps = 4\n[parameters]\n{line.replace("EMPTY", str(empty))}
[outcomes]\nincidents = "sum"\n"""
    path = write(tmp_path, text)
    code = main(["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err and needle in err, err
    assert not (tmp_path / "o" / "manifest.json").exists()  # stopped before any run


def test_events_and_adopted_norms_are_checked_when_the_scenario_loads(tmp_path):
    from sim.scenario import load_scenario

    with pytest.raises(UserError, match=r"events\.0\.target: expected a state name"):
        load_scenario(
            "baseline",
            {"events": [{"week": 2, "attacker": "State 1", "target": "Atlantis"}]},
        )
    with pytest.raises(UserError, match="events.0.organization: expected one of"):
        load_scenario("baseline", {"events": [{"intervention": "convene", "organization": "X"}]})
    with pytest.raises(UserError, match="norms.adopted.zz: expected a norm id"):
        load_scenario("baseline", {"norms.adopted": {"zz": 0.5}})
    # the same keys in a norms-game scenario are not the world's: no catalogue is needed
    load_scenario("baseline", {"scenario.kind": "norms_game", "norms.catalogue": "nope"})


def test_the_design_point_is_named_when_a_combination_fails(tmp_path, monkeypatch):
    from experiments import preflight

    exp = load_experiment(
        write(
            tmp_path,
            """[experiment]\nsteps = 4\n[parameters]\n"states.count" = [3, 4]
"norms.metanorms" = [false, true]\n[outcomes]\nincidents = "sum"\n""",
        )
    )
    built = []
    monkeypatch.setattr(preflight, "_build", lambda scen, e, src, i, v: built.append(i))
    assert preflight.check_points(plan(exp), "exp.toml") == 4
    assert built == [0, 1, 2, 3]  # one model per distinct non-number combination


def test_a_batch_too_large_for_the_machine_is_refused_unless_allowed(tmp_path, capsys):
    text = """[experiment]\nsteps = 100000\nreplicates = 100000\n[parameters]
"states.count" = [2000]\n[outcomes]\nincidents = "sum"\n"""
    path = write(tmp_path, text)
    code = main(["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--allow-large" in err, err
    from experiments import preflight

    exp = load_experiment(path)
    preflight.check_size(plan(exp), str(path), 2, allow_large=True)  # the flag lets it pass


def test_torn_journal_line_is_cut_and_the_run_repeated(tmp_path):
    path = write(tmp_path, GRID.replace("replicates = 3", "replicates = 1"))
    out = tmp_path / "o"
    run_batch(path, out, workers=1, quiet=True, report=False)
    ref = pd.read_parquet(out / "runs.parquet").drop(columns=["wall_seconds"])
    ref_ts = pd.read_parquet(out / "timeseries.parquet")
    # a crash in the middle of writing the last journal line
    journal = out / "journal.jsonl"
    data = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(data[:-1]) + data[-1][:10])
    res = run_batch(path, out, workers=1, quiet=True, resume=True, report=False)
    assert res.ran == 1 and res.skipped == 7
    assert len(journal.read_bytes().splitlines()) == 8
    got = pd.read_parquet(out / "runs.parquet").drop(columns=["wall_seconds"])
    pd.testing.assert_frame_equal(ref, got, check_exact=True)
    pd.testing.assert_frame_equal(
        ref_ts, pd.read_parquet(out / "timeseries.parquet"), check_exact=True
    )


def test_series_default_keeps_the_outcomes_metrics_and_matches_a_plain_run(tmp_path):
    """A batch stores only the metrics its outcomes use, each equal to `run.py run`'s."""
    from sim.run import simulate

    path = write(tmp_path, GRID)
    res = run_batch(path, tmp_path / "o", workers=1, quiet=True, report=True)
    assert res.failed == 0
    ts = pd.read_parquet(tmp_path / "o" / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "step", "incidents", "mean_trust", "damage"]
    assert not (tmp_path / "o" / "charts").exists()  # PNGs only with --png
    exp = load_experiment(path)
    task = plan(exp).task(5)
    full = simulate(exp.scenario, dict(task.params), seed=task.seed, steps=exp.steps)
    run5 = ts[ts["run_id"] == 5].reset_index(drop=True)
    for col in ("incidents", "mean_trust", "damage"):
        np.testing.assert_array_equal(run5[col].to_numpy(), full.timeseries[col].to_numpy())


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"all"', None), ('["sessions", "incidents"]', ["sessions", "incidents"])],
)
def test_series_all_or_a_list(tmp_path, value, expected):
    text = GRID.replace("seed = 42", f"seed = 42\nseries = {value}")
    exp = load_experiment(write(tmp_path, text))
    from sim.metrics import METRICS

    assert exp.series_metrics == (list(METRICS) if expected is None else expected)
    assert exp.run_metrics[: len(exp.series_metrics)] == exp.series_metrics
    assert {"incidents", "mean_trust", "damage"} <= set(exp.run_metrics)


def test_series_must_name_metrics(tmp_path):
    text = GRID.replace("seed = 42", 'seed = 42\nseries = ["incidentz"]')
    with pytest.raises(UserError, match="experiment.series: unknown metric 'incidentz'"):
        load_experiment(write(tmp_path, text))


def test_a_batch_written_before_series_reads_as_all_metrics():
    from experiments.spec import Experiment
    from sim.metrics import METRICS

    exp = load_experiment(EXAMPLES / "decision-rule.toml")
    old = exp.to_dict()
    old.pop("series")
    assert Experiment.from_dict(old).series_metrics == list(METRICS)


def test_a_second_sweep_into_a_folder_in_use_is_refused(tmp_path, capsys):
    path = write(tmp_path, GRID)
    out = tmp_path / "busy"
    with BatchStore(out).locked():  # another sweep holds the folder
        assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "another sweep is writing" in err[0]
    # released: the batch runs
    assert run_batch(path, out, workers=1, quiet=True, report=False).failed == 0


def test_a_batch_runs_on_a_forkserver_when_python_threads_run(tmp_path):
    """With a Python thread running the pool cannot fork safely; it uses a forkserver."""
    import threading

    from experiments.evaluators import _context

    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        assert _context().get_start_method() != "fork"
        res = run_batch(write(tmp_path, GRID), tmp_path / "fs", workers=2, quiet=True, report=False)
        assert res.failed == 0 and res.ran == 24
    finally:
        stop.set()
        t.join()


@pytest.mark.parametrize("name", ["run_id", "status", "seed", "error", "wall_seconds"])
def test_an_outcome_named_like_a_runs_table_column_is_refused(tmp_path, name):
    text = GRID.replace(
        'incidents = "sum"', f'{name} = {{ metric = "incidents", aggregate = "sum" }}'
    )
    with pytest.raises(UserError, match=f"outcomes.{name}: a column of the runs table"):
        load_experiment(write(tmp_path, text))


def test_runs_table_columns_match_the_reserved_names(tmp_path):
    from experiments.storage import FIXED, STATUS

    for name in FIXED + STATUS:  # every column of the runs table is refused as an outcome
        text = GRID.replace(
            'incidents = "sum"', f'{name} = {{ metric = "incidents", aggregate = "sum" }}'
        )
        with pytest.raises(UserError, match="a column of the runs table"):
            load_experiment(write(tmp_path, text))


def test_more_workers_than_the_machine_holds_is_refused(tmp_path, capsys):
    # --workers 100000 forked processes until the machine ran out (found by fuzz_cli)
    code = main(["sweep", "metanorms", "--workers", "100000", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--allow-large" in err, err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["baseline", "--set", "states.count=2000", "--steps", "60000"],
        ["axelrod_norms", "--set", "norms_game.population=1000", "--generations", "1000000"],
    ],
)
def test_a_run_too_large_for_the_machine_is_refused_before_it_starts(
    argv, tmp_path, capsys, monkeypatch
):
    """steps x states above MAX_RUN_WORK: one line and exit 2, nothing written; with
    --allow-large the same run gets past the check (simulate is stopped there)."""
    import sim.commands

    class Started(Exception):
        pass

    def started(*args, **kwargs):
        raise Started

    monkeypatch.setattr(sim.commands, "simulate", started)  # no check: exit 1, not hours
    out = tmp_path / "o"
    code = main(["run", *argv, "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "--allow-large" in err and "100,000,000" in err, err
    assert not out.exists()
    with pytest.raises(Started):
        sim.commands.cmd_run(
            build_parser().parse_args(["run", *argv, "--out", str(out), "--allow-large"])
        )


def test_a_run_needing_more_memory_than_the_machine_has_is_refused(tmp_path, capsys, monkeypatch):
    from experiments import preflight

    monkeypatch.setattr(preflight, "machine_memory", lambda: 2**28)  # a 256 MiB machine
    code = main(["run", "baseline", "--set", "states.count=2000", "--steps", "2", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "GiB of memory" in err and err.count("\n") == 1, err


def test_a_small_run_passes_the_size_check():
    from experiments import preflight
    from sim.scenario import load_scenario

    preflight.check_run_size(load_scenario("baseline"), 100_000, "run")  # 12 states: fine
    with pytest.raises(UserError):
        preflight.check_run_size(load_scenario("baseline", {"states.count": 2000}), 100_000, "run")


def test_a_refused_scheduler_leaves_no_journal_open(tmp_path, capsys):
    """--workers with --scheduler is refused after the journal opened: it is closed (the
    CLI fuzz campaign saw a ResourceWarning after the one error line)."""
    import gc
    import warnings

    path = write(tmp_path, GRID)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        code = main(
            ["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet", "--workers", "1"]
            + ["--scheduler", "tcp://127.0.0.1:1"]
        )
        gc.collect()
    assert code == 2 and "--scheduler" in capsys.readouterr().err
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)], seen
