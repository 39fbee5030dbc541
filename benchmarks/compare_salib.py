"""Our Sobol and Morris estimators against SALib's, on test functions with known answers.

    .venv/bin/python benchmarks/compare_salib.py [--seeds 20]

1. Sobol indices of the Ishigami function (a = 7, b = 0.1; analytic S1 = 0.314, 0.442, 0;
   ST = 0.558, 0.442, 0.244) at equal model evaluations N (d + 2): ours
   (``designs.saltelli_matrices`` + ``analysis.sobol_from_values``, i.e. scipy.stats
   .sobol_indices) against SALib's (``SALib.sample.sobol`` + ``SALib.analyze.sobol``, no
   second order). Printed: mean absolute error of S1 and of ST over the three inputs and
   the seeds, and how often the analytic value lies inside each method's 95 % interval.
2. Morris on a linear function with known slopes (both must recover them exactly) and on
   Ishigami: mu* of both against the exact mu* of the 4-level grid (every elementary
   effect on the grid enumerated: 7.70, 7.88, 6.25), and how often each ranks x3 last (x1
   and x2 are too close for r trajectories to order them reliably).

The numbers recorded in docs/experiments.md ("Sobol and Morris: ours or SALib's") come
from this script.
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np

from experiments import analysis
from experiments.designs import morris_trajectories, saltelli_matrices

S1_TRUE = np.array([0.3139, 0.4424, 0.0])
ST_TRUE = np.array([0.5576, 0.4424, 0.2437])
PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def ishigami(x: np.ndarray) -> np.ndarray:
    """The Ishigami function (a = 7, b = 0.1) of points in [-pi, pi]^3."""
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_unit(u: np.ndarray) -> np.ndarray:
    """Ishigami of points in the unit cube."""
    return ishigami(-np.pi + 2 * np.pi * u)


def sobol_ours(n: int, seed: int) -> dict[str, np.ndarray]:
    """Our Saltelli sample and scipy's estimators (first order Saltelli 2010, total Jansen)."""
    u = saltelli_matrices(3, n, np.random.default_rng(seed))
    r = analysis.sobol_from_values(ishigami_unit(u), n, 3, n_resamples=999, seed=seed)
    return r


def sobol_salib(n: int, seed: int) -> dict[str, np.ndarray]:
    """SALib's Saltelli sample (scrambled Sobol') and its estimators, as low/high bounds."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = sobol_sample.sample(PROBLEM, n, calc_second_order=False, seed=seed)
        s = sobol_analyze.analyze(
            PROBLEM, ishigami(x), calc_second_order=False, num_resamples=999, seed=seed + 1
        )
    return {
        "S1": s["S1"],
        "S1_low": s["S1"] - s["S1_conf"],
        "S1_high": s["S1"] + s["S1_conf"],
        "ST": s["ST"],
        "ST_low": s["ST"] - s["ST_conf"],
        "ST_high": s["ST"] + s["ST_conf"],
    }


def compare_sobol(seeds: int) -> None:
    """Mean absolute errors and interval coverage of both Sobol estimators."""
    print("Sobol on Ishigami (mean abs error over x1..x3 and seeds; 95% interval coverage)")
    print(
        f"{'N':>6} {'evals':>6}  {'method':8} {'S1 err':>7} {'ST err':>7} {'S1 cov':>7} "
        f"{'ST cov':>7} {'time':>6}"
    )
    for n in (64, 256, 1024):
        for name, fn in (("ours", sobol_ours), ("SALib", sobol_salib)):
            e1, et, c1, ct = [], [], [], []
            t = time.perf_counter()
            for seed in range(1, seeds + 1):
                r = fn(n, seed)
                e1.append(np.abs(r["S1"] - S1_TRUE).mean())
                et.append(np.abs(r["ST"] - ST_TRUE).mean())
                c1.append(((r["S1_low"] <= S1_TRUE) & (S1_TRUE <= r["S1_high"])).mean())
                ct.append(((r["ST_low"] <= ST_TRUE) & (ST_TRUE <= r["ST_high"])).mean())
            dt = (time.perf_counter() - t) / seeds
            print(
                f"{n:>6} {n * 5:>6}  {name:8} {np.mean(e1):7.4f} {np.mean(et):7.4f} "
                f"{np.mean(c1):7.0%} {np.mean(ct):7.0%} {dt:5.2f}s"
            )


def exact_mu_star(f, p: int = 4, d: int = 3) -> np.ndarray:
    """mu* over every elementary effect of the p-level grid (step p / (2 (p - 1)))."""
    delta = p / (2 * (p - 1))
    levels = np.arange(p) / (p - 1)
    low = levels[levels + delta <= 1 + 1e-12]
    out = np.empty(d)
    for i in range(d):
        effects = []
        for start in low:
            for rest in itertools.product(levels, repeat=d - 1):
                x = np.insert(np.array(rest), i, start)[None, :]
                x2 = x.copy()
                x2[0, i] += delta
                effects.append(float((f(x2) - f(x))[0]) / delta)
        out[i] = np.mean(np.abs(effects))
    return out


def morris_ours(f, r: int, seed: int) -> dict[str, np.ndarray]:
    """Our trajectories and estimators."""
    pts, order, steps = morris_trajectories(3, r, 4, np.random.default_rng(seed))
    return analysis.morris_from_values(f(pts), order, steps, seed=seed)


def morris_salib(f, r: int, seed: int) -> dict[str, np.ndarray]:
    """SALib's trajectories (no optimisation) and estimators, in the unit cube."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0.0, 1.0]] * 3}
    x = morris_sample.sample(problem, r, num_levels=4, seed=seed)
    s = morris_analyze.analyze(problem, x, f(x), num_levels=4, seed=seed)
    return {"mu": s["mu"], "mu_star": s["mu_star"], "sigma": s["sigma"]}


def compare_morris(seeds: int) -> None:
    """Linear slopes and Ishigami mu* of both Morris implementations."""
    slopes = np.array([3.0, -2.0, 0.5])

    def linear(u: np.ndarray) -> np.ndarray:
        return u @ slopes

    print("\nMorris on a linear function, slopes (3, -2, 0.5) per unit of range, r = 10")
    for name, fn in (("ours", morris_ours), ("SALib", morris_salib)):
        m = fn(linear, 10, 1)
        print(
            f"  {name:6} mu = {np.round(m['mu'], 6)}, mu* = {np.round(m['mu_star'], 6)}, "
            f"sigma = {np.round(m['sigma'], 6)}"
        )
    ref = exact_mu_star(ishigami_unit)
    print(f"\nMorris on Ishigami (4 levels): exact mu* of the grid = {np.round(ref, 3)}")
    print(f"{'r':>4} {'evals':>6}  {'method':8} {'mu* err (rel)':>14} {'x3 last':>10}")
    for r in (10, 50):
        for name, fn in (("ours", morris_ours), ("SALib", morris_salib)):
            errs, right = [], 0
            for seed in range(1, seeds + 1):
                m = fn(ishigami_unit, r, seed)
                errs.append(np.mean(np.abs(m["mu_star"] - ref) / ref))
                right += int(np.argmin(m["mu_star"]) == 2)
            print(f"{r:>4} {r * 4:>6}  {name:8} {np.mean(errs):14.3f} {right:>7}/{seeds}")


def main() -> None:
    """Print both comparisons."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    compare_sobol(args.seeds)
    compare_morris(args.seeds)


if __name__ == "__main__":
    main()
