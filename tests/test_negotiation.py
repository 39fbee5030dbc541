"""Tests for the norm negotiation engine (sim/mechanics/negotiation.py).

Its speed is measured by benchmarks/bench_negotiation.py, not here.
"""

import numpy as np
import pytest

from sim.mechanics.negotiation import (
    SessionResult,
    acceptance_threshold,
    best_text,
    concession_share,
    lobby,
    pre_negotiate,
    run_session,
    utility,
)
from sim.scenario import Negotiation

K = 11


def population(rng, m, k=K):
    """Random members: ideal, security, sovereignty, expertise, concession exponent."""
    ideal = np.clip(rng.normal(rng.uniform(0.3, 0.7), 0.2, (m, k)), 0, 1)
    security = rng.uniform(0, 0.5, (m, k))
    sovereignty = rng.uniform(0, 1, m)
    expertise = rng.uniform(0, 1, m)
    beta = np.exp(rng.uniform(np.log(0.3), np.log(3.0), m))
    return ideal, security, sovereignty, expertise, beta


def split_population(rng, m, k=K, share=0.7):
    """Two camps: a committed majority and a sovereignty-minded minority."""
    camp = rng.random(m) < share
    ideal = np.where(camp[:, None], rng.normal(0.8, 0.08, (m, k)), rng.normal(0.15, 0.08, (m, k)))
    security = rng.uniform(0, 0.3, (m, k))
    sovereignty = np.where(camp, rng.uniform(0, 0.3, m), rng.uniform(0.6, 1, m))
    expertise = rng.uniform(0, 1, m)
    beta = np.exp(rng.uniform(np.log(0.3), np.log(3.0), m))
    return np.clip(ideal, 0, 1), security, sovereignty, expertise, beta


def session(members, rule, *, seed=0, q=0.67, rounds=6, params=None, mediator=False, **kw):
    return run_session(
        *members,
        rule=rule,
        qualified_majority=q,
        rounds=rounds,
        params=params or Negotiation(),
        rng=np.random.default_rng(seed),
        mediator=mediator,
        **kw,
    )


def uniform_members(ideals, sovereignty=0.0, expertise=1.0, beta=1.0, k=3):
    """Members with one ideal level on every norm, no security gain, full expertise."""
    ideal = np.repeat(np.asarray(ideals, dtype=float)[:, None], k, axis=1)
    m = len(ideals)
    return (
        ideal,
        np.zeros_like(ideal),
        np.broadcast_to(np.asarray(sovereignty, dtype=float), (m,)).copy(),
        np.full(m, expertise),
        np.broadcast_to(np.asarray(beta, dtype=float), (m,)).copy(),
    )


# ----------------------------------------------------------------------------- utility


def test_ideal_text_maximises_utility_without_security_or_sovereignty():
    rng = np.random.default_rng(1)
    params = Negotiation(security_weight=0.0, sovereignty_weight=0.0)
    ideal = rng.random((5, K))
    sec, sov = rng.random((5, K)), rng.random(5)
    at_ideal = utility(ideal, ideal, sec, sov, params)
    for _ in range(200):
        other = rng.random(K)
        assert np.all(utility(other, ideal, sec, sov, params) <= at_ideal + 1e-12)
    np.testing.assert_allclose(best_text(ideal, sec, sov, params), ideal)


def test_best_text_is_the_maximum_with_all_terms():
    rng = np.random.default_rng(2)
    params = Negotiation(security_weight=1.5, sovereignty_weight=2.0)
    ideal, sec, sov = rng.random((4, 1)), rng.random((4, 1)), rng.random(4)
    grid = np.linspace(0, 1, 2001)
    values = np.array([utility(np.array([g]), ideal, sec, sov, params) for g in grid])
    np.testing.assert_allclose(
        best_text(ideal, sec, sov, params)[:, 0], grid[values.argmax(axis=0)], atol=1e-3
    )


def test_sovereignty_lowers_the_value_of_binding_texts():
    params = Negotiation()
    m = 5
    ideal = np.full((m, K), 0.6)
    sec = np.full((m, K), 0.2)
    sov = np.linspace(0, 1, m)
    binding = utility(np.ones(K), ideal, sec, sov, params)
    assert np.all(np.diff(binding) < 0)
    # and the more binding the text, the larger the cost of the same concern
    loose = utility(np.full(K, 0.2), ideal, sec, sov, params)
    assert (binding[0] - binding[-1]) > (loose[0] - loose[-1])
    assert np.all(np.diff(best_text(ideal, sec, sov, params)[:, 0]) < 0)


