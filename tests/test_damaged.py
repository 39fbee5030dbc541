"""A damaged batch folder gets one line, and --resume recovers what the data allows."""

from __future__ import annotations

import json
import os
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


def _fail_on(monkeypatch, name: str, after: int, err: OSError) -> None:
    """BatchStore.<name> raises ``err`` from its call number ``after`` on (0 = at once)."""
    from experiments.storage import BatchStore

    real = getattr(BatchStore, name)
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise err
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BatchStore, name, failing)


def test_a_disk_that_fills_mid_batch_is_one_line_and_resume_completes(
    tmp_path, reference, capsys, monkeypatch
):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXP)
    out = tmp_path / "out"
    _fail_on(monkeypatch, "record", 3, OSError(28, "No space left on device", str(out)))
    args = ["sweep", str(exp), "--out", str(out), "--quiet", "--workers", "1"]
    assert main(args) == 2
    line = _one_line(capsys)
    assert "No space left" in line and f"3 of {TOTAL} runs are kept" in line, line
    assert "--resume" in line
    monkeypatch.undo()  # space freed
    assert _resume(exp, out) == 0
    runs, series = reference
    pd.testing.assert_frame_equal(_runs(out), runs)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"), series)


def _read_only(path: Path, monkeypatch, name: str) -> None:
    """Make `path` unwritable: chmod where that binds, else (root) the write fails as if."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return
    _fail_on(monkeypatch, name, 0, PermissionError(13, "Permission denied", str(path)))


def test_a_read_only_journal_is_one_line_and_keeps_the_runs(tmp_path, capsys, monkeypatch):
    exp, out = _partial(tmp_path)
    capsys.readouterr()
    journal = out / "journal.jsonl"
    before = journal.read_bytes()
    _read_only(journal, monkeypatch, "open_journal")
    try:
        assert _resume(exp, out) == 2
        line = _one_line(capsys)
        assert "Permission denied" in line and "--resume" in line, line
    finally:
        journal.chmod(0o644)
    assert journal.read_bytes() == before  # nothing lost
    monkeypatch.undo()
    assert _resume(exp, out) == 0


def test_a_folder_made_read_only_mid_batch_is_one_line(tmp_path, capsys, monkeypatch):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXP)
    out = tmp_path / "out"
    if os.geteuid() != 0:  # the folder loses its write permission after 2 runs
        from experiments.storage import BatchStore

        real = BatchStore.record
        calls = {"n": 0}

        def record(self, row, series):
            calls["n"] += 1
            if calls["n"] == 3:
                self.parts.chmod(0o555)
            return real(self, row, series)

        monkeypatch.setattr(BatchStore, "record", record)
    else:
        _fail_on(monkeypatch, "record", 2, PermissionError(13, "Permission denied", str(out)))
    args = ["sweep", str(exp), "--out", str(out), "--quiet", "--workers", "1"]
    try:
        assert main(args) == 2
    finally:
        if (out / "timeseries_parts").is_dir():
            (out / "timeseries_parts").chmod(0o755)
    line = _one_line(capsys)
    assert "Permission denied" in line and f"2 of {TOTAL} runs are kept" in line, line
    monkeypatch.undo()
    assert _resume(exp, out) == 0
    assert len(_runs(out)) == TOTAL


def test_report_and_rerun_of_damaged_tables(tmp_path, capsys):
    exp, out = _partial(tmp_path)
    capsys.readouterr()
    (out / "design.csv").write_text("")
    assert main(["report", str(out)]) == 0
    assert "design.csv: damaged" in capsys.readouterr().err
    (out / "runs.parquet").unlink()
    (out / "runs.parquet").mkdir()  # a folder in the way: one line, not a traceback
    assert main(["report", str(out)]) == 2
    assert "cannot read or write" in _one_line(capsys)
