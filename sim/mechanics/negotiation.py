"""Norm negotiation: how the members of an international body agree on a text, or fail to.

A **text** is a commitment level per norm on the agenda, a vector ``x`` in ``[0, 1]^K``
(the default catalogue is the eleven norms of the 2015 UN GGE report, A/70/174 para. 13).

**Utility.** Member ``i`` has ideal points ``theta[i, k]``, an expected security gain per
norm ``s[i, k] >= 0`` (what it gains when the others are bound), a sovereignty concern
``sigma[i]`` in ``[0, 1]`` and diplomats' technical expertise ``e[i]`` in ``[0, 1]``. With
``w_s = security_weight`` and ``w_v = sovereignty_weight`` (section ``[negotiation]``)::

    V_i(x) = (1/K) sum_k [ -(x_k - theta_ik)^2          distance to the ideal
                           + w_s s_ik x_k                security gain
                           - w_v sigma_i x_k^2 ]         sovereignty cost

    U_i(x) = V_i(x) - V_i(x0)

(``sigma`` may also differ by item: ``sigma_ik``, a member's concern times the item's
constraint) where ``x0`` is the status quo (what the member is already bound to; no commitments by
default). Utility is measured from the status quo, so ``U_i = 0`` is the value of no
agreement and ``[negotiation] reservation`` is the gain a member needs before it signs.
The distance term is maximal at the ideal; the security gain grows linearly with
bindingness; the sovereignty cost grows with its square, so it bites hardest on binding
texts. Each member's best text is, norm by norm,
``x*_ik = clip((2 theta_ik + w_s s_ik) / (2 (1 + w_v sigma_i)), 0, 1)``.

**Concession** is time-based (Faratin, Sierra & Jennings 1998, Robotics and Autonomous
Systems 24:159-182): in round ``t`` of ``t_max`` member ``i`` has conceded the share
``alpha_i(t) = kappa + (1 - kappa) (t / t_max)^(1 / beta_i)`` of the way from its best
utility to its reservation (``beta < 1`` Boulware: holds firm until the end; ``beta > 1``
Conceder: gives way early). A delegation with little technical expertise is cautious: it
concedes only the share ``1 - caution * (1 - e_i)`` of that way, i.e. it keeps a margin
above its reservation even in the last round.

**Protocol.** Each round every member offers its best text moved toward the previous
draft by its concession; the chair proposes the (influence-weighted) mean of the offers;
a mediator (a think tank) moves that draft toward the member median by
``mediation_weight``; under consensus the chair weighs a member's offer
``(1 + accommodation)`` times more for each round it has objected, and with accommodation
a member that has objected offers its best text again rather than conceding toward a
draft it rejected, so drafts move toward the reluctant (the lowest common denominator that
consensus produces: Scharpf 1988, Public Administration 66:239); no draft goes below what
earlier agreements already set (the ratchet, ``floor``). Members accept when the text's
utility clears their current threshold (low-expertise delegations misjudge texts a little:
the only randomness) and no single item crosses their **red line**: a member objects to a
text that loses it more than ``red_line`` on any one item against the status quo, whatever
the other items give it (non-compensatory, as the 2017 GGE's members over self-defence and
countermeasures). A text below what a member holds already in force on an item
(``held``: the law as it reads it) is a step back that counts toward that loss
(:func:`step_back`). The
decision rule decides: ``consensus`` (no objection; everyone signs), ``qualified_majority``
(share of acceptors >= q; acceptors sign) or ``silence`` (adopted unless someone breaks
silence; only members strongly opposed do, a weaker bar than acceptance; all who keep
silent sign). A session ends with an agreement or fails after its last round.

Between sessions positions move by bilateral pre-negotiation through missions
(:func:`pre_negotiate`) and company lobbying (:func:`lobby`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.scenario import DECISION_RULES, Negotiation

# the default of [negotiation] initial_concession (Faratin et al.'s kappa), for callers of
# concession_share without a params object; run_session reads every key from its params
INITIAL_CONCESSION = Negotiation.initial_concession

_MIN_BETA = 1e-6
# [negotiation] red_line at this, its default and its bound, draws no red lines
NO_RED_LINE = Negotiation.red_line


# ----------------------------------------------------------------------------- results


@dataclass
class RoundRecord:
    """One round of a session: the text on the table and how members received it.

    ``utilities`` are the members' utilities of the text measured from the status quo
    (0 = no agreement), without perception error.
    """

    round: int
    text: np.ndarray
    accepts: np.ndarray
    utilities: np.ndarray


@dataclass
class SessionResult:
    """Outcome of a session: an agreement (text, signatories, round) or a failure.

    On failure ``text`` is the last draft, ``signatories`` is all False and ``round`` is the
    last round.
    """

    agreed: bool
    text: np.ndarray
    signatories: np.ndarray
    round: int
    rounds: list[RoundRecord] = field(default_factory=list)


# ----------------------------------------------------------------------------- valuation


def _value(
    text: np.ndarray,
    ideal: np.ndarray,
    security: np.ndarray,
    sovereignty: np.ndarray,
    params: Negotiation,
) -> np.ndarray:
    """V_i(x) before subtracting the status quo; text broadcasts against ideal."""
    per_item = _per_item(text, ideal, security, sovereignty, params)
    # the mean over items as np.mean forms it (sum, then divide), without its Python layer
    return per_item.sum(axis=-1) / per_item.shape[-1]


def _per_item(
    text: np.ndarray,
    ideal: np.ndarray,
    security: np.ndarray,
    sovereignty: np.ndarray,
    params: Negotiation,
) -> np.ndarray:
    """Each member's value of each item of a text, (m, K); sovereignty is (m,) or (m, K)."""
    sov = sovereignty[:, None] if sovereignty.ndim == 1 else sovereignty
    return (
        -((text - ideal) ** 2)
        + params.security_weight * security * text
        - params.sovereignty_weight * sov * text**2
    )


