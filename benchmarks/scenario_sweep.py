"""Sweep the scenario library: each scenario's story over several seeds, with its contrast.

Runs every study below (a scenario and, where its story is a comparison, the variant it
is compared with), prints the headline numbers as JSON and writes one chart per study
to docs/scenarios/NAME.png. These are the numbers quoted in docs/scenarios.md.

    .venv/bin/python benchmarks/scenario_sweep.py [--seeds 8] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.mechanics.incidents import PUBLIC_RESPONSES  # noqa: E402
from sim.run import simulate  # noqa: E402
from sim.validation import dcid  # noqa: E402

OUT = ROOT / "docs" / "scenarios"


# ----------------------------------------------------------------------------- measures


def state_incidents(events: list[dict]) -> list[dict]:
    """Incident records of operations by states (not crime)."""
    return [e for e in events if e.get("kind") == "incident" and e["type"] != "crime"]


def first_agreement_week(ts: pd.DataFrame) -> float:
    """Week of the first agreement (nan if none)."""
    hit = ts.index[ts["agreements"] > 0]
    return float(ts["step"].iloc[hit[0]]) if len(hit) else float("nan")


def scripted(events: list[dict], step: int, target: str) -> dict | None:
    """The incident record of the scripted attack of that week on that target."""
    for e in state_incidents(events):
        if e["step"] == step and e["target"] == target and e["retaliation_of"] is None:
            return e
    return None


def one_run(job: tuple[str, str, dict, int, int | None]) -> dict[str, Any]:
    """Run one (study, variant) at one seed; keep the series and the story's numbers."""
    study, scenario, overrides, seed, steps = job
    r = simulate(scenario, overrides, seed=seed, steps=steps)
    ts = r.timeseries
    out: dict[str, Any] = {"study": study, "scenario": scenario, "seed": seed}
    if r.scenario.scenario.kind == "norms_game":
        out["series"] = ts[["step", "mean_boldness", "mean_vengefulness"]].to_dict("list")
        out["final_boldness"] = float(ts["mean_boldness"].iloc[-1])
        out["final_vengefulness"] = float(ts["mean_vengefulness"].iloc[-1])
        return out
    ev = r.events
    ops = state_incidents(ev)
    keep = [
        "incidents",
        "crime_incidents",
        "escalations",
        "misattributions",
        "retaliations",
        "agreements",
        "norms_adopted_share",
        "accord_members",
        "mean_expertise",
        "trust_between_blocs",
    ]
    out["series"] = ts[["step", *keep]].to_dict("list")
    out["state_incidents"] = len(ops)
    out["totals"] = {
        k: float(ts[k].sum())
        for k in ("escalations", "misattributions", "retaliations", "crime_incidents", "sanctions")
    }
    out["final"] = {k: float(ts[k].iloc[-1]) for k in keep}
    out["first_agreement"] = first_agreement_week(ts)
    out["ops_by_year"] = np.bincount(
        [(e["step"] - 1) // 52 for e in ops], minlength=(len(ts) + 51) // 52
    ).tolist()
    public = [e for e in ops if e["response"] in PUBLIC_RESPONSES and e["attributed_step"]]
    out["median_lag"] = (
        float(np.median([e["attributed_step"] - e["step"] for e in public]))
        if public
        else float("nan")
    )
    if study == "critical_infrastructure_crisis":
        for week, key in ((20, "grid"), (78, "notpetya")):
            e = scripted(ev, week, "Borderland")
            out[key] = {
                "lag": None if e["attributed_step"] is None else e["attributed_step"] - week,
                "named": e["attributed_to"],
                "response": e["response"],
            }
    if study == "false_flag":
        e = scripted(ev, 6, "Hostland")
        revealed = [
            x["step"]
            for x in ev
            if x.get("kind") == "revealed"
            and x.get("operation_step") == 6
            and x.get("target") == "Hostland"
        ]
        out["ff"] = {
            "named": e["attributed_to"],
            "response": e["response"],
            "lag": None if e["attributed_step"] is None else e["attributed_step"] - 6,
            "revealed_after": revealed[0] - 6 if revealed else None,
        }
    if study == "rivalries_2000_2020":
        out["dcid"] = dcid.measure(ev, r.steps)
        sev = np.bincount([e["severity"] for e in ops], minlength=7)[1:7]
        out["severity"] = sev.tolist()
        by: dict[str, int] = {}
        for e in ops:
            by[e["initiator"]] = by.get(e["initiator"], 0) + 1
        out["initiators"] = by
    return out


# ----------------------------------------------------------------------------- studies

# study -> list of (variant label, scenario, overrides, steps)
STUDIES: dict[str, list[tuple[str, str, dict, int | None]]] = {
    "baseline": [("baseline", "baseline", {}, None)],
    "axelrod_norms": [("norms", "axelrod_norms", {}, None)],
    "axelrod_metanorms": [("metanorms", "axelrod_metanorms", {}, None)],
    "critical_infrastructure_crisis": [
        ("allies share intelligence", "critical_infrastructure_crisis", {}, None),
        (
            "no sharing by allies",
            "critical_infrastructure_crisis",
            {"attribution.ally_sharing": 0.0},
            None,
        ),
    ],
    "false_flag": [
        ("threshold 0.7", "false_flag", {}, None),
        ("threshold 0.9", "false_flag", {"attribution.threshold": 0.9}, None),
    ],
    "private_sector_accord": [
        ("accord", "private_sector_accord", {}, None),
        (
            "no accord",
            "private_sector_accord",
            {"companies.accord_share": 0.0, "companies.accord_join_rate": 0.0},
            None,
        ),
    ],
    "osce_hotline": [
        ("with CBMs and hotline", "osce_hotline", {}, None),
        ("without", "osce_hotline_without_cbm", {}, None),
    ],
    "sovereignty_blocs": [
        ("consensus", "sovereignty_blocs", {}, None),
        (
            "qualified majority",
            "sovereignty_blocs",
            {"organizations.decision_rule": "qualified_majority"},
            None,
        ),
    ],
    "capacity_building": [
        ("12 think tanks", "capacity_building", {}, None),
        ("no think tanks", "capacity_building", {"think_tanks.count": 0}, None),
    ],
    "cybercrime_treaty": [
        ("consensus", "cybercrime_treaty", {}, None),
        (
            "qualified majority",
            "cybercrime_treaty",
            {"organizations.decision_rule": "qualified_majority"},
            None,
        ),
    ],
    "zero_day_market": [
        ("market grows 50%/yr", "zero_day_market", {}, None),
        ("no market growth", "zero_day_market", {"operations.market_growth": 0.0}, None),
    ],
    "rivalries_2000_2020": [("model", "rivalries_2000_2020", {}, None)],
}


def run_study(name: str, seeds: int, pool: ProcessPoolExecutor) -> dict[str, list[dict]]:
    """All variants of one study over `seeds` seeds."""
    out = {}
    for label, scenario, overrides, steps in STUDIES[name]:
        jobs = [(name, scenario, overrides, s, steps) for s in range(seeds)]
        out[label] = list(pool.map(one_run, jobs))
    return out


# ----------------------------------------------------------------------------- summaries


def mean(xs: list[float]) -> float:
    """Mean ignoring None and nan."""
    vals = [x for x in xs if x is not None and x == x]
    return float(np.mean(vals)) if vals else float("nan")


def summarise(name: str, runs: dict[str, list[dict]]) -> dict[str, Any]:
    """The headline numbers of one study."""
    s: dict[str, Any] = {}
    for label, rs in runs.items():
        if "final_boldness" in rs[0]:
            s[label] = {
                "boldness": mean([r["final_boldness"] for r in rs]),
                "vengefulness": mean([r["final_vengefulness"] for r in rs]),
                "established": sum(
                    r["final_boldness"] <= 2 / 7 and r["final_vengefulness"] >= 5 / 7 for r in rs
                ),
                "collapsed": sum(
                    r["final_boldness"] >= 6 / 7 and r["final_vengefulness"] <= 1 / 7 for r in rs
                ),
                "runs": len(rs),
            }
            continue
        row = {
            "state_incidents": mean([r["state_incidents"] for r in rs]),
            "first_agreement": mean([r["first_agreement"] for r in rs]),
            "no_agreement_runs": sum(r["first_agreement"] != r["first_agreement"] for r in rs),
            "median_lag": mean([r["median_lag"] for r in rs]),
            **{f"total_{k}": mean([r["totals"][k] for r in rs]) for k in rs[0]["totals"]},
            **{f"final_{k}": mean([r["final"][k] for r in rs]) for k in rs[0]["final"]},
        }
        if "ops_by_year" in rs[0]:
            row["ops_last_year"] = mean([r["ops_by_year"][-1] for r in rs])
            row["ops_first_year"] = mean([r["ops_by_year"][0] for r in rs])
        if name == "private_sector_accord":
            row["accord_week_1"] = mean([r["series"]["accord_members"][0] for r in rs])
            row["accord_week_208"] = mean([r["series"]["accord_members"][207] for r in rs])
        if "grid" in rs[0]:
            for key in ("grid", "notpetya"):
                row[f"{key}_lag"] = mean([r[key]["lag"] for r in rs])
                row[f"{key}_named"] = {
                    n: sum(r[key]["named"] == n for r in rs) for n in {r[key]["named"] for r in rs}
                }
                row[f"{key}_responses"] = {
                    n: sum(r[key]["response"] == n for r in rs)
                    for n in {r[key]["response"] for r in rs}
                }
        if "ff" in rs[0]:
            row["ff_named_northland"] = sum(r["ff"]["named"] == "Northland" for r in rs)
            row["ff_punished_northland"] = sum(
                r["ff"]["named"] == "Northland"
                and r["ff"]["response"] in ("sanctions", "retaliation")
                for r in rs
            )
            row["ff_lag"] = mean([r["ff"]["lag"] for r in rs])
            row["ff_revealed_after"] = mean([r["ff"]["revealed_after"] for r in rs])
            row["ff_never_revealed"] = sum(r["ff"]["revealed_after"] is None for r in rs)
        if "dcid" in rs[0]:
            row["dcid"] = {k: mean([r["dcid"][k] for r in rs]) for k in rs[0]["dcid"]}
            row["severity"] = np.mean([r["severity"] for r in rs], axis=0).tolist()
        row["runs"] = len(rs)
        s[label] = row
    return s


# ----------------------------------------------------------------------------- charts

CHART: dict[str, tuple[str, str]] = {
    # study -> (series, y-axis title); cumulative for flows
    "baseline": ("norms_adopted_share", "share of (state, norm) pairs adopted"),
    "critical_infrastructure_crisis": ("retaliations", "cumulative retaliations"),
    "false_flag": ("misattributions", "cumulative misattributions"),
    "private_sector_accord": ("accord_members", "companies in the tech accord"),
    "osce_hotline": ("escalations", "cumulative escalations"),
    "sovereignty_blocs": ("norms_adopted_share", "share of (state, norm) pairs adopted"),
    "capacity_building": ("agreements", "agreements so far"),
    "cybercrime_treaty": ("crime_incidents", "cumulative crime incidents"),
    "zero_day_market": ("incidents", "cumulative incidents"),
}
CUMULATIVE = {"retaliations", "misattributions", "escalations", "crime_incidents", "incidents"}


def chart(name: str, runs: dict[str, list[dict]]) -> Path:
    """One PNG per study: the mean series of each variant over seeds."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if name.startswith("axelrod"):
        for col in ("mean_boldness", "mean_vengefulness"):
            for rs in runs.values():
                y = np.mean([r["series"][col] for r in rs], axis=0)
                fig.add_scatter(x=rs[0]["series"]["step"], y=y, name=col.replace("_", " "))
        fig.update_layout(xaxis_title="generation", yaxis_title="mean over seeds")
    elif name == "rivalries_2000_2020":
        (rs,) = runs.values()
        sev = np.mean([r["severity"] for r in rs], axis=0)
        dcid_sev = np.array([15, 115, 160, 115, 19, 5]) / 429
        x = [str(i) for i in range(1, 7)]
        fig.add_bar(x=x, y=dcid_sev, name="DCID 2.0 (429 incidents)")
        fig.add_bar(x=x, y=sev / sev.sum(), name="model (mean over seeds)")
        fig.update_layout(xaxis_title="severity", yaxis_title="share of incidents")
    else:
        col, title = CHART[name]
        for label, rs in runs.items():
            y = np.mean([r["series"][col] for r in rs], axis=0)
            if col in CUMULATIVE:
                y = np.cumsum(y)
            fig.add_scatter(x=rs[0]["series"]["step"], y=y, name=label)
        if name == "private_sector_accord":
            fig.add_scatter(
                x=[1, 208],
                y=[34, 150],
                mode="markers",
                name="real: 34 (Apr 2018), 150+ (2022)",
                marker={"size": 12, "symbol": "diamond"},
            )
        fig.update_layout(xaxis_title="week", yaxis_title=title)
    fig.update_layout(
        title=name,
        template="plotly_white",
        width=800,
        height=450,
        legend={"orientation": "h", "y": -0.2},
    )
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    fig.write_image(path)
    return path


def main() -> int:
    """Run the studies, print their headline numbers, write the charts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-charts", action="store_true")
    args = ap.parse_args()
    names = args.only or list(STUDIES)
    results = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for name in names:
            runs = run_study(name, args.seeds, pool)
            results[name] = summarise(name, runs)
            if not args.no_charts:
                chart(name, runs)
            print(name, json.dumps(results[name], default=float), flush=True)
    path = OUT / "sweep.json"
    merged = json.loads(path.read_text()) if path.exists() and args.only else {}
    merged.update(results)
    path.write_text(json.dumps(merged, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
