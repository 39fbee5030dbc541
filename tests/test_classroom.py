"""The classroom exercise without a browser: rooms, roles, tokens, permissions, turns,
the model's decision hooks and the debrief.
"""

from __future__ import annotations

import html
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from sim.classroom.debrief import counterfactual, outcomes, render
from sim.classroom.room import CODE_ALPHABET, Refused, Room, Rooms, normal_code
from sim.cli import main
from sim.mechanics.incidents import RESPONSES
from sim.mechanics.negotiation import run_session
from sim.model import CyberDiplomacyModel
from sim.scenario import Negotiation

EVIL = "<script>alert('x')</script>"


@pytest.fixture
def room(tmp_path) -> Room:
    return Room("baseline", seed=1, out=tmp_path)


def player(room: Room, name: str, role: str):
    s = room.join(name)
    room.assign(room.secret, s.token, role)
    return s


# ----------------------------------------------------------------------------- codes, tokens


def test_codes_and_secrets_cannot_be_guessed(tmp_path):
    rooms = [Room("baseline", out=tmp_path) for _ in range(3)]
    codes = {r.code for r in rooms}
    assert len(codes) == 3
    for r in rooms:
        assert re.fullmatch(f"[{CODE_ALPHABET}]{{5}}-[{CODE_ALPHABET}]{{5}}", r.code)
        assert len(r.secret) >= 32
    assert len({r.secret for r in rooms}) == 3
    assert normal_code(rooms[0].code.lower().replace("-", " ")) == rooms[0].code
    assert normal_code("ABC") == ""


def test_rooms_find_by_code_secret_and_token(tmp_path):
    rooms = Rooms(tmp_path)
    a, b = rooms.open("baseline"), rooms.open("false_flag")
    s = a.join("Ann")
    assert rooms.by_code(a.code.lower()) is a and rooms.by_code(b.code) is b
    assert rooms.by_secret(b.secret) is b and rooms.by_secret("guess") is None
    assert rooms.by_token(s.token) is a and rooms.by_token("guess") is None
    # two rooms, two worlds
    a.advance(a.secret)
    assert (a.week, b.week) == (1, 0)


def test_names_are_tidied_and_an_empty_name_refused(room):
    assert room.join("  Ann   Lee ").name == "Ann Lee"
    assert len(room.join("x" * 500).name) == 40
    with pytest.raises(Refused):
        room.join("   ")


# ----------------------------------------------------------------------------- permissions


def test_a_student_acts_only_for_their_own_role(room):
    ann = player(room, "Ann", "state:State 1")
    player(room, "Bo", "state:State 2")
    room.decide(ann.token, "state:State 1", "response", "sanctions")
    with pytest.raises(Refused, match="your token holds State 1"):
        room.decide(ann.token, "state:State 2", "response", "sanctions")
    assert room.pending_of("state:State 2") == {}
    assert room.refused[-1]["action"] == "decide response=sanctions for state:State 2"
    with pytest.raises(Refused):
        room.decide("guessed-token", "state:State 1", "response", "tolerate")
    with pytest.raises(Refused):  # a choice the point does not offer
        room.decide(ann.token, "state:State 1", "response", "nuke")
    with pytest.raises(Refused):  # a point of another kind of role
        room.decide(ann.token, "state:State 1", "accord", "join")
    assert len(room.refused) == 4


def test_a_student_without_a_role_decides_nothing(room):
    s = room.join("Ann")
    with pytest.raises(Refused, match="no role"):
        room.decide(s.token, "state:State 1", "share", "withhold")


def test_only_the_instructor_steps_injects_assigns_and_ends(room):
    s = room.join("Ann")
    for action in (
        lambda: room.advance(s.token),
        lambda: room.inject(s.token, "hotline", a="State 1", b="State 2"),
        lambda: room.assign(s.token, s.token, "state:State 1"),
        lambda: room.set_pace(s.token, "deadline", 30),
        lambda: room.pause(s.token, True),
        lambda: room.end(s.token),
        lambda: room.instructor_view("guess"),
    ):
        with pytest.raises(Refused):
            action()
    assert room.week == 0 and room.model.pending == [] and s.role is None
    assert not room.ended and len(room.refused) == 7


