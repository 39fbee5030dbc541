"""A classroom exercise: one shared world per room, roles, tokens, turns and who may do what.

A :class:`Room` holds one model. The instructor opens it (and holds its secret), students
join with its code (each gets a token), the instructor gives each student a role (a
state, an organisation's chair or a company); every actor without a student stays an
agent. A turn is one week: students submit decisions for the coming week, the turn ends
when the instructor says so or its deadline passes, and the model steps with
:class:`RoomControls` as ``model.controls`` (see :mod:`sim.control`): where a student
decided, that decision is taken; where not, the agent's own policy.

Every action goes through a method that checks the caller's token first: a student acts
only for the role its token holds, and only the instructor's secret can step, inject,
assign or end. A refused action raises :class:`Refused` and is logged. One lock per room
guards the model, so pages in many threads read and act on the same world safely.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.interventions import REGISTRY, defaults
from sim.mechanics.attribution import company_intel
from sim.mechanics.incidents import RESPONSES, TYPE_LABEL
from sim.model import CyberDiplomacyModel
from sim.scenario import INCIDENT_TYPES

log = logging.getLogger("sim.classroom")

# unambiguous letters and digits; 10 of 31 symbols: ~50 bits, typed by a student
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
NAME_CHARS = 40  # longest student name kept
LEFT_AFTER_ENV = "CYBERDIPLOMACY_CLASS_LEFT_AFTER"
LEFT_AFTER_S = 15.0  # a student whose page has not been seen for this long has left
CLOCK_S = 0.5  # how often deadlines and departures are checked
PACES = ("hand", "deadline")
DEADLINE_S = 120  # default seconds per turn when the pace is "deadline"
AGENT_LABEL = {"attribute": "its threshold", "vote": "its own judgement"}

# what each kind of role decides each turn, and the choices (the model's own words)
DECISIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "state": {
        "attribute": ("now", "wait"),
        "response": tuple(r for r in RESPONSES if r != "none"),
        "share": ("share", "withhold"),
        "vote": ("accept", "object", "amend"),
    },
    "chair": {"convene": ("now", "hold")},
    "company": {"accord": ("join", "stay_out"), "telemetry": ("share", "keep")},
}
KINDS = tuple(DECISIONS)


class Refused(Exception):
    """An action the caller may not take (wrong token, wrong role, bad value)."""


def new_code() -> str:
    """A room code: 10 symbols from an unambiguous alphabet, shown as XXXXX-XXXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normal_code(text: str) -> str:
    """A typed room code as stored: upper case, one dash, spaces dropped."""
    raw = "".join(ch for ch in str(text).upper() if ch in CODE_ALPHABET)
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == CODE_LENGTH else ""


@dataclass(frozen=True)
class Role:
    """An actor a student can play: ``key`` is ``kind:name``."""

    kind: str
    name: str
    index: int  # the state's index, or the organisation's / company's position

    @property
    def key(self) -> str:
        """``state:NAME``, ``chair:NAME`` or ``company:NAME``."""
        return f"{self.kind}:{self.name}"

    @property
    def label(self) -> str:
        """What the pages call it."""
        return {"state": self.name, "chair": f"Chair of {self.name}", "company": self.name}[
            self.kind
        ]


@dataclass
class Student:
    """A student who joined: their name as typed, their token, their role (or none)."""

    name: str
    token: str
    role: str | None = None
    last_seen: float = field(default_factory=time.monotonic)
    left: bool = False


