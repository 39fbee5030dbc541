"""Scenario files (TOML) -> validated, typed objects, with dotted-key overrides.

A scenario is a tree of dataclasses. Every leaf has a default, a type and, where it
matters, a range or a set of choices, so a scenario file only states what differs from
the defaults and a typo is caught with one clear line::

    error: scenarios/baseline.toml: attribution.skil: unknown key (expected one of ...)

Overrides use the same dotted keys everywhere: ``--set states.attribution_skill=0.8`` on the
command line, ``[parameters]`` in experiment files, the app's sliders.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import re
import tomllib
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError, excerpt


def _scenario_dir() -> Path:
    """The folder of the built-in scenarios.

    Installed from a wheel they are inside the package (pyproject.toml maps scenarios/ to
    sim/scenarios/); in a checkout or an editable install, scenarios/ beside the package.
    """
    here = Path(__file__).resolve().parent
    installed = here / "scenarios"
    return installed if installed.is_dir() else here.parent / "scenarios"


SCENARIO_DIR = _scenario_dir()

# limits on what a file or an override may hold, so bad input gives one line, not a crash
MAX_FILE_BYTES = 1_000_000  # a scenario, catalogue or experiment file
MAX_DEPTH = 32  # tables and lists nested in a file
MAX_STRING = 100_000  # characters of one string or override value
MAX_ITEMS = 10_000  # entries of one list or table
NORMS_GAME_CELLS = 4_000_000  # chance events one generation of the classic game may draw
MAX_INT = 2**53  # integers beyond this are refused before any bound or float() is applied

DECISION_RULES = ("consensus", "qualified_majority", "silence")
# the kinds of intervention (handlers: sim.interventions.REGISTRY)
INTERVENTIONS = ("attack", "convene", "share_intelligence", "hotline")
# keys renamed so that one idea has one word; an old name gets a pointer to the new one
RENAMED = {
    "attribution.skill": "states.attribution_skill",
    "states.boldness_mean": "states.boldness",
    "states.vengefulness_mean": "states.vengefulness",
    "norms.punishment_cost": "norms.violator_gdp_loss",
    "norms.enforcement_cost": "norms.punisher_gdp_loss",
    "events.kind": "events.intervention",
}
INCIDENT_TYPES = (
    "espionage",
    "disruption",
    "influence",
    "supply_chain",
    "critical_infrastructure",
    "cert",
    "crime",
)


def opt(
    default: Any,
    help: str,
    *,
    unit: str = "",
    source: str = "assumption",
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A scenario key with its meaning, unit, bounds and source ("assumption" if none).

    Every numeric key states a unit and both bounds, so that `run.py scenarios --keys`,
    sweeps and calibrations know what a key means and how far it may move.
    """
    meta = {
        "help": help,
        "unit": unit,
        "source": source,
        "min": min,
        "max": max,
        "choices": choices,
    }
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def sub(cls: type) -> Any:
    """A nested section."""
    return field(default_factory=cls, metadata={"help": cls.__doc__ or ""})


# sources cited by many keys
DCID = "Valeriano & Maness, DCID 2.0 (2020)"
MTRENDS = "Mandiant M-Trends 2019 (median dwell 56 days)"
AXELROD86 = "Axelrod (1986) APSR 80:1095"
EDWARDS = "Edwards, Furnas, Forrest & Axelrod (2017) PNAS 114:2825"
FARATIN = "Faratin, Sierra & Jennings (1998) RAS 24:159"
AXELROD_ILIEV = "Axelrod & Iliev (2014) PNAS 111:1298"
GALAN = "Galán & Izquierdo (2005) JASSS 8(3)2"
CALIBRATE = "written by run.py calibrate"
P, SHARE, IDX, PER_WEEK = "probability", "share", "index 0..1", "per week"
TRUST, MULT = "trust (0..1)", "multiplier"


# ----------------------------------------------------------------------------- sections


@dataclass
class Meta:
    """[scenario]: what this scenario is and where its numbers come from."""

    name: str = opt("", "short name, as used on the command line")
    description: str = opt("", "one line: the question the scenario asks")
    narrative: str = opt("", "a paragraph telling the story for a class")
    teaching_note: str = opt("", "what to watch for and what to ask the class")
    sources: list[str] = opt([], "where the numbers come from")
    steps: int = opt(520, "default number of weeks to run", unit="weeks", min=1, max=100_000)
    kind: str = opt(
        "world", "world model or Axelrod's classic norms game", choices=("world", "norms_game")
    )
    start_year: int = opt(
        2015, "calendar year of week 1, for narration", unit="year", min=1900, max=2200
    )
    base: str = opt(
        "",
        "a scenario this one builds on: its tables are merged under this file's, states.list "
        "entries by name (other lists are replaced)",
    )


@dataclass
class StateSpec:
    """One state listed by name in [[states.list]]; unset numbers are drawn as usual."""

    name: str = opt("", "the state's name")
    bloc: str = opt("", "its bloc (one of states.blocs; '' = the last bloc)")
    gdp: float = opt(-1.0, "GDP (-1: drawn)", unit="trillion USD", min=-1.0, max=1000.0)
    digital_share: float = opt(
        -1.0, "digital share of GDP (-1: drawn)", unit=SHARE, min=-1.0, max=1.0
    )
    offensive_capability: float = opt(
        -1.0, "offensive cyber capability (-1: drawn)", unit=IDX, min=-1.0, max=1.0
    )
    resilience: float = opt(-1.0, "defensive resilience (-1: drawn)", unit=IDX, min=-1.0, max=1.0)
    attribution_skill: float = opt(
        -1.0, "attribution skill (-1: drawn)", unit=IDX, min=-1.0, max=1.0
    )
    expertise: float = opt(
        -1.0, "diplomats' technical expertise (-1: drawn)", unit=IDX, min=-1.0, max=1.0
    )
    sovereignty_concern: float = opt(
        -1.0, "sovereignty concern (-1: drawn)", unit=IDX, min=-1.0, max=1.0
    )
    governance: float = opt(
        -1.0,
        "0 open multistakeholder .. 1 sovereign control (-1: bloc's)",
        unit=IDX,
        min=-1.0,
        max=1.0,
    )
    boldness: float = opt(-1.0, "Axelrod boldness (-1: drawn)", unit=P, min=-1.0, max=1.0)
    vengefulness: float = opt(-1.0, "Axelrod vengefulness (-1: drawn)", unit=P, min=-1.0, max=1.0)
    activity: float = opt(
        1.0, "relative rate of operations it initiates", unit=MULT, min=0.0, max=100.0
    )
    salience: float = opt(
        1.0, "relative weight its rivals give it as a target", unit=MULT, min=0.0, max=100.0
    )
    rivals: list[str] = opt([], "names of its rivals (in addition to bloc rivalries)")


@dataclass
class States:
    """[states]: the governments, generated from distributions and/or listed."""

    count: int = opt(
        12, "number of states (listed states count towards it)", unit="states", min=2, max=2000
    )
    blocs: list[str] = opt(["West", "East", "NonAligned"], "bloc names")
    nonaligned: list[str] = opt(
        ["NonAligned"], "blocs whose members are nobody's allies (a bloc's role, by name)"
    )
    bloc_shares: list[float] = opt([0.35, 0.25, 0.40], "share of generated states in each bloc")
    bloc_governance: list[float] = opt(
        [0.15, 0.9, 0.5], "governance position of each bloc (0 open, 1 sovereign)"
    )
    rival_blocs: list[str] = opt(["West:East"], "pairs of rival blocs, written 'A:B'")
    rivals_per_state: float = opt(
        2.0,
        "mean number of rivals a state of the larger bloc has in the rival bloc",
        unit="states",
        min=0.0,
        max=100.0,
    )
    sovereignty_concern: float = opt(0.5, "mean sovereignty concern", unit=IDX, min=0.0, max=1.0)
    governance_sovereignty: float = opt(
        0.6,
        "rise of sovereignty concern per unit of governance above 0.5",
        unit=MULT,
        min=0.0,
        max=2.0,
    )
    gdp_mean: float = opt(1.0, "mean GDP (lognormal)", unit="trillion USD", min=0.001, max=100.0)
    gdp_sigma: float = opt(1.0, "log-sd of GDP", unit="log trillion USD", min=0.0, max=3.0)
    digital_share: float = opt(0.15, "mean digital share of GDP", unit=SHARE, min=0.0, max=1.0)
    offensive_capability: float = opt(0.5, "mean offensive capability", unit=IDX, min=0.0, max=1.0)
    resilience: float = opt(0.5, "mean defensive resilience", unit=IDX, min=0.0, max=1.0)
    attribution_skill: float = opt(0.5, "mean attribution skill", unit=IDX, min=0.0, max=1.0)
    expertise: float = opt(0.5, "mean technical expertise of diplomats", unit=IDX, min=0.0, max=1.0)
    boldness: float = opt(0.5, "mean Axelrod boldness", unit=P, source=AXELROD86, min=0.0, max=1.0)
    vengefulness: float = opt(
        0.5, "mean Axelrod vengefulness", unit=P, source=AXELROD86, min=0.0, max=1.0
    )
    heterogeneity: float = opt(
        0.15, "sd of per-state draws around the means", unit=IDX, min=0.0, max=0.5
    )
    concession_min: float = opt(
        0.3,
        "smallest concession exponent (<1 Boulware)",
        unit="exponent",
        source=FARATIN,
        min=0.01,
        max=100.0,
    )
    concession_max: float = opt(
        3.0,
        "largest concession exponent (>1 Conceder)",
        unit="exponent",
        source=FARATIN,
        min=0.01,
        max=100.0,
    )
    position_base: float = opt(
        0.25,
        "ideal commitment to a norm before security and sovereignty",
        unit="commitment",
        min=0.0,
        max=1.0,
    )
    position_security: float = opt(
        0.5,
        "ideal commitment per unit of a norm's security value (digital economies more)",
        unit="commitment",
        min=0.0,
        max=2.0,
    )
    position_sovereignty: float = opt(
        0.8,
        "ideal commitment lost per unit of sovereignty concern x norm constraint",
        unit="commitment",
        min=0.0,
        max=2.0,
    )
    position_pivot: float = opt(
        0.4,
        "sovereignty concern at which a norm's constraint neither raises nor lowers the ideal",
        unit=IDX,
        min=0.0,
        max=1.0,
    )
    list: list[StateSpec] = opt([], "states listed one by one")


