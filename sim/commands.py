"""The `run` and `scenarios` commands."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.errors import UserError
from sim.metrics import HEADLINE
from sim.paths import check_out, safe_name
from sim.run import simulate, write_outputs
from sim.scenario import builtin_scenarios, describe_keys, load_scenario, parse_assignments


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, print a summary table, write the outputs."""
    overrides = parse_assignments(args.overrides)
    scen = load_scenario(args.scenario, overrides)
    if args.seed < 0:
        raise UserError("--seed", None, f"expected a non-negative integer, got {args.seed}")
    game = scen.scenario.kind == "norms_game"
    generations = getattr(args, "generations", None)
    if game and args.steps is not None:
        raise UserError("--steps", None, "a norms-game scenario counts --generations, not weeks")
    if not game and generations is not None:
        raise UserError("--generations", None, "a world scenario counts weeks: use --steps")
    horizon, flag = (generations, "--generations") if game else (args.steps, "--steps")
    if horizon is not None and horizon < 1:
        raise UserError(flag, None, f"expected a positive number, got {horizon}")
    from experiments.preflight import check_run_size

    default = scen.norms_game.generations if game else scen.scenario.steps
    check_run_size(scen, default if horizon is None else horizon, "run", args.allow_large)
    out = check_out(Path(args.out) if args.out else Path("out") / safe_name(scen.name))
    t0 = time.perf_counter()
    result = simulate(scen, seed=args.seed, steps=horizon, progress=not args.quiet)
    elapsed = time.perf_counter() - t0
    try:
        write_outputs(result, out)
    except OSError as exc:
        raise UserError("--out", None, f"cannot write to {out} ({exc.strerror})") from None
    summary = result.summary["metrics"]
    unit = "generations" if scen.scenario.kind == "norms_game" else "weeks"
    print(f"{scen.name}: {result.steps} {unit}, seed {args.seed}, {elapsed:.2f} s")
    print(f"{'metric':<24}{'total':>12}{'final':>12}")
    names = [k for k in HEADLINE if k in summary] or list(summary)
    extra = [
        k
        for k in (
            "agreements",
            "norms_adopted_share",
            "retaliations",
            "violations",
            "punishments",
            "mean_boldness",
            "mean_vengefulness",
        )
        if k in summary
    ]
    for name in dict.fromkeys(names + extra):
        v = summary[name]
        total = "" if v["total"] is None else f"{v['total']:.4g}"
        final = "" if v["final"] is None else f"{v['final']:.4g}"
        print(f"{name:<24}{total:>12}{final:>12}")
    print(
        f"wrote {out}/: timeseries.csv, timeseries.parquet, events.jsonl, story.txt, "
        "summary.json, report.html"
    )
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the built-in scenarios (or every key with --keys)."""
    if args.keys:
        rows = describe_keys()
        print(
            f"{'key':<40} {'type':<20} {'default':<12} {'unit':<22} {'bounds':<16} meaning [source]"
        )
        for k in rows:
            default = repr(k.default)
            default = default if len(default) <= 12 else default[:9] + "..."
            print(
                f"{k.key:<40} {k.type:<20} {default:<12} {k.unit:<22} {k.bounds:<16} "
                f"{k.help}" + (f" [{k.source}]" if k.unit else "")
            )
        print(f"{len(rows)} keys")
        return 0
    for name, path in builtin_scenarios().items():
        scen = load_scenario(path)
        print(f"{name:<32} {scen.scenario.description}")
    return 0
