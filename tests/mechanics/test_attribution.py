"""Attribution mechanics (sim/mechanics/attribution.py) on hand-built incidents.

Detection after a dwell time (Mandiant M-Trends), evidence and confidence
``1 - exp(-evidence)``, attribution at the threshold, reveal of proxies and false flags,
and the attacker's estimate of being attributed (Baliga, Bueno de Mesquita & Wolitzky
2020: better attribution deters).
"""

import numpy as np
import pytest

from sim.mechanics import attribution
from sim.mechanics.incidents import RESPONSE_INDEX, TYPE_INDEX
from sim.model import CyberDiplomacyModel


def _model(seed=1, **overrides):
    """A 12-state baseline world with no organisations (so no CBM channels)."""
    return CyberDiplomacyModel(
        "baseline", {"organizations.bodies": [], **overrides}, rng=seed, steps=5
    )


def _incident(m, victim=0, initiator=4, apparent=None, severity=3, detected=True, step=0):
    rows = m.incidents.add(
        1,
        step=step,
        initiator=initiator,
        target=victim,
        apparent=initiator if apparent is None else apparent,
        type=TYPE_INDEX["espionage"],
        severity=severity,
        detected_step=step if detected else -1,
    )
    return int(rows[0])


# ----------------------------------------------------------------------------- detection


def test_detection_hazard_is_the_dwell_time_median_without_telemetry():
    # no companies, resilience 0.6: the median dwell time is attribution.dwell_weeks
    for weeks in (4.0, 16.0):
        m = _model(**{"companies.count": 0, "attribution.dwell_weeks": weeks})
        m.world.resilience[:] = 0.6
        assert np.all(attribution.telemetry(m) == 0)
        np.testing.assert_allclose(attribution.detection_hazard(m), 1 - 0.5 ** (1 / weeks))


def test_detection_hazard_rises_with_resilience():
    m = _model()
    m.world.resilience[:] = 0.2
    weak = attribution.detection_hazard(m)
    m.world.resilience[:] = 0.9
    strong = attribution.detection_hazard(m)
    assert np.all(strong > weak)


def test_detection_hazard_rises_with_company_telemetry():
    bare = _model(**{"companies.count": 0})
    watched = _model(**{"companies.count": 6, "companies.telemetry_skill": 0.9})
    for m in (bare, watched):
        m.world.resilience[:] = 0.5
    assert np.all(attribution.telemetry(watched) > 0)
    assert np.all(attribution.detection_hazard(watched) > attribution.detection_hazard(bare))
    # the key that weighs telemetry: at 0 companies no longer shorten dwell times
    blind = _model(**{"companies.count": 6, "attribution.telemetry_detection": 0.0})
    blind.world.resilience[:] = 0.5
    np.testing.assert_allclose(
        attribution.detection_hazard(blind), attribution.detection_hazard(bare)
    )


def test_detection_hazard_falls_with_dwell_weeks():
    short = _model(**{"attribution.dwell_weeks": 2.0})
    long = _model(**{"attribution.dwell_weeks": 40.0})
    assert np.all(attribution.detection_hazard(long) < attribution.detection_hazard(short))


def test_detect_marks_found_incidents_and_counts_them():
    # the median dwell time has a floor of half a week: the weekly hazard is at most 0.75
    quick = _model(**{"attribution.dwell_weeks": 0.1})
    slow = _model(**{"attribution.dwell_weeks": 520.0})
    found = {}
    for name, m in (("quick", quick), ("slow", slow)):
        rows = np.array([_incident(m, victim=v % 12, detected=False) for v in range(300)])
        attribution.detect(m)
        seen = m.incidents.detected_step[rows] >= 0
        assert np.all(m.incidents.detected_step[rows][seen] == m.steps)
        assert m.counts["incidents_detected"] == seen.sum()
        found[name] = seen.mean()
    assert found["quick"] == pytest.approx(0.75, abs=0.1)
    assert found["slow"] < 0.05


