"""Scenario files (TOML) -> validated, typed objects, with dotted-key overrides.

A scenario is a tree of dataclasses. Every leaf has a default, a type and, where it
matters, a range or a set of choices, so a scenario file only states what differs from
the defaults and a typo is caught with one clear line::

    error: scenarios/baseline.toml: attribution.skil: unknown key (expected one of ...)

Overrides use the same dotted keys everywhere: ``--set attribution.skill=0.8`` on the
command line, ``[parameters]`` in experiment files, the app's sliders.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"

DECISION_RULES = ("consensus", "qualified_majority", "silence")
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
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A scenario field with its documentation and bounds."""
    meta = {"help": help, "min": min, "max": max, "choices": choices}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def sub(cls: type) -> Any:
    """A nested section."""
    return field(default_factory=cls, metadata={"help": cls.__doc__ or ""})


# ----------------------------------------------------------------------------- sections


@dataclass
class Meta:
    """[scenario]: what this scenario is and where its numbers come from."""

    name: str = opt("", "short name, as used on the command line")
    description: str = opt("", "one line: the question the scenario asks")
    narrative: str = opt("", "a paragraph telling the story for a class")
    teaching_note: str = opt("", "what to watch for and what to ask the class")
    sources: list[str] = opt([], "where the numbers come from")
    steps: int = opt(520, "default number of weeks to run", min=1)
    kind: str = opt(
        "world", "world model or Axelrod's classic norms game", choices=("world", "norms_game")
    )
    start_year: int = opt(2015, "calendar year of week 1, for narration", min=1900, max=2200)


@dataclass
class StateSpec:
    """One state listed by name in [[states.list]]; unset numbers are drawn as usual."""

    name: str = opt("", "the state's name")
    bloc: str = opt("", "its bloc (one of states.blocs)")
    gdp: float = opt(-1.0, "GDP in trillions of USD (-1: drawn)")
    digital_share: float = opt(-1.0, "digital share of GDP (-1: drawn)", max=1.0)
    offensive_capability: float = opt(-1.0, "offensive cyber capability 0..1 (-1: drawn)", max=1.0)
    resilience: float = opt(-1.0, "defensive resilience 0..1 (-1: drawn)", max=1.0)
    attribution_skill: float = opt(-1.0, "attribution skill 0..1 (-1: drawn)", max=1.0)
    expertise: float = opt(-1.0, "diplomats' technical expertise 0..1 (-1: drawn)", max=1.0)
    sovereignty_concern: float = opt(-1.0, "sovereignty concern 0..1 (-1: drawn)", max=1.0)
    governance: float = opt(
        -1.0, "0 open multistakeholder .. 1 sovereign control (-1: bloc's)", max=1.0
    )
    boldness: float = opt(-1.0, "Axelrod boldness 0..1 (-1: drawn)", max=1.0)
    vengefulness: float = opt(-1.0, "Axelrod vengefulness 0..1 (-1: drawn)", max=1.0)
    activity: float = opt(1.0, "relative rate of operations it initiates", min=0.0)
    salience: float = opt(1.0, "relative weight its rivals give it as a target", min=0.0)
    rivals: list[str] = opt([], "names of its rivals (in addition to bloc rivalries)")


