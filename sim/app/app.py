"""The classroom app: Mesa's SolaraViz with the plotly views of :mod:`sim.app.views`.

Served by ``python run.py viz`` (see :mod:`sim.app.cli` and docs/app.md). Each browser
session renders its own :func:`Page`, which builds its own model: nothing is created at
module level, so one student's steps never move another's.

How it fits Mesa's SolaraViz (3.5):

- SolaraViz's Reset re-creates the model as ``type(model)(**params)``, where ``params``
  are the values of the controls in ``model_params``. Their names are the scenario's
  dotted keys (``states.attribution_skill``, ...), which :class:`AppModel` takes as keyword
  overrides. Mesa would also replace a ``scenario`` argument by its own
  ``mesa.experimental.scenarios.Scenario`` object whenever ``model.scenario`` is set;
  :class:`AppModel` hides Mesa's scenario object so the scenario *name* gets through.
- The scenario picker lives outside SolaraViz: choosing a scenario builds a new model
  and re-mounts SolaraViz, so the sliders start from that scenario's values. Moving a
  slider takes effect at the next Reset (Mesa's convention).
- A view must read Mesa's ``update_counter`` to re-render after each step.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from functools import cache
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from sim.app import views
from sim.app.serve import install_widget_routes, trim_heap
from sim.interventions import REGISTRY, defaults
from sim.mechanics.incidents import TYPE_LABEL
from sim.model import CyberDiplomacyModel
from sim.scenario import (
    DECISION_RULES,
    INCIDENT_TYPES,
    ScriptedEvent,
    builtin_scenarios,
    check_key,
    load_scenario,
)

# the severity an instructor may choose is the range of the scenario's [[events]] key
SEVERITY_BOUNDS = {f.name: f for f in dataclasses.fields(ScriptedEvent)}["severity"].metadata

SCENARIO_ENV = "CYBERDIPLOMACY_SCENARIO"  # set by `run.py viz --scenario`
TITLE = "Cyber diplomacy"
# the controls of the issue: dotted scenario key -> Mesa input type
SLIDERS: dict[str, str] = {
    "states.attribution_skill": "SliderFloat",
    "states.sovereignty_concern": "SliderFloat",
    "companies.engagement": "SliderFloat",
    "states.count": "SliderInt",
    "norms.metanorms": "Checkbox",
    "organizations.decision_rule": "Select",
}
STATE_COUNT_MAX = 40  # more states than a class can follow on the network
ATTACK_TYPES = [t for t in INCIDENT_TYPES if t != "crime"]
PLAY_INTERVAL_MS = 400  # ~2.5 weeks a second: time to read; a browser without GPU keeps up


class AppModel(CyberDiplomacyModel):
    """The world model as the app creates it: scenario name, seed and dotted overrides.

    Args:
        scenario: a built-in world scenario name (or a path).
        seed: the random seed as typed in the app ('' or None: a fresh random seed).
        **dotted: scenario overrides by dotted key, e.g. ``{"states.attribution_skill": 0.8}``.

    """

    def __init__(
        self, scenario: str = "baseline", seed: str | int | None = 0, **dotted: Any
    ) -> None:
        text = str(seed).strip() if seed is not None else ""
        rng = int(text) if text.lstrip("-").isdigit() else None
        super().__init__(scenario=scenario, rng=rng, **dotted)
        self.scenario_name = str(scenario)

    # Mesa's SolaraViz rebuilds ``scenario`` from ``model.scenario`` when it is truthy
    # (mesa.visualization.solara_viz._build_model_init_kwargs); ours is a name, not a
    # mesa Scenario, so the mesa object is kept under another name.
    @property
    def scenario(self) -> None:  # type: ignore[override]
        """Always None: see :attr:`config` for this model's scenario."""
        return None

    @scenario.setter
    def scenario(self, value: Any) -> None:
        self._mesa_scenario = value


