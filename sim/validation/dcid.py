"""Validation target ``dcid``: the rivalries of 2000-2020 against the real incident record.

Runs the built-in scenario ``rivalries_2000_2020`` (forty rival dyads, 21 years) over
several seeds and compares what it produces with published real-world figures: the
incident rate, initiator shares, the United States as target and the
severity distribution of the Dyadic Cyber Incident and Dispute dataset (DCID 2.0,
Valeriano & Maness); the share of incidents publicly attributed (CFR Cyber Operations
Tracker, 85%); the median government attribution lag (about four months); and the
median dwell time before detection (Mandiant M-Trends).

Only operations by states count (the DCID records state-attributed incidents between
rivals); crime from criminal groups is counted separately by the model and left out.
Each figure has a band: the run passes when the mean over seeds lies inside it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.mechanics.incidents import PUBLIC_RESPONSES

SCENARIO = "rivalries_2000_2020"
DEFAULT_RUNS = 5
SETTLE_WEEKS = 52  # incidents this close to the end have had no time to be attributed


@dataclass(frozen=True)
class Figure:
    """One real-world figure, the band the model must land in, and where it comes from."""

    name: str
    label: str
    observed: float
    lo: float
    hi: float
    source: str


FIGURES: list[Figure] = [
    Figure("incidents_per_year", "incidents per year (state)", 429 / 21, 16.0, 25.0, "DCID 2.0"),
    Figure("share_china", "initiator share: China", 0.268, 0.21, 0.33, "DCID 2.0"),
    Figure("share_russia", "initiator share: Russia", 0.263, 0.21, 0.33, "DCID 2.0"),
    Figure("share_iran", "initiator share: Iran", 0.152, 0.10, 0.20, "DCID 2.0"),
    Figure("share_north_korea", "initiator share: North Korea", 0.138, 0.09, 0.19, "DCID 2.0"),
    Figure("share_united_states", "initiator share: United States", 0.047, 0.02, 0.08, "DCID 2.0"),
    Figure("share_big_four", "initiator share: the four together", 0.82, 0.75, 0.89, "DCID 2.0"),
    Figure("target_united_states", "United States as target", 0.32, 0.25, 0.40, "DCID 2.0"),
    Figure("mean_severity", "mean severity (1-10)", 3.05, 2.85, 3.25, "DCID 2.0"),
    Figure("share_severity_1_2", "share of severity 1-2", 130 / 429, 0.22, 0.38, "DCID 2.0"),
    Figure("share_severity_3", "share of severity 3", 160 / 429, 0.28, 0.46, "DCID 2.0"),
    Figure("share_severity_4", "share of severity 4", 115 / 429, 0.19, 0.35, "DCID 2.0"),
    Figure("share_severity_5_plus", "share of severity 5-6", 24 / 429, 0.025, 0.10, "DCID 2.0"),
    Figure(
        "share_public",
        "share of known incidents publicly attributed",
        70 / 82,
        0.75,
        0.95,
        "CFR tracker (IGP)",
    ),
    Figure(
        "attribution_lag_weeks",
        "median weeks, operation to public attribution",
        17.0,
        10.0,
        26.0,
        "Sony..NotPetya lags",
    ),
    Figure(
        "dwell_weeks",
        "median weeks, operation to detection",
        8.0,
        3.4,
        29.3,
        "M-Trends 2014-2020",
    ),
]


def measure(events: list[dict[str, Any]], steps: int) -> dict[str, float]:
    """The calibrated figures of one run, from its incident records."""
    # operations by states, directly or through a proxy (whose records name the sponsor)
    state = [e for e in events if e.get("kind") == "incident" and e["type"] != "crime"]
    n = max(len(state), 1)
    by_initiator: dict[str, int] = {}
    for e in state:
        by_initiator[e["initiator"]] = by_initiator.get(e["initiator"], 0) + 1
    big_four = ("China", "Russia", "Iran", "North Korea")
    sev = np.array([e["severity"] for e in state], dtype=float)
    # attribution figures: original operations (retaliations are attributed at once)
    ops = [e for e in state if e["retaliation_of"] is None]
    settled = [e for e in ops if e["step"] <= steps - SETTLE_WEEKS]
    known = [e for e in settled if e["detected_step"] is not None]
    public = [e for e in known if e["response"] in PUBLIC_RESPONSES]
    lags = [e["attributed_step"] - e["step"] for e in public]
    dwell = [e["detected_step"] - e["step"] for e in settled if e["detected_step"] is not None]
    return {
        "incidents_per_year": len(state) / (steps / 52.0),
        "share_china": by_initiator.get("China", 0) / n,
        "share_russia": by_initiator.get("Russia", 0) / n,
        "share_iran": by_initiator.get("Iran", 0) / n,
        "share_north_korea": by_initiator.get("North Korea", 0) / n,
        "share_united_states": by_initiator.get("United States", 0) / n,
        "share_big_four": sum(by_initiator.get(s, 0) for s in big_four) / n,
        "target_united_states": sum(e["target"] == "United States" for e in state) / n,
        "mean_severity": float(sev.mean()) if len(sev) else float("nan"),
        "share_severity_1_2": float((sev <= 2).mean()) if len(sev) else float("nan"),
        "share_severity_3": float((sev == 3).mean()) if len(sev) else float("nan"),
        "share_severity_4": float((sev == 4).mean()) if len(sev) else float("nan"),
        "share_severity_5_plus": float((sev >= 5).mean()) if len(sev) else float("nan"),
        "share_public": len(public) / max(len(known), 1),
        "attribution_lag_weeks": float(np.median(lags)) if lags else float("nan"),
        "dwell_weeks": float(np.median(dwell)) if dwell else float("nan"),
    }


def seeds(seed: int, runs: int) -> list[int]:
    """Independent run seeds spawned from one seed (numpy SeedSequence)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(runs)]


