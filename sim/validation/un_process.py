"""Validation target ``un-process``: the UN groups of 2004-2021 against their real record.

Runs the built-in scenario ``un_process_2004_2021`` (the incident background of
``rivalries_2000_2020`` and the seven UN bodies with their members, years and mandates)
over several seeds. Each body ends its mandate with a consensus report (some session
agreed) or a failure. The real record (UN documents A/60/202, A/65/201, A/68/98,
A/70/174, A/72/327, A/75/816, A/76/135) is::

    GGE 2004-05 fail, GGE 2009-10 consensus, GGE 2012-13 consensus, GGE 2014-15 consensus,
    GGE 2016-17 fail, OEWG 2019-21 consensus, GGE 2019-21 consensus

The target reports each body's probability of agreement over the seeds and the mean
number of the seven outcomes a run matches. Goal: at least 6 of 7. Nothing in the
scenario scripts an outcome; they come from the agenda's costs (catalogue
``un_agenda``: constraint, and for how international law applies, ``contested`` and
``in_force``), the members' red lines (:mod:`sim.mechanics.negotiation`), the chair's
summary of the 2019-21 bodies, windows opened by major incidents and the hardening that
lost trust brings (:mod:`sim.mechanics.windows`), and the ratchet of earlier texts.

**Fitted and predicted.** The targets file beside the scenario
(``un_process_2004_2021.targets.toml``) splits the record in time: the five GGEs of
2004-2017 may be fitted (``run.py calibrate``), the two bodies of 2019-21 never are. When
the scenario carries a calibration, each run draws its keys from the posterior (as
``run.py validate dcid`` does), and the report gives the fitted and the predicted bodies'
matches apart: only the predicted ones are evidence.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.validation.measures import UN_BODIES, report_measure
from sim.validation.record import map_runs, posterior_draws, seeds

SCENARIO = "un_process_2004_2021"
DEFAULT_RUNS = 20
GOAL = 6  # outcomes of the seven matched, on average
RECORD: dict[str, bool] = {  # body -> agreed (a consensus report)
    "GGE 2004-05": False,
    "GGE 2009-10": True,
    "GGE 2012-13": True,
    "GGE 2014-15": True,
    "GGE 2016-17": False,
    "OEWG 2019-21": True,
    "GGE 2019-21": True,
}
SOURCES = {
    "GGE 2004-05": "A/60/202 (no report)",
    "GGE 2009-10": "A/65/201",
    "GGE 2012-13": "A/68/98",
    "GGE 2014-15": "A/70/174",
    "GGE 2016-17": "A/72/327 (no report)",
    "OEWG 2019-21": "A/75/816",
    "GGE 2019-21": "A/76/135",
}
assert tuple(RECORD) == UN_BODIES, "the record and the measures name the same bodies"


def outcomes(scenario: str, overrides: dict[str, Any], seed: int, steps: int | None) -> dict:
    """One run: {body: agreed} for every body whose mandate ended, and the reasons of the
    failures (the item most objected to in each failed session).
    """
    from sim.model import CyberDiplomacyModel

    m = CyberDiplomacyModel(scenario, overrides, rng=seed, steps=steps, metrics=[])
    while m.running:
        m.step()
    result = {}
    for org in m.organizations:
        if org.outcome is None and org.last_week:
            org.close()  # a run cut short by --steps ends the mandates it reached
        if org.outcome is not None:
            contested = [o["item"] for h in org.history if not h["agreed"] for o in h["objections"]]
            result[org.name] = {
                "agreed": org.outcome == "report",
                "contested": max(set(contested), key=contested.count) if contested else None,
            }
    return result


def _one(job: tuple[str, dict, int, int | None]) -> dict:
    return outcomes(*job)


def run(target: str, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Run the scenario over several seeds; each body's agreement probability, matches."""
    from sim.scenario import load_scenario, parse_assignments

    runs = getattr(args, "runs", None) or DEFAULT_RUNS
    steps = getattr(args, "steps", None)
    seed = getattr(args, "seed", None) or 0
    overrides = parse_assignments(getattr(args, "overrides", None) or [])
    source = getattr(args, "scenario", None) or SCENARIO  # e.g. a calibrated copy
    scen = load_scenario(source)
    missing = [b for b in UN_BODIES if b not in {x.name for x in scen.organizations.bodies}]
    if missing:
        raise UserError(
            "--scenario",
            None,
            f"expected a scenario with the UN bodies of {SCENARIO}, e.g. a calibrated copy; "
            f"{scen.name} lacks {', '.join(missing)}",
        )
    fitted = roles(scen)
    calibrated = {b for b in fitted if report_measure(b) in set(scen.calibration.fitted)}
    draws = posterior_draws(scen, runs, seed) if calibrated else []
    jobs = [
        (source, {**(draws[i] if draws else {}), **overrides}, s, steps)
        for i, s in enumerate(seeds(seed, runs))
    ]
    per_run = map_runs(_one, jobs, getattr(args, "workers", None))
    return summarise(
        per_run,
        seed=seed,
        overrides=overrides,
        fitted=fitted,
        posterior=bool(draws),
        scenario=scen.name if source == SCENARIO else str(source),
    )


