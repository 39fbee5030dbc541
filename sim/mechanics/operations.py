"""Operations: which state hits which, when, how, and crime from safe havens.

States use an exploit when the stakes of the moment, net of the deterrent cost, reach
the optimal threshold of Axelrod & Iliev (2014) (:mod:`sim.mechanics.timing`). The
deterrent cost follows Baliga, Bueno de Mesquita & Wolitzky (2020, APSR 114:1155):
attackers weigh the chance of being detected and correctly attributed times the
punishment they expect from the victim, its allies and, for norm-breaching operations,
everybody who enforces the norm. A norm-breaching operation additionally obeys Axelrod's
(1986) rule: the state defects only if its boldness exceeds its chance of being seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics.incidents import SEVERITY_RANGE, TYPE_INDEX
from sim.mechanics.timing import optimal_threshold
from sim.scenario import INCIDENT_TYPES

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel

HORIZON_WEEKS = 52  # horizon over which an attacker reckons detection and attribution


def thresholds(m: CyberDiplomacyModel) -> np.ndarray:
    """T* per state for its current exploits (computed once per distinct (S, P))."""
    w = m.world
    ops = m.config.operations
    p_eff = w.persistence * (1.0 - m.patch_pressure()) / m.market_factor() ** 0.1
    pairs, inverse = np.unique(np.stack([w.stealth, p_eff]), axis=1, return_inverse=True)
    key = (pairs.tobytes(), ops.discount, ops.stakes_alpha, ops.stakes_beta)
    cached = m._cache.get("thresholds")
    if cached is None or cached[0] != key:
        t = optimal_threshold(pairs[0], pairs[1], ops.discount, ops.stakes_alpha, ops.stakes_beta)
        m._cache["thresholds"] = (key, t)
    else:
        t = cached[1]
    return np.asarray(t)[np.ravel(inverse)]


def detection_hazard(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) weekly chance a victim detects an intrusion, from its resilience and telemetry."""
    w = m.world
    shrink = (1.0 - m.config.attribution.dwell_trend) ** (m.steps / 52.0)
    median_weeks = m.base_dwell_weeks * shrink * (1.6 - w.resilience) / (1.0 + 1.5 * m.telemetry())
    return 1.0 - 0.5 ** (1.0 / np.maximum(median_weeks, 0.5))


