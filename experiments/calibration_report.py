"""The calibration report: one self-contained HTML file (plotly.js inside, no network).

Posterior marginals and pairs, tolerance and acceptance per generation, and a posterior
predictive check of every target: the final generation's simulated figure against the
observed value and band, calibration (fitted) and validation (predicted) targets shown
apart. Every name shown is escaped.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from experiments.calibration import CalibrationResult

e = html.escape
COLS = 4  # panels per row in the predictive check


def _marginals(r: CalibrationResult) -> go.Figure:
    final = r.final
    fig = make_subplots(rows=1, cols=len(r.params), subplot_titles=[e(p.key) for p in r.params])
    for i, p in enumerate(r.params, start=1):
        counts, edges = np.histogram(
            final[p.key], bins=20, range=(p.low, p.high), weights=final["weight"]
        )
        fig.add_trace(
            go.Bar(
                x=(edges[:-1] + edges[1:]) / 2,
                y=counts,
                width=np.diff(edges),
                name=e(p.key),
                showlegend=False,
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(range=[p.low, p.high], row=1, col=i)
    fig.update_layout(
        title="Posterior marginals (final generation, weighted; axis = prior range)",
        height=320,
    )
    return fig


def _pairs(r: CalibrationResult) -> go.Figure:
    final = r.final
    fig = go.Figure(
        go.Splom(
            dimensions=[{"label": e(p.key), "values": final[p.key]} for p in r.params],
            marker={
                "size": 5,
                "color": final["weight"],
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": "weight"},
            },
            diagonal_visible=False,
        )
    )
    n = len(r.params)
    fig.update_layout(title="Posterior pairs (final generation)", height=250 + 180 * n)
    return fig


def _generations(r: CalibrationResult) -> go.Figure:
    g = r.generations
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=["tolerance epsilon", "acceptance (accepted / simulated)"]
    )
    eps = g["epsilon"].where(np.isfinite(g["epsilon"]))
    fig.add_trace(go.Scatter(x=g["generation"], y=eps, mode="lines+markers"), row=1, col=1)
    fig.add_trace(
        go.Scatter(x=g["generation"], y=g["acceptance"], mode="lines+markers"), row=1, col=2
    )
    fig.update_xaxes(title="generation", dtick=1)
    fig.update_layout(
        title="Per generation (generation 0 accepts every prior draw)",
        showlegend=False,
        height=320,
    )
    return fig


def _predictive(r: CalibrationResult, role: str) -> go.Figure | None:
    targets = r.targets.by_role(role)
    if not targets:
        return None
    rows = math.ceil(len(targets) / COLS)
    fig = make_subplots(
        rows=rows,
        cols=COLS,
        subplot_titles=[e(t.label) for t in targets],
        vertical_spacing=min(0.12, 0.6 / max(rows, 1)),
    )
    for i, t in enumerate(targets):
        row, col = i // COLS + 1, i % COLS + 1
        values = r.predictive[t.name].astype(float)
        fig.add_trace(
            go.Box(y=values, name="simulated", boxpoints="all", jitter=0.4, marker_size=3),
            row=row,
            col=col,
        )
        fig.add_hrect(
            y0=t.low, y1=t.high, fillcolor="green", opacity=0.15, line_width=0, row=row, col=col
        )
        fig.add_trace(
            go.Scatter(
                x=["simulated"],
                y=[t.observed],
                mode="markers",
                marker={"symbol": "x", "size": 12, "color": "black"},
                name="observed",
            ),
            row=row,
            col=col,
        )
    fig.update_layout(
        title=(
            "Calibration targets (fitted): in-sample fit"
            if role == "calibration"
            else "Validation targets (never fitted): out-of-sample prediction"
        ),
        showlegend=False,
        height=260 * rows + 80,
    )
    return fig


def _table(rows: list[list[str]], head: list[str]) -> str:
    out = ["<table class='t'><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
    return "\n".join(out) + "</table>"


def write_report(path: Path, r: CalibrationResult) -> Path:
    """Write the report; returns its path."""
    from experiments.calibration import weighted_quantile

    final = r.final
    post_rows = [
        [
            p.key,
            f"{p.low:g}:{p.high:g}",
            f"{weighted_quantile(final[p.key], final['weight'], 0.5):.4g}",
            f"{weighted_quantile(final[p.key], final['weight'], 0.05):.4g}"
            f" - {weighted_quantile(final[p.key], final['weight'], 0.95):.4g}",
        ]
        for p in r.params
    ]
    gen_rows = [
        [
            int(g.generation),
            f"{g.epsilon:.4g}",
            int(g.simulations),
            int(g.accepted),
            f"{g.acceptance:.3f}",
            f"{g.ess:.1f}",
        ]
        for g in r.generations.itertuples()
    ]

    def verdicts(role: str) -> str:
        rows = []
        for t in r.targets.by_role(role):
            v = r.predictive[t.name].astype(float)
            v = v[np.isfinite(v)]
            med = float(np.median(v)) if len(v) else float("nan")
            lo, hi = np.percentile(v, [5, 95]) if len(v) else (float("nan"),) * 2
            rows.append(
                [
                    t.label,
                    f"{t.observed:.4g}",
                    f"{t.low:g}-{t.high:g}",
                    f"{med:.4g}",
                    f"{lo:.4g}-{hi:.4g}",
                    "pass" if t.low <= med <= t.high else "MISS",
                    t.source,
                ]
            )
        head = ["figure", "observed", "band", "median", "5-95%", "verdict", "source"]
        return _table(rows, head) if rows else "<p>(none)</p>"

    figs = [_marginals(r), _generations(r)]
    if len(r.params) > 1:
        figs.insert(1, _pairs(r))
    for role in ("calibration", "validation"):
        f = _predictive(r, role)
        if f is not None:
            figs.append(f)
    charts = [
        f.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        for i, f in enumerate(figs)
    ]
    doc = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{e(r.targets.scenario or "calibration")}: calibration report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}} table.t{{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}}
table.t td,table.t th{{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}}</style>
</head><body>
<h1>Calibration: {e(r.targets.scenario or "model")}</h1>
<p>ABC-SMC (pyabc) against the calibration targets of {e(r.targets.path)}; sampler:
{e(r.sampler)}; seed {r.seed}; {r.simulations} simulations in {r.wall_seconds:.0f} s; final
tolerance {r.epsilon:.4g}.</p>
<h2>Posterior</h2>{_table(post_rows, ["key", "prior (uniform)", "median", "5-95%"])}
<h2>Generations</h2>{
        _table(
            gen_rows,
            ["generation", "epsilon", "simulations", "accepted", "acceptance", "effective size"],
        )
    }{f"<p><b>Stopped early:</b> {e(r.extra['stopped'])}</p>" if r.extra.get("stopped") else ""}
<h2>Posterior predictive check: calibration targets (fitted, in-sample)</h2>
<p>The final generation's particles, each one run: a fit, not evidence of validity.</p>
{verdicts("calibration")}
<h2>Posterior predictive check: validation targets (never fitted, out-of-sample)</h2>
<p>Measured on the same particles but never part of the distance. A miss is a miss.</p>
{verdicts("validation")}
<h2>Charts</h2>
{"".join(charts)}
</body></html>"""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(doc)
    os.replace(tmp, path)
    return path
