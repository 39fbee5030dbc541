"""EMA Workbench adapter: the model as an ``ema_workbench`` Model.

An EMA user gets the model with our dotted scenario keys as uncertainties and levers and
our metrics as outcomes, and runs it with EMA's own ``perform_experiments``, samplers,
evaluators, PRIM or optimisation::

    from ema_workbench import SequentialEvaluator, perform_experiments
    from experiments.ema import cyber_model

    model = cyber_model(
        "baseline",
        steps=52,
        uncertainties={"states.attribution_skill": (0.2, 0.8), "operations.discount": None},
        levers={"norms.metanorms": [False, True]},
        outcomes={"incidents": "sum", "worst_week": ("damage", "max")},
        series=["incidents"],
        seed=1,
    )
    experiments, outcomes = perform_experiments(model, scenarios=8, policies=2)

Names: EMA 3.0 wants every parameter name to be a Python identifier (a dotted name still
works but raises a DeprecationWarning), so each key is named with its dots as double
underscores, ``states__attribution_skill`` (:func:`ema_name`), and given the dotted key as
EMA's ``variable_name``: the experiments table has the underscored names, the model
function receives the dotted keys. :func:`overrides` turns a row of the table back into
the dotted overrides ``run.py run --set`` and ``sim.run.simulate`` take.

Ranges and levels are checked against the scenario's types and bounds exactly as an
experiment file's ``[parameters]`` are (docs/experiments.md).

Seeds: ``seed`` is a root seed, as ``[experiment] seed`` of a batch. Each experiment runs
with the seed that replicate 0 of a batch with this root seed gets, so every experiment
shares one seed (common random numbers: differences between experiments come from the
parameters, not from luck) and equals a batch run at the same values. With
``replications = r`` the model is an EMA ``ReplicatorModel``: each experiment runs with the
r replicate seeds of the batch, and each outcome is the mean over them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

with warnings.catch_warnings():  # "ipyparallel not installed": EMA's, and not needed here
    warnings.simplefilter("ignore", UserWarning)
    from ema_workbench import (
        BooleanParameter,
        CategoricalParameter,
        IntegerParameter,
        Model,
        RealParameter,
        ReplicatorModel,
        ScalarOutcome,
        TimeSeriesOutcome,
    )

from experiments.runner import outcomes_of
from experiments.seeds import replicate_seeds
from experiments.spec import NORMS_GAME_METRICS, Parameter, _outcome, _parameter
from sim.errors import UserError
from sim.metrics import METRICS
from sim.scenario import check_key, load_scenario

SOURCE = "cyber_model"  # what a UserError names as the source of a bad argument


def ema_name(key: str) -> str:
    """The EMA name of a dotted scenario key: dots become double underscores."""
    return key.replace(".", "__")


def scenario_key(name: str) -> str:
    """The dotted scenario key of an EMA name (inverse of :func:`ema_name`)."""
    return name.replace("__", ".")


def overrides(row: Mapping[str, Any], keys: Sequence[str] | None = None) -> dict[str, Any]:
    """Dotted overrides from a row of EMA's experiments table (or any name -> value map).

    ``keys`` limits them to those scenario keys; by default every column whose name holds
    a double underscore (EMA's own columns, ``scenario``, ``policy``, ``model``, have none).
    """
    out = {}
    for name, value in row.items():
        key = scenario_key(str(name))
        if (keys is None and "__" in str(name)) or (keys is not None and key in keys):
            out[key] = value.item() if isinstance(value, np.generic) else value
    return out


@dataclass(frozen=True)
class _Config:
    """What every experiment of the model shares (picklable, for EMA's process pools)."""

    scenario: str
    steps: int | None
    outcomes: tuple[tuple[str, str, str], ...]  # (name, metric, aggregate)
    series: tuple[str, ...]  # metrics returned whole, as time series
    kinds: tuple[tuple[str, str], ...]  # dotted key -> "float", "int", "bool" or "str"


def _plain(value: Any, kind: str) -> Any:
    """A sampled value in the key's own Python type (EMA hands out numpy scalars)."""
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "int":
        return int(round(float(value)))
    if kind == "float":
        return float(value)
    return value


def run_experiment(config: _Config, seed: int, **values: Any) -> dict[str, Any]:
    """One run: dotted overrides in, outcomes (and whole series) out.

    The function EMA calls, through a ``functools.partial`` that fixes ``config`` (and
    ``seed``, unless the replications bring one).
    """
    from sim.run import simulate

    kinds = dict(config.kinds)
    over = {k: _plain(v, kinds.get(k, "")) for k, v in values.items()}
    metrics = list(dict.fromkeys([*(m for _, m, _ in config.outcomes), *config.series]))
    result = simulate(
        config.scenario, over, seed=int(seed), steps=config.steps, metrics=metrics, events=False
    )
    ts = result.timeseries
    out: dict[str, Any] = outcomes_of(ts, config.outcomes)
    for m in config.series:
        out[f"{m}_series"] = ts[m].to_numpy(dtype=float)
    return out


def _parameter_value(spec: Any, key: str) -> Any:
    """An argument's spec of one key as the experiment file would write it."""
    if spec is None:
        tp, f = check_key(key, SOURCE)
        meta = f.metadata
        if tp is bool:
            return [False, True]
        if meta.get("choices"):
            return list(meta["choices"])
        if tp in (int, float) and meta.get("min") is not None and meta.get("max") is not None:
            return {"low": meta["min"], "high": meta["max"]}
        raise UserError(SOURCE, key, "no bounds or choices to take: give (low, high) or levels")
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise UserError(SOURCE, key, f"expected (low, high), got {spec!r}")
        return {"low": spec[0], "high": spec[1]}
    return spec  # a list of levels, or {low, high}


def _ema_parameter(p: Parameter) -> Any:
    """Our validated parameter as an EMA parameter named :func:`ema_name` of its key."""
    name = ema_name(p.name)
    if p.levels is not None:
        if sorted(p.levels, key=str) == [False, True] and p.kind == "bool":
            return BooleanParameter(name, variable_name=p.name)
        return CategoricalParameter(name, list(p.levels), variable_name=p.name)
    if p.kind == "int":
        return IntegerParameter(name, int(p.low), int(p.high), variable_name=p.name)
    return RealParameter(name, float(p.low), float(p.high), variable_name=p.name)


def _parameters(specs: Mapping[str, Any] | Sequence[str], scenario: str) -> list[Parameter]:
    items = specs.items() if isinstance(specs, Mapping) else [(k, None) for k in specs]
    out = []
    for key, spec in items:
        if "__" in key:
            raise UserError(SOURCE, key, "expected a dotted scenario key, e.g. states.boldness")
        out.append(_parameter(key, _parameter_value(spec, key), scenario, SOURCE))
    return out


def _outcomes(
    outcomes: Mapping[str, Any] | Sequence[tuple[str, str]], metrics: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    if isinstance(outcomes, Mapping):
        items = list(outcomes.items())
    else:
        items = [(f"{m}_{a}", {"metric": m, "aggregate": a}) for m, a in outcomes]
    out = []
    for name, value in items:
        if isinstance(value, tuple):
            value = {"metric": value[0], "aggregate": value[1]}
        if not name.isidentifier():
            raise UserError(SOURCE, f"outcomes.{name}", "expected a Python identifier as name")
        o = _outcome(name, value, metrics, SOURCE)
        out.append((o.name, o.metric, o.aggregate))
    return out


def cyber_model(
    scenario: str | Path = "baseline",
    *,
    steps: int | None = None,
    uncertainties: Mapping[str, Any] | Sequence[str] = (),
    levers: Mapping[str, Any] | Sequence[str] = (),
    outcomes: Mapping[str, Any] | Sequence[tuple[str, str]] | None = None,
    series: Sequence[str] = (),
    seed: int = 0,
    replications: int | None = None,
    name: str = "cyberdiplomacy",
) -> Model | ReplicatorModel:
    """The model as an EMA Workbench ``Model`` (``ReplicatorModel`` with ``replications``).

    ``scenario``: a built-in name or a scenario file; ``steps``: weeks per run (the
    scenario's by default; generations for a norms-game scenario).

    ``uncertainties`` and ``levers``: dotted scenario keys, each mapped to ``(low, high)``
    (an EMA ``RealParameter``, or ``IntegerParameter`` for an integer key), a list of
    levels (``CategoricalParameter``; ``BooleanParameter`` for ``[False, True]`` of a
    true/false key) or None: the key's whole range from its bounds (``run.py scenarios
    --keys``), both values of a true/false key, every choice of a string key. A plain list
    of keys means None for each.

    ``outcomes``: ``{name: aggregate}`` for the metric of that name, ``{name: (metric,
    aggregate)}``, or a list of ``(metric, aggregate)`` named ``metric_aggregate``; EMA
    ``ScalarOutcome`` each (``{"incidents": "sum"}`` by default). ``series``: metrics
    returned whole, as an EMA ``TimeSeriesOutcome`` named ``METRIC_series`` (one value per
    week, the first week's included).

    ``seed`` and ``replications``: see the module's docstring. Any mistake raises
    :class:`sim.errors.UserError` with one line naming the key.
    """
    scenario = str(scenario)
    scen = load_scenario(scenario)
    metrics = NORMS_GAME_METRICS if scen.scenario.kind == "norms_game" else tuple(METRICS)
    unc = _parameters(uncertainties, scenario)
    lev = _parameters(levers, scenario)
    keys = [p.name for p in [*unc, *lev]]
    if len(set(keys)) != len(keys):
        dup = sorted(k for k in keys if keys.count(k) > 1)[0]
        raise UserError(SOURCE, dup, "a key can be an uncertainty or a lever, not both")
    outs = _outcomes({"incidents": "sum"} if outcomes is None else outcomes, metrics)
    for m in series:
        if m not in metrics:
            raise UserError(
                SOURCE, f"series.{m}", f"unknown metric (expected one of: {', '.join(metrics)})"
            )
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise UserError(SOURCE, "steps", f"expected an integer >= 1, got {steps!r}")
    config = _Config(
        scenario=scenario,
        steps=steps,
        outcomes=tuple(outs),
        series=tuple(series),
        kinds=tuple((p.name, p.kind) for p in [*unc, *lev]),
    )
    if replications is None:
        seed_of_run = replicate_seeds(seed, 1)[0]
        model: Model | ReplicatorModel = Model(
            name, function=functools.partial(run_experiment, config, seed_of_run)
        )
        model.outcomes = [
            *(ScalarOutcome(n) for n, _, _ in outs),
            *(TimeSeriesOutcome(f"{m}_series") for m in series),
        ]
    else:
        if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
            raise UserError(
                SOURCE, "replications", f"expected an integer >= 1, got {replications!r}"
            )
        model = ReplicatorModel(name, function=functools.partial(run_experiment, config))
        model.replications = [{"seed": s} for s in replicate_seeds(seed, replications)]
        model.outcomes = [
            *(ScalarOutcome(n, function=np.mean) for n, _, _ in outs),
            *(
                TimeSeriesOutcome(f"{m}_series", function=functools.partial(np.mean, axis=0))
                for m in series
            ),
        ]
    model.uncertainties = [_ema_parameter(p) for p in unc]
    model.levers = [_ema_parameter(p) for p in lev]
    return model


def run_seeds(seed: int = 0, replications: int | None = None) -> list[int]:
    """The seeds the model's runs use: one, or one per replication (the batch's seeds)."""
    return replicate_seeds(seed, 1 if replications is None else replications)
