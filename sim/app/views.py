"""The app's plotly views, built from a model: plain functions, testable without a browser.

Each builder reads the model (never copies its state) and returns a ``go.Figure``:

- :func:`network_figure`: states by bloc, sized by GDP, coloured by share of norms
  adopted; edges by trust; recent attributions as arrows from the accused to the victim
  (dashed once the attribution is revealed to be wrong);
- :func:`timeseries_figure`: incidents, damage, mean_trust, norms_adopted_share,
  compliance_rate (the metric column names of :mod:`sim.metrics`);
- :func:`negotiation_figure`: the text on the table in the latest session, round by
  round, with who accepts and who objects;
- :func:`event_log_figure`: the event log in plain sentences, newest first.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.metrics import METRICS
from sim.narrate import newest_first
from sim.world import ADOPTION_LEVEL

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel

HEIGHT = 370  # px; a SolaraViz grid cell is 10 rows of 30 px
# px; a fixed width: inside SolaraViz's draggable grid plotly cannot measure its cell and
# falls back to 700 px, wider than a half-width cell on a laptop (1500 px window: ~530)
WIDTH = 520
RECENT_WEEKS = 8  # attributions drawn on the network
TIMESERIES = ["incidents", "damage", "mean_trust", "norms_adopted_share", "compliance_rate"]
TRUST_BINS = [(0.3, 0.5, 0.8, "#c7cdd6"), (0.5, 0.7, 1.6, "#9aa5b5"), (0.7, 1.01, 3.0, "#5b6b82")]
BLOC_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "pentagon", "hexagon", "star"]
MARGIN = {"l": 40, "r": 20, "t": 40, "b": 30}
# A small light theme. plotly's named templates are deep-copied and validated for every
# figure, which cost more than everything else in a frame; this one is a few keys.
THEME: dict[str, Any] = {
    "layout": {
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"color": "#2a3f5f"},
        "xaxis": {"gridcolor": "#ebf0f8", "zerolinecolor": "#ebf0f8"},
        "yaxis": {"gridcolor": "#ebf0f8", "zerolinecolor": "#ebf0f8"},
        "hoverlabel": {"align": "left"},
    }
}


def new_figure() -> go.Figure:
    """An empty figure with the app's light theme (cheap: no named template)."""
    return go.Figure(layout={"template": THEME})


def _layout(
    fig: go.Figure, title: str, margin: dict[str, int] | None = None, **kw: Any
) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 14}},
        height=HEIGHT,
        width=WIDTH,
        margin=margin or MARGIN,
        **kw,
    )
    return fig


def positions(model: CyberDiplomacyModel) -> np.ndarray:
    """(n, 2) fixed positions: states on a circle, grouped by bloc with a gap between blocs."""
    w = model.world
    n = w.n
    order = np.lexsort((-w.gdp, w.bloc))  # by bloc, largest economy first
    gaps = np.concatenate([[0], np.cumsum(np.diff(w.bloc[order]) != 0)])
    slots = np.arange(n) + gaps * 1.0
    angle = 2 * np.pi * slots / (slots[-1] + 1 + (gaps[-1] > 0)) if n else slots
    pos = np.zeros((n, 2))
    pos[order, 0] = np.cos(angle + np.pi / 2)
    pos[order, 1] = np.sin(angle + np.pi / 2)
    return pos


def norms_adopted_share_by_state(model: CyberDiplomacyModel) -> np.ndarray:
    """(n,) share of the catalogue's norms each state has adopted."""
    return (model.world.adopted >= ADOPTION_LEVEL).mean(axis=1)


def _segments(
    pos: np.ndarray, src: np.ndarray, dst: np.ndarray, shorten: float = 0.0
) -> tuple[list[float | None], list[float | None]]:
    """Line segments src -> dst as one trace's x, y (None separates segments)."""
    if len(src) == 0:
        return [], []
    a, b = pos[src], pos[dst]
    b = a + (b - a) * (1.0 - shorten)
    x = np.column_stack([a[:, 0], b[:, 0], np.full(len(a), np.nan)]).ravel()
    y = np.column_stack([a[:, 1], b[:, 1], np.full(len(a), np.nan)]).ravel()
    return [None if np.isnan(v) else float(v) for v in x], [
        None if np.isnan(v) else float(v) for v in y
    ]