def run(target: str, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Run the scenario over several seeds and compare every figure with its band."""
    from sim.run import simulate
    from sim.scenario import parse_assignments

    runs = getattr(args, "runs", None) or DEFAULT_RUNS
    steps = getattr(args, "steps", None)
    seed = getattr(args, "seed", None) or 0
    overrides = parse_assignments(getattr(args, "overrides", None) or [])
    per_run = []
    for s in seeds(seed, runs):
        result = simulate(SCENARIO, overrides, seed=s, steps=steps)
        per_run.append(measure(result.events, result.steps))
    figures = []
    for f in FIGURES:
        values = np.array([r[f.name] for r in per_run], dtype=float)
        if np.isnan(values).all():  # no run measured it (too few weeks): NaN, no warning
            values = np.full(1, np.nan)
            low = high = mean = float("nan")
        else:
            mean, low, high = (float(g(values)) for g in (np.nanmean, np.nanmin, np.nanmax))
        figures.append(
            {
                "name": f.name,
                "label": f.label,
                "observed": round(f.observed, 4),
                "band": [f.lo, f.hi],
                "measured_mean": mean,
                "measured_min": low,
                "measured_max": high,
                "passed": bool(f.lo <= mean <= f.hi),
                "source": f.source,
            }
        )
    return {
        "target": target,
        "scenario": SCENARIO,
        "runs": runs,
        "seed": seed,
        "overrides": overrides,
        "figures": figures,
        "passed": all(f["passed"] for f in figures),
    }


def table(result: dict[str, Any]) -> str:
    """Measured (mean and range over seeds) against observed, one line per figure."""
    lines = [
        f"dcid: {result['scenario']} against DCID 2.0, the CFR tracker and M-Trends "
        f"({result['runs']} runs, seed {result['seed']})",
        f"{'figure':<46} {'observed':>9} {'band':>15} {'measured':>9} {'range':>17}  ",
    ]
    for f in result["figures"]:
        lo, hi = f["band"]
        band = f"{_fmt(lo)}-{_fmt(hi)}"
        rng = f"{_fmt(f['measured_min'])}-{_fmt(f['measured_max'])}"
        verdict = "pass" if f["passed"] else "FAIL"
        lines.append(
            f"{f['label']:<46} {_fmt(f['observed']):>9} {band:>15} "
            f"{_fmt(f['measured_mean']):>9} {rng:>17}  {verdict}"
        )
    failed = [f["name"] for f in result["figures"] if not f["passed"]]
    lines.append(
        "all figures inside their bands" if not failed else f"outside: {', '.join(failed)}"
    )
    return "\n".join(lines)


def _fmt(x: float) -> str:
    if x != x:  # nan
        return "n/a"
    if abs(x) < 1:
        return f"{x:.3f}"
    return f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}"
