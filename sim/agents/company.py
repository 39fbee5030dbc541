"""Companies: tech vendors, security firms and critical-infrastructure operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.control import decide

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


class Company(mesa.Agent):
    """A company with telemetry in some share of each state's systems.

    It detects intrusions in its telemetry (shorter dwell times), shares intelligence
    with governments (attribution evidence; more with its home state and allies unless
    it belongs to a tech accord, whose members share with all), publishes technical
    reports (violations become visible), patches (exploits held against the states it
    serves persist less), lobbies its home state's positions if it is an accord member,
    """

    def __init__(
        self,
        model: CyberDiplomacyModel,
        name: str,
        home: int,
        reach: np.ndarray,
        telemetry_skill: float,
        patch_speed: float,
        accord: bool,
    ) -> None:
        super().__init__(model)
        self.name = name
        self.home = home
        self.reach = reach  # (n,) share of each state's systems it sees
        self.telemetry_skill = telemetry_skill
        self.patch_speed = patch_speed
        self.accord = accord

    def sharing(self) -> np.ndarray:
        """(n,) how readily it shares intelligence with each government."""
        w = self.model.world
        cc = self.model.config.companies
        if self.accord:
            own = np.full(w.n, cc.engagement)
        else:
            friendly = (w.bloc == w.bloc[self.home]).astype(float)
            own = cc.engagement * (cc.foreign_sharing + (1.0 - cc.foreign_sharing) * friendly)
        return decide(self.model, "telemetry", self.name, own)

    def __repr__(self) -> str:
        return f"Company({self.name!r}, home={self.model.world.names[self.home]!r})"
