"""Sweeps on Dask: the cost of connecting, probing and closing, and runs per second.

    .venv/bin/python benchmarks/bench_dask.py [--workers 2] [--runs 80] [--steps 52]

Starts a scheduler and N single-thread workers on 127.0.0.1 (the ordinary ``dask``
commands), then prints: (1) the time to connect to the scheduler, check that every worker
can import the model, and disconnect (target <= 2 s); (2) the same batch run on the local
pool and on Dask, with their runs per second, and whether the results are identical.
Short runs travel several to a Dask task (see experiments/evaluators.py).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

EXP = """[experiment]
name = "bench-dask"
steps = {steps}
replicates = {reps}
seed = 1
[parameters]
"states.attribution_skill" = [0.2, 0.8]
[outcomes]
incidents = "sum"
mean_trust = "final"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(workers: int, folder: Path) -> tuple[str, list[subprocess.Popen]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [
        subprocess.Popen(
            [
                BIN / "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            cwd=folder,
            **quiet,
        )
    ]
    for i in range(workers):
        procs.append(
            subprocess.Popen(
                [
                    BIN / "dask",
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--name",
                    f"w{i}",
                    "--local-directory",
                    str(folder / f"w{i}"),
                ],
                cwd=folder,
                **quiet,
            )
        )
    from distributed import Client

    deadline = time.monotonic() + 90
    while True:
        try:
            with Client(address, timeout=5) as c:
                c.wait_for_workers(workers, timeout=90)
            return address, procs
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=80)
    ap.add_argument("--steps", type=int, default=52)
    args = ap.parse_args()
    import pandas as pd

    from experiments.batch import run_batch
    from experiments.evaluators import DaskEvaluator

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        address, procs = start_cluster(args.workers, d)
        try:
            t = time.perf_counter()
            ev = DaskEvaluator(address)  # connect, and probe that workers import the model
            t_connect = time.perf_counter() - t
            t = time.perf_counter()
            ev.close()
            t_close = time.perf_counter() - t
            exp = d / "exp.toml"
            exp.write_text(EXP.format(steps=args.steps, reps=args.runs // 2))
            t = time.perf_counter()
            run_batch(exp, d / "local", workers=args.workers, quiet=True, report=False)
            t_local = time.perf_counter() - t
            t = time.perf_counter()
            run_batch(exp, d / "dask", scheduler=address, quiet=True, report=False)
            t_dask = time.perf_counter() - t
            cols = ["run_id", "seed", "incidents", "mean_trust"]
            same = pd.read_parquet(d / "local" / "runs.parquet")[cols].equals(
                pd.read_parquet(d / "dask" / "runs.parquet")[cols]
            )
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=20)
    n = args.runs
    print(f"{args.workers} single-thread Dask workers on 127.0.0.1, {os.cpu_count()} cores")
    print(
        f"connect + probe {t_connect:.2f} s, close {t_close:.2f} s: "
        f"{t_connect + t_close:.2f} s (target <= 2 s)"
    )
    print(f"{n} runs x {args.steps} weeks: local pool {n / t_local:.1f} runs/s ({t_local:.2f} s)")
    print(f"{n} runs x {args.steps} weeks: Dask       {n / t_dask:.1f} runs/s ({t_dask:.2f} s)")
    print(f"results identical: {same}")


if __name__ == "__main__":
    main()