@cache
def world_scenarios() -> dict[str, str]:
    """Built-in scenarios the world model runs (name -> description); norms games left out."""
    out = {}
    for name, path in builtin_scenarios().items():
        try:
            scen = load_scenario(path)
        except Exception:  # noqa: BLE001 - a broken file elsewhere must not break the app
            continue
        if scen.scenario.kind == "world":
            out[name] = scen.scenario.description
    return out


def default_scenario() -> str:
    """The scenario shown first: ``run.py viz --scenario``, else baseline."""
    names = list(world_scenarios())
    wanted = os.environ.get(SCENARIO_ENV, "baseline")
    if wanted in names or not names:
        return wanted
    return "baseline" if "baseline" in names else names[0]


def _get(scen: Any, key: str) -> Any:
    node = scen
    for part in key.split("."):
        node = getattr(node, part)
    return node


def model_params(scenario: str) -> dict[str, Any]:
    """SolaraViz ``model_params`` for a scenario: its values as the controls' start values."""
    scen = load_scenario(scenario)
    params: dict[str, Any] = {
        "scenario": scenario,  # fixed: chosen with the picker above SolaraViz
        "seed": {"type": "InputText", "value": "0", "label": "seed"},
    }
    for key, kind in SLIDERS.items():
        _, fld = check_key(key)
        meta = fld.metadata
        value = _get(scen, key)
        p: dict[str, Any] = {"type": kind, "value": value, "label": key}
        if kind == "SliderFloat":
            p.update(min=meta.get("min") or 0.0, max=meta.get("max") or 1.0, step=0.05)
        elif kind == "SliderInt":
            p.update(min=int(meta.get("min") or 2), max=max(STATE_COUNT_MAX, int(value)), step=1)
        elif kind == "Select":
            p["values"] = list(DECISION_RULES)
        params[key] = p
    return params


def _pick(value: str, options: list[str], default: int = 0) -> str:
    """A select's value still among the options (states change when the model is reset)."""
    if value in options:
        return value
    return options[min(default, len(options) - 1)] if options else ""


# ---------------------------------------------------------------------------- views


def _figure(build: Any, model: CyberDiplomacyModel) -> None:
    """A plotly view that re-draws after each step (Mesa's update_counter)."""
    tick = update_counter.get()
    fig = solara.use_memo(lambda: build(model), [tick, model])
    solara.FigurePlotly(fig, dependencies=[tick, id(model)])


@solara.component
def NetworkView(model: CyberDiplomacyModel) -> None:
    """The network of states."""
    _figure(views.network_figure, model)


@solara.component
def TimeSeriesView(model: CyberDiplomacyModel) -> None:
    """Incidents, damage, trust, norms adopted, compliance."""
    _figure(views.timeseries_figure, model)


@solara.component
def NegotiationView(model: CyberDiplomacyModel) -> None:
    """The text on the table in the latest session, round by round."""
    _figure(views.negotiation_figure, model)


@solara.component
def ProcessView(model: CyberDiplomacyModel) -> None:
    """The bodies and sessions over the years, and the agenda items.

    It changes only when a session is held, a mandate ends or a track opens (and its bars
    grow by the half year), so it is redrawn then, not every week: playing stays light.
    """
    update_counter.get()
    orgs = list(model.organizations)
    key = (
        id(model),
        tuple((o.name, len(o.history), o.outcome) for o in orgs),
        model.steps // 26,
    )
    fig = solara.use_memo(lambda: views.process_figure(model), [key])
    solara.FigurePlotly(fig, dependencies=[key])


@solara.component
def EventLogView(model: CyberDiplomacyModel) -> None:
    """The event log in plain sentences, newest first."""
    _figure(views.event_log_figure, model)


COMPONENTS = [
    (NetworkView, 0),
    (TimeSeriesView, 0),
    (NegotiationView, 0),
    (ProcessView, 0),
    (EventLogView, 0),
]


# ---------------------------------------------------------------------------- interventions


