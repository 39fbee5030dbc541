"""Negotiation over decades, one mechanism at a time, driven by hand-built inputs:
agendas (sim/mechanics/agenda.py), windows and hardening (windows.py), implementation
review (review.py), parallel tracks (tracks.py), mandates and failure reasons
(sim/agents/organization.py).
"""

import numpy as np
import pytest

from sim.mechanics import agenda, review, tracks, windows
from sim.mechanics.diplomacy import security_value
from sim.mechanics.incidents import RESPONSE_INDEX
from sim.mechanics.negotiation import item_gains, run_session
from sim.model import CyberDiplomacyModel
from sim.scenario import INCIDENT_TYPES, Negotiation
from sim.world import ADOPTION_LEVEL


def _model(**overrides):
    """Eight states, the UN agenda catalogue, one body, nothing else moving."""
    return CyberDiplomacyModel(
        "baseline",
        {
            "states.count": 8,
            "norms.catalogue": "un_agenda",
            "companies.count": 0,
            "think_tanks.count": 0,
            "threat_actors.count": 0,
            **overrides,
        },
        rng=3,
        steps=5,
    )


def _ids(m, names):
    return np.array([m.catalogue.ids.index(x) for x in names])


# ----------------------------------------------------------------------------- agenda


def test_an_item_waits_for_the_items_it_requires():
    m = _model()
    cat = m.catalogue
    everything = np.arange(cat.size)
    first = agenda.open_items(m, everything, np.arange(m.world.n))
    names = {cat.ids[k] for k in first}
    assert "law" in names and "implementation" not in names and "mechanism" not in names
    m.world.agreed[_ids(m, ["a", "f", "k"])] = 0.6
    later = {cat.ids[k] for k in agenda.open_items(m, everything, np.arange(m.world.n))}
    assert "implementation" in later and "a" not in later  # fresh items come first
    assert "mechanism" not in later  # it also needs implementation and capacity


def test_once_all_are_agreed_the_unsettled_ones_are_deepened():
    m = _model()
    w = m.world
    items = _ids(m, ["a", "b", "cbm"])
    w.agreed[items] = 0.4
    w.adopted[:, items] = 0.4
    w.adopted[:, items[1]] = ADOPTION_LEVEL  # b is settled by everyone
    out = agenda.open_items(m, items, np.arange(w.n))
    assert set(out.tolist()) == {items[0], items[2]}


def test_the_ratchet_keeps_drafts_above_what_was_agreed():
    p = Negotiation()
    ideal = np.full((3, 2), 0.1)  # everyone would like little commitment
    common = dict(
        security=np.zeros((3, 2)),
        sovereignty=np.zeros(3),
        expertise=np.ones(3),
        concession=np.ones(3),
        rule="consensus",
        qualified_majority=0.67,
        rounds=3,
        params=p,
        rng=np.random.default_rng(0),
    )
    free = run_session(ideal, **common)
    floored = run_session(ideal, floor=np.array([0.5, 0.0]), **common)
    assert free.rounds[-1].text[0] < 0.5
    assert all(r.text[0] >= 0.5 for r in floored.rounds)
    m = _model(**{"negotiation.ratchet": 0.5})
    m.world.agreed[:2] = [0.8, 0.2]
    assert agenda.floor(m, np.array([0, 1])) == pytest.approx([0.4, 0.1])


def test_item_gains_name_the_item_that_costs_most():
    p = Negotiation()
    ideal = np.array([[0.5, 0.0]])
    gains = item_gains(np.array([0.5, 0.9]), ideal, np.zeros((1, 2)), np.array([[0.0, 1.0]]), p)
    assert gains.shape == (1, 2) and int(np.argmin(gains[0])) == 1


def test_a_per_item_sovereignty_cost_makes_the_constraining_item_harder():
    m = _model()
    from sim.agents.organization import sovereignty_cost

    items = _ids(m, ["capacity", "law_detail"])
    cost = sovereignty_cost(m, np.arange(m.world.n), items)
    assert (cost[:, 1] > cost[:, 0]).all()


# ----------------------------------------------------------------------------- windows


