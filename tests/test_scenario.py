import pytest

from sim.errors import UserError
from sim.scenario import builtin_scenarios, describe_keys, load_scenario, parse_assignments
from tests.helpers import ROOT as ROOT_DIR
from tests.helpers import cli

REQUIRED_KEYS = [
    "states.count",
    "states.sovereignty_concern",
    "states.attribution_skill",
    "companies.engagement",
    "norms.metanorms",
    "organizations.decision_rule",
]


def test_baseline_exposes_required_keys():
    keys = {k.key for k in describe_keys()}
    for key in REQUIRED_KEYS:
        assert key in keys
    s = load_scenario("baseline")
    assert s.name == "baseline"
    assert s.organizations.decision_rule == "consensus"


def test_overrides_are_typed_and_applied():
    s = load_scenario(
        "baseline",
        parse_assignments(
            [
                "states.attribution_skill=0.8",
                "states.count=193",
                "norms.metanorms=true",
                "organizations.decision_rule=qualified_majority",
            ]
        ),
    )
    assert s.states.attribution_skill == 0.8
    assert s.states.count == 193
    assert s.norms.metanorms is True
    assert s.organizations.decision_rule == "qualified_majority"
    # an int where a float is expected is accepted and converted
    assert (
        load_scenario("baseline", {"states.attribution_skill": 1}).states.attribution_skill == 1.0
    )


@pytest.mark.parametrize(
    "overrides, key, fragment",
    [
        ({"attribution.skil": 0.5}, "attribution.skil", "unknown key"),
        ({"states.attribution_skill": "high"}, "states.attribution_skill", "expected a number"),
        ({"states.attribution_skill": 1.5}, "states.attribution_skill", "<= 1.0"),
        ({"states.count": 2.5}, "states.count", "expected an integer"),
        ({"norms.metanorms": 1}, "norms.metanorms", "true or false"),
        ({"organizations.decision_rule": "vote"}, "organizations.decision_rule", "expected one of"),
    ],
)
def test_bad_overrides_name_the_key(overrides, key, fragment):
    with pytest.raises(UserError) as err:
        load_scenario("baseline", overrides)
    assert err.value.key == key
    assert fragment in str(err.value)
    assert str(err.value).startswith("--set: ")


def test_bad_file_names_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[states]\nattribution_skill = "x"\n')
    with pytest.raises(UserError) as err:
        load_scenario(bad)
    assert str(err.value) == f"{bad}: states.attribution_skill: expected a number, got 'x'"
    broken = tmp_path / "broken.toml"
    broken.write_text("[states\ncount = 3")
    with pytest.raises(UserError, match="malformed TOML"):
        load_scenario(broken)
    with pytest.raises(UserError, match="unknown scenario"):
        load_scenario("no_such_scenario")


def test_cross_checks(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(
        '[states]\nblocs = ["A", "B"]\nbloc_shares = [1.0]\nbloc_governance = [0.1, 0.9]\n'
    )
    with pytest.raises(UserError, match="states.bloc_shares"):
        load_scenario(f)


def test_listed_states_and_generated_population(tmp_path):
    from sim.model import CyberDiplomacyModel

    f = tmp_path / "listed.toml"
    f.write_text("""
[states]
count = 5
[[states.list]]
name = "Alpha"
bloc = "West"
gdp = 20.0
rivals = ["Beta"]
[[states.list]]
name = "Beta"
bloc = "East"
""")
    m = CyberDiplomacyModel(f, rng=1)
    assert m.world.names[:2] == ["Alpha", "Beta"]
    assert m.world.n == 5
    assert m.world.gdp[0] == 20.0
    assert m.world.rival[0, 1] and m.world.rival[1, 0]
    big = CyberDiplomacyModel("baseline", {"states.count": 193}, rng=1)
    assert big.world.n == 193 and len(big.states) == 193


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "nope"], "nope: unknown scenario"),
        (
            ["run", "baseline", "--set", "attribution.skil=0.5"],
            "--set: attribution.skil: unknown key",
        ),
        (["run", "baseline", "--set", "states.attribution_skill=abc"], "expected a number"),
        (["run", "baseline", "--set", "oops"], "expected KEY=VALUE"),
        (["run", "baseline", "--seed", "-1"], "--seed: expected a non-negative integer"),
        (["validate", "axelrod-norms", "--runs", "0"], "--runs: expected a positive number"),
        (["validate", "axelrod-iliev", "--set", "x=1"], "--set: x: unknown key"),
        (["validate", "nope"], "validate: nope: unknown target"),
        (["sweep", "experiments/examples/metanorms.toml", "--workers", "0"], "--workers"),
        (["sweep", "experiments/examples/metanorms.toml", "--scheduler", "host:1"], "tcp://"),
    ],
)
def test_cli_user_errors_exit_2_with_one_line(args, fragment):
    res = cli(*args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0]
    assert "Traceback" not in res.stderr


