"""Diplomatic missions: the embassy of one state in another."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


class DiplomaticMission(mesa.Agent):
    """The mission of state ``sending`` in state ``host``.

    Its channel quality is the entry ``world.mission_quality[sending, host]``. Missions
    carry private demarches, speed the clarification of incidents (a wrong attribution
    is found out sooner through consultations), build trust week by week, and carry the
    bilateral pre-negotiation of positions between sessions.
    """

    def __init__(self, model: CyberDiplomacyModel, sending: int, host: int, quality: float) -> None:
        super().__init__(model)
        self.sending = sending
        self.host = host
        model.world.mission_quality[sending, host] = quality