def network_figure(model: CyberDiplomacyModel) -> go.Figure:
    """The states: nodes by bloc, sized by GDP, coloured by norms adopted; trust; attributions."""
    w = model.world
    pos = positions(model)
    fig = new_figure()

    # trust: one trace per band, so the whole matrix costs three traces
    iu, ju = np.triu_indices(w.n, 1)
    t = w.trust[iu, ju]
    for lo, hi, width, colour in TRUST_BINS:
        sel = (t >= lo) & (t < hi)
        x, y = _segments(pos, iu[sel], ju[sel])
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                hoverinfo="skip",
                line={"width": width, "color": colour},
                name=f"trust {lo:.1f}-{min(hi, 1):.1f}",
                legendgroup="trust",
            )
        )

    # recent attributions (private or public): accused -> victim
    inc = model.incidents
    week = model.steps
    if len(inc):
        recent = (inc.attributed_to >= 0) & (inc.attributed_step >= week - RECENT_WEEKS)
        recent &= inc.attributed_to != inc.target
        wrong = recent & (inc.revealed_step >= 0)
        for sel, dash, colour, label in (
            (recent & ~wrong, "solid", "#d62728", "attribution (recent weeks)"),
            (wrong, "dash", "#ff7f0e", "wrong attribution, revealed"),
        ):
            rows = np.nonzero(sel)[0]
            if not len(rows):
                continue
            src, dst = inc.attributed_to[rows], inc.target[rows]
            x, y = _segments(pos, src, dst, shorten=0.12)
            size = [0, 13, 0] * len(rows)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines+markers",
                    name=label,
                    hoverinfo="skip",
                    line={"color": colour, "width": 2.2, "dash": dash},
                    marker={
                        "symbol": "arrow",
                        "angleref": "previous",
                        "size": size,
                        "color": colour,
                    },
                )
            )

    # states
    share = norms_adopted_share_by_state(model)
    gdp = w.gdp
    size = 12 + 38 * np.sqrt(gdp / max(float(gdp.max()), 1e-9))
    for b, bloc in enumerate(w.bloc_names):
        idx = np.nonzero(w.bloc == b)[0]
        if not len(idx):
            continue
        hover = [
            f"{w.names[i]} ({bloc})<br>GDP {gdp[i]:.2f} trn USD<br>norms adopted {share[i]:.0%}"
            for i in idx
        ]
        fig.add_trace(
            go.Scatter(
                x=pos[idx, 0],
                y=pos[idx, 1],
                mode="markers+text",
                name=bloc,
                text=[w.names[i].replace("State ", "S") for i in idx],
                textposition="middle center",
                textfont={"size": 9, "color": "white"},
                hovertext=hover,
                hoverinfo="text",
                marker={
                    "size": size[idx],
                    "symbol": BLOC_SYMBOLS[b % len(BLOC_SYMBOLS)],
                    "color": share[idx],
                    "cmin": 0,
                    "cmax": 1,
                    "colorscale": "Viridis",
                    "line": {"width": 1, "color": "#333"},
                    "showscale": b == 0,
                    "colorbar": {
                        "title": {"text": "norms adopted", "side": "right"},
                        "thickness": 10,
                        "len": 0.8,
                    },
                },
            )
        )
    _layout(
        fig,
        f"States, week {week}",
        showlegend=True,
        legend={"orientation": "h", "y": -0.02, "font": {"size": 10}},
    )
    fig.update_xaxes(visible=False, range=[-1.25, 1.25])
    fig.update_yaxes(visible=False, range=[-1.2, 1.2], scaleanchor="x")
    return fig


def series(model: CyberDiplomacyModel, name: str) -> list[float]:
    """One collected metric over the run so far (no DataFrame copy)."""
    return list(model.datacollector.model_vars.get(name, []))


