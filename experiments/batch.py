"""Plan, run and resume a batch: experiment + design + seeds -> tasks -> evaluator -> store."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.designs import Design, make_design
from experiments.evaluators import Evaluator, make_evaluator
from experiments.runner import RunConfig, Task
from experiments.seeds import replicate_seeds
from experiments.spec import Experiment, load_experiment
from experiments.storage import FIXED, LOCK, STATUS, BatchStore, _part_name, part_is_readable
from sim.errors import UserError
from sim.paths import check_out, safe_name

PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "mesa",
    "dask",
    "distributed",
    "plotly",
    "kaleido",
    "tqdm",
)
PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class Plan:
    """Every run of a batch, derived from the experiment alone (so resume finds the same)."""

    experiment: Experiment
    design: Design
    seeds: list[int]

    @property
    def total(self) -> int:
        """Number of runs."""
        return len(self.design) * self.experiment.replicates

    def config(self) -> RunConfig:
        """What every run shares."""
        exp = self.experiment
        return RunConfig(
            exp.scenario,
            exp.steps,
            tuple((o.name, o.metric, o.aggregate) for o in exp.outcomes),
            tuple(exp.series_metrics),
            tuple(exp.run_metrics),
        )

    def task(self, run_id: int) -> Task:
        """The run with this id: point = run_id // replicates, replicate = run_id % replicates."""
        reps = self.experiment.replicates
        point, rep = divmod(run_id, reps)
        values = self.design.points[point]
        return Task(run_id, point, rep, self.seeds[rep], tuple(values.items()))

    def tasks(self, skip: set[int] | frozenset[int] = frozenset()) -> Iterator[Task]:
        """Tasks in run-id order, lazily (memory stays flat)."""
        for run_id in range(self.total):
            if run_id not in skip:
                yield self.task(run_id)

    def columns(self) -> list[str]:
        """Column order of the runs table."""
        exp = self.experiment
        return [*FIXED, *exp.parameter_names, *STATUS, *exp.outcome_names]

    def design_table(self) -> pd.DataFrame:
        """Design points with their ids."""
        df = pd.DataFrame(self.design.points, columns=self.experiment.parameter_names)
        df.insert(0, "point", range(len(df)))
        return df


def plan(exp: Experiment) -> Plan:
    """The design and the replicate seeds of an experiment."""
    return Plan(exp, make_design(exp), replicate_seeds(exp.seed, exp.replicates))


def versions() -> dict[str, str]:
    """Versions of Python and the packages results depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def git_commit() -> str | None:
    """The project's git commit (with "+dirty" if the tree has changes), or None."""
    if not (PROJECT / "pyproject.toml").is_file():
        return None  # installed from a wheel: site-packages is no checkout of ours
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class BatchResult:
    """What a sweep did."""

    out: Path
    total: int
    ran: int
    skipped: int
    failed: int


