"""The response ladder, retaliation and escalation.

Edwards, Furnas, Forrest & Axelrod (2017, PNAS 114:2825) show that a victim's best
response weighs its certainty about the culprit and the relative vulnerability of the
two sides: tolerating can be rational for a more vulnerable or less certain victim. Here
a victim's *resolve* against the accused is

    resolve = confidence x (severity / reference_severity) x (0.5 + V_victim) x ratio

where vulnerability = digital share x (1 - resilience_shield x resilience) +
vulnerability_floor and the ratio accused/victim is clipped to [ratio_min, ratio_max]
(all keys of ``[response]``; the reference severity is ``incidents.reference_severity``).
Resolve is multiplied by ``norm_breach_resolve`` when the operation breached an adopted
norm. It climbs the ladder
tolerate < demarche < public attribution (joint with trusting allies) < sanctions < cyber
retaliation, with the rungs' thresholds as keys; retaliation also needs
``retaliation_confidence`` and ``retaliation_capability``.

A retaliation lands the week after it is decided. Its target may hit back (an escalation
step) with chance ``counter_retaliation`` x its vengefulness, x ``wrongly_accused_anger``
if it was wrongly accused, cut by a hotline, a CBM channel or a mediator between the two
(``hotline_deescalation``, ``mediator_calm``), and x ``escalation_decay`` per earlier step
of the chain, which stops at ``max_escalation_depth``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.mechanics.incidents import PUBLIC_RESPONSES, RESPONSE_INDEX, TYPE_INDEX

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


def vulnerability(m: CyberDiplomacyModel, states: Any = slice(None)) -> np.ndarray:
    """(n,) how much a state stands to lose from cyber conflict (or of ``states`` only: a
    victim weighs two states per incident, not all of them).
    """
    w = m.world
    rc = m.config.response
    return (
        w.digital_share[states] * (1.0 - rc.resilience_shield * w.resilience[states])
        + rc.vulnerability_floor
    )


def breaches_norm(m: CyberDiplomacyModel, i: int) -> bool:
    """Incident i breaches a norm its initiator, or the party now accused, has adopted."""
    from sim.mechanics.operations import breached

    inc = m.incidents
    return bool(inc.violation[i]) or breached(m, int(inc.apparent[i]), int(inc.type[i])) > 0


def trusting_allies(m: CyberDiplomacyModel, v: int) -> np.ndarray:
    """Indices of v's allies that trust it enough to join a joint attribution."""
    w = m.world
    return np.nonzero(w.ally[v] & (w.trust[v] > m.config.response.joint_trust))[0]


def choose_response(m: CyberDiplomacyModel, i: int) -> str:
    """The rung of the ladder the victim of incident i climbs to."""
    inc = m.incidents
    w = m.world
    rc = m.config.response
    v, a = int(inc.target[i]), int(inc.apparent[i])
    c = float(inc.confidence[i])
    vul_a, vul_v = vulnerability(m, [a, v])
    # np.clip of one number, without its overhead
    ratio = min(max(float(vul_a / vul_v), rc.ratio_min), rc.ratio_max)
    resolve = (
        c
        * inc.severity[i]
        / m.config.incidents.reference_severity
        * (0.5 + w.vengefulness[v])
        * ratio
    )
    if breaches_norm(m, i):
        resolve *= rc.norm_breach_resolve
    if (
        resolve >= rc.retaliation_resolve
        and c >= rc.retaliation_confidence
        and inc.type[i] != TYPE_INDEX["crime"]
        and w.offensive_capability[v] > rc.retaliation_capability
    ):
        return "retaliation"
    if resolve >= rc.sanction_resolve:
        return "sanctions"
    if resolve >= rc.public_resolve:
        return "joint" if len(trusting_allies(m, v)) and c >= rc.joint_confidence else "public"
    if resolve >= rc.demarche_resolve and w.mission_quality[v, a] > 0:
        return "demarche"
    return "tolerate"


