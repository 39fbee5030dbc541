"""The classroom's pages, served by Solara (``run.py class``; docs/classroom.md).

* ``/``: open a room (instructor) or join one with its code (student);
* ``/?instructor=SECRET``: the room, the students and their roles, the pace, the
  interventions (the app's instructor card), the world's views, the end and the truth;
* ``/?student=TOKEN``: one role's private view and its decisions for the coming week.

Every page reads its room through :class:`sim.classroom.room.Room`'s methods, which
check the token or secret on the server. The world is shared: a page learns that it moved
by polling the room's ``version`` from a background thread (which also tells the room
that the student's page is still open). Names students type are shown as text (Vue
escapes it) or through :func:`html.escape`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import solara
from mesa.visualization.utils import update_counter

from sim.app import views
from sim.app.app import Interventions, world_scenarios
from sim.classroom.room import DECISIONS, ROOMS, Refused, Room

SCENARIO_ENV = "CYBERDIPLOMACY_CLASS_SCENARIO"  # set by `run.py class --scenario`
JOIN_ENV = "CYBERDIPLOMACY_CLASS_JOIN"  # the join address `run.py class` printed
SKIP_WEEKS = 4  # "Next 4 weeks": through quiet weeks quickly
POLL_S = 0.5  # how often a page checks whether its room moved
TITLE = "Cyber diplomacy class"
CSS = """
.class-table th, .class-table td { padding: 1px 10px 1px 0; text-align: left; }
.class-table th { font-weight: 600; }
"""
LABELS = {  # what each decision is called on the student's page
    "attribute": "Attribute now or wait",
    "response": "Response, if you attribute",
    "share": "Intelligence with your allies",
    "vote": "In the next session",
    "convene": "Session of your organisation",
    "accord": "The tech accord",
    "telemetry": "Your telemetry",
}


def _text(text: Any, bold: bool = False, size: str = "0.9em") -> None:
    style = {"display": "block", "margin": "2px 0", "font-size": size}
    if bold:
        style["font-weight"] = "bold"
    solara.Text(str(text), style=style)


def _table(header: list[str], rows: list[list[Any]], classes: str = "") -> None:
    """A small HTML table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=f"<tr>{head}</tr>{body}",
        classes=["class-table", *([classes] if classes else [])],
        style="border-collapse:collapse;font-size:0.85em;margin:4px 0",
    )


def _page_open() -> bool:
    """Whether this session's browser page is still connected."""
    try:
        from solara.server import kernel_context

        ctx = kernel_context.get_current_context()
        return kernel_context.PageStatus.CONNECTED in ctx.page_status.values()
    except Exception:  # noqa: BLE001 - outside a server (tests of components): assume open
        return True


def use_room(room: Room, token: str | None = None) -> Any:
    """Re-render when the room moves; tell the room the student's page is open.

    The instructor's page follows every change (the room's ``version``); a student's
    page only what it shows (:meth:`Room.student_key`), so 30 students deciding do not
    redraw 30 pages each time one of them clicks.
    """

    def key() -> Any:
        return room.version if token is None else room.student_key(token)

    seen = solara.use_reactive(key())

    def poll(cancel: Any) -> None:
        while not cancel.wait(POLL_S):
            if token is not None and _page_open():
                room.heartbeat(token)
            now = key()
            if now != seen.value:
                seen.value = now

    solara.use_thread(poll, dependencies=[room.code, token], intrusive_cancel=False)
    return seen.value


# ---------------------------------------------------------------------------- home


@solara.component
def Home() -> None:
    """Open a room, or join one with its code."""
    router = solara.use_router()
    scenarios = list(world_scenarios())
    first = os.environ.get(SCENARIO_ENV, "baseline")
    scenario = solara.use_reactive(first if first in scenarios else scenarios[0])
    code = solara.use_reactive("")
    name = solara.use_reactive("")
    error = solara.use_reactive("")

    def open_room() -> None:
        room = ROOMS.open(scenario.value)
        router.push(f"/?instructor={room.secret}")

    def join() -> None:
        room = ROOMS.by_code(code.value)
        if room is None:
            error.value = "No room has this code."
            return
        try:
            s = room.join(name.value)
        except Refused as exc:
            error.value = str(exc)
            return
        router.push(f"/?student={s.token}")

    solara.Title(TITLE)
    with solara.Columns([1, 1]):
        with solara.Card("Join a room (students)"):
            solara.InputText("room code", value=code)
            solara.InputText("your name", value=name)
            solara.Button("Join", color="primary", on_click=join)
            if error.value:
                solara.Error(error.value)
        with solara.Card("Open a room (instructor)"):
            solara.Select("scenario", values=scenarios, value=scenario)
            _text(world_scenarios().get(scenario.value, ""))
            solara.Button("Open a room", color="primary", on_click=open_room)


