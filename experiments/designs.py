"""Samplers: an experiment's parameters -> design points.

Each sampler is one function ``(experiment, rng) -> Design`` registered in
:data:`SAMPLERS`; a new design is one new function. Samplers draw in the unit hypercube
and map to values with :meth:`experiments.spec.Parameter.from_unit` (ranges scaled and
integers rounded, levels picked by index).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.seeds import design_rng
from experiments.spec import Experiment, Parameter


@dataclass
class Design:
    """Design points (one dict of parameter values each) and what the analysis needs."""

    method: str
    points: list[dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)


def _map(params: list[Parameter], unit: np.ndarray) -> list[dict[str, Any]]:
    return [
        {p.name: p.from_unit(float(u)) for p, u in zip(params, row, strict=True)} for row in unit
    ]


def grid(exp: Experiment, rng: np.random.Generator) -> Design:
    """Full factorial over every parameter's levels (ranges need ``steps``)."""
    names = exp.parameter_names
    combos = itertools.product(*(p.grid_levels() for p in exp.parameters))
    points = [dict(zip(names, c, strict=True)) for c in combos]
    return Design("grid", points, {"levels": {p.name: p.grid_levels() for p in exp.parameters}})


def lhs(exp: Experiment, rng: np.random.Generator) -> Design:
    """Latin hypercube of ``samples`` points (scipy.stats.qmc.LatinHypercube)."""
    from scipy.stats import qmc  # imported on use: scipy.stats costs ~1 s to import

    unit = qmc.LatinHypercube(d=len(exp.parameters), rng=rng).random(exp.samples)
    return Design("lhs", _map(exp.parameters, unit), {"samples": exp.samples})


def saltelli_matrices(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Saltelli's scheme in the unit cube: rows A (n), B (n), then AB_i for each i (n each).

    AB_i is A with column i taken from B (Saltelli et al. 2010), as
    scipy.stats.sobol_indices expects its ``f_A``, ``f_B``, ``f_AB``.
    """
    from scipy.stats import qmc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balance warnings for n not a power of 2
        base = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return np.vstack(blocks)


def sobol(exp: Experiment, rng: np.random.Generator) -> Design:
    """Saltelli sample for Sobol indices: ``samples * (d + 2)`` points."""
    d, n = len(exp.parameters), exp.samples
    unit = saltelli_matrices(d, n, rng)
    return Design("sobol", _map(exp.parameters, unit), {"n": n, "d": d})


def morris_trajectories(
    d: int, r: int, p: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Morris (1991) one-at-a-time trajectories on a p-level grid of the unit cube.

    Returns (points of shape (r*(d+1), d), the factor moved at each step (r, d), the
    signed step (r, d)). Step size delta = p / (2 (p - 1)); each trajectory starts at a
    random grid point and moves every factor once, in random order, by +delta where that
    stays inside the cube and -delta otherwise.
    """
    delta = p / (2 * (p - 1))
    grid_pts = np.arange(p) / (p - 1)
    points = np.empty((r * (d + 1), d))
    order = np.empty((r, d), dtype=int)
    steps = np.empty((r, d))
    for t in range(r):
        x = rng.choice(grid_pts, size=d)
        perm = rng.permutation(d)
        row = t * (d + 1)
        points[row] = x
        for j, i in enumerate(perm):
            step = delta if x[i] + delta <= 1 + 1e-12 else -delta
            x = x.copy()
            x[i] = min(max(x[i] + step, 0.0), 1.0)
            points[row + j + 1] = x
            order[t, j] = i
            steps[t, j] = step
    return points, order, steps


def morris(exp: Experiment, rng: np.random.Generator) -> Design:
    """Morris screening: ``samples`` trajectories of ``d + 1`` points each."""
    d, p = len(exp.parameters), exp.morris_points
    unit, order, steps = morris_trajectories(d, exp.samples, p, rng)
    # levels are taken at the nearest index so the grid's end points hit the end levels
    points = []
    for row in unit:
        pt = {}
        for par, u in zip(exp.parameters, row, strict=True):
            if par.levels is not None:
                pt[par.name] = par.levels[int(round(float(u) * (len(par.levels) - 1)))]
            else:
                pt[par.name] = par.from_unit(float(u))
        points.append(pt)
    info = {
        "r": exp.samples,
        "d": d,
        "p": p,
        "delta": p / (2 * (p - 1)),
        "order": order.tolist(),
        "steps": steps.tolist(),
    }
    return Design("morris", points, info)


SAMPLERS: dict[str, Callable[[Experiment, np.random.Generator], Design]] = {
    "grid": grid,
    "lhs": lhs,
    "sobol": sobol,
    "morris": morris,
}


def make_design(exp: Experiment) -> Design:
    """The experiment's design, drawn from the generator derived from its root seed."""
    return SAMPLERS[exp.method](exp, design_rng(exp.seed))
