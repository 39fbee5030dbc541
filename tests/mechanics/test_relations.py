"""Trust and the economy (sim/mechanics/relations.py) on hand-built inputs."""

import numpy as np
import pytest

from sim.model import CyberDiplomacyModel


def _model(**overrides):
    """A 12-state world with no missions and no organisations: trust only reverts."""
    return CyberDiplomacyModel(
        "baseline",
        {"organizations.bodies": [], "missions.per_state": 0, **overrides},
        rng=1,
        steps=5,
    )


# ----------------------------------------------------------------------------- trust


def test_change_trust_is_symmetric_and_clipped():
    m = _model()
    t = m.world.trust
    t[0, 1] = t[1, 0] = 0.5
    m.relations.change_trust(0, 1, 0.2)
    assert t[0, 1] == t[1, 0] == pytest.approx(0.7)
    m.relations.change_trust(1, 0, -0.1)
    assert t[0, 1] == t[1, 0] == pytest.approx(0.6)
    m.relations.change_trust(0, 1, 5.0)
    assert t[0, 1] == t[1, 0] == 1.0
    m.relations.change_trust(0, 1, -5.0)
    assert t[0, 1] == t[1, 0] == 0.0


def test_change_trust_ignores_self_and_missing_parties():
    m = _model()
    before = m.world.trust.copy()
    m.relations.change_trust(2, 2, -0.5)
    m.relations.change_trust(-1, 3, -0.5)  # a criminal group is nobody's partner
    m.relations.change_trust(3, -1, -0.5)
    np.testing.assert_array_equal(m.world.trust, before)


def test_weekly_trust_reverts_toward_its_initial_level():
    m = _model(**{"trust.reversion": 0.1})
    w = m.world
    assert not w.mission_quality.any()
    w.trust[:] = 0.9
    np.fill_diagonal(w.trust, 1.0)
    m.relations.weekly_trust()
    expected = 0.9 + 0.1 * (w.trust0 - 0.9)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(w.trust, expected)
    # at rate 0, trust stays where it is
    still = _model(**{"trust.reversion": 0.0})
    still.world.trust[0, 1] = still.world.trust[1, 0] = 0.95
    still.relations.weekly_trust()
    assert still.world.trust[0, 1] == pytest.approx(0.95)


def test_missions_raise_trust():
    plain = _model(**{"missions.trust_rate": 0.05})
    served = _model(**{"missions.trust_rate": 0.05})
    served.world.mission_quality[0, 4] = 1.0  # one mission, either direction counts
    t = plain.world.trust[0, 4]
    assert t == served.world.trust[0, 4]
    plain.relations.weekly_trust()
    served.relations.weekly_trust()
    rev = plain.config.trust.reversion
    t0 = plain.world.trust0[0, 4]
    assert served.world.trust[0, 4] == pytest.approx(t + 0.05 * (1 - t) + rev * (t0 - t))
    assert served.world.trust[4, 0] == served.world.trust[0, 4]
    assert served.world.trust[0, 4] > plain.world.trust[0, 4]
    # elsewhere the two worlds move alike
    mask = np.ones_like(plain.world.trust, dtype=bool)
    mask[0, 4] = mask[4, 0] = False
    np.testing.assert_allclose(served.world.trust[mask], plain.world.trust[mask])


def test_cbm_programmes_raise_trust():
    osce = {"name": "OSCE", "kind": "osce", "members": ["all"], "cbm": True}
    plain = _model(**{"trust.cbm_gain": 0.01})
    cbm = _model(**{"trust.cbm_gain": 0.01, "organizations.bodies": [osce]})
    plain.relations.weekly_trust()
    cbm.relations.weekly_trust()
    off = ~np.eye(plain.world.n, dtype=bool)
    assert np.all(cbm.world.trust[off] > plain.world.trust[off])


# ----------------------------------------------------------------------------- economy


def _grown(damage=None, setup=None, **overrides):
    m = _model(**overrides)
    if setup:
        setup(m)
    m.relations.grow(np.zeros(m.world.n) if damage is None else damage)
    return m


def test_damage_lowers_gdp():
    base = _grown()
    damage = np.zeros(12)
    damage[0] = 100.0 * base.world.gdp[0]  # billions: a tenth of the state's GDP
    hit = _grown(damage)
    assert base.world.gdp[0] - hit.world.gdp[0] == pytest.approx(damage[0] / 1000)
    np.testing.assert_allclose(hit.world.gdp[1:], base.world.gdp[1:])


def test_sanctions_cost_the_sanctioned():
    def sanction(m):
        m.world.sanction_until[1, 2] = m.steps + 5  # two states sanction state 2
        m.world.sanction_until[3, 2] = m.steps + 5
        m.world.sanction_until[4, 5] = m.steps  # expired: no cost

    base = _grown(**{"response.sanction_cost": 0.01})
    hit = _grown(setup=sanction, **{"response.sanction_cost": 0.01})
    gdp0 = _model().world.gdp
    assert base.world.gdp[2] - hit.world.gdp[2] == pytest.approx(2 * 0.01 * gdp0[2])
    mask = np.arange(12) != 2
    np.testing.assert_allclose(hit.world.gdp[mask], base.world.gdp[mask])


def test_penalties_are_paid_and_reset():
    def penalise(m):
        m.world.penalties[3] = 0.05

    base = _grown()
    hit = _grown(setup=penalise)
    assert base.world.gdp[3] - hit.world.gdp[3] == pytest.approx(0.05)
    assert not hit.world.penalties.any()


def test_gdp_grows_without_losses():
    m = _model()
    before = m.world.gdp.copy()
    m.relations.grow(np.zeros(m.world.n))
    assert np.all(m.world.gdp > before)
    shrinking = _model(**{"economy.growth": -0.5, "economy.digital_growth": 0.0})
    before = shrinking.world.gdp.copy()
    shrinking.relations.grow(np.zeros(12))
    np.testing.assert_allclose(shrinking.world.gdp, before * (1 - 0.5 / 52))
