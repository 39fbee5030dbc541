"""The response ladder and escalation.

Edwards, Furnas, Forrest & Axelrod (2017, PNAS 114:2825) show that a victim's best
response weighs its certainty about the culprit and the relative vulnerability of the
two sides: tolerating can be rational for a more vulnerable or less certain victim. Here
a victim's *resolve* against the accused is

    resolve = confidence x (severity / 5) x (0.5 + V_victim) x vulnerability ratio

(vulnerability = digital share x (1 - resilience); the ratio accused/victim is clipped to
[0.4, 2.5]), raised when the operation breached an adopted norm. Resolve climbs the
ladder tolerate < demarche < public attribution (joint with trusting allies) < sanctions
< cyber retaliation, with the rungs' thresholds as scenario parameters; retaliation also
needs high confidence. A retaliated state may hit back (an escalation step), with a
chance scaled by its vengefulness, higher if it was wrongly accused, and cut by a
hotline, a CBM channel or a mediator between the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics.incidents import RESPONSE_INDEX, TYPE_INDEX

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


def vulnerability(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) how much a state stands to lose from cyber conflict."""
    w = m.world
    return w.digital_share * (1.0 - 0.8 * w.resilience) + 0.02


def breaches_norm(m: CyberDiplomacyModel, i: int) -> bool:
    """Incident i breaches a norm its initiator, or the party now accused, has adopted."""
    inc = m.incidents
    accused = np.array([inc.apparent[i]])
    return bool(inc.violation[i]) or m.breach_commitment(accused, np.array([inc.kind[i]]))[0] > 0


def choose_response(m: CyberDiplomacyModel, i: int) -> str:
    """The rung of the ladder the victim of incident i climbs to."""
    inc = m.incidents
    w = m.world
    rc = m.config.response
    v, a = int(inc.target[i]), int(inc.apparent[i])
    c = float(inc.confidence[i])
    vul = vulnerability(m)
    ratio = float(np.clip(vul[a] / vul[v], 0.4, 2.5))
    resolve = c * inc.severity[i] / 5.0 * (0.5 + w.vengefulness[v]) * ratio
    if breaches_norm(m, i):
        resolve *= 1.5
    if inc.retaliation_of[i] >= 0:
        resolve *= 1.3
    if (
        resolve >= rc.retaliation_resolve
        and c >= rc.retaliation_confidence
        and inc.kind[i] != TYPE_INDEX["crime"]
        and w.offense[v] > 0.2
    ):
        return "retaliation"
    if resolve >= rc.sanction_resolve:
        return "sanctions"
    if resolve >= rc.public_resolve:
        allies = np.nonzero(w.ally[v] & (w.trust[v] > 0.6))[0]
        return "joint" if len(allies) and c >= 0.75 else "public"
    if resolve >= rc.demarche_resolve and w.mission_quality[v, a] > 0:
        return "demarche"
    return "tolerate"


def escalation_chance(m: CyberDiplomacyModel, hitter: int, victim: int, wrongly: bool) -> float:
    """Chance that `victim` of a retaliation by `hitter` hits back."""
    w = m.world
    rc = m.config.response
    p = rc.counter_retaliation * w.vengefulness[victim] * (1.5 if wrongly else 1.0)
    calm = max(
        float(w.hotline[hitter, victim]),
        float(m.cbm_channel()[hitter, victim]),
        0.5 * float(m.mediator_for(np.array([hitter, victim])) is not None),
    )
    return float(np.clip(p * (1.0 - rc.hotline_deescalation * calm), 0.0, 1.0))


def apply_response(m: CyberDiplomacyModel, i: int, response: str) -> None:
    """Carry out the chosen response to incident i and its consequences."""
    inc = m.incidents
    w = m.world
    cfg = m.config
    v, a = int(inc.target[i]), int(inc.apparent[i])
    c = float(inc.confidence[i])
    inc.response[i] = RESPONSE_INDEX[response]
    sev = float(inc.severity[i])
    public = response in ("public", "joint", "sanctions", "retaliation")
    if response == "demarche":
        m.counts["demarches"] += 1
        m.relations.change_trust(v, a, -0.3 * cfg.trust.incident_loss * sev / 5 * c)
    if public:
        m.counts["public_attributions"] += 1
        m.relations.change_trust(v, a, -cfg.trust.incident_loss * sev / 5 * c)
        m.reputation[a] -= 0.01 * sev
    if response == "joint":
        m.counts["joint_attributions"] += 1
        allies = np.nonzero(w.ally[v] & (w.trust[v] > 0.6))[0]
        for b in allies:
            m.relations.change_trust(int(b), a, -0.5 * cfg.trust.incident_loss * sev / 5 * c)
    if response in ("sanctions", "retaliation"):
        m.counts["sanctions"] += response == "sanctions"
        if response == "sanctions":
            w.sanction_until[v, a] = m.steps + cfg.response.sanction_weeks
            m.relations.change_trust(v, a, -0.5 * cfg.trust.retaliation_loss)
    if response == "retaliation":
        m.retaliate(v, a, int(inc.severity[i]), i)
    if public and breaches_norm(m, i):
        m.enforcement.violation_seen(a, v, c)
