"""A real install: the wheel carries the scenarios, catalogues and example experiments.

The slow test builds the wheel from a copy of the sources, installs it (no dependencies,
no index) into a fresh virtual environment that borrows this environment's third-party
packages through a ``.pth`` line, and runs the command line from another folder. A ``.pth``
line only adds a folder to ``sys.path``: the editable install's own ``.pth`` in that folder
is not processed, so ``sim`` can only come from the wheel, which the test checks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "sim", "experiments", "scenarios")
PACKAGES = ("sim", "experiments")


def _package_folders() -> set[str]:
    """Every folder of the import packages holding files the wheel must carry."""
    found = set()
    for top in PACKAGES:
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]:
            if not folder.is_dir() or folder.name == "__pycache__":
                continue
            if any(f.suffix in (".py", ".toml") for f in folder.iterdir() if f.is_file()):
                found.add(".".join(folder.relative_to(ROOT).parts))
    return found


def test_pyproject_lists_every_package_folder():
    """The package list is explicit (find cannot see a mapped folder): keep it complete."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(tool["packages"]) == _package_folders() | {"sim.scenarios"}
    assert tool["package-dir"] == {"sim.scenarios": "scenarios"}


def test_examples_and_scenarios_are_found_by_name_in_a_checkout():
    from experiments.spec import EXAMPLES_DIR, example_experiments, load_experiment
    from sim.scenario import SCENARIO_DIR, builtin_scenarios

    assert SCENARIO_DIR == ROOT / "scenarios" and "baseline" in builtin_scenarios()
    assert EXAMPLES_DIR == ROOT / "experiments" / "examples"
    assert set(example_experiments()) == {p.stem for p in EXAMPLES_DIR.glob("*.toml")}
    assert load_experiment("metanorms").name == "metanorms"


def _project_files(*folders: str) -> list[str]:
    """The files of these folders that git tracks or would (all but __pycache__ without git)."""
    try:
        res = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *folders],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return [n for n in res.stdout.split() if (ROOT / n).is_file()]
    except (OSError, subprocess.CalledProcessError):
        files = (f for top in folders for f in (ROOT / top).rglob("*") if f.is_file())
        return [
            f.relative_to(ROOT).as_posix()
            for f in files
            if "__pycache__" not in f.parts and f.suffix != ".pyc"
        ]


def _can_build_offline() -> bool:
    """Whether this interpreter has setuptools >= 69, so pip needs no build environment."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    return int(setuptools.__version__.split(".")[0]) >= 69


def _build_wheel(tmp: Path) -> Path:
    """Build the wheel from a clean copy of the sources (no stale build/ folder)."""
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist")]
    if _can_build_offline():
        cmd.append("--no-build-isolation")
    # else pip makes a build environment with [build-system] requires (setuptools) from the index
    subprocess.run([*cmd, str(src)], check=True, cwd=tmp, timeout=300)
    (wheel,) = (tmp / "dist").glob("cyberdiplomacy-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> tuple[Path, Path]:
    """A new environment with the wheel installed and this one's dependencies linked in."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_cyberdiplomacy_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
        + ["--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=120,
    )
    return venv, site


@pytest.mark.slow
def test_wheel_installs_and_runs_from_any_folder(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in _project_files(*PACKAGES):  # every module and data file of the checkout
        assert name in names
    for name in _project_files("scenarios"):
        assert f"sim/{name}" in names
    assert {n.split("/")[0] for n in names if not n.startswith("cyberdiplomacy-")} == {*PACKAGES}

    venv, site = _fresh_venv(tmp_path, wheel)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def run(*args: str) -> str:
        res = subprocess.run(
            args, cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert res.returncode == 0, res.stderr
        return res.stdout

    probe = (
        "import json, experiments, sim, sim.scenario as s, experiments.spec as e;"
        "x = e.load_experiment('metanorms');"
        "print(json.dumps([sim.__file__, experiments.__file__, str(s.SCENARIO_DIR),"
        " str(e.EXAMPLES_DIR), x.name, x.steps]))"
    )
    sim_file, exp_file, scenarios, examples, name, steps = json.loads(
        run(str(venv / "bin" / "python"), "-c", probe)
    )
    for path in (sim_file, exp_file, scenarios, examples):
        assert Path(path).is_relative_to(site), path  # the wheel's copy, not the checkout
    assert (name, steps) == ("metanorms", 260)

    listing = run(str(venv / "bin" / "cyberdiplomacy"), "scenarios")
    assert "baseline" in listing and "rivalries_2000_2020" in listing

    out = work / "out"
    run(
        str(venv / "bin" / "cyberdiplomacy"),
        *("run", "baseline", "--steps", "10", "--out", str(out), "--quiet"),
    )
    for f in ("timeseries.csv", "events.jsonl", "summary.json", "report.html"):
        assert (out / f).is_file(), f
    assert len((out / "timeseries.csv").read_text().splitlines()) >= 10
