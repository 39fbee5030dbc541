"""Interventions: what an instructor (or a scenario's scripted ``[[events]]``) can do.

One registry, ``{kind: Intervention}``, is used by the model (:meth:`queue`, applied at
the start of the next week), by scripted events and by the app's instructor card. The
fields each kind takes and their defaults are those of
:class:`sim.scenario.ScriptedEvent`, so a scenario file, the app and Python agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import UserError, excerpt
from sim.scenario import INTERVENTIONS, ScriptedEvent

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


@dataclass(frozen=True)
class Intervention:
    """One kind of intervention: what it needs and what it does."""

    label: str  # what the app's button and the story call it
    states: tuple[str, ...]  # fields that name states (checked when a scenario loads)
    options: tuple[str, ...]  # further fields, with ScriptedEvent's defaults
    apply: Callable[..., None]

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field it takes."""
        return self.states + self.options


def defaults(kind: str) -> dict[str, Any]:
    """The default value of every field of an intervention kind."""
    event = ScriptedEvent()
    return {f: getattr(event, f) for f in REGISTRY[kind].fields}


def _attack(m: CyberDiplomacyModel, attacker: str, target: str, **kw: Any) -> None:
    from sim.mechanics.incidents import TYPE_INDEX
    from sim.mechanics.operations import breach_commitment, launch

    w = m.world
    a, t = w.index(attacker), w.index(target)
    kd = TYPE_INDEX[kw.get("type", ScriptedEvent.type)]
    breach = breach_commitment(m, np.array([a]), np.array([kd]))
    rows = launch(
        m,
        np.array([a]),
        np.array([t]),
        np.array([kd]),
        np.array([int(kw.get("severity", ScriptedEvent.severity))]),
        breach > 0,
        scripted=True,
    )
    if kw.get("framed"):
        m.incidents.apparent[rows] = w.index(kw["framed"])
        m.incidents.false_flag[rows] = True


def _convene(m: CyberDiplomacyModel, organization: str = "", **_: Any) -> None:
    from sim.mechanics.diplomacy import convene

    orgs = list(m.organizations)
    org = next((o for o in orgs if o.name == organization), orgs[0] if orgs else None)
    if org is not None:
        convene(m, org)


def _share_intelligence(m: CyberDiplomacyModel, state: str, **kw: Any) -> None:
    m.world.shared_intel[m.world.index(state)] += float(kw.get("amount", ScriptedEvent.amount))


def _hotline(m: CyberDiplomacyModel, a: str, b: str, **_: Any) -> None:
    w = m.world
    i, j = w.index(a), w.index(b)
    w.hotline[i, j] = w.hotline[j, i] = True


REGISTRY: dict[str, Intervention] = {
    "attack": Intervention(
        "Launch an attack", ("attacker", "target"), ("type", "severity", "framed"), _attack
    ),
    "convene": Intervention("Convene a session", (), ("organization",), _convene),
    "share_intelligence": Intervention(
        "Share intelligence", ("state",), ("amount",), _share_intelligence
    ),
    "hotline": Intervention("Open a hotline", ("a", "b"), (), _hotline),
}
# the scenario schema lists the same kinds (it cannot import this module)
assert tuple(REGISTRY) == INTERVENTIONS, "sim.scenario.INTERVENTIONS and REGISTRY differ"


def queue(m: CyberDiplomacyModel, kind: str, **fields: Any) -> None:
    """Queue an intervention; it takes effect at the start of the next step."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown intervention {kind!r} (expected one of {list(REGISTRY)})")
    unknown = set(fields) - set(REGISTRY[kind].fields)
    if unknown:
        raise ValueError(f"{kind}: unknown fields {sorted(unknown)}")
    m.pending.append((kind, fields))


def queue_scripted(m: CyberDiplomacyModel) -> None:
    """Scripted events of this week are queued like an instructor's interventions."""
    for ev in m.config.events:
        if ev.week != m.steps:
            continue
        spec = REGISTRY[ev.intervention]
        fields = {f: getattr(ev, f) for f in spec.fields}
        if ev.intervention == "attack" and not ev.framed:
            fields.pop("framed")
        queue(m, ev.intervention, **fields)


def apply_pending(m: CyberDiplomacyModel) -> None:
    """Apply every queued intervention, in order, and log each."""
    queue_scripted(m)
    pending, m.pending = m.pending, []
    for kind, fields in pending:
        REGISTRY[kind].apply(m, **fields)
        m.log("intervention", actors=["instructor"], intervention=kind, **fields)


def check_scripted(m: CyberDiplomacyModel) -> None:
    """A scenario's scripted events name states and organisations that exist."""
    check_events(m.config.events, m.world.names, [o.name for o in m.organizations], m.config.source)


def check_events(
    events: list[ScriptedEvent], names: list[str], orgs: list[str], source: str
) -> None:
    """Scripted events name states in ``names`` and organisations in ``orgs`` (checked when
    a scenario loads, before any model is built; UserError in one line otherwise).
    """
    known = set(names)
    for i, ev in enumerate(events):
        spec = REGISTRY[ev.intervention]
        fields = spec.states + (("framed",) if ev.intervention == "attack" and ev.framed else ())
        for f in fields:
            if getattr(ev, f) not in known:
                raise UserError(
                    source,
                    f"events.{i}.{f}",
                    f"expected a state name, got {excerpt(getattr(ev, f))}",
                )
        if ev.intervention == "convene" and ev.organization and ev.organization not in orgs:
            raise UserError(
                source,
                f"events.{i}.organization",
                f"expected one of {sorted(orgs)}, got {excerpt(ev.organization)}",
            )


__all__ = [
    "REGISTRY",
    "Intervention",
    "apply_pending",
    "check_events",
    "check_scripted",
    "defaults",
    "queue",
]
