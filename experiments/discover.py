"""Scenario discovery on a batch: which regions of the parameter space hold the runs of interest.

``run.py discover DIR --outcome NAME --above X`` (or ``--below X``, ``--top Q``) marks each
finished run as a case of interest or not, then describes where the cases lie:

- **PRIM** (the EMA Workbench's ``ema_workbench.analysis.prim``, Friedman and Fisher 1999,
  as used for scenario discovery by Bryant and Lempert 2010) peels the parameter space down
  to a box holding many cases (coverage) and few others (density); every step of the peel is
  kept, the *peeling trajectory*.
- **CART** (scikit-learn's ``DecisionTreeClassifier``) splits the runs into leaves; each leaf
  is a box too, with its own share of cases.

Results go to ``DIR/discovery-<outcome>-<method>.json`` (everything) and ``.html`` (charts,
self-contained), and ``report.html`` lists them. The same inputs give the same output.
"""

from __future__ import annotations

import html
import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.spec import Experiment
from experiments.storage import BatchStore, atomic_write
from sim.errors import UserError

METHODS = ("prim", "cart")
DEFAULT_THRESHOLD = 0.8  # PRIM: density the chosen box must reach (the EMA Workbench's old default)
DEFAULT_DEPTH = 3  # CART: tree depth
MASS_MIN = 0.05  # smallest box (PRIM) or leaf (CART) as a share of the runs
ALPHA = 0.05  # PRIM: a restriction counts when its quasi-p value is at most this
_MISSING = "needs the {} (the analysis extra): pip install -e '.[analysis]'"


# ----------------------------------------------------------------------------- the data


@dataclass
class Case:
    """Which runs are of interest: outcome above or below a value, or in its top share."""

    outcome: str
    kind: str  # "above", "below" or "top"
    value: float  # X, or the share Q for "top"
    cut: float  # the value the outcome is compared with (X, or the (1 - Q) quantile)

    def describe(self) -> str:
        """One line, e.g. ``escalations > 12``."""
        if self.kind == "above":
            return f"{self.outcome} > {self.cut:g}"
        if self.kind == "below":
            return f"{self.outcome} < {self.cut:g}"
        return f"{self.outcome} in the top {100 * self.value:.4g}% (> {self.cut:.4g})"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the JSON file."""
        return {
            "outcome": self.outcome,
            "kind": self.kind,
            "value": self.value,
            "cut": self.cut,
            "text": self.describe(),
        }


def make_case(
    outcome: str, above: float | None = None, below: float | None = None, top: float | None = None
) -> tuple[str, float]:
    """Check that exactly one of above/below/top is given; return (kind, value)."""
    given = [(k, v) for k, v in (("above", above), ("below", below), ("top", top)) if v is not None]
    if len(given) != 1:
        names = ", ".join(f"--{k}" for k, _ in given)
        raise UserError(
            "discover",
            None,
            "expected exactly one of --above X, --below X or --top Q"
            + (f", got {names}" if given else ""),
        )
    kind, value = given[0]
    if not math.isfinite(value):
        raise UserError("discover", f"--{kind}", f"expected a finite number, got {value}")
    if kind == "top" and not 0 < value < 1:
        raise UserError("discover", "--top", f"expected a share between 0 and 1, got {value}")
    return kind, float(value)


def classify(values: pd.Series, outcome: str, kind: str, value: float) -> tuple[np.ndarray, Case]:
    """The 0/1 case array of a run's outcome values, and the case it stands for.

    ``top`` Q: runs strictly above the (1 - Q) quantile of the outcome; runs tied at the
    quantile are not cases, so with many ties the share of cases is below Q.
    """
    v = values.to_numpy(dtype=float)
    if kind == "above":
        cut = value
        y = v > cut
    elif kind == "below":
        cut = value
        y = v < cut
    else:
        cut = float(np.quantile(v, 1 - value))
        y = v > cut
    return y.astype(int), Case(outcome, kind, value, float(cut))


def _label(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return str(v)


def load_runs(
    folder: str | Path, outcome: str
) -> tuple[Experiment, pd.DataFrame, list[str], dict[str, Any]]:
    """The batch's usable runs (finished, ok, outcome known) and the parameters that vary.

    Returns the experiment, the runs, the varying parameter names and a few counts.
    Categorical parameters (strings, booleans) come back as pandas ``category`` columns
    of string labels (``true``/``false`` for booleans), in the experiment file's order.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(str(folder), None, "no such folder")
    store = BatchStore(folder)
    manifest = store.read_manifest()
    exp = Experiment.from_dict(manifest["experiment"])
    if outcome not in exp.outcome_names:
        raise UserError(
            str(folder),
            "--outcome",
            f"expected one of {', '.join(exp.outcome_names)}; got {outcome!r}",
        )
    runs = store.runs_table()
    total = manifest.get("design", {}).get("runs")
    finished = len(runs)
    ok = runs[runs["status"] == "ok"] if finished else runs
    if not len(ok):
        raise UserError(str(folder), None, "no finished runs with status ok yet")
    missing = int(ok[outcome].isna().sum())
    ok = ok[ok[outcome].notna()].sort_values("run_id", kind="stable").reset_index(drop=True)
    if not len(ok):
        raise UserError(str(folder), "--outcome", f"{outcome} has no value in any finished run")
    varying, constant = [], []
    for p in exp.parameters:
        col = ok[p.name]
        if col.nunique(dropna=False) <= 1:
            constant.append(p.name)
            continue
        varying.append(p.name)
        if p.kind in ("bool", "str") or not pd.api.types.is_numeric_dtype(col):
            order = [_label(v) for v in (p.levels or [])]
            labels = col.map(_label).astype(object)
            cats = [c for c in order if c in set(labels)] + sorted(set(labels) - set(order))
            ok[p.name] = pd.Categorical(labels, categories=cats)
        elif p.kind == "int" or pd.api.types.is_integer_dtype(col):
            ok[p.name] = col.astype("int64")
        else:
            ok[p.name] = col.astype("float64")
    if not varying:
        raise UserError(
            str(folder), None, "no parameter varies among the finished runs: nothing to discover"
        )
    counts = {
        "runs_planned": total,
        "runs_finished": finished,
        "runs_ok": int((runs["status"] == "ok").sum()),
        "runs_missing_outcome": missing,
        "runs_used": len(ok),
        "constant_parameters": constant,
    }
    return exp, ok, varying, counts


