"""Validation targets: the model against published results and real-world facts.

Each target lives in its own module exposing ``run(target, args) -> dict`` (a JSON-able
result) and ``table(result) -> str`` (measured against published, for people).
"""

from __future__ import annotations

import argparse
import importlib
import json

from sim.errors import UserError

TARGETS: dict[str, str] = {
    "axelrod-iliev": "sim.validation.axelrod_iliev",
    "axelrod-norms": "sim.validation.axelrod_norms",
    "axelrod-metanorms": "sim.validation.axelrod_norms",
    "dcid": "sim.validation.dcid",
}


def available() -> list[str]:
    """Targets whose module is present."""
    out = []
    for name, module in TARGETS.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        out.append(name)
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    """`run.py validate [TARGET] [--json]`."""
    for flag in ("runs", "generations", "steps", "workers"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            raise UserError(f"--{flag}", None, f"expected a positive number, got {value}")
    if args.seed < 0:
        raise UserError("--seed", None, f"expected a non-negative integer, got {args.seed}")
    from sim.scenario import check_key, parse_assignments

    for key in parse_assignments(args.overrides):
        check_key(key)
    names = available() if args.target == "all" else [args.target]
    for name in names:
        if name not in TARGETS or name not in available():
            raise UserError(
                "validate", name, f"unknown target (expected one of: {', '.join(available())})"
            )
    results = []
    for name in names:
        module = importlib.import_module(TARGETS[name])
        result = module.run(name, args)
        results.append(result)
        if not args.json:
            print(module.table(result))
            print()
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    failed = [r["target"] for r in results if r.get("passed") is False]
    if failed and not args.json:
        print(f"outside the published band: {', '.join(failed)}")
    return 0
