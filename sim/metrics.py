"""The metrics collected every step: names, meanings and how a run is summarised.

Column names are the spec's snake_case names; the same names are used by the runner's
outcomes, the app's charts and the docs.
"""

from __future__ import annotations

# name -> (meaning, kind) where kind says how a run summarises it:
# "flow" (per-step count or amount: summed over a run), "level" (a state: final value).
METRICS: dict[str, tuple[str, str]] = {
    "incidents": ("new cyber incidents this week (state operations and crime)", "flow"),
    "incidents_detected": ("incidents detected by their victim this week", "flow"),
    "incidents_attributed": ("incidents publicly attributed this week", "flow"),
    "misattributions": ("public attributions this week that name the wrong party", "flow"),
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
    "attribution_lag": ("mean weeks from operation to public attribution, this week", "level"),
}

FLOW = [k for k, (_, kind) in METRICS.items() if kind == "flow"]
LEVEL = [k for k, (_, kind) in METRICS.items() if kind == "level"]
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