@dataclass
class States:
    """[states]: the governments, generated from distributions and/or listed."""

    count: int = opt(12, "number of states (listed states count towards it)", min=2, max=2000)
    blocs: list[str] = opt(["West", "East", "NonAligned"], "bloc names")
    bloc_shares: list[float] = opt([0.35, 0.25, 0.40], "share of generated states in each bloc")
    bloc_governance: list[float] = opt(
        [0.15, 0.9, 0.5], "governance position of each bloc (0 open, 1 sovereign)"
    )
    rival_blocs: list[str] = opt(["West:East"], "pairs of rival blocs, written 'A:B'")
    rivals_per_state: float = opt(
        2.0, "mean number of rivals a state has in its rival bloc", min=0.0
    )
    sovereignty_concern: float = opt(0.5, "mean sovereignty concern", min=0.0, max=1.0)
    gdp_mean: float = opt(1.0, "mean GDP in trillions of USD (lognormal)", min=0.0)
    gdp_sigma: float = opt(1.0, "log-sd of GDP", min=0.0)
    digital_share: float = opt(0.15, "mean digital share of GDP", min=0.0, max=1.0)
    offensive_capability: float = opt(0.5, "mean offensive capability", min=0.0, max=1.0)
    resilience: float = opt(0.5, "mean defensive resilience", min=0.0, max=1.0)
    expertise: float = opt(0.5, "mean technical expertise of diplomats", min=0.0, max=1.0)
    boldness_mean: float = opt(0.5, "mean Axelrod boldness", min=0.0, max=1.0)
    vengefulness_mean: float = opt(0.5, "mean Axelrod vengefulness", min=0.0, max=1.0)
    heterogeneity: float = opt(0.15, "sd of per-state draws around the means", min=0.0, max=0.5)
    concession_min: float = opt(0.3, "smallest concession exponent (<1 Boulware)", min=0.01)
    concession_max: float = opt(3.0, "largest concession exponent (>1 Conceder)", min=0.01)
    list: list[StateSpec] = opt([], "states listed one by one")


@dataclass
class Attribution:
    """[attribution]: how evidence accumulates and when victims go public."""

    skill: float = opt(0.5, "mean attribution skill of states", min=0.0, max=1.0)
    threshold: float = opt(0.7, "confidence a victim needs to attribute publicly", min=0.0, max=1.0)
    evidence_rate: float = opt(0.08, "evidence per week from the victim's own skill", min=0.0)
    ally_sharing: float = opt(0.5, "weight of allies' shared intelligence", min=0.0)
    false_flag_rate: float = opt(
        0.03, "chance an operation plants evidence against a third state", min=0.0, max=1.0
    )
    proxy_share: float = opt(0.15, "chance an operation is run through a proxy", min=0.0, max=1.0)
    dwell_weeks: float = opt(
        8.0,
        "median weeks an intrusion goes unseen at resilience 0.6 "
        "with no company telemetry (M-Trends 2019: 56 days)",
        min=0.1,
    )
    dwell_trend: float = opt(
        0.0,
        "yearly share by which dwell times shrink (M-Trends: "
        "416 days in 2011 to 10 in 2023 is about 0.27)",
        min=0.0,
        max=0.9,
    )
    truth_discovery: float = opt(
        0.04, "per unit of evidence, chance the true culprit surfaces", min=0.0
    )


@dataclass
class Operations:
    """[operations]: when states use their exploits (Axelrod & Iliev 2014)."""

    opportunity_rate: float = opt(
        0.05, "chance per rival dyad per week that stakes arise", min=0.0, max=1.0
    )
    nonrival_rate: float = opt(
        0.02,
        "chance per state per week that stakes arise against some state that is not its rival",
        min=0.0,
        max=1.0,
    )
    stakes_alpha: float = opt(1.0, "stakes ~ Beta(alpha, beta)", min=0.01)
    stakes_beta: float = opt(2.0, "stakes ~ Beta(alpha, beta)", min=0.01)
    discount: float = opt(0.98, "weekly discount factor w", min=0.0, max=0.9999)
    stealth: float = opt(0.6, "chance an exploit stays usable after use (S)", min=0.0, max=1.0)
    persistence: float = opt(
        0.95, "chance a held exploit stays usable each week (P)", min=0.0, max=1.0
    )
    exploit_discovery: float = opt(0.3, "new exploits per week at capability 1", min=0.0)
    max_stockpile: int = opt(6, "largest exploit stockpile", min=1)
    market_growth: float = opt(
        0.0,
        "yearly growth of the exploit market: held exploits leak "
        "(persistence falls) and new ones come faster by this share",
        min=0.0,
        max=1.0,
    )
    deterrence_weight: float = opt(1.0, "weight of expected punishment in the stakes", min=0.0)
    punishment_scale: float = opt(0.15, "expected punishment at full vengefulness", min=0.0)
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
    )


