"""report.html: one self-contained page per batch (plotly.js inside, opens offline), plus
the same charts as PNG in ``charts/`` on request (``--png``; needs a headless Chrome for
kaleido, and takes a few seconds).
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from experiments import analysis, charts
from experiments.spec import Experiment
from experiments.storage import BatchStore
from sim.metrics import FLOW

MAX_FAN_POINTS = 8
MAX_BOX_POINTS = 16


def question(text: str) -> str:
    """The comment lines at the top of an experiment file: the question it asks."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            lines.append(line.lstrip("#").strip())
        elif line.strip():
            break
    return " ".join(x for x in lines if x)


def point_label(values: dict[str, Any]) -> str:
    """A short label of a design point: last part of each key = value."""
    return ", ".join(
        f"{k.split('.')[-1]}={v:.3g}" if isinstance(v, float) else f"{k.split('.')[-1]}={v}"
        for k, v in values.items()
    )


def _table(df: pd.DataFrame, floatfmt: str = "{:.4g}") -> str:
    return df.to_html(
        index=False, classes="t", border=0, na_rep="", float_format=lambda x: floatfmt.format(x)
    )


def build_report(out: str | Path, quiet: bool = False, png: bool = False) -> Path:
    """Consolidate the batch's tables and write report.html (and charts/*.png)."""
    out = Path(out)
    store = BatchStore(out)
    manifest = store.read_manifest()
    store.consolidate(expected=manifest["design"]["runs"])
    exp = Experiment.from_dict(manifest["experiment"])
    runs = store.runs_table()
    params, outcomes = exp.parameter_names, exp.outcome_names
    conf = exp.confidence
    try:
        design = pd.read_csv(out / "design.csv") if (out / "design.csv").is_file() else None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        print(f"warning: {out}/design.csv: damaged; the report lists no design", file=sys.stderr)
        design = None
    figs: list[tuple[str, go.Figure]] = []
    sections: list[str] = []
    ok = analysis.ok_runs(runs)
    failed = runs[runs["status"] != "ok"]
    total = manifest["design"]["runs"]

    summary = analysis.point_summary(runs, params, outcomes, conf)
    if exp.method == "grid":
        for p in params:
            if runs[p].nunique() > 1:
                for o in outcomes:
                    figs.append(
                        (
                            f"{o}_by_{p}",
                            charts.outcome_vs_parameter(
                                analysis.marginal_summary(runs, p, o, conf), p, o, conf
                            ),
                        )
                    )
        multi = [p for p in params if runs[p].nunique() > 1]
        if len(multi) >= 2:
            for o in outcomes:
                figs.append((f"{o}_heatmap", charts.heatmap(summary, multi[0], multi[1], o)))
        diffs = analysis.paired_differences(runs, params, outcomes, conf)
        if not diffs.empty:
            sections.append(
                "<h2>Paired differences (same seeds)</h2><p>Each level minus the "
                "first level of the same parameter, paired on replicate seed and "
                f"the other parameters; {conf:.0%} confidence intervals.</p>" + _table(diffs)
            )
    elif len(ok):
        means = ok.groupby("point")[[*params, *outcomes]].agg(
            {**{p: "first" for p in params}, **{o: "mean" for o in outcomes}}
        )
        for p in params:
            if pd.api.types.is_numeric_dtype(means[p]) and not pd.api.types.is_bool_dtype(means[p]):
                for o in outcomes:
                    figs.append((f"{o}_vs_{p}", charts.outcome_scatter(means, p, o)))
    if exp.method == "sobol" and len(runs) == total:
        sob = analysis.sobol_analysis(runs, manifest["design"], params, outcomes, conf)
        if not sob.empty:
            sections.append(
                f"<h2>Sobol indices</h2><p>First-order (Saltelli 2010) and total "
                f"(Jansen) indices; {conf:.0%} bootstrap intervals.</p>" + _table(sob)
            )
            for o in sob["outcome"].unique():
                figs.append((f"{o}_sobol", charts.sobol_bars(sob, o)))
    if exp.method == "morris" and len(runs) == total:
        mor = analysis.morris_analysis(runs, manifest["design"], params, outcomes, conf)
        if not mor.empty:
            sections.append(
                "<h2>Morris screening</h2><p>mu* (mean absolute elementary "
                "effect, in units of the outcome per full parameter range) and "
                f"sigma; {conf:.0%} bootstrap intervals for mu*.</p>" + _table(mor)
            )
            for o in mor["outcome"].unique():
                figs.append((f"{o}_morris", charts.morris_bars(mor, o)))
    # SALib's delta and PAWN on the design's random sample ([design] analysis)
    for method in exp.analysis if len(runs) == total else []:
        sections.append(_sample_section(method, runs, manifest["design"], exp, figs))

    # time-series fans: per design point when there are few, else over all runs
    # (the outcomes' metrics among those the batch stored week by week)
    stored = set(exp.series_metrics)
    metrics = [m for m in dict.fromkeys(o.metric for o in exp.outcomes) if m in stored]
    if len(ok) and metrics:
        npoints = ok["point"].nunique()
        point_of = ok.set_index("run_id")["point"]
        chosen = sorted(ok["point"].unique())[:MAX_FAN_POINTS]
        ts_parts = []
        for chunk in store.iter_timeseries(metrics):
            chunk = chunk[chunk["run_id"].isin(point_of.index)]
            if npoints <= MAX_FAN_POINTS:
                chunk = chunk.assign(point=chunk["run_id"].map(point_of))
            else:
                chunk = chunk.assign(point=-1)
            ts_parts.append(chunk)
        ts = pd.concat(ts_parts, ignore_index=True) if ts_parts else pd.DataFrame()
        if not ts.empty:
            ts = ts.sort_values(["run_id", "step"], kind="stable")
            for m in metrics:
                if m in FLOW:  # weekly counts are noise; their running total reads as a trend
                    ts[m] = ts.groupby("run_id")[m].cumsum()
                fans = {}
                if npoints <= MAX_FAN_POINTS:
                    for pt in chosen:
                        values = ok[ok["point"] == pt].iloc[0][params].to_dict()
                        fans[point_label(values) or f"point {pt}"] = analysis.fan(
                            ts[ts["point"] == pt], m
                        )
                else:
                    fans["all runs"] = analysis.fan(ts, m)
                figs.append((f"{m}_fan", charts.fan_chart(fans, m, m in FLOW)))
        for o in outcomes:
            if npoints <= MAX_BOX_POINTS:
                labels = ok["point"].map(
                    lambda pt: (
                        point_label(ok[ok["point"] == pt].iloc[0][params].to_dict())
                        or f"point {pt}"
                    )
                )
                figs.append((f"{o}_distribution", charts.distribution(ok, o, labels)))
            else:
                figs.append((f"{o}_distribution", charts.distribution(ok, o)))

    # scenario discovery results (run.py discover) kept in the folder
    from experiments.discover import report_sections

    sections.extend(report_sections(out))

    path = out / "report.html"
    _write_html(path, exp, manifest, runs, failed, summary, design, sections, figs)
    if png and figs:
        write_pngs(out / "charts", figs, quiet=quiet)
    return path


