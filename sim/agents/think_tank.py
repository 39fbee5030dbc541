"""Think tanks and research institutes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.metrics import RECORD_DIGITS

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


class ThinkTank(mesa.Agent):
    """A research institute advising a network of states.

    Each week it raises the technical expertise of the diplomats it advises; now and then
    it runs a Track-2 dialogue between the least-trusting pair in its network (trust);
    in negotiation sessions where it advises members, it may draft the compromise text
    as mediator.
    """

    def __init__(
        self, model: CyberDiplomacyModel, name: str, home: int, capacity: float, network: np.ndarray
    ) -> None:
        super().__init__(model)
        self.name = name
        self.home = home
        self.capacity = capacity
        self.network = network  # indices of the states it advises

    def step(self) -> None:
        """Capacity building and, sometimes, a Track-2 dialogue."""
        m = self.model
        w = m.world
        net = self.network
        rate = m.config.think_tanks.training_rate
        # what `+=` would do, reading the advised states' expertise once instead of twice
        expertise = w.expertise[net]
        w.expertise[net] = expertise + rate * self.capacity * (1.0 - expertise)
        if len(net) >= 2 and m.rng.random() < m.config.think_tanks.track2_rate:
            # trust among the advised states (indexing by arrays makes a copy to write on)
            sub = w.trust[net[:, None], net]
            np.fill_diagonal(sub, np.inf)
            a, b = divmod(int(sub.argmin()), len(net))  # the least-trusting pair
            i, j = int(net[a]), int(net[b])
            gain = m.config.trust.track2_gain * self.capacity
            m.relations.change_trust(i, j, gain)
            m.log(
                "track2",
                actors=[self.name, w.names[i], w.names[j]],
                think_tank=self.name,
                states=[w.names[i], w.names[j]],
                trust=round(float(w.trust[i, j]), RECORD_DIGITS),
            )
