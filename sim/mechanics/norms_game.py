"""Axelrod's (1986) norms and metanorms game as a vectorised engine.

Axelrod, R. (1986) An Evolutionary Approach to Norms. American Political Science Review
80(4):1095-1111. Re-implementation lessons and outcome definitions from Galán, J. M. &
Izquierdo, L. R. (2005) Appearances Can Be Deceiving: Lessons Learned Re-Implementing
Axelrod's "Evolutionary Approach to Norms". JASSS 8(3)2.

One generation of the classic game (:func:`play_generation`):

* every player has ``opportunities`` chances to defect; each draws a chance of being seen
  S ~ U[0, 1] and the player defects when S < B (its boldness);
* a defection pays the defector T and each other player H;
* each other player sees it with probability S and, having seen it, punishes with
  probability V (its vengefulness): the defector gets P, the punisher E;
* with metanorms, each player j who saw the defection and did not punish is seen by
  each other player k (neither the defector nor j) with probability S, and k
  meta-punishes j with probability V_k: j gets M'', k gets M'.

Between generations (:func:`evolve`) players reproduce by Axelrod's rule (score at least
one standard deviation above the mean: two offspring; at least one below: none; else
one), the population is brought back to its size (see :func:`offspring_counts`), and each
bit of each 3-bit gene flips with probability ``mutation_rate``.

The world model does not use genes: :func:`imitate` evolves continuous boldness and
vengefulness by payoff-biased imitation with mutation.

Everything is vectorised over the defection events of a generation (events x observers,
and events x lax observers x meta-observers with metanorms), so a 20-player game runs
thousands of generations per second on one core. Randomness comes only from the
``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.scenario import NormsGame

COLUMNS = (
    "step",
    "mean_boldness",
    "mean_vengefulness",
    "violations",
    "punishments",
    "meta_punishments",
    "mean_payoff",
)


@dataclass
class Draws:
    """Pre-drawn uniforms for one generation, so a test can fix every chance event.

    Shapes, with n players and o opportunities: ``seen`` (n, o) is the chance of being
    seen S of player i's o-th opportunity; ``see`` and ``punish`` (n, o, n) are compared
    with S and with the observer's vengefulness; ``meta_see`` and ``meta_punish``
    (n, o, n, n), indexed [defector, opportunity, lax player j, meta-observer k], are
    compared with S and with k's vengefulness. An event happens when its uniform is
    strictly below the probability.
    """

    seen: np.ndarray
    see: np.ndarray
    punish: np.ndarray
    meta_see: np.ndarray | None = None
    meta_punish: np.ndarray | None = None


@dataclass
class GenerationResult:
    """Payoffs of one generation per player, and what happened in it."""

    payoffs: np.ndarray
    defections: int
    punishments: int
    meta_punishments: int


def levels_to_share(levels: np.ndarray, bits: int) -> np.ndarray:
    """Gene levels 0 .. 2**bits - 1 as shares in [0, 1] (3 bits: level / 7)."""
    return np.asarray(levels, dtype=float) / float((1 << bits) - 1)


def play_generation(
    boldness_levels: np.ndarray,
    vengefulness_levels: np.ndarray,
    cfg: NormsGame,
    rng: np.random.Generator | None = None,
    draws: Draws | None = None,
) -> GenerationResult:
    """Play one generation of Axelrod's (1986) norms (or metanorms) game.

    ``boldness_levels`` and ``vengefulness_levels`` are integer gene levels
    (0 .. 2**cfg.bits - 1); B = level / (2**bits - 1). Every chance event is drawn from
    ``rng`` unless ``draws`` fixes them (then ``rng`` may be None). Payoffs T, H, P, E,
    M'' and M' come from ``cfg``; metanorms are played when ``cfg.metanorms`` is true.
    """
    b = levels_to_share(boldness_levels, cfg.bits)
    v = levels_to_share(vengefulness_levels, cfg.bits)
    n = b.shape[0]
    o = cfg.opportunities
    if draws is None:
        if rng is None:
            raise ValueError("play_generation needs rng or draws")
        seen = rng.random((n, o))
    else:
        seen = np.asarray(draws.seen, dtype=float)
    defects = seen < b[:, None]
    who, opp = np.nonzero(defects)
    s = seen[who, opp]
    d = who.shape[0]

    if draws is None:
        see_u = rng.random((d, n))
        punish_u = rng.random((d, n))
    else:
        see_u = np.asarray(draws.see)[who, opp]
        punish_u = np.asarray(draws.punish)[who, opp]

    others = np.ones((d, n), dtype=bool)
    others[np.arange(d), who] = False
    saw = others & (see_u < s[:, None])
    punished = saw & (punish_u < v[None, :])

    payoffs = np.full(n, cfg.hurt * d, dtype=float)
    # the defector is not hurt by its own defection
    own = np.bincount(who, minlength=n).astype(float)
    payoffs -= cfg.hurt * own
    payoffs += cfg.temptation * own
    n_punishers = punished.sum(axis=1)
    payoffs += cfg.punishment * np.bincount(who, weights=n_punishers, minlength=n)
    payoffs += cfg.enforcement_cost * punished.sum(axis=0)
    punishments = int(n_punishers.sum())

    meta_punishments = 0
    if cfg.metanorms and d:
        lax = saw & ~punished  # (d, j)
        if draws is None:
            meta_see_u = rng.random((d, n, n))
            meta_punish_u = rng.random((d, n, n))
        else:
            if draws.meta_see is None or draws.meta_punish is None:
                raise ValueError("metanorms need draws.meta_see and draws.meta_punish")
            meta_see_u = np.asarray(draws.meta_see)[who, opp]
            meta_punish_u = np.asarray(draws.meta_punish)[who, opp]
        # k is neither the defector nor j itself
        watchers = others[:, None, :] & ~np.eye(n, dtype=bool)[None, :, :]
        meta = (
            lax[:, :, None]
            & watchers
            & (meta_see_u < s[:, None, None])
            & (meta_punish_u < v[None, None, :])
        )
        payoffs += cfg.meta_punishment * meta.sum(axis=(0, 2))
        payoffs += cfg.meta_enforcement_cost * meta.sum(axis=(0, 1))
        meta_punishments = int(meta.sum())

    return GenerationResult(payoffs, int(d), punishments, meta_punishments)


def offspring_counts(scores: np.ndarray) -> np.ndarray:
    """Axelrod's (1986) offspring per player: 2 if score >= mean + SD, 0 if <= mean - SD, else 1.

    SD is the population standard deviation of this generation's scores. When every
    score is equal (SD = 0) everyone has one offspring. These are the raw counts; their
    total may differ from the population size (see :func:`select`).
    """
    scores = np.asarray(scores, dtype=float)
    mean = scores.mean()
    sd = scores.std()
    counts = np.ones(scores.shape[0], dtype=np.int64)
    if sd <= 1e-12 * max(1.0, abs(mean)):
        return counts
    counts[scores >= mean + sd] = 2
    counts[scores <= mean - sd] = 0
    return counts


def select(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Parents of the next generation (indices), keeping the population size constant.

    Axelrod (1986) gives the 2 / 1 / 0 offspring rule but not how the population is held
    at its size; Galán & Izquierdo (2005) flag such unstated details as choices every
    re-implementation must make and document. Ours is the neutral one: the raw offspring
    (:func:`offspring_counts`) form a pool; if the pool is larger than the population,
    places are filled by drawing from the pool without replacement; if it is smaller,
    the missing places are filled by drawing from the pool with replacement. Either way
    every offspring in the pool has the same chance, so expected shares stay
    proportional to Axelrod's counts.
    """
    n = scores.shape[0]
    pool = np.repeat(np.arange(n), offspring_counts(scores))
    if pool.shape[0] == n:
        return pool
    if pool.shape[0] > n:
        return rng.choice(pool, size=n, replace=False)
    extra = rng.choice(pool, size=n - pool.shape[0], replace=True)
    return np.concatenate([pool, extra])


