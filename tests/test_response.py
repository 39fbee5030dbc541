"""Published qualitative results behind the response ladder and deterrence.

Edwards, Furnas, Forrest & Axelrod (2017, PNAS 114:2825): tolerating can be rational; a
victim's response weighs its certainty and the relative vulnerability of the two sides.
Baliga, Bueno de Mesquita & Wolitzky (2020, APSR 114:1155): better attribution deters.
"""

import pytest

from sim.mechanics.incidents import RESPONSES, TYPE_INDEX
from sim.mechanics.response import choose_response
from sim.model import CyberDiplomacyModel
from sim.run import simulate

RUNG = {r: i for i, r in enumerate(RESPONSES)}


def _incident(m, victim=0, accused=1, severity=4, confidence=0.8):
    rows = m.incidents.add(
        1,
        step=1,
        initiator=accused,
        target=victim,
        apparent=accused,
        type=TYPE_INDEX["disruption"],
        severity=severity,
    )
    m.incidents.confidence[rows] = confidence
    return int(rows[0])


def _model():
    m = CyberDiplomacyModel("baseline", {"organizations.bodies": []}, rng=1, steps=5)
    w = m.world
    w.vengefulness[:] = 0.6
    w.offensive_capability[:] = 0.6
    w.mission_quality[0, 1] = 0.6
    return m


def test_more_certain_victims_climb_higher():
    m = _model()
    low = choose_response(m, _incident(m, confidence=0.3))
    high = choose_response(m, _incident(m, confidence=0.95))
    assert RUNG[high] > RUNG[low]


def test_more_vulnerable_victims_tolerate_more():
    m = _model()
    w = m.world
    w.digital_share[1] = 0.15
    w.resilience[1] = 0.5
    w.digital_share[0], w.resilience[0] = 0.05, 0.9  # victim hard to hurt
    robust = choose_response(m, _incident(m))
    w.digital_share[0], w.resilience[0] = 0.4, 0.1  # victim with much to lose
    fragile = choose_response(m, _incident(m))
    assert RUNG[fragile] < RUNG[robust]


def test_graver_incidents_get_graver_responses():
    m = _model()
    mild = choose_response(m, _incident(m, severity=1))
    grave = choose_response(m, _incident(m, severity=6))
    assert RUNG[grave] > RUNG[mild]
    assert mild in ("tolerate", "demarche")


@pytest.mark.slow
def test_better_attribution_deters_operations():
    def state_ops(skill):
        total = 0
        for seed in range(6):
            events = simulate(
                "baseline",
                {"states.attribution_skill": skill, "threat_actors.count": 0},
                seed=seed,
                steps=260,
            ).events
            total += sum(
                1 for e in events if e["kind"] == "incident" and e["retaliation_of"] is None
            )
        return total

    assert state_ops(0.9) < 0.9 * state_ops(0.1)


def test_retaliation_needs_certainty():
    # a resolute victim: grave incident, full vengefulness, an accused with more to lose;
    # resolve clears retaliation_resolve, so only the confidence gate decides
    m = _model()
    w = m.world
    w.vengefulness[0] = 1.0
    w.digital_share[0], w.resilience[0] = 0.1, 0.9
    w.digital_share[1], w.resilience[1] = 0.4, 0.1
    assert w.offensive_capability[0] > m.config.response.retaliation_capability
    i = _incident(m, severity=6, confidence=0.8)
    m.config.response.retaliation_confidence = 0.7
    assert choose_response(m, i) == "retaliation"
    m.config.response.retaliation_confidence = 0.9
    assert choose_response(m, i) == "sanctions"  # as resolute, but not certain enough
    # and a victim without the means cannot retaliate however certain it is
    m.config.response.retaliation_confidence = 0.7
    w.offensive_capability[0] = 0.1
    assert choose_response(m, i) == "sanctions"
    assert m.incidents.confidence[i] == 0.8
