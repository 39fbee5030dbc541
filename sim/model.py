"""The cyber diplomacy world: states, missions, organisations, companies, think tanks and
threat actors; incidents from operation to response; negotiation; enforcement; economy.

One step is one week; :meth:`CyberDiplomacyModel.step` reads as the order of events.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from sim.agents import (
    Company,
    DiplomaticMission,
    InternationalOrganization,
    State,
    ThinkTank,
    ThreatActor,
)
from sim.errors import UserError
from sim.mechanics import attribution, operations, response
from sim.mechanics.enforcement import Enforcement
from sim.mechanics.incidents import DAMAGE_WEIGHT, RESPONSE_INDEX, TYPE_INDEX, IncidentTable
from sim.mechanics.relations import Relations
from sim.metrics import METRICS
from sim.scenario import INCIDENT_TYPES, Scenario, load_scenario
from sim.world import ADOPTION_LEVEL, build_world, load_catalogue

PRE_NEGOTIATION_WEEKS = 4
COMPANY_INTEL_RATE = 0.12  # weekly evidence when sharing firms see all of a state's systems
NATIONAL_ANCHOR = 0.02  # weekly pull of a state's positions back to its initial interests


class CyberDiplomacyModel(mesa.Model):
    """The world model.

    Args:
        scenario: a built-in scenario name, a path to a TOML file, or a loaded Scenario.
        overrides: dotted keys to override, e.g. ``{"attribution.skill": 0.8}``.
        rng: seed or generator (Mesa convention); the only source of randomness.
        steps: horizon in weeks (default: the scenario's); ``running`` turns False there.
        **dotted: further overrides as keyword arguments with dotted names, so that
            ``mesa.batch_run(CyberDiplomacyModel, parameters={"attribution.skill": [..]})``
            works.

    """

    def __init__(
        self,
        scenario: str | Path | Scenario = "baseline",
        overrides: dict[str, Any] | None = None,
        rng: Any = None,
        steps: int | None = None,
        **dotted: Any,
    ) -> None:
        super().__init__(rng=rng)
        merged = {**(overrides or {}), **dotted}
        self.config: Scenario = load_scenario(scenario, merged)
        if self.config.scenario.kind != "world":
            raise UserError(
                self.config.source,
                "scenario.kind",
                "expected 'world' for the world model (use sim.run.simulate)",
            )
        self.horizon = steps if steps is not None else self.config.scenario.steps
        self.catalogue = load_catalogue(self.config.norms.catalogue, self.config.source)
        self.world = build_world(self.config, self.catalogue, self.rng)
        self.base_dwell_weeks = self.config.attribution.dwell_weeks
        self.incidents = IncidentTable()
        self.relations = Relations(self)
        self.enforcement = Enforcement(self)
        self.events: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.pending: list[tuple[str, dict[str, Any]]] = []  # interventions for next step
        self.retaliation_queue: list[tuple[int, int, int, int]] = []
        self.agreements_total = 0
        self.sessions_total = 0
        self.norm_opportunities = 0
        self.violations_total = 0
        self._cache: dict[str, Any] = {}
        n = self.world.n
        self.reputation = np.zeros(n)  # falls when publicly named; weighs in negotiation
        self.penalties = np.zeros(n)
        self.shared_intel = np.zeros(n)  # extra evidence per week, e.g. an intervention
        self.gdp_start = float(self.world.gdp.sum())
        self.ideal0 = self.world.ideal.copy()
        self._create_agents()
        self._adopt_initial_norms()
        self._check_scripted_events()
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.current[k]) for k in METRICS}
        )
        self.current: dict[str, float] = {}

    # ------------------------------------------------------------------ set-up

    def _create_agents(self) -> None:
        cfg = self.config
        w = self.world
        rng = self.rng
        n = w.n
        self.states = [State(self, i) for i in range(n)]

        # missions: rivals first, then allies, then the largest economies
        per = min(cfg.missions.per_state, n - 1)
        self.missions: list[DiplomaticMission] = []
        if per > 0:
            gdp_rank = np.argsort(-w.gdp)
            rank = np.empty(n)
            rank[gdp_rank] = np.arange(n)
            for i in range(n):
                priority = (w.rival[i] * 2.0 + w.ally[i] * 1.0) * n - rank
                priority[i] = -np.inf
                hosts = np.argsort(-priority, kind="stable")[:per]
                q = np.clip(rng.normal(cfg.missions.channel_quality, 0.1, per), 0.05, 1.0)
                for h, qq in zip(hosts, q, strict=True):
                    self.missions.append(DiplomaticMission(self, i, int(h), float(qq)))

        # companies: homes weighted by digital GDP; reach lower inside rival blocs
        cc = cfg.companies
        self.companies: list[Company] = []
        weights = w.gdp * w.digital_share
        for c in range(cc.count):
            home = int(rng.choice(n, p=weights / weights.sum()))
            rivals_of_home = w.rival[home] | (
                np.isin(
                    w.bloc,
                    [
                        b
                        for b in range(len(w.bloc_names))
                        if w.rival[np.ix_(w.bloc == w.bloc[home], w.bloc == b)].any()
                    ],
                )
            )
            reach = np.clip(
                cc.reach * rng.uniform(0.5, 1.5, n) * np.where(rivals_of_home, 0.3, 1.0), 0, 1
            )
            reach[home] = 0.9
            self.companies.append(
                Company(
                    self,
                    f"Company {c + 1}",
                    home,
                    reach,
                    float(np.clip(rng.normal(cc.telemetry_skill, 0.1), 0, 1)),
                    float(np.clip(rng.normal(cc.patch_speed, 0.1), 0, 1)),
                    bool(rng.random() < cc.accord_share),
                )
            )

        # think tanks: advise their home state and a few others, rivals included
        tc = cfg.think_tanks
        self.think_tanks: list[ThinkTank] = []
        for t in range(tc.count):
            home = int(rng.choice(n, p=w.gdp / w.gdp.sum()))
            others = rng.choice(
                np.delete(np.arange(n), home), size=min(tc.network_size, n - 1), replace=False
            )
            network = np.concatenate([[home], others]).astype(int)
            cap = float(np.clip(rng.normal(tc.capacity, 0.1), 0.05, 1))
            self.think_tanks.append(ThinkTank(self, f"Institute {t + 1}", home, cap, network))

        # threat actors: criminals in weakly governed havens, proxies near their sponsor
        ta = cfg.threat_actors
        self.threat_actors: list[ThreatActor] = []
        haven_w = (w.governance + 0.2) * (1.2 - w.resilience)
        sponsor_w = w.offense * w.rival.any(axis=1) + 1e-9
        for a in range(ta.count):
            cap = float(np.clip(rng.normal(ta.capability, 0.15), 0.05, 1))
            if rng.random() < ta.criminal_share:
                haven = int(rng.choice(n, p=haven_w / haven_w.sum()))
                self.threat_actors.append(ThreatActor(self, f"Crime group {a + 1}", haven, -1, cap))
            else:
                sponsor = int(rng.choice(n, p=sponsor_w / sponsor_w.sum()))
                cand = np.nonzero(~w.rival[sponsor] & (np.arange(n) != sponsor))[0]
                haven = int(rng.choice(cand)) if len(cand) else sponsor
                self.threat_actors.append(
                    ThreatActor(self, f"Proxy group {a + 1}", haven, sponsor, cap)
                )
        # threat actors' names indexed by their unique id, as incident records need them
        self.actor_names = [""] * (max((a.unique_id for a in self.threat_actors), default=-1) + 1)
        for a in self.threat_actors:
            self.actor_names[a.unique_id] = a.name
        self.has_proxy = np.zeros(n)
        self.proxy_of: dict[int, list[ThreatActor]] = {}
        for a in self.threat_actors:
            if not a.criminal:
                self.has_proxy[a.sponsor] = 1.0
                self.proxy_of.setdefault(a.sponsor, []).append(a)

        # organisations
        oc = cfg.organizations
        self.organizations: list[InternationalOrganization] = []
        for b in oc.bodies:
            members = self._members(b.members)
            agenda = np.array(
                [self.catalogue.ids.index(x) for x in b.agenda if x in self.catalogue.ids]
                or range(self.catalogue.size)
            )
            self.organizations.append(
                InternationalOrganization(
                    self,
                    b.name,
                    b.kind,
                    members,
                    b.decision_rule or oc.decision_rule,
                    b.cadence or oc.cadence,
                    b.rounds or oc.rounds,
                    b.first_session,
                    b.cbm,
                    agenda,
                )
            )

        self.operation_types = [t for t, v in cfg.operations.type_mix.items() if v > 0]
        weights = np.array([cfg.operations.type_mix[t] for t in self.operation_types])
        self.operation_weights = weights / weights.sum()

    def _members(self, spec: list[str]) -> np.ndarray:
        w = self.world
        if "all" in spec:
            return np.arange(w.n)
        out = set()
        for item in spec:
            if item in w.bloc_names:
                out |= set(np.nonzero(w.bloc == w.bloc_names.index(item))[0].tolist())
            elif item in w.names:
                out.add(w.names.index(item))
        return np.array(sorted(out), dtype=int)

    def _adopt_initial_norms(self) -> None:
        adopted = self.config.norms.adopted
        for nid, level in adopted.items():
            if nid not in self.catalogue.ids:
                raise UserError(
                    self.config.source,
                    f"norms.adopted.{nid}",
                    f"expected a norm id of the catalogue {self.catalogue.ids}",
                )
            self.world.adopted[:, self.catalogue.ids.index(nid)] = level

    # ------------------------------------------------------------------ the week

    def step(self) -> None:
        """One week, in order of events."""
        self.counts.clear()
        self.week_damage = np.zeros(self.world.n)
        self._apply_interventions()
        operations.replenish(self)
        operations.plan_operations(self)  # states decide to operate
        operations.crime(self)  # criminal groups strike
        self._escalate()  # retaliations answered
        attribution.detect(self)  # victims detect intrusions
        attribution.gather_evidence(self)  # evidence, attribution, responses
        attribution.close_stale(self)
        self._accord_uptake()  # companies join the tech accord
        for tt in self.think_tanks:  # capacity building, Track-2
            tt.step()
        self._between_sessions()  # lobbying and pre-negotiation
        for org in self.organizations:  # negotiation sessions
            if org.session_due(self.steps):
                self._session(org)
        self.relations.weekly_trust()
        self.relations.grow(self.week_damage)
        if self.steps % self.config.norms.generation == 0:
            self.enforcement.end_of_generation()
        self._collect()
        if self.steps >= self.horizon:
            self.running = False

    # ------------------------------------------------------------------ incidents

    def launch(
        self,
        initiators: np.ndarray,
        targets: np.ndarray,
        kinds: np.ndarray,
        severity: np.ndarray,
        violation: np.ndarray,
        actor: int = -1,
        haven: int = -1,
        retaliation_of: int = -1,
        scripted: bool = False,
    ) -> np.ndarray:
        """Record new operations; proxies and false flags decide where evidence points."""
        w = self.world
        rng = self.rng
        k = len(targets)
        apparent = np.where(initiators >= 0, initiators, haven).astype(int)
        actors = np.full(k, actor)
        false_flag = np.zeros(k, dtype=bool)
        if retaliation_of < 0 and not scripted:
            for j in range(k):
                a = int(initiators[j])
                if a < 0:
                    continue
                if a in self.proxy_of and rng.random() < self.config.attribution.proxy_share:
                    proxy = self.proxy_of[a][int(rng.integers(len(self.proxy_of[a])))]
                    actors[j] = proxy.unique_id
                    apparent[j] = proxy.haven
                elif rng.random() < self.config.attribution.false_flag_rate:
                    cand = np.nonzero(w.rival[targets[j]] & (np.arange(w.n) != a))[0]
                    if len(cand) == 0:
                        cand = np.setdiff1d(np.arange(w.n), [a, targets[j]])
                    if len(cand):
                        apparent[j] = int(rng.choice(cand))
                        false_flag[j] = True
        damage = self._damage(targets, kinds, severity)
        rows = self.incidents.add(
            k,
            step=self.steps,
            initiator=initiators,
            actor=actors,
            target=targets,
            apparent=apparent,
            kind=kinds,
            severity=severity,
            false_flag=false_flag,
            violation=violation,
            damage=damage,
            retaliation_of=retaliation_of,
        )
        np.add.at(self.week_damage, targets, damage)
        self.counts["incidents"] += k
        self.counts["crime_incidents"] += int((initiators < 0).sum())
        for r in rows[violation]:
            self.enforcement.violation_committed(
                int(self.incidents.initiator[r]), int(self.incidents.target[r])
            )
        self.violations_total += int(violation.sum())
        for c in self.companies:
            c.damage += float((damage * c.reach[targets]).sum())
        # the exposure a victim learns raises the value it puts on the norms breached
        for t, kd in zip(targets, kinds, strict=True):
            for nk in self.catalogue.violated_by.get(INCIDENT_TYPES[kd], []):
                w.exposure[t, nk] += 0.05
        return rows

    def _damage(self, targets: np.ndarray, kinds: np.ndarray, severity: np.ndarray) -> np.ndarray:

        w = self.world
        weight = np.array([DAMAGE_WEIGHT[INCIDENT_TYPES[k]] for k in kinds])
        exposure = w.gdp[targets] * 1000 * w.digital_share[targets] * (1.2 - w.resilience[targets])
        return self.config.economy.damage_scale * severity.astype(float) ** 2 * weight * exposure

    def respond(self, i: int) -> None:
        """The victim of incident i has reached its confidence threshold: it attributes."""
        inc = self.incidents
        inc.attributed_step[i] = self.steps
        inc.attributed_to[i] = inc.apparent[i]
        self.counts["incidents_attributed"] += 1
        if inc.initiator[i] >= 0 and inc.attributed_to[i] != inc.initiator[i]:
            self.counts["misattributions"] += 1
        self.counts["lag_sum"] += self.steps - int(inc.step[i])
        choice = response.choose_response(self, i)
        response.apply_response(self, i, choice)
        self.log_incident("attributed", i)

    def reveal(self, i: int) -> None:
        """The true culprit of incident i surfaces (a proxy or false flag seen through)."""
        inc = self.incidents
        wrong = int(inc.apparent[i])
        inc.apparent[i] = inc.initiator[i]
        if inc.attributed_step[i] >= 0:
            inc.revealed_step[i] = self.steps
            self.relations.change_trust(
                int(inc.target[i]), wrong, 0.5 * self.config.trust.incident_loss
            )
            self.log_incident("revealed", i, wrongly_accused=self.world.names[wrong])

    def retaliate(self, hitter: int, victim: int, severity: int, source: int) -> None:
        """Queue a cyber retaliation for next week (it may be answered in turn)."""
        self.counts["retaliations"] += 1
        self.relations.change_trust(hitter, victim, -self.config.trust.retaliation_loss)
        self.retaliation_queue.append((hitter, victim, severity, source))

    def _escalate(self) -> None:
        """Last week's retaliations land; their targets may hit back (escalation)."""
        queue, self.retaliation_queue = self.retaliation_queue, []
        inc = self.incidents
        for hitter, victim, severity, source in queue:
            rows = self.launch(
                np.array([hitter]),
                np.array([victim]),
                np.array([TYPE_INDEX["disruption"]]),
                np.array([max(2, min(severity, 5))]),
                np.array([False]),
                retaliation_of=source,
            )
            r = int(rows[0])
            inc.detected_step[r] = inc.attributed_step[r] = self.steps
            inc.attributed_to[r] = hitter
            inc.confidence[r] = inc.evidence[r] = 1.0
            inc.open[r] = False
            wrongly = int(inc.initiator[source]) != victim
            p = response.escalation_chance(self, hitter, victim, wrongly)
            depth = self._depth(source)
            self.log_incident("retaliation", r, wrongly=wrongly)
            if depth < 6 and self.rng.random() < p * (0.8**depth):
                self.counts["escalations"] += 1
                inc.response[r] = RESPONSE_INDEX["retaliation"]
                self.retaliate(victim, hitter, severity, r)
                self.log(
                    "escalation",
                    actors=[self.world.names[victim], self.world.names[hitter]],
                    attacker=self.world.names[victim],
                    target=self.world.names[hitter],
                    depth=depth + 1,
                )

    def _depth(self, i: int) -> int:
        d = 0
        src = self.incidents.retaliation_of
        while src[i] >= 0 and d < 50:
            i = int(src[i])
            d += 1
        return d

    def breach_commitment(self, initiators: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """Highest adopted commitment that operations of these kinds by these states breach."""
        out = np.zeros(len(initiators))
        ad = self.world.adopted
        for t_idx in np.unique(kinds):
            norms = self.catalogue.violated_by.get(INCIDENT_TYPES[t_idx], [])
            if not norms:
                continue
            sel = (kinds == t_idx) & (initiators >= 0)
            out[sel] = ad[np.ix_(initiators[sel], norms)].max(axis=1)
        return out

    # ------------------------------------------------------------------ derived quantities

    def telemetry(self) -> np.ndarray:
        """(n,) share of each state's systems watched by some company's telemetry."""
        # reach and skill never change, so this is derived once (it is read twice a week)
        if "telemetry" not in self._cache:
            if self.companies:
                reach = np.stack([c.reach * c.telemetry_skill for c in self.companies])
                self._cache["telemetry"] = 1.0 - np.prod(1.0 - reach, axis=0)
            else:
                self._cache["telemetry"] = np.zeros(self.world.n)
        return self._cache["telemetry"]

    def company_intel(self) -> np.ndarray:
        """(n,) weekly attribution evidence governments get from companies."""
        if not self.companies:
            return np.zeros(self.world.n)
        # intelligence from several firms overlaps: the share of a state's intrusions some
        # sharing firm sees, not a sum that grows without bound with the number of firms
        seen = np.stack([c.reach * c.telemetry_skill * c.sharing() for c in self.companies])
        return COMPANY_INTEL_RATE * (1.0 - np.prod(1.0 - seen, axis=0))

    def patch_pressure(self) -> float:
        """Share by which patching cuts the weekly persistence of held exploits."""
        if not self.companies:
            return 0.0
        return (
            0.02
            * float(np.mean([c.patch_speed * c.reach.mean() for c in self.companies]))
            * len(self.companies) ** 0.5
        )

    def evidence_rate(self) -> np.ndarray:
        """(n,) weekly attribution evidence: own skill, companies, allies' sharing."""
        cached = self._cache.get("evidence_rate")
        if cached is not None and cached[0] == self.steps:
            return cached[1]
        rate = self._evidence_rate()
        self._cache["evidence_rate"] = (self.steps, rate)
        return rate

    def _evidence_rate(self) -> np.ndarray:
        w = self.world
        a = self.config.attribution
        own = a.evidence_rate * w.attribution_skill
        ally = w.ally * w.trust
        allies = ally @ w.attribution_skill / np.maximum(ally.sum(1), 1.0)
        return own + a.ally_sharing * a.evidence_rate * 0.5 * allies + self.company_intel()

    def cbm_channel(self) -> np.ndarray:
        """(n, n) 1 where two states share a body with a CBM programme."""
        key = ("cbm", tuple(o.unique_id for o in self.organizations if o.cbm))
        cached = self._cache.get("cbm")
        if cached is not None and cached[0] == key:
            return cached[1]
        n = self.world.n
        out = np.zeros((n, n))
        for org in self.organizations:
            if org.cbm:
                out[np.ix_(org.members, org.members)] = 1.0
        np.fill_diagonal(out, 0.0)
        self._cache["cbm"] = (key, out)
        return out

    def mediator_for(self, members: np.ndarray) -> ThinkTank | None:
        """A think tank advising at least two of these states, if mediation is on."""
        if not self.config.think_tanks.mediation:
            return None
        best, count = None, 1
        for tt in self.think_tanks:
            c = int(np.isin(members, tt.network).sum())
            if c > count:
                best, count = tt, c
        return best

    def security_value(self) -> np.ndarray:
        """(n, K) what each state expects to gain if others are bound by each norm."""
        w = self.world
        base = self.catalogue.security[None, :] * (
            0.5 + w.digital_share[:, None] / max(w.digital_share.mean(), 1e-9) * 0.5
        )
        return base + np.minimum(w.exposure, 1.0)

    # ------------------------------------------------------------------ diplomacy

    def _between_sessions(self) -> None:
        """Accord companies lobby their home states; missions carry pre-negotiation."""
        w = self.world
        neg = self.config.negotiation
        if self.companies and self.config.companies.lobbying > 0:
            from sim.mechanics.negotiation import lobby

            # each accord member pulls its home state; pulls compound, never beyond the target
            each = self.config.companies.lobbying * self.config.companies.engagement
            members = np.bincount([c.home for c in self.companies if c.accord], minlength=w.n)
            pull = 1.0 - (1.0 - min(each, 1.0)) ** members
            if pull.any():
                target = np.clip(self.catalogue.security + 0.3, 0, 1)
                w.ideal = lobby(w.ideal, pull, target)
        # consultations are monthly: every PRE_NEGOTIATION_WEEKS weeks, at that many times the rate
        if (
            neg.pre_negotiation > 0
            and w.mission_quality.any()
            and self.steps % PRE_NEGOTIATION_WEEKS == 0
        ):
            from sim.mechanics.negotiation import pre_negotiate

            weights = w.trust * np.maximum(w.mission_quality, w.mission_quality.T)
            np.fill_diagonal(weights, 0.0)
            w.ideal = pre_negotiate(
                w.ideal, weights, min(1.0, neg.pre_negotiation * PRE_NEGOTIATION_WEEKS)
            )
        # positions stay anchored to national interest: the pulls above move them only so far
        w.ideal += NATIONAL_ANCHOR * (self.ideal0 - w.ideal)

    def _accord_uptake(self) -> None:
        """Companies outside the accord join, more readily as more of their peers are in."""
        rate = self.config.companies.accord_join_rate
        if rate <= 0 or not self.companies:
            return
        share = sum(c.accord for c in self.companies) / len(self.companies)
        for c in self.companies:
            if not c.accord and self.rng.random() < rate * (0.2 + share):
                c.accord = True
                self.log(
                    "accord_joined", actors=[c.name], company=c.name, home=self.world.names[c.home]
                )

    def market_factor(self) -> float:
        """How much the exploit market has grown since week 0 (1 = not at all)."""
        return (1.0 + self.config.operations.market_growth) ** (self.steps / 52.0)

    def _session(self, org: InternationalOrganization) -> dict:
        record = org.convene()
        self.sessions_total += 1
        if record["agreed"]:
            self.agreements_total += 1
        return record

    def adopt(self, signatories: np.ndarray, norms: np.ndarray, text: np.ndarray) -> None:
        """Signatories adopt the agreed commitments; co-signatories trust each other more."""
        w = self.world
        sub = w.adopted[np.ix_(signatories, norms)]
        w.adopted[np.ix_(signatories, norms)] = np.maximum(sub, text[None, :])
        gain = self.config.trust.agreement_gain
        block = np.ix_(signatories, signatories)
        w.trust[block] = np.minimum(1.0, w.trust[block] + gain * (1.0 - w.trust[block]))
        np.fill_diagonal(w.trust, 1.0)

    # ------------------------------------------------------------------ interventions

    def intervene(self, kind: str, **kwargs: Any) -> None:
        """Queue an instructor's intervention; it takes effect at the start of next step.

        kinds: ``attack`` (attacker, target, type, severity), ``convene`` (organization),
        ``share_intelligence`` (state, amount), ``hotline`` (a, b).
        """
        if kind not in ("attack", "convene", "share_intelligence", "hotline"):
            raise ValueError(f"unknown intervention {kind!r}")
        self.pending.append((kind, kwargs))

    def _check_scripted_events(self) -> None:
        names = set(self.world.names)
        orgs = {o.name for o in self.organizations}
        needs = {
            "attack": ("attacker", "target"),
            "hotline": ("a", "b"),
            "share_intelligence": ("state",),
            "convene": (),
        }
        for i, ev in enumerate(self.config.events):
            fields = needs[ev.kind] + (("framed",) if ev.kind == "attack" and ev.framed else ())
            for f in fields:
                if getattr(ev, f) not in names:
                    raise UserError(
                        self.config.source,
                        f"events.{i}.{f}",
                        f"expected a state name, got {getattr(ev, f)!r}",
                    )
            if ev.kind == "convene" and ev.organization and ev.organization not in orgs:
                raise UserError(
                    self.config.source,
                    f"events.{i}.organization",
                    f"expected one of {sorted(orgs)}, got {ev.organization!r}",
                )

    def _scripted_events(self) -> None:
        """Scripted events of this week are queued like an instructor's interventions."""
        for ev in self.config.events:
            if ev.week != self.steps:
                continue
            if ev.kind == "attack":
                extra = {"framed": ev.framed} if ev.framed else {}
                self.intervene(
                    "attack",
                    attacker=ev.attacker,
                    target=ev.target,
                    type=ev.type,
                    severity=ev.severity,
                    **extra,
                )
            elif ev.kind == "hotline":
                self.intervene("hotline", a=ev.a, b=ev.b)
            elif ev.kind == "convene":
                self.intervene("convene", organization=ev.organization)
            else:
                self.intervene("share_intelligence", state=ev.state, amount=ev.amount)

    def _apply_interventions(self) -> None:
        self._scripted_events()
        pending, self.pending = self.pending, []
        w = self.world
        for kind, kw in pending:
            if kind == "attack":
                a, t = w.index(kw["attacker"]), w.index(kw["target"])
                kd = TYPE_INDEX[kw.get("type", "disruption")]
                breach = self.breach_commitment(np.array([a]), np.array([kd]))
                rows = self.launch(
                    np.array([a]),
                    np.array([t]),
                    np.array([kd]),
                    np.array([int(kw.get("severity", 4))]),
                    breach > 0,
                    scripted=True,
                )
                if kw.get("framed"):
                    self.incidents.apparent[rows] = w.index(kw["framed"])
                    self.incidents.false_flag[rows] = True
            elif kind == "convene":
                org = next(
                    (o for o in self.organizations if o.name == kw.get("organization")),
                    self.organizations[0] if self.organizations else None,
                )
                if org is not None:
                    self._session(org)
            elif kind == "share_intelligence":
                s = w.index(kw["state"])
                self.shared_intel[s] += float(kw.get("amount", 0.3))
            elif kind == "hotline":
                a, b = w.index(kw["a"]), w.index(kw["b"])
                w.hotline[a, b] = w.hotline[b, a] = True
            self.log(
                "intervention",
                actors=["instructor"],
                intervention=kind,
                **{k: v for k, v in kw.items()},
            )

    # ------------------------------------------------------------------ records

    def log(self, kind: str, actors: list[str] | None = None, **fields: Any) -> None:
        """Append an event (one JSON object per line in events.jsonl)."""
        self.events.append({"step": self.steps, "kind": kind, "actors": actors or [], **fields})

    def log_incident(self, stage: str, i: int, **extra: Any) -> None:
        """Log a stage of an incident's lifecycle with its current state."""
        rec = self.incidents.record(i, self.world.names, self.actor_names)
        rec.pop("kind")
        rec["incident"] = rec.pop("id")
        rec["step"] = self.steps
        rec["operation_step"] = int(self.incidents.step[i])
        actors = [x for x in (rec["target"], rec["attributed_to"]) if x]
        self.log(stage, actors=actors, **rec, **extra)

    def incident_records(self) -> list[dict[str, Any]]:
        """Every incident in its final state, as the spec's event records."""
        return [
            self.incidents.record(i, self.world.names, self.actor_names)
            for i in range(len(self.incidents))
        ]

    def _collect(self) -> None:
        w = self.world
        c = self.counts
        n = w.n
        if "cross_bloc" not in self._cache:
            self._cache["cross_bloc"] = w.bloc[:, None] != w.bloc[None, :]
        cross = self._cache["cross_bloc"]
        self.norm_opportunities += c["norm_opportunities"]
        self.current = {
            "incidents": c["incidents"],
            "incidents_detected": c["incidents_detected"],
            "incidents_attributed": c["incidents_attributed"],
            "misattributions": c["misattributions"],
            "retaliations": c["retaliations"],
            "escalations": c["escalations"],
            "sanctions": c["sanctions"],
            "damage": float(self.week_damage.sum()),
            "gdp_index": float(w.gdp.sum() / self.gdp_start),
            "mean_trust": float((w.trust.sum() - n) / (n * n - n)) if n > 1 else 1.0,
            "trust_between_blocs": float(w.trust[cross].mean()) if cross.any() else float("nan"),
            "agreements": self.agreements_total,
            "norms_adopted_share": float((w.adopted >= ADOPTION_LEVEL).mean()),
            "compliance_rate": 1.0 - self.violations_total / max(self.norm_opportunities, 1)
            if self.norm_opportunities
            else 1.0,
            "violations": c["violations"],
            "punishments": c["punishments"],
            "mean_boldness": float(w.boldness.mean()),
            "mean_vengefulness": float(w.vengefulness.mean()),
            "crime_incidents": c["crime_incidents"],
            "public_attributions": c["public_attributions"],
            "joint_attributions": c["joint_attributions"],
            "demarches": c["demarches"],
            "sessions": self.sessions_total,
            "mean_expertise": float(w.expertise.mean()),
            "hotlines": int(np.triu(w.hotline, 1).sum()),
            "accord_members": sum(c.accord for c in self.companies),
            "attribution_lag": c["lag_sum"] / c["incidents_attributed"]
            if c["incidents_attributed"]
            else float("nan"),
        }
        self.datacollector.collect(self)