def roles(scen: Any) -> set[str]:
    """The bodies the scenario was fitted to: those whose outcome measure is among its
    calibration's fitted figures (calibrated on the UN targets) or among the figures its
    values were tuned on by hand (``[calibration] tuned``).
    """
    fitted = set(scen.calibration.fitted) | set(scen.calibration.tuned)
    return {b for b in UN_BODIES if report_measure(b) in fitted}


def summarise(
    per_run: list[dict],
    *,
    seed: int = 0,
    overrides: dict | None = None,
    fitted: set[str] | None = None,
    posterior: bool = False,
    scenario: str = SCENARIO,
) -> dict:
    """Each body's probability of agreement and the matches per run, against the record;
    the fitted bodies' matches and the predicted ones' apart.
    """
    fitted = fitted or set()
    bodies = []
    for name, agreed in RECORD.items():
        seen = [r[name] for r in per_run if name in r]
        p = float(np.mean([s["agreed"] for s in seen])) if seen else float("nan")
        contested = [s["contested"] for s in seen if s["contested"]]
        bodies.append(
            {
                "body": name,
                "record": "consensus" if agreed else "fail",
                "p_agreement": p,
                "runs": len(seen),
                "matched_share": float(np.mean([s["agreed"] == agreed for s in seen]))
                if seen
                else float("nan"),
                "most_contested": max(set(contested), key=contested.count) if contested else None,
                "source": SOURCES[name],
                "role": "fitted" if name in fitted else "predicted",
            }
        )
    split, per_role = {}, []
    for role, names in (
        ("fitted", [b for b in RECORD if b in fitted]),
        ("predicted", [b for b in RECORD if b not in fitted]),
    ):
        got = [sum(r[b]["agreed"] == RECORD[b] for b in names if b in r) for r in per_run]
        split[role] = {"bodies": len(names), "matched_mean": float(np.mean(got)) if got else 0.0}
        per_role.append(got)
    matches = [f + p for f, p in zip(*per_role, strict=True)]  # of all seven, per run
    mean = float(np.mean(matches)) if matches else 0.0
    return {
        "target": "un-process",
        "scenario": scenario,
        "runs": len(per_run),
        "seed": seed,
        "overrides": overrides or {},
        "bodies": bodies,
        "matched_mean": mean,
        "matched_min": int(min(matches)) if matches else 0,
        "matched_max": int(max(matches)) if matches else 0,
        "goal": GOAL,
        "passed": bool(mean >= GOAL),
        "posterior": posterior,
        "split": split,
    }


def table(result: dict[str, Any]) -> str:
    """Each body: the record, the model's probability of agreement, the item contested."""
    draws = ", keys drawn from the posterior" if result.get("posterior") else ""
    lines = [
        f"un-process: {result['scenario']} against the UN record 2004-2021 "
        f"({result['runs']} runs, seed {result['seed']}{draws})",
        f"{'body':<14} {'record':>9} {'P(agree)':>9} {'matched':>8} {'role':>9}  "
        f"{'most contested item':<20} source",
    ]
    for b in result["bodies"]:
        lines.append(
            f"{b['body']:<14} {b['record']:>9} {b['p_agreement']:>9.2f} "
            f"{b['matched_share']:>8.2f} {b.get('role', 'predicted'):>9}  "
            f"{b['most_contested'] or '-':<20} {b['source']}"
        )
    split = result.get("split", {})
    if split.get("fitted", {}).get("bodies"):
        f, p = split["fitted"], split["predicted"]
        held = (
            f"predicted, never fitted: mean {p['matched_mean']:.2f} of {p['bodies']}"
            if p["bodies"]
            else "no body is held out"
        )
        lines.append(
            f"fitted bodies matched: mean {f['matched_mean']:.2f} of {f['bodies']} (a fit, not "
            f"evidence); {held}"
        )
    verdict = "pass" if result["passed"] else "MISS"
    lines.append(
        f"outcomes matched per run: mean {result['matched_mean']:.2f} of 7 "
        f"(min {result['matched_min']}, max {result['matched_max']}); "
        f"goal >= {result['goal']}: {verdict}"
    )
    return "\n".join(lines)
