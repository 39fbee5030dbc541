"""Validation target ``axelrod-iliev``: the optimal use threshold T* of a cyber resource.

Axelrod & Iliev (2014, PNAS 111:1298). The threshold is computed by
:func:`sim.mechanics.timing.optimal_threshold`, the function the model's operation
decisions use, and checked against the closed form for stakes uniform on [0, 1].
"""

from __future__ import annotations

import argparse
from typing import Any

from sim.mechanics.timing import optimal_threshold, uniform_threshold_closed_form

# (stealth, persistence, discount): the paper's contrasts of stealthy vs. noisy and
# persistent vs. perishable resources, at patient and impatient discounting.
CASES = [
    (0.1, 0.1, 0.9),
    (0.1, 0.5, 0.9),
    (0.1, 0.9, 0.9),
    (0.1, 0.99, 0.99),
    (0.5, 0.1, 0.9),
    (0.5, 0.5, 0.9),
    (0.5, 0.9, 0.9),
    (0.5, 0.99, 0.99),
    (0.9, 0.1, 0.9),
    (0.9, 0.5, 0.9),
    (0.9, 0.9, 0.9),
    (0.9, 0.99, 0.99),
    (0.2, 0.8, 0.5),
    (0.2, 0.95, 0.98),
    (0.6, 0.95, 0.98),
    (0.0, 1.0, 0.95),
]
TOLERANCE = 1e-4


def run(target: str, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Compute T* for every case with the model's code and with the closed form."""
    cases = []
    for s, p, w in CASES:
        t = float(optimal_threshold(s, p, w))
        exact = uniform_threshold_closed_form(s, p, w)
        cases.append(
            {
                "stealth": s,
                "persistence": p,
                "discount": w,
                "threshold": t,
                "closed_form": exact,
                "error": abs(t - exact),
            }
        )
    worst = max(c["error"] for c in cases)
    return {
        "target": target,
        "stakes": "uniform on [0, 1]",
        "cases": cases,
        "max_error": worst,
        "tolerance": TOLERANCE,
        "passed": worst <= TOLERANCE,
    }


def table(result: dict[str, Any]) -> str:
    """Measured against the closed form, one line per case."""
    lines = [
        "axelrod-iliev: optimal use threshold T* (Axelrod & Iliev 2014, PNAS 111:1298)",
        "stakes uniform on [0,1]; model code vs closed form of the first-order condition",
        f"{'stealth':>8} {'persist':>8} {'discount':>8} {'T* model':>10} {'T* exact':>10}"
        f" {'error':>9}",
    ]
    for c in result["cases"]:
        lines.append(
            f"{c['stealth']:>8.2f} {c['persistence']:>8.2f} {c['discount']:>8.2f} "
            f"{c['threshold']:>10.5f} {c['closed_form']:>10.5f} {c['error']:>9.1e}"
        )
    verdict = "PASS" if result["passed"] else "FAIL"
    lines.append(
        f"max error {result['max_error']:.1e} (tolerance {result['tolerance']:.0e}): {verdict}"
    )
    return "\n".join(lines)
