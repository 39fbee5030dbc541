"""A scenario against the real record: in-sample fit and out-of-sample prediction.

The figures come from a targets file (:mod:`sim.validation.targets`). A target with role
``calibration``, or one the scenario's ``[calibration]`` provenance says it was fitted
to, is in-sample: it shows how well the fit went, not that the model is valid. Only the
remaining ``validation`` targets are reported as predictions, and a targets file that
calls a fitted figure a prediction is refused.

When the scenario is calibrated (``run.py calibrate`` wrote its posterior into
``[calibration]``), each run draws one posterior particle (by weight) and its own seed,
so the interval reported is a posterior predictive interval. Otherwise the runs differ
by seed only, and the tables say so. A figure passes when the median over runs lies
inside its band; a miss is shown as a miss, and bands are never widened.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.scenario import SCENARIO_DIR, Scenario, load_scenario, parse_assignments, scenario_path
from sim.validation.measures import RunRecord, evaluate
from sim.validation.targets import Target, Targets, load_targets, targets_beside

DEFAULT_RUNS = 10
INTERVAL = (5.0, 95.0)  # percentiles of the predictive interval


def seeds(seed: int, runs: int) -> list[int]:
    """Independent run seeds spawned from one seed (numpy SeedSequence)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(runs)]


def targets_for(scen: Scenario, source: str | Path, targets: str | Path | None) -> Targets:
    """The targets file given, else the one the calibration names, else the one beside."""
    if targets:
        return load_targets(targets)
    path = scenario_path(source) if not isinstance(source, Scenario) else Path(scen.source)
    if scen.calibration.targets:
        named = Path(scen.calibration.targets)
        return load_targets(named if named.is_absolute() else path.parent / named)
    beside = targets_beside(path)
    if not beside.is_file() and beside.parent != SCENARIO_DIR:
        beside = SCENARIO_DIR / beside.name  # a calibrated copy of a built-in elsewhere
    return load_targets(beside)


def split(scen: Scenario, targets: Targets) -> tuple[list[Target], list[Target]]:
    """(in-sample, out-of-sample) targets; UserError if a fitted one is called a prediction."""
    fitted = set(scen.calibration.fitted) | {t.name for t in targets.by_role("calibration")}
    fitted_measures = {t.measure for t in targets.targets if t.name in fitted}
    for t in targets.by_role("validation"):
        if t.name in fitted or t.measure in fitted_measures:
            raise UserError(
                targets.path,
                t.name,
                f"the scenario ({scen.source}) was fitted to this figure "
                f"(measure {t.measure}); it cannot be reported as validation",
            )
    return [t for t in targets.targets if t.name in fitted], targets.by_role("validation")


def posterior_draws(scen: Scenario, runs: int, seed: int) -> list[dict[str, float]]:
    """One posterior particle per run, drawn by weight (empty if not calibrated)."""
    post = scen.calibration.posterior
    if not post:
        return []
    keys = list(post)
    n = len(post[keys[0]])
    w = np.asarray(scen.calibration.weights or [1.0] * n, dtype=float)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    idx = rng.choice(n, size=runs, p=w / w.sum())
    return [{k: float(post[k][i]) for k in keys} for i in idx]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def map_runs(fn: Callable[[Any], Any], jobs: list[Any], workers: int | None) -> list[Any]:
    """``fn`` over ``jobs`` in order, on ``workers`` forked processes (default: all cores;
    at most four per core). Each job carries its own seed, so the result is the same on
    any number of workers.
    """
    workers = min(len(jobs), workers or _cores(), 4 * _cores())
    if workers <= 1:
        return [fn(j) for j in jobs]
    import multiprocessing
    import warnings

    with warnings.catch_warnings():  # forked: the runs need nothing a thread may hold
        warnings.filterwarnings("ignore", ".*multi-threaded.*fork", DeprecationWarning)
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
            return list(ex.map(fn, jobs))


def _one(job: tuple[Scenario, dict[str, Any], int, list[str]]) -> dict[str, float]:
    from sim.run import simulate

    scen, overrides, seed, measures = job
    result = simulate(scen, overrides, seed=seed)
    return evaluate(measures, RunRecord(result.events, result.steps, scen.scenario.start_year))


