"""Experiment runner benchmark: against mesa.batch_run, scaling, and memory.

    .venv/bin/python benchmarks/bench_runner.py [--reps 40] [--steps 52] [--workers 2]

Prints (1) runs per second of `run.py sweep`'s engine and of mesa.batch_run on the same
runs (same model, seeds, steps and number of processes) and their ratio; (2) the speed-up
from 1 to N workers and the parallel efficiency; (3) peak memory (RSS of the parent and of
the largest worker, each measured in a fresh process) of a batch of 100 and of 2,000 short
runs. Targets: ratio >= 1, efficiency > 90 %, memory at 2,000 within 20 % of that at 100.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EXPERIMENTS_PNG", "0")

EXP = """[experiment]
name = "bench"
steps = {steps}
replicates = {reps}
seed = 1
[parameters]
"states.attribution_skill" = [0.2, 0.8]
[outcomes]
incidents = "sum"
mean_trust = "final"
"""


def write_exp(folder: Path, steps: int, reps: int) -> Path:
    path = folder / "bench.toml"
    path.write_text(EXP.format(steps=steps, reps=reps))
    return path


def ours(exp: Path, out: Path, workers: int) -> float:
    from experiments.batch import run_batch

    t = time.perf_counter()
    res = run_batch(exp, out, workers=workers, quiet=True, report=False)
    dt = time.perf_counter() - t
    assert res.failed == 0 and res.ran == res.total
    return dt


def mesa_batch(steps: int, reps: int, workers: int, period: int = -1) -> float:
    import mesa

    from experiments.seeds import replicate_seeds
    from sim.model import CyberDiplomacyModel

    t = time.perf_counter()
    results = mesa.batch_run(
        CyberDiplomacyModel,
        parameters={"steps": steps, "states.attribution_skill": [0.2, 0.8]},
        rng=replicate_seeds(1, reps),
        number_processes=workers,
        max_steps=steps,
        data_collection_period=period,
        display_progress=False,
    )
    dt = time.perf_counter() - t
    # one row per run, or per collected step of each run
    assert len(results) == 2 * reps * (steps if period == 1 else 1), len(results)
    return dt


def memory_child(runs: int) -> None:
    """Run a batch of `runs` 3-step runs and print peak RSS (MB) of self and children."""
    with tempfile.TemporaryDirectory() as d:
        exp = write_exp(Path(d), steps=3, reps=runs // 2)
        ours(exp, Path(d) / "out", workers=2)
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"parent_mb": me, "worker_mb": kids}))


def memory(runs: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(runs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=40, help="replicates per level (2 levels)")
    ap.add_argument("--steps", type=int, default=52)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=2, help="best of this many (interleaved)")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    n = 2 * args.reps
    w = args.workers
    print(
        f"runs: {n} x {args.steps} steps, baseline scenario, {w} processes ({os.cpu_count()} cores)"
    )
    with tempfile.TemporaryDirectory() as d:
        exp = write_exp(Path(d), args.steps, args.reps)
        ours(exp, Path(d) / "warm", w)  # warm caches, page in the libraries
        # interleaved, best of `repeat`: the machine may be shared with other work
        t_mesa = t_mesa_all = t_ours = t_one = float("inf")
        for i in range(args.repeat):
            t_mesa = min(t_mesa, mesa_batch(args.steps, args.reps, w))
            t_mesa_all = min(t_mesa_all, mesa_batch(args.steps, args.reps, w, period=1))
            t_ours = min(t_ours, ours(exp, Path(d) / f"a{i}", w))
            t_one = min(t_one, ours(exp, Path(d) / f"b{i}", 1))
    print(f"mesa.batch_run      {n / t_mesa:8.1f} runs/s  ({t_mesa:.2f} s, final step only)")
    print(
        f"mesa.batch_run      {n / t_mesa_all:8.1f} runs/s  ({t_mesa_all:.2f} s, every step, "
        "in memory: the same data the sweep stores)"
    )
    print(
        f"experiments sweep   {n / t_ours:8.1f} runs/s  ({t_ours:.2f} s, incl. Parquet "
        "journal, fsync, consolidation)"
    )
    print(f"ratio sweep/mesa    {t_mesa / t_ours:8.2f}x  against final-step-only (target >= 1)")
    print(f"ratio sweep/mesa    {t_mesa_all / t_ours:8.2f}x  against every-step collection")
    print(f"1 worker            {n / t_one:8.1f} runs/s  ({t_one:.2f} s)")
    speedup = t_one / t_ours
    print(f"speed-up 1->{w}       {speedup:8.2f}x  efficiency {speedup / w:.0%} (target > 90%)")
    if args.skip_memory:
        return
    m100 = memory(100)
    m2000 = memory(2000)
    for label, m in (("100 runs", m100), ("2,000 runs", m2000)):
        print(
            f"peak RSS {label:10}  parent {m['parent_mb']:7.1f} MB   largest worker "
            f"{m['worker_mb']:7.1f} MB"
        )
    growth = m2000["parent_mb"] / m100["parent_mb"] - 1
    wgrowth = m2000["worker_mb"] / m100["worker_mb"] - 1
    print(f"growth 100->2,000   parent {growth:+.1%}, worker {wgrowth:+.1%} (target within 20%)")


if __name__ == "__main__":
    main()
