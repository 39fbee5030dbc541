"""The batch folder: streamed, crash-safe, and readable while a batch still runs.

Layout of ``DIR``::

    manifest.json          experiment, design, root seed, command lines, versions, git, times
    experiment.toml        the experiment file as it was run
    design.csv             the design points (point id, parameter values)
    journal.jsonl          one line per finished run, appended and fsync'ed as it finishes
    timeseries_parts/      run-<id>.parquet per finished run (until consolidated)
    timeseries.parquet     every run's per-step table, keyed by run_id, sorted by run_id
    runs.parquet, runs.csv the runs table, sorted by run_id
    report.html, charts/   the report and its PNGs

How nothing is lost or repeated: a finished run's time series is written to a temporary
file, fsync'ed and renamed into ``timeseries_parts/``; only then is its row appended to
the journal and fsync'ed. A run is finished exactly when its journal line is complete, so
a kill at any moment leaves either a finished run (kept by ``--resume``) or an unfinished
one (run again; a stray part file is simply overwritten). A torn last journal line is cut
off on reopening. Consolidation writes the tables to temporary files and renames them, and
deletes part files only once the consolidated time series holds every run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import UserError

MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
PARTS = "timeseries_parts"
TIMESERIES = "timeseries.parquet"
RUNS = "runs.parquet"
RUNS_CSV = "runs.csv"
LOCK = ".lock"
FIXED = ["run_id", "point", "replicate", "seed"]  # (experiments.spec keeps outcome names
STATUS = ["status", "error", "wall_seconds"]  # off these columns: change both together)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that it is either the old one or the whole new one, never torn."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class BatchStore:
    """Reads and writes one batch folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / PARTS
        self._journal: Any = None

    # ---------------------------------------------------------------- manifest

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock (``.lock``, flock) while a batch writes to it."""
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / LOCK, "a+b")
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError(
                    str(self.root), None, "another sweep is writing to this folder; wait for it"
                ) from None
            yield
        finally:
            fh.close()  # closing releases the lock, also when the process is killed

    def exists(self) -> bool:
        """True if the folder holds a batch (a manifest)."""
        return (self.root / MANIFEST).is_file()

    def read_manifest(self) -> dict[str, Any]:
        """The manifest; UserError if the folder holds no batch."""
        path = self.root / MANIFEST
        if not path.is_file():
            raise UserError(str(self.root), None, "not a batch folder (no manifest.json)")
        try:
            manifest = json.loads(path.read_text())
        except (ValueError, OSError) as exc:
            raise UserError(
                str(path), None, f"damaged manifest ({type(exc).__name__}); start a new batch"
            ) from None
        if not isinstance(manifest, dict) or "experiment" not in manifest:
            raise UserError(str(path), None, "damaged manifest (no experiment); start a new batch")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / MANIFEST, json.dumps(manifest, indent=2, default=str).encode())

    def write_text(self, name: str, text: str) -> None:
        """A small file of the batch (experiment copy, design table)."""
        atomic_write(self.root / name, text.encode())

    # ---------------------------------------------------------------- journal

    def finished(self) -> dict[int, dict[str, Any]]:
        """Rows of the runs that finished, by run id (a torn last line is cut off)."""
        path = self.root / JOURNAL
        rows: dict[int, dict[str, Any]] = {}
        if not path.is_file():
            return rows
        good = 0
        damaged = 0
        with open(path, "rb") as fh:
            for line in fh:
                if not line.endswith(b"\n"):
                    break
                try:
                    row = json.loads(line)
                except ValueError:
                    break
                good += len(line)
                if not _is_record(row):  # valid JSON but not a run: that run is redone
                    damaged += 1
                    continue
                rows[int(row["run_id"])] = row  # a repeated run (lost series) counts last
        if damaged:
            print(
                f"warning: {path}: {damaged} damaged line(s) skipped; their runs are redone",
                file=sys.stderr,
            )
        if good != path.stat().st_size:
            with open(path, "r+b") as fh:
                fh.truncate(good)
        consolidated = self._consolidated_ids()
        # a finished run whose series went missing (power loss before the rename reached
        # the disk) is not finished: run it again
        for rid, row in list(rows.items()):
            if (
                row["status"] == "ok"
                and rid not in consolidated
                and not (self.parts / _part_name(rid)).is_file()
            ):
                del rows[rid]
        return rows

    def open_journal(self) -> None:
        """Start appending finished runs."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.parts.mkdir(exist_ok=True)
        for tmp in self.parts.glob("*.tmp"):  # half-written by a killed batch
            tmp.unlink(missing_ok=True)
        self._journal = open(self.root / JOURNAL, "ab")

    def record(self, row: dict[str, Any], series: bytes | None) -> None:
        """Store one finished run: its time series first, then its journal line."""
        if series is not None:
            atomic_write(self.parts / _part_name(int(row["run_id"])), series)
        line = json.dumps(row, allow_nan=True, separators=(",", ":")) + "\n"
        self._journal.write(line.encode())
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def close_journal(self) -> None:
        """Stop appending."""
        if self._journal is not None:
            journal, self._journal = self._journal, None
            try:
                journal.close()
            except OSError:  # a full disk: a torn last line is cut off on --resume
                pass

    # ---------------------------------------------------------------- tables

    def runs_table(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Finished runs sorted by run id, in the manifest's column order."""
        rows = self.finished()
        order = columns or self.read_manifest().get("columns")
        df = pd.DataFrame([rows[k] for k in sorted(rows)])
        if order:
            for col in order:
                if col not in df.columns:
                    df[col] = pd.Series(dtype="float64")
            df = df[order]
        return df.reset_index(drop=True)

    def write_runs(self) -> pd.DataFrame:
        """runs.parquet and runs.csv from the journal (atomic)."""
        df = self.runs_table()
        tmp = self.root / (RUNS + ".tmp")
        df.to_parquet(tmp, index=False)
        os.replace(tmp, self.root / RUNS)
        tmp = self.root / (RUNS_CSV + ".tmp")
        df.to_csv(tmp, index=False)
        os.replace(tmp, self.root / RUNS_CSV)
        return df

    def _consolidated_ids(self) -> set[int]:
        path = self.root / TIMESERIES
        if not path.is_file():
            return set()
        try:
            col = pq.read_table(path, columns=["run_id"]).column("run_id")
        except (pa.ArrowException, KeyError):  # torn or emptied: its runs are redone
            aside = path.with_name(TIMESERIES + ".damaged")
            os.replace(path, aside)
            print(
                f"warning: {path}: damaged, moved to {aside.name}; the runs it held are "
                "redone with --resume",
                file=sys.stderr,
            )
            return set()
        return set(int(x) for x in pa.compute.unique(col).to_pylist())

    def consolidate(self, expected: int | None = None, batch: int = 64) -> None:
        """runs.parquet/.csv, and timeseries.parquet once every run is in.

        The time series are streamed part by part into one file (row groups of ``batch``
        runs, sorted by run id), so memory does not grow with the number of runs. Parts are
        consolidated only when the batch is complete (``expected`` runs finished).
        """
        df = self.write_runs()
        if expected is not None and len(df) < expected:
            return
        parts = sorted(self.parts.glob("run-*.parquet")) if self.parts.is_dir() else []
        if not parts:
            return
        target = self.root / TIMESERIES
        have = self._consolidated_ids()
        sources: list[tuple[int, str, Any]] = []
        if target.is_file():
            if have >= {_part_id(p) for p in parts}:
                self._remove_parts(parts)  # a crash after the rename left them behind
                return
            # merge the old file's runs with the new parts (rare: report on a partial batch)
            pf = pq.ParquetFile(target)
            for rg in range(pf.num_row_groups):
                t = pf.read_row_group(rg)
                for rid in sorted(set(t.column("run_id").to_pylist())):
                    sources.append((rid, "file", rg))
        ids_from_file = {rid for rid, _, _ in sources}
        for p in parts:
            rid = _part_id(p)
            if rid not in ids_from_file:
                sources.append((rid, "part", p))
        sources.sort(key=lambda s: s[0])
        tmp = self.root / (TIMESERIES + ".tmp")
        writer = None
        pending: list[pa.Table] = []
        old = pq.ParquetFile(target) if target.is_file() else None
        cache: tuple[int, pa.Table] | None = None
        try:
            for rid, kind, where in sources:
                if kind == "part":
                    t = pq.read_table(where)
                else:
                    assert old is not None
                    if cache is None or cache[0] != where:
                        cache = (where, old.read_row_group(where))
                    t = cache[1].filter(pa.compute.equal(cache[1].column("run_id"), rid))
                pending.append(t)
                if len(pending) >= batch:
                    writer = _flush(writer, tmp, pending)
            if pending:
                writer = _flush(writer, tmp, pending)
        finally:
            if writer is not None:
                writer.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(self.root)
        self._remove_parts(parts)

    def _remove_parts(self, parts: list[Path]) -> None:
        for p in parts:
            p.unlink(missing_ok=True)
        try:
            self.parts.rmdir()
        except OSError:
            pass  # not empty, or already gone

    def read_timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Per-step table of every finished run (consolidated file and parts), by run id."""
        cols = None if columns is None else ["run_id", "step", *columns]
        frames = []
        have: set[int] = set()
        target = self.root / TIMESERIES
        if target.is_file():
            t = pd.read_parquet(target, columns=cols)
            have = set(t["run_id"].unique().tolist())
            frames.append(t)
        if self.parts.is_dir():
            for p in sorted(self.parts.glob("run-*.parquet")):
                if _part_id(p) not in have:
                    frames.append(pd.read_parquet(p, columns=cols))
        if not frames:
            return pd.DataFrame(columns=cols or ["run_id", "step"])
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)

    def iter_timeseries(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """The same table in chunks (row groups / parts), for memory-flat passes."""
        cols = None if columns is None else ["run_id", "step", *columns]
        target = self.root / TIMESERIES
        have: set[int] = set()
        if target.is_file():
            pf = pq.ParquetFile(target)
            for rg in range(pf.num_row_groups):
                t = pf.read_row_group(rg, columns=cols).to_pandas()
                have.update(t["run_id"].unique().tolist())
                yield t
        if self.parts.is_dir():
            for p in sorted(self.parts.glob("run-*.parquet")):
                if _part_id(p) not in have:
                    yield pd.read_parquet(p, columns=cols)


def _flush(
    writer: pq.ParquetWriter | None, path: Path, pending: list[pa.Table]
) -> pq.ParquetWriter:
    table = pa.concat_tables(pending)
    pending.clear()
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema, compression="zstd")
    writer.write_table(table.cast(writer.schema))
    return writer


def _is_record(row: Any) -> bool:
    """A journal line that describes a run: a table with an integer run_id and a status."""
    return (
        isinstance(row, dict)
        and isinstance(row.get("run_id"), int)
        and not isinstance(row.get("run_id"), bool)
        and row.get("status") in ("ok", "failed")
    )


def part_is_readable(path: Path) -> bool:
    """True if a Parquet part file is whole (its footer reads)."""
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return False
    return True


def _part_name(run_id: int) -> str:
    return f"run-{run_id:09d}.parquet"


def _part_id(path: Path) -> int:
    return int(path.stem.split("-")[1])


def clean_number(x: Any) -> Any:
    """NaN -> None, for JSON that other tools read."""
    if isinstance(x, float) and math.isnan(x):
        return None
    return x
