"""The EMA Workbench adapter: perform_experiments runs our model, numbers as simulate's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("ema_workbench")

from ema_workbench import SequentialEvaluator, perform_experiments  # noqa: E402

from experiments.ema import cyber_model, ema_name, overrides, run_seeds, scenario_key  # noqa: E402
from experiments.seeds import replicate_seeds  # noqa: E402
from sim.errors import UserError  # noqa: E402
from sim.run import simulate  # noqa: E402
from sim.scenario import describe_keys  # noqa: E402

STEPS = 26


def test_perform_experiments_gives_simulates_numbers():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # no dotted EMA names
        model = cyber_model(
            "baseline",
            steps=STEPS,
            uncertainties={
                "operations.punishment_scale": (0.2, 1.5),
                "states.count": (4, 8),
                "organizations.decision_rule": None,  # every choice
            },
            levers={"norms.metanorms": [False, True]},
            outcomes={"incidents": "sum", "mean_trust": "final", "worst_week": ("damage", "max")},
            series=["incidents"],
            seed=7,
        )
    assert [u.name for u in model.uncertainties] == [
        "operations__punishment_scale",
        "states__count",
        "organizations__decision_rule",
    ]
    assert type(model.uncertainties["states__count"]).__name__ == "IntegerParameter"
    assert type(model.levers["norms__metanorms"]).__name__ == "BooleanParameter"
    experiments, outcomes = perform_experiments(
        model,
        scenarios=4,
        policies=1,
        evaluator=SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 3},
        lever_sampling_kwargs={"rng": 3},
    )
    assert len(experiments) == 4
    assert set(outcomes) == {"incidents", "mean_trust", "worst_week", "incidents_series"}
    assert outcomes["incidents"].shape == (4,) and outcomes["incidents_series"].shape == (4, STEPS)
    (seed,) = run_seeds(7)
    assert seed == replicate_seeds(7, 1)[0]  # replicate 0 of a batch with root seed 7
    for i, row in experiments.reset_index(drop=True).iterrows():
        over = overrides(row)
        assert set(over) == {
            "operations.punishment_scale",
            "states.count",
            "organizations.decision_rule",
            "norms.metanorms",
        }
        assert isinstance(over["states.count"], int) and 4 <= over["states.count"] <= 8
        ts = simulate("baseline", over, seed=seed, steps=STEPS, events=False).timeseries
        assert outcomes["incidents"][i] == ts["incidents"].sum()
        assert outcomes["mean_trust"][i] == ts["mean_trust"].iloc[-1]
        assert outcomes["worst_week"][i] == ts["damage"].max()
        assert np.array_equal(outcomes["incidents_series"][i], ts["incidents"].to_numpy(float))
    # EMA's sampling is seeded by its own rng arguments: same call, same table
    again, _ = perform_experiments(
        model,
        scenarios=4,
        policies=1,
        evaluator=SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 3},
        lever_sampling_kwargs={"rng": 3},
    )
    assert again[[u.name for u in model.uncertainties]].equals(
        experiments[[u.name for u in model.uncertainties]]
    )


def test_replications_are_the_mean_over_the_batch_seeds():
    model = cyber_model(
        steps=13,
        uncertainties=["states.attribution_skill"],  # its whole range, [0, 1]
        outcomes=[("mean_trust", "final")],
        seed=2,
        replications=2,
    )
    assert model.uncertainties["states__attribution_skill"].lower_bound == 0
    assert model.uncertainties["states__attribution_skill"].upper_bound == 1
    experiments, outcomes = perform_experiments(
        model, scenarios=2, uncertainty_sampling_kwargs={"rng": 1}
    )
    for i, row in experiments.reset_index(drop=True).iterrows():
        runs = [
            simulate("baseline", overrides(row), seed=s, steps=13).timeseries["mean_trust"].iloc[-1]
            for s in replicate_seeds(2, 2)
        ]
        assert outcomes["mean_trust_final"][i] == pytest.approx(np.mean(runs), rel=1e-12)


def test_names_map_both_ways():
    for k in describe_keys():
        assert ema_name(k.key).isidentifier(), k.key
        assert scenario_key(ema_name(k.key)) == k.key
    row = {"states__count": np.int64(5), "scenario": 0, "policy": "p", "model": "m"}
    assert overrides(row) == {"states.count": 5} and type(overrides(row)["states.count"]) is int


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"uncertainties": {"states.skil": (0, 1)}}, "states.skil"),
        ({"uncertainties": {"states.attribution_skill": (0.5, 1.5)}}, "<= 1"),
        ({"uncertainties": {"states.attribution_skill": (0.1, 0.2, 0.3)}}, "(low, high)"),
        ({"levers": {"organizations.decision_rule": ["consensus", "vote"]}}, "vote"),
        ({"outcomes": {"incidents": "total"}}, "unknown aggregate"),
        ({"outcomes": {"worst-week": ("damage", "max")}}, "identifier"),
        ({"series": ["incidnets"]}, "unknown metric"),
        (
            {"uncertainties": ["states.count"], "levers": {"states.count": (4, 6)}},
            "not both",
        ),
        ({"replications": 0}, "replications"),
    ],
)
def test_bad_arguments_are_one_line(kwargs, needle):
    with pytest.raises(UserError) as err:
        cyber_model(steps=4, **kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)
