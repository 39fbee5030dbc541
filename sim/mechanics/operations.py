"""Operations: which state hits which, when and how; crime from safe havens; new incidents.

States use an exploit when the stakes of the moment, net of the deterrent cost, reach
the optimal threshold of Axelrod & Iliev (2014) (:mod:`sim.mechanics.timing`). The
deterrent cost follows Baliga, Bueno de Mesquita & Wolitzky (2020, APSR 114:1155):
attackers weigh the chance of being detected and correctly attributed times the
punishment they expect from the victim, its allies and, for norm-breaching operations,
everybody who enforces the norm. A norm-breaching operation additionally obeys Axelrod's
(1986) rule: the state defects only if its boldness exceeds its chance of being seen.
Criminal groups strike from their havens unless the haven enforces the norms whose
catalogue role is ``haven_enforcement`` (GGE 2015 13(c) and (d)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics import attribution, windows
from sim.mechanics.incidents import TYPE_INDEX
from sim.mechanics.timing import optimal_threshold
from sim.scenario import INCIDENT_TYPES

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel

BILLIONS_PER_TRILLION = 1000.0  # GDP is held in trillions, damage in billions of USD


# ----------------------------------------------------------------------------- exploits


def market_factor(m: CyberDiplomacyModel) -> float:
    """How much the exploit market has grown since week 0 (1 = not at all)."""
    return (1.0 + m.config.operations.market_growth) ** (m.steps / 52.0)


def exposure_factor(m: CyberDiplomacyModel) -> float:
    """How much rivals' exposure online has grown since week 0 (1 = not at all)."""
    return (1.0 + m.config.operations.exposure_growth) ** (m.steps / 52.0)


def patch_pressure(m: CyberDiplomacyModel) -> float:
    """Share by which companies' patching cuts the weekly persistence of held exploits."""
    # companies' speed and reach never change, so this is derived once
    if "patch_pressure" not in m._cache:
        companies = m.companies
        m._cache["patch_pressure"] = (
            m.config.operations.patch_effect
            * float(np.mean([c.patch_speed * c.reach.mean() for c in companies]))
            * len(companies) ** 0.5
            if len(companies)
            else 0.0
        )
    return m._cache["patch_pressure"]


def effective_persistence(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) weekly chance a held exploit stays usable: cut by patching and a leaky market."""
    w = m.world
    leak = m.config.operations.market_leak
    return w.persistence * (1.0 - patch_pressure(m)) / market_factor(m) ** leak


def replenish(m: CyberDiplomacyModel) -> None:
    """Held exploits decay (persistence, cut by patching); new ones are found."""
    w = m.world
    ops = m.config.operations
    w.stockpile = m.rng.binomial(w.stockpile, effective_persistence(m))
    w.stockpile += m.rng.poisson(ops.exploit_discovery * w.offensive_capability * market_factor(m))
    np.minimum(w.stockpile, ops.max_stockpile, out=w.stockpile)


def thresholds(m: CyberDiplomacyModel) -> np.ndarray:
    """T* per state for its current exploits (computed once per distinct (S, P)).

    Stealth and persistence change rarely (a growing market, a scripted change), so the
    result is kept until they do.
    """
    w = m.world
    ops = m.config.operations
    p_eff = effective_persistence(m)
    key = (w.stealth.tobytes(), p_eff.tobytes(), ops.discount, ops.stakes_alpha, ops.stakes_beta)
    cached = m._cache.get("thresholds")
    if cached is not None and cached[0] == key:
        return cached[1]
    pairs, inverse = np.unique(np.stack([w.stealth, p_eff]), axis=1, return_inverse=True)
    t = optimal_threshold(pairs[0], pairs[1], ops.discount, ops.stakes_alpha, ops.stakes_beta)
    per_state = np.asarray(t)[np.ravel(inverse)]
    m._cache["thresholds"] = (key, per_state)
    return per_state


def _violates(m: CyberDiplomacyModel) -> np.ndarray:
    """(incident types, K) True where an operation of the type breaches the norm (derived once)."""
    if "violates" not in m._cache:
        mask = np.zeros((len(INCIDENT_TYPES), m.catalogue.size), dtype=bool)
        for t_idx, t in enumerate(INCIDENT_TYPES):
            mask[t_idx, m.catalogue.violated_by.get(t, [])] = True
        m._cache["violates"] = mask
    return m._cache["violates"]


def breach_commitment(
    m: CyberDiplomacyModel, initiators: np.ndarray, kinds: np.ndarray
) -> np.ndarray:
    """Highest adopted commitment that operations of these types by these states breach."""
    out = np.zeros(len(initiators))
    state = initiators >= 0
    if state.any() and m.catalogue.size:
        out[state] = _breached_by_states(m, initiators[state], kinds[state])
    return out


def _breached_by_states(
    m: CyberDiplomacyModel, states: np.ndarray, kinds: np.ndarray
) -> np.ndarray:
    """:func:`breach_commitment` of operations that all have a state behind them, in a
    catalogue with norms (states plan operations every week: no masks needed).
    """
    # one array operation for all operations instead of one per type among them:
    # commitments are never negative, so the norms a type does not breach count as 0
    breached = _violates(m)[kinds]
    return np.where(breached, m.world.adopted[states], 0.0).max(axis=1)


def breached(m: CyberDiplomacyModel, initiator: int, kind: int) -> float:
    """:func:`breach_commitment` of one operation (a victim asks once per incident)."""
    norms = m.catalogue.violated_by.get(INCIDENT_TYPES[kind], [])
    if initiator < 0 or not norms:
        return 0.0
    return float(m.world.adopted[initiator, norms].max())


def categorical(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    """``size`` draws of an index with cumulative probabilities ``cdf`` (see :func:`cumulative`).

    The same draws, from the same uniforms, as ``rng.choice(len(cdf), size, p=p)``: NumPy
    draws that way too, after checking ``p``, which costs more than the draw on a small
    world and need not be repeated every week for weights that cannot be wrong.
    """
    return cdf.searchsorted(rng.random(size), side="right")


def cumulative(p: np.ndarray) -> np.ndarray:
    """The cumulative probabilities of weights ``p``, exactly as ``rng.choice`` forms them."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf


