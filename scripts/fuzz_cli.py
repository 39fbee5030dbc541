"""A fuzzing campaign against the real command line: generated and mutated inputs in, exit
codes and stderr out.

Every case is an ``argv`` for ``run.py``: a mutated scenario file for ``run``, a mutated
experiment file for ``sweep``, hostile flags for ``run``, ``validate``, ``scenarios`` and
``viz``, a damaged batch folder for ``report``, ``rerun`` and ``discover``, and plain junk.
Cases run in this process through ``sim.cli.main`` (stdout and stderr captured, argparse's
exit codes kept, a fresh warnings registry each time), so 10,000 of them take minutes, not
hours; every ``--subprocess-every``-th case is run again through a real ``python run.py``
subprocess, and the two must agree on the exit code and the last line of stderr.

Each case ends in one of:

* ``ran``: exit 0 (a sweep counts only if not every run failed);
* ``refused``: exit 2 and exactly one line on stderr, ``error: ...``;
* ``mismatch``: ``rerun`` exit 1 saying a damaged batch differs (a finding only if the
  batch was not damaged);
* anything else is a finding: a traceback, exit 1, an exception out of ``main``, a refusal
  of more than one line, a sweep whose every run failed, a warning printed on a run that
  succeeded, a timeout, or a subprocess that disagrees. Findings are written to
  ``--findings`` (argv and input files) so each can be replayed.

    # make fuzz-cli:
    python scripts/fuzz_cli.py --cases 10000 --seed 1 --jobs 6 --subprocess-every 200
    python scripts/fuzz_cli.py --replay fuzz-findings/0042   # one finding again
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.cli import main  # noqa: E402
from sim.scenario import all_keys, builtin_scenarios  # noqa: E402

EXAMPLES = ROOT / "experiments" / "examples"
SCENARIOS = ROOT / "scenarios"
KEYS = [k for k, _, _ in all_keys()]
TIMEOUT = 300  # seconds one case may take in this process (a shared, loaded machine)

# values a careless or hostile user types
HOSTILE_TEXT = [
    "nan",
    "inf",
    "-inf",
    "-0.0",
    "5e-324",
    "1e308",
    "1e999",
    "-1",
    "0",
    "1" * 400,
    "9" * 5000,
    "-" + "1" * 4400,
    "",
    " ",
    "x" * 300,
    "é" * 70,
    "true",
    "[1, 2",
    "{a = 1}",
    "'quoted'",
    '"str"',
    "[[[[[[[[[[]]]]]]]]]]",
    "../../escaped",
    "/proc/self/mem",
    "a\nb",
    "<script>alert(1)</script>",
    "3.5",
    "2",
    "1000000000",
]
HOSTILE_VALUES: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    5e-324,
    1e308,
    -1e308,
    2**53 + 1,
    -(2**63),
    2**64,
    10**30,
    10**400,
    "",
    "x" * 2000,
    "é" * 70,
    "nan",
    "1e999",
    "a\nb",
    [],
    [math.nan],
    [[[]]],
    {},
    {"a": math.inf},
    True,
    False,
    0,
    -1,
    1,
    0.5,
    3,
    1000000,
    "../..",
    "consensus",
    "State 1",
]


@dataclass
class Case:
    """One input: the argv and what it is about."""

    kind: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes, in the case folder
    damaged: bool = False


@dataclass
class Outcome:
    """What the command line did with a case."""

    code: int
    out: str
    err: str
    seconds: float
    escaped: str = ""  # an exception that got out of main


class CaseTimeout(BaseException):
    """A case ran past TIMEOUT (BaseException: main's ``except Exception`` lets it through)."""


def _alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout


class _FakePopen:
    """``viz`` in a campaign: the server would never return; it is accepted and stopped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def wait(self, timeout: float | None = None) -> int:
        return 0


def invoke(argv: list[str], timeout: int = TIMEOUT) -> Outcome:
    """Run ``main(argv)`` here with captured output, as ``python run.py ARGV`` would."""
    import sim.app.cli

    out, err = io.StringIO(), io.StringIO()
    escaped = ""
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    real = sim.app.cli.subprocess  # the module sim.app.cli sees, not everyone's
    sim.app.cli.subprocess = SimpleNamespace(  # type: ignore[assignment]
        Popen=_FakePopen, TimeoutExpired=subprocess.TimeoutExpired
    )
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            warnings.simplefilter("default")  # each case a fresh process: warnings show once
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse (and --help)
                if isinstance(exc.code, int) or exc.code is None:
                    code = exc.code or 0
                else:
                    print(exc.code, file=sys.stderr)
                    code = 1
    except CaseTimeout:
        code, escaped = -9, "timeout"
    except BaseException as exc:  # noqa: BLE001 - the finding we look for
        code, escaped = 1, f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        sim.app.cli.subprocess = real
    return Outcome(code, out.getvalue(), err.getvalue(), time.perf_counter() - t0, escaped)


def in_subprocess(argv: list[str], cwd: Path, timeout: int = 600) -> Outcome:
    """The same argv through a real ``python run.py`` process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), *argv],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return Outcome(-9, "", "", time.perf_counter() - t0, "timeout")
    except ValueError as exc:  # an argv the OS cannot pass (a NUL byte)
        return Outcome(-1, "", "", 0.0, f"ValueError: {exc}")
    text = p.stderr.decode("utf-8", "replace")
    return Outcome(
        p.returncode, p.stdout.decode("utf-8", "replace"), text, time.perf_counter() - t0
    )


