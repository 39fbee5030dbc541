"""Fast tests of the classroom app without a browser: narration, views, components, CLI."""

from __future__ import annotations

import argparse

import ipyvuetify as v
import numpy as np
import pytest
import solara
from mesa.visualization.solara_viz import _build_model_init_kwargs
from mesa.visualization.utils import force_update

from sim.app import app, views
from sim.app.cli import check_scenario, cmd_viz, server_command, server_env
from sim.errors import UserError
from sim.mechanics.incidents import RESPONSES
from sim.narrate import NARRATORS, narrate, newest_first

STEPS = 40  # below the first end of generation (week 52): keeps these runs quick


@pytest.fixture(scope="module")
def ran() -> app.AppModel:
    m = app.AppModel(seed=3)
    for _ in range(STEPS):
        m.step()
    return m


# ---------------------------------------------------------------------------- narrate


def test_the_example_sentence():
    e = {
        "step": 42,
        "kind": "attributed",
        "target": "State 3",
        "attributed_to": "State 7",
        "type": "critical_infrastructure",
        "confidence": 0.7,
        "response": "sanctions",
    }
    assert narrate(e) == (
        "Week 42: State 3 attributed the attack on critical infrastructure "
        "to State 7 with 70% confidence and imposed sanctions."
    )


@pytest.mark.parametrize("response", RESPONSES)
def test_every_response_has_words(response):
    e = {
        "step": 1,
        "kind": "attributed",
        "target": "A",
        "attributed_to": "B",
        "type": "espionage",
        "confidence": 0.5,
        "response": response,
    }
    text = narrate(e)
    assert f"responded with {response}" not in text  # said in words, not as a code
    assert text.endswith(".")


EXAMPLES = {
    "detected": {
        "target": "State 2",
        "type": "espionage",
        "severity": 3,
        "initiator": "State 9",
        "operation_step": 4,
    },
    "revealed": {
        "target": "State 2",
        "type": "disruption",
        "initiator": "State 9",
        "wrongly_accused": "State 5",
        "false_flag": True,
    },
    "retaliation": {"initiator": "State 2", "target": "State 5", "wrongly": True},
    "escalation": {"attacker": "State 5", "target": "State 2", "depth": 2},
    "proposal": {
        "organization": "UN OEWG",
        "round": 2,
        "text": {"a": 0.5},
        "accept": ["State 1"],
        "object": ["State 2", "State 3"],
    },
    "agreement": {
        "organization": "UN OEWG",
        "text": {"a": 0.5, "b": 0.25},
        "signatories": ["State 1", "State 2"],
        "members": 3,
        "rule": "consensus",
    },
    "session_failed": {"organization": "OSCE", "rule": "silence", "objectors": ["State 4"]},
    "chair_summary": {"organization": "OEWG", "items": ["law_detail"], "kept": ["cbm"]},
    "punishment": {"accused": "State 6", "punishers": ["State 1", "State 2"]},
    "track2": {"think_tank": "Institute 1", "states": ["State 1", "State 8"], "trust": 0.45},
    "intervention": {
        "intervention": "attack",
        "attacker": "State 1",
        "target": "State 2",
        "type": "disruption",
        "severity": 4,
    },
}


@pytest.mark.parametrize("kind", sorted(NARRATORS))
def test_every_kind_is_a_sentence(kind):
    e = {"step": 7, "kind": kind, "actors": [], **EXAMPLES.get(kind, {})}
    text = narrate(e)
    assert text.startswith("Week 7: ") and text.endswith(".")
    assert "Event '" not in text  # not the generic fallback


def test_a_reaffirmation_and_a_chairs_summary_say_what_happened():
    e = {"step": 9, "kind": "agreement", **EXAMPLES["agreement"], "outcome": "reaffirmation"}
    assert "reaffirms what earlier texts agreed" in narrate(e)
    e = {"step": 9, "kind": "chair_summary", "organization": "OEWG", "items": ["law"], "kept": []}
    assert "moved the contested items (law)" in narrate(e)
    assert "nothing new is left" in narrate(e)


def test_detection_does_not_name_the_culprit():
    e = {"step": 8, "kind": "detected", **EXAMPLES["detected"]}
    assert "State 9" not in narrate(e)
    assert "4 weeks after it began" in narrate(e)


@pytest.mark.parametrize(
    "kind,kw,expected",
    [
        ("convene", {"organization": "UN OEWG"}, "UN OEWG was convened"),
        ("share_intelligence", {"state": "State 3", "amount": 0.3}, "shared with State 3"),
        ("hotline", {"a": "State 1", "b": "State 4"}, "between State 1 and State 4"),
        ("something_new", {"x": 1}, "something_new (x=1)"),
    ],
)
def test_interventions(kind, kw, expected):
    text = narrate({"step": 3, "kind": "intervention", "intervention": kind, **kw})
    assert text.startswith("Week 3: Instructor: ") and expected in text