def mutate(levels: np.ndarray, bits: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Flip each bit of each gene independently with probability ``rate`` (Axelrod: 1%)."""
    levels = np.asarray(levels, dtype=np.int64)
    flips = rng.random((levels.shape[0], bits)) < rate
    mask = flips @ (1 << np.arange(bits, dtype=np.int64))
    return levels ^ mask


def evolve(
    boldness_levels: np.ndarray,
    vengefulness_levels: np.ndarray,
    scores: np.ndarray,
    cfg: NormsGame,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Next generation's genes: Axelrod's selection then bit-flip mutation."""
    parents = select(scores, rng)
    both = np.concatenate([boldness_levels[parents], vengefulness_levels[parents]])
    both = mutate(both, cfg.bits, cfg.mutation_rate, rng)
    n = parents.shape[0]
    return both[:n], both[n:]


def initial_population(cfg: NormsGame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random gene levels, uniform over 0 .. 2**bits - 1, as in Axelrod (1986)."""
    top = 1 << cfg.bits
    genes = rng.integers(0, top, size=(2, cfg.population))
    return genes[0], genes[1]


def run_classic(
    cfg: NormsGame, rng: np.random.Generator, generations: int | None = None
) -> pd.DataFrame:
    """Run Axelrod's (1986) classic norms or metanorms game; one row per generation.

    Row g describes the population that played generation g (its mean boldness and
    vengefulness in [0, 1]), what it did (violations = defections, punishments,
    meta_punishments) and its mean payoff; that population then reproduces into
    generation g + 1. ``generations`` defaults to ``cfg.generations``. Outcomes are
    classified with Galán & Izquierdo's (2005) definitions by :func:`classify`.
    """
    g_total = cfg.generations if generations is None else int(generations)
    bold, veng = initial_population(cfg, rng)
    top = float((1 << cfg.bits) - 1)
    out = np.empty((g_total, len(COLUMNS)), dtype=float)
    for g in range(g_total):
        res = play_generation(bold, veng, cfg, rng)
        out[g] = (
            g + 1,
            bold.mean() / top,
            veng.mean() / top,
            res.defections,
            res.punishments,
            res.meta_punishments,
            res.payoffs.mean(),
        )
        bold, veng = evolve(bold, veng, res.payoffs, cfg, rng)
    df = pd.DataFrame(out, columns=list(COLUMNS))
    for col in ("step", "violations", "punishments", "meta_punishments"):
        df[col] = df[col].astype(np.int64)
    return df


def classify(mean_boldness: float, mean_vengefulness: float, cfg: NormsGame | None = None) -> str:
    """Galán & Izquierdo's (2005) outcome of a population of the norms game.

    "established": mean boldness <= 2/7 and mean vengefulness >= 5/7;
    "collapsed": mean boldness >= 6/7 and mean vengefulness <= 1/7; else "neither"
    (the bounds are keys of ``[norms_game]``; these are their defaults).
    """
    g = cfg or NormsGame()
    eps = 1e-9
    if mean_boldness <= g.established_boldness + eps and (
        mean_vengefulness >= g.established_vengefulness - eps
    ):
        return "established"
    if mean_boldness >= g.collapsed_boldness - eps and (
        mean_vengefulness <= g.collapsed_vengefulness + eps
    ):
        return "collapsed"
    return "neither"


def imitate(
    traits: np.ndarray,
    payoff: np.ndarray,
    rng: np.random.Generator,
    strength: float,
    mutation_rate: float,
) -> np.ndarray:
    """Payoff-biased imitation with mutation of continuous traits in [0, 1].

    The cultural counterpart of Axelrod's (1986) genetic evolution of boldness and
    vengefulness, used by the world model each generation. Every agent i compares itself
    with one other agent j drawn uniformly and copies all of j's traits with the
    pairwise-comparison (Fermi) probability 1 / (1 + exp(-strength * (payoff_j -
    payoff_i))) (Szabó & Tőke 1998; Traulsen, Nowak & Pacheco 2006), all agents updating
    at once from the old traits. Then each trait of each agent is redrawn from U[0, 1]
    with probability ``mutation_rate``. ``strength`` = 0 is neutral drift; large
    ``strength`` copies whoever did better.
    """
    traits = np.asarray(traits, dtype=float)
    payoff = np.asarray(payoff, dtype=float)
    n, k = traits.shape
    new = traits.copy()
    if n >= 2:
        # a uniform other agent: shift by 1 .. n-1 so nobody picks itself
        other = (np.arange(n) + rng.integers(1, n, size=n)) % n
        x = strength * (payoff[other] - payoff)
        p_copy = 0.5 * (1.0 + np.tanh(0.5 * x))  # the logistic function, overflow-free
        copy = rng.random(n) < p_copy
        new[copy] = traits[other[copy]]
    redraw = rng.random((n, k)) < mutation_rate
    if redraw.any():
        new[redraw] = rng.random(int(redraw.sum()))
    return new
