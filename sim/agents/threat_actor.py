"""Threat actors: criminal groups and state proxies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


class ThreatActor(mesa.Agent):
    """A criminal group (``sponsor`` is -1) or a state proxy.

    Criminal groups run ransomware and fraud from their safe haven at a base rate cut by
    the haven's enforcement (norms 13(c) and (d) adopted, resilience). Proxies run
    operations for their sponsor with plausible deniability: the evidence points at the
    proxy's safe haven rather than at the sponsor.
    """

    def __init__(
        self, model: CyberDiplomacyModel, name: str, haven: int, sponsor: int, capability: float
    ) -> None:
        super().__init__(model)
        self.name = name
        self.haven = haven
        self.sponsor = sponsor
        self.capability = capability

    @property
    def criminal(self) -> bool:
        """True for a criminal group, False for a proxy."""
        return self.sponsor < 0
