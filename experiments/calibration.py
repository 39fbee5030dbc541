"""Calibration with uncertainty: ABC-SMC over scenario keys, fitted to calibration targets.

Approximate Bayesian computation with sequential Monte Carlo (Toni, Welch, Strelkowa,
Ipsen & Stumpf 2009, J. R. Soc. Interface 6:187; Beaumont, Cornuet, Marin & Robert 2009,
Biometrika 96:983) as implemented by pyabc (Schälte, Klinger, Alamoudi & Hasenauer 2022,
JOSS 7(74):4304). Each free key gets a uniform prior over ``LOW:HIGH``. A particle's
distance to the record is the root mean square of ``(measured - observed) / sigma`` over
the targets whose role is ``calibration`` (``sigma`` from the targets file); validation
targets are measured on every particle, for the posterior predictive check, but never
enter the distance. Generation 0 accepts every prior draw; each later tolerance is the
weighted median distance of the generation before (pyabc's ``QuantileEpsilon``).

Reproducibility: on the local sampler (:class:`OrderedSampler`) particle ``i`` of
generation ``t`` draws its parameters and its run seed from numpy's generator seeded by
``(seed, t, i)``, and a generation accepts the first ``population`` accepted particles
in index order. Workers only change which process evaluates a particle, so the same seed
gives the same posterior, bit for bit, on any number of workers. pyabc's Dask sampler
(``--scheduler``) accepts particles in the order they finish and is not reproducible.

Outputs (``--out DIR``): ``posterior.parquet`` (every generation's particles and weights),
``history.db`` (pyabc's database, written as generations finish), ``report.html`` and
``SCENARIO.toml``, the calibrated scenario with its provenance in ``[calibration]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import multiprocessing
import os
import platform
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError, excerpt
from sim.paths import check_out, safe_name
from sim.scenario import (
    Scenario,
    _set_dotted,
    check_key,
    load_scenario,
    read_toml,
    scenario_path,
)
from sim.validation.targets import Target, Targets

MAX_POPULATION = 100_000
MAX_GENERATIONS = 1_000
DEFAULT_POPULATION = 40
DEFAULT_GENERATIONS = 4
BATCH_PER_WORKER = 4  # particles a worker is given per round (only the waste depends on it)
PACKAGES = ("cyberdiplomacy", "pyabc", "numpy", "pandas", "scipy", "mesa", "plotly")


# ----------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Param:
    """A free key and its uniform prior ``[low, high]``."""

    key: str
    low: float
    high: float


def parse_params(items: Sequence[str] | None, src: str = "--params") -> list[Param]:
    """``["KEY=LOW:HIGH", ...]`` -> params; UserError (one line) on any mistake."""
    if not items:
        raise UserError(src, None, "expected at least one KEY=LOW:HIGH")
    out: list[Param] = []
    for item in items:
        key, sep, rng = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(
                src, item, "expected KEY=LOW:HIGH, e.g. operations.opportunity_rate=0.002:0.02"
            )
        tp, f = check_key(key, src)
        if key.startswith(("scenario.", "calibration.")):
            raise UserError(src, key, "a scenario's own record, not a model parameter to fit")
        if tp is not float:
            what = {int: "an integer", bool: "true or false", str: "a string"}.get(tp, "no number")
            raise UserError(src, key, f"not a numeric key (it holds {what}); expected a number key")
        lo_text, sep2, hi_text = rng.partition(":")
        if not sep2:
            raise UserError(src, key, f"expected LOW:HIGH, got {excerpt(rng)}")
        try:
            low, high = float(lo_text), float(hi_text)
        except ValueError:
            raise UserError(
                src, key, f"expected two numbers LOW:HIGH, got {excerpt(rng)}"
            ) from None
        if not (math.isfinite(low) and math.isfinite(high)):
            raise UserError(src, key, f"expected finite numbers, got {excerpt(rng)}")
        if low >= high:
            raise UserError(src, key, f"expected LOW below HIGH, got {low:g}:{high:g}")
        lo_b, hi_b = f.metadata.get("min"), f.metadata.get("max")
        if (lo_b is not None and low < lo_b) or (hi_b is not None and high > hi_b):
            raise UserError(
                src,
                key,
                f"expected a range inside the key's bounds [{_bound(lo_b)}, {_bound(hi_b)}], "
                f"got {low:g}:{high:g}",
            )
        if any(p.key == key for p in out):
            raise UserError(src, key, "given twice")
        out.append(Param(key, low, high))
    return out


def _bound(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


# ----------------------------------------------------------------------------- model, distance


class ScenarioModel:
    """A pyabc model: one run of the scenario at a particle's keys, measured for every target.

    The run seed is drawn from numpy's global generator, which the sampler seeds for
    each particle, so a particle's result depends only on ``(seed, generation, index)``.
    """

    def __init__(self, scenario: Scenario, params: list[Param], targets: list[Target]) -> None:
        self.scenario = scenario
        self.keys = [p.key for p in params]
        self.targets = [(t.name, t.measure) for t in targets]

    def __call__(self, pars: dict[str, float]) -> dict[str, float]:
        """Simulate one particle and return its measured figures by target name."""
        from sim.run import simulate
        from sim.validation.measures import RunRecord, evaluate

        seed = int(np.random.randint(0, 2**31 - 1))
        overrides = {k: float(pars[f"p{i}"]) for i, k in enumerate(self.keys)}
        result = simulate(self.scenario, overrides, seed=seed)
        rec = RunRecord(result.events, result.steps, self.scenario.scenario.start_year)
        values = evaluate(list(dict.fromkeys(m for _, m in self.targets)), rec)
        return {name: values[m] for name, m in self.targets}


class TargetDistance:
    """Root mean square of ``(x - observed) / sigma`` over the calibration targets.

    A figure a run cannot produce (NaN) puts the particle at infinite distance.
    """

    def __init__(self, targets: list[Target]) -> None:
        self.terms = [(t.name, t.sigma) for t in targets if t.role == "calibration"]
        if not self.terms:
            raise UserError("--targets", None, "the targets file has no calibration target")

    def __call__(self, x: dict[str, float], x_0: dict[str, float]) -> float:
        """The distance of simulated figures ``x`` from the observed ``x_0``."""
        total = 0.0
        for name, sigma in self.terms:
            v = float(x[name])
            if not math.isfinite(v):
                return math.inf
            total += ((v - float(x_0[name])) / sigma) ** 2
        return math.sqrt(total / len(self.terms))


# ----------------------------------------------------------------------------- sampler

_SIMULATE_ONE: Callable[[], Any] | None = None  # the generation's job, inherited on fork


def particle_seed(seed: int, t: int, index: int) -> int:
    """The seed of particle ``index`` of generation ``t`` (t = -1 is pyabc's calibration,
    t = -2 the main process).
    """
    return int(np.random.SeedSequence([seed, t + 2, index]).generate_state(1)[0])


def _evaluate(job: tuple[int, int, int]) -> Any:
    seed, t, index = job
    np.random.seed(particle_seed(seed, t, index))
    assert _SIMULATE_ONE is not None
    return _SIMULATE_ONE()


def _make_sampler_class() -> type:
    from pyabc.sampler import Sampler

    class OrderedSampler(Sampler):
        """Deterministic parallel sampler: particles seeded by (seed, generation, index).

        Particles are evaluated in rounds of ``BATCH_PER_WORKER x workers`` on forked
        processes and taken in index order until ``n`` are accepted; the rest of the last
        round is discarded. The accepted set and the count of evaluations are the same for
        any number of workers.
        """

        def __init__(self, workers: int, seed: int, progress: bool = True) -> None:
            super().__init__()
            self.workers = workers
            self.seed = seed
            self.progress = progress

        def sample_until_n_accepted(
            self,
            n: int,
            simulate_one: Callable[[], Any],
            t: int,
            *,
            max_eval: float = np.inf,
            all_accepted: bool = False,
            ana_vars: Any = None,
        ) -> Any:
            global _SIMULATE_ONE
            from tqdm import tqdm

            _SIMULATE_ONE = simulate_one
            sample = self._create_empty_sample()
            accepted = evaluated = 0
            state = np.random.get_state()  # a particle's seeding must not leak into pyabc
            bar = tqdm(
                total=n,
                desc=f"generation {t}",
                unit="particle",
                disable=not self.progress,
                leave=False,
            )
            pool = None
            started = time.perf_counter()
            try:
                if self.workers > 1:
                    # forked, so that workers inherit the generation's job without pickling
                    # it; a worker that dies raises BrokenProcessPool (a Pool would wait
                    # for its lost task for ever)
                    with warnings.catch_warnings():
                        warnings.filterwarnings(
                            "ignore", ".*multi-threaded.*fork", DeprecationWarning
                        )
                        pool = ProcessPoolExecutor(
                            self.workers, mp_context=multiprocessing.get_context("fork")
                        )
                    size = BATCH_PER_WORKER * self.workers
                    rounds = (
                        pool.map(_evaluate, [(self.seed, t, i) for i in range(s, s + size)])
                        for s in itertools.count(0, size)
                    )
                    particles = itertools.chain.from_iterable(rounds)
                else:
                    particles = (_evaluate((self.seed, t, i)) for i in itertools.count())
                with warnings.catch_warnings():  # the pool forks its workers on first use
                    warnings.filterwarnings("ignore", ".*multi-threaded.*fork", DeprecationWarning)
                    for particle in particles:
                        if evaluated >= max_eval:
                            break
                        evaluated += 1
                        sample.append(particle)
                        rate = evaluated / max(time.perf_counter() - started, 1e-9)
                        bar.set_postfix_str(f"{evaluated} simulations, {rate:.2f}/s", refresh=False)
                        if particle.accepted:
                            accepted += 1
                            bar.update()
                            if accepted >= n:
                                break
            finally:
                if pool is not None:  # the rest of the last round is not needed
                    pool.shutdown(wait=True, cancel_futures=True)
                bar.close()
                np.random.set_state(state)
                _SIMULATE_ONE = None
            self.nr_evaluations_ = evaluated
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return OrderedSampler


def make_sampler(
    workers: int | None, scheduler: str | None, seed: int, progress: bool
) -> tuple[Any, str, Any]:
    """(sampler, description, dask client or None): ordered local pool, or pyabc's Dask."""
    if scheduler:
        if workers is not None:
            raise UserError("--workers", None, "not used with --scheduler (Dask decides)")
        from pyabc.sampler import DaskDistributedSampler

        from experiments.evaluators import DaskEvaluator

        ev = DaskEvaluator(scheduler)  # connects, and checks the workers can import the model
        sampler = DaskDistributedSampler(dask_client=ev.client, batch_size=1)
        sampler.show_progress = progress
        return sampler, ev.description + " (pyabc Dask sampler: not reproducible)", ev.client
    from experiments.evaluators import default_workers

    n = workers or default_workers()
    if n < 1:
        raise UserError("--workers", None, f"expected at least 1, got {n}")
    return _make_sampler_class()(n, seed, progress), f"ordered local sampler, {n} worker(s)", None


