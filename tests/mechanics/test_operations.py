"""Operations mechanics (sim/mechanics/operations.py) on hand-built inputs.

Exploit stockpiles (Axelrod & Iliev 2014), deterrence (Baliga, Bueno de Mesquita &
Wolitzky 2020), Axelrod's (1986) rule for norm-bound states, crime from safe havens and
the damage of new incidents.
"""

import numpy as np
import pytest

from sim.mechanics import operations
from sim.mechanics.incidents import TYPE_INDEX
from sim.model import CyberDiplomacyModel
from sim.world import CATALOGUE_DIR

DISRUPTION = TYPE_INDEX["disruption"]
CRIME = TYPE_INDEX["crime"]


def _model(seed=1, **overrides):
    """A 12-state baseline world with no organisations."""
    return CyberDiplomacyModel(
        "baseline", {"organizations.bodies": [], **overrides}, rng=seed, steps=5
    )


# ----------------------------------------------------------------------------- norms breached


def test_breach_commitment_is_the_adopted_commitment_of_the_norms_breached():
    m = _model()
    ids = m.catalogue.ids
    a, c, d, e = (ids.index(x) for x in "acde")
    ad = m.world.adopted
    ad[0, a] = 0.8  # disruption breaches norm (a)
    ad[1, a] = 0.3
    ad[0, e] = 0.6  # influence breaches norm (e)
    ad[2, c], ad[2, d] = 0.2, 0.9  # crime breaches (c) and (d): the higher counts
    initiators = np.array([0, 1, 0, 0, 2, 3, -1])
    kinds = np.array(
        [
            DISRUPTION,
            DISRUPTION,
            TYPE_INDEX["espionage"],
            TYPE_INDEX["influence"],
            CRIME,
            DISRUPTION,
            DISRUPTION,
        ]
    )
    out = operations.breach_commitment(m, initiators, kinds)
    np.testing.assert_allclose(out, [0.8, 0.3, 0.0, 0.6, 0.9, 0.0, 0.0])


# ----------------------------------------------------------------------------- exploits


def test_replenish_caps_at_max_stockpile():
    over = {
        "operations.exploit_discovery": 10.0,
        "operations.persistence": 1.0,
        "operations.patch_effect": 0.0,
    }
    m = _model(**over, **{"operations.max_stockpile": 3})
    m.world.offensive_capability[:] = 1.0
    m.world.stockpile[:] = 3
    operations.replenish(m)
    assert np.all(m.world.stockpile == 3)
    big = _model(**over, **{"operations.max_stockpile": 1000})
    big.world.offensive_capability[:] = 1.0
    big.world.stockpile[:] = 3
    operations.replenish(big)
    assert np.all(big.world.stockpile >= 3) and np.any(big.world.stockpile > 3)


def test_replenish_decays_held_exploits():
    m = _model(**{"operations.persistence": 0.0, "operations.exploit_discovery": 0.0})
    m.world.stockpile[:] = 5
    operations.replenish(m)
    assert np.all(m.world.stockpile == 0)


def test_persistence_falls_as_the_exploit_market_grows():
    flat = _model(**{"operations.market_growth": 0.0})
    boom = _model(**{"operations.market_growth": 0.5})
    # week 0: the market has not grown yet
    np.testing.assert_allclose(
        operations.effective_persistence(boom), operations.effective_persistence(flat)
    )
    for m in (flat, boom):
        m.steps = 104
    assert operations.market_factor(boom) == pytest.approx(1.5**2)
    assert operations.market_factor(flat) == 1.0
    assert np.all(operations.effective_persistence(boom) < operations.effective_persistence(flat))


def test_persistence_falls_with_patching():
    none = _model(**{"companies.count": 0})
    np.testing.assert_allclose(operations.effective_persistence(none), none.world.persistence)
    idle = _model(**{"operations.patch_effect": 0.0})
    np.testing.assert_allclose(operations.effective_persistence(idle), idle.world.persistence)
    busy = _model(**{"operations.patch_effect": 0.2})
    assert operations.patch_pressure(busy) > 0
    assert np.all(operations.effective_persistence(busy) < busy.world.persistence)


