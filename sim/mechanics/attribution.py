"""Detection and attribution of incidents, vectorised over all open incidents.

Detection comes after a dwell time that falls with the victim's resilience and the
telemetry of companies present in its systems (median dwell times: Mandiant M-Trends).
After detection, evidence accumulates each week from the victim's own skill, company
intelligence, allies' sharing and CBM channels; confidence is 1 - exp(-evidence). The
evidence may point at the wrong party (a proxy's host, a framed state); each week the
truth surfaces with a chance proportional to the new evidence, higher with consultations
through a mission or hotline with the accused. The victim attributes once confidence
passes its threshold (see :mod:`sim.mechanics.response` for what it then does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics.incidents import RESPONSE_INDEX
from sim.mechanics.operations import detection_hazard

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel

CLOSE_AFTER_WEEKS = 260  # an incident nobody has attributed after five years is closed


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
        if inc.severity[i] >= 3 or inc.initiator[i] >= 0:
            m.log_incident("detected", int(i))


def gather_evidence(m: CyberDiplomacyModel) -> None:
    """Evidence and confidence grow on detected incidents; the truth may surface."""
    inc = m.incidents
    w = m.world
    rows = inc.open_rows()
    rows = rows[inc.detected_step[rows] >= 0]
    if len(rows) == 0:
        return
    victim = inc.target[rows]
    accused = inc.apparent[rows]
    gain = (
        m.evidence_rate()[victim]
        + m.cbm_channel()[victim, np.maximum(accused, 0)] * m.config.organizations.cbm_evidence
    )
    gain = gain + m.shared_intel[victim]
    inc.evidence[rows] += gain
    inc.confidence[rows] = 1.0 - np.exp(-inc.evidence[rows])

    # the truth surfaces: proxies and false flags are seen through
    wrong = (inc.initiator[rows] >= 0) & (accused != inc.initiator[rows])
    if wrong.any():
        r = rows[wrong]
        v, a = inc.target[r], inc.apparent[r]
        consult = 1.0 + w.mission_quality[v, a] + w.hotline[v, a] + m.cbm_channel()[v, a]
        p = m.config.attribution.truth_discovery * gain[wrong] * consult * 4
        found = r[m.rng.random(len(r)) < p]
        for i in found:
            m.reveal(int(i))

    # victims reach their threshold
    ready = rows[
        (inc.attributed_step[rows] < 0) & (inc.confidence[rows] >= m.config.attribution.threshold)
    ]
    for i in ready:
        m.respond(int(i))

    # close what can no longer change
    age = m.steps - inc.step[rows]
    settled = (inc.attributed_step[rows] >= 0) & (
        (inc.apparent[rows] == inc.initiator[rows])
        | (inc.initiator[rows] < 0)
        | (m.steps - inc.attributed_step[rows] > 104)
    )
    inc.open[rows[settled | (age > CLOSE_AFTER_WEEKS)]] = False


def close_stale(m: CyberDiplomacyModel) -> None:
    """Undetected incidents older than the horizon are closed as never found."""
    inc = m.incidents
    rows = inc.open_rows()
    old = rows[(m.steps - inc.step[rows] > CLOSE_AFTER_WEEKS) & (inc.detected_step[rows] < 0)]
    inc.open[old] = False
    inc.response[old] = RESPONSE_INDEX["none"]
