"""Named measures: how a figure of the real record is measured from one run.

A targets file (:mod:`sim.validation.targets`) names, for each observed figure, the
measure that produces the same figure from a run; ``run.py calibrate`` and
``run.py validate`` look the name up here. A new measure is one function registered with
:func:`measure`.

Every measure takes a :class:`RunRecord` (the incident records of one run, its length in
weeks and the calendar year of week 1) and returns a number (NaN when the run gives no
basis for it, e.g. a median of no detections).

Only operations by states count (the DCID records state-attributed incidents between
rivals: Valeriano & Maness 2014, JPR 51:347; Maness et al. 2023, Cyber Defense Review
8(2):65); crime by criminal groups is counted separately by the model and left out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.mechanics.incidents import PUBLIC_RESPONSES

WEEKS_PER_YEAR = 52.0
SETTLE_WEEKS = 52  # incidents this close to the end have had no time to be attributed
BIG_FOUR = ("China", "Russia", "Iran", "North Korea")
# the four dyads whose incident counts by side Valeriano & Maness published for 2001-11
# (Foreign Affairs 2012, "The Fog of Cyberwar"; DCID version 1)
PUBLISHED_DYADS = (
    ("United States", "China"),
    ("India", "Pakistan"),
    ("North Korea", "South Korea"),
    ("Israel", "Iran"),
)


@dataclass
class RunRecord:
    """What a measure reads of one run: its incident records, weeks and first year."""

    events: list[dict[str, Any]]
    steps: int
    start_year: int = 2000

    @functools.cached_property
    def state(self) -> list[dict[str, Any]]:
        """Operations by states, directly or through a proxy (whose records name the sponsor)."""
        return [e for e in self.events if e.get("kind") == "incident" and e["type"] != "crime"]

    @functools.cached_property
    def settled(self) -> list[dict[str, Any]]:
        """Original operations (not retaliations) old enough to have been attributed."""
        ops = [e for e in self.state if e["retaliation_of"] is None]
        return [e for e in ops if e["step"] <= self.steps - SETTLE_WEEKS]

    def year(self, step: int) -> float:
        """Calendar year of a week (week 1 is the start of ``start_year``)."""
        return self.start_year + (step - 1) / WEEKS_PER_YEAR


Measure = Callable[[RunRecord], float]
MEASURES: dict[str, tuple[Measure, str]] = {}


def measure(name: str, meaning: str) -> Callable[[Measure], Measure]:
    """Register a measure under ``name`` with a one-line meaning."""

    def register(fn: Measure) -> Measure:
        MEASURES[name] = (fn, meaning)
        return fn

    return register


def evaluate(names: list[str], record: RunRecord) -> dict[str, float]:
    """The named measures of one run."""
    return {n: float(MEASURES[n][0](record)) for n in names}


def _share(n: int, d: int) -> float:
    return n / d if d else float("nan")


def _initiator_share(state: str) -> Measure:
    def fn(r: RunRecord) -> float:
        return _share(sum(e["initiator"] == state for e in r.state), len(r.state))

    return fn


def _severity_share(lo: int, hi: int) -> Measure:
    def fn(r: RunRecord) -> float:
        return _share(sum(lo <= e["severity"] <= hi for e in r.state), len(r.state))

    return fn


@measure("incidents_per_year", "state incidents per year over the whole run")
def incidents_per_year(r: RunRecord) -> float:
    """State incidents per year."""
    return len(r.state) / (r.steps / WEEKS_PER_YEAR)


for _name, _state in [
    ("share_china", "China"),
    ("share_russia", "Russia"),
    ("share_iran", "Iran"),
    ("share_north_korea", "North Korea"),
    ("share_united_states", "United States"),
]:
    measure(_name, f"share of state incidents initiated by {_state}")(_initiator_share(_state))

for _name, _lo, _hi in [
    ("share_severity_1_2", 1, 2),
    ("share_severity_3", 3, 3),
    ("share_severity_4", 4, 4),
    ("share_severity_5_plus", 5, 10),
]:
    measure(_name, f"share of state incidents of severity {_lo}-{_hi}")(_severity_share(_lo, _hi))


@measure("share_big_four", "share of state incidents initiated by China, Russia, Iran, N. Korea")
def share_big_four(r: RunRecord) -> float:
    """Share initiated by the four busiest initiators together."""
    return _share(sum(e["initiator"] in BIG_FOUR for e in r.state), len(r.state))


@measure("target_united_states", "share of state incidents aimed at the United States")
def target_united_states(r: RunRecord) -> float:
    """Share of incidents whose target is the United States."""
    return _share(sum(e["target"] == "United States" for e in r.state), len(r.state))


@measure("mean_severity", "mean severity (1-10) of state incidents")
def mean_severity(r: RunRecord) -> float:
    """Mean severity."""
    return float(np.mean([e["severity"] for e in r.state])) if r.state else float("nan")


@measure("share_public", "share of detected operations publicly attributed")
def share_public(r: RunRecord) -> float:
    """Public attributions among detected original operations that had time to settle."""
    known = [e for e in r.settled if e["detected_step"] is not None]
    return _share(sum(e["response"] in PUBLIC_RESPONSES for e in known), len(known))


@measure("attribution_lag_weeks", "median weeks from operation to public attribution")
def attribution_lag_weeks(r: RunRecord) -> float:
    """Median lag of public attributions."""
    lags = [
        e["attributed_step"] - e["step"]
        for e in r.settled
        if e["detected_step"] is not None and e["response"] in PUBLIC_RESPONSES
    ]
    return float(np.median(lags)) if lags else float("nan")


@measure("dwell_weeks", "median weeks from operation to detection")
def dwell_weeks(r: RunRecord) -> float:
    """Median dwell time of detected operations."""
    dwell = [e["detected_step"] - e["step"] for e in r.settled if e["detected_step"] is not None]
    return float(np.median(dwell)) if dwell else float("nan")


def _rate(r: RunRecord, first: int, last: int) -> float:
    """State incidents per year begun in calendar years first..last (inclusive)."""
    years = [r.year(e["step"]) for e in r.state]
    n = sum(first <= y < last + 1 for y in years)
    covered = min(last + 1, r.year(r.steps + 1)) - max(first, r.start_year)
    return n / covered if covered > 0 else float("nan")


@measure(
    "incident_growth",
    "state incidents per year in 2012-2020 over incidents per year in 2000-2011",
)
def incident_growth(r: RunRecord) -> float:
    """Growth of the yearly incident rate between the two periods the DCID versions cover."""
    early = _rate(r, 2000, 2011)
    return _rate(r, 2012, 2020) / early if early > 0 else float("nan")


@measure(
    "mutual_initiation",
    "share of the incidents of four published dyads (2001-11) initiated by the less active side",
)
def mutual_initiation(r: RunRecord) -> float:
    """How often both sides of a rival dyad initiate: the minority side's share, pooled.

    Over US-China, India-Pakistan, the two Koreas and Israel-Iran, incidents begun in
    2001-2011: the sum over dyads of the smaller side's count over all their incidents
    (0 = every dyad one-sided, 0.5 = every dyad even).
    """
    minority = total = 0
    sel = [e for e in r.state if 2001 <= r.year(e["step"]) < 2012]
    for a, b in PUBLISHED_DYADS:
        ab = sum(e["initiator"] == a and e["target"] == b for e in sel)
        ba = sum(e["initiator"] == b and e["target"] == a for e in sel)
        minority += min(ab, ba)
        total += ab + ba
    return _share(minority, total)


def _median_dwell_detected(r: RunRecord, first: int, last: int) -> float:
    """Median dwell (weeks) of operations detected in calendar years first..last.

    A detection in the week of the operation counts as half a week (weeks are whole
    steps), so that a ratio of medians stays finite.
    """
    dwell = [
        e["detected_step"] - e["step"] + 0.5
        for e in r.state
        if e["retaliation_of"] is None
        and e["detected_step"] is not None
        and first <= r.year(e["detected_step"]) < last + 1
    ]
    return float(np.median(dwell)) if dwell else float("nan")


@measure(
    "dwell_fall",
    "median dwell of operations detected in 2011-2014 over that of those detected in 2017-2020",
)
def dwell_fall(r: RunRecord) -> float:
    """How far median dwell times fell between the early and late M-Trends years."""
    late = _median_dwell_detected(r, 2017, 2020)
    early = _median_dwell_detected(r, 2011, 2014)
    return early / late if late > 0 else float("nan")


# ----------------------------------------------------------------------------- the UN record

# the bodies of un_process_2004_2021 whose outcome the record gives (sim.validation.un_process)
UN_BODIES = (
    "GGE 2004-05",
    "GGE 2009-10",
    "GGE 2012-13",
    "GGE 2014-15",
    "GGE 2016-17",
    "OEWG 2019-21",
    "GGE 2019-21",
)


def report_measure(body: str) -> str:
    """The name of the measure of a body's outcome: ``report_gge_2004_05`` and so on."""
    return "report_" + "".join(c if c.isalnum() else "_" for c in body.lower())


def _report(body: str) -> Measure:
    def fn(r: RunRecord) -> float:
        for e in r.events:
            if e.get("kind") == "mandate_ended" and e.get("organization") == body:
                return 1.0 if e["outcome"] == "report" else 0.0
        return float("nan")  # the run ended before the mandate did

    return fn


for _body in UN_BODIES:
    measure(report_measure(_body), f"1 if {_body} ended in a consensus report, 0 if it failed")(
        _report(_body)
    )
