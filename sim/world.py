"""The states' attributes as numpy arrays, and how a scenario's population is drawn.

Every attribute of every state lives in exactly one array here, indexed by the state's
position; the :class:`sim.agents.state.State` agents read and write through these arrays.
Pairwise relations (trust, rivalry, mission channels, hotlines) are n x n matrices, so
the work that runs for every pair of states is vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.errors import UserError, excerpt
from sim.scenario import Scenario, States, is_file, read_toml

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"
ADOPTION_LEVEL = 0.5  # a (state, norm) pair counts as adopted at this commitment or above
# roles a norm can play in the mechanics, declared per norm in its catalogue (`roles`)
# what an agenda item is about: the voluntary norms, then the items later bodies take up
AGENDA_TOPICS = ("norms", "implementation", "law", "capacity", "mechanism")
NORM_ROLES = {
    "haven_enforcement": "a haven committed to it prosecutes the criminal groups it hosts",
}


# the numeric fields of a catalogue item: default and upper bound (all start at 0).
# `security` (utility per commitment) and `constraint` (share) as in the module docs;
# `contested`: utility per commitment a state loses on the item for each point of
# sovereignty concern above states.position_pivot (rules on self-defence and
# countermeasures seen as legitimising force: Cuba's statement to the 2017 GGE; Henriksen
# 2019, Journal of Cybersecurity 5:1); `in_force`: the commitment that states holding
# existing international law already applies see in force, scaled by 1 - sovereignty
# concern (the United States' and the EU's position since 2004: existing law suffices;
# Maurer 2011, Belfer Center discussion paper 2011-11). See sim.mechanics.negotiation.
ITEM_FIELDS = {
    "security": (0.5, 1.0),  # catalogue data, not coefficients: each item sets its own
    "constraint": (0.5, 1.0),  # default and bound of a catalogue field
    "contested": (0.0, 5.0),  # bound: above 5 an item costs more than any security gain
    "in_force": (0.0, 1.0),  # a commitment level
}


@dataclass
class Catalogue:
    """A catalogue of norms (default: UN GGE 2015, A/70/174 para. 13 (a)-(k))."""

    name: str
    ids: list[str]
    titles: list[str]
    security: np.ndarray  # (K,) security value of each norm when others are bound
    constraint: np.ndarray  # (K,) how much each norm constrains sovereign control
    violated_by: dict[str, list[int]]  # operation type -> indices of norms it breaches
    roles: dict[str, list[int]]  # role (see NORM_ROLES) -> indices of norms that play it
    # items a body takes up only once these are agreed (indices), one list per item
    requires: list[list[int]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # see AGENDA_TOPICS
    # (K,) how far states that put sovereignty first see the item as a threat, and the
    # level states that hold existing law applies see in force already (ITEM_FIELDS)
    contested: np.ndarray | None = None
    in_force: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.contested is None:
            self.contested = np.zeros(len(self.ids))
        if self.in_force is None:
            self.in_force = np.zeros(len(self.ids))
        if not self.requires:
            self.requires = [[] for _ in self.ids]
        if not self.topics:
            self.topics = ["norms"] * len(self.ids)

    @property
    def size(self) -> int:
        """Number of norms."""
        return len(self.ids)


def load_catalogue(name_or_path: str, source: str = "norms.catalogue") -> Catalogue:
    """Load a built-in catalogue by name or a TOML catalogue file.

    ``source`` is the scenario file that names the catalogue: a relative path resolves
    against that file's folder (then, as before, against the working folder).
    """
    path = CATALOGUE_DIR / f"{name_or_path}.toml"
    if not is_file(path):
        path = Path(name_or_path)
        if not path.is_absolute():
            beside = Path(source).parent / path
            if source not in ("norms.catalogue", "<defaults>") and is_file(beside):
                path = beside
    if not is_file(path):
        builtins = ", ".join(p.stem for p in CATALOGUE_DIR.glob("*.toml"))
        raise UserError(
            source,
            "norms.catalogue",
            f"expected a built-in catalogue ({builtins}) or a file, got {excerpt(name_or_path)}",
        )
    src = str(path)
    data = read_toml(path)
    norms = data.get("norm", [])
    if not isinstance(norms, list) or not norms:
        raise UserError(src, "norm", "expected at least one [[norm]] table")
    name = data.get("name", path.stem)
    if not isinstance(name, str):
        raise UserError(src, "name", f"expected a string, got {excerpt(name)}")
    violated: dict[str, list[int]] = {}
    roles: dict[str, list[int]] = {}
    for k, norm in enumerate(norms):
        if not isinstance(norm, dict):
            raise UserError(src, f"norm.{k}", f"expected a table, got {excerpt(norm)}")
        for key in ("id", "title"):
            if not isinstance(norm.get(key), str):
                raise UserError(src, f"norm.{k}.{key}", "expected a string")
        if "sovereignty" in norm:
            raise UserError(src, f"norm.{k}.sovereignty", "renamed: use constraint")
        for key, (default, top) in ITEM_FIELDS.items():
            value = norm.get(key, default)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= top  # also refuses NaN
            ):
                raise UserError(
                    src,
                    f"norm.{k}.{key}",
                    f"expected a number in [0, {top:g}], got {excerpt(value)}",
                )
        topic = norm.get("topic", "norms")
        if topic not in AGENDA_TOPICS:
            raise UserError(src, f"norm.{k}.topic", f"expected one of {AGENDA_TOPICS}")
        for key in ("violated_by", "roles", "requires"):
            value = norm.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UserError(
                    src, f"norm.{k}.{key}", f"expected a list of strings, got {excerpt(value)}"
                )
        for t in norm.get("violated_by", []):
            violated.setdefault(t, []).append(k)
        for role in norm.get("roles", []):
            if role not in NORM_ROLES:
                raise UserError(src, f"norm.{k}.roles", f"expected roles from {sorted(NORM_ROLES)}")
            roles.setdefault(role, []).append(k)
    ids = [n["id"] for n in norms]
    if len(set(ids)) != len(ids):
        raise UserError(src, "norm", "expected unique norm ids")
    requires = []
    for k, norm in enumerate(norms):
        for r in norm.get("requires", []):
            if r not in ids[:k]:
                raise UserError(
                    src,
                    f"norm.{k}.requires",
                    f"expected ids of items listed before, got {excerpt(r)}",
                )
        requires.append([ids.index(r) for r in norm.get("requires", [])])
    return Catalogue(
        name=name,
        ids=ids,
        titles=[n["title"] for n in norms],
        **{
            key: np.array([float(n.get(key, default)) for n in norms])
            for key, (default, _) in ITEM_FIELDS.items()
        },
        violated_by=violated,
        roles=roles,
        requires=requires,
        topics=[n.get("topic", "norms") for n in norms],
    )


@dataclass
class World:
    """Attributes of the n states (arrays of length n) and their relations (n x n)."""

    names: list[str]
    bloc: np.ndarray
    bloc_names: list[str]
    governance: np.ndarray
    sovereignty_concern: np.ndarray
    gdp: np.ndarray  # trillions of USD
    digital_share: np.ndarray
    offensive_capability: np.ndarray
    resilience: np.ndarray
    attribution_skill: np.ndarray
    expertise: np.ndarray
    boldness: np.ndarray
    vengefulness: np.ndarray
    activity: np.ndarray
    salience: np.ndarray  # relative weight as a target of its rivals
    concession: np.ndarray  # Faratin et al. (1998) exponent beta
    stealth: np.ndarray
    persistence: np.ndarray
    stockpile: np.ndarray  # exploits held (int)
    ideal: np.ndarray  # (n, K) ideal commitment per norm
    exposure: np.ndarray  # (n, K) learned exposure: incidents suffered that breach each norm
    adopted: np.ndarray  # (n, K) adopted commitment per norm (0: not adopted)
    trust: np.ndarray  # (n, n) symmetric, in [0, 1]
    trust0: np.ndarray  # (n, n) initial trust, the level trust reverts to
    rival: np.ndarray  # (n, n) bool, symmetric
    mission_quality: np.ndarray  # (n, n) channel quality of i's mission in j (0: none)
    hotline: np.ndarray  # (n, n) bool, symmetric
    sanction_until: np.ndarray  # (n, n) int: i sanctions j until this step
    payoff: np.ndarray  # Axelrod payoff accumulated over the current generation
    nonaligned: list[str] = field(default_factory=list)  # blocs whose members have no allies
    ideal0: np.ndarray = field(init=False)  # (n, K) initial ideals: national interest
    reputation: np.ndarray = field(init=False)  # falls when publicly named; weighs in drafts
    penalties: np.ndarray = field(init=False)  # GDP lost to punishments this week
    shared_intel: np.ndarray = field(init=False)  # extra evidence per week (interventions)
    has_proxy: np.ndarray = field(init=False)  # 1 where the state sponsors a proxy group
    proxies: dict[int, list[tuple[int, int]]] = field(init=False)  # sponsor -> (actor id, haven)
    agreed: np.ndarray = field(init=False)  # (K,) highest commitment any agreed text set
    shock: np.ndarray = field(init=False)  # (n,) fresh shock of major incidents (windows)
    awareness: float = 1.0  # share of the items' security value states see (windows)
    outside_trust0: np.ndarray = field(init=False)  # (n,) initial trust toward other blocs
    outside_trust_best: np.ndarray = field(init=False)  # (n,) the highest it has been

    def __post_init__(self) -> None:
        n = self.n
        self.ideal0 = self.ideal.copy()
        self.reputation = np.zeros(n)
        self.penalties = np.zeros(n)
        self.shared_intel = np.zeros(n)
        self.has_proxy = np.zeros(n)
        self.proxies = {}
        self.agreed = np.zeros(self.ideal.shape[1])
        self.shock = np.zeros(n)
        # the share of each state's trust that is toward other blocs (blocs never change)
        other = self.bloc[:, None] != self.bloc[None, :]
        if not other.any():
            other = ~np.eye(self.n, dtype=bool)
        # each state's weight on each other-bloc state in its mean
        self._outside = other / np.maximum(other.sum(axis=1), 1)[:, None]
        self.outside_trust0 = self.outside_trust()
        self.outside_trust_best = self.outside_trust0.copy()
        # blocs never change, so alliances are derived once
        same = self.bloc[:, None] == self.bloc[None, :]
        aligned = np.array([b not in self.nonaligned for b in self.bloc_names])[self.bloc]
        self._ally = same & aligned[:, None]
        np.fill_diagonal(self._ally, False)

    def outside_trust(self) -> np.ndarray:
        """(n,) each state's mean trust in the states of other blocs (all others if the
        world has one bloc; 0 in a world of one state).
        """
        return np.einsum("ij,ij->i", self.trust, self._outside)

    def remember_outside_trust(self) -> None:
        """Keep the highest trust each state has had toward other blocs (for hardening)."""
        np.maximum(self.outside_trust_best, self.outside_trust(), out=self.outside_trust_best)

    def add_proxy(self, sponsor: int, actor: int, haven: int) -> None:
        """Record that `sponsor` runs operations through threat actor `actor` in `haven`."""
        self.has_proxy[sponsor] = 1.0
        self.proxies.setdefault(sponsor, []).append((actor, haven))

    @property
    def n(self) -> int:
        """Number of states."""
        return len(self.names)

    @property
    def ally(self) -> np.ndarray:
        """(n, n) bool: same bloc, not self (members of `nonaligned` blocs have no allies)."""
        return self._ally

    def index(self, name: str) -> int:
        """Position of a state by name."""
        return self.names.index(name)


def _draw(rng: np.random.Generator, mean: float, sd: float, size: int) -> np.ndarray:
    """Draws in [0, 1] around a mean (a clipped normal keeps the mean for moderate sd)."""
    return np.clip(rng.normal(mean, sd, size), 0.0, 1.0)


def build_world(s: Scenario, catalogue: Catalogue, rng: np.random.Generator) -> World:
    """Draw the population of states described by a scenario."""
    st: States = s.states
    listed = st.list
    n = max(st.count, len(listed))
    h = st.heterogeneity
    bloc_names = list(st.blocs)
    shares = np.array(st.bloc_shares) / sum(st.bloc_shares)

    # generated states fill up to `count` after the listed ones, blocs in proportion
    n_gen = n - len(listed)
    # largest remainders (Hamilton's method): whole quotas first, then one more state to
    # the blocs with the largest remainders (ties: the larger share)
    quota = shares * n_gen
    counts = np.floor(quota).astype(int)
    order = np.lexsort((-shares, -(quota - counts)))
    counts[order[: n_gen - counts.sum()]] += 1
    gen_blocs = np.repeat(np.arange(len(bloc_names)), counts)
    bloc = np.concatenate(
        [
            np.array(
                [bloc_names.index(x.bloc) if x.bloc else len(bloc_names) - 1 for x in listed],
                dtype=int,
            ),
            gen_blocs.astype(int),
        ]
    )
    names = [x.name for x in listed] + [f"State {i + 1}" for i in range(len(listed), n)]

    def attr(name: str, drawn: np.ndarray) -> np.ndarray:
        vals = drawn.copy()
        for i, spec in enumerate(listed):
            v = getattr(spec, name)
            if v >= 0:
                vals[i] = v
        return vals

    gov_mean = np.array(st.bloc_governance)[bloc]
    governance = attr("governance", np.clip(gov_mean + rng.normal(0, h / 2, n), 0, 1))
    sovereignty = attr(
        "sovereignty_concern",
        np.clip(
            st.sovereignty_concern
            + st.governance_sovereignty * (governance - 0.5)
            + rng.normal(0, h, n),
            0,
            1,
        ),
    )
    sigma = st.gdp_sigma
    gdp = attr("gdp", st.gdp_mean * np.exp(rng.normal(-(sigma**2) / 2, sigma, n)))
    digital = attr("digital_share", _draw(rng, st.digital_share, h / 2, n))
    offense = attr("offensive_capability", _draw(rng, st.offensive_capability, h, n))
    resilience = attr("resilience", _draw(rng, st.resilience, h, n))
    skill = attr("attribution_skill", _draw(rng, st.attribution_skill, h, n))
    expertise = attr("expertise", _draw(rng, st.expertise, h, n))
    boldness = attr("boldness", _draw(rng, st.boldness, h, n))
    vengefulness = attr("vengefulness", _draw(rng, st.vengefulness, h, n))
    activity = np.array([x.activity for x in listed] + [1.0] * n_gen)
    lo, hi = np.log(st.concession_min), np.log(st.concession_max)
    concession = np.exp(rng.uniform(lo, hi, n))

    K = catalogue.size
    # ideal commitment: higher for norms that protect a digital economy, lower where a norm
    # constrains sovereign control and the state cares about sovereignty
    dig_rel = np.sqrt(digital / max(digital.mean(), 1e-9))
    ideal = np.clip(
        st.position_base
        + st.position_security * catalogue.security[None, :] * dig_rel[:, None]
        - st.position_sovereignty
        * (sovereignty[:, None] - st.position_pivot)
        * catalogue.constraint[None, :]
        + rng.normal(0, h, (n, K)),
        0.0,
        1.0,
    )

    rival = np.zeros((n, n), dtype=bool)
    for pair in st.rival_blocs:
        a, _, b = pair.partition(":")
        ia, ib = bloc_names.index(a), bloc_names.index(b)
        mask = (bloc[:, None] == ia) & (bloc[None, :] == ib)
        # each state of the larger bloc gets about `rivals_per_state` rivals in the other
        # (states of the smaller bloc get proportionally more)
        size = max(1, min((bloc == ia).sum(), (bloc == ib).sum()))
        draw = rng.random((n, n)) < min(1.0, st.rivals_per_state / size)
        rival |= mask & draw
    for i, spec in enumerate(listed):
        for r in spec.rivals:
            rival[i, names.index(r)] = True
    rival = rival | rival.T
    np.fill_diagonal(rival, False)

    tr = s.trust
    same = bloc[:, None] == bloc[None, :]
    trust = np.where(same, tr.within_bloc, tr.between_blocs)
    trust = np.where(rival, tr.rivals, trust)
    np.fill_diagonal(trust, 1.0)

    ops = s.operations
    return World(
        names=names,
        bloc=bloc,
        bloc_names=bloc_names,
        governance=governance,
        sovereignty_concern=sovereignty,
        gdp=gdp.astype(float),
        digital_share=digital,
        offensive_capability=offense,
        resilience=resilience,
        attribution_skill=skill,
        expertise=expertise,
        boldness=boldness,
        vengefulness=vengefulness,
        activity=activity,
        salience=np.array([x.salience for x in listed] + [1.0] * n_gen),
        concession=concession,
        stealth=np.full(n, ops.stealth),
        persistence=np.full(n, ops.persistence),
        stockpile=rng.integers(0, ops.max_stockpile + 1, n) * (offense > ops.capability_floor),
        ideal=ideal,
        exposure=np.zeros((n, K)),
        adopted=np.zeros((n, K)),
        trust=trust.astype(float),
        trust0=trust.astype(float).copy(),
        rival=rival,
        mission_quality=np.zeros((n, n)),
        hotline=np.zeros((n, n), dtype=bool),
        sanction_until=np.zeros((n, n), dtype=int),
        payoff=np.zeros(n),
        nonaligned=list(st.nonaligned),
    )