def test_a_role_is_played_by_one_student(room):
    player(room, "Ann", "state:State 1")
    bo = room.join("Bo")
    with pytest.raises(Refused, match="already played by Ann"):
        room.assign(room.secret, bo.token, "state:State 1")
    with pytest.raises(Refused):
        room.assign(room.secret, bo.token, "state:Atlantis")


def test_interventions_are_checked(room):
    with pytest.raises(Refused):
        room.inject(room.secret, "attack", attacker="State 1", target="State 1")
    with pytest.raises(Refused):
        room.inject(room.secret, "attack", attacker="Atlantis", target="State 1")
    with pytest.raises(Refused):
        room.inject(room.secret, "launch_missiles")
    room.inject(room.secret, "hotline", a="State 1", b="State 2")
    room.advance(room.secret)
    assert room.model.world.hotline[0, 1]
    assert room.injected == [
        {"week": 1, "kind": "hotline", "fields": {"a": "State 1", "b": "State 2"}}
    ]


# ----------------------------------------------------------------------------- turns


def test_a_room_of_agents_is_the_model_itself():
    room = Room("false_flag", seed=4)
    player(room, "Ann", "state:Eastland")  # a student who decides nothing
    for _ in range(30):
        room.advance(room.secret)
    plain = CyberDiplomacyModel("false_flag", rng=4)
    for _ in range(30):
        plain.step()
    assert room.model.timeseries().equals(plain.timeseries())
    assert [d["decision"] for d in room.decisions] == [None] * len(room.decisions)


def test_deadline_pause_and_hand(room):
    room.set_pace(room.secret, "deadline", 30)
    assert 29 <= room.seconds_left() <= 30
    room.tick(room.deadline_at - 1)
    assert room.week == 0
    room.tick(room.deadline_at + 0.1)
    assert room.week == 1 and room.seconds_left() >= 29  # the next turn's clock runs
    room.pause(room.secret, True)
    assert room.seconds_left() is None
    room.tick(1e12)
    assert room.week == 1
    room.pause(room.secret, False)
    room.set_pace(room.secret, "hand")
    room.tick(1e12)
    assert room.week == 1
    with pytest.raises(Refused):
        room.set_pace(room.secret, "deadline", 1)


def test_a_student_who_leaves_is_replaced_by_the_agent(room):
    ann = player(room, "Ann", "state:State 1")
    room.decide(ann.token, "state:State 1", "share", "withhold")
    room.tick(ann.last_seen + room.left_after + 1)
    assert ann.left and room.holder("state:State 1") is None
    assert room.pending_of("state:State 1") == {}
    with pytest.raises(Refused):
        room.decide(ann.token, "state:State 1", "share", "withhold")
    room.advance(room.secret)
    assert room.decisions == []  # the agent played State 1 this week
    room.heartbeat(ann.token)  # her page is back
    assert not ann.left and room.holder("state:State 1") is ann


def _first_detection(room: Room, v: int, weeks: int = 80) -> int:
    inc = room.model.incidents
    for _ in range(weeks):
        room.advance(room.secret)
        n = len(inc)
        rows = np.nonzero(
            (inc.target[:n] == v) & (inc.detected_step[:n] >= 0) & (inc.attributed_step[:n] < 0)
        )[0]
        if len(rows):
            return int(rows[0])
    raise AssertionError("no detection")


def test_attribute_now_with_the_students_response(room):
    ann = player(room, "Ann", "state:State 2")
    room.inject(room.secret, "attack", attacker="State 9", target="State 2", severity=5)
    i = _first_detection(room, 1)
    inc = room.model.incidents
    assert inc.confidence[i] < room.model.config.attribution.threshold  # the agent waits
    room.decide(ann.token, "state:State 2", "attribute", "now")
    room.decide(ann.token, "state:State 2", "response", "retaliation")
    room.advance(room.secret)
    assert inc.attributed_step[i] == room.week
    assert RESPONSES[inc.response[i]] == "retaliation"
    by_point = {d["point"]: d for d in room.decisions if d["week"] == room.week}
    assert by_point["attribute"]["decision"] == "now"
    assert by_point["attribute"]["agent"] == "wait"
    assert by_point["response"]["decision"] == "retaliation"
    assert by_point["response"]["agent"] in RESPONSES


