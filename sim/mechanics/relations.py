"""Trust between states and the economy.

Trust is one symmetric n x n matrix in [0, 1]. It rises through missions (channel
quality), CBM programmes, Track-2 dialogues and agreements, falls with incidents
attributed to the other side, sanctions and retaliation, and slowly reverts to its
initial level. GDP grows with a base rate plus a digital dividend that is larger when
security (resilience, adopted norms) and trust are high, and loses incident damage,
sanction costs and punishment costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanics.attribution import cbm_channel
from sim.mechanics.operations import BILLIONS_PER_TRILLION

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


class Relations:
    """Trust dynamics and GDP growth of one model."""

    def __init__(self, model: CyberDiplomacyModel) -> None:
        self.model = model

    def change_trust(self, i: int, j: int, delta: float) -> None:
        """Add delta to trust between i and j (both directions), kept in [0, 1]."""
        if i < 0 or j < 0 or i == j:
            return
        t = self.model.world.trust
        value = min(1.0, max(0.0, t[i, j] + delta))
        t[i, j] = t[j, i] = value

    def weekly_trust(self) -> None:
        """Missions, CBMs and reversion move trust a little every week (vectorised).

        t += drive (1 - t) + reversion (t0 - t) is rewritten t = t a + b with a and b
        fixed while missions and CBM programmes are, so a week costs two array operations.
        """
        m = self.model
        w = m.world
        tr = m.config.trust
        key = (
            float(w.mission_quality.sum()),
            id(cbm_channel(m)),
            m.config.missions.trust_rate,
            tr.cbm_gain,
            tr.reversion,
        )
        cached = m._cache.get("trust_affine")
        if cached is None or cached[0] != key:
            q = np.maximum(w.mission_quality, w.mission_quality.T)
            drive = m.config.missions.trust_rate * q + tr.cbm_gain * cbm_channel(m)
            a = 1.0 - drive - tr.reversion
            b = drive + tr.reversion * w.trust0
            np.fill_diagonal(a, 0.0)
            np.fill_diagonal(b, 1.0)
            cached = (key, a, b)
            m._cache["trust_affine"] = cached
        _, a, b = cached
        w.trust *= a
        w.trust += b
        np.clip(w.trust, 0.0, 1.0, out=w.trust)
        if m.config.negotiation.rivalry_hardening > 0:
            w.remember_outside_trust()

    def grow(self, damage: np.ndarray) -> None:
        """Weekly GDP growth minus damage (billions) and sanction/punishment costs."""
        m = self.model
        w = m.world
        ec = m.config.economy
        n = w.n
        # the digital dividend per unit of partner trust moves only with resilience, adopted
        # norms or the digital share (a session, an intervention): derived again only then
        key = (
            w.resilience.tobytes(),
            w.adopted.tobytes(),
            w.digital_share.tobytes(),
            ec.digital_growth,
        )
        cached = m._cache.get("digital_dividend")
        if cached is None or cached[0] != key:
            # np.mean's own sum and division, without its Python layer
            security = 0.5 * w.resilience + 0.5 * (w.adopted.sum(axis=1) / w.adopted.shape[1])
            cached = (key, ec.digital_growth * w.digital_share * security)
            m._cache["digital_dividend"] = cached
        partner_trust = (w.trust.sum(1) - 1.0) / max(n - 1, 1)
        g = (ec.growth + cached[1] * (0.5 + partner_trust)) / 52.0
        gdp = w.gdp * (1.0 + g) - damage / BILLIONS_PER_TRILLION
        # most weeks no sanction is in force: one scan for the latest end instead of the
        # count per target (subtracting a cost of 0.0 would leave every value as it is)
        if w.sanction_until.max() > m.steps:
            sanctions_on = (w.sanction_until > m.steps).sum(axis=0)
            gdp = gdp - m.config.response.sanction_cost * sanctions_on * w.gdp
        w.gdp = gdp - w.penalties
        np.maximum(w.gdp, 1e-6, out=w.gdp)
        w.penalties[:] = 0.0
