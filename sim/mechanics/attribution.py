"""Attribution, all of it: detection, evidence, proxies and false flags, attribution, reveal.

* **Disguise.** When a state operates, the evidence may point elsewhere: through a proxy
  group it sponsors (``attribution.proxy_share``; the evidence points at the proxy's
  haven) or a false flag planted against a rival of the victim
  (``attribution.false_flag_rate``).
* **Detection** comes after a dwell time that falls with the victim's resilience and the
  telemetry of companies present in its systems (median dwell times: Mandiant M-Trends;
  ``attribution.dwell_weeks``, ``dwell_trend``, ``dwell_resilience``,
  ``telemetry_detection``).
* **Evidence** accumulates each week after detection from the victim's own skill, allies'
  sharing, company intelligence (``attribution.company_intel``), CBM channels
  (``organizations.cbm_evidence``) and intelligence shared by an intervention; confidence
  is ``1 - exp(-evidence)``.
* **Reveal.** Each week the true culprit behind a proxy or false flag surfaces with a
  chance proportional to the new evidence (``attribution.truth_discovery``), higher with
  consultations through a mission, hotline or CBM channel with the accused.
* **Attribution.** The victim attributes once confidence passes
  ``attribution.threshold``; :mod:`sim.mechanics.response` decides what it then does.

An attacker's estimate of being attributed (:func:`attribution_chance`) uses the same
evidence rates, so better attribution deters (Baliga, Bueno de Mesquita & Wolitzky 2020).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.control import decide
from sim.mechanics import response
from sim.mechanics.incidents import PUBLIC_RESPONSES, RESPONSE_INDEX, RESPONSES

TRUST_COSTING = ("demarche", *PUBLIC_RESPONSES)  # responses that cost trust with the accused

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


# ----------------------------------------------------------------------------- disguise


def disguise(
    m: CyberDiplomacyModel, initiators: np.ndarray, targets: np.ndarray, apparent: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the evidence of new state operations points: a proxy's haven or a framed state.

    Returns (apparent party, threat-actor id or -1, false-flag flag) per operation.
    """
    w = m.world
    a_cfg = m.config.attribution
    rng = m.rng
    k = len(targets)
    apparent = apparent.copy()
    actors = np.full(k, -1)
    false_flag = np.zeros(k, dtype=bool)
    for j in range(k):
        a = int(initiators[j])
        if a < 0:
            continue
        if a in w.proxies and rng.random() < a_cfg.proxy_share:
            actor, haven = w.proxies[a][int(rng.integers(len(w.proxies[a])))]
            actors[j] = actor
            apparent[j] = haven
        elif rng.random() < a_cfg.false_flag_rate:
            cand = np.nonzero(w.rival[targets[j]] & (np.arange(w.n) != a))[0]
            if len(cand) == 0:
                cand = np.setdiff1d(np.arange(w.n), [a, targets[j]])
            if len(cand):
                apparent[j] = int(rng.choice(cand))
                false_flag[j] = True
    return apparent, actors, false_flag


# ----------------------------------------------------------------------------- evidence sources


def telemetry(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) share of each state's systems watched by some company's telemetry."""
    # reach and skill never change, so this is derived once (it is read twice a week)
    if "telemetry" not in m._cache:
        companies = m.companies
        if len(companies):
            reach = np.stack([c.reach * c.telemetry_skill for c in companies])
            m._cache["telemetry"] = 1.0 - np.prod(1.0 - reach, axis=0)
        else:
            m._cache["telemetry"] = np.zeros(m.world.n)
    return m._cache["telemetry"]


def company_intel(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) weekly attribution evidence governments get from companies.

    Intelligence from several firms overlaps: what counts is the share of a state's
    intrusions some sharing firm sees, not a sum that grows without bound with the number
    of firms.
    """
    companies = m.companies
    if not len(companies):
        return np.zeros(m.world.n)
    # sharing changes only when a company joins the accord (or engagement is changed)
    key = (
        tuple(c.accord for c in companies),
        m.config.companies.engagement,
        m.config.companies.foreign_sharing,
        m.config.attribution.company_intel,
    )
    cached = m._cache.get("company_intel")
    if cached is not None and cached[0] == key:
        return cached[1]
    seen = np.stack([c.reach * c.telemetry_skill * c.sharing() for c in companies])
    intel = m.config.attribution.company_intel * (1.0 - np.prod(1.0 - seen, axis=0))
    m._cache["company_intel"] = (key, intel)
    return intel