class RoomControls:
    """The model's controls in a room: students' pending decisions, else the agent's.

    During a step it notes what each human role's agent would have done at every
    decision point it reached (:attr:`seen`), for the debrief.
    """

    def __init__(self, room: Room) -> None:
        self.room = room
        self.pending: dict[str, dict[str, Any]] = {}  # role key -> point -> value
        self.seen: dict[tuple[str, str], str] = {}

    def _state_role(self, m: CyberDiplomacyModel, v: int) -> str:
        return f"state:{m.world.names[v]}"

    def _note(self, role: str, point: str, agent: str) -> None:
        self.seen.setdefault((role, point), agent)

    def decide(
        self, m: CyberDiplomacyModel, point: str, actor: Any, default: Any, **context: Any
    ) -> Any:
        """The pending decision of the role behind ``actor`` at ``point``, else ``default``."""
        handler = getattr(self, f"_{point}", None)
        return default if handler is None else handler(m, actor, default, **context)

    def _attribute(self, m, actor, ready, rows):  # noqa: ANN001, D102
        inc = m.incidents
        ready = np.asarray(ready)
        for role, dec in self.pending.items():
            choice = dec.get("attribute")
            if choice is None or not role.startswith("state:"):
                continue
            v = m.world.names.index(role.split(":", 1)[1])
            mine = rows[(inc.target[rows] == v) & (inc.attributed_step[rows] < 0)]
            agent_now = bool(np.isin(mine, ready).any())
            self._note(role, "attribute", "now" if agent_now else "wait")
            if choice == "now":
                # only incidents the student could have seen: detected before this week
                seen = mine[inc.detected_step[mine] < m.steps]
                ready = np.union1d(ready, seen).astype(ready.dtype)
            else:  # waiting holds every attribution, also of what was found this week
                ready = ready[~np.isin(ready, mine)]
        return ready

    def _response(self, m, v, default, incident):  # noqa: ANN001, D102
        role = self._state_role(m, v)
        self._note(role, "response", str(default))
        return self.pending.get(role, {}).get("response", default)

    def _share(self, m, actor, matrix):  # noqa: ANN001, D102
        out = matrix
        for role, dec in self.pending.items():
            if dec.get("share") is None or not role.startswith("state:"):
                continue
            self._note(role, "share", "share")
            if dec["share"] == "withhold":
                out = out.copy() if out is matrix else out
                out[:, m.world.names.index(role.split(":", 1)[1])] = 0.0
        return out

    def _convene(self, m, org, due):  # noqa: ANN001, D102
        role = f"chair:{org}"
        self._note(role, "convene", "now" if due else "hold")
        choice = self.pending.get(role, {}).get("convene")
        return due if choice is None else choice == "now"

    def _positions(self, m, org, ideal, members, agenda):  # noqa: ANN001, D102
        out = ideal
        for r, v in enumerate(members):
            dec = self.pending.get(self._state_role(m, int(v)), {})
            amendment = dec.get("amendment")
            if dec.get("vote") == "amend" and amendment:
                norm, level = amendment
                k = m.catalogue.ids.index(norm)
                if k in agenda:
                    out = out.copy() if out is ideal else out
                    out[r, list(agenda).index(k)] = level
        return out

    def _votes(self, m, org, default, members):  # noqa: ANN001, D102
        forced = None
        for r, v in enumerate(members):
            role = self._state_role(m, int(v))
            vote = self.pending.get(role, {}).get("vote")
            if vote is None:
                continue
            self._note(role, "vote", AGENT_LABEL["vote"])
            if vote in ("accept", "object"):
                forced = np.full(len(members), -1) if forced is None else forced
                forced[r] = 1 if vote == "accept" else 0
        return forced if forced is not None else default

    def _accord(self, m, company, default):  # noqa: ANN001, D102
        role = f"company:{company}"
        self._note(role, "accord", "join" if default else "stay_out")
        choice = self.pending.get(role, {}).get("accord")
        return default if choice is None else choice == "join"

    def _telemetry(self, m, company, default):  # noqa: ANN001, D102
        role = f"company:{company}"
        choice = self.pending.get(role, {}).get("telemetry")
        if choice is None:
            return default
        self._note(role, "telemetry", "keep")
        return np.ones(m.world.n) if choice == "share" else default