def test_cli_malformed_toml_exit_2(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text("[states\n")
    res = cli("run", str(f))
    assert res.returncode == 2 and "malformed TOML" in res.stderr


def test_scenarios_command_lists_builtins():
    res = cli("scenarios")
    assert res.returncode == 0
    names = [line.split()[0] for line in res.stdout.strip().splitlines()]
    assert set(names) == set(builtin_scenarios())


# ----------------------------------------------------------------------------- scenario.base


def test_a_scenario_builds_on_its_base(tmp_path):
    derived = tmp_path / "derived.toml"
    derived.write_text(
        '[scenario]\nname = "derived"\nbase = "rivalries_2000_2020"\nsteps = 10\n'
        "[states]\ncount = 38\n"
        '[[states.list]]\nname = "China"\nsovereignty_concern = 0.9\n'
        '[[states.list]]\nname = "Brazil"\nbloc = "NonAligned"\n'
        '[[organizations.bodies]]\nname = "GGE"\n'
    )
    base = load_scenario("rivalries_2000_2020")
    s = load_scenario(derived)
    names = [x.name for x in s.states.list]
    assert names == [x.name for x in base.states.list] + ["Brazil"]  # merged by name
    china = s.states.list[names.index("China")]
    base_china = base.states.list[names.index("China")]
    assert china.sovereignty_concern == 0.9 != base_china.sovereignty_concern  # one key changed
    assert china.activity == base_china.activity  # the rest inherited
    assert [b.name for b in s.organizations.bodies] == ["GGE"]  # other lists are replaced
    assert s.attribution.evidence_rate == base.attribution.evidence_rate  # inherited
    assert s.scenario.steps == 10 and s.name == "derived"


def test_a_calibration_of_its_own_replaces_the_bases(tmp_path):
    """A scenario calibrated on a calibrated base (un_process on rivalries): merged, the
    base's 50 particles of 9 keys joined the new 3 of 1 key (lengths [3, 50], refused)."""
    base = load_scenario("rivalries_2000_2020")
    assert len(base.calibration.posterior) > 1  # the base is calibrated
    derived = tmp_path / "derived.toml"
    derived.write_text(
        '[scenario]\nname = "derived"\nbase = "rivalries_2000_2020"\n'
        '[calibration]\nfitted = ["incidents_per_year"]\n'
        '[calibration.posterior]\n"negotiation.accommodation" = [0.5, 1.0, 2.0]\n'
    )
    s = load_scenario(derived)
    assert s.calibration.posterior == {"negotiation.accommodation": [0.5, 1.0, 2.0]}
    assert s.calibration.fitted == ["incidents_per_year"]
    plain = tmp_path / "plain.toml"  # no calibration of its own: the base's, inherited
    plain.write_text('[scenario]\nname = "plain"\nbase = "rivalries_2000_2020"\n')
    assert load_scenario(plain).calibration.fitted == base.calibration.fitted


def test_a_bad_base_is_one_line(tmp_path):
    loop = tmp_path / "loop.toml"
    loop.write_text('[scenario]\nbase = "loop.toml"\n')
    with pytest.raises(UserError, match="without a loop"):
        load_scenario(loop)
    missing = tmp_path / "missing.toml"
    missing.write_text('[scenario]\nbase = "nope"\n')
    with pytest.raises(UserError, match="scenario.base"):
        load_scenario(missing)


def test_a_listed_state_has_keys_of_its_own(tmp_path):
    """``states.list.NAME.FIELD`` reaches one listed state: --set, sweeps and calibration."""
    s = load_scenario("rivalries_2000_2020", {"states.list.North Korea.activity": 4.0})
    by_name = {x.name: x for x in s.states.list}
    base = {x.name: x for x in load_scenario("rivalries_2000_2020").states.list}
    assert by_name["North Korea"].activity == 4.0 != base["North Korea"].activity
    assert by_name["Iran"].activity == base["Iran"].activity  # only the one named
    derived = tmp_path / "derived.toml"  # a list that comes from the base
    derived.write_text('[scenario]\nname = "d"\nbase = "rivalries_2000_2020"\n')
    d = load_scenario(derived, {"states.list.China.salience": 2.0})
    assert {x.name: x for x in d.states.list}["China"].salience == 2.0


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"states.list.Atlantis.activity": 1.0}, "expected a state listed in states.list"),
        ({"states.list.China.activty": 1.0}, "unknown field of a listed state"),
        ({"states.list.China.activity": -1.0}, "states.list.China.activity: expected a value >="),
        ({"states.list.China.bloc": "Mars"}, "states.list.China.bloc: expected one of"),
    ],
)
def test_bad_listed_state_keys_blame_the_override(overrides, fragment):
    with pytest.raises(UserError) as exc:
        load_scenario("rivalries_2000_2020", overrides)
    assert str(exc.value).startswith("--set: ") and fragment in str(exc.value)