def test_security_gain_raises_the_value_of_commitment():
    params = Negotiation()
    ideal = np.full((3, K), 0.5)
    sec = np.array([[0.0], [0.3], [0.6]]) * np.ones(K)
    assert np.all(np.diff(utility(np.full(K, 0.8), ideal, sec, np.zeros(3), params)) > 0)


def test_status_quo_has_zero_utility():
    rng = np.random.default_rng(3)
    ideal, sec, sov, _, _ = population(rng, 6)
    x0 = rng.random(K)
    np.testing.assert_allclose(utility(x0, ideal, sec, sov, Negotiation(), x0), 0, atol=1e-12)


# ----------------------------------------------------------------------------- concession


def test_boulware_holds_firm_longer_than_conceder():
    t = np.arange(0, 7)
    boulware = concession_share(t, 6, np.full(7, 0.3))
    conceder = concession_share(t, 6, np.full(7, 3.0))
    linear = concession_share(t, 6, np.full(7, 1.0))
    assert np.all(np.diff(boulware) > 0) and np.all(np.diff(conceder) > 0)
    assert np.all(boulware[1:-1] < linear[1:-1]) and np.all(linear[1:-1] < conceder[1:-1])
    assert boulware[0] == conceder[0] == 0.0
    assert boulware[-1] == pytest.approx(1.0) and conceder[-1] == pytest.approx(1.0)
    # thresholds: the Boulware delegation demands more in every round before the last
    params = Negotiation(caution=0.0)
    thr_b = [
        acceptance_threshold(r, 6, np.array([0.3]), np.array([1.0]), params)[0] for r in range(1, 7)
    ]
    thr_c = [
        acceptance_threshold(r, 6, np.array([3.0]), np.array([1.0]), params)[0] for r in range(1, 7)
    ]
    assert all(b > c for b, c in zip(thr_b[:-1], thr_c[:-1], strict=True))
    assert thr_b[-1] == pytest.approx(0.0) and thr_c[-1] == pytest.approx(0.0)


def test_low_expertise_keeps_a_margin():
    params = Negotiation(caution=0.8)
    expertise = np.array([0.0, 0.5, 1.0])
    end = acceptance_threshold(6, 6, np.ones(3), expertise, params)
    np.testing.assert_allclose(end, [0.8, 0.4, 0.0])
    start = acceptance_threshold(1, 6, np.ones(3), expertise, params)
    assert np.all(np.diff(start) < 0)


def test_conceder_accepts_earlier_than_boulware_in_a_session():
    # two members apart: under consensus agreement waits for both to concede
    def first_round(beta):
        members = uniform_members([0.8, 0.5], beta=beta)
        return session(members, "consensus").round

    assert first_round(3.0) < first_round(0.3)


# ----------------------------------------------------------------------------- decision rules


def test_consensus_adopts_when_all_agree_and_all_sign():
    result = session(uniform_members([0.6, 0.6, 0.6, 0.6]), "consensus")
    assert isinstance(result, SessionResult)
    assert result.agreed and result.round == 1
    assert result.signatories.all()
    np.testing.assert_allclose(result.text, 0.6)
    assert len(result.rounds) == 1 and result.rounds[0].accepts.all()


def test_one_objector_blocks_consensus_but_not_a_qualified_majority():
    # nine members want commitment, one wants none and is sovereignty-minded: every
    # non-zero text is worse for it than no agreement
    members = uniform_members([0.7] * 9 + [0.0], sovereignty=[0.0] * 9 + [1.0])
    cons = session(members, "consensus")
    assert not cons.agreed and cons.round == 6 and len(cons.rounds) == 6
    assert not cons.signatories.any()
    assert not any(r.accepts[-1] for r in cons.rounds)
    qm = session(members, "qualified_majority", q=0.67)
    assert qm.agreed
    np.testing.assert_array_equal(qm.signatories, [True] * 9 + [False])
    # a demanding majority threshold is not met by 9 of 10
    assert not session(members, "qualified_majority", q=0.95).agreed


def test_silence_is_a_weaker_bar_than_consensus():
    # Boulware members around a middle text: all gain, none gets its best text; in round 1
    # nobody accepts yet, but nobody is strongly opposed enough to break silence
    members = uniform_members([0.8, 0.5, 0.4, 0.55, 0.7], beta=0.3)
    cons = session(members, "consensus")
    sil = session(members, "silence")
    assert sil.agreed and sil.round == 1 and sil.signatories.all()
    assert cons.agreed and cons.round > sil.round
    assert not cons.rounds[0].accepts.any()


