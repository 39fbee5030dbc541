"""Experiment runner across processes: kill -9 and resume, a real Dask cluster, the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.batch import run_batch

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

EXP = """
[experiment]
name = "exec-test"
steps = {steps}
replicates = {reps}
seed = 5
[parameters]
"states.attribution_skill" = [0.2, 0.5, 0.8]
"companies.engagement" = [0.0, 1.0]
[outcomes]
incidents = "sum"
mean_trust = "final"
"""


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def sweep_cmd(exp: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "run.py"),
        "sweep",
        str(exp),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def same_batch(a: Path, b: Path) -> None:
    ra = pd.read_parquet(a / "runs.parquet").drop(columns=["wall_seconds"])
    rb = pd.read_parquet(b / "runs.parquet").drop(columns=["wall_seconds"])
    pd.testing.assert_frame_equal(ra, rb, check_exact=True)
    ta = pd.read_parquet(a / "timeseries.parquet")
    tb = pd.read_parquet(b / "timeseries.parquet")
    pd.testing.assert_frame_equal(ta, tb, check_exact=True)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killed_batch_resumes_to_the_same_result_repeating_nothing(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXP.format(steps=60, reps=6))  # 36 runs
    total = 36
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        sweep_cmd(exp, out, "--workers", "2"),
        cwd=ROOT,
        env=env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.is_file() and journal.read_bytes().count(b"\n") >= 6:
            break
        time.sleep(0.01)
    workers = _children(proc.pid)
    assert workers, "the sweep should have started its workers"
    os.kill(proc.pid, signal.SIGKILL)  # the sweep alone, like kill -9 of its pid
    proc.wait()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)], "workers outlived their killed sweep"
    before = journal.read_bytes().count(b"\n")
    assert 6 <= before < total, "the kill should land part-way through the batch"
    assert not (out / "runs.parquet").exists()

    # a partial batch can be reported on
    rep = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "report", str(out)],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rep.returncode == 0, rep.stderr
    partial = pd.read_csv(out / "runs.csv")
    assert len(partial) >= before

    res = subprocess.run(
        sweep_cmd(exp, out, "--workers", "2", "--resume"),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    lines = journal.read_text().splitlines()
    ids = [int(line.split(",")[0].split(":")[1]) for line in lines]
    assert len(ids) == total and sorted(ids) == list(range(total))  # nothing repeated

    ref = tmp_path / "uninterrupted"
    run_batch(exp, ref, workers=2, quiet=True, report=False)
    same_batch(out, ref)
    assert not (out / "timeseries_parts").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [
                str(VENV_BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            cwd=tmp_path,
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(VENV_BIN / "dask"),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                        "--local-directory",
                        str(tmp_path / f"w{i}"),
                    ],
                    cwd=tmp_path,
                    env=env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as c:
                    c.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_dask_gives_the_same_results_as_1_and_2_local_workers(tmp_path, dask_cluster):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXP.format(steps=12, reps=3))
    run_batch(exp, tmp_path / "one", workers=1, quiet=True, report=False)
    run_batch(exp, tmp_path / "two", workers=2, quiet=True, report=False)
    res = subprocess.run(
        sweep_cmd(exp, tmp_path / "dask", "--scheduler", dask_cluster),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    same_batch(tmp_path / "one", tmp_path / "two")
    same_batch(tmp_path / "one", tmp_path / "dask")
    import json

    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert "dask" in manifest["sessions"][0]["executor"]
    assert "2 worker(s)" in manifest["sessions"][0]["executor"]


def test_cli_bad_file_exits_2_with_one_line_before_any_run(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(
        '[experiment]\nsteps = 5\n[parameters]\n"states.cuont" = [3, 4]\n'
        '[outcomes]\nincidents = "sum"\n'
    )
    out = tmp_path / "out"
    res = subprocess.run(
        sweep_cmd(exp, out), cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 2
    err = res.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "states.cuont" in err
    assert "Traceback" not in err and not out.exists()
