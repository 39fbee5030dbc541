"""Speed of the world model: ten years of the baseline, and cost per step against size.

Prints seconds for 520 steps of the baseline (median of 5 seeds), seconds for 520 steps
of a 193-state world, milliseconds per step at 50, 100, 193 and 400 states, and the
fitted exponent of cost per step against the number of states.

First it times a yardstick: ten million additions in a pure Python loop. This machine's
speed changes within minutes (the host's other tenants, not load of our own): on
2026-11-29, with nothing else running, the same commit ran the baseline in a median of
0.575 s with the yardstick at 0.84 s, and in 0.901 s with it at 1.41 s. Compare figures
from different moments only with their yardsticks.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.model import CyberDiplomacyModel  # noqa: E402


def ten_years(overrides: dict, seed: int) -> float:
    t0 = time.perf_counter()
    m = CyberDiplomacyModel("baseline", overrides, rng=seed, steps=520)
    while m.running:
        m.step()
    return time.perf_counter() - t0


def per_step(n: int, steps: int = 156, seed: int = 1) -> float:
    m = CyberDiplomacyModel("baseline", {"states.count": n}, rng=seed, steps=steps + 52)
    for _ in range(52):  # warm up: caches, first sessions
        m.step()
    t0 = time.perf_counter()
    for _ in range(steps):
        m.step()
    return (time.perf_counter() - t0) / steps


def yardstick() -> float:
    """Seconds for ten million additions in a pure Python loop (the machine's speed now)."""
    t0 = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - t0


def main() -> None:
    before = yardstick()
    print(f"yardstick (10 million additions in a Python loop): {before:.2f} s")
    base = [ten_years({}, s) for s in range(5)]
    after = yardstick()
    print(
        f"baseline, 520 steps (10 years): median {statistics.median(base):.3f} s "
        f"(min {min(base):.3f}, max {max(base):.3f}; target < 0.5 s)"
    )
    # the machine's speed moves within minutes: the yardstick again, and the baseline in
    # yardsticks, a figure that compares across moments (0.59 is 0.5 s at a yardstick of 0.85)
    print(
        f"  yardstick after: {after:.2f} s; baseline / yardstick: "
        f"{statistics.median(base) / ((before + after) / 2):.2f}"
    )
    big = ten_years({"states.count": 193}, 0)
    print(f"193 states, 520 steps: {big:.2f} s (target < 2 s)")
    sizes = [50, 100, 193, 400]
    costs = [per_step(n) for n in sizes]
    for n, c in zip(sizes, costs, strict=True):
        print(f"  {n:>4} states: {c * 1000:7.2f} ms per step")
    slope = np.polyfit(np.log(sizes), np.log(costs), 1)[0]
    print(f"cost per step ~ n^{slope:.2f} over {sizes[0]}..{sizes[-1]} states (target <= ~1.3)")


if __name__ == "__main__":
    main()