# ----------------------------------------------------------------------------- state operations


def _type_index(m: CyberDiplomacyModel) -> np.ndarray:
    """Incident-type index of each operation type a state may choose (derived once)."""
    if "type_index" not in m._cache:
        m._cache["type_index"] = np.array([TYPE_INDEX[t] for t in m.operation_types], dtype=int)
    return m._cache["type_index"]


def _type_cdf(m: CyberDiplomacyModel) -> np.ndarray:
    """Cumulative probabilities of the operation types (derived once, as the mix is fixed)."""
    if "type_cdf" not in m._cache:
        m._cache["type_cdf"] = cumulative(m.operation_weights)
    return m._cache["type_cdf"]


def _pairs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the True entries of an (n, n) mask, row by row as np.nonzero
    gives them, found through the flat indices (np.nonzero is several times slower on a
    2-D array; for 193 states it was a tenth of the cost of planning).
    """
    return np.divmod(mask.ravel().nonzero()[0], mask.shape[1])


def _punishment(m: CyberDiplomacyModel) -> tuple[np.ndarray, float]:
    """(n,) punishment an attacker expects from each victim and its allies, and the mean
    vengefulness that scales the punishment of a breach by everybody who enforces norms.

    Vengefulness moves only at the end of a generation (or by an intervention), so these
    are derived again only when it has changed, not for every week's targets.
    """
    w = m.world
    ops = m.config.operations
    key = (w.vengefulness.tobytes(), ops.punishment_scale, ops.ally_punishment)
    cached = m._cache.get("punishment")
    if cached is None or cached[0] != key:
        v = w.vengefulness
        ally = w.ally
        ally_v = (ally * v[None, :]).sum(1) / np.maximum(ally.sum(1), 1)
        punish = ops.punishment_scale * (v + ops.ally_punishment * ally_v)
        # np.mean's own sum and division, without its Python layer
        cached = m._cache["punishment"] = (key, punish, v.sum() / v.size)
    return cached[1], cached[2]


def _detection_within_horizon(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) chance an attacker expects each victim to detect an operation within
    ``operations.deterrence_horizon`` weeks: derived again only when the weekly hazard
    (:func:`sim.mechanics.attribution.detection_hazard`) or the horizon has changed.
    """
    hazard = attribution.detection_hazard(m)
    horizon = m.config.operations.deterrence_horizon
    cached = m._cache.get("detection_within_horizon")
    if cached is None or cached[0] is not hazard or cached[1] != horizon:
        cached = (hazard, horizon, 1.0 - (1.0 - hazard) ** horizon)
        m._cache["detection_within_horizon"] = cached
    return cached[2]


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
    if ops.exposure_growth:  # more of each rival online, more moments worth an operation
        rate = rate * exposure_factor(m)
    has = w.stockpile > 0
    moments = (rng.random((n, n)) < rate) & has[:, None]
    att, tgt = _pairs(moments)
    if len(att) == 0:
        return
    k = len(att)
    stakes = rng.beta(ops.stakes_alpha, ops.stakes_beta, k)
    kinds = _type_index(m)[categorical(rng, _type_cdf(m), k)]

    # deterrence: P(detect) x P(attributed to me) x expected punishment
    p_det = _detection_within_horizon(m)[tgt]
    p_attr = attribution.attribution_chance(m)[tgt] * (
        1.0 - cfg.attribution.proxy_share * w.has_proxy[att]
    )
    victim_punish, mean_vengefulness = _punishment(m)
    # adopted commitment the op would breach (every attacker here is a state)
    breach = _breached_by_states(m, att, kinds) if m.catalogue.size else np.zeros(k)
    punish = victim_punish[tgt] + ops.punishment_scale * breach * mean_vengefulness
    deterrence = ops.deterrence_weight * p_det * p_attr * punish
    t_star = thresholds(m)  # per state
    go = (stakes - deterrence) >= t_star[att]
    if not go.any():  # most weeks no moment is worth its risk: nothing below can change
        return

    # Axelrod (1986): a norm-bound state defects only if bold enough for its chance of being seen
    seen = p_det * p_attr * cfg.norms.visibility
    bound = breach > 0
    refrain = bound & go & (w.boldness[att] <= seen)
    m.counts["norm_opportunities"] += np.count_nonzero(bound & go)
    go &= ~refrain
    # an attacker cannot run more operations this week than it holds exploits; the
    # operations come row by row (att is sorted), so each attacker's are consecutive and
    # the position of its first gives the rank of each among them
    idx = go.nonzero()[0]
    a = att[idx]
    rank = np.arange(len(idx)) - np.searchsorted(a, a)
    idx = idx[rank < w.stockpile[a]]
    if len(idx) == 0:
        return
    att, tgt, stakes, kinds = att[idx], tgt[idx], stakes[idx], kinds[idx]
    threshold = t_star[att]
    rel = np.clip((stakes - threshold) / np.maximum(1.0 - threshold, 1e-9), 0, 0.999)  # see below
    inc_cfg = cfg.incidents
    low = np.array([inc_cfg.severity_low[t] for t in INCIDENT_TYPES])
    high = np.array([inc_cfg.severity_high[t] for t in INCIDENT_TYPES])
    lo, hi = low[kinds], high[kinds]
    # higher stakes, graver operations: the square root spreads them over the type's range
    # (rel stops short of 1 so that the floor stays inside the range)
    severity = lo + np.floor(np.sqrt(rel) * (hi - lo + 1)).astype(int)

    # the exploit is spent unless it stays stealthy
    used = np.bincount(att, minlength=n)
    survived = rng.binomial(used, w.stealth)
    w.stockpile -= used - survived
    launch(m, att, tgt, kinds, severity, violation=breach[idx] > 0)