def _calibrated(tmp_path, edit):
    import tomllib

    from experiments.calibration import dump_toml

    data = tomllib.loads((ROOT_DIR / "scenarios" / "rivalries_2000_2020.toml").read_text())
    edit(data["calibration"])
    path = tmp_path / "cal.toml"
    path.write_text(dump_toml(data))
    return path


def _zero(c):
    c["weights"] = [0.0] * len(c["weights"])


def _short_weights(c):
    c["weights"] = c["weights"][:2]


def _short_list(c):
    c["posterior"]["attribution.dwell_weeks"] = [40.0]


def _out_of_bounds(c):
    k = "attribution.dwell_weeks"
    c["posterior"][k] = [-5.0, *c["posterior"][k][1:]]


def _not_a_number_key(c):
    c["posterior"]["states.count"] = [3.0] * len(c["weights"])


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (_zero, "calibration.weights"),
        (_short_weights, "calibration.weights"),
        (_short_list, "calibration.posterior"),
        (_out_of_bounds, "calibration.posterior.attribution.dwell_weeks"),
        (_not_a_number_key, "calibration.posterior.states.count"),
    ],
)
def test_a_calibration_record_that_does_not_add_up_is_one_line(tmp_path, edit, key):
    """validate draws runs from the record: all zero weights, lists of other lengths or
    values outside a key's bounds were a ValueError or IndexError traceback there."""
    with pytest.raises(UserError) as exc:
        load_scenario(_calibrated(tmp_path, edit))
    assert f": {key}: " in str(exc.value) and "\n" not in str(exc.value)


def test_the_shipped_calibration_record_loads(tmp_path):
    scen = load_scenario(_calibrated(tmp_path, lambda c: None))
    assert len(scen.calibration.weights) == len(
        scen.calibration.posterior["attribution.dwell_weeks"]
    )
