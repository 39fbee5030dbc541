"""Tests for Axelrod's norms game engine (sim/mechanics/norms_game.py) and its validation.

Its speed is measured by benchmarks/bench_norms_game.py, not here.
"""

import argparse

import numpy as np
import pandas as pd
import pytest

from sim.mechanics.norms_game import (
    COLUMNS,
    Draws,
    classify,
    evolve,
    imitate,
    mutate,
    offspring_counts,
    play_generation,
    run_classic,
    select,
)
from sim.scenario import NormsGame, load_scenario
from sim.validation import axelrod_norms

# distinct payoffs, so a swapped parameter shows up in the arithmetic
HAND = dict(
    population=3,
    opportunities=1,
    temptation=3.0,
    hurt=-1.0,
    punishment=-9.0,
    enforcement_cost=-2.0,
    meta_punishment=-7.0,
    meta_enforcement_cost=-3.0,
)


def hand_draws(n=3, o=1):
    """All uniforms 0.99 (nothing happens) unless a test sets them."""
    return Draws(
        seen=np.full((n, o), 0.99),
        see=np.full((n, o, n), 0.99),
        punish=np.full((n, o, n), 0.99),
        meta_see=np.full((n, o, n, n), 0.99),
        meta_punish=np.full((n, o, n, n), 0.99),
    )


# ----------------------------------------------------------------------------- one generation


def test_hand_worked_norms_generation():
    cfg = NormsGame(**HAND, metanorms=False)
    bold = np.array([7, 0, 0])  # B = 1, 0, 0
    veng = np.array([7, 7, 7])  # V = 1 for all
    d = hand_draws()
    d.seen[:, 0] = 0.5  # only player 0 defects (0.5 < 1)
    d.see[0, 0] = [0.0, 0.1, 0.9]  # player 1 sees it (0.1 < S = 0.5), player 2 does not
    d.punish[0, 0] = [0.0, 0.3, 0.0]  # player 1 punishes (0.3 < V = 1)
    res = play_generation(bold, veng, cfg, draws=d)
    # defector T + P; punisher H + E; bystander H; the defector cannot punish itself
    np.testing.assert_allclose(res.payoffs, [3 - 9, -1 - 2, -1])
    assert (res.defections, res.punishments, res.meta_punishments) == (1, 1, 0)


def test_hand_worked_metanorms_generation():
    cfg = NormsGame(**HAND, metanorms=True)
    bold = np.array([7, 0, 0])
    veng = np.array([7, 0, 7])  # player 1 never punishes; the defector is vengeful
    d = hand_draws()
    d.seen[:, 0] = 0.5
    d.see[0, 0] = [0.0, 0.1, 0.2]  # players 1 and 2 both see the defection
    d.punish[0, 0] = [0.0, 0.0, 0.0]  # player 2 punishes; player 1 (V = 0) cannot
    # player 2 sees player 1 let it go and meta-punishes; the defector (k = 0) and
    # player 1 itself are offered certain draws but must not count
    d.meta_see[0, 0, 1] = [0.0, 0.0, 0.4]
    d.meta_punish[0, 0, 1] = [0.0, 0.0, 0.5]
    res = play_generation(bold, veng, cfg, draws=d)
    np.testing.assert_allclose(res.payoffs, [3 - 9, -1 - 7, -1 - 2 - 3])
    assert (res.defections, res.punishments, res.meta_punishments) == (1, 1, 1)


def test_meta_seeing_uses_the_same_chance_of_being_seen():
    cfg = NormsGame(**HAND, metanorms=True)
    d = hand_draws()
    d.seen[:, 0] = 0.3  # S = 0.3
    d.see[0, 0] = [0.0, 0.1, 0.2]
    d.punish[0, 0] = [0.0, 0.0, 0.0]
    d.meta_see[0, 0, 1] = [0.0, 0.0, 0.35]  # 0.35 > S: player 2 does not see the lax one
    d.meta_punish[0, 0, 1] = [0.0, 0.0, 0.0]
    res = play_generation(np.array([7, 0, 0]), np.array([7, 0, 7]), cfg, draws=d)
    assert res.meta_punishments == 0
    np.testing.assert_allclose(res.payoffs, [3 - 9, -1, -1 - 2])


