"""A class opens the app at the same instant: do all sessions render and step, and is each
session's model freed when its page closes?

One app server (``run.py viz``'s command) on a free loopback port; one headless Chromium
(Debian's, through Playwright, never downloaded) holding N pages, each in its own browser
context (its own cookies, so its own Solara session and model). All N pages are opened at
once; each waits for SolaraViz's "Time: 0" and the four plotly views, then presses Step
and waits for "Time: 1". Then every page is closed the way a student closes a tab.

Prints: pages rendered and stepped out of N, time to render (min / median / max), and the
server's memory at each point: cold (served nothing yet), *start* (after one session alone
has opened, rendered, stepped and closed: what the server imports and caches once is not
a session's, so the target is measured from there, not from cold), with the N sessions
open, when they have closed, and 40 s later, once the server's janitor has stopped the idle
worker threads and trimmed the heap (target: RSS back within 10% of start). Besides RSS (which
also holds the allocator's high-water mark) the server itself reports, on SIGUSR1
(sim/app/memdebug.py, switched on by this benchmark's environment only), Python's live
objects and allocated blocks and the sessions' own objects still alive (models, Solara
kernel contexts, reacton render contexts, widgets): those tell a real leak from memory the
allocator keeps. ``--rounds 2`` opens and closes the N pages twice (a leak grows each
round); ``--chains`` adds what keeps a model or a figure alive; ``--tracemalloc`` traces
Python's allocations (slower).

    python benchmarks/bench_app_sessions.py            # 20 sessions
    python benchmarks/bench_app_sessions.py --pages 5
    python benchmarks/bench_app_sessions.py --pages 2 --rounds 2 --chains
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, stop, wait_for_http  # noqa: E402

from sim.app.cli import server_command, server_env  # noqa: E402
from sim.app.memdebug import REPORT_ENV  # noqa: E402
from sim.app.serve import JANITOR_INTERVAL  # noqa: E402

CULL_S = 20  # seconds the benchmark's server keeps a session whose page vanished
# the server's janitor (sim.app.serve) stops idle worker threads and trims the heap within
# two of its rounds: the "idle" point is measured this long after the last session ended
IDLE_WAIT_S = 2 * JANITOR_INTERVAL + 10.0

VIEWPORT = {"width": 1300, "height": 900}


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (from /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def probe(pid: int, report: Path, timeout: float = 120.0) -> dict:
    """Ask the server (SIGUSR1, sim.app.memdebug) what it holds; its JSON line."""
    before = report.read_text().count("\n") if report.exists() else 0
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = report.read_text().splitlines() if report.exists() else []
        if len(lines) > before:
            return json.loads(lines[before])
        time.sleep(0.2)
    return {}


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system), s (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class Sampler(threading.Thread):
    """Samples a process's RSS every 0.2 s; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop_flag = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.2)