@dataclass
class Attribution:
    """[attribution]: detection, evidence, proxies and false flags, attribution."""

    threshold: float = opt(
        0.7, "confidence a victim needs to attribute", unit="confidence", min=0.0, max=1.0
    )
    evidence_rate: float = opt(
        0.08,
        "evidence per week from the victim's own skill at skill 1",
        unit="evidence per week",
        min=0.0,
        max=5.0,
    )
    ally_sharing: float = opt(
        0.25,
        "evidence a victim gets from allies as a share of its own evidence rate, at the "
        "allies' mean skill",
        unit=MULT,
        min=0.0,
        max=5.0,
    )
    false_flag_rate: float = opt(
        0.03, "chance an operation plants evidence against a third state", unit=P, min=0.0, max=1.0
    )
    proxy_share: float = opt(
        0.15, "chance an operation is run through a proxy", unit=P, min=0.0, max=1.0
    )
    dwell_weeks: float = opt(
        8.0,
        "median weeks an intrusion goes unseen at resilience 0.6 with no company telemetry",
        unit="weeks",
        source=MTRENDS,
        min=0.1,
        max=520.0,
    )
    dwell_trend: float = opt(
        0.0,
        "yearly share by which dwell times shrink (416 days in 2011 to 10 in 2023 is about 0.27)",
        unit="share per year",
        source="Mandiant M-Trends 2012-2024",
        min=0.0,
        max=0.9,
    )
    dwell_resilience: float = opt(
        1.6,
        "dwell time scales with (this - resilience): 1 at resilience 0.6",
        unit=MULT,
        min=1.0,
        max=5.0,
    )
    telemetry_detection: float = opt(
        1.5,
        "dwell time divides by (1 + this x share of systems under company telemetry)",
        unit=MULT,
        min=0.0,
        max=20.0,
    )
    truth_discovery: float = opt(
        0.16,
        "chance per unit of new evidence that the true culprit surfaces, before consultations",
        unit="probability per evidence",
        min=0.0,
        max=10.0,
    )
    reveal_window: int = opt(
        104,
        "weeks after an attribution during which a wrong one may still be found out",
        unit="weeks",
        min=0,
        max=1040,
    )
    close_after: int = opt(
        260,
        "weeks after which an incident nobody has attributed is closed",
        unit="weeks",
        min=1,
        max=5200,
    )
    company_intel: float = opt(
        0.12,
        "weekly evidence when sharing firms see all of a state's systems",
        unit="evidence per week",
        min=0.0,
        max=5.0,
    )
    attacker_horizon: int = opt(
        26,
        "weeks within which an attacker reckons it may be attributed",
        unit="weeks",
        min=1,
        max=520,
    )


@dataclass
class Operations:
    """[operations]: when states use their exploits (Axelrod & Iliev 2014)."""

    opportunity_rate: float = opt(
        0.05, "chance per rival dyad per week that stakes arise", unit=P, min=0.0, max=1.0
    )
    nonrival_rate: float = opt(
        0.02,
        "chance per state per week that stakes arise against some state that is not its rival",
        unit=P,
        min=0.0,
        max=1.0,
    )
    stakes_alpha: float = opt(
        1.0, "stakes ~ Beta(alpha, beta)", unit="shape", source=AXELROD_ILIEV, min=0.01, max=100.0
    )
    stakes_beta: float = opt(
        2.0, "stakes ~ Beta(alpha, beta)", unit="shape", source=AXELROD_ILIEV, min=0.01, max=100.0
    )
    discount: float = opt(
        0.98, "weekly discount factor w", unit="per week", source=AXELROD_ILIEV, min=0.0, max=0.9999
    )
    stealth: float = opt(
        0.6,
        "chance an exploit stays usable after use (S)",
        unit=P,
        source=AXELROD_ILIEV,
        min=0.0,
        max=1.0,
    )
    persistence: float = opt(
        0.95,
        "chance a held exploit stays usable each week (P)",
        unit=P,
        source=AXELROD_ILIEV,
        min=0.0,
        max=1.0,
    )
    exploit_discovery: float = opt(
        0.3, "new exploits per week at capability 1", unit="exploits per week", min=0.0, max=10.0
    )
    max_stockpile: int = opt(6, "largest exploit stockpile", unit="exploits", min=1, max=1000)
    capability_floor: float = opt(
        0.05,
        "offensive capability below which a state starts with no exploits",
        unit=IDX,
        min=0.0,
        max=1.0,
    )
    market_growth: float = opt(
        0.0,
        "yearly growth of the exploit market: held exploits leak "
        "(persistence falls) and new ones come faster by this share",
        unit="share per year",
        min=0.0,
        max=1.0,
    )
    market_leak: float = opt(
        0.1,
        "persistence divides by the market's growth factor to this power",
        unit="exponent",
        min=0.0,
        max=1.0,
    )
    exposure_growth: float = opt(
        0.0,
        "yearly growth of what rivals have online to be hit: the chance per dyad per week "
        "that stakes arise grows by this share a year (Internet users grew about 10% a year, "
        "1.0 billion in 2005 to 4.1 billion in 2019)",
        unit="share per year",
        source="ITU, Measuring digital development: Facts and Figures (2005-2019)",
        min=0.0,
        max=1.0,
    )
    patch_effect: float = opt(
        0.02,
        "weekly persistence cut by one company patching every system at full speed",
        unit="share per week",
        min=0.0,
        max=1.0,
    )
    deterrence_weight: float = opt(
        1.0, "weight of expected punishment in the stakes", unit=MULT, min=0.0, max=10.0
    )
    deterrence_horizon: int = opt(
        52,
        "weeks over which an attacker reckons its chance of detection",
        unit="weeks",
        min=1,
        max=520,
    )
    punishment_scale: float = opt(
        0.15, "expected punishment at full vengefulness", unit="stakes", min=0.0, max=10.0
    )
    ally_punishment: float = opt(
        0.5,
        "weight of the victim's allies' vengefulness in expected punishment",
        unit=MULT,
        min=0.0,
        max=5.0,
    )
    type_mix: dict[str, float] = opt(
        {
            "espionage": 0.55,
            "disruption": 0.18,
            "influence": 0.1,
            "supply_chain": 0.07,
            "critical_infrastructure": 0.06,
            "cert": 0.04,
        },
        "relative weight of each operation type",
        unit="weight",
        source=DCID,
        min=0.0,
        max=100.0,
    )


@dataclass
class Incidents:
    """[incidents]: the severity range and damage of each incident type."""

    severity_low: dict[str, int] = opt(
        {
            "espionage": 1,
            "disruption": 2,
            "influence": 2,
            "supply_chain": 3,
            "critical_infrastructure": 4,
            "cert": 3,
            "crime": 1,
        },
        "lowest DCID severity of each type",
        unit="severity",
        source=DCID,
        min=1,
        max=10,
    )
    severity_high: dict[str, int] = opt(
        {
            "espionage": 3,
            "disruption": 4,
            "influence": 3,
            "supply_chain": 5,
            "critical_infrastructure": 6,
            "cert": 4,
            "crime": 4,
        },
        "highest DCID severity of each type",
        unit="severity",
        source=DCID,
        min=1,
        max=10,
    )
    damage_weight: dict[str, float] = opt(
        {
            "espionage": 0.4,
            "disruption": 1.0,
            "influence": 0.3,
            "supply_chain": 1.5,
            "critical_infrastructure": 3.0,
            "cert": 1.0,
            "crime": 0.6,
        },
        "damage per severity point relative to a disruption",
        unit=MULT,
        min=0.0,
        max=100.0,
    )
    reference_severity: float = opt(
        5.0,
        "severity at which resolve and trust losses take their full value",
        unit="severity",
        source=DCID,
        min=1.0,
        max=10.0,
    )


