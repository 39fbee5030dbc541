"""Where runs execute: a local process pool (default) or a Dask distributed cluster.

An evaluator takes tasks and yields ``(row, series)`` as runs finish, in any order. It
keeps only a bounded number of runs in flight, so memory does not grow with the size of
the batch. A new executor is one new class with :meth:`imap` and :meth:`close`.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import islice
from typing import Any, Protocol

from experiments.runner import RunConfig, Task, execute, execute_many
from sim.errors import UserError

Result = tuple[dict[str, Any], bytes | None]
TASK_SECONDS = 0.5  # a Dask task carries runs worth about this much work...
MAX_CHUNK = 64  # ...but never more than this many


class Evaluator(Protocol):
    """Runs tasks somewhere and yields their results as they finish."""

    description: str

    def imap(self, tasks: Iterable[Task], config: RunConfig) -> Iterator[Result]:
        """Yield each task's (row, series) as it finishes."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _warm() -> int:
    import sim.model  # noqa: F401  (the first real run should not pay for imports)
    import sim.run  # noqa: F401

    return os.getpid()


class LocalEvaluator:
    """A process pool on this machine (``--workers N``, default all cores)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        if self.workers < 1:
            raise UserError("--workers", None, f"expected at least 1, got {self.workers}")
        _warm()  # import in the parent: forked workers inherit the loaded modules
        ctx = _context()
        # a forked worker's parent is this process; a forkserver's worker's is the server
        parent = os.getpid() if ctx.get_start_method() == "fork" else None
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=ctx,
            initializer=_die_with_parent,
            initargs=(parent,),
        )
        # start every worker now, before the parent starts threads of its own (progress bar)
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=".*multi-threaded.*fork", category=DeprecationWarning
            )
            list(self.pool.map(_warm_task, range(self.workers)))
        self.description = f"local process pool, {self.workers} worker(s)"

    def imap(self, tasks: Iterable[Task], config: RunConfig) -> Iterator[Result]:
        """Submit a bounded window of runs; yield each as it finishes."""
        it = iter(tasks)
        window = 4 * self.workers
        running: set[Future[Result]] = {
            self.pool.submit(execute, t, config) for t in islice(it, window)
        }
        try:
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
                for t in islice(it, len(done)):
                    running.add(self.pool.submit(execute, t, config))
        finally:
            for fut in running:
                fut.cancel()

    def close(self) -> None:
        """Shut the pool down (cancelling queued runs)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def _python_threads() -> int:
    return threading.active_count()


def _context() -> multiprocessing.context.BaseContext:
    """Fork (fast: workers start warm, in milliseconds) unless Python threads run here.

    The only other threads at this point are native ones that wait idle: BLAS's pool,
    which numpy starts on import, and Arrow's. Both libraries register fork handlers, and
    mesa.batch_run forks the same way. A forkserver costs about a second of imports per
    batch, which is the whole budget for a small one, so it is kept for when Python
    threads of ours are running (their locks could be held at the fork).
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _python_threads() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.model", "sim.run", "experiments.runner"])
        return ctx
    return multiprocessing.get_context("spawn")


def _die_with_parent(parent: int | None) -> None:
    """In a worker: end when the sweep that started it ends, even by kill -9 (Linux).

    Without this a killed sweep leaves its pool running, orphaned, until the runs in
    flight finish (measured: 3 workers alive 1.5 s after a kill -9 of the parent).
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: SIGKILL when the parent dies
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)


def _warm_task(_: int) -> int:
    return _warm()


def _probe() -> str:
    try:
        _warm()
    except Exception as exc:  # reported to the user as one line
        return f"{type(exc).__name__}: {exc}"
    return ""


def check_scheduler(address: str) -> str:
    """A Dask scheduler address as the flag takes it (``tcp://HOST:PORT``); UserError else."""
    from sim.errors import excerpt

    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    if scheme == "inproc" and sep and rest:  # a cluster inside this process (tests)
        return address
    if scheme not in ("tcp", "tls") or not sep or not colon or not host or not port.isdigit():
        raise UserError("--scheduler", None, f"expected tcp://HOST:PORT, got {excerpt(address)}")
    return address


class DaskEvaluator:
    """A Dask distributed cluster (``--scheduler tcp://HOST:PORT``).

    Workers must be able to import this project (run them from the project folder with
    ``PYTHONPATH`` set, or install it with ``pip install -e .``); this is checked first.
    """

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        from distributed import Client

        check_scheduler(address)
        try:
            self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UserError("--scheduler", address, f"cannot connect ({exc})") from None
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.client.close()
            raise UserError("--scheduler", address, "no workers joined the scheduler") from None
        problems = {w: msg for w, msg in self.client.run(_probe).items() if msg}
        if problems:
            worker, msg = next(iter(problems.items()))
            self.client.close()
            raise UserError(
                "--scheduler",
                address,
                f"worker {worker} cannot import the model "
                f"({msg}); start workers with PYTHONPATH set to the project",
            )
        self.threads = sum(self.client.nthreads().values())
        self.description = (
            f"dask {address}, {len(self.client.nthreads())} worker(s), {self.threads} thread(s)"
        )

    def imap(self, tasks: Iterable[Task], config: RunConfig) -> Iterator[Result]:
        """Submit a bounded window of chunks of runs; yield each run as its chunk finishes.

        Short runs travel several to a task, so that Dask's cost per task (some
        milliseconds) stays small against the work: the first tasks carry one run each,
        then chunks grow until a task takes about ``TASK_SECONDS``.
        """
        from distributed import as_completed

        it = iter(tasks)
        window = 2 * max(self.threads, 1)
        chunk = 1
        walls: list[float] = []

        def submit() -> Any:
            batch = list(islice(it, chunk))
            return self.client.submit(execute_many, batch, config, pure=False) if batch else None

        futures = [f for f in (submit() for _ in range(window)) if f is not None]
        ac = as_completed(futures)
        try:
            for fut in ac:
                try:
                    results = fut.result()
                except Exception as exc:  # the worker itself died (KilledWorker and such)
                    raise RuntimeError(f"dask lost a run: {exc}") from exc
                fut.release()
                for result in results:
                    walls.append(float(result[0].get("wall_seconds", 0.0)))
                    yield result
                if walls:
                    mean = sum(walls[-64:]) / len(walls[-64:])
                    chunk = max(1, min(MAX_CHUNK, int(TASK_SECONDS / max(mean, 1e-3))))
                nxt = submit()
                if nxt is not None:
                    ac.add(nxt)
        finally:
            for fut in list(ac.futures):
                fut.cancel()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        self.client.close()


def make_evaluator(workers: int | None = None, scheduler: str | None = None) -> Evaluator:
    """Dask if a scheduler is given, else the local pool."""
    if scheduler:
        if workers is not None:
            raise UserError("--workers", None, "not used with --scheduler (Dask decides)")
        return DaskEvaluator(scheduler)
    return LocalEvaluator(workers)