def test_a_strongly_opposed_member_breaks_silence():
    members = uniform_members([0.7] * 9 + [0.0], sovereignty=[0.0] * 9 + [1.0])
    result = session(members, "silence")
    assert not result.agreed and not result.signatories.any()


def test_rule_is_checked():
    with pytest.raises(ValueError, match="rule"):
        session(uniform_members([0.5, 0.5]), "unanimity")


def test_consensus_is_harder_than_qualified_majority():
    rates = {"consensus": [], "qualified_majority": [], "silence": []}
    for seed in range(50):
        members = population(np.random.default_rng(seed), 100)
        for rule, agreed in rates.items():
            agreed.append(session(members, rule, seed=seed).agreed)
    cons = np.mean(rates["consensus"])
    qm = np.mean(rates["qualified_majority"])
    sil = np.mean(rates["silence"])
    assert cons < qm - 0.08
    assert cons <= sil <= 1.0
    # consensus never succeeds where a qualified majority fails on the same population
    assert not np.any(np.array(rates["consensus"]) & ~np.array(rates["qualified_majority"]))


# ----------------------------------------------------------------------------- mediation


def test_mediator_drafts_toward_the_median_and_agrees_sooner():
    # a Boulware majority at 0.8 and a minority at 0.1: the chair's mean sits between them
    members = uniform_members([0.8] * 7 + [0.1] * 3, sovereignty=[0.0] * 7 + [0.9] * 3, beta=0.3)
    params = Negotiation(mediation_weight=1.0)
    chair = session(members, "qualified_majority", params=params)
    mediated = session(members, "qualified_majority", params=params, mediator=True)
    assert mediated.rounds[0].text[0] > chair.rounds[0].text[0] + 0.1
    assert mediated.agreed and mediated.round == 1
    assert chair.round > mediated.round
    half = session(
        members, "qualified_majority", params=Negotiation(mediation_weight=0.5), mediator=True
    )
    assert chair.rounds[0].text[0] < half.rounds[0].text[0] < mediated.rounds[0].text[0]


def test_mediator_helps_agreement_in_split_groups():
    params = Negotiation(caution=1.0)
    agreed = {False: 0, True: 0}
    for seed in range(120):
        members = split_population(np.random.default_rng(seed), 40)
        for med in agreed:
            agreed[med] += session(
                members, "qualified_majority", seed=seed, params=params, mediator=med
            ).agreed
    assert agreed[True] > agreed[False] + 5


# ----------------------------------------------------------------------------- determinism


def test_deterministic_given_the_seed():
    members = population(np.random.default_rng(7), 30)
    np.random.seed(1)
    a = session(members, "consensus", seed=42, mediator=True)
    np.random.seed(2)
    b = session(members, "consensus", seed=42, mediator=True)
    assert a.agreed == b.agreed and a.round == b.round
    np.testing.assert_array_equal(a.text, b.text)
    for ra, rb in zip(a.rounds, b.rounds, strict=True):
        np.testing.assert_array_equal(ra.accepts, rb.accepts)
        np.testing.assert_array_equal(ra.utilities, rb.utilities)


# ----------------------------------------------------------------------------- between sessions


def test_pre_negotiate_narrows_the_spread():
    rng = np.random.default_rng(4)
    n = 30
    ideal = rng.random((n, K))
    weights = rng.random((n, n)) * 0.6
    after = pre_negotiate(ideal, weights, 0.3)
    assert after.std(axis=0).mean() < 0.8 * ideal.std(axis=0).mean()
    np.testing.assert_array_equal(pre_negotiate(ideal, weights, 0.0), ideal)
    # state 0 moves toward the weighted mean of its partners, its own weight ignored
    w = weights[0].copy()
    w[0] = 0
    expected = ideal[0] + 0.3 * (w @ ideal / w.sum() - ideal[0])
    np.testing.assert_allclose(after[0], expected)
    # a state without channels keeps its position
    weights[5, :] = 0
    np.testing.assert_array_equal(pre_negotiate(ideal, weights, 0.3)[5], ideal[5])


def test_lobby_moves_toward_the_target():
    rng = np.random.default_rng(5)
    ideal = rng.random((8, K))
    target = np.full(K, 0.9)
    pull = np.linspace(0, 0.5, 8)
    after = lobby(ideal, pull, target)
    before_gap = np.abs(ideal - target).sum(axis=1)
    after_gap = np.abs(after - target).sum(axis=1)
    np.testing.assert_allclose(after_gap, (1 - pull) * before_gap)
    np.testing.assert_array_equal(after[0], ideal[0])