# ----------------------------------------------------------------------------- deterrence


def test_attribution_chance_rises_with_skill():
    low, high = _model(), _model()  # the same world twice
    low.world.attribution_skill[:] = 0.1
    high.world.attribution_skill[:] = 0.9
    assert np.all(attribution.attribution_chance(high) > attribution.attribution_chance(low))


def test_attribution_chance_rises_with_evidence_rate_and_falls_with_threshold():
    slow = attribution.attribution_chance(_model(**{"attribution.evidence_rate": 0.02}))
    fast = attribution.attribution_chance(_model(**{"attribution.evidence_rate": 0.3}))
    assert np.all(fast > slow)
    lax = attribution.attribution_chance(_model(**{"attribution.threshold": 0.5}))
    strict = attribution.attribution_chance(_model(**{"attribution.threshold": 0.95}))
    assert np.all(strict < lax)


def test_attribution_chance_formula():
    m = _model(**{"attribution.threshold": 0.8, "attribution.attacker_horizon": 10})
    rate = attribution.evidence_rate(m)
    expected = 1 - np.exp(-rate * 10 / -np.log(1 - 0.8))
    np.testing.assert_allclose(attribution.attribution_chance(m), expected)


def test_a_threshold_of_zero_is_attribution_at_once_even_without_evidence():
    """Found by the fuzzing suite: threshold 0 with no evidence gave 0/0 (NaN deterrence)."""
    m = _model(**{"attribution.threshold": 0.0, "attribution.evidence_rate": 0.0})
    m.world.attribution_skill[:] = 0.0
    with np.errstate(all="raise"):  # no 0/0, no NaN
        chance = attribution.attribution_chance(m)
    np.testing.assert_array_equal(chance, np.ones(m.world.n))


def test_evidence_rate_of_a_state_without_allies_or_companies_is_its_own_skill():
    m = _model(**{"companies.count": 0, "attribution.evidence_rate": 0.2})
    w = m.world
    lonely = ~w.ally.any(axis=1)  # the non-aligned bloc
    assert lonely.any() and not lonely.all()
    rate = attribution.evidence_rate(m)
    np.testing.assert_allclose(rate[lonely], 0.2 * w.attribution_skill[lonely])
    # allies share: members of a bloc gather more than their own skill gives
    assert np.all(rate[~lonely] > 0.2 * w.attribution_skill[~lonely])
    no_sharing = _model(
        **{"companies.count": 0, "attribution.evidence_rate": 0.2, "attribution.ally_sharing": 0.0}
    )
    np.testing.assert_allclose(
        attribution.evidence_rate(no_sharing), 0.2 * no_sharing.world.attribution_skill
    )


# ----------------------------------------------------------------------------- evidence


def test_gather_evidence_sets_confidence_from_evidence():
    m = _model(**{"attribution.threshold": 0.999})  # stays below threshold: no attribution
    i = _incident(m, victim=0)
    rate = attribution.evidence_rate(m)[0]
    assert rate > 0
    attribution.gather_evidence(m)
    assert m.incidents.evidence[i] == pytest.approx(rate)
    attribution.gather_evidence(m)
    assert m.incidents.evidence[i] == pytest.approx(2 * rate)
    assert m.incidents.confidence[i] == pytest.approx(1 - np.exp(-2 * rate))
    assert m.incidents.attributed_step[i] == -1


def test_undetected_incidents_gather_no_evidence():
    m = _model()
    i = _incident(m, detected=False)
    attribution.gather_evidence(m)
    assert m.incidents.evidence[i] == 0 and m.incidents.confidence[i] == 0


def test_shared_intelligence_adds_evidence():
    m = _model(**{"attribution.threshold": 0.999})
    i = _incident(m, victim=3)
    m.world.shared_intel[3] = 0.25
    attribution.gather_evidence(m)
    assert m.incidents.evidence[i] == pytest.approx(attribution.evidence_rate(m)[3] + 0.25)