def timeseries_figure(model: CyberDiplomacyModel) -> go.Figure:
    """Incidents, damage and the three shares (trust, norms adopted, compliance) by week."""
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=("incidents", "damage", "shares"),
        figure=new_figure(),
    )
    weeks = list(range(1, len(series(model, "incidents")) + 1))
    rows = {"incidents": 1, "damage": 2}
    colours = {
        "incidents": "#d62728",
        "damage": "#8c564b",
        "mean_trust": "#1f77b4",
        "norms_adopted_share": "#2ca02c",
        "compliance_rate": "#9467bd",
    }
    for name in TIMESERIES:
        fig.add_trace(
            go.Scatter(
                x=weeks,
                y=series(model, name),
                name=name,
                mode="lines" if len(weeks) > 1 else "markers",
                line={"color": colours[name], "width": 1.8},
                hovertemplate=f"{name}: %{{y:.3g}}<br>week %{{x}}<extra>{METRICS[name][0]}</extra>",
            ),
            row=rows.get(name, 3),
            col=1,
        )
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_yaxes(range=[0, 1.02], row=3, col=1)
    fig.update_xaxes(range=[0, max(10, len(weeks))])
    fig.update_xaxes(title_text="week", row=3, col=1)
    fig.update_annotations(font_size=11)
    return _layout(
        fig,
        f"Time series, week {model.steps}",
        legend={"orientation": "h", "y": -0.18, "font": {"size": 10}},
    )


def latest_session(model: CyberDiplomacyModel) -> tuple[Any, int | None]:
    """The organisation whose session is the most recent, and that session's week."""
    by_name = {o.name: o for o in model.organizations}
    for e in reversed(model.events):
        if e.get("kind") in ("agreement", "session_failed") and e.get("organization") in by_name:
            return by_name[e["organization"]], e.get("step")
    return None, None


def negotiation_figure(model: CyberDiplomacyModel) -> go.Figure:
    """The latest session: commitment per norm round by round, who accepts and who objects."""
    org, week = latest_session(model)
    rec = org.last_session if org is not None else None
    # the same layout keys whether or not a session was held: the browser's figure is
    # updated in place, and keys left out of an update would keep their old values
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.55, 0.45],
        vertical_spacing=0.08,
        specs=[[{"type": "heatmap"}], [{"type": "table"}]],
        figure=new_figure(),
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 9}, automargin=True, row=1, col=1)
    fig.update_xaxes(side="top", row=1, col=1)
    held = bool(rec and rec.get("rounds"))
    nxt = min((o.first_session for o in model.organizations), default=None)
    msg = (
        ""
        if held
        else "No negotiation session yet" + (f" (first in week {nxt})" if nxt is not None else "")
    )
    # always one annotation: an empty list would not clear the browser's old one
    fig.update_layout(
        annotations=[
            {"text": msg, "showarrow": False, "x": 0.5, "y": 0.75, "xref": "paper", "yref": "paper"}
        ]
    )
    if not held:
        fig.add_trace(go.Heatmap(z=[], x=[], y=[], showscale=False), row=1, col=1)
        fig.add_trace(
            go.Table(
                header={"values": ["round", "accept", "object"]}, cells={"values": [[], [], []]}
            ),
            row=2,
            col=1,
        )
        return _layout(fig, "Negotiation")
    rounds = rec["rounds"]
    norms = list(rounds[0]["text"])
    titles = dict(zip(model.catalogue.ids, model.catalogue.titles, strict=False))
    z = [[r["text"].get(k, 0.0) for k in norms] for r in rounds]
    ylab = [
        f"round {r['round']}: {len(r['accept'])} accept, {len(r['object'])} object" for r in rounds
    ]
    hover = [
        [
            f"{k}: {titles.get(k, k)}<br>commitment {v:.2f}<br>{yl}"
            for k, v in zip(norms, row, strict=True)
        ]
        for row, yl in zip(z, ylab, strict=True)
    ]
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=norms,
            y=ylab,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            hovertext=hover,
            hoverinfo="text",
            texttemplate="%{z:.1f}",
            colorbar={"title": {"text": "commitment"}, "thickness": 10, "len": 0.5, "y": 0.78},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Table(
            columnwidth=[0.6, 3, 3],
            header={"values": ["round", "accept", "object"], "align": "left", "font": {"size": 11}},
            cells={
                "values": [
                    [r["round"] for r in rounds],
                    [", ".join(r["accept"]) or "-" for r in rounds],
                    [", ".join(r["object"]) or "-" for r in rounds],
                ],
                "align": "left",
                "font": {"size": 10},
            },
        ),
        row=2,
        col=1,
    )
    outcome = f"agreed, {len(rec['signatories'])} signed" if rec["agreed"] else "no agreement"
    mediator = f", mediator {rec['mediator']}" if rec.get("mediator") else ""
    return _layout(
        fig,
        f"{rec['organization']} session {rec['session']}, week {week} "
        f"({rec['rule']}{mediator}):<br>{outcome}",
    )


