"""The metrics collected every step: names, meanings and how a run is summarised.

Column names are the spec's snake_case names; the same names are used by the runner's
outcomes, the app's charts and the docs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def collect(m: CyberDiplomacyModel) -> dict[str, float]:
    """Every metric (``METRICS``) this week, from the model's counts and state."""
    w = m.world
    c = m.counts
    n = w.n
    if "cross_bloc" not in m._cache:
        m._cache["cross_bloc"] = w.bloc[:, None] != w.bloc[None, :]
    cross = m._cache["cross_bloc"]
    m.norm_opportunities += c["norm_opportunities"]
    return {
        "incidents": c["incidents"],
        "incidents_detected": c["incidents_detected"],
        "incidents_attributed": c["incidents_attributed"],
        "misattributions": c["misattributions"],
        "public_misattributions": c["public_misattributions"],
        "retaliations": c["retaliations"],
        "escalations": c["escalations"],
        "sanctions": c["sanctions"],
        "damage": float(m.week_damage.sum()),
        "gdp_index": float(w.gdp.sum() / m.gdp_start),
        "mean_trust": float((w.trust.sum() - n) / (n * n - n)) if n > 1 else 1.0,
        "trust_between_blocs": float(w.trust[cross].mean()) if cross.any() else float("nan"),
        "agreements": m.agreements_total,
        "norms_adopted_share": float((w.adopted >= ADOPTION_LEVEL).mean()),
        "compliance_rate": 1.0 - m.violations_total / max(m.norm_opportunities, 1)
        if m.norm_opportunities
        else 1.0,
        "violations": c["violations"],
        "punishments": c["punishments"],
        "mean_boldness": float(w.boldness.mean()),
        "mean_vengefulness": float(w.vengefulness.mean()),
        "crime_incidents": c["crime_incidents"],
        "public_attributions": c["public_attributions"],
        "joint_attributions": c["joint_attributions"],
        "demarches": c["demarches"],
        "sessions": m.sessions_total,
        "mean_expertise": float(w.expertise.mean()),
        "hotlines": int(np.triu(w.hotline, 1).sum()),
        "accord_members": m.companies.agg("accord", sum) if len(m.companies) else 0,
        "attribution_lag": c["lag_sum"] / c["incidents_attributed"]
        if c["incidents_attributed"]
        else float("nan"),
    }