class Room:
    """One exercise: a shared world, its instructor, its students and their roles."""

    def __init__(
        self,
        scenario: str = "baseline",
        seed: int = 0,
        out: str | Path = "out/class",
        left_after: float | None = None,
    ) -> None:
        self.code = new_code()
        self.secret = secrets.token_urlsafe(24)
        self.scenario = scenario
        self.seed = int(seed)
        self.out = Path(out)
        self.lock = threading.RLock()
        self.model = CyberDiplomacyModel(scenario, rng=self.seed)
        self.controls = RoomControls(self)
        self.model.controls = self.controls
        self.roles: dict[str, Role] = {r.key: r for r in self._roles()}
        self.students: dict[str, Student] = {}
        self.decisions: list[dict[str, Any]] = []  # every decision, week by week
        self.refused: list[dict[str, Any]] = []
        self.injected: list[dict[str, Any]] = []  # instructor's interventions, by week
        self.pace = "hand"
        self.deadline_s = DEADLINE_S
        self.paused = False
        self.deadline_at: float | None = None
        self.ended = False
        self.debrief_path: Path | None = None
        self.turn_seconds: list[float] = []
        self.version = 0  # bumped on every change; pages re-render when it moves
        env = os.environ.get(LEFT_AFTER_ENV)
        self.left_after = left_after if left_after is not None else float(env or LEFT_AFTER_S)

    # ------------------------------------------------------------------ roles

    def _roles(self) -> list[Role]:
        m = self.model
        out = [Role("state", name, i) for i, name in enumerate(m.world.names)]
        out += [Role("chair", o.name, k) for k, o in enumerate(m.organizations)]
        out += [Role("company", c.name, k) for k, c in enumerate(m.companies)]
        return out

    def holder(self, role: str) -> Student | None:
        """The student playing ``role`` now (None: the agent plays it)."""
        for s in self.students.values():
            if s.role == role and not s.left:
                return s
        return None

    @property
    def week(self) -> int:
        """The model's week (turns played)."""
        return int(self.model.steps)

    def _bump(self) -> None:
        self.version += 1

    # ------------------------------------------------------------------ permissions

    def _refuse(self, who: str, action: str, why: str) -> Refused:
        entry = {"week": self.week, "who": who, "action": action, "why": why}
        self.refused.append(entry)
        self._bump()
        log.warning("room %s: refused %s by %s: %s", self.code, action, who, why)
        return Refused(why)

    def check_instructor(self, secret: str, action: str) -> None:
        """Refuse (and log) unless ``secret`` is this room's instructor secret."""
        if not secrets.compare_digest(str(secret), self.secret):
            raise self._refuse("someone without the instructor's secret", action, "not allowed")

    def student(self, token: str) -> Student:
        """The student holding ``token`` (refused if there is none)."""
        s = self.students.get(str(token))
        if s is None:
            raise self._refuse("an unknown token", "act", "unknown student token")
        return s

    # ------------------------------------------------------------------ students

    def join(self, name: str) -> Student:
        """A student joins with a name; returns them with their secret token."""
        name = " ".join(str(name).split())[:NAME_CHARS]
        if not name:
            raise Refused("type your name")
        with self.lock:
            s = Student(name, secrets.token_urlsafe(18))
            self.students[s.token] = s
            self._bump()
            return s

    def heartbeat(self, token: str) -> None:
        """The student's page is open: they have not left (or are back)."""
        s = self.students.get(str(token))
        if s is None:
            return
        s.last_seen = time.monotonic()
        if s.left:
            with self.lock:
                if s.role and self.holder(s.role) is None:
                    s.left = False
                    self._bump()

    def leave(self, token: str) -> None:
        """The student leaves: their role goes back to its agent."""
        with self.lock:
            s = self.student(token)
            if not s.left:
                s.left = True
                self.controls.pending.pop(s.role or "", None)
                self._bump()

    def assign(self, secret: str, token: str, role: str | None) -> None:
        """The instructor gives a student a role (None: no role; its agent plays it)."""
        with self.lock:
            self.check_instructor(secret, "assign a role")
            s = self.student(token)
            if role is not None and role not in self.roles:
                raise self._refuse("the instructor", "assign a role", f"no role {role!r}")
            other = self.holder(role) if role else None
            if other is not None and other is not s:
                raise Refused(f"{self.roles[role].label} is already played by {other.name}")
            if s.role and s.role != role:
                self.controls.pending.pop(s.role, None)
            s.role = role
            s.left = False
            s.last_seen = time.monotonic()
            self._bump()

    # ------------------------------------------------------------------ decisions

    def decide(self, token: str, role: str, point: str, value: str, amendment: Any = None) -> None:
        """A student's decision for the coming week; refused unless their token holds
        ``role`` and the value is one of the choices of that point.
        """
        with self.lock:
            s = self.student(token)
            s.last_seen = time.monotonic()
            who = f"student {s.name!r}"
            action = f"decide {point}={value} for {role}"
            if s.role is None or s.role != role or s.left:
                held = self.roles[s.role].label if s.role in self.roles else "no role"
                raise self._refuse(who, action, f"your token holds {held}, not {role}")
            if self.ended:
                raise self._refuse(who, action, "the exercise has ended")
            kind = self.roles[role].kind
            choices = DECISIONS[kind].get(point)
            if choices is None or value not in choices:
                raise self._refuse(who, action, f"{point} takes one of {choices}")
            dec = self.controls.pending.setdefault(role, {})
            dec[point] = value
            if point == "vote":
                dec["amendment"] = self._check_amendment(amendment) if value == "amend" else None
                if value == "amend" and dec["amendment"] is None:
                    dec.pop("vote")
                    raise self._refuse(who, action, "an amendment names a norm and a level 0-1")
            self._bump()

    def _check_amendment(self, amendment: Any) -> tuple[str, float] | None:
        try:
            norm, level = amendment
            level = float(level)
        except (TypeError, ValueError):
            return None
        if norm not in self.model.catalogue.ids or not 0.0 <= level <= 1.0:
            return None
        return str(norm), level

    def pending_of(self, role: str) -> dict[str, Any]:
        """The decisions submitted for ``role`` this turn."""
        return dict(self.controls.pending.get(role, {}))

    # ------------------------------------------------------------------ the instructor

    def set_pace(self, secret: str, pace: str, seconds: int | None = None) -> None:
        """Turns by hand, or weekly turns that end at a deadline (seconds)."""
        with self.lock:
            self.check_instructor(secret, "set the pace")
            if pace not in PACES:
                raise Refused(f"pace is one of {PACES}")
            if seconds is not None:
                if not 5 <= int(seconds) <= 3600:
                    raise Refused("a deadline is 5 to 3600 seconds")
                self.deadline_s = int(seconds)
            self.pace = pace
            self._restart_clock()
            self._bump()

    def pause(self, secret: str, paused: bool) -> None:
        """Pause (no deadline runs) or resume."""
        with self.lock:
            self.check_instructor(secret, "pause")
            self.paused = bool(paused)
            self._restart_clock()
            self._bump()

    def _restart_clock(self) -> None:
        running = self.pace == "deadline" and not self.paused and not self.ended
        self.deadline_at = time.monotonic() + self.deadline_s if running else None

    def deadline_clock(self) -> str:
        """When the turn ends, as the server's wall-clock time ('' when no deadline runs)."""
        left = self.seconds_left()
        if left is None:
            return ""
        return time.strftime("%H:%M:%S", time.localtime(time.time() + left))

    def student_key(self, token: str) -> tuple:
        """What a student's page shows changes exactly when this changes."""
        s = self.students.get(str(token))
        if s is None:
            return ()
        mine = self.controls.pending.get(s.role or "")
        return (
            self.week,
            self.ended,
            self.paused,
            self.deadline_at,
            s.role,
            s.left,
            tuple(sorted(mine.items())) if mine else (),
        )

    def seconds_left(self) -> int | None:
        """Seconds until the turn ends (None: no deadline running)."""
        if self.deadline_at is None:
            return None
        return max(0, math.ceil(self.deadline_at - time.monotonic()))

    def inject(self, secret: str, kind: str, **fields: Any) -> None:
        """Queue an intervention of :data:`sim.interventions.REGISTRY` for the next week."""
        with self.lock:
            self.check_instructor(secret, f"inject {kind}")
            if self.ended:
                raise Refused("the exercise has ended")
            if kind not in REGISTRY:
                raise Refused(f"intervention is one of {list(REGISTRY)}")
            names = self.model.world.names
            spec = REGISTRY[kind]
            full = {**defaults(kind), **fields}
            for f in spec.states:
                if full.get(f) not in names:
                    raise Refused(f"{kind}: {f} must name a state")
            if kind == "attack":
                if full["attacker"] == full["target"]:
                    raise Refused("attacker and target must differ")
                if full.get("type") not in INCIDENT_TYPES:
                    raise Refused(f"type is one of {INCIDENT_TYPES}")
                if full.get("framed") and full["framed"] not in names:
                    raise Refused("framed must name a state")
            if kind == "hotline" and full["a"] == full["b"]:
                raise Refused("a hotline joins two different states")
            orgs = [o.name for o in self.model.organizations]
            if kind == "convene" and fields.get("organization") not in (None, "", *orgs):
                raise Refused(f"organization is one of {orgs}")
            try:
                self.model.intervene(kind, **fields)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            self.injected.append({"week": self.week + 1, "kind": kind, "fields": dict(fields)})
            self._bump()

    def advance(self, secret: str | None = None) -> float:
        """End the turn: the model steps one week; returns the seconds it took.

        ``secret`` None is the room's own clock (a deadline passed).
        """
        with self.lock:
            if secret is not None:
                self.check_instructor(secret, "end the turn")
            if self.ended:
                raise Refused("the exercise has ended")
            t0 = time.perf_counter()
            c = self.controls
            humans = {s.role for s in self.students.values() if s.role and not s.left}
            c.pending = {r: d for r, d in c.pending.items() if r in humans}
            c.seen = {}
            # a company's telemetry decision changes what it shares: derive it again
            self.model._cache.pop("company_intel", None)
            self.model.step()
            self._record(humans)
            c.pending = {}
            self._restart_clock()
            elapsed = time.perf_counter() - t0
            self.turn_seconds.append(elapsed)
            self._bump()
            return elapsed

    def _record(self, humans: set[str]) -> None:
        week = self.week
        c = self.controls
        for role in sorted(humans):
            s = self.holder(role)
            decided = c.pending.get(role, {})
            points = [p for p in DECISIONS[self.roles[role].kind] if p in decided]
            # points the model reached for this role without a decision: its agent decided
            points += sorted({p for (r, p) in c.seen if r == role} - set(points))
            for point in points:
                value = decided.get(point)
                if point == "vote" and value == "amend" and decided.get("amendment"):
                    norm, level = decided["amendment"]
                    value = f"amend: {norm} at {level:.2f}"
                self.decisions.append(
                    {
                        "week": week,
                        "role": role,
                        "student": s.name if s else "",
                        "point": point,
                        "decision": value,  # None: no decision, the agent's policy
                        "agent": c.seen.get((role, point), "no occasion this week"),
                    }
                )

    def end(self, secret: str) -> Path:
        """End the exercise, reveal the truth and write the debrief; returns its path."""
        from sim.classroom.debrief import write_debrief

        with self.lock:
            self.check_instructor(secret, "end the exercise")
            if not self.ended:
                self.ended = True
                self.deadline_at = None
                self.debrief_path = write_debrief(self, self.out / self.code / "debrief.html")
                self._bump()
            assert self.debrief_path is not None
            return self.debrief_path

    def tick(self, now: float | None = None) -> None:
        """The room's clock: students not seen for a while have left; deadlines pass."""
        now = time.monotonic() if now is None else now
        with self.lock:
            for s in self.students.values():
                if s.role and not s.left and now - s.last_seen > self.left_after:
                    s.left = True
                    self.controls.pending.pop(s.role, None)
                    log.info("room %s: %s left; the agent plays %s", self.code, s.name, s.role)
                    self._bump()
            if self.deadline_at is not None and now >= self.deadline_at and not self.ended:
                self.advance()

    # ------------------------------------------------------------------ what each sees

    def incidents_of(self, v: int, detected_only: bool = True) -> list[dict[str, Any]]:
        """The incidents against state ``v`` as its government knows them."""
        m = self.model
        inc = m.incidents
        names = m.world.names
        n = len(inc)
        rows = np.nonzero(inc.target[:n] == v)[0]
        out = []
        for i in rows:
            if detected_only and inc.detected_step[i] < 0:
                continue
            attributed = int(inc.attributed_step[i]) >= 0
            revealed = int(inc.revealed_step[i]) >= 0
            out.append(
                {
                    "id": int(i),
                    "detected": int(inc.detected_step[i]),
                    "type": TYPE_LABEL.get(INCIDENT_TYPES[inc.type[i]], "incident"),
                    "severity": int(inc.severity[i]),
                    "points_to": names[int(inc.apparent[i])] if inc.apparent[i] >= 0 else "",
                    "confidence": float(inc.confidence[i]),
                    "attributed_to": names[int(inc.attributed_to[i])] if attributed else "",
                    "response": RESPONSES[int(inc.response[i])] if attributed else "",
                    "revealed": revealed,
                }
            )
        return out

    def student_view(self, token: str) -> dict[str, Any]:
        """What a student sees: their role and only what that actor knows."""
        with self.lock:
            s = self.student(token)
            m = self.model
            view: dict[str, Any] = {
                "name": s.name,
                "code": self.code,
                "week": self.week,
                "ended": self.ended,
                "left": s.left,
                "deadline": self.deadline_clock(),
                "paused": self.paused,
                "role": None,
            }
            if s.role is None:
                return view
            role = self.roles[s.role]
            view["role"] = {"key": role.key, "kind": role.kind, "label": role.label}
            view["choices"] = DECISIONS[role.kind]
            view["pending"] = self.pending_of(role.key)
            view["norms"] = list(m.catalogue.ids)
            view["decisions"] = [d for d in self.decisions if d["role"] == role.key]
            view.update(getattr(self, f"_{role.kind}_view")(role))
            if self.ended:
                view["truth"] = self.truth(role)
            return view

    def _state_view(self, role: Role) -> dict[str, Any]:
        m = self.model
        w = m.world
        v = role.index
        share = self.controls.pending
        allies = [
            w.names[j]
            for j in np.nonzero(w.ally[v])[0]
            if share.get(f"state:{w.names[j]}", {}).get("share") != "withhold"
        ]
        sessions = []
        for o in m.organizations:
            if v not in o.members:
                continue
            last = o.last_session or {}
            rounds = last.get("rounds") or []
            sessions.append(
                {
                    "organization": o.name,
                    "next": self._next_session(o),
                    "draft": last.get("text", {}),
                    "agreed": last.get("agreed"),
                    "accepted": bool(rounds and w.names[v] in rounds[-1]["accept"]),
                }
            )
        trust = sorted(
            ((w.names[j], float(w.trust[v, j])) for j in range(w.n) if j != v),
            key=lambda x: -x[1],
        )
        return {
            "incidents": self.incidents_of(v),
            "intelligence": {
                "shared": float(w.shared_intel[v]),
                "allies": allies,
                "companies": float(company_intel(m)[v]),
            },
            "position": {k: float(x) for k, x in zip(m.catalogue.ids, w.ideal[v], strict=True)},
            "adopted": {k: float(x) for k, x in zip(m.catalogue.ids, w.adopted[v], strict=True)},
            "sessions": sessions,
            "trust": trust,
        }

    def _next_session(self, org: Any) -> int | None:
        for week in range(self.week + 1, self.week + 1 + 2 * max(org.cadence, 1)):
            if org.session_due(week):
                return week
        return None

    def _chair_view(self, role: Role) -> dict[str, Any]:
        m = self.model
        org = list(m.organizations)[role.index]
        last = org.last_session or {}
        return {
            "members": [m.world.names[i] for i in org.members],
            "agenda": [m.catalogue.ids[k] for k in org.agenda],
            "next": self._next_session(org),
            "last": {
                "agreed": last.get("agreed"),
                "rounds": len(last.get("rounds") or []),
                "draft": last.get("text", {}),
                "accept": (last.get("rounds") or [{}])[-1].get("accept", []),
                "object": (last.get("rounds") or [{}])[-1].get("object", []),
            },
        }

    def _company_view(self, role: Role) -> dict[str, Any]:
        m = self.model
        c = list(m.companies)[role.index]
        w = m.world
        top = np.argsort(-c.reach)[:5]
        return {
            "home": w.names[c.home],
            "accord": bool(c.accord),
            "accord_members": int(sum(x.accord for x in m.companies)),
            "companies": len(m.companies),
            "reach": [(w.names[int(j)], float(c.reach[j])) for j in top],
        }

    def truth(self, role: Role | None = None) -> list[dict[str, Any]]:
        """The truth behind incidents: all of note (None), or those against a role's state."""
        m = self.model
        out = []
        for rec in m.incident_records():
            if role is not None:
                if role.kind != "state" or rec["target"] != role.name:
                    continue
            elif not (rec["initiator"] in m.world.names or rec["severity"] >= 3):
                continue
            out.append(rec)
        return out

    def instructor_view(self, secret: str) -> dict[str, Any]:
        """What the instructor sees: the room, every student and role, the pace."""
        with self.lock:
            self.check_instructor(secret, "see the room")
            students = [
                {
                    "token": s.token,
                    "name": s.name,
                    "role": s.role,
                    "left": s.left,
                    "submitted": sorted(self.controls.pending.get(s.role or "", {})),
                }
                for s in self.students.values()
            ]
            return {
                "code": self.code,
                "scenario": self.scenario,
                "seed": self.seed,
                "week": self.week,
                "horizon": self.model.horizon,
                "pace": self.pace,
                "deadline_s": self.deadline_s,
                "paused": self.paused,
                "deadline": self.deadline_clock(),
                "ended": self.ended,
                "students": students,
                "roles": [(r.key, r.label) for r in self.roles.values()],
                "played": {r: (self.holder(r).name) for r in self.roles if self.holder(r)},
                "queued": list(self.model.pending),
                "refused": list(self.refused[-20:]),
                "decisions": len(self.decisions),
                "debrief": str(self.debrief_path) if self.debrief_path else None,
            }


