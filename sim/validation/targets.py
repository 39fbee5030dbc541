"""Targets files: observed figures of the real record, each with its measure, band and role.

A targets file (TOML) sits beside the scenario it belongs to, named
``SCENARIO.targets.toml``::

    [targets]
    scenario = "rivalries_2000_2020"
    description = "..."

    [[target]]
    name = "incidents_per_year"          # unique within the file
    label = "incidents per year (state)" # for tables and charts (default: the name)
    measure = "incidents_per_year"       # a measure in sim.validation.measures
    observed = 20.43                     # the published figure
    low = 16.0                           # the band a run must land in
    high = 25.0
    sigma = 2.0                          # its uncertainty (default: (high - low) / 4)
    source = "DCID 2.0 (Maness et al. 2023): 429 incidents, 2000-2020"
    role = "calibration"                 # calibration (fitted) or validation (predicted)

``run.py calibrate`` fits only the ``calibration`` targets; ``run.py validate`` reports
them as in-sample fit and the ``validation`` targets as out-of-sample prediction, and
refuses to report a target the scenario was fitted to as a prediction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import UserError, excerpt
from sim.validation.measures import MEASURES

ROLES = ("calibration", "validation")
SUFFIX = ".targets.toml"
_KEYS = ("name", "label", "measure", "observed", "low", "high", "sigma", "source", "role")


@dataclass(frozen=True)
class Target:
    """One observed figure: how it is measured, its band, its source and its role."""

    name: str
    label: str
    measure: str
    observed: float
    low: float
    high: float
    sigma: float
    source: str
    role: str

    def inside(self, value: float) -> bool:
        """Whether a value lies inside the band (NaN never does)."""
        return bool(self.low <= value <= self.high)


@dataclass(frozen=True)
class Targets:
    """A targets file: its figures, in file order."""

    path: str
    scenario: str
    description: str
    targets: tuple[Target, ...]

    def by_role(self, role: str) -> list[Target]:
        """The targets of one role."""
        return [t for t in self.targets if t.role == role]

    @property
    def names(self) -> list[str]:
        """Every target's name."""
        return [t.name for t in self.targets]


def targets_beside(scenario_file: str | Path) -> Path:
    """The targets file that belongs to a scenario file (``NAME.targets.toml`` beside it)."""
    p = Path(scenario_file)
    return p.with_name(p.stem + SUFFIX)


def _number(raw: dict[str, Any], key: str, src: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(src, f"{where}.{key}", f"expected a number, got {excerpt(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise UserError(src, f"{where}.{key}", f"expected a finite number, got {excerpt(value)}")
    return number


def _text(raw: dict[str, Any], key: str, src: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise UserError(src, f"{where}.{key}", f"expected a non-empty string, got {excerpt(value)}")
    return value


def parse_targets(data: dict[str, Any], src: str) -> Targets:
    """Check a parsed targets file; UserError (one line: file, key, expected) on a mistake."""
    unknown = [k for k in data if k not in ("targets", "target")]
    if unknown:
        raise UserError(src, unknown[0], "unknown key (expected [targets] and [[target]])")
    head = data.get("targets", {})
    if not isinstance(head, dict):
        raise UserError(src, "targets", "expected a table")
    for k in head:
        if k not in ("scenario", "description"):
            raise UserError(src, f"targets.{k}", "unknown key (expected scenario, description)")
    scenario = head.get("scenario", "")
    description = head.get("description", "")
    if not isinstance(scenario, str) or not isinstance(description, str):
        raise UserError(src, "targets", "expected scenario and description as strings")
    rows = data.get("target")
    if not isinstance(rows, list) or not rows:
        raise UserError(src, "target", "expected at least one [[target]] table")
    out: list[Target] = []
    seen: set[str] = set()
    for i, raw in enumerate(rows):
        where = f"target.{i}"
        if not isinstance(raw, dict):
            raise UserError(src, where, "expected a table")
        for k in raw:
            if k not in _KEYS:
                raise UserError(
                    src, f"{where}.{k}", f"unknown key (expected one of: {', '.join(_KEYS)})"
                )
        name = _text(raw, "name", src, where)
        if name in seen:
            raise UserError(src, f"{where}.name", f"duplicate target name {excerpt(name)}")
        seen.add(name)
        measure = _text(raw, "measure", src, where)
        if measure not in MEASURES:
            raise UserError(
                src,
                f"{where}.measure",
                f"unknown measure {excerpt(measure)} (expected one of: {', '.join(MEASURES)})",
            )
        role = _text(raw, "role", src, where)
        if role not in ROLES:
            raise UserError(
                src, f"{where}.role", f"expected one of {', '.join(ROLES)}, got {excerpt(role)}"
            )
        observed = _number(raw, "observed", src, where)
        low, high = _number(raw, "low", src, where), _number(raw, "high", src, where)
        if low > high:
            raise UserError(src, f"{where}.low", f"expected low <= high, got {low:g} > {high:g}")
        sigma = _number(raw, "sigma", src, where) if "sigma" in raw else (high - low) / 4.0
        if sigma <= 0:
            raise UserError(src, f"{where}.sigma", f"expected a positive number, got {sigma:g}")
        out.append(
            Target(
                name=name,
                label=_text(raw, "label", src, where, name),
                measure=measure,
                observed=observed,
                low=low,
                high=high,
                sigma=sigma,
                source=_text(raw, "source", src, where),
                role=role,
            )
        )
    return Targets(src, scenario, description, tuple(out))


def load_targets(path: str | Path) -> Targets:
    """Read and check a targets file."""
    from sim.scenario import is_file, read_toml

    p = Path(path)
    if not is_file(p):
        raise UserError(str(path), None, "no such targets file")
    return parse_targets(read_toml(p), str(path))
