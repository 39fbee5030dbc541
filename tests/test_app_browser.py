"""The classroom app in a real browser: Debian's Chromium driven by Playwright.

One app server (``run.py viz``'s command) serves the module on a free loopback port.
Every request that would leave the machine is aborted and recorded: the page must
render without any. Set ``UPDATE_DOCS_SCREENSHOT=1`` to refresh docs/app.png.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port, stop, wait_for_http

from sim.app.cli import ROOT, server_command, server_env

pytestmark = pytest.mark.browser

TIMEOUT = 30_000  # ms; first renders on a cold CI machine can be slow
VIEWPORT = {"width": 1500, "height": 1000}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by its production command on a free 127.0.0.1 port."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            server_command("127.0.0.1", port),
            env=server_env("baseline"),
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc)
        yield url
    finally:
        stop(proc)
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


class Session:
    """One browser session (its own context, hence its own Solara session and model)."""

    def __init__(self, browser, url: str) -> None:
        self.base = url.rstrip("/")
        self.off_machine: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("request", self._request)
        self.page.goto(url)
        self.wait_time(0)
        self.page.locator(".js-plotly-plot").nth(3).wait_for()

    def _local(self, url: str) -> bool:
        return url.startswith((self.base, "data:", "blob:", "about:"))

    def _route(self, route) -> None:
        if self._local(route.request.url):
            route.continue_()
        else:
            self.off_machine.append(route.request.url)
            route.abort()

    def _request(self, request) -> None:
        if not self._local(request.url) and request.url not in self.off_machine:
            self.off_machine.append(request.url)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    def wait_time(self, week: int) -> None:
        """Wait until SolaraViz's Information card shows this model time."""
        self.page.get_by_text(re.compile(rf"^Time: {week}(\.0)?$")).wait_for()

    def title(self, prefix: str) -> str:
        """The text of the plotly title that starts with ``prefix``."""
        loc = self.page.locator(".js-plotly-plot .gtitle", has_text=prefix)
        loc.first.wait_for()
        return loc.first.text_content() or ""

    def wait_title(self, text: str) -> None:
        """Wait until a plotly view shows exactly this title."""
        pattern = re.compile(f"^{re.escape(text)}$")
        self.page.locator(".js-plotly-plot .gtitle", has_text=pattern).first.wait_for()

    def step(self, to_week: int) -> None:
        """Press Step and wait for the model time to show the new week."""
        self.page.get_by_role("button", name="Step", exact=True).click()
        self.wait_time(to_week)

    def check_clean(self) -> None:
        """No request left the machine; the console shows no errors."""
        assert self.off_machine == [], self.off_machine
        assert self.errors == [], self.errors

    def close(self) -> None:
        """Close the context (ends the session)."""
        self.context.close()


@pytest.fixture
def session(browser, app_url) -> Iterator[Session]:
    s = Session(browser, app_url)
    yield s
    s.close()


def test_renders_offline_and_not_blank(session):
    page = session.page
    assert page.locator(".js-plotly-plot").count() >= 4
    assert session.title("States, week") == "States, week 0"
    for label in (
        "states.attribution_skill",
        "states.sovereignty_concern",
        "companies.engagement",
        "states.count",
        "norms.metanorms",
        "organizations.decision_rule",
    ):
        assert page.get_by_text(label, exact=True).count() >= 1, label
    for name in ("Reset", "Step"):
        assert page.get_by_role("button", name=name, exact=True).is_visible()
    assert page.get_by_role("button", name="Launch attack").is_visible()
    assert page.locator(".js-plotly-plot .scatterlayer .point").count() >= 12  # states drawn
    session.check_clean()


def test_step_changes_time_and_charts(session):
    before = session.page.locator(".js-plotly-plot").nth(1).inner_html()
    session.step(1)
    for title in ("States, week 1", "Time series, week 1", "What happened, week 1"):
        session.wait_title(title)
    assert session.page.locator(".js-plotly-plot").nth(1).inner_html() != before
    session.check_clean()