# ----------------------------------------------------------------------------- crime


def _criminal_groups(m: CyberDiplomacyModel) -> list:
    """The criminal groups among the threat actors, in their order.

    Groups are created with the world and never change sides, so the list is derived
    again only if the number of threat actors changes, not every week.
    """
    actors = m.threat_actors
    cached = m._cache.get("criminal_groups")
    if cached is None or cached[0] != len(actors):
        cached = m._cache["criminal_groups"] = (len(actors), [a for a in actors if a.criminal])
    return cached[1]


def crime(m: CyberDiplomacyModel) -> None:
    """Criminal groups strike from safe havens unless the haven enforces the anti-crime norms."""
    w = m.world
    ta = m.config.threat_actors
    rng = m.rng
    groups = _criminal_groups(m)
    if not groups or w.n < 2:
        return
    enforced = m.catalogue.roles.get("haven_enforcement", [])
    cdf = None  # where crime strikes, weighted by digital GDP (derived when some group does)
    lo, hi = m.config.incidents.severity_low["crime"], m.config.incidents.severity_high["crime"]
    # the mean as np.mean forms it (sum, then divide), without its Python layer
    committed = w.adopted[:, enforced].sum(axis=1) / len(enforced) if enforced else np.zeros(w.n)
    for g in groups:
        h = g.haven
        commitment = committed[h]
        enforcement = ta.resilience_enforcement * w.resilience[h] + (
            ta.commitment_enforcement * commitment
        )
        n_ops = rng.poisson(
            ta.crime_rate * g.capability * (1 - ta.enforcement_effect * enforcement)
        )
        if n_ops == 0:
            continue
        m.counts["norm_opportunities"] += n_ops if commitment > 0 else 0
        # a haven bound by the anti-crime norms knowingly tolerates the group only if bold
        if commitment > 0:
            tolerated = rng.random(n_ops) < w.boldness[h]
            n_ops = int(tolerated.sum())
            if n_ops == 0:
                continue
        if cdf is None:
            weights = w.gdp * w.digital_share
            cdf = cumulative(weights / weights.sum())
        targets = categorical(rng, cdf, n_ops)
        p_grave = ta.severity_base + ta.severity_capability * g.capability
        sev = np.minimum(lo + rng.binomial(hi - lo, p_grave, n_ops), hi)
        launch(
            m,
            np.full(n_ops, -1),
            targets,
            np.full(n_ops, INCIDENT_TYPES.index("crime")),
            sev,
            violation=np.full(n_ops, commitment > 0),
            actor=g.unique_id,
            haven=h,
        )


