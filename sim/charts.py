"""Plotly charts of one run, and the self-contained report.html (plotly.js inside)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.metrics import METRICS

if TYPE_CHECKING:
    from sim.run import RunResult

PANELS = [
    (
        "Incidents per week",
        ["incidents", "incidents_detected", "incidents_attributed", "misattributions"],
    ),
    ("Responses per week", ["public_attributions", "sanctions", "retaliations", "escalations"]),
    ("Damage per week (bn USD)", ["damage"]),
    ("Trust", ["mean_trust", "trust_between_blocs"]),
    ("Norms", ["norms_adopted_share", "compliance_rate"]),
    ("Boldness and vengefulness", ["mean_boldness", "mean_vengefulness"]),
    ("Agreements (cumulative)", ["agreements", "sessions"]),
    ("World GDP index", ["gdp_index"]),
]
CLASSIC_PANELS = [
    ("Boldness and vengefulness", ["mean_boldness", "mean_vengefulness"]),
    (
        "Defections and punishments per generation",
        ["violations", "punishments", "meta_punishments"],
    ),
]


def timeseries_figure(ts, panels=PANELS, title: str = "", smooth: int = 1) -> go.Figure:
    """A grid of line charts, one panel per group of metrics."""
    panels = [(t, [c for c in cols if c in ts.columns]) for t, cols in panels]
    panels = [(t, cols) for t, cols in panels if cols]
    rows = (len(panels) + 1) // 2
    fig = make_subplots(
        rows=rows, cols=2, subplot_titles=[t for t, _ in panels], vertical_spacing=0.08
    )
    for k, (_, cols) in enumerate(panels):
        r, c = k // 2 + 1, k % 2 + 1
        for col in cols:
            y = ts[col].rolling(smooth, min_periods=1).mean() if smooth > 1 else ts[col]
            fig.add_trace(
                go.Scatter(
                    x=ts["step"],
                    y=y,
                    name=col,
                    mode="lines",
                    hovertemplate=f"{col}: %{{y:.3g}}<extra>week %{{x}}</extra>",
                ),
                row=r,
                col=c,
            )
    fig.update_layout(
        height=300 * rows,
        title=title,
        template="plotly_white",
        legend={"orientation": "h"},
        margin={"t": 80},
    )
    return fig


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:.4g}"


def run_report(result: RunResult, path: str | Path) -> Path:
    """One HTML file with the run's charts and summary; opens with no network."""
    ts = result.timeseries
    classic = result.scenario.scenario.kind == "norms_game"
    unit = "generation" if classic else "week"
    fig = timeseries_figure(
        ts,
        CLASSIC_PANELS if classic else PANELS,
        f"{result.scenario.name}: {result.steps} {unit}s, seed {result.seed}",
        smooth=1 if classic else 4,
    )
    body = fig.to_html(full_html=False, include_plotlyjs=True)
    rows = []
    for name, vals in result.summary["metrics"].items():
        meaning = METRICS.get(name, ("", ""))[0]
        rows.append(
            f"<tr><td>{name}</td><td>{_fmt(vals['final'])}</td>"
            f"<td>{_fmt(vals['total'])}</td><td>{html.escape(meaning)}</td></tr>"
        )
    meta = result.scenario.scenario
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(result.scenario.name)} report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}</style></head>
<body><h1>{html.escape(result.scenario.name)}</h1>
<p><b>{html.escape(meta.description)}</b></p><p>{html.escape(meta.narrative)}</p>
{body}
<h2>Summary</h2><table><tr><th>metric</th><th>final</th><th>total</th><th>meaning</th></tr>
{"".join(rows)}</table>
<p>Sources: {html.escape("; ".join(meta.sources))}</p></body></html>"""
    path = Path(path)
    path.write_text(page)
    return path
