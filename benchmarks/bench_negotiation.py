"""Speed of one negotiation session (sim/mechanics/negotiation.py), on one core.

Prints milliseconds per session of 6 rounds with a mediator, under each decision rule,
for bodies of 12, 50, 193 (the UN) and 400 members: best of 5 batches of 10 sessions.
The target is under 10 ms for a consensus session of 193 members.

Run: .venv/bin/python benchmarks/bench_negotiation.py
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

from sim.mechanics.negotiation import run_session  # noqa: E402
from sim.scenario import DECISION_RULES, Negotiation  # noqa: E402

K = 11  # the norms of the 2015 GGE report
TARGET_MS = 10.0  # a consensus session of 193 members


def population(rng: np.random.Generator, m: int, k: int = K) -> tuple[np.ndarray, ...]:
    """Random members: ideal, security, sovereignty, expertise, concession exponent."""
    ideal = np.clip(rng.normal(rng.uniform(0.3, 0.7), 0.2, (m, k)), 0, 1)
    security = rng.uniform(0, 0.5, (m, k))
    sovereignty = rng.uniform(0, 1, m)
    expertise = rng.uniform(0, 1, m)
    beta = np.exp(rng.uniform(np.log(0.3), np.log(3.0), m))
    return ideal, security, sovereignty, expertise, beta


def per_session(members: int, rule: str, batches: int = 5, sessions: int = 10) -> float:
    """Best mean seconds per session over `batches` batches of `sessions` sessions."""
    pop = population(np.random.default_rng(0), members)
    rng = np.random.default_rng(0)
    params = Negotiation()
    best = float("inf")
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(sessions):
            run_session(
                *pop,
                rule=rule,
                qualified_majority=0.67,
                rounds=6,
                params=params,
                rng=rng,
                mediator=True,
            )
        best = min(best, (time.perf_counter() - t0) / sessions)
    return best


def main() -> None:
    sizes = (12, 50, 193, 400)
    print("ms per session (6 rounds, mediator), best of 5 x 10 sessions")
    print(f"{'members':>8} " + " ".join(f"{r:>20}" for r in DECISION_RULES))
    for n in sizes:
        row = [per_session(n, rule) * 1000 for rule in DECISION_RULES]
        print(f"{n:>8} " + " ".join(f"{x:>20.3f}" for x in row))
    ms = per_session(193, "consensus") * 1000
    print(f"consensus, 193 members: {ms:.3f} ms per session (target < {TARGET_MS:g} ms)")


if __name__ == "__main__":
    main()