# ----------------------------------------------------------------------------- new incidents


def damage(
    m: CyberDiplomacyModel, targets: np.ndarray, kinds: np.ndarray, severity: np.ndarray
) -> np.ndarray:
    """Damage (billions of USD): damage_scale x severity^2 x type weight x exposed digital GDP."""
    w = m.world
    ec = m.config.economy
    table = m.config.incidents.damage_weight
    weight = np.array([table[INCIDENT_TYPES[k]] for k in kinds])
    exposure = (
        w.gdp[targets]
        * BILLIONS_PER_TRILLION
        * w.digital_share[targets]
        * (ec.exposure_offset - w.resilience[targets])
    )
    return ec.damage_scale * severity.astype(float) ** 2 * weight * exposure


def launch(
    m: CyberDiplomacyModel,
    initiators: np.ndarray,
    targets: np.ndarray,
    kinds: np.ndarray,
    severity: np.ndarray,
    violation: np.ndarray,
    actor: int = -1,
    haven: int = -1,
    retaliation_of: int = -1,
    scripted: bool = False,
) -> np.ndarray:
    """Record new operations and their damage; returns their rows in the incident table.

    Unscripted state operations may be disguised (:func:`sim.mechanics.attribution.disguise`);
    crime points at the group's haven; retaliations and scripted attacks are undisguised.
    """
    w = m.world
    k = len(targets)
    apparent = np.where(initiators >= 0, initiators, haven).astype(int)
    actors = np.full(k, actor)
    false_flag = np.zeros(k, dtype=bool)
    if retaliation_of < 0 and not scripted:
        apparent, proxies, false_flag = attribution.disguise(m, initiators, targets, apparent)
        actors = np.where(proxies >= 0, proxies, actors)
    dmg = damage(m, targets, kinds, severity)
    rows = m.incidents.add(
        k,
        step=m.steps,
        initiator=initiators,
        actor=actors,
        target=targets,
        apparent=apparent,
        type=kinds,
        severity=severity,
        false_flag=false_flag,
        violation=violation,
        damage=dmg,
        retaliation_of=retaliation_of,
    )
    np.add.at(m.week_damage, targets, dmg)
    windows.shock(m, targets, kinds, severity)
    m.counts["incidents"] += k
    m.counts["crime_incidents"] += int((initiators < 0).sum())
    for r in rows[violation]:
        m.enforcement.violation_committed(int(m.incidents.initiator[r]), int(m.incidents.target[r]))
    m.violations_total += int(violation.sum())
    # the exposure a victim learns raises the value it puts on the norms breached
    learn = m.config.negotiation.exposure_learning
    for t, kd in zip(targets, kinds, strict=True):
        for nk in m.catalogue.violated_by.get(INCIDENT_TYPES[kd], []):
            w.exposure[t, nk] += learn
    return rows
