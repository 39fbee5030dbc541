"""The population of states (sim/world.py): build_world and load_catalogue."""

import numpy as np
import pytest

from sim.errors import UserError
from sim.scenario import load_scenario
from sim.world import CATALOGUE_DIR, NORM_ROLES, build_world, load_catalogue

GGE = load_catalogue("gge2015")


def _world(seed=0, **overrides):
    return build_world(load_scenario("baseline", overrides), GGE, np.random.default_rng(seed))


def _listed(*names, **fields):
    return [{"name": n, **fields} for n in names]


# ----------------------------------------------------------------------------- size, names


def test_size_is_count_or_the_listed_states():
    w = _world(**{"states.count": 5, "states.list": _listed(*"ABCDEFG")})
    assert w.n == 7 and w.names == list("ABCDEFG")
    w = _world(**{"states.count": 10, "states.list": _listed("A", "B", "C")})
    assert w.n == 10
    assert w.names[:3] == ["A", "B", "C"] and w.names[3] == "State 4" and w.names[-1] == "State 10"
    for arr in (w.gdp, w.resilience, w.boldness, w.bloc, w.stockpile):
        assert len(arr) == 10
    assert w.trust.shape == w.rival.shape == (10, 10)
    assert w.ideal.shape == (10, GGE.size)


def test_listed_values_override_the_draws():
    spec = {
        "name": "Atlantis",
        "bloc": "East",
        "gdp": 2.5,
        "resilience": 0.9,
        "boldness": 0.0,  # zero is a value, not "unset"
        "attribution_skill": 1.0,
        "sovereignty_concern": 0.05,
        "activity": 3.0,
        "salience": 0.5,
    }
    for seed in range(3):
        w = _world(seed, **{"states.list": [spec, {"name": "Lemuria"}]})
        i = w.index("Atlantis")
        assert w.gdp[i] == 2.5 and w.resilience[i] == 0.9 and w.boldness[i] == 0.0
        assert w.attribution_skill[i] == 1.0 and w.sovereignty_concern[i] == 0.05
        assert w.activity[i] == 3.0 and w.salience[i] == 0.5
        assert w.bloc_names[w.bloc[i]] == "East"
        # a listed state without a bloc joins the last bloc; its numbers are drawn
        j = w.index("Lemuria")
        assert w.bloc_names[w.bloc[j]] == w.bloc_names[-1]
        assert w.activity[j] == 1.0
    # unlisted numbers differ between seeds; listed ones never do
    a = _world(0, **{"states.list": [spec, {"name": "Lemuria"}]})
    b = _world(1, **{"states.list": [spec, {"name": "Lemuria"}]})
    assert a.gdp[1] != b.gdp[1] and a.gdp[0] == b.gdp[0]


def test_bloc_shares_are_honoured():
    w = _world(**{"states.count": 20, "states.bloc_shares": [0.5, 0.25, 0.25]})
    np.testing.assert_array_equal(np.bincount(w.bloc, minlength=3), [10, 5, 5])
    # largest remainders: 10 x (0.35, 0.25, 0.40) = 3.5, 2.5, 4: the tie goes to the larger
    w = _world(**{"states.count": 10})
    np.testing.assert_array_equal(np.bincount(w.bloc, minlength=3), [4, 2, 4])
    # 12 x (0.35, 0.25, 0.40) = 4.2, 3, 4.8: the one left goes to the third bloc
    w = _world(**{"states.count": 12})
    np.testing.assert_array_equal(np.bincount(w.bloc, minlength=3), [4, 3, 5])
    for shares, n, want in (([0.1, 0.2, 0.7], 5, [0, 1, 4]), ([0.6, 0.2, 0.2], 4, [2, 1, 1])):
        w = _world(**{"states.count": n, "states.bloc_shares": shares})
        np.testing.assert_array_equal(np.bincount(w.bloc, minlength=3), want)
    w = _world(**{"states.count": 12, "states.bloc_shares": [1.0, 0.0, 0.0]})
    assert np.all(w.bloc == 0)


# ----------------------------------------------------------------------------- blocs


def test_nonaligned_blocs_have_no_allies():
    w = _world(**{"states.count": 20})
    na = w.bloc == w.bloc_names.index("NonAligned")
    assert na.sum() > 1
    assert not w.ally[na].any() and not w.ally[:, na].any()
    west = np.nonzero(w.bloc == w.bloc_names.index("West"))[0]
    assert w.ally[west[0], west[1]] and not w.ally[west[0], west[0]]
    np.testing.assert_array_equal(w.ally, w.ally.T)
    # with no non-aligned bloc, the same states are each other's allies
    w = _world(**{"states.count": 20, "states.nonaligned": []})
    na_idx = np.nonzero(na)[0]
    assert w.ally[na_idx[0], na_idx[1]]


def test_renamed_bloc_must_be_renamed_in_nonaligned_too():
    blocs = {"states.blocs": ["West", "East", "Neutral"]}
    with pytest.raises(UserError) as err:
        load_scenario("baseline", blocs)
    assert err.value.key == "states.nonaligned"
    w = _world(**blocs, **{"states.nonaligned": ["Neutral"]})
    neutral = w.bloc == w.bloc_names.index("Neutral")
    assert neutral.any() and not w.ally[neutral].any()


