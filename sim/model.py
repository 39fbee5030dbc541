"""The cyber diplomacy world: states, missions, organisations, companies, think tanks and
threat actors; incidents from operation to response; negotiation; enforcement; economy.

This module is wiring: it builds the world and its agents from a scenario and runs the
week as four phases, each a list of mechanisms from :mod:`sim.mechanics`. One step is one
week.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import interventions
from sim.agents import (
    Company,
    DiplomaticMission,
    InternationalOrganization,
    State,
    ThinkTank,
    ThreatActor,
)
from sim.control import Controls
from sim.errors import UserError, excerpt
from sim.mechanics import attribution, diplomacy, operations, response, windows
from sim.mechanics.enforcement import Enforcement
from sim.mechanics.incidents import IncidentTable
from sim.mechanics.relations import Relations
from sim.metrics import METRICS, MetricsCollector, collect
from sim.scenario import Scenario, load_scenario
from sim.world import build_world, load_catalogue


class CyberDiplomacyModel(mesa.Model):
    """The world model.

    Args:
        scenario: a built-in scenario name, a path to a TOML file, or a loaded Scenario.
        overrides: dotted keys to override, e.g. ``{"states.attribution_skill": 0.8}``.
        rng: seed or generator (Mesa convention); the only source of randomness.
        steps: horizon in weeks (default: the scenario's); ``running`` turns False there.
        metrics: record only these metrics, week by week, in :attr:`series` (a sweep that
            needs a few); default: every metric of ``METRICS``, through Mesa's
            DataCollector (``model.datacollector``).
        record_events: keep the event log (``model.events``); a sweep does not need it.
        **dotted: further overrides as keyword arguments with dotted names, so that
            ``mesa.batch_run(CyberDiplomacyModel, parameters={"states.attribution_skill":
            [..]})`` works.

    """

    def __init__(
        self,
        scenario: str | Path | Scenario = "baseline",
        overrides: dict[str, Any] | None = None,
        rng: Any = None,
        steps: int | None = None,
        metrics: Sequence[str] | None = None,
        record_events: bool = True,
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
        self.world.awareness = self.config.negotiation.awareness_start
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
        self.gdp_start = float(self.world.gdp.sum())
        self.week_damage = np.zeros(self.world.n)
        self._create_agents()
        self._adopt_initial_norms()
        interventions.check_scripted(self)
        self.record_events = record_events
        self.controls: Controls | None = None  # human decisions (sim.control); none: agents
        self.current: dict[str, float] = {}
        # every metric through Mesa's DataCollector, or a lean record of the few asked for
        self.metric_names = list(METRICS) if metrics is None else list(metrics)
        unknown = [k for k in self.metric_names if k not in METRICS]
        if unknown:
            raise ValueError(f"unknown metrics {unknown} (expected names from sim.metrics)")
        self.series: list[list[float]] | None = None
        self.datacollector: mesa.DataCollector | None = None
        if metrics is None:
            self.datacollector = MetricsCollector()
        else:
            self.series = []

    # ------------------------------------------------------------------ the agents

    def _agents_of(self, kind: type) -> mesa.agent.AgentSet:
        found = self.agents_by_type.get(kind)
        return found if found is not None else mesa.agent.AgentSet([], random=self.random)

    @property
    def states(self) -> mesa.agent.AgentSet:
        """The governments, in the order of the world arrays."""
        return self._agents_of(State)

    @property
    def missions(self) -> mesa.agent.AgentSet:
        """Diplomatic missions."""
        return self._agents_of(DiplomaticMission)

    @property
    def companies(self) -> mesa.agent.AgentSet:
        """Companies."""
        return self._agents_of(Company)

    @property
    def think_tanks(self) -> mesa.agent.AgentSet:
        """Think tanks."""
        return self._agents_of(ThinkTank)

    @property
    def threat_actors(self) -> mesa.agent.AgentSet:
        """Criminal groups and proxies."""
        return self._agents_of(ThreatActor)

    @property
    def organizations(self) -> mesa.agent.AgentSet:
        """International organisations."""
        return self._agents_of(InternationalOrganization)

    def _create_agents(self) -> None:
        cfg = self.config
        w = self.world
        rng = self.rng
        n = w.n
        for i in range(n):
            State(self, i)

        # missions: rivals first, then allies, then the largest economies
        mc = cfg.missions
        per = min(mc.per_state, n - 1)
        if per > 0:
            gdp_rank = np.argsort(-w.gdp)
            rank = np.empty(n)
            rank[gdp_rank] = np.arange(n)
            for i in range(n):
                priority = (w.rival[i] * 2.0 + w.ally[i] * 1.0) * n - rank
                priority[i] = -np.inf
                hosts = np.argsort(-priority, kind="stable")[:per]
                # 0.05: every mission carries some channel, however poorly it is drawn
                q = np.clip(rng.normal(mc.channel_quality, mc.spread, per), 0.05, 1.0)
                for h, qq in zip(hosts, q, strict=True):
                    DiplomaticMission(self, i, int(h), float(qq))

        # companies: homes weighted by digital GDP; reach lower inside rival blocs
        cc = cfg.companies
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
            spread = rng.uniform(1.0 - cc.reach_spread, 1.0 + cc.reach_spread, n)
            reach = np.clip(cc.reach * spread * np.where(rivals_of_home, cc.rival_reach, 1.0), 0, 1)
            reach[home] = cc.home_reach
            Company(
                self,
                f"Company {c + 1}",
                home,
                reach,
                float(np.clip(rng.normal(cc.telemetry_skill, cc.spread), 0, 1)),
                float(np.clip(rng.normal(cc.patch_speed, cc.spread), 0, 1)),
                bool(rng.random() < cc.accord_share),
            )

        # think tanks: advise their home state and a few others, rivals included
        tc = cfg.think_tanks
        for t in range(tc.count):
            home = int(rng.choice(n, p=w.gdp / w.gdp.sum()))
            others = rng.choice(
                np.delete(np.arange(n), home), size=min(tc.network_size, n - 1), replace=False
            )
            network = np.concatenate([[home], others]).astype(int)
            cap = float(np.clip(rng.normal(tc.capacity, tc.spread), 0.05, 1))  # 0.05: see above
            ThinkTank(self, f"Institute {t + 1}", home, cap, network)

        # threat actors: criminals in weakly governed havens, proxies near their sponsor
        ta = cfg.threat_actors
        haven_w = (w.governance + ta.haven_governance) * (ta.haven_exposure - w.resilience)
        sponsor_w = w.offensive_capability * w.rival.any(axis=1) + 1e-9
        for a in range(ta.count):
            cap = float(np.clip(rng.normal(ta.capability, ta.spread), 0.05, 1))  # 0.05: see above
            if rng.random() < ta.criminal_share:
                haven = int(rng.choice(n, p=haven_w / haven_w.sum()))
                ThreatActor(self, f"Crime group {a + 1}", haven, -1, cap)
            else:
                sponsor = int(rng.choice(n, p=sponsor_w / sponsor_w.sum()))
                cand = np.nonzero(~w.rival[sponsor] & (np.arange(n) != sponsor))[0]
                haven = int(rng.choice(cand)) if len(cand) else sponsor
                proxy = ThreatActor(self, f"Proxy group {a + 1}", haven, sponsor, cap)
                w.add_proxy(sponsor, proxy.unique_id, haven)
        # threat actors' names indexed by their unique id, as incident records need them
        actors = self.threat_actors
        self.actor_names = [""] * (max((a.unique_id for a in actors), default=-1) + 1)
        for a in actors:
            self.actor_names[a.unique_id] = a.name

        # organisations
        oc = cfg.organizations
        for i, b in enumerate(oc.bodies):
            members = self._members(b.members)
            if not len(members):  # an empty list, an empty bloc, state_N beyond the count
                raise UserError(
                    cfg.source,
                    f"organizations.bodies.{i}.members",
                    f"expected at least one state of this world, got {excerpt(b.members)}",
                )
            agenda = np.array(
                [self.catalogue.ids.index(x) for x in b.agenda if x in self.catalogue.ids]
                or range(self.catalogue.size)
            )
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
                b.last_session,
                b.delegation_expertise,
                b.chair_summary,
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
        for nid, level in self.config.norms.adopted.items():
            if nid not in self.catalogue.ids:
                raise UserError(
                    self.config.source,
                    f"norms.adopted.{nid}",
                    f"expected a norm id of the catalogue {self.catalogue.ids}",
                )
            self.world.adopted[:, self.catalogue.ids.index(nid)] = level

    # ------------------------------------------------------------------ the week

    def step(self) -> None:
        """One week: operations, investigation, diplomacy, consequences."""
        self.counts.clear()
        self.week_damage = np.zeros(self.world.n)
        self._operations()
        self._investigation()
        self._diplomacy()
        self._consequences()
        self.norm_opportunities += self.counts["norm_opportunities"]
        if self.series is None:
            self.current = collect(self)
            self.datacollector.collect(self)
        else:
            self.current = collect(self, self.metric_names)
            self.series.append(list(self.current.values()))
        if self.steps >= self.horizon:
            self.running = False

    def _operations(self) -> None:
        """Interventions land; exploits decay and are found; states operate; criminals
        strike; last week's retaliations land and may be answered.
        """
        interventions.apply_pending(self)
        operations.replenish(self)
        operations.plan_operations(self)
        operations.crime(self)
        response.escalate(self)

    def _investigation(self) -> None:
        """Victims detect intrusions, gather evidence, attribute and respond."""
        attribution.detect(self)
        attribution.gather_evidence(self)
        attribution.close_stale(self)

    def _diplomacy(self) -> None:
        """Companies join the accord; think tanks train diplomats and hold Track-2
        dialogues; lobbying and pre-negotiation; sessions that fall due.
        """
        diplomacy.accord_uptake(self)
        self.think_tanks.do("step")
        diplomacy.between_sessions(self)
        diplomacy.sessions(self)

    def _consequences(self) -> None:
        """Trust moves, GDP grows and loses damage; at a generation's end boldness and
        vengefulness evolve.
        """
        windows.fade(self)
        self.relations.weekly_trust()
        self.relations.grow(self.week_damage)
        if self.steps % self.config.norms.generation == 0:
            self.enforcement.end_of_generation()

    # ------------------------------------------------------------------ instructor

    def intervene(self, kind: str, **fields: Any) -> None:
        """Queue an intervention (see :data:`sim.interventions.REGISTRY`) for next step."""
        interventions.queue(self, kind, **fields)

    # ------------------------------------------------------------------ records

    def timeseries(self) -> pd.DataFrame:
        """The recorded metrics, one row per week, with a leading ``step`` column."""
        if self.series is None:
            ts = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        else:
            ts = pd.DataFrame(self.series, columns=self.metric_names)
        ts.insert(0, "step", np.arange(1, len(ts) + 1))
        return ts

    def log(self, kind: str, actors: list[str] | None = None, **fields: Any) -> None:
        """Append an event (one JSON object per line in events.jsonl)."""
        if not self.record_events:
            return
        self.events.append({"step": self.steps, "kind": kind, "actors": actors or [], **fields})

    def log_incident(self, stage: str, i: int, **extra: Any) -> None:
        """Log a stage of an incident's lifecycle with its current state."""
        if not self.record_events:
            return
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