def attribution_chance(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) an attacker's estimate that each victim attributes within half a year.

    Evidence must reach -ln(1 - threshold); the victim gathers `evidence_rate` a week. The
    attacker does not know the luck of the investigation, so the chance rises smoothly
    with the expected number of thresholds the victim can cover: 1 - exp(-26 rate / needed).
    """
    rate = m.evidence_rate()
    needed = -np.log(1.0 - np.minimum(m.config.attribution.threshold, 0.999))
    return 1.0 - np.exp(-rate * (HORIZON_WEEKS / 2) / needed)


def plan_operations(m: CyberDiplomacyModel) -> None:
    """Each directed dyad may meet stakes this week; states decide whether to operate."""
    w = m.world
    cfg = m.config
    ops = cfg.operations
    rng = m.rng
    n = w.n
    key = (ops.opportunity_rate, ops.nonrival_rate)
    cached = m._cache.get("opportunity_rate")
    if cached is None or cached[0] != key:
        # an attacker's opportunities spread over its rivals by their salience as targets
        sal = np.where(w.rival, w.salience[None, :], 0.0)
        share = sal / np.maximum(sal.sum(1, keepdims=True), 1e-12) * w.rival.sum(1, keepdims=True)
        rate = np.where(w.rival, ops.opportunity_rate * share, ops.nonrival_rate / max(n - 1, 1))
        rate = rate * w.activity[:, None]
        np.fill_diagonal(rate, 0.0)
        m._cache["opportunity_rate"] = cached = (key, rate)
    rate = cached[1]
    has = w.stockpile > 0
    moments = (rng.random((n, n)) < rate) & has[:, None]
    att, tgt = np.nonzero(moments)
    if len(att) == 0:
        return
    k = len(att)
    stakes = rng.beta(ops.stakes_alpha, ops.stakes_beta, k)
    types = m.operation_types
    picks = rng.choice(len(types), size=k, p=m.operation_weights)
    kind_names = [types[i] for i in picks]
    kinds = np.array([TYPE_INDEX[t] for t in kind_names], dtype=int)

    # deterrence: P(detect) x P(attributed to me) x expected punishment
    p_det = 1.0 - (1.0 - detection_hazard(m)[tgt]) ** HORIZON_WEEKS
    p_attr = attribution_chance(m)[tgt] * (1.0 - cfg.attribution.proxy_share * m.has_proxy[att])
    ally = w.ally
    ally_v = (ally[tgt] * w.vengefulness[None, :]).sum(1) / np.maximum(ally[tgt].sum(1), 1)
    punish = ops.punishment_scale * (w.vengefulness[tgt] + 0.5 * ally_v)
    breach = m.breach_commitment(att, kinds)  # adopted commitment the op would breach
    punish = punish + ops.punishment_scale * breach * w.vengefulness.mean()
    deterrence = ops.deterrence_weight * p_det * p_attr * punish
    go = (stakes - deterrence) >= thresholds(m)[att]

    # Axelrod (1986): a norm-bound state defects only if bold enough for its chance of being seen
    seen = p_det * p_attr * cfg.norms.visibility
    bound = breach > 0
    refrain = bound & go & (w.boldness[att] <= seen)
    m.counts["norm_opportunities"] += int((bound & go).sum())
    go &= ~refrain
    # an attacker cannot run more operations this week than it holds exploits
    idx = np.nonzero(go)[0]
    order = idx[np.argsort(att[idx], kind="stable")]
    a_sorted = att[order]
    first = np.searchsorted(a_sorted, a_sorted, side="left")
    rank = np.arange(len(order)) - first
    idx = np.sort(order[rank < w.stockpile[a_sorted]])
    if len(idx) == 0:
        return
    att, tgt, stakes, kinds = att[idx], tgt[idx], stakes[idx], kinds[idx]
    kind_names = [kind_names[i] for i in idx]
    threshold = thresholds(m)[att]
    rel = np.clip((stakes - threshold) / np.maximum(1.0 - threshold, 1e-9), 0, 0.999)
    lo = np.array([SEVERITY_RANGE[t][0] for t in kind_names])
    hi = np.array([SEVERITY_RANGE[t][1] for t in kind_names])
    # higher stakes, graver operations: the square root spreads them over the type's range
    severity = lo + np.floor(np.sqrt(rel) * (hi - lo + 1)).astype(int)

    # the exploit is spent unless it stays stealthy
    used = np.bincount(att, minlength=n)
    survived = rng.binomial(used, w.stealth)
    w.stockpile -= used - survived
    m.launch(att, tgt, kinds, severity, violation=breach[idx] > 0)


def crime(m: CyberDiplomacyModel) -> None:
    """Criminal groups strike from safe havens unless the haven enforces norms 13(c), (d)."""
    w = m.world
    cfg = m.config
    rng = m.rng
    groups = [a for a in m.threat_actors if a.criminal]
    if not groups or w.n < 2:
        return
    cd = [m.catalogue.ids.index(x) for x in ("c", "d") if x in m.catalogue.ids]
    weights = w.gdp * w.digital_share
    weights = weights / weights.sum()
    for g in groups:
        h = g.haven
        commitment = w.adopted[h, cd].mean() if cd else 0.0
        enforcement = 0.3 * w.resilience[h] + 0.7 * commitment
        n_ops = rng.poisson(cfg.threat_actors.crime_rate * g.capability * (1 - 0.5 * enforcement))
        if n_ops == 0:
            continue
        m.counts["norm_opportunities"] += n_ops if commitment > 0 else 0
        # a haven bound by (c)/(d) knowingly tolerates the group only if it is bold enough
        if commitment > 0:
            tolerated = rng.random(n_ops) < w.boldness[h]
            n_ops = int(tolerated.sum())
            if n_ops == 0:
                continue
        targets = rng.choice(w.n, size=n_ops, p=weights)
        lo, hi = SEVERITY_RANGE["crime"]
        sev = np.minimum(lo + rng.binomial(hi - lo, 0.25 + 0.3 * g.capability, n_ops), hi)
        m.launch(
            np.full(n_ops, -1),
            targets,
            np.full(n_ops, INCIDENT_TYPES.index("crime")),
            sev,
            violation=np.full(n_ops, commitment > 0),
            actor=g.unique_id,
            haven=h,
        )


def replenish(m: CyberDiplomacyModel) -> None:
    """Held exploits decay (persistence, cut by patching); new ones are found."""
    w = m.world
    ops = m.config.operations
    p_eff = w.persistence * (1.0 - m.patch_pressure()) / m.market_factor() ** 0.1
    w.stockpile = m.rng.binomial(w.stockpile, p_eff)
    w.stockpile += m.rng.poisson(ops.exploit_discovery * w.offense * m.market_factor())
    np.minimum(w.stockpile, ops.max_stockpile, out=w.stockpile)
