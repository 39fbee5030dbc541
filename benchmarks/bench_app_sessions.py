"""A class opens the app at the same instant: do all sessions render and step, and is each
session's model freed when its page closes?

One app server (``run.py viz``'s command) on a free loopback port; one headless Chromium
(Debian's, through Playwright, never downloaded) holding N pages, each in its own browser
context (its own cookies, so its own Solara session and model). All N pages are opened at
once; each waits for SolaraViz's "Time: 0" and the four plotly views, then presses Step
and waits for "Time: 1". Then every page is closed the way a student closes a tab.

Prints: pages rendered and stepped out of N, time to render (min / median / max), and the
server's resident memory cold, at start (after one session alone has opened and closed:
what the server imports and caches once is not a session's), at its peak and after the
pages closed (target: back within 10% of the start).

    python benchmarks/bench_app_sessions.py            # 20 sessions
    python benchmarks/bench_app_sessions.py --pages 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, stop, wait_for_http  # noqa: E402

from sim.app.cli import server_command, server_env  # noqa: E402

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


async def run(pages: int, timeout_s: float, settle_s: float, log_path: str | None = None) -> int:
    """The benchmark; returns the exit code (0 if every page rendered and stepped)."""
    from playwright.async_api import async_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115
    command = server_command("127.0.0.1", port)
    if log_path:  # Solara's own log: kernels started and shut down
        command[command.index("--log-level") + 1] = "info"
    proc = subprocess.Popen(
        command,
        env=server_env("baseline"),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(url, proc, timeout=600)
        time.sleep(1.0)
        cold = rss_mb(proc.pid)
        sampler = Sampler(proc.pid)
        sampler.start()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # one session first, alone, then closed: what the server imports and caches
            # once (plotly, the views, Solara's widgets) is not a session's memory
            warm = await one_session(browser, url, int(timeout_s * 1000), time.perf_counter())
            await warm["page"].close(run_before_unload=True)
            await warm["ctx"].close()
            time.sleep(5.0)
            start = rss_mb(proc.pid)
            print(f"  one session alone rendered in {warm['rendered'] or 0:.1f} s", flush=True)
            t0 = time.perf_counter()
            results = await asyncio.gather(
                *(one_session(browser, url, int(timeout_s * 1000), t0) for _ in range(pages))
            )
            live = rss_mb(proc.pid)
            print(f"  all sessions done after {time.perf_counter() - t0:.0f} s", flush=True)
            for r in results:  # a student closes the tab: pagehide, the close beacon
                await r["page"].close(run_before_unload=True)
                await r["ctx"].close()
            await browser.close()
        deadline = time.monotonic() + settle_s
        after = rss_mb(proc.pid)
        while time.monotonic() < deadline and after > 1.1 * start:
            time.sleep(1.0)
            after = rss_mb(proc.pid)
        sampler.stop_flag.set()
        sampler.join()
    finally:
        stop(proc)
        log.close()
    rendered = [r["rendered"] for r in results if r["rendered"] is not None]
    stepped = [r for r in results if r["stepped"] is not None]
    print(f"app sessions opened at the same instant: {pages} (one Chromium, a context each)")
    print(f"  rendered: {len(rendered)}/{pages}; stepped: {len(stepped)}/{pages}")
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
    back = after <= 1.1 * start
    print(
        f"  server RSS, MB: cold {cold:.0f}; start (after one session) {start:.0f}, peak "
        f"{sampler.peak:.0f}, with {pages} sessions "
        f"{live:.0f}, after close {after:.0f} ({'within' if back else 'NOT within'} 10% of start)"
    )
    return 0 if len(stepped) == pages and back else 1


def main() -> int:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=300, help="seconds a page may take")
    ap.add_argument("--settle", type=float, default=30, help="seconds to wait for memory")
    ap.add_argument("--log", default=None, help="write the server's log (info) here")
    args = ap.parse_args()
    return asyncio.run(run(args.pages, args.timeout, args.settle, args.log))


if __name__ == "__main__":
    sys.exit(main())