def _is_categorical(col: pd.Series) -> bool:
    return isinstance(col.dtype, pd.CategoricalDtype)


def _num(x: Any) -> Any:
    """Python numbers from numpy scalars (NaN -> None), for JSON."""
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return None if math.isnan(x) else x
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def parameter_info(x: pd.DataFrame) -> list[dict[str, Any]]:
    """Per varying parameter: categorical with its levels, or numeric with its observed range."""
    out = []
    for name in x.columns:
        col = x[name]
        if _is_categorical(col):
            out.append({"name": name, "type": "categorical", "levels": list(col.cat.categories)})
        else:
            out.append(
                {
                    "name": name,
                    "type": "integer" if pd.api.types.is_integer_dtype(col) else "float",
                    "low": _num(col.min()),
                    "high": _num(col.max()),
                }
            )
    return out


# ----------------------------------------------------------------------------- PRIM


def _prim_limits(lims: pd.DataFrame, init: pd.DataFrame, x: pd.DataFrame) -> list[dict[str, Any]]:
    """The restricted parameters of one PRIM box: a range, or the categories allowed."""
    out = []
    for name in x.columns:
        if _is_categorical(x[name]):
            allowed = set(lims.loc[0, name])
            if allowed == set(init.loc[0, name]):
                continue
            levels = list(x[name].cat.categories)
            out.append(
                {
                    "parameter": name,
                    "type": "categorical",
                    "allowed": [c for c in levels if c in allowed],
                    "excluded": [c for c in levels if c not in allowed],
                }
            )
        else:
            lo, hi = _num(lims.loc[0, name]), _num(lims.loc[1, name])
            full_lo, full_hi = _num(init.loc[0, name]), _num(init.loc[1, name])
            if lo == full_lo and hi == full_hi:
                continue
            out.append(
                {
                    "parameter": name,
                    "type": "numeric",
                    "low": lo,
                    "high": hi,
                    "full_low": full_lo,
                    "full_high": full_hi,
                    "low_restricted": lo != full_lo,
                    "high_restricted": hi != full_hi,
                }
            )
    return out


def _quasi_p(box: Any, i: int) -> dict[str, list[float | None]]:
    return {
        str(k): [None if (v is None or v < 0) else _num(v) for v in vals]
        for k, vals in box.p_values[i].items()
    }


def _entry(b: Any, i: int, init: pd.DataFrame, x: pd.DataFrame) -> dict[str, Any]:
    """Box i of a PRIM trajectory as plain data."""
    from ema_workbench.analysis.prim_util import is_significant

    row = b.peeling_trajectory.iloc[i]
    limits = _prim_limits(b.box_lims[i], init, x)
    return {
        "id": i,
        "coverage": float(row["coverage"]),
        "density": float(row["density"]),
        "mass": float(row["mass"]),
        "n": int(row["n"]),
        "n_cases": int(row["k"]),
        "res_dim": len(limits),
        "significant": bool(is_significant(b, i, ALPHA)),
        "limits": limits,
        "quasi_p": _quasi_p(b, i),
    }