def _note(text: str) -> None:
    # plain text, not solara.Markdown: Markdown loads KaTeX, which solara-assets lacks
    solara.Text(text, style={"font-size": "0.85em", "display": "block", "margin": "4px 0"})


def _queued(model: CyberDiplomacyModel) -> list[str]:
    from sim.narrate import narrate

    return [
        narrate({"kind": "intervention", "intervention": k, **kw}).removeprefix("Instructor: ")
        for k, kw in model.pending
    ]


@solara.component
def Interventions(model: CyberDiplomacyModel) -> None:
    """The instructor's actions; each takes effect at the start of the next step."""
    update_counter.get()
    names = list(model.world.names)
    orgs = [o.name for o in model.organizations]
    attack, share = defaults("attack"), defaults("share_intelligence")
    attacker = solara.use_reactive(names[0] if names else "")
    target = solara.use_reactive(names[1] if len(names) > 1 else "")
    kind = solara.use_reactive(attack["type"])
    severity = solara.use_reactive(attack["severity"])
    org = solara.use_reactive(orgs[0] if orgs else "")
    helped = solara.use_reactive(names[0] if names else "")
    amount = solara.use_reactive(share["amount"])
    line_a = solara.use_reactive(names[0] if names else "")
    line_b = solara.use_reactive(names[1] if len(names) > 1 else "")

    def queue(kind_: str, **kw: Any) -> None:
        model.intervene(kind_, **kw)
        force_update()  # show it as queued

    with solara.Card("Instructor"):
        _note(
            "Each action takes effect at the start of the next week and appears in the event log."
        )
        with solara.Details(REGISTRY["attack"].label, expand=True):
            solara.Select(
                "attacker", values=names, value=_pick(attacker.value, names), on_value=attacker.set
            )
            solara.Select(
                "target", values=names, value=_pick(target.value, names, 1), on_value=target.set
            )
            solara.Select("type", values=ATTACK_TYPES, value=kind.value, on_value=kind.set)
            solara.SliderInt(
                "severity",
                value=severity,
                min=int(SEVERITY_BOUNDS["min"]),
                max=int(SEVERITY_BOUNDS["max"]),
            )
            a, t = _pick(attacker.value, names), _pick(target.value, names, 1)
            solara.Button(
                "Launch attack",
                color="error",
                disabled=a == t,
                on_click=lambda: queue(
                    "attack", attacker=a, target=t, type=kind.value, severity=int(severity.value)
                ),
            )
            if a == t:
                solara.Text("attacker and target must differ")
            else:
                solara.Text(
                    f"{a}: {TYPE_LABEL.get(kind.value, kind.value)} on {t}",
                    style={"font-size": "0.8em"},
                )
        with solara.Details(REGISTRY["convene"].label):
            if orgs:
                solara.Select(
                    "organization", values=orgs, value=_pick(org.value, orgs), on_value=org.set
                )
                solara.Button(
                    "Convene",
                    color="primary",
                    on_click=lambda: queue("convene", organization=_pick(org.value, orgs)),
                )
            else:
                solara.Text("this scenario has no organisation")
        with solara.Details(REGISTRY["share_intelligence"].label):
            solara.Select(
                "state", values=names, value=_pick(helped.value, names), on_value=helped.set
            )
            solara.SliderFloat("amount", value=amount, min=0.05, max=1.0, step=0.05)
            solara.Button(
                "Share intelligence",
                color="primary",
                on_click=lambda: queue(
                    "share_intelligence",
                    state=_pick(helped.value, names),
                    amount=float(amount.value),
                ),
            )
        with solara.Details(REGISTRY["hotline"].label):
            solara.Select("a", values=names, value=_pick(line_a.value, names), on_value=line_a.set)
            solara.Select(
                "b", values=names, value=_pick(line_b.value, names, 1), on_value=line_b.set
            )
            la, lb = _pick(line_a.value, names), _pick(line_b.value, names, 1)
            solara.Button(
                "Open hotline",
                color="primary",
                disabled=la == lb,
                on_click=lambda: queue("hotline", a=la, b=lb),
            )
        queued = _queued(model)
        if queued:
            solara.Text(f"Queued for week {model.steps + 1}:", style={"font-weight": "bold"})
            for q in queued:
                _note(f"• {q}")


