"""States: governments, whose attributes live in the model's :class:`sim.world.World` arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


def _column(name: str, doc: str) -> property:
    def get(self: State) -> float:
        return float(getattr(self.model.world, name)[self.idx])

    def set_(self: State, value: float) -> None:
        getattr(self.model.world, name)[self.idx] = value

    return property(get, set_, doc=doc)


class State(mesa.Agent):
    """A government.

    Its attributes are views into the world arrays (one copy of each number). Its weekly
    behaviour (operations, investigation, responses, negotiation, compliance, punishment)
    runs vectorised over all states in :mod:`sim.mechanics`; the decisions that really are
    per state (the response ladder to one incident) are methods here.
    """

    def __init__(self, model: CyberDiplomacyModel, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    name = property(lambda self: self.model.world.names[self.idx], doc="the state's name")
    bloc = property(
        lambda self: self.model.world.bloc_names[self.model.world.bloc[self.idx]], doc="its bloc"
    )
    gdp = _column("gdp", "GDP, trillions of USD")
    digital_share = _column("digital_share", "digital share of GDP")
    governance = _column("governance", "0 open multistakeholder .. 1 sovereign control")
    sovereignty_concern = _column("sovereignty_concern", "sovereignty concern")
    offensive_capability = _column("offensive_capability", "offensive cyber capability")
    resilience = _column("resilience", "defensive resilience")
    attribution_skill = _column("attribution_skill", "attribution skill")
    expertise = _column("expertise", "technical expertise of its diplomats")
    boldness = _column("boldness", "Axelrod boldness B")
    vengefulness = _column("vengefulness", "Axelrod vengefulness V")
    stockpile = _column("stockpile", "exploits held")

    @property
    def ideal(self) -> np.ndarray:
        """Ideal commitment level per norm."""
        return self.model.world.ideal[self.idx]

    @property
    def adopted(self) -> np.ndarray:
        """Adopted commitment level per norm."""
        return self.model.world.adopted[self.idx]

    def __repr__(self) -> str:
        return f"State({self.name!r}, bloc={self.bloc!r})"