def _ally_mask(m: CyberDiplomacyModel) -> np.ndarray:
    """``world.ally`` as 0.0 and 1.0: the weekly product with trust then multiplies two
    float arrays instead of converting the booleans first (alliances never change).
    """
    if "ally_mask" not in m._cache:
        m._cache["ally_mask"] = m.world.ally.astype(float)
    return m._cache["ally_mask"]


def evidence_rate(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) weekly attribution evidence: own skill, allies' sharing, companies."""
    cached = m._cache.get("evidence_rate")
    if cached is not None and cached[0] == m.steps:
        return cached[1]
    w = m.world
    a = m.config.attribution
    own = a.evidence_rate * w.attribution_skill
    ally = _ally_mask(m) * w.trust
    allies = decide(m, "share", None, ally) @ w.attribution_skill / np.maximum(ally.sum(1), 1.0)
    rate = own + a.ally_sharing * a.evidence_rate * allies + company_intel(m)
    m._cache["evidence_rate"] = (m.steps, rate)
    return rate


def cbm_channel(m: CyberDiplomacyModel) -> np.ndarray:
    """(n, n) 1 where two states share a body with a CBM programme."""
    orgs = m.organizations
    key = ("cbm", tuple(o.unique_id for o in orgs if o.cbm))
    cached = m._cache.get("cbm")
    if cached is not None and cached[0] == key:
        return cached[1]
    n = m.world.n
    out = np.zeros((n, n))
    for org in orgs:
        if org.cbm:
            out[np.ix_(org.members, org.members)] = 1.0
    np.fill_diagonal(out, 0.0)
    m._cache["cbm"] = (key, out)
    return out


# ----------------------------------------------------------------------------- detection


def detection_hazard(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) weekly chance a victim detects an intrusion, from its resilience and telemetry.

    Attackers weigh it when they plan and victims draw with it a phase later: it is
    derived again only when resilience, a dwell key or (while dwell times shrink) the week
    has changed.
    """
    w = m.world
    a = m.config.attribution
    key = (
        m.steps if a.dwell_trend else None,  # without a trend every week's hazard is the same
        w.resilience.tobytes(),
        a.dwell_weeks,
        a.dwell_trend,
        a.dwell_resilience,
        a.telemetry_detection,
    )
    cached = m._cache.get("detection_hazard")
    if cached is not None and cached[0] == key:
        return cached[1]
    shrink = (1.0 - a.dwell_trend) ** (m.steps / 52.0)
    median_weeks = (
        a.dwell_weeks
        * shrink
        * (a.dwell_resilience - w.resilience)
        / (1.0 + a.telemetry_detection * telemetry(m))
    )
    hazard = 1.0 - 0.5 ** (1.0 / np.maximum(median_weeks, 0.5))
    m._cache["detection_hazard"] = (key, hazard)
    return hazard


def attribution_chance(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) an attacker's estimate that each victim attributes within its horizon.

    Evidence must reach -ln(1 - threshold); the victim gathers `evidence_rate` a week. The
    attacker does not know the luck of the investigation, so the chance rises smoothly
    with the expected number of thresholds the victim can cover:
    ``1 - exp(-attacker_horizon x rate / needed)``. Derived again only when the rate (once
    a week) or a key has changed.
    """
    a = m.config.attribution
    rate = evidence_rate(m)
    cached = m._cache.get("attribution_chance")
    if cached is not None and cached[0] is rate and cached[1] == (a.threshold, a.attacker_horizon):
        return cached[2]
    # a threshold of 1 would need infinite evidence; 0.999 keeps the logarithm finite
    needed = -np.log(1.0 - np.minimum(a.threshold, 0.999))
    if needed > 0:
        chance = 1.0 - np.exp(-rate * a.attacker_horizon / needed)
    else:  # a threshold of 0: every detected incident is attributed at once, evidence or not
        chance = np.ones_like(rate)
    m._cache["attribution_chance"] = (rate, (a.threshold, a.attacker_horizon), chance)
    return chance


def detect(m: CyberDiplomacyModel) -> None:
    """Open undetected incidents are found with each victim's weekly hazard."""
    inc = m.incidents
    rows = inc.open_rows()
    rows = rows[inc.detected_step[rows] < 0]
    if len(rows) == 0:
        return
    hazard = detection_hazard(m)[inc.target[rows]]
    found = rows[m.rng.random(len(rows)) < hazard]
    inc.detected_step[found] = m.steps
    m.counts["incidents_detected"] += len(found)
    for i in found:
        # the story tells of state operations and of crime graver than petty fraud
        if inc.severity[i] >= 3 or inc.initiator[i] >= 0:
            m.log_incident("detected", int(i))