def test_metanorms_off_ignores_lax_players():
    cfg = NormsGame(**HAND, metanorms=False)
    d = hand_draws()
    d.seen[:, 0] = 0.5
    d.see[0, 0] = [0.0, 0.1, 0.2]
    d.punish[0, 0] = [0.0, 0.0, 0.0]
    d.meta_see[0, 0, 1] = 0.0
    d.meta_punish[0, 0, 1] = 0.0
    res = play_generation(np.array([7, 0, 0]), np.array([7, 0, 7]), cfg, draws=d)
    assert res.meta_punishments == 0
    np.testing.assert_allclose(res.payoffs, [-6, -1, -3])


def test_everyone_always_defects_nobody_punishes():
    cfg = NormsGame()  # 20 players, 4 opportunities
    res = play_generation(np.full(20, 7), np.zeros(20, int), cfg, np.random.default_rng(0))
    assert res.defections == 80 and res.punishments == 0
    # 4 T of its own, hurt by the other 19 players' 4 defections each
    np.testing.assert_allclose(res.payoffs, 4 * 3.0 + 19 * 4 * -1.0)


def test_defect_only_when_seen_chance_below_boldness():
    cfg = NormsGame(**HAND)
    d = hand_draws()
    d.seen[:, 0] = [3 / 7, 3 / 7 - 1e-9, 0.0]
    # B = 3/7: S = 3/7 is not below it; S just below is; B = 0 never defects
    res = play_generation(np.array([3, 3, 0]), np.zeros(3, int), cfg, draws=d)
    assert res.defections == 1
    np.testing.assert_allclose(res.payoffs, [-1, 3, -1])


# ----------------------------------------------------------------------------- selection


def test_offspring_counts_mean_plus_minus_one_sd():
    scores = np.array([0.0] * 16 + [10, 10, -10, -10])  # mean 0, SD sqrt(20) = 4.47
    np.testing.assert_array_equal(offspring_counts(scores), [1] * 16 + [2, 2, 0, 0])
    # the boundaries count: mean 0, SD 1 exactly
    np.testing.assert_array_equal(offspring_counts(np.array([1.0, -1.0])), [2, 0])
    np.testing.assert_array_equal(offspring_counts(np.full(5, -3.0)), [1] * 5)


def test_select_keeps_population_size_and_respects_counts():
    rng = np.random.default_rng(3)
    too_many = np.array([0.0] * 17 + [10.0, 10.0, 10.0])  # pool of 23 > 20
    too_few = np.array([0.0] * 17 + [-10.0, -10.0, -10.0])  # pool of 17 < 20
    for scores in (too_many, too_few):
        counts = offspring_counts(scores)
        assert counts.sum() != 20
        for _ in range(50):
            parents = select(scores, rng)
            assert parents.shape == (20,)
            assert np.all(counts[parents] > 0)  # nobody with zero offspring reproduces
    # in expectation, two-offspring players have twice the share of one-offspring players
    tally = np.zeros(20)
    for _ in range(4000):
        tally += np.bincount(select(too_many, rng), minlength=20)
    ratio = tally[17:].mean() / tally[:17].mean()
    assert ratio == pytest.approx(2.0, rel=0.05)


def test_evolve_moves_genes_towards_high_scorers():
    cfg = NormsGame(mutation_rate=0.0)
    bold = np.array([0] * 10 + [7] * 10)
    scores = np.array([10.0] * 10 + [-10.0] * 10)  # mean 0, SD 10: 2 vs 0 offspring
    new_b, new_v = evolve(bold, bold.copy(), scores, cfg, np.random.default_rng(0))
    np.testing.assert_array_equal(new_b, np.zeros(20))
    np.testing.assert_array_equal(new_v, np.zeros(20))


