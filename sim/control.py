"""Human decisions in the model: the hook at each decision point.

The model decides everything by itself. A classroom exercise (:mod:`sim.classroom`) lets
students take some of those decisions: it sets ``model.controls`` to an object with a
:meth:`Controls.decide` method, and every decision point in the mechanics asks, in one
line, ``decide(m, point, actor, default)``. With no controls (the default) that line
returns the agent's own decision untouched, so a run without a class costs one attribute
read per decision point and gives the same result, seed for seed.

The decision points, what ``actor`` names and what the default is:

``attribute``  (:func:`sim.mechanics.attribution.gather_evidence`) actor None; the rows
               of incidents whose victims attribute this week (attribute now or wait).
``response``   (:func:`sim.mechanics.attribution.attribute`) the victim's index; the
               rung of the response ladder (:data:`sim.mechanics.incidents.RESPONSES`).
``share``      (:func:`sim.mechanics.attribution.evidence_rate`) actor None; the (n, n)
               matrix of how much each state draws on each ally's intelligence.
``convene``    (:func:`sim.mechanics.diplomacy.sessions`) the organisation's name;
               whether its session is held this week.
``positions``  (:meth:`sim.agents.organization.InternationalOrganization.convene`) the
               organisation's name; the members' positions on the agenda (amendments).
``votes``      (same) the organisation's name; None, or per member 1 accept, 0 object,
               -1 its own judgement (:func:`sim.mechanics.negotiation.run_session`).
``accord``     (:func:`sim.mechanics.diplomacy.accord_uptake`) the company's name;
               whether it joins the tech accord this week.
``telemetry``  (:meth:`sim.agents.company.Company.sharing`) the company's name; how
               readily it shares intelligence with each government.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel

POINTS = ("attribute", "response", "share", "convene", "positions", "votes", "accord", "telemetry")


class Controls(Protocol):
    """What a model's ``controls`` must offer: a decision at each decision point."""

    def decide(
        self, m: CyberDiplomacyModel, point: str, actor: Any, default: Any, **context: Any
    ) -> Any:
        """The decision taken at ``point`` for ``actor`` (``default``: the agent's own)."""
        ...


def decide(m: CyberDiplomacyModel, point: str, actor: Any, default: Any, **context: Any) -> Any:
    """The human decision at this point if one is pending, else the agent's ``default``."""
    controls = m.controls
    return default if controls is None else controls.decide(m, point, actor, default, **context)


__all__ = ["POINTS", "Controls", "decide"]
