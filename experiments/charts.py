"""Plotly figures of a batch: each function takes analysis tables and returns a Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        height=420,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    return fig


def outcome_vs_parameter(
    marginal: pd.DataFrame, param: str, outcome: str, confidence: float = 0.95
) -> go.Figure:
    """Mean outcome at each level of a parameter, with its confidence band."""
    x = marginal[param]
    numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
    xs = x.tolist() if numeric else [str(v) for v in x]
    fig = go.Figure()
    if numeric:
        fig.add_trace(
            go.Scatter(
                x=xs + xs[::-1],
                y=marginal["ci_high"].tolist() + marginal["ci_low"].tolist()[::-1],
                fill="toself",
                fillcolor=_rgba(PALETTE[0], 0.2),
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                name=f"{confidence:.0%} CI",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=marginal["mean"],
                mode="lines+markers",
                name="mean",
                line={"color": PALETTE[0]},
            )
        )
    else:
        err = marginal["ci_high"] - marginal["mean"]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=marginal["mean"],
                mode="markers",
                name="mean",
                error_y={"type": "data", "array": err.tolist()},
                marker={"size": 11, "color": PALETTE[0]},
            )
        )
    return _layout(fig, f"{outcome} by {param} (mean, {confidence:.0%} CI)", param, outcome)


def outcome_scatter(means: pd.DataFrame, param: str, outcome: str) -> go.Figure:
    """Per-design-point mean outcome against a sampled parameter, with a lowess-free trend."""
    fig = go.Figure(
        go.Scatter(
            x=means[param],
            y=means[outcome],
            mode="markers",
            marker={"size": 6, "color": PALETTE[0], "opacity": 0.7},
            name="design point",
        )
    )
    x = means[param].to_numpy(dtype=float)
    y = means[outcome].to_numpy(dtype=float)
    ok = ~np.isnan(y)
    if ok.sum() > 2 and np.ptp(x[ok]) > 0:
        k, c = np.polyfit(x[ok], y[ok], 1)
        xx = np.linspace(x[ok].min(), x[ok].max(), 2)
        fig.add_trace(
            go.Scatter(
                x=xx,
                y=k * xx + c,
                mode="lines",
                name="linear trend",
                line={"color": PALETTE[1], "dash": "dash"},
            )
        )
    return _layout(fig, f"{outcome} against {param} (mean per design point)", param, outcome)


def heatmap(summary: pd.DataFrame, px: str, py: str, outcome: str) -> go.Figure:
    """Mean outcome over two parameters (averaged over any others)."""
    s = summary[summary["outcome"] == outcome]
    table = s.groupby([py, px])["mean"].mean().unstack(px)
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=[str(v) for v in table.columns],
            y=[str(v) for v in table.index],
            colorscale="Viridis",
            colorbar={"title": {"text": outcome}},
            texttemplate="%{z:.3g}",
        )
    )
    return _layout(fig, f"{outcome}: {px} × {py} (mean)", px, py)


def fan_chart(fans: dict[str, pd.DataFrame], metric: str, cumulative: bool = False) -> go.Figure:
    """Per design point: median, 25-75% and 5-95% bands of a metric over time."""
    fig = go.Figure()
    for i, (label, f) in enumerate(fans.items()):
        color = PALETTE[i % len(PALETTE)]
        steps = f["step"].tolist()
        for lo, hi, alpha in (("q05", "q95", 0.12), ("q25", "q75", 0.25)):
            fig.add_trace(
                go.Scatter(
                    x=steps + steps[::-1],
                    y=f[hi].tolist() + f[lo].tolist()[::-1],
                    fill="toself",
                    fillcolor=_rgba(color, alpha),
                    mode="lines",
                    line={"width": 0},
                    hoverinfo="skip",
                    legendgroup=label,
                    showlegend=False,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=f["q50"],
                mode="lines",
                name=label,
                legendgroup=label,
                line={"color": color},
            )
        )
    name = f"{metric} (cumulative)" if cumulative else metric
    return _layout(fig, f"{name} over time (median, 50% and 90% bands)", "step", name)


def sobol_bars(sobol: pd.DataFrame, outcome: str) -> go.Figure:
    """First-order and total Sobol indices with their confidence intervals."""
    s = sobol[sobol["outcome"] == outcome]
    fig = go.Figure()
    for name, key, color in (("first order S1", "S1", PALETTE[0]), ("total ST", "ST", PALETTE[1])):
        fig.add_trace(
            go.Bar(
                x=s["parameter"],
                y=s[key],
                name=name,
                marker_color=color,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (s[f"{key}_high"] - s[key]).tolist(),
                    "arrayminus": (s[key] - s[f"{key}_low"]).tolist(),
                },
            )
        )
    fig.update_layout(barmode="group")
    return _layout(fig, f"Sobol indices of {outcome}", "parameter", "index")


def morris_bars(morris: pd.DataFrame, outcome: str) -> go.Figure:
    """Morris mu* (with its bootstrap interval) and sigma per parameter."""
    m = morris[morris["outcome"] == outcome]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=m["parameter"],
            y=m["mu_star"],
            name="mu*",
            marker_color=PALETTE[0],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (m["mu_star_high"] - m["mu_star"]).tolist(),
                "arrayminus": (m["mu_star"] - m["mu_star_low"]).tolist(),
            },
        )
    )
    fig.add_trace(go.Bar(x=m["parameter"], y=m["sigma"], name="sigma", marker_color=PALETTE[3]))
    fig.update_layout(barmode="group")
    return _layout(fig, f"Morris screening of {outcome}", "parameter", "elementary effect")


def distribution(runs: pd.DataFrame, outcome: str, labels: pd.Series | None = None) -> go.Figure:
    """Distribution of an outcome over runs: a box per design point, or one histogram."""
    fig = go.Figure()
    if labels is not None:
        for i, (label, g) in enumerate(runs.groupby(labels, sort=False)):
            fig.add_trace(
                go.Box(
                    y=g[outcome],
                    name=str(label),
                    boxpoints="all",
                    jitter=0.4,
                    marker_color=PALETTE[i % len(PALETTE)],
                )
            )
        fig.update_layout(showlegend=False)
        return _layout(fig, f"Distribution of {outcome} per design point", "design point", outcome)
    fig.add_trace(go.Histogram(x=runs[outcome], marker_color=PALETTE[0]))
    return _layout(fig, f"Distribution of {outcome} over runs", outcome, "runs")


def sample_bars(table: pd.DataFrame, outcome: str, method: str) -> go.Figure:
    """Delta (with its bootstrap interval) or PAWN (median, whiskers to min and max over the
    slides) per parameter, as made by :func:`experiments.analysis.sample_analysis`.
    """
    t = table[table["outcome"] == outcome]
    if method == "delta":
        value, low, high, name = "delta", "delta_low", "delta_high", "delta"
        title, y = f"Delta (moment-independent) of {outcome}", "delta"
    else:
        value, low, high, name = "pawn", "pawn_min", "pawn_max", "PAWN (median; min to max)"
        title, y = f"PAWN index of {outcome}", "KS distance"
    fig = go.Figure(
        go.Bar(
            x=t["parameter"],
            y=t[value],
            name=name,
            marker_color=PALETTE[0],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (t[high] - t[value]).tolist(),
                "arrayminus": (t[value] - t[low]).tolist(),
            },
        )
    )
    if method == "pawn" and len(t):
        fig.add_hline(
            y=float(t["ks_critical"].iloc[0]),
            line={"dash": "dash", "color": PALETTE[1]},
            annotation_text="95% critical KS",
        )
    return _layout(fig, title, "parameter", y)