def choose_box(trajectory: list[dict[str, Any]], threshold: float) -> tuple[int, str]:
    """The box to report from a peeling trajectory, and why it was chosen.

    Among the boxes whose density reaches ``threshold`` (all boxes if none does), the one
    with the best balance of coverage and density: the highest harmonic mean of the two
    (an F-score; the larger box on a tie). The last box on a trajectory is the densest but
    often over-fitted: its last peels buy a little density with much coverage.
    """
    meeting = [t for t in trajectory if t["density"] >= threshold]
    pool = meeting or trajectory

    def score(t: dict[str, Any]) -> tuple[float, float]:
        c, d = t["coverage"], t["density"]
        return (round(2 * c * d / (c + d), 12) if c + d else 0.0, c)

    best = max(pool, key=score)
    if meeting:
        return best["id"], (
            f"of the boxes with density >= {threshold:g}, the best balance of coverage "
            "and density (highest harmonic mean)"
        )
    return best["id"], (
        f"no box reaches density {threshold:g}: the best balance of coverage and density "
        "(highest harmonic mean)"
    )


def _trim(
    b: Any, i: int, x: pd.DataFrame, init: pd.DataFrame, alpha: float, floor: float
) -> tuple[list[str], bool]:
    """Drop box i's limits whose quasi-p value is above ``alpha`` (back to the full range).

    Only when at least one limit is significant and the box without the others keeps a
    density of at least ``floor``; the trimmed box is added to the trajectory (as the EMA
    Workbench's ``drop_restriction`` does) and selected. Returns the limits dropped (e.g.
    ``states.count upper``) and whether any limit is significant.
    """
    lims = b.box_lims[i].copy()
    dropped, kept = [], 0
    for name, qps in b.p_values[i].items():
        for side, qp in enumerate(qps):
            if qp is None or qp < 0:  # -1: this side is not restricted
                continue
            if qp <= alpha:
                kept += 1
            elif _is_categorical(x[name]):
                lims[name] = init[name]
                dropped.append(name)
            else:
                lims.loc[side, name] = init.loc[side, name]
                dropped.append(f"{name} {'lower' if side == 0 else 'upper'}")
    if not kept:
        return [], False
    if dropped:
        from ema_workbench.analysis import scenario_discovery_util as sdutil

        remaining = b.prim.yi_remaining
        inside = remaining[np.asarray(sdutil._in_box(b.prim.x.loc[remaining, :], lims), bool)]
        if not len(inside) or b.prim.y[inside].mean() < floor:
            return [], True
        b.update(lims, inside)
    return dropped, True


