"""Each metric column means what its description says."""

from __future__ import annotations

import numpy as np

from sim.mechanics.incidents import PUBLIC_RESPONSES, RESPONSES
from sim.metrics import FLOW, METRICS
from sim.run import simulate


def test_attribution_columns_match_the_incident_records():
    r = simulate("false_flag", seed=3, steps=160)
    ts = r.timeseries
    attributed = [e for e in r.events if e["kind"] == "attributed"]
    public = [e for e in attributed if e["response"] in PUBLIC_RESPONSES]
    # records name a proxy's group as initiator, so wrong attributions come from the table
    m = r.model
    inc = m.incidents
    rows = np.nonzero((inc.attributed_step >= 0) & (inc.retaliation_of < 0))[0]
    wrong_rows = rows[(inc.initiator[rows] >= 0) & (inc.attributed_to[rows] != inc.initiator[rows])]
    assert ts["incidents_attributed"].sum() == len(attributed)
    assert ts["public_attributions"].sum() == len(public)
    # private attributions (tolerated, demarches) count as attributions, not as public ones
    assert any(e["response"] in ("tolerate", "demarche") for e in attributed)
    assert ts["public_attributions"].sum() < ts["incidents_attributed"].sum()
    assert ts["misattributions"].sum() == len(wrong_rows) > 0
    assert 0 < ts["public_misattributions"].sum() <= ts["misattributions"].sum()


def test_every_metric_is_described_and_collected():
    r = simulate("baseline", seed=1, steps=10)
    assert list(r.timeseries.columns[1:]) == list(METRICS)
    for name, (meaning, kind) in METRICS.items():
        assert meaning and kind in ("flow", "level"), name
    assert set(FLOW) < set(METRICS)
    assert set(PUBLIC_RESPONSES) < set(RESPONSES)


def test_a_lean_run_records_the_same_numbers():
    """A sweep's run (few metrics, no event log, no DataCollector) changes no number."""
    full = simulate("osce_hotline", seed=2, steps=120)
    names = ["escalations", "mean_trust", "compliance_rate", "attribution_lag"]
    lean = simulate("osce_hotline", seed=2, steps=120, metrics=names, events=False)
    assert list(lean.timeseries.columns) == ["step", *names]
    assert lean.events == [] and lean.model.datacollector is None
    for col in names:
        np.testing.assert_array_equal(lean.timeseries[col], full.timeseries[col])
    np.testing.assert_array_equal(lean.model.world.trust, full.model.world.trust)