# ----------------------------------------------------------------------------- investigation


def gather_evidence(m: CyberDiplomacyModel) -> None:
    """Evidence and confidence grow on detected incidents; the truth may surface; victims
    that reach their threshold attribute; what can no longer change is closed.
    """
    inc = m.incidents
    w = m.world
    a_cfg = m.config.attribution
    rows = inc.open_rows()
    rows = rows[inc.detected_step[rows] >= 0]
    if len(rows) == 0:
        return
    victim = inc.target[rows]
    accused = inc.apparent[rows]
    cbm = cbm_channel(m)
    gain = (
        evidence_rate(m)[victim]
        + cbm[victim, np.maximum(accused, 0)] * m.config.organizations.cbm_evidence
    )
    gain = gain + w.shared_intel[victim]
    # each column is read once and written back (what `+=` and a second read would do)
    evidence = inc.evidence[rows] + gain
    inc.evidence[rows] = evidence
    confidence = 1.0 - np.exp(-evidence)
    inc.confidence[rows] = confidence

    # the truth surfaces: proxies and false flags are seen through
    initiator = inc.initiator[rows]  # never changes: read once for this and the closing
    wrong = (initiator >= 0) & (accused != initiator)
    if wrong.any():
        r = rows[wrong]
        v, a = inc.target[r], inc.apparent[r]
        consult = 1.0 + w.mission_quality[v, a] + w.hotline[v, a] + cbm[v, a]
        p = a_cfg.truth_discovery * gain[wrong] * consult
        found = r[m.rng.random(len(r)) < p]
        for i in found:
            reveal(m, int(i))

    # victims reach their threshold
    ready = rows[(inc.attributed_step[rows] < 0) & (confidence >= a_cfg.threshold)]
    ready = decide(m, "attribute", None, ready, rows=rows)
    for i in ready:
        attribute(m, int(i))

    # close what can no longer change
    age = m.steps - inc.step[rows]
    attributed_step = inc.attributed_step[rows]  # read again: victims have just attributed
    settled = (attributed_step >= 0) & (
        (inc.apparent[rows] == initiator)  # read again too: the truth may have surfaced
        | (initiator < 0)
        | (m.steps - attributed_step > a_cfg.reveal_window)
    )
    inc.open[rows[settled | (age > a_cfg.close_after)]] = False


def attribute(m: CyberDiplomacyModel, i: int) -> None:
    """The victim of incident i has reached its confidence threshold: it attributes (to
    itself at least) and chooses a response.
    """
    inc = m.incidents
    inc.attributed_step[i] = m.steps
    inc.attributed_to[i] = inc.apparent[i]
    m.counts["incidents_attributed"] += 1
    if inc.initiator[i] >= 0 and inc.attributed_to[i] != inc.initiator[i]:
        m.counts["misattributions"] += 1
    m.counts["lag_sum"] += m.steps - int(inc.step[i])
    choice = decide(m, "response", int(inc.target[i]), response.choose_response(m, i), incident=i)
    response.apply_response(m, i, choice)
    m.log_incident("attributed", i)


def reveal(m: CyberDiplomacyModel, i: int) -> None:
    """The true culprit of incident i surfaces (a proxy or false flag seen through)."""
    inc = m.incidents
    wrong = int(inc.apparent[i])
    inc.apparent[i] = inc.initiator[i]
    if inc.attributed_step[i] >= 0:
        inc.revealed_step[i] = m.steps
        # trust comes back only where the response had cost it (not after tolerating)
        if RESPONSES[inc.response[i]] in TRUST_COSTING:
            tr = m.config.trust
            m.relations.change_trust(int(inc.target[i]), wrong, tr.reveal_regain * tr.incident_loss)
        m.log_incident("revealed", i, wrongly_accused=m.world.names[wrong])


def close_stale(m: CyberDiplomacyModel) -> None:
    """Undetected incidents older than ``attribution.close_after`` are closed as never found."""
    inc = m.incidents
    rows = inc.open_rows()
    old = rows[
        (m.steps - inc.step[rows] > m.config.attribution.close_after)
        & (inc.detected_step[rows] < 0)
    ]
    if len(old):
        inc.open[old] = False
        inc.response[old] = RESPONSE_INDEX["none"]