def run_prim(
    x: pd.DataFrame,
    y: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    boxes: int = 1,
    box: int | None = None,
    mass_min: float = MASS_MIN,
) -> dict[str, Any]:
    """PRIM (EMA Workbench) on runs ``x`` with case array ``y``: boxes and their trajectories.

    ``boxes`` boxes are found one after another, each on the runs outside the boxes before
    it. ``box`` picks a box of the first trajectory by its id instead of :func:`choose_box`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from ema_workbench.analysis import prim
        except ImportError:
            raise UserError("discover", "--method", _MISSING.format("EMA Workbench")) from None

        alg = prim.Prim(x, y, peel_alpha=0.05, paste_alpha=0.05, mass_min=mass_min)
        init = alg.box_init
        found = []
        for k in range(boxes):
            b = alg.find_box()
            if b is None:
                break
            trajectory = [_entry(b, i, init, x) for i in range(len(b.peeling_trajectory))]
            dropped: list[str] = []
            if k == 0 and box is not None:
                if not 0 <= box < len(trajectory):
                    raise UserError(
                        "discover",
                        "--box",
                        f"expected a box id 0..{len(trajectory) - 1} of the trajectory, got {box}",
                    )
                picked, why = box, "chosen with --box"
                b.select(picked)
                chosen = picked
            else:
                picked, why = choose_box(trajectory, threshold)
                b.select(picked)
                floor = min(threshold, trajectory[picked]["density"])
                dropped, _ = _trim(b, picked, x, init, ALPHA, floor)
                chosen = picked
                if dropped:
                    chosen = len(trajectory)
                    trajectory.append({**_entry(b, chosen, init, x), "trimmed_from": picked})
            densest = max(trajectory, key=lambda t: (round(t["density"], 12), t["coverage"]))
            entry = {
                "box": k + 1,
                "chosen": chosen,
                "picked": picked,
                "why": why,
                "dropped": dropped,
                **trajectory[chosen],
                "densest": densest["id"],
                "trajectory": trajectory,
            }
            found.append(entry)
            if trajectory[chosen]["res_dim"] == 0:
                break  # the whole remaining space: no further box to find
    return {
        "settings": {
            "threshold": threshold,
            "peel_alpha": 0.05,
            "paste_alpha": 0.05,
            "mass_min": mass_min,
            "objective": "lenient1",
            "boxes": boxes,
        },
        "boxes": found,
    }


# ----------------------------------------------------------------------------- CART


def encode(x: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, str | None]]]:
    """Numeric columns as they are; categorical ones one-hot (``name=level``, 0/1).

    Returns the encoded table and, per encoded column, (parameter, level or None).
    """
    cols: dict[str, Any] = {}
    source: dict[str, tuple[str, str | None]] = {}
    for name in x.columns:
        col = x[name]
        if _is_categorical(col):
            for level in col.cat.categories:
                key = f"{name}={level}"
                cols[key] = (col == level).astype("int64").to_numpy()
                source[key] = (name, str(level))
        else:
            cols[name] = col.to_numpy(dtype=float)
            source[name] = (name, None)
    return pd.DataFrame(cols, index=x.index), source


def run_cart(
    x: pd.DataFrame, y: np.ndarray, depth: int = DEFAULT_DEPTH, mass_min: float = MASS_MIN
) -> dict[str, Any]:
    """CART (scikit-learn) on runs ``x`` with case array ``y``: the tree's nodes and leaves."""
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        raise UserError("discover", "--method", _MISSING.format("scikit-learn")) from None

    enc, source = encode(x)
    min_leaf = max(1, math.ceil(mass_min * len(x)))
    clf = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=min_leaf, random_state=0)
    clf.fit(enc.to_numpy(), y)
    t = clf.tree_
    names = list(enc.columns)
    total_cases = max(int(y.sum()), 1)
    in_node = clf.decision_path(enc.to_numpy()).tocsc()  # runs x nodes, 1 where it passes
    cases_in = np.asarray(in_node.T @ y).ravel()
    nodes: list[dict[str, Any]] = []
    levels = {c: list(x[c].cat.categories) for c in x.columns if _is_categorical(x[c])}

    def walk(node: int, depth_: int, path: list[dict[str, Any]]) -> None:
        n = int(t.n_node_samples[node])
        k = int(cases_in[node])
        entry: dict[str, Any] = {
            "id": node,
            "depth": depth_,
            "n": n,
            "n_cases": k,
            "density": k / n if n else 0.0,
            "coverage": k / total_cases,
            "mass": n / len(x),
            "condition": path[-1]["text"] if path else "all runs",
        }
        if t.children_left[node] == -1:
            entry["leaf"] = True
            entry["limits"] = _leaf_limits(path, x, levels)
            nodes.append(entry)
            return
        col = names[t.feature[node]]
        param, level = source[col]
        thr = float(t.threshold[node])
        entry.update({"leaf": False, "feature": col, "parameter": param, "threshold": thr})
        nodes.append(entry)
        if level is None:
            left = {"parameter": param, "op": "<=", "value": thr, "text": f"{param} <= {thr:.4g}"}
            right = {"parameter": param, "op": ">", "value": thr, "text": f"{param} > {thr:.4g}"}
        else:
            others = [v for v in levels[param] if v != level]
            not_level = f"{param} = {others[0]}" if len(others) == 1 else f"{param} != {level}"
            left = {"parameter": param, "op": "!=", "value": level, "text": not_level}
            right = {"parameter": param, "op": "==", "value": level, "text": f"{param} = {level}"}
        entry["left"] = int(t.children_left[node])
        entry["right"] = int(t.children_right[node])
        walk(int(t.children_left[node]), depth_ + 1, [*path, left])
        walk(int(t.children_right[node]), depth_ + 1, [*path, right])

    walk(0, 0, [])
    leaves = sorted(
        (nd for nd in nodes if nd["leaf"]), key=lambda d: (-d["density"], -d["n_cases"], d["id"])
    )
    return {
        "settings": {
            "max_depth": depth,
            "min_samples_leaf": min_leaf,
            "criterion": "gini",
            "random_state": 0,
            "encoding": "one-hot: each categorical parameter (strings, booleans) becomes one "
            "0/1 column per level, named parameter=level; numeric parameters are used as they are",
        },
        "nodes": sorted(nodes, key=lambda d: d["id"]),
        "leaves": leaves,
        "text": tree_text(nodes),
    }


