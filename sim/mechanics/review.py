"""Implementation review: agreed commitments are reviewed, and violations cost trust.

Every ``organizations.review_cadence`` weeks each body reviews its agreements, as the UN
groups asked states to report on implementation (A/76/135 paras 94-95) and the OSCE
reviews its confidence-building measures. A review sees what victims have said in
public: each incident publicly attributed since the last review whose type breaches an
item of an agreement names the accused, if the accused is a party. The review believes
the accusation; a false flag therefore names the wrong state.

- Every other party loses ``review_trust_loss`` of its trust in each party named, so the
  next agreement, which rides on trust (pre-negotiation, rivalry hardening), is harder.
- When more than ``fallback_share`` of an agreement's parties are named for one item, the
  members fall back on it: every party gives up ``fallback`` of its commitment, and the
  level agreed on the item, the ratchet's floor, falls as much.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics.incidents import PUBLIC_RESPONSES, RESPONSE_INDEX
from sim.scenario import INCIDENT_TYPES

if TYPE_CHECKING:
    from sim.agents import InternationalOrganization
    from sim.model import CyberDiplomacyModel

PUBLIC = np.array([RESPONSE_INDEX[r] for r in PUBLIC_RESPONSES])


def named_violations(
    accused: np.ndarray,
    types: np.ndarray,
    parties: set[int],
    items: np.ndarray,
    violated_by: dict[str, list[int]],
) -> dict[int, set[int]]:
    """{item: parties named for breaching it} from publicly attributed incidents."""
    out: dict[int, set[int]] = {}
    on_agenda = set(int(k) for k in items)
    for a, t in zip(accused, types, strict=True):
        if int(a) not in parties:
            continue
        for k in violated_by.get(INCIDENT_TYPES[int(t)], []):
            if k in on_agenda:
                out.setdefault(k, set()).add(int(a))
    return out


def review(m: CyberDiplomacyModel, org: InternationalOrganization) -> dict | None:
    """Review ``org``'s agreements against the incidents named since its last review."""
    cfg = m.config.organizations
    since, org.last_review = org.last_review, m.steps
    if not org.treaties:
        return None
    inc = m.incidents
    rows = np.arange(len(inc))
    att = inc.attributed_step[: len(inc)]
    pick = rows[(att > since) & (att <= m.steps) & np.isin(inc.response[: len(inc)], PUBLIC)]
    w = m.world
    named_all: set[int] = set()
    fell: list[str] = []
    for items, _text, parties in org.treaties:
        named = named_violations(
            inc.attributed_to[pick], inc.type[pick], parties, items, m.catalogue.violated_by
        )
        accused = set().union(*named.values()) if named else set()
        named_all |= accused
        for a in accused:
            others = np.array(sorted(parties - {a}), dtype=int)
            if len(others):
                loss = 1.0 - cfg.review_trust_loss
                w.trust[others, a] *= loss
                w.trust[a, others] *= loss
        for k, who in named.items():
            if len(who) > cfg.fallback_share * len(parties):
                ps = np.array(sorted(parties), dtype=int)
                w.adopted[ps, k] *= 1.0 - cfg.fallback
                w.agreed[k] *= 1.0 - cfg.fallback
                fell.append(m.catalogue.ids[k])
    record = {
        "organization": org.name,
        "named": [w.names[i] for i in sorted(named_all)],
        "fallback": sorted(set(fell)),
    }
    if named_all or fell:
        m.log("review", actors=[org.name, *record["named"]], **record)
    return record
