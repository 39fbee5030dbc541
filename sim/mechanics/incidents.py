"""Cyber incidents as a growable table of numpy columns, one row per incident.

Each row follows the lifecycle operation -> detection -> attribution -> response and is
closed when nothing more can happen to it. Keeping incidents in columns lets the weekly
detection and evidence updates run as array operations over all open incidents.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.metrics import RECORD_DIGITS
from sim.scenario import INCIDENT_TYPES

TYPE_INDEX = {t: i for i, t in enumerate(INCIDENT_TYPES)}
TYPE_LABEL = {
    "espionage": "espionage operation",
    "disruption": "disruptive attack",
    "influence": "influence operation",
    "supply_chain": "supply-chain compromise",
    "critical_infrastructure": "attack on critical infrastructure",
    "cert": "attack on a CERT",
    "crime": "ransomware attack",
}
RESPONSES = ("none", "tolerate", "demarche", "public", "joint", "sanctions", "retaliation")
RESPONSE_INDEX = {r: i for i, r in enumerate(RESPONSES)}
# the rungs at which the victim names the accused in public
PUBLIC_RESPONSES = ("public", "joint", "sanctions", "retaliation")

COLUMNS: dict[str, tuple[Any, Any]] = {
    # name: (dtype, fill)
    "step": (np.int32, 0),
    "initiator": (np.int32, -1),  # state index, -1 for a criminal group
    "actor": (np.int32, -1),  # threat actor id (crime or proxy), -1 if none
    "target": (np.int32, -1),
    "apparent": (np.int32, -1),  # the party the evidence points at now
    "type": (np.int8, 0),  # index into INCIDENT_TYPES
    "severity": (np.int8, 1),
    "false_flag": (np.bool_, False),
    "violation": (np.bool_, False),  # breached a norm its initiator had adopted
    "detected_step": (np.int32, -1),
    "attributed_step": (np.int32, -1),
    "attributed_to": (np.int32, -1),
    "confidence": (np.float64, 0.0),
    "evidence": (np.float64, 0.0),
    "response": (np.int8, 0),
    "revealed_step": (np.int32, -1),
    "retaliation_of": (np.int32, -1),
    "damage": (np.float64, 0.0),
    "open": (np.bool_, True),
}


class IncidentTable:
    """Columns of all incidents so far; rows are appended, never removed."""

    def __init__(self, capacity: int = 256) -> None:  # grows by doubling; any start works
        self.size = 0
        self._cols = {
            name: np.full(capacity, fill, dtype=dt) for name, (dt, fill) in COLUMNS.items()
        }

    def __len__(self) -> int:
        return self.size

    def add(self, n: int, **values: Any) -> np.ndarray:
        """Append n rows; returns their indices. Unset columns get their fill value."""
        if n <= 0:
            return np.zeros(0, dtype=int)
        need = self.size + n
        cap = len(self._cols["step"])
        if need > cap:
            new_cap = max(need, cap * 2)
            for name, (dt, fill) in COLUMNS.items():
                col = np.full(new_cap, fill, dtype=dt)
                col[: self.size] = self._cols[name][: self.size]
                self._cols[name] = col
        rows = np.arange(self.size, need)
        self.size = need
        for name, value in values.items():
            self._cols[name][rows] = value
        return rows

    def open_rows(self) -> np.ndarray:
        """Indices of incidents still in progress."""
        # the method, not np.nonzero: asked three times a week, its Python layer costs more
        # than the scan
        return self.open.nonzero()[0]

    def record(self, i: int, names: list[str], actor_names: list[str]) -> dict[str, Any]:
        """One incident as the event-log record of the spec (final state)."""

        def who(state: int, actor: int = -1) -> str | None:
            if state >= 0:
                return names[state]
            return actor_names[actor] if actor >= 0 else None

        # straight from the columns (row i is below the size): no view per column
        c = {k: col.item(i) for k, col in self._cols.items()}
        return {
            "step": c["step"],
            "kind": "incident",
            "initiator": who(c["initiator"], c["actor"]),
            "target": names[c["target"]],
            "type": INCIDENT_TYPES[c["type"]],
            "severity": c["severity"],
            "detected_step": None if c["detected_step"] < 0 else c["detected_step"],
            "attributed_step": None if c["attributed_step"] < 0 else c["attributed_step"],
            "attributed_to": None if c["attributed_to"] < 0 else names[c["attributed_to"]],
            "confidence": round(c["confidence"], RECORD_DIGITS),
            "response": RESPONSES[c["response"]],
            "correct": None
            if c["attributed_to"] < 0
            else bool(c["initiator"] < 0 or c["attributed_to"] == c["initiator"]),
            "proxy": actor_names[c["actor"]] if c["actor"] >= 0 and c["initiator"] >= 0 else None,
            "false_flag": c["false_flag"],
            "violation": c["violation"],
            "retaliation_of": None if c["retaliation_of"] < 0 else c["retaliation_of"],
            "damage": round(c["damage"], RECORD_DIGITS + 1),
            "id": i,
        }


def _column(name: str) -> property:
    return property(lambda self: self._cols[name][: self.size], doc=f"column {name!r}")


# every column is an attribute holding the rows so far (a view: writes go to the table)
for _name in COLUMNS:
    setattr(IncidentTable, _name, _column(_name))
