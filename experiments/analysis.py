"""Numbers from a runs table: means with confidence intervals, paired differences, Sobol
indices and Morris elementary effects.

Every function takes the runs table (one row per run: ``point``, ``replicate``,
``status``, parameter columns, outcome columns) so it can be checked by hand on a small
table. Failed runs are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special


def mean_ci(
    values: np.ndarray | pd.Series, confidence: float = 0.95
) -> tuple[int, float, float, float, float]:
    """(n, mean, sd, low, high): Student-t interval for the mean (NaN bounds when n < 2)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan
    m = float(x.mean())
    if n < 2:
        return n, m, np.nan, np.nan, np.nan
    sd = float(x.std(ddof=1))
    # Student t quantile (scipy.special is light; scipy.stats takes ~1 s to import)
    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * sd / np.sqrt(n)
    return n, m, sd, m - half, m + half


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs that finished without error."""
    return runs[runs["status"] == "ok"]


def point_summary(
    runs: pd.DataFrame, params: list[str], outcomes: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Per design point and outcome: n, mean, sd and the confidence interval over replicates.

    Long format: columns point, *params, outcome, n, mean, sd, ci_low, ci_high.
    """
    rows: list[dict[str, Any]] = []
    good = ok_runs(runs)
    for point, g in good.groupby("point", sort=True):
        first = g.iloc[0]
        for o in outcomes:
            n, m, sd, lo, hi = mean_ci(g[o], confidence)
            rows.append(
                {
                    "point": point,
                    **{p: first[p] for p in params},
                    "outcome": o,
                    "n": n,
                    "mean": m,
                    "sd": sd,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    cols = ["point", *params, "outcome", "n", "mean", "sd", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=cols)


def marginal_summary(
    runs: pd.DataFrame, param: str, outcome: str, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean and CI of an outcome at each value of one parameter (over everything else)."""
    rows = []
    for value, g in ok_runs(runs).groupby(param, sort=True):
        n, m, sd, lo, hi = mean_ci(g[outcome], confidence)
        rows.append({param: value, "n": n, "mean": m, "sd": sd, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=[param, "n", "mean", "sd", "ci_low", "ci_high"])


def paired_differences(
    runs: pd.DataFrame, params: list[str], outcomes: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Each level of each parameter against its first level, paired on common seeds.

    A pair is two runs with the same replicate (so the same seed) and the same values of
    every other parameter; the difference is level minus first level. Columns: parameter,
    level, baseline, outcome, n, mean, sd, ci_low, ci_high.
    """
    good = ok_runs(runs)
    rows = []
    for p in params:
        levels = list(pd.unique(runs[p]))
        if len(levels) < 2 or len(levels) > 20:
            continue
        base = levels[0]
        keys = ["replicate", *[q for q in params if q != p]]
        b = good[good[p] == base].set_index(keys)
        for level in levels[1:]:
            lv = good[good[p] == level].set_index(keys)
            joined = lv[outcomes].merge(
                b[outcomes], how="inner", left_index=True, right_index=True, suffixes=("", "__base")
            )
            for o in outcomes:
                diff = joined[o] - joined[o + "__base"]
                n, m, sd, lo, hi = mean_ci(diff.to_numpy(), confidence)
                rows.append(
                    {
                        "parameter": p,
                        "level": level,
                        "baseline": base,
                        "outcome": o,
                        "n": n,
                        "mean": m,
                        "sd": sd,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    cols = ["parameter", "level", "baseline", "outcome", "n", "mean", "sd", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=cols)


def point_means(runs: pd.DataFrame, outcome: str, points: int) -> np.ndarray:
    """Mean over replicates of an outcome at every design point (NaN where none is ok)."""
    means = ok_runs(runs).groupby("point")[outcome].mean()
    return means.reindex(range(points)).to_numpy(dtype=float)


def sobol_from_values(
    y: np.ndarray, n: int, d: int, confidence: float = 0.95, n_resamples: int = 999, seed: int = 0
) -> dict[str, np.ndarray]:
    """First-order and total Sobol indices, with bootstrap CIs, from Saltelli-ordered values.

    ``y`` holds f(A) (n values), f(B) (n), then f(AB_i) for each i (n each), the order of
    :func:`experiments.designs.saltelli_matrices`. Estimators: Saltelli et al. (2010)
    first order, Jansen total (scipy.stats.sobol_indices).
    """
    f_a = y[:n].reshape(1, n)
    f_b = y[n : 2 * n].reshape(1, n)
    f_ab = y[2 * n :].reshape(d, 1, n)
    from scipy import stats

    res = stats.sobol_indices(
        func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=n, rng=np.random.default_rng(seed)
    )
    boot = res.bootstrap(confidence_level=confidence, n_resamples=n_resamples)
    return {
        "S1": np.asarray(res.first_order).reshape(d),
        "S1_low": np.asarray(boot.first_order.confidence_interval.low).reshape(d),
        "S1_high": np.asarray(boot.first_order.confidence_interval.high).reshape(d),
        "ST": np.asarray(res.total_order).reshape(d),
        "ST_low": np.asarray(boot.total_order.confidence_interval.low).reshape(d),
        "ST_high": np.asarray(boot.total_order.confidence_interval.high).reshape(d),
    }


def sobol_analysis(
    runs: pd.DataFrame,
    info: dict[str, Any],
    params: list[str],
    outcomes: list[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Sobol indices of every outcome (replicates averaged per point first).

    Outcomes with a failed point or no variance are left out.
    """
    n, d = int(info["n"]), int(info["d"])
    cols = ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    return _indices_per_outcome(
        runs,
        params,
        outcomes,
        n * (d + 2),
        cols,
        lambda y: None if np.var(y) == 0 else sobol_from_values(y, n, d, confidence),
    )


def _indices_per_outcome(
    runs: pd.DataFrame,
    params: list[str],
    outcomes: list[str],
    points: int,
    cols: list[str],
    compute: Any,
) -> pd.DataFrame:
    """One row per (outcome, parameter) from `compute(point means) -> {index: (d,) array}`.

    Outcomes with a failed point, or for which `compute` returns None, are left out.
    """
    rows = []
    for o in outcomes:
        y = point_means(runs, o, points)
        r = None if np.isnan(y).any() else compute(y)
        if r is None:
            continue
        for i, p in enumerate(params):
            rows.append({"outcome": o, "parameter": p, **{k: float(r[k][i]) for k in cols}})
    return pd.DataFrame(rows, columns=["outcome", "parameter", *cols])


def morris_from_values(
    y: np.ndarray,
    order: np.ndarray,
    steps: np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Morris (1991) mu, mu* (Campolongo et al. 2007) and sigma from trajectory values.

    ``y`` holds the r trajectories of d + 1 points in order; ``order[t, j]`` is the factor
    moved at step j of trajectory t and ``steps[t, j]`` the signed step in the unit cube.
    mu*'s interval is a percentile bootstrap over trajectories.
    """
    r, d = order.shape
    ee = np.full((r, d), np.nan)
    for t in range(r):
        base = t * (d + 1)
        for j in range(d):
            ee[t, order[t, j]] = (y[base + j + 1] - y[base + j]) / steps[t, j]
    abs_ee = np.abs(ee)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, r, size=(n_resamples, r))
    boot = abs_ee[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    return {
        "mu": ee.mean(axis=0),
        "mu_star": abs_ee.mean(axis=0),
        "sigma": ee.std(axis=0, ddof=1) if r > 1 else np.full(d, np.nan),
        "mu_star_low": np.quantile(boot, alpha, axis=0),
        "mu_star_high": np.quantile(boot, 1 - alpha, axis=0),
    }


def morris_analysis(
    runs: pd.DataFrame,
    info: dict[str, Any],
    params: list[str],
    outcomes: list[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Morris screening of every outcome (replicates averaged per point first)."""
    r, d = int(info["r"]), int(info["d"])
    order, steps = np.asarray(info["order"]), np.asarray(info["steps"], dtype=float)
    cols = ["mu", "mu_star", "sigma", "mu_star_low", "mu_star_high"]
    return _indices_per_outcome(
        runs,
        params,
        outcomes,
        r * (d + 1),
        cols,
        lambda y: morris_from_values(y, order, steps, confidence),
    )


def fan(
    ts: pd.DataFrame, metric: str, quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
) -> pd.DataFrame:
    """Per step: mean and quantiles of a metric across runs (a fan chart's bands)."""
    g = ts.groupby("step")[metric]
    out = g.quantile(list(quantiles)).unstack()
    out.columns = [f"q{int(round(q * 100)):02d}" for q in quantiles]
    out["mean"] = g.mean()
    return out.reset_index()