def _leaf_limits(
    path: list[dict[str, Any]], x: pd.DataFrame, levels: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The conditions on the way to a leaf, merged into one range or category set each."""
    out: dict[str, dict[str, Any]] = {}
    for cond in path:
        p = cond["parameter"]
        if p in levels:
            d = out.setdefault(
                p, {"parameter": p, "type": "categorical", "allowed": list(levels[p])}
            )
            if cond["op"] == "==":
                d["allowed"] = [v for v in d["allowed"] if v == cond["value"]]
            else:
                d["allowed"] = [v for v in d["allowed"] if v != cond["value"]]
        else:
            d = out.setdefault(
                p,
                {
                    "parameter": p,
                    "type": "numeric",
                    "low": _num(x[p].min()),
                    "high": _num(x[p].max()),
                    "full_low": _num(x[p].min()),
                    "full_high": _num(x[p].max()),
                    "low_restricted": False,
                    "high_restricted": False,
                },
            )
            if cond["op"] == "<=":
                d["high"] = min(d["high"], cond["value"])
                d["high_restricted"] = True
            else:
                d["low"] = max(d["low"], cond["value"])
                d["low_restricted"] = True
                d["low_open"] = True  # CART: x > threshold
    for p, d in out.items():
        if d["type"] == "categorical":
            d["excluded"] = [v for v in levels[p] if v not in d["allowed"]]
    return [out[p] for p in x.columns if p in out]


def tree_text(nodes: list[dict[str, Any]]) -> str:
    """The tree as indented text; every node with its runs and share of cases."""
    by_id = {nd["id"]: nd for nd in nodes}
    lines: list[str] = []

    def stats(nd: dict[str, Any]) -> str:
        s = f"{nd['n']} runs, {nd['n_cases']} cases ({nd['density']:.0%})"
        if nd["leaf"]:
            s += f"  leaf: {nd['coverage']:.0%} of all cases"
        return s

    def walk(nid: int, prefix: str) -> None:
        nd = by_id[nid]
        if nd["leaf"]:
            return
        kids = [by_id[nd["left"]], by_id[nd["right"]]]
        for j, kid in enumerate(kids):
            last = j == len(kids) - 1
            lines.append(f"{prefix}{'`-- ' if last else '|-- '}{kid['condition']}: {stats(kid)}")
            walk(kid["id"], prefix + ("    " if last else "|   "))

    root = by_id[0]
    lines.append(f"all runs: {stats(root)}")
    walk(0, "")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the command


def limits_text(limits: list[dict[str, Any]]) -> list[str]:
    """One line per restricted parameter: its range, or the categories allowed."""
    out = []
    for d in limits:
        if d["type"] == "categorical":
            out.append(f"{d['parameter']} in {{{', '.join(d['allowed'])}}}")
        else:
            out.append(f"{d['parameter']} {_range_text(d)}")
    return out


def _range_text(d: dict[str, Any]) -> str:
    """``in [a, b]``, ``<= b`` or ``>= a``: only the sides that are restricted."""
    open_ = d.get("low_open", False)  # CART's splits: x > t on the left side of a range
    if d["low_restricted"] and d["high_restricted"]:
        return f"in {'(' if open_ else '['}{d['low']:.4g}, {d['high']:.4g}]"
    if d["high_restricted"]:
        return f"<= {d['high']:.4g}"
    if d["low_restricted"]:
        return f"{'>' if open_ else '>='} {d['low']:.4g}"
    return "unrestricted"


def discover(
    folder: str | Path,
    outcome: str,
    above: float | None = None,
    below: float | None = None,
    top: float | None = None,
    method: str = "prim",
    threshold: float = DEFAULT_THRESHOLD,
    boxes: int = 1,
    box: int | None = None,
    depth: int = DEFAULT_DEPTH,
) -> dict[str, Any]:
    """Run PRIM or CART on a batch and write ``discovery-<outcome>-<method>.json``/``.html``.

    Returns the result (the JSON's content) with the paths written under ``"files"``.
    """
    if method not in METHODS:
        raise UserError("discover", "--method", f"expected prim or cart, got {method!r}")
    kind, value = make_case(outcome, above, below, top)
    if not 0 < threshold <= 1:
        raise UserError("discover", "--threshold", f"expected a density in (0, 1], got {threshold}")
    if boxes < 1:
        raise UserError("discover", "--boxes", f"expected a positive number, got {boxes}")
    if depth < 1:
        raise UserError("discover", "--depth", f"expected a positive number, got {depth}")
    folder = Path(folder)
    exp, runs, params, counts = load_runs(folder, outcome)
    y, case = classify(runs[outcome], outcome, kind, value)
    n_cases = int(y.sum())
    v = runs[outcome]
    span = f"{outcome} runs from {v.min():.4g} to {v.max():.4g} in {len(runs)} runs"
    if n_cases == 0:
        raise UserError(str(folder), None, f"no run has {case.describe()} ({span})")
    if n_cases == len(y):
        raise UserError(
            str(folder), None, f"every run has {case.describe()} ({span}): nothing to tell apart"
        )
    x = runs[params]
    result: dict[str, Any] = {
        "method": method,
        "batch": folder.name,
        "experiment": exp.name,
        "case": case.to_dict(),
        **counts,
        "n_cases": n_cases,
        "case_share": n_cases / len(y),
        "parameters": parameter_info(x),
        "outcome_range": [_num(v.min()), _num(v.max())],
    }
    if method == "prim":
        result.update(run_prim(x, y, threshold=threshold, boxes=boxes, box=box))
    else:
        result.update(run_cart(x, y, depth=depth))
    stem = f"discovery-{_safe(outcome)}-{method}"
    json_path, html_path = folder / f"{stem}.json", folder / f"{stem}.html"
    atomic_write(json_path, json.dumps(_jsonable(result), indent=1, allow_nan=False).encode())
    atomic_write(html_path, discovery_html(result).encode())
    result["files"] = {"json": str(json_path), "html": str(html_path)}
    return result


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return _num(x)


def box_notes(b: dict[str, Any]) -> list[str]:
    """How a PRIM box was chosen, then warnings and the densest box of its trajectory."""
    traj = b["trajectory"]
    notes = [f"box {b['chosen']} of the peeling trajectory; {b['why']}"]
    if b["dropped"]:
        notes[0] += (
            f"; it is box {b['picked']} without the limits whose quasi-p value is above "
            f"{ALPHA:g} ({', '.join(b['dropped'])})"
        )
    if b["res_dim"] and not b["significant"]:
        cats = {d["parameter"] for d in b["limits"] if d["type"] == "categorical"}
        weak = [
            f"{name} {qp:.2g}" if name in cats else f"{name} {side} {qp:.2g}"
            for name, qps in b["quasi_p"].items()
            for side, qp in zip(("lower", "upper"), qps, strict=False)
            if qp is not None and qp > ALPHA
        ]
        notes.append(
            f"not every limit is significant (quasi-p above {ALPHA:g}: {', '.join(weak)}): "
            "a weak pattern, perhaps noise"
        )
    d = traj[b["densest"]]
    if d["id"] != b["chosen"]:
        notes.append(
            f"densest box on the trajectory: box {d['id']}, density {d['density']:.2f} at "
            f"coverage {d['coverage']:.2f} ({'; '.join(limits_text(d['limits'])) or 'all runs'})"
        )
    return notes


def summary(result: dict[str, Any]) -> str:
    """The printed summary: the case, then the chosen PRIM box(es) or the CART tree."""
    lines = [
        f"{result['batch']}: cases of interest {result['case']['text']}: "
        f"{result['n_cases']} of {result['runs_used']} runs ({result['case_share']:.0%})"
    ]
    if result["runs_planned"] is not None and result["runs_finished"] < result["runs_planned"]:
        lines[0] += (
            f"; partial batch: {result['runs_finished']} of {result['runs_planned']} runs finished"
        )
    if result["method"] == "prim":
        for b in result["boxes"]:
            lines.append(f"PRIM box {b['box']}: {box_notes(b)[0]}")
            lines.append(
                f"  coverage {b['coverage']:.2f} ({b['n_cases']} of {result['n_cases']} cases), "
                f"density {b['density']:.2f} ({b['n_cases']} of {b['n']} runs), "
                f"mass {b['mass']:.2f}"
            )
            lines.extend(f"  {s}" for s in limits_text(b["limits"]) or ["(no restriction)"])
            lines.extend(f"  {s}" for s in box_notes(b)[1:])
    else:
        lines.append(
            f"CART tree (depth {result['settings']['max_depth']}, leaves of at least "
            f"{result['settings']['min_samples_leaf']} runs; categorical parameters one-hot):"
        )
        lines.extend(f"  {s}" for s in result["text"].splitlines())
    lines.append(f"written: {result['files']['json']}, {result['files']['html']}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- HTML


def trajectory_chart(box: dict[str, Any]) -> Any:
    """Coverage against density along a PRIM peeling trajectory, coloured by restrictions."""
    import plotly.graph_objects as go

    from experiments.charts import PALETTE, _layout

    traj = box["trajectory"]
    path = [t for t in traj if "trimmed_from" not in t]
    fig = go.Figure(
        go.Scatter(
            x=[t["coverage"] for t in path],
            y=[t["density"] for t in path],
            mode="lines",
            line={"color": "#bbb", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for r in sorted({t["res_dim"] for t in traj}):
        pts = [t for t in traj if t["res_dim"] == r]
        fig.add_trace(
            go.Scatter(
                x=[t["coverage"] for t in pts],
                y=[t["density"] for t in pts],
                mode="markers",
                name=f"{r} restricted",
                marker={"size": 9, "color": PALETTE[r % len(PALETTE)]},
                text=[_hover(t) for t in pts],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    c = traj[box["chosen"]]
    fig.add_trace(
        go.Scatter(
            x=[c["coverage"]],
            y=[c["density"]],
            mode="markers",
            name=f"chosen (box {c['id']})",
            marker={"size": 18, "symbol": "circle-open", "color": "black", "line": {"width": 2}},
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(range=[-0.02, 1.02])
    fig.update_yaxes(range=[-0.02, 1.02])
    fig.update_layout(legend_title_text="parameters")
    return _layout(fig, f"Peeling trajectory of box {box['box']}", "coverage", "density")


def _hover(t: dict[str, Any]) -> str:
    e = html.escape
    lines = [
        f"box {t['id']}: coverage {t['coverage']:.2f}, density {t['density']:.2f}, "
        f"mass {t['mass']:.2f}, {t['n']} runs"
    ]
    lines.extend(e(s) for s in limits_text(t["limits"]))
    if not t["significant"]:
        lines.append("a restriction is not significant (quasi-p > 0.05)")
    return "<br>".join(lines)


def limits_chart(limits: list[dict[str, Any]], params: list[dict[str, Any]], title: str) -> Any:
    """Each restricted parameter's box range within its full range (0 to 1 of the range)."""
    import plotly.graph_objects as go

    from experiments.charts import PALETTE, _layout

    fig = go.Figure()
    info = {p["name"]: p for p in params}
    names = [d["parameter"] for d in limits][::-1]
    for d in limits:
        p = d["parameter"]
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[p, p],
                mode="lines",
                line={"color": "#ddd", "width": 14},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        if d["type"] == "categorical":
            levels = info[p]["levels"]
            xs = [(i + 0.5) / len(levels) for i in range(len(levels))]
            inside = [lv in d["allowed"] for lv in levels]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=[p] * len(levels),
                    mode="markers+text",
                    text=[html.escape(str(lv)) for lv in levels],
                    textposition="top center",
                    marker={
                        "size": 14,
                        "color": [PALETTE[0] if i else "white" for i in inside],
                        "line": {"color": PALETTE[0], "width": 2},
                    },
                    hovertext=[
                        f"{html.escape(p)} = {html.escape(str(lv))}: "
                        + ("in the box" if i else "excluded")
                        for lv, i in zip(levels, inside, strict=True)
                    ],
                    hoverinfo="text",
                    showlegend=False,
                )
            )
        else:
            span = (d["full_high"] - d["full_low"]) or 1.0
            a, b = (d["low"] - d["full_low"]) / span, (d["high"] - d["full_low"]) / span
            fig.add_trace(
                go.Scatter(
                    x=[a, b],
                    y=[p, p],
                    mode="lines+markers+text",
                    line={"color": PALETTE[0], "width": 14},
                    marker={"size": 4, "color": PALETTE[0]},
                    text=[
                        f"{d['low']:.3g}" if d["low_restricted"] else "",
                        f"{d['high']:.3g}" if d["high_restricted"] else "",
                    ],
                    textposition=["middle left", "middle right"],
                    hovertext=f"{html.escape(p)}: {d['low']:.4g} to {d['high']:.4g} "
                    f"(full range {d['full_low']:.4g} to {d['full_high']:.4g})",
                    hoverinfo="text",
                    showlegend=False,
                )
            )
    fig.update_yaxes(categoryorder="array", categoryarray=names)
    fig.update_xaxes(range=[-0.15, 1.15], tickvals=[0, 0.5, 1], ticktext=["low", "mid", "high"])
    fig = _layout(fig, title, "position in the parameter's range", "")
    fig.update_layout(height=max(220, 90 + 70 * len(limits)), margin={"l": 220})
    return fig


