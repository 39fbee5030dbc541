"""Diplomacy in the world: what norms are worth to states, lobbying and pre-negotiation
between sessions, the tech accord's growth, sessions, adoption and mediators.

The session protocol itself (utilities, Faratin concession, decision rules) is in
:mod:`sim.mechanics.negotiation`; organisations convene through
:meth:`sim.agents.organization.InternationalOrganization.convene`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.control import decide
from sim.mechanics import review, windows
from sim.mechanics.negotiation import pre_negotiate, pull_toward

if TYPE_CHECKING:
    from sim.agents import InternationalOrganization, ThinkTank
    from sim.model import CyberDiplomacyModel


def security_value(m: CyberDiplomacyModel) -> np.ndarray:
    """(n, K) what each state expects to gain if others are bound by each norm: the norm's
    security value as far as states are aware of it, more for digital economies, plus what
    its own incidents taught it and the window a fresh shock opens
    (:mod:`sim.mechanics.windows`).
    """
    w = m.world
    d = m.config.negotiation.digital_security
    base = (
        w.awareness
        * m.catalogue.security[None, :]
        * ((1.0 - d) + w.digital_share[:, None] / max(w.digital_share.mean(), 1e-9) * d)
    )
    return base + np.minimum(w.exposure, 1.0) + windows.window_gain(m)


def _advised(m: CyberDiplomacyModel) -> tuple[list[ThinkTank], np.ndarray]:
    """The think tanks and a (think tanks, n) mask of the states each advises.

    Networks are fixed when a think tank is created, so the mask is derived again only
    when the think tanks change; a retaliation asks for a mediator every time.
    """
    tanks = list(m.think_tanks)
    key = tuple(id(tt) for tt in tanks)
    cached = m._cache.get("advised")
    if cached is None or cached[0] != key:
        mask = np.zeros((len(tanks), m.world.n), dtype=bool)
        for t, tt in enumerate(tanks):
            mask[t, tt.network] = True
        cached = m._cache["advised"] = (key, tanks, mask)
    return cached[1], cached[2]


def mediator_for(m: CyberDiplomacyModel, members: np.ndarray) -> ThinkTank | None:
    """The think tank advising most of these states (at least two), if mediation is on;
    the first of them among equals.
    """
    if not m.config.think_tanks.mediation:
        return None
    tanks, advised = _advised(m)
    if not tanks:
        return None
    counts = advised[:, members].sum(axis=1)
    best = int(np.argmax(counts))  # the first of the largest counts
    return tanks[best] if counts[best] > 1 else None


def between_sessions(m: CyberDiplomacyModel) -> None:
    """Accord companies lobby their home states; missions carry pre-negotiation; positions
    are pulled back toward national interest.
    """
    w = m.world
    neg = m.config.negotiation
    cc = m.config.companies
    companies = m.companies
    if len(companies) and cc.lobbying > 0:
        # each accord member pulls its home state; pulls compound, never beyond the target
        # (derived again only when a company joins the accord)
        key = (tuple(c.accord for c in companies), cc.lobbying, cc.engagement, cc.accord_ambition)
        cached = m._cache.get("lobbying")
        if cached is None or cached[0] != key:
            each = cc.lobbying * cc.engagement
            members = np.bincount([c.home for c in companies if c.accord], minlength=w.n)
            pull = 1.0 - (1.0 - min(each, 1.0)) ** members
            target = np.clip(m.catalogue.security + cc.accord_ambition, 0, 1)
            # lobby()'s clip and shape of the pull, once here rather than every week
            pull = np.clip(pull, 0.0, 1.0)[:, None]
            cached = m._cache["lobbying"] = (key, pull, target, bool(pull.any()))
        _, pull, target, pulls = cached
        if pulls:
            w.ideal = pull_toward(w.ideal, pull, target)  # lobby() on prepared inputs
    # consultations come every `consultation_weeks` weeks, at that many times the rate
    every = neg.consultation_weeks
    # (the week is asked first: checking the (n, n) channels every week cost more)
    if neg.pre_negotiation > 0 and m.steps % every == 0 and w.mission_quality.any():
        weights = w.trust * np.maximum(w.mission_quality, w.mission_quality.T)
        np.fill_diagonal(weights, 0.0)
        w.ideal = pre_negotiate(w.ideal, weights, min(1.0, neg.pre_negotiation * every))
    # positions stay anchored to national interest: the pulls above move them only so far
    w.ideal += neg.national_anchor * (w.ideal0 - w.ideal)


def accord_uptake(m: CyberDiplomacyModel) -> None:
    """Companies outside the accord join, more readily as more of their peers are in."""
    cc = m.config.companies
    companies = m.companies
    if not len(companies):
        return
    share = companies.agg("accord", sum) / len(companies)
    for c in companies:
        if not c.accord and decide(
            m,
            "accord",
            c.name,
            cc.accord_join_rate > 0
            and m.rng.random() < cc.accord_join_rate * (cc.accord_join_base + share),
        ):
            c.accord = True
            m.log("accord_joined", actors=[c.name], company=c.name, home=m.world.names[c.home])


def sessions(m: CyberDiplomacyModel) -> None:
    """Organisations whose session falls this week convene (a chair played by a student
    decides); reviews of agreements fall due (:mod:`sim.mechanics.review`); mandates that
    end now record their outcome.
    """
    every = m.config.organizations.review_cadence
    for org in list(m.organizations):  # a failed session may open a track
        if org.active and decide(m, "convene", org.name, org.session_due(m.steps)):
            convene(m, org)
        if every and m.steps % every == 0:
            review.review(m, org)
        if org.mandate_over(m.steps):
            org.close()


def convene(m: CyberDiplomacyModel, org: InternationalOrganization) -> None:
    """Hold one session of `org` now and count it."""
    record = org.convene()
    m.sessions_total += 1
    if record["agreed"]:
        m.agreements_total += 1


def adopt(
    m: CyberDiplomacyModel, signatories: np.ndarray, norms: np.ndarray, text: np.ndarray
) -> None:
    """Signatories adopt the agreed commitments; co-signatories trust each other more."""
    w = m.world
    sub = w.adopted[np.ix_(signatories, norms)]
    w.adopted[np.ix_(signatories, norms)] = np.maximum(sub, text[None, :])
    gain = m.config.trust.agreement_gain
    block = np.ix_(signatories, signatories)
    w.trust[block] = np.minimum(1.0, w.trust[block] + gain * (1.0 - w.trust[block]))
    np.fill_diagonal(w.trust, 1.0)
