"""Compliance and enforcement inside the world: Axelrod's norms and metanorms game.

Axelrod, R. (1986) An Evolutionary Approach to Norms. APSR 80(4):1095-1111.

A violation is an operation that breaches a norm its initiator adopted (decided in
:mod:`sim.mechanics.operations` with Axelrod's rule: defect only if boldness exceeds the
chance of being seen). When a violation is publicly attributed, every other state sees
it with chance visibility x confidence and, having seen it, punishes the accused with
probability equal to its vengefulness: the punishment costs the violator a share of GDP
(``norms.violator_gdp_loss``) and trust, the punisher a smaller share
(``norms.punisher_gdp_loss``). With metanorms, states seen not punishing
are punished in turn. Payoffs accumulate over a generation (``norms.generation`` weeks)
using the ``[norms_game]`` payoffs T, H, P, E, M', M''; then boldness and vengefulness
spread by payoff-biased imitation with mutation (:func:`sim.mechanics.norms_game.imitate`).
A misattributed violation punishes the wrong state, as it would in the real world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


class Enforcement:
    """The in-world enforcement engine of one model."""

    def __init__(self, model: CyberDiplomacyModel) -> None:
        self.model = model

    def violation_committed(self, violator: int, victim: int) -> None:
        """Payoffs of a violation: temptation to the violator, hurt to the victim."""
        w = self.model.world
        g = self.model.config.norms_game
        self.model.counts["violations"] += 1
        if violator >= 0:
            w.payoff[violator] += g.temptation
        w.payoff[victim] += g.hurt

    def violation_seen(self, accused: int, victim: int, confidence: float) -> None:
        """Third states that see a publicly attributed violation may punish the accused."""
        m = self.model
        w = m.world
        cfg = m.config
        g = cfg.norms_game
        rng = m.rng
        others = np.ones(w.n, dtype=bool)
        others[[accused]] = False
        see_p = min(
            1.0,
            cfg.norms.visibility
            * confidence
            * (
                1 + cfg.norms.company_visibility * cfg.companies.engagement * (len(m.companies) > 0)
            ),
        )
        seen = others & (rng.random(w.n) < see_p)
        punish = seen & (rng.random(w.n) < w.vengefulness)
        punishers = np.nonzero(punish)[0]
        if len(punishers):
            k = len(punishers)
            m.counts["punishments"] += k
            w.payoff[accused] += g.punishment * k
            w.payoff[punishers] += g.enforcement_cost
            w.penalties[accused] += cfg.norms.violator_gdp_loss * w.gdp[accused] * k
            w.penalties[punishers] += cfg.norms.punisher_gdp_loss * w.gdp[punishers]
            loss = cfg.trust.punishment_share * cfg.trust.incident_loss
            w.trust[punishers, accused] -= loss
            w.trust[accused, punishers] -= loss
            np.clip(w.trust, 0.0, 1.0, out=w.trust)
            m.log(
                "punishment",
                actors=[w.names[accused]],
                accused=w.names[accused],
                punishers=[w.names[i] for i in punishers],
            )
        if cfg.norms.metanorms:
            lax = np.nonzero(seen & ~punish)[0]
            for j in lax:
                watchers = others.copy()
                watchers[j] = False
                meta = watchers & (rng.random(w.n) < see_p) & (rng.random(w.n) < w.vengefulness)
                mp = np.nonzero(meta)[0]
                if len(mp):
                    m.counts["punishments"] += len(mp)
                    w.payoff[j] += g.meta_punishment * len(mp)
                    w.payoff[mp] += g.meta_enforcement_cost
                    w.penalties[j] += (
                        cfg.norms.violator_gdp_loss * w.gdp[j] * len(mp) * cfg.norms.meta_loss_share
                    )
                    w.penalties[mp] += cfg.norms.punisher_gdp_loss * w.gdp[mp]

    def end_of_generation(self) -> None:
        """Boldness and vengefulness spread by payoff-biased imitation, with mutation."""
        from sim.mechanics.norms_game import imitate

        m = self.model
        w = m.world
        traits = np.stack([w.boldness, w.vengefulness], axis=1)
        new = imitate(
            traits, w.payoff, m.rng, m.config.norms.imitation, m.config.norms.mutation_rate
        )
        w.boldness[:] = new[:, 0]
        w.vengefulness[:] = new[:, 1]
        w.payoff[:] = 0.0