def limits_table(limits: list[dict[str, Any]]) -> str:
    """HTML table of a box's restricted parameters (names escaped)."""
    e = html.escape
    if not limits:
        return "<p>No parameter is restricted.</p>"
    rows = []
    for d in limits:
        if d["type"] == "categorical":
            what = "in {" + ", ".join(e(str(v)) for v in d["allowed"]) + "}"
            full = ", ".join(e(str(v)) for v in d["allowed"] + d["excluded"])
        else:
            what = e(_range_text(d))
            full = f"{d['full_low']:.4g} to {d['full_high']:.4g}"
        rows.append(f"<tr><td>{e(d['parameter'])}</td><td>{what}</td><td>{full}</td></tr>")
    return (
        '<table class="t"><tr><th>parameter</th><th>in the box</th><th>all runs</th></tr>'
        + "".join(rows)
        + "</table>"
    )


def _head(result: dict[str, Any]) -> str:
    e = html.escape
    case = result["case"]
    partial = ""
    if result["runs_planned"] is not None and result["runs_finished"] < result["runs_planned"]:
        partial = f" (partial batch: {result['runs_finished']} of {result['runs_planned']} runs)"
    return (
        f"<p>Cases of interest: <b>{e(case['text'])}</b>: {result['n_cases']} of "
        f"{result['runs_used']} runs ({result['case_share']:.0%}){e(partial)}. "
        f"Method: {e(result['method'].upper())}.</p>"
    )


