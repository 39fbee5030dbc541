"""Windows and hardening: what moves positions between sessions, for a while or for good.

**Windows of opportunity.** A major incident (DCID severity ``>= shock_severity``, or any
attack on critical infrastructure) is a shock: the victim's shock grows by 1 and every
other state's by ``shock_spread``. Shocks fade by ``shock_decay`` a week. While a shock is
fresh a state values every item more: its security value of item ``k`` grows by
``shock_gain * shock_i * s_k``, so it asks for, and accepts, more binding texts. This is
Kingdon's (1984) policy window, which Finnemore & Hollis (2016, AJIL 110:425) apply to
cyber norms: Estonia 2007 and Stuxnet before the 2010 GGE report, NotPetya and WannaCry
before the 2018 Paris Call.

**Awareness.** States may start seeing only ``awareness_start`` of what the items are
worth (in 2004 few had seen a major cyber incident); each shock teaches every state
``awareness_gain`` more, up to all of it. It scales the items' base security value
(:func:`sim.mechanics.diplomacy.security_value`).

**Rivalry hardens positions.** A state that has lost trust in the other blocs (its mean
trust in their states, ``tau_i``, against the highest it has been, ``tau*_i``, the start
included) weighs the sovereignty cost of every item by
``1 + rivalry_hardening * (tau*_i - tau_i)``. Measured from the start, it would miss the
rivals of 2000-2020: their trust first rose from its low start, then fell from 2008.
Trust falls with public accusations, sanctions and retaliation
(:mod:`sim.mechanics.relations`) and with reviews that name violators
(:mod:`sim.mechanics.review`), so a decade of incidents makes the next text harder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.metrics import RECORD_DIGITS
from sim.scenario import INCIDENT_TYPES

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel

CRITICAL = INCIDENT_TYPES.index("critical_infrastructure")


def major(kinds: np.ndarray, severity: np.ndarray, threshold: int) -> np.ndarray:
    """Which incidents are shocks: severity at or above ``threshold``, or critical
    infrastructure attacked.
    """
    return (np.asarray(severity) >= threshold) | (np.asarray(kinds) == CRITICAL)


def shock(
    m: CyberDiplomacyModel, targets: np.ndarray, kinds: np.ndarray, severity: np.ndarray
) -> None:
    """Incidents just launched open windows: each major one shocks its victim (1) and every
    other state (``shock_spread``).
    """
    neg = m.config.negotiation
    hit = np.asarray(targets)[major(kinds, severity, neg.shock_severity)]
    if not len(hit):
        return
    w = m.world
    w.awareness = min(1.0, w.awareness + neg.awareness_gain * len(hit))
    per_victim = np.bincount(hit, minlength=w.n).astype(float)
    w.shock += per_victim * (1.0 - neg.shock_spread) + neg.shock_spread * len(hit)
    for t in np.unique(hit):
        shock = round(float(w.shock[t]), RECORD_DIGITS)
        m.log("shock", actors=[w.names[t]], state=w.names[t], shock=shock)


def fade(m: CyberDiplomacyModel) -> None:
    """Shocks fade by ``shock_decay`` a week."""
    if m.world.shock.any():
        m.world.shock *= 1.0 - m.config.negotiation.shock_decay


def window_gain(m: CyberDiplomacyModel) -> np.ndarray:
    """(n, K) extra security value of each item while shocks are fresh."""
    neg = m.config.negotiation
    return neg.shock_gain * m.world.shock[:, None] * m.catalogue.security[None, :]


def hardening(m: CyberDiplomacyModel) -> np.ndarray:
    """(n,) multiplier of each state's sovereignty cost: 1, plus ``rivalry_hardening`` per
    point of trust it has lost toward other blocs since the highest it has been
    (:meth:`sim.world.World.remember_outside_trust` keeps that, week by week).
    """
    w = m.world
    lost = np.maximum(w.outside_trust_best - w.outside_trust(), 0.0)
    return 1.0 + m.config.negotiation.rivalry_hardening * lost