def test_cbm_channel_adds_its_evidence():
    osce = {"name": "OSCE", "kind": "osce", "members": ["all"], "cbm": True}
    for extra in (0.05, 0.5):
        m = _model(
            **{
                "organizations.bodies": [osce],
                "organizations.cbm_evidence": extra,
                "attribution.threshold": 0.999,
            }
        )
        cbm = attribution.cbm_channel(m)
        assert cbm[0, 4] == 1 and np.all(np.diag(cbm) == 0)
        i = _incident(m, victim=0, initiator=4)
        attribution.gather_evidence(m)
        assert m.incidents.evidence[i] == pytest.approx(attribution.evidence_rate(m)[0] + extra)
    # without a CBM body there is no channel and no extra evidence
    m = _model(**{"organizations.cbm_evidence": 0.5, "attribution.threshold": 0.999})
    assert not attribution.cbm_channel(m).any()
    i = _incident(m, victim=0, initiator=4)
    attribution.gather_evidence(m)
    assert m.incidents.evidence[i] == pytest.approx(attribution.evidence_rate(m)[0])


# ----------------------------------------------------------------------------- attribution


def test_victim_at_its_threshold_attributes():
    m = _model()
    i = _incident(m, victim=0, initiator=4)
    m.incidents.evidence[i] = -np.log(1 - 0.8)  # confidence 0.8 before this week's evidence
    m.config.attribution.threshold = 0.95
    attribution.gather_evidence(m)
    assert m.incidents.attributed_step[i] == -1  # still short of 0.95
    m.config.attribution.threshold = 0.8
    attribution.gather_evidence(m)
    assert m.incidents.attributed_step[i] == m.steps
    assert m.incidents.attributed_to[i] == 4
    assert m.counts["incidents_attributed"] == 1
    assert m.counts["misattributions"] == 0
    assert m.incidents.response[i] != RESPONSE_INDEX["none"]  # the victim chose a response
    assert "attributed" in [e["kind"] for e in m.events]


def test_misattribution_is_counted():
    m = _model(**{"attribution.truth_discovery": 0.0})  # the framing is never seen through
    i = _incident(m, victim=0, initiator=4, apparent=9)
    m.incidents.evidence[i] = 5.0
    attribution.gather_evidence(m)
    assert m.incidents.attributed_to[i] == 9
    assert m.counts["incidents_attributed"] == 1
    assert m.counts["misattributions"] == 1
    assert m.incidents.open[i]  # a wrong attribution stays open: the truth may yet surface


def test_truth_surfaces_with_truth_discovery():
    for rate, found in ((0.0, False), (10.0, True)):
        m = _model(**{"attribution.truth_discovery": rate, "attribution.threshold": 0.999})
        m.world.shared_intel[0] = 5.0  # plenty of new evidence this week
        i = _incident(m, victim=0, initiator=4, apparent=9)
        attribution.gather_evidence(m)
        assert (m.incidents.apparent[i] == 4) == found


def test_reveal_points_at_the_culprit_and_regains_trust():
    m = _model(**{"trust.reveal_regain": 0.5, "trust.incident_loss": 0.2})
    w = m.world
    i = _incident(m, victim=0, initiator=4, apparent=9)
    m.incidents.attributed_step[i] = 0
    m.incidents.attributed_to[i] = 9
    m.incidents.response[i] = RESPONSE_INDEX["public"]
    w.trust[0, 9] = w.trust[9, 0] = 0.3
    attribution.reveal(m, i)
    assert m.incidents.apparent[i] == 4
    assert m.incidents.revealed_step[i] == m.steps
    assert w.trust[0, 9] == pytest.approx(0.3 + 0.5 * 0.2)
    assert w.trust[9, 0] == pytest.approx(0.3 + 0.5 * 0.2)
    assert "revealed" in [e["kind"] for e in m.events]


