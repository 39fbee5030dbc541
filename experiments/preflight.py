"""Checks before a batch starts: every distinct design point loads, and the batch fits.

A sweep that would fail in every run, or whose results could not fit this machine, stops
here with one line (:class:`sim.errors.UserError`, exit code 2) before any run starts:

* every distinct design point is loaded with its overrides (types, ranges, combinations,
  the catalogue, ``norms.adopted``, ``[[events]]``: everything the model would refuse when
  it is built), and keeps the experiment's kind of scenario;
* the world model is built (not stepped) once for each distinct combination of the
  swept values that are not real numbers (a number changes no structure the loader has
  not checked), at most :data:`MAX_BUILDS` times;
* the work (runs x steps x states) and the memory the batch needs are estimated and
  compared with this machine; ``--allow-large`` lets a larger batch through.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sim.errors import UserError, excerpt

if TYPE_CHECKING:
    from experiments.batch import Plan

MAX_CHECKS = 2000  # distinct design points loaded (beyond this: an even spread of them)
MAX_BUILDS = 32  # world models built without stepping
# runs x steps x states a sweep may ask for without --allow-large: the world model does
# about RATE state-weeks a second on one core (48 states), so about 55 CPU-hours
MAX_WORK = 2 * 10**9
# steps x states one `run` may ask for without --allow-large (one process: about 3 hours at
# RATE; 2,000 states take about 0.4 s a week, so 50,000 weeks of them about 5 hours)
MAX_RUN_WORK = 10**8
RATE = 10_000
GAME_RATE = 100_000  # player-generations a second of the norms game (1,000 players)
MEMORY_SHARE = 0.5  # of this machine's memory, the most a batch may expect to need


def _where(exc: UserError, src: str, index: int, values: dict[str, Any]) -> UserError:
    key = exc.key if exc.source == src or exc.source == "--set" else None
    shown = ", ".join(f"{k}={excerpt(v, 30)}" for k, v in values.items())
    return UserError(
        src if key else exc.source,
        f"parameters.{key}" if key else exc.key,
        f"{exc.expected} (design point {index}: {shown})",
    )


def check_points(the_plan: Plan, src: str) -> int:
    """Load every distinct design point (and build some); return how many were loaded."""
    from sim.scenario import load_scenario

    exp = the_plan.experiment
    points = the_plan.design.points
    distinct: dict[tuple[Any, ...], int] = {}
    for i, values in enumerate(points):
        distinct.setdefault(tuple(values.items()), i)
    order = list(distinct.values())
    if len(order) > MAX_CHECKS:  # an even spread, first and last included
        step = (len(order) - 1) / (MAX_CHECKS - 1)
        order = sorted({order[round(k * step)] for k in range(MAX_CHECKS)})
    built: set[tuple[Any, ...]] = set()
    for i in order:
        values = points[i]
        try:
            scen = load_scenario(exp.scenario, values, override_source=src)
        except UserError as exc:
            raise _where(exc, src, i, values) from None
        if scen.scenario.kind != exp.kind:
            raise UserError(
                src,
                "parameters.scenario.kind",
                f"expected {exp.kind!r}, the kind of {exp.scenario}: an experiment's outcomes "
                f"are metrics of one kind of scenario (design point {i})",
            )
        shape = tuple((k, v) for k, v in values.items() if not isinstance(v, float))
        if exp.kind == "world" and shape not in built and len(built) < MAX_BUILDS:
            built.add(shape)
            _build(scen, exp, src, i, values)
    return len(order)


def _build(scen: Any, exp: Any, src: str, index: int, values: dict[str, Any]) -> None:
    from sim.model import CyberDiplomacyModel

    try:
        CyberDiplomacyModel(
            scen, rng=exp.seed, steps=exp.steps, metrics=exp.run_metrics, record_events=False
        )
    except UserError as exc:
        raise _where(exc, src, index, values) from None
    except (ValueError, ArithmeticError, MemoryError, IndexError, KeyError) as exc:
        shown = ", ".join(f"{k}={excerpt(v, 30)}" for k, v in values.items())
        raise UserError(
            src,
            "parameters",
            f"design point {index} ({shown}) cannot be built: {type(exc).__name__}: "
            f"{excerpt(str(exc), 120)}",
        ) from None


def machine_memory() -> int:
    """Bytes of memory on this machine (physical), or 0 if unknown."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def states_of(the_plan: Plan) -> int:
    """The most states (or norms-game players) any design point has."""
    from sim.scenario import load_scenario

    exp = the_plan.experiment
    base = load_scenario(exp.scenario)
    if exp.kind == "norms_game":
        key, default = "norms_game.population", base.norms_game.population
    else:
        key, default = "states.count", max(base.states.count, len(base.states.list))
    most = default
    for p in exp.parameters:
        if p.name == key:
            levels = p.levels if p.levels is not None else [p.high]
            most = max(int(v) for v in levels) if levels else most
            most = max(most, len(base.states.list)) if exp.kind == "world" else most
    return most