# ----------------------------------------------------------------------------- ABC-SMC


@dataclass
class CalibrationResult:
    """What a calibration produced (also written to its folder)."""

    params: list[Param]
    targets: Targets
    posterior: pd.DataFrame  # generation, weight, one column per key
    generations: pd.DataFrame  # generation, epsilon, simulations, accepted, acceptance
    predictive: pd.DataFrame  # final generation: weight and one column per target
    seed: int
    sampler: str
    wall_seconds: float
    out: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> pd.DataFrame:
        """The last generation's particles."""
        g = self.posterior["generation"].max()
        return self.posterior[self.posterior["generation"] == g].reset_index(drop=True)

    @property
    def simulations(self) -> int:
        """Simulations run over all generations."""
        return int(self.generations["simulations"].sum())

    @property
    def epsilon(self) -> float:
        """The final tolerance."""
        return float(self.generations["epsilon"].iloc[-1])

    def median(self) -> dict[str, float]:
        """Weighted posterior median of each key (final generation)."""
        f = self.final
        return {p.key: weighted_quantile(f[p.key], f["weight"], 0.5) for p in self.params}


def weighted_quantile(values: Any, weights: Any, q: float) -> float:
    """The q-quantile of a weighted sample (the first value whose cumulative weight >= q)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    return float(v[order][np.searchsorted(cum, q - 1e-12)])


def run_abc(
    model: Callable[[dict[str, float]], dict[str, float]],
    params: list[Param],
    targets: Targets,
    out: Path,
    *,
    population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS,
    workers: int | None = None,
    scheduler: str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> CalibrationResult:
    """ABC-SMC of ``model`` over ``params`` against the calibration targets.

    Writes ``history.db``, ``posterior.parquet`` and ``report.html`` to ``out``.
    """
    import pyabc

    for name in ("ABC", "pyabc", "Epsilon", "Distance", "Acceptor", "ABC.History", "Sampler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if progress:
        import tqdm

        tqdm.tqdm.monitor_interval = 0  # no monitor thread in a process that forks workers
    sampler, description, client = make_sampler(workers, scheduler, seed, progress)
    prior = pyabc.Distribution(
        **{f"p{i}": pyabc.RV("uniform", p.low, p.high - p.low) for i, p in enumerate(params)}
    )
    observed = {t.name: t.observed for t in targets.targets}
    db = out / "history.db"
    for stale in (db, out / "posterior.parquet", out / "report.html"):
        stale.unlink(missing_ok=True)
    state = np.random.get_state()
    np.random.seed(particle_seed(seed, -2, 0))  # whatever pyabc draws outside particles
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # pyabc compares the first two tolerances, inf - inf, before generation 1
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            abc = pyabc.ABCSMC(
                model,
                prior,
                TargetDistance(list(targets.targets)),
                population_size=population,
                sampler=sampler,
                eps=pyabc.QuantileEpsilon(initial_epsilon=np.inf, alpha=0.5),
            )
            abc.new(f"sqlite:///{db}", observed)
            stopped = None
            try:
                history = abc.run(max_nr_populations=generations)
            except (AssertionError, ValueError, np.linalg.LinAlgError) as exc:
                # pyabc stops when a generation's importance weights degenerate (NaN
                # total weight, a singular covariance): keep what it completed
                history = abc.history
                if history.max_t < 0:
                    raise UserError(
                        "calibrate", None, f"the first generation failed: {excerpt(str(exc))}"
                    ) from None
                stopped = (
                    f"stopped after generation {history.max_t}: generation "
                    f"{history.max_t + 1}'s importance weights degenerated "
                    f"({excerpt(str(exc))}); the posterior is generation {history.max_t}'s. "
                    "Free fewer keys (--params) or sample more particles (--population)"
                )
                print(f"warning: {stopped}", file=sys.stderr)
    finally:
        np.random.set_state(state)
        if client is not None:
            client.close()
    wall = time.perf_counter() - t0
    return collect(history, params, targets, out, seed, description, wall, stopped)


def collect(
    history: Any,
    params: list[Param],
    targets: Targets,
    out: Path,
    seed: int,
    sampler: str,
    wall: float,
    stopped: str | None = None,
) -> CalibrationResult:
    """Posterior, generations and predictive check from a pyabc history (finished or
    stopped: every generation it completed, and ``stopped`` saying why it stopped early);
    writes posterior.parquet and report.html.
    """
    keys = {f"p{i}": p.key for i, p in enumerate(params)}
    frames = []
    for t in range(history.max_t + 1):
        df, w = history.get_distribution(m=0, t=t)
        df = df.rename(columns=keys)[[p.key for p in params]].reset_index(drop=True)
        df.insert(0, "weight", np.asarray(w, dtype=float))
        df.insert(0, "generation", t)
        frames.append(df)
    posterior = pd.concat(frames, ignore_index=True)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    gens = pd.DataFrame(
        {
            "generation": pops["t"].astype(int),
            "epsilon": pops["epsilon"].astype(float),
            "simulations": pops["samples"].astype(int),
            "accepted": pops["particles"].astype(int),
        }
    )
    gens["acceptance"] = gens["accepted"] / gens["simulations"]
    # effective sample size of each generation's weights (Kish): near 1, the weights
    # rest on one particle and the next generation's kernel degenerates
    gens["ess"] = [
        float(1.0 / np.sum(np.square(w / w.sum())))
        for w in (
            posterior.loc[posterior["generation"] == t, "weight"].to_numpy()
            for t in gens["generation"]
        )
    ]
    w, stats = history.get_weighted_sum_stats(t=history.max_t)
    predictive = pd.DataFrame([{t.name: s[t.name] for t in targets.targets} for s in stats])
    predictive.insert(0, "weight", np.asarray(w, dtype=float))
    posterior.to_parquet(out / "posterior.parquet", index=False)
    result = CalibrationResult(
        params, targets, posterior, gens, predictive, seed, sampler, wall, out
    )
    if stopped:
        result.extra["stopped"] = stopped
    from experiments.calibration_report import write_report

    write_report(out / "report.html", result)
    return result


# ----------------------------------------------------------------------------- scenario file


def versions() -> dict[str, str]:
    """Versions of Python and the packages a calibration depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def calibrated_scenario(
    source: str | Path, result: CalibrationResult, targets_file: Path, out_file: Path
) -> dict[str, Any]:
    """The scenario file's tables with the posterior median set and its provenance."""
    data = read_toml(scenario_path(source))
    median = result.median()
    for key, value in median.items():
        _set_dotted(data, key, value, str(source), add_missing=True)
    final = result.final
    data["calibration"] = {
        "targets": os.path.relpath(Path(targets_file).resolve(), out_file.resolve().parent),
        "fitted": [t.name for t in result.targets.by_role("calibration")],
        "parameters": median,
        "posterior": {p.key: [float(v) for v in final[p.key]] for p in result.params},
        "weights": [float(v) for v in final["weight"]],
        "seed": result.seed,
        "simulations": result.simulations,
        "epsilon": result.epsilon,
        "versions": versions(),
    }
    if result.extra.get("stopped"):
        data["calibration"]["stopped"] = result.extra["stopped"]
    return data


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"not a finite number: {v}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dump_toml(data: dict[str, Any]) -> str:
    """A nested dict as TOML text (tables, arrays of tables, inline leaves)."""
    lines: list[str] = []

    def is_tables(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)

    def table(d: dict[str, Any], path: list[str]) -> None:
        for k, v in d.items():
            if not isinstance(v, dict) and not is_tables(v):
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in d.items():
            name = ".".join(_toml_key(p) for p in [*path, k])
            if isinstance(v, dict):
                lines.extend(["", f"[{name}]"])
                table(v, [*path, k])
            elif is_tables(v):
                for item in v:
                    lines.extend(["", f"[[{name}]]"])
                    table(item, [*path, k])

    table(data, [])
    return "\n".join(lines).lstrip("\n") + "\n"