# ----------------------------------------------------------------------------- red lines


def _two_items():
    """Two members; member 1 gains much on item 0 and loses a little on item 1 when the
    text is at member 0's best (1, 1)."""
    ideal = np.array([[1.0, 1.0], [1.0, 0.0]])
    security = np.zeros((2, 2))
    sovereignty = np.zeros(2)
    return ideal, security, sovereignty


def _one_round(params, held=None, security=None):
    ideal, plain, sovereignty = _two_items()
    security = plain if security is None else security
    return run_session(
        ideal,
        security,
        sovereignty,
        np.ones(2),
        np.ones(2),
        rule="consensus",
        qualified_majority=0.67,
        rounds=1,
        params=params,
        rng=np.random.default_rng(0),
        floor=np.array([1.0, 0.3]),
        influence=np.array([1.0, 1e-9]),
        held=held,
    )


def test_a_red_line_makes_a_member_object_whatever_else_the_text_gives():
    loose = Negotiation(reservation=-1.0, caution=0.0)
    assert _one_round(loose).agreed  # item 0 outweighs the small loss on item 1
    strict = Negotiation(reservation=-1.0, caution=0.0, red_line=0.05)
    result = _one_round(strict)
    assert not result.agreed
    assert not result.rounds[-1].accepts[1] and result.rounds[-1].accepts[0]


def test_a_text_below_what_a_member_holds_in_force_is_a_step_back():
    from sim.mechanics.negotiation import item_gains, step_back

    params = Negotiation(reservation=-1.0, caution=0.0, red_line=0.2)
    ideal, security, sovereignty = _two_items()
    security = np.full((2, 2), 0.5)
    text = np.array([1.0, 0.2])
    held = np.array([[0.0, 0.9], [0.0, 0.0]])
    back = step_back(text, held, security, params)
    assert back[0, 1] == pytest.approx(params.security_weight * 0.5 * 0.7)
    assert (back[0, 0], back[1, 1]) == (0.0, 0.0)
    plain = item_gains(text, ideal, security, sovereignty, params)
    assert item_gains(text, ideal, security, sovereignty, params, held=held)[0, 1] == (
        pytest.approx(plain[0, 1] - back[0, 1])
    )

    # member 0 wants 0.3 on item 1 and holds 0.95 in force: a text at 0.3 is a step back
    def session(held):
        return run_session(
            np.array([[1.0, 0.3], [1.0, 0.0]]),
            np.full((2, 2), 0.5),
            np.zeros(2),
            np.ones(2),
            np.ones(2),
            rule="consensus",
            qualified_majority=0.67,
            rounds=1,
            params=Negotiation(reservation=-1.0, caution=0.0, red_line=0.02),
            rng=np.random.default_rng(0),
            floor=np.array([1.0, 0.3]),
            influence=np.array([1e-9, 1.0]),
            held=held,
        )

    assert session(None).agreed
    result = session(np.array([[0.0, 0.95], [0.0, 0.0]]))
    assert not result.agreed and not result.rounds[-1].accepts[0]


def test_under_accommodation_an_objector_holds_out_for_its_best_text():
    from sim.mechanics.negotiation import _conceded

    # member 0 wants everything, member 1 little; member 1 objects in round 1
    ideal = np.array([[1.0], [0.1]])
    zeros = np.zeros((2, 1))
    params = Negotiation(accommodation=3.0, caution=0.0, misjudgement=0.0)
    args = (ideal, zeros, np.zeros(2), np.ones(2), np.ones(2))
    kw = dict(rule="consensus", qualified_majority=0.67, rounds=6, params=params)
    # member 0 accepts every text (a forced vote), so only member 1 is heard more
    r = run_session(*args, **kw, rng=np.random.default_rng(0), forced=np.array([1, -1]))
    assert not r.rounds[0].accepts[1]
    best = best_text(ideal, zeros, np.zeros(2), params)[:, 0]
    first = r.rounds[0].text[0]
    moved = best[0] + _conceded(2 / 6, np.ones(1), 0.0)[0] * (first - best[0])
    # round 2: member 0 concedes toward the draft; member 1 offers its best, heard 4 times
    assert r.rounds[1].text[0] == pytest.approx((moved + 4.0 * best[1]) / 5.0)