# ----------------------------------------------------------------------------- verdicts


def _lines(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.strip()]


def verdict(case: Case, o: Outcome) -> str:
    """``ran``, ``refused``, ``mismatch`` or the name of a finding."""
    if o.escaped == "timeout":
        return "timeout"
    if o.escaped:
        return "escaped"
    if "Traceback" in o.err or "Traceback" in o.out:
        return "traceback"
    if o.code == 2:
        # one line; a damaged batch folder may add what it recovered ("warning: ...") first
        lines = [ln for ln in _lines(o.err) if not ln.startswith("warning: ")]
        if len(lines) == 1 and lines[0].startswith("error: ") and o.err.endswith("\n"):
            return "refused"
        return "refusal-not-one-line"
    if o.code == 0:
        if case.kind == "sweep":
            for line in o.out.splitlines():
                if " runs (" in line and " failed;" in line:
                    total = int(line.split(": ", 1)[1].split(" runs")[0])
                    failed = int(line.split("), ")[1].split(" failed")[0])
                    if total and failed == total:
                        return "every-run-failed"
        if "Warning" in o.err:
            return "warning"
        return "ran"
    if o.code == 1 and case.argv[:1] == ["rerun"] and "mismatch: run" in o.out:
        return "mismatch" if case.damaged else "rerun-mismatch-undamaged"
    if o.code == 130:
        return "interrupted"
    return f"exit-{o.code}"


GOOD = {"ran", "refused", "mismatch"}


# ----------------------------------------------------------------------------- mutations


def toml_value(v: Any) -> str:
    """One TOML value (inline tables for dicts)."""
    if isinstance(v, Deep):
        return "[" * v.depth + "0" + "]" * v.depth
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
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
    """A document as TOML: a [table] per section, other keys first."""
    head = [f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in doc.items() if not _table(v)]
    body = []
    for k, v in doc.items():
        if _table(v):
            body.append(f"[{json.dumps(str(k))}]")
            body += [f"{json.dumps(str(a))} = {toml_value(b)}" for a, b in v.items()]
    return "\n".join(head + body) + "\n"


def _table(v: Any) -> bool:
    return isinstance(v, dict) and bool(v)


@dataclass(frozen=True)
class Deep:
    """A list nested ``depth`` times, written as text (a Python list that deep is no fun)."""

    depth: int


def hostile(rng: random.Random) -> Any:
    """A value to put where another was."""
    r = rng.random()
    if r < 0.1:
        return Deep(rng.choice([5, 50, 120, 600]))
    if r < 0.2:
        return rng.uniform(-10, 10)
    if r < 0.3:
        return rng.randint(-5, 50)
    return rng.choice(HOSTILE_VALUES)