# ---------------------------------------------------------------------------- student


@solara.component
def StudentPage(token: str) -> None:
    """One student's page: their role's private view and decisions."""
    room = ROOMS.by_token(token)
    if room is None:
        solara.Title(TITLE)
        solara.Error("This link does not belong to any room. Join again from the first page.")
    else:
        StudentRoom(room, token)


@solara.component
def StudentRoom(room: Room, token: str) -> None:
    """A student's page in their room."""
    use_room(room, token)
    message = solara.use_reactive("")
    room.heartbeat(token)
    view = room.student_view(token)
    solara.Title(f"{TITLE}: {view['role']['label'] if view['role'] else view['name']}")
    with solara.Card(f"Room {view['code']}, week {view['week']}"):
        _text(f"You: {view['name']}")
        if view["ended"]:
            _text("The exercise has ended.", bold=True)
        elif view["paused"]:
            _text("The instructor has paused the exercise.")
        elif view["deadline"]:
            _text(f"This turn ends at {view['deadline']}.")
    role = view["role"]
    if role is None:
        _text("Waiting for the instructor to give you a role.", bold=True, size="1.1em")
        return
    _text(f"You play {role['label']}", bold=True, size="1.3em")
    if view["left"]:
        _text(f"You left: the agent plays {role['label']}. Reload this page to come back.")
    if view["ended"]:
        Truth(view["truth"], mine=True)
    else:
        Decisions(room, token, view, message)
    {"state": StateInfo, "chair": ChairInfo, "company": CompanyInfo}[role["kind"]](view)


@solara.component
def Decisions(room: Room, token: str, view: dict, message: solara.Reactive[str]) -> None:
    """The role's decisions for the coming week; a missing one falls to its agent."""
    role = view["role"]
    pending = view["pending"]
    norm = solara.use_reactive(view["norms"][0])
    level = solara.use_reactive(0.5)

    def send(point: str, value: str, amendment: Any = None) -> None:
        try:
            room.decide(token, role["key"], point, value, amendment)
            message.value = ""
        except Refused as exc:
            message.value = f"Refused: {exc}"

    with solara.Card(f"Your decisions for week {view['week'] + 1}"):
        _text("Decide what you want; anything you leave open, your agent decides.")
        for point, choices in DECISIONS[role["kind"]].items():
            _text(LABELS[point], bold=True)
            with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
                for choice in choices:
                    if choice == "amend":
                        continue
                    chosen = pending.get(point) == choice
                    solara.Button(
                        choice,
                        color="primary" if chosen else None,
                        outlined=not chosen,
                        small=True,
                        on_click=lambda p=point, c=choice: send(p, c),
                        classes=[f"decide-{point}-{choice}"],
                    )
            if point == "vote":
                with solara.Row(gap="4px"):
                    solara.Select("norm", values=view["norms"], value=norm)
                    solara.SliderFloat("level", value=level, min=0.0, max=1.0, step=0.05)
                    solara.Button(
                        "amend",
                        color="primary" if pending.get("vote") == "amend" else None,
                        outlined=pending.get("vote") != "amend",
                        small=True,
                        on_click=lambda: send("vote", "amend", (norm.value, level.value)),
                        classes=["decide-vote-amend"],
                    )
        chosen = ", ".join(f"{k}: {v}" for k, v in pending.items() if k != "amendment" and v)
        _text(f"Submitted: {chosen or 'nothing yet'}")
        if message.value:
            solara.Error(message.value)


def _percent(x: float) -> str:
    return f"{round(100 * x)}%"