def item_gains(
    text: np.ndarray,
    ideal: np.ndarray,
    security: np.ndarray,
    sovereignty: np.ndarray,
    params: Negotiation,
    status_quo: np.ndarray | None = None,
    held: np.ndarray | None = None,
) -> np.ndarray:
    """What each member gains (or loses) on each item of a text against the status quo,
    (m, K): the terms of :func:`utility` before they are averaged, less the step back of
    a text below what a member ``held`` in force (:func:`step_back`). A member that
    objects objects most to the item where it loses most.
    """
    ideal = np.asarray(ideal, dtype=float)
    security = np.asarray(security, dtype=float)
    sovereignty = np.asarray(sovereignty, dtype=float)
    x0 = _status_quo(status_quo, ideal)
    text = np.asarray(text, dtype=float)
    gains = _per_item(text, ideal, security, sovereignty, params) - _per_item(
        x0, ideal, security, sovereignty, params
    )
    return gains if held is None else gains - step_back(text, held, security, params)


def step_back(
    text: np.ndarray, held: np.ndarray, security: np.ndarray, params: Negotiation
) -> np.ndarray:
    """(m, K) what a text that says less than a member holds in force costs it: the
    security of the commitment it would concede, ``security_weight * s_ik * (h_ik - x_k)``
    where the text is below ``h_ik``. A state that holds that existing international law
    already governs an item reads a weaker text as a step back from the law (the United
    States' refusal of a 2017 report that did not affirm self-defence and countermeasures).
    It counts toward red lines, not toward a text's utility.
    """
    return params.security_weight * security * np.maximum(held - text, 0.0)


def within_red_lines(
    gains: np.ndarray, params: Negotiation, forced: np.ndarray | None = None
) -> np.ndarray:
    """(m,) the members whose loss on no single item of a text exceeds ``red_line``, from
    their gains per item (:func:`item_gains`); a student's vote (``forced``: 1 accepts, 0
    objects, -1 judges) overrides.
    """
    within = gains.min(axis=1) >= -params.red_line
    return within if forced is None else np.where(forced < 0, within, forced == 1)


def _status_quo(status_quo: np.ndarray | None, ideal: np.ndarray) -> np.ndarray:
    if status_quo is None:
        return np.zeros_like(ideal)
    return np.broadcast_to(np.asarray(status_quo, dtype=float), ideal.shape)


