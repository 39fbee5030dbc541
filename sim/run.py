"""Run one scenario and write what it produced.

:func:`simulate` is the one way a scenario is run, by the command line, the experiment
runner and the tests alike; :func:`write_outputs` writes a run's folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import FLOW
from sim.scenario import Scenario, load_scenario


@dataclass
class RunResult:
    """What one run produced."""

    scenario: Scenario
    seed: int
    steps: int
    timeseries: pd.DataFrame  # column "step" then one column per metric
    events: list[dict[str, Any]] = field(default_factory=list)
    model: Any = None  # the finished model (None for the classic norms game)

    @property
    def summary(self) -> dict[str, Any]:
        """Scenario, seed, steps, and the final and total value of every metric."""
        ts = self.timeseries
        metrics = {}
        for col in ts.columns:
            if col == "step":
                continue
            s = ts[col].astype(float)
            metrics[col] = {
                "final": _num(s.iloc[-1]) if len(s) else None,
                "total": _num(s.sum()) if col in FLOW or col == "meta_punishments" else None,
                "mean": _num(s.mean()) if len(s) else None,
            }
        return {
            "scenario": self.scenario.name,
            "source": self.scenario.source,
            "seed": self.seed,
            "steps": self.steps,
            "metrics": metrics,
        }


def _num(x: float) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def simulate(
    scenario: str | Path | Scenario = "baseline",
    overrides: dict[str, Any] | None = None,
    seed: int = 0,
    steps: int | None = None,
    progress: bool = False,
    metrics: Sequence[str] | None = None,
    events: bool = True,
) -> RunResult:
    """Run a scenario (world model or classic norms game) for `steps` weeks (or generations).

    ``metrics`` limits the time series to those columns (a sweep stores only what its
    outcomes use); ``events=False`` keeps no event log. Neither changes the run itself.
    Deterministic: the same arguments give the same result, bit for bit.
    """
    scen = load_scenario(scenario, overrides)
    if scen.scenario.kind == "norms_game":
        from sim.mechanics.norms_game import run_classic

        gens = steps if steps is not None else scen.norms_game.generations
        ts = run_classic(scen.norms_game, np.random.default_rng(seed), gens)
        if metrics is not None:
            ts = ts[["step", *metrics]]
        return RunResult(scen, seed, gens, ts.reset_index(drop=True))

    from sim.model import CyberDiplomacyModel

    model = CyberDiplomacyModel(scen, rng=seed, steps=steps, metrics=metrics, record_events=events)
    horizon = model.horizon
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=horizon, unit="week", desc=scen.name, leave=False)
    while model.running:
        model.step()
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    log = model.events + model.incident_records() if events else []
    return RunResult(scen, seed, horizon, model.timeseries(), log, model)


def write_outputs(result: RunResult, out: str | Path) -> Path:
    """timeseries.csv/.parquet, events.jsonl, story.txt, summary.json, report.html in `out`."""
    from sim.charts import run_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result.timeseries.to_csv(out / "timeseries.csv", index=False)
    result.timeseries.to_parquet(out / "timeseries.parquet", index=False)
    with open(out / "events.jsonl", "w") as fh:
        for ev in result.events:
            fh.write(json.dumps(ev, default=_json_default) + "\n")
    from sim.narrate import narrate

    with open(out / "story.txt", "w") as fh:  # the run told in plain sentences, for a class
        for ev in result.events:
            if ev.get("kind") not in ("incident", "proposal"):
                fh.write(narrate(ev) + "\n")
    with open(out / "summary.json", "w") as fh:
        json.dump(result.summary, fh, indent=2, default=_json_default)
    run_report(result, out / "report.html")
    return out


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x)}")
