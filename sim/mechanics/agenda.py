"""Agendas that deepen: which items a body takes up, and the ratchet of agreed texts.

A catalogue lists agenda items in order: the voluntary norms first, then what later bodies
took up (implementation and confidence-building measures, how international law
applies, capacity building, a permanent mechanism). Each item has a security value and a
sovereignty constraint, and may ``require`` earlier items: a body takes it up only once
every required item has been agreed somewhere. A body negotiates the items no text has
settled yet first; once all have been agreed, it deepens those some member has not
adopted. The UN record reads
this way: the 2013 report affirmed that international law applies (A/68/98 para. 19),
the 2015 report built its norms on it (A/70/174), and the 2021 reports turned to
implementation and a future mechanism (A/75/816, A/76/135).

**The ratchet.** An agreed text is the status quo the next one starts from: no later
draft goes below ``ratchet`` times the highest commitment already agreed on an item
(``World.agreed``). Reviews that find widespread violation lower that floor
(:mod:`sim.mechanics.review`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


def available(agreed: np.ndarray, requires: list[list[int]], items: np.ndarray) -> np.ndarray:
    """The items whose required items have all been agreed (at any level)."""
    items = np.asarray(items, dtype=int)
    ok = np.array([all(agreed[r] > 0 for r in requires[k]) for k in items], dtype=bool)
    return items[ok] if len(items) else items


def open_items(m: CyberDiplomacyModel, agenda: np.ndarray, members: np.ndarray) -> np.ndarray:
    """What a body negotiates now, among the items of its agenda it may take up (their
    required items agreed): first those no text has settled yet; once every one has been
    agreed somewhere, those some member has not adopted (to deepen them); once all are
    adopted, all of them.
    """
    from sim.world import ADOPTION_LEVEL

    w = m.world
    ready = available(w.agreed, m.catalogue.requires, agenda)
    fresh = ready[w.agreed[ready] == 0]
    if len(fresh):
        return fresh
    unsettled = ~(w.adopted[np.ix_(members, ready)] >= ADOPTION_LEVEL).all(0)
    return ready[unsettled] if unsettled.any() else ready


def floor(m: CyberDiplomacyModel, items: np.ndarray) -> np.ndarray:
    """The least commitment a draft may set on each item: ``ratchet`` x the agreed level."""
    return m.config.negotiation.ratchet * m.world.agreed[items]


def record_agreement(m: CyberDiplomacyModel, items: np.ndarray, text: np.ndarray) -> None:
    """An agreed text raises the level agreed on its items."""
    w = m.world
    w.agreed[items] = np.maximum(w.agreed[items], text)