def utility(
    text: np.ndarray,
    ideal: np.ndarray,
    security: np.ndarray,
    sovereignty: np.ndarray,
    params: Negotiation,
    status_quo: np.ndarray | None = None,
) -> np.ndarray:
    """Each member's utility of a text, measured from the status quo (see module docstring).

    Args:
        text: commitment level per norm, shape (K,) or one text per member (m, K).
        ideal: ideal points, (m, K).
        security: expected security gain per norm, (m, K), >= 0.
        sovereignty: sovereignty concern, (m,), or per member and item, (m, K).
        params: the ``[negotiation]`` section (security and sovereignty weights).
        status_quo: commitments already in force, (K,) or (m, K); default none.

    Returns:
        (m,) utilities; 0 means "as good as no agreement".

    """
    ideal = np.asarray(ideal, dtype=float)
    security = np.asarray(security, dtype=float)
    sovereignty = np.asarray(sovereignty, dtype=float)
    x0 = _status_quo(status_quo, ideal)
    value = _value(np.asarray(text, dtype=float), ideal, security, sovereignty, params)
    return value - _value(x0, ideal, security, sovereignty, params)


def best_text(
    ideal: np.ndarray, security: np.ndarray, sovereignty: np.ndarray, params: Negotiation
) -> np.ndarray:
    """Each member's utility-maximising text, (m, K): its ideal shifted up by the security
    gain it expects and scaled down by its sovereignty cost, clipped to [0, 1].
    """
    ideal = np.asarray(ideal, dtype=float)
    sov = np.asarray(sovereignty, dtype=float)
    sov = sov[:, None] if sov.ndim == 1 else sov
    raw = (2.0 * ideal + params.security_weight * np.asarray(security, dtype=float)) / (
        2.0 * (1.0 + params.sovereignty_weight * sov)
    )
    return np.clip(raw, 0.0, 1.0)


# ----------------------------------------------------------------------------- concession


def concession_share(
    t: float | np.ndarray, t_max: float, beta: np.ndarray, kappa: float = INITIAL_CONCESSION
) -> np.ndarray:
    """Faratin et al.'s (1998) polynomial time-dependent tactic.

    ``alpha(t) = kappa + (1 - kappa) (t / t_max)^(1 / beta)``: the share of the way from
    best utility to reservation conceded by time ``t``. ``beta < 1`` is Boulware (concedes
    late), ``beta > 1`` Conceder (concedes early); ``alpha(t_max) = 1`` for all.
    """
    beta = np.maximum(np.asarray(beta, dtype=float), _MIN_BETA)
    frac = np.clip(np.asarray(t, dtype=float) / float(t_max), 0.0, 1.0)
    return _conceded(frac, 1.0 / beta, kappa)


def _conceded(frac: float | np.ndarray, inverse_beta: np.ndarray, kappa: float) -> np.ndarray:
    """:func:`concession_share` at the share ``frac`` of the time in [0, 1], for exponents
    already inverted: a session inverts them once, not in every round.
    """
    return kappa + (1.0 - kappa) * frac**inverse_beta


def concession_reach(expertise: np.ndarray, caution: float) -> np.ndarray:
    """Share of the Faratin concession a delegation is willing to make: ``1 - caution (1 -
    expertise)``. Delegations that cannot judge a technical text hold a safety margin.
    """
    return 1.0 - caution * (1.0 - np.clip(np.asarray(expertise, dtype=float), 0.0, 1.0))


def acceptance_threshold(
    t: float, t_max: float, beta: np.ndarray, expertise: np.ndarray, params: Negotiation
) -> np.ndarray:
    """Aspiration in round ``t`` as a share of each member's span from reservation to best.

    1 means "only my best text", 0 means "anything at or above my reservation".
    """
    return 1.0 - concession_reach(expertise, params.caution) * concession_share(
        t, t_max, beta, params.initial_concession
    )


# ----------------------------------------------------------------------------- session


def _check_shapes(ideal: np.ndarray, security: np.ndarray, *vectors: np.ndarray) -> None:
    if ideal.ndim != 2:
        raise ValueError(f"ideal must be (members, norms), got shape {ideal.shape}")
    if security.shape != ideal.shape:
        raise ValueError(f"security must have shape {ideal.shape}, got {security.shape}")
    for v in vectors:
        if v.shape != (ideal.shape[0],):
            raise ValueError(
                f"per-member arrays must have shape ({ideal.shape[0]},), got {v.shape}"
            )