def _figure(t: Target, values: np.ndarray, posterior: bool) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    med = float(np.median(finite)) if len(finite) else float("nan")
    lo, hi = (
        (float(np.percentile(finite, INTERVAL[0])), float(np.percentile(finite, INTERVAL[1])))
        if len(finite)
        else (float("nan"), float("nan"))
    )
    return {
        "name": t.name,
        "label": t.label,
        "measure": t.measure,
        "role": t.role,
        "observed": t.observed,
        "band": [t.low, t.high],
        "median": med,
        "interval": [lo, hi],
        "interval_kind": "posterior predictive" if posterior else "seeds only",
        "observed_inside_interval": bool(lo <= t.observed <= hi),
        "passed": t.inside(med),
        "source": t.source,
        "values": [float(v) for v in values],
    }


def run_record(
    name: str,
    source: str | Path,
    args: argparse.Namespace | None = None,
) -> dict[str, Any]:
    """Run a scenario (posterior draws if calibrated) and compare it with its targets."""
    runs = getattr(args, "runs", None) or DEFAULT_RUNS
    steps = getattr(args, "steps", None)
    seed = getattr(args, "seed", None) or 0
    source = getattr(args, "scenario", None) or source
    overrides = parse_assignments(getattr(args, "overrides", None) or [])
    scen = load_scenario(source)
    targets = targets_for(scen, source, getattr(args, "targets", None))
    in_sample, out_of_sample = split(scen, targets)
    draws = posterior_draws(scen, runs, seed)
    if steps is not None:
        overrides = {"scenario.steps": steps, **overrides}
    measures = list(dict.fromkeys(t.measure for t in targets.targets))
    jobs = [
        (scen, {**(draws[i] if draws else {}), **overrides}, s, measures)
        for i, s in enumerate(seeds(seed, runs))
    ]
    per_run = map_runs(_one, jobs, getattr(args, "workers", None))
    by_measure = {m: np.array([r[m] for r in per_run], dtype=float) for m in measures}
    fit = [_figure(t, by_measure[t.measure], bool(draws)) for t in in_sample]
    pred = [_figure(t, by_measure[t.measure], bool(draws)) for t in out_of_sample]
    return {
        "target": name,
        "scenario": scen.name,
        "scenario_file": scen.source,
        "targets_file": targets.path,
        "runs": runs,
        "seed": seed,
        "overrides": overrides,
        "posterior": bool(draws),
        "in_sample": fit,
        "out_of_sample": pred,
        "passed": all(f["passed"] for f in fit + pred),
    }


def table(result: dict[str, Any]) -> str:
    """Two tables: in-sample fit, then out-of-sample prediction, with pass or MISS."""
    kind = (
        "posterior predictive interval (one posterior particle and seed per run)"
        if result["posterior"]
        else "NO POSTERIOR: the scenario is not calibrated, so the interval is over seeds "
        "only at its own values, not a posterior predictive interval"
    )
    lo, hi = INTERVAL
    lines = [
        f"{result['target']}: {result['scenario']} against {result['targets_file']} "
        f"({result['runs']} runs, seed {result['seed']})",
        f"interval: {lo:g}-{hi:g}% {kind}",
        "",
    ]
    for title, rows in (
        (
            "in-sample fit (figures the scenario was fitted to: not evidence of validity)",
            result["in_sample"],
        ),
        ("out-of-sample prediction (never fitted)", result["out_of_sample"]),
    ):
        lines.append(title)
        lines.append(
            f"  {'figure':<52} {'observed':>9} {'band':>13} {'median':>9} {'interval':>17}"
        )
        if not rows:
            lines.append("  (none)")
        for f in rows:
            band = f"{_fmt(f['band'][0])}-{_fmt(f['band'][1])}"
            interval = f"{_fmt(f['interval'][0])}-{_fmt(f['interval'][1])}"
            verdict = "pass" if f["passed"] else "MISS"
            lines.append(
                f"  {f['label'][:52]:<52} {_fmt(f['observed']):>9} {band:>13} "
                f"{_fmt(f['median']):>9} {interval:>17}  {verdict}"
            )
        missed = [f["name"] for f in rows if not f["passed"]]
        lines.append(f"  missed: {', '.join(missed)}" if missed else "  all inside their bands")
        lines.append("")
    return "\n".join(lines).rstrip()


def _fmt(x: float) -> str:
    if x != x:  # nan
        return "n/a"
    if abs(x) < 1:
        return f"{x:.3f}"
    return f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}"
