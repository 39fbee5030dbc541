"""The notebooks of docs/notebooks run top to bottom and show what they promise.

Each is executed by nbclient in a kernel of this interpreter: a ``python3`` kernelspec made
for the test (``JUPYTER_PATH`` comes first), so a kernel installed for another Python on
this machine cannot be picked up instead. The notebooks are kept without outputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "docs" / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> str:
    """A kernelspec named python3 that runs this interpreter."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the sweep's temporary folder goes here too
    return "python3"


def execute(name: str, kernel: str, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name=kernel, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()  # raises CellExecutionError, with the traceback, if any cell fails
    return nb


def outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.parametrize("name", ["sweep.ipynb", "app.ipynb"])
def test_notebooks_are_kept_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, name


@pytest.mark.slow
def test_sweep_notebook_runs_a_sweep_and_plots_it(kernel, tmp_path):
    nb = execute("sweep.ipynb", kernel, tmp_path)
    outs = outputs(nb)
    assert not [o for o in outs if o.output_type == "error"]
    text = "\n".join(o.get("data", {}).get("text/plain", "") for o in outs)
    assert "total=8, ran=8, skipped=0, failed=0" in text  # run_batch's result
    figures = [o["data"][PLOTLY] for o in outs if PLOTLY in o.get("data", {})]
    assert len(figures) == 2
    strip, line = figures
    assert [t["name"] for t in strip["data"]] == ["False", "True"]  # metanorms off, on
    assert strip["layout"]["xaxis"]["title"]["text"] == "states.attribution_skill"
    assert len(line["data"]) == 4  # one line per design point


@pytest.mark.slow
def test_app_notebook_shows_solaraviz_inline(kernel, tmp_path):
    nb = execute("app.ipynb", kernel, tmp_path)
    outs = outputs(nb)
    assert not [o for o in outs if o.output_type == "error"]
    assert sum(WIDGET in o.get("data", {}) for o in outs) == 2  # SolaraViz, then Page
    assert any(o.get("data", {}).get("text/plain") == "8" for o in outs)  # model.steps
    state = json.dumps(nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"])
    for shown in ("states.attribution_skill", "Reset", "Instructor", "Launch an attack"):
        assert shown in state, shown  # the controls and the instructor's card were rendered
    assert "Traceback" not in state  # a component that failed would show its traceback