def test_intervention_shows_in_the_log(session):
    page = session.page
    page.get_by_role("button", name="Launch attack").click()
    page.get_by_text("Queued for week 1").wait_for()
    session.step(1)
    log = page.locator(".js-plotly-plot", has_text="Event log")
    log.filter(has_text="Instructor:").wait_for()
    assert "launched" in (log.text_content() or "")
    assert page.get_by_text("Queued for week").count() == 0
    session.check_clean()


def test_two_sessions_are_independent(browser, app_url):
    a, b = Session(browser, app_url), Session(browser, app_url)
    try:
        a.step(1)
        a.step(2)
        b.page.wait_for_timeout(500)
        assert b.title("States, week") == "States, week 0"
        b.wait_time(0)
        b.step(1)
        b.wait_title("States, week 1")
        a.wait_time(2)
        assert a.title("States, week") == "States, week 2"
        a.check_clean()
        b.check_clean()
    finally:
        a.close()
        b.close()


def test_play_then_screenshot(session, tmp_path):
    page = session.page
    page.get_by_role("button", name="▶").click()
    # past the first negotiation session (week 8) and a few attributions
    page.get_by_text(re.compile(r"^Time: (1[0-9]|[2-9]\d)(\.0)?$")).wait_for(timeout=60_000)
    # while playing the page redraws every 400 ms; on a loaded machine a pointer click
    # can keep missing the re-rendered button, so the click event is sent to it directly
    page.get_by_role("button", name="❚❚").dispatch_event("click", timeout=60_000)
    page.get_by_role("button", name="▶").wait_for(timeout=60_000)
    week = page.get_by_text(re.compile(r"^Time: \d+(\.0)?$")).text_content() or ""
    session.wait_title(f"States, week {int(float(week.split()[1]))}")
    page.wait_for_timeout(800)  # let plotly finish drawing
    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few kB
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        shutil.copyfile(shot, Path(ROOT) / "docs" / "app.png")
    session.check_clean()


def test_sessions_opened_together_all_render_and_step(browser, app_url):
    """A class opens the app at the same instant (benchmarks/bench_app_sessions.py: 20).

    Before sim.app.serve, uvicorn dropped websockets whose pong came back late while every
    page rendered at once, and the reconnected pages stayed blank.
    """
    n = 4
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(n)]
    pages = [c.new_page() for c in contexts]
    try:
        for page in pages:  # each goto returns at the HTML's load: the renders overlap
            page.set_default_timeout(4 * TIMEOUT)
            page.goto(app_url)
        for page in pages:
            page.get_by_text(re.compile(r"^Time: 0(\.0)?$")).wait_for()
            page.locator(".js-plotly-plot").nth(3).wait_for()
        for page in pages:
            page.get_by_role("button", name="Step", exact=True).click()
        for page in pages:
            page.get_by_text(re.compile(r"^Time: 1(\.0)?$")).wait_for()
    finally:
        for c in contexts:
            c.close()


def test_figures_load_plotly_once_by_url(browser, app_url):
    """Each figure widget imports plotly's bundle from the server by URL (sim.app.serve):
    one request per page, and the websocket no longer carries a 5 MB copy per figure
    (25.7 MB for one page before); anywidget gets longer than 2 s to load a figure.
    """
    import urllib.request

    from sim.app.serve import ANYWIDGET_PATH, ANYWIDGET_TIMEOUT, BUNDLE_PATH

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    bundles: list[str] = []
    received = [0]
    page.on("request", lambda r: bundles.append(r.url) if BUNDLE_PATH in r.url else None)

    def on_websocket(ws) -> None:
        ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

    page.on("websocket", on_websocket)
    try:
        page.goto(app_url)
        page.get_by_text(re.compile(r"^Time: 0(\.0)?$")).wait_for()
        page.locator(".js-plotly-plot").nth(3).wait_for()
    finally:
        context.close()
    assert len(bundles) == 1, bundles
    assert received[0] < 5_000_000, received[0]
    base = app_url.rstrip("/")
    with urllib.request.urlopen(base + bundles[0][len(base) :]) as response:
        assert response.headers["Cache-Control"].startswith("public")
        assert len(response.read()) > 1_000_000  # plotly's whole bundle
    with urllib.request.urlopen(base + ANYWIDGET_PATH) as response:
        served = response.read().decode()
    assert ANYWIDGET_TIMEOUT not in served
    assert "AbortSignal.timeout(300000)" in served