def process_figure(model: CyberDiplomacyModel) -> go.Figure:
    """The negotiation over the years: each body's mandate and sessions (agreed or failed,
    with the objectors and the item they objected to), and the agenda items with the level
    agreed so far.
    """
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.55, 0.45],
        vertical_spacing=0.1,
        specs=[[{"type": "xy"}], [{"type": "table"}]],
        figure=new_figure(),
    )
    start = model.config.scenario.start_year
    bodies = list(model.organizations)
    names = [html.escape(o.name) for o in bodies]
    for outcome, color in (("agreed", "#2ca02c"), ("failed", "#d62728")):
        xs, ys, hover = [], [], []
        for o, name in zip(bodies, names, strict=True):
            for h in o.history:
                if h["agreed"] != (outcome == "agreed"):
                    continue
                xs.append(start + (h["step"] - 1) / 52)
                ys.append(name)
                objections = ", ".join(
                    f"{html.escape(x['state'])} ({html.escape(x['item'])})"
                    for x in h["objections"][:6]
                )
                notes = [
                    f"<br>{label}: {html.escape(', '.join(h[key]))}"
                    for key, label in (
                        ("summary", "moved to the chair's summary"),
                        ("reaffirmed", "reaffirmed"),
                    )
                    if h.get(key)
                ]
                hover.append(
                    f"{name}, session {h['session']}, week {h['step']}: {outcome}<br>"
                    f"items: {html.escape(', '.join(h['items'])) or '-'}"
                    + (f"<br>objected: {objections}" if objections else "")
                    + "".join(notes)
                )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name=f"session {outcome}",
                marker={"color": color, "size": 9, "symbol": "circle"},
                hovertext=hover,
                hoverinfo="text",
            ),
            row=1,
            col=1,
        )
    # each body's mandate as a grey bar: from its first session to its end (or now)
    for o, name in zip(bodies, names, strict=True):
        end = o.last_week or max(model.steps, o.first_session)
        label = {"report": " (report)", "failure": " (failed)"}.get(o.outcome or "", "")
        fig.add_trace(
            go.Scatter(
                x=[start + (o.first_session - 1) / 52, start + (end - 1) / 52],
                y=[name, name],
                mode="lines",
                line={"color": "#bbbbbb", "width": 6},
                hovertext=f"{name}{label}",
                hoverinfo="text",
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    cat = model.catalogue
    agreed = model.world.agreed
    fig.add_trace(
        go.Table(
            columnwidth=[1, 1.3, 5, 0.9, 1.6],
            header={
                "values": ["item", "topic", "title", "agreed", "requires"],
                "align": "left",
                "font": {"size": 11},
            },
            cells={
                "values": [
                    [html.escape(x) for x in cat.ids],
                    cat.topics,
                    [html.escape(t) for t in cat.titles],
                    [f"{a:.2f}" if a > 0 else "-" for a in agreed],
                    [", ".join(cat.ids[r] for r in req) or "-" for req in cat.requires],
                ],
                "align": "left",
                "font": {"size": 10},
            },
        ),
        row=2,
        col=1,
    )
    fig.update_xaxes(title_text="year", row=1, col=1)
    fig.update_yaxes(autorange="reversed", automargin=True, row=1, col=1)
    return _layout(fig, f"Bodies, sessions and the agenda, week {model.steps}")


def event_log_figure(model: CyberDiplomacyModel, limit: int = 150) -> go.Figure:
    """The event log in plain sentences, newest first."""
    lines = newest_first(model.events, limit=limit) or ["No events yet: press Step or play."]
    fig = new_figure()
    fig.add_trace(
        go.Table(
            columnwidth=[1],
            header={
                "values": [f"Event log ({len(model.events)} events, newest first)"],
                "align": "left",
                "font": {"size": 12},
            },
            cells={"values": [lines], "align": "left", "font": {"size": 11}, "height": 22},
        )
    )
    return _layout(fig, f"What happened, week {model.steps}", margin={**MARGIN, "t": 30})


def all_figures(model: CyberDiplomacyModel) -> dict[str, go.Figure]:
    """Every view of the app, by name (used by the benchmark and the tests)."""
    return {
        "network": network_figure(model),
        "timeseries": timeseries_figure(model),
        "negotiation": negotiation_figure(model),
        "process": process_figure(model),
        "event_log": event_log_figure(model),
    }
