"""Axelrod's (1986) norms and metanorms game inside the world (sim/mechanics/enforcement.py).

Payoffs T (temptation) and H (hurt) for a violation; whoever sees a publicly attributed
violation punishes with probability equal to its vengefulness (P to the violator, E to
the punisher); with metanorms, those seen not punishing are punished in turn (M'', M');
at a generation's end traits spread by payoff-biased imitation.
"""

import numpy as np
import pytest

from sim.model import CyberDiplomacyModel

# distinct payoffs, so a swapped parameter shows up in the arithmetic
PAYOFFS = {
    "norms_game.temptation": 2.5,
    "norms_game.hurt": -0.7,
    "norms_game.punishment": -8.0,
    "norms_game.enforcement_cost": -1.5,
    "norms_game.meta_punishment": -6.0,
    "norms_game.meta_enforcement_cost": -0.4,
}


def _model(**overrides):
    """A 12-state world where everybody sees every public violation; no companies."""
    return CyberDiplomacyModel(
        "baseline",
        {
            "organizations.bodies": [],
            "companies.count": 0,
            "norms.visibility": 1.0,
            **PAYOFFS,
            **overrides,
        },
        rng=1,
        steps=5,
    )


def test_violation_committed_pays_temptation_and_hurt():
    m = _model()
    w = m.world
    m.enforcement.violation_committed(3, 7)
    assert w.payoff[3] == 2.5 and w.payoff[7] == -0.7
    assert np.count_nonzero(w.payoff) == 2
    assert m.counts["violations"] == 1
    # crime (no state violator): only the victim's payoff moves
    m.enforcement.violation_committed(-1, 7)
    assert w.payoff[7] == pytest.approx(-1.4) and w.payoff[3] == 2.5
    assert m.counts["violations"] == 2


def test_vengeful_observers_punish_the_accused():
    m = _model(**{"norms.violator_gdp_loss": 0.01, "norms.punisher_gdp_loss": 0.002})
    w = m.world
    w.vengefulness[:] = 1.0
    gdp = w.gdp.copy()
    trust = w.trust.copy()
    accused, victim = 4, 0
    m.enforcement.violation_seen(accused, victim, confidence=1.0)
    k = w.n - 1  # every other state (the victim too) sees and punishes
    others = np.arange(w.n) != accused
    assert m.counts["punishments"] == k
    assert w.payoff[accused] == pytest.approx(-8.0 * k)
    np.testing.assert_allclose(w.payoff[others], -1.5)
    assert w.penalties[accused] == pytest.approx(0.01 * gdp[accused] * k)
    np.testing.assert_allclose(w.penalties[others], 0.002 * gdp[others])
    loss = m.config.trust.punishment_share * m.config.trust.incident_loss
    np.testing.assert_allclose(
        w.trust[others, accused], np.clip(trust[others, accused] - loss, 0, 1)
    )
    assert any(e["kind"] == "punishment" for e in m.events)


def test_nobody_punishes_without_vengefulness():
    m = _model(**{"norms.metanorms": True})
    w = m.world
    w.vengefulness[:] = 0.0
    trust = w.trust.copy()
    m.enforcement.violation_seen(4, 0, confidence=1.0)
    assert m.counts["punishments"] == 0
    assert not w.payoff.any() and not w.penalties.any()
    np.testing.assert_array_equal(w.trust, trust)


def test_unseen_violations_go_unpunished():
    m = _model(**{"norms.visibility": 0.0})
    m.world.vengefulness[:] = 1.0
    m.enforcement.violation_seen(4, 0, confidence=1.0)
    assert m.counts["punishments"] == 0 and not m.world.payoff.any()


def _half_vengeful(metanorms):
    m = _model(**{"norms.metanorms": metanorms, "norms.meta_loss_share": 0.5})
    w = m.world
    vengeful = np.arange(w.n) % 2 == 0
    w.vengefulness[:] = vengeful.astype(float)
    accused = 1  # lax itself, but it is the accused, not a watcher
    m.enforcement.violation_seen(accused, 0, confidence=1.0)
    lax = ~vengeful
    lax[accused] = False
    return m, accused, vengeful, lax


def test_metanorms_punish_the_lax():
    m, accused, vengeful, lax = _half_vengeful(metanorms=True)
    w = m.world
    punishers = vengeful.sum()  # 6: they punish the accused and each lax state
    assert w.payoff[accused] == pytest.approx(-8.0 * punishers)
    np.testing.assert_allclose(w.payoff[lax], -6.0 * punishers)
    np.testing.assert_allclose(w.payoff[vengeful], -1.5 + -0.4 * lax.sum())
    assert m.counts["punishments"] == punishers * (1 + lax.sum())
    loss = m.config.norms.violator_gdp_loss
    np.testing.assert_allclose(w.penalties[lax], loss * w.gdp[lax] * punishers * 0.5)


def test_without_metanorms_the_lax_go_free():
    m, accused, vengeful, lax = _half_vengeful(metanorms=False)
    w = m.world
    assert w.payoff[accused] == pytest.approx(-8.0 * vengeful.sum())
    assert not w.payoff[lax].any() and not w.penalties[lax].any()
    np.testing.assert_allclose(w.payoff[vengeful], -1.5)
    assert m.counts["punishments"] == vengeful.sum()


def _imitation(payoff_of_bold):
    """Two camps, bold-and-lax and shy-and-vengeful; the bold earn `payoff_of_bold`."""
    m = _model(**{"norms.imitation": 100.0, "norms.mutation_rate": 0.0})
    w = m.world
    bold = np.arange(w.n) < w.n // 2
    w.boldness[:] = np.where(bold, 0.9, 0.1)
    w.vengefulness[:] = np.where(bold, 0.1, 0.9)
    for _ in range(5):
        w.payoff[:] = np.where(w.boldness > 0.5, payoff_of_bold, -payoff_of_bold)
        m.enforcement.end_of_generation()
        assert not w.payoff.any()  # payoffs start afresh each generation
        # whole trait vectors are copied: (0.9, 0.1) or (0.1, 0.9), nothing in between
        assert set(zip(w.boldness.round(6), w.vengefulness.round(6), strict=True)) <= {
            (0.9, 0.1),
            (0.1, 0.9),
        }
    return w.boldness.mean(), w.vengefulness.mean()


def test_end_of_generation_spreads_the_traits_of_the_successful():
    boldness, vengefulness = _imitation(payoff_of_bold=-10.0)
    assert boldness < 0.3 and vengefulness > 0.7
    boldness, vengefulness = _imitation(payoff_of_bold=10.0)
    assert boldness > 0.7 and vengefulness < 0.3


def test_end_of_generation_mutates():
    m = _model(**{"norms.imitation": 0.0, "norms.mutation_rate": 1.0})
    w = m.world
    w.boldness[:] = 0.5
    w.vengefulness[:] = 0.5
    m.enforcement.end_of_generation()
    assert np.all(w.boldness != 0.5) and np.all(w.vengefulness != 0.5)
