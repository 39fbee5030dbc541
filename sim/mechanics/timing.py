"""When to use a cyber resource: the stealth/persistence timing model.

Axelrod, R. & Iliev, R. (2014) Timing of cyber conflict. PNAS 111(4):1298-1303.

A resource (an exploit) has stealth S, the chance it stays usable after it is used, and
persistence P, the chance it stays usable while held for a period. Each period the stakes
of the moment are drawn from a distribution F. Using the resource whenever the stakes
reach a threshold T gives the value

    V(T) = f G / (1 - w [S f + P (1 - f)]),   f = P(stakes >= T),  G = E[stakes | stakes >= T]

with w the discount factor. The optimal threshold T* maximises V. With stakes uniform on
[0, 1] the first-order condition is the quadratic  a T^2 - (1 - w S) T + a = 0 with
a = w (P - S) / 2, whose root in [0, 1] is T* (T* = 0 when P <= S: a resource that
is lost by waiting as fast as by using should be used at once).

The model's operation decisions call :func:`optimal_threshold` with Beta-distributed
stakes; the validation target ``axelrod-iliev`` checks the same function against
:func:`uniform_threshold_closed_form`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

_GRID = np.linspace(0.0, 1.0, 2001)  # numerical resolution of the search for T*, not behaviour


def _tail_mass_and_partial_mean(t: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """For stakes ~ Beta(a, b): f = P(X >= t) and f*G = E[X; X >= t]."""
    f = special.betainc(a, b, t, out=None)
    f = 1.0 - f
    mean = a / (a + b)
    fg = mean * (1.0 - special.betainc(a + 1.0, b, t))
    return f, fg


def value(
    t: np.ndarray | float,
    stealth: float,
    persistence: float,
    discount: float,
    alpha: float = 1.0,
    beta: float = 1.0,
) -> np.ndarray:
    """V(T) of Axelrod & Iliev (2014) for stakes ~ Beta(alpha, beta) (uniform by default)."""
    t = np.asarray(t, dtype=float)
    f, fg = _tail_mass_and_partial_mean(t, alpha, beta)
    return fg / (1.0 - discount * (stealth * f + persistence * (1.0 - f)))


def optimal_threshold(
    stealth: np.ndarray | float,
    persistence: np.ndarray | float,
    discount: float,
    alpha: float = 1.0,
    beta: float = 1.0,
) -> np.ndarray:
    """T* maximising V(T), for one resource or an array of them (vectorised).

    A grid search over [0, 1] followed by a parabolic refinement around the best grid
    point; accurate to about 1e-7 for smooth stakes distributions.
    """
    s = np.atleast_1d(np.asarray(stealth, dtype=float))
    p = np.atleast_1d(np.asarray(persistence, dtype=float))
    s, p = np.broadcast_arrays(s, p)
    f, fg = _tail_mass_and_partial_mean(_GRID, alpha, beta)
    denom = 1.0 - discount * (s[:, None] * f[None, :] + p[:, None] * (1.0 - f[None, :]))
    v = fg[None, :] / denom
    k = np.argmax(v, axis=1)
    t = _GRID[k]
    # parabolic refinement through the three grid points around the maximum
    inner = (k > 0) & (k < len(_GRID) - 1)
    if inner.any():
        h = _GRID[1] - _GRID[0]
        rows = np.nonzero(inner)[0]
        y0, y1, y2 = v[rows, k[rows] - 1], v[rows, k[rows]], v[rows, k[rows] + 1]
        curv = y0 - 2 * y1 + y2
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where(curv < 0, 0.5 * (y0 - y2) / curv, 0.0)
        t = t.copy()
        t[rows] = np.clip(t[rows] + h * np.clip(shift, -1, 1), 0.0, 1.0)
    return t.reshape(np.shape(np.broadcast_arrays(np.asarray(stealth), np.asarray(persistence))[0]))


def uniform_threshold_closed_form(stealth: float, persistence: float, discount: float) -> float:
    """T* for stakes uniform on [0, 1], from the first-order condition (see module doc)."""
    a = discount * (persistence - stealth) / 2.0
    b = 1.0 - discount * stealth
    if a <= 0:
        return 0.0
    disc = b * b - 4 * a * a  # the quadratic's discriminant
    return float((b - np.sqrt(max(disc, 0.0))) / (2 * a))
