"""How long one step of the default scenario takes to show: model step + all four views.

Measures, per step, (a) ``model.step()``, (b) building every plotly figure
(sim.app.views.all_figures) and (c) pushing them into plotly FigureWidgets the way
solara.FigurePlotly does in the app (the server's share of a redraw; the browser then
draws). Target: well under half a second per step on a laptop.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plotly.graph_objs import FigureWidget  # noqa: E402

from sim.app.app import AppModel  # noqa: E402
from sim.app.views import all_figures  # noqa: E402

WARMUP = 20
STEPS = 60
BUDGET = 0.5  # seconds


def push(widget: FigureWidget, fig) -> None:
    """What solara.FigurePlotly does on each update."""
    widget.layout = fig.layout
    n = len(widget.data)
    widget.add_traces(fig.data)
    widget.data = list(widget.data)[n:]


def main() -> int:
    model = AppModel(scenario="baseline", seed=0)
    widgets = {name: FigureWidget() for name in all_figures(model)}
    for _ in range(WARMUP):
        model.step()
        for name, fig in all_figures(model).items():
            push(widgets[name], fig)
    step_t, build_t, push_t = [], [], []
    for _ in range(STEPS):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        figs = all_figures(model)
        t2 = time.perf_counter()
        for name, fig in figs.items():
            push(widgets[name], fig)
        t3 = time.perf_counter()
        step_t.append(t1 - t0)
        build_t.append(t2 - t1)
        push_t.append(t3 - t2)
    total = [a + b + c for a, b, c in zip(step_t, build_t, push_t, strict=True)]
    ms = 1000.0
    print(f"app frame, baseline, weeks {WARMUP + 1}-{WARMUP + STEPS} (median / max, ms)")
    for label, xs in (
        ("model.step()", step_t),
        ("build 4 figures", build_t),
        ("update FigureWidgets", push_t),
        ("step + render", total),
    ):
        print(f"  {label:<22} {statistics.median(xs) * ms:7.1f} {max(xs) * ms:7.1f}")
    print(f"  budget {BUDGET * ms:.0f} ms")
    print("figures:", ", ".join(f"{k} ({len(f.data)} traces)" for k, f in figs.items()))
    ok = statistics.median(total) < BUDGET
    print("OK" if ok else "TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