def boxes_html(result: dict[str, Any]) -> str:
    """The chosen boxes (PRIM) or the densest leaves (CART), as HTML tables."""
    e = html.escape
    parts = []
    if result["method"] == "prim":
        for b in result["boxes"]:
            notes = box_notes(b)
            parts.append(
                f"<p><b>Box {b['box']}</b> ({e(notes[0])}): coverage {b['coverage']:.2f} "
                f"({b['n_cases']} of {result['n_cases']} cases), density {b['density']:.2f} "
                f"({b['n_cases']} of {b['n']} runs in the box), mass {b['mass']:.2f}.</p>"
                + limits_table(b["limits"])
                + "".join(f"<p>{e(n[0].upper() + n[1:])}.</p>" for n in notes[1:])
            )
    else:
        rows = []
        for lf in result["leaves"]:
            conds = "<br>".join(e(s) for s in limits_text(lf["limits"])) or "all runs"
            rows.append(
                f"<tr><td>{lf['id']}</td><td style='text-align:left'>{conds}</td>"
                f"<td>{lf['n']}</td><td>{lf['n_cases']}</td><td>{lf['density']:.2f}</td>"
                f"<td>{lf['coverage']:.2f}</td></tr>"
            )
        parts.append(
            "<p>Leaves, densest first (density: share of the leaf's runs that are cases; "
            "coverage: share of all cases in the leaf).</p>"
            '<table class="t"><tr><th>leaf</th><th>conditions</th><th>runs</th>'
            "<th>cases</th><th>density</th><th>coverage</th></tr>" + "".join(rows) + "</table>"
        )
    return "\n".join(parts)