def test_a_major_incident_opens_a_window_that_fades():
    m = _model(**{"negotiation.shock_spread": 0.5})
    w = m.world
    ci = INCIDENT_TYPES.index("critical_infrastructure")
    esp = INCIDENT_TYPES.index("espionage")
    windows.shock(m, np.array([0, 1]), np.array([esp, esp]), np.array([2, 3]))
    assert not w.shock.any()  # minor espionage: no window
    before = m.world.awareness
    windows.shock(m, np.array([0]), np.array([ci]), np.array([3]))
    assert w.shock[0] == pytest.approx(1.0) and w.shock[1] == pytest.approx(0.5)
    gain = windows.window_gain(m)
    assert (gain[0] > gain[1]).all() and (gain[1] > 0).all()
    assert m.world.awareness >= before
    windows.fade(m)
    assert w.shock[0] == pytest.approx(1.0 - m.config.negotiation.shock_decay)


def test_awareness_scales_what_items_are_worth():
    from sim.mechanics.diplomacy import security_value

    low = _model(**{"negotiation.awareness_start": 0.2})
    full = _model()
    assert (security_value(low) < security_value(full)).all()


def test_lost_trust_between_blocs_hardens_positions():
    m = _model(**{"negotiation.rivalry_hardening": 2.0})
    w = m.world
    assert windows.hardening(m) == pytest.approx(np.ones(w.n))
    other = w.bloc[:, None] != w.bloc[None, :]
    w.trust = np.where(other, w.trust * 0.5, w.trust)
    h = windows.hardening(m)
    assert (h[other.any(axis=1)] > 1).all()


def test_hardening_counts_trust_lost_since_its_highest_not_since_the_start():
    # rivals whose trust first rose and then fell back to where it started have hardened
    m = _model(**{"negotiation.rivalry_hardening": 2.0})
    w = m.world
    other = w.bloc[:, None] != w.bloc[None, :]
    start = w.trust.copy()
    w.trust = np.where(other, np.minimum(1.0, start + 0.3), start)
    w.remember_outside_trust()
    assert windows.hardening(m) == pytest.approx(np.ones(w.n))  # at its best: none
    w.trust = start  # back where it started
    h = windows.hardening(m)
    rose = w.outside_trust_best - w.outside_trust0
    assert (rose[other.any(axis=1)] > 0).all()
    assert h == pytest.approx(1.0 + 2.0 * rose)


def test_a_contested_item_costs_the_sovereignty_minded_at_every_level():
    from sim.agents.organization import held_in_force, negotiating_security

    m = _model()
    w = m.world
    items = _ids(m, ["law_detail", "law"])
    w.sovereignty_concern[:] = np.linspace(0.0, 1.0, w.n)
    value = negotiating_security(m, np.arange(w.n), items)
    plain = security_value(m)
    pivot = m.config.states.position_pivot
    above = np.maximum(w.sovereignty_concern - pivot, 0.0)
    contested = m.catalogue.contested[items[0]]
    assert contested > 0 and m.catalogue.contested[items[1]] == 0
    assert value[:, 0] == pytest.approx(plain[:, items[0]] - contested * above)
    assert value[:, 1] == pytest.approx(plain[:, items[1]])  # law itself is not contested
    assert value[-1, 0] < 0  # the most sovereignty-minded lose from any commitment
    held = held_in_force(m, np.arange(w.n), items)
    assert held[:, 0] == pytest.approx(m.catalogue.in_force[items[0]] * (1 - w.sovereignty_concern))
    assert (held[:, 1] == 0).all()


# ----------------------------------------------------------------------------- review


def _treaty_with_named_violation(m, accused=1):
    w = m.world
    items = _ids(m, ["f"])  # do not damage critical infrastructure
    org = m.organizations[0]
    parties = {0, 1, 2, 3}
    org.treaties.append((items, np.array([0.8]), parties))
    w.adopted[np.ix_(sorted(parties), items)] = 0.8
    w.agreed[items] = 0.8
    m.steps = 10
    m.incidents.add(
        1,
        step=5,
        initiator=np.array([accused]),
        target=np.array([0]),
        type=np.array([INCIDENT_TYPES.index("critical_infrastructure")]),
        attributed_step=np.array([8]),
        attributed_to=np.array([accused]),
        response=np.array([RESPONSE_INDEX["public"]]),
    )
    return org, items, parties


def test_a_review_names_violators_and_costs_them_trust():
    m = _model(**{"organizations.fallback_share": 1.0})
    org, items, parties = _treaty_with_named_violation(m)
    trust = m.world.trust.copy()
    record = review.review(m, org)
    assert record["named"] == [m.world.names[1]]
    assert m.world.trust[0, 1] < trust[0, 1] and m.world.trust[2, 1] < trust[2, 1]
    assert m.world.trust[0, 2] == trust[0, 2]  # parties not named keep their trust
    assert record["fallback"] == []  # one in four named: below a share of 1