def test_waiting_holds_an_attribution_the_agent_would_make(tmp_path):
    room = Room("baseline", seed=1, out=tmp_path)
    ann = player(room, "Ann", "state:State 2")
    room.inject(room.secret, "attack", attacker="State 9", target="State 2", severity=5)
    room.inject(room.secret, "share_intelligence", state="State 2", amount=3.0)
    inc = room.model.incidents
    threshold = room.model.config.attribution.threshold
    held = []
    for _ in range(80):
        room.decide(ann.token, "state:State 2", "attribute", "wait")
        room.advance(room.secret)
        n = len(inc)
        held = np.nonzero((inc.target[:n] == 1) & (inc.confidence[:n] >= threshold))[0]
        if len(held):
            break
    assert len(held) and (inc.attributed_step[held] < 0).all()
    assert any(d["agent"] == "now" and d["decision"] == "wait" for d in room.decisions)
    room.advance(room.secret)  # no decision: the agent attributes
    assert (inc.attributed_step[held] == room.week).all()


def test_withholding_intelligence_cuts_the_allies_evidence(room):
    from sim.mechanics.attribution import evidence_rate

    w = room.model.world
    v = int(np.nonzero(w.ally.any(1))[0][0])
    ally = int(np.nonzero(w.ally[v])[0][0])
    name = w.names[v]
    s = player(room, "Ann", f"state:{name}")
    before = evidence_rate(room.model)[ally]
    room.decide(s.token, f"state:{name}", "share", "withhold")
    room.model._cache.clear()
    assert evidence_rate(room.model)[ally] < before


def test_votes_force_acceptance_or_objection():
    rng = np.random.default_rng(0)
    ideal = rng.uniform(0, 1, (4, 3))
    args = (ideal, np.full((4, 3), 0.5), np.full(4, 0.3), np.ones(4), np.ones(4))
    kw = {"rule": "consensus", "qualified_majority": 0.6, "rounds": 4, "params": Negotiation()}
    objects = run_session(
        *args, **kw, rng=np.random.default_rng(1), forced=np.array([0, -1, -1, -1])
    )
    assert not objects.agreed and not any(r.accepts[0] for r in objects.rounds)
    accept = run_session(*args, **kw, rng=np.random.default_rng(1), forced=np.ones(4, dtype=int))
    assert accept.agreed and accept.round == 1


def test_chair_convenes_and_company_joins(room):
    chair = player(room, "Cy", "chair:UN OEWG")
    co = player(room, "Dee", "company:Company 1")
    company = next(c for c in room.model.companies if c.name == "Company 1")
    company.accord = False
    room.decide(chair.token, "chair:UN OEWG", "convene", "now")
    room.decide(co.token, "company:Company 1", "accord", "join")
    room.decide(co.token, "company:Company 1", "telemetry", "share")
    assert np.all(company.sharing() == 1.0)  # this week it shares all it sees
    room.advance(room.secret)
    assert room.model.sessions_total == 1 and company.accord
    assert not np.all(company.sharing() == 1.0)  # a decision lasts one week
    kinds = {(d["role"], d["point"]): d for d in room.decisions}
    assert kinds[("chair:UN OEWG", "convene")]["agent"] == "hold"


def test_an_amendment_moves_the_students_position_in_the_session(room):
    ann = player(room, "Ann", "state:State 1")
    norm = room.model.catalogue.ids[0]
    with pytest.raises(Refused):
        room.decide(ann.token, "state:State 1", "vote", "amend", ("no-such-norm", 0.5))
    room.decide(ann.token, "state:State 1", "vote", "amend", (norm, 1.0))
    org = next(iter(room.model.organizations))
    members = org.members
    ideal = room.model.world.ideal[np.ix_(members, org.agenda)]
    moved = room.controls.decide(
        room.model, "positions", org.name, ideal, members=members, agenda=org.agenda
    )
    row = list(members).index(0)
    assert moved[row, list(org.agenda).index(0)] == 1.0
    assert ideal[row, list(org.agenda).index(0)] != 1.0  # the world's own copy is untouched


# ----------------------------------------------------------------------------- views


