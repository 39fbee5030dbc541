"""International organisations: the UN open-ended working group, the OSCE, regional bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.control import decide
from sim.mechanics.diplomacy import adopt, mediator_for, security_value
from sim.metrics import RECORD_DIGITS

if TYPE_CHECKING:
    from sim.model import CyberDiplomacyModel


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
        self.agenda = agenda  # norm indices
        self.sessions = 0
        # what each agreement binds: (norm indices, commitment levels, signatory indices)
        self.treaties: list[tuple[np.ndarray, np.ndarray, set[int]]] = []
        self.last_session: dict | None = None  # round-by-round record, for the app

    def session_due(self, step: int) -> bool:
        """True in the weeks a session is scheduled."""
        return step >= self.first_session and (step - self.first_session) % self.cadence == 0

    def open_agenda(self) -> np.ndarray:
        """The norms still open: those some member has not yet adopted.

        Once a text is agreed, later sessions take up what remains, so a gain on a few
        norms is not diluted by the many already settled.
        """
        from sim.world import ADOPTION_LEVEL

        settled = (
            self.model.world.adopted[np.ix_(self.members, self.agenda)] >= ADOPTION_LEVEL
        ).all(0)
        open_ = self.agenda[~settled]
        return open_ if len(open_) else self.agenda

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
            u = utility(
                text,
                w.ideal[np.ix_(outside, norms)],
                security_value(m)[np.ix_(outside, norms)],
                w.sovereignty_concern[outside] * m.catalogue.constraint[norms].mean(),
                m.config.negotiation,
                status_quo=w.adopted[np.ix_(outside, norms)],
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
        """Hold one negotiation session now; signatories adopt an agreed text."""
        from sim.mechanics.negotiation import run_session

        self.accessions()
        m = self.model
        w = m.world
        cat = m.catalogue
        mem = self.members
        ag = self.open_agenda()
        cfg = m.config
        security = security_value(m)[np.ix_(mem, ag)]
        mediator = mediator_for(m, mem)
        result = run_session(
            decide(m, "positions", self.name, w.ideal[np.ix_(mem, ag)], members=mem, agenda=ag),
            security,
            w.sovereignty_concern[mem] * cat.constraint[ag].mean(),
            w.expertise[mem],
            w.concession[mem],
            rule=self.decision_rule,
            qualified_majority=cfg.organizations.qualified_majority,
            rounds=self.rounds,
            params=cfg.negotiation,
            rng=m.rng,
            mediator=mediator is not None,
            status_quo=w.adopted[np.ix_(mem, ag)],
            forced=decide(m, "votes", self.name, None, members=mem),
            # a state publicly named for attacks carries less weight in the chair's draft
            influence=np.sqrt(w.gdp[mem])
            * np.maximum(cfg.negotiation.reputation_floor, 1.0 + w.reputation[mem]),
        )
        self.sessions += 1
        norm_ids = [cat.ids[k] for k in ag]
        names = [w.names[i] for i in mem]
        rounds = []
        for rec in result.rounds:
            row = {
                "round": int(rec.round),
                "text": {
                    nid: round(float(x), RECORD_DIGITS)
                    for nid, x in zip(norm_ids, rec.text, strict=True)
                },
                "accept": [names[i] for i in np.nonzero(rec.accepts)[0]],
                "object": [names[i] for i in np.nonzero(~rec.accepts)[0]],
            }
            rounds.append(row)
            m.log("proposal", actors=[self.name], organization=self.name, **row)
        signatories = mem[result.signatories] if result.agreed else np.zeros(0, dtype=int)
        record = {
            "organization": self.name,
            "session": self.sessions,
            "rule": self.decision_rule,
            "mediator": mediator.name if mediator is not None else None,
            "agreed": bool(result.agreed),
            "rounds": rounds,
            "text": rounds[-1]["text"] if rounds else {},
            "signatories": [w.names[i] for i in signatories],
            "members": len(mem),
        }
        self.last_session = record
        if result.agreed:
            adopt(m, signatories, ag, np.asarray(result.text))
            self.treaties.append(
                (ag.copy(), np.asarray(result.text).copy(), {int(i) for i in signatories})
            )
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
            m.log(
                "session_failed",
                actors=[self.name],
                organization=self.name,
                rule=self.decision_rule,
                members=len(mem),
                outcome="failure",
                objectors=rounds[-1]["object"] if rounds else [],
            )
        return record
