"""``run.py viz``: serve the classroom app with Solara's server (production mode, offline)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from sim.errors import UserError

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `sim` package
APP_MODULE = "sim.app.app"
# how long a session whose page vanished without its close message waits for the page to
# reconnect (a network drop, a laptop lid) before its world is freed; Solara's default: 24h
SESSION_KEPT = "15m"


def server_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The command that serves the app: no auto-reload, no browser, no version check.

    Solara's ``solara run`` through :mod:`sim.app.serve`, whose websocket keepalive lets a
    whole class open the app at once (a late pong no longer drops a page mid-render).
    """
    return [
        sys.executable,
        "-m",
        "sim.app.serve",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def base_env() -> dict[str, str]:
    """What every server of ours runs with: `sim` importable, no telemetry, a light theme,
    and the system's memory allocator (``PYTHONMALLOC=malloc``, unless set already): with
    Python's own, a class's memory stayed with the server after the class had left
    (sim.app.serve, "memory after a class leaves"). A session whose page went away without
    saying so (its close message lost) is kept for ``SESSION_KEPT`` in case the page
    reconnects, not Solara's default of 24 hours (``SOLARA_KERNEL_CULL_TIMEOUT`` overrides).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # nothing leaves the machine
    env.setdefault("SOLARA_THEME_VARIANT", "light")
    env.setdefault("PYTHONMALLOC", "malloc")
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", SESSION_KEPT)
    return env


def server_env(scenario: str | None = None) -> dict[str, str]:
    """The server's environment: `sim` importable, no telemetry, the first scenario."""
    from sim.app.app import SCENARIO_ENV

    env = base_env()
    if scenario:
        env[SCENARIO_ENV] = scenario
    return env


def check_scenario(name: str) -> str:
    """The scenario name if it is a built-in world scenario; UserError otherwise."""
    from sim.app.app import world_scenarios

    names = list(world_scenarios())
    if name not in names:
        raise UserError(
            "--scenario",
            None,
            f"expected a built-in world scenario ({', '.join(names)}), got {name!r}",
        )
    return name


def cmd_viz(args: argparse.Namespace) -> int:
    """Serve the app on ``--host``:``--port`` until interrupted (Ctrl+C)."""
    scenario = check_scenario(getattr(args, "scenario", None) or "baseline")
    host, port = args.host, int(args.port)
    if not 0 <= port <= 65535:
        raise UserError("--port", None, f"expected a port number 0-65535, got {port}")
    shown = f"[{host}]" if ":" in host else host
    print(
        f"serving the classroom app on http://{shown}:{port}/ (scenario {scenario}); "
        "Ctrl+C stops it",
        flush=True,
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: --host {host} makes the app reachable from other machines", flush=True)
    return serve(server_command(host, port), server_env(scenario))


def serve(command: list[str], env: dict[str, str]) -> int:
    """Run a server command until it ends; Ctrl-C stops it (killed after 10 s)."""
    proc = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise
