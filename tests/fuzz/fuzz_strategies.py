"""Hypothesis strategies for the fuzz tests: scenario documents drawn from the schema,
hostile values, ``--set`` pairs, a TOML writer, and checks shared by the properties.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import typing
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from sim.errors import UserError
from sim.scenario import Scenario, _hints

# the "long" profile (HYPOTHESIS_PROFILE=long, see conftest.py) runs 50 times the examples
SCALE = 50 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 1

ROOT = Path(__file__).resolve().parents[2]
SIZE_CAP = 12  # integer keys that size the model (counts) are drawn small so runs stay fast


def examples(n: int) -> settings:
    """Settings for a test that runs ``n`` examples under the "ci" profile."""
    return settings(max_examples=n * SCALE)


# ----------------------------------------------------------------------------- hostile values

HUGE_INTS = [2**53 + 1, -(2**63), 2**64, 10**30, -(10**30), 10**400]
HOSTILE = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 5e-324, 1e308, -1e308]),
    st.sampled_from(HUGE_INTS),
    st.sampled_from(["", "x" * 200_001, "é" * 70, "nan", "1e999", "\x00", "a\nb"]),
    # a fresh copy each draw: a mutator that walks into a drawn {} must not change the
    # strategy's own constant (the long profile then saw other paths: FlakyStrategyDefinition)
    st.sampled_from([[], [math.nan], [[[]]], {}, {"a": math.inf}, True, False]).map(copy.deepcopy),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
)


def _deep_list(depth: int) -> Any:
    out: Any = 0
    for _ in range(depth):
        out = [out]
    return out


# ----------------------------------------------------------------------------- schema


def _bounds(f: dataclasses.Field) -> tuple[Any, Any, Any]:
    m = f.metadata
    return m.get("min"), m.get("max"), m.get("choices")


def leaf_value(tp: Any, f: dataclasses.Field | None) -> st.SearchStrategy:
    """Valid or boundary values of one key of type ``tp``."""
    lo, hi, choices = _bounds(f) if f is not None else (None, None, None)
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return section(tp)
    if origin is list:
        (arg,) = typing.get_args(tp)
        return st.lists(leaf_value(arg, None), max_size=4)
    if origin is dict:
        leaf = typing.get_args(tp)[1]
        keys = st.sampled_from(
            ["espionage", "disruption", "influence", "cert", "crime", "supply_chain", "x"]
        )
        return st.dictionaries(keys, leaf_value(leaf, f), max_size=4)
    if tp is bool:
        return st.booleans()
    if choices:
        return st.sampled_from(choices)
    if tp is int:
        lo = -5 if lo is None else int(lo)
        hi = 20 if hi is None else int(hi)
        small = st.integers(lo, min(hi, lo + SIZE_CAP))
        if hi - lo > 100:  # a count or a horizon: small values, its minimum
            return small
        return st.one_of(small, st.sampled_from([lo, hi]))
    if tp is float:
        lo = -2.0 if lo is None else float(lo)
        hi = 2.0 if hi is None else float(hi)
        return st.one_of(
            st.floats(lo, hi, allow_nan=False, allow_infinity=False), st.sampled_from([lo, hi])
        )
    return st.text(max_size=12)


def section(cls: type) -> st.SearchStrategy:
    """A table for the dataclass ``cls``: a random subset of its keys with valid values."""
    hints = _hints(cls)
    fields = [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    return st.fixed_dictionaries(
        {}, optional={f.name: leaf_value(hints[f.name], f) for f in fields}
    )


def _paths(cls: type, prefix: str = "") -> list[str]:
    out = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        key = f"{prefix}.{f.name}" if prefix else f.name
        out.append(key)
        if dataclasses.is_dataclass(hints[f.name]):
            out.extend(_paths(hints[f.name], key))
    return out


PATHS = _paths(Scenario)  # every section and key, dotted
WORLD_SECTIONS = section(Scenario).map(lambda d: {k: v for k, v in d.items() if k != "norms_game"})


@st.composite
def hostile_doc(draw: st.DrawFn, base: st.SearchStrategy = WORLD_SECTIONS) -> dict[str, Any]:
    """A scenario document with a few keys (or sections) replaced by hostile values."""
    # copies: a hostile constant (st.just) written into and then descended through would
    # otherwise be changed for every later example, until it held itself
    doc = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS + ["nope", "states.nope", "attribution.skill"]))
        value = copy.deepcopy(
            draw(st.one_of(HOSTILE, st.just(_deep_list(draw(st.integers(1, 200))))))
        )
        node = doc
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return doc


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (overrides for load_scenario)."""
    out: dict[str, Any] = {}
    for k, v in doc.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v and k in {f.name for f in dataclasses.fields(Scenario)}:
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


# ----------------------------------------------------------------------------- TOML writer


def toml_value(v: Any) -> str:
    """One TOML value (inline tables for dicts)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) if abs(v) < 10**300 else "9" * 300
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
        )
    raise TypeError(type(v))


def toml_dumps(doc: dict[str, Any]) -> str:
    """A document as TOML text: one line per top-level key."""
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in doc.items())


# raw texts that broke the readers before
NASTY_TEXTS = [
    b"\xff\xfe\x00binary",
    b"a = " + b"[" * 5000,
    b"a = " + b"{b = " * 3000,
    b"a = " + b"9" * 5000,
    b"a = -" + b"1" * 4400,
    b"" + b".".join([b"k"] * 3000) + b" = 1",
    b"[" + b".".join([b"s"] * 500) + b"]\nx = 1",
    b"a = 1e99999",
    b"a = nan\n",
    b"\x00" * 100,
]


# ----------------------------------------------------------------------------- checks


def check_user_error(exc: UserError) -> None:
    """A UserError's message is one short line."""
    msg = str(exc)
    assert "\n" not in msg, msg[:300]
    assert len(msg) < 3000, msg[:300]