@solara.component
def StateInfo(view: dict) -> None:
    """What a state's government knows."""
    with solara.Card("Your detected intrusions"):
        rows = [
            [
                i["detected"],
                i["type"],
                i["severity"],
                i["points_to"],
                _percent(i["confidence"]),
                f"{i['attributed_to']} ({i['response']})" if i["attributed_to"] else "open",
            ]
            for i in view["incidents"]
        ]
        if rows:
            _table(
                ["detected", "type", "severity", "evidence points to", "confidence", "attributed"],
                rows,
            )
        else:
            _text("No intrusion detected so far.")
    intel = view["intelligence"]
    with solara.Card("Intelligence shared with you"):
        _text(f"From the instructor's injects: {intel['shared']:.2f} evidence a week")
        _text(f"From companies: {intel['companies']:.2f} evidence a week")
        _text(f"Allies sharing with you: {', '.join(intel['allies']) or 'none'}")
    with solara.Card("Negotiation"):
        for s in view["sessions"]:
            _text(f"{s['organization']}: next session in week {s['next']}", bold=True)
            if s["draft"]:
                verdict = "agreed" if s["agreed"] else "not agreed"
                mine = "you accepted" if s["accepted"] else "you objected"
                _text(f"The draft on the table ({verdict}; {mine}):")
                _table(
                    ["norm", "draft", "your position"],
                    [[k, f"{x:.2f}", f"{view['position'][k]:.2f}"] for k, x in s["draft"].items()],
                )
        if not view["sessions"]:
            _text("You sit in no organisation.")
        _text("Your position (commitment you want, norm by norm):")
        _table(
            ["norm", "position", "adopted"],
            [[k, f"{x:.2f}", f"{view['adopted'][k]:.2f}"] for k, x in view["position"].items()],
        )
    with solara.Card("Your trust in others"):
        _table(["state", "trust"], [[n, f"{t:.2f}"] for n, t in view["trust"]])


@solara.component
def ChairInfo(view: dict) -> None:
    """What an organisation's chair knows."""
    with solara.Card("Your organisation"):
        _text(f"Members: {', '.join(view['members'])}")
        _text(f"Agenda: {', '.join(view['agenda'])}")
        _text(f"Next session: week {view['next']}")
        last = view["last"]
        if last["draft"]:
            _text(f"Last session: {'agreed' if last['agreed'] else 'no agreement'}", bold=True)
            _table(["norm", "draft"], [[k, f"{x:.2f}"] for k, x in last["draft"].items()])
            _text(f"Accepted: {', '.join(last['accept']) or 'nobody'}")
            _text(f"Objected: {', '.join(last['object']) or 'nobody'}")


@solara.component
def CompanyInfo(view: dict) -> None:
    """What a company knows."""
    with solara.Card("Your company"):
        _text(f"Home: {view['home']}")
        _text(f"In the tech accord: {'yes' if view['accord'] else 'no'}")
        _text(f"Companies in the accord: {view['accord_members']} of {view['companies']}")
        _text("Where your telemetry sees most:")
        _table(["state", "reach"], [[n, _percent(r)] for n, r in view["reach"]])


@solara.component
def Truth(rows: list[dict], mine: bool = False) -> None:
    """The truth behind incidents: who really did it."""
    title = "The truth about the attacks on you" if mine else "The truth behind the incidents"
    with solara.Card(title):
        _table(
            ["week", "victim", "attributed to", "real initiator", "proxy", "false flag"],
            [
                [
                    r["step"],
                    r["target"],
                    r["attributed_to"] or "not attributed",
                    r["initiator"] or "unknown",
                    r["proxy"] or "",
                    "yes" if r["false_flag"] else "",
                ]
                for r in rows
            ],
            classes="truth",
        )
        if not rows:
            _text("Nothing to reveal.")


# ---------------------------------------------------------------------------- instructor


class RoomModel:
    """The room's model as the app's instructor card sees it: interventions go through
    the room (checked, recorded for the debrief), everything else is read from the model.
    """

    def __init__(self, room: Room, secret: str) -> None:
        self.room, self.secret = room, secret

    world = property(lambda self: self.room.model.world)
    organizations = property(lambda self: self.room.model.organizations)
    pending = property(lambda self: self.room.model.pending)
    steps = property(lambda self: self.room.model.steps)

    def intervene(self, kind: str, **fields: Any) -> None:
        """Queue an intervention through the room."""
        self.room.inject(self.secret, kind, **fields)


@solara.component
def InstructorPage(secret: str) -> None:
    """The instructor's page."""
    room = ROOMS.by_secret(secret)
    solara.Title(TITLE)
    if room is None:
        solara.Error("No room has this secret.")
    else:
        InstructorRoom(room, secret)