def _weighted_mean(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return weights @ points / weights.sum()


def _median(points: np.ndarray) -> np.ndarray:
    """Per item, the members' median: ``np.median(points, axis=0)`` (the middle value, or
    the mean of the middle two) from one sort, without np.median's Python layer, which
    costs more than the sort for a body's members in every round of a mediated session.
    """
    ordered = np.sort(points, axis=0)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def run_session(
    ideal: np.ndarray,
    security: np.ndarray,
    sovereignty: np.ndarray,
    expertise: np.ndarray,
    concession: np.ndarray,
    *,
    rule: str,
    qualified_majority: float,
    rounds: int,
    params: Negotiation,
    rng: np.random.Generator,
    mediator: bool = False,
    status_quo: np.ndarray | None = None,
    influence: np.ndarray | None = None,
    floor: np.ndarray | None = None,
    forced: np.ndarray | None = None,
    held: np.ndarray | None = None,
) -> SessionResult:
    """Run one negotiation session of a body's members (protocol in the module docstring).

    Concession follows Faratin, Sierra & Jennings (1998): each member's threshold falls
    from its best utility toward its reservation as ``t / t_max`` grows, at the pace set by
    its exponent (``concession``: < 1 Boulware, > 1 Conceder).

    Args:
        ideal: ideal commitment per member and norm, (m, K) in [0, 1].
        security: expected security gain per member and norm, (m, K), >= 0.
        sovereignty: sovereignty concern, (m,) in [0, 1], or per member and item, (m, K).
        expertise: diplomats' technical expertise, (m,) in [0, 1].
        concession: Faratin exponent beta per member, (m,), > 0.
        rule: "consensus", "qualified_majority" or "silence".
        qualified_majority: share of acceptors needed under "qualified_majority".
        rounds: rounds in the session (t_max).
        params: the ``[negotiation]`` section.
        rng: the model's generator; used only for delegations' misjudgement of texts.
        mediator: a think tank drafts the text, moved toward the member median.
        status_quo: commitments already in force, (K,) or (m, K); default none.
        influence: weight of each member in the chair's draft, (m,); default equal.
        floor: commitment per item no draft goes below, (K,): the ratchet of texts
            already agreed; default none.
        forced: per member 1 accepts every text, 0 objects to every text, -1 judges for
            itself (a student's vote, :mod:`sim.control`); default: all judge.
        held: commitment per member and item it holds already in force, (m, K); a text
            below it is a step back that counts toward red lines (:func:`step_back`).

    Returns:
        A :class:`SessionResult`; ``round`` and ``RoundRecord.round`` count from 1.

    """
    if rule not in DECISION_RULES:
        raise ValueError(f"rule must be one of {DECISION_RULES}, got {rule!r}")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    ideal = np.asarray(ideal, dtype=float)
    security = np.asarray(security, dtype=float)
    sovereignty = np.asarray(sovereignty, dtype=float)
    expertise = np.asarray(expertise, dtype=float)
    concession = np.asarray(concession, dtype=float)
    if sovereignty.shape == ideal.shape:
        _check_shapes(ideal, security, expertise, concession)
    else:
        _check_shapes(ideal, security, sovereignty, expertise, concession)
    m, k = ideal.shape
    if m == 0:
        return SessionResult(False, np.zeros(k), np.zeros(0, dtype=bool), 0, [])
    weights = np.ones(m) if influence is None else np.asarray(influence, dtype=float)
    if weights.shape != (m,) or weights.sum() <= 0:
        raise ValueError("influence must be (members,) non-negative with a positive sum")

    x0 = _status_quo(status_quo, ideal)
    base = _value(x0, ideal, security, sovereignty, params)
    best = best_text(ideal, security, sovereignty, params)
    # span from reservation to best; a member whose best falls short of its reservation
    # has span 0 and accepts only texts at or above the reservation (in practice none)
    span = np.maximum(
        _value(best, ideal, security, sovereignty, params) - base - params.reservation, 0.0
    )
    reach = concession_reach(expertise, params.caution)
    noise_sd = params.misjudgement * (1.0 - np.clip(expertise, 0.0, 1.0))

    # each member's Faratin exponent, inverted once for the whole session
    inverse_beta = 1.0 / np.maximum(concession, _MIN_BETA)
    anchor = _weighted_mean(best, weights)
    heard = np.ones(m)  # how much more the chair weighs a member for its past objections
    records: list[RoundRecord] = []
    text = anchor
    # red lines: each member's value of each item of the status quo, once per session
    lines = params.red_line < NO_RED_LINE
    base_items = _per_item(x0, ideal, security, sovereignty, params) if lines else None
    for t in range(1, rounds + 1):
        conceded = reach * _conceded(t / rounds, inverse_beta, params.initial_concession)
        offers = best + conceded[:, None] * (anchor - best)
        if t > 1 and params.accommodation > 0 and rule == "consensus":
            # a member that has objected holds out for its best text
            offers = np.where((heard > 1.0)[:, None], best, offers)
        text = _weighted_mean(offers, weights * heard)
        if mediator:
            w = params.mediation_weight
            text = (1.0 - w) * text + w * _median(offers)
        if floor is not None:
            text = np.maximum(text, floor)
        gain = _value(text, ideal, security, sovereignty, params) - base
        aspiration = 1.0 - conceded - noise_sd * rng.standard_normal(m)
        surplus = gain - params.reservation
        surplus = (
            surplus if forced is None else np.where(forced < 0, surplus, (forced - 0.5) * np.inf)
        )
        accepts = surplus >= aspiration * span
        if lines:
            gains = _per_item(text, ideal, security, sovereignty, params) - base_items
            if held is not None:
                gains = gains - step_back(text, held, security, params)
            within = within_red_lines(gains, params, forced)
            accepts &= within
        records.append(RoundRecord(t, text.copy(), accepts, gain))
        if rule == "consensus":
            # the chair gives the objectors' offers more weight in the next draft
            heard = np.where(accepts, heard, heard * (1.0 + params.accommodation))

        if rule == "consensus":
            adopted, signatories = bool(accepts.all()), np.ones(m, dtype=bool)
        elif rule == "qualified_majority":
            adopted, signatories = bool(accepts.mean() >= qualified_majority), accepts
        else:
            silent = surplus >= params.silence_bar * aspiration * span
            silent = silent & within if lines else silent
            adopted, signatories = bool(silent.all()), np.ones(m, dtype=bool)
        if adopted:
            return SessionResult(True, text, signatories.copy(), t, records)
        anchor = text
    return SessionResult(False, text, np.zeros(m, dtype=bool), rounds, records)


# ----------------------------------------------------------------------------- between sessions


def pre_negotiate(ideal: np.ndarray, weights: np.ndarray, rate: float | np.ndarray) -> np.ndarray:
    """Bilateral pre-negotiation through diplomatic missions between sessions.

    Each state's ideal points move by ``rate`` toward the weighted mean of its partners'
    (``weights[i, j]`` = trust x channel quality of i's mission with j; the diagonal is
    ignored). States with no channel keep their positions.

    Args:
        ideal: (n, K) ideal points.
        weights: (n, n) non-negative channel weights.
        rate: pull per call, a number or (n,) per state, clipped to [0, 1].

    Returns:
        New (n, K) ideal points (the input is not modified).

    """
    ideal = np.asarray(ideal, dtype=float)
    w = np.array(weights, dtype=float)
    np.fill_diagonal(w, 0.0)
    total = w.sum(axis=1)
    has = total > 0
    partners = np.where(has[:, None], w @ ideal / np.where(has, total, 1.0)[:, None], ideal)
    r = np.clip(np.asarray(rate, dtype=float), 0.0, 1.0)
    r = r[:, None] if r.ndim == 1 else r
    return ideal + r * (partners - ideal)


def lobby(ideal: np.ndarray, pull: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Companies lobby their home states: ``ideal[i]`` moves toward ``target`` by ``pull[i]``.

    Args:
        ideal: (n, K) ideal points.
        pull: (n,) pull per state (from its companies' accord membership), clipped to [0, 1].
        target: (K,) the accord's position (or (n, K), one per state).

    Returns:
        New (n, K) ideal points.

    """
    ideal = np.asarray(ideal, dtype=float)
    p = np.clip(np.asarray(pull, dtype=float), 0.0, 1.0)[:, None]
    return pull_toward(ideal, p, np.asarray(target, dtype=float))


def pull_toward(ideal: np.ndarray, share: np.ndarray, target: np.ndarray) -> np.ndarray:
    """:func:`lobby` on inputs already checked: float arrays, ``share`` (n, 1) in [0, 1].

    The world lobbies every week with the same pulls, so it prepares them once and skips
    the conversions and the clip.
    """
    return ideal + share * (target - ideal)