@dataclass
class Response:
    """[response]: the ladder from tolerating to retaliation (Edwards et al. 2017)."""

    demarche_resolve: float = opt(0.15, "resolve needed for a private demarche", min=0.0)
    public_resolve: float = opt(0.3, "resolve needed for public attribution", min=0.0)
    sanction_resolve: float = opt(0.6, "resolve needed for sanctions", min=0.0)
    retaliation_resolve: float = opt(0.75, "resolve needed for cyber retaliation", min=0.0)
    retaliation_confidence: float = opt(0.7, "confidence needed to retaliate", min=0.0, max=1.0)
    counter_retaliation: float = opt(
        0.6, "scale of the chance a target hits back", min=0.0, max=1.0
    )
    hotline_deescalation: float = opt(
        0.7, "share of escalations a hotline or mediation stops", min=0.0, max=1.0
    )
    sanction_cost: float = opt(
        0.002, "share of GDP a sanction costs the sanctioned (per week)", min=0.0
    )
    sanction_weeks: int = opt(26, "weeks a sanction lasts", min=1)


@dataclass
class Companies:
    """[companies]: vendors, security firms and operators."""

    count: int = opt(6, "number of companies", min=0, max=500)
    engagement: float = opt(
        0.5, "private-sector engagement: sharing intelligence, reports", min=0.0, max=1.0
    )
    reach: float = opt(
        0.35, "mean share of a foreign state's systems a company sees", min=0.0, max=1.0
    )
    telemetry_skill: float = opt(0.6, "mean threat-intelligence skill", min=0.0, max=1.0)
    patch_speed: float = opt(0.3, "mean patch speed (cuts exploit persistence)", min=0.0, max=1.0)
    accord_share: float = opt(0.3, "share of companies in a tech accord", min=0.0, max=1.0)
    lobbying: float = opt(0.02, "weekly pull of accord members on home positions", min=0.0)
    accord_join_rate: float = opt(
        0.0,
        "weekly chance a company outside the accord joins, times (0.2 + share already in it)",
        min=0.0,
        max=1.0,
    )


@dataclass
class ThinkTanks:
    """[think_tanks]: research institutes, Track-2 and mediation."""

    count: int = opt(4, "number of think tanks", min=0, max=500)
    capacity: float = opt(0.5, "mean research capacity", min=0.0, max=1.0)
    network_size: int = opt(4, "states each think tank advises", min=1)
    track2_rate: float = opt(0.08, "chance per week of a Track-2 dialogue", min=0.0, max=1.0)
    mediation: bool = opt(True, "think tanks may draft compromise texts as mediators")


@dataclass
class Missions:
    """[missions]: embassies carrying bilateral consultations."""

    per_state: int = opt(20, "missions each state keeps abroad (0 removes all)", min=0)
    channel_quality: float = opt(0.6, "mean channel quality", min=0.0, max=1.0)
    trust_rate: float = opt(0.001, "weekly trust gain at full channel quality", min=0.0)


@dataclass
class BodySpec:
    """One organisation in [[organizations.bodies]]."""

    name: str = opt("UN OEWG", "its name")
    kind: str = opt("un", "kind of body", choices=("un", "osce", "regional", "treaty"))
    members: list[str] = opt(["all"], "'all', bloc names and/or state names")
    decision_rule: str = opt(
        "", "'' uses organizations.decision_rule", choices=("",) + DECISION_RULES
    )
    cadence: int = opt(0, "weeks between sessions (0 uses organizations.cadence)", min=0)
    rounds: int = opt(0, "rounds per session (0 uses organizations.rounds)", min=0)
    first_session: int = opt(8, "week of the first session", min=1)
    cbm: bool = opt(False, "runs confidence-building measures (contact points, hotline)")
    agenda: list[str] = opt([], "norm ids on the agenda (empty: the whole catalogue)")


@dataclass
class Organizations:
    """[organizations]: international bodies, their rules and CBM programmes."""

    decision_rule: str = opt("consensus", "default decision rule", choices=DECISION_RULES)
    qualified_majority: float = opt(0.67, "share needed under qualified_majority", min=0.5, max=1.0)
    cadence: int = opt(26, "default weeks between sessions", min=1)
    rounds: int = opt(6, "default rounds per session", min=1)
    cbm_evidence: float = opt(0.05, "weekly attribution evidence from CBM channels", min=0.0)
    bodies: list[BodySpec] = opt([BodySpec()], "the organisations (empty list: none)")