@solara.component
def InstructorRoom(room: Room, secret: str) -> None:
    """The instructor's page of their room."""
    version = use_room(room)
    message = solara.use_reactive("")
    v = room.instructor_view(secret)
    join = os.environ.get(JOIN_ENV, "this server's address")

    def act(fn: Any, *args: Any) -> None:
        try:
            fn(secret, *args)
            message.value = ""
        except Refused as exc:
            message.value = f"Refused: {exc}"

    with solara.Columns([1, 2]):
        with solara.Column():
            with solara.Card(f"Room {v['code']}"):
                _text(f"Students join at {join} with the room code {v['code']}")
                _text(f"Scenario {v['scenario']}, seed {v['seed']}")
                _text(f"Week {v['week']} of {v['horizon']}", bold=True, size="1.2em")
                if message.value:
                    solara.Error(message.value)
            if not v["ended"]:
                Pace(room, v, act)
                Students(room, v, act)
            Roles(v)
            if not v["ended"]:
                with solara.Card("End"):
                    solara.Button(
                        "End the exercise and reveal the truth",
                        color="error",
                        on_click=lambda: act(room.end),
                    )
            else:
                with solara.Card("Debrief"):
                    _text(f"Written to {v['debrief']}")
                    path = v["debrief"]
                    solara.FileDownload(
                        lambda: Path(path).read_bytes(),
                        filename="debrief.html",
                        label="Download the debrief",
                        mime_type="text/html",
                    )
            if v["refused"]:
                with solara.Card("Refused actions"):
                    _table(
                        ["week", "who", "action", "why"],
                        [[r["week"], r["who"], r["action"], r["why"]] for r in v["refused"]],
                        classes="refused",
                    )
        with solara.Column():
            if v["ended"]:
                with room.lock:
                    truth = room.truth()
                Truth(truth)
            else:
                with solara.Card("Interventions"):
                    _InterventionsCard(RoomModel(room, secret), version)
            WorldViews(room, v["week"])


@solara.component
def _InterventionsCard(model: RoomModel, version: int) -> None:
    update_counter.get()
    Interventions(model)


@solara.component
def Pace(room: Room, v: dict, act: Any) -> None:
    """Turns by hand or with a deadline; pause; end the turn."""
    seconds = solara.use_reactive(v["deadline_s"])
    with solara.Card("Pace"):
        with solara.Row(gap="4px"):
            for pace in ("hand", "deadline"):
                solara.Button(
                    f"pace: {pace}",
                    color="primary" if v["pace"] == pace else None,
                    outlined=v["pace"] != pace,
                    small=True,
                    on_click=lambda p=pace: act(room.set_pace, p, int(seconds.value)),
                )
        solara.InputInt("deadline, seconds per turn", value=seconds)
        if v["deadline"]:
            _text(f"This turn ends at {v['deadline']}.")
        with solara.Row(gap="4px"):
            solara.Button(
                "Resume" if v["paused"] else "Pause",
                on_click=lambda: act(room.pause, not v["paused"]),
            )
            solara.Button(
                f"Next week ({v['week'] + 1})",
                color="primary",
                on_click=lambda: act(room.advance),
            )
            solara.Button(
                f"Next {SKIP_WEEKS} weeks",
                on_click=lambda: act(lambda s: [room.advance(s) for _ in range(SKIP_WEEKS)]),
            )


@solara.component
def Students(room: Room, v: dict, act: Any) -> None:
    """Every student who joined, and the role the instructor gives them."""
    labels = dict(v["roles"])
    options = ["no role", *labels.values()]
    by_label = {label: key for key, label in v["roles"]}
    with solara.Card(f"Students ({len(v['students'])})"):
        if not v["students"]:
            _text("Nobody has joined yet.")
        for s in v["students"]:
            current = labels.get(s["role"] or "", "no role")
            state = " (left: the agent plays)" if s["left"] else ""
            done = f"; decided: {', '.join(s['submitted'])}" if s["submitted"] else ""
            with solara.Row(gap="4px", style={"align-items": "center"}):
                solara.Text(f"{s['name']}{state}{done}", classes=["student-name"])
                solara.Select(
                    "role",
                    values=options,
                    value=current,
                    on_value=lambda label, t=s["token"]: act(room.assign, t, by_label.get(label)),
                )


@solara.component
def Roles(v: dict) -> None:
    """Who plays each role; every other actor is an agent."""
    played = v["played"]
    with solara.Card("Roles"):
        rows = [[label, played.get(key, "agent")] for key, label in v["roles"]]
        rows.sort(key=lambda r: r[1] == "agent")
        _table(["role", "played by"], rows, classes="roles")


@solara.component
def WorldViews(room: Room, week: int) -> None:
    """The app's network and event log, drawn from the shared world each week."""

    def build() -> tuple:
        with room.lock:
            return views.network_figure(room.model), views.event_log_figure(room.model)

    network, log = solara.use_memo(build, [week])
    solara.FigurePlotly(network, dependencies=[week])
    solara.FigurePlotly(log, dependencies=[week])


@solara.component
def Page() -> None:
    """Route by query: ``?instructor=SECRET``, ``?student=TOKEN``, else the first page."""
    router = solara.use_router()
    query = parse_qs(router.search or "")
    solara.Style(CSS)
    if query.get("instructor"):
        InstructorPage(query["instructor"][0])
    elif query.get("student"):
        StudentPage(query["student"][0])
    else:
        Home()
