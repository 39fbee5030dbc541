"""Parallel tracks: when a body deadlocks, a coalition opens another, and states choose
where to invest.

**Opening a track.** After ``organizations.deadlock_sessions`` failed sessions in a row,
the members that objected to the last draft open a parallel track, as Russia and its
partners opened the Open-Ended Working Group beside a new GGE in 2018 (A/RES/73/27 and
73/266). The track's membership is every state (``track_kind = "open_ended"``) or a small
expert group (``"expert"``: the coalition first, then the largest economies, up to
``track_size``); it decides by ``track_rule`` and its chair weighs the coalition's offers
``track_chair_weight`` times. A body opens at most one track.

**Investment.** A state in several bodies splits its diplomatic effort among them by a
logit of what each body's last draft gave it, ``exp(investment_focus * u_ib)``
normalised over its bodies (equal shares before any draft). Its weight in a chair's
draft is its usual weight times that share, so a state that expects more from the other
track shapes this one less.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.agents import InternationalOrganization
    from sim.model import CyberDiplomacyModel


def effort(m: CyberDiplomacyModel, org: InternationalOrganization) -> np.ndarray:
    """(members,) each member's share of diplomatic effort that goes to ``org``."""
    focus = m.config.organizations.investment_focus
    bodies = [b for b in m.organizations if b.active]
    if len(bodies) < 2 or focus == 0:
        return np.ones(len(org.members))
    n = m.world.n
    weight = np.zeros((len(bodies), n))
    mine = 0
    for j, b in enumerate(bodies):
        if b is org:
            mine = j
        inside = np.zeros(n, dtype=bool)
        inside[b.members] = True
        gain = np.where(np.isnan(b.last_gain), 0.0, b.last_gain)
        # subtract the best gain per state before exponentiating: no overflow
        weight[j] = np.where(inside, gain * focus, -np.inf)
    top = weight.max(axis=0)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(weight - top)
    share = e[mine] / np.maximum(e.sum(axis=0), 1e-300)
    return share[org.members]


def coalition_members(
    m: CyberDiplomacyModel, coalition: np.ndarray, kind: str, size: int
) -> np.ndarray:
    """The members of a new track: everyone, or the coalition and the largest economies."""
    n = m.world.n
    if kind == "open_ended":
        return np.arange(n)
    order = np.argsort(-m.world.gdp, kind="stable")
    chosen = list(dict.fromkeys([int(i) for i in coalition] + [int(i) for i in order]))
    return np.array(sorted(chosen[: max(size, len(coalition))]), dtype=int)


def maybe_open(
    m: CyberDiplomacyModel, org: InternationalOrganization, objectors: list[int]
) -> None:
    """Open a parallel track beside ``org`` if it has deadlocked."""
    from sim.agents import InternationalOrganization

    cfg = m.config.organizations
    if (
        cfg.deadlock_sessions == 0
        or org.failed_in_row < cfg.deadlock_sessions
        or org.opened_track
        or org.chair is not None  # a track does not open tracks
        or not objectors
    ):
        return
    coalition = np.array(sorted(objectors), dtype=int)
    members = coalition_members(m, coalition, cfg.track_kind, cfg.track_size)
    label = "open-ended working group" if cfg.track_kind == "open_ended" else "expert group"
    track = InternationalOrganization(
        m,
        f"{org.name}: {label} (from week {m.steps})",
        org.kind,
        members,
        cfg.track_rule,
        org.cadence,
        org.rounds,
        m.steps + org.cadence,
        False,
        org.agenda.copy(),
    )
    track.chair = coalition
    org.opened_track = True
    w = m.world
    m.log(
        "track_opened",
        actors=[org.name, track.name],
        organization=org.name,
        track=track.name,
        coalition=[w.names[i] for i in coalition],
        members=len(members),
        rule=cfg.track_rule,
        reason=f"{org.failed_in_row} failed sessions in a row",
    )
