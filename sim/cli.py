"""The one command line: ``python run.py COMMAND ...`` (also installed as ``cyberdiplomacy``).

Parsing lives here; the work lives in the library. Mistakes a user can make end with one
line ``error: FILE: key: what was expected`` and exit code 2; anything unexpected exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from sim.errors import UserError

# command -> "module:function"; imported lazily so `run.py run` never loads the app or Dask.
HANDLERS: dict[str, str] = {
    "run": "sim.commands:cmd_run",
    "scenarios": "sim.commands:cmd_scenarios",
    "validate": "sim.validation:cmd_validate",
    "calibrate": "experiments.calibration:cmd_calibrate",
    "sweep": "experiments.cli:cmd_sweep",
    "report": "experiments.cli:cmd_report",
    "rerun": "experiments.cli:cmd_rerun",
    "discover": "experiments.cli:cmd_discover",
    "viz": "sim.app.cli:cmd_viz",
    "class": "sim.classroom.cli:cmd_class",
}


class _Parser(argparse.ArgumentParser):
    """argparse with mistakes in one line (and a pointer to --help), exit code 2."""

    def error(self, message: str) -> NoReturn:  # noqa: D102
        self.exit(2, f"error: {self.prog}: {_cut(message)} (see {self.prog} --help)\n")


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _upto(most: int) -> Callable[[str], int]:
    """An integer flag at most ``most`` (lower bounds are the commands' own checks)."""

    def integer(text: str) -> int:
        try:
            value = int(text)
        except ValueError:  # also a number of 4,300+ digits
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {_cut(text, 40)!r}"
            ) from None
        if value > most:
            raise argparse.ArgumentTypeError(
                f"expected an integer <= {most:,}, got {_cut(text, 40)}"
            )
        return value

    return integer


