"""Which keys move the calibration figures? A Morris screening before `run.py calibrate`.

    .venv/bin/python scripts/screen_calibration.py [SCENARIO] [--trajectories 4]
        [--workers N] [--seed S] [--out DIR] [--key KEY=LOW:HIGH ...]

For each candidate key (by default the keys that act on operations, detection and
attribution in ``rivalries_2000_2020``, and the activity of the five busiest initiators),
Morris's (1991) elementary effects on every figure of the scenario's targets file, each
figure in units of its sigma, and on the calibration distance (the root mean square over
the calibration figures, as `calibrate` measures it). The screening uses SALib's Morris
sample and analysis (Campolongo, Cariboni & Saltelli 2007: mu* is the mean absolute
elementary effect). Every run uses the same seed (common random numbers), so an
elementary effect is the key's effect, not a change of seed.

Prints mu* per key on the distance, ranked, and the figure each key moves most; writes
``screening.csv`` (mu* and sigma per key and figure) and ``screening.html`` (a bar chart)
to ``--out``. A key whose mu* on the distance is small next to the others is a poor free
parameter: the calibration figures cannot tell its values apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.calibration import parse_params  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.validation.record import _one, map_runs, targets_for  # noqa: E402

CANDIDATES = [
    "operations.opportunity_rate=0.002:0.015",
    "operations.discount=0.5:0.99",
    "operations.stakes_alpha=0.5:2",
    "attribution.evidence_rate=0.03:0.4",
    "attribution.threshold=0.4:0.95",
    "attribution.truth_discovery=0.05:0.4",
    "attribution.dwell_weeks=2:150",
    "attribution.dwell_trend=0:0.3",
    "attribution.dwell_resilience=1:3",
    "attribution.telemetry_detection=0.5:3",
    "states.list.China.activity=1:5",
    "states.list.Russia.activity=0.5:3",
    "states.list.Iran.activity=0.7:4",
    "states.list.North Korea.activity=1:6",
    "states.list.United States.activity=0.1:1.5",
    "states.list.United States.salience=1:8",
]


def main() -> None:
    """Sample, run, analyse, print and write (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario", nargs="?", default="rivalries_2000_2020")
    p.add_argument("--key", nargs="+", default=CANDIDATES, metavar="KEY=LOW:HIGH")
    p.add_argument("--trajectories", type=int, default=4)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", default="screening")
    args = p.parse_args()

    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    params = parse_params(args.key, "--key")
    scen = load_scenario(args.scenario)
    targets = targets_for(scen, args.scenario, None).targets
    problem = {
        "num_vars": len(params),
        "names": [q.key for q in params],
        "bounds": [[q.low, q.high] for q in params],
    }
    x = sample.sample(problem, args.trajectories, num_levels=4, seed=args.seed)
    measures = list(dict.fromkeys(t.measure for t in targets))
    jobs = [
        (scen, {q.key: float(v) for q, v in zip(params, row, strict=True)}, args.seed, measures)
        for row in x
    ]
    print(f"{len(jobs)} runs of {scen.name} ({len(params)} keys, {args.trajectories} trajectories)")
    t0 = time.perf_counter()
    runs = map_runs(_one, jobs, args.workers)
    wall = time.perf_counter() - t0
    print(f"{wall:.0f} s of wall time, {len(jobs) / wall:.2f} runs/s")

    fitted = [t for t in targets if t.role == "calibration"]
    columns = {
        t.name: np.array([(r[t.measure] - t.observed) / t.sigma for r in runs]) for t in targets
    }
    columns["distance"] = np.sqrt(np.mean([columns[t.name] ** 2 for t in fitted], axis=0))
    rows = []
    for name, y in columns.items():
        y = np.where(np.isfinite(y), y, np.nanmax(np.where(np.isfinite(y), y, np.nan)))
        res = analyze.analyze(problem, x, y, num_levels=4, seed=args.seed)
        for q, mu, sd in zip(params, res["mu_star"], res["sigma"], strict=True):
            rows.append((q.key, name, float(mu), float(sd)))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    df = pd.DataFrame(rows, columns=["key", "figure", "mu_star", "sigma"])
    df.to_csv(out / "screening.csv", index=False)
    dist = df[df.figure == "distance"].sort_values("mu_star", ascending=False)
    by_fig = df[df.figure != "distance"]
    print(f"{'key':<40} {'mu* (distance)':>14}  moves most (mu*, in sigmas)")
    for _, r in dist.iterrows():
        top = by_fig[by_fig.key == r.key].sort_values("mu_star", ascending=False).iloc[0]
        print(f"{r.key:<40} {r.mu_star:>14.3f}  {top.figure} ({top.mu_star:.2f})")
    _chart(dist, by_fig, out / "screening.html", scen.name)
    print(f"wrote {out}/screening.csv, screening.html")


def _chart(dist, by_fig, path: Path, name: str) -> None:
    from plotly.subplots import make_subplots

    keys = list(dist.key)[::-1]
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.3, 0.7],
        horizontal_spacing=0.25,
        subplot_titles=("mu* on the calibration distance", "mu* per figure (sigmas)"),
    )
    fig.add_bar(x=list(dist.mu_star)[::-1], y=keys, orientation="h", row=1, col=1, name="distance")
    pivot = by_fig.pivot(index="key", columns="figure", values="mu_star").reindex(keys)
    z = np.log10(np.maximum(pivot.values, 1e-3))
    fig.add_heatmap(
        z=z,
        x=list(pivot.columns),
        y=keys,
        row=1,
        col=2,
        colorscale="Viridis",
        customdata=pivot.values,
        hovertemplate="%{y}<br>%{x}: mu* %{customdata:.3f}<extra></extra>",
        colorbar={"title": "log10 mu*"},
    )
    fig.update_layout(title=f"Morris screening of {name}'s calibration figures", height=700)
    fig.write_html(path, include_plotlyjs=True, full_html=True)


if __name__ == "__main__":
    main()
