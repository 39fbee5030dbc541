"""A damaged batch folder gets one line, and --resume recovers what the data allows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from experiments.batch import run_batch
from experiments.evaluators import LocalEvaluator
from sim.cli import main

EXP = """# does skill matter?
[experiment]
name = "damage-test"
steps = 6
replicates = 4
seed = 7
[parameters]
"states.attribution_skill" = [0.2, 0.8]
[outcomes]
incidents = "sum"
"""
TOTAL = 8


class StopAfter:
    """A one-worker pool that is interrupted (like Ctrl-C) after `n` runs."""

    def __init__(self, n: int) -> None:
        self.inner = LocalEvaluator(1)
        self.description = self.inner.description
        self.n = n

    def imap(self, tasks, config):
        for i, result in enumerate(self.inner.imap(tasks, config)):
            if i == self.n:
                raise KeyboardInterrupt
            yield result

    def close(self) -> None:
        self.inner.close()


def _partial(tmp_path: Path, n: int = 4) -> tuple[Path, Path]:
    exp = tmp_path / "exp.toml"
    exp.write_text(EXP)
    out = tmp_path / "out"
    ev = StopAfter(n)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_batch(exp, out, quiet=True, report=False, evaluator=ev)
    finally:
        ev.close()
    return exp, out


def _runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs.parquet").drop(columns=["wall_seconds"])


@pytest.fixture
def reference(tmp_path):
    exp = tmp_path / "ref.toml"
    exp.write_text(EXP)
    run_batch(exp, tmp_path / "ref", workers=1, quiet=True, report=False)
    return _runs(tmp_path / "ref"), pd.read_parquet(tmp_path / "ref" / "timeseries.parquet")


def _resume(exp: Path, out: Path) -> int:
    return main(["sweep", str(exp), "--out", str(out), "--resume", "--quiet", "--workers", "1"])


@pytest.mark.parametrize("line", ["{}", "[]", '{"run_id": 1}', '{"run_id": "x", "status": "ok"}'])
def test_a_journal_line_that_is_not_a_record_is_skipped_and_redone(
    tmp_path, reference, line, capsys
):
    exp, out = _partial(tmp_path)
    journal = out / "journal.jsonl"
    lines = journal.read_text().splitlines()
    lines.insert(1, line)
    journal.write_text("\n".join(lines) + "\n")
    assert _resume(exp, out) == 0
    assert "damaged line" in capsys.readouterr().err
    pd.testing.assert_frame_equal(_runs(out), reference[0], check_exact=True)


@pytest.mark.parametrize("damage", ["truncate", "empty"])
def test_a_damaged_part_file_is_redone(tmp_path, reference, damage, capsys):
    exp, out = _partial(tmp_path)
    part = sorted((out / "timeseries_parts").glob("run-*.parquet"))[1]
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"")
    assert _resume(exp, out) == 0
    assert "damaged; run" in capsys.readouterr().err
    pd.testing.assert_frame_equal(_runs(out), reference[0], check_exact=True)
    ts = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(ts, reference[1], check_exact=True)


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_truncated_manifest_is_one_line(tmp_path, capsys):
    exp, out = _partial(tmp_path)
    capsys.readouterr()
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text()[:40])
    assert _resume(exp, out) == 2
    assert "damaged manifest" in _one_line(capsys)
    manifest.write_text(json.dumps([1, 2]))
    assert _resume(exp, out) == 2
    assert "damaged manifest" in _one_line(capsys)


def test_a_folder_in_the_way_of_runs_csv_is_one_line(tmp_path, capsys):
    exp, out = _partial(tmp_path)
    capsys.readouterr()
    (out / "runs.csv").unlink()
    (out / "runs.csv").mkdir()
    assert _resume(exp, out) == 2
    line = _one_line(capsys)
    assert "cannot write" in line and "--resume" in line


def test_a_file_in_the_way_of_the_parts_is_one_line(tmp_path, capsys):
    exp, out = _partial(tmp_path)
    capsys.readouterr()
    parts = out / "timeseries_parts"
    for p in parts.iterdir():
        p.unlink()
    parts.rmdir()
    parts.write_text("not a folder")
    assert _resume(exp, out) == 2
    assert "cannot write" in _one_line(capsys)