# ----------------------------------------------------------------------------- command


def _positive(value: int | None, flag: str, default: int, most: int) -> int:
    if value is None:
        return default
    if value < 1 or value > most:
        raise UserError(flag, None, f"expected a number from 1 to {most:,}, got {value}")
    return value


def calibrate(
    scenario: str | Path,
    targets: str | Path | None,
    params: list[Param],
    out: Path,
    **kwargs: Any,
) -> tuple[CalibrationResult, Path]:
    """Calibrate a scenario; returns the result and the calibrated scenario file."""
    from sim.validation.record import targets_for

    scen = load_scenario(scenario)
    if scen.scenario.kind != "world":
        raise UserError(str(scenario), "scenario.kind", "calibration needs a world scenario")
    tgt = targets_for(scen, scenario, targets)
    if not tgt.by_role("calibration"):
        raise UserError(tgt.path, "target", "no target has role calibration: nothing to fit")
    for p in params:  # every draw of the prior must be a valid scenario
        load_scenario(scen, {p.key: p.low}, override_source="--params")
        load_scenario(scen, {p.key: p.high}, override_source="--params")
    model = ScenarioModel(scen, params, list(tgt.targets))
    result = run_abc(model, params, tgt, out, **kwargs)
    if not math.isfinite(result.epsilon):  # every particle at infinite distance: no fit
        raise UserError(
            str(scenario),
            None,
            "no run came within a finite distance of the calibration targets (a figure the "
            "runs cannot produce, e.g. too few steps to measure it): no calibrated scenario "
            f"written; history.db, posterior.parquet and report.html are in {out}",
        )
    out_file = out / f"{safe_name(scen.name)}.toml"
    data = calibrated_scenario(scenario, result, Path(tgt.path), out_file)
    out_file.write_text(
        "# Calibrated by `run.py calibrate` (ABC-SMC, pyabc): provenance in [calibration].\n"
        + dump_toml(data)
    )
    load_scenario(out_file)  # what was written loads back
    return result, out_file