@dataclass
class ThreatActors:
    """[threat_actors]: criminal groups and state proxies."""

    count: int = opt(6, "number of threat actors", min=0, max=1000)
    criminal_share: float = opt(
        0.6, "share that are criminal groups (rest: proxies)", min=0.0, max=1.0
    )
    crime_rate: float = opt(
        0.05, "weekly crime incidents per criminal group at capability 1", min=0.0
    )
    capability: float = opt(0.5, "mean capability", min=0.0, max=1.0)


@dataclass
class Norms:
    """[norms]: the catalogue, what is adopted already, and enforcement."""

    catalogue: str = opt("gge2015", "built-in catalogue name or path to a TOML catalogue")
    adopted: dict[str, float] = opt({}, "norms adopted by all states at start: id = commitment")
    metanorms: bool = opt(False, "also punish those seen not punishing (Axelrod 1986)")
    visibility: float = opt(
        0.6, "chance a publicly attributed violation is seen by a state", min=0.0, max=1.0
    )
    generation: int = opt(52, "weeks per generation of boldness/vengefulness evolution", min=1)
    mutation_rate: float = opt(
        0.01, "chance per state per generation of a random B or V", min=0.0, max=1.0
    )
    imitation: float = opt(0.5, "strength of payoff-biased imitation", min=0.0)
    punishment_cost: float = opt(0.001, "GDP share a punishment costs the violator", min=0.0)
    enforcement_cost: float = opt(0.0002, "GDP share punishing costs the punisher", min=0.0)


@dataclass
class Negotiation:
    """[negotiation]: how members value texts and concede (Faratin et al. 1998)."""

    security_weight: float = opt(0.7, "weight of expected security gain", min=0.0)
    sovereignty_weight: float = opt(2.0, "weight of the sovereignty cost of bindingness", min=0.0)
    caution: float = opt(
        0.9, "how much low expertise makes a delegation hold back", min=0.0, max=1.0
    )
    reservation: float = opt(0.01, "utility below which a member rejects a text")
    pre_negotiation: float = opt(0.02, "weekly pull of positions through missions", min=0.0)
    mediation_weight: float = opt(
        0.5, "how far a mediator's draft moves to the median", min=0.0, max=1.0
    )
    initial_concession: float = opt(
        0.0, "Faratin's kappa: share conceded before round 1", min=0.0, max=1.0
    )
    silence_bar: float = opt(
        0.5,
        "under silence, share of its aspiration below which a member "
        "breaks silence (1: as demanding as consensus)",
        min=0.0,
        max=1.0,
    )
    misjudgement: float = opt(
        0.05, "sd of the error a delegation with no expertise makes judging a text", min=0.0
    )


@dataclass
class Trust:
    """[trust]: the state-to-state trust matrix."""

    within_bloc: float = opt(0.7, "initial trust inside a bloc", min=0.0, max=1.0)
    between_blocs: float = opt(0.45, "initial trust across blocs", min=0.0, max=1.0)
    rivals: float = opt(0.2, "initial trust between rivals", min=0.0, max=1.0)
    incident_loss: float = opt(
        0.06, "trust lost per publicly attributed severity-5 incident", min=0.0
    )
    retaliation_loss: float = opt(0.08, "trust lost by a retaliation", min=0.0)
    agreement_gain: float = opt(0.03, "trust gained between co-signatories", min=0.0)
    track2_gain: float = opt(0.03, "trust gained by a Track-2 dialogue", min=0.0)
    cbm_gain: float = opt(0.0005, "weekly trust gain between members of a CBM body", min=0.0)
    reversion: float = opt(0.002, "weekly pull back to the initial level", min=0.0, max=1.0)


@dataclass
class Economy:
    """[economy]: GDP growth, the digital dividend and damage."""

    growth: float = opt(0.02, "annual base growth", min=-0.5, max=0.5)
    digital_growth: float = opt(
        0.08, "annual growth of the digital share at full security/trust", min=0.0, max=1.0
    )
    damage_scale: float = opt(
        0.0004, "share of digital GDP lost per severity point", min=0.0, max=1.0
    )