def test_widespread_violation_makes_members_fall_back():
    m = _model(**{"organizations.fallback_share": 0.2, "organizations.fallback": 0.5})
    org, items, parties = _treaty_with_named_violation(m)
    review.review(m, org)
    assert m.world.adopted[0, items[0]] == pytest.approx(0.4)
    assert m.world.agreed[items[0]] == pytest.approx(0.4)


def test_a_review_ignores_accusations_of_states_outside_the_agreement():
    m = _model()
    org, items, parties = _treaty_with_named_violation(m, accused=6)
    trust = m.world.trust.copy()
    assert review.review(m, org)["named"] == []
    assert np.array_equal(trust, m.world.trust)


# ----------------------------------------------------------------------------- tracks


def test_a_deadlocked_body_opens_one_parallel_track():
    m = _model(**{"organizations.deadlock_sessions": 2, "organizations.track_kind": "expert"})
    org = m.organizations[0]
    org.failed_in_row = 1
    tracks.maybe_open(m, org, [2, 5])
    assert len(m.organizations) == 1  # not yet deadlocked
    org.failed_in_row = 2
    tracks.maybe_open(m, org, [2, 5])
    bodies = list(m.organizations)
    assert len(bodies) == 2
    track = bodies[1]
    assert set(track.chair.tolist()) == {2, 5}
    assert {2, 5} <= set(track.members.tolist())
    assert len(track.members) == min(m.config.organizations.track_size, m.world.n)
    tracks.maybe_open(m, org, [2, 5])
    assert len(m.organizations) == 2  # at most one track per body
    assert any(e["kind"] == "track_opened" for e in m.events)


def test_states_invest_in_the_body_whose_draft_served_them_best():
    m = _model(**{"organizations.deadlock_sessions": 1})
    org = m.organizations[0]
    org.failed_in_row = 1
    tracks.maybe_open(m, org, [0])
    track = list(m.organizations)[1]
    org.last_gain[:] = 0.0
    track.last_gain[:] = 0.0
    track.last_gain[3] = 0.5  # state 3 gained from the track's last draft
    e_org = tracks.effort(m, org)
    e_track = tracks.effort(m, track)
    assert e_org[3] < 0.5 < e_track[3]
    assert e_org[0] == pytest.approx(0.5)
    assert e_org + e_track == pytest.approx(np.ones(m.world.n))


# ----------------------------------------------------------------------------- mandates


def test_a_mandate_ends_with_a_report_or_a_failure_and_failures_have_reasons():
    m = CyberDiplomacyModel(
        "baseline",
        {
            "states.count": 8,
            "norms.catalogue": "un_agenda",
            # nobody will sign anything: sovereignty dominates and the bar is high
            "negotiation.sovereignty_weight": 20.0,
            "negotiation.reservation": 0.5,
            "organizations.bodies": [
                {"name": "GGE", "first_session": 2, "cadence": 2, "last_session": 6}
            ],
        },
        rng=1,
        steps=8,
    )
    while m.running:
        m.step()
    org = m.organizations[0]
    assert org.outcome == "failure" and not org.active and org.sessions == 3
    failed = [e for e in m.events if e["kind"] == "session_failed"]
    assert failed and all(e["objections"] and e["item"] in m.catalogue.ids for e in failed)
    assert [e["outcome"] for e in m.events if e["kind"] == "mandate_ended"] == ["failure"]


def test_under_consensus_the_chair_accommodates_objectors():
    ideal = np.array([[0.1], [0.5], [0.9], [0.9]])
    common = dict(
        security=np.zeros((4, 1)),
        sovereignty=np.zeros(4),
        expertise=np.ones(4),
        # one Boulware holds out at its best text; three Conceders accept what is offered
        concession=np.array([0.01, 100.0, 100.0, 100.0]),
        qualified_majority=0.9,  # three of four do not carry a majority vote
        rounds=4,
        rng=np.random.default_rng(0),
    )
    plain = run_session(ideal, rule="consensus", params=Negotiation(), **common)
    heard = Negotiation(accommodation=3.0)
    accommodating = run_session(ideal, rule="consensus", params=heard, **common)
    majority = run_session(ideal, rule="qualified_majority", params=heard, **common)
    assert accommodating.rounds[0].text[0] == pytest.approx(plain.rounds[0].text[0])
    assert not plain.rounds[0].accepts[0]  # the reluctant member objects in round 1
    assert accommodating.rounds[1].text[0] < plain.rounds[1].text[0] - 0.05
    # only under consensus
    assert majority.rounds[1].text[0] == pytest.approx(plain.rounds[1].text[0])