# ----------------------------------------------------------------------------- damage


def test_damage_scales_with_severity_squared_and_type_weight():
    m = _model()
    w = m.world
    t = np.array([0, 0, 0])
    kinds = np.array([DISRUPTION, DISRUPTION, TYPE_INDEX["critical_infrastructure"]])
    dmg = operations.damage(m, t, kinds, np.array([2, 4, 2]))
    assert dmg[1] == pytest.approx(4 * dmg[0])
    assert dmg[2] == pytest.approx(3.0 * dmg[0])  # weights 3.0 and 1.0
    ec = m.config.economy
    exposure = w.gdp[0] * 1000 * w.digital_share[0] * (ec.exposure_offset - w.resilience[0])
    assert dmg[0] == pytest.approx(ec.damage_scale * 4 * 1.0 * exposure)
    heavier = _model(**{"incidents.damage_weight.disruption": 2.0})
    assert operations.damage(heavier, t[:1], kinds[:1], np.array([2]))[0] == pytest.approx(
        2 * dmg[0]
    )


# ----------------------------------------------------------------------------- crime


def _crime_count(m, weeks=10):
    for _ in range(weeks):
        operations.crime(m)
    return m.counts["crime_incidents"]


CRIMINALS = {
    "threat_actors.count": 6,
    "threat_actors.criminal_share": 1.0,
    "threat_actors.crime_rate": 5.0,
}


def test_havens_bound_by_anti_crime_norms_stop_crime_when_not_bold():
    free = _model(**CRIMINALS)
    bound = _model(**CRIMINALS)
    roles = bound.catalogue.roles["haven_enforcement"]
    assert [bound.catalogue.ids[k] for k in roles] == ["c", "d"]
    bound.world.adopted[:, roles] = 1.0
    bound.world.boldness[:] = 0.0
    assert _crime_count(free) > 50
    assert _crime_count(bound) == 0
    assert bound.counts["norm_opportunities"] > 0  # the havens had chances to tolerate


def test_bold_havens_tolerate_crime_as_violations():
    m = _model(**CRIMINALS)
    roles = m.catalogue.roles["haven_enforcement"]
    m.world.adopted[:, roles] = 1.0
    m.world.boldness[:] = 1.0
    assert _crime_count(m) > 0
    crime = m.incidents.initiator == -1
    assert np.all(m.incidents.violation[crime])
    assert m.counts["violations"] == crime.sum()


def test_commitment_cuts_crime_through_enforcement():
    def count(commitment_enforcement):
        m = _model(
            **CRIMINALS,
            **{
                "threat_actors.commitment_enforcement": commitment_enforcement,
                "threat_actors.enforcement_effect": 1.0,
            },
        )
        m.world.adopted[:, m.catalogue.roles["haven_enforcement"]] = 1.0
        m.world.boldness[:] = 1.0  # every group is tolerated: only enforcement cuts crime
        m.world.resilience[:] = 0.0
        return _crime_count(m, weeks=20)

    assert count(1.0) == 0  # full enforcement stops everything
    assert count(0.0) > 100


def test_catalogue_without_haven_role_gives_no_enforcement(tmp_path):
    text = (CATALOGUE_DIR / "gge2015.toml").read_text()
    assert 'roles = ["haven_enforcement"]' in text
    path = tmp_path / "noroles.toml"
    path.write_text(text.replace('roles = ["haven_enforcement"]', ""))
    m = _model(**CRIMINALS, **{"norms.catalogue": str(path)})
    assert m.catalogue.roles == {}
    m.world.adopted[:] = 1.0
    m.world.boldness[:] = 0.0
    assert _crime_count(m) > 50
    assert m.counts["norm_opportunities"] == 0
    assert not m.incidents.violation.any()


# ----------------------------------------------------------------------------- state operations