def cmd_calibrate(args: argparse.Namespace) -> int:
    """`run.py calibrate SCENARIO --targets FILE --params KEY=LOW:HIGH ...`."""
    import importlib.util

    if importlib.util.find_spec("pyabc") is None:
        raise UserError("calibrate", None, "needs pyabc: pip install -e '.[calibration]'")
    params = parse_params(args.params)
    population = _positive(args.population, "--population", DEFAULT_POPULATION, MAX_POPULATION)
    generations = _positive(args.generations, "--generations", DEFAULT_GENERATIONS, MAX_GENERATIONS)
    if generations < 2:  # generation 0's tolerance is infinite: it accepts every prior draw
        raise UserError(
            "--generations",
            None,
            f"expected at least 2, got {generations} (the first generation accepts every draw "
            "of the prior: one generation fits nothing)",
        )
    if args.seed < 0 or args.seed >= 2**32:
        raise UserError("--seed", None, f"expected an integer from 0 to 2**32-1, got {args.seed}")
    if args.workers is not None and args.workers < 1:
        raise UserError("--workers", None, f"expected at least 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise UserError("--workers", None, "not used with --scheduler (Dask decides)")
    if args.scheduler is not None:
        from experiments.evaluators import check_scheduler

        check_scheduler(args.scheduler)
    scen = load_scenario(args.scenario)
    out = check_out(Path(args.out) if args.out else Path("calibrations") / safe_name(scen.name))
    result, scen_file = calibrate(
        args.scenario,
        args.targets,
        params,
        out,
        population=population,
        generations=generations,
        workers=args.workers,
        scheduler=args.scheduler,
        seed=args.seed,
        progress=not args.quiet,
    )
    g = result.generations
    print(
        f"{scen.name}: {len(g)} generations of {population}, {result.simulations} simulations, "
        f"{result.wall_seconds:.0f} s, {result.simulations / max(result.wall_seconds, 1e-9):.3f} "
        f"simulations/s ({result.sampler}), final epsilon {result.epsilon:.4g}"
    )
    for row in g.itertuples():
        print(
            f"  generation {row.generation}: epsilon {row.epsilon:.4g}, {row.simulations} "
            f"simulations, acceptance {row.acceptance:.2f}, effective sample size {row.ess:.1f}"
        )
    final = result.final
    print(f"{'key':<40} {'prior':>17} {'median':>10} {'5-95%':>21}")
    for p in params:
        lo = weighted_quantile(final[p.key], final["weight"], 0.05)
        hi = weighted_quantile(final[p.key], final["weight"], 0.95)
        med = weighted_quantile(final[p.key], final["weight"], 0.5)
        print(f"{p.key:<40} {f'{p.low:g}:{p.high:g}':>17} {med:>10.4g} {f'{lo:.4g}-{hi:.4g}':>21}")
    print(f"wrote {out}/: posterior.parquet, history.db, report.html, {scen_file.name}")
    return 0