async def one_session(browser, url: str, timeout_ms: int, t0: float) -> dict:
    """Open, render, step; return what happened (the context stays open)."""
    ctx = await browser.new_context(viewport=VIEWPORT)
    page = await ctx.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    out = {"ctx": ctx, "page": page, "rendered": None, "stepped": None, "errors": errors}
    try:
        await page.goto(url)
        await page.get_by_text(re.compile(r"^Time: 0(\.0)?$")).wait_for()
        await page.locator(".js-plotly-plot").nth(3).wait_for()
        out["rendered"] = time.perf_counter() - t0
        print(f"  rendered after {out['rendered']:.1f} s", flush=True)
        await page.get_by_role("button", name="Step", exact=True).click()
        await page.get_by_text(re.compile(r"^Time: 1(\.0)?$")).wait_for()
        out["stepped"] = time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - a page that did not render is the result
        out["failure"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        print(f"  failed: {out['failure']}", flush=True)
    return out


async def close_tabs(sessions: list[dict]) -> None:
    """Students close their tabs: pagehide, and Solara's close beacon to the server. A
    real browser sends the beacon after the tab has gone; a closed Playwright context
    cancels it, so the contexts close only once the beacons have had time to go. Even so,
    a session now and then stays until the server culls it (``CULL_S``).
    """
    for r in sessions:
        await r["page"].close(run_before_unload=True)
    await asyncio.sleep(2.0)
    for r in sessions:
        await r["ctx"].close()


async def run(
    pages: int,
    timeout_s: float,
    settle_s: float,
    log_path: str | None = None,
    rounds: int = 1,
    trace: bool = False,
    chains: bool = False,
    trim: bool = False,
) -> int:
    """The benchmark; returns the exit code (0 if every page rendered and stepped and the
    server's memory came back within 10% of its start)."""
    from playwright.async_api import async_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115
    command = server_command("127.0.0.1", port)
    if log_path:  # Solara's own log: kernels started and shut down
        command[command.index("--log-level") + 1] = "info"
    report = Path(tempfile.mkdtemp(prefix="bench-app-")) / "memory.jsonl"
    env = server_env("baseline")
    env[REPORT_ENV] = str(report)  # the server answers SIGUSR1 with what it holds
    # a page whose close message is lost (about one in 20 here) keeps its session until it
    # is culled: 15 minutes in the product, 20 s here so that the benchmark sees it freed
    env["SOLARA_KERNEL_CULL_TIMEOUT"] = f"{CULL_S}s"
    if trace:
        env["PYTHONTRACEMALLOC"] = "1"  # Python's own allocations, traced (slower)
    if trim:  # glibc's free heap pages handed back after each probe: the RSS after
        env[REPORT_ENV + "_TRIM"] = "1"
    if chains:  # what keeps a closed session's model alive, and which types grow
        env[REPORT_ENV + "_CHAINS"] = "1"
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    snaps: dict[str, dict] = {}
    results: list[dict] = []
    all_results: list[list[dict]] = []
    server_cpu: list[tuple[float, float]] = []  # per round: server CPU s, wall s

    def settle(label: str) -> dict:
        """Wait (up to settle_s) until no session is left, then probe."""
        deadline = time.monotonic() + settle_s
        snap = probe(proc.pid, report)
        while time.monotonic() < deadline and (
            snap.get("solara_contexts", 0) or snap.get("models", 0)
        ):
            time.sleep(2.0)
            snap = probe(proc.pid, report)
        time.sleep(3.0)  # the app's own release (2 s after a close) has run
        snaps[label] = snap = probe(proc.pid, report)
        return snap

    try:
        wait_for_http(url, proc, timeout=600)
        time.sleep(1.0)
        snaps["cold"] = probe(proc.pid, report)
        sampler = Sampler(proc.pid)
        sampler.start()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # one session first, alone, then closed: what the server imports and caches
            # once (plotly, the views, Solara's widgets) is not a session's memory
            warm = await one_session(browser, url, int(timeout_s * 1000), time.perf_counter())
            await close_tabs([warm])
            settle("start")
            print(f"  one session alone rendered in {warm['rendered'] or 0:.1f} s", flush=True)
            for k in range(rounds):
                t0, cpu0 = time.perf_counter(), cpu_seconds(proc.pid)
                results = await asyncio.gather(
                    *(one_session(browser, url, int(timeout_s * 1000), t0) for _ in range(pages))
                )
                all_results.append(results)
                server_cpu.append((cpu_seconds(proc.pid) - cpu0, time.perf_counter() - t0))
                snaps[f"live{k + 1}"] = probe(proc.pid, report)
                print(f"  round {k + 1}: all sessions done after {time.perf_counter() - t0:.0f} s")
                await close_tabs(results)
                settle(f"after{k + 1}")
                time.sleep(IDLE_WAIT_S)
                snaps[f"idle{k + 1}"] = probe(proc.pid, report)
            # a student who comes later: Solara's worker threads that served the class are
            # idle (anyio stops an idle one only when new work arrives, after 10 s)
            await asyncio.sleep(12.0)
            later = await one_session(browser, url, int(timeout_s * 1000), time.perf_counter())
            await close_tabs([later])
            settle("later")
            await browser.close()
        sampler.stop_flag.set()
        sampler.join()
    finally:
        stop(proc)
        log.close()
    ok = True
    for k, results in enumerate(all_results):
        rendered = [r["rendered"] for r in results if r["rendered"] is not None]
        stepped = [r for r in results if r["stepped"] is not None]
        ok = ok and len(stepped) == pages
        print(
            f"round {k + 1}: {pages} app sessions opened at the same instant "
            "(one Chromium, a context each)"
        )
        print(f"  rendered: {len(rendered)}/{pages}; stepped: {len(stepped)}/{pages}")
        cpu, wall = server_cpu[k]
        print(
            f"  the server's own CPU: {cpu:.0f} s over {wall:.0f} s of wall time "
            f"({cpu / pages:.1f} s per session; the rest of the cores went to the browser)"
        )
        if rendered:
            print(
                f"  time to render, s: min {min(rendered):.1f}, median "
                f"{statistics.median(rendered):.1f}, max {max(rendered):.1f}"
            )
        for r in results:
            if "failure" in r:
                print(f"  failed: {r['failure']}")
            for e in r["errors"][:2]:
                print(f"  page error: {e[:160]}")
    print(f"server (one process), peak RSS {sampler.peak:.0f} MB; at each point:")
    keys = ["rss_mb", "rssanon", "rss_trimmed_mb", "arenas_mb", "blocks_mb", "stacks_mb"]
    keys += ["allocated_blocks", "gc_objects"]
    keys += ["tracemalloc_mb", "models"]
    keys += ["solara_contexts", "kernel_contexts", "render_contexts", "widgets", "threads"]
    print("  " + f"{'point':<8}" + "".join(f"{k:>17}" for k in keys))
    for label, snap in snaps.items():
        print("  " + f"{label:<8}" + "".join(f"{str(snap.get(k, '-')):>17}" for k in keys))
    start = snaps["start"]
    closed = snaps[f"after{len(all_results)}"] if all_results else start
    last = snaps[f"idle{len(all_results)}"] if all_results else start
    back = last["rss_mb"] <= 1.1 * start["rss_mb"]
    print(
        f"  when the last page has closed: RSS {closed['rss_mb']:.0f} MB "
        f"({100 * (closed['rss_mb'] / start['rss_mb'] - 1):+.1f}% of start)"
    )
    print(
        f"  {IDLE_WAIT_S:.0f} s later: RSS {last['rss_mb']:.0f} MB vs start "
        f"{start['rss_mb']:.0f} MB ({100 * (last['rss_mb'] / start['rss_mb'] - 1):+.1f}%, "
        f"{'within' if back else 'NOT within'} 10%); gc objects "
        f"{100 * (last['gc_objects'] / start['gc_objects'] - 1):+.1f}%"
        + (  # Python's block count: pymalloc only (0 under PYTHONMALLOC=malloc)
            ", Python blocks "
            f"{100 * (last['allocated_blocks'] / start['allocated_blocks'] - 1):+.1f}%"
            if start.get("allocated_blocks")
            else ""
        )
    )
    end = snaps.get("later", last)
    print(
        f"  after one more session, later: RSS {end['rss_mb']:.0f} MB "
        f"({100 * (end['rss_mb'] / start['rss_mb'] - 1):+.1f}% of start), "
        f"{end.get('threads')} threads"
    )
    print(f"  threads at start: {start.get('thread_names')}; after: {last.get('thread_names')}")
    if chains:
        a = json.loads(Path(start["types_file"]).read_text())
        b = json.loads(Path(last["types_file"]).read_text())
        grew = sorted(((b[k] - a.get(k, 0), k) for k in b), reverse=True)[:25]
        print(f"  types grown from start to the end: {grew}")
        for label in ("start", f"after{len(all_results)}"):
            for c in snaps[label].get("model_chains", []):
                print(f"  {label}: a model alive via: {' <- '.join(c)}")
    return 0 if ok and back else 1


def main() -> int:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=300, help="seconds a page may take")
    ap.add_argument(
        "--settle", type=float, default=60, help="seconds to wait for every session to end"
    )
    ap.add_argument("--log", default=None, help="write the server's log (info) here")
    ap.add_argument("--rounds", type=int, default=1, help="open and close the pages N times")
    ap.add_argument("--tracemalloc", action="store_true", help="trace Python's allocations")
    ap.add_argument("--trim", action="store_true", help="malloc_trim(0) after each probe")
    ap.add_argument("--chains", action="store_true", help="what holds a model; types grown")
    args = ap.parse_args()
    return asyncio.run(
        run(
            args.pages,
            args.timeout,
            args.settle,
            args.log,
            args.rounds,
            args.tracemalloc,
            args.chains,
            args.trim,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
