"""Generations per second of Axelrod's classic norms and metanorms game, on one core.

Run: .venv/bin/python benchmarks/bench_norms_game.py [GENERATIONS]
"""

import os

# one core: keep any threaded numpy backend to a single thread
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from sim.mechanics.norms_game import run_classic  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

TARGET = 1000  # generations per second the engine must reach with 20 players


def bench(scenario: str, generations: int, repeats: int = 3) -> float:
    cfg = load_scenario(scenario).norms_game
    best = float("inf")
    for seed in range(repeats):
        t0 = time.perf_counter()
        run_classic(cfg, np.random.default_rng(seed), generations)
        best = min(best, time.perf_counter() - t0)
    return generations / best


def main() -> int:
    generations = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    ok = True
    for scenario in ("axelrod_norms", "axelrod_metanorms"):
        rate = bench(scenario, generations)
        ok &= rate >= TARGET
        print(f"{scenario:<18} {rate:>9,.0f} generations/s (20 players, target {TARGET:,})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
