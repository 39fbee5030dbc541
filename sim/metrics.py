"""The metrics collected every step: names, meanings and how a run is summarised.

Column names are the spec's snake_case names; the same names are used by the runner's
outcomes, the app's charts and the docs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.world import ADOPTION_LEVEL

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel

RECORD_DIGITS = 3  # decimals kept for numbers in event records (damage: one more)

# name -> (meaning, kind) where kind says how a run summarises it:
# "flow" (per-step count or amount: summed over a run), "level" (a state: final value).
METRICS: dict[str, tuple[str, str]] = {
    "incidents": ("new cyber incidents this week (state operations and crime)", "flow"),
    "incidents_detected": ("incidents detected by their victim this week", "flow"),
    "incidents_attributed": (
        "incidents their victim attributed this week, privately or publicly",
        "flow",
    ),
    "misattributions": (
        "attributions this week (private or public) that name the wrong state",
        "flow",
    ),
    "public_misattributions": ("public attributions this week that name the wrong state", "flow"),
    "retaliations": ("cyber retaliations launched this week", "flow"),
    "escalations": ("counter-retaliations (escalation steps) this week", "flow"),
    "sanctions": ("sanctions imposed this week", "flow"),
    "damage": ("economic damage this week, billions of USD", "flow"),
    "gdp_index": ("world GDP relative to week 0", "level"),
    "mean_trust": ("mean trust over all pairs of states", "level"),
    "trust_between_blocs": ("mean trust over pairs of states in different blocs", "level"),
    "agreements": ("agreements adopted so far (cumulative)", "level"),
    "norms_adopted_share": ("share of (state, norm) pairs adopted", "level"),
    "compliance_rate": ("share of norm-bound opportunities where states complied", "level"),
    "violations": ("operations this week that breach a norm their initiator adopted", "flow"),
    "punishments": ("punishments of violators this week (incl. metanorm punishments)", "flow"),
    "mean_boldness": ("mean Axelrod boldness of states", "level"),
    "mean_vengefulness": ("mean Axelrod vengefulness of states", "level"),
    "crime_incidents": ("incidents by criminal groups this week", "flow"),
    "public_attributions": ("public attributions this week, alone or joint", "flow"),
    "joint_attributions": ("joint attributions with allies this week", "flow"),
    "demarches": ("private demarches through missions this week", "flow"),
    "sessions": ("negotiation sessions held so far (cumulative)", "level"),
    "mean_expertise": ("mean technical expertise of diplomats", "level"),
    "hotlines": ("pairs of states with a hotline", "level"),
    "accord_members": ("companies in the tech accord", "level"),
    "attribution_lag": (
        "mean weeks from operation to attribution (private or public), this week",
        "level",
    ),
}

FLOW = [k for k, (_, kind) in METRICS.items() if kind == "flow"]
HEADLINE = [
    "incidents",
    "damage",
    "mean_trust",
    "norms_adopted_share",
    "escalations",
    "incidents_attributed",
    "misattributions",
    "gdp_index",
]


def _cross_bloc(m: CyberDiplomacyModel) -> np.ndarray:
    if "cross_bloc" not in m._cache:
        w = m.world
        m._cache["cross_bloc"] = w.bloc[:, None] != w.bloc[None, :]
    return m._cache["cross_bloc"]


def _upper(m: CyberDiplomacyModel) -> np.ndarray:
    """(n, n) True above the diagonal: each pair of states once (derived once)."""
    if "upper" not in m._cache:
        n = m.world.n
        m._cache["upper"] = np.triu(np.ones((n, n), dtype=bool), 1)
    return m._cache["upper"]


def _mean(x: np.ndarray) -> float:
    """Mean of a float array: NumPy's own sum and division, without np.mean's Python layer
    (29 metrics a week make that layer a good part of the cost of a small world).
    """
    return float(x.sum() / x.size)


def _mean_trust(m: CyberDiplomacyModel) -> float:
    n = m.world.n
    return float((m.world.trust.sum() - n) / (n * n - n)) if n > 1 else 1.0


def _cross_bloc_flat(m: CyberDiplomacyModel) -> np.ndarray:
    """Flat indices of the cross-bloc pairs, in the order the mask would give them: taking
    them is several times cheaper than masking the trust matrix every week (derived once).
    """
    if "cross_bloc_flat" not in m._cache:
        m._cache["cross_bloc_flat"] = np.flatnonzero(_cross_bloc(m))
    return m._cache["cross_bloc_flat"]


def _trust_between_blocs(m: CyberDiplomacyModel) -> float:
    cross = _cross_bloc_flat(m)
    return _mean(m.world.trust.take(cross)) if len(cross) else float("nan")


def _compliance(m: CyberDiplomacyModel) -> float:
    if not m.norm_opportunities:
        return 1.0
    return 1.0 - m.violations_total / max(m.norm_opportunities, 1)


def _lag(m: CyberDiplomacyModel) -> float:
    c = m.counts
    return c["lag_sum"] / c["incidents_attributed"] if c["incidents_attributed"] else float("nan")


def _count(name: str) -> Callable[[CyberDiplomacyModel], float]:
    # .get: most counts stay at 0 most weeks, and a missing key is cheaper asked this way
    # than through Counter's __missing__
    return lambda m: m.counts.get(name, 0)


# how each metric is computed from the model at the end of a week
REPORTERS: dict[str, Callable[[CyberDiplomacyModel], float]] = {
    **{k: _count(k) for k, (_, kind) in METRICS.items() if kind == "flow" and k != "damage"},
    "damage": lambda m: float(m.week_damage.sum()),
    "gdp_index": lambda m: float(m.world.gdp.sum() / m.gdp_start),
    "mean_trust": _mean_trust,
    "trust_between_blocs": _trust_between_blocs,
    "agreements": lambda m: m.agreements_total,
    "norms_adopted_share": lambda m: (
        np.count_nonzero(m.world.adopted >= ADOPTION_LEVEL) / m.world.adopted.size
    ),
    "compliance_rate": _compliance,
    "mean_boldness": lambda m: _mean(m.world.boldness),
    "mean_vengefulness": lambda m: _mean(m.world.vengefulness),
    "sessions": lambda m: m.sessions_total,
    "mean_expertise": lambda m: _mean(m.world.expertise),
    "hotlines": lambda m: np.count_nonzero(m.world.hotline & _upper(m)),
    "accord_members": lambda m: m.companies.agg("accord", sum) if len(m.companies) else 0,
    "attribution_lag": _lag,
}
assert set(REPORTERS) == set(METRICS), "every metric needs a reporter"


def collect(m: CyberDiplomacyModel, names: Sequence[str] | None = None) -> dict[str, float]:
    """The metrics this week: all of ``METRICS`` in their order, or ``names`` in theirs."""
    return {k: REPORTERS[k](m) for k in (METRICS if names is None else names)}


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector of every metric (``model.datacollector``), filled from the
    week's values the model has just computed (``model.current``, by :func:`collect`).

    Mesa's own ``collect`` would call one reporter per metric and deep-copy the plain
    number each returns, a few per cent of a small world's week. This one appends the same
    numbers and keeps Mesa's record of the steps collected, which ``mesa.batch_run`` reads.
    """

    def __init__(self) -> None:
        super().__init__(model_reporters={k: (lambda m, k=k: m.current[k]) for k in METRICS})

    def collect(self, model: CyberDiplomacyModel) -> None:
        """Append this week's metrics."""
        self._collection_steps.append(model.time)
        for name, value in model.current.items():
            self.model_vars[name].append(value)