def test_rivals_are_symmetric_and_nobody_is_its_own_rival():
    for seed in range(5):
        w = _world(seed, **{"states.count": 30})
        np.testing.assert_array_equal(w.rival, w.rival.T)
        assert not np.diag(w.rival).any()
        assert w.rival.any()
        # rivalries run only between the rival blocs West and East
        b = np.array(w.bloc_names)[w.bloc]
        pairs = {tuple(sorted((b[i], b[j]))) for i, j in zip(*np.nonzero(w.rival), strict=True)}
        assert pairs == {("East", "West")}


def test_listed_rivals_are_mutual():
    listed = [{"name": "A", "bloc": "NonAligned", "rivals": ["B"]}, {"name": "B"}]
    w = _world(**{"states.list": listed, "states.rival_blocs": []})
    assert w.rival[0, 1] and w.rival[1, 0]
    assert w.rival.sum() == 2


def test_initial_trust_by_relation():
    tr = {"trust.within_bloc": 0.8, "trust.between_blocs": 0.4, "trust.rivals": 0.1}
    w = _world(**{"states.count": 24, **tr})
    same = w.bloc[:, None] == w.bloc[None, :]
    off = ~np.eye(w.n, dtype=bool)
    assert np.all(w.trust[same & ~w.rival & off] == 0.8)
    assert np.all(w.trust[~same & ~w.rival] == 0.4)
    assert w.rival.any() and np.all(w.trust[w.rival] == 0.1)
    assert np.all(np.diag(w.trust) == 1.0)
    np.testing.assert_array_equal(w.trust0, w.trust)
    assert w.trust0 is not w.trust


# ----------------------------------------------------------------------------- catalogues


def _catalogue(tmp_path, body):
    path = tmp_path / "cat.toml"
    path.write_text(body)
    return str(path)


def test_catalogue_roles_are_parsed():
    assert set(NORM_ROLES) == {"haven_enforcement"}
    assert GGE.roles == {"haven_enforcement": [GGE.ids.index("c"), GGE.ids.index("d")]}
    assert GGE.size == 11 and GGE.violated_by["crime"] == [2, 3]
    assert np.all((GGE.constraint > 0) & (GGE.constraint <= 1))


def test_catalogue_rejects_the_old_sovereignty_key(tmp_path):
    path = _catalogue(tmp_path, '[[norm]]\nid = "a"\ntitle = "x"\nsovereignty = 0.5\n')
    with pytest.raises(UserError) as err:
        load_catalogue(path)
    assert err.value.key == "norm.0.sovereignty"
    assert "constraint" in err.value.expected


def test_catalogue_rejects_an_unknown_role(tmp_path):
    body = '[[norm]]\nid = "a"\ntitle = "x"\n\n[[norm]]\nid = "b"\ntitle = "y"\nroles = ["spy"]\n'
    with pytest.raises(UserError) as err:
        load_catalogue(_catalogue(tmp_path, body))
    assert err.value.key == "norm.1.roles"


def test_catalogue_errors(tmp_path):
    with pytest.raises(UserError) as err:
        load_catalogue("no_such_catalogue")
    assert err.value.key == "norms.catalogue"
    with pytest.raises(UserError) as err:
        load_catalogue(_catalogue(tmp_path, 'name = "empty"\n'))
    assert err.value.key == "norm"
    with pytest.raises(UserError) as err:
        load_catalogue(_catalogue(tmp_path, '[[norm]]\nid = "a"\n'))
    assert err.value.key == "norm.0.title"


def test_custom_catalogue_defaults(tmp_path):
    body = '[[norm]]\nid = "a"\ntitle = "x"\nconstraint = 0.9\nroles = ["haven_enforcement"]\n'
    cat = load_catalogue(_catalogue(tmp_path, body))
    assert cat.ids == ["a"] and cat.roles == {"haven_enforcement": [0]}
    assert cat.constraint[0] == 0.9 and cat.security[0] == 0.5
    assert (CATALOGUE_DIR / "gge2015.toml").is_file()


# ----------------------------------------------------------------------------- positions


def test_ideals_fall_with_sovereignty_concern_for_constraining_norms():
    # no noise, equal digital shares: only sovereignty concern tells the two states apart
    listed = [
        {"name": "Open", "sovereignty_concern": 0.2, "digital_share": 0.2},
        {"name": "Closed", "sovereignty_concern": 0.8, "digital_share": 0.2},
    ]
    common = {"states.list": listed, "states.count": 2, "states.heterogeneity": 0.0}
    w = _world(**common, **{"states.position_sovereignty": 0.8})
    np.testing.assert_allclose(w.ideal[0] - w.ideal[1], 0.8 * (0.8 - 0.2) * GGE.constraint)
    assert np.all(w.ideal[0] > w.ideal[1])
    np.testing.assert_array_equal(w.ideal0, w.ideal)
    # the key that ties positions to sovereignty: at 0 both states want the same
    w = _world(**common, **{"states.position_sovereignty": 0.0})
    np.testing.assert_allclose(w.ideal[0], w.ideal[1])
