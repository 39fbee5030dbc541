"""Experiment files (TOML) -> a validated :class:`Experiment`.

Every mistake is caught here, before any run starts, and reported as one line
``FILE: key: what was expected`` (a :class:`sim.errors.UserError`). The keys are
documented in docs/experiments.md.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError, excerpt
from sim.mechanics.norms_game import COLUMNS as NORMS_GAME_COLUMNS
from sim.metrics import METRICS
from sim.scenario import (
    Meta,
    NormsGame,
    builtin_scenarios,
    check_key,
    is_file,
    load_scenario,
    read_toml,
)

# bounds on a design, checked before anything is drawn or allocated
MAX_RUNS = 1_000_000  # design points x replicates
MAX_SAMPLES = 1_000_000  # design.samples
MAX_REPLICATES = 100_000  # experiment.replicates
MAX_POINTS = 1000  # design.points (Morris's grid), a range's points, a list's levels
MAX_INT = 2**53  # any other integer (steps are bounded by the scenario key's own range)

# the example experiments, shipped inside the package (pyproject.toml: package-data)
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
AGGREGATES = ("sum", "mean", "final", "first", "max", "min", "median", "std")
NORMS_GAME_METRICS = tuple(c for c in NORMS_GAME_COLUMNS if c != "step")

_SECTIONS = {
    "experiment": (
        "name",
        "description",
        "scenario",
        "steps",
        "generations",
        "replicates",
        "seed",
        "series",
    ),
    "design": ("method", "samples", "points", "confidence", "analysis"),
    "parameters": None,
    "outcomes": None,
}


@dataclass
class Parameter:
    """One swept scenario key: a list of levels, or a range ``{low, high}``.

    ``kind`` is the scenario key's type: "float", "int", "bool" or "str". Integer
    parameters are rounded wherever a value is drawn from a range.
    """

    name: str
    kind: str
    levels: list[Any] | None = None
    low: float | None = None
    high: float | None = None
    points: int | None = None  # a range on a grid: this many evenly spaced levels

    @property
    def is_range(self) -> bool:
        """True for ``{low, high}``, False for a list of levels."""
        return self.levels is None

    def grid_levels(self) -> list[Any]:
        """The levels a full-factorial grid uses."""
        if self.levels is not None:
            return list(self.levels)
        assert self.low is not None and self.high is not None and self.points
        if self.points == 1:
            return [self.cast(self.low)]
        step = (self.high - self.low) / (self.points - 1)
        return _unique([self.cast(self.low + i * step) for i in range(self.points)])

    def from_unit(self, u: float) -> Any:
        """Map a point of [0, 1] to a value: a range scaled, levels picked by index."""
        if self.levels is not None:
            k = len(self.levels)
            return self.levels[min(int(math.floor(u * k)), k - 1)]
        assert self.low is not None and self.high is not None
        return self.cast(self.low + u * (self.high - self.low))

    def cast(self, x: Any) -> Any:
        """The value in the scenario key's own type (integers rounded)."""
        if self.kind == "int":
            return int(round(float(x)))
        if self.kind == "float":
            return float(x)
        return x

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the manifest."""
        return dataclasses.asdict(self)


@dataclass
class Outcome:
    """One reported number per run: an aggregate of a metric's time series."""

    name: str
    metric: str
    aggregate: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the manifest."""
        return dataclasses.asdict(self)


@dataclass
class Experiment:
    """A validated experiment file."""

    name: str
    source: str  # the experiment file
    scenario: str  # a built-in name or an absolute path
    kind: str  # "world" or "norms_game"
    steps: int
    replicates: int
    seed: int
    method: str
    samples: int
    parameters: list[Parameter]
    outcomes: list[Outcome]
    description: str = ""
    morris_points: int = 4
    confidence: float = 0.95
    # metrics stored week by week for every run (None: all of them, as batches before
    # this option did); by default the metrics the outcomes use
    series: list[str] | None = None
    # more sensitivity methods on the design's random sample: "delta", "pawn" (SALib)
    analysis: list[str] = field(default_factory=list)
    text: str = field(default="", repr=False)  # the file as written, kept with the batch

    @property
    def parameter_names(self) -> list[str]:
        """Swept keys in file order."""
        return [p.name for p in self.parameters]

    @property
    def outcome_names(self) -> list[str]:
        """Outcome columns in file order."""
        return [o.name for o in self.outcomes]

    def to_dict(self) -> dict[str, Any]:
        """Everything that decides which runs are made and what they report."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "scenario": self.scenario,
            "kind": self.kind,
            "steps": self.steps,
            "replicates": self.replicates,
            "seed": self.seed,
            "method": self.method,
            "samples": self.samples,
            "morris_points": self.morris_points,
            "confidence": self.confidence,
            "parameters": [p.to_dict() for p in self.parameters],
            "outcomes": [o.to_dict() for o in self.outcomes],
            "series": self.series,
            "analysis": list(self.analysis),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Experiment:
        """Rebuild from :meth:`to_dict` (as stored in a batch's manifest)."""
        d = dict(d)
        d["parameters"] = [Parameter(**p) for p in d["parameters"]]
        d["outcomes"] = [Outcome(**o) for o in d["outcomes"]]
        d.setdefault("series", None)  # batches written before `series` stored every metric
        d.setdefault("analysis", [])  # and before `analysis` had none
        return cls(**d)

    @property
    def series_metrics(self) -> list[str]:
        """The metrics stored week by week."""
        if self.series is not None:
            return list(self.series)
        return list(NORMS_GAME_METRICS if self.kind == "norms_game" else METRICS)

    @property
    def run_metrics(self) -> list[str]:
        """The metrics a run must record: those stored and those the outcomes use."""
        return list(dict.fromkeys([*self.series_metrics, *(o.metric for o in self.outcomes)]))

    def identity(self) -> dict[str, Any]:
        """What must not change between a batch and its ``--resume``."""
        d = self.to_dict()
        d.pop("source")
        d.pop("description")
        if not d["analysis"]:
            d.pop("analysis")  # batches written before `analysis` resume as they were
        return d


