"""The classroom exercise in a real browser: Debian's Chromium driven by Playwright.

One server (``run.py class``'s command) on a free loopback port; an instructor and four
students, each in their own browser context, play six weeks. Kept to one test: a
classroom is one long story, and every page load costs seconds on a CI machine. Set
``UPDATE_DOCS_SCREENSHOT=1`` to refresh docs/classroom-instructor.png and -student.png.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port, stop, wait_for_http

from sim.app.cli import ROOT
from sim.classroom.cli import server_command, server_env

pytestmark = pytest.mark.browser

TIMEOUT = 30_000  # ms
EVIL = "<img src=x onerror=alert(1)>"  # a student's name that must stay text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The classroom served by its production command; yields (url, debrief folder)."""
    port = free_port()
    tmp = tmp_path_factory.mktemp("class")
    env = server_env("baseline", tmp / "out", f"http://127.0.0.1:{port}/")
    env["CYBERDIPLOMACY_CLASS_LEFT_AFTER"] = "3"  # seconds: a closed page has left
    with open(tmp / "server.log", "wb") as fh:
        proc = subprocess.Popen(
            server_command("127.0.0.1", port), env=env, cwd=ROOT, stdout=fh, stderr=fh
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc)
        yield url, tmp / "out"
    finally:
        stop(proc)
        text = (tmp / "server.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


class Page:
    """One browser context and its page; console errors and dialogs are recorded."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(url)

    def text(self, pattern: str) -> None:
        """Wait for a text matching this regular expression."""
        self.page.get_by_text(re.compile(pattern)).first.wait_for()

    def click(self, selector: str) -> None:
        """Click the element of a CSS selector."""
        self.page.locator(selector).first.click()


def join(browser, url: str, code: str, name: str) -> Page:
    s = Page(browser, url)
    s.page.get_by_label("room code").fill(code)
    s.page.get_by_label("your name").fill(name)
    s.page.get_by_role("button", name="Join").click()
    s.text("Waiting for the instructor to give you a role")
    return s


def test_instructor_and_four_students_play_six_weeks(browser, server):
    url, out = server
    teacher = Page(browser, url)
    teacher.page.get_by_role("button", name="Open a room").click()
    teacher.text(r"^Room [A-Z0-9]{5}-[A-Z0-9]{5}$")
    title = teacher.page.get_by_text(re.compile(r"^Room [A-Z0-9]{5}-")).first.text_content()
    code = title.split()[1]

    names = ["Ann", "Bo", EVIL, "Dee"]
    roles = ["State 1", "State 2", "Chair of UN OEWG", "Company 1"]
    students = [join(browser, url, code, n) for n in names]
    card = teacher.page.locator(".v-card", has_text=f"Students ({len(names)})")
    card.wait_for()
    teacher.page.get_by_text(EVIL, exact=True).wait_for()  # shown as text, never as HTML
    for k, role in enumerate(roles):
        card.locator(".v-select").nth(k).click()
        teacher.page.get_by_role("option", name=role, exact=True).click()
        students[k].text(f"^You play {re.escape(role)}$")
    ann, bo, chair, company = students
    tokens = [s.page.url.split("student=")[1] for s in students]

    # the instructor shares intelligence with State 1: only State 1's page shows it
    teacher.page.get_by_text("Share intelligence", exact=True).first.click()
    teacher.page.locator("button.v-btn", has_text="Share intelligence").click()
    teacher.text("^Queued for week 1")

    # six weeks; each student decides, the company's student leaves after week 3
    plan = {  # one decision a week each keeps the test short; the unit tests cover the rest
        0: [("response", "sanctions")],
        1: [("share", "withhold")],
        2: [("convene", "now")],
        3: [("telemetry", "share")],
    }
    played: list[tuple[int, str, str, str, str]] = []  # week, role, student, point, value
    for week in range(1, 7):
        for k, s in enumerate(students):
            if s is company and week > 3:
                continue
            for point, value in plan[k]:
                s.click(f".decide-{point}-{value}")
                played.append((week, roles[k], names[k], point, value))
            s.text(f"^Submitted: .*{plan[k][-1][0]}: {plan[k][-1][1]}")
        if week == 6 and os.environ.get("UPDATE_DOCS_SCREENSHOT"):
            teacher.text("decided: response")
            for page, name in ((teacher, "instructor"), (ann, "student")):
                page.page.wait_for_timeout(800)  # let plotly finish drawing
                page.page.screenshot(path=str(Path(ROOT) / "docs" / f"classroom-{name}.png"))
        if week == 1:
            # another student's decisions never show on Ann's page
            assert "withhold" not in ann.page.inner_text("body")
        teacher.page.get_by_role("button", name=f"Next week ({week})").click()
        for s in students:
            if not (s is company and week > 3):
                s.text(f"^Room {code}, week {week}$")
        if week == 1:
            ann.text(r"^From the instructor's injects: 0\.[1-9]")
            bo.text(r"^From the instructor's injects: 0\.00")
        if week == 3:
            company.context.close()
            teacher.text(r"^Dee \(left: the agent plays\)")
            roles_card = teacher.page.locator(".roles")
            assert re.search(r"Company 1\s+agent", roles_card.inner_text())

    # a student's attempt to act for another role is refused on the server, and logged
    body = json.dumps(
        {"token": tokens[0], "role": "state:State 2", "point": "share", "value": "withhold"}
    ).encode()
    req = urllib.request.Request(
        url + "api/class/decide", data=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 403
    teacher.page.locator(".refused", has_text="your token holds State 1").wait_for()

    # the end: the truth and the debrief
    teacher.page.get_by_role("button", name="End the exercise and reveal the truth").click()
    teacher.text("^Written to ")
    ann.text("^The exercise has ended")
    ann.page.get_by_text("The truth about the attacks on you").wait_for()
    debriefs = list(out.glob("*/debrief.html"))
    assert len(debriefs) == 1
    text = debriefs[0].read_text()
    assert EVIL not in text and html.escape(EVIL) in text
    for week, role, student, point, value in played:
        row = f"<td>{week}</td><td>{html.escape(student)}</td><td>{point}</td><td>{value}</td>"
        assert row in text, (role, row)
    assert "agents only" in text and "real initiator" in text
    for p in students + [teacher]:
        assert p.errors == [], p.errors
    for p in (teacher, ann, bo, chair):
        p.context.close()