def _paths(doc: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for k, v in doc.items():
        out.append((*prefix, k))
        if isinstance(v, dict):
            out += _paths(v, (*prefix, k))
    return out


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = doc
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _delete(doc: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = doc
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def mutate_doc(doc: dict[str, Any], rng: random.Random, extra_keys: list[str]) -> None:
    """One to three structural mutations of a parsed document."""
    for _ in range(rng.randint(1, 3)):
        paths = _paths(doc)
        r = rng.random()
        if r < 0.45 and paths:
            _set(doc, rng.choice(paths), hostile(rng))
        elif r < 0.6 and paths:
            _delete(doc, rng.choice(paths))
        elif r < 0.85:
            key = rng.choice(extra_keys)
            _set(doc, tuple(key.split(".")), hostile(rng))
        elif r < 0.95 and paths:  # a valid-looking value of another key
            src = rng.choice(paths)
            node: Any = doc
            for part in src:
                node = node.get(part) if isinstance(node, dict) else None
            _set(doc, rng.choice(paths), copy.deepcopy(node))
        else:
            doc[rng.choice(["nope", "x", "scenario", "events"])] = hostile(rng)


def mutate_bytes(raw: bytes, rng: random.Random) -> bytes:
    """A byte-level mutation: truncation, flips, junk, nesting, huge numbers."""
    r = rng.random()
    n = len(raw)
    if r < 0.2 and n:
        return raw[: rng.randrange(n)]
    if r < 0.35 and n:
        i = rng.randrange(n)
        return raw[:i] + bytes([rng.randrange(256)]) + raw[i + 1 :]
    if r < 0.5:
        junk = rng.choice(
            [b"\xff\xfe", b"[[", b"=", b"{" * 3000, b"[" * 3000, b"9" * 5000, b"\x00", b'"\\u']
        )
        i = rng.randrange(n + 1)
        return raw[:i] + junk + raw[i:]
    if r < 0.65:
        lines = raw.splitlines(keepends=True)
        if lines:
            i = rng.randrange(len(lines))
            return b"".join(
                lines[:i] + lines[i + 1 :] if rng.random() < 0.5 else lines + [lines[i]]
            )
    if r < 0.8:
        return raw + b"\n" + rng.choice([b"a.b.c = 1", b"[x]\ny = 2", b"x = nan", b"[states]"])
    return raw.replace(b"0.", b"1e999", 1) if rng.random() < 0.5 else raw.replace(b'"', b"", 1)


# ----------------------------------------------------------------------------- generators


def _flag_value(rng: random.Random, good: list[str]) -> str:
    return rng.choice(good) if rng.random() < 0.5 else rng.choice(HOSTILE_TEXT)


def _set_flags(rng: random.Random) -> list[str]:
    out = []
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        key = rng.choice(KEYS + ["nope", "states", "attribution.skill", ""])
        value = rng.choice(HOSTILE_TEXT) if rng.random() < 0.6 else str(rng.uniform(-1, 2))
        out += ["--set", f"{key}={value}" if rng.random() < 0.95 else key]
    return out


def gen_scenario(rng: random.Random) -> Case:
    """``run FILE``: a mutated scenario file, a few weeks or generations."""
    path = rng.choice(sorted(SCENARIOS.glob("*.toml")))
    raw = path.read_bytes()
    game = b"norms_game" in raw
    if rng.random() < 0.65:
        try:
            doc = tomllib.loads(raw.decode())
            mutate_doc(doc, rng, KEYS)
            raw = toml_dumps(doc).encode()
        except (ValueError, TypeError):
            pass
    else:
        raw = mutate_bytes(raw, rng)
    horizon = (
        ["--generations", str(rng.randint(1, 3))] if game else ["--steps", str(rng.randint(1, 6))]
    )
    argv = [
        "run",
        "scen.toml",
        "--out",
        "out",
        "--quiet",
        "--seed",
        str(rng.randint(0, 9)),
        *horizon,
    ]
    return Case("run-file", argv, {"scen.toml": raw})


def _small_experiment(doc: dict[str, Any]) -> None:
    ex = doc.setdefault("experiment", {})
    if "generations" in ex:
        ex["generations"] = 2
    else:
        ex["steps"] = 3
    ex["replicates"] = 1
    de = doc.setdefault("design", {})
    method = de.get("method", "grid")
    if method == "lhs":
        de["samples"] = 4
    elif method == "sobol":
        de["samples"] = 2
        de.pop("analysis", None)
    elif method == "morris":
        de["samples"] = 1
    params = doc.get("parameters", {})
    if method == "grid":
        for k in list(params)[2:]:
            del params[k]


EXP_KEYS = [
    "experiment.name",
    "experiment.scenario",
    "experiment.steps",
    "experiment.generations",
    "experiment.replicates",
    "experiment.seed",
    "experiment.series",
    "design.method",
    "design.samples",
    "design.points",
    "design.confidence",
    "design.analysis",
    "outcomes.incidents",
    "outcomes.run_id",
    "outcomes.status",
    "outcomes.x",
    "nope.x",
] + [f"parameters.{k}" for k in KEYS]


def gen_experiment(rng: random.Random) -> Case:
    """``sweep FILE``: a mutated example experiment, made small so that it runs quickly."""
    path = rng.choice([p for p in sorted(EXAMPLES.glob("*.toml")) if p.stem != "screening-all"])
    raw = path.read_bytes()
    doc = tomllib.loads(raw.decode())
    _small_experiment(doc)
    if rng.random() < 0.7:
        mutate_doc(doc, rng, EXP_KEYS)
        # a parameter's key with dots must stay one key
        params = doc.get("parameters")
        if isinstance(params, dict):
            flat: dict[str, Any] = {}
            for k, v in _flatten(params).items():
                flat[k] = v
            doc["parameters"] = flat
        raw = toml_dumps(doc).encode()
    else:
        raw = mutate_bytes(toml_dumps(doc).encode(), rng)
    argv = ["sweep", "exp.toml", "--out", "batch", "--workers", "1", "--quiet"]
    if rng.random() < 0.15:
        argv += rng.choice(
            [
                ["--workers", rng.choice(["0", "-1", "100000", "x"])],
                ["--scheduler", rng.choice(["nope", "tcp://127.0.0.1:1", ""])],
                ["--resume"],
                ["--out", rng.choice(["/proc/x", "exp.toml", "", "a" * 300])],
                ["--allow-large"],
            ]
        )
    return Case("sweep", argv, {"exp.toml": raw})


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v and not set(v) <= {"low", "high", "points"}:
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def gen_flags(rng: random.Random) -> Case:
    """Hostile flags for run, validate, scenarios and viz."""
    cmd = rng.choice(["run", "run", "validate", "scenarios", "viz"])
    if cmd == "run":
        scen = rng.choice([*builtin_scenarios(), "nope", "../../etc/passwd", ""])
        game = scen.startswith("axelrod")
        argv = ["run", scen, "--quiet"]
        if rng.random() < 0.8:
            argv += ["--out", _flag_value(rng, ["out", "out/a", "out/../out2"])]
        if game:
            argv += ["--generations", _flag_value(rng, ["1", "2", "3"])]
        else:
            argv += ["--steps", _flag_value(rng, ["1", "2", "5"])]
        if rng.random() < 0.3:
            argv += ["--seed", _flag_value(rng, ["0", "7"])]
        argv += _set_flags(rng)
    elif cmd == "validate":
        target = rng.choice(["dcid", "axelrod-norms", "axelrod-metanorms", "axelrod-iliev", "nope"])
        argv = ["validate", target]
        if target == "dcid":
            argv += ["--runs", _flag_value(rng, ["1"]), "--steps", _flag_value(rng, ["3", "5"])]
        else:
            argv += ["--runs", _flag_value(rng, ["1"]), "--generations", _flag_value(rng, ["2"])]
        if rng.random() < 0.3:
            argv += ["--seed", _flag_value(rng, ["0", "3"])]
        if rng.random() < 0.3:
            argv += ["--json"]
        argv += _set_flags(rng)
    elif cmd == "scenarios":
        argv = ["scenarios", *rng.choice([[], ["--keys"], ["--nope"], ["x"]])]
    else:
        argv = ["viz"]
        if rng.random() < 0.6:
            argv += ["--scenario", _flag_value(rng, ["baseline", "false_flag", "axelrod_norms"])]
        if rng.random() < 0.6:
            argv += ["--port", _flag_value(rng, ["8765", "0", "65535", "65536", "-1"])]
        if rng.random() < 0.3:
            argv += ["--host", _flag_value(rng, ["127.0.0.1", "::1", "0.0.0.0"])]
    return Case(f"flags-{cmd}", argv)


def gen_junk(rng: random.Random) -> Case:
    """Arguments no command expects."""
    words = [
        "run",
        "sweep",
        "report",
        "rerun",
        "discover",
        "viz",
        "validate",
        "scenarios",
        "--help",
        "--out",
        "--steps",
        "--set",
        "-x",
        "--",
        "calibrate",
        "class",
        *HOSTILE_TEXT[:12],
    ]
    argv = [rng.choice(words) for _ in range(rng.randint(0, 5))]
    if argv[:1] == ["validate"]:  # every target at its full size takes minutes: keep it short
        argv += ["--runs", "1", "--steps", "2", "--generations", "2"]
    return Case("junk", argv)


BATCH_FILES = [
    "manifest.json",
    "journal.jsonl",
    "runs.csv",
    "runs.parquet",
    "design.csv",
    "experiment.toml",
    "timeseries_parts",
    "timeseries.parquet",
    "report.html",
]


def damage(folder: Path, rng: random.Random) -> bool:
    """Damage a copy of a batch folder (or not); True if damaged."""
    if rng.random() < 0.3:
        return False
    for _ in range(rng.randint(1, 2)):
        files = [p for p in folder.rglob("*") if p.is_file()]
        name = rng.choice(BATCH_FILES)
        target = folder / name if rng.random() < 0.7 else rng.choice(files)
        r = rng.random()
        if not target.exists():
            continue
        if target.is_dir():
            shutil.rmtree(target)
            if r < 0.5:
                target.write_text("in the way")
            continue
        if r < 0.25:
            target.unlink()
        elif r < 0.5:
            data = target.read_bytes()
            target.write_bytes(data[: rng.randrange(len(data) + 1)])
        elif r < 0.7:
            target.write_bytes(rng.choice([b"", b"{}", b"[]", b"\xff\xfe", b'{"a": nan}', b"null"]))
        elif r < 0.85:
            target.unlink()
            target.mkdir()
        else:
            with target.open("ab") as fh:
                fh.write(rng.choice([b"{}\n", b'{"run_id": 999}\n', b"junk\n", b"[]\n"]))
    return True


def gen_batch(rng: random.Random, batches: dict[str, Path]) -> Case:
    """report, rerun or discover on a copy of a finished batch, perhaps damaged."""
    which = rng.choice(sorted(batches))
    cmd = rng.choice(["report", "rerun", "discover", "discover"])
    folder = "batch" if rng.random() < 0.95 else rng.choice(["nope", "exp.toml", "/proc", ""])
    if cmd == "report":
        argv = ["report", folder]
    elif cmd == "rerun":
        argv = ["rerun", folder, _flag_value(rng, ["0", "1", "3", "7"])]
    else:
        outcomes = ["incidents", "escalations", "compliance_rate", "violations"]
        argv = ["discover", folder]
        if rng.random() < 0.9:
            argv += ["--outcome", _flag_value(rng, outcomes)]
        r = rng.random()
        if r < 0.3:
            argv += ["--above", _flag_value(rng, ["0", "1", "5"])]
        elif r < 0.6:
            argv += ["--top", _flag_value(rng, ["0.1", "0.5", "1"])]
        elif r < 0.8:
            argv += ["--below", _flag_value(rng, ["3", "10"])]
        if rng.random() < 0.4:
            argv += ["--method", rng.choice(["prim", "cart", "nope", ""])]
        for flag, good in (
            ("--threshold", ["0.5", "0.8"]),
            ("--boxes", ["1", "2"]),
            ("--box", ["0", "1"]),
            ("--depth", ["1", "3"]),
        ):
            if rng.random() < 0.12:
                argv += [flag, _flag_value(rng, good)]
    return Case(f"batch-{cmd}", argv, {"@batch": which.encode()})


# ------------------------------------------------------------ calibrate, targets files, class

RIVALRIES = SCENARIOS / "rivalries_2000_2020.toml"
TARGETS = SCENARIOS / "rivalries_2000_2020.targets.toml"
TARGET_KEYS = ["name", "label", "measure", "observed", "low", "high", "sigma", "source", "role"]
# a number flag's bad values: out of range, not a number, not finite -- never a large valid
# one (a calibration of 1,000 generations is slow, not wrong)
BAD_COUNT = [
    "0",
    "-1",
    "x",
    "",
    "nan",
    "inf",
    "1e999",
    "1.5",
    "9" * 5000,
    "1" * 400,
    "-" + "1" * 4400,
]


def _short_rivalries(steps: int) -> bytes:
    """The calibrated 2000-2020 scenario, cut to a few weeks (a calibration in seconds)."""
    text = RIVALRIES.read_text()
    return text.replace("\nsteps = 1092\n", f"\nsteps = {steps}\n", 1).encode()


def mutate_targets(doc: dict[str, Any], rng: random.Random) -> None:
    """One to three mutations of a parsed targets file: its rows and its head."""
    for _ in range(rng.randint(1, 3)):
        rows = doc.get("target")
        r = rng.random()
        if isinstance(rows, list) and rows and r < 0.55:
            i = rng.randrange(len(rows))
            row = rows[i]
            q = rng.random()
            if not isinstance(row, dict) or q < 0.08:
                rows[i] = hostile(rng)
            elif q < 0.5:
                row[rng.choice([*TARGET_KEYS, "nope"])] = hostile(rng)
            elif q < 0.65:
                row.pop(rng.choice(TARGET_KEYS), None)
            elif q < 0.75:
                rows.append(copy.deepcopy(row))  # a duplicate name
            elif q < 0.85 and isinstance(row.get("low"), (int, float)):
                row["low"], row["high"] = row.get("high"), row["low"]
            else:
                row[rng.choice(["measure", "role"])] = rng.choice(
                    ["share_atlantis", "validation", "calibration", "", "incidents_per_year"]
                )
        elif r < 0.65:
            doc["target"] = rng.choice([[], {}, hostile(rng), [{}]])
        else:
            mutate_doc(
                doc, rng, ["targets.scenario", "targets.description", "targets.nope", "nope"]
            )


def _targets_bytes(rng: random.Random, trim: bool) -> bytes:
    """A targets file: the real one (perhaps cut to the figures a short run can measure),
    mutated most of the time, by its structure or its bytes.
    """
    raw = TARGETS.read_bytes()
    doc = tomllib.loads(raw.decode())
    if trim:  # incidents a year: measurable in a few weeks; the validation rows stay
        doc["target"] = [
            t
            for t in doc["target"]
            if t["name"] == "incidents_per_year" or t["role"] == "validation"
        ]
    r = rng.random()
    if r < 0.25:
        return toml_dumps(doc).encode()
    if r < 0.75:
        mutate_targets(doc, rng)
        return toml_dumps(doc).encode()
    return mutate_bytes(toml_dumps(doc).encode(), rng)


def gen_calibrate(rng: random.Random) -> Case:
    """``calibrate``: a short copy of the calibrated scenario, its targets file (mutated)
    and hostile flags; what is accepted is a calibration of 2 or 3 particles.
    """
    files = {
        "scen.toml": _short_rivalries(rng.choice([20, 30, 40])),
        "rivalries_2000_2020.targets.toml": _targets_bytes(rng, trim=rng.random() < 0.8),
    }
    scen = (
        "scen.toml" if rng.random() < 0.9 else rng.choice(["axelrod_norms", "baseline", "nope", ""])
    )
    good = ["operations.opportunity_rate=0.003:0.012", "attribution.dwell_trend=0:0.3"]
    params = []
    for _ in range(rng.choice([0, 1, 1, 1, 1, 2, 2])):
        if rng.random() < 0.75:
            params.append(rng.choice(good))
        else:
            key = rng.choice([*KEYS, "nope", "", "operations.opportunity_rate"])
            value = rng.choice(
                [*HOSTILE_TEXT, "1:0", "nan:1", "0:inf", "0:1:2", "0.002:0.02", "-1:0.5"]
            )
            params.append(rng.choice([f"{key}={value}", key, f"={value}"]))
    argv = ["calibrate", scen]
    if params:
        argv += ["--params", *params]
    argv += [
        "--population",
        rng.choice(["2", "3"]) if rng.random() < 0.85 else rng.choice(BAD_COUNT),
    ]
    argv += ["--generations", "2" if rng.random() < 0.85 else rng.choice([*BAD_COUNT, "1"])]
    r = rng.random()
    if r < 0.85:
        argv += ["--workers", "1"]
    elif r < 0.93:
        argv += ["--workers", rng.choice(BAD_COUNT)]
    else:
        argv += ["--scheduler", rng.choice(["nope", "", "tcp://", "x" * 300])]
        if rng.random() < 0.5:
            argv += ["--workers", "1"]
    if rng.random() < 0.3:
        argv += ["--seed", _flag_value(rng, ["0", "4", "4294967295", "4294967296"])]
    if rng.random() < 0.25:
        files["t.toml"] = _targets_bytes(rng, trim=True)
        argv += [
            "--targets",
            rng.choice(["t.toml", "t.toml", "nope.toml", "scen.toml", "", "/proc/self/mem"]),
        ]
    argv += [
        "--out",
        "out" if rng.random() < 0.85 else rng.choice(["/proc/x", "scen.toml", "", "a" * 300]),
    ]
    argv += ["--quiet"]
    return Case("calibrate", argv, files)


CALIBRATION_KEYS = [
    "calibration.targets",
    "calibration.fitted",
    "calibration.parameters",
    "calibration.posterior",
    "calibration.weights",
    "calibration.seed",
    "calibration.simulations",
    "calibration.epsilon",
    "calibration.posterior.operations.opportunity_rate",
]


def mutate_calibration(cal: dict[str, Any], rng: random.Random) -> None:
    """A calibration record whose parts disagree (each part well typed)."""
    post, w = cal["posterior"], cal["weights"]
    key = rng.choice(sorted(post))
    q = rng.random()
    if q < 0.2:
        cal["weights"] = [0.0] * len(w)
    elif q < 0.35:
        cal["weights"] = w[: rng.randrange(len(w))]
    elif q < 0.45:
        cal["weights"] = [-1.0, *w[1:]]
    elif q < 0.6:
        post[key] = post[key][: rng.randrange(len(post[key]))]
    elif q < 0.75:
        post[key] = [rng.choice([-5.0, 1e300, 1e9, -0.0]), *post[key][1:]]
    elif q < 0.85:
        post[rng.choice(["nope.key", "states.count", "scenario.steps", "norms.metanorms"])] = [
            1.0
        ] * len(w)
    else:
        cal["parameters"][rng.choice(["nope.key", "states.count"])] = 1.0


def gen_targets(rng: random.Random) -> Case:
    """``validate dcid`` with a mutated targets file (and at times a mutated calibration
    record in the scenario file), a short run.
    """
    scen = _short_rivalries(20)
    r = rng.random()
    if r < 0.3:
        doc = tomllib.loads(scen.decode())
        mutate_doc(doc, rng, CALIBRATION_KEYS)
        scen = toml_dumps(doc).encode()
    elif r < 0.45:  # a record that parses but does not add up: lengths, weights, bounds
        doc = tomllib.loads(scen.decode())
        mutate_calibration(doc["calibration"], rng)
        scen = toml_dumps(doc).encode()
    files = {"scen.toml": scen, "rivalries_2000_2020.targets.toml": _targets_bytes(rng, False)}
    argv = ["validate", "dcid", "--scenario", "scen.toml"]
    if rng.random() < 0.5:
        files["t.toml"] = _targets_bytes(rng, trim=False)
        argv += ["--targets", rng.choice(["t.toml"] * 6 + ["nope.toml", "", "/proc/self/mem"])]
    argv += ["--runs", rng.choice(["1", "1", "2"]), "--steps", str(rng.randint(2, 5))]
    argv += ["--workers", "1"]
    if rng.random() < 0.3:
        argv += ["--json"]
    return Case("targets", argv, files)


def gen_class(rng: random.Random) -> Case:
    """``class``: hostile flags (what is accepted would serve; here it is stopped)."""
    argv = ["class"]
    if rng.random() < 0.6:
        argv += ["--scenario", _flag_value(rng, ["baseline", "false_flag", "axelrod_norms"])]
    if rng.random() < 0.6:
        argv += ["--port", _flag_value(rng, ["8766", "1", "65535", "65536", "0", "-1"])]
    if rng.random() < 0.3:
        argv += ["--host", _flag_value(rng, ["127.0.0.1", "::1", "localhost"])]
    if rng.random() < 0.6:
        argv += ["--out", _flag_value(rng, ["out/class", "debrief", "afile", "/proc/class"])]
    return Case("flags-class", argv, {"afile": b"a file, not a folder\n"})


# ----------------------------------------------------------------------------- campaign

GENERATORS = [
    (0.27, "scenario", gen_scenario),
    (0.20, "experiment", gen_experiment),
    (0.23, "flags", gen_flags),
    (0.14, "batch", None),
    (0.06, "junk", gen_junk),
    (0.04, "calibrate", gen_calibrate),
    (0.04, "targets", gen_targets),
    (0.02, "class", gen_class),
]


def generate(rng: random.Random, batches: dict[str, Path], only: str = "") -> Case:
    """One case from a generator drawn by weight (``only``: those generators, by name)."""
    chosen = [g for g in GENERATORS if not only or g[1] in only.split(",")]
    total = sum(w for w, _, _ in chosen)
    r, acc = rng.random() * total, 0.0
    for weight, _, gen in chosen:
        acc += weight
        if r < acc:
            return gen(rng) if gen is not None else gen_batch(rng, batches)
    return gen_junk(rng)


def warm_up() -> None:
    """Import what the commands import, once: a case that times out in the middle of a first
    import (the app's Solara and matplotlib) would leave the module half made for the rest.
    """
    import experiments.batch  # noqa: F401
    import experiments.calibration  # noqa: F401
    import experiments.discover  # noqa: F401
    import experiments.report  # noqa: F401
    import sim.app.app  # noqa: F401
    import sim.classroom.cli  # noqa: F401
    import sim.validation  # noqa: F401

    with contextlib.suppress(ImportError):  # calibrate's ABC-SMC (the calibration extra)
        import pyabc  # noqa: F401


def make_batches(work: Path) -> dict[str, Path]:
    """Two small finished batches (a world grid and a norms-game lhs) to damage."""
    texts = {
        "world": """[experiment]\nname = "w"\nsteps = 4\nreplicates = 2\nseed = 3
[design]\nmethod = "grid"\n[parameters]\n"states.attribution_skill" = [0.3, 0.8]
"states.vengefulness" = [0.2, 0.6]\n[outcomes]\nincidents = "sum"\nescalations = "sum"\n""",
        "game": """[experiment]\nname = "g"\nscenario = "axelrod_norms"\ngenerations = 3
replicates = 1\n[design]\nmethod = "lhs"\nsamples = 8\n[parameters]
"norms_game.temptation" = { low = 1.0, high = 5.0 }
[outcomes]\nviolations = "sum"\n""",
    }
    out = {}
    for name, text in texts.items():
        exp = work / f"{name}.toml"
        exp.write_text(text)
        folder = work / f"batch-{name}"
        o = invoke(["sweep", str(exp), "--out", str(folder), "--workers", "1", "--quiet"], 300)
        if o.code != 0:
            raise SystemExit(f"cannot make the {name} batch: {o.err or o.escaped}")
        out[name] = folder
    return out


def prepare(case: Case, folder: Path, batches: dict[str, Path], rng: random.Random) -> None:
    """Write the case's files into its folder (a batch copy for batch commands)."""
    folder.mkdir(parents=True)
    for name, data in case.files.items():
        if name == "@batch":
            shutil.copytree(batches[data.decode()], folder / "batch")
            case.damaged = damage(folder / "batch", rng)
        else:
            (folder / name).write_bytes(data)


def save_finding(findings: Path, n: int, case: Case, folder: Path, o: Outcome, v: str) -> None:
    """The case's argv, files and output, to replay it."""
    dest = findings / f"{n:05d}"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(folder, dest, symlinks=True, ignore_dangling_symlinks=True)
    (dest / "case.json").write_text(
        json.dumps(
            {
                "verdict": v,
                "kind": case.kind,
                "argv": case.argv,
                "code": o.code,
                "escaped": o.escaped,
                "stderr": o.err[-4000:],
                "stdout": o.out[-2000:],
            },
            indent=1,
        )
    )


def run_campaign(args: argparse.Namespace) -> int:
    """Generate, run, classify; print counts; exit 1 if any finding."""
    rng = random.Random(args.seed if args.shard is None else f"{args.seed}:{args.shard}")
    first_case = 0 if args.shard is None else args.shard * args.cases
    findings = Path(args.findings).resolve()
    work = Path(tempfile.mkdtemp(prefix="fuzz-cli-"))
    home = os.getcwd()
    counts: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    sub_checked = sub_agree = 0
    first: dict[str, str] = {}
    t_start = time.perf_counter()
    try:
        warm_up()
        batches = make_batches(work)
        for n in range(first_case, first_case + args.cases):
            case = generate(rng, batches, args.only)
            folder = work / f"case-{n}"
            prepare(case, folder, batches, rng)
            sample = bool(args.subprocess_every) and n % args.subprocess_every == 0
            pristine = work / f"case-{n}.inputs"
            if sample:  # the same inputs again: the first run may write outputs
                shutil.copytree(folder, pristine, symlinks=True)
            os.chdir(folder)
            try:
                o = invoke(case.argv)
                v = verdict(case, o)
                if sample and v == "ran" and case.argv[:1] in (["viz"], ["class"]):
                    sample = False  # a real process would now serve until stopped
                    shutil.rmtree(pristine, ignore_errors=True)
                if sample:
                    os.chdir(home)
                    shutil.rmtree(folder)
                    pristine.rename(folder)
                    os.chdir(folder)
                    s = in_subprocess(case.argv, folder)
                    sub_checked += 1
                    sv = verdict(case, s)
                    last = (_lines(s.err) or [""])[-1]
                    mine = (_lines(o.err) or [""])[-1]
                    same = s.code == o.code and (sv == v or {sv, v} <= {"ran", "warning"})
                    if same and o.code == 2:
                        same = last == mine
                    if same:
                        sub_agree += 1
                    else:
                        v = "subprocess-differs"
                        o.err += f"\n--- subprocess exit {s.code}:\n{s.err[-2000:]}"
            finally:
                os.chdir(home)
            counts[v] += 1
            by_kind.setdefault(case.kind, Counter())[v] += 1
            if v not in GOOD:
                save_finding(findings, n, case, folder, o, v)
                first.setdefault(v, f"{findings / f'{n:05d}'}: {' '.join(case.argv)[:160]}")
                if args.verbose:
                    print(f"[{n}] {v}: {case.argv[:6]} {(_lines(o.err) or [''])[-1][:200]}")
            shutil.rmtree(folder, ignore_errors=True)
            if args.progress and (n + 1) % args.progress == 0:
                el = time.perf_counter() - t_start
                print(f"{n + 1} cases, {el:.0f} s: {dict(counts)}", file=sys.stderr, flush=True)
    finally:
        os.chdir(home)
        shutil.rmtree(work, ignore_errors=True)
    if args.shard is not None:  # the parent (--jobs) adds the shards up
        print(
            "SHARD "
            + json.dumps(
                {
                    "counts": counts,
                    "by_kind": by_kind,
                    "sub": [sub_agree, sub_checked],
                    "first": first,
                    "seconds": time.perf_counter() - t_start,
                }
            )
        )
        return 0
    el = time.perf_counter() - t_start
    return report(args, counts, by_kind, sub_agree, sub_checked, first, el)


def report(
    args: argparse.Namespace,
    counts: Counter[str],
    by_kind: dict[str, Counter[str]],
    sub_agree: int,
    sub_checked: int,
    first: dict[str, str],
    el: float,
) -> int:
    """Print the campaign's counts; 1 if there is any finding."""
    total = sum(counts.values())
    bad = total - sum(counts[g] for g in GOOD)
    jobs = f", {args.jobs} processes" if args.jobs > 1 else ""
    print(f"CLI fuzz campaign: {total} cases, seed {args.seed}{jobs}, {el:.0f} s")
    print(f"  accepted and ran:            {counts['ran']}")
    print(f"  refused, exit 2, one line:   {counts['refused']}")
    print(f"  rerun of a damaged batch:    {counts['mismatch']} (exit 1, says what differs)")
    print(f"  findings (crashes etc.):     {bad}")
    for v, c in sorted(counts.items()):
        if v not in GOOD:
            print(f"    {v}: {c}  e.g. {first.get(v, '')}")
    print(f"  through real subprocesses:   {sub_agree} of {sub_checked} agree")
    for kind, c in sorted(by_kind.items()):
        print(f"    {kind:<18} {dict(c)}")
    return 1 if bad else 0


def run_jobs(args: argparse.Namespace) -> int:
    """``--jobs N``: N processes, each a shard of cases/N with its own random stream."""
    per = -(-args.cases // args.jobs)
    t0 = time.perf_counter()
    procs = []
    for k in range(args.jobs):
        argv = [
            sys.executable,
            __file__,
            "--cases",
            str(min(per, args.cases - k * per)),
            "--seed",
            str(args.seed),
            "--shard",
            str(k),
            "--subprocess-every",
            str(args.subprocess_every),
            "--findings",
            args.findings,
            "--progress",
            str(args.progress),
            "--only",
            args.only,
        ] + (["--verbose"] if args.verbose else [])
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, text=True))
    counts: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    sub_agree = sub_checked = 0
    first: dict[str, str] = {}
    for proc in procs:
        out, _ = proc.communicate()
        for line in out.splitlines():
            if line.startswith("SHARD "):
                d = json.loads(line[6:])
                counts.update(d["counts"])
                for kind, c in d["by_kind"].items():
                    by_kind.setdefault(kind, Counter()).update(c)
                sub_agree += d["sub"][0]
                sub_checked += d["sub"][1]
                for v, where in d["first"].items():
                    first.setdefault(v, where)
            else:
                print(line)
        if proc.returncode != 0:
            counts["shard-failed"] += 1
    return report(args, counts, by_kind, sub_agree, sub_checked, first, time.perf_counter() - t0)


def replay(path: Path) -> int:
    """Run one saved finding again, here, and print what happened."""
    case = json.loads((path / "case.json").read_text())
    work = Path(tempfile.mkdtemp(prefix="fuzz-replay-"))
    shutil.copytree(path, work / "c")
    os.chdir(work / "c")
    o = invoke(case["argv"])
    print(f"argv: {case['argv']}\nexit {o.code} {o.escaped}\n--- stderr:\n{o.err}")
    return 0


def main_campaign(argv: list[str] | None = None) -> int:
    """Command line of the campaign."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--subprocess-every", type=int, default=100, help="0: none")
    p.add_argument("--findings", default="fuzz-findings", help="folder for failing cases")
    p.add_argument("--progress", type=int, default=500, help="print counts every N cases")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--replay", default=None, help="a saved finding's folder")
    p.add_argument("--jobs", type=int, default=1, help="processes (each a shard of the cases)")
    p.add_argument("--shard", type=int, default=None, help=argparse.SUPPRESS)
    names = ", ".join(name for _, name, _ in GENERATORS)
    p.add_argument("--only", default="", help=f"comma-separated generators only ({names})")
    args = p.parse_args(argv)
    if args.replay:
        return replay(Path(args.replay))
    if args.jobs > 1 and args.shard is None:
        return run_jobs(args)
    return run_campaign(args)


if __name__ == "__main__":
    sys.exit(main_campaign())
