"""Experiment runner benchmark: overheads, against mesa.batch_run, scaling, memory.

    .venv/bin/python benchmarks/bench_runner.py [--workers 2] [--quick] [--skip-memory]

Prints, each measured in this one run, the figures of the speed targets:

1. fixed overhead: the wall time of ``python run.py sweep`` (16 runs x 52 weeks, report
   included) minus what running the model alone costs (starting Python and importing the
   model, plus the same runs' bare model time divided by the workers); target <= 1 s.
2. per-run overhead: the sweep's cost per run (simulation, outcomes, per-week series,
   Parquet, journal and fsync) against a bare model run (build it, step it, as
   ``CyberDiplomacyModel`` does by default); target <= 10 %.
3. against ``mesa.batch_run``, same runs, seeds and processes, both in this process:
   16 runs x 52 weeks (target >= 1.0x) and 80 runs x 520 weeks (target >= 1.2x).
4. parallel efficiency from 1 to N workers (80 x 520); target >= 95 % at 2 workers.
5. peak memory of a batch of 100 and of 2,000 short runs (memory flat as runs grow).

The machine may be shared: every timing is the best of ``--repeat`` interleaved tries.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def write_exp(folder: Path, steps: int, runs: int) -> Path:
    path = folder / f"bench-{steps}-{runs}.toml"
    path.write_text(EXP.format(steps=steps, reps=runs // 2))
    return path


def sweep(exp: Path, out: Path, workers: int, report: bool = True) -> float:
    from experiments.batch import run_batch

    t = time.perf_counter()
    res = run_batch(exp, out, workers=workers, quiet=True, report=report)
    dt = time.perf_counter() - t
    assert res.failed == 0 and res.ran == res.total
    return dt


def mesa_batch(steps: int, runs: int, workers: int) -> float:
    import mesa

    from experiments.seeds import replicate_seeds
    from sim.model import CyberDiplomacyModel

    t = time.perf_counter()
    results = mesa.batch_run(
        CyberDiplomacyModel,
        parameters={"steps": steps, "states.attribution_skill": [0.2, 0.8]},
        rng=replicate_seeds(1, runs // 2),
        number_processes=workers,
        max_steps=steps,
        data_collection_period=-1,
        display_progress=False,
    )
    dt = time.perf_counter() - t
    assert len(results) == runs, len(results)
    return dt


def bare_runs(steps: int, runs: int) -> list[float]:
    """Seconds of each run of the model alone, built and stepped as by default."""
    from experiments.seeds import replicate_seeds
    from sim.model import CyberDiplomacyModel

    times = []
    for seed in replicate_seeds(1, runs // 2):
        for skill in (0.2, 0.8):
            t = time.perf_counter()
            m = CyberDiplomacyModel("baseline", {"states.attribution_skill": skill}, rng=seed)
            for _ in range(steps):
                m.step()
            times.append(time.perf_counter() - t)
    return times


def paired_runs(steps: int, runs: int) -> tuple[list[float], list[float]]:
    """Each run twice, interleaved in this process: bare model, then as a sweep's worker
    makes it (``execute``: simulation, outcomes, Parquet of its series).
    """
    from experiments.runner import RunConfig, Task, execute
    from experiments.seeds import replicate_seeds
    from sim.model import CyberDiplomacyModel

    cfg = RunConfig(
        "baseline",
        steps,
        (("incidents", "incidents", "sum"), ("mean_trust", "mean_trust", "final")),
        ("incidents", "mean_trust"),
        ("incidents", "mean_trust"),
    )
    bare, swept = [], []
    for i, seed in enumerate(replicate_seeds(1, runs // 2)):
        for skill in (0.2, 0.8):
            t = time.perf_counter()
            m = CyberDiplomacyModel("baseline", {"states.attribution_skill": skill}, rng=seed)
            for _ in range(steps):
                m.step()
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            execute(Task(i, 0, 0, seed, (("states.attribution_skill", skill),)), cfg)
            swept.append(time.perf_counter() - t)
    return bare, swept


def cli_seconds(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def parent_record_seconds(n: int = 200) -> float:
    """Seconds the parent spends storing one finished run (Parquet part, journal, fsync)."""
    from experiments.runner import RunConfig, Task, execute
    from experiments.storage import BatchStore

    cfg = RunConfig(
        "baseline", 52, (("incidents", "incidents", "sum"),), ("incidents",), ("incidents",)
    )
    row, data = execute(Task(0, 0, 0, 1, ()), cfg)
    with tempfile.TemporaryDirectory(dir=ROOT) as d:  # the project's disk, as a sweep's
        store = BatchStore(d)
        store.open_journal()
        t = time.perf_counter()
        for i in range(n):
            store.record(dict(row, run_id=i), data)
        dt = (time.perf_counter() - t) / n
        store.close_journal()
    return dt


def memory_child(runs: int) -> None:
    """Run a batch of `runs` 3-step runs and print peak RSS (MB) of self and children."""
    with tempfile.TemporaryDirectory() as d:
        exp = write_exp(Path(d), steps=3, runs=runs)
        sweep(exp, Path(d) / "out", workers=2)
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
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="best of this many (interleaved)")
    ap.add_argument("--quick", action="store_true", help="32 x 520 instead of 80 x 520")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    w = args.workers
    big = 32 if args.quick else 80
    print(f"baseline scenario, {w} processes, {os.cpu_count()} cores; best of {args.repeat}")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        small, large = write_exp(d, 52, 16), write_exp(d, 520, big)
        sweep(small, d / "warm", w)  # page the libraries in

        # 1 + 2: fixed and per-run overhead, small batch through the command line
        bare_small = min((bare_runs(52, 16) for _ in range(args.repeat)), key=lambda ts: sum(ts))
        t_import = min(cli_seconds(["-c", "import sim.model"]) for _ in range(args.repeat))
        t_cli = float("inf")
        for i in range(args.repeat):
            out = d / f"cli{i}"
            t_cli = min(
                t_cli,
                cli_seconds(
                    [
                        "run.py",
                        "sweep",
                        str(small),
                        "--workers",
                        str(w),
                        "--out",
                        str(out),
                        "--quiet",
                    ]
                ),
            )
        fixed = t_cli - t_import - sum(bare_small) / w
        record = parent_record_seconds()
        pairs = [paired_runs(steps, 16 if steps == 52 else 4) for steps in (52, 520)]
        overheads = [(statistics.median(sw) + record) / statistics.median(b) - 1 for b, sw in pairs]

        # 3 + 4: against mesa.batch_run; 1 -> N workers
        t_mesa_s = t_ours_s = t_mesa_l = t_ours_l = t_one_l = float("inf")
        for i in range(args.repeat):
            t_mesa_s = min(t_mesa_s, mesa_batch(52, 16, w))
            t_ours_s = min(t_ours_s, sweep(small, d / f"s{i}", w))
            t_mesa_l = min(t_mesa_l, mesa_batch(520, big, w))
            t_ours_l = min(t_ours_l, sweep(large, d / f"l{i}", w))
            t_one_l = min(t_one_l, sweep(large, d / f"one{i}", 1))

    print()
    print(f"{'target':54}{'measured':>12}{'goal':>10}")
    print(f"{'1. fixed overhead, sweep CLI 16 x 52 (s)':54}{fixed:12.2f}{'<= 1':>10}")
    print(
        f"   (CLI {t_cli:.2f} s = import model {t_import:.2f} + runs "
        f"{sum(bare_small) / w:.2f} + overhead {fixed:.2f})"
    )
    for (b, sw), steps, ov in zip(pairs, (52, 520), overheads, strict=True):
        label = f"2. per-run overhead vs bare model, {steps} weeks"
        print(f"{label:54}{ov:12.1%}{'<= 10%':>10}")
        print(
            f"   (sweep run {statistics.median(sw) * 1000:.1f} ms + parent {record * 1000:.2f} ms"
            f" vs bare {statistics.median(b) * 1000:.1f} ms, medians, interleaved)"
        )
    print(f"{'3a. vs mesa.batch_run, 16 x 52':54}{t_mesa_s / t_ours_s:11.2f}x{'>= 1.0x':>10}")
    print(f"   (mesa {t_mesa_s:.2f} s, sweep {t_ours_s:.2f} s incl. report)")
    print(f"{f'3b. vs mesa.batch_run, {big} x 520':54}{t_mesa_l / t_ours_l:11.2f}x{'>= 1.2x':>10}")
    print(f"   (mesa {t_mesa_l:.2f} s, sweep {t_ours_l:.2f} s incl. report)")
    eff = t_one_l / t_ours_l / w
    print(f"{f'4. efficiency 1 -> {w} workers, {big} x 520':54}{eff:12.0%}{'>= 95%':>10}")
    print(f"   (1 worker {t_one_l:.2f} s, {w} workers {t_ours_l:.2f} s)")
    if args.skip_memory:
        return
    m100, m2000 = memory(100), memory(2000)
    growth = m2000["parent_mb"] / m100["parent_mb"] - 1
    wgrowth = m2000["worker_mb"] / m100["worker_mb"] - 1
    print(
        f"{'5. peak RSS growth 100 -> 2,000 runs (parent, worker)':54}"
        f"{growth:+6.1%} {wgrowth:+5.1%}{'<= 20%':>10}"
    )
    print(
        f"   (parent {m100['parent_mb']:.0f} -> {m2000['parent_mb']:.0f} MB, "
        f"worker {m100['worker_mb']:.0f} -> {m2000['worker_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
