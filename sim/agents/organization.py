"""International organisations: the UN open-ended working group, the OSCE, regional bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import mesa
import numpy as np

from sim.control import decide
from sim.mechanics import agenda, tracks, windows
from sim.mechanics.diplomacy import adopt, mediator_for, security_value
from sim.metrics import RECORD_DIGITS

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


def sovereignty_cost(m: CyberDiplomacyModel, members: np.ndarray, items: np.ndarray) -> np.ndarray:
    """(members, items) sovereignty concern per item: each state's concern, hardened by
    rivalry (:func:`sim.mechanics.windows.hardening`), times each item's constraint.
    """
    concern = m.world.sovereignty_concern[members] * windows.hardening(m)[members]
    return concern[:, None] * m.catalogue.constraint[items][None, :]


def negotiating_security(
    m: CyberDiplomacyModel, members: np.ndarray, items: np.ndarray
) -> np.ndarray:
    """(members, items) what members expect to gain from a text on each item
    (:func:`sim.mechanics.diplomacy.security_value`), less what a contested item costs a
    state that puts sovereignty first: ``contested_k * max(0, sigma_i - position_pivot)``
    per unit of commitment, so its value may fall below zero at any level.
    """
    value = security_value(m)[np.ix_(members, items)]
    contested = m.catalogue.contested[items]
    if not contested.any():
        return value
    pivot = m.config.states.position_pivot
    above = np.maximum(m.world.sovereignty_concern[members] - pivot, 0.0)
    return value - above[:, None] * contested[None, :]


class Stakes(NamedTuple):
    """What states bring to a text on some items, (states, items) each: their ideal points,
    what they expect to gain, their sovereignty cost and what binds them now.
    """

    ideal: np.ndarray
    security: np.ndarray
    sovereignty: np.ndarray
    status_quo: np.ndarray


def stakes(m: CyberDiplomacyModel, states: np.ndarray, items: np.ndarray) -> Stakes:
    """The :class:`Stakes` of ``states`` in a text on ``items``."""
    w = m.world
    block = np.ix_(states, items)
    return Stakes(
        w.ideal[block],
        negotiating_security(m, states, items),
        sovereignty_cost(m, states, items),
        w.adopted[block],
    )


def held_in_force(
    m: CyberDiplomacyModel, members: np.ndarray, items: np.ndarray
) -> np.ndarray | None:
    """(members, items) the commitment each member holds existing law already sets on each
    item: the item's ``in_force`` times ``1 - sovereignty concern``; a text below it is a
    step back (:func:`sim.mechanics.negotiation.step_back`). None when no item is in force.
    """
    if not m.catalogue.in_force[items].any():
        return None
    concern = m.world.sovereignty_concern[members]
    return (1.0 - concern)[:, None] * m.catalogue.in_force[items][None, :]


class InternationalOrganization(mesa.Agent):
    """A body that negotiates norm texts and may run confidence-building measures.

    Sessions come every ``cadence`` weeks, each of ``rounds`` rounds, under the body's
    decision rule (see :mod:`sim.mechanics.negotiation`). With a CBM programme (OSCE
    Decisions 1106 and 1202: contact points, consultations, hotlines) its members get
    extra attribution evidence through the channels, find wrong attributions sooner,
    de-escalate, and build trust slowly.
    """

    def __init__(
        self,
        model: CyberDiplomacyModel,
        name: str,
        kind: str,
        members: np.ndarray,
        decision_rule: str,
        cadence: int,
        rounds: int,
        first_session: int,
        cbm: bool,
        agenda: np.ndarray,
        last_session: int = 0,
        delegation_expertise: float = 0.0,
        chair_summary: bool = False,
    ) -> None:
        super().__init__(model)
        self.name = name
        self.kind = kind
        self.members = members  # state indices
        self.decision_rule = decision_rule
        self.cadence = cadence
        self.rounds = rounds
        self.first_session = first_session
        self.cbm = cbm
        self.agenda = agenda  # item indices
        self.last_week = last_session  # the mandate ends after this week (0: never)
        self.delegation_expertise = delegation_expertise  # experts seated (GGE), else 0
        self.chair_summary = chair_summary  # contested items go to a chair's summary
        self.sessions = 0
        # what each agreement binds: (item indices, commitment levels, signatory indices)
        self.treaties: list[tuple[np.ndarray, np.ndarray, set[int]]] = []
        self.last_session: dict | None = None  # round-by-round record, for the app
        self.history: list[dict] = []  # one summary per session, for the app's timeline
        self.outcome: str | None = None  # "report" or "failure" once the mandate ends
        self.active = True
        self.failed_in_row = 0
        self.opened_track = False
        self.chair: np.ndarray | None = None  # the coalition that opened this track
        self.last_review = 0
        # each state's utility of this body's last draft (NaN: none yet, or not a member)
        self.last_gain = np.full(model.world.n, np.nan)

    def session_due(self, step: int) -> bool:
        """True in the weeks a session is scheduled, within the mandate."""
        return (
            self.active
            and step >= self.first_session
            and (step - self.first_session) % self.cadence == 0
        )

    def mandate_over(self, step: int) -> bool:
        """True once the last week of a limited mandate has passed."""
        return self.active and self.last_week > 0 and step >= self.last_week

    def close(self) -> str:
        """End the mandate: a consensus report if any session agreed, else a failure."""
        self.active = False
        self.outcome = "report" if self.treaties else "failure"
        self.model.log(
            "mandate_ended",
            actors=[self.name],
            organization=self.name,
            outcome=self.outcome,
            sessions=self.sessions,
        )
        return self.outcome

    def open_agenda(self) -> np.ndarray:
        """The items taken up now (see :func:`sim.mechanics.agenda.open_items`): those whose
        required items are agreed and that some member has not yet adopted.
        """
        from sim.mechanics.agenda import open_items

        return open_items(self.model, self.agenda, self.members)

    def accessions(self) -> list[str]:
        """Members outside an earlier agreement join it once it is worth it to them.

        Positions move between sessions (pre-negotiation, lobbying, incidents), so a state
        that voted against a text may later find it better than what binds it now: it
        accedes when its utility of the text reaches its reservation, as treaties gain
        parties over the years (the Budapest Convention: 64 ratifications in 2019, about 70
        by 2023).
        """
        from sim.mechanics.negotiation import utility

        m = self.model
        w = m.world
        joined = []
        for norms, text, parties in self.treaties:
            outside = np.array([i for i in self.members if i not in parties], dtype=int)
            if len(outside) == 0:
                continue
            ideal, security, sovereignty, status_quo = stakes(m, outside, norms)
            u = utility(
                text, ideal, security, sovereignty, m.config.negotiation, status_quo=status_quo
            )
            new = outside[u >= m.config.negotiation.reservation]
            if len(new):
                adopt(m, new, norms, text)
                parties.update(int(i) for i in new)
                names = [w.names[i] for i in new]
                joined += names
                m.log(
                    "accession",
                    actors=[self.name, *names],
                    organization=self.name,
                    states=names,
                    norms=[m.catalogue.ids[k] for k in norms],
                )
        return joined

    def convene(self) -> dict:
        """Hold one negotiation session now; signatories adopt an agreed text.

        The session takes up the open items (:mod:`sim.mechanics.agenda`), drafts no lower
        than what is already agreed (the ratchet), weighs each member by its economy,
        reputation and the effort it puts into this body (:mod:`sim.mechanics.tracks`),
        and values items with the windows and hardening of :mod:`sim.mechanics.windows`.
        A failure names each objector and the item it objected to most.
        """
        self.accessions()
        ag = self.open_agenda()
        self.sessions += 1
        if not len(ag):
            record = self._record([], [], False, [], [])
            self._log_failure([], [], reason="nothing on the agenda can be taken up yet")
            return record
        record = self._negotiate(ag)
        if record["agreed"] or not self.chair_summary:
            return record
        # the chair moves what was objected to into a chair's summary; the rest is put to
        # the members, and if nothing new is left the report reaffirms what was agreed
        cat = self.model.catalogue
        moved = {o["item"] for o in record["objections"]}
        rest = np.array([k for k in ag if cat.ids[k] not in moved], dtype=int)
        self.history[-1]["summary"] = sorted(moved)
        self.model.log(
            "chair_summary",
            actors=[self.name],
            organization=self.name,
            items=sorted(moved),
            kept=[cat.ids[k] for k in rest],
        )
        if len(rest):
            record = self._negotiate(rest)
        return record if record["agreed"] else self._reaffirm(record)

    def _reaffirm(self, record: dict) -> dict:
        """A report that restates the levels earlier texts agreed on the body's items,
        adopted unless it crosses some member's red line (or a student objects).
        """
        from sim.mechanics.negotiation import item_gains, within_red_lines

        m = self.model
        w = m.world
        mem = self.members
        items = np.array([k for k in self.agenda if w.agreed[k] > 0], dtype=int)
        if not len(items):
            return record
        levels = w.agreed[items].copy()
        ideal, security, sovereignty, status_quo = stakes(m, mem, items)
        gains = item_gains(
            levels,
            ideal,
            security,
            sovereignty,
            m.config.negotiation,
            status_quo=status_quo,
            held=held_in_force(m, mem, items),
        )
        forced = decide(m, "votes", self.name, None, members=mem)
        if not within_red_lines(gains, m.config.negotiation, forced).all():
            return record
        ids = [m.catalogue.ids[k] for k in items]
        text = {i: round(float(x), RECORD_DIGITS) for i, x in zip(ids, levels, strict=True)}
        self.treaties.append((items, levels, set()))
        self.failed_in_row = 0
        record.update(agreed=True, reaffirmed=ids, text=text)
        self.history[-1].update(agreed=True, reaffirmed=ids)
        m.log(
            "agreement",
            actors=[self.name],
            organization=self.name,
            text=text,
            signatories=[],
            members=len(mem),
            rule=self.decision_rule,
            outcome="reaffirmation",
        )
        return record

    def _negotiate(self, ag: np.ndarray) -> dict:
        """One round of negotiation on the items ``ag``: run the session, record it, and
        adopt the text or log the failure (who objected to which item).
        """
        from sim.mechanics.negotiation import item_gains, run_session

        m = self.model
        w = m.world
        cat = m.catalogue
        mem = self.members
        cfg = m.config
        ideal, security, sovereignty, status_quo = stakes(m, mem, ag)
        held = held_in_force(m, mem, ag)
        mediator = mediator_for(m, mem)
        # a state publicly named for attacks carries less weight in the chair's draft
        influence = (
            np.sqrt(w.gdp[mem])
            * np.maximum(cfg.negotiation.reputation_floor, 1.0 + w.reputation[mem])
            * tracks.effort(m, self)
        )
        if self.chair is not None:
            influence = influence * np.where(
                np.isin(mem, self.chair), cfg.organizations.track_chair_weight, 1.0
            )
        result = run_session(
            decide(m, "positions", self.name, ideal, members=mem, agenda=ag),
            security,
            sovereignty,
            np.maximum(w.expertise[mem], self.delegation_expertise),
            w.concession[mem],
            rule=self.decision_rule,
            qualified_majority=cfg.organizations.qualified_majority,
            rounds=self.rounds,
            params=cfg.negotiation,
            rng=m.rng,
            mediator=mediator is not None,
            status_quo=status_quo,
            influence=influence,
            floor=agenda.floor(m, ag),
            forced=decide(m, "votes", self.name, None, members=mem),
            held=held,
        )
        item_ids = [cat.ids[k] for k in ag]
        names = [w.names[i] for i in mem]
        rounds = []
        for rec in result.rounds:
            row = {
                "round": int(rec.round),
                "text": {
                    nid: round(float(x), RECORD_DIGITS)
                    for nid, x in zip(item_ids, rec.text, strict=True)
                },
                "accept": [names[i] for i in np.nonzero(rec.accepts)[0]],
                "object": [names[i] for i in np.nonzero(~rec.accepts)[0]],
            }
            rounds.append(row)
            m.log("proposal", actors=[self.name], organization=self.name, **row)
        if result.rounds:
            self.last_gain[:] = np.nan
            self.last_gain[mem] = result.rounds[-1].utilities
        signatories = mem[result.signatories] if result.agreed else np.zeros(0, dtype=int)
        objections: list[dict] = []
        if not result.agreed and result.rounds:
            # each objector's worst item: where the last draft cost it most
            last = result.rounds[-1]
            gains = item_gains(
                last.text,
                ideal,
                security,
                sovereignty,
                cfg.negotiation,
                status_quo=status_quo,
                held=held,
            )
            for i in np.nonzero(~last.accepts)[0]:
                k = int(np.argmin(gains[i]))
                objections.append({"state": names[i], "item": item_ids[k]})
        record = self._record(
            rounds, [w.names[i] for i in signatories], bool(result.agreed), item_ids, objections
        )
        record["mediator"] = mediator.name if mediator is not None else None
        if result.agreed:
            self.failed_in_row = 0
            text = np.asarray(result.text)
            adopt(m, signatories, ag, text)
            agenda.record_agreement(m, ag, text)
            self.treaties.append((ag.copy(), text.copy(), {int(i) for i in signatories}))
            m.log(
                "agreement",
                actors=[self.name],
                organization=self.name,
                text=record["text"],
                signatories=record["signatories"],
                members=len(mem),
                rule=self.decision_rule,
                outcome="agreement",
            )
        else:
            self.failed_in_row += 1
            worst = _most_contested(objections)
            self._log_failure(
                rounds[-1]["object"] if rounds else [],
                objections,
                item=worst,
                item_title=cat.titles[cat.ids.index(worst)] if worst else None,
            )
            tracks.maybe_open(
                m, self, [int(mem[i]) for i in np.nonzero(~result.rounds[-1].accepts)[0]]
            )
        return record

    def _log_failure(self, objectors: list[str], objections: list[dict], **why: Any) -> None:
        """Log a failed session: who objected, and over which item (or another reason)."""
        self.model.log(
            "session_failed",
            actors=[self.name],
            organization=self.name,
            rule=self.decision_rule,
            members=len(self.members),
            outcome="failure",
            objectors=objectors,
            objections=objections,
            **why,
        )

    def _record(
        self,
        rounds: list[dict],
        signatories: list[str],
        agreed: bool,
        items: list[str],
        objections: list[dict],
    ) -> dict:
        """The session's record (the app shows it) and its line in the body's history."""
        m = self.model
        record = {
            "organization": self.name,
            "session": self.sessions,
            "step": m.steps,
            "rule": self.decision_rule,
            "mediator": None,
            "agreed": agreed,
            "rounds": rounds,
            "text": rounds[-1]["text"] if rounds else {},
            "signatories": signatories,
            "members": len(self.members),
            "items": items,
            "objections": objections,
        }
        self.last_session = record
        self.history.append(
            {
                "step": m.steps,
                "session": self.sessions,
                "agreed": agreed,
                "items": items,
                "objections": objections,
            }
        )
        return record


def _most_contested(objections: list[dict]) -> str | None:
    """The item most objectors objected to (the first listed among equals)."""
    counts: dict[str, int] = {}
    for o in objections:
        counts[o["item"]] = counts.get(o["item"], 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None