def _unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _int(value: Any, src: str, key: str, minimum: int, maximum: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(src, key, f"expected an integer, got {excerpt(value)}")
    if value < minimum:
        raise UserError(src, key, f"expected an integer >= {minimum}, got {excerpt(value)}")
    if value > maximum:
        raise UserError(src, key, f"expected an integer <= {maximum:,}, got {excerpt(value)}")
    return value


def _max_of(cls: type, name: str) -> int:
    """The scenario key's own upper bound (experiment.steps follows scenario.steps)."""
    return int(next(f for f in dataclasses.fields(cls) if f.name == name).metadata["max"])


def _design_runs(method: str, params: list[Parameter], samples: int, replicates: int) -> int:
    """How many runs a design makes (points x replicates), computed without drawing it."""
    d = len(params)
    if method == "grid":
        points = 1
        for p in params:
            points *= len(p.levels) if p.levels is not None else (p.points or 1)
    elif method == "sobol":
        points = samples * (d + 2)
    elif method == "morris":
        points = samples * (d + 1)
    else:
        points = samples
    return points * replicates


def _resolve_scenario(value: Any, exp_path: Path, src: str) -> str:
    if not isinstance(value, str) or not value:
        raise UserError(
            src,
            "experiment.scenario",
            f"expected a built-in scenario name or a .toml path, got {excerpt(value)}",
        )
    if value in builtin_scenarios():
        return value
    path = Path(value)
    if not path.is_absolute():
        path = exp_path.parent / path  # relative to the experiment file, not the shell
    if not is_file(path):
        raise UserError(
            src,
            "experiment.scenario",
            f"expected a built-in scenario ({', '.join(builtin_scenarios())}) "
            f"or a scenario file, got {excerpt(value)} (no such file: {path})",
        )
    return str(path.resolve())


def _kind_of(tp: Any) -> str | None:
    if typing.get_origin(tp) is not None or dataclasses.is_dataclass(tp):
        return None
    return {float: "float", int: "int", bool: "bool", str: "str"}.get(tp)


def _check_value(scenario: str, key: str, value: Any, src: str) -> None:
    """Validate one value of a key through the scenario loader (types, ranges, choices)."""
    try:
        load_scenario(scenario, {key: value}, override_source=src)
    except UserError as exc:
        if exc.source == src:
            raise UserError(src, f"parameters.{key}", exc.expected) from None
        raise


def _parameter(key: str, value: Any, scenario: str, src: str) -> Parameter:
    tp, _ = check_key(key, src)
    kind = _kind_of(tp)
    where = f"parameters.{key}"
    if kind is None:
        raise UserError(
            src,
            where,
            "expected a key holding a number, integer, true/false "
            "or string (lists and tables cannot be swept)",
        )
    if isinstance(value, list):
        if not value:
            raise UserError(src, where, "expected at least one level, got an empty list")
        if len(value) > MAX_POINTS:
            raise UserError(src, where, f"expected at most {MAX_POINTS} levels, got {len(value)}")
        levels = []
        for level in value:
            _check_value(scenario, key, level, src)
            levels.append(Parameter(key, kind).cast(level))
        if len(_unique(levels)) != len(levels):
            raise UserError(src, where, f"expected distinct levels, got {excerpt(value)}")
        return Parameter(key, kind, levels=levels)
    if isinstance(value, dict):
        if "steps" in value:
            raise UserError(src, f"{where}.steps", "renamed: use points (grid points of the range)")
        unknown = set(value) - {"low", "high", "points"}
        if unknown:
            raise UserError(
                src,
                f"{where}.{sorted(unknown)[0]}",
                "unknown key (expected low, high and optionally points)",
            )
        if kind not in ("float", "int"):
            raise UserError(
                src, where, f"a range needs a numeric key; {key} is {kind}: give a list of levels"
            )
        if "low" not in value or "high" not in value:
            raise UserError(
                src, where, "expected both low and high, e.g. { low = 0.1, high = 0.9 }"
            )
        low, high = value["low"], value["high"]
        for name, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise UserError(src, f"{where}.{name}", f"expected a number, got {excerpt(v)}")
            if abs(v) > MAX_INT or not math.isfinite(v):  # before float() or round() fail
                raise UserError(
                    src, f"{where}.{name}", f"expected a finite number, got {excerpt(v)}"
                )
            _check_value(scenario, key, Parameter(key, kind).cast(v), src)
        if low > high:
            raise UserError(src, where, f"expected low <= high, got low = {low}, high = {high}")
        points = None
        if "points" in value:
            points = _int(value["points"], src, f"{where}.points", 1, MAX_POINTS)
        return Parameter(key, kind, low=float(low), high=float(high), points=points)
    raise UserError(
        src,
        where,
        "expected a list of levels [a, b, ...] or a range "
        f"{{ low = .., high = .. }}, got {excerpt(value)}",
    )


def _outcome(name: str, value: Any, metrics: tuple[str, ...], src: str) -> Outcome:
    where = f"outcomes.{name}"
    if isinstance(value, str):
        metric, aggregate = name, value
    elif isinstance(value, dict):
        unknown = set(value) - {"metric", "aggregate"}
        if unknown:
            raise UserError(
                src, f"{where}.{sorted(unknown)[0]}", "unknown key (expected metric and aggregate)"
            )
        metric, aggregate = value.get("metric", name), value.get("aggregate")
    else:
        raise UserError(
            src,
            where,
            f"expected an aggregate ({', '.join(AGGREGATES)}) or "
            f"{{ metric = .., aggregate = .. }}, got {excerpt(value)}",
        )
    if metric not in metrics:
        raise UserError(
            src, where, f"unknown metric {excerpt(metric)} (expected one of: {', '.join(metrics)})"
        )
    if aggregate not in AGGREGATES:
        raise UserError(
            src,
            where,
            f"unknown aggregate {excerpt(aggregate)} (expected one of: {', '.join(AGGREGATES)})",
        )
    return Outcome(name, metric, aggregate)


def example_experiments() -> dict[str, Path]:
    """The example experiments by name (file name without .toml) and their files."""
    return {p.stem: p for p in sorted(EXAMPLES_DIR.glob("*.toml"))}


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; UserError (one line) on any mistake.

    ``path`` is a file, or the name of an example experiment (``metanorms``), which works
    from any folder, installed or not.
    """
    path = Path(path)
    src = str(path)
    if not is_file(path):
        examples = example_experiments()
        if src not in examples:
            raise UserError(
                src, None, f"no such experiment file or example ({', '.join(examples)})"
            )
        path = examples[src]
    data = read_toml(path)
    for section, value in data.items():
        if section not in _SECTIONS:
            raise UserError(src, section, f"unknown section (expected: {', '.join(_SECTIONS)})")
        if not isinstance(value, dict):
            raise UserError(src, section, "expected a table, e.g. [" + section + "]")
        allowed = _SECTIONS[section]
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    raise UserError(
                        src,
                        f"{section}.{key}",
                        f"unknown key (expected one of: {', '.join(allowed)})",
                    )
    ex = data.get("experiment", {})
    de = data.get("design", {})
    name = ex.get("name", path.stem)
    if not isinstance(name, str) or not name or "/" in name:
        raise UserError(src, "experiment.name", f"expected a non-empty name, got {excerpt(name)}")
    description = ex.get("description", "")
    if not isinstance(description, str):
        raise UserError(src, "experiment.description", "expected a string")
    scenario = _resolve_scenario(ex.get("scenario", "baseline"), path, src)
    scen = load_scenario(scenario)
    kind = scen.scenario.kind
    # the horizon: weeks of the world model, generations of the classic norms game
    if kind == "norms_game":
        if "steps" in ex:
            raise UserError(
                src, "experiment.steps", "a norms-game scenario counts experiment.generations"
            )
        steps = _int(
            ex.get("generations", scen.norms_game.generations),
            src,
            "experiment.generations",
            1,
            _max_of(NormsGame, "generations"),
        )
    else:
        if "generations" in ex:
            raise UserError(
                src, "experiment.generations", "a world scenario counts weeks: experiment.steps"
            )
        steps = _int(
            ex.get("steps", scen.scenario.steps), src, "experiment.steps", 1, _max_of(Meta, "steps")
        )
    replicates = _int(ex.get("replicates", 1), src, "experiment.replicates", 1, MAX_REPLICATES)
    seed = _int(ex.get("seed", 0), src, "experiment.seed", 0, 2**63 - 1)

    method = de.get("method", "grid")
    from experiments.designs import SAMPLERS  # the designs' one list (it imports this module)

    if not isinstance(method, str) or method not in SAMPLERS:
        raise UserError(
            src,
            "design.method",
            f"unknown design {excerpt(method)} (expected one of: {', '.join(SAMPLERS)})",
        )
    samples = _int(de.get("samples", 16), src, "design.samples", 1, MAX_SAMPLES)
    if method == "sobol" and samples & (samples - 1):
        raise UserError(
            src,
            "design.samples",
            f"expected a power of 2 for sobol (e.g. 32, 64, 128), got {samples}",
        )
    if "levels" in de:
        raise UserError(src, "design.levels", "renamed: use points (Morris's grid points p)")
    morris_points = _int(de.get("points", 4), src, "design.points", 2, MAX_POINTS)
    if morris_points % 2:
        raise UserError(src, "design.points", f"expected an even number, got {morris_points}")
    confidence = de.get("confidence", 0.95)
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float))
        or not (0 < confidence < 1)
    ):
        raise UserError(
            src, "design.confidence", f"expected a number in (0, 1), got {excerpt(confidence)}"
        )

    params = [_parameter(k, v, scenario, src) for k, v in data.get("parameters", {}).items()]
    analysis = _analysis(de.get("analysis", []), method, samples, src)
    if method == "grid":
        for p in params:
            if p.is_range and p.points is None:
                raise UserError(
                    src,
                    f"parameters.{p.name}",
                    "a grid needs levels: give a list, or add points = N to the range",
                )
    elif not params:
        raise UserError(src, "parameters", f"expected at least one parameter for {method}")
    runs = _design_runs(method, params, samples, replicates)
    if runs > MAX_RUNS:
        raise UserError(
            src,
            "design",
            f"expected at most {MAX_RUNS:,} runs (design points x replicates), got {runs:,}",
        )
    metrics = NORMS_GAME_METRICS if kind == "norms_game" else tuple(METRICS)
    outcomes_in = data.get("outcomes", {})
    if not outcomes_in:
        raise UserError(src, "outcomes", 'expected at least one outcome, e.g. incidents = "sum"')
    outcomes = [_outcome(k, v, metrics, src) for k, v in outcomes_in.items()]
    series = _series(ex.get("series", "outcomes"), outcomes, metrics, src)
    clash = set(p.name for p in params) & set(o.name for o in outcomes)
    if clash:
        raise UserError(
            src, f"outcomes.{sorted(clash)[0]}", "an outcome cannot share a parameter's name"
        )
    # the runs table's own columns (storage.FIXED and storage.STATUS)
    own = ("run_id", "point", "replicate", "seed", "status", "error", "wall_seconds")
    taken = [o.name for o in outcomes if o.name in own]
    if taken:
        raise UserError(
            src,
            f"outcomes.{taken[0]}",
            f"a column of the runs table has this name; choose another ({', '.join(own)})",
        )
    return Experiment(
        name=name,
        source=str(path.resolve()),
        scenario=scenario,
        kind=kind,
        steps=steps,
        replicates=replicates,
        seed=seed,
        method=method,
        samples=samples,
        parameters=params,
        outcomes=outcomes,
        description=description,
        morris_points=morris_points,
        confidence=float(confidence),
        analysis=analysis,
        series=series,
        text=path.read_text(),
    )


def _series(value: Any, outcomes: list[Outcome], metrics: tuple[str, ...], src: str) -> list[str]:
    """``series``: "outcomes" (the metrics the outcomes use), "all", or a list of metrics."""
    if value == "outcomes":
        return list(dict.fromkeys(o.metric for o in outcomes))
    if value == "all":
        return list(metrics)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        for v in value:
            if v not in metrics:
                raise UserError(
                    src,
                    "experiment.series",
                    f"unknown metric {excerpt(v)} (expected one of: {', '.join(metrics)})",
                )
        return list(dict.fromkeys(value))
    raise UserError(
        src,
        "experiment.series",
        f'expected "outcomes", "all" or a list of metrics, got {excerpt(value)}',
    )


def _analysis(value: Any, method: str, samples: int, src: str) -> list[str]:
    """``[design] analysis``: SALib's delta and/or PAWN on the design's random sample."""
    from experiments.analysis import MIN_SAMPLE_POINTS, SAMPLE_METHODS

    where = "design.analysis"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(
            src, where, f'expected a list such as ["delta", "pawn"], got {excerpt(value)}'
        )
    for v in value:
        if v not in SAMPLE_METHODS:
            raise UserError(
                src,
                where,
                f"unknown method {excerpt(v)} (expected one of: {', '.join(SAMPLE_METHODS)})",
            )
    if len(set(value)) != len(value):
        raise UserError(src, where, f"expected each method once, got {excerpt(value)}")
    if value and method not in ("lhs", "sobol"):
        raise UserError(
            src,
            where,
            f'delta and pawn need a random sample: method = "lhs" or "sobol", not {method!r}',
        )
    points = samples if method == "lhs" else 2 * samples
    if value and points < MIN_SAMPLE_POINTS:
        need = MIN_SAMPLE_POINTS if method == "lhs" else 32
        raise UserError(
            src,
            where,
            f"delta and pawn need at least {MIN_SAMPLE_POINTS} sampled points "
            f"(design.samples >= {need} for {method}), got {points}",
        )
    return list(value)
