"""Validation subject ``dcid``: the rivalries of 2000-2020 against the real incident record.

Runs the built-in scenario ``rivalries_2000_2020`` (forty rival dyads, 21 years) and
compares it with the figures of its targets file, ``scenarios/rivalries_2000_2020.
targets.toml``: the Dyadic Cyber Incident and Dispute dataset (DCID 2.0, Maness,
Valeriano, Hedgecock, Macias & Jensen 2023; DCID 1, Valeriano & Maness 2014), the CFR
Cyber Operations Tracker (share publicly attributed), government attribution lags and
Mandiant M-Trends dwell times. The figures the scenario was fitted to are shown as
in-sample fit; the others (growth of the incident rate, how often both sides of a dyad
initiate, the fall of dwell times) as out-of-sample prediction
(:mod:`sim.validation.record`).
"""

from __future__ import annotations

import argparse
from typing import Any

from sim.validation import record

SCENARIO = "rivalries_2000_2020"
DEFAULT_RUNS = record.DEFAULT_RUNS
seeds = record.seeds
table = record.table


def run(target: str, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Run the scenario (posterior draws if calibrated) and compare with its targets."""
    return record.run_record(target, SCENARIO, args)
