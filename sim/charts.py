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
    (
        "Responses",
        [
            "public_attributions",
            "public_misattributions",
            "sanctions",
            "retaliations",
            "escalations",
        ],
    ),
    ("Damage (bn USD)", ["damage"]),
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


def timeseries_figure(
    ts, panels=PANELS, title: str = "", bin_weeks: int = 1, start_year: int | None = None
) -> go.Figure:
    """A grid of line charts, one panel per group of metrics.

    Per-week counts (flows) are summed over bins of `bin_weeks` so a ten-year run reads as
    quarters rather than noise; levels are drawn as they are. With `start_year`, the x
    axis is in calendar years.
    """
    from sim.metrics import FLOW

    panels = [(t, [c for c in cols if c in ts.columns]) for t, cols in panels]
    panels = [(t, cols) for t, cols in panels if cols]
    rows = (len(panels) + 1) // 2
    fig = make_subplots(
        rows=rows, cols=2, subplot_titles=[t for t, _ in panels], vertical_spacing=0.08
    )
    x = ts["step"].to_numpy()
    xs = (start_year + (x - 1) / 52.0) if start_year is not None else x
    binned = ts.groupby((x - 1) // bin_weeks) if bin_weeks > 1 else None
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]
    for k, (_, cols) in enumerate(panels):
        r, c = k // 2 + 1, k % 2 + 1
        for j, col in enumerate(cols):
            if binned is not None and col in FLOW:
                y = binned[col].sum().to_numpy()
                xb = binned["step"].max().to_numpy()
                xb = (start_year + (xb - 1) / 52.0) if start_year is not None else xb
                name = f"{col} (per {bin_weeks} weeks)"
            else:
                y, xb, name = ts[col].to_numpy(), xs, col
            fig.add_trace(
                go.Scatter(
                    x=xb,
                    y=y,
                    name=name,
                    mode="lines",
                    legend=f"legend{k + 1}" if k else "legend",
                    line={"color": palette[j % len(palette)]},
                    showlegend=True,
                    hovertemplate=f"{col}: %{{y:.3g}}<extra>%{{x}}</extra>",
                ),
                row=r,
                col=c,
            )
    fig.update_layout(height=340 * rows, title=title, template="plotly_white", margin={"t": 80})
    # one small legend inside each panel, at its top left
    for k in range(len(panels)):
        axis = fig.layout[f"xaxis{k + 1}" if k else "xaxis"]
        yaxis = fig.layout[f"yaxis{k + 1}" if k else "yaxis"]
        fig.update_layout(
            {
                ("legend" if k == 0 else f"legend{k + 1}"): {
                    "x": axis.domain[0] + 0.005,
                    "y": yaxis.domain[1],
                    "xanchor": "left",
                    "yanchor": "top",
                    "bgcolor": "rgba(255,255,255,0.6)",
                    "font": {"size": 10},
                }
            }
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
        bin_weeks=1 if classic else 13,
        start_year=None if classic else result.scenario.scenario.start_year,
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