# ----------------------------------------------------------------------------- mutation


def test_mutation_flips_each_bit_at_the_rate():
    rng = np.random.default_rng(11)
    n, rate = 200_000, 0.01
    out = mutate(np.zeros(n, dtype=np.int64), 3, rate, rng)
    for bit in range(3):
        flips = ((out >> bit) & 1).sum()
        sd = np.sqrt(n * rate * (1 - rate))
        assert abs(flips - n * rate) < 5 * sd
    # independence: both of two given bits flip at rate**2
    both = (((out >> 0) & 1) & ((out >> 1) & 1)).sum()
    assert both < 60  # expected 20
    assert out.max() <= 7


def test_mutation_extremes():
    rng = np.random.default_rng(0)
    levels = np.arange(8)
    np.testing.assert_array_equal(mutate(levels, 3, 0.0, rng), levels)
    np.testing.assert_array_equal(mutate(levels, 3, 1.0, rng), 7 - levels)


# ----------------------------------------------------------------------------- runs


def test_run_classic_columns_and_ranges():
    cfg = load_scenario("axelrod_metanorms").norms_game
    df = run_classic(cfg, np.random.default_rng(5), 30)
    assert list(df.columns) == list(COLUMNS)
    assert list(df["step"]) == list(range(1, 31))
    assert df["mean_boldness"].between(0, 1).all()
    assert df["mean_vengefulness"].between(0, 1).all()
    assert (df["violations"] >= 0).all() and (df["violations"] <= 80).all()
    assert df["meta_punishments"].sum() > 0


def test_run_classic_defaults_to_config_generations():
    cfg = NormsGame(generations=17)
    assert len(run_classic(cfg, np.random.default_rng(0))) == 17


def test_determinism_by_seed():
    cfg = NormsGame(metanorms=True)
    a = run_classic(cfg, np.random.default_rng(42), 200)
    b = run_classic(cfg, np.random.default_rng(42), 200)
    c = run_classic(cfg, np.random.default_rng(43), 200)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_classify_galan_izquierdo():
    assert classify(2 / 7, 5 / 7) == "established"
    assert classify(0.0, 1.0) == "established"
    assert classify(6 / 7, 1 / 7) == "collapsed"
    assert classify(1.0, 0.0) == "collapsed"
    assert classify(2 / 7 + 0.01, 1.0) == "neither"
    assert classify(1.0, 1 / 7 + 0.01) == "neither"
    assert classify(0.5, 0.5) == "neither"


# ----------------------------------------------------------------------------- imitation


def test_imitate_spreads_higher_payoff_traits():
    rng = np.random.default_rng(1)
    traits = rng.random((200, 2))
    start = traits[:, 0].mean()
    for _ in range(30):
        traits = imitate(traits, payoff=traits[:, 0], rng=rng, strength=10.0, mutation_rate=0.0)
    assert traits[:, 0].mean() > start + 0.3
    # the reverse payoff drives it down
    traits = rng.random((200, 2))
    for _ in range(30):
        traits = imitate(traits, payoff=-traits[:, 0], rng=rng, strength=10.0, mutation_rate=0.0)
    assert traits[:, 0].mean() < start - 0.3


def test_imitate_copies_whole_trait_vectors_and_leaves_input():
    rng = np.random.default_rng(2)
    traits = rng.random((50, 3))
    before = traits.copy()
    out = imitate(traits, np.zeros(50), rng, strength=1.0, mutation_rate=0.0)
    np.testing.assert_array_equal(traits, before)
    rows = {tuple(r) for r in before}
    assert all(tuple(r) in rows for r in out)  # only existing rows, copied whole
    assert out.shape == before.shape