def _sample_section(
    method: str,
    runs: pd.DataFrame,
    design: dict[str, Any],
    exp: Experiment,
    figs: list[tuple[str, go.Figure]],
) -> str:
    """The delta or PAWN section of the report (its bar charts appended to ``figs``)."""
    k = analysis.sample_points(design)
    title = {"delta": "Delta (moment-independent)", "pawn": "PAWN"}[method]
    try:
        table = analysis.sample_analysis(
            method, runs, design, exp.parameters, exp.outcome_names, exp.confidence
        )
    except ImportError:
        return (
            f"<h2>{title}</h2><p>SALib is not installed: "
            "<code>pip install -e '.[analysis]'</code>, then <code>run.py report</code>.</p>"
        )
    if table.empty:
        return f"<h2>{title}</h2><p>No outcome with a finished sample and some variance.</p>"
    if method == "delta":
        text = (
            f"Borgonovo's delta over the {k} sampled points (SALib, balanced estimator of "
            "Plischke et al. 2013): how far, on average, fixing the parameter moves the "
            "whole distribution of the outcome (0: not at all, at most 1); "
            f"{exp.confidence:.0%} bootstrap intervals."
        )
    else:
        crit = float(table["ks_critical"].iloc[0])
        text = (
            f"PAWN (Pianosi &amp; Wagener 2015; SALib) over the {k} sampled points: the "
            f"median, over {analysis.PAWN_SLIDES} slides of each parameter's range, of the "
            "Kolmogorov-Smirnov distance between the outcome's distribution in the slide "
            f"and over the whole sample; min and max over the slides. A slide's distance "
            f"below {crit:.3g} (the 95 % critical value) is what a parameter with no "
            "influence gives by chance."
        )
    if design.get("method") == "sobol":
        text += " The sample is the Saltelli design's base matrices A and B."
    text += " Replicates are averaged per point; a list of levels is coded 1, 2, ... by position."
    for o in table["outcome"].unique():
        figs.append((f"{o}_{method}", charts.sample_bars(table, o, method)))
    return f"<h2>{title}</h2><p>{text}</p>" + _table(table)


