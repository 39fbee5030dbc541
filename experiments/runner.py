"""One run of a batch: a task in, a row of outcomes and its time series (Parquet bytes) out.

This is the only code that executes on workers, local or Dask. Outcomes are computed
here, from the run's own data, so the numbers cannot depend on which executor ran it or
in which order runs finished.
"""

from __future__ import annotations

import io
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RunConfig:
    """What every run of a batch shares."""

    scenario: str
    steps: int
    outcomes: tuple[tuple[str, str, str], ...]  # (name, metric, aggregate)
    series: tuple[str, ...] = ()  # metrics stored week by week
    metrics: tuple[str, ...] = ()  # metrics a run records: the series and the outcomes' own


@dataclass(frozen=True)
class Task:
    """One run: its id, design point, replicate, seed and parameter values."""

    run_id: int
    point: int
    replicate: int
    seed: int
    params: tuple[tuple[str, Any], ...]


def aggregate(series: pd.Series, how: str) -> float:
    """One number from a metric's time series (NaN steps are skipped, except by final)."""
    s = series.astype(float)
    if how == "final":
        return float(s.iloc[-1]) if len(s) else float("nan")
    if how == "first":
        return float(s.iloc[0]) if len(s) else float("nan")
    return float(getattr(s, how)())


def outcomes_of(ts: pd.DataFrame, outcomes: tuple[tuple[str, str, str], ...]) -> dict[str, float]:
    """Every outcome of a finished run."""
    return {name: aggregate(ts[metric], how) for name, metric, how in outcomes}


def timeseries_bytes(run_id: int, ts: pd.DataFrame, columns: Sequence[str] | None = None) -> bytes:
    """The run's per-step table (``columns`` only, if given) as Parquet, keyed by a leading
    run_id column; every metric as float64, so every run has one schema.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = [c for c in ts.columns if c != "step"] if columns is None else list(columns)
    n = len(ts)
    arrays = [
        pa.array(np.full(n, run_id, dtype=np.int64)),
        pa.array(ts["step"].to_numpy(dtype=np.int64)),
        *(pa.array(ts[c].to_numpy(dtype=np.float64)) for c in cols),
    ]
    table = pa.Table.from_arrays(arrays, names=["run_id", "step", *cols])
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def execute_many(tasks: list[Task], config: RunConfig) -> list[tuple[dict[str, Any], bytes | None]]:
    """Several runs in one go (a Dask task carries a chunk of short runs)."""
    return [execute(t, config) for t in tasks]


def execute(task: Task, config: RunConfig) -> tuple[dict[str, Any], bytes | None]:
    """Run one task; a run that raises comes back as status "failed" with its traceback."""
    from sim.run import simulate

    row: dict[str, Any] = {
        "run_id": task.run_id,
        "point": task.point,
        "replicate": task.replicate,
        "seed": task.seed,
    }
    params = dict(task.params)
    row.update(params)
    start = time.perf_counter()
    try:
        result = simulate(
            config.scenario,
            params,
            seed=task.seed,
            steps=config.steps,
            metrics=config.metrics or None,
            events=False,
        )
        ts = result.timeseries
        out = outcomes_of(ts, config.outcomes)
        data: bytes | None = timeseries_bytes(task.run_id, ts, config.series or None)
        row.update(status="ok", error="")
    except Exception:  # a failed run is data, not the end of the batch
        out = {name: float("nan") for name, _, _ in config.outcomes}
        data = None
        row.update(status="failed", error=traceback.format_exc())
    row["wall_seconds"] = time.perf_counter() - start
    row.update(out)
    return row, data
