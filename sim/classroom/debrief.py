"""The debrief of an exercise: one self-contained HTML file.

It holds (1) each role's decisions week by week beside what its agent would have done,
(2) the truth behind each incident of note: the real initiator, proxies and false flags,
and (3) the outcomes of the exercise against a counterfactual run: the same scenario, seed
and instructor's interventions, with every role played by its agent. Every name a student
typed is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.mechanics.incidents import TYPE_LABEL
from sim.metrics import METRICS
from sim.model import CyberDiplomacyModel

if TYPE_CHECKING:
    from sim.classroom.room import Room

# the outcomes compared with the counterfactual (metric names of sim.metrics)
OUTCOMES = [
    "incidents",
    "damage",
    "incidents_attributed",
    "misattributions",
    "public_attributions",
    "sanctions",
    "retaliations",
    "escalations",
    "mean_trust",
    "agreements",
    "norms_adopted_share",
    "accord_members",
]
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;
text-align:left;font-size:0.9em}th{background:#eef2f7}.differs{background:#fff3cd}
.wrong{color:#b00020;font-weight:bold}caption{text-align:left;font-weight:bold}
"""


def e(x: Any) -> str:
    """Escaped text of any value (students' names go through here)."""
    return html.escape("" if x is None else str(x), quote=True)


def counterfactual(room: Room) -> CyberDiplomacyModel:
    """The same scenario, seed and interventions, every role played by its agent."""
    m = CyberDiplomacyModel(room.scenario, rng=room.seed)
    for week in range(1, room.week + 1):
        for item in room.injected:
            if item["week"] == week:
                m.intervene(item["kind"], **item["fields"])
        m.step()
    return m


def outcomes(m: CyberDiplomacyModel) -> dict[str, float]:
    """Totals of flows and final values of levels, as a run's summary counts them."""
    if m.steps == 0:
        return dict.fromkeys(OUTCOMES, 0.0)
    ts = m.timeseries()
    return {k: float(ts[k].sum() if METRICS[k][1] == "flow" else ts[k].iloc[-1]) for k in OUTCOMES}


def _table(caption: str, header: list[str], rows: list[list[str]], cls: list[str] | None = None):
    out = [f"<table><caption>{e(caption)}</caption><tr>"]
    out += [f"<th>{e(h)}</th>" for h in header]
    out.append("</tr>")
    for k, row in enumerate(rows):
        c = f' class="{cls[k]}"' if cls and cls[k] else ""
        out.append(f"<tr{c}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def render(room: Room, cf: CyberDiplomacyModel | None = None) -> str:
    """The debrief as an HTML string."""
    cf = cf if cf is not None else counterfactual(room)
    m = room.model
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Debrief: {e(room.scenario)}, room {e(room.code)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Debrief: {e(room.scenario)}</h1>",
        f"<p>Room {e(room.code)}, seed {room.seed}, {room.week} weeks played. "
        f"{len(room.decisions)} decisions recorded; "
        f"{len(room.refused)} actions refused.</p>",
    ]

    # who played what
    rows = []
    for s in room.students.values():
        label = room.roles[s.role].label if s.role in room.roles else "no role"
        rows.append([e(s.name), e(label), "left; the agent took over" if s.left else "to the end"])
    parts.append(_table("Students and roles", ["student", "role", "stayed"], rows))

    # decisions, role by role
    parts.append("<h2>Decisions, beside what each agent would have done</h2>")
    roles = sorted({d["role"] for d in room.decisions})
    if not roles:
        parts.append("<p>No student took a decision.</p>")
    for role in roles:
        label = room.roles[role].label if role in room.roles else role
        rows, cls = [], []
        for d in room.decisions:
            if d["role"] != role:
                continue
            decided = d["decision"]
            shown = e(decided) if decided is not None else "<i>none: the agent decided</i>"
            rows.append([str(d["week"]), e(d["student"]), e(d["point"]), shown, e(d["agent"])])
            same = decided is None or str(decided) == str(d["agent"])
            cls.append("" if same else "differs")
        parts.append(
            _table(
                label, ["week", "student", "decision", "student decided", "agent would"], rows, cls
            )
        )

    # the truth behind each incident
    parts.append("<h2>The truth behind the incidents</h2>")
    rows, cls = [], []
    for rec in room.truth():
        wrong = rec["correct"] is False
        rows.append(
            [
                str(rec["step"]),
                e(rec["target"]),
                e(TYPE_LABEL.get(rec["type"], rec["type"])),
                str(rec["severity"]),
                e(rec["attributed_to"] or "not attributed"),
                f"<span class='wrong'>{e(rec['initiator'])}</span>"
                if wrong
                else e(rec["initiator"] or "unknown"),
                e(rec["proxy"] or ""),
                "yes" if rec["false_flag"] else "",
                e(rec["response"]),
            ]
        )
        cls.append("differs" if wrong else "")
    parts.append(
        _table(
            "State operations and serious incidents",
            [
                "week",
                "victim",
                "type",
                "severity",
                "attributed to",
                "real initiator",
                "proxy",
                "false flag",
                "response",
            ],
            rows,
            cls,
        )
    )

    # outcomes against the counterfactual
    ours, theirs = outcomes(m), outcomes(cf)
    rows = [
        [
            e(k),
            f"{ours[k]:.4g}",
            f"{theirs[k]:.4g}",
            f"{ours[k] - theirs[k]:+.4g}",
            e(METRICS[k][0]),
        ]
        for k in OUTCOMES
    ]
    parts.append("<h2>Outcomes against the same world played by agents alone</h2>")
    parts.append(
        _table(
            f"Same scenario, seed {room.seed} and interventions, {room.week} weeks",
            ["outcome", "this exercise", "agents only", "difference", "meaning"],
            rows,
        )
    )

    # the instructor's interventions and refused actions
    rows = [[str(x["week"]), e(x["kind"]), e(x["fields"])] for x in room.injected]
    parts.append(_table("The instructor's interventions", ["week", "kind", "fields"], rows))
    rows = [[str(x["week"]), e(x["who"]), e(x["action"]), e(x["why"])] for x in room.refused]
    parts.append(_table("Refused actions", ["week", "who", "action", "why"], rows))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_debrief(room: Room, path: Path) -> Path:
    """Write the debrief of ``room`` to ``path`` (folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(room), encoding="utf-8")
    return path


def decisions_frame(room: Room) -> pd.DataFrame:
    """Every decision as a table (week, role, student, point, decision, agent)."""
    return pd.DataFrame(
        room.decisions, columns=["week", "role", "student", "point", "decision", "agent"]
    )