def footprint(
    runs: int, steps: int, n: int, kind: str, metrics: int, workers: int
) -> dict[str, int]:
    """Work (runs x steps x states) and bytes of memory that ``runs`` runs need.

    ``n`` is the states (or norms-game players) of the largest run, ``metrics`` the series
    each run stores, ``workers`` the models held at once.
    """
    # the consolidated tables: one float64 per run, step and stored metric (plus keys),
    # held in memory once while runs.parquet and the time series are written
    series = runs * steps * (metrics + 2) * 8
    # one model per worker: ~24 n x n float64 matrices (trust, rivalry, channels, ...)
    per_model = 24 * n * n * 8 if kind == "world" else 0
    return {"work": runs * steps * n, "memory": series + workers * per_model, "states": n}


def estimate(the_plan: Plan, workers: int) -> dict[str, int]:
    """Work (runs x steps x states) and bytes of memory a batch needs."""
    exp = the_plan.experiment
    n = states_of(the_plan)
    return footprint(the_plan.total, exp.steps, n, exp.kind, len(exp.series_metrics), workers)


def check_size(the_plan: Plan, src: str, workers: int, allow_large: bool = False) -> None:
    """Refuse a batch too large for this machine (one line) unless ``allow_large``."""
    if allow_large:
        return
    exp = the_plan.experiment
    check_footprint(
        estimate(the_plan, workers),
        src,
        "design",
        runs=the_plan.total,
        steps=exp.steps,
        kind=exp.kind,
        max_work=MAX_WORK,
        shrink="shrink the design",
        memory_hint="store fewer series (experiment.series), shrink the design",
    )


def check_footprint(
    est: dict[str, int],
    src: str,
    key: str | None,
    *,
    runs: int,
    steps: int,
    kind: str,
    max_work: int,
    shrink: str,
    memory_hint: str,
    what: str = "batch",
) -> None:
    """One line (UserError) if the work or the memory of :func:`footprint` is too large:
    work above ``max_work``, or memory above :data:`MEMORY_SHARE` of this machine's.
    """
    unit = "generations" if kind == "norms_game" else "steps"
    who = "players" if kind == "norms_game" else "states"
    if est["work"] > max_work:
        lead, got = ("runs x ", f"{runs:,} x ") if what == "batch" else ("", "")
        hours = est["work"] / (GAME_RATE if kind == "norms_game" else RATE) / 3600
        raise UserError(
            src,
            key,
            f"expected {lead}{unit} x {who} <= {max_work:,}, got {got}"
            f"{steps:,} x {est['states']:,} = {est['work']:,} (about "
            f"{hours:,.0f} CPU-hours); {shrink}, or add --allow-large",
        )
    mem = machine_memory()
    if mem and est["memory"] > MEMORY_SHARE * mem:
        raise UserError(
            src,
            key,
            f"the {what} needs about {est['memory'] / 2**30:,.1f} GiB of memory, more than "
            f"half of this machine's {mem / 2**30:,.1f} GiB; {memory_hint}, or add --allow-large",
        )


def check_run_size(scen: Any, steps: int, src: str, allow_large: bool = False) -> None:
    """Refuse one ``run`` too large for this machine (one line) unless ``allow_large``:
    steps (or generations) x states (or players) above :data:`MAX_RUN_WORK`, or memory
    above :data:`MEMORY_SHARE` of this machine's. The same estimate as a sweep's.
    """
    if allow_large:
        return
    from sim.metrics import METRICS

    kind = scen.scenario.kind
    if kind == "norms_game":
        n = scen.norms_game.population
    else:
        n = max(scen.states.count, len(scen.states.list))
    check_footprint(
        footprint(1, steps, n, kind, len(METRICS), 1),
        src,
        None,
        runs=1,
        steps=steps,
        kind=kind,
        max_work=MAX_RUN_WORK,
        shrink="run fewer " + ("generations" if kind == "norms_game" else "steps or states"),
        memory_hint="run fewer steps or states",
        what="run",
    )
