"""Validation targets ``axelrod-norms`` and ``axelrod-metanorms``: the classic game.

Axelrod, R. (1986) An Evolutionary Approach to Norms. APSR 80(4):1095-1111, re-run many
times with :func:`sim.mechanics.norms_game.run_classic` from the built-in scenarios
``axelrod_norms`` and ``axelrod_metanorms``; outcomes are classified with Galán &
Izquierdo's (2005, JASSS 8(3)2) definitions (established: mean B <= 2/7 and mean
V >= 5/7; collapsed: mean B >= 6/7 and mean V <= 1/7).

Published outcomes: in the norms game the norm collapses; in the metanorms game "in all
five runs a norm against defection was established" (100 generations). Galán &
Izquierdo showed the result depends on the horizon, so the norms game is judged over
1,000 generations by default and both targets also report the shares at Axelrod's
horizon of 100 generations. The pass bands come from 1,000 seeds of this engine
(see docs/ODD.md, the classic norms game):

* norms, 1,000 generations: collapsed in about 96% of runs, established in about 0%
  (at 100 generations: collapsed about 14%, established about 3%, the rest on the way);
* metanorms, 100 generations: established in about 95% of runs, collapsed in none.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from sim.mechanics.norms_game import classify, run_classic
from sim.scenario import load_scenario, parse_assignments

AXELROD_HORIZON = 100

# target -> scenario, default runs and generations, published outcome, pass band
SPECS: dict[str, dict[str, Any]] = {
    "axelrod-norms": {
        "scenario": "axelrod_norms",
        "runs": 50,
        "generations": 1000,
        "published": "norms game: the norm collapses (boldness falls, then vengefulness "
        "falls, then boldness rises) (Axelrod 1986)",
        "band": "collapsed share >= 0.80 and established share <= 0.10",
    },
    "axelrod-metanorms": {
        "scenario": "axelrod_metanorms",
        "runs": 50,
        "generations": AXELROD_HORIZON,
        "published": "metanorms game: a norm against defection was established in 5 of 5 "
        "runs at 100 generations (Axelrod 1986)",
        "band": "established share >= 0.80 and collapsed share <= 0.05",
    },
}


def _passed(target: str, established: float, collapsed: float) -> bool:
    if target == "axelrod-norms":
        return collapsed >= 0.80 and established <= 0.10
    return established >= 0.80 and collapsed <= 0.05


def _shares(labels: list[str]) -> dict[str, float]:
    n = max(len(labels), 1)
    return {k: labels.count(k) / n for k in ("established", "collapsed", "neither")}


def run(target: str, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Run the classic game ``runs`` times from seeds spawned from ``args.seed``."""
    spec = SPECS[target]
    runs = getattr(args, "runs", None) or spec["runs"]
    generations = getattr(args, "generations", None) or spec["generations"]
    root = getattr(args, "seed", None)
    root = 0 if root is None else root
    overrides = parse_assignments(getattr(args, "overrides", None))
    cfg = load_scenario(spec["scenario"], overrides).norms_game

    horizons = sorted({h for h in (AXELROD_HORIZON, generations) if h <= generations})
    per_horizon: dict[int, list[str]] = {h: [] for h in horizons}
    records = []
    for child in np.random.SeedSequence(root).spawn(runs):
        # one integer per run, so any run can be re-run alone: default_rng(seed)
        seed = int(child.generate_state(1, np.uint64)[0])
        df = run_classic(cfg, np.random.default_rng(seed), generations)
        b = df["mean_boldness"].to_numpy()
        v = df["mean_vengefulness"].to_numpy()
        for h in horizons:
            per_horizon[h].append(classify(b[h - 1], v[h - 1], cfg))
        records.append(
            {
                "seed": seed,
                "mean_boldness": float(b[-1]),
                "mean_vengefulness": float(v[-1]),
                "outcome": per_horizon[generations][-1],
            }
        )
    final = _shares(per_horizon[generations])
    return {
        "target": target,
        "scenario": spec["scenario"],
        "metanorms": cfg.metanorms,
        "root_seed": root,
        "generations": generations,
        "runs": records,
        "established_share": final["established"],
        "collapsed_share": final["collapsed"],
        "neither_share": final["neither"],
        "mean_boldness": float(np.mean([r["mean_boldness"] for r in records])),
        "mean_vengefulness": float(np.mean([r["mean_vengefulness"] for r in records])),
        "by_horizon": {str(h): _shares(per_horizon[h]) for h in horizons},
        "published": spec["published"],
        "band": spec["band"],
        "passed": _passed(target, final["established"], final["collapsed"]),
    }


def table(result: dict[str, Any]) -> str:
    """Measured outcome shares against the published outcome."""
    lines = [
        f"{result['target']}: Axelrod (1986) APSR 80:1095, outcomes as in Galán & Izquierdo "
        "(2005) JASSS 8(3)2",
        f"published: {result['published']}",
        f"measured over {len(result['runs'])} runs (root seed {result['root_seed']}):",
        f"{'generation':>10} {'established':>12} {'collapsed':>10} {'neither':>8}",
    ]
    for h, s in result["by_horizon"].items():
        lines.append(
            f"{h:>10} {s['established']:>12.0%} {s['collapsed']:>10.0%} {s['neither']:>8.0%}"
        )
    lines.append(
        f"final mean boldness {result['mean_boldness']:.2f}, "
        f"mean vengefulness {result['mean_vengefulness']:.2f}"
    )
    verdict = "PASS" if result["passed"] else "FAIL"
    lines.append(f"band at generation {result['generations']}: {result['band']}: {verdict}")
    return "\n".join(lines)