@dataclass
class Response:
    """[response]: the ladder from tolerating to retaliation, and escalation (Edwards 2017)."""

    demarche_resolve: float = opt(
        0.15,
        "resolve needed for a private demarche",
        unit="resolve",
        source=EDWARDS,
        min=0.0,
        max=10.0,
    )
    public_resolve: float = opt(
        0.3,
        "resolve needed for public attribution",
        unit="resolve",
        source=EDWARDS,
        min=0.0,
        max=10.0,
    )
    sanction_resolve: float = opt(
        0.6, "resolve needed for sanctions", unit="resolve", source=EDWARDS, min=0.0, max=10.0
    )
    retaliation_resolve: float = opt(
        0.75,
        "resolve needed for cyber retaliation",
        unit="resolve",
        source=EDWARDS,
        min=0.0,
        max=10.0,
    )
    retaliation_confidence: float = opt(
        0.7, "confidence needed to retaliate", unit="confidence", source=EDWARDS, min=0.0, max=1.0
    )
    retaliation_capability: float = opt(
        0.2, "offensive capability a victim needs to retaliate", unit=IDX, min=0.0, max=1.0
    )
    joint_confidence: float = opt(
        0.75,
        "confidence needed to attribute jointly with allies",
        unit="confidence",
        min=0.0,
        max=1.0,
    )
    joint_trust: float = opt(
        0.6, "trust an ally needs to join a joint attribution", unit=TRUST, min=0.0, max=1.0
    )
    norm_breach_resolve: float = opt(
        1.5,
        "resolve multiplier when the operation breached an adopted norm",
        unit=MULT,
        min=1.0,
        max=10.0,
    )
    resilience_shield: float = opt(
        0.8,
        "share of vulnerability full resilience removes",
        unit=SHARE,
        source=EDWARDS,
        min=0.0,
        max=1.0,
    )
    vulnerability_floor: float = opt(
        0.02,
        "vulnerability of a state with nothing digital",
        unit="vulnerability",
        min=0.001,
        max=1.0,
    )
    ratio_min: float = opt(
        0.4,
        "lowest accused/victim vulnerability ratio resolve counts",
        unit="ratio",
        source=EDWARDS,
        min=0.01,
        max=1.0,
    )
    ratio_max: float = opt(
        2.5,
        "highest accused/victim vulnerability ratio resolve counts",
        unit="ratio",
        source=EDWARDS,
        min=1.0,
        max=100.0,
    )
    counter_retaliation: float = opt(
        0.6, "scale of the chance a target hits back", unit=P, min=0.0, max=1.0
    )
    wrongly_accused_anger: float = opt(
        1.5,
        "escalation chance multiplier when the retaliation hit the wrong state",
        unit=MULT,
        min=1.0,
        max=10.0,
    )
    hotline_deescalation: float = opt(
        0.7, "share of escalations a hotline or mediation stops", unit=SHARE, min=0.0, max=1.0
    )
    mediator_calm: float = opt(
        0.5,
        "calming effect of a think-tank mediator relative to a hotline",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    escalation_decay: float = opt(
        0.8,
        "escalation chance multiplier per earlier step of the chain",
        unit=MULT,
        min=0.0,
        max=1.0,
    )
    max_escalation_depth: int = opt(
        6, "longest chain of retaliations", unit="retaliations", min=0, max=50
    )
    retaliation_severity_min: int = opt(
        2, "lowest severity of a retaliation", unit="severity", source=DCID, min=1, max=10
    )
    retaliation_severity_max: int = opt(
        5, "highest severity of a retaliation", unit="severity", source=DCID, min=1, max=10
    )
    sanction_cost: float = opt(
        0.002,
        "share of GDP a sanction costs the sanctioned",
        unit="GDP share per week",
        min=0.0,
        max=0.1,
    )
    sanction_weeks: int = opt(26, "weeks a sanction lasts", unit="weeks", min=1, max=1040)
    reputation_loss: float = opt(
        0.01,
        "reputation the accused loses per severity point of a public attribution",
        unit="reputation per severity",
        min=0.0,
        max=1.0,
    )


@dataclass
class Companies:
    """[companies]: vendors, security firms and operators."""

    count: int = opt(6, "number of companies", unit="companies", min=0, max=500)
    engagement: float = opt(
        0.5, "private-sector engagement: sharing intelligence, reports", unit=IDX, min=0.0, max=1.0
    )
    reach: float = opt(
        0.35,
        "mean share of a foreign state's systems a company sees",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    reach_spread: float = opt(
        0.5,
        "a company's reach in a state is drawn uniformly within +/- this share of the mean",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    home_reach: float = opt(
        0.9, "share of its home state's systems a company sees", unit=SHARE, min=0.0, max=1.0
    )
    rival_reach: float = opt(
        0.3, "reach multiplier in states of blocs rival to its home", unit=MULT, min=0.0, max=1.0
    )
    telemetry_skill: float = opt(0.6, "mean threat-intelligence skill", unit=IDX, min=0.0, max=1.0)
    patch_speed: float = opt(
        0.3, "mean patch speed (cuts exploit persistence)", unit=IDX, min=0.0, max=1.0
    )
    spread: float = opt(
        0.1, "sd of companies' skill and patch speed around the means", unit=IDX, min=0.0, max=0.5
    )
    foreign_sharing: float = opt(
        0.25,
        "share of its engagement a non-accord company shows governments of other blocs",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    accord_share: float = opt(
        0.3, "share of companies in a tech accord at the start", unit=SHARE, min=0.0, max=1.0
    )
    lobbying: float = opt(
        0.02,
        "weekly pull of an accord member on its home state's positions",
        unit=PER_WEEK,
        min=0.0,
        max=1.0,
    )
    accord_ambition: float = opt(
        0.3,
        "how far the accord's position exceeds each norm's security value",
        unit="commitment",
        min=0.0,
        max=1.0,
    )
    accord_join_rate: float = opt(
        0.0,
        "weekly chance a company outside the accord joins, times (base + share already in it)",
        unit=P,
        source="Cybersecurity Tech Accord membership 2018-2022",
        min=0.0,
        max=1.0,
    )
    accord_join_base: float = opt(
        0.2,
        "pull of the accord when none of a company's peers are in it",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )


@dataclass
class ThinkTanks:
    """[think_tanks]: research institutes, Track-2 and mediation."""

    count: int = opt(4, "number of think tanks", unit="think tanks", min=0, max=500)
    capacity: float = opt(0.5, "mean research capacity", unit=IDX, min=0.0, max=1.0)
    spread: float = opt(
        0.1, "sd of think tanks' capacity around the mean", unit=IDX, min=0.0, max=0.5
    )
    network_size: int = opt(4, "states each think tank advises", unit="states", min=1, max=2000)
    training_rate: float = opt(
        0.004,
        "weekly share of the expertise gap closed at capacity 1",
        unit=PER_WEEK,
        min=0.0,
        max=1.0,
    )
    track2_rate: float = opt(
        0.08, "chance per week of a Track-2 dialogue", unit=P, min=0.0, max=1.0
    )
    mediation: bool = opt(True, "think tanks may draft compromise texts as mediators")


@dataclass
class Missions:
    """[missions]: embassies carrying bilateral consultations."""

    per_state: int = opt(
        20, "missions each state keeps abroad (0 removes all)", unit="missions", min=0, max=2000
    )
    channel_quality: float = opt(0.6, "mean channel quality", unit=IDX, min=0.0, max=1.0)
    spread: float = opt(0.1, "sd of channel quality around the mean", unit=IDX, min=0.0, max=0.5)
    trust_rate: float = opt(
        0.001,
        "weekly trust gain at full channel quality",
        unit="trust per week",
        min=0.0,
        max=0.1,
    )


@dataclass
class BodySpec:
    """One organisation in [[organizations.bodies]]."""

    name: str = opt("UN OEWG", "its name")
    kind: str = opt("un", "kind of body", choices=("un", "osce", "regional", "treaty"))
    members: list[str] = opt(["all"], "'all', bloc names and/or state names")
    decision_rule: str = opt(
        "", "'' uses organizations.decision_rule", choices=("",) + DECISION_RULES
    )
    cadence: int = opt(
        0, "weeks between sessions (0 uses organizations.cadence)", unit="weeks", min=0, max=5200
    )
    rounds: int = opt(
        0, "rounds per session (0 uses organizations.rounds)", unit="rounds", min=0, max=1000
    )
    first_session: int = opt(8, "week of the first session", unit="week", min=1, max=100_000)
    last_session: int = opt(
        0,
        "week after which the body's mandate ends and its outcome is recorded (0: no end)",
        unit="week",
        min=0,
        max=100_000,
    )
    cbm: bool = opt(False, "runs confidence-building measures (contact points, hotline)")
    delegation_expertise: float = opt(
        0.0,
        "least technical expertise of the delegations: a group of governmental experts "
        "seats experts (0: each state's own diplomats)",
        unit=IDX,
        source="UN GGE members are experts appointed by their governments (A/RES/73/266)",
        min=0.0,
        max=1.0,
    )
    agenda: list[str] = opt([], "item ids on the agenda (empty: the whole catalogue)")
    chair_summary: bool = opt(
        False,
        "when a session fails, the chair moves the items objected to into a chair's summary "
        "and puts the rest to the members; if nothing new is left, the report reaffirms "
        "what earlier texts agreed on the body's items",
        source="OEWG chair's summary A/AC.290/2021/CRP.3 beside the report A/75/816; the "
        "2021 GGE's compendium of national views on international law, A/76/136",
    )


@dataclass
class Organizations:
    """[organizations]: international bodies, their rules and CBM programmes."""

    decision_rule: str = opt("consensus", "default decision rule", choices=DECISION_RULES)
    qualified_majority: float = opt(
        0.67, "share needed under qualified_majority", unit=SHARE, min=0.5, max=1.0
    )
    cadence: int = opt(26, "default weeks between sessions", unit="weeks", min=1, max=5200)
    rounds: int = opt(6, "default rounds per session", unit="rounds", min=1, max=1000)
    cbm_evidence: float = opt(
        0.05,
        "weekly attribution evidence from CBM channels",
        unit="evidence per week",
        source="OSCE PC Decisions 1106 (2013), 1202 (2016)",
        min=0.0,
        max=5.0,
    )
    review_cadence: int = opt(
        52,
        "weeks between implementation reviews of a body's agreements (0: no reviews)",
        unit="weeks",
        source="UN GGE/OEWG practice of annual reporting (A/76/135 paras 94-95)",
        min=0,
        max=5200,
    )
    review_trust_loss: float = opt(
        0.1,
        "share of its trust in a party that a signatory loses when a review names that party "
        "for a violation of the reviewed commitments",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    fallback_share: float = opt(
        0.3,
        "share of a text's parties named for violating an item above which members fall back on it",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    fallback: float = opt(
        0.25,
        "share of their commitment to an item that members give up when they fall back on it",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    deadlock_sessions: int = opt(
        0,
        "consecutive failed sessions after which the objectors open a parallel track (0: never)",
        unit="sessions",
        source="the OEWG of 2019, opened beside a deadlocked GGE (A/RES/73/27, 73/266)",
        min=0,
        max=1000,
    )
    track_kind: str = opt(
        "open_ended",
        "membership of a parallel track: every state, or a small expert group",
        choices=("open_ended", "expert"),
    )
    track_size: int = opt(15, "members of an expert-group track", unit="states", min=2, max=10_000)
    track_rule: str = opt("consensus", "decision rule of a parallel track", choices=DECISION_RULES)
    track_chair_weight: float = opt(
        2.0,
        "weight of the coalition that opened a track in its chair's drafts",
        unit=MULT,
        min=1.0,
        max=100.0,
    )
    investment_focus: float = opt(
        5.0,
        "how strongly a state puts its diplomatic effort into the body whose last draft "
        "served it best (0: equal effort everywhere)",
        unit="per utility unit",
        min=0.0,
        max=100.0,
    )
    bodies: list[BodySpec] = opt([BodySpec()], "the organisations (empty list: none)")


@dataclass
class ThreatActors:
    """[threat_actors]: criminal groups and state proxies."""

    count: int = opt(6, "number of threat actors", unit="groups", min=0, max=1000)
    criminal_share: float = opt(
        0.6, "share that are criminal groups (rest: proxies)", unit=SHARE, min=0.0, max=1.0
    )
    crime_rate: float = opt(
        0.05,
        "weekly crime incidents per criminal group at capability 1",
        unit="incidents per week",
        min=0.0,
        max=10.0,
    )
    capability: float = opt(0.5, "mean capability", unit=IDX, min=0.0, max=1.0)
    spread: float = opt(0.15, "sd of capability around the mean", unit=IDX, min=0.0, max=0.5)
    haven_governance: float = opt(
        0.2,
        "a haven is chosen with weight (governance + this) x (haven_exposure - resilience)",
        unit=IDX,
        min=0.0,
        max=5.0,
    )
    haven_exposure: float = opt(
        1.2,
        "see haven_governance: havens with resilience above this are never chosen",
        unit=IDX,
        min=1.0,
        max=5.0,
    )
    resilience_enforcement: float = opt(
        0.3,
        "weight of a haven's resilience in its enforcement against crime",
        unit="weight",
        min=0.0,
        max=1.0,
    )
    commitment_enforcement: float = opt(
        0.7,
        "weight of a haven's commitment to the anti-crime norms in its enforcement",
        unit="weight",
        min=0.0,
        max=1.0,
    )
    enforcement_effect: float = opt(
        0.5, "share of crime full enforcement stops", unit=SHARE, min=0.0, max=1.0
    )
    severity_base: float = opt(
        0.25,
        "binomial chance per severity point above the lowest, at capability 0",
        unit=P,
        min=0.0,
        max=1.0,
    )
    severity_capability: float = opt(
        0.3, "added binomial chance per severity point at capability 1", unit=P, min=0.0, max=1.0
    )


@dataclass
class Norms:
    """[norms]: the catalogue, what is adopted already, and enforcement in the world."""

    catalogue: str = opt("gge2015", "built-in catalogue name or path to a TOML catalogue")
    adopted: dict[str, float] = opt(
        {},
        "norms adopted by all states at start: id = commitment",
        unit="commitment",
        min=0.0,
        max=1.0,
    )
    metanorms: bool = opt(False, "also punish those seen not punishing (Axelrod 1986)")
    visibility: float = opt(
        0.6,
        "chance a publicly attributed violation is seen by a state",
        unit=P,
        source=AXELROD86,
        min=0.0,
        max=1.0,
    )
    company_visibility: float = opt(
        0.5,
        "extra visibility of violations at full company engagement",
        unit=SHARE,
        min=0.0,
        max=5.0,
    )
    generation: int = opt(
        52,
        "weeks per generation of boldness/vengefulness evolution",
        unit="weeks",
        min=1,
        max=5200,
    )
    mutation_rate: float = opt(
        0.01,
        "chance per state per generation of a random B or V",
        unit=P,
        source=AXELROD86,
        min=0.0,
        max=1.0,
    )
    imitation: float = opt(
        0.5,
        "strength of payoff-biased imitation (Fermi rule)",
        unit="per payoff unit",
        source="Szabó & Tőke (1998); Traulsen, Nowak & Pacheco (2006)",
        min=0.0,
        max=100.0,
    )
    violator_gdp_loss: float = opt(
        0.001, "GDP share one punishment costs the violator", unit="GDP share", min=0.0, max=0.1
    )
    punisher_gdp_loss: float = opt(
        0.0002, "GDP share punishing costs the punisher", unit="GDP share", min=0.0, max=0.1
    )
    meta_loss_share: float = opt(
        0.5,
        "a metanorm punishment's cost relative to a punishment's",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )


@dataclass
class Negotiation:
    """[negotiation]: how members value texts and concede (Faratin et al. 1998)."""

    security_weight: float = opt(
        0.7, "weight of expected security gain", unit="utility per commitment", min=0.0, max=10.0
    )
    sovereignty_weight: float = opt(
        2.0,
        "weight of the sovereignty cost of bindingness",
        unit="utility per commitment^2",
        min=0.0,
        max=20.0,
    )
    caution: float = opt(
        0.9, "how much low expertise makes a delegation hold back", unit=SHARE, min=0.0, max=1.0
    )
    reservation: float = opt(
        0.01, "utility below which a member rejects a text", unit="utility", min=-1.0, max=1.0
    )
    pre_negotiation: float = opt(
        0.02, "weekly pull of positions through missions", unit=PER_WEEK, min=0.0, max=1.0
    )
    consultation_weeks: int = opt(
        4, "weeks between rounds of bilateral pre-negotiation", unit="weeks", min=1, max=520
    )
    national_anchor: float = opt(
        0.02,
        "weekly pull of a state's positions back to its initial interests",
        unit=PER_WEEK,
        min=0.0,
        max=1.0,
    )
    digital_security: float = opt(
        0.5,
        "share of a norm's security value that scales with a state's digital share "
        "(relative to the mean); the rest every state gets",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    exposure_learning: float = opt(
        0.05,
        "security value a victim adds to each norm an incident breached",
        unit="utility",
        min=0.0,
        max=1.0,
    )
    mediation_weight: float = opt(
        0.5, "how far a mediator's draft moves to the median", unit=SHARE, min=0.0, max=1.0
    )
    initial_concession: float = opt(
        0.0,
        "Faratin's kappa: share conceded before round 1",
        unit=SHARE,
        source=FARATIN,
        min=0.0,
        max=1.0,
    )
    silence_bar: float = opt(
        0.5,
        "under silence, share of its aspiration below which a member "
        "breaks silence (1: as demanding as consensus)",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    misjudgement: float = opt(
        0.05,
        "sd of the error a delegation with no expertise makes judging a text",
        unit="utility",
        min=0.0,
        max=1.0,
    )
    reputation_floor: float = opt(
        0.1,
        "least weight a state's reputation leaves it in the chair's draft",
        unit=MULT,
        min=0.0,
        max=1.0,
    )
    accommodation: float = opt(
        0.0,
        "under consensus, the extra weight the chair gives a member's offer in the next draft "
        "for each round it objected (0: none)",
        unit="multiplier per round",
        source="the joint-decision trap: Scharpf (1988) Public Administration 66:239",
        min=0.0,
        max=100.0,
    )
    red_line: float = opt(
        10.0,
        "loss on a single item (against the status quo) beyond which a member objects, "
        "whatever the rest of the text gives it (10: none; an item's loss stays below 3)",
        unit="utility",
        source="non-compensatory red lines: the 2017 GGE's impasse over self-defence, "
        "countermeasures and humanitarian law (A/72/327; Henriksen 2019, J. Cybersecurity 5:1)",
        min=0.0,
        max=10.0,
    )
    ratchet: float = opt(
        1.0,
        "share of the commitment already agreed on an item below which a new draft may not "
        "go: an adopted text is the floor the next one starts from",
        unit=SHARE,
        source="the GGE reports build on one another (A/70/174 para. 2; A/76/135 para. 7)",
        min=0.0,
        max=1.0,
    )
    shock_severity: int = opt(
        6,
        "DCID severity from which an incident is a shock that opens a window "
        "(attacks on critical infrastructure always are)",
        unit="severity (1-10)",
        source=DCID,
        min=1,
        max=10,
    )
    shock_gain: float = opt(
        1.0,
        "extra security value a state puts on every item while a shock is fresh, per unit of shock",
        unit="utility per shock",
        source="windows of opportunity: Kingdon (1984); Finnemore & Hollis (2016) AJIL 110:425",
        min=0.0,
        max=10.0,
    )
    shock_spread: float = opt(
        0.3,
        "shock felt by every other state when one state suffers a major incident, relative "
        "to the victim's",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    shock_decay: float = opt(
        0.03,
        "weekly share of a shock that fades (0.03: half gone in about 23 weeks)",
        unit=PER_WEEK,
        min=0.0,
        max=1.0,
    )
    awareness_start: float = opt(
        1.0,
        "share of the items' security value states see at the start, before major incidents "
        "have shown what is at stake (1: all of it)",
        unit=SHARE,
        source="assumption; threat perception grew with Estonia 2007, Georgia 2008, Stuxnet "
        "2010 (Finnemore & Hollis 2016 AJIL 110:425)",
        min=0.0,
        max=1.0,
    )
    awareness_gain: float = opt(
        0.05,
        "share of the items' security value each major incident (a shock) teaches every state, "
        "up to all of it",
        unit="share per incident",
        min=0.0,
        max=1.0,
    )
    rivalry_hardening: float = opt(
        2.0,
        "extra sovereignty cost per point of trust a state has lost toward other blocs "
        "since the highest it has been",
        unit="multiplier per trust point",
        source="assumption; rivalry and the stalled GGE of 2017 (Henriksen 2019 JCSL 24:1)",
        min=0.0,
        max=100.0,
    )


@dataclass
class Trust:
    """[trust]: the state-to-state trust matrix."""

    within_bloc: float = opt(0.7, "initial trust inside a bloc", unit=TRUST, min=0.0, max=1.0)
    between_blocs: float = opt(0.45, "initial trust across blocs", unit=TRUST, min=0.0, max=1.0)
    rivals: float = opt(0.2, "initial trust between rivals", unit=TRUST, min=0.0, max=1.0)
    incident_loss: float = opt(
        0.06,
        "trust lost per publicly attributed incident of the reference severity",
        unit=TRUST,
        min=0.0,
        max=1.0,
    )
    demarche_share: float = opt(
        0.3,
        "a demarche's trust loss relative to a public attribution's",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    joint_share: float = opt(
        0.5,
        "trust each ally in a joint attribution loses, relative to the victim's",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    punishment_share: float = opt(
        0.2, "trust a punishment costs, relative to incident_loss", unit=SHARE, min=0.0, max=1.0
    )
    reveal_regain: float = opt(
        0.5,
        "trust regained with a wrongly accused state, relative to incident_loss",
        unit=SHARE,
        min=0.0,
        max=1.0,
    )
    retaliation_loss: float = opt(0.08, "trust lost by a retaliation", unit=TRUST, min=0.0, max=1.0)
    sanction_share: float = opt(
        0.5, "trust a sanction costs, relative to retaliation_loss", unit=SHARE, min=0.0, max=1.0
    )
    agreement_gain: float = opt(
        0.03, "share of the trust gap closed between co-signatories", unit=SHARE, min=0.0, max=1.0
    )
    track2_gain: float = opt(
        0.03, "trust gained by a Track-2 dialogue at capacity 1", unit=TRUST, min=0.0, max=1.0
    )
    cbm_gain: float = opt(
        0.0005,
        "weekly trust gain between members of a CBM body",
        unit="trust per week",
        min=0.0,
        max=0.1,
    )
    reversion: float = opt(
        0.002, "weekly pull back to the initial level", unit=PER_WEEK, min=0.0, max=1.0
    )


@dataclass
class Economy:
    """[economy]: GDP growth, the digital dividend and damage."""

    growth: float = opt(0.02, "annual base growth", unit="per year", min=-0.5, max=0.5)
    digital_growth: float = opt(
        0.08,
        "annual growth of the digital share at full security/trust",
        unit="per year",
        min=0.0,
        max=1.0,
    )
    damage_scale: float = opt(
        0.0004,
        "share of digital GDP lost per severity point squared",
        unit="GDP share",
        min=0.0,
        max=1.0,
    )
    exposure_offset: float = opt(
        1.2,
        "damage scales with (this - resilience): fully resilient states keep some",
        unit=IDX,
        min=1.0,
        max=5.0,
    )


@dataclass
class NormsGame:
    """[norms_game]: Axelrod's (1986) norms and metanorms game, every number a parameter."""

    population: int = opt(
        20,
        "players (at most 2,000: a generation holds events x players arrays)",
        unit="players",
        source=AXELROD86,
        min=2,
        max=2000,
    )
    opportunities: int = opt(
        4,
        "defection opportunities per player per generation",
        unit="opportunities",
        source=AXELROD86,
        min=1,
        max=1000,
    )
    temptation: float = opt(
        3.0, "T: payoff to a defector", unit="payoff", source=AXELROD86, min=-100.0, max=100.0
    )
    hurt: float = opt(
        -1.0,
        "H: payoff to each other player when one defects",
        unit="payoff",
        source=AXELROD86,
        min=-100.0,
        max=100.0,
    )
    punishment: float = opt(
        -9.0,
        "P: payoff to a punished defector",
        unit="payoff",
        source=AXELROD86,
        min=-100.0,
        max=100.0,
    )
    enforcement_cost: float = opt(
        -2.0, "E: payoff to a punisher", unit="payoff", source=AXELROD86, min=-100.0, max=100.0
    )
    meta_punishment: float = opt(
        -9.0,
        "M'': payoff to one meta-punished for not punishing",
        unit="payoff",
        source=AXELROD86,
        min=-100.0,
        max=100.0,
    )
    meta_enforcement_cost: float = opt(
        -2.0,
        "M': payoff to a meta-punisher",
        unit="payoff",
        source=AXELROD86,
        min=-100.0,
        max=100.0,
    )
    mutation_rate: float = opt(
        0.01, "chance of flipping each gene bit", unit=P, source=AXELROD86, min=0.0, max=1.0
    )
    generations: int = opt(
        100,
        "generations per run (at most 1,000,000: the run keeps one row per generation)",
        unit="generations",
        source=AXELROD86,
        min=1,
        max=1_000_000,
    )
    metanorms: bool = opt(False, "play the metanorms game")
    bits: int = opt(
        3, "bits per gene (levels 0/7..7/7 with 3)", unit="bits", source=AXELROD86, min=1, max=16
    )
    established_boldness: float = opt(
        2 / 7,
        "a norm is established when mean boldness is at most this",
        unit=P,
        source=GALAN,
        min=0.0,
        max=1.0,
    )
    established_vengefulness: float = opt(
        5 / 7, "... and mean vengefulness at least this", unit=P, source=GALAN, min=0.0, max=1.0
    )
    collapsed_boldness: float = opt(
        6 / 7,
        "a norm has collapsed when mean boldness is at least this",
        unit=P,
        source=GALAN,
        min=0.0,
        max=1.0,
    )
    collapsed_vengefulness: float = opt(
        1 / 7, "... and mean vengefulness at most this", unit=P, source=GALAN, min=0.0, max=1.0
    )


@dataclass
class ScriptedEvent:
    """One scripted event in [[events]]: an intervention (see sim.interventions) at a week."""

    week: int = opt(1, "the week it happens", unit="week", min=1, max=100_000)
    intervention: str = opt("attack", "what happens", choices=INTERVENTIONS)
    attacker: str = opt("", "attack: the state that operates")
    target: str = opt("", "attack: the victim")
    type: str = opt("disruption", "attack: operation type", choices=INCIDENT_TYPES[:-1])
    severity: int = opt(4, "attack: DCID severity", unit="severity", source=DCID, min=1, max=10)
    framed: str = opt("", "attack: a state the planted evidence points at (false flag)")
    a: str = opt("", "hotline: one state")
    b: str = opt("", "hotline: the other state")
    organization: str = opt("", "convene: the organisation ('' = the first)")
    state: str = opt("", "share_intelligence: the state that receives it")
    amount: float = opt(
        0.3,
        "share_intelligence: extra evidence per week",
        unit="evidence per week",
        min=0.0,
        max=5.0,
    )


@dataclass
class Calibration:
    """[calibration]: where a calibrated scenario's values come from (written by
    ``run.py calibrate``; ``run.py validate`` never reports a fitted target as a prediction).
    """

    targets: str = opt("", "the targets file fitted to (a path relative to this file)")
    fitted: list[str] = opt([], "names of the targets fitted to")
    tuned: list[str] = opt(
        [],
        "names of the targets the scenario's own values were chosen on by hand (a fit "
        "without a posterior: run.py validate reports them as fitted, never as predictions)",
    )
    parameters: dict[str, float] = opt({}, "posterior median of each calibrated key")
    posterior: dict[str, list[float]] = opt({}, "posterior particles: key -> values")
    weights: list[float] = opt([], "the posterior particles' weights")
    seed: int = opt(
        0, "root seed of the calibration", unit="seed", source=CALIBRATE, min=0, max=2**32 - 1
    )
    simulations: int = opt(
        0, "simulations the calibration ran", unit="runs", source=CALIBRATE, min=0, max=MAX_INT
    )
    epsilon: float = opt(
        0.0,
        "final ABC tolerance (distance units)",
        unit="distance",
        source=CALIBRATE,
        min=0.0,
        max=1e300,
    )
    versions: dict[str, str] = opt({}, "package versions it ran with")
    stopped: str = opt(
        "", "why the calibration stopped before its last generation ('' = it did not)"
    )


@dataclass
class Scenario:
    """A whole scenario: every section with its defaults."""

    scenario: Meta = sub(Meta)
    states: States = sub(States)
    attribution: Attribution = sub(Attribution)
    operations: Operations = sub(Operations)
    incidents: Incidents = sub(Incidents)
    response: Response = sub(Response)
    companies: Companies = sub(Companies)
    think_tanks: ThinkTanks = sub(ThinkTanks)
    missions: Missions = sub(Missions)
    organizations: Organizations = sub(Organizations)
    threat_actors: ThreatActors = sub(ThreatActors)
    norms: Norms = sub(Norms)
    negotiation: Negotiation = sub(Negotiation)
    trust: Trust = sub(Trust)
    economy: Economy = sub(Economy)
    norms_game: NormsGame = sub(NormsGame)
    events: list[ScriptedEvent] = opt([], "scripted events (attacks, hotlines, sessions)")
    calibration: Calibration = sub(Calibration)
    source: str = field(default="<defaults>", metadata={"internal": True})

    @property
    def name(self) -> str:
        """The scenario's short name."""
        return self.scenario.name or Path(self.source).stem

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (for manifests and summaries)."""
        data = dataclasses.asdict(self)
        data.pop("source", None)
        return data


# ----------------------------------------------------------------------------- typing


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        (arg,) = typing.get_args(tp)
        return f"a list of {_type_name(arg)}"
    if origin is dict:
        return "a table of numbers"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        tp, str(tp)
    )


@functools.cache  # the schema never changes; resolving hints was 40% of a load
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, globalns=globals())


def _check_leaf(value: Any, tp: Any, meta: Mapping[str, Any], src: str, key: str) -> Any:
    """Type- and range-check one value; return it in canonical form."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise UserError(src, key, f"expected a table, got {excerpt(value)}")
        return _build(tp, value, src, key)
    if origin is list:
        (arg,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise UserError(src, key, f"expected {_type_name(tp)}, got {excerpt(value)}")
        if len(value) > MAX_ITEMS:
            raise UserError(src, key, f"expected at most {MAX_ITEMS:,} entries, got {len(value):,}")
        return [_check_leaf(v, arg, {}, src, f"{key}.{i}") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise UserError(src, key, f"expected a table of numbers, got {excerpt(value)}")
        if len(value) > MAX_ITEMS:
            raise UserError(src, key, f"expected at most {MAX_ITEMS:,} entries, got {len(value):,}")
        leaf = typing.get_args(tp)[1]
        out = {}
        for k, v in value.items():
            out[str(k)] = _check_leaf(v, leaf, meta, src, f"{key}.{k}")
        return out
    if tp is bool:
        if not isinstance(value, bool):
            raise UserError(src, key, f"expected true or false, got {excerpt(value)}")
        return value
    lo, hi, choices = meta.get("min"), meta.get("max"), meta.get("choices")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(src, key, f"expected an integer, got {excerpt(value)}")
        if abs(value) > MAX_INT:
            raise UserError(src, key, f"expected an integer{_range(lo, hi)}, got {excerpt(value)}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(src, key, f"expected a number, got {excerpt(value)}")
        if isinstance(value, int) and abs(value) > MAX_INT:  # float() would overflow
            raise UserError(src, key, f"expected a number{_range(lo, hi)}, got {excerpt(value)}")
        value = float(value) + 0.0  # -0.0 becomes 0.0 (numpy refuses a scale of -0.0)
        if not math.isfinite(value):
            raise UserError(
                src, key, f"expected a finite number{_range(lo, hi)}, got {excerpt(value)}"
            )
    elif tp is str:
        if not isinstance(value, str):
            raise UserError(src, key, f"expected a string, got {excerpt(value)}")
        if len(value) > MAX_STRING:
            raise UserError(
                src, key, f"expected at most {MAX_STRING:,} characters, got {len(value):,}"
            )
    if choices is not None and value not in choices:
        raise UserError(
            src, key, f"expected one of {', '.join(map(repr, choices))}, got {excerpt(value)}"
        )
    if lo is not None and value < lo:
        raise UserError(src, key, f"expected a value >= {lo}, got {excerpt(value)}")
    if hi is not None and value > hi:
        raise UserError(src, key, f"expected a value <= {hi}, got {excerpt(value)}")
    return value


def _range(lo: float | None, hi: float | None) -> str:
    """`` in [lo, hi]`` for a message ('' without bounds)."""
    if lo is None or hi is None:
        return ""
    return f" in [{lo:g}, {hi:g}]"


def _build(cls: type, data: Mapping[str, Any], src: str, prefix: str = "") -> Any:
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            renamed = RENAMED.get(re.sub(r"\.\d+(?=\.|$)", "", dotted))
            if renamed:
                raise UserError(src, dotted, f"renamed: use {renamed}")
            raise UserError(src, dotted, f"unknown key (expected one of: {', '.join(fields)})")
        kwargs[key] = _check_leaf(value, hints[key], fields[key].metadata, src, dotted)
    obj = cls(**kwargs)
    return obj


# ----------------------------------------------------------------------------- loading


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names and their files."""
    try:  # listed again only when the folder changes (a file added, removed or renamed)
        stamp = SCENARIO_DIR.stat().st_mtime_ns
    except OSError:
        stamp = None
    return dict(_builtin_scenarios(stamp))


@functools.lru_cache(maxsize=4)
def _builtin_scenarios(stamp: int | None) -> dict[str, Path]:
    """:func:`builtin_scenarios` for the folder as of ``stamp`` (its modification time):
    every model resolves its scenario's name, and globbing the folder cost more than
    reading the file.
    """
    # NAME.targets.toml beside a scenario holds its observed figures (sim.validation.targets)
    files = sorted(SCENARIO_DIR.glob("*.toml"))
    return {p.stem: p for p in files if not p.name.endswith(".targets.toml")}


def scenario_path(source: str | Path) -> Path:
    """Resolve a built-in scenario name or a path to a file; UserError if neither."""
    text = str(source)
    builtins = builtin_scenarios()
    if text in builtins:
        return builtins[text]
    path = Path(text)
    if path.suffix == ".toml" or is_file(path) or _exists(path):
        if not is_file(path):
            raise UserError(text, None, "no such scenario file")
        return path
    raise UserError(
        text, None, f"unknown scenario (built-in: {', '.join(builtins) or 'none'}; or a .toml path)"
    )


def is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the system refuses (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file safely, turning every problem into one clear line.

    The file is read as bytes (at most :data:`MAX_FILE_BYTES`) and must be UTF-8 TOML whose
    tables and lists nest at most :data:`MAX_DEPTH` deep.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserError(str(path), None, f"cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UserError(str(path), None, f"file too large (over {MAX_FILE_BYTES:,} bytes)")
    return parse_toml(raw, str(path))


def parse_toml(raw: bytes | str, src: str) -> dict[str, Any]:
    """Parse TOML text or UTF-8 bytes; UserError (one line) on anything but a sane table."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(src, None, f"not UTF-8 text (bad byte at offset {exc.start})") from None
    else:
        text = raw
    try:
        # files of our size are remembered; a huge one is parsed and forgotten
        data = copy.deepcopy(_loads(text)) if len(text) <= CACHE_TEXT else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(src, None, f"malformed TOML ({exc})") from None
    except RecursionError:
        deep = f"malformed TOML: nested too deeply (over {MAX_DEPTH})"
        raise UserError(src, None, deep) from None
    except (ValueError, OverflowError):  # int-string conversion limit (4,300 digits)
        raise UserError(src, None, "malformed TOML: a number too long") from None
    _check_depth(data, src)
    return data


CACHE_TEXT = 200_000  # characters: the largest TOML text parse_toml remembers


@functools.lru_cache(maxsize=64)
def _loads(text: str) -> dict[str, Any]:
    """``tomllib.loads``, remembered by text (callers get a deep copy to change at will).

    Every model reads its scenario and its catalogue (twice: checks, then the world), and
    pure-Python parsing of the same files cost about 1% of ten years of the baseline.
    """
    return tomllib.loads(text)


def _check_depth(data: Any, src: str) -> None:
    """UserError if tables and lists nest deeper than MAX_DEPTH (iterative: no recursion)."""
    stack = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UserError(src, None, f"malformed TOML: nested too deeply (over {MAX_DEPTH})")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _non_finite(value: Any) -> bool:
    """True if value is, or holds, a NaN or an infinite number."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def parse_value(text: str, src: str = "--set", key: str | None = None) -> Any:
    """Parse an override's value as TOML (``0.8``, ``true``, ``["a", "b"]``), else a string.

    UserError for a value too long, nested too deeply, with a number too long, or holding
    NaN or infinity (no key takes those).
    """
    if len(text) > MAX_STRING:
        raise UserError(src, key, f"expected at most {MAX_STRING:,} characters, got {len(text):,}")
    try:
        value = parse_toml(f"v = {text}", src)["v"]
    except UserError as exc:
        if "nested too deeply" in exc.expected or "number too long" in exc.expected:
            raise UserError(src, key, exc.expected.removeprefix("malformed TOML: ")) from None
        return text
    if _non_finite(value):
        raise UserError(src, key, f"expected a finite number, got {excerpt(value)}")
    return value


def parse_assignments(items: list[str] | None, src: str = "--set") -> dict[str, Any]:
    """Turn ``["a.b=1", ...]`` into ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(src, item, "expected KEY=VALUE, e.g. states.attribution_skill=0.8")
        out[key.strip()] = parse_value(value.strip(), src, key.strip())
    return out


LISTED = "states.list."  # a listed state's own key: states.list.NAME.FIELD


def _listed_key(key: str) -> tuple[str, str] | None:
    """``("China", "activity")`` for ``states.list.China.activity``, else None."""
    if not key.startswith(LISTED):
        return None
    name, sep, fld = key[len(LISTED) :].rpartition(".")
    return (name, fld) if sep and name else None


def _set_dotted(
    data: dict[str, Any], key: str, value: Any, src: str = "--set", add_missing: bool = False
) -> None:
    """Set a dotted key in parsed TOML. ``states.list.NAME.FIELD`` sets a field of the state
    listed under that name; a name not listed is an error, or (``add_missing``, for a file
    whose list comes from its base) a new entry that the merge by name completes.
    """
    listed = _listed_key(key)
    if listed is not None:
        name, fld = listed
        states = data.setdefault("states", {})
        entries = states.setdefault("list", []) if isinstance(states, dict) else None
        if not isinstance(entries, list):
            raise UserError(src, key, "expected a scenario whose states.list is a list of states")
        for entry in entries:
            if isinstance(entry, dict) and entry.get("name") == name:
                entry[fld] = value
                return
        if not add_missing:
            names = [e.get("name") for e in entries if isinstance(e, dict)]
            raise UserError(
                src,
                key,
                f"expected a state listed in states.list, got {excerpt(name)} "
                f"(listed: {excerpt(', '.join(map(str, names)) or 'none')})",
            )
        entries.append({"name": name, fld: value})
        return
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def all_keys(cls: type = Scenario, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every settable dotted key with its type and field (for docs and validation)."""
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        key = f"{prefix}.{f.name}" if prefix else f.name
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from all_keys(tp, key)
        else:
            yield key, tp, f


@functools.cache
def _known_keys() -> dict[str, tuple[Any, Any]]:
    return {k: (tp, f) for k, tp, f in all_keys()}


@functools.cache
def _state_keys() -> dict[str, tuple[Any, Any]]:
    return {k: (tp, f) for k, tp, f in all_keys(StateSpec)}


def check_key(key: str, src: str = "--set") -> tuple[Any, Any]:
    """Return (type, field) of a dotted key, or raise UserError naming close keys."""
    known = _known_keys()
    if key in known:
        return known[key]
    if key in RENAMED:
        raise UserError(src, key, f"renamed: use {RENAMED[key]}")
    listed = _listed_key(key)
    if listed is not None:
        spec = _state_keys()
        if listed[1] in spec and listed[1] not in ("name", "rivals"):
            return spec[listed[1]]
        fields = ", ".join(k for k in spec if k not in ("name", "rivals"))
        raise UserError(src, key, f"unknown field of a listed state (expected one of: {fields})")
    parent = key.rpartition(".")[0]
    if parent in known and typing.get_origin(known[parent][0]) is dict:
        return float, known[parent][1]  # one entry of a table, e.g. norms.adopted.f
    section = key.split(".")[0]
    close = [k for k in known if k.startswith(section + ".")] or list(known)[:8]
    raise UserError(src, key, f"unknown key (expected one of: {', '.join(close)})")


MAX_BASES = 8  # a chain of scenarios built on one another


def _merge(base: Any, over: Any, key: str) -> Any:
    """``over`` merged onto ``base``: tables key by key, ``states.list`` entries by name,
    anything else replaced. A ``[calibration]`` table replaces its base's whole: a
    posterior belongs to the file that was fitted (merged, a calibration of other keys
    would join the base's particles to its own).
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            merge = k in base and not (not key and k == "calibration")
            out[k] = _merge(base[k], v, f"{key}.{k}" if key else k) if merge else v
        return out
    if key == "states.list" and isinstance(base, list) and isinstance(over, list):
        named = {x.get("name"): i for i, x in enumerate(base) if isinstance(x, dict)}
        out = list(base)
        for x in over:
            i = named.get(x.get("name")) if isinstance(x, dict) else None
            if i is None:
                out.append(x)
            else:
                out[i] = {**out[i], **x}
        return out
    return over


def _with_base(
    data: dict[str, Any], path: Path, src: str, seen: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """The scenario ``data`` merged onto the chain of scenarios its ``scenario.base`` names.

    A base is a built-in scenario name or a file, relative to the file that names it.
    """
    meta = data.get("scenario")
    base = meta.get("base") if isinstance(meta, dict) else None
    if not base:
        return data
    if not isinstance(base, str):
        raise UserError(src, "scenario.base", f"expected a scenario name, got {excerpt(base)}")
    beside = path.parent / base
    try:
        bpath = beside if is_file(beside) else scenario_path(base)
    except UserError:
        raise UserError(
            src, "scenario.base", f"expected a built-in scenario or a file, got {excerpt(base)}"
        ) from None
    seen = (*seen, path.resolve())
    if bpath.resolve() in seen or len(seen) > MAX_BASES:
        raise UserError(
            src, "scenario.base", f"expected a chain of at most {MAX_BASES} bases, without a loop"
        )
    return _merge(_with_base(read_toml(bpath), bpath, src, seen), data, "")


def load_scenario(
    source: str | Path | Scenario = "baseline",
    overrides: Mapping[str, Any] | None = None,
    *,
    override_source: str = "--set",
) -> Scenario:
    """Load a built-in scenario or a TOML file and apply dotted-key overrides.

    Raises :class:`sim.errors.UserError` with one clear line on any mistake.
    """
    if isinstance(source, Scenario):
        data = source.to_dict()
        src = source.source
    else:
        path = scenario_path(source)
        data = read_toml(path)
        src = str(path) if path.parent != SCENARIO_DIR else f"scenarios/{path.name}"
        data = _with_base(data, path, src)
    data = copy.deepcopy(data)
    for key, value in (overrides or {}).items():
        check_key(key, override_source)
        _set_dotted(data, key, value, override_source)
    try:
        scen = _build(Scenario, data, src)
    except UserError as exc:
        # an override that failed type checks is blamed on the override, not the file
        bad = _by_name(exc.key or "", data)
        for key in overrides or {}:
            if bad == key or bad.startswith(key + "."):
                raise UserError(override_source, bad, exc.expected) from None
        raise
    scen.source = src
    try:
        _cross_check(scen)
    except UserError as exc:
        # a check that fails on an overridden key is blamed on the override
        key = _by_name(exc.key or "", data)
        if any(
            key == k or key.startswith(k + ".") or k.startswith(key + ".") for k in overrides or {}
        ):
            raise UserError(override_source, key, exc.expected) from None
        raise
    return scen


def _by_name(key: str, data: dict[str, Any]) -> str:
    """``states.list.1.activity`` as ``states.list.China.activity`` (how overrides name it)."""
    if not key.startswith(LISTED):
        return key
    index, _, rest = key[len(LISTED) :].partition(".")
    states = data.get("states")
    entries = states.get("list") if isinstance(states, dict) else None
    if not isinstance(entries, list):
        return key
    entry = entries[int(index)] if index.isdigit() and int(index) < len(entries) else None
    return f"{LISTED}{entry.get('name')}.{rest}" if isinstance(entry, dict) else key


def _cross_check(s: Scenario) -> None:
    """Checks that involve more than one key."""
    src = s.source
    st = s.states
    if len(st.bloc_shares) != len(st.blocs) or len(st.bloc_governance) != len(st.blocs):
        raise UserError(
            src,
            "states.bloc_shares",
            f"expected {len(st.blocs)} values, one per bloc in states.blocs",
        )
    if not st.blocs:
        raise UserError(src, "states.blocs", "expected at least one bloc")
    for i, share in enumerate(st.bloc_shares):
        if share < 0:
            raise UserError(src, f"states.bloc_shares.{i}", f"expected a share >= 0, got {share}")
    for i, gov in enumerate(st.bloc_governance):
        if not 0 <= gov <= 1:
            raise UserError(
                src, f"states.bloc_governance.{i}", f"expected a value in [0, 1], got {gov}"
            )
    if sum(st.bloc_shares) <= 0:
        raise UserError(src, "states.bloc_shares", "expected a positive total")
    for pair in st.rival_blocs:
        a, sep, b = pair.partition(":")
        if not sep or a not in st.blocs or b not in st.blocs:
            raise UserError(
                src,
                "states.rival_blocs",
                f"expected 'A:B' with blocs from {st.blocs}, got {excerpt(pair)}",
            )
    names = [spec.name for spec in st.list]
    for i, spec in enumerate(st.list):
        if not spec.name:
            raise UserError(src, f"states.list.{i}.name", "expected a name")
        if spec.bloc and spec.bloc not in st.blocs:
            raise UserError(src, f"states.list.{i}.bloc", f"expected one of {st.blocs}")
        for r in spec.rivals:
            if r not in names:
                raise UserError(src, f"states.list.{i}.rivals", f"unknown state {excerpt(r)}")
    if len(set(names)) != len(names):
        raise UserError(src, "states.list", "state names must be unique")
    if st.concession_min > st.concession_max:
        raise UserError(src, "states.concession_min", "expected <= states.concession_max")
    for t in s.operations.type_mix:
        if t not in INCIDENT_TYPES or t == "crime":
            raise UserError(
                src,
                f"operations.type_mix.{t}",
                f"expected an operation type from {INCIDENT_TYPES[:-1]}",
            )
    if sum(s.operations.type_mix.values()) <= 0:
        raise UserError(src, "operations.type_mix", "expected a positive total weight")
    for b in st.nonaligned:
        if b not in st.blocs:
            raise UserError(
                src,
                "states.nonaligned",
                f"expected blocs from {st.blocs} ([] if none is non-aligned), got {excerpt(b)}",
            )
    # the incident tables: an entry a file leaves out keeps its default
    inc, defaults = s.incidents, Incidents()
    for name in ("severity_low", "severity_high", "damage_weight"):
        table = getattr(inc, name)
        for t in table:
            if t not in INCIDENT_TYPES:
                raise UserError(
                    src, f"incidents.{name}.{t}", f"expected an incident type from {INCIDENT_TYPES}"
                )
        setattr(inc, name, {**getattr(defaults, name), **table})
    for t in INCIDENT_TYPES:
        if inc.severity_low[t] > inc.severity_high[t]:
            raise UserError(
                src,
                f"incidents.severity_low.{t}",
                "expected <= incidents.severity_high of the type",
            )
    r = s.response
    if r.retaliation_severity_min > r.retaliation_severity_max:
        raise UserError(
            src,
            "response.retaliation_severity_min",
            "expected <= response.retaliation_severity_max",
        )
    if r.ratio_min > r.ratio_max:
        raise UserError(src, "response.ratio_min", "expected <= response.ratio_max")
    ta = s.threat_actors
    if ta.severity_base + ta.severity_capability > 1.0:
        raise UserError(
            src,
            "threat_actors.severity_base",
            "expected severity_base + severity_capability <= 1 (a chance per severity point)",
        )
    g = s.norms_game
    # a generation of the classic game holds (defections x players) arrays, and with
    # metanorms (defections x players x players): bound them before numpy allocates them
    cells = g.population * g.population * g.opportunities
    if g.metanorms:
        cells *= g.population
    if cells > NORMS_GAME_CELLS:
        what = "population^3 x opportunities" if g.metanorms else "population^2 x opportunities"
        raise UserError(
            src,
            "norms_game.population",
            f"expected {what} <= {NORMS_GAME_CELLS:,} (the arrays of one generation), "
            f"got {cells:,}",
        )
    valid_members = {"all", *st.blocs, *names}
    for i, body in enumerate(s.organizations.bodies):
        for m in body.members:
            if m not in valid_members and not m.startswith("state_"):
                raise UserError(
                    src,
                    f"organizations.bodies.{i}.members",
                    f"expected 'all', a bloc or a listed state, got {excerpt(m)}",
                )
    _check_calibration(s)
    if s.scenario.kind == "world":
        _check_world(s, names)


def _check_calibration(s: Scenario) -> None:
    """The calibration record ``run.py validate`` draws runs from: every posterior list the
    same length, each a numeric key's values inside its bounds, weights one per particle,
    none negative, some positive.
    """
    import math

    src, cal = s.source, s.calibration
    lengths = {len(v) for v in cal.posterior.values()}
    if len(lengths) > 1 or 0 in lengths:
        raise UserError(
            src,
            "calibration.posterior",
            f"expected one non-empty list per key, all the same length, got lengths "
            f"{sorted(lengths)[:5]}",
        )
    for key in [*cal.posterior, *cal.parameters]:
        where = f"calibration.posterior.{key}" if key in cal.posterior else "calibration.parameters"
        try:
            tp, f = check_key(key, src)
        except UserError:
            raise UserError(src, where, f"expected a scenario key, got {excerpt(key)}") from None
        if tp is not float or key.startswith(("scenario.", "calibration.")):
            raise UserError(src, where, f"expected a number key, got {excerpt(key)}")
        lo, hi = f.metadata.get("min"), f.metadata.get("max")
        for v in cal.posterior.get(key, []):
            if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
                raise UserError(
                    src, where, f"expected values inside the key's bounds, got {excerpt(v)}"
                )
    w = cal.weights
    if w:
        n = lengths.pop() if lengths else 0
        if len(w) != n:
            raise UserError(
                src, "calibration.weights", f"expected {n} weights (one a particle), got {len(w)}"
            )
        if not all(math.isfinite(x) and x >= 0 for x in w) or not sum(w) > 0:
            raise UserError(
                src, "calibration.weights", "expected weights >= 0, not all 0, all finite"
            )


def _check_world(s: Scenario, listed: list[str]) -> None:
    """What the world model would refuse when it is built, checked when the scenario loads:
    the catalogue exists and parses, ``norms.adopted`` names its norms, ``[[events]]`` name
    states and organisations of the scenario.
    """
    from sim.interventions import check_events  # both import this module
    from sim.world import load_catalogue

    src = s.source
    catalogue = load_catalogue(s.norms.catalogue, src)
    for nid in s.norms.adopted:
        if nid not in catalogue.ids:
            raise UserError(
                src,
                f"norms.adopted.{nid}",
                f"expected a norm id of the catalogue ({', '.join(catalogue.ids)})",
            )
    n = max(s.states.count, len(listed))
    names = listed + [f"State {i + 1}" for i in range(len(listed), n)]
    check_events(s.events, names, [b.name for b in s.organizations.bodies], src)


@dataclass
class KeyInfo:
    """What `run.py scenarios --keys` and the docs say of one key."""

    key: str
    type: str
    default: Any
    unit: str
    min: float | None
    max: float | None
    source: str
    help: str

    @property
    def bounds(self) -> str:
        """``[min, max]`` as text ('' when the key is not a number)."""
        if self.min is None and self.max is None:
            return ""
        lo = "" if self.min is None else f"{self.min:g}"
        hi = "" if self.max is None else f"{self.max:g}"
        return f"[{lo}, {hi}]"


def describe_keys(cls: type = Scenario, prefix: str = "") -> list[KeyInfo]:
    """Every key with its type, default, unit, bounds, source and meaning (of ``cls``, each
    key written after ``prefix``: ``describe_keys(StateSpec, "states.list.NAME.")``).
    """
    rows = []
    defaults = cls()
    for key, tp, f in all_keys(cls):
        value: Any = defaults
        for part in key.split("."):
            value = getattr(value, part)
        if isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            value = "[...]"
        meta = f.metadata
        rows.append(
            KeyInfo(
                prefix + key,
                _type_name(tp),
                value,
                meta.get("unit", ""),
                meta.get("min"),
                meta.get("max"),
                meta.get("source", ""),
                meta.get("help", ""),
            )
        )
    return rows


def numeric_keys() -> list[KeyInfo]:
    """The behavioural numbers a sweep or calibration can move: int and float keys of the
    world model's sections (not list entries, nor the classic game, nor scripted events).
    """
    skip = (
        "scenario.",
        "norms_game.",
        "events.",
        "states.list.",
        "organizations.bodies.",
        "calibration.",
    )
    return [
        k
        for k in describe_keys()
        if k.type in ("a number", "an integer") and not k.key.startswith(skip)
    ]
