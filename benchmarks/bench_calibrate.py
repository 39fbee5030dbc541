"""Calibration benchmark: simulations per second during ABC-SMC, at 1 and 2 workers.

    .venv/bin/python benchmarks/bench_calibrate.py [--population 4] [--generations 2]
        [--workers 1 2] [--steps WEEKS]

Runs ``run_abc`` on the scenario ``rivalries_2000_2020`` (21 years; the same model,
targets and ordered sampler as ``run.py calibrate``) with two free keys, and prints the
simulations run, the wall time and simulations per second for each worker count, and the
speed-up. Generation 0 accepts every prior draw, so each generation after it costs more
simulations than the population. The machine may be shared: the figures are what this
run measured, nothing more.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.calibration import Param, ScenarioModel, run_abc  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.validation.record import targets_for  # noqa: E402

PARAMS = [
    Param("operations.opportunity_rate", 0.003, 0.012),
    Param("attribution.dwell_trend", 0.0, 0.3),
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--population", type=int, default=4)
    p.add_argument("--generations", type=int, default=2)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--steps", type=int, default=None, help="weeks per run (default: 1092)")
    a = p.parse_args()
    overrides = {"scenario.steps": a.steps} if a.steps else {}
    scen = load_scenario("rivalries_2000_2020", overrides)
    targets = targets_for(scen, "rivalries_2000_2020", None)
    model = ScenarioModel(scen, PARAMS, list(targets.targets))
    print(
        f"rivalries_2000_2020, {scen.scenario.steps} weeks a run; population {a.population}, "
        f"{a.generations} generations"
    )
    rates = {}
    for workers in a.workers:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            r = run_abc(
                model,
                PARAMS,
                targets,
                Path(tmp),
                population=a.population,
                generations=a.generations,
                workers=workers,
                seed=1,
                progress=False,
            )
            wall = time.perf_counter() - t0
        rates[workers] = r.simulations / wall
        print(
            f"{workers} worker(s): {r.simulations} simulations in {wall:.1f} s = "
            f"{rates[workers]:.3f} simulations/s"
        )
    if 1 in rates and len(rates) > 1:
        for w, rate in rates.items():
            if w != 1:
                print(f"speed-up at {w} workers: {rate / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
