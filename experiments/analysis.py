"""Numbers from a runs table: means with confidence intervals, paired differences, Sobol
indices, Morris elementary effects, and SALib's delta and PAWN indices.

Every ``*_analysis`` function takes the runs table (one row per run: ``point``,
``replicate``, ``status``, parameter columns, outcome columns) so it can be checked by hand
on a small table; the ``*_from_values`` functions take the design's values and the
outcome at each point. Failed runs are left out.
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
    import warnings

    from scipy import stats

    with warnings.catch_warnings():
        # an outcome that does not vary (variance 0) has no indices: NaN, said in the
        # report, not a screenful of RuntimeWarning and DegenerateDataWarning
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
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


# ------------------------------------------------------- SALib: delta and PAWN on a sample

# methods of ``[design] analysis`` (SALib, on a random sample of the input space), and the
# designs whose points (or part of them) are such a sample
SAMPLE_METHODS = ("delta", "pawn")
MIN_SAMPLE_POINTS = 50
PAWN_SLIDES = 10


def sample_points(design: dict[str, Any]) -> int:
    """How many leading design points form a random sample of the input space.

    lhs: every point; sobol: the base matrices A and B (2N points; the AB_i rows repeat
    their columns and are left out); 0 for designs that are not random (grid, morris).
    """
    method = design.get("method")
    if method == "lhs":
        return int(design.get("samples", design.get("points", 0)))
    if method == "sobol":
        return 2 * int(design["n"])
    return 0


def salib_problem(parameters: list[Any]) -> dict[str, Any]:
    """SALib's problem dict: names and bounds of the swept parameters, in the units of
    :func:`encode_inputs`: a float range ``[low, high]``, an integer range ``[low - 0.5,
    high + 0.5]``, a list of k levels ``[0.5, k + 0.5]``. Delta and PAWN do not use the
    bounds; they are there for SALib's other functions.
    """
    bounds = []
    for p in parameters:
        if p.levels is not None:
            bounds.append([0.5, len(p.levels) + 0.5])
        elif p.kind == "int":
            bounds.append([float(p.low) - 0.5, float(p.high) + 0.5])
        else:
            bounds.append([float(p.low), float(p.high)])
    return {"num_vars": len(parameters), "names": [p.name for p in parameters], "bounds": bounds}


def encode_inputs(points: pd.DataFrame, parameters: list[Any]) -> np.ndarray:
    """The design points as SALib's input matrix X (one row per point, in point order).

    A float range keeps its values. A list of levels is coded by position, 1 to k
    (false/true are 1/2; ``["consensus", "qualified_majority", "silence"]`` 1/2/3), an
    integer range by its value; then, as these have ties, the points sharing a code are
    spread evenly over ``code - 0.5`` to ``code + 0.5`` in the order of the design points
    (a random order in a Latin hypercube). Delta and PAWN read an input only through its
    ranks and quantiles, so the spread changes nothing but this: every level gets its
    share of PAWN's slides, where tied codes would give one slide per level and none to the
    last (SALib's slides are ``q_s <= x < q_s+1``, which leaves the maximum out). For an
    unordered list the order of the levels is the file's.
    """
    cols = []
    for p in parameters:
        values = points[p.name]
        if p.levels is not None:
            code = {_level_key(v): i + 1 for i, v in enumerate(p.levels)}
            cols.append(_spread_ties(np.array([code[_level_key(v)] for v in values], float)))
        elif p.kind == "int":
            cols.append(_spread_ties(values.to_numpy(dtype=float)))
        else:
            cols.append(values.to_numpy(dtype=float))
    return np.column_stack(cols) if cols else np.empty((len(points), 0))


def _spread_ties(codes: np.ndarray) -> np.ndarray:
    """Integer codes with ties spread evenly within +-0.5, in order of appearance."""
    out = codes.astype(float).copy()
    for c in np.unique(codes):
        idx = np.flatnonzero(codes == c)
        out[idx] = c - 0.5 + (np.arange(len(idx)) + 0.5) / len(idx)
    return out


def _level_key(v: Any) -> Any:
    """A hashable key that matches a level whatever numpy/pandas type it comes back as."""
    if isinstance(v, (bool, np.bool_)):
        return ("bool", bool(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        return ("num", float(v))
    return ("str", str(v))


class _SALibCall:
    """Context for one SALib analysis: seeded, quiet, one BLAS thread, global state restored.

    SALib's delta and PAWN draw from numpy's global generator (seeded only when the seed is
    truthy), set a global warnings filter and formatter, and its kernel density estimates
    slow down badly when OpenBLAS threads compete for the cores. Here the global generator
    is seeded (any seed, 0 included) and restored afterwards, the warnings are recorded
    (``self.warnings``) instead of printed, and BLAS is held to one thread where
    threadpoolctl is installed (it comes with scikit-learn).
    """

    def __init__(self, seed: int):
        self.seed = int(seed) % 2**32
        self.warnings: list[str] = []

    def __enter__(self) -> _SALibCall:
        import contextlib
        import warnings

        self._state = np.random.get_state()
        self._format = warnings.formatwarning
        self._stack = contextlib.ExitStack()
        caught = self._stack.enter_context(warnings.catch_warnings(record=True))
        self._caught = caught
        try:
            from threadpoolctl import threadpool_limits

            self._stack.enter_context(threadpool_limits(1))
        except ImportError:  # pragma: no cover - only slower
            pass
        np.random.seed(self.seed)
        return self

    def __exit__(self, *exc: Any) -> None:
        import warnings

        self.warnings = [str(w.message) for w in self._caught]
        self._stack.close()
        warnings.formatwarning = self._format
        np.random.set_state(self._state)


def _notes(salib_notes: Any, d: int) -> list[str]:
    """SALib's notes per input, less those that do not apply to a swept range.

    Delta's "step" variant (inputs <= 0 against > 0) and its balanced-against-raw notice
    (a dataset bias notice: a design's sample has none) are left out.
    """
    notes = list(salib_notes) if isinstance(salib_notes, list) else []
    out = []
    for i in range(d):
        parts = str(notes[i]).split(";") if i < len(notes) else []
        keep = [
            s.strip()
            for s in parts
            if s.strip() and not s.strip().startswith(("Step:", "Raw delta differs"))
        ]
        out.append("; ".join(keep))
    return out


def delta_from_values(
    x: np.ndarray,
    y: np.ndarray,
    problem: dict[str, Any],
    confidence: float = 0.95,
    n_resamples: int = 100,
    seed: int = 0,
) -> dict[str, Any]:
    """Borgonovo's moment-independent delta of every input (SALib.analyze.delta).

    ``x`` is the sample (one row per point, see :func:`encode_inputs`), ``y`` the outcome
    at each point. delta is the expected L1 distance between the outcome's density and its
    density given the input, halved: 0 when the input leaves the whole distribution
    unchanged, 1 at most. The estimator is SALib's "balanced" one (Plischke et al. 2013,
    bias-reduced by bootstrap, each resample drawn evenly over 10 bins of the input); the
    interval is delta plus or minus the normal quantile times the bootstrap's standard
    deviation. Inputs SALib cannot analyse (a constant input, too few points) get NaN and a
    note. Returns arrays ``delta``, ``delta_low``, ``delta_high`` and a list ``note``.
    """
    from SALib.analyze import delta

    d = x.shape[1]
    try:
        with _SALibCall(seed):
            s = delta.analyze(
                problem,
                np.asarray(x, dtype=float),
                np.asarray(y, dtype=float),
                num_resamples=n_resamples,
                conf_level=confidence,
                method="delta",
            )
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:  # e.g. a singular KDE
        nan = np.full(d, np.nan)
        return {"delta": nan, "delta_low": nan, "delta_high": nan, "note": [str(exc)] * d}
    value = np.asarray(s["delta_balanced"], dtype=float)
    conf = np.asarray(s["delta_balanced_conf"], dtype=float)
    return {
        "delta": value,
        "delta_low": value - conf,
        "delta_high": value + conf,
        "note": _notes(s.get("notes"), d),
    }


def pawn_from_values(
    x: np.ndarray, y: np.ndarray, problem: dict[str, Any], slides: int = PAWN_SLIDES, seed: int = 0
) -> dict[str, Any]:
    """PAWN index of every input (Pianosi & Wagener 2015; SALib.analyze.pawn).

    The sample is cut into ``slides`` slides of equal probability along each input; in
    each, the Kolmogorov-Smirnov distance between the outcome's distribution in the slide
    and over the whole sample measures how much fixing the input moves the distribution.
    Returns arrays ``pawn`` (the median over slides, the usual index), ``pawn_min``,
    ``pawn_max`` and ``ks_critical``: the 95 % critical KS distance of a slide of average
    size against the whole sample, below which a slide's distance is what a
    non-influential input gives by chance.
    """
    from SALib.analyze import pawn

    n, d = x.shape
    with _SALibCall(seed):
        s = pawn.analyze(problem, np.asarray(x, dtype=float), np.asarray(y, dtype=float), S=slides)
    m = n / slides
    crit = float(np.sqrt(-np.log(0.025) / 2) * np.sqrt((m + n) / (m * n)))
    return {
        "pawn": np.asarray(s["median"], dtype=float),
        "pawn_min": np.asarray(s["minimum"], dtype=float),
        "pawn_max": np.asarray(s["maximum"], dtype=float),
        "ks_critical": np.full(d, crit),
    }


def sample_analysis(
    method: str,
    runs: pd.DataFrame,
    design: dict[str, Any],
    parameters: list[Any],
    outcomes: list[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Delta or PAWN (``method``) of every outcome over the design's random sample.

    ``design`` is the manifest's design entry (method and sizes; see
    :func:`sample_points`), ``parameters`` the experiment's
    :class:`~experiments.spec.Parameter` list. Replicates are averaged per point first,
    as for Sobol and Morris; outcomes with a failed point or no variance are left out.
    Columns: outcome, parameter, then the method's columns (delta, delta_low, delta_high,
    note; or pawn, pawn_min, pawn_max, ks_critical).
    """
    if method not in SAMPLE_METHODS:
        raise ValueError(f"unknown method {method!r} (expected one of {SAMPLE_METHODS})")
    k = sample_points(design)
    names = [p.name for p in parameters]
    if method == "delta":
        cols = ["delta", "delta_low", "delta_high", "note"]
    else:
        cols = ["pawn", "pawn_min", "pawn_max", "ks_critical"]
    empty = pd.DataFrame(columns=["outcome", "parameter", *cols])
    good = ok_runs(runs)
    if k == 0 or not len(good):
        return empty
    firsts = good.groupby("point")[names].first().reindex(range(k))
    if firsts.isna().any().any():
        return empty
    x = encode_inputs(firsts, parameters)
    problem = salib_problem(parameters)
    rows = []
    for o in outcomes:
        y = point_means(runs, o, k)
        if np.isnan(y).any() or np.var(y) == 0:
            continue
        if method == "delta":
            r = delta_from_values(x, y, problem, confidence)
        else:
            r = pawn_from_values(x, y, problem)
        for i, p in enumerate(names):
            rows.append(
                {
                    "outcome": o,
                    "parameter": p,
                    **{c: (r[c][i] if c == "note" else float(r[c][i])) for c in cols},
                }
            )
    return pd.DataFrame(rows, columns=["outcome", "parameter", *cols]) if rows else empty