def test_unknown_and_malformed_events_still_read():
    assert (
        narrate({"step": 2, "kind": "new_kind", "actors": ["X"]})
        == "Week 2: Event 'new kind' involving X."
    )
    assert narrate({"kind": "attributed", "confidence": object()}).endswith(".")
    assert narrate({}) == "Event 'event'."


def test_newest_first_and_kinds():
    events = [{"step": i, "kind": "track2", "states": ["A", "B"]} for i in range(5)]
    out = newest_first(events, limit=3)
    assert [s.split(":")[0] for s in out] == ["Week 4", "Week 3", "Week 2"]
    assert newest_first(events, kinds=["agreement"]) == []


def test_every_event_of_a_run_is_narrated(ran):
    kinds = {e["kind"] for e in ran.events}
    assert kinds <= set(NARRATORS), kinds - set(NARRATORS)
    for e in ran.events:
        assert narrate(e).startswith(f"Week {e['step']}: ")


# ---------------------------------------------------------------------------- views


def test_all_figures_on_a_new_and_a_running_model(ran):
    for m in (app.AppModel(), ran):
        figs = views.all_figures(m)
        assert set(figs) == {"network", "timeseries", "negotiation", "process", "event_log"}
        for f in figs.values():
            assert f.layout.height == views.HEIGHT
            f.to_plotly_json()  # serialisable


def test_network_nodes_sized_by_gdp_coloured_by_norms(ran):
    fig = views.network_figure(ran)
    nodes = [t for t in fig.data if t.mode == "markers+text"]
    assert {t.name for t in nodes} == set(ran.world.bloc_names)
    share = views.norms_adopted_share_by_state(ran)
    w = ran.world
    for t in nodes:
        idx = [w.names.index(h.split(" (")[0]) for h in t.hovertext]
        assert np.allclose(t.marker.color, share[idx])
        order = np.argsort(w.gdp[idx])
        assert np.all(np.diff(np.asarray(t.marker.size)[order]) >= 0)
    assert fig.layout.title.text == f"States, week {STEPS}"


def test_attributions_are_arrows_dashed_once_revealed():
    m = app.AppModel(seed=1)
    m.step()
    inc = m.incidents
    w = m.world
    rows = inc.add(
        2,
        step=1,
        initiator=np.array([0, 0]),
        target=np.array([1, 2]),
        apparent=np.array([0, 3]),
        type=np.array([0, 0]),
        severity=np.array([2, 2]),
    )
    inc.attributed_step[rows] = m.steps
    inc.attributed_to[rows] = [0, 3]
    inc.revealed_step[rows[1]] = m.steps
    fig = views.network_figure(m)
    arrows = {t.name: t for t in fig.data if t.marker is not None and t.marker.symbol == "arrow"}
    solid = arrows["attribution (recent weeks)"]
    dashed = arrows["wrong attribution, revealed"]
    assert dashed.line.dash == "dash" and solid.line.dash == "solid"
    pos = views.positions(m)
    assert dashed.x[0] == pytest.approx(pos[3, 0])  # from the (wrongly) accused state
    assert len(w.names) > 3


def test_positions_group_blocs():
    m = app.AppModel()
    pos = views.positions(m)
    assert pos.shape == (m.world.n, 2)
    assert np.allclose(np.hypot(pos[:, 0], pos[:, 1]), 1.0)
    assert len({tuple(np.round(p, 6)) for p in pos}) == m.world.n


def test_timeseries_uses_the_metric_names(ran):
    fig = views.timeseries_figure(ran)
    assert [t.name for t in fig.data] == views.TIMESERIES
    assert len(fig.data[0].x) == STEPS
    df = ran.datacollector.get_model_vars_dataframe()
    assert list(fig.data[1].y) == pytest.approx(df["damage"].tolist())


def test_negotiation_round_by_round():
    m = app.AppModel()
    assert "No negotiation session yet" in views.negotiation_figure(m).layout.annotations[0].text
    m.intervene("convene", organization=m.organizations[0].name)
    m.step()
    fig = views.negotiation_figure(m)
    rec = m.organizations[0].last_session
    heat, table = fig.data
    assert list(heat.x) == list(rec["rounds"][0]["text"])
    assert len(heat.z) == len(rec["rounds"])
    assert f"{len(rec['rounds'][0]['accept'])} accept" in heat.y[0]
    assert list(table.cells.values[0]) == [r["round"] for r in rec["rounds"]]
    assert fig.layout.title.text.startswith(f"{rec['organization']} session 1, week 1")