def test_imitate_strength_matters():
    rng = np.random.default_rng(4)
    traits = np.array([[0.0]] * 100 + [[1.0]] * 100)
    payoff = traits[:, 0].copy()
    strong = np.mean([imitate(traits, payoff, rng, 20.0, 0.0)[:100].mean() for _ in range(50)])
    neutral = np.mean([imitate(traits, payoff, rng, 0.0, 0.0)[:100].mean() for _ in range(50)])
    # low-payoff agents meet a high-payoff partner half the time; strong selection copies
    assert strong == pytest.approx(100 / 199, abs=0.03)
    assert neutral == pytest.approx(0.5 * 100 / 199, abs=0.03)


def test_imitate_mutation_rate():
    rng = np.random.default_rng(5)
    traits = np.full((5000, 2), 0.5)
    out = imitate(traits, np.zeros(5000), rng, strength=0.0, mutation_rate=0.1)
    changed = (out != 0.5).mean()
    assert changed == pytest.approx(0.1, abs=0.015)
    assert out.min() >= 0.0 and out.max() <= 1.0


# ----------------------------------------------------------------------------- validation


def _args(**kw):
    base = dict(runs=4, generations=100, seed=0, overrides=[], json=True, steps=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_validation_result_shape_and_reproducibility():
    res = axelrod_norms.run("axelrod-metanorms", _args())
    assert res["target"] == "axelrod-metanorms" and res["metanorms"] is True
    assert len(res["runs"]) == 4
    assert set(res["runs"][0]) >= {"seed", "mean_boldness", "mean_vengefulness"}
    assert 0 <= res["established_share"] <= 1 and isinstance(res["passed"], bool)
    # each run can be re-run from its own seed
    first = res["runs"][0]
    cfg = load_scenario("axelrod_metanorms").norms_game
    df = run_classic(cfg, np.random.default_rng(first["seed"]), 100)
    assert df["mean_boldness"].iloc[-1] == pytest.approx(first["mean_boldness"])
    assert axelrod_norms.run("axelrod-metanorms", _args()) == res
    assert "published" in axelrod_norms.table(res)


def test_validation_overrides_apply():
    res = axelrod_norms.run(
        "axelrod-norms", _args(generations=5, overrides=["norms_game.population=6"])
    )
    assert len(res["runs"]) == 4
    # with 6 players, means are multiples of 1/42
    b = res["runs"][0]["mean_boldness"] * 42
    assert b == pytest.approx(round(b))


# ----------------------------------------------------------------------------- published outcomes


def _shares(cfg, runs, generations, seed):
    labels, veng = [], []
    for child in np.random.SeedSequence(seed).spawn(runs):
        df = run_classic(cfg, np.random.default_rng(child), generations)
        b, v = df["mean_boldness"].iloc[-1], df["mean_vengefulness"].iloc[-1]
        labels.append(classify(b, v))
        veng.append(v)
    n = len(labels)
    return labels.count("established") / n, labels.count("collapsed") / n, np.mean(veng)


@pytest.mark.slow
def test_metanorms_establish_the_norm_at_100_generations():
    # measured: established in about 95% of 1,000 runs, collapsed in none
    cfg = load_scenario("axelrod_metanorms").norms_game
    established, collapsed, _ = _shares(cfg, 80, 100, seed=101)
    assert established >= 0.8
    assert collapsed == 0.0


@pytest.mark.slow
def test_norms_game_does_not_establish_the_norm_at_100_generations():
    # measured: established about 3%, collapsed about 14%, vengefulness down to about 0.3
    cfg = load_scenario("axelrod_norms").norms_game
    established, _, veng = _shares(cfg, 80, 100, seed=102)
    assert established <= 0.15
    assert veng < 0.45  # started at 0.5 on average; punishing does not pay


@pytest.mark.slow
def test_norms_game_collapses_over_1000_generations():
    # measured: collapsed in about 96% of runs
    cfg = load_scenario("axelrod_norms").norms_game
    established, collapsed, _ = _shares(cfg, 40, 1000, seed=103)
    assert collapsed >= 0.75
    assert established <= 0.1
