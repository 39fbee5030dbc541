"""Fingerprint the outputs of a few scenarios, to prove a refactoring changed nothing.

    .venv/bin/python scripts/fingerprint.py save before.json    # before the change
    .venv/bin/python scripts/fingerprint.py compare before.json # after: lists differences

A fingerprint is a hash of every metric column and of the event log, per scenario and
seed. Columns added since the save are reported, not counted as differences.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.run import simulate  # noqa: E402

RUNS = [
    ("baseline", 260),
    ("critical_infrastructure_crisis", 260),
    ("false_flag", 200),
    ("osce_hotline", 200),
    ("private_sector_accord", 150),
    ("sovereignty_blocs", 150),
    ("axelrod_metanorms", 50),
]
SEEDS = (1, 2)


def _hash(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:12]


def fingerprint() -> dict[str, dict]:
    """{scenario:seed: {"columns": {name: hash}, "events": hash}}."""
    out = {}
    for scenario, steps in RUNS:
        for seed in SEEDS:
            r = simulate(scenario, seed=seed, steps=steps)
            events = json.dumps(r.events, sort_keys=True, default=str).encode()
            out[f"{scenario}:{seed}"] = {
                "columns": {c: _hash(r.timeseries[c].to_numpy().tobytes()) for c in r.timeseries},
                "events": _hash(events),
            }
    return out


def main(argv: list[str]) -> int:
    """Save or compare; exit 1 when something differs."""
    if len(argv) != 2 or argv[0] not in ("save", "compare"):
        print(__doc__)
        return 2
    now = fingerprint()
    path = Path(argv[1])
    if argv[0] == "save":
        path.write_text(json.dumps(now, indent=1))
        print(f"saved {len(now)} fingerprints to {path}")
        return 0
    before = json.loads(path.read_text())
    diffs = []
    for run, fp in before.items():
        if now[run]["events"] != fp["events"]:
            diffs.append(f"{run}: events")
        for col, h in fp["columns"].items():
            if now[run]["columns"].get(col) != h:
                diffs.append(f"{run}: {col}")
    added = sorted(
        {c for run, fp in before.items() for c in set(now[run]["columns"]) - set(fp["columns"])}
    )
    print("\n".join(diffs) or f"identical: {len(before)} runs")
    if added:
        print(f"new columns (not compared): {', '.join(added)}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