def test_reveal_after_tolerating_changes_no_trust():
    # a victim that tolerated lost no trust with the accused, so it gets none back
    m = _model(**{"trust.reveal_regain": 0.5, "trust.incident_loss": 0.2})
    i = _incident(m, victim=0, initiator=4, apparent=9)
    m.incidents.attributed_step[i] = 0
    m.incidents.attributed_to[i] = 9
    m.incidents.response[i] = RESPONSE_INDEX["tolerate"]
    before = m.world.trust.copy()
    attribution.reveal(m, i)
    assert m.incidents.revealed_step[i] == m.steps
    np.testing.assert_array_equal(m.world.trust, before)


def test_reveal_before_attribution_changes_no_trust():
    m = _model()
    w = m.world
    i = _incident(m, victim=0, initiator=4, apparent=9)
    before = w.trust.copy()
    attribution.reveal(m, i)
    assert m.incidents.apparent[i] == 4
    assert m.incidents.revealed_step[i] == -1
    np.testing.assert_array_equal(w.trust, before)


# ----------------------------------------------------------------------------- disguise


def test_proxy_points_at_its_haven():
    m = _model(**{"threat_actors.count": 0, "attribution.proxy_share": 1.0})
    m.world.add_proxy(4, actor=99, haven=10)
    k = 20
    att = np.full(k, 4)
    tgt = np.zeros(k, dtype=int)
    apparent, actors, false_flag = attribution.disguise(m, att, tgt, att)
    assert np.all(apparent == 10) and np.all(actors == 99) and not false_flag.any()
    # a state without a proxy, and crime, are not disguised (false flags off)
    m.config.attribution.false_flag_rate = 0.0
    other = np.array([5, -1])
    apparent, actors, _ = attribution.disguise(m, other, np.array([0, 0]), np.array([5, 8]))
    np.testing.assert_array_equal(apparent, [5, 8])
    np.testing.assert_array_equal(actors, [-1, -1])


def test_no_disguise_without_proxies_or_false_flags():
    m = _model(**{"attribution.proxy_share": 0.0, "attribution.false_flag_rate": 0.0})
    att = np.array(sorted(m.world.proxies) * 5)  # sponsors of proxies, all of them
    assert len(att)
    apparent, actors, false_flag = attribution.disguise(m, att, np.zeros_like(att), att)
    np.testing.assert_array_equal(apparent, att)
    assert np.all(actors == -1) and not false_flag.any()


def test_false_flag_frames_a_third_state():
    m = _model(**{"threat_actors.count": 0, "attribution.false_flag_rate": 1.0})
    w = m.world
    k = 30
    for victim in range(w.n):
        culprit = (victim + 4) % w.n
        att = np.full(k, culprit)
        tgt = np.full(k, victim)
        apparent, _, false_flag = attribution.disguise(m, att, tgt, att)
        assert false_flag.all()
        assert np.all(apparent != culprit) and np.all(apparent != victim)
        framed_rivals = w.rival[victim] & (np.arange(w.n) != culprit)
        if framed_rivals.any():  # the frame falls on a rival of the victim
            assert np.all(framed_rivals[apparent])


# ----------------------------------------------------------------------------- closing


def test_close_stale_closes_old_undetected_incidents():
    m = _model(**{"attribution.close_after": 10})
    m.steps = 30
    old = _incident(m, detected=False, step=19)  # 11 weeks old
    borderline = _incident(m, detected=False, step=20)  # exactly 10 weeks old
    found = _incident(m, detected=False, step=0)
    m.incidents.detected_step[found] = 1
    attribution.close_stale(m)
    assert not m.incidents.open[old]
    assert m.incidents.response[old] == RESPONSE_INDEX["none"]
    assert m.incidents.open[borderline] and m.incidents.open[found]
    # a longer window keeps the same incident open
    m2 = _model(**{"attribution.close_after": 20})
    m2.steps = 30
    i = _incident(m2, detected=False, step=19)
    attribution.close_stale(m2)
    assert m2.incidents.open[i]