def _state_ops(weeks=60, **overrides):
    m = _model(
        seed=3, **{"threat_actors.count": 0, "operations.opportunity_rate": 0.3, **overrides}
    )
    for _ in range(weeks):
        operations.replenish(m)
        operations.plan_operations(m)
    return m


def test_deterrence_weight_cuts_operations():
    ops = [
        _state_ops(**{"operations.deterrence_weight": x}).counts["incidents"]
        for x in (0.0, 1.0, 3.0)
    ]
    assert ops[0] > 40
    assert ops[0] > ops[1] > ops[2]
    assert ops[2] < 0.5 * ops[0]


def test_punishment_scale_cuts_operations():
    ops = [
        _state_ops(**{"operations.punishment_scale": x}).counts["incidents"]
        for x in (0.0, 0.5, 2.0)
    ]
    assert ops[0] > 40
    assert ops[0] > ops[1] > ops[2]
    assert ops[2] < 0.5 * ops[0]


def test_norm_bound_states_refrain_unless_bold():
    # Axelrod (1986): a state bound by a norm defects only if bold enough for its chance
    # of being seen. Only disruptions, which breach norm (a); no deterrence otherwise.
    over = {
        "operations.type_mix": {"disruption": 1.0},
        "operations.deterrence_weight": 0.0,
        "norms.adopted": {"a": 1.0},
    }
    m = _model(seed=3, **{"threat_actors.count": 0, **over})
    m.world.boldness[:] = 0.0
    shy = 0
    for _ in range(40):
        operations.replenish(m)
        operations.plan_operations(m)
        shy += m.counts["norm_opportunities"]
    assert shy > 0 and m.counts["incidents"] == 0
    bold = _model(seed=3, **{"threat_actors.count": 0, **over})
    bold.world.boldness[:] = 1.0
    for _ in range(40):
        operations.replenish(bold)
        operations.plan_operations(bold)
    assert bold.counts["incidents"] > 0
    assert bold.incidents.violation.all()


def test_no_more_operations_than_exploits_held():
    m = _model(
        **{
            "threat_actors.count": 0,
            "operations.opportunity_rate": 1.0,
            "operations.nonrival_rate": 1.0,
            "operations.deterrence_weight": 0.0,
            "operations.stealth": 1.0,
        }
    )
    m.world.stockpile[:] = 1
    operations.plan_operations(m)
    per_attacker = np.bincount(m.incidents.initiator, minlength=m.world.n)
    assert per_attacker.max() == 1 and per_attacker.sum() > 0


# ----------------------------------------------------------------------------- launch


def test_launch_records_damage_and_counts():
    m = _model()
    w = m.world
    rows = operations.launch(
        m,
        np.array([4, -1]),
        np.array([0, 0]),
        np.array([DISRUPTION, CRIME]),
        np.array([3, 2]),
        violation=np.array([True, False]),
        haven=7,
        scripted=True,
    )
    inc = m.incidents
    expected = operations.damage(
        m, np.array([0, 0]), np.array([DISRUPTION, CRIME]), np.array([3, 2])
    )
    np.testing.assert_allclose(inc.damage[rows], expected)
    assert m.week_damage[0] == pytest.approx(expected.sum())
    assert m.week_damage[1:].sum() == 0
    np.testing.assert_array_equal(inc.apparent[rows], [4, 7])  # crime points at its haven
    assert m.counts["incidents"] == 2 and m.counts["crime_incidents"] == 1
    assert m.counts["violations"] == 1 and m.violations_total == 1
    g = m.config.norms_game
    assert w.payoff[4] == g.temptation  # only the first operation was a violation
    assert w.payoff[0] == g.hurt
    # the victim learns the value of the norms breached: disruption (a), crime (c, d)
    learn = m.config.negotiation.exposure_learning
    ids = m.catalogue.ids
    assert w.exposure[0, ids.index("a")] == pytest.approx(learn)
    assert w.exposure[0, ids.index("c")] == pytest.approx(learn)
    assert w.exposure[1].sum() == 0