def apply_response(m: CyberDiplomacyModel, i: int, response: str) -> None:
    """Carry out the chosen response to incident i and its consequences."""
    inc = m.incidents
    w = m.world
    cfg = m.config
    tr = cfg.trust
    v, a = int(inc.target[i]), int(inc.apparent[i])
    c = float(inc.confidence[i])
    inc.response[i] = RESPONSE_INDEX[response]
    sev = float(inc.severity[i])
    ref = cfg.incidents.reference_severity
    loss = tr.incident_loss * sev / ref * c
    public = response in PUBLIC_RESPONSES
    if response == "demarche":
        m.counts["demarches"] += 1
        m.relations.change_trust(v, a, -tr.demarche_share * tr.incident_loss * sev / ref * c)
    if public:
        m.counts["public_attributions"] += 1
        if inc.initiator[i] >= 0 and a != inc.initiator[i]:
            m.counts["public_misattributions"] += 1
        m.relations.change_trust(v, a, -loss)
        w.reputation[a] -= cfg.response.reputation_loss * sev
    if response == "joint":
        m.counts["joint_attributions"] += 1
        for b in trusting_allies(m, v):
            m.relations.change_trust(int(b), a, -tr.joint_share * loss)
    if response == "sanctions":
        m.counts["sanctions"] += 1
        w.sanction_until[v, a] = m.steps + cfg.response.sanction_weeks
        m.relations.change_trust(v, a, -tr.sanction_share * tr.retaliation_loss)
    if response == "retaliation":
        retaliate(m, v, a, int(inc.severity[i]), i)
    if public and breaches_norm(m, i):
        m.enforcement.violation_seen(a, v, c)


# ----------------------------------------------------------------------------- escalation


def retaliate(m: CyberDiplomacyModel, hitter: int, victim: int, severity: int, source: int) -> None:
    """Queue a cyber retaliation for next week (it may be answered in turn)."""
    m.counts["retaliations"] += 1
    m.relations.change_trust(hitter, victim, -m.config.trust.retaliation_loss)
    m.retaliation_queue.append((hitter, victim, severity, source))


def escalation_chance(m: CyberDiplomacyModel, hitter: int, victim: int, wrongly: bool) -> float:
    """Chance that `victim` of a retaliation by `hitter` hits back."""
    w = m.world
    rc = m.config.response
    from sim.mechanics.attribution import cbm_channel
    from sim.mechanics.diplomacy import mediator_for

    p = (
        rc.counter_retaliation
        * w.vengefulness[victim]
        * (rc.wrongly_accused_anger if wrongly else 1.0)
    )
    calm = max(
        float(w.hotline[hitter, victim]),
        float(cbm_channel(m)[hitter, victim]),
        rc.mediator_calm * float(mediator_for(m, np.array([hitter, victim])) is not None),
    )
    return float(np.clip(p * (1.0 - rc.hotline_deescalation * calm), 0.0, 1.0))


def chain_depth(m: CyberDiplomacyModel, i: int) -> int:
    """How many retaliations precede incident i in its chain."""
    d = 0
    src = m.incidents.retaliation_of
    while src[i] >= 0:
        i = int(src[i])
        d += 1
    return d


def escalate(m: CyberDiplomacyModel) -> None:
    """Last week's retaliations land; their targets may hit back (escalation)."""
    if not m.retaliation_queue:  # most weeks: nothing to land
        return
    from sim.mechanics.operations import launch

    queue, m.retaliation_queue = m.retaliation_queue, []
    inc = m.incidents
    rc = m.config.response
    names = m.world.names
    for hitter, victim, severity, source in queue:
        rows = launch(
            m,
            np.array([hitter]),
            np.array([victim]),
            np.array([TYPE_INDEX["disruption"]]),
            np.array(
                [max(rc.retaliation_severity_min, min(severity, rc.retaliation_severity_max))]
            ),
            np.array([False]),
            retaliation_of=source,
        )
        r = int(rows[0])
        inc.detected_step[r] = inc.attributed_step[r] = m.steps
        inc.attributed_to[r] = hitter
        inc.confidence[r] = inc.evidence[r] = 1.0
        inc.open[r] = False
        wrongly = int(inc.initiator[source]) != victim
        p = escalation_chance(m, hitter, victim, wrongly)
        depth = chain_depth(m, source)
        m.log_incident("retaliation", r, wrongly=wrongly)
        if depth < rc.max_escalation_depth and m.rng.random() < p * (rc.escalation_decay**depth):
            m.counts["escalations"] += 1
            inc.response[r] = RESPONSE_INDEX["retaliation"]
            retaliate(m, victim, hitter, severity, r)
            m.log(
                "escalation",
                actors=[names[victim], names[hitter]],
                attacker=names[victim],
                target=names[hitter],
                depth=depth + 1,
            )