def run_batch(
    experiment: str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    quiet: bool = False,
    report: bool = True,
    png: bool = False,
    argv: list[str] | None = None,
    evaluator: Evaluator | None = None,
    allow_large: bool = False,
) -> BatchResult:
    """Run (or continue) a batch and write its folder; every mistake is checked first.

    The folder is locked while the batch runs: a second sweep into it is refused.
    Every distinct design point is loaded (and some built) before any run, and a batch
    too large for this machine is refused unless ``allow_large`` (experiments/preflight.py).
    """
    from experiments.evaluators import default_workers
    from experiments.preflight import check_points, check_size

    exp = load_experiment(experiment)
    out = Path(out) if out is not None else Path("runs") / safe_name(exp.name, "batch")
    the_plan = plan(exp)
    check_size(the_plan, str(experiment), workers or default_workers(), allow_large)
    check_points(the_plan, str(experiment))
    check_out(out)
    with BatchStore(out).locked():
        store = BatchStore(out)
        session = {
            "command": argv if argv is not None else sys.argv,
            "start": _now(),
            "resume": resume,
        }
        if resume:
            if not store.exists():
                raise UserError(str(out), None, "no batch to resume here (no manifest.json)")
            manifest = store.read_manifest()
            if manifest.get("identity") != _jsonable(exp.identity()):
                raise UserError(
                    str(experiment),
                    None,
                    f"differs from the batch in {out} "
                    "(same file, unchanged, is needed to resume; or use another --out)",
                )
        else:
            if store.exists() or (out.is_dir() and any(p.name != LOCK for p in out.iterdir())):
                raise UserError(
                    str(out),
                    None,
                    "already holds a batch: add --resume to continue it, or choose another --out",
                )
            manifest = {
                "experiment": exp.to_dict(),
                "identity": _jsonable(exp.identity()),
                "design": {
                    "method": the_plan.design.method,
                    "points": len(the_plan.design),
                    "runs": the_plan.total,
                    **the_plan.design.info,
                },
                "root_seed": exp.seed,
                "replicate_seeds": the_plan.seeds,
                "columns": the_plan.columns(),
                "versions": versions(),
                "git_commit": git_commit(),
                "start": session["start"],
                "end": None,
                "sessions": [],
            }
            store.write_manifest(manifest)
            store.write_text("experiment.toml", exp.text)
            store.write_text("design.csv", the_plan.design_table().to_csv(index=False))

        done = store.finished()
        for rid in [r for r, row in done.items() if row["status"] == "ok"]:
            part = store.parts / _part_name(rid)
            if part.is_file() and not part_is_readable(part):  # torn or emptied: run it again
                print(f"warning: {part}: damaged; run {rid} is redone", file=sys.stderr)
                part.unlink()
                del done[rid]
        skip = set(done)
        failed = sum(1 for r in done.values() if r["status"] != "ok")
        # the journal opens before any worker exists: a journal that cannot be opened
        # leaves no pool behind holding the folder's lock
        store.open_journal()
        own = evaluator is None
        try:
            ev = evaluator if evaluator is not None else make_evaluator(workers, scheduler)
        except BaseException:  # a refused --scheduler, an unreachable cluster: no open file
            store.close_journal()
            raise

        from tqdm import tqdm

        # no monitor thread: it would outlive the batch, and the next pool could not fork
        tqdm.monitor_interval = 0
        bar = tqdm(
            total=the_plan.total,
            initial=len(skip),
            unit="run",
            disable=quiet,
            desc=exp.name,
            dynamic_ncols=True,
        )
        bar.set_postfix(failed=failed)
        ran = 0
        try:
            session["executor"] = ev.description
            manifest["sessions"].append(session)
            store.write_manifest(manifest)
            for row, series in ev.imap(the_plan.tasks(skip), the_plan.config()):
                store.record(row, series)
                ran += 1
                if row["status"] != "ok":
                    failed += 1
                    bar.set_postfix(failed=failed)
                bar.update()
        except OSError as exc:  # a full disk, a folder made read-only: what is kept, and how on
            raise UserError(
                str(exc.filename or out),
                None,
                f"cannot write ({exc.strerror or exc}); {len(skip) + ran} of {the_plan.total} "
                f"runs are kept in {out}: free the space or fix the folder, then sweep --resume",
            ) from None
        except KeyboardInterrupt:
            bar.close()
            store.close_journal()
            store.write_runs()
            print(
                f"interrupted: {len(skip) + ran} of {the_plan.total} runs kept in {out}; "
                "continue with --resume",
                file=sys.stderr,
            )
            raise
        finally:
            bar.close()
            store.close_journal()
            if own:
                ev.close()
        store.consolidate(expected=the_plan.total)
        session["end"] = _now()
        manifest["end"] = session["end"]
        store.write_manifest(manifest)
        if report:
            from experiments.report import build_report

            build_report(out, quiet=quiet, png=png)
        return BatchResult(out, the_plan.total, ran, len(skip), failed)


def _jsonable(x: Any) -> Any:
    import json

    return json.loads(json.dumps(x))