# ---------------------------------------------------------------------------- page


@solara.component
def ScenarioPicker(name: solara.Reactive[str]) -> None:
    """Pick a built-in world scenario: a new model starts with that scenario's values."""
    scenarios = world_scenarios()
    with solara.Card("Scenario"):
        solara.Select("scenario", values=list(scenarios), value=name)
        _note(scenarios.get(name.value, ""))
        _note("Move the sliders below, then press Reset to apply them.")


def _drop_widget_file_watchers() -> int:
    """Disconnect what anywidget (0.11) ties to a widget class's ``_esm``/``_css`` file.

    Every ``AnyWidget`` instance whose class reads its JavaScript from a file (plotly's
    ``FigureWidget``: ``widgetbundle.js``) connects a lambda holding ``self``, strongly, to
    that file's ``changed`` signal, which lives on the class: every figure widget of every
    session ever opened stayed alive with its figure (measured: 5 per session, with
    ~1,000 Python objects, benchmarks/bench_app_sessions.py --chains). The signal only
    reloads a widget's JavaScript when the file changes on disk, which an installed plotly
    never does; returns how many callbacks were dropped.
    """
    try:
        from anywidget import AnyWidget
        from anywidget._file_contents import FileContents, VirtualFileContents
    except ImportError:  # no anywidget: nothing tied
        return 0
    dropped = 0
    todo, seen = [AnyWidget], set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        for key in ("_esm", "_css"):
            value = cls.__dict__.get(key)
            if isinstance(value, (FileContents, VirtualFileContents)):
                dropped += len(value.changed)
                value.changed.disconnect()
    return dropped


def _release_memory() -> None:
    """Collect a closed session's model and hand freed memory back to the system."""
    import gc

    _drop_widget_file_watchers()
    gc.collect()
    trim_heap()
    log = logging.getLogger("solara.cyberdiplomacy")  # shown with --log-level info
    if log.isEnabledFor(logging.INFO):
        alive = sum(1 for o in gc.get_objects() if isinstance(o, AppModel))
        log.info("a session closed: %d models alive", alive)


def _release_memory_later() -> None:
    """After a session's page closes (its kernel's teardown done): see _release_memory."""
    import threading

    timer = threading.Timer(2.0, _release_memory)
    timer.daemon = True
    timer.start()


# Under our server (sim.app.serve), figures load plotly's code once, by URL (see there).
install_widget_routes()


@solara.component
def Page() -> None:
    """One browser session: its own scenario choice, its own model, SolaraViz around it."""
    name = solara.use_reactive(default_scenario())
    initial = solara.use_memo(lambda: AppModel(scenario=name.value), [name.value])
    model = solara.use_reactive(initial)  # Mesa's Reset replaces model.value
    solara.use_effect(lambda: _release_memory_later, [])  # runs when the session closes
    with solara.Sidebar():
        ScenarioPicker(name)
    # keyed by scenario: a new scenario re-mounts SolaraViz, so its controls start afresh
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(name.value),
        name=TITLE,
        play_interval=PLAY_INTERVAL_MS,
    ).key(f"viz-{name.value}")
    InstructorSidebar(model.value)


@solara.component
def InstructorSidebar(model: CyberDiplomacyModel) -> None:
    """The instructor's card, below SolaraViz's cards in the sidebar.

    Solara orders sidebar content by the depth of the component that adds it, so the
    card is added from a component nested one level deeper than SolaraViz.
    """
    _InstructorCard(model)


@solara.component
def _InstructorCard(model: CyberDiplomacyModel) -> None:
    with solara.Sidebar():
        Interventions(model)