class Rooms:
    """Every room of the server, found by code, instructor secret or student token; one
    clock thread checks deadlines and departures.
    """

    def __init__(self, out: str | Path | None = None) -> None:
        self.lock = threading.Lock()
        self.rooms: dict[str, Room] = {}
        self.out = Path(out or os.environ.get("CYBERDIPLOMACY_CLASS_OUT", "out/class"))
        self._clock: threading.Thread | None = None

    def open(self, scenario: str = "baseline", seed: int = 0) -> Room:
        """Open a new room on a scenario."""
        room = Room(scenario, seed, out=self.out)
        with self.lock:
            while room.code in self.rooms:  # vanishingly rare
                room.code = new_code()
            self.rooms[room.code] = room
        self.start()
        return room

    def start(self) -> None:
        """Start the clock thread (once)."""
        with self.lock:
            if self._clock is None:
                self._clock = threading.Thread(target=self._run_clock, daemon=True)
                self._clock.start()

    def _run_clock(self) -> None:
        while True:
            time.sleep(CLOCK_S)
            for room in list(self.rooms.values()):
                try:
                    room.tick()
                except Exception:  # noqa: BLE001 - one room's trouble must not stop the others
                    log.exception("room %s: clock", room.code)

    def by_code(self, code: str) -> Room | None:
        """The room with this code (as typed), or None."""
        return self.rooms.get(normal_code(code))

    def by_secret(self, secret: str) -> Room | None:
        """The room whose instructor holds this secret, or None."""
        for room in list(self.rooms.values()):
            if secrets.compare_digest(room.secret, str(secret)):
                return room
        return None

    def by_token(self, token: str) -> Room | None:
        """The room a student token belongs to, or None."""
        for room in list(self.rooms.values()):
            if str(token) in room.students:
                return room
        return None


ROOMS = Rooms()  # the server's rooms (one process serves every room)

__all__ = ["DECISIONS", "ROOMS", "Refused", "Role", "Room", "RoomControls", "Rooms", "Student"]