def test_event_log_newest_first(ran):
    fig = views.event_log_figure(ran, limit=10)
    lines = list(fig.data[0].cells.values[0])
    assert len(lines) == 10
    assert lines[0] == narrate(ran.events[-1])
    assert "No events yet" in views.event_log_figure(app.AppModel()).data[0].cells.values[0][0]


# ---------------------------------------------------------------------------- the app


def test_world_scenarios_only():
    names = app.world_scenarios()
    assert "baseline" in names
    assert all("norms" not in n for n in names if n.startswith("axelrod"))


def test_model_params_are_the_dotted_keys():
    params = app.model_params("baseline")
    assert params["scenario"] == "baseline"
    for key in app.SLIDERS:
        assert params[key]["label"] == key
    assert params["organizations.decision_rule"]["values"] == [
        "consensus",
        "qualified_majority",
        "silence",
    ]
    assert params["states.count"]["value"] == 12


def test_mesa_reset_passes_scenario_and_dotted_keys():
    m = app.AppModel()
    values = {
        "scenario": "baseline",
        "seed": "5",
        "states.attribution_skill": 0.85,
        "states.count": 9,
        "norms.metanorms": True,
        "organizations.decision_rule": "silence",
    }
    # exactly what SolaraViz's Reset does (mesa/visualization/solara_viz.py)
    kwargs = _build_model_init_kwargs(
        m, values, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    new = type(m)(**kwargs)
    assert new.config.states.attribution_skill == 0.85
    assert new.world.n == 9
    assert new.config.norms.metanorms is True
    assert new.organizations[0].decision_rule == "silence"
    assert new.scenario_name == "baseline"
    again = type(m)(**kwargs)
    assert np.array_equal(again.world.gdp, new.world.gdp)  # the seed reaches the model


def test_seed_text():
    assert app.AppModel(seed="").world.n == 12
    a, b = app.AppModel(seed="7"), app.AppModel(seed=7)
    assert np.array_equal(a.world.gdp, b.world.gdp)


def test_each_page_builds_its_own_model():
    models = []
    original = app.AppModel.__init__

    def spy(self, *args, **kw):
        original(self, *args, **kw)
        models.append(self)

    app.AppModel.__init__ = spy
    try:
        for _ in range(2):
            box, rc = solara.render(app.Page(), handle_error=False)
            rc.close()
    finally:
        app.AppModel.__init__ = original
    assert len(models) == 2 and models[0] is not models[1]


def _title(widget) -> str:
    return widget.layout.title.text


def test_views_redraw_after_a_step():
    from plotly.graph_objs import FigureWidget

    m = app.AppModel()
    box, rc = solara.render(app.NetworkView(m), handle_error=False)
    fw = rc.find(FigureWidget).widget
    assert _title(fw) == "States, week 0"
    m.step()
    force_update()
    assert _title(rc.find(FigureWidget).widget) == "States, week 1"
    rc.close()


def test_interventions_card_queues_for_next_week():
    m = app.AppModel()
    box, rc = solara.render(app.Interventions(m), handle_error=False)
    rc.find(v.Btn, children=["Launch attack"]).widget.click()
    assert m.pending and m.pending[0][0] == "attack"
    rc.find(v.Btn, children=["Open hotline"]).widget.click()
    rc.find(children=["Queued for week 1:"]).assert_single()
    rc.find(children=["• a hotline was opened between State 1 and State 2."]).assert_single()
    m.step()
    kinds = [e["intervention"] for e in m.events if e["kind"] == "intervention"]
    assert kinds == ["attack", "hotline"]
    assert m.world.hotline[0, 1]
    rc.close()


# ---------------------------------------------------------------------------- cli


def test_server_command_is_production_and_loopback():
    cmd = server_command()
    assert "--production" in cmd and "--no-check-version" in cmd and "-a" not in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    env = server_env("baseline")
    assert env[app.SCENARIO_ENV] == "baseline"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["PYTHONMALLOC"] == "malloc"  # freed memory can go back (sim.app.serve)
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == "15m"  # not Solara's 24 hours


def test_the_janitor_stops_idle_worker_threads(monkeypatch):
    """anyio stops an idle worker thread only when new work arrives; after a class has left
    nothing arrives, so the janitor's no-op does it (and then trims the heap)."""
    import asyncio
    import threading
    import time

    import anyio.to_thread
    from anyio._backends._asyncio import WorkerThread

    from sim.app import serve

    monkeypatch.setattr(WorkerThread, "MAX_IDLE_TIME", 0.05)
    trims = []
    monkeypatch.setattr(serve, "trim_heap", lambda: trims.append(1))

    def workers() -> int:
        # anyio's own threads only: other tests' threads may end meanwhile
        return sum(isinstance(t, WorkerThread) for t in threading.enumerate())

    async def class_then_janitor(janitor: bool) -> tuple[int, int]:
        # six jobs at once: six worker threads, like six sessions
        await asyncio.gather(*(anyio.to_thread.run_sync(time.sleep, 0.2) for _ in range(6)))
        busy = workers()
        task = asyncio.get_running_loop().create_task(serve.janitor(0.1)) if janitor else None
        deadline = time.monotonic() + (10.0 if janitor else 0.8)  # room for a loaded CI
        await asyncio.sleep(0.8)
        while (workers() > busy - 5 or not trims) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        left = workers()
        if task:
            task.cancel()
        return busy, left

    busy, left = asyncio.run(class_then_janitor(janitor=False))
    assert left == busy  # without it, the idle workers stay
    busy, left = asyncio.run(class_then_janitor(janitor=True))
    assert left <= busy - 5 and trims  # one worker is kept for the janitor's own job


def test_every_uvicorn_server_gets_the_janitor():
    import asyncio

    import uvicorn

    from sim.app import serve

    serve.install_janitor()
    assert not serve.install_janitor()  # once is enough

    async def nothing(scope, receive, send):  # an ASGI app that serves nothing
        raise RuntimeError("not called")

    config = uvicorn.Config(nothing, host="127.0.0.1", port=0, lifespan="off", log_level="error")
    server = uvicorn.Server(config)

    async def serve_briefly() -> bool:
        task = asyncio.get_running_loop().create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        running = not server._cyberdiplomacy_janitor_task.done()
        server.should_exit = True
        await task
        return running

    assert asyncio.run(serve_briefly())


def test_viz_rejects_unknown_scenario_and_bad_port():
    with pytest.raises(UserError, match="--scenario"):
        check_scenario("no_such_scenario")
    with pytest.raises(UserError, match="--port"):
        cmd_viz(argparse.Namespace(scenario="baseline", host="127.0.0.1", port=70000))


def test_process_view_shows_bodies_sessions_and_the_agenda():
    from sim.app.views import process_figure
    from sim.model import CyberDiplomacyModel

    m = CyberDiplomacyModel(
        "baseline", {"organizations.bodies": [{"name": "<b>GGE</b>", "cadence": 10}]}, rng=1
    )
    for _ in range(30):
        m.step()
    fig = process_figure(m)
    sessions = [t for t in fig.data if t.type == "scatter" and t.mode == "markers"]
    assert sum(len(t.x) for t in sessions) == m.organizations[0].sessions == 3
    assert all("<b>" not in y for t in sessions for y in t.y)  # names are escaped
    table = next(t for t in fig.data if t.type == "table")
    assert list(table.cells.values[0]) == m.catalogue.ids


def test_process_view_tells_what_went_to_the_chairs_summary():
    from sim.app.views import process_figure
    from sim.model import CyberDiplomacyModel

    body = {
        "name": "OEWG",
        "agenda": ["law_detail", "capacity"],
        "first_session": 1000,
        "chair_summary": True,
    }
    m = CyberDiplomacyModel(
        "baseline",
        {
            "negotiation.red_line": 0.05,
            "negotiation.accommodation": 3.0,
            "organizations.bodies": [body],
        },
        rng=1,
    )
    m.organizations[0].convene()
    markers = [t for t in process_figure(m).data if t.type == "scatter" and t.mode == "markers"]
    hovers = [h for t in markers for h in t.hovertext]
    assert any("moved to the chair's summary: law_detail" in h for h in hovers)
    assert any(": agreed<br>items: capacity" in h for h in hovers)


def test_a_closed_sessions_figure_widgets_are_not_held_by_the_class():
    """anywidget ties every FigureWidget (a lambda holding it) to its class's _esm file
    signal: every session's figures stayed alive. The app's release drops those ties."""
    import plotly.graph_objects as go
    from plotly.basewidget import BaseFigureWidget

    from sim.app.app import _drop_widget_file_watchers

    w = go.FigureWidget()
    # the tie anywidget makes (a lambda holding the widget), made here too in case another
    # test's widgets changed the class so that anywidget no longer makes it
    BaseFigureWidget._esm.changed.connect(lambda new, w=w: setattr(w, "_esm", new))
    try:
        assert len(BaseFigureWidget._esm.changed) >= 1  # the tie is there
        assert _drop_widget_file_watchers() >= 1
        assert len(BaseFigureWidget._esm.changed) == 0
    finally:
        w.close()