def write_pngs(folder: Path, figs: list[tuple[str, go.Figure]], quiet: bool = False) -> bool:
    """The charts as PNG through kaleido; one warning line (never an error) if it cannot."""
    import plotly.io as pio

    if Path("/usr/bin/chromium").is_file():
        os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        pio.write_images(
            [f for _, f in figs],
            [folder / f"{_safe(n)}.png" for n, _ in figs],
            width=900,
            height=420,
        )
    except Exception as exc:  # no Chrome, sandbox trouble...: the HTML report is enough
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"warning: PNG charts skipped ({type(exc).__name__}: {msg[:160]})", file=sys.stderr)
        return False
    return True


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _write_html(
    path: Path,
    exp: Experiment,
    manifest: dict[str, Any],
    runs: pd.DataFrame,
    failed: pd.DataFrame,
    summary: pd.DataFrame,
    design: pd.DataFrame | None,
    sections: list[str],
    figs: list[tuple[str, go.Figure]],
) -> None:
    e = html.escape
    q = question(exp.text) or exp.description
    total = manifest["design"]["runs"]
    head = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{e(exp.name)}: experiment report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}} table.t{{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}}
table.t td,table.t th{{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}}
pre{{background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px}} .meta td{{padding:2px 8px}}
</style></head><body>
<h1>{e(exp.name)}</h1>
<p><b>{e(q)}</b></p>
<table class="meta">
<tr><td>scenario</td><td>{e(exp.scenario)}</td></tr>
<tr><td>design</td><td>{e(exp.method)}: {manifest["design"]["points"]} design points
 × {exp.replicates} replicates = {total} runs of {exp.steps} steps</td></tr>
<tr><td>runs finished</td><td>{len(runs)} of {total}
 ({int((runs["status"] == "ok").sum()) if len(runs) else 0} ok, {len(failed)} failed)</td></tr>
<tr><td>root seed</td><td>{exp.seed}</td></tr>
<tr><td>git commit</td><td>{e(str(manifest.get("git_commit")))}</td></tr>
<tr><td>started / ended</td><td>{e(str(manifest.get("start")))} / {e(str(manifest.get("end")))}
</td></tr></table>
"""
    parts = [head]
    if len(failed):
        rows = failed[["run_id", "point", "replicate", "seed", "error"]].copy()
        rows["error"] = rows["error"].map(lambda t: (str(t).strip().splitlines() or [""])[-1])
        parts.append(
            "<h2>Failed runs</h2><p>Full tracebacks are in runs.csv (column error).</p>"
            + _table(rows)
        )
    parts.append(
        f"<h2>Outcomes per design point</h2><p>Mean over replicates with "
        f"{exp.confidence:.0%} confidence interval (Student t).</p>"
    )
    if len(summary) > 400:
        parts.append(f"<p>{len(summary)} rows: see runs.csv; first 400 shown.</p>")
    parts.append(_table(summary.head(400)))
    parts.extend(sections)
    parts.append("<h2>Charts</h2>")
    for i, (_, fig) in enumerate(figs):
        parts.append(
            fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        )
    if not figs:
        parts.append("<p>No finished runs yet.</p>")
    parts.append("</body></html>")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(parts))
    os.replace(tmp, path)