@dataclass
class NormsGame:
    """[norms_game]: Axelrod's (1986) norms and metanorms game, every number a parameter."""

    population: int = opt(20, "players", min=2)
    opportunities: int = opt(4, "defection opportunities per player per generation", min=1)
    temptation: float = opt(3.0, "T: payoff to a defector")
    hurt: float = opt(-1.0, "H: payoff to each other player when one defects")
    punishment: float = opt(-9.0, "P: payoff to a punished defector")
    enforcement_cost: float = opt(-2.0, "E: payoff to a punisher")
    meta_punishment: float = opt(-9.0, "M'': payoff to one meta-punished for not punishing")
    meta_enforcement_cost: float = opt(-2.0, "M': payoff to a meta-punisher")
    mutation_rate: float = opt(0.01, "chance of flipping each gene bit", min=0.0, max=1.0)
    generations: int = opt(100, "generations per run", min=1)
    metanorms: bool = opt(False, "play the metanorms game")
    bits: int = opt(3, "bits per gene (levels 0/7..7/7 with 3)", min=1, max=16)


@dataclass
class ScriptedEvent:
    """One scripted event in [[events]]: what an instructor could do, at a given week."""

    week: int = opt(1, "the week it happens", min=1)
    kind: str = opt(
        "attack", "what happens", choices=("attack", "hotline", "convene", "share_intelligence")
    )
    attacker: str = opt("", "attack: the state that operates")
    target: str = opt("", "attack: the victim")
    type: str = opt("disruption", "attack: operation type", choices=INCIDENT_TYPES[:-1])
    severity: int = opt(4, "attack: DCID severity", min=1, max=10)
    framed: str = opt("", "attack: a state the planted evidence points at (false flag)")
    a: str = opt("", "hotline: one state")
    b: str = opt("", "hotline: the other state")
    organization: str = opt("", "convene: the organisation ('' = the first)")
    state: str = opt("", "share_intelligence: the state that receives it")
    amount: float = opt(0.3, "share_intelligence: extra evidence per week", min=0.0)


@dataclass
class Scenario:
    """A whole scenario: every section with its defaults."""

    scenario: Meta = sub(Meta)
    states: States = sub(States)
    attribution: Attribution = sub(Attribution)
    operations: Operations = sub(Operations)
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


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, globalns=globals())