def _finite(text: str) -> float:
    """A real-number flag: finite (no nan, no inf)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {_cut(text, 40)!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {_cut(text, 40)}")
    return value


STEPS = _upto(100_000)  # the scenario key's own bound (scenario.steps)
GENERATIONS = _upto(1_000_000)  # norms_game.generations
SEED = _upto(2**63 - 1)
COUNT = _upto(100_000)  # runs, workers, boxes, depth, a run id


def build_parser() -> argparse.ArgumentParser:
    """All commands and their flags."""
    p = _Parser(
        prog="run.py",
        description="Cyber diplomacy simulation: scenarios, validation, sweeps and the app.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    r = sub.add_parser("run", help="run one scenario and write its series, events and charts")
    r.add_argument(
        "scenario",
        nargs="?",
        default="baseline",
        help="built-in scenario name or path to a .toml file (default: baseline)",
    )
    r.add_argument(
        "--steps", type=STEPS, default=None, help="weeks to run (default: the scenario's)"
    )
    r.add_argument(
        "--generations",
        type=GENERATIONS,
        default=None,
        help="generations to play, for norms-game scenarios (default: the scenario's)",
    )
    r.add_argument("--seed", type=SEED, default=0, help="random seed (default: 0)")
    r.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value by dotted key, e.g. states.attribution_skill=0.8",
    )
    r.add_argument("--out", default=None, help="output folder (default: out/SCENARIO)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument(
        "--allow-large",
        action="store_true",
        help="run even if steps x states (or the memory) is too large for this machine",
    )

    s = sub.add_parser("scenarios", help="list the built-in scenarios")
    s.add_argument("--keys", action="store_true", help="list every scenario key with its default")

    v = sub.add_parser("validate", help="run validation targets: measured against published")
    v.add_argument("target", nargs="?", default="all", help="target name, or 'all' (default)")
    v.add_argument("--runs", type=COUNT, default=None, help="independent runs (seeds)")
    v.add_argument(
        "--generations", type=GENERATIONS, default=None, help="generations (Axelrod targets)"
    )
    v.add_argument("--steps", type=STEPS, default=None, help="weeks per run (world targets)")
    v.add_argument("--seed", type=SEED, default=0, help="root seed (default: 0)")
    v.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value by dotted key",
    )
    v.add_argument("--json", action="store_true", help="print JSON instead of a table")
    v.add_argument(
        "--scenario",
        default=None,
        help="record subjects (dcid): a scenario file instead, e.g. a calibrated one",
    )
    v.add_argument(
        "--targets",
        default=None,
        help="record subjects (dcid): a targets file (default: the scenario's)",
    )
    v.add_argument(
        "--workers", type=COUNT, default=None, help="local processes (default: all cores)"
    )

    c = sub.add_parser(
        "calibrate", help="fit scenario keys to a targets file's calibration figures (ABC-SMC)"
    )
    c.add_argument("scenario", help="built-in scenario name or path to a .toml file")
    c.add_argument("--targets", default=None, help="targets file (default: the scenario's)")
    c.add_argument(
        "--params",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="keys to fit, each with its uniform prior range",
    )
    c.add_argument("--population", type=COUNT, default=None, help="particles per generation")
    c.add_argument("--generations", type=COUNT, default=None, help="ABC-SMC generations")
    c.add_argument(
        "--workers", type=COUNT, default=None, help="local processes (default: all cores)"
    )
    c.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT")
    c.add_argument("--seed", type=SEED, default=0, help="root seed (default: 0)")
    c.add_argument("--out", default=None, help="output folder (default: calibrations/SCENARIO)")
    c.add_argument("--quiet", action="store_true", help="no progress bar")

    w = sub.add_parser("sweep", help="run an experiment file (a batch of runs)")
    w.add_argument("experiment", help="experiment TOML file, or an example's name")
    w.add_argument(
        "--workers", type=COUNT, default=None, help="local processes (default: all cores)"
    )
    w.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT")
    w.add_argument("--out", default=None, help="output folder (default: runs/NAME)")
    w.add_argument("--resume", action="store_true", help="continue an interrupted batch")
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    w.add_argument("--png", action="store_true", help="also write the charts as PNG (slower)")
    w.add_argument(
        "--allow-large",
        action="store_true",
        help="run a batch larger than this machine comfortably holds (refused otherwise)",
    )

    rep = sub.add_parser("report", help="rebuild the report of a finished or partial batch")
    rep.add_argument("dir", help="batch output folder")
    rep.add_argument("--png", action="store_true", help="also write the charts as PNG (slower)")

    rr = sub.add_parser("rerun", help="re-run one run of a batch and check it matches")
    rr.add_argument("dir", help="batch output folder")
    rr.add_argument("run_id", help="the run id (from runs.csv)")

    d = sub.add_parser(
        "discover",
        help="scenario discovery on a batch: which parameters give the cases (PRIM, CART)",
    )
    d.add_argument("dir", help="batch output folder (finished or partial)")
    d.add_argument("--outcome", default=None, help="the outcome that defines the cases of interest")
    d.add_argument("--above", type=_finite, default=None, metavar="X", help="cases: outcome > X")
    d.add_argument("--below", type=_finite, default=None, metavar="X", help="cases: outcome < X")
    d.add_argument(
        "--top", type=_finite, default=None, metavar="Q", help="cases: the top Q share, e.g. 0.1"
    )
    d.add_argument("--method", default="prim", help="prim (default) or cart")
    d.add_argument(
        "--threshold",
        type=_finite,
        default=None,
        help="PRIM: the density a reported box should reach (default: 0.8)",
    )
    d.add_argument(
        "--boxes",
        type=COUNT,
        default=None,
        help="PRIM: boxes to find, one after another (default: 1)",
    )
    d.add_argument("--box", type=COUNT, default=None, help="PRIM: report this trajectory box id")
    d.add_argument("--depth", type=COUNT, default=None, help="CART: tree depth (default: 3)")

    z = sub.add_parser("viz", help="serve the classroom app in the browser")
    z.add_argument("--scenario", default="baseline", help="scenario shown first")
    z.add_argument("--host", default="127.0.0.1", help="address to serve on (default: loopback)")
    z.add_argument("--port", type=COUNT, default=8765, help="port (default: 8765)")

    c = sub.add_parser("class", help="serve the classroom exercise: students play, you run it")
    c.add_argument("--scenario", default="baseline", help="scenario offered first")
    c.add_argument("--host", default="127.0.0.1", help="address to serve on (default: loopback)")
    c.add_argument("--port", type=COUNT, default=8766, help="port (default: 8766)")
    c.add_argument("--out", default="out/class", help="debrief folder (default: out/class)")
    return p


def _handler(command: str) -> Callable[[argparse.Namespace], int | None]:
    module, func = HANDLERS[command].split(":")
    return getattr(importlib.import_module(module), func)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        code = _handler(args.command)(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # an unexpected failure: show it, exit 1
        traceback.print_exc()
        return 1
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