def test_a_student_sees_only_their_own_actor(room):
    ann = player(room, "Ann", "state:State 1")
    bo = player(room, "Bo", "state:State 2")
    room.inject(room.secret, "share_intelligence", state="State 1", amount=0.5)
    room.inject(room.secret, "attack", attacker="State 9", target="State 2", severity=5)
    _first_detection(room, 1)
    a, b = room.student_view(ann.token), room.student_view(bo.token)
    assert a["intelligence"]["shared"] == 0.5 and b["intelligence"]["shared"] == 0.0
    assert b["incidents"] and all(
        i["id"] not in {x["id"] for x in a["incidents"]} for i in b["incidents"]
    )
    assert "State 1" not in [n for n, _ in a["trust"]]
    assert "truth" not in a
    # no initiator, proxy or false flag leaks into a student's view before the end
    assert not {"initiator", "proxy", "false_flag"} & set(b["incidents"][0])


def test_concurrent_decisions_while_stepping_are_safe(room):
    students = [player(room, f"S{k}", f"state:State {k + 1}") for k in range(8)]
    errors = []

    def play(s, role):
        try:
            for _ in range(40):
                room.decide(s.token, role, "share", "withhold")
                room.student_view(s.token)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=play, args=(s, s.role)) for s in students]
    for t in threads:
        t.start()
    for _ in range(10):
        room.advance(room.secret)
    for t in threads:
        t.join()
    assert errors == []


# ----------------------------------------------------------------------------- debrief


def test_debrief_holds_every_decision_escaped(room):
    s = player(room, EVIL, "state:State 1")
    for _ in range(3):
        room.decide(s.token, "state:State 1", "share", "withhold")
        room.decide(s.token, "state:State 1", "response", "demarche")
        room.advance(room.secret)
    path = room.end(room.secret)
    text = path.read_text()
    assert EVIL not in text and html.escape(EVIL) in text
    for week in (1, 2, 3):
        assert f"<td>{week}</td><td>{html.escape(EVIL)}</td><td>share</td><td>withhold</td>" in text
    assert "agents only" in text and "real initiator" in text
    with pytest.raises(Refused):
        room.advance(room.secret)


def test_counterfactual_replays_the_instructors_interventions(room):
    room.inject(room.secret, "attack", attacker="State 9", target="State 2", severity=5)
    for _ in range(5):
        room.advance(room.secret)
    assert outcomes(counterfactual(room)) == outcomes(room.model)
    assert "<table>" in render(room)


# ----------------------------------------------------------------------------- command line


@pytest.mark.parametrize(
    "argv",
    [
        ["class", "--port", "70000"],
        ["class", "--scenario", "axelrod_norms"],
        ["class", "--port", "x"],
        ["class", "--out", "/proc/class"],  # debriefs could never be written there
        ["class", "--out", "README.md"],  # a file, not a folder
    ],
)
def test_bad_flags_one_line_exit_2(argv, capsys, monkeypatch):
    import sim.app.cli

    def never(*args, **kwargs):
        raise AssertionError("the server was started")

    monkeypatch.setattr(sim.app.cli, "serve", never)
    monkeypatch.setattr("sim.classroom.cli.serve", never)
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    code = None
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses a non-number itself
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err


# ----------------------------------------------------------------------------- JSON endpoint


def _call(endpoint, body: bytes = b"", query: bytes = b""):
    import asyncio
    import concurrent.futures
    import json

    from starlette.requests import Request

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "headers": [], "query_string": query}
    # a thread of its own: a browser test before this one may leave an event loop running
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        resp = pool.submit(asyncio.run, endpoint(Request(scope, receive))).result()
    return resp.status_code, json.loads(resp.body)


def test_the_json_endpoint_checks_every_decision():
    import json

    from sim.classroom import server
    from sim.classroom.room import ROOMS

    room = ROOMS.open("baseline")
    ann = player(room, "Ann", "state:State 1")

    def decide(**body):
        return _call(server.decide, json.dumps(body).encode())

    ok = decide(token=ann.token, role="state:State 1", point="share", value="withhold")
    assert ok == (200, {"ok": True, "week": 0})
    status, reply = decide(token=ann.token, role="state:State 2", point="share", value="withhold")
    assert status == 403 and "your token holds State 1" in reply["error"]
    assert decide(token="guess", role="state:State 1", point="share", value="share")[0] == 404
    assert _call(server.decide, b"{not json")[0] == 400
    status, view = _call(server.view, query=f"token={ann.token}".encode())
    assert status == 200 and view["role"]["key"] == "state:State 1"
    assert view["pending"] == {"share": "withhold"}
    assert _call(server.view, query=b"token=guess")[0] == 404