def _check_leaf(value: Any, tp: Any, meta: Mapping[str, Any], src: str, key: str) -> Any:
    """Type- and range-check one value; return it in canonical form."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise UserError(src, key, f"expected a table, got {value!r}")
        return _build(tp, value, src, key)
    if origin is list:
        (arg,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise UserError(src, key, f"expected {_type_name(tp)}, got {value!r}")
        return [_check_leaf(v, arg, {}, src, f"{key}.{i}") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise UserError(src, key, f"expected a table of numbers, got {value!r}")
        out = {}
        for k, v in value.items():
            out[str(k)] = _check_leaf(v, float, meta, src, f"{key}.{k}")
        return out
    if tp is bool:
        if not isinstance(value, bool):
            raise UserError(src, key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(src, key, f"expected an integer, got {value!r}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(src, key, f"expected a number, got {value!r}")
        value = float(value)
    elif tp is str:
        if not isinstance(value, str):
            raise UserError(src, key, f"expected a string, got {value!r}")
    lo, hi, choices = meta.get("min"), meta.get("max"), meta.get("choices")
    if choices is not None and value not in choices:
        raise UserError(src, key, f"expected one of {', '.join(map(repr, choices))}, got {value!r}")
    if lo is not None and value < lo:
        raise UserError(src, key, f"expected a value >= {lo}, got {value!r}")
    if hi is not None and value > hi:
        raise UserError(src, key, f"expected a value <= {hi}, got {value!r}")
    return value


def _build(cls: type, data: Mapping[str, Any], src: str, prefix: str = "") -> Any:
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            raise UserError(src, dotted, f"unknown key (expected one of: {', '.join(fields)})")
        kwargs[key] = _check_leaf(value, hints[key], fields[key].metadata, src, dotted)
    obj = cls(**kwargs)
    return obj


# ----------------------------------------------------------------------------- loading


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names and their files."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}


def scenario_path(source: str | Path) -> Path:
    """Resolve a built-in scenario name or a path to a file; UserError if neither."""
    text = str(source)
    builtins = builtin_scenarios()
    if text in builtins:
        return builtins[text]
    path = Path(text)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise UserError(text, None, "no such scenario file")
        return path
    raise UserError(
        text, None, f"unknown scenario (built-in: {', '.join(builtins) or 'none'}; or a .toml path)"
    )


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning syntax errors into one clear line."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(str(path), None, f"malformed TOML ({exc})") from None
    except OSError as exc:
        raise UserError(str(path), None, f"cannot read ({exc.strerror})") from None


def parse_value(text: str) -> Any:
    """Parse an override's value as TOML (``0.8``, ``true``, ``["a", "b"]``), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(items: list[str] | None, src: str = "--set") -> dict[str, Any]:
    """Turn ``["a.b=1", ...]`` into ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(src, item, "expected KEY=VALUE, e.g. attribution.skill=0.8")
        out[key.strip()] = parse_value(value.strip())
    return out


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
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


def check_key(key: str, src: str = "--set") -> tuple[Any, Any]:
    """Return (type, field) of a dotted key, or raise UserError naming close keys."""
    known = {k: (tp, f) for k, tp, f in all_keys()}
    if key in known:
        return known[key]
    parent = key.rpartition(".")[0]
    if parent in known and typing.get_origin(known[parent][0]) is dict:
        return float, known[parent][1]  # one entry of a table, e.g. norms.adopted.f
    section = key.split(".")[0]
    close = [k for k in known if k.startswith(section + ".")] or list(known)[:8]
    raise UserError(src, key, f"unknown key (expected one of: {', '.join(close)})")


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
    data = copy.deepcopy(data)
    for key, value in (overrides or {}).items():
        check_key(key, override_source)
        _set_dotted(data, key, value)
    try:
        scen = _build(Scenario, data, src)
    except UserError as exc:
        # an override that failed type checks is blamed on the override, not the file
        for key in overrides or {}:
            if exc.key == key or (exc.key or "").startswith(key + "."):
                raise UserError(override_source, exc.key, exc.expected) from None
        raise
    scen.source = src
    _cross_check(scen)
    return scen


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
    if sum(st.bloc_shares) <= 0:
        raise UserError(src, "states.bloc_shares", "expected a positive total")
    for pair in st.rival_blocs:
        a, sep, b = pair.partition(":")
        if not sep or a not in st.blocs or b not in st.blocs:
            raise UserError(
                src,
                "states.rival_blocs",
                f"expected 'A:B' with blocs from {st.blocs}, got {pair!r}",
            )
    names = [spec.name for spec in st.list]
    for i, spec in enumerate(st.list):
        if not spec.name:
            raise UserError(src, f"states.list.{i}.name", "expected a name")
        if spec.bloc and spec.bloc not in st.blocs:
            raise UserError(src, f"states.list.{i}.bloc", f"expected one of {st.blocs}")
        for r in spec.rivals:
            if r not in names:
                raise UserError(src, f"states.list.{i}.rivals", f"unknown state {r!r}")
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
    valid_members = {"all", *st.blocs, *names}
    for i, body in enumerate(s.organizations.bodies):
        for m in body.members:
            if m not in valid_members and not m.startswith("state_"):
                raise UserError(
                    src,
                    f"organizations.bodies.{i}.members",
                    f"expected 'all', a bloc or a listed state, got {m!r}",
                )


def describe_keys() -> list[tuple[str, str, str, str]]:
    """(key, type, default, help) for every key, for `run.py scenarios --keys` and docs."""
    rows = []
    defaults = Scenario()
    for key, tp, f in all_keys():
        value: Any = defaults
        for part in key.split("."):
            value = getattr(value, part)
        if isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            value = "[...]"
        rows.append((key, _type_name(tp), repr(value), f.metadata.get("help", "")))
    return rows