STYLE = """<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222} table.t{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
table.t td,table.t th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
table.t td:first-child{text-align:left}
pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px}</style>"""


def discovery_html(result: dict[str, Any]) -> str:
    """The self-contained page of one discovery (plotly.js inside)."""
    e = html.escape
    title = f"Scenario discovery: {result['case']['text']} ({result['method'].upper()})"
    parts = [
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(title)}</title>{STYLE}'
        f"</head><body><h1>{e(title)}</h1>",
        f"<p>Batch {e(result['batch'])}, experiment {e(result['experiment'])}.</p>",
        _head(result),
    ]
    figs = []
    if result["method"] == "prim":
        s = result["settings"]
        parts.append(
            "<p>Coverage: the share of all cases that fall in the box. Density: the share of "
            "the box's runs that are cases. Mass: the share of all runs in the box. PRIM "
            f"(EMA Workbench) peels {s['peel_alpha']:.0%} of the runs at a time down to a "
            f"mass of {s['mass_min']:.0%}; hover over the trajectory to see each box.</p>"
        )
        parts.append(boxes_html(result))
        for b in result["boxes"]:
            figs.append(trajectory_chart(b))
            figs.append(limits_chart(b["limits"], result["parameters"], f"Box {b['box']}: limits"))
    else:
        parts.append(f"<p>Encoding: {e(result['settings']['encoding'])}.</p>")
        parts.append(f"<pre>{e(result['text'])}</pre>")
        parts.append(boxes_html(result))
    for i, fig in enumerate(figs):
        parts.append(
            fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        )
    if result["method"] == "prim":
        for b in result["boxes"]:
            parts.append(f"<h2>Trajectory of box {b['box']}</h2>" + _trajectory_table(b))
    parts.append("</body></html>")
    return "\n".join(parts)


def _trajectory_table(b: dict[str, Any]) -> str:
    e = html.escape
    rows = []
    for t in b["trajectory"]:
        mark = " <b>(chosen)</b>" if t["id"] == b["chosen"] else ""
        conds = "<br>".join(e(s) for s in limits_text(t["limits"]))
        rows.append(
            f"<tr><td>{t['id']}{mark}</td><td>{t['coverage']:.3f}</td><td>{t['density']:.3f}</td>"
            f"<td>{t['mass']:.3f}</td><td>{t['res_dim']}</td>"
            f"<td>{'yes' if t['significant'] else 'no'}</td>"
            f"<td style='text-align:left'>{conds}</td></tr>"
        )
    return (
        '<table class="t"><tr><th>box</th><th>coverage</th><th>density</th><th>mass</th>'
        "<th>restricted</th><th>significant</th><th>limits</th></tr>" + "".join(rows) + "</table>"
    )


def report_sections(folder: str | Path) -> list[str]:
    """HTML sections for report.html: one per ``discovery-*.json`` in the batch folder."""
    e = html.escape
    out = []
    for path in sorted(Path(folder).glob("discovery-*.json")):
        try:
            result = json.loads(path.read_text())
            body = _head(result) + boxes_html(result)
        except (ValueError, KeyError, TypeError):
            continue  # not ours, or from another version: skip rather than break the report
        page = path.with_suffix(".html").name
        link = f'<p><a href="{e(page)}">{e(page)}</a>: charts and the whole trajectory.</p>'
        if result.get("method") == "cart":
            body = f"<pre>{e(result['text'])}</pre>" + body
        out.append(
            f"<h2>Scenario discovery: {e(result['case']['text'])} "
            f"({e(str(result['method']).upper())})</h2>" + body + link
        )
    return out
