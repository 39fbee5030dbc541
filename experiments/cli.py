"""The ``sweep``, ``report``, ``rerun`` and ``discover`` commands (parsed in sim/cli.py)."""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Iterator
from pathlib import Path

from experiments.storage import BatchStore
from sim.errors import UserError, excerpt


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run an experiment file; ``--resume`` continues an interrupted batch."""
    from experiments.batch import run_batch

    if args.workers is not None and args.workers < 1:
        raise UserError("--workers", None, f"expected a positive number, got {args.workers}")
    from experiments.evaluators import default_workers

    most = 4 * default_workers()  # each worker is a whole Python process with a model
    if args.workers is not None and args.workers > most and not args.allow_large:
        raise UserError(
            "--workers",
            None,
            f"expected at most {most} (4 x the {default_workers()} cores here), "
            f"got {args.workers}; add --allow-large to start them anyway",
        )
    if args.scheduler is not None:
        from experiments.evaluators import check_scheduler

        check_scheduler(args.scheduler)
    try:
        res = run_batch(
            args.experiment,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            quiet=args.quiet,
            png=args.png,
            allow_large=args.allow_large,
        )
    except OSError as exc:  # a full disk, a folder that became unwritable, a file in the way
        where = exc.filename or args.out or "the batch folder"
        raise UserError(
            str(where),
            None,
            f"cannot write ({exc.strerror or exc}); finished runs are kept in the journal: "
            "free the space or fix the folder, then --resume",
        ) from None
    print(
        f"{res.out}: {res.total} runs ({res.ran} now, {res.skipped} before), "
        f"{res.failed} failed; report: {res.out / 'report.html'}"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Rebuild report.html (and the consolidated tables) of a finished or partial batch."""
    from experiments.report import build_report

    with folder_faults(args.dir):
        path = build_report(args.dir, png=args.png)
    print(path)
    return 0


@contextlib.contextmanager
def folder_faults(folder: str | Path) -> Iterator[None]:
    """A batch folder that cannot be read or written (a file damaged, a folder in the way,
    a full disk) ends in one line; the journal keeps every finished run.
    """
    import pandas as pd
    import pyarrow as pa

    try:
        yield
    except OSError as exc:
        raise UserError(
            str(exc.filename or folder),
            None,
            f"cannot read or write ({exc.strerror or exc}); the journal keeps every finished "
            "run: fix the folder (or free space), then run this again",
        ) from None
    except (pa.ArrowException, pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise UserError(
            str(folder),
            None,
            f"a table of this batch is damaged ({excerpt(str(exc), 100)}); "
            "sweep --resume redoes the runs it held",
        ) from None


def cmd_rerun(args: argparse.Namespace) -> int:
    """Re-run one run of a batch; print match or mismatch (exit 1) against the stored row."""
    with folder_faults(args.dir):
        return _rerun(args)


def _rerun(args: argparse.Namespace) -> int:
    from experiments.batch import plan
    from experiments.runner import execute
    from experiments.spec import Experiment

    store = BatchStore(args.dir)
    manifest = store.read_manifest()
    try:
        run_id = int(args.run_id)
    except ValueError:
        raise UserError(
            "rerun", "RUN_ID", f"expected an integer run id, got {args.run_id!r}"
        ) from None
    exp = Experiment.from_dict(manifest["experiment"])
    the_plan = plan(exp)
    if not 0 <= run_id < the_plan.total:
        raise UserError(str(args.dir), "run_id", f"expected 0..{the_plan.total - 1}, got {run_id}")
    stored = store.finished().get(run_id)
    if stored is None:
        raise UserError(str(args.dir), "run_id", f"run {run_id} has not finished in this batch")
    row, _ = execute(the_plan.task(run_id), the_plan.config())
    names = ["seed", "status", *exp.parameter_names, *exp.outcome_names]
    bad = [n for n in names if not _same(row.get(n), stored.get(n))]
    for n in names:
        mark = "" if n not in bad else "   <-- differs"
        print(f"{n:32} stored {stored.get(n)!r:>24}  rerun {row.get(n)!r:>24}{mark}")
    if bad:
        print(f"mismatch: run {run_id} differs in {', '.join(bad)}")
        from experiments.batch import git_commit

        then, now = manifest.get("git_commit"), git_commit()
        if then != now:
            print(
                f"note: the batch ran at commit {then}; the code is now at {now}, "
                "and a change to the model since then can explain the difference"
            )
        return 1
    print(f"match: run {run_id} reproduces its stored outcomes exactly")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """Scenario discovery (PRIM or CART) on a batch; writes JSON, HTML and the report."""
    if args.outcome is None:
        raise UserError("discover", "--outcome", "expected the outcome that defines the cases")
    if args.method not in ("prim", "cart"):
        raise UserError("discover", "--method", f"expected prim or cart, got {args.method!r}")
    if args.method == "cart":
        for flag, value in (
            ("--threshold", args.threshold),
            ("--boxes", args.boxes),
            ("--box", args.box),
        ):
            if value is not None:
                raise UserError("discover", flag, "is a PRIM option; drop it with --method cart")
    elif args.depth is not None:
        raise UserError("discover", "--depth", "is a CART option; drop it or add --method cart")
    if args.box is not None and args.boxes not in (None, 1):
        raise UserError("discover", "--box", "picks a box of the first trajectory: use --boxes 1")
    with folder_faults(args.dir):
        return _discover(args)


def _discover(args: argparse.Namespace) -> int:
    from experiments.discover import DEFAULT_DEPTH, DEFAULT_THRESHOLD, discover, summary
    from experiments.report import build_report

    result = discover(
        args.dir,
        args.outcome,
        above=args.above,
        below=args.below,
        top=args.top,
        method=args.method,
        threshold=DEFAULT_THRESHOLD if args.threshold is None else args.threshold,
        boxes=1 if args.boxes is None else args.boxes,
        box=args.box,
        depth=DEFAULT_DEPTH if args.depth is None else args.depth,
    )
    print(summary(result))
    print(f"report: {build_report(args.dir)}")
    return 0


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
